// P/Invoke declarations of harmony.h. Every native call of the wrapper goes through this class.
// Text crosses the boundary as UTF-8 byte arrays with an explicit length; nothing uses the
// platform's default string marshalling.
using System;
using System.Runtime.InteropServices;

namespace LibHarmony
{
    /// <summary>`harmony_tokens`: a library-allocated token array, freed with harmony_tokens_free.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeTokens
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    /// <summary>`harmony_string`: library-allocated UTF-8, freed with harmony_string_free.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeString
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    /// <summary>`harmony_view`: borrowed UTF-8 bytes inside a library object (NULL: absent).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeView
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    /// <summary>`harmony_parser_event`, filled by harmony_parser_step.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeParserEvent
    {
        public uint Flags;
        public int State;
        public int Role;
        public NativeView Delta;
        public NativeView Channel;
        public NativeView Recipient;
        public NativeView ContentType;
        public UIntPtr MessageCount;
    }

    /// <summary>`harmony_message_view`, filled by harmony_parser_message.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeMessageView
    {
        public int Role;
        public NativeView Name;
        public NativeView Channel;
        public NativeView Recipient;
        public NativeView ContentType;
        public NativeView Content;
    }

    internal static partial class Native
    {
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_step(IntPtr parser, uint token, out NativeParserEvent ev, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_step_eos(IntPtr parser, out NativeParserEvent ev, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_message(IntPtr parser, UIntPtr index, out NativeMessageView m, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_json_validate(byte[] json, UIntPtr len, out IntPtr err);

        private const string Lib = "harmony";

        // Render modes (harmony_render_mode).
        internal const int ModeCompletion = 0;
        internal const int ModeConversation = 1;
        internal const int ModeTraining = 2;
        internal const int ModeMessage = 3;

        internal const int RoleNone = -1;
        internal const uint EncodeAllowSpecial = 1;
        internal const uint DecodeLossy = 1;

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr harmony_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_encoding_new(byte[] name, out EncodingHandle handle, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_encoding_free(IntPtr encoding);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_render(EncodingHandle encoding, int mode, byte[] json, UIntPtr jsonLen,
            int nextRole, uint flags, out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_render_into(EncodingHandle encoding, int mode, byte[] json, UIntPtr jsonLen,
            int nextRole, uint flags, [Out] uint[] buf, UIntPtr cap, out UIntPtr outLen, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parse(EncodingHandle encoding, uint[] tokens, UIntPtr n, int role, uint flags,
            out NativeString json, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_encode(EncodingHandle encoding, byte[] text, UIntPtr len, uint flags,
            out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_new_continuing(EncodingHandle encoding, byte[] header, UIntPtr headerLen,
            uint flags, out ParserHandle parser, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_force_answer(ParserHandle parser, byte[] function, UIntPtr functionLen,
            out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_chat_stream_force_answer(ChatStreamHandle stream, byte[] function, UIntPtr functionLen,
            out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_encode_allowed(EncodingHandle encoding, byte[] text, UIntPtr len,
            uint[] allowed, UIntPtr allowedLen, out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_encode_into(EncodingHandle encoding, byte[] text, UIntPtr len, uint flags,
            [Out] uint[] buf, UIntPtr cap, out UIntPtr outLen, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_decode(EncodingHandle encoding, uint[] tokens, UIntPtr n, uint flags,
            out NativeString text, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_decode_into(EncodingHandle encoding, uint[] tokens, UIntPtr n, uint flags,
            [Out] byte[] buf, UIntPtr cap, out UIntPtr outLen, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_stop_tokens(EncodingHandle encoding, int forAssistantActions,
            out IntPtr tokens, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_special_token_id(byte[] name, UIntPtr len, out uint token);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_special_token_name(uint token, out IntPtr name, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int harmony_token_is_special(uint token);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_tokens_free(ref NativeTokens tokens);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_string_free(ref NativeString text);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_error_status(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr harmony_error_message(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_error_free(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr harmony_status_name(int status);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_new(EncodingHandle encoding, int role, uint flags,
            out ParserHandle parser, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_parser_free(IntPtr parser);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_process(ParserHandle parser, uint token, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_process_tokens(ParserHandle parser, uint[] tokens, UIntPtr n,
            out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_process_eos(ParserHandle parser, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int harmony_parser_state(ParserHandle parser);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int harmony_parser_current_role(ParserHandle parser);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr harmony_parser_message_count(ParserHandle parser);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_messages_json(ParserHandle parser, out NativeString json,
            out IntPtr err);

        // The borrowed accessors take the raw pointer: the caller holds a reference on the
        // ParserHandle (DangerousAddRef) until it has copied the borrowed bytes.
        internal delegate HarmonyStatus BorrowedText(IntPtr parser, out IntPtr data, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_last_delta(IntPtr parser, out IntPtr data, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_current_content(IntPtr parser, out IntPtr data, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_current_channel(IntPtr parser, out IntPtr data, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_current_recipient(IntPtr parser, out IntPtr data, out UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_parser_current_content_type(IntPtr parser, out IntPtr data,
            out UIntPtr len);

        // The Chat Completions bridge. `options` is a UTF-8 JSON object, or null with length 0 for
        // the library's defaults.

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_chat_render(EncodingHandle encoding, byte[] request, UIntPtr requestLen,
            byte[] options, UIntPtr optionsLen, out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_chat_parse(EncodingHandle encoding, uint[] tokens, UIntPtr n,
            byte[] options, UIntPtr optionsLen, out NativeString json, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_chat_stream_new(EncodingHandle encoding, byte[] options, UIntPtr optionsLen,
            out ChatStreamHandle stream, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_chat_stream_process(ChatStreamHandle stream, uint token,
            out NativeString chunk, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_chat_stream_finish(ChatStreamHandle stream, out NativeString chunk,
            out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_chat_stream_free(IntPtr stream);

        // The Responses API bridge (options as for the Chat bridge).

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_responses_render(EncodingHandle encoding, byte[] request,
            UIntPtr requestLen, byte[] options, UIntPtr optionsLen, out NativeTokens tokens, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_responses_parse(EncodingHandle encoding, uint[] tokens, UIntPtr n,
            byte[] options, UIntPtr optionsLen, out NativeString json, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_responses_stream_new(EncodingHandle encoding, byte[] options,
            UIntPtr optionsLen, out ResponsesStreamHandle stream, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_responses_stream_process(ResponsesStreamHandle stream, uint token,
            out NativeString events, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern HarmonyStatus harmony_responses_stream_finish(ResponsesStreamHandle stream,
            out NativeString events, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void harmony_responses_stream_free(IntPtr stream);
    }
}
