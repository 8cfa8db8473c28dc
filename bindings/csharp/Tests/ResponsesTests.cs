// The Responses API bridge through the C# wrapper: requests, options, responses, events and
// errors cross the C ABI unchanged (the mapping is tested in tests/responses.rs and
// tests/python/test_responses.py).
using System;
using System.Text.RegularExpressions;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class ResponsesTests
    {
        private const string Completion =
            "<|channel|>analysis<|message|>Two cities.<|end|><|start|>assistant<|channel|>commentary to=functions.w " +
            "<|constrain|>json<|message|>{\"c\":\"Tokyo\"}<|call|><|start|>assistant<|channel|>commentary to=functions.w " +
            "<|constrain|>json<|message|>{\"c\":\"Paris\"}<|call|>";

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

        private static int Count(string hay, string needle)
        {
            return Regex.Matches(hay, Regex.Escape(needle)).Count;
        }

        [Test]
        public void RenderCarriesRequestAndOptions()
        {
            uint[] t = Responses.Render(_enc, "{\"instructions\":\"Be brief.\",\"input\":\"Hello!\"}",
                "{\"conversation_start_date\":\"2025-06-28\"}");
            string text = _enc.Decode(t);
            StringAssert.Contains("Current date: 2025-06-28", text);
            StringAssert.Contains("Be brief.", text);
            StringAssert.EndsWith("<|start|>user<|message|>Hello!<|end|><|start|>assistant", text);
        }

        [Test]
        public void RenderErrorsNameTheItem()
        {
            var e = Assert.Throws<HarmonyException>(() => Responses.Render(_enc,
                "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}"));
            Assert.AreEqual(HarmonyStatus.InvalidJson, e.Status);
            StringAssert.Contains("request.input[0].content[0]", e.Message);
            e = Assert.Throws<HarmonyException>(() => Responses.Render(_enc, "{\"input\":\"x\"}", "{\"colour\":1}"));
            Assert.AreEqual(HarmonyStatus.InvalidJson, e.Status);
            Assert.Throws<ArgumentNullException>(() => Responses.Parse(_enc, null));
        }

        [Test]
        public void ParseAndStreamAgree()
        {
            uint[] c = _enc.Encode(Completion, allowSpecial: true);
            string r = Responses.Parse(_enc, c, "{\"id\":\"resp_cs\"}");
            StringAssert.Contains("\"id\":\"resp_cs\"", r);
            StringAssert.Contains("\"status\":\"completed\"", r);
            Assert.AreEqual(2, Count(r, "\"type\":\"function_call\""));

            using (var s = new ResponsesStream(_enc, "{\"id\":\"resp_cs\"}"))
            {
                int added = 0, created = 0;
                foreach (uint t in c)
                {
                    string evs = s.Process(t);
                    StringAssert.StartsWith("[", evs);
                    added += Count(evs, "\"response.output_item.added\"");
                    created += Count(evs, "\"response.created\"");
                }
                Assert.AreEqual(3, added);
                Assert.AreEqual(1, created);
                string tail = s.Finish();
                StringAssert.Contains("\"response.completed\"", tail);
                Assert.AreEqual(Count(r, "\"type\":\"function_call\""), Count(tail, "\"type\":\"function_call\""));
                var e = Assert.Throws<HarmonyException>(() => s.Finish());
                Assert.AreEqual(HarmonyStatus.InvalidArgument, e.Status);
            }
        }

        [Test]
        public void StreamErrorsAndDispose()
        {
            var s = new ResponsesStream(_enc);
            var e = Assert.Throws<HarmonyException>(() => s.Process(201089));
            Assert.AreEqual(HarmonyStatus.UnknownToken, e.Status);
            s.Dispose();
            s.Dispose();
            Assert.Throws<ObjectDisposedException>(() => s.Process(1));
            e = Assert.Throws<HarmonyException>(() => new ResponsesStream(_enc, "[]"));
            Assert.AreEqual(HarmonyStatus.InvalidJson, e.Status);
        }
    }
}
