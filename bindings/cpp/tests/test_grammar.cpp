// Tests of chat_grammar() in harmony.hpp (harmony_chat_grammar): the wrapper passes the
// request, format and options through and turns failures into harmony::Error.
#include <gtest/gtest.h>

#include <string>

#include "harmony.hpp"

namespace {

const char* kRequest =
    R"({"messages":[],"tools":[{"type":"function","function":{"name":"get_weather",)"
    R"("parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]})";

TEST(ChatGrammar, EachFormatNamesTheToolInItsOwnSyntax) {
  const harmony::Encoding enc;
  const std::string lark = harmony::chat_grammar(enc, kRequest, harmony::GrammarFormat::Lark);
  EXPECT_NE(lark.find("\"functions.get_weather\" \" \" <|constrain|> \"json\" <|message|>"), std::string::npos) << lark;
  const std::string gbnf = harmony::chat_grammar(enc, kRequest, harmony::GrammarFormat::Gbnf);
  EXPECT_NE(gbnf.find("root ::= analysis* (final | call)"), std::string::npos) << gbnf;
  EXPECT_NE(gbnf.find("<[200005]> \"commentary to=\""), std::string::npos) << gbnf;
  const std::string tag = harmony::chat_grammar(enc, kRequest, harmony::GrammarFormat::Xgrammar);
  EXPECT_EQ(tag.rfind("{\"type\":\"structural_tag\"", 0), 0u) << tag;
}

const char* kResponsesRequest =
    R"({"input":"hi","tools":[{"type":"function","name":"get_weather",)"
    R"("parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})";

TEST(ResponsesGrammar, TheSameRequestGivesTheChatGrammar) {
  const harmony::Encoding enc;
  for (auto format : {harmony::GrammarFormat::Lark, harmony::GrammarFormat::Gbnf, harmony::GrammarFormat::Xgrammar}) {
    EXPECT_EQ(harmony::responses_grammar(enc, kResponsesRequest, format), harmony::chat_grammar(enc, kRequest, format));
  }
  try {
    harmony::responses_grammar(enc, R"({"input":"hi","tools":[{"type":"web_search"}]})", harmony::GrammarFormat::Lark);
    FAIL() << "expected harmony::Error";
  } catch (const harmony::Error& e) {
    EXPECT_EQ(e.status(), HARMONY_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("web_search"), std::string::npos) << e.what();
  }
}

TEST(ChatGrammar, OptionsReachTheGenerator) {
  const harmony::Encoding enc;
  harmony::GrammarOptions opts;
  opts.reasoning = "none";
  opts.lazy = true;
  const std::string gbnf = harmony::chat_grammar(enc, kRequest, harmony::GrammarFormat::Gbnf, opts);
  EXPECT_NE(gbnf.find("root ::= (call)"), std::string::npos) << gbnf;
  EXPECT_EQ(gbnf.find("final ::="), std::string::npos) << gbnf;
}

TEST(ChatGrammar, BadRequestsThrowWithTheFieldNamed) {
  const harmony::Encoding enc;
  try {
    harmony::chat_grammar(enc, R"({"messages":[],"tool_choice":"required"})", harmony::GrammarFormat::Lark);
    FAIL() << "expected harmony::Error";
  } catch (const harmony::Error& e) {
    EXPECT_EQ(e.status(), HARMONY_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("request.tool_choice"), std::string::npos) << e.what();
  }
  harmony::GrammarOptions lark_lazy;
  lark_lazy.lazy = true;
  EXPECT_THROW(harmony::chat_grammar(enc, kRequest, harmony::GrammarFormat::Lark, lark_lazy), harmony::Error);
  EXPECT_THROW(harmony::chat_grammar(enc, kRequest, static_cast<harmony::GrammarFormat>(7)), harmony::Error);
}

}  // namespace
