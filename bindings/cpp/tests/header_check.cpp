// Compiles harmony.hpp on its own (first include, no other headers) under strict warnings, and
// instantiates every member so that warnings inside templates and inline bodies surface.
#include "harmony.hpp"

namespace {

[[maybe_unused]] void use_everything() {
  harmony::Encoding enc;
  std::vector<std::uint32_t> v = enc.render_completion("{}");
  enc.render_completion_into("{}", v);
  std::uint32_t buf[4];
  (void)enc.render_completion_into("{}", buf, 4);
  (void)enc.render_conversation(harmony::Conversation{});
  (void)enc.render_training(harmony::Conversation{});
  (void)enc.render_message(harmony::Message(harmony::Role::User, "x"), true);
  (void)enc.parse(v, std::nullopt, harmony::ParseFlags::Lenient | harmony::ParseFlags::FixConstrainRecipient);
  (void)enc.encode_into("x", buf, 4);
  char text[4];
  (void)enc.decode_into(v, text, 4, true);
  (void)enc.decode(enc.encode("x", true));
  (void)enc.stop_tokens_for_assistant_actions();
  (void)harmony::Encoding::special_token_name(harmony::Encoding::special_token_id("<|start|>"));
  harmony::StreamParser p(enc);
  p.process(buf, 4);
  (void)p.content();
  (void)p.messages();
  harmony::SystemContent sys;
  sys.reasoning_effort = harmony::ReasoningEffort::High;
  sys.channel_config = harmony::ChannelConfig{{"final"}, true};
  harmony::Message m(harmony::Role::System, {sys});
  (void)harmony::Conversation::from_json(harmony::Conversation{{m}}.to_json());
  (void)(m != m);
  harmony::ChatOptions chat_opts;
  chat_opts.created = 1;
  chat_opts.fix_constrain_recipient = true;
  (void)enc.chat_render("{\"messages\":[]}", chat_opts);
  (void)enc.chat_parse(v, chat_opts);
  (void)enc.chat_parse(buf, 4);
  harmony::ChatStream chat(enc, chat_opts);
  (void)chat.process(buf[0]);
  (void)chat.finish();
  harmony::ChatStream moved(std::move(chat));
  chat = std::move(moved);
  (void)static_cast<bool>(chat);
  (void)chat.get();
}

}  // namespace
