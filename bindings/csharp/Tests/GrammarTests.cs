// HarmonyGrammar.ChatGrammar (harmony_chat_grammar): request, format and options reach the
// library, and failures become HarmonyException.
using System;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class GrammarTests
    {
        private const string Request = "{\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"," +
            "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]}";

        [Test]
        public void EachFormatNamesTheToolInItsOwnSyntax()
        {
            using (var enc = new HarmonyEncoding())
            {
                StringAssert.Contains("\"functions.get_weather\" \" \" <|constrain|> \"json\" <|message|>",
                    enc.ChatGrammar(Request, GrammarFormat.Lark));
                StringAssert.Contains("<[200005]> \"commentary to=\"", enc.ChatGrammar(Request, GrammarFormat.Gbnf));
                StringAssert.StartsWith("{\"type\":\"structural_tag\"", enc.ChatGrammar(Request, GrammarFormat.Xgrammar));
            }
        }

        [Test]
        public void ResponsesRequestsGiveTheChatGrammar()
        {
            const string responses = "{\"input\":\"hi\",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\"," +
                "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]}";
            using (var enc = new HarmonyEncoding())
            {
                foreach (var format in new[] { GrammarFormat.Lark, GrammarFormat.Gbnf, GrammarFormat.Xgrammar })
                    Assert.AreEqual(enc.ChatGrammar(Request, format), enc.ResponsesGrammar(responses, format));
                var e = Assert.Throws<HarmonyException>(() =>
                    enc.ResponsesGrammar("{\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}", GrammarFormat.Lark));
                Assert.AreEqual(HarmonyStatus.InvalidArgument, e.Status);
                StringAssert.Contains("web_search", e.Message);
            }
        }

        [Test]
        public void OptionsReachTheGenerator()
        {
            using (var enc = new HarmonyEncoding())
            {
                string g = enc.ChatGrammar(Request, GrammarFormat.Gbnf, new GrammarOptions { Reasoning = "none", Lazy = true });
                StringAssert.Contains("root ::= (call)", g);
                StringAssert.DoesNotContain("final ::=", g);
            }
        }

        [Test]
        public void BadRequestsThrowWithTheFieldNamed()
        {
            using (var enc = new HarmonyEncoding())
            {
                var e = Assert.Throws<HarmonyException>(() =>
                    enc.ChatGrammar("{\"messages\":[],\"tool_choice\":\"required\"}", GrammarFormat.Lark));
                Assert.AreEqual(HarmonyStatus.InvalidArgument, e.Status);
                StringAssert.Contains("request.tool_choice", e.Message);
                Assert.Throws<HarmonyException>(() => enc.ChatGrammar(Request, (GrammarFormat)7));
                Assert.Throws<HarmonyException>(() => enc.ChatGrammar(Request, GrammarFormat.Lark, new GrammarOptions { Lazy = true }));
            }
        }
    }
}
