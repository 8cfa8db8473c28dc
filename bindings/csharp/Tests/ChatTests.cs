// The OpenAI Chat Completions bridge (ports of tests/chat_completions.rs): a request renders
// token for token like the equivalent hand-written Harmony conversation, completions parse
// into chat.completion responses, and the streamed chunks join to the same message.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class ChatTests
    {
        private const string Date = "2025-06-28";

        private const string WeatherSchema = "{\"type\":\"object\",\"properties\":{" +
            "\"location\":{\"type\":\"string\",\"description\":\"The city and state, e.g. San Francisco, CA\"}," +
            "\"format\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"],\"default\":\"celsius\"}}," +
            "\"required\":[\"location\"]}";

        private const string Hello = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}";

        private HarmonyEncoding _enc;

        [SetUp]
        public void SetUp()
        {
            _enc = new HarmonyEncoding();
        }

        [TearDown]
        public void TearDown()
        {
            _enc.Dispose();
        }

        private static ChatOptions Dated()
        {
            return new ChatOptions { ConversationStartDate = Date };
        }

        // The system message the bridge writes, in wire format.
        private static string SystemMessage(string effort)
        {
            return "{\"role\":\"system\",\"content\":[{\"type\":\"system_content\"," +
                   "\"model_identity\":\"You are ChatGPT, a large language model trained by OpenAI.\"," +
                   "\"reasoning_effort\":\"" + effort + "\",\"conversation_start_date\":\"" + Date + "\",\"knowledge_cutoff\":\"2024-06\"," +
                   "\"channel_config\":{\"valid_channels\":[\"analysis\",\"commentary\",\"final\"],\"channel_required\":true}}]}";
        }

        private uint[] Completion(string text)
        {
            return _enc.Encode(text, allowSpecial: true);
        }

        // ---- reading the JSON the library returns ----

        private static JsonValue Choice(string json)
        {
            JsonValue choices = JsonValue.Parse(json).Get("choices");
            Assert.IsNotNull(choices, json);
            Assert.AreEqual(1, choices.Items.Count, json);
            Assert.AreEqual("0", choices.Items[0].Get("index").Text, json);
            return choices.Items[0];
        }

        /// <summary>The string at a path of members; null when absent or JSON null.</summary>
        private static string Str(JsonValue v, params string[] path)
        {
            foreach (string key in path)
            {
                if (v == null || v.Kind != JsonKind.Object) return null;
                v = v.Get(key);
            }
            if (v == null || v.IsNull) return null;
            Assert.AreEqual(JsonKind.String, v.Kind, string.Join(".", path));
            return v.Text;
        }

        private static List<JsonValue> ToolCalls(JsonValue message)
        {
            JsonValue calls = message.Get("tool_calls");
            return calls == null ? null : calls.Items;
        }

        // ---- rendering ----

        [Test]
        public void RenderDeveloperAndUser()
        {
            string request = "{\"model\":\"gpt-oss-120b\",\"messages\":[" +
                             "{\"role\":\"developer\",\"content\":\"You are a helpful assistant.\"}," +
                             "{\"role\":\"user\",\"content\":\"Hello!\"}],\"temperature\":0.7,\"stream\":false}";
            string conv = "{\"messages\":[" + SystemMessage("Medium") + "," +
                          "{\"role\":\"developer\",\"content\":[{\"type\":\"developer_content\",\"instructions\":\"You are a helpful assistant.\"}]}," +
                          "{\"role\":\"user\",\"content\":\"Hello!\"}]}";
            CollectionAssert.AreEqual(_enc.RenderCompletion(conv), _enc.ChatRender(request, Dated()));
        }

        /// <summary>The function-calling flow of the harmony docs: a tool is declared, the assistant
        /// reasons and calls it, the tool answers, and the model is asked to continue.</summary>
        [Test]
        public void RenderToolCallingFlow()
        {
            string request = "{\"model\":\"gpt-oss-20b\",\"reasoning_effort\":\"low\"," +
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\"," +
                "\"description\":\"Gets the current weather in the provided location.\",\"parameters\":" + WeatherSchema + "}}]," +
                "\"tool_choice\":\"auto\",\"messages\":[" +
                "{\"role\":\"system\",\"content\":\"Always respond in riddles\"}," +
                "{\"role\":\"user\",\"content\":\"What is the weather like in SF?\"}," +
                "{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Need to use function get_current_weather.\"," +
                "\"tool_calls\":[{\"id\":\"call_abc\",\"type\":\"function\"," +
                "\"function\":{\"name\":\"get_current_weather\",\"arguments\":\"{\\\"location\\\":\\\"San Francisco\\\"}\"}}]}," +
                "{\"role\":\"tool\",\"tool_call_id\":\"call_abc\",\"content\":\"{\\\"sunny\\\": true, \\\"temperature\\\": 20}\"}]}";
            string conv = "{\"messages\":[" + SystemMessage("Low") + "," +
                "{\"role\":\"developer\",\"content\":[{\"type\":\"developer_content\",\"instructions\":\"Always respond in riddles\"," +
                "\"tools\":{\"functions\":{\"name\":\"functions\",\"tools\":[{\"name\":\"get_current_weather\"," +
                "\"description\":\"Gets the current weather in the provided location.\",\"parameters\":" + WeatherSchema + "}]}}}]}," +
                "{\"role\":\"user\",\"content\":\"What is the weather like in SF?\"}," +
                "{\"role\":\"assistant\",\"channel\":\"analysis\",\"content\":\"Need to use function get_current_weather.\"}," +
                "{\"role\":\"assistant\",\"channel\":\"commentary\",\"recipient\":\"functions.get_current_weather\"," +
                "\"content_type\":\"<|constrain|>json\",\"content\":\"{\\\"location\\\":\\\"San Francisco\\\"}\"}," +
                "{\"role\":\"tool\",\"name\":\"functions.get_current_weather\",\"recipient\":\"assistant\",\"channel\":\"commentary\"," +
                "\"content\":\"{\\\"sunny\\\": true, \\\"temperature\\\": 20}\"}]}";
            uint[] ours = _enc.ChatRender(request, Dated());
            CollectionAssert.AreEqual(_enc.RenderCompletion(conv), ours);
            string text = _enc.Decode(ours);
            StringAssert.Contains("Calls to these tools must go to the commentary channel: 'functions'.", text);
            StringAssert.EndsWith("<|start|>assistant", text);
        }

        /// <summary>The start date comes from the options, else from the request's extension field, never from the clock.</summary>
        [Test]
        public void RenderStartDate()
        {
            string withDate = "{\"conversation_start_date\":\"2024-01-02\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
            StringAssert.DoesNotContain("Current date:", _enc.Decode(_enc.ChatRender(Hello)));
            StringAssert.DoesNotContain("Current date:", _enc.Decode(_enc.ChatRender(Hello, new ChatOptions())));
            StringAssert.Contains("Current date: " + Date, _enc.Decode(_enc.ChatRender(Hello, Dated())));
            StringAssert.Contains("Current date: 2024-01-02", _enc.Decode(_enc.ChatRender(withDate)));
            StringAssert.Contains("Current date: " + Date, _enc.Decode(_enc.ChatRender(withDate, Dated())));
            // Named and positional null options are the defaults too.
            CollectionAssert.AreEqual(_enc.ChatRender(Hello), _enc.ChatRender(Hello, null));
            CollectionAssert.AreEqual(_enc.ChatRender(Hello), _enc.ChatRender(Hello, options: null));
        }

        [Test]
        public void OptionsJson()
        {
            Assert.AreEqual("{}", new ChatOptions().ToJson());
            var o = new ChatOptions
            {
                ConversationStartDate = Date, Model = "gpt-oss-20b", Id = "chatcmpl-\"1\"", Created = 1700000000,
                FixConstrainRecipient = true,
            };
            Assert.AreEqual("{\"conversation_start_date\":\"2025-06-28\",\"model\":\"gpt-oss-20b\",\"id\":\"chatcmpl-\\\"1\\\"\"," +
                            "\"created\":1700000000,\"fix_constrain_recipient\":true}", o.ToJson());
            Assert.AreEqual(o.ToJson(), o.ToString());
            Assert.Throws<ArgumentOutOfRangeException>(() => o.Created = -1);
            Assert.AreEqual(1700000000L, o.Created);
            o.Created = null;
            Assert.IsNull(o.Created);
        }

        // ---- parsing ----

        [Test]
        public void ParseReasoningAndAnswer()
        {
            uint[] c = Completion("<|channel|>analysis<|message|>User asks 2+2.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>");
            string json = _enc.ChatParse(c);
            JsonValue r = JsonValue.Parse(json);
            Assert.AreEqual("chat.completion", Str(r, "object"));
            Assert.AreEqual("chatcmpl-harmony", Str(r, "id"));
            Assert.AreEqual("gpt-oss", Str(r, "model"));
            Assert.AreEqual(0L, r.Get("created").AsLong());
            JsonValue choice = Choice(json);
            JsonValue m = choice.Get("message");
            Assert.AreEqual("assistant", Str(m, "role"));
            Assert.AreEqual("2 + 2 = 4.", Str(m, "content"));
            Assert.AreEqual("User asks 2+2.", Str(m, "reasoning_content"));
            Assert.IsNull(m.Get("tool_calls"));
            Assert.AreEqual("stop", Str(choice, "finish_reason"));

            // Options name the response.
            r = JsonValue.Parse(_enc.ChatParse(c, new ChatOptions { Model = "gpt-oss-20b", Id = "chatcmpl-9", Created = 1700000000 }));
            Assert.AreEqual("chatcmpl-9", Str(r, "id"));
            Assert.AreEqual("gpt-oss-20b", Str(r, "model"));
            Assert.AreEqual(1700000000L, r.Get("created").AsLong());
        }

        [Test]
        public void ParseToolCall()
        {
            // The docs' form puts the recipient after the channel.
            uint[] c = Completion("<|channel|>analysis<|message|>Need to use function get_current_weather.<|end|>" +
                                  "<|start|>assistant<|channel|>commentary to=functions.get_current_weather <|constrain|>json<|message|>" +
                                  "{\"location\":\"San Francisco\"}<|call|>");
            string json = _enc.ChatParse(c);
            JsonValue choice = Choice(json);
            JsonValue m = choice.Get("message");
            Assert.IsTrue(m.Get("content").IsNull, json);
            Assert.AreEqual("Need to use function get_current_weather.", Str(m, "reasoning_content"));
            List<JsonValue> calls = ToolCalls(m);
            Assert.AreEqual(1, calls.Count, json);
            Assert.AreEqual("function", Str(calls[0], "type"));
            Assert.AreEqual("get_current_weather", Str(calls[0], "function", "name"));
            Assert.AreEqual("{\"location\":\"San Francisco\"}", Str(calls[0], "function", "arguments"));
            StringAssert.IsMatch("^call_[0-9A-Za-z]{24}$", Str(calls[0], "id"));
            Assert.AreEqual("tool_calls", Str(choice, "finish_reason"));
            Assert.AreNotEqual(json, _enc.ChatParse(c), "random ids by default");
            var seeded = new ChatOptions { ToolCallIdSeed = 5 };
            Assert.AreEqual(_enc.ChatParse(c, seeded), _enc.ChatParse(c, seeded), "reproducible with a seed");
        }

        // The parse options reach the library (issue 11 section 3).
        [Test]
        public void ParseOptionsReachTheBridge()
        {
            uint[] c = Completion("<|channel|>analysis<|message|>R<|end|><|start|>assistant<|channel|>commentary to=functions.a<|message|>{}<|end|>" +
                                  "<|start|>assistant<|channel|>commentary to=functions.b<|message|>{}<|call|>");
            var o = new ChatOptions { ReasoningField = "reasoning", ToolCallIdPrefix = "req-", ToolChoiceFunction = "b" };
            Assert.AreEqual("{\"tool_call_id_prefix\":\"req-\",\"reasoning_field\":\"reasoning\"," +
                            "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"b\"}}}", o.ToJson());
            string json = _enc.ChatParse(c, o);
            JsonValue choice = Choice(json);
            Assert.AreEqual("R", Str(choice, "message", "reasoning"), json);
            List<JsonValue> calls = ToolCalls(choice.Get("message"));
            Assert.AreEqual(1, calls.Count, json);
            Assert.AreEqual("b", Str(calls[0], "function", "name"));
            Assert.AreEqual("req-0", Str(calls[0], "id"));
            Assert.AreEqual("stop", Str(choice, "finish_reason"), "a forced call is reported as OpenAI does");
            var two = Choice(_enc.ChatParse(c, new ChatOptions { ParallelToolCalls = false, ToolCallIdSeed = 1 }));
            Assert.AreEqual(1, ToolCalls(two.Get("message")).Count);
            var stop = Choice(_enc.ChatParse(Completion("<|channel|>final<|message|>Hi"), new ChatOptions { FinishReason = "stop" }));
            Assert.AreEqual("stop", Str(stop, "finish_reason"));
            Fails(HarmonyStatus.InvalidJson, () => _enc.ChatParse(c, new ChatOptions { FinishReason = "abort" }), "abort");
        }

        [Test]
        public void ParseTruncated()
        {
            JsonValue choice = Choice(_enc.ChatParse(Completion("<|channel|>final<|message|>The answer is")));
            Assert.AreEqual("length", Str(choice, "finish_reason"));
            Assert.AreEqual("The answer is", Str(choice, "message", "content"));
            choice = Choice(_enc.ChatParse(Completion("<|channel|>fin")));
            Assert.AreEqual("length", Str(choice, "finish_reason"));
            Assert.IsNull(Str(choice, "message", "content"));
            // No tokens at all: nothing was said, and the completion ended inside the assistant's header.
            choice = Choice(_enc.ChatParse(new uint[0]));
            Assert.IsNull(Str(choice, "message", "content"));
            Assert.AreEqual("length", Str(choice, "finish_reason"));
        }

        // ---- streaming ----

        private List<string> StreamAll(uint[] tokens, ChatOptions options, out int silent)
        {
            var chunks = new List<string>();
            silent = 0;
            using (var s = new ChatStream(_enc, options))
            {
                foreach (uint t in tokens)
                {
                    string chunk = s.Process(t);
                    if (chunk == null) silent++;
                    else chunks.Add(chunk);
                }
                chunks.Add(s.Finish());
            }
            return chunks;
        }

        [Test]
        public void StreamJoinsToResponse()
        {
            uint[] c = Completion("<|channel|>analysis<|message|>Think 日本 🎉.<|end|>" +
                                  "<|start|>assistant<|channel|>commentary<|message|>Checking.<|end|>" +
                                  "<|start|>assistant to=functions.lookup<|channel|>commentary <|constrain|>json<|message|>{\"q\": \"日本\"}<|call|>");
            var o = new ChatOptions { Id = "chatcmpl-1", Created = 1700000000, Model = "gpt-oss-20b", ToolCallIdSeed = 1 };
            int silent;
            List<string> chunks = StreamAll(c, o, out silent);
            Assert.Greater(silent, 0, "header tokens produce no chunk");
            Assert.AreEqual(c.Length + 1, chunks.Count + silent);

            var content = new StringBuilder();
            var reasoning = new StringBuilder();
            var args = new StringBuilder();
            string callId = null, callName = null, finish = null;
            for (int i = 0; i < chunks.Count; i++)
            {
                JsonValue r = JsonValue.Parse(chunks[i]);
                Assert.AreEqual("chat.completion.chunk", Str(r, "object"));
                Assert.AreEqual("chatcmpl-1", Str(r, "id"));
                Assert.AreEqual("gpt-oss-20b", Str(r, "model"));
                Assert.AreEqual(1700000000L, r.Get("created").AsLong());
                JsonValue choice = Choice(chunks[i]);
                JsonValue d = choice.Get("delta");
                Assert.AreEqual(i == 0, d.Get("role") != null, chunks[i]);
                Assert.AreEqual(i == chunks.Count - 1, Str(choice, "finish_reason") != null, chunks[i]);
                if (i == chunks.Count - 1)
                {
                    Assert.AreEqual(0, d.Members.Count, "the last delta is empty: " + chunks[i]);
                    finish = Str(choice, "finish_reason");
                }
                content.Append(Str(d, "content"));
                reasoning.Append(Str(d, "reasoning_content"));
                List<JsonValue> calls = ToolCalls(d);
                if (calls == null) continue;
                Assert.AreEqual(1, calls.Count);
                Assert.AreEqual(0L, calls[0].Get("index").AsLong());
                if (callId == null)
                {
                    callId = Str(calls[0], "id");
                    callName = Str(calls[0], "function", "name");
                    Assert.AreEqual("", Str(calls[0], "function", "arguments"), "the announcement has empty arguments");
                }
                args.Append(Str(calls[0], "function", "arguments"));
            }
            Assert.AreEqual("lookup", callName);
            Assert.IsNotNull(callId);

            string json = _enc.ChatParse(c, o);
            JsonValue m = Choice(json).Get("message");
            Assert.AreEqual("tool_calls", finish);
            Assert.AreEqual(finish, Str(Choice(json), "finish_reason"));
            Assert.AreEqual("Checking.", Str(m, "content"));
            Assert.AreEqual(content.ToString(), Str(m, "content"));
            Assert.AreEqual("Think 日本 🎉.", Str(m, "reasoning_content"));
            Assert.AreEqual(reasoning.ToString(), Str(m, "reasoning_content"));
            List<JsonValue> whole = ToolCalls(m);
            Assert.AreEqual(1, whole.Count);
            Assert.AreEqual(callId, Str(whole[0], "id"));
            Assert.AreEqual(callName, Str(whole[0], "function", "name"));
            Assert.AreEqual("{\"q\": \"日本\"}", Str(whole[0], "function", "arguments"));
            Assert.AreEqual(args.ToString(), Str(whole[0], "function", "arguments"));
        }

        /// <summary>A character split across tokens produces no chunk until it is complete. In o200k
        /// the single-byte tokens for 0xC3 and 0xA9 (the two bytes of "é") are 127 and 102.</summary>
        [Test]
        public void StreamMultiByteSplit()
        {
            using (ChatStream s = _enc.CreateChatStream())
            {
                foreach (uint t in Completion("<|channel|>final<|message|>"))
                    Assert.IsNull(s.Process(t), "header token " + t);
                Assert.IsNull(s.Process(127));
                string chunk = s.Process(102);
                Assert.IsNotNull(chunk);
                JsonValue d = Choice(chunk).Get("delta");
                Assert.AreEqual("é", Str(d, "content"));
                Assert.AreEqual("assistant", Str(d, "role"), "the first chunk announces the role");
                Assert.IsNull(s.Process(HarmonyTokens.Return));
                Assert.AreEqual("stop", Str(Choice(s.Finish()), "finish_reason"));
            }
        }

        /// <summary>A response appended to its request re-renders to the prompt followed by the
        /// model's own tokens, so a server can keep its conversation in Chat Completions form.</summary>
        [Test]
        public void RoundTrip()
        {
            string tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\",\"parameters\":" + WeatherSchema + "}}]";
            string user = "{\"role\":\"user\",\"content\":\"Weather in SF?\"}";
            uint[] prompt = _enc.ChatRender("{" + tools + ",\"messages\":[" + user + "]}", Dated());
            uint[] turn1 = Completion("<|channel|>analysis<|message|>Call the tool.<|end|>" +
                "<|start|>assistant to=functions.get_current_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>");
            JsonValue message = Choice(_enc.ChatParse(turn1)).Get("message");
            string callId = Str(ToolCalls(message)[0], "id");
            var w = new StringBuilder();
            JsonWriter.Escape(w, callId);
            string tool = "{\"role\":\"tool\",\"tool_call_id\":" + w + ",\"content\":\"{\\\"temp\\\":20}\"}";
            uint[] prompt2 = _enc.ChatRender("{" + tools + ",\"messages\":[" + user + "," + message.Serialize() + "," + tool + "]}", Dated());
            Assert.GreaterOrEqual(prompt2.Length, prompt.Length + turn1.Length);
            CollectionAssert.AreEqual(prompt, prompt2.Take(prompt.Length).ToArray());
            CollectionAssert.AreEqual(turn1, prompt2.Skip(prompt.Length).Take(turn1.Length).ToArray());
            Assert.AreEqual("<|start|>functions.get_current_weather to=assistant<|channel|>commentary<|message|>{\"temp\":20}<|end|><|start|>assistant",
                _enc.Decode(prompt2.Skip(prompt.Length + turn1.Length).ToArray()));
        }

        // ---- errors ----

        private static HarmonyException Fails(HarmonyStatus status, TestDelegate code, string needle)
        {
            var e = Assert.Throws<HarmonyException>(code);
            Assert.AreEqual(status, e.Status, e.Message);
            StringAssert.Contains(needle, e.Message);
            return e;
        }

        private static byte[] Utf8(string s)
        {
            return Encoding.UTF8.GetBytes(s);
        }

        [Test]
        public void RequestErrors()
        {
            Fails(HarmonyStatus.InvalidJson,
                () => _enc.ChatRender("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"nope\",\"content\":\"x\"}]}"),
                "unknown tool_call_id `nope`");
            Fails(HarmonyStatus.InvalidJson, () => _enc.ChatRender("{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"),
                "messages[0].role: unknown role `wizard`");
            Fails(HarmonyStatus.InvalidJson,
                () => _enc.ChatRender("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}"),
                "unsupported content part type `image_url`");
            Fails(HarmonyStatus.InvalidJson, () => _enc.ChatRender("{"), "");
            Fails(HarmonyStatus.InvalidJson, () => _enc.ChatRender(""), "");
            Fails(HarmonyStatus.InvalidUtf8, () => _enc.ChatRender("{\"messages\":[{\"role\":\"user\",\"content\":\"\uD800\"}]}"), "requestJson");
            Fails(HarmonyStatus.InvalidUtf8, () => _enc.ChatRender(Hello, new ChatOptions { Model = "\uDC00" }), "options");
        }

        [Test]
        public void BadOptionsJson()
        {
            // ChatOptions always writes valid options, so go underneath it.
            Fails(HarmonyStatus.InvalidJson, () => _enc.ChatRenderCore(Utf8(Hello), Utf8("{\"colour\":1}")), "colour");
            Fails(HarmonyStatus.InvalidJson, () => _enc.ChatParseCore(new uint[0], Utf8("{\"created\":\"yesterday\"}")), "");
            Fails(HarmonyStatus.InvalidJson, () => ChatStream.Create(_enc, Utf8("{")), "");
            using (ChatStream s = ChatStream.Create(_enc, Utf8("{\"id\":\"x\"}")))
                Assert.AreEqual("x", Str(JsonValue.Parse(s.Finish()), "id"));
        }

        [Test]
        public void ContinuingParserReadsTheContinuation()
        {
            using (StreamParser p = StreamParser.Continuing(_enc, "{\"channel\":\"final\"}"))
            {
                p.Process(Completion(" 42.<|return|>"));
                p.ProcessEos();
                Assert.AreEqual("[{\"role\":\"assistant\",\"content\":\" 42.\",\"channel\":\"final\"}]", p.MessagesJson);
            }
            Assert.Throws<HarmonyException>(() => StreamParser.Continuing(_enc, "{\"colour\":1}"));
        }

        [Test]
        public void PrefixMessageContinues()
        {
            const string request = "{\"messages\":[{\"role\":\"user\",\"content\":\"6*7?\"}," +
                "{\"role\":\"assistant\",\"content\":\"The answer is\",\"prefix\":true}]}";
            uint[] prompt = _enc.ChatRender(request);
            StringAssert.EndsWith("<|start|>assistant<|channel|>final<|message|>The answer is", _enc.Decode(prompt));
            JsonValue choice = Choice(_enc.ChatParse(Completion(" 42.<|return|>"), new ChatOptions { Request = request }));
            Assert.AreEqual(" 42.", Str(choice, "message", "content"));
            Assert.AreEqual("stop", Str(choice, "finish_reason"));
        }

        [Test]
        public void ForceAnswerEndsTheReasoning()
        {
            using (var s = new ChatStream(_enc))
            using (var p = new StreamParser(_enc, Role.Assistant))
            {
                foreach (uint t in Completion("<|channel|>analysis<|message|>Let me think"))
                {
                    s.Process(t);
                    p.Process(t);
                }
                uint[] forced = s.ForceAnswer();
                CollectionAssert.AreEqual(forced, p.ForceAnswer());
                Assert.AreEqual("<|end|><|start|>assistant<|channel|>final<|message|>", _enc.Decode(forced));
                Assert.AreEqual("<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>",
                    _enc.Decode(p.ForceAnswer("get_weather")));
                Assert.Throws<HarmonyException>(() => p.ForceAnswer("get weather"));
                var content = new System.Text.StringBuilder();
                var rest = new List<uint>(forced);
                rest.AddRange(Completion("42<|return|>"));
                foreach (uint t in rest)
                {
                    string chunk = s.Process(t);
                    if (chunk == null) continue;
                    JsonValue delta = JsonValue.Parse(chunk).Get("choices").Items[0].Get("delta");
                    JsonValue c = delta.Get("content");
                    if (c != null && c.Text != null) content.Append(c.Text);
                }
                Assert.AreEqual("42", content.ToString());
                StringAssert.Contains("\"finish_reason\":\"stop\"", s.Finish());
            }
        }

        [Test]
        public void MalformedOutputIsRecoveredNotAnError()
        {
            // Model output is not bad input (issue 11): text after <|end|> is a message of its own
            // (vLLM #50690); text after <|return|> is dropped (the completion had ended).
            JsonValue after = Choice(_enc.ChatParse(Completion("<|channel|>final<|message|>4<|return|>4")));
            Assert.AreEqual("4", Str(after, "message", "content"));
            Assert.AreEqual("stop", Str(after, "finish_reason"));
            uint[] bad = Completion("<|channel|>final<|message|>4<|end|>4");
            JsonValue choice = Choice(_enc.ChatParse(bad));
            Assert.AreEqual("4\n4", Str(choice, "message", "content"));
            Assert.AreEqual("length", Str(choice, "finish_reason"), "the tokens end inside the recovered message");
            using (var s = new ChatStream(_enc))
            {
                foreach (uint t in bad) s.Process(t);
                StringAssert.Contains("\"finish_reason\":\"length\"", s.Finish());
            }
        }

        [Test]
        public void FinishTwice()
        {
            using (var s = new ChatStream(_enc, null))
            {
                // No tokens: the completion ended inside the assistant's header.
                Assert.AreEqual("length", Str(Choice(s.Finish()), "finish_reason"));
                Fails(HarmonyStatus.InvalidArgument, () => s.Finish(), "finished");
                Fails(HarmonyStatus.InvalidArgument, () => s.Process(HarmonyTokens.Channel), "finished");
            }
        }

        [Test]
        public void NullArguments()
        {
            Assert.Throws<ArgumentNullException>(() => _enc.ChatRender(null));
            Assert.Throws<ArgumentNullException>(() => _enc.ChatParse(null));
            Assert.Throws<ArgumentNullException>(() => new ChatStream(null));
            Assert.Throws<ArgumentNullException>(() => new ChatStream(null, new ChatOptions()));
        }

        [Test]
        public void DisposedStream()
        {
            var s = _enc.CreateChatStream(new ChatOptions());
            s.Dispose();
            s.Dispose(); // harmless
            Assert.Throws<ObjectDisposedException>(() => s.Process(1u));
            Assert.Throws<ObjectDisposedException>(() => s.Finish());
        }

        [Test]
        public void DisposedEncoding()
        {
            var enc = new HarmonyEncoding();
            ChatStream s = enc.CreateChatStream();
            enc.Dispose();
            Assert.Throws<ObjectDisposedException>(() => enc.ChatRender(Hello));
            Assert.Throws<ObjectDisposedException>(() => enc.ChatParse(new uint[0]));
            Assert.Throws<ObjectDisposedException>(() => enc.CreateChatStream());
            Assert.Throws<ObjectDisposedException>(() => new ChatStream(enc));
            // The stream holds its own reference to the encoding.
            using (s)
            {
                foreach (uint t in new uint[] { 200005, 17196, 200008, 19, 200002 }) s.Process(t); // final, "4"
                Assert.AreEqual("stop", Str(Choice(s.Finish()), "finish_reason"));
            }
        }

        [Test]
        public void LibraryStaysUsableAfterErrors()
        {
            for (int i = 0; i < 200; i++)
                Assert.Throws<HarmonyException>(() => _enc.ChatRender("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"x\"}]}"));
            Assert.Greater(_enc.ChatRender(Hello).Length, 10);
        }

        /// <summary>Streams on eight threads share one encoding and all get the single-threaded results.</summary>
        [Test]
        public void EightThreadsStream()
        {
            uint[] c = Completion("<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>Done 日本.<|return|>");
            string want = _enc.ChatParse(c);
            uint[] prompt = _enc.ChatRender(Hello, Dated());
            int silent;
            List<string> wantChunks = StreamAll(c, null, out silent);
            var errors = new List<string>();
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
            {
                for (int i = 0; i < 20; i++)
                {
                    string problem = null;
                    if (!_enc.ChatRender(Hello, Dated()).SequenceEqual(prompt)) problem = "ChatRender differs";
                    else if (_enc.ChatParse(c) != want) problem = "ChatParse differs";
                    else
                    {
                        var chunks = new List<string>();
                        using (var s = new ChatStream(_enc))
                        {
                            foreach (uint t in c)
                            {
                                string chunk = s.Process(t);
                                if (chunk != null) chunks.Add(chunk);
                            }
                            chunks.Add(s.Finish());
                        }
                        if (!chunks.SequenceEqual(wantChunks)) problem = "chunks differ";
                    }
                    if (problem != null)
                        lock (errors) errors.Add(problem);
                }
            });
            CollectionAssert.IsEmpty(errors);
        }
    }
}
