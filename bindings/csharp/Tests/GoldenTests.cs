// Every render, single-message render, parse, stream, encode, decode and stop-token vector of
// tests/golden/vectors.jsonl (generated with openai-harmony 0.0.8) through the C# wrapper,
// compared exactly: tokens, message JSON byte for byte, stream state after every token, and
// errors exactly where the reference fails.
using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class GoldenTests
    {
        private HarmonyEncoding _enc;

#if NUNIT3
        [OneTimeSetUp] // Tests.csproj (dotnet test) uses NUnit 3; CI's Mono build uses NUnit 2.6
#else
        [TestFixtureSetUp]
#endif
        public void SetUp()
        {
            _enc = new HarmonyEncoding();
        }

#if NUNIT3
        [OneTimeTearDown]
#else
        [TestFixtureTearDown]
#endif
        public void TearDown()
        {
            _enc.Dispose();
        }

        /// <summary>Runs <paramref name="check"/> on every vector of a kind; reports all failures at once.</summary>
        private static int RunAll(string kind, Func<JsonValue, bool> check, int minimum)
        {
            var failures = new List<string>();
            int n = 0, skipped = 0;
            foreach (JsonValue v in Golden.OfKind(kind))
            {
                try
                {
                    if (check(v)) n++;
                    else skipped++;
                }
                catch (Exception e)
                {
                    failures.Add(Golden.Str(v, "id") + ": " + e.Message);
                }
            }
            Console.WriteLine("golden {0} ({1}): {2} checked, {3} skipped, {4} failed",
                kind, TestContext.CurrentContext.Test.Name, n, skipped, failures.Count);
            if (failures.Count > 0)
                Assert.Fail(failures.Count + " " + kind + " vectors failed:\n  " +
                            string.Join("\n  ", failures.GetRange(0, Math.Min(20, failures.Count))));
            Assert.That(n, Is.GreaterThanOrEqualTo(minimum), "too few " + kind + " vectors");
            return n;
        }

        private static void ExpectTokens(JsonValue v, Func<uint[]> render)
        {
            if (Golden.Has(v, "tokens"))
            {
                CollectionAssert.AreEqual(Golden.Tokens(v, "tokens"), render());
            }
            else
            {
                uint[] got = null;
                var e = Assert.Throws<HarmonyException>(() => got = render(),
                    "reference errors (" + Golden.Str(v, "error") + "), wrapper rendered " + Golden.Show(got));
                Assert.AreNotEqual(HarmonyStatus.Ok, e.Status);
            }
        }

        [Test]
        public void Render()
        {
            RunAll("render", v =>
            {
                ExpectTokens(v, () => Golden.Render(_enc, v));
                return true;
            }, 1400);
        }

        [Test]
        public void RenderInto()
        {
            var buf = new uint[1 << 16];
            RunAll("render", v =>
            {
                if (!Golden.Has(v, "tokens")) return false;
                var mode = (RenderMode)Array.IndexOf(new[] { "completion", "conversation", "training" }, Golden.Str(v, "mode"));
                RenderFlags flags = v.Get("auto_drop_analysis").Bool ? RenderFlags.None : RenderFlags.KeepAnalysis;
                uint[] want = Golden.Tokens(v, "tokens");
                int n;
                Assert.IsTrue(_enc.TryRenderInto(mode, Golden.Str(v, "input"), buf, out n,
                    Golden.RoleOf(Golden.Str(v, "next_role")) ?? Role.Assistant, flags));
                CollectionAssert.AreEqual(want, new ArraySegment<uint>(buf, 0, n));
                return true;
            }, 1200);
        }

        [Test]
        public void RenderMessage()
        {
            RunAll("render_message", v =>
            {
                RenderFlags flags = v.Get("conversation_has_function_tools").Bool ? RenderFlags.HasFunctionTools : RenderFlags.None;
                ExpectTokens(v, () => _enc.RenderMessage(Golden.Str(v, "input"), flags));
                return true;
            }, 250);
        }

        [Test]
        public void Parse()
        {
            RunAll("parse", v =>
            {
                uint[] tokens = Golden.Tokens(v, "tokens");
                Role? role = Golden.RoleOf(Golden.Str(v, "role"));
                ParseFlags flags = Golden.ParseFlagsOf(v);
                if (Golden.Has(v, "messages"))
                {
                    string want = Golden.Str(v, "messages");
                    Assert.AreEqual(want, _enc.ParseJson(tokens, role, flags));
                    // The typed path: library JSON -> Message objects -> JSON, byte for byte.
                    Assert.AreEqual(want, Message.ListToJson(_enc.Parse(tokens, role, flags)));
                }
                else
                {
                    Assert.Throws<HarmonyException>(() => _enc.ParseJson(tokens, role, flags),
                        "reference errors: " + Golden.Str(v, "error"));
                }
                return true;
            }, 1400);
        }

        [Test]
        public void Stream()
        {
            string[] states = { "ExpectStart", "Header", "Content" };
            RunAll("stream", v =>
            {
                uint[] tokens = Golden.Tokens(v, "tokens");
                JsonValue steps = v.Get("steps");
                JsonValue errorAt = v.Get("error_at");
                int failAt = errorAt.IsNull ? -1 : (int)errorAt.AsLong();
                using (var p = new StreamParser(_enc, Golden.RoleOf(Golden.Str(v, "role")), Golden.ParseFlagsOf(v)))
                {
                    for (int i = 0; i <= tokens.Length; i++)
                    {
                        int step = i;
                        TestDelegate feed = () =>
                        {
                            if (step < tokens.Length) p.Process(tokens[step]);
                            else p.ProcessEos();
                        };
                        if (i == failAt)
                        {
                            var e = Assert.Throws<HarmonyException>(feed, "step " + i);
                            Assert.AreEqual(HarmonyStatus.Parse, e.Status, "step " + i);
                            break;
                        }
                        feed();
                        JsonValue s = steps.Items[i];
                        string at = "step " + i;
                        Assert.AreEqual(Golden.Str(s, "state"), states[(int)p.State], at);
                        Assert.AreEqual(Golden.RoleOf(Golden.Str(s, "role")), p.CurrentRole, at);
                        Assert.AreEqual(Golden.Str(s, "channel"), p.Channel, at);
                        Assert.AreEqual(Golden.Str(s, "recipient"), p.Recipient, at);
                        Assert.AreEqual(Golden.Str(s, "content_type"), p.ContentType, at);
                        Assert.AreEqual(Golden.Str(s, "delta"), p.LastDelta, at);
                        Assert.AreEqual(s.Get("messages").AsLong(), p.MessageCount, at);
                    }
                    string want = Golden.Str(v, "messages");
                    Assert.AreEqual(want, p.MessagesJson);
                    Assert.AreEqual(want, Message.ListToJson(p.Messages));
                }
                return true;
            }, 800);
        }

        [Test]
        public void StreamBatch()
        {
            // Process(uint[]) gives the same messages as feeding tokens one by one.
            RunAll("stream", v =>
            {
                if (!v.Get("error_at").IsNull) return false;
                using (var p = _enc.CreateParser(Golden.RoleOf(Golden.Str(v, "role")), Golden.ParseFlagsOf(v)))
                {
                    p.Process(Golden.Tokens(v, "tokens"));
                    p.ProcessEos();
                    Assert.AreEqual(Golden.Str(v, "messages"), p.MessagesJson);
                }
                return true;
            }, 400);
        }


        [Test]
        public void Encode()
        {
            // Every vector: its allow list as ids through EncodeAllowed (harmony_encode_allowed),
            // and through Encode(text, allowSpecial) when the list is empty or names every token.
            RunAll("encode", v =>
            {
                string text = Golden.Str(v, "text");
                uint[] want = Golden.Tokens(v, "tokens");
                var ids = new List<uint>();
                int names = 0;
                foreach (JsonValue a in v.Get("allowed_special").Items)
                {
                    names++;
                    // Names that are not special tokens (the generator passes some) can never match.
                    try { ids.Add(HarmonyEncoding.SpecialTokenId(a.Text)); }
                    catch (HarmonyException) { }
                }
                CollectionAssert.AreEqual(want, _enc.EncodeAllowed(text, ids.ToArray()));
                if (names == 0) CollectionAssert.AreEqual(want, _enc.Encode(text, false));
                if (names == 201088 - 199998 + 1) CollectionAssert.AreEqual(want, _enc.Encode(text, true));
                return true;
            }, 300);
        }

        [Test]
        public void Decode()
        {
            RunAll("decode", v =>
            {
                uint[] tokens = Golden.Tokens(v, "tokens");
                if (Golden.Has(v, "text")) Assert.AreEqual(Golden.Str(v, "text"), _enc.Decode(tokens));
                else Assert.Throws<HarmonyException>(() => _enc.Decode(tokens));
                if (Golden.Has(v, "lossy")) Assert.AreEqual(Golden.Str(v, "lossy"), _enc.Decode(tokens, true));
                else Assert.Throws<HarmonyException>(() => _enc.Decode(tokens, true));
                return true;
            }, 200);
        }

        [Test]
        public void StopTokens()
        {
            RunAll("stop_tokens", v =>
            {
                CollectionAssert.AreEqual(Golden.Tokens(v, "stop_tokens"), _enc.StopTokens);
                CollectionAssert.AreEqual(Golden.Tokens(v, "stop_tokens_for_assistant_actions"), _enc.StopTokensForAssistantActions);
                return true;
            }, 1);
        }

        [Test]
        public void TypedRoundTripOfRenderInputs()
        {
            // Conversation.FromJson -> ToJson renders to the same tokens as the original JSON, for
            // every input the library renders. Inputs the wrapper cannot represent are skipped.
            RunAll("render", v =>
            {
                if (!Golden.Has(v, "tokens")) return false;
                Conversation conv;
                try
                {
                    conv = Conversation.FromJson(Golden.Str(v, "input"));
                }
                catch (HarmonyException)
                {
                    return false;
                }
                string json = conv.ToJson();
                CollectionAssert.AreEqual(Golden.Tokens(v, "tokens"), Golden.Render(_enc, v, json), json);
                return true;
            }, 1200);
        }
    }
}
