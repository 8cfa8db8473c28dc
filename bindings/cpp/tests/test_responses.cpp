// Tests of the OpenAI Responses API bridge in harmony.hpp (harmony::responses_render,
// harmony::responses_parse, harmony::ResponsesStream). The mapping is the library's
// (tests/responses.rs, tests/python/test_responses.py); these tests check that the wrapper
// carries requests, options, responses, events and errors through the C ABI unchanged.
#include "harmony.hpp"

#include "json_value.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using harmony::Encoding;
using harmony::Error;
using harmony::ResponsesStream;

const char* kCompletion =
    "<|channel|>analysis<|message|>Two cities.<|end|><|start|>assistant<|channel|>commentary to=functions.w "
    "<|constrain|>json<|message|>{\"c\":\"Tokyo\"}<|call|><|start|>assistant<|channel|>commentary to=functions.w "
    "<|constrain|>json<|message|>{\"c\":\"Paris\"}<|call|>";

TEST(Responses, RenderCarriesRequestAndOptions) {
  Encoding enc;
  std::vector<std::uint32_t> t =
      harmony::responses_render(enc, R"({"instructions":"Be brief.","input":"Hello!"})",
                                R"({"conversation_start_date":"2025-06-28"})");
  std::string text = enc.decode(t);
  EXPECT_NE(text.find("Current date: 2025-06-28"), std::string::npos);
  EXPECT_NE(text.find("Be brief."), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 18), "<|start|>assistant");
}

TEST(Responses, RenderErrorsNameTheItem) {
  Encoding enc;
  try {
    harmony::responses_render(enc, R"({"input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]})");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), HARMONY_ERROR_INVALID_JSON);
    EXPECT_NE(std::string(e.what()).find("request.input[0].content[0]"), std::string::npos) << e.what();
  }
  try {
    harmony::responses_render(enc, R"({"input":"x"})", R"({"colour":1})");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), HARMONY_ERROR_INVALID_JSON);
  }
}

TEST(Responses, ParseAndStreamAgree) {
  Encoding enc;
  std::vector<std::uint32_t> c = enc.encode(kCompletion, true);
  testjson::Value r = testjson::parse(harmony::responses_parse(enc, c, R"({"id":"resp_9"})"));
  EXPECT_EQ(r["id"].str(), "resp_9");
  EXPECT_EQ(r["status"].str(), "completed");
  ASSERT_EQ(r["output"].items.size(), 3u);
  EXPECT_EQ(r["output"].items[1]["type"].str(), "function_call");
  EXPECT_EQ(r["output"].items[2]["arguments"].str(), "{\"c\":\"Paris\"}");

  ResponsesStream stream(enc, R"({"id":"resp_9"})");
  std::size_t events = 0;
  std::string last;
  for (std::uint32_t t : c) {
    testjson::Value evs = testjson::parse(stream.process(t));
    events += evs.items.size();
  }
  testjson::Value tail = testjson::parse(stream.finish());
  ASSERT_FALSE(tail.items.empty());
  const testjson::Value& done = tail.items.back();
  EXPECT_EQ(done["type"].str(), "response.completed");
  EXPECT_EQ(std::stoul(done["sequence_number"].text), events + tail.items.size() - 1);
  EXPECT_EQ(done["response"]["output"].items.size(), 3u);
  EXPECT_THROW(stream.finish(), Error);
}

TEST(Responses, NextLendsWhatProcessCopies) {
  Encoding enc;
  std::vector<std::uint32_t> c = enc.encode(kCompletion, true);
  ResponsesStream lending(enc, R"({"id":"resp_9"})"), copying(enc, R"({"id":"resp_9"})");
  std::size_t none = 0;
  for (std::uint32_t t : c) {
    std::optional<std::string_view> lent = lending.next(t);
    std::string copied = copying.process(t);
    if (lent) {
      EXPECT_EQ(*lent, copied);
    } else {
      EXPECT_EQ(copied, "[]");
      none++;
    }
  }
  EXPECT_GT(none, 0u);
  EXPECT_EQ(lending.finish(), copying.finish());
  EXPECT_THROW(lending.next(1), Error);
}

TEST(Responses, StreamErrorsAndMoves) {
  Encoding enc;
  ResponsesStream a(enc);
  try {
    a.process(HARMONY_VOCAB_SIZE);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), HARMONY_ERROR_UNKNOWN_TOKEN);
  }
  ResponsesStream b(std::move(a));
  EXPECT_FALSE(a);
  EXPECT_TRUE(b);
  try {
    a.process(1);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), HARMONY_ERROR_INVALID_ARGUMENT);
  }
  EXPECT_THROW(ResponsesStream(enc, "[]"), Error);
  EXPECT_THROW(harmony::responses_parse(enc, std::vector<std::uint32_t>{HARMONY_VOCAB_SIZE}), Error);
}

}  // namespace
