// A first C# program against an installed libharmony (tests/consumer: compiled with Mono's mcs
// against the installed LibHarmony.dll). Prints "ok <version>" when the library works.
using System;
using LibHarmony;

internal static class Program
{
    private static int Main()
    {
        using (var enc = new HarmonyEncoding())
        {
            uint[] prompt = enc.RenderCompletion(new Conversation(new Message(Role.User, "What is 2+2?")));
            uint[] reply = enc.Encode("<|channel|>final<|message|>4<|return|>", allowSpecial: true);
            var messages = enc.Parse(reply);
            bool good = prompt.Length > 3 && messages.Count == 1 && messages[0].Text == "4";
            Console.WriteLine((good ? "ok " : "bad ") + HarmonyEncoding.Version);
            return good ? 0 : 1;
        }
    }
}
