// Every failure surfaces as a HarmonyException with the library's status and message, or as
// the .NET exception for misuse (null arguments, disposed objects).
using System;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class ErrorTests
    {
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

        private static HarmonyException Fails(HarmonyStatus status, TestDelegate code, string needle)
        {
            var e = Assert.Throws<HarmonyException>(code);
            Assert.AreEqual(status, e.Status, e.Message);
            StringAssert.Contains(needle, e.Message);
            return e;
        }

        [Test]
        public void StatusValuesMirrorTheHeader()
        {
            Assert.AreEqual(0, (int)HarmonyStatus.Ok);
            Assert.AreEqual(1, (int)HarmonyStatus.InvalidArgument);
            Assert.AreEqual(2, (int)HarmonyStatus.InvalidJson);
            Assert.AreEqual(3, (int)HarmonyStatus.InvalidUtf8);
            Assert.AreEqual(4, (int)HarmonyStatus.Render);
            Assert.AreEqual(5, (int)HarmonyStatus.Parse);
            Assert.AreEqual(6, (int)HarmonyStatus.UnknownToken);
            Assert.AreEqual(7, (int)HarmonyStatus.BufferTooSmall);
            Assert.AreEqual(8, (int)HarmonyStatus.LimitExceeded);
            Assert.AreEqual(9, (int)HarmonyStatus.Panic);
            Assert.AreEqual("HARMONY_ERROR_PARSE", Marshalling.StatusName(HarmonyStatus.Parse));
        }

        [Test]
        public void BadJson()
        {
            Fails(HarmonyStatus.InvalidJson, () => _enc.RenderCompletion("{"), "JSON");
            Fails(HarmonyStatus.InvalidJson, () => _enc.RenderCompletion(""), "JSON");
            Fails(HarmonyStatus.InvalidJson, () => _enc.RenderConversation("[]"), "JSON");
            Fails(HarmonyStatus.InvalidJson, () => _enc.RenderMessage("{\"role\":\"user\"}"), "content");
            int n;
            Fails(HarmonyStatus.InvalidJson, () => _enc.TryRenderInto(RenderMode.Completion, "[]", new uint[8], out n), "JSON");
        }

        [Test]
        public void RenderErrors()
        {
            Fails(HarmonyStatus.Render, () => _enc.RenderConversation("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"),
                "messages[0]");
        }

        [Test]
        public void UnknownRole()
        {
            Fails(HarmonyStatus.InvalidArgument, () => _enc.RenderCompletion(ApiTests.Conv, (Role)9), "next_role");
            Fails(HarmonyStatus.InvalidArgument, () => _enc.Parse(new uint[] { 200005 }, (Role)17), "role");
            Fails(HarmonyStatus.InvalidArgument, () => new StreamParser(_enc, (Role)5), "role");
            // In JSON the library and the typed model both reject unknown role names.
            Fails(HarmonyStatus.InvalidJson, () => _enc.RenderCompletion("{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}"), "robot");
            Fails(HarmonyStatus.InvalidJson, () => Message.FromJson("{\"role\":\"robot\",\"content\":\"x\"}"), "unknown role `robot`");
            Fails(HarmonyStatus.InvalidArgument, () => new Message((Role)7, "x").ToJson(), "role");
        }

        [Test]
        public void BadFlags()
        {
            Fails(HarmonyStatus.InvalidArgument, () => _enc.RenderCompletion(ApiTests.Conv, Role.Assistant, (RenderFlags)0x80), "flag");
            Fails(HarmonyStatus.InvalidArgument, () => _enc.Parse(new uint[0], Role.Assistant, (ParseFlags)0x40), "flag");
            Fails(HarmonyStatus.InvalidArgument, () => _enc.CreateParser(Role.Assistant, (ParseFlags)0xff), "flag");
        }

        [Test]
        public void UnknownEncodingName()
        {
            Fails(HarmonyStatus.InvalidArgument, () => new HarmonyEncoding("nope"), "nope");
        }

        [Test]
        public void InvalidTokens()
        {
            Fails(HarmonyStatus.UnknownToken, () => _enc.Decode(new uint[] { HarmonyTokens.VocabSize }), "201089");
            Fails(HarmonyStatus.UnknownToken, () => _enc.Decode(new uint[] { uint.MaxValue }, lossy: true), "4294967295");
            Fails(HarmonyStatus.InvalidUtf8, () => _enc.Decode(new uint[] { 127 }), "UTF-8");
            Fails(HarmonyStatus.Parse, () => _enc.Parse(new uint[] { 200006, uint.MaxValue }, null), "");
            Fails(HarmonyStatus.Parse, () => _enc.Parse(new uint[] { 200005, 17196, 200008, 19, 200002 }, null), "200006");
            Fails(HarmonyStatus.InvalidArgument, () => HarmonyEncoding.SpecialTokenId("hello"), "hello");
            Fails(HarmonyStatus.InvalidArgument, () => HarmonyEncoding.SpecialTokenName(5), "5");
        }

        [Test]
        public void ParserErrors()
        {
            using (var p = _enc.CreateParser())
                Fails(HarmonyStatus.Parse, () => p.ProcessEos(), "header");
            using (var p = _enc.CreateParser(null))
            {
                p.Process(new uint[] { 200006, 173781, 200005, 17196, 200008, 19, 200002 });
                Fails(HarmonyStatus.Parse, () => p.Process(new uint[] { 173781 }), "tokens[0]");
            }
        }

        [Test]
        public void UnpairedSurrogateIsInvalidUtf8()
        {
            Fails(HarmonyStatus.InvalidUtf8, () => _enc.Encode("ab\uD800"), "index 2");
            Fails(HarmonyStatus.InvalidUtf8, () => _enc.RenderCompletion("{\"messages\":[{\"role\":\"user\",\"content\":\"\uDC00\"}]}"), "json");
        }

        [Test]
        public void NullArguments()
        {
            Assert.Throws<ArgumentNullException>(() => _enc.RenderCompletion((string)null));
            Assert.Throws<ArgumentNullException>(() => _enc.RenderCompletion((Conversation)null));
            Assert.Throws<ArgumentNullException>(() => _enc.Parse(null));
            Assert.Throws<ArgumentNullException>(() => _enc.Encode(null));
            Assert.Throws<ArgumentNullException>(() => _enc.Decode(null));
            Assert.Throws<ArgumentNullException>(() => new StreamParser(null));
        }

        [Test]
        public void DisposedEncoding()
        {
            var enc = new HarmonyEncoding();
            enc.Dispose();
            enc.Dispose(); // harmless
            Assert.Throws<ObjectDisposedException>(() => enc.RenderCompletion(ApiTests.Conv));
            Assert.Throws<ObjectDisposedException>(() => enc.RenderConversation(ApiTests.Conv));
            Assert.Throws<ObjectDisposedException>(() => enc.Parse(new uint[0]));
            Assert.Throws<ObjectDisposedException>(() => enc.Encode("x"));
            Assert.Throws<ObjectDisposedException>(() => enc.Decode(new uint[0]));
            Assert.Throws<ObjectDisposedException>(() => { var unused = enc.StopTokens; });
            Assert.Throws<ObjectDisposedException>(() => enc.CreateParser());
            int n;
            Assert.Throws<ObjectDisposedException>(() => enc.TryEncodeInto("x", new uint[4], out n));
        }

        [Test]
        public void DisposedParser()
        {
            var p = _enc.CreateParser();
            p.Dispose();
            p.Dispose(); // harmless
            Assert.Throws<ObjectDisposedException>(() => p.Process(1u));
            Assert.Throws<ObjectDisposedException>(() => p.Process(new uint[] { 1 }));
            Assert.Throws<ObjectDisposedException>(() => p.ProcessEos());
            Assert.Throws<ObjectDisposedException>(() => { var unused = p.LastDelta; });
            Assert.Throws<ObjectDisposedException>(() => { var unused = p.Content; });
            Assert.Throws<ObjectDisposedException>(() => { var unused = p.State; });
            Assert.Throws<ObjectDisposedException>(() => { var unused = p.CurrentRole; });
            Assert.Throws<ObjectDisposedException>(() => { var unused = p.MessageCount; });
            Assert.Throws<ObjectDisposedException>(() => { var unused = p.MessagesJson; });
        }

        [Test]
        public void LibraryStaysUsableAfterErrors()
        {
            for (int i = 0; i < 1000; i++)
                Assert.Throws<HarmonyException>(() => _enc.RenderCompletion("{"));
            CollectionAssert.AreEqual(ApiTests.ConvTokens, _enc.RenderCompletion(ApiTests.Conv));
        }
    }
}
