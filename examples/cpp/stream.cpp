// Renders a conversation with the C++ wrapper, then streams a completion through
// harmony::StreamParser with one step() per token, printing each content delta with its
// channel and each message as it ends.
//
//   usage: harmony_cpp_example [conversation.json]   (default: examples/conversation.json)
#include <harmony.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "examples/conversation.json";
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::cerr << "cannot read " << path << "\n";
    return 1;
  }
  std::stringstream json;
  json << file.rdbuf();
  try {
    harmony::Encoding enc;  // immutable: share it between threads
    std::vector<uint32_t> prompt = enc.render_completion(json.str(), harmony::Role::Assistant);
    std::cout << "prompt: " << prompt.size() << " tokens\n";

    // A completion as a model would sample it (here: encoded text with special tokens).
    std::vector<uint32_t> completion = enc.encode(
        "<|channel|>analysis<|message|>The tool says 21°C and clear.<|end|>"
        "<|start|>assistant<|channel|>final<|message|>It is 21 °C and sunny in Tokyo ☀️.<|return|>",
        /*allow_special=*/true);

    // One call per sampled token: the event's views borrow the parser until the next step().
    harmony::StreamParser parser(enc, harmony::Role::Assistant);
    for (uint32_t token : completion) {
      harmony::ParserEvent ev = parser.step(token);
      if (ev.has_delta()) std::cout << '[' << ev.channel.value_or("") << "] " << *ev.delta << '\n';
      if (ev.message_ended())
        std::cout << "-- message " << ev.message_count - 1 << " ended (" << ev.channel.value_or("") << ")\n";
    }
    parser.step_eos();
    for (const harmony::Message& m : parser.messages())
      std::cout << m.channel.value_or("") << ": " << m.text() << '\n';
  } catch (const harmony::Error& e) {
    std::cerr << "error: " << e.what() << " (" << e.status_name() << ")\n";
    return 1;
  }
  return 0;
}
