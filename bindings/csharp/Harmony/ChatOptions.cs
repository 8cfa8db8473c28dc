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
        /// Parse `final &lt;|constrain|&gt;json` headers with the fix of openai/harmony PR #144, as
        /// <see cref="ParseFlags.FixConstrainRecipient"/> does.
        /// </summary>
        public bool FixConstrainRecipient { get; set; }

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
