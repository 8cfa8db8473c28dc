// Renders a conversation into prompt tokens, then streams a completion through the parser
// token by token, printing each content delta as it arrives.
//
//   usage: mono Example.exe [conversation.json]   (default: examples/conversation.json)
//   (libharmony.so must be on LD_LIBRARY_PATH or next to LibHarmony.dll)
using System;
using System.IO;
using System.Text;
using LibHarmony;

internal static class Example
{
    private static int Main(string[] args)
    {
        string path = args.Length > 0 ? args[0] : "examples/conversation.json";
        // Deltas are UTF-8 text: print them as UTF-8 whatever the locale says.
        Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true });
        try
        {
            using (var encoding = new HarmonyEncoding())
            {
                uint[] prompt = encoding.RenderCompletion(File.ReadAllText(path), Role.Assistant);
                Console.WriteLine("prompt: {0} tokens: {1}", prompt.Length, string.Join(" ", prompt));

                // A completion as a model would sample it (here: encoded text with special tokens).
                uint[] completion = encoding.Encode(
                    "<|channel|>analysis<|message|>The tool says 21°C and clear.<|end|>" +
                    "<|start|>assistant<|channel|>final<|message|>It is 21 °C and sunny in Tokyo ☀️.<|return|>",
                    allowSpecial: true);

                using (var parser = new StreamParser(encoding, Role.Assistant))
                {
                    foreach (uint token in completion)
                    {
                        parser.Process(token);
                        string delta = parser.LastDelta;
                        if (delta != null) Console.WriteLine("[{0}] {1}", parser.Channel, delta);
                    }
                    parser.ProcessEos();
                    Console.WriteLine("messages: {0}", parser.MessagesJson);
                    foreach (Message m in parser.Messages)
                        Console.WriteLine("{0}/{1}: {2}", m.Role, m.Channel, m.Text);
                }
            }
            return 0;
        }
        catch (HarmonyException e)
        {
            Console.Error.WriteLine("harmony error ({0}): {1}", e.Status, e.Message);
            return 1;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine("cannot read {0}: {1}", path, e.Message);
            return 1;
        }
    }
}
