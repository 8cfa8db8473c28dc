using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;

namespace LibHarmony
{
    /// <summary>
    /// Parses a completion token by token while it is sampled: feed each token to
    /// <see cref="Process(uint)"/> and read <see cref="LastDelta"/>. Not thread-safe: use it from one
    /// thread at a time (it may move between threads). It keeps its own reference to the
    /// encoding, which may be disposed first.
    /// </summary>
    public sealed class StreamParser : IDisposable
    {
        private static readonly Native.BorrowedText LastDeltaFn = Native.harmony_parser_last_delta;
        private static readonly Native.BorrowedText ContentFn = Native.harmony_parser_current_content;
        private static readonly Native.BorrowedText ChannelFn = Native.harmony_parser_current_channel;
        private static readonly Native.BorrowedText RecipientFn = Native.harmony_parser_current_recipient;
        private static readonly Native.BorrowedText ContentTypeFn = Native.harmony_parser_current_content_type;

        private readonly ParserHandle _handle;

        /// <summary>
        /// Creates a parser. <paramref name="role"/> is the role of the first message when the
        /// completion starts inside its header (Assistant after a completion prompt), or null when
        /// it starts with `&lt;|start|&gt;`.
        /// </summary>
        public StreamParser(HarmonyEncoding encoding, Role? role, ParseFlags flags = ParseFlags.None)
        {
            if (encoding == null) throw new ArgumentNullException(nameof(encoding));
            ParserHandle handle;
            IntPtr err;
            HarmonyStatus st = Native.harmony_parser_new(encoding.Handle, HarmonyEncoding.RoleCode(role), (uint)flags,
                out handle, out err);
            if (st != HarmonyStatus.Ok) handle.Dispose();
            Marshalling.Check(st, err);
            _handle = handle;
        }

        private StreamParser(ParserHandle handle)
        {
            _handle = handle;
        }

        /// <summary>A parser continuing an assistant message already open (prefill;
        /// harmony_parser_new_continuing): <paramref name="headerJson"/> is its header, e.g.
        /// <c>{"channel":"final"}</c>; the tokens start inside its content.</summary>
        public static StreamParser Continuing(HarmonyEncoding encoding, string headerJson, ParseFlags flags = ParseFlags.None)
        {
            if (encoding == null) throw new ArgumentNullException(nameof(encoding));
            byte[] header = Marshalling.ToUtf8(headerJson, "headerJson");
            ParserHandle handle;
            IntPtr err;
            HarmonyStatus st = Native.harmony_parser_new_continuing(encoding.Handle, header, Marshalling.Len(header), (uint)flags,
                out handle, out err);
            if (st != HarmonyStatus.Ok) handle.Dispose();
            Marshalling.Check(st, err);
            return new StreamParser(handle);
        }

        /// <summary>A parser for an assistant completion: the tokens sampled after a completion prompt.</summary>
        public StreamParser(HarmonyEncoding encoding) : this(encoding, Role.Assistant)
        {
        }

        /// <summary>Releases the native parser. Calling it again does nothing.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        private ParserHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(StreamParser));
                return _handle;
            }
        }

        /// <summary>Feeds one token. After a <see cref="HarmonyException"/> the parser should be discarded.</summary>
        public void Process(uint token)
        {
            IntPtr err;
            Marshalling.Check(Native.harmony_parser_process(Handle, token, out err), err);
        }

        /// <summary>Feeds several tokens, stopping at the first failure.</summary>
        public void Process(uint[] tokens)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            IntPtr err;
            Marshalling.Check(Native.harmony_parser_process_tokens(Handle, tokens, Marshalling.Len(tokens), out err), err);
        }

        /// <summary>Signals the end of the stream, completing a message in progress. The parser is then
        /// finished: Process and ProcessEos throw (HarmonyStatus.InvalidArgument).</summary>
        public void ProcessEos()
        {
            IntPtr err;
            Marshalling.Check(Native.harmony_parser_process_eos(Handle, out err), err);
        }

        /// <summary>
        /// The tokens that end the current message now and open the final answer
        /// (<paramref name="function"/> null) or a call of <paramref name="function"/>, as the model
        /// would have sampled them: for an engine whose reasoning budget ran out. Inject them into
        /// the model's context and feed them to <see cref="Process(uint)"/> as if sampled. Empty when the
        /// parser is already inside such a message.
        /// </summary>
        public uint[] ForceAnswer([AllowNull] string function = null)
        {
            byte[] name = function == null ? null : Marshalling.ToUtf8(function, "function");
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_parser_force_answer(Handle, name, Marshalling.Len(name), out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>Text added by the last token, or null (outside content, or a UTF-8 character still incomplete).</summary>
        [MaybeNull]
        public string LastDelta
        {
            get { return Borrowed(LastDeltaFn, "last delta"); }
        }

        /// <summary>Content of the current message so far (null outside content).</summary>
        [MaybeNull]
        public string Content
        {
            get { return Borrowed(ContentFn, "content"); }
        }

        /// <summary>Channel of the current message, or null.</summary>
        [MaybeNull]
        public string Channel
        {
            get { return Borrowed(ChannelFn, "channel"); }
        }

        /// <summary>Recipient of the current message, or null.</summary>
        [MaybeNull]
        public string Recipient
        {
            get { return Borrowed(RecipientFn, "recipient"); }
        }

        /// <summary>Content type of the current message, or null.</summary>
        [MaybeNull]
        public string ContentType
        {
            get { return Borrowed(ContentTypeFn, "content type"); }
        }

        /// <summary>Where the parser is: waiting for a message, in a header, or in content.</summary>
        public StreamState State
        {
            get { return (StreamState)Native.harmony_parser_state(Handle); }
        }

        /// <summary>Role of the current message (or the expected next one); null when unknown.</summary>
        public Role? CurrentRole
        {
            get
            {
                int r = Native.harmony_parser_current_role(Handle);
                return r == Native.RoleNone ? (Role?)null : (Role)r;
            }
        }

        /// <summary>Number of completed messages.</summary>
        public int MessageCount
        {
            get { return Marshalling.ToInt(Native.harmony_parser_message_count(Handle)); }
        }

        /// <summary>The completed messages.</summary>
        public IReadOnlyList<Message> Messages
        {
            get { return Message.ListFromJson(MessagesJson); }
        }

        /// <summary>The completed messages as the library's JSON array (wire format).</summary>
        public string MessagesJson
        {
            get
            {
                NativeString json;
                IntPtr err;
                Marshalling.Check(Native.harmony_parser_messages_json(Handle, out json, out err), err);
                return Marshalling.TakeString(ref json);
            }
        }

        /// <summary>
        /// Feeds one token and returns what it did: one native call per sampled token (the delta,
        /// the message boundaries, the current header). Throws where <see cref="Process(uint)"/> throws.
        /// </summary>
        public ParserEvent Step(uint token)
        {
            return Event(true, token);
        }

        /// <summary>Signals the end of the stream like <see cref="ProcessEos"/> and returns what it did.</summary>
        public ParserEvent StepEos()
        {
            return Event(false, 0);
        }

        private ParserEvent Event(bool hasToken, uint token)
        {
            ParserHandle h = Handle;
            bool added = false;
            try
            {
                h.DangerousAddRef(ref added);
                NativeParserEvent ev;
                IntPtr err;
                HarmonyStatus st = hasToken
                    ? Native.harmony_parser_step(h.DangerousGetHandle(), token, out ev, out err)
                    : Native.harmony_parser_step_eos(h.DangerousGetHandle(), out ev, out err);
                Marshalling.Check(st, err);
                return new ParserEvent((ParserEventFlags)ev.Flags, (StreamState)ev.State,
                    ev.Role == Native.RoleNone ? (Role?)null : (Role)ev.Role, View(ev.Delta), View(ev.Channel),
                    View(ev.Recipient), View(ev.ContentType), Marshalling.ToInt(ev.MessageCount));
            }
            finally
            {
                if (added) h.DangerousRelease();
            }
        }

        /// <summary>Completed message <paramref name="index"/> without going through JSON.</summary>
        public Message MessageAt(int index)
        {
            if (index < 0) throw new ArgumentOutOfRangeException(nameof(index));
            ParserHandle h = Handle;
            bool added = false;
            try
            {
                h.DangerousAddRef(ref added);
                NativeMessageView m;
                IntPtr err;
                Marshalling.Check(Native.harmony_parser_message(h.DangerousGetHandle(), (UIntPtr)(ulong)index, out m, out err), err);
                return new Message((Role)m.Role, View(m.Content) ?? string.Empty)
                {
                    Name = View(m.Name),
                    Channel = View(m.Channel),
                    Recipient = View(m.Recipient),
                    ContentType = View(m.ContentType),
                };
            }
            finally
            {
                if (added) h.DangerousRelease();
            }
        }

        private static string View(NativeView v)
        {
            return Marshalling.FromUtf8(v.Data, v.Len);
        }

        // The accessor lends memory owned by the parser: hold a reference on the handle until the
        // bytes are copied, so a concurrent Dispose cannot free them underneath us.
        private string Borrowed(Native.BorrowedText fn, string what)
        {
            ParserHandle h = Handle;
            bool added = false;
            try
            {
                h.DangerousAddRef(ref added);
                IntPtr data;
                UIntPtr len;
                Marshalling.Check(fn(h.DangerousGetHandle(), out data, out len), what);
                return Marshalling.FromUtf8(data, len);
            }
            finally
            {
                if (added) h.DangerousRelease();
            }
        }
    }

    /// <summary>What one token did (`HARMONY_EVENT_*` bits).</summary>
    [Flags]
    public enum ParserEventFlags : uint
    {
        /// <summary>Nothing happened that the flags describe.</summary>
        None = 0,
        /// <summary>The token began a message.</summary>
        MessageStarted = 1,
        /// <summary>The header is complete: channel, recipient and content type are known.</summary>
        HeaderComplete = 2,
        /// <summary>A message was completed; the fields describe it unless a new one is open.</summary>
        MessageEnded = 4,
        /// <summary><see cref="ParserEvent.Delta"/> holds text.</summary>
        Delta = 8,
    }

    /// <summary>What one token did (<see cref="StreamParser.Step"/>), copied into managed strings.</summary>
    public readonly struct ParserEvent
    {
        internal ParserEvent(ParserEventFlags flags, StreamState state, Role? role, string delta, string channel,
            string recipient, string contentType, int messageCount)
        {
            Flags = flags;
            State = state;
            Role = role;
            Delta = delta;
            Channel = channel;
            Recipient = recipient;
            ContentType = contentType;
            MessageCount = messageCount;
        }

        /// <summary>What happened.</summary>
        public ParserEventFlags Flags { get; }
        /// <summary>Where the parser is after the token.</summary>
        public StreamState State { get; }
        /// <summary>Role of the described message, or null.</summary>
        public Role? Role { get; }
        /// <summary>Text the token added, or null.</summary>
        public string Delta { get; }
        /// <summary>Channel of the current message (of the ended one after MessageEnded), or null.</summary>
        public string Channel { get; }
        /// <summary>Recipient of the same message, or null.</summary>
        public string Recipient { get; }
        /// <summary>Content type of the same message, or null.</summary>
        public string ContentType { get; }
        /// <summary>Number of completed messages.</summary>
        public int MessageCount { get; }

        /// <summary>Whether all of <paramref name="flags"/> are set.</summary>
        public bool Has(ParserEventFlags flags)
        {
            return (Flags & flags) == flags;
        }
    }
}
