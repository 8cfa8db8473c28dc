// One HarmonyEncoding shared by 8 threads: every thread renders and parses all golden vectors
// and gets exactly the single-threaded results.
using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using LibHarmony;
using NUnit.Framework;

namespace LibHarmony.Tests
{
    [TestFixture]
    public class ConcurrencyTests
    {
        private static string[] RunAll(HarmonyEncoding enc, List<JsonValue> vectors)
        {
            var results = new string[vectors.Count];
            for (int i = 0; i < vectors.Count; i++)
            {
                JsonValue v = vectors[i];
                try
                {
                    if (Golden.Str(v, "kind") == "render")
                    {
                        results[i] = Golden.Show(Golden.Render(enc, v));
                    }
                    else
                    {
                        results[i] = enc.ParseJson(Golden.Tokens(v, "tokens"), Golden.RoleOf(Golden.Str(v, "role")),
                            Golden.ParseFlagsOf(v));
                        // A parser per vector, streamed on this thread, from the shared encoding.
                        if (!Golden.Has(v, "error"))
                            using (var p = enc.CreateParser(Golden.RoleOf(Golden.Str(v, "role")), Golden.ParseFlagsOf(v)))
                            {
                                p.Process(Golden.Tokens(v, "tokens"));
                                p.ProcessEos();
                                results[i] += "|" + p.MessageCount;
                            }
                    }
                }
                catch (HarmonyException e)
                {
                    results[i] = "error " + e.Status + ": " + e.Message;
                }
            }
            return results;
        }

        [Test]
        public void EightThreadsShareOneEncoding()
        {
            var vectors = new List<JsonValue>();
            foreach (JsonValue v in Golden.All())
            {
                string kind = Golden.Str(v, "kind");
                if (kind == "render" || kind == "parse") vectors.Add(v);
            }
            using (var enc = new HarmonyEncoding())
            {
                string[] baseline = RunAll(enc, vectors);
                for (int i = 0; i < vectors.Count; i++)
                {
                    JsonValue v = vectors[i];
                    if (Golden.Has(v, "tokens") && Golden.Str(v, "kind") == "render")
                        Assert.AreEqual(Golden.Show(Golden.Tokens(v, "tokens")), baseline[i], Golden.Str(v, "id"));
                }
                var tasks = new Task<string[]>[8];
                for (int t = 0; t < tasks.Length; t++)
                    tasks[t] = Task.Factory.StartNew(() => RunAll(enc, vectors), TaskCreationOptions.LongRunning);
                Task.WaitAll(tasks);
                foreach (Task<string[]> task in tasks)
                    CollectionAssert.AreEqual(baseline, task.Result);
                Console.WriteLine("concurrency: 8 threads x {0} vectors, identical results", vectors.Count);
            }
        }
    }
}
