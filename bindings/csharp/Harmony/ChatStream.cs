using System;
using System.Diagnostics.CodeAnalysis;

namespace LibHarmony
{
    /// <summary>
    /// A streaming OpenAI Chat Completions response: feed the completion tokens sampled after a
    /// <see cref="HarmonyEncoding.ChatRender"/> prompt to <see cref="Process(uint)"/> one at a time and
    /// send on the `chat.completion.chunk` JSON objects it returns; <see cref="Finish"/> returns the
    /// last chunk with the `finish_reason`. The chunks joined give the same message as
    /// <see cref="HarmonyEncoding.ChatParse"/>. Not thread-safe: use it from one thread at a time (it
    /// may move between threads). It keeps its own reference to the encoding, which may be
    /// disposed first.
    /// </summary>
    public sealed class ChatStream : IDisposable
    {
        private readonly ChatStreamHandle _handle;

        /// <summary>Creates a stream; null <paramref name="options"/> means the library's defaults.</summary>
        public ChatStream(HarmonyEncoding encoding, [AllowNull] ChatOptions options = null)
            : this(Open(encoding, ChatOptions.Utf8Of(options)))
        {
        }

        private ChatStream(ChatStreamHandle handle)
        {
            _handle = handle;
        }

        /// <summary>A stream with options given as the library's UTF-8 JSON (null for the defaults).</summary>
        internal static ChatStream Create(HarmonyEncoding encoding, byte[] options)
        {
            return new ChatStream(Open(encoding, options));
        }

        private static ChatStreamHandle Open(HarmonyEncoding encoding, byte[] options)
        {
            if (encoding == null) throw new ArgumentNullException(nameof(encoding));
            ChatStreamHandle handle;
            IntPtr err;
            HarmonyStatus st = Native.harmony_chat_stream_new(encoding.Handle, options, Marshalling.Len(options),
                out handle, out err);
            if (st != HarmonyStatus.Ok) handle.Dispose();
            Marshalling.Check(st, err);
            return handle;
        }

        /// <summary>Releases the native stream. Calling it again does nothing.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private ChatStreamHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(ChatStream));
                return _handle;
            }
        }

        /// <summary>
        /// Feeds one completion token. Returns the `chat.completion.chunk` JSON object it produces,
        /// or null when it produces none (header tokens, a UTF-8 character still incomplete). The
        /// first chunk carries the assistant role; a tool call is announced by a chunk with its id
        /// and name, then its arguments follow. After a <see cref="HarmonyException"/> the stream
        /// should be discarded.
        /// </summary>
        /// <exception cref="HarmonyException">Tokens that do not continue a completion (<see cref="HarmonyStatus.Parse"/>),
        /// or a stream already finished (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        [return: MaybeNull]
        public string Process(uint token)
        {
            NativeString chunk;
            IntPtr err;
            HarmonyStatus st = Native.harmony_chat_stream_process(Handle, token, out chunk, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeOptionalString(ref chunk);
        }

        /// <summary>
        /// The tokens that end the reasoning now and open the final answer (<paramref name="function"/>
        /// null) or a call of <paramref name="function"/>, as the model would have sampled them: for
        /// an engine whose reasoning budget ran out. Inject them into the model's context and feed
        /// them to <see cref="Process"/> as if sampled; the reasoning so far stays reasoning. Empty
        /// when already inside such a message.
        /// </summary>
        public uint[] ForceAnswer([AllowNull] string function = null)
        {
            byte[] name = function == null ? null : Marshalling.ToUtf8(function, "function");
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_chat_stream_force_answer(Handle, name, Marshalling.Len(name), out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>
        /// Ends the stream and returns the last chunk, whose `finish_reason` is `stop`,
        /// `tool_calls`, or `length` when the tokens ended inside a message.
        /// </summary>
        /// <exception cref="HarmonyException">A stream already finished (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        public string Finish()
        {
            NativeString chunk;
            IntPtr err;
            HarmonyStatus st = Native.harmony_chat_stream_finish(Handle, out chunk, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref chunk);
        }
    }
}
