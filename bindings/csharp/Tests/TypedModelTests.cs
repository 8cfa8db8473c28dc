// The typed model (Conversation, Message, content parts) and the JSON reader/writer behind it.
using System;
using System.Collections.Generic;
using System.IO;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class TypedModelTests
    {
        private static string ExampleConversationPath()
        {
            string golden = Golden.PathOf();
            return Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(golden))),
                "examples", "conversation.json");
        }

        // The same conversation as examples/conversation.json, built with the typed API.
        internal static Conversation TypedExample()
        {
            const string parameters = "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"," +
                "\"description\":\"City and country, e.g. Paris, France\"},\"unit\":{\"type\":\"string\"," +
                "\"enum\":[\"celsius\",\"fahrenheit\"],\"default\":\"celsius\"}},\"required\":[\"location\"]}";
            var system = new SystemContent
            {
                ModelIdentity = "You are ChatGPT, a large language model trained by OpenAI.",
                ReasoningEffort = ReasoningEffort.Low,
                ConversationStartDate = "2025-06-28",
                KnowledgeCutoff = "2024-06",
                ChannelConfig = new ChannelConfig(new[] { "analysis", "commentary", "final" }, true),
            };
            var developer = new DeveloperContent
            {
                Instructions = "Answer briefly.",
                Tools = new Dictionary<string, ToolNamespaceConfig>
                {
                    {
                        "functions", new ToolNamespaceConfig("functions", null, new[]
                        {
                            new ToolDescription("get_weather", "Gets the current weather for a location.", parameters),
                        })
                    },
                },
            };
            return new Conversation(
                new Message(Role.System, system),
                new Message(Role.Developer, developer),
                new Message(Role.User, "What is the weather in Tokyo?"),
                new Message(Role.Assistant, "Need to call get_weather for Tokyo.").WithChannel("analysis"),
                new Message(Role.Assistant, "{\"location\":\"Tokyo, Japan\"}")
                    .WithChannel("commentary").WithRecipient("functions.get_weather").WithContentType("<|constrain|>json"),
                new Message(Role.Tool, "{\"temperature\":21,\"unit\":\"celsius\",\"sky\":\"clear\"}")
                    .WithName("functions.get_weather").WithRecipient("assistant").WithChannel("commentary"));
        }

        [Test]
        public void TypedConversationRendersLikeHandWrittenJson()
        {
            string handWritten = File.ReadAllText(ExampleConversationPath());
            using (var enc = new HarmonyEncoding())
            {
                uint[] want = enc.RenderCompletion(handWritten);
                Assert.Greater(want.Length, 100);
                Conversation typed = TypedExample();
                CollectionAssert.AreEqual(want, enc.RenderCompletion(typed));
                CollectionAssert.AreEqual(want, enc.RenderCompletion(typed.ToJson()));
                CollectionAssert.AreEqual(enc.RenderConversation(handWritten), enc.RenderConversation(typed));
                CollectionAssert.AreEqual(enc.RenderTraining(handWritten), enc.RenderTraining(typed));
                // and the hand-written file read into the typed model
                CollectionAssert.AreEqual(want, enc.RenderCompletion(Conversation.FromJson(handWritten)));
            }
        }

        [Test]
        public void WireShape()
        {
            var m = new Message(Role.Tool, "hi").WithName("functions.f").WithChannel("commentary");
            Assert.AreEqual("{\"role\":\"tool\",\"name\":\"functions.f\",\"content\":\"hi\",\"channel\":\"commentary\"}", m.ToJson());
            var parts = new Message(Role.User, new TextContent("a"), new TextContent("b"));
            Assert.AreEqual("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}",
                parts.ToJson());
            Assert.AreEqual("{\"role\":\"user\",\"content\":[]}", new Message(Role.User).ToJson());
            var sys = new Message(Role.System, new SystemContent { ReasoningEffort = ReasoningEffort.High });
            Assert.AreEqual("{\"role\":\"system\",\"content\":[{\"type\":\"system_content\",\"reasoning_effort\":\"High\"}]}",
                sys.ToJson());
            Assert.AreEqual("{\"messages\":[]}", new Conversation().ToJson());
            Assert.AreEqual(TypedExample().ToJson(), Conversation.FromJson(TypedExample().ToJson()).ToJson());
        }

        [Test]
        public void ToolNamespacesInOrdinalOrder()
        {
            var dev = new DeveloperContent
            {
                Tools = new Dictionary<string, ToolNamespaceConfig>
                {
                    { "zeta", new ToolNamespaceConfig("zeta") },
                    { "alpha", new ToolNamespaceConfig("alpha", "first", new[] { new ToolDescription("f", "d") }) },
                },
            };
            Assert.AreEqual("{\"role\":\"developer\",\"content\":[{\"type\":\"developer_content\",\"tools\":{" +
                            "\"alpha\":{\"name\":\"alpha\",\"description\":\"first\",\"tools\":[{\"name\":\"f\",\"description\":\"d\"}]}," +
                            "\"zeta\":{\"name\":\"zeta\",\"tools\":[]}}}]}",
                new Message(Role.Developer, dev).ToJson());
        }

        [Test]
        public void ReadsAllContentParts()
        {
            Conversation c = Conversation.FromJson(File.ReadAllText(ExampleConversationPath()));
            Assert.AreEqual(6, c.Messages.Count);
            var sys = (SystemContent)c.Messages[0].Content[0];
            Assert.AreEqual(ReasoningEffort.Low, sys.ReasoningEffort);
            Assert.AreEqual("2025-06-28", sys.ConversationStartDate);
            CollectionAssert.AreEqual(new[] { "analysis", "commentary", "final" }, sys.ChannelConfig.ValidChannels);
            Assert.IsTrue(sys.ChannelConfig.ChannelRequired);
            Assert.IsNull(sys.Tools);
            var dev = (DeveloperContent)c.Messages[1].Content[0];
            ToolDescription tool = dev.Tools["functions"].Tools[0];
            Assert.AreEqual("get_weather", tool.Name);
            StringAssert.StartsWith("{\"type\":\"object\",\"properties\":{\"location\":", tool.Parameters);
            Assert.AreEqual(Role.Tool, c.Messages[5].Role);
            Assert.AreEqual("functions.get_weather", c.Messages[5].Name);
            Assert.AreEqual("<|constrain|>json", c.Messages[4].ContentType);
        }

        [Test]
        public void ShapeErrors()
        {
            string[] bad =
            {
                "{\"role\":\"user\"}",
                "{\"content\":\"x\"}",
                "{\"role\":\"user\",\"content\":null}",
                "{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}",
                "{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}",
                "{\"role\":\"system\",\"content\":[{\"type\":\"system_content\",\"reasoning_effort\":\"low\"}]}",
                "[]",
            };
            foreach (string json in bad)
            {
                var e = Assert.Throws<HarmonyException>(() => Message.FromJson(json), json);
                Assert.AreEqual(HarmonyStatus.InvalidJson, e.Status);
            }
            StringAssert.Contains("message.content[0].type: unknown content type `image`",
                Assert.Throws<HarmonyException>(() => Message.FromJson(bad[3])).Message);
        }

        [Test]
        public void JsonEscapingLikeSerde()
        {
            string s = "q\"b\\s/\b\f\n\r\t\u0001\u001f\u007f é 😀";
            var m = new Message(Role.User, s);
            Assert.AreEqual("{\"role\":\"user\",\"content\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u007f é 😀\"}", m.ToJson());
            Assert.AreEqual(s, Message.FromJson(m.ToJson()).Text);
        }

        [Test]
        public void JsonReader()
        {
            Assert.AreEqual("😀é/", Message.FromJson("{\"role\":\"user\",\"content\":\"\\ud83d\\ude00\\u00E9\\/\"}").Text);
            JsonValue v = JsonValue.Parse(" {\"a\" : [1, -2.5e+3, true, false, null, {}], \"a\": 0 } ");
            Assert.AreEqual(JsonKind.Number, v.Get("a").Kind, "the last duplicate wins");
            Assert.AreEqual("{\"a\":[1,-2.5e+3,true,false,null,{}],\"a\":0}", v.Serialize());
            string[] invalid =
            {
                "", "{", "[1,]", "{\"a\"}", "01", "1.", "-", "tru", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"",
                "\"\\x\"", "\"a\nb\"", "[1] 2", "\"\\u12g4\"", "{\"a\":1,}", new string('[', 600) + new string(']', 600),
            };
            foreach (string json in invalid)
            {
                var e = Assert.Throws<HarmonyException>(() => JsonValue.Parse(json), json);
                Assert.AreEqual(HarmonyStatus.InvalidJson, e.Status);
            }
        }
    }
}
