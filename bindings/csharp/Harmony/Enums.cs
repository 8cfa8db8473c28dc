using System;

namespace LibHarmony
{
    /// <summary>Message author roles (`harmony_role`), with the C API's numeric values.</summary>
    public enum Role
    {
        /// <summary>`user`</summary>
        User = 0,
        /// <summary>`assistant`</summary>
        Assistant = 1,
        /// <summary>`system`</summary>
        System = 2,
        /// <summary>`developer`</summary>
        Developer = 3,
        /// <summary>`tool`</summary>
        Tool = 4,
    }

    /// <summary>What <see cref="HarmonyEncoding.TryRenderInto"/> renders (`harmony_render_mode`).</summary>
    public enum RenderMode
    {
        /// <summary>The conversation, then `&lt;|start|&gt;` and the next role: the prompt for sampling.</summary>
        Completion = 0,
        /// <summary>The conversation only.</summary>
        Conversation = 1,
        /// <summary>The conversation for training (a trailing final assistant message ends in `&lt;|return|&gt;`).</summary>
        Training = 2,
        /// <summary>One message (the JSON is a message object, not a conversation).</summary>
        Message = 3,
    }

    /// <summary>Render options (`HARMONY_RENDER_*`).</summary>
    [Flags]
    public enum RenderFlags : uint
    {
        /// <summary>Defaults: analysis messages are dropped as gpt-oss expects.</summary>
        None = 0,
        /// <summary>Keep analysis messages that would otherwise be dropped (turns auto_drop_analysis off).</summary>
        KeepAnalysis = 1,
        /// <summary>Message mode: the conversation declares function tools.</summary>
        HasFunctionTools = 2,
    }

    /// <summary>Parse options (`HARMONY_PARSE_*`).</summary>
    [Flags]
    public enum ParseFlags : uint
    {
        /// <summary>Strict parsing, exactly as openai-harmony 0.0.8.</summary>
        None = 0,
        /// <summary>Lenient parsing: a stop token inside the first header is recovered.</summary>
        Lenient = 1,
        /// <summary>Read `&lt;|channel|&gt;final &lt;|constrain|&gt;json` as a content type, not a recipient.</summary>
        FixConstrainRecipient = 2,
        /// <summary>Recover mode: never fail on model output (`HARMONY_PARSE_RECOVER`; implies FixConstrainRecipient).</summary>
        Recover = 4,
        /// <summary>Keep each message's exact tokens (`"tokens"` in the messages JSON,
        /// `HARMONY_PARSE_KEEP_TOKENS`): rendering that JSON again writes them verbatim (KV-cache
        /// reuse). The typed messages do not carry them: use the JSON APIs.</summary>
        KeepTokens = 8,
    }

    /// <summary>State of a <see cref="StreamParser"/> (`harmony_stream_state`).</summary>
    public enum StreamState
    {
        /// <summary>Waiting for `&lt;|start|&gt;`.</summary>
        ExpectStart = 0,
        /// <summary>Inside a header, before `&lt;|message|&gt;`.</summary>
        Header = 1,
        /// <summary>Inside content, before a stop token.</summary>
        Content = 2,
    }

    /// <summary>Ids of the Harmony control tokens (the `HARMONY_TOKEN_*` macros).</summary>
    public static class HarmonyTokens
    {
        /// <summary>`&lt;|start|&gt;`</summary>
        public const uint Start = 200006;
        /// <summary>`&lt;|end|&gt;`</summary>
        public const uint End = 200007;
        /// <summary>`&lt;|message|&gt;`</summary>
        public const uint Message = 200008;
        /// <summary>`&lt;|channel|&gt;`</summary>
        public const uint Channel = 200005;
        /// <summary>`&lt;|constrain|&gt;`</summary>
        public const uint Constrain = 200003;
        /// <summary>`&lt;|return|&gt;`</summary>
        public const uint Return = 200002;
        /// <summary>`&lt;|call|&gt;`</summary>
        public const uint Call = 200012;
        /// <summary>Number of token ids (valid ids are 0 .. VocabSize - 1).</summary>
        public const uint VocabSize = 201089;
    }
}
