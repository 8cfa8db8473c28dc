// Renders a conversation with the C++ wrapper, then streams a completion through
// harmony::StreamParser token by token, printing each content delta with its channel.
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

    harmony::StreamParser parser(enc, harmony::Role::Assistant);
    for (uint32_t token : completion) {
      parser.process(token);
      if (auto delta = parser.last_delta())  // borrowed view, valid until the next process()
        std::cout << '[' << parser.channel().value_or("") << "] " << *delta << '\n';
    }
    parser.process_eos();
    for (const harmony::Message& m : parser.messages())
      std::cout << m.channel.value_or("") << ": " << m.text() << '\n';
  } catch (const harmony::Error& e) {
    std::cerr << "error: " << e.what() << " (" << e.status_name() << ")\n";
    return 1;
  }
  return 0;
}
