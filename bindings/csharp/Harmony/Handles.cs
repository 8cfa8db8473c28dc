// One SafeHandle per native handle: the runtime keeps each alive while a call uses it and
// releases it exactly once, even when the owner forgets to call Dispose.
using System;
using System.Runtime.InteropServices;

namespace LibHarmony
{
    /// <summary>Owns a `const harmony_encoding *`; released with harmony_encoding_free.</summary>
    internal sealed class EncodingHandle : SafeHandle
    {
        public EncodingHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.harmony_encoding_free(handle);
            return true;
        }
    }

    /// <summary>Owns a `harmony_parser *`; released with harmony_parser_free.</summary>
    internal sealed class ParserHandle : SafeHandle
    {
        public ParserHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.harmony_parser_free(handle);
            return true;
        }
    }

    /// <summary>Owns a `harmony_chat_stream *`; released with harmony_chat_stream_free.</summary>
    internal sealed class ChatStreamHandle : SafeHandle
    {
        public ChatStreamHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.harmony_chat_stream_free(handle);
            return true;
        }
    }
}
