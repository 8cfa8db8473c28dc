// The conversation data model and its wire format (openai-harmony's JSON): `role`/`name` at the
// top level of a message, optional fields omitted when absent, `content` a plain string when it
// is exactly one text part and a list of typed parts otherwise. These classes only translate
// types; every Harmony decision is made by the native library.
using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Text;

namespace LibHarmony
{
    /// <summary>One Harmony message.</summary>
    public sealed class Message
    {
        private readonly List<MessageContent> _content = new List<MessageContent>();

        /// <summary>A message from <paramref name="role"/> with one text part.</summary>
        public Message(Role role, string text)
        {
            Role = role;
            _content.Add(new TextContent(text));
        }

        /// <summary>A message from <paramref name="role"/> with these content parts.</summary>
        public Message(Role role, params MessageContent[] content)
        {
            Role = role;
            if (content != null) _content.AddRange(content);
        }

        /// <summary>The author's role.</summary>
        public Role Role { get; set; }

        /// <summary>The author's name (required for tool messages), or null.</summary>
        [MaybeNull, AllowNull]
        public string Name { get; set; }

        /// <summary>Who the message is addressed to (e.g. `functions.get_weather`), or null.</summary>
        [MaybeNull, AllowNull]
        public string Recipient { get; set; }

        /// <summary>The channel (`analysis`, `commentary`, `final`), or null.</summary>
        [MaybeNull, AllowNull]
        public string Channel { get; set; }

        /// <summary>The content type (e.g. `&lt;|constrain|&gt;json`), or null.</summary>
        [MaybeNull, AllowNull]
        public string ContentType { get; set; }

        /// <summary>The content parts.</summary>
        public IList<MessageContent> Content
        {
            get { return _content; }
        }

        /// <summary>The text of all text parts, concatenated.</summary>
        public string Text
        {
            get
            {
                var sb = new StringBuilder();
                foreach (MessageContent part in _content)
                {
                    var t = part as TextContent;
                    if (t != null) sb.Append(t.Text);
                }
                return sb.ToString();
            }
        }

        /// <summary>Sets <see cref="Name"/> and returns this message.</summary>
        public Message WithName(string name)
        {
            Name = name;
            return this;
        }

        /// <summary>Sets <see cref="Recipient"/> and returns this message.</summary>
        public Message WithRecipient(string recipient)
        {
            Recipient = recipient;
            return this;
        }

        /// <summary>Sets <see cref="Channel"/> and returns this message.</summary>
        public Message WithChannel(string channel)
        {
            Channel = channel;
            return this;
        }

        /// <summary>Sets <see cref="ContentType"/> and returns this message.</summary>
        public Message WithContentType(string contentType)
        {
            ContentType = contentType;
            return this;
        }

        /// <summary>The message in the wire format.</summary>
        public string ToJson()
        {
            var w = new JsonWriter();
            Write(w);
            return w.ToString();
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return ToJson();
        }

        /// <summary>Parses one message from wire-format JSON.</summary>
        /// <exception cref="HarmonyException">Malformed JSON or shape (<see cref="HarmonyStatus.InvalidJson"/>).</exception>
        public static Message FromJson(string json)
        {
            return Read(JsonValue.Parse(json), "message");
        }

        /// <summary>Parses a JSON array of messages, as returned by the library.</summary>
        /// <exception cref="HarmonyException">Malformed JSON or shape (<see cref="HarmonyStatus.InvalidJson"/>).</exception>
        public static IReadOnlyList<Message> ListFromJson(string json)
        {
            return ReadList(JsonValue.Parse(json), "messages");
        }

        /// <summary>A JSON array of messages in the wire format (the library's format for parse results).</summary>
        public static string ListToJson(IEnumerable<Message> messages)
        {
            if (messages == null) throw new ArgumentNullException(nameof(messages));
            var w = new JsonWriter();
            w.BeginArray();
            foreach (Message m in messages) m.Write(w);
            w.EndArray();
            return w.ToString();
        }

        internal void Write(JsonWriter w)
        {
            w.BeginObject();
            w.Name("role").String(RoleNames.ToWire(Role));
            w.OptionalString("name", Name);
            w.OptionalString("recipient", Recipient);
            w.Name("content");
            if (_content.Count == 1 && _content[0] is TextContent)
            {
                w.String(((TextContent)_content[0]).Text ?? string.Empty);
            }
            else
            {
                w.BeginArray();
                foreach (MessageContent part in _content)
                {
                    if (part == null) throw new ArgumentException("message content contains null");
                    part.Write(w);
                }
                w.EndArray();
            }
            w.OptionalString("channel", Channel);
            w.OptionalString("content_type", ContentType);
            w.EndObject();
        }

        internal static IReadOnlyList<Message> ReadList(JsonValue v, string path)
        {
            if (v.Kind != JsonKind.Array) throw Wire.Error(path, "expected an array of messages");
            var list = new List<Message>(v.Items.Count);
            for (int i = 0; i < v.Items.Count; i++) list.Add(Read(v.Items[i], path + "[" + i + "]"));
            return list.AsReadOnly();
        }

        internal static Message Read(JsonValue v, string path)
        {
            Wire.ExpectObject(v, path);
            string roleName = Wire.RequiredString(v, "role", path);
            Role role;
            if (!RoleNames.TryParse(roleName, out role)) throw Wire.Error(path + ".role", "unknown role `" + roleName + "`");
            var m = new Message(role)
            {
                Name = Wire.OptionalString(v, "name", path),
                Recipient = Wire.OptionalString(v, "recipient", path),
                Channel = Wire.OptionalString(v, "channel", path),
                ContentType = Wire.OptionalString(v, "content_type", path),
            };
            JsonValue content = v.Get("content");
            if (content == null) throw Wire.Error(path, "missing field `content`");
            if (content.Kind == JsonKind.String)
            {
                m._content.Add(new TextContent(content.Text));
            }
            else if (content.Kind == JsonKind.Array)
            {
                for (int i = 0; i < content.Items.Count; i++)
                    m._content.Add(MessageContent.Read(content.Items[i], path + ".content[" + i + "]"));
            }
            else
            {
                throw Wire.Error(path + ".content", "expected a string or a list of content parts");
            }
            return m;
        }
    }

    /// <summary>A list of messages.</summary>
    public sealed class Conversation
    {
        private readonly List<Message> _messages = new List<Message>();

        /// <summary>A conversation of these messages.</summary>
        public Conversation(params Message[] messages) : this((IEnumerable<Message>)messages)
        {
        }

        /// <summary>A conversation of these messages.</summary>
        public Conversation(IEnumerable<Message> messages)
        {
            if (messages != null) _messages.AddRange(messages);
        }

        /// <summary>The messages, in order.</summary>
        public IList<Message> Messages
        {
            get { return _messages; }
        }

        /// <summary>The conversation in the wire format (`{"messages":[...]}`).</summary>
        public string ToJson()
        {
            var w = new JsonWriter();
            w.BeginObject().Name("messages").BeginArray();
            foreach (Message m in _messages)
            {
                if (m == null) throw new ArgumentException("conversation contains a null message");
                m.Write(w);
            }
            w.EndArray().EndObject();
            return w.ToString();
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return ToJson();
        }

        /// <summary>Parses a conversation from wire-format JSON.</summary>
        /// <exception cref="HarmonyException">Malformed JSON or shape (<see cref="HarmonyStatus.InvalidJson"/>).</exception>
        public static Conversation FromJson(string json)
        {
            JsonValue v = JsonValue.Parse(json);
            Wire.ExpectObject(v, "conversation");
            JsonValue messages = v.Get("messages");
            if (messages == null) throw Wire.Error("conversation", "missing field `messages`");
            return new Conversation(Message.ReadList(messages, "messages"));
        }
    }

    /// <summary>One part of a message's content: <see cref="TextContent"/>, <see cref="SystemContent"/> or <see cref="DeveloperContent"/>.</summary>
    public abstract class MessageContent
    {
        internal MessageContent()
        {
        }

        internal abstract void Write(JsonWriter w);

        internal static MessageContent Read(JsonValue v, string path)
        {
            Wire.ExpectObject(v, path);
            string type = Wire.RequiredString(v, "type", path);
            switch (type)
            {
                case "text":
                    return new TextContent(Wire.RequiredString(v, "text", path));
                case "system_content":
                    return SystemContent.ReadBody(v, path);
                case "developer_content":
                    return DeveloperContent.ReadBody(v, path);
                default:
                    throw Wire.Error(path + ".type", "unknown content type `" + type + "`");
            }
        }
    }

    /// <summary>Plain text content.</summary>
    public sealed class TextContent : MessageContent
    {
        /// <summary>Text content.</summary>
        public TextContent(string text)
        {
            Text = text;
        }

        /// <summary>The text.</summary>
        public string Text { get; set; }

        internal override void Write(JsonWriter w)
        {
            w.BeginObject().Name("type").String("text").Name("text").String(Text ?? string.Empty).EndObject();
        }
    }

    /// <summary>Reasoning effort announced in the system message.</summary>
    public enum ReasoningEffort
    {
        /// <summary>`Low`</summary>
        Low,
        /// <summary>`Medium`</summary>
        Medium,
        /// <summary>`High`</summary>
        High,
    }

    /// <summary>Content of a system message. Every field is optional (null means absent).</summary>
    public sealed class SystemContent : MessageContent
    {
        /// <summary>The model's identity line.</summary>
        [MaybeNull, AllowNull]
        public string ModelIdentity { get; set; }

        /// <summary>The reasoning effort.</summary>
        public ReasoningEffort? ReasoningEffort { get; set; }

        /// <summary>Built-in tool namespaces (e.g. `browser`, `python`) by name.</summary>
        [MaybeNull, AllowNull]
        public IDictionary<string, ToolNamespaceConfig> Tools { get; set; }

        /// <summary>The conversation's start date, e.g. `2025-06-28`.</summary>
        [MaybeNull, AllowNull]
        public string ConversationStartDate { get; set; }

        /// <summary>The knowledge cutoff, e.g. `2024-06`.</summary>
        [MaybeNull, AllowNull]
        public string KnowledgeCutoff { get; set; }

        /// <summary>Which channels the model may write to.</summary>
        [MaybeNull, AllowNull]
        public ChannelConfig ChannelConfig { get; set; }

        internal override void Write(JsonWriter w)
        {
            w.BeginObject().Name("type").String("system_content");
            w.OptionalString("model_identity", ModelIdentity);
            if (ReasoningEffort.HasValue) w.Name("reasoning_effort").String(Wire.EffortName(ReasoningEffort.Value));
            Wire.WriteTools(w, Tools);
            w.OptionalString("conversation_start_date", ConversationStartDate);
            w.OptionalString("knowledge_cutoff", KnowledgeCutoff);
            if (ChannelConfig != null)
            {
                w.Name("channel_config").BeginObject().Name("valid_channels").BeginArray();
                if (ChannelConfig.ValidChannels != null)
                    foreach (string c in ChannelConfig.ValidChannels) w.String(c);
                w.EndArray().Name("channel_required").Bool(ChannelConfig.ChannelRequired).EndObject();
            }
            w.EndObject();
        }

        internal static SystemContent ReadBody(JsonValue v, string path)
        {
            var c = new SystemContent
            {
                ModelIdentity = Wire.OptionalString(v, "model_identity", path),
                ConversationStartDate = Wire.OptionalString(v, "conversation_start_date", path),
                KnowledgeCutoff = Wire.OptionalString(v, "knowledge_cutoff", path),
                Tools = Wire.ReadTools(v, path),
            };
            string effort = Wire.OptionalString(v, "reasoning_effort", path);
            if (effort != null) c.ReasoningEffort = Wire.ParseEffort(effort, path + ".reasoning_effort");
            JsonValue cc = v.Get("channel_config");
            if (cc != null && !cc.IsNull)
            {
                string ccPath = path + ".channel_config";
                Wire.ExpectObject(cc, ccPath);
                JsonValue channels = cc.Get("valid_channels");
                if (channels == null || channels.Kind != JsonKind.Array)
                    throw Wire.Error(ccPath, "`valid_channels` must be a list of strings");
                var list = new List<string>();
                foreach (JsonValue ch in channels.Items)
                {
                    if (ch.Kind != JsonKind.String) throw Wire.Error(ccPath + ".valid_channels", "expected a string");
                    list.Add(ch.Text);
                }
                JsonValue required = cc.Get("channel_required");
                if (required == null || required.Kind != JsonKind.Bool)
                    throw Wire.Error(ccPath, "`channel_required` must be a boolean");
                c.ChannelConfig = new ChannelConfig(list, required.Bool);
            }
            return c;
        }
    }

    /// <summary>Which channels the model may write to.</summary>
    public sealed class ChannelConfig
    {
        /// <summary>A channel configuration.</summary>
        public ChannelConfig(IEnumerable<string> validChannels, bool channelRequired)
        {
            ValidChannels = new List<string>(validChannels ?? new string[0]);
            ChannelRequired = channelRequired;
        }

        /// <summary>The channels, e.g. `analysis`, `commentary`, `final`.</summary>
        public IList<string> ValidChannels { get; private set; }

        /// <summary>Whether every assistant message must name a channel.</summary>
        public bool ChannelRequired { get; set; }
    }

    /// <summary>Content of a developer message: instructions and function tools.</summary>
    public sealed class DeveloperContent : MessageContent
    {
        /// <summary>The developer's instructions, or null.</summary>
        [MaybeNull, AllowNull]
        public string Instructions { get; set; }

        /// <summary>Tool namespaces (usually `functions`) by name, or null.</summary>
        [MaybeNull, AllowNull]
        public IDictionary<string, ToolNamespaceConfig> Tools { get; set; }

        internal override void Write(JsonWriter w)
        {
            w.BeginObject().Name("type").String("developer_content");
            w.OptionalString("instructions", Instructions);
            Wire.WriteTools(w, Tools);
            w.EndObject();
        }

        internal static DeveloperContent ReadBody(JsonValue v, string path)
        {
            return new DeveloperContent
            {
                Instructions = Wire.OptionalString(v, "instructions", path),
                Tools = Wire.ReadTools(v, path),
            };
        }
    }

    /// <summary>A namespace of tools (`functions`, `browser`, `python`, ...).</summary>
    public sealed class ToolNamespaceConfig
    {
        /// <summary>A namespace with these tools.</summary>
        public ToolNamespaceConfig(string name, [AllowNull] string description = null, [AllowNull] IEnumerable<ToolDescription> tools = null)
        {
            Name = name;
            Description = description;
            Tools = new List<ToolDescription>(tools ?? new ToolDescription[0]);
        }

        /// <summary>The namespace's name.</summary>
        [MaybeNull, AllowNull]
        public string Name { get; set; }

        /// <summary>The namespace's description, or null.</summary>
        [MaybeNull, AllowNull]
        public string Description { get; set; }

        /// <summary>The tools.</summary>
        public IList<ToolDescription> Tools { get; private set; }
    }

    /// <summary>One tool: a name, a description and optional JSON-Schema parameters.</summary>
    public sealed class ToolDescription
    {
        /// <summary>A tool; <paramref name="parameters"/> is a JSON Schema as JSON text, or null.</summary>
        public ToolDescription(string name, string description, [AllowNull] string parameters = null)
        {
            Name = name;
            Description = description;
            Parameters = parameters;
        }

        /// <summary>The tool's name.</summary>
        [MaybeNull, AllowNull]
        public string Name { get; set; }

        /// <summary>What the tool does.</summary>
        [MaybeNull, AllowNull]
        public string Description { get; set; }

        /// <summary>
        /// The parameters' JSON Schema as raw JSON text, or null. It is inserted verbatim once the
        /// library has checked that it is exactly one JSON value; anything else (such as text that
        /// closes the object early and declares another tool) throws a HarmonyException with
        /// <see cref="HarmonyStatus.InvalidJson"/> when the conversation is serialised.
        /// </summary>
        [MaybeNull, AllowNull]
        public string Parameters { get; set; }

        /// <summary>`json` if the library finds it to be exactly one JSON value, else throws.</summary>
        internal static string CheckedRaw(string json, string ns, string tool)
        {
            byte[] bytes = Marshalling.ToUtf8(json, "parameters");
            IntPtr err;
            HarmonyStatus st = Native.harmony_json_validate(bytes, Marshalling.Len(bytes), out err);
            if (st == HarmonyStatus.Ok) return json;
            string message = Marshalling.FromUtf8Z(Native.harmony_error_message(err));
            Native.harmony_error_free(err);
            throw new HarmonyException(st, "tools." + ns + " tool `" + tool + "`: parameters: " + message);
        }
    }

    /// <summary>Role names of the wire format.</summary>
    internal static class RoleNames
    {
        private static readonly string[] Names = { "user", "assistant", "system", "developer", "tool" };

        public static string ToWire(Role role)
        {
            int i = (int)role;
            if (i < 0 || i >= Names.Length) throw new HarmonyException(HarmonyStatus.InvalidArgument, "unknown role " + i);
            return Names[i];
        }

        public static bool TryParse(string name, out Role role)
        {
            int i = Array.IndexOf(Names, name);
            role = (Role)Math.Max(i, 0);
            return i >= 0;
        }
    }

    /// <summary>Helpers for reading and writing the typed wire format.</summary>
    internal static class Wire
    {
        public static HarmonyException Error(string path, string what)
        {
            return new HarmonyException(HarmonyStatus.InvalidJson, path + ": " + what);
        }

        public static void ExpectObject(JsonValue v, string path)
        {
            if (v.Kind != JsonKind.Object) throw Error(path, "expected an object");
        }

        public static string RequiredString(JsonValue v, string key, string path)
        {
            JsonValue f = v.Get(key);
            if (f == null) throw Error(path, "missing field `" + key + "`");
            if (f.Kind != JsonKind.String) throw Error(path + "." + key, "expected a string");
            return f.Text;
        }

        public static string OptionalString(JsonValue v, string key, string path)
        {
            JsonValue f = v.Get(key);
            if (f == null || f.IsNull) return null;
            if (f.Kind != JsonKind.String) throw Error(path + "." + key, "expected a string");
            return f.Text;
        }

        public static string EffortName(ReasoningEffort effort)
        {
            switch (effort)
            {
                case LibHarmony.ReasoningEffort.Low: return "Low";
                case LibHarmony.ReasoningEffort.Medium: return "Medium";
                case LibHarmony.ReasoningEffort.High: return "High";
                default: throw new HarmonyException(HarmonyStatus.InvalidArgument, "unknown reasoning effort " + (int)effort);
            }
        }

        public static ReasoningEffort ParseEffort(string name, string path)
        {
            switch (name)
            {
                case "Low": return ReasoningEffort.Low;
                case "Medium": return ReasoningEffort.Medium;
                case "High": return ReasoningEffort.High;
                default: throw Error(path, "unknown reasoning effort `" + name + "`");
            }
        }

        // Namespaces are written in ordinal key order, as the library (a BTreeMap) keeps them.
        public static void WriteTools(JsonWriter w, IDictionary<string, ToolNamespaceConfig> tools)
        {
            if (tools == null) return;
            var keys = new List<string>(tools.Keys);
            keys.Sort(string.CompareOrdinal);
            w.Name("tools").BeginObject();
            foreach (string key in keys)
            {
                ToolNamespaceConfig ns = tools[key];
                if (ns == null) throw new ArgumentException("tool namespace `" + key + "` is null");
                w.Name(key).BeginObject().Name("name").String(ns.Name);
                w.OptionalString("description", ns.Description);
                w.Name("tools").BeginArray();
                foreach (ToolDescription t in ns.Tools)
                {
                    w.BeginObject().Name("name").String(t.Name).Name("description").String(t.Description);
                    if (t.Parameters != null) w.Name("parameters").Raw(ToolDescription.CheckedRaw(t.Parameters, key, t.Name));
                    w.EndObject();
                }
                w.EndArray().EndObject();
            }
            w.EndObject();
        }

        public static IDictionary<string, ToolNamespaceConfig> ReadTools(JsonValue v, string path)
        {
            JsonValue tools = v.Get("tools");
            if (tools == null || tools.IsNull) return null;
            path += ".tools";
            ExpectObject(tools, path);
            var result = new Dictionary<string, ToolNamespaceConfig>();
            foreach (KeyValuePair<string, JsonValue> m in tools.Members)
            {
                string nsPath = path + "." + m.Key;
                ExpectObject(m.Value, nsPath);
                var ns = new ToolNamespaceConfig(RequiredString(m.Value, "name", nsPath),
                    OptionalString(m.Value, "description", nsPath));
                JsonValue list = m.Value.Get("tools");
                if (list == null || list.Kind != JsonKind.Array) throw Error(nsPath, "`tools` must be a list");
                for (int i = 0; i < list.Items.Count; i++)
                {
                    JsonValue t = list.Items[i];
                    string tPath = nsPath + ".tools[" + i + "]";
                    ExpectObject(t, tPath);
                    JsonValue p = t.Get("parameters");
                    ns.Tools.Add(new ToolDescription(RequiredString(t, "name", tPath), RequiredString(t, "description", tPath),
                        p == null || p.IsNull ? null : p.Serialize()));
                }
                result[m.Key] = ns;
            }
            return result;
        }
    }
}
