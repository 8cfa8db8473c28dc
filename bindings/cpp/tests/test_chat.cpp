// Tests of the OpenAI Chat Completions bridge in harmony.hpp (Encoding::chat_render,
// Encoding::chat_parse, harmony::ChatStream, harmony::ChatOptions). The mapping is the
// library's; these tests check that the wrapper carries requests, options, responses, chunks
// and errors through the C ABI unchanged, porting the cases of tests/chat_completions.rs.
#include "harmony.hpp"

#include "json_value.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using harmony::ChatOptions;
using harmony::ChatStream;
using harmony::Encoding;
using harmony::Error;
using harmony::StreamParser;

// Runs `f` and returns the harmony::Error it throws; fails the test if it throws nothing.
template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no harmony::Error thrown";
  return Error(HARMONY_OK, "");
}

#define EXPECT_HARMONY_ERROR(expr, want_status, needle)                                        \
  do {                                                                                         \
    Error e_ = error_of([&] { (void)(expr); });                                                \
    EXPECT_EQ(e_.status(), (want_status)) << #expr << ": " << e_.what();                       \
    EXPECT_NE(std::string(e_.what()).find(needle), std::string::npos)                          \
        << #expr << ": message `" << e_.what() << "` lacks `" << (needle) << "`";              \
  } while (0)

// The options of tests/chat_completions.rs: a fixed date, everything else default.
ChatOptions dated() {
  ChatOptions o;
  o.conversation_start_date = "2025-06-28";
  return o;
}

// The system message the bridge renders (tests/chat_completions.rs `system`), as wire JSON.
std::string system_message(const char* effort) {
  return std::string(R"json({"role":"system","content":[{"type":"system_content",)json") +
         R"json("model_identity":"You are ChatGPT, a large language model trained by OpenAI.",)json" +
         R"json("reasoning_effort":")json" + effort +
         R"json(","conversation_start_date":"2025-06-28","knowledge_cutoff":"2024-06",)json" +
         R"json("channel_config":{"valid_channels":["analysis","commentary","final"],"channel_required":true}}]})json";
}

const char* const kWeatherSchema =
    R"json({"type":"object","properties":{)json"
    R"json("location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},)json"
    R"json("format":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"}},)json"
    R"json("required":["location"]})json";

// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Completion tokens for `text` (special-token spellings become special tokens).
std::vector<uint32_t> completion(const Encoding& enc, const std::string& text) { return enc.encode(text, true); }

// Every chunk of a streamed completion: process() results, then finish().
std::vector<std::string> stream_all(const Encoding& enc, const std::vector<uint32_t>& tokens,
                                    const ChatOptions& options = {}) {
  ChatStream stream(enc, options);
  std::vector<std::string> chunks;
  for (uint32_t t : tokens) {
    if (std::optional<std::string> chunk = stream.process(t)) chunks.push_back(std::move(*chunk));
  }
  chunks.push_back(stream.finish());
  return chunks;
}

const testjson::Value& first_choice(const testjson::Value& v) { return v["choices"].items.at(0); }

// ---- ChatOptions ----

TEST(ChatOptions, ToJsonOmitsAbsentFieldsAndWritesTheRest) {
  EXPECT_EQ(ChatOptions{}.to_json(), "{}");
  ChatOptions o;
  o.conversation_start_date = "2025-06-28";
  o.model = "gpt-oss-20b";
  o.id = "chatcmpl-\"1\"\n";
  o.created = 18446744073709551615ull;
  o.fix_constrain_recipient = false;
  EXPECT_EQ(o.to_json(),
            R"({"conversation_start_date":"2025-06-28","model":"gpt-oss-20b","id":"chatcmpl-\"1\"\n",)"
            R"("created":18446744073709551615,"fix_constrain_recipient":false})");
  ChatOptions f;
  f.fix_constrain_recipient = true;
  EXPECT_EQ(f.to_json(), R"({"fix_constrain_recipient":true})");
  // The library reads what the wrapper writes, including the escapes and the largest `created`.
  Encoding enc;
  testjson::Value r = testjson::parse(enc.chat_parse(completion(enc, "<|channel|>final<|message|>x<|return|>"), o));
  EXPECT_EQ(r["id"].str(), "chatcmpl-\"1\"\n");
  EXPECT_EQ(r["model"].str(), "gpt-oss-20b");
  EXPECT_EQ(r["created"].text, "18446744073709551615");
  ChatOptions parse;
  parse.finish_reason = "stop";
  parse.tool_call_id_seed = 7;
  parse.tool_call_id_prefix = "c\"";
  parse.reasoning_field = "reasoning";
  parse.tool_choice = "required";
  parse.parallel_tool_calls = false;
  EXPECT_EQ(parse.to_json(), R"({"finish_reason":"stop","tool_call_id_seed":7,"tool_call_id_prefix":"c\"",)"
                             R"("reasoning_field":"reasoning","tool_choice":"required","parallel_tool_calls":false})");
  ChatOptions named;
  named.tool_choice = "auto";
  named.tool_choice_function = "get_\"weather\"";
  EXPECT_EQ(named.to_json(), R"({"tool_choice":{"type":"function","function":{"name":"get_\"weather\""}}})");
}

// The parse options reach the library (issue 11 §3).
TEST(ChatOptions, ParseOptionsReachTheBridge) {
  Encoding enc;
  const std::vector<uint32_t> c = completion(
      enc, "<|channel|>analysis<|message|>R<|end|><|start|>assistant<|channel|>commentary to=functions.a<|message|>{}<|end|>"
           "<|start|>assistant<|channel|>commentary to=functions.b<|message|>{}<|call|>");
  ChatOptions o;
  o.reasoning_field = "reasoning";
  o.tool_call_id_prefix = "req-";
  o.tool_choice_function = "b";
  testjson::Value r = testjson::parse(enc.chat_parse(c, o));
  const testjson::Value& m = first_choice(r)["message"];
  EXPECT_EQ(m["reasoning"].str(), "R");
  ASSERT_EQ(m["tool_calls"].items.size(), 1u);
  EXPECT_EQ(m["tool_calls"].items[0]["function"]["name"].str(), "b");
  EXPECT_EQ(m["tool_calls"].items[0]["id"].str(), "req-0");
  EXPECT_EQ(first_choice(r)["finish_reason"].str(), "stop") << "a forced call is reported as OpenAI does";
  ChatOptions engine;
  engine.finish_reason = "stop";
  testjson::Value cut = testjson::parse(enc.chat_parse(completion(enc, "<|channel|>final<|message|>Hi"), engine));
  EXPECT_EQ(first_choice(cut)["finish_reason"].str(), "stop");
  ChatOptions bad;
  bad.finish_reason = "abort";
  EXPECT_HARMONY_ERROR(enc.chat_parse(c, bad), HARMONY_ERROR_INVALID_JSON, "abort");
}

// ---- rendering ----

TEST(Chat, DeveloperAndUserMessagesRenderLikeTheHandWrittenConversation) {
  Encoding enc;
  const char* request = R"({"model":"gpt-oss-120b","messages":[
      {"role":"developer","content":"You are a helpful assistant."},
      {"role":"user","content":"Hello!"}],"temperature":0.7,"stream":false})";
  const std::string conv = R"({"messages":[)" + system_message("Medium") +
                           R"(,{"role":"developer","content":[{"type":"developer_content",)"
                           R"("instructions":"You are a helpful assistant."}]},)"
                           R"({"role":"user","content":"Hello!"}]})";
  EXPECT_EQ(enc.chat_render(request, dated()), enc.render_completion(conv));
}

// The function-calling flow of the harmony docs (tests/chat_completions.rs
// tool_calling_flow_matches_reference): a tool is declared, the assistant reasons and calls it,
// the tool answers, and the model is asked to continue.
TEST(Chat, ToolCallingFlowRendersLikeTheHandWrittenConversation) {
  Encoding enc;
  const std::string request =
      std::string(R"json({"model":"gpt-oss-20b","reasoning_effort":"low",)json") +
      R"json("tools":[{"type":"function","function":{"name":"get_current_weather",)json" +
      R"json("description":"Gets the current weather in the provided location.","parameters":)json" + kWeatherSchema +
      R"json(}}],"tool_choice":"auto","messages":[)json"
      R"json({"role":"system","content":"Always respond in riddles"},)json"
      R"json({"role":"user","content":"What is the weather like in SF?"},)json"
      R"json({"role":"assistant","content":null,"reasoning_content":"Need to use function get_current_weather.",)json"
      R"json("tool_calls":[{"id":"call_abc","type":"function",)json"
      R"json("function":{"name":"get_current_weather","arguments":"{\"location\":\"San Francisco\"}"}}]},)json"
      R"json({"role":"tool","tool_call_id":"call_abc","content":"{\"sunny\": true, \"temperature\": 20}"}]})json";
  const std::string conv =
      R"json({"messages":[)json" + system_message("Low") +
      R"json(,{"role":"developer","content":[{"type":"developer_content","instructions":"Always respond in riddles",)json"
      R"json("tools":{"functions":{"name":"functions","tools":[{"name":"get_current_weather",)json"
      R"json("description":"Gets the current weather in the provided location.","parameters":)json" +
      kWeatherSchema +
      R"json(}]}}}]},)json"
      R"json({"role":"user","content":"What is the weather like in SF?"},)json"
      R"json({"role":"assistant","channel":"analysis","content":"Need to use function get_current_weather."},)json"
      R"json({"role":"assistant","channel":"commentary","recipient":"functions.get_current_weather",)json"
      R"json("content_type":"<|constrain|>json","content":"{\"location\":\"San Francisco\"}"},)json"
      R"json({"role":"tool","name":"functions.get_current_weather","recipient":"assistant","channel":"commentary",)json"
      R"json("content":"{\"sunny\": true, \"temperature\": 20}"}]})json";

  const std::vector<uint32_t> ours = enc.chat_render(request, dated());
  EXPECT_EQ(ours, enc.render_completion(conv));
  // The typed route gives the same conversation, hence the same tokens.
  EXPECT_EQ(ours, enc.render_completion(harmony::Conversation::from_json(conv)));
  const std::string text = enc.decode(ours);
  EXPECT_NE(text.find("Calls to these tools must go to the commentary channel: 'functions'."), std::string::npos);
  EXPECT_NE(text.find("Current date: 2025-06-28"), std::string::npos);
  EXPECT_TRUE(ends_with(text, "<|start|>assistant")) << text;
}

TEST(Chat, StartDateComesFromTheOptionOrTheRequestNeverTheClock) {
  Encoding enc;
  const char* plain = R"({"messages":[{"role":"user","content":"Hi"}]})";
  const char* with_date = R"({"conversation_start_date":"2025-06-28","messages":[{"role":"user","content":"Hi"}]})";
  EXPECT_EQ(enc.chat_render(plain, dated()), enc.chat_render(with_date));
  EXPECT_EQ(enc.decode(enc.chat_render(plain)).find("Current date:"), std::string::npos);
  ChatOptions other;
  other.conversation_start_date = "2030-01-02";
  EXPECT_NE(enc.decode(enc.chat_render(with_date, other)).find("Current date: 2030-01-02"), std::string::npos);
}

// ---- parsing ----

TEST(Chat, ParseReasoningAndAnswer) {
  Encoding enc;
  const std::vector<uint32_t> c = completion(
      enc, "<|channel|>analysis<|message|>User asks 2+2.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>");
  testjson::Value r = testjson::parse(enc.chat_parse(c));
  EXPECT_EQ(r["object"].str(), "chat.completion");
  EXPECT_EQ(r["id"].str(), "chatcmpl-harmony");  // the library's defaults
  EXPECT_EQ(r["model"].str(), "gpt-oss");
  EXPECT_EQ(r["created"].as_u64(), 0u);
  const testjson::Value& choice = first_choice(r);
  EXPECT_EQ(choice["message"]["role"].str(), "assistant");
  EXPECT_EQ(choice["message"]["content"].str(), "2 + 2 = 4.");
  EXPECT_EQ(choice["message"]["reasoning_content"].str(), "User asks 2+2.");
  EXPECT_EQ(choice["message"].find("tool_calls"), nullptr);
  EXPECT_EQ(choice["finish_reason"].str(), "stop");
}

// Prefill: the last assistant message with "prefix": true renders open (no <|end|>), and with
// the request in the options its continuation is that message's text.
TEST(Chat, PrefixMessageContinues) {
  Encoding enc;
  const std::string request =
      R"({"messages":[{"role":"user","content":"6*7?"},{"role":"assistant","content":"The answer is","prefix":true}]})";
  const std::vector<uint32_t> prompt = enc.chat_render(request);
  EXPECT_NE(enc.decode(prompt).rfind("<|start|>assistant<|channel|>final<|message|>The answer is"), std::string::npos);
  EXPECT_NE(prompt.back(), 200007u) << "the message is left open";
  harmony::ChatOptions options;
  options.request = request;
  testjson::Value r = testjson::parse(enc.chat_parse(completion(enc, " 42.<|return|>"), options));
  EXPECT_EQ(first_choice(r)["message"]["content"].str(), " 42.");
  EXPECT_EQ(first_choice(r)["finish_reason"].str(), "stop");
}

// A raw parser continuing an open final answer (harmony_parser_new_continuing).
TEST(Chat, ContinuingParserReadsTheContinuation) {
  Encoding enc;
  StreamParser p = StreamParser::continuing(enc, R"({"channel":"final"})");
  for (uint32_t t : completion(enc, " 42.<|return|>")) p.process(t);
  p.process_eos();
  EXPECT_EQ(p.messages_json(), R"([{"role":"assistant","content":" 42.","channel":"final"}])");
  EXPECT_THROW(StreamParser::continuing(enc, R"({"colour":1})"), harmony::Error);
}

// Ending reasoning on demand: the injected tokens close the analysis, the model answers.
TEST(Chat, ForceAnswerEndsTheReasoning) {
  Encoding enc;
  ChatStream stream(enc);
  StreamParser parser(enc);
  for (uint32_t t : completion(enc, "<|channel|>analysis<|message|>Let me think")) {
    stream.process(t);
    parser.process(t);
  }
  const std::vector<uint32_t> forced = stream.force_answer();
  EXPECT_EQ(forced, parser.force_answer());
  EXPECT_EQ(enc.decode(forced), "<|end|><|start|>assistant<|channel|>final<|message|>");
  EXPECT_EQ(enc.decode(parser.force_answer("get_weather")),
            "<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>");
  EXPECT_THROW(parser.force_answer("get weather"), harmony::Error);
  std::string content;
  std::vector<uint32_t> rest = forced;
  for (uint32_t t : completion(enc, "42<|return|>")) rest.push_back(t);
  for (uint32_t t : rest) {
    const auto chunk = stream.process(t);
    if (chunk) {
      const testjson::Value c = testjson::parse(std::string(*chunk));
      const testjson::Value* d = c["choices"].items[0]["delta"].find("content");
      if (d) content += d->str();
    }
  }
  EXPECT_EQ(content, "42");
  EXPECT_NE(stream.finish().find("\"finish_reason\":\"stop\""), std::string::npos);
}

TEST(Chat, ParseToolCallInTheDocsForm) {
  Encoding enc;
  // The docs' form puts the recipient after the channel.
  const std::vector<uint32_t> c = completion(
      enc,
      "<|channel|>analysis<|message|>Need to use function get_current_weather.<|end|><|start|>assistant"
      "<|channel|>commentary to=functions.get_current_weather <|constrain|>json<|message|>{\"location\":\"San Francisco\"}<|call|>");
  const std::string json = enc.chat_parse(c.data(), c.size());
  testjson::Value r = testjson::parse(json);
  const testjson::Value& m = first_choice(r)["message"];
  EXPECT_TRUE(m["content"].is_null());
  EXPECT_EQ(m["reasoning_content"].str(), "Need to use function get_current_weather.");
  ASSERT_EQ(m["tool_calls"].items.size(), 1u);
  const testjson::Value& call = m["tool_calls"].items[0];
  EXPECT_EQ(call["type"].str(), "function");
  EXPECT_EQ(call["function"]["name"].str(), "get_current_weather");
  EXPECT_EQ(call["function"]["arguments"].str(), "{\"location\":\"San Francisco\"}");
  const std::string& id = call["id"].str();
  EXPECT_TRUE(starts_with(id, "call_") && id.size() == 29) << id;
  EXPECT_EQ(first_choice(r)["finish_reason"].str(), "tool_calls");
  EXPECT_NE(enc.chat_parse(c), json) << "ids are random by default";
  ChatOptions seeded;
  seeded.tool_call_id_seed = 3;
  EXPECT_EQ(enc.chat_parse(c, seeded), enc.chat_parse(c.data(), c.size(), seeded));  // reproducible with a seed
}

TEST(Chat, TruncatedCompletionFinishesWithLength) {
  Encoding enc;
  testjson::Value r = testjson::parse(enc.chat_parse(completion(enc, "<|channel|>final<|message|>The answer is")));
  EXPECT_EQ(first_choice(r)["finish_reason"].str(), "length");
  EXPECT_EQ(first_choice(r)["message"]["content"].str(), "The answer is");
  testjson::Value cut = testjson::parse(enc.chat_parse(completion(enc, "<|channel|>fin")));
  EXPECT_EQ(first_choice(cut)["finish_reason"].str(), "length");
  testjson::Value empty = testjson::parse(enc.chat_parse(nullptr, 0));
  EXPECT_EQ(first_choice(empty)["finish_reason"].str(), "length");
  EXPECT_TRUE(first_choice(empty)["message"]["content"].is_null());
}

TEST(Chat, ConstrainedFinalAnswerIsContent) {
  Encoding enc;
  // gpt-oss sometimes writes the constraint straight after `final`; 0.0.8 reads it as a
  // recipient (a tool call); the bridge always reads it as a content type (openai/harmony
  // PR #144), with or without the (now ignored) option.
  const std::vector<uint32_t> c = completion(enc, "<|channel|>final <|constrain|>json<|message|>{\"n\": 4}<|return|>");
  ChatOptions fixed;
  fixed.fix_constrain_recipient = true;
  testjson::Value with_fix = testjson::parse(enc.chat_parse(c, fixed));
  EXPECT_EQ(first_choice(with_fix)["message"]["content"].str(), "{\"n\": 4}");
  EXPECT_EQ(first_choice(with_fix)["message"].find("tool_calls"), nullptr);
  EXPECT_EQ(first_choice(with_fix)["finish_reason"].str(), "stop");
  testjson::Value without = testjson::parse(enc.chat_parse(c));
  EXPECT_EQ(first_choice(without)["message"].find("tool_calls"), nullptr);
  EXPECT_EQ(first_choice(without)["message"]["content"].str(), "{\"n\": 4}");
  // The stream too.
  std::vector<std::string> chunks = stream_all(enc, c);
  std::string content;
  for (const std::string& chunk : chunks) {
    const testjson::Value parsed = testjson::parse(chunk);
    const testjson::Value& d = first_choice(parsed)["delta"];
    if (const testjson::Value* piece = d.find("content")) content += piece->str();
    EXPECT_EQ(d.find("tool_calls"), nullptr) << chunk;
  }
  EXPECT_EQ(content, "{\"n\": 4}");
}

// ---- streaming ----

// tests/chat_completions.rs chunks_join_to_the_response_and_look_like_openai_chunks.
TEST(Chat, StreamChunksJoinToTheResponse) {
  Encoding enc;
  const std::vector<uint32_t> c = completion(
      enc,
      "<|channel|>analysis<|message|>Think 日本 🎉.<|end|><|start|>assistant<|channel|>commentary<|message|>Checking.<|end|>"
      "<|start|>assistant to=functions.lookup<|channel|>commentary <|constrain|>json<|message|>{\"q\": \"日本\"}<|call|>");
  ChatOptions o;
  o.id = "chatcmpl-1";
  o.created = 1700000000;
  o.model = "gpt-oss-20b";
  o.tool_call_id_seed = 1;  // the same ids in the stream and in chat_parse
  const std::vector<std::string> chunks = stream_all(enc, c, o);
  ASSERT_GE(chunks.size(), 3u);
  // next() lends the same chunks process() copies.
  ChatStream viewed(enc, o);
  std::size_t k = 0;
  for (uint32_t t : c) {
    if (std::optional<std::string_view> v = viewed.next(t)) {
      EXPECT_EQ(std::string(*v), chunks.at(k++));
    }
  }
  EXPECT_EQ(viewed.finish(), chunks.at(k++));
  EXPECT_EQ(k, chunks.size());
  EXPECT_LT(chunks.size(), c.size() + 1) << "header tokens produce no chunk";

  std::string content, reasoning, args, call_id, call_name;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    testjson::Value ch = testjson::parse(chunks[i]);
    EXPECT_EQ(ch["object"].str(), "chat.completion.chunk");
    EXPECT_EQ(ch["id"].str(), "chatcmpl-1");
    EXPECT_EQ(ch["created"].as_u64(), 1700000000u);
    EXPECT_EQ(ch["model"].str(), "gpt-oss-20b");
    const testjson::Value& d = first_choice(ch)["delta"];
    if (i == 0) {
      EXPECT_EQ(d["role"].str(), "assistant");
    } else {
      EXPECT_EQ(d.find("role"), nullptr) << chunks[i];
    }
    if (const testjson::Value* p = d.find("content")) content += p->str();
    if (const testjson::Value* p = d.find("reasoning_content")) reasoning += p->str();
    if (const testjson::Value* calls = d.find("tool_calls")) {
      const testjson::Value& tc = calls->items.at(0);
      EXPECT_EQ(tc["index"].as_u64(), 0u);
      if (const testjson::Value* idv = tc.find("id")) {
        EXPECT_TRUE(call_id.empty()) << "the id comes once";
        call_id = idv->str();
        call_name = tc["function"]["name"].str();
        EXPECT_EQ(tc["function"]["arguments"].str(), "");
      }
      args += tc["function"]["arguments"].str();
    }
    if (i + 1 < chunks.size()) {
      EXPECT_TRUE(first_choice(ch)["finish_reason"].is_null()) << chunks[i];
    }
  }
  testjson::Value last = testjson::parse(chunks.back());
  EXPECT_EQ(first_choice(last)["finish_reason"].str(), "tool_calls");
  EXPECT_EQ(first_choice(last)["delta"].type, testjson::Value::Type::Object);
  EXPECT_TRUE(first_choice(last)["delta"].items.empty());

  // Joining the deltas by hand gives the non-streaming response.
  testjson::Value r = testjson::parse(enc.chat_parse(c, o));
  const testjson::Value& m = first_choice(r)["message"];
  EXPECT_EQ(m["content"].str(), content);
  EXPECT_EQ(content, "Checking.");
  EXPECT_EQ(m["reasoning_content"].str(), reasoning);
  EXPECT_EQ(reasoning, "Think 日本 🎉.");
  EXPECT_EQ(m["tool_calls"].items.at(0)["function"]["arguments"].str(), args);
  EXPECT_EQ(args, "{\"q\": \"日本\"}");
  EXPECT_EQ(m["tool_calls"].items.at(0)["function"]["name"].str(), call_name);
  EXPECT_EQ(call_name, "lookup");
  EXPECT_EQ(m["tool_calls"].items.at(0)["id"].str(), call_id);
  EXPECT_EQ(r["id"].str(), "chatcmpl-1");
  EXPECT_EQ(first_choice(r)["finish_reason"].str(), "tool_calls");
}

TEST(Chat, StreamSplitsMultiByteCharactersOnlyAtCharacterBoundaries) {
  Encoding enc;
  // Emoji tokens may carry partial UTF-8; a token that completes no character yields no chunk,
  // and every chunk is valid JSON with whole characters.
  const std::string answer = "🎉🎊🎈 日本語 ✓";
  const std::vector<uint32_t> c = completion(enc, "<|channel|>final<|message|>" + answer + "<|return|>");
  std::string joined;
  for (const std::string& chunk : stream_all(enc, c)) {
    const testjson::Value parsed = testjson::parse(chunk);
    const testjson::Value& d = first_choice(parsed)["delta"];
    if (const testjson::Value* p = d.find("content")) joined += p->str();
  }
  EXPECT_EQ(joined, answer);
  EXPECT_EQ(first_choice(testjson::parse(enc.chat_parse(c)))["message"]["content"].str(), answer);
}

TEST(Chat, StreamFinishReportsLengthInsideAMessage) {
  Encoding enc;
  const std::vector<uint32_t> c = completion(enc, "<|channel|>final<|message|>The answer is");
  testjson::Value last = testjson::parse(stream_all(enc, c).back());
  EXPECT_EQ(first_choice(last)["finish_reason"].str(), "length");
  // A stream with no tokens at all still finishes, with the role in its only chunk.
  ChatStream empty(enc);
  testjson::Value only = testjson::parse(empty.finish());
  EXPECT_EQ(first_choice(only)["delta"]["role"].str(), "assistant");
  EXPECT_EQ(first_choice(only)["finish_reason"].str(), "length");
}

// tests/chat_completions.rs round_trip_rerenders_the_models_tokens, first turn: the response
// appended to its request re-renders to the prompt followed by the model's own tokens.
TEST(Chat, ResponseAppendedToItsRequestRerendersTheModelsTokens) {
  Encoding enc;
  const std::string tools = std::string(R"json("tools":[{"type":"function","function":{"name":"get_current_weather","parameters":)json") +
                            kWeatherSchema + "}}]";
  const std::string user = R"json({"role":"user","content":"Weather in SF?"})json";
  const std::vector<uint32_t> prompt = enc.chat_render("{" + tools + R"json(,"messages":[)json" + user + "]}", dated());

  const std::vector<uint32_t> turn1 = completion(
      enc,
      "<|channel|>analysis<|message|>Call the tool.<|end|><|start|>assistant to=functions.get_current_weather"
      "<|channel|>commentary <|constrain|>json<|message|>{\"location\":\"SF\"}<|call|>");
  testjson::Value resp = testjson::parse(enc.chat_parse(turn1));
  const testjson::Value& msg = first_choice(resp)["message"];
  const testjson::Value& call = msg["tool_calls"].items.at(0);
  // The response's message, written back as a request message.
  const std::string assistant = R"json({"role":"assistant","content":null,"reasoning_content":)json" +
                                quote(msg["reasoning_content"].str()) + R"json(,"tool_calls":[{"id":)json" +
                                quote(call["id"].str()) + R"json(,"type":"function","function":{"name":)json" +
                                quote(call["function"]["name"].str()) + R"json(,"arguments":)json" +
                                quote(call["function"]["arguments"].str()) + "}}]}";
  const std::string tool = R"json({"role":"tool","tool_call_id":)json" + quote(call["id"].str()) +
                           R"json(,"content":"{\"temp\":20}"})json";
  const std::vector<uint32_t> prompt2 =
      enc.chat_render("{" + tools + R"json(,"messages":[)json" + user + "," + assistant + "," + tool + "]}", dated());

  ASSERT_GT(prompt2.size(), prompt.size() + turn1.size());
  EXPECT_EQ(std::vector<uint32_t>(prompt2.begin(), prompt2.begin() + static_cast<std::ptrdiff_t>(prompt.size())), prompt);
  const auto turn_begin = prompt2.begin() + static_cast<std::ptrdiff_t>(prompt.size());
  EXPECT_EQ(std::vector<uint32_t>(turn_begin, turn_begin + static_cast<std::ptrdiff_t>(turn1.size())), turn1);
  EXPECT_EQ(enc.decode(harmony::TokenSpan(prompt2.data() + prompt.size() + turn1.size(),
                                          prompt2.size() - prompt.size() - turn1.size())),
            "<|start|>functions.get_current_weather to=assistant<|channel|>commentary<|message|>{\"temp\":20}<|end|>"
            "<|start|>assistant");
}

// ---- RAII ----

static_assert(!std::is_copy_constructible_v<ChatStream>, "ChatStream is move-only");
static_assert(!std::is_copy_assignable_v<ChatStream>, "ChatStream is move-only");
static_assert(std::is_nothrow_move_constructible_v<ChatStream>, "ChatStream moves without throwing");
static_assert(std::is_nothrow_move_assignable_v<ChatStream>, "ChatStream moves without throwing");

TEST(Chat, StreamMovesMidStreamAndOutlivesItsEncoding) {
  std::vector<uint32_t> c;
  std::string want;
  std::vector<std::string> got;
  {
    Encoding enc;
    c = completion(enc, "<|channel|>final<|message|>Hello, world!<|return|>");
    want = enc.chat_parse(c);
  }
  auto enc = std::make_unique<Encoding>();
  ChatStream a(*enc);
  enc.reset();  // the stream holds its own reference to the encoding
  const std::size_t half = c.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    if (auto chunk = a.process(c[i])) got.push_back(*chunk);
  }
  ChatStream b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(a.get(), nullptr);
  ASSERT_TRUE(b);
  ChatStream c2(Encoding{});
  c2 = std::move(b);  // frees c2's own stream
  EXPECT_FALSE(b);    // NOLINT(bugprone-use-after-move)
  ChatStream& same = c2;  // through an alias: newer compilers warn on a literal self-move
  c2 = std::move(same);    // self-move keeps the stream
  ASSERT_TRUE(c2);
  for (std::size_t i = half; i < c.size(); ++i) {
    if (auto chunk = c2.process(c[i])) got.push_back(*chunk);
  }
  got.push_back(c2.finish());
  EXPECT_EQ(got, stream_all(Encoding{}, c));  // the moves changed nothing
  std::string content;
  for (const std::string& chunk : got) {
    const testjson::Value parsed = testjson::parse(chunk);
    const testjson::Value& d = first_choice(parsed)["delta"];
    if (const testjson::Value* p = d.find("content")) content += p->str();
  }
  testjson::Value r = testjson::parse(want);
  EXPECT_EQ(first_choice(r)["message"]["content"].str(), content);
  EXPECT_EQ(first_choice(testjson::parse(got.back()))["finish_reason"].str(), "stop");
}

// ---- errors ----

// A request that does not have the Chat Completions shape is INVALID_JSON, with the field path
// (issue 14, defect 9: it was INVALID_ARGUMENT).
TEST(Chat, RequestErrorsCarryTheLibrarysStatusAndMessage) {
  Encoding enc;
  EXPECT_HARMONY_ERROR(enc.chat_render(R"({"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]})"),
                       HARMONY_ERROR_INVALID_JSON, "unknown tool_call_id `nope`");
  EXPECT_HARMONY_ERROR(enc.chat_render(R"({"messages":[{"role":"wizard","content":"x"}]})"),
                       HARMONY_ERROR_INVALID_JSON, "messages[0].role: unknown role `wizard`");
  EXPECT_HARMONY_ERROR(
      enc.chat_render(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]})"),
      HARMONY_ERROR_INVALID_JSON, "unsupported content part type `image_url`");
  EXPECT_HARMONY_ERROR(enc.chat_render(R"({"messages":"hi"})"), HARMONY_ERROR_INVALID_JSON,
                       "request.messages: expected an array");
  EXPECT_HARMONY_ERROR(enc.chat_render("{"), HARMONY_ERROR_INVALID_JSON, "request");
  EXPECT_HARMONY_ERROR(enc.chat_render(std::string_view("{\"messages\":[]}\xff", 16)), HARMONY_ERROR_INVALID_UTF8,
                       "request");
  Error e = error_of([&] { (void)enc.chat_render(R"({"messages":[{"role":"tool","tool_call_id":"x","content":"1"}]})"); });
  EXPECT_STREQ(e.status_name(), "HARMONY_ERROR_INVALID_JSON");
}

TEST(Chat, BadOptionsJsonIsInvalidJson) {
  // ChatOptions::to_json always writes a valid object of known fields, so the library's option
  // check is reached here through the C functions the wrapper calls, with the shapes a C caller
  // could send: unknown fields, malformed JSON, wrong types, not an object.
  Encoding enc;
  const char* request = R"({"messages":[{"role":"user","content":"Hi"}]})";
  const std::vector<uint32_t> c = completion(enc, "<|channel|>final<|message|>Hi<|return|>");
  for (const char* opts : {"{\"colour\":1}", "{", "{\"created\":\"soon\"}", "{\"created\":-1}", "{\"model\":null}", "7"}) {
    const std::size_t len = std::strlen(opts);
    harmony_tokens t{nullptr, 0};
    harmony_string out{nullptr, 0};
    harmony_chat_stream* stream = nullptr;
    harmony_error* err = nullptr;
    EXPECT_EQ(harmony_chat_render(enc.get(), request, std::strlen(request), opts, len, &t, &err),
              HARMONY_ERROR_INVALID_JSON)
        << opts;
    EXPECT_NE(std::string(harmony_error_message(err)).find("options"), std::string::npos) << harmony_error_message(err);
    harmony_error_free(err);
    EXPECT_EQ(harmony_chat_parse(enc.get(), c.data(), c.size(), opts, len, &out, nullptr), HARMONY_ERROR_INVALID_JSON);
    EXPECT_EQ(harmony_chat_stream_new(enc.get(), opts, len, &stream, nullptr), HARMONY_ERROR_INVALID_JSON);
    EXPECT_EQ(t.data, nullptr);
    EXPECT_EQ(out.data, nullptr);
    EXPECT_EQ(stream, nullptr);
  }
  // Through the wrapper, option values travel escaped: JSON syntax inside a value is just text.
  ChatOptions hostile;
  hostile.model = "\"}, \"colour\": 1, {\"";
  hostile.id = "\\\"\n\t\x01";
  EXPECT_NO_THROW((void)enc.chat_render(request, hostile));
  testjson::Value r = testjson::parse(enc.chat_parse(c, hostile));
  EXPECT_EQ(r["model"].str(), *hostile.model);
  EXPECT_EQ(r["id"].str(), *hostile.id);
  // And an option the library rejects surfaces as harmony::Error from every entry point.
  ChatOptions bad;
  bad.conversation_start_date = std::string("2025-06-28\xff");
  EXPECT_HARMONY_ERROR(enc.chat_render(request, bad), HARMONY_ERROR_INVALID_UTF8, "options");
  EXPECT_HARMONY_ERROR(enc.chat_parse(c, bad), HARMONY_ERROR_INVALID_UTF8, "options");
  EXPECT_HARMONY_ERROR(ChatStream(enc, bad), HARMONY_ERROR_INVALID_UTF8, "options");
}

TEST(Chat, FinishTwiceAndProcessAfterFinishThrow) {
  Encoding enc;
  ChatStream s(enc);
  for (uint32_t t : completion(enc, "<|channel|>final<|message|>Hi!<|return|>")) (void)s.process(t);
  (void)s.finish();
  EXPECT_HARMONY_ERROR(s.finish(), HARMONY_ERROR_INVALID_ARGUMENT, "finished");
  EXPECT_HARMONY_ERROR(s.process(200006), HARMONY_ERROR_INVALID_ARGUMENT, "finished");
}

TEST(Chat, StreamErrorsOnBadTokens) {
  Encoding enc;
  ChatStream s(enc);
  EXPECT_HARMONY_ERROR(s.process(HARMONY_VOCAB_SIZE), HARMONY_ERROR_UNKNOWN_TOKEN, "");
  EXPECT_HARMONY_ERROR(enc.chat_parse(std::vector<uint32_t>{HARMONY_VOCAB_SIZE + 7}), HARMONY_ERROR_UNKNOWN_TOKEN, "");
}

TEST(Chat, MovedFromObjectsThrowInvalidArgument) {
  Encoding enc;
  ChatStream s(enc);
  ChatStream t(std::move(s));
  EXPECT_HARMONY_ERROR(s.process(1), HARMONY_ERROR_INVALID_ARGUMENT, "ChatStream: use of a moved-from object");
  EXPECT_HARMONY_ERROR(s.finish(), HARMONY_ERROR_INVALID_ARGUMENT, "ChatStream: use of a moved-from object");
  (void)t.finish();  // the new owner works

  Encoding gone = std::move(enc);
  const char* request = R"({"messages":[]})";
  EXPECT_HARMONY_ERROR(enc.chat_render(request), HARMONY_ERROR_INVALID_ARGUMENT, "moved-from");
  EXPECT_HARMONY_ERROR(enc.chat_parse(nullptr, 0), HARMONY_ERROR_INVALID_ARGUMENT, "moved-from");
  EXPECT_HARMONY_ERROR(ChatStream(enc), HARMONY_ERROR_INVALID_ARGUMENT, "moved-from");
  EXPECT_NO_THROW((void)gone.chat_render(request));
}

// ---- threads ----

TEST(Chat, OneEncodingServesManyThreads) {
  const Encoding enc;
  const char* request = R"({"messages":[{"role":"user","content":"Hi"}]})";
  const std::vector<uint32_t> c = completion(enc, "<|channel|>analysis<|message|>Greet.<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|return|>");
  const std::vector<uint32_t> want_prompt = enc.chat_render(request, dated());
  const std::string want_response = enc.chat_parse(c);
  const std::vector<std::string> want_chunks = stream_all(enc, c);
  std::vector<int> ok(8, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&, i] {
      bool all = true;
      for (int round = 0; round < 20; ++round) {
        all = all && enc.chat_render(request, dated()) == want_prompt && enc.chat_parse(c) == want_response &&
              stream_all(enc, c) == want_chunks;
      }
      ok[i] = all ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int v : ok) EXPECT_EQ(v, 1);
}

}  // namespace
