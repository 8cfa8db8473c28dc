// A small JSON reader and writer: netstandard2.0 has no built-in JSON. The writer escapes
// exactly as serde_json does, so messages read from the library serialise back byte for byte.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace LibHarmony
{
    internal enum JsonKind
    {
        Null,
        Bool,
        Number,
        String,
        Array,
        Object,
    }

    /// <summary>A parsed JSON value. Numbers keep their lexeme; objects keep member order.</summary>
    internal sealed class JsonValue
    {
        private const int MaxDepth = 512;

        public JsonKind Kind;
        public bool Bool;
        public string Text; // string value, or the number's lexeme
        public List<JsonValue> Items;
        public List<KeyValuePair<string, JsonValue>> Members;

        public bool IsNull
        {
            get { return Kind == JsonKind.Null; }
        }

        /// <summary>The member <paramref name="key"/> (the last one, as serde_json keeps), or null when absent.</summary>
        public JsonValue Get(string key)
        {
            if (Members == null) return null;
            for (int i = Members.Count - 1; i >= 0; i--)
                if (Members[i].Key == key) return Members[i].Value;
            return null;
        }

        public long AsLong()
        {
            if (Kind != JsonKind.Number) throw new InvalidOperationException("not a number: " + Kind);
            return long.Parse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        /// <summary>Parses one JSON document (RFC 8259); throws <see cref="HarmonyException"/> with <see cref="HarmonyStatus.InvalidJson"/>.</summary>
        public static JsonValue Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var r = new Reader(text);
            r.SkipWhitespace();
            JsonValue v = r.ReadValue(0);
            r.SkipWhitespace();
            if (r.Pos != text.Length) r.Fail("trailing characters after the JSON value");
            return v;
        }

        /// <summary>Compact JSON of this value (numbers as read).</summary>
        public string Serialize()
        {
            var w = new JsonWriter();
            w.Value(this);
            return w.ToString();
        }

        private sealed class Reader
        {
            private readonly string _s;
            public int Pos;

            public Reader(string s)
            {
                _s = s;
            }

            public void Fail(string what)
            {
                throw new HarmonyException(HarmonyStatus.InvalidJson, "invalid JSON at offset " + Pos + ": " + what);
            }

            public void SkipWhitespace()
            {
                while (Pos < _s.Length)
                {
                    char c = _s[Pos];
                    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
                    Pos++;
                }
            }

            private char Peek()
            {
                if (Pos >= _s.Length) Fail("unexpected end of input");
                return _s[Pos];
            }

            private void Expect(char c)
            {
                if (Peek() != c) Fail("expected '" + c + "'");
                Pos++;
            }

            private void Literal(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) Fail("invalid literal");
                Pos += word.Length;
            }

            public JsonValue ReadValue(int depth)
            {
                if (depth > MaxDepth) Fail("nesting deeper than " + MaxDepth);
                char c = Peek();
                switch (c)
                {
                    case '{':
                        return ReadObject(depth);
                    case '[':
                        return ReadArray(depth);
                    case '"':
                        return new JsonValue { Kind = JsonKind.String, Text = ReadString() };
                    case 't':
                        Literal("true");
                        return new JsonValue { Kind = JsonKind.Bool, Bool = true };
                    case 'f':
                        Literal("false");
                        return new JsonValue { Kind = JsonKind.Bool, Bool = false };
                    case 'n':
                        Literal("null");
                        return new JsonValue { Kind = JsonKind.Null };
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        Fail("unexpected character '" + c + "'");
                        return null;
                }
            }

            private JsonValue ReadObject(int depth)
            {
                Expect('{');
                var v = new JsonValue { Kind = JsonKind.Object, Members = new List<KeyValuePair<string, JsonValue>>() };
                SkipWhitespace();
                if (Peek() == '}')
                {
                    Pos++;
                    return v;
                }
                while (true)
                {
                    SkipWhitespace();
                    if (Peek() != '"') Fail("expected a string key");
                    string key = ReadString();
                    SkipWhitespace();
                    Expect(':');
                    SkipWhitespace();
                    v.Members.Add(new KeyValuePair<string, JsonValue>(key, ReadValue(depth + 1)));
                    SkipWhitespace();
                    if (Peek() == ',')
                    {
                        Pos++;
                        continue;
                    }
                    Expect('}');
                    return v;
                }
            }

            private JsonValue ReadArray(int depth)
            {
                Expect('[');
                var v = new JsonValue { Kind = JsonKind.Array, Items = new List<JsonValue>() };
                SkipWhitespace();
                if (Peek() == ']')
                {
                    Pos++;
                    return v;
                }
                while (true)
                {
                    SkipWhitespace();
                    v.Items.Add(ReadValue(depth + 1));
                    SkipWhitespace();
                    if (Peek() == ',')
                    {
                        Pos++;
                        continue;
                    }
                    Expect(']');
                    return v;
                }
            }

            private JsonValue ReadNumber()
            {
                int start = Pos;
                if (_s[Pos] == '-') Pos++;
                if (Peek() == '0') Pos++;
                else Digits();
                if (Pos < _s.Length && _s[Pos] == '.')
                {
                    Pos++;
                    Digits();
                }
                if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
                {
                    Pos++;
                    if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-')) Pos++;
                    Digits();
                }
                return new JsonValue { Kind = JsonKind.Number, Text = _s.Substring(start, Pos - start) };
            }

            private void Digits()
            {
                int start = Pos;
                while (Pos < _s.Length && _s[Pos] >= '0' && _s[Pos] <= '9') Pos++;
                if (Pos == start) Fail("expected a digit");
            }

            private string ReadString()
            {
                Expect('"');
                StringBuilder sb = null;
                int run = Pos; // start of the current run of unescaped characters
                while (true)
                {
                    char c = Peek();
                    if (c == '"')
                    {
                        string tail = _s.Substring(run, Pos - run);
                        Pos++;
                        return sb == null ? tail : sb.Append(tail).ToString();
                    }
                    if (c < 0x20) Fail("control character in a string");
                    if (c != '\\')
                    {
                        Pos++;
                        continue;
                    }
                    if (sb == null) sb = new StringBuilder();
                    sb.Append(_s, run, Pos - run);
                    Pos++;
                    char e = Peek();
                    Pos++;
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            char u = Hex4();
                            if (char.IsHighSurrogate(u))
                            {
                                if (Pos + 1 < _s.Length && _s[Pos] == '\\' && _s[Pos + 1] == 'u')
                                {
                                    Pos += 2;
                                    char low = Hex4();
                                    if (!char.IsLowSurrogate(low)) Fail("unpaired surrogate in \\u escape");
                                    sb.Append(u).Append(low);
                                }
                                else
                                {
                                    Fail("unpaired surrogate in \\u escape");
                                }
                            }
                            else if (char.IsLowSurrogate(u))
                            {
                                Fail("unpaired surrogate in \\u escape");
                            }
                            else
                            {
                                sb.Append(u);
                            }
                            break;
                        default:
                            Pos--;
                            Fail("invalid escape '\\" + e + "'");
                            break;
                    }
                    run = Pos;
                }
            }

            private char Hex4()
            {
                if (Pos + 4 > _s.Length) Fail("truncated \\u escape");
                int v = 0;
                for (int i = 0; i < 4; i++)
                {
                    char h = _s[Pos + i];
                    int d = h >= '0' && h <= '9' ? h - '0'
                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10
                        : -1;
                    if (d < 0) Fail("invalid hex digit in \\u escape");
                    v = v * 16 + d;
                }
                Pos += 4;
                return (char)v;
            }
        }
    }

    /// <summary>Builds compact JSON; inserts commas itself.</summary>
    internal sealed class JsonWriter
    {
        private readonly StringBuilder _sb = new StringBuilder();
        private readonly Stack<bool> _first = new Stack<bool>(); // per open container: nothing written yet
        private bool _afterName;

        public override string ToString()
        {
            return _sb.ToString();
        }

        private void Separate()
        {
            if (_afterName)
            {
                _afterName = false;
                return;
            }
            if (_first.Count == 0) return;
            if (!_first.Peek()) _sb.Append(',');
            _first.Pop();
            _first.Push(false);
        }

        public JsonWriter BeginObject()
        {
            Separate();
            _sb.Append('{');
            _first.Push(true);
            return this;
        }

        public JsonWriter EndObject()
        {
            _first.Pop();
            _sb.Append('}');
            return this;
        }

        public JsonWriter BeginArray()
        {
            Separate();
            _sb.Append('[');
            _first.Push(true);
            return this;
        }

        public JsonWriter EndArray()
        {
            _first.Pop();
            _sb.Append(']');
            return this;
        }

        public JsonWriter Name(string name)
        {
            Separate();
            Escape(_sb, name);
            _sb.Append(':');
            _afterName = true;
            return this;
        }

        public JsonWriter String(string value)
        {
            Separate();
            if (value == null) _sb.Append("null");
            else Escape(_sb, value);
            return this;
        }

        public JsonWriter Bool(bool value)
        {
            Separate();
            _sb.Append(value ? "true" : "false");
            return this;
        }

        /// <summary>Writes already-serialised JSON as a value.</summary>
        public JsonWriter Raw(string json)
        {
            Separate();
            _sb.Append(json);
            return this;
        }

        /// <summary>Writes a member only when <paramref name="value"/> is not null.</summary>
        public JsonWriter OptionalString(string name, string value)
        {
            if (value != null) Name(name).String(value);
            return this;
        }

        public JsonWriter Value(JsonValue v)
        {
            switch (v.Kind)
            {
                case JsonKind.Null: return Raw("null");
                case JsonKind.Bool: return Bool(v.Bool);
                case JsonKind.Number: return Raw(v.Text);
                case JsonKind.String: return String(v.Text);
                case JsonKind.Array:
                    BeginArray();
                    foreach (JsonValue item in v.Items) Value(item);
                    return EndArray();
                default:
                    BeginObject();
                    foreach (KeyValuePair<string, JsonValue> m in v.Members) Name(m.Key).Value(m.Value);
                    return EndObject();
            }
        }

        private const string HexDigits = "0123456789abcdef";

        /// <summary>A JSON string literal escaped as serde_json does: short escapes, \u00xx for other controls, the rest verbatim.</summary>
        internal static void Escape(StringBuilder sb, string s)
        {
            sb.Append('"');
            int run = 0;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c >= 0x20 && c != '"' && c != '\\') continue;
                sb.Append(s, run, i - run);
                run = i + 1;
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        sb.Append("\\u00").Append(HexDigits[c >> 4]).Append(HexDigits[c & 0xF]);
                        break;
                }
            }
            sb.Append(s, run, s.Length - run);
            sb.Append('"');
        }
    }
}
