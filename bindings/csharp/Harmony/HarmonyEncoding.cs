using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;

namespace LibHarmony
{
    /// <summary>
    /// The Harmony encoding of gpt-oss: renders conversations to prompt tokens and parses
    /// completion tokens back into messages. Immutable and thread-safe: share one instance
    /// between any number of threads. Dispose it when done (a finalizer is the safety net).
    /// </summary>
    public sealed class HarmonyEncoding : IDisposable
    {
        private readonly EncodingHandle _handle;

        /// <summary>Creates the gpt-oss encoding (`HarmonyGptOss`). Cheap: the vocabulary is shared by the process.</summary>
        public HarmonyEncoding() : this(null)
        {
        }

        /// <summary>Creates the encoding called <paramref name="name"/> (`HarmonyGptOss`); null selects gpt-oss.</summary>
        /// <exception cref="HarmonyException">Unknown name (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        public HarmonyEncoding([AllowNull] string name)
        {
            byte[] z = name == null ? null : Marshalling.ToUtf8Z(name, "name");
            IntPtr err;
            EncodingHandle handle;
            HarmonyStatus st = Native.harmony_encoding_new(z, out handle, out err);
            if (st != HarmonyStatus.Ok) handle.Dispose();
            Marshalling.Check(st, err);
            _handle = handle;
        }

        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version
        {
            get { return Marshalling.FromUtf8Z(Native.harmony_version()); }
        }

        /// <summary>Releases the native handle. Calling it again does nothing.</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }

        internal EncodingHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(HarmonyEncoding));
                return _handle;
            }
        }

        // ---- rendering ----

        /// <summary>Renders <paramref name="conversation"/> followed by `&lt;|start|&gt;` + <paramref name="nextRole"/>: the prompt to sample from.</summary>
        public uint[] RenderCompletion(Conversation conversation, Role nextRole = Role.Assistant, RenderFlags flags = RenderFlags.None)
        {
            return RenderCompletion(JsonOf(conversation), nextRole, flags);
        }

        /// <summary>Renders a conversation given as wire-format JSON (`{"messages":[...]}`) for completion.</summary>
        public uint[] RenderCompletion(string conversationJson, Role nextRole = Role.Assistant, RenderFlags flags = RenderFlags.None)
        {
            return Render(Native.ModeCompletion, conversationJson, (int)nextRole, flags);
        }

        /// <summary>Renders the conversation only.</summary>
        public uint[] RenderConversation(Conversation conversation, RenderFlags flags = RenderFlags.None)
        {
            return RenderConversation(JsonOf(conversation), flags);
        }

        /// <summary>Renders a conversation given as wire-format JSON.</summary>
        public uint[] RenderConversation(string conversationJson, RenderFlags flags = RenderFlags.None)
        {
            return Render(Native.ModeConversation, conversationJson, Native.RoleNone, flags);
        }

        /// <summary>Renders the conversation for training (a trailing final assistant message ends in `&lt;|return|&gt;`).</summary>
        public uint[] RenderTraining(Conversation conversation, RenderFlags flags = RenderFlags.None)
        {
            return RenderTraining(JsonOf(conversation), flags);
        }

        /// <summary>Renders a conversation given as wire-format JSON for training.</summary>
        public uint[] RenderTraining(string conversationJson, RenderFlags flags = RenderFlags.None)
        {
            return Render(Native.ModeTraining, conversationJson, Native.RoleNone, flags);
        }

        /// <summary>Renders one message (<see cref="RenderFlags.HasFunctionTools"/> if the conversation declares function tools).</summary>
        public uint[] RenderMessage(Message message, RenderFlags flags = RenderFlags.None)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            return RenderMessage(message.ToJson(), flags);
        }

        /// <summary>Renders one message given as wire-format JSON.</summary>
        public uint[] RenderMessage(string messageJson, RenderFlags flags = RenderFlags.None)
        {
            return Render(Native.ModeMessage, messageJson, Native.RoleNone, flags);
        }

        private uint[] Render(int mode, string json, int nextRole, RenderFlags flags)
        {
            byte[] bytes = Marshalling.ToUtf8(json, "json");
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_render(Handle, mode, bytes, Marshalling.Len(bytes), nextRole, (uint)flags,
                out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>
        /// Renders into <paramref name="destination"/> without allocating a result array. Returns
        /// false when the array is too small, with the needed length in <paramref name="count"/>;
        /// other failures throw. <paramref name="nextRole"/> is used by <see cref="RenderMode.Completion"/> only.
        /// </summary>
        public bool TryRenderInto(RenderMode mode, string json, uint[] destination, out int count,
            Role nextRole = Role.Assistant, RenderFlags flags = RenderFlags.None)
        {
            if (destination == null) throw new ArgumentNullException(nameof(destination));
            byte[] bytes = Marshalling.ToUtf8(json, "json");
            int role = mode == RenderMode.Completion ? (int)nextRole : Native.RoleNone;
            UIntPtr n;
            IntPtr err;
            HarmonyStatus st = Native.harmony_render_into(Handle, (int)mode, bytes, Marshalling.Len(bytes), role, (uint)flags,
                destination, Marshalling.Len(destination), out n, out err);
            return Sized(st, err, n, out count);
        }

        // ---- parsing ----

        /// <summary>
        /// Parses completion tokens into messages. <paramref name="role"/> is the role of the first
        /// message when the tokens start inside its header (as after <see cref="RenderCompletion(string, Role, RenderFlags)"/>),
        /// or null when they start with `&lt;|start|&gt;`.
        /// </summary>
        public IReadOnlyList<Message> Parse(uint[] tokens, Role? role, ParseFlags flags = ParseFlags.None)
        {
            return Message.ListFromJson(ParseJson(tokens, role, flags));
        }

        /// <summary>Parses the tokens of an assistant completion (they start inside its header).</summary>
        public IReadOnlyList<Message> Parse(uint[] tokens)
        {
            return Parse(tokens, Role.Assistant);
        }

        /// <summary>Like <see cref="Parse(uint[], Role?, ParseFlags)"/>, returning the library's JSON array of messages (wire format).</summary>
        public string ParseJson(uint[] tokens, Role? role, ParseFlags flags = ParseFlags.None)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            NativeString json;
            IntPtr err;
            HarmonyStatus st = Native.harmony_parse(Handle, tokens, Marshalling.Len(tokens), RoleCode(role), (uint)flags,
                out json, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref json);
        }

        /// <summary>Like <see cref="ParseJson(uint[], Role?, ParseFlags)"/> for an assistant completion.</summary>
        public string ParseJson(uint[] tokens)
        {
            return ParseJson(tokens, Role.Assistant);
        }

        /// <summary>Creates a streaming parser (see <see cref="StreamParser"/>).</summary>
        public StreamParser CreateParser(Role? role, ParseFlags flags = ParseFlags.None)
        {
            return new StreamParser(this, role, flags);
        }

        /// <summary>Creates a streaming parser for an assistant completion (the tokens after a completion prompt).</summary>
        public StreamParser CreateParser()
        {
            return new StreamParser(this, Role.Assistant);
        }

        internal static int RoleCode(Role? role)
        {
            return role.HasValue ? (int)role.Value : Native.RoleNone;
        }

        // ---- OpenAI Chat Completions bridge (the mapping is the library's: harmony_chat_*) ----

        /// <summary>
        /// Renders an OpenAI Chat Completions request (its JSON body) into the prompt tokens for the
        /// next assistant message. Null <paramref name="options"/> means the library's defaults.
        /// </summary>
        /// <exception cref="HarmonyException">A request the bridge cannot map, e.g. an unknown role or
        /// `tool_call_id` (<see cref="HarmonyStatus.InvalidArgument"/>), or JSON that does not parse
        /// (<see cref="HarmonyStatus.InvalidJson"/>).</exception>
        public uint[] ChatRender(string requestJson, [AllowNull] ChatOptions options = null)
        {
            byte[] request = Marshalling.ToUtf8(requestJson, nameof(requestJson));
            return ChatRenderCore(request, ChatOptions.Utf8Of(options));
        }

        /// <summary><see cref="ChatRender"/> with options given as the library's UTF-8 JSON (null for the defaults).</summary>
        internal uint[] ChatRenderCore(byte[] request, byte[] options)
        {
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_chat_render(Handle, request, Marshalling.Len(request), options,
                Marshalling.Len(options), out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>
        /// Parses completion tokens (sampled after a <see cref="ChatRender"/> prompt) into a
        /// `chat.completion` response JSON object: reasoning as `reasoning_content`, function calls as
        /// `tool_calls`, the rest as `content`, and a `finish_reason` of `stop`, `tool_calls` or `length`.
        /// </summary>
        /// <exception cref="HarmonyException">Tokens that are not a Harmony completion (<see cref="HarmonyStatus.Parse"/>).</exception>
        public string ChatParse(uint[] tokens, [AllowNull] ChatOptions options = null)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            return ChatParseCore(tokens, ChatOptions.Utf8Of(options));
        }

        /// <summary><see cref="ChatParse"/> with options given as the library's UTF-8 JSON (null for the defaults).</summary>
        internal string ChatParseCore(uint[] tokens, byte[] options)
        {
            NativeString json;
            IntPtr err;
            HarmonyStatus st = Native.harmony_chat_parse(Handle, tokens, Marshalling.Len(tokens), options,
                Marshalling.Len(options), out json, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref json);
        }

        /// <summary>Creates a streaming Chat Completions response (see <see cref="ChatStream"/>).</summary>
        public ChatStream CreateChatStream([AllowNull] ChatOptions options = null)
        {
            return new ChatStream(this, options);
        }

        // ---- tokens ----

        /// <summary>Encodes text. Special-token spellings stay ordinary text unless <paramref name="allowSpecial"/>.</summary>
        public uint[] Encode(string text, bool allowSpecial = false)
        {
            byte[] bytes = Marshalling.ToUtf8(text, "text");
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_encode(Handle, bytes, Marshalling.Len(bytes),
                allowSpecial ? Native.EncodeAllowSpecial : 0u, out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>Encodes text, reading only the special tokens in <paramref name="allowedSpecial"/>
        /// (their ids, see <see cref="SpecialTokenId"/>) as special tokens; other spellings stay
        /// ordinary text (openai_harmony's <c>allowed_special={...}</c>). Throws
        /// <see cref="HarmonyException"/> (InvalidArgument) for an id that is not a special token.</summary>
        public uint[] EncodeAllowed(string text, uint[] allowedSpecial)
        {
            if (allowedSpecial == null) throw new ArgumentNullException(nameof(allowedSpecial));
            byte[] bytes = Marshalling.ToUtf8(text, "text");
            NativeTokens tokens;
            IntPtr err;
            HarmonyStatus st = Native.harmony_encode_allowed(Handle, bytes, Marshalling.Len(bytes), allowedSpecial,
                Marshalling.Len(allowedSpecial), out tokens, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeTokens(ref tokens);
        }

        /// <summary>Encodes into <paramref name="destination"/>; false (with the needed length in <paramref name="count"/>) when it is too small.</summary>
        public bool TryEncodeInto(string text, uint[] destination, out int count, bool allowSpecial = false)
        {
            if (destination == null) throw new ArgumentNullException(nameof(destination));
            byte[] bytes = Marshalling.ToUtf8(text, "text");
            UIntPtr n;
            IntPtr err;
            HarmonyStatus st = Native.harmony_encode_into(Handle, bytes, Marshalling.Len(bytes),
                allowSpecial ? Native.EncodeAllowSpecial : 0u, destination, Marshalling.Len(destination), out n, out err);
            return Sized(st, err, n, out count);
        }

        /// <summary>
        /// Decodes tokens to text. Throws <see cref="HarmonyStatus.UnknownToken"/> for ids outside the
        /// vocabulary and <see cref="HarmonyStatus.InvalidUtf8"/> for bytes that are not UTF-8,
        /// unless <paramref name="lossy"/> (then they become U+FFFD).
        /// </summary>
        public string Decode(uint[] tokens, bool lossy = false)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            NativeString text;
            IntPtr err;
            HarmonyStatus st = Native.harmony_decode(Handle, tokens, Marshalling.Len(tokens), lossy ? Native.DecodeLossy : 0u,
                out text, out err);
            Marshalling.Check(st, err);
            return Marshalling.TakeString(ref text);
        }

        /// <summary>Decodes into <paramref name="destination"/> as UTF-8 bytes; false (with the needed length) when it is too small.</summary>
        public bool TryDecodeInto(uint[] tokens, byte[] destination, out int count, bool lossy = false)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            if (destination == null) throw new ArgumentNullException(nameof(destination));
            UIntPtr n;
            IntPtr err;
            HarmonyStatus st = Native.harmony_decode_into(Handle, tokens, Marshalling.Len(tokens), lossy ? Native.DecodeLossy : 0u,
                destination, Marshalling.Len(destination), out n, out err);
            return Sized(st, err, n, out count);
        }

        private static bool Sized(HarmonyStatus st, IntPtr err, UIntPtr n, out int count)
        {
            if (st == HarmonyStatus.BufferTooSmall)
            {
                Marshalling.Check(HarmonyStatus.Ok, err); // only releases the error object
                count = Marshalling.ToInt(n);
                return false;
            }
            Marshalling.Check(st, err);
            count = Marshalling.ToInt(n);
            return true;
        }

        /// <summary>Tokens that end a completion: `&lt;|return|&gt;`, `&lt;|end|&gt;`, `&lt;|call|&gt;` (a new array each time).</summary>
        public uint[] StopTokens
        {
            get { return GetStopTokens(0); }
        }

        /// <summary>Tokens that end an assistant action: `&lt;|return|&gt;`, `&lt;|call|&gt;` (a new array each time).</summary>
        public uint[] StopTokensForAssistantActions
        {
            get { return GetStopTokens(1); }
        }

        private uint[] GetStopTokens(int forActions)
        {
            IntPtr data;
            UIntPtr len;
            Marshalling.Check(Native.harmony_stop_tokens(Handle, forActions, out data, out len), "stop tokens");
            return Marshalling.CopyTokens(data, len); // static array: nothing to free
        }

        /// <summary>The id of a special token by its spelling, e.g. `&lt;|start|&gt;`.</summary>
        /// <exception cref="HarmonyException">Not a special token (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        public static uint SpecialTokenId(string name)
        {
            byte[] bytes = Marshalling.ToUtf8(name, "name");
            uint id;
            HarmonyStatus st = Native.harmony_special_token_id(bytes, Marshalling.Len(bytes), out id);
            if (st != HarmonyStatus.Ok) throw new HarmonyException(st, "`" + name + "` is not a special token");
            return id;
        }

        /// <summary>The spelling of special token <paramref name="token"/>.</summary>
        /// <exception cref="HarmonyException">Ordinary or unknown id (<see cref="HarmonyStatus.InvalidArgument"/>).</exception>
        public static string SpecialTokenName(uint token)
        {
            IntPtr data;
            UIntPtr len;
            HarmonyStatus st = Native.harmony_special_token_name(token, out data, out len);
            if (st != HarmonyStatus.Ok) throw new HarmonyException(st, "token " + token + " is not a special token");
            return Marshalling.FromUtf8(data, len);
        }

        /// <summary>True if <paramref name="token"/> is a special (control) token.</summary>
        public static bool IsSpecial(uint token)
        {
            return Native.harmony_token_is_special(token) != 0;
        }

        private static string JsonOf(Conversation conversation)
        {
            if (conversation == null) throw new ArgumentNullException(nameof(conversation));
            return conversation.ToJson();
        }
    }
}
