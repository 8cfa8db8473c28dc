// A first C++ program against libharmony (tests/consumer: built with find_package and with
// add_subdirectory, shared and static). Prints "ok <version>" when the library works.
#include <harmony.hpp>

#include <iostream>

int main() {
  harmony::Encoding enc;
  harmony::Conversation conv{{harmony::Message(harmony::Role::User, "What is 2+2?")}};
  std::vector<std::uint32_t> prompt = enc.render_completion(conv);
  std::vector<std::uint32_t> reply =
      enc.encode("<|channel|>final<|message|>4<|return|>", /*allow_special=*/true);
  std::vector<harmony::Message> messages = enc.parse(reply);
  bool good = prompt.size() > 3 && prompt.front() == HARMONY_TOKEN_START && messages.size() == 1 &&
              messages[0].channel == "final" && messages[0].text() == "4";
  std::cout << (good ? "ok " : "bad ") << harmony::Encoding::version() << "\n";
  return good ? 0 : 1;
}
