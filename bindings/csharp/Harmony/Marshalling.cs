// Conversions between .NET values and the C ABI's buffers and error objects.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace LibHarmony
{
    internal static class Marshalling
    {
        // Strict: an unpaired surrogate in a .NET string is an error, not a silent U+FFFD.
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>UTF-8 bytes of <paramref name="text"/>; <paramref name="what"/> names it in errors.</summary>
        internal static byte[] ToUtf8(string text, string what)
        {
            if (text == null) throw new ArgumentNullException(what);
            try
            {
                return StrictUtf8.GetBytes(text);
            }
            catch (EncoderFallbackException e)
            {
                throw new HarmonyException(HarmonyStatus.InvalidUtf8,
                    what + ": unpaired surrogate at index " + e.Index + " cannot be encoded as UTF-8");
            }
        }

        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/> (for `const char *` parameters).</summary>
        internal static byte[] ToUtf8Z(string text, string what)
        {
            byte[] bytes = ToUtf8(text, what);
            byte[] z = new byte[bytes.Length + 1];
            Buffer.BlockCopy(bytes, 0, z, 0, bytes.Length);
            return z;
        }

        internal static UIntPtr Len(Array a)
        {
            return a == null ? UIntPtr.Zero : new UIntPtr((uint)a.Length);
        }

        internal static int ToInt(UIntPtr n)
        {
            ulong v = n.ToUInt64();
            if (v > int.MaxValue) throw new OverflowException("native length " + v + " exceeds a .NET array");
            return (int)v;
        }

        /// <summary>Decodes <paramref name="len"/> bytes of UTF-8 at <paramref name="data"/>; NULL gives null.</summary>
        internal static string FromUtf8(IntPtr data, UIntPtr len)
        {
            if (data == IntPtr.Zero) return null;
            int n = ToInt(len);
            if (n == 0) return string.Empty;
            byte[] bytes = new byte[n];
            Marshal.Copy(data, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string owned by the library.</summary>
        internal static string FromUtf8Z(IntPtr data)
        {
            if (data == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(data, n) != 0) n++;
            return FromUtf8(data, new UIntPtr((uint)n));
        }

        internal static uint[] CopyTokens(IntPtr data, UIntPtr len)
        {
            int n = ToInt(len);
            uint[] tokens = new uint[n];
            if (n == 0) return tokens;
            // Marshal.Copy has no uint[] overload: copy the same 32-bit values through int[].
            int[] raw = new int[n];
            Marshal.Copy(data, raw, 0, n);
            Buffer.BlockCopy(raw, 0, tokens, 0, n * sizeof(uint));
            return tokens;
        }

        /// <summary>Takes ownership of library-allocated tokens: copies them and frees the native array.</summary>
        internal static uint[] TakeTokens(ref NativeTokens tokens)
        {
            try
            {
                return CopyTokens(tokens.Data, tokens.Len);
            }
            finally
            {
                Native.harmony_tokens_free(ref tokens);
            }
        }

        /// <summary>Takes ownership of a library-allocated string: decodes it and frees the native copy.</summary>
        internal static string TakeString(ref NativeString text)
        {
            try
            {
                return FromUtf8(text.Data, text.Len) ?? string.Empty;
            }
            finally
            {
                Native.harmony_string_free(ref text);
            }
        }

        /// <summary>Like <see cref="TakeString"/> for a result that may be absent: null when the library returned `{NULL, 0}`.</summary>
        internal static string TakeOptionalString(ref NativeString text)
        {
            if (text.Data == IntPtr.Zero) return null;
            return TakeString(ref text);
        }

        /// <summary>
        /// Throws a <see cref="HarmonyException"/> when <paramref name="status"/> is a failure. The
        /// error object <paramref name="err"/> (which the caller received through `harmony_error **`)
        /// is always released, on success and failure alike.
        /// </summary>
        internal static void Check(HarmonyStatus status, IntPtr err)
        {
            if (err == IntPtr.Zero)
            {
                if (status != HarmonyStatus.Ok) throw new HarmonyException(status, StatusName(status));
                return;
            }
            HarmonyStatus errStatus;
            string message;
            try
            {
                errStatus = Native.harmony_error_status(err);
                message = FromUtf8Z(Native.harmony_error_message(err));
            }
            finally
            {
                Native.harmony_error_free(err);
            }
            if (status != HarmonyStatus.Ok) throw new HarmonyException(errStatus, message);
        }

        /// <summary>Throws for a failing status of a function that has no error object.</summary>
        internal static void Check(HarmonyStatus status, string what)
        {
            if (status != HarmonyStatus.Ok) throw new HarmonyException(status, what + ": " + StatusName(status));
        }

        internal static string StatusName(HarmonyStatus status)
        {
            return FromUtf8Z(Native.harmony_status_name((int)status));
        }
    }
}
