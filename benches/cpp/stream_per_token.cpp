// Per-token cost of the C++ wrapper (bindings/cpp/harmony.hpp) against the raw C calls it wraps,
// timed in the same process (issue 18): event_loop.c's 32,768-token completion fed one call per
// token through harmony::StreamParser::step vs harmony_parser_step, harmony::ChatStream::next vs
// harmony_chat_stream_next, and harmony::ResponsesStream::next vs harmony_responses_stream_next.
// Best of ROUNDS runs, the wrapper and the C loop alternating, so load from other processes on a
// shared machine only ever adds time. No dependencies beyond the library (std::chrono).
//
//   cargo build --release --lib && ln -sf libharmony.so target/release/libharmony.so.0
//   c++ -std=c++17 -O2 -Iinclude -Ibindings/cpp benches/cpp/stream_per_token.cpp -Ltarget/release
//       -lharmony -Wl,-rpath,$PWD/target/release -o /tmp/stream_per_token && /tmp/stream_per_token
//
// (one command line; the SONAME link is what CMake's build tree and an install provide;
// scripts/bench.sh builds and runs it the same way).
#include "harmony.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int ROUNDS = 15;
constexpr std::size_t N = 32768;

double now_ns() {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// <|channel|>final<|message|> + prose + <|return|>, 32,768 tokens in all (as event_loop.c).
std::vector<std::uint32_t> completion(const harmony::Encoding& enc) {
  std::string text;
  const char* unit = "The quick brown fox jumps over the lazy dog, and then it rests in the shade. ";
  for (int i = 0; i < 4000; i++) text += unit;
  std::vector<std::uint32_t> body = enc.encode(text);
  if (body.size() < N) throw std::runtime_error("completion too short");
  std::vector<std::uint32_t> t(N);
  t[0] = HARMONY_TOKEN_CHANNEL;
  t[1] = 17196;  // final
  t[2] = HARMONY_TOKEN_MESSAGE;
  std::memcpy(t.data() + 3, body.data(), (N - 4) * sizeof t[0]);
  t[N - 1] = HARMONY_TOKEN_RETURN;
  return t;
}

struct Best {
  double ns = 1e30;
  std::size_t bytes = 0;
  void take(double t0, double t1, std::size_t b) {
    if (t1 - t0 < ns) ns = t1 - t0;
    bytes = b;
  }
};

void report(const char* what, const Best& cpp, const Best& c) {
  std::printf("%-22s C++ wrapper %6.1f ns/token   raw C %6.1f ns/token   overhead %+5.1f ns/token (%zu bytes)\n", what,
              cpp.ns / N, c.ns / N, (cpp.ns - c.ns) / N, cpp.bytes);
  if (cpp.bytes != c.bytes) {
    std::fprintf(stderr, "%s: the wrapper and the C loop disagree (%zu vs %zu bytes)\n", what, cpp.bytes, c.bytes);
    std::exit(3);
  }
}

}  // namespace

int main() {
  harmony::Encoding enc;
  const std::vector<std::uint32_t> tokens = completion(enc);
  const char* chat_opts = R"({"model":"gpt-oss-120b","id":"chatcmpl-bench","created":1764547200})";
  const char* resp_opts = R"({"model":"gpt-oss-120b","id":"resp_bench","created_at":1764547200})";

  Best step_cpp, step_c, chat_cpp, chat_c, resp_cpp, resp_c;
  for (int r = 0; r < ROUNDS; r++) {
    {  // harmony::StreamParser::step
      harmony::StreamParser p(enc);
      std::size_t bytes = 0;
      double t0 = now_ns();
      for (std::uint32_t t : tokens) {
        harmony::ParserEvent ev = p.step(t);
        if (ev.delta) bytes += ev.delta->size();
      }
      step_cpp.take(t0, now_ns(), bytes);
    }
    {  // harmony_parser_step
      harmony_parser* p = nullptr;
      if (harmony_parser_new(enc.get(), HARMONY_ROLE_ASSISTANT, 0, &p, nullptr) != HARMONY_OK) return 2;
      harmony_parser_event ev;
      std::size_t bytes = 0;
      double t0 = now_ns();
      for (std::uint32_t t : tokens) {
        if (harmony_parser_step(p, t, &ev, nullptr) != HARMONY_OK) return 2;
        bytes += ev.delta.len;
      }
      step_c.take(t0, now_ns(), bytes);
      harmony_parser_free(p);
    }
    {  // harmony::ChatStream::next
      harmony::ChatOptions o;
      o.model = "gpt-oss-120b";
      o.id = "chatcmpl-bench";
      o.created = 1764547200;
      harmony::ChatStream s(enc, o);
      std::size_t bytes = 0;
      double t0 = now_ns();
      for (std::uint32_t t : tokens) {
        if (auto chunk = s.next(t)) bytes += chunk->size();
      }
      chat_cpp.take(t0, now_ns(), bytes);
    }
    {  // harmony_chat_stream_next
      harmony_chat_stream* s = nullptr;
      if (harmony_chat_stream_new(enc.get(), chat_opts, std::strlen(chat_opts), &s, nullptr) != HARMONY_OK) return 2;
      std::size_t bytes = 0;
      double t0 = now_ns();
      for (std::uint32_t t : tokens) {
        const char* data = nullptr;
        std::size_t len = 0;
        if (harmony_chat_stream_next(s, t, &data, &len, nullptr) != HARMONY_OK) return 2;
        bytes += len;
      }
      chat_c.take(t0, now_ns(), bytes);
      harmony_chat_stream_free(s);
    }
    {  // harmony::ResponsesStream::next
      harmony::ResponsesStream s(enc, resp_opts);
      std::size_t bytes = 0;
      double t0 = now_ns();
      for (std::uint32_t t : tokens) {
        if (auto events = s.next(t)) bytes += events->size();
      }
      resp_cpp.take(t0, now_ns(), bytes);
    }
    {  // harmony_responses_stream_next
      harmony_responses_stream* s = nullptr;
      if (harmony_responses_stream_new(enc.get(), resp_opts, std::strlen(resp_opts), &s, nullptr) != HARMONY_OK) return 2;
      std::size_t bytes = 0;
      double t0 = now_ns();
      for (std::uint32_t t : tokens) {
        const char* data = nullptr;
        std::size_t len = 0;
        if (harmony_responses_stream_next(s, t, &data, &len, nullptr) != HARMONY_OK) return 2;
        bytes += len;
      }
      resp_c.take(t0, now_ns(), bytes);
      harmony_responses_stream_free(s);
    }
  }
  std::printf("%zu tokens (event_loop.c's completion), best of %d rounds\n", N, ROUNDS);
  report("parser step", step_cpp, step_c);
  report("chat stream next", chat_cpp, chat_c);
  report("responses stream next", resp_cpp, resp_c);
  return 0;
}
