// Loads tests/golden/vectors.jsonl (path in HARMONY_GOLDEN, set by CMake) and provides small
// helpers to read vector fields.
using System;
using System.Collections.Generic;
using System.IO;
using LibHarmony;

namespace LibHarmony.Tests
{
    internal static class Golden
    {
        private static List<JsonValue> _vectors;
        private static readonly object Gate = new object();

        public static string PathOf()
        {
            string env = Environment.GetEnvironmentVariable("HARMONY_GOLDEN");
            if (!string.IsNullOrEmpty(env)) return env;
            // Fallback when run by hand: walk up from the working directory to the repository.
            for (string dir = Directory.GetCurrentDirectory(); dir != null; dir = Path.GetDirectoryName(dir))
            {
                string p = Path.Combine(dir, "tests", "golden", "vectors.jsonl");
                if (File.Exists(p)) return p;
            }
            throw new InvalidOperationException("set HARMONY_GOLDEN to tests/golden/vectors.jsonl");
        }

        public static List<JsonValue> All()
        {
            lock (Gate)
            {
                if (_vectors == null)
                {
                    var list = new List<JsonValue>();
                    foreach (string line in File.ReadAllLines(PathOf()))
                        if (line.Length > 0) list.Add(JsonValue.Parse(line));
                    _vectors = list;
                }
                return _vectors;
            }
        }

        public static IEnumerable<JsonValue> OfKind(string kind)
        {
            foreach (JsonValue v in All())
                if (Str(v, "kind") == kind) yield return v;
        }

        public static string Str(JsonValue v, string key)
        {
            JsonValue f = v.Get(key);
            return f == null || f.IsNull ? null : f.Text;
        }

        public static bool Has(JsonValue v, string key)
        {
            return v.Get(key) != null;
        }

        public static uint[] Tokens(JsonValue v, string key)
        {
            JsonValue arr = v.Get(key);
            var t = new uint[arr.Items.Count];
            for (int i = 0; i < t.Length; i++) t[i] = (uint)arr.Items[i].AsLong();
            return t;
        }

        /// <summary>A role name as the wrapper's enum; unknown names become an out-of-range value the library rejects.</summary>
        public static Role? RoleOf(string name)
        {
            if (name == null) return null;
            string[] names = { "user", "assistant", "system", "developer", "tool" };
            int i = Array.IndexOf(names, name);
            return i >= 0 ? (Role)i : (Role)99;
        }

        public static ParseFlags ParseFlagsOf(JsonValue v)
        {
            return v.Get("strict").Bool ? ParseFlags.None : ParseFlags.Lenient;
        }

        /// <summary>Renders a "render" vector (or <paramref name="input"/> in its place) with the vector's mode, next role and auto_drop_analysis.</summary>
        public static uint[] Render(HarmonyEncoding enc, JsonValue v, string input = null)
        {
            input = input ?? Str(v, "input");
            RenderFlags flags = v.Get("auto_drop_analysis").Bool ? RenderFlags.None : RenderFlags.KeepAnalysis;
            switch (Str(v, "mode"))
            {
                case "completion":
                    return enc.RenderCompletion(input, RoleOf(Str(v, "next_role")) ?? (Role)99, flags);
                case "conversation":
                    return enc.RenderConversation(input, flags);
                case "training":
                    return enc.RenderTraining(input, flags);
                default:
                    throw new InvalidOperationException("unknown mode " + Str(v, "mode"));
            }
        }

        public static string Show(uint[] t)
        {
            return t == null ? "null" : "[" + string.Join(",", Array.ConvertAll(t, x => x.ToString())) + "]";
        }
    }
}
