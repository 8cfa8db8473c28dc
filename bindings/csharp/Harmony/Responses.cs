// The OpenAI Responses API bridge: a /v1/responses request renders into the prompt tokens
// gpt-oss expects; completion tokens parse into a `response` object or the streaming events the
// OpenAI SDK consumes. The mapping is the library's (harmony_responses_*); this file moves JSON
// and tokens across. Options are the library's JSON object (`conversation_start_date`, `model`,
// `id`, `created_at`, `response_fields`), or null for the defaults.
using System;
using System.Runtime.InteropServices;

namespace LibHarmony
{
    /// <summary>Owns a `harmony_responses_stream *`; released with harmony_responses_stream_free.</summary>
    internal sealed class ResponsesStreamHandle : SafeHandle
    {
        public ResponsesStreamHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.harmony_responses_stream_free(handle);
            return true;
        }
    }

    /// <summary>The Responses API bridge's one-shot calls.</summary>
    public static class Responses
    {
        private static byte[] Options(string optionsJson)
        {
            return optionsJson == null ? null : Marshalling.ToUtf8(optionsJson, nameof(optionsJson));
        }

        /// <summary>
        /// Renders an OpenAI Responses API request (its JSON body) into the prompt tokens for the
        /// next assistant message.
        /// </summary>
        /// <exception cref="HarmonyException">A request the bridge cannot map, with a message naming the
        /// item (<see cref="HarmonyStatus.InvalidArgument"/>), or malformed JSON (<see cref="HarmonyStatus.InvalidJson"/>).</exception>
        public static uint[] Render(HarmonyEncoding encoding, string requestJson, string optionsJson = null)
        {
            if (encoding == null) throw new ArgumentNullException(nameof(encoding));
            byte[] request = Marshalling.ToUtf8(requestJson, nameof(requestJson));
            byte[] options = Options(optionsJson);
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_responses_render(encoding.Handle, request, Marshalling.Len(request), options,
                Marshalling.Len(options), out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>
        /// Parses completion tokens (sampled after a <see cref="Render"/> prompt) into a `response`
        /// JSON object. Any valid token ids succeed.
        /// </summary>
        /// <exception cref="HarmonyException">An id outside the vocabulary (<see cref="HarmonyStatus.UnknownToken"/>).</exception>
        public static string Parse(HarmonyEncoding encoding, uint[] tokens, string optionsJson = null)
        {
            if (encoding == null) throw new ArgumentNullException(nameof(encoding));
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            byte[] options = Options(optionsJson);
            NativeString json;
            IntPtr err;
            HarmonyStatus st = Native.harmony_responses_parse(encoding.Handle, tokens, Marshalling.Len(tokens), options,
                Marshalling.Len(options), out json, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref json);
        }
    }

    /// <summary>
    /// A streaming Responses API response: <see cref="Process(uint)"/> returns the JSON array of the
    /// events each token produces (`[]` for none; the first carries `response.created` and
    /// `response.in_progress`); <see cref="Finish"/> the last events, ending with
    /// `response.completed` or `response.incomplete`. Not thread-safe; keeps its own reference to
    /// the encoding.
    /// </summary>
    public sealed class ResponsesStream : IDisposable
    {
        private readonly ResponsesStreamHandle _handle;

        /// <summary>Creates a stream; null <paramref name="optionsJson"/> means the library's defaults.</summary>
        public ResponsesStream(HarmonyEncoding encoding, string optionsJson = null)
        {
            if (encoding == null) throw new ArgumentNullException(nameof(encoding));
            byte[] options = optionsJson == null ? null : Marshalling.ToUtf8(optionsJson, nameof(optionsJson));
            ResponsesStreamHandle handle;
            IntPtr err;
            HarmonyStatus st = Native.harmony_responses_stream_new(encoding.Handle, options, Marshalling.Len(options),
                out handle, out err);
            if (st != HarmonyStatus.Ok) handle.Dispose();
            Marshalling.Check(st, err);
            _handle = handle;
        }

        /// <summary>Releases the native stream. Calling it again does nothing.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private ResponsesStreamHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(ResponsesStream));
                return _handle;
            }
        }

        /// <summary>Feeds one completion token; returns the JSON array of the events it produces.</summary>
        /// <exception cref="HarmonyException">An id outside the vocabulary (<see cref="HarmonyStatus.UnknownToken"/>),
        /// or a stream already finished (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        public string Process(uint token)
        {
            NativeString events;
            IntPtr err;
            HarmonyStatus st = Native.harmony_responses_stream_process(Handle, token, out events, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref events);
        }

        /// <summary>Ends the stream; returns the JSON array of the last events.</summary>
        /// <exception cref="HarmonyException">A stream already finished (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        public string Finish()
        {
            NativeString events;
            IntPtr err;
            HarmonyStatus st = Native.harmony_responses_stream_finish(Handle, out events, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref events);
        }
    }
}
