using System;

namespace LibHarmony
{
    /// <summary>Result codes of the C API (`harmony_status`), with the same numeric values.</summary>
    public enum HarmonyStatus
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>An argument was out of range (unknown role, mode, flag or encoding name).</summary>
        InvalidArgument = 1,
        /// <summary>Input JSON did not parse or did not have the expected shape.</summary>
        InvalidJson = 2,
        /// <summary>Bytes that must be UTF-8 were not (or a string held an unpaired surrogate).</summary>
        InvalidUtf8 = 3,
        /// <summary>The conversation cannot be rendered (e.g. a tool message without a name).</summary>
        Render = 4,
        /// <summary>The tokens do not form valid Harmony messages.</summary>
        Parse = 5,
        /// <summary>A token id outside the vocabulary.</summary>
        UnknownToken = 6,
        /// <summary>The caller's buffer is too small.</summary>
        BufferTooSmall = 7,
        /// <summary>Input larger or deeper than the documented limits.</summary>
        LimitExceeded = 8,
        /// <summary>An internal bug was caught at the boundary; the library remains usable.</summary>
        Panic = 9,
    }

    /// <summary>A failure reported by libharmony: its status and the library's message.</summary>
    [Serializable]
    public class HarmonyException : Exception
    {
        /// <summary>Creates an exception with a status and message.</summary>
        public HarmonyException(HarmonyStatus status, string message) : base(message)
        {
            Status = status;
        }

        /// <summary>The library's status code.</summary>
        public HarmonyStatus Status { get; private set; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return "HarmonyException(" + Status + "): " + base.ToString();
        }
    }
}
