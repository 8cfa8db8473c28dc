using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LibHarmony
{
    /// <summary>
    /// Options of the OpenAI Chat Completions bridge (<see cref="HarmonyEncoding.ChatRender"/>,
    /// <see cref="HarmonyEncoding.ChatParse"/>, <see cref="ChatStream"/>), sent to the library as a
    /// JSON object. Members left null (or false) are not sent, so the library's defaults apply: no
    /// start date (unless the request has a `conversation_start_date` field), model `gpt-oss`, id
    /// `chatcmpl-harmony`, created 0, and openai-harmony 0.0.8's reading of `&lt;|constrain|&gt;`
    /// headers. Passing no options at all means all defaults.
    /// </summary>
    public sealed class ChatOptions
    {
        private long? _created;

        /// <summary>The `Current date:` of the system message (`YYYY-MM-DD`).</summary>
        [MaybeNull, AllowNull]
        public string ConversationStartDate { get; set; }

        /// <summary>The `model` of responses and chunks.</summary>
        [MaybeNull, AllowNull]
        public string Model { get; set; }

        /// <summary>The `id` of responses and chunks.</summary>
        [MaybeNull, AllowNull]
        public string Id { get; set; }

        /// <summary>The `created` of responses and chunks (seconds since the Unix epoch, not negative).</summary>
        /// <exception cref="ArgumentOutOfRangeException">A negative value.</exception>
        public long? Created
        {
            get { return _created; }
            set
            {
                if (value.HasValue && value.Value < 0)
                    throw new ArgumentOutOfRangeException(nameof(Created), value.Value, "created must not be negative");
                _created = value;
            }
        }

        /// <summary>
        /// Accepted and ignored: the bridge always reads `final &lt;|constrain|&gt;json` as a
        /// content type (the fix of openai/harmony PR #144).
        /// </summary>
        public bool FixConstrainRecipient { get; set; }

        /// <summary>The engine's own finish reason (`stop`, `length` or `content_filter`), for parsing.</summary>
        public string FinishReason { get; set; }

        /// <summary>Reproducible tool-call ids from this seed (default: random `call_` ids).</summary>
        public ulong? ToolCallIdSeed { get; set; }

        /// <summary>Tool-call ids PREFIX0, PREFIX1, ... (takes precedence over the seed).</summary>
        public string ToolCallIdPrefix { get; set; }

        /// <summary>The reasoning field: `reasoning_content` (the library's default) or `reasoning`.</summary>
        public string ReasoningField { get; set; }

        /// <summary>The request's `tool_choice` mode (`auto`, `none`, `required`), honoured on the output side.</summary>
        public string ToolChoice { get; set; }

        /// <summary>The request's `tool_choice` naming one function; takes precedence over <see cref="ToolChoice"/>.</summary>
        public string ToolChoiceFunction { get; set; }

        /// <summary>The request's `parallel_tool_calls` (false keeps only the first call).</summary>
        public bool? ParallelToolCalls { get; set; }

        /// <summary>The request the completion answers, as JSON text: its output-side fields
        /// (`tool_choice`, `parallel_tool_calls`, a last assistant message with `"prefix": true`
        /// that the completion continues) apply when parsing. Sent as is.</summary>
        [MaybeNull, AllowNull]
        public string Request { get; set; }

        /// <summary>The options as the library's JSON object.</summary>
        public string ToJson()
        {
            var w = new JsonWriter();
            w.BeginObject();
            w.OptionalString("conversation_start_date", ConversationStartDate);
            w.OptionalString("model", Model);
            w.OptionalString("id", Id);
            if (_created.HasValue) w.Name("created").Raw(_created.Value.ToString(CultureInfo.InvariantCulture));
            if (FixConstrainRecipient) w.Name("fix_constrain_recipient").Bool(true);
            w.OptionalString("finish_reason", FinishReason);
            if (ToolCallIdSeed.HasValue) w.Name("tool_call_id_seed").Raw(ToolCallIdSeed.Value.ToString(CultureInfo.InvariantCulture));
            w.OptionalString("tool_call_id_prefix", ToolCallIdPrefix);
            w.OptionalString("reasoning_field", ReasoningField);
            if (ToolChoiceFunction != null)
            {
                w.Name("tool_choice").BeginObject().Name("type").String("function")
                    .Name("function").BeginObject().Name("name").String(ToolChoiceFunction).EndObject().EndObject();
            }
            else
            {
                w.OptionalString("tool_choice", ToolChoice);
            }
            if (ParallelToolCalls.HasValue) w.Name("parallel_tool_calls").Bool(ParallelToolCalls.Value);
            if (Request != null) w.Name("request").Raw(Request);
            w.EndObject();
            return w.ToString();
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return ToJson();
        }

        /// <summary>UTF-8 JSON of <paramref name="options"/> for the C ABI; null (the library's defaults) for null.</summary>
        internal static byte[] Utf8Of(ChatOptions options)
        {
            return options == null ? null : Marshalling.ToUtf8(options.ToJson(), "options");
        }
    }
}
