// Every golden vector (generated with openai-harmony 0.0.8) through the C++ wrapper, compared
// exactly: render in every mode (vector, caller-buffer and typed round-trip paths), single
// messages, strict and lenient parse (JSON and typed), token-by-token streams (every state after
// every token), encode, decode and stop tokens.
#include "golden.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using harmony::Error;
using testjson::Value;

const harmony::Encoding& enc() {
  static const harmony::Encoding e;
  return e;
}

// The status the library must report for a reference render error.
harmony_status render_status(const std::string& reference_error) {
  if (reference_error.rfind("invalid conversation JSON", 0) == 0 || reference_error.rfind("invalid message JSON", 0) == 0)
    return HARMONY_ERROR_INVALID_JSON;
  return HARMONY_ERROR_RENDER;
}

// Runs `f`, which must throw harmony::Error; returns its status (HARMONY_OK if nothing thrown).
template <class F>
harmony_status thrown_status(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return HARMONY_OK;
}

std::string opt(std::optional<std::string_view> v) { return v ? "\"" + std::string(*v) + "\"" : "null"; }
std::string opt(const Value& v) { return v.is_null() ? "null" : "\"" + v.str() + "\""; }

TEST(Golden, Render) {
  std::vector<uint32_t> reused;  // one vector for all vectors: exercises capacity reuse
  size_t ok = 0, errors = 0, typed = 0;
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "render") continue;
    const std::string& id = v["id"].str();
    const std::string& input = v["input"].str();
    const harmony::RenderMode mode = golden::mode(v["mode"].str());
    const harmony::RenderFlags flags = golden::render_flags(v);
    bool known = true;
    std::optional<harmony::Role> next;
    if (mode == harmony::RenderMode::Completion) {
      next = golden::role(v["next_role"], known);
    }
    if (!known) {
      // A role name outside the enum cannot become a harmony::Role; the reference rejects it,
      // and so does the library for any out-of-range role value.
      ASSERT_NE(v.find("error"), nullptr) << id;
      EXPECT_EQ(thrown_status([&] { enc().render(mode, input, static_cast<harmony::Role>(99), flags); }),
                HARMONY_ERROR_INVALID_ARGUMENT)
          << id;
      ++errors;
      continue;
    }
    if (const Value* want = v.find("tokens")) {
      const std::vector<uint32_t> expected = want->tokens();
      EXPECT_EQ(enc().render(mode, input, next, flags), expected) << id;
      switch (mode) {
        case harmony::RenderMode::Completion:
          EXPECT_EQ(enc().render_completion(input, *next, flags), expected) << id;
          break;
        case harmony::RenderMode::Conversation:
          EXPECT_EQ(enc().render_conversation(input, flags), expected) << id;
          break;
        default:
          EXPECT_EQ(enc().render_training(input, flags), expected) << id;
      }
      enc().render_into(mode, input, next, flags, reused);
      EXPECT_EQ(reused, expected) << id;
      // Caller buffer: ask, too small by one (nothing written), exact.
      EXPECT_EQ(enc().render_into(mode, input, next, flags, nullptr, 0), expected.size()) << id;
      std::vector<uint32_t> buf(expected.size(), 0xFFFFFFFFu);
      if (!buf.empty()) {
        EXPECT_EQ(enc().render_into(mode, input, next, flags, buf.data(), buf.size() - 1), expected.size()) << id;
        EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](uint32_t t) { return t == 0xFFFFFFFFu; })) << id;
      }
      EXPECT_EQ(enc().render_into(mode, input, next, flags, buf.data(), buf.size()), expected.size()) << id;
      EXPECT_EQ(buf, expected) << id;
      // Typed round trip: parse the input into harmony::Conversation, serialise, render again.
      harmony::Conversation conv = harmony::Conversation::from_json(input);
      EXPECT_EQ(enc().render(mode, conv.to_json(), next, flags), expected) << id << "\n" << conv.to_json();
      EXPECT_EQ(harmony::Conversation::from_json(conv.to_json()), conv) << id;
      ++typed;
      ++ok;
    } else {
      const harmony_status status = render_status(v["error"].str());
      EXPECT_EQ(thrown_status([&] { enc().render(mode, input, next, flags); }), status) << id << ": " << v["error"].str();
      EXPECT_EQ(thrown_status([&] { enc().render_into(mode, input, next, flags, reused); }), status) << id;
      EXPECT_TRUE(reused.empty()) << id;
      EXPECT_EQ(thrown_status([&] { enc().render_into(mode, input, next, flags, nullptr, 0); }), status) << id;
      ++errors;
    }
  }
  std::printf("render vectors: %zu rendered (%zu also via typed Conversation), %zu errors\n", ok, typed, errors);
  if (golden::full_run()) {
    EXPECT_GE(ok + errors, 1000u);
  }
}

TEST(Golden, RenderMessage) {
  size_t ok = 0, errors = 0;
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "render_message") continue;
    const std::string& id = v["id"].str();
    const std::string& input = v["input"].str();
    const bool fn_tools = v["conversation_has_function_tools"].as_bool();
    if (const Value* want = v.find("tokens")) {
      EXPECT_EQ(enc().render_message(input, fn_tools), want->tokens()) << id;
      harmony::Message m = harmony::Message::from_json(input);
      EXPECT_EQ(enc().render_message(m, fn_tools), want->tokens()) << id << "\n" << m.to_json();
      ++ok;
    } else {
      EXPECT_EQ(thrown_status([&] { enc().render_message(input, fn_tools); }), render_status(v["error"].str()))
          << id << ": " << v["error"].str();
      ++errors;
    }
  }
  std::printf("render_message vectors: %zu rendered, %zu errors\n", ok, errors);
}

TEST(Golden, Parse) {
  size_t ok = 0, errors = 0;
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "parse") continue;
    const std::string& id = v["id"].str();
    const std::vector<uint32_t> tokens = v["tokens"].tokens();
    const harmony::ParseFlags flags = golden::parse_flags(v);
    bool known = true;
    const std::optional<harmony::Role> role = golden::role(v["role"], known);
    if (!known) {
      ASSERT_NE(v.find("error"), nullptr) << id;
      EXPECT_EQ(thrown_status([&] { enc().parse_json(tokens, static_cast<harmony::Role>(17), flags); }),
                HARMONY_ERROR_INVALID_ARGUMENT)
          << id;
      ++errors;
      continue;
    }
    if (const Value* want = v.find("messages")) {
      EXPECT_EQ(enc().parse_json(tokens, role, flags), want->str()) << id;
      EXPECT_EQ(enc().parse_json(tokens.data(), tokens.size(), role, flags), want->str()) << id;
      // Typed: the wrapper's reader and writer reproduce the library's JSON byte for byte.
      std::vector<harmony::Message> typed = enc().parse(tokens, role, flags);
      EXPECT_EQ(harmony::messages_to_json(typed), want->str()) << id;
      ++ok;
    } else {
      EXPECT_EQ(thrown_status([&] { enc().parse_json(tokens, role, flags); }), HARMONY_ERROR_PARSE)
          << id << ": " << v["error"].str();
      EXPECT_EQ(thrown_status([&] { enc().parse(tokens, role, flags); }), HARMONY_ERROR_PARSE) << id;
      ++errors;
    }
  }
  std::printf("parse vectors: %zu parsed, %zu errors\n", ok, errors);
  if (golden::full_run()) {
    EXPECT_GE(ok + errors, 1000u);
  }
}

TEST(Golden, Stream) {
  size_t vectors = 0, steps_checked = 0, errors = 0;
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "stream") continue;
    const std::string& id = v["id"].str();
    const std::vector<uint32_t> tokens = v["tokens"].tokens();
    bool known = true;
    const std::optional<harmony::Role> role = golden::role(v["role"], known);
    ASSERT_TRUE(known) << id;
    const harmony::ParseFlags flags = golden::parse_flags(v);
    const Value& steps = v["steps"];
    const Value& error_at = v["error_at"];
    const size_t fail_at = error_at.is_null() ? SIZE_MAX : static_cast<size_t>(error_at.as_u64());

    // Token by token, every observable after every token (and after EOS).
    harmony::StreamParser p(enc(), role, flags);
    for (size_t i = 0; i <= tokens.size(); ++i) {
      auto step = [&] {
        if (i < tokens.size()) {
          p.process(tokens[i]);
        } else {
          p.process_eos();
        }
      };
      if (i == fail_at) {
        EXPECT_EQ(thrown_status(step), HARMONY_ERROR_PARSE) << id << " step " << i;
        ++errors;
        break;
      }
      ASSERT_EQ(thrown_status(step), HARMONY_OK) << id << " step " << i;
      const Value& s = steps.items.at(i);
      static const char* const state_names[] = {"ExpectStart", "Header", "Content"};
      EXPECT_EQ(state_names[static_cast<int>(p.state())], s["state"].str()) << id << " step " << i;
      const std::optional<harmony::Role> r = p.role();
      EXPECT_EQ(r ? "\"" + std::string(harmony::role_name(*r)) + "\"" : "null", opt(s["role"])) << id << " step " << i;
      EXPECT_EQ(opt(p.channel()), opt(s["channel"])) << id << " step " << i;
      EXPECT_EQ(opt(p.recipient()), opt(s["recipient"])) << id << " step " << i;
      EXPECT_EQ(opt(p.content_type()), opt(s["content_type"])) << id << " step " << i;
      EXPECT_EQ(opt(p.last_delta()), opt(s["delta"])) << id << " step " << i;
      EXPECT_EQ(p.message_count(), s["messages"].as_u64()) << id << " step " << i;
      ++steps_checked;
    }
    const std::string& want = v["messages"].str();
    EXPECT_EQ(p.messages_json(), want) << id;
    EXPECT_EQ(harmony::messages_to_json(p.messages()), want) << id;

    // The same tokens in one batch call stop at the same place with the same messages.
    harmony::StreamParser batch(enc(), role, flags);
    harmony_status st = thrown_status([&] {
      batch.process(tokens);
      batch.process_eos();
    });
    EXPECT_EQ(st, fail_at == SIZE_MAX ? HARMONY_OK : HARMONY_ERROR_PARSE) << id;
    EXPECT_EQ(batch.messages_json(), want) << id;
    ++vectors;
  }
  std::printf("stream vectors: %zu (%zu token steps compared, %zu fail where the reference fails)\n", vectors,
              steps_checked, errors);
  if (golden::full_run()) {
    EXPECT_GE(vectors, 500u);
  }
}

TEST(Golden, Encode) {
  size_t checked = 0, skipped = 0;
  const size_t specials = 201088 - 199998 + 1;  // every special token, as the "allow all" lists name them
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "encode") continue;
    const std::string& id = v["id"].str();
    const size_t allowed = v["allowed_special"].items.size();
    const std::string& text = v["text"].str();
    const std::vector<uint32_t> want = v["tokens"].tokens();
    if (allowed != 0 && allowed != specials) {
      // A subset of special tokens: encode_allowed (harmony_encode_allowed).
      std::vector<uint32_t> ids;
      for (const Value& name : v["allowed_special"].items) {
        // Names that are not special tokens (the generator passes some) can never match.
        if (harmony_special_token_id(name.str().data(), name.str().size(), &ids.emplace_back()) != HARMONY_OK) ids.pop_back();
      }
      EXPECT_EQ(enc().encode_allowed(text, ids), want) << id;
      ++skipped;
      continue;
    }
    const bool allow = allowed != 0;
    EXPECT_EQ(enc().encode(text, allow), want) << id;
    std::vector<uint32_t> buf(want.size());
    EXPECT_EQ(enc().encode_into(text, nullptr, 0, allow), want.size()) << id;
    EXPECT_EQ(enc().encode_into(text, buf.data(), buf.size(), allow), want.size()) << id;
    EXPECT_EQ(buf, want) << id;
    ++checked;
  }
  std::printf("encode vectors: %zu checked with all or no special tokens, %zu with an allowed subset\n", checked, skipped);
  EXPECT_GT(skipped, 0u);
}

TEST(Golden, Decode) {
  size_t checked = 0;
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "decode") continue;
    const std::string& id = v["id"].str();
    const std::vector<uint32_t> tokens = v["tokens"].tokens();
    if (const Value* text = v.find("text")) {
      EXPECT_EQ(enc().decode(tokens), text->str()) << id;
      std::string buf(text->str().size(), '\0');
      EXPECT_EQ(enc().decode_into(tokens, nullptr, 0), buf.size()) << id;
      EXPECT_EQ(enc().decode_into(tokens, buf.data(), buf.size()), buf.size()) << id;
      EXPECT_EQ(buf, text->str()) << id;
    } else {
      const bool unknown = v["error"].str().find("Invalid token") != std::string::npos;
      EXPECT_EQ(thrown_status([&] { enc().decode(tokens); }),
                unknown ? HARMONY_ERROR_UNKNOWN_TOKEN : HARMONY_ERROR_INVALID_UTF8)
          << id << ": " << v["error"].str();
    }
    if (const Value* lossy = v.find("lossy")) {
      EXPECT_EQ(enc().decode(tokens, true), lossy->str()) << id;
    } else {
      EXPECT_EQ(thrown_status([&] { enc().decode(tokens, true); }), HARMONY_ERROR_UNKNOWN_TOKEN) << id;
    }
    ++checked;
  }
  std::printf("decode vectors: %zu checked\n", checked);
}

TEST(Golden, StopTokens) {
  size_t checked = 0;
  for (const Value& v : golden::vectors()) {
    if (v["kind"].str() != "stop_tokens") continue;
    EXPECT_EQ(enc().stop_tokens().to_vector(), v["stop_tokens"].tokens());
    EXPECT_EQ(enc().stop_tokens_for_assistant_actions().to_vector(), v["stop_tokens_for_assistant_actions"].tokens());
    ++checked;
  }
  EXPECT_EQ(checked, 1u);
}

}  // namespace
