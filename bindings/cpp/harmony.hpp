/*
 * harmony.hpp: header-only C++17 wrapper of libharmony's C API (harmony.h).
 *
 * It translates types, ownership and errors; every Harmony decision is made by the library.
 * That includes the OpenAI Chat Completions bridge (Encoding::chat_render, chat_parse and
 * ChatStream): requests and responses pass through as JSON text, mapped by the library.
 *
 * THREADS. A harmony::Encoding is immutable once built: any number of threads may call its
 * const methods at once on one shared object. A harmony::StreamParser or harmony::ChatStream
 * belongs to one thread at a time (it may move between threads). The free functions and the
 * value types (Message, Conversation, ChatOptions, ...) are ordinary C++ values: safe to use
 * from many threads, each on its own objects.
 *
 * ERRORS. Every failing C call throws harmony::Error, which carries the harmony_status and the
 * library's message. The wrapper's own JSON reader throws harmony::Error with
 * HARMONY_ERROR_INVALID_JSON. Using a moved-from Encoding, StreamParser or ChatStream throws
 * harmony::Error with HARMONY_ERROR_INVALID_ARGUMENT. A caller buffer that is too small is not an error: the
 * *_into methods return the size needed instead (see Encoding). std::bad_alloc may escape from
 * any allocating call.
 *
 * OWNERSHIP. Inputs (std::string_view, TokenSpan, pointer + length) are borrowed for the call.
 * Results are returned as std::vector / std::string owned by the caller, except where a method
 * says it returns a borrowed view (StreamParser's accessors, stop_tokens(), special_token_name(),
 * version()), which costs no copy. The *_into methods write into the caller's buffer.
 *
 * EXAMPLE
 *   harmony::Encoding enc;                                   // gpt-oss (HarmonyGptOss)
 *   harmony::Conversation conv{{harmony::Message(harmony::Role::User, "What is 2+2?")}};
 *   std::vector<uint32_t> prompt = enc.render_completion(conv);
 *   harmony::StreamParser parser(enc);                       // first message: assistant
 *   for (uint32_t token : sampled) {                         // tokens from the model
 *     parser.process(token);
 *     if (auto delta = parser.last_delta()) std::cout << *delta;
 *   }
 *   parser.process_eos();
 *   std::vector<harmony::Message> reply = parser.messages();
 *
 *   // Or keep OpenAI Chat Completions JSON on both sides (the library does the mapping):
 *   std::vector<uint32_t> chat_prompt = enc.chat_render(request_json);
 *   harmony::ChatStream chat(enc);
 *   for (uint32_t token : sampled)
 *     if (std::optional<std::string> chunk = chat.process(token)) send(*chunk);  // chat.completion.chunk
 *   send(chat.finish());                                     // carries finish_reason
 */
#ifndef HARMONY_HPP
#define HARMONY_HPP

#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) < 201703L
#error "harmony.hpp requires C++17 or later (compile with -std=c++17, or link the CMake target harmony::cpp, which requests it)"
#endif

#include "harmony.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace harmony {

// ---------------------------------------------------------------------------------------------
// Errors

/// A failed libharmony call: the harmony_status and the library's message (`what()`).
/// Thrown by every wrapper function that can fail; cheap to copy, safe to pass between threads.
class Error : public std::runtime_error {
 public:
  /// An error with `status` (never HARMONY_OK) and `message` (UTF-8).
  Error(harmony_status status, const std::string& message) : std::runtime_error(message), status_(status) {}

  /// The status code, e.g. HARMONY_ERROR_INVALID_JSON.
  harmony_status status() const noexcept { return status_; }

  /// The status as a static name such as "HARMONY_ERROR_PARSE" (harmony_status_name).
  const char* status_name() const noexcept { return harmony_status_name(status_); }

 private:
  harmony_status status_;
};

// ---------------------------------------------------------------------------------------------
// Enums and flags

/// Message author roles; values equal the C `harmony_role` codes.
enum class Role : std::int32_t {
  User = HARMONY_ROLE_USER,
  Assistant = HARMONY_ROLE_ASSISTANT,
  System = HARMONY_ROLE_SYSTEM,
  Developer = HARMONY_ROLE_DEVELOPER,
  Tool = HARMONY_ROLE_TOOL,
};

/// The wire name of `role` ("user", "assistant", "system", "developer", "tool"); an empty view for
/// a value outside the enum. The view points to static storage.
constexpr std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::User: return "user";
    case Role::Assistant: return "assistant";
    case Role::System: return "system";
    case Role::Developer: return "developer";
    case Role::Tool: return "tool";
  }
  return {};
}

/// The role whose wire name is exactly `name` (case-sensitive), or std::nullopt.
constexpr std::optional<Role> role_from_name(std::string_view name) noexcept {
  for (Role r : {Role::User, Role::Assistant, Role::System, Role::Developer, Role::Tool}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

/// What Encoding::render renders; values equal the C `harmony_render_mode` codes.
enum class RenderMode : std::int32_t {
  /// The conversation, then `<|start|>` + the next role: the prompt for sampling.
  Completion = HARMONY_RENDER_COMPLETION,
  /// The conversation only.
  Conversation = HARMONY_RENDER_CONVERSATION,
  /// The conversation for training (a trailing final assistant message ends in `<|return|>`).
  Training = HARMONY_RENDER_TRAINING,
  /// One message (the JSON is a message object, not a conversation).
  Message = HARMONY_RENDER_MESSAGE,
};

/// Render flag bits (HARMONY_RENDER_*); combine with `|`. `RenderFlags{}` is no flag.
enum class RenderFlags : std::uint32_t {
  None = 0,
  /// Keep analysis messages gpt-oss would otherwise drop between turns (auto_drop_analysis off).
  KeepAnalysis = HARMONY_RENDER_KEEP_ANALYSIS,
  /// Message mode: the conversation declares function tools (adds the `functions` routing line).
  HasFunctionTools = HARMONY_RENDER_HAS_FUNCTION_TOOLS,
};

/// Parse flag bits (HARMONY_PARSE_*); combine with `|`. `ParseFlags{}` is strict parsing.
enum class ParseFlags : std::uint32_t {
  None = 0,
  /// Lenient parsing: a header cut short by a stop token (first message, role given) becomes a
  /// message.
  Lenient = HARMONY_PARSE_LENIENT,
  /// Read `<|channel|>final <|constrain|>json` as a content type, not a recipient (the fix of
  /// openai/harmony PR #144; differs from openai-harmony 0.0.8).
  FixConstrainRecipient = HARMONY_PARSE_FIX_CONSTRAIN_RECIPIENT,
  /// Recover mode: never fail on model output (see HARMONY_PARSE_RECOVER; the repairs are in
  /// the messages JSON of parse_json / messages_json).
  Recover = HARMONY_PARSE_RECOVER,
  /// Keep each message's exact tokens (`"tokens"` in the messages JSON; see
  /// HARMONY_PARSE_KEEP_TOKENS): rendering that JSON again writes them verbatim (KV-cache
  /// reuse). The typed Message does not carry them: use the JSON APIs.
  KeepTokens = HARMONY_PARSE_KEEP_TOKENS,
};

/// The union of two flag sets.
constexpr RenderFlags operator|(RenderFlags a, RenderFlags b) noexcept {
  return static_cast<RenderFlags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
/// The intersection of two flag sets.
constexpr RenderFlags operator&(RenderFlags a, RenderFlags b) noexcept {
  return static_cast<RenderFlags>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
/// The union of two flag sets.
constexpr ParseFlags operator|(ParseFlags a, ParseFlags b) noexcept {
  return static_cast<ParseFlags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
/// The intersection of two flag sets.
constexpr ParseFlags operator&(ParseFlags a, ParseFlags b) noexcept {
  return static_cast<ParseFlags>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}

/// State of a StreamParser; values equal the C `harmony_stream_state` codes.
enum class StreamState : std::int32_t {
  /// Waiting for `<|start|>`.
  ExpectStart = HARMONY_STREAM_EXPECT_START,
  /// Inside a header, before `<|message|>`.
  Header = HARMONY_STREAM_HEADER,
  /// Inside content, before a stop token.
  Content = HARMONY_STREAM_CONTENT,
};

// ---------------------------------------------------------------------------------------------
// TokenSpan

/// A borrowed, read-only view of token ids (pointer + count), the C++17 stand-in for
/// std::span<const uint32_t>. It owns nothing: the tokens must outlive the view. Converts
/// implicitly from std::vector, std::array and C arrays; `{ptr, n}` also works.
class TokenSpan {
 public:
  /// An empty view.
  constexpr TokenSpan() noexcept = default;
  /// A view of `size` tokens at `data` (`data` may be NULL when `size` is 0).
  constexpr TokenSpan(const std::uint32_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
  /// A view of a vector's tokens (invalidated when the vector reallocates).
  TokenSpan(const std::vector<std::uint32_t>& v) noexcept : data_(v.data()), size_(v.size()) {}  // NOLINT
  /// A view of a std::array.
  template <std::size_t N>
  constexpr TokenSpan(const std::array<std::uint32_t, N>& a) noexcept : data_(a.data()), size_(N) {}  // NOLINT
  /// A view of a C array.
  template <std::size_t N>
  constexpr TokenSpan(const std::uint32_t (&a)[N]) noexcept : data_(a), size_(N) {}  // NOLINT

  /// First token (NULL for an empty view).
  constexpr const std::uint32_t* data() const noexcept { return data_; }
  /// Number of tokens.
  constexpr std::size_t size() const noexcept { return size_; }
  /// True when the view holds no tokens.
  constexpr bool empty() const noexcept { return size_ == 0; }
  /// Iterator to the first token.
  constexpr const std::uint32_t* begin() const noexcept { return data_; }
  /// Iterator past the last token.
  constexpr const std::uint32_t* end() const noexcept { return data_ + size_; }
  /// Token `i` (unchecked; `i < size()`).
  constexpr std::uint32_t operator[](std::size_t i) const noexcept { return data_[i]; }
  /// A copy of the tokens, owned by the caller.
  std::vector<std::uint32_t> to_vector() const { return std::vector<std::uint32_t>(begin(), end()); }

 private:
  const std::uint32_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Typed messages (the wire format of README "Wire format")

/// A plain-text content part: `{"type":"text","text":...}`.
struct TextContent {
  /// The text (UTF-8).
  std::string text;
};

/// Reasoning effort announced in the system message (`"Low"`, `"Medium"`, `"High"`).
enum class ReasoningEffort { Low, Medium, High };

/// Which channels the model may write to (`channel_config`). Both fields are required on the
/// wire.
struct ChannelConfig {
  /// Channel names, e.g. analysis, commentary, final.
  std::vector<std::string> valid_channels;
  /// Whether every assistant message must name a channel.
  bool channel_required = false;
};

/// One tool: a name, a description and optional parameters.
struct ToolDescription {
  /// Tool name, e.g. get_weather.
  std::string name;
  /// What the tool does (may be empty).
  std::string description;
  /// The parameters' JSON Schema as one already-serialised JSON value, inserted verbatim into the
  /// wire JSON after the library has checked that it is exactly one JSON value (anything else,
  /// such as `{...}},{"name":"other_tool"...`, throws Error(HARMONY_ERROR_INVALID_JSON) when the
  /// conversation is serialised). Absent: the tool takes no parameters.
  std::optional<std::string> parameters;
};

/// A namespace of tools (`functions`, `browser`, `python`, ...).
struct ToolNamespace {
  /// Namespace name rendered in the prompt (usually equal to its key in the `tools` map).
  std::string name;
  /// Optional description rendered above the namespace.
  std::optional<std::string> description;
  /// The tools in this namespace.
  std::vector<ToolDescription> tools;
};

/// Content part of a system message: `{"type":"system_content", ...}`. Every field is optional
/// and omitted from the JSON when absent; the library decides what absent means.
struct SystemContent {
  /// e.g. "You are ChatGPT, a large language model trained by OpenAI."
  std::optional<std::string> model_identity;
  /// Reasoning effort.
  std::optional<ReasoningEffort> reasoning_effort;
  /// Built-in tool namespaces (browser, python), keyed as in the wire `tools` object (the
  /// library, not the wrapper, gives the keys their meaning).
  std::optional<std::map<std::string, ToolNamespace>> tools;
  /// e.g. "2025-06-28".
  std::optional<std::string> conversation_start_date;
  /// e.g. "2024-06".
  std::optional<std::string> knowledge_cutoff;
  /// Valid channels.
  std::optional<ChannelConfig> channel_config;
};

/// Content part of a developer message: `{"type":"developer_content", ...}`.
struct DeveloperContent {
  /// Instructions rendered under `# Instructions`.
  std::optional<std::string> instructions;
  /// Tool namespaces keyed as in the wire `tools` object (usually one, key and name
  /// `functions`).
  std::optional<std::map<std::string, ToolNamespace>> tools;
};

/// One content part of a message.
using Content = std::variant<TextContent, SystemContent, DeveloperContent>;

/// One Harmony message. On the wire: `role` and `name` at the top level, optional `recipient`,
/// `channel`, `content_type` omitted when absent, and `content` as a string when it is a single
/// text part, otherwise as a list of typed parts.
struct Message {
  /// Author role.
  Role role = Role::User;
  /// Author name (required by the library for tool messages, e.g. functions.get_weather).
  std::optional<std::string> name;
  /// Recipient, e.g. functions.get_weather for a tool call.
  std::optional<std::string> recipient;
  /// Content parts.
  std::vector<Content> content;
  /// Channel, e.g. analysis, commentary, final.
  std::optional<std::string> channel;
  /// Content type, e.g. `<|constrain|>json`.
  std::optional<std::string> content_type;

  /// A user message with no content.
  Message() = default;
  /// A message from `role` with one text part.
  Message(Role r, std::string text) : role(r), content{TextContent{std::move(text)}} {}
  /// A message from `role` with these content parts.
  Message(Role r, std::vector<Content> parts) : role(r), content(std::move(parts)) {}

  /// Sets the author name; chainable.
  Message& with_name(std::string v) & { name = std::move(v); return *this; }
  /// Sets the author name; chainable on temporaries.
  Message&& with_name(std::string v) && { name = std::move(v); return std::move(*this); }
  /// Sets the recipient; chainable.
  Message& with_recipient(std::string v) & { recipient = std::move(v); return *this; }
  /// Sets the recipient; chainable on temporaries.
  Message&& with_recipient(std::string v) && { recipient = std::move(v); return std::move(*this); }
  /// Sets the channel; chainable.
  Message& with_channel(std::string v) & { channel = std::move(v); return *this; }
  /// Sets the channel; chainable on temporaries.
  Message&& with_channel(std::string v) && { channel = std::move(v); return std::move(*this); }
  /// Sets the content type; chainable.
  Message& with_content_type(std::string v) & { content_type = std::move(v); return *this; }
  /// Sets the content type; chainable on temporaries.
  Message&& with_content_type(std::string v) && { content_type = std::move(v); return std::move(*this); }

  /// The concatenation of the text parts (other parts are skipped).
  std::string text() const {
    std::string out;
    for (const Content& part : content) {
      if (const TextContent* t = std::get_if<TextContent>(&part)) out += t->text;
    }
    return out;
  }

  /// This message as wire-format JSON. Throws Error (HARMONY_ERROR_INVALID_ARGUMENT) if `role` is
  /// not a Role enumerator.
  std::string to_json() const;

  /// Parses one message in the wire format (text, system_content and developer_content parts;
  /// unknown fields are ignored, null means absent, tool parameters are kept verbatim). Throws
  /// Error with HARMONY_ERROR_INVALID_JSON naming the byte offset and what was wrong.
  static Message from_json(std::string_view json);
};

/// A list of messages: `{"messages":[...]}`. An aggregate: `Conversation{{m1, m2}}`.
struct Conversation {
  /// The messages, in order.
  std::vector<Message> messages;

  /// This conversation as wire-format JSON (Message::to_json's errors).
  std::string to_json() const;

  /// Parses `{"messages":[...]}` (Message::from_json's rules and errors).
  static Conversation from_json(std::string_view json);
};

/// Options of the Chat Completions bridge (Encoding::chat_render, Encoding::chat_parse,
/// ChatStream). Every field is optional and omitted from the JSON when absent; the library
/// supplies the default (`ChatOptions{}` is all defaults).
struct ChatOptions {
  /// `Current date:` of the rendered system message ("YYYY-MM-DD"). Absent: the request's
  /// `conversation_start_date` extension field, else no date (never the clock).
  std::optional<std::string> conversation_start_date;
  /// `model` of responses and chunks (library default "gpt-oss").
  std::optional<std::string> model;
  /// `id` of responses and chunks (library default "chatcmpl-harmony").
  std::optional<std::string> id;
  /// `created` of responses and chunks, in seconds since the epoch (library default 0).
  std::optional<std::uint64_t> created;
  /// Accepted and ignored: the bridge always reads `final <|constrain|>json` as a content type
  /// (the fix of openai/harmony PR #144).
  std::optional<bool> fix_constrain_recipient;
  /// The engine's own finish reason: "stop", "length" or "content_filter" (parsing).
  std::optional<std::string> finish_reason;
  /// Reproducible tool-call ids from this seed (default: random `call_` ids).
  std::optional<std::uint64_t> tool_call_id_seed;
  /// Tool-call ids PREFIX0, PREFIX1, ... (takes precedence over the seed).
  std::optional<std::string> tool_call_id_prefix;
  /// Field of the reasoning text: "reasoning_content" (library default) or "reasoning".
  std::optional<std::string> reasoning_field;
  /// The request's `tool_choice` mode, honoured on the output side: "auto", "none" or
  /// "required".
  std::optional<std::string> tool_choice;
  /// The request's `tool_choice` naming one function (`{"type":"function",...}`); takes
  /// precedence over `tool_choice`.
  std::optional<std::string> tool_choice_function;
  /// The request's `parallel_tool_calls` (false keeps only the first call).
  std::optional<bool> parallel_tool_calls;
  /// The request the completion answers, as JSON text: its output-side fields (`tool_choice`,
  /// `parallel_tool_calls`, a last assistant message with `"prefix": true` that the completion
  /// continues) apply when parsing. Sent as is; the library rejects text that is not an object.
  std::optional<std::string> request;

  /// These options as the JSON object the C API takes, e.g.
  /// `{"conversation_start_date":"2025-06-28","created":1700000000}`; `{}` when all are absent.
  std::string to_json() const;
};

/// Serialises messages as a JSON array in the wire format (what harmony_parse returns).
inline std::string messages_to_json(const std::vector<Message>& messages);

/// Parses a JSON array of messages (e.g. the result of Encoding::parse_json).
inline std::vector<Message> messages_from_json(std::string_view json);

/// Member-wise equality of the value types (used by tests and by callers comparing parses).
inline bool operator==(const TextContent& a, const TextContent& b) { return a.text == b.text; }
inline bool operator==(const ChannelConfig& a, const ChannelConfig& b) {
  return a.valid_channels == b.valid_channels && a.channel_required == b.channel_required;
}
inline bool operator==(const ToolDescription& a, const ToolDescription& b) {
  return a.name == b.name && a.description == b.description && a.parameters == b.parameters;
}
inline bool operator==(const ToolNamespace& a, const ToolNamespace& b) {
  return a.name == b.name && a.description == b.description && a.tools == b.tools;
}
inline bool operator==(const SystemContent& a, const SystemContent& b) {
  return a.model_identity == b.model_identity && a.reasoning_effort == b.reasoning_effort && a.tools == b.tools &&
         a.conversation_start_date == b.conversation_start_date && a.knowledge_cutoff == b.knowledge_cutoff &&
         a.channel_config == b.channel_config;
}
inline bool operator==(const DeveloperContent& a, const DeveloperContent& b) {
  return a.instructions == b.instructions && a.tools == b.tools;
}
inline bool operator==(const Message& a, const Message& b) {
  return a.role == b.role && a.name == b.name && a.recipient == b.recipient && a.content == b.content &&
         a.channel == b.channel && a.content_type == b.content_type;
}
inline bool operator==(const Conversation& a, const Conversation& b) { return a.messages == b.messages; }
/// Inequality for every value type above.
template <class T, class = std::enable_if_t<std::is_same_v<T, TextContent> || std::is_same_v<T, ChannelConfig> ||
                                   std::is_same_v<T, ToolDescription> || std::is_same_v<T, ToolNamespace> ||
                                   std::is_same_v<T, SystemContent> || std::is_same_v<T, DeveloperContent> ||
                                   std::is_same_v<T, Message> || std::is_same_v<T, Conversation>>>
inline bool operator!=(const T& a, const T& b) {
  return !(a == b);
}

// ---------------------------------------------------------------------------------------------
// detail: C-resource guards and the minimal JSON reader/writer. Not part of the API.

namespace detail {

/// Receives a `harmony_error*` out-parameter and always frees it.
class ErrorSlot {
 public:
  ErrorSlot() noexcept = default;
  ~ErrorSlot() { harmony_error_free(err_); }
  ErrorSlot(const ErrorSlot&) = delete;
  ErrorSlot& operator=(const ErrorSlot&) = delete;

  /// The out-parameter for one call (frees an error left by a previous call).
  harmony_error** out() noexcept {
    harmony_error_free(err_);
    err_ = nullptr;
    return &err_;
  }

  /// Throws Error if `status` is not HARMONY_OK, with the error object's message, or `what` and
  /// the status name when the call produced none.
  void check(harmony_status status, const char* what) const {
    if (status == HARMONY_OK) return;
    std::string message = err_ ? harmony_error_message(err_) : "";
    if (message.empty()) message = std::string(what) + ": " + harmony_status_name(status);
    throw Error(status, message);
  }

 private:
  harmony_error* err_ = nullptr;
};

/// Owns a harmony_tokens result and frees it.
struct OwnedTokens {
  harmony_tokens value{nullptr, 0};
  OwnedTokens() noexcept = default;
  ~OwnedTokens() { harmony_tokens_free(&value); }
  OwnedTokens(const OwnedTokens&) = delete;
  OwnedTokens& operator=(const OwnedTokens&) = delete;
  std::vector<std::uint32_t> to_vector() const { return TokenSpan(value.data, value.len).to_vector(); }
};

/// Owns a harmony_string result and frees it.
struct OwnedString {
  harmony_string value{nullptr, 0};
  OwnedString() noexcept = default;
  ~OwnedString() { harmony_string_free(&value); }
  OwnedString(const OwnedString&) = delete;
  OwnedString& operator=(const OwnedString&) = delete;
  std::string to_string() const { return value.data ? std::string(value.data, value.len) : std::string(); }
};

/// Wraps a borrowed `(data, len)` accessor result: NULL becomes std::nullopt.
inline std::optional<std::string_view> borrowed(const char* data, std::size_t len) noexcept {
  if (!data) return std::nullopt;
  return std::string_view(data, len);
}

/// The C code of an optional role (HARMONY_ROLE_NONE for none).
constexpr std::int32_t role_code(std::optional<Role> role) noexcept {
  return role ? static_cast<std::int32_t>(*role) : static_cast<std::int32_t>(HARMONY_ROLE_NONE);
}

// ---- JSON writer ----

/// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as \b \f \n \r \t
/// or \u00xx, all other bytes (UTF-8) unchanged, the same bytes serde_json writes.
inline void write_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

/// Writes the members of one JSON object, inserting commas.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  ~ObjectWriter() = default;
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  /// Writes `"name":` and returns the buffer for the value.
  std::string& key(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    write_string(out_, name);
    out_.push_back(':');
    return out_;
  }
  /// A string member.
  void string(std::string_view name, std::string_view value) { write_string(key(name), value); }
  /// A string member, omitted when absent.
  void optional(std::string_view name, const std::optional<std::string>& value) {
    if (value) string(name, *value);
  }
  /// Closes the object.
  void close() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

/// `json` if it is exactly one JSON value, as the library decides (harmony_json_validate);
/// otherwise throws Error(HARMONY_ERROR_INVALID_JSON) naming the tool. Raw JSON is never spliced
/// into the document unchecked, so it cannot close the value early and add fields or tools.
inline const std::string& checked_raw_json(const std::string& json, const std::string& ns, std::size_t i) {
  harmony_error* err = nullptr;
  const harmony_status st = harmony_json_validate(json.data(), json.size(), &err);
  if (st == HARMONY_OK) return json;
  std::string message = "tools." + ns + ".tools[" + std::to_string(i) + "].parameters: " +
                        (err ? harmony_error_message(err) : harmony_status_name(st));
  harmony_error_free(err);
  throw Error(st, message);
}

inline void write_tools(std::string& out, const std::map<std::string, ToolNamespace>& namespaces) {
  ObjectWriter obj(out);
  for (const auto& [key, ns] : namespaces) {
    ObjectWriter n(obj.key(key));
    n.string("name", ns.name);
    n.optional("description", ns.description);
    std::string& tools = n.key("tools");
    tools.push_back('[');
    for (std::size_t i = 0; i < ns.tools.size(); ++i) {
      if (i) tools.push_back(',');
      ObjectWriter t(tools);
      t.string("name", ns.tools[i].name);
      t.string("description", ns.tools[i].description);
      if (ns.tools[i].parameters) t.key("parameters") += checked_raw_json(*ns.tools[i].parameters, key, i);
      t.close();
    }
    tools.push_back(']');
    n.close();
  }
  obj.close();
}

inline std::string_view effort_name(ReasoningEffort e) {
  switch (e) {
    case ReasoningEffort::Low: return "Low";
    case ReasoningEffort::Medium: return "Medium";
    case ReasoningEffort::High: return "High";
  }
  throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "reasoning_effort: value outside the ReasoningEffort enum");
}

struct PartWriter {
  std::string& out;
  void operator()(const TextContent& t) const {
    ObjectWriter o(out);
    o.string("type", "text");
    o.string("text", t.text);
    o.close();
  }
  void operator()(const SystemContent& s) const {
    ObjectWriter o(out);
    o.string("type", "system_content");
    o.optional("model_identity", s.model_identity);
    if (s.reasoning_effort) o.string("reasoning_effort", effort_name(*s.reasoning_effort));
    if (s.tools) write_tools(o.key("tools"), *s.tools);
    o.optional("conversation_start_date", s.conversation_start_date);
    o.optional("knowledge_cutoff", s.knowledge_cutoff);
    if (s.channel_config) {
      ObjectWriter c(o.key("channel_config"));
      std::string& list = c.key("valid_channels");
      list.push_back('[');
      for (std::size_t i = 0; i < s.channel_config->valid_channels.size(); ++i) {
        if (i) list.push_back(',');
        write_string(list, s.channel_config->valid_channels[i]);
      }
      list.push_back(']');
      c.key("channel_required") += s.channel_config->channel_required ? "true" : "false";
      c.close();
    }
    o.close();
  }
  void operator()(const DeveloperContent& d) const {
    ObjectWriter o(out);
    o.string("type", "developer_content");
    o.optional("instructions", d.instructions);
    if (d.tools) write_tools(o.key("tools"), *d.tools);
    o.close();
  }
};

inline void write_message(std::string& out, const Message& m) {
  std::string_view role = role_name(m.role);
  if (role.empty()) {
    throw Error(HARMONY_ERROR_INVALID_ARGUMENT,
                "role: value " + std::to_string(static_cast<std::int32_t>(m.role)) + " is not a harmony::Role");
  }
  ObjectWriter o(out);
  o.string("role", role);
  o.optional("name", m.name);
  o.optional("recipient", m.recipient);
  std::string& content = o.key("content");
  if (m.content.size() == 1 && std::holds_alternative<TextContent>(m.content[0])) {
    write_string(content, std::get<TextContent>(m.content[0]).text);
  } else {
    content.push_back('[');
    for (std::size_t i = 0; i < m.content.size(); ++i) {
      if (i) content.push_back(',');
      std::visit(PartWriter{content}, m.content[i]);
    }
    content.push_back(']');
  }
  o.optional("channel", m.channel);
  o.optional("content_type", m.content_type);
  o.close();
}

// ---- JSON reader ----

/// A strict pull reader over one JSON text (RFC 8259): validates UTF-8, decodes escapes
/// including surrogate pairs, rejects lone surrogates, control characters in strings, trailing
/// text and nesting deeper than 128. Failures throw Error(HARMONY_ERROR_INVALID_JSON) naming
/// the byte offset.
class JsonReader {
 public:
  static constexpr int kMaxDepth = 128;

  JsonReader(std::string_view text, const char* what) : s_(text), what_(what) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(HARMONY_ERROR_INVALID_JSON,
                std::string("invalid ") + what_ + " JSON at byte " + std::to_string(pos_) + ": " + why);
  }

  /// The next non-space byte without consuming it, or -1 at the end.
  int peek() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    return pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_]) : -1;
  }

  std::size_t tell() const noexcept { return pos_; }
  void seek(std::size_t pos) noexcept { pos_ = pos; }

  void expect(char c) {
    if (peek() != static_cast<unsigned char>(c)) fail(std::string("expected `") + c + "`");
    ++pos_;
  }

  /// Consumes `null` if it comes next.
  bool null() {
    if (peek() != 'n') return false;
    literal("null");
    return true;
  }

  bool boolean() {
    const int c = peek();
    if (c == 't') {
      literal("true");
      return true;
    }
    if (c == 'f') {
      literal("false");
      return false;
    }
    fail("expected true or false");
  }

  std::string string() {
    if (peek() != '"') fail("expected a string");
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        ++pos_;
        escape(out);
      } else if (c < 0x20) {
        fail("control character in string");
      } else if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        ++pos_;
      } else {
        std::size_t n = utf8_length();
        if (n == 0) fail("invalid UTF-8");
        out.append(s_.substr(pos_, n));
        pos_ += n;
      }
    }
  }

  /// A string, or std::nullopt for `null`.
  std::optional<std::string> optional_string() {
    if (null()) return std::nullopt;
    return string();
  }

  /// Skips one value of any type and returns its text.
  std::string_view raw_value() {
    peek();
    std::size_t start = pos_;
    skip(0);
    return s_.substr(start, pos_ - start);
  }

  /// Reads an object, calling `member(key)` for each member; `member` must consume the value.
  template <class F>
  void object(F&& member) {
    expect('{');
    if (peek() == '}') {
      ++pos_;
      return;
    }
    for (;;) {
      if (peek() != '"') fail("expected a member name");
      std::string key = string();
      expect(':');
      member(key);
      int c = peek();
      ++pos_;
      if (c == ',') continue;
      if (c == '}') return;
      --pos_;
      fail("expected `,` or `}`");
    }
  }

  /// Reads an array, calling `element()` for each element; `element` must consume it.
  template <class F>
  void array(F&& element) {
    expect('[');
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      element();
      int c = peek();
      ++pos_;
      if (c == ',') continue;
      if (c == ']') return;
      --pos_;
      fail("expected `,` or `]`");
    }
  }

  /// Requires that only whitespace remains.
  void finish() {
    if (peek() != -1) fail("trailing characters");
  }

 private:
  void literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal");
    pos_ += word.size();
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  std::uint32_t hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hex_digit(s_[pos_++]);
      if (d < 0) fail("invalid \\u escape");
      v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  void escape(std::string& out) {
    if (pos_ >= s_.size()) fail("unterminated string");
    char c = s_[pos_++];
    switch (c) {
      case '"': out.push_back('"'); return;
      case '\\': out.push_back('\\'); return;
      case '/': out.push_back('/'); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': break;
      default: --pos_; fail("invalid escape");
    }
    std::uint32_t cp = hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone trailing surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (s_.substr(pos_, 2) != "\\u") fail("lone leading surrogate in \\u escape");
      pos_ += 2;
      std::uint32_t low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail("lone leading surrogate in \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
  }

  /// Length of the well-formed UTF-8 sequence at pos_ (Unicode table 3-7), 0 if ill-formed.
  std::size_t utf8_length() const {
    auto at = [this](std::size_t i) -> unsigned {
      return pos_ + i < s_.size() ? static_cast<unsigned char>(s_[pos_ + i]) : 0u;
    };
    auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
    const unsigned b0 = at(0), b1 = at(1);
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(b1) ? std::size_t{2} : std::size_t{0};
    if (b0 >= 0xE0 && b0 <= 0xEF) {
      const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
      return b1 >= lo && b1 <= hi && cont(at(2)) ? std::size_t{3} : std::size_t{0};
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
      const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
      return b1 >= lo && b1 <= hi && cont(at(2)) && cont(at(3)) ? std::size_t{4} : std::size_t{0};
    }
    return 0;
  }

  void digits() {
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail("invalid number");
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
  }

  void number() {
    if (s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else {
      digits();
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      digits();
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      digits();
    }
  }

  void skip(int depth) {
    int c = peek();
    if (c == '{' || c == '[') {
      if (depth >= kMaxDepth) fail("nested deeper than 128 levels");
      if (c == '{') {
        object([&](const std::string&) { skip(depth + 1); });
      } else {
        array([&] { skip(depth + 1); });
      }
    } else if (c == '"') {
      string();
    } else if (c == 't' || c == 'f') {
      boolean();
    } else if (c == 'n') {
      null();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      number();
    } else {
      fail(c == -1 ? "unexpected end of input" : "expected a value");
    }
  }

  std::string_view s_;
  const char* what_;
  std::size_t pos_ = 0;
};

[[noreturn]] inline void missing(JsonReader& r, const char* field) {
  r.fail(std::string("missing field `") + field + "`");
}

inline std::map<std::string, ToolNamespace> read_tools(JsonReader& r) {
  std::map<std::string, ToolNamespace> out;
  r.object([&](const std::string& key) {
    ToolNamespace ns;
    bool has_name = false, has_tools = false;
    r.object([&](const std::string& k) {
      if (k == "name") {
        ns.name = r.string();
        has_name = true;
      } else if (k == "description") {
        ns.description = r.optional_string();
      } else if (k == "tools") {
        has_tools = true;
        r.array([&] {
          ToolDescription t;
          bool has_tname = false, has_desc = false;
          r.object([&](const std::string& tk) {
            if (tk == "name") {
              t.name = r.string();
              has_tname = true;
            } else if (tk == "description") {
              t.description = r.string();
              has_desc = true;
            } else if (tk == "parameters") {
              if (r.null()) {
                t.parameters.reset();
              } else {
                t.parameters = std::string(r.raw_value());
              }
            } else {
              r.raw_value();
            }
          });
          if (!has_tname) missing(r, "name");
          if (!has_desc) missing(r, "description");
          ns.tools.push_back(std::move(t));
        });
      } else {
        r.raw_value();
      }
    });
    if (!has_name) missing(r, "name");
    if (!has_tools) missing(r, "tools");
    out.insert_or_assign(key, std::move(ns));
  });
  return out;
}

inline std::optional<std::map<std::string, ToolNamespace>> read_optional_tools(JsonReader& r) {
  if (r.null()) return std::nullopt;
  return read_tools(r);
}

inline Content read_part(JsonReader& r) {
  // The `type` tag may come after the other members: find it first, then read the part.
  r.peek();  // skip whitespace so that `start` is the `{`
  const std::size_t start = r.tell();
  std::optional<std::string> type;
  r.object([&](const std::string& k) {
    if (k == "type") {
      type = r.string();
    } else {
      r.raw_value();
    }
  });
  const std::size_t end = r.tell();
  if (!type) {
    r.seek(start);
    missing(r, "type");
  }
  r.seek(start);
  Content part;
  if (*type == "text") {
    TextContent t;
    bool has_text = false;
    r.object([&](const std::string& k) {
      if (k == "text") {
        t.text = r.string();
        has_text = true;
      } else {
        r.raw_value();
      }
    });
    if (!has_text) missing(r, "text");
    part = std::move(t);
  } else if (*type == "system_content") {
    SystemContent s;
    r.object([&](const std::string& k) {
      if (k == "model_identity") {
        s.model_identity = r.optional_string();
      } else if (k == "reasoning_effort") {
        if (r.null()) {
          s.reasoning_effort.reset();
        } else {
          std::string e = r.string();
          if (e == "Low") s.reasoning_effort = ReasoningEffort::Low;
          else if (e == "Medium") s.reasoning_effort = ReasoningEffort::Medium;
          else if (e == "High") s.reasoning_effort = ReasoningEffort::High;
          else r.fail("unknown reasoning_effort `" + e + "` (expected Low, Medium or High)");
        }
      } else if (k == "tools") {
        s.tools = read_optional_tools(r);
      } else if (k == "conversation_start_date") {
        s.conversation_start_date = r.optional_string();
      } else if (k == "knowledge_cutoff") {
        s.knowledge_cutoff = r.optional_string();
      } else if (k == "channel_config") {
        if (r.null()) {
          s.channel_config.reset();
          return;
        }
        ChannelConfig c;
        bool has_valid = false, has_required = false;
        r.object([&](const std::string& ck) {
          if (ck == "valid_channels") {
            has_valid = true;
            r.array([&] { c.valid_channels.push_back(r.string()); });
          } else if (ck == "channel_required") {
            has_required = true;
            c.channel_required = r.boolean();
          } else {
            r.raw_value();
          }
        });
        if (!has_valid) missing(r, "valid_channels");
        if (!has_required) missing(r, "channel_required");
        s.channel_config = std::move(c);
      } else {
        r.raw_value();
      }
    });
    part = std::move(s);
  } else if (*type == "developer_content") {
    DeveloperContent d;
    r.object([&](const std::string& k) {
      if (k == "instructions") {
        d.instructions = r.optional_string();
      } else if (k == "tools") {
        d.tools = read_optional_tools(r);
      } else {
        r.raw_value();
      }
    });
    part = std::move(d);
  } else {
    r.fail("unknown content part type `" + *type + "`");
  }
  r.seek(end);
  return part;
}

inline Message read_message(JsonReader& r) {
  Message m;
  bool has_role = false, has_content = false;
  r.object([&](const std::string& k) {
    if (k == "role") {
      std::string name = r.string();
      std::optional<Role> role = role_from_name(name);
      if (!role) r.fail("unknown role `" + name + "`");
      m.role = *role;
      has_role = true;
    } else if (k == "name") {
      m.name = r.optional_string();
    } else if (k == "recipient") {
      m.recipient = r.optional_string();
    } else if (k == "channel") {
      m.channel = r.optional_string();
    } else if (k == "content_type") {
      m.content_type = r.optional_string();
    } else if (k == "content") {
      has_content = true;
      m.content.clear();
      int c = r.peek();
      if (c == '"') {
        m.content.emplace_back(TextContent{r.string()});
      } else if (c == '[') {
        r.array([&] { m.content.push_back(read_part(r)); });
      } else {
        r.fail("`content` must be a string or a list of content parts");
      }
    } else {
      r.raw_value();
    }
  });
  if (!has_role) missing(r, "role");
  if (!has_content) missing(r, "content");
  return m;
}

}  // namespace detail

inline std::string Message::to_json() const {
  std::string out;
  detail::write_message(out, *this);
  return out;
}

inline Message Message::from_json(std::string_view json) {
  detail::JsonReader r(json, "message");
  Message m = detail::read_message(r);
  r.finish();
  return m;
}

inline std::string messages_to_json(const std::vector<Message>& messages) {
  std::string out = "[";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i) out.push_back(',');
    detail::write_message(out, messages[i]);
  }
  out.push_back(']');
  return out;
}

inline std::vector<Message> messages_from_json(std::string_view json) {
  detail::JsonReader r(json, "messages");
  std::vector<Message> out;
  r.array([&] { out.push_back(detail::read_message(r)); });
  r.finish();
  return out;
}

inline std::string Conversation::to_json() const {
  std::string out = "{\"messages\":";
  out += messages_to_json(messages);
  out.push_back('}');
  return out;
}

inline std::string ChatOptions::to_json() const {
  std::string out;
  detail::ObjectWriter o(out);
  o.optional("conversation_start_date", conversation_start_date);
  o.optional("model", model);
  o.optional("id", id);
  if (created) o.key("created") += std::to_string(*created);
  if (fix_constrain_recipient) o.key("fix_constrain_recipient") += *fix_constrain_recipient ? "true" : "false";
  o.optional("finish_reason", finish_reason);
  if (tool_call_id_seed) o.key("tool_call_id_seed") += std::to_string(*tool_call_id_seed);
  o.optional("tool_call_id_prefix", tool_call_id_prefix);
  o.optional("reasoning_field", reasoning_field);
  if (tool_choice_function) {
    std::string& v = o.key("tool_choice");
    v += R"({"type":"function","function":{"name":)";
    detail::write_string(v, *tool_choice_function);
    v += "}}";
  } else {
    o.optional("tool_choice", tool_choice);
  }
  if (parallel_tool_calls) o.key("parallel_tool_calls") += *parallel_tool_calls ? "true" : "false";
  if (request) o.key("request") += *request;
  o.close();
  return out;
}

inline Conversation Conversation::from_json(std::string_view json) {
  detail::JsonReader r(json, "conversation");
  Conversation c;
  bool has_messages = false;
  r.object([&](const std::string& k) {
    if (k == "messages") {
      has_messages = true;
      r.array([&] { c.messages.push_back(detail::read_message(r)); });
    } else {
      r.raw_value();
    }
  });
  if (!has_messages) detail::missing(r, "messages");
  r.finish();
  return c;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// An encoding (the gpt-oss Harmony format and its o200k_harmony vocabulary): renders
/// conversations to tokens, parses completion tokens to messages, encodes and decodes text.
///
/// Move-only RAII owner of a `const harmony_encoding*` (freed by the destructor). Immutable:
/// share one object by reference with any number of threads; all const methods may run
/// concurrently. Creating one is cheap (the vocabulary is built once per process). A moved-from
/// Encoding throws Error(HARMONY_ERROR_INVALID_ARGUMENT) from every method.
///
/// The `*_into` methods write into a caller buffer and return the number of elements needed:
/// when that number is <= `cap` the result was written; otherwise nothing was written and the
/// call should be repeated with a buffer of at least that size (pass nullptr and 0 to ask).
/// A too-small buffer is not an error, so sizing never throws; real failures still throw.
class Encoding {
 public:
  /// The gpt-oss encoding (HarmonyGptOss). Throws Error on failure.
  Encoding() : Encoding(nullptr) {}

  /// The encoding called `name` (NUL-terminated; "HarmonyGptOss", or nullptr for the default).
  /// Throws Error(HARMONY_ERROR_INVALID_ARGUMENT) for an unknown name.
  explicit Encoding(const char* name) {
    detail::ErrorSlot err;
    err.check(harmony_encoding_new(name, &handle_, err.out()), "harmony_encoding_new");
  }

  /// Frees the handle (parsers created from it stay valid).
  ~Encoding() { harmony_encoding_free(handle_); }

  /// Not copyable: one owner frees the handle; share it by reference instead.
  Encoding(const Encoding&) = delete;
  /// Not copyable.
  Encoding& operator=(const Encoding&) = delete;
  /// Takes over `other`'s handle; `other` becomes moved-from.
  Encoding(Encoding&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  /// Frees this handle and takes over `other`'s; `other` becomes moved-from.
  Encoding& operator=(Encoding&& other) noexcept {
    if (this != &other) {
      harmony_encoding_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  /// The C handle, borrowed (still owned by this object); NULL after a move.
  const harmony_encoding* get() const noexcept { return handle_; }
  /// False after a move.
  explicit operator bool() const noexcept { return handle_ != nullptr; }

  // ---- rendering ----

  /// Renders wire-format `json` per `mode` and returns the tokens. `next_role` is used by
  /// RenderMode::Completion only (required there); `json` is a message object for
  /// RenderMode::Message and a conversation otherwise. Throws Error (INVALID_JSON,
  /// INVALID_UTF8, RENDER, INVALID_ARGUMENT for a role outside the enum, LIMIT_EXCEEDED).
  std::vector<std::uint32_t> render(RenderMode mode, std::string_view json, std::optional<Role> next_role,
                                    RenderFlags flags = RenderFlags::None) const {
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_render(handle(), static_cast<std::int32_t>(mode), json.data(), json.size(),
                             detail::role_code(next_role), static_cast<std::uint32_t>(flags), &out.value, err.out()),
              "harmony_render");
    return out.to_vector();
  }

  /// Like render(), into `buf` (`cap` tokens). Returns the token count; if it exceeds `cap`,
  /// nothing was written (see the class comment). No allocation by the wrapper on success.
  std::size_t render_into(RenderMode mode, std::string_view json, std::optional<Role> next_role, RenderFlags flags,
                          std::uint32_t* buf, std::size_t cap) const {
    std::size_t n = 0;
    detail::ErrorSlot err;
    harmony_status st = harmony_render_into(handle(), static_cast<std::int32_t>(mode), json.data(), json.size(),
                                            detail::role_code(next_role), static_cast<std::uint32_t>(flags), buf, cap,
                                            &n, err.out());
    if (st != HARMONY_ERROR_BUFFER_TOO_SMALL) err.check(st, "harmony_render_into");
    return n;
  }

  /// Like render(), into `out`, reusing its capacity: after warm-up an inference loop renders
  /// without allocating. Grows `out` when needed (a second, sized call). On failure `out` is
  /// left empty and Error is thrown.
  void render_into(RenderMode mode, std::string_view json, std::optional<Role> next_role, RenderFlags flags,
                   std::vector<std::uint32_t>& out) const {
    sized_into(out, [&](std::uint32_t* buf, std::size_t cap) { return render_into(mode, json, next_role, flags, buf, cap); });
  }

  /// The prompt for sampling: the conversation `json` then `<|start|>` + `next`. Errors as render().
  std::vector<std::uint32_t> render_completion(std::string_view conversation_json, Role next = Role::Assistant,
                                               RenderFlags flags = RenderFlags::None) const {
    return render(RenderMode::Completion, conversation_json, next, flags);
  }
  /// render_completion() of a typed conversation (serialised with Conversation::to_json).
  std::vector<std::uint32_t> render_completion(const Conversation& conversation, Role next = Role::Assistant,
                                               RenderFlags flags = RenderFlags::None) const {
    return render_completion(conversation.to_json(), next, flags);
  }

  /// render_completion() into `buf` of `cap` tokens; returns the count needed (see the class
  /// comment: nothing is written when it exceeds `cap`).
  std::size_t render_completion_into(std::string_view conversation_json, std::uint32_t* buf, std::size_t cap,
                                     Role next = Role::Assistant, RenderFlags flags = RenderFlags::None) const {
    return render_into(RenderMode::Completion, conversation_json, next, flags, buf, cap);
  }
  /// render_completion() into `out`, reusing its capacity (see render_into).
  void render_completion_into(std::string_view conversation_json, std::vector<std::uint32_t>& out,
                              Role next = Role::Assistant, RenderFlags flags = RenderFlags::None) const {
    render_into(RenderMode::Completion, conversation_json, next, flags, out);
  }

  /// The conversation `json` alone. Errors as render().
  std::vector<std::uint32_t> render_conversation(std::string_view conversation_json,
                                                 RenderFlags flags = RenderFlags::None) const {
    return render(RenderMode::Conversation, conversation_json, std::nullopt, flags);
  }
  /// render_conversation() of a typed conversation.
  std::vector<std::uint32_t> render_conversation(const Conversation& conversation,
                                                 RenderFlags flags = RenderFlags::None) const {
    return render_conversation(conversation.to_json(), flags);
  }

  /// The conversation `json` for training (a trailing final assistant message ends in
  /// `<|return|>`). Errors as render().
  std::vector<std::uint32_t> render_training(std::string_view conversation_json,
                                             RenderFlags flags = RenderFlags::None) const {
    return render(RenderMode::Training, conversation_json, std::nullopt, flags);
  }
  /// render_training() of a typed conversation.
  std::vector<std::uint32_t> render_training(const Conversation& conversation,
                                             RenderFlags flags = RenderFlags::None) const {
    return render_training(conversation.to_json(), flags);
  }

  /// One message (`message_json` is a message object). `has_function_tools`: the conversation
  /// declares function tools. Errors as render().
  std::vector<std::uint32_t> render_message(std::string_view message_json, bool has_function_tools = false) const {
    return render(RenderMode::Message, message_json, std::nullopt,
                  has_function_tools ? RenderFlags::HasFunctionTools : RenderFlags::None);
  }
  /// render_message() of a typed message.
  std::vector<std::uint32_t> render_message(const Message& message, bool has_function_tools = false) const {
    return render_message(message.to_json(), has_function_tools);
  }

  // ---- parsing ----

  /// Parses `n` completion tokens at `tokens` (borrowed) into a JSON array of messages (wire
  /// format). `role` is the role of the first message when the tokens start inside its header
  /// (after render_completion), std::nullopt when they start with `<|start|>`. Throws Error
  /// (HARMONY_ERROR_PARSE where openai-harmony 0.0.8 fails, INVALID_ARGUMENT for a role
  /// outside the enum).
  std::string parse_json(const std::uint32_t* tokens, std::size_t n, std::optional<Role> role = Role::Assistant,
                         ParseFlags flags = ParseFlags::None) const {
    detail::OwnedString out;
    detail::ErrorSlot err;
    err.check(harmony_parse(handle(), tokens, n, detail::role_code(role), static_cast<std::uint32_t>(flags), &out.value,
                            err.out()),
              "harmony_parse");
    return out.to_string();
  }
  /// parse_json() of a token view.
  std::string parse_json(TokenSpan tokens, std::optional<Role> role = Role::Assistant,
                         ParseFlags flags = ParseFlags::None) const {
    return parse_json(tokens.data(), tokens.size(), role, flags);
  }

  /// parse_json() as typed messages (content is a text part, or several).
  std::vector<Message> parse(const std::uint32_t* tokens, std::size_t n, std::optional<Role> role = Role::Assistant,
                             ParseFlags flags = ParseFlags::None) const {
    return messages_from_json(parse_json(tokens, n, role, flags));
  }
  /// parse() of a token view.
  std::vector<Message> parse(TokenSpan tokens, std::optional<Role> role = Role::Assistant,
                             ParseFlags flags = ParseFlags::None) const {
    return parse(tokens.data(), tokens.size(), role, flags);
  }

  // ---- OpenAI Chat Completions ----

  /// Renders an OpenAI Chat Completions request (`request_json`, a `chat.completions.create`
  /// body: messages, tools, reasoning_effort, response_format, ...) into the prompt tokens for
  /// the next assistant message. The library maps the request to a Harmony conversation (see
  /// README "The Chat Completions bridge"); the wrapper passes the JSON through. Throws Error
  /// (HARMONY_ERROR_INVALID_JSON for a malformed request, HARMONY_ERROR_INVALID_ARGUMENT for a
  /// request the bridge cannot map, e.g. an unknown `tool_call_id` or role, INVALID_UTF8 for
  /// request or option text that is not UTF-8, RENDER, LIMIT_EXCEEDED).
  std::vector<std::uint32_t> chat_render(std::string_view request_json, const ChatOptions& options = {}) const {
    const std::string opts = options.to_json();
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_chat_render(handle(), request_json.data(), request_json.size(), opts.data(), opts.size(),
                                  &out.value, err.out()),
              "harmony_chat_render");
    return out.to_vector();
  }

  /// Parses `n` completion tokens at `tokens` (borrowed; the model's output after a
  /// chat_render() prompt) into a `chat.completion` response JSON object: `reasoning_content`
  /// from analysis, `tool_calls` from messages with a recipient, `content` from the rest, and a
  /// `finish_reason` of `stop`, `tool_calls`, or `length` when the tokens end inside a message.
  /// Equal to joining ChatStream's chunks. Throws Error (UNKNOWN_TOKEN, PARSE, INVALID_UTF8 for
  /// option text that is not UTF-8).
  std::string chat_parse(const std::uint32_t* tokens, std::size_t n, const ChatOptions& options = {}) const {
    const std::string opts = options.to_json();
    detail::OwnedString out;
    detail::ErrorSlot err;
    err.check(harmony_chat_parse(handle(), tokens, n, opts.data(), opts.size(), &out.value, err.out()),
              "harmony_chat_parse");
    return out.to_string();
  }
  /// chat_parse() of a token view (a std::vector, std::array or C array converts implicitly).
  std::string chat_parse(TokenSpan tokens, const ChatOptions& options = {}) const {
    return chat_parse(tokens.data(), tokens.size(), options);
  }

  // ---- text ----

  /// Encodes UTF-8 `text`. Spellings of special tokens stay ordinary text unless
  /// `allow_special`. Throws Error(HARMONY_ERROR_INVALID_UTF8).
  std::vector<std::uint32_t> encode(std::string_view text, bool allow_special = false) const {
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_encode(handle(), text.data(), text.size(), allow_special ? HARMONY_ENCODE_ALLOW_SPECIAL : 0u,
                             &out.value, err.out()),
              "harmony_encode");
    return out.to_vector();
  }

  /// Encodes UTF-8 `text` reading only the special tokens in `allowed_special` (their ids, see
  /// special_token_id()) as special tokens; other spellings stay ordinary text (openai_harmony's
  /// `allowed_special={...}`). Throws Error(HARMONY_ERROR_INVALID_ARGUMENT) for an id that is
  /// not a special token.
  std::vector<std::uint32_t> encode_allowed(std::string_view text, TokenSpan allowed_special) const {
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_encode_allowed(handle(), text.data(), text.size(), allowed_special.data(), allowed_special.size(),
                                     &out.value, err.out()),
              "harmony_encode_allowed");
    return out.to_vector();
  }

  /// encode() into `buf` of `cap` tokens; returns the count needed (class comment).
  std::size_t encode_into(std::string_view text, std::uint32_t* buf, std::size_t cap,
                          bool allow_special = false) const {
    std::size_t n = 0;
    detail::ErrorSlot err;
    harmony_status st = harmony_encode_into(handle(), text.data(), text.size(),
                                            allow_special ? HARMONY_ENCODE_ALLOW_SPECIAL : 0u, buf, cap, &n, err.out());
    if (st != HARMONY_ERROR_BUFFER_TOO_SMALL) err.check(st, "harmony_encode_into");
    return n;
  }

  /// Decodes tokens to UTF-8 text. Throws Error(HARMONY_ERROR_UNKNOWN_TOKEN) for ids outside the
  /// vocabulary and Error(HARMONY_ERROR_INVALID_UTF8) for bytes that are not UTF-8, unless
  /// `lossy` (then they become U+FFFD).
  std::string decode(TokenSpan tokens, bool lossy = false) const {
    detail::OwnedString out;
    detail::ErrorSlot err;
    err.check(harmony_decode(handle(), tokens.data(), tokens.size(), lossy ? HARMONY_DECODE_LOSSY : 0u, &out.value,
                             err.out()),
              "harmony_decode");
    return out.to_string();
  }

  /// decode() into `buf` of `cap` bytes (no NUL written); returns the byte count needed (class
  /// comment).
  std::size_t decode_into(TokenSpan tokens, char* buf, std::size_t cap, bool lossy = false) const {
    std::size_t n = 0;
    detail::ErrorSlot err;
    harmony_status st = harmony_decode_into(handle(), tokens.data(), tokens.size(), lossy ? HARMONY_DECODE_LOSSY : 0u,
                                            buf, cap, &n, err.out());
    if (st != HARMONY_ERROR_BUFFER_TOO_SMALL) err.check(st, "harmony_decode_into");
    return n;
  }

  // ---- tokens ----

  /// Stop tokens for completions (`<|return|>`, `<|end|>`, `<|call|>`, ascending), borrowed from
  /// the library's static storage (valid for the life of the process).
  TokenSpan stop_tokens() const { return stops(0); }

  /// Stop tokens for assistant actions (`<|return|>`, `<|call|>`), borrowed like stop_tokens().
  TokenSpan stop_tokens_for_assistant_actions() const { return stops(1); }

  /// The id of special token `name` (e.g. "<|start|>"). Throws
  /// Error(HARMONY_ERROR_INVALID_ARGUMENT) if `name` is not a special token.
  static std::uint32_t special_token_id(std::string_view name) {
    std::uint32_t id = 0;
    harmony_status st = harmony_special_token_id(name.data(), name.size(), &id);
    if (st != HARMONY_OK) throw Error(st, "`" + std::string(name) + "` is not a special token");
    return id;
  }

  /// The spelling of special token `token`, borrowed from static storage. Throws
  /// Error(HARMONY_ERROR_INVALID_ARGUMENT) for ordinary and unknown ids.
  static std::string_view special_token_name(std::uint32_t token) {
    const char* name = nullptr;
    std::size_t len = 0;
    harmony_status st = harmony_special_token_name(token, &name, &len);
    if (st != HARMONY_OK) throw Error(st, "token " + std::to_string(token) + " is not a special token");
    return std::string_view(name, len);
  }

  /// True if `token` is a special (control) token.
  static bool is_special(std::uint32_t token) noexcept { return harmony_token_is_special(token) != 0; }

  /// The library's version, e.g. "0.1.0" (static storage).
  static std::string_view version() noexcept { return harmony_version(); }

 private:
  const harmony_encoding* handle() const {
    if (!handle_) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
    return handle_;
  }

  TokenSpan stops(std::int32_t for_assistant_actions) const {
    const std::uint32_t* tokens = nullptr;
    std::size_t len = 0;
    harmony_status st = harmony_stop_tokens(handle(), for_assistant_actions, &tokens, &len);
    if (st != HARMONY_OK) throw Error(st, std::string("harmony_stop_tokens: ") + harmony_status_name(st));
    return TokenSpan(tokens, len);
  }

  // Two-call sizing into a vector: try its capacity, grow to the reported size, try again.
  template <class T, class F>
  static void sized_into(std::vector<T>& out, F&& call) {
    try {
      out.resize(out.capacity());
      std::size_t n = call(out.data(), out.size());
      while (n > out.size()) {
        out.resize(n);
        n = call(out.data(), out.size());
      }
      out.resize(n);
    } catch (...) {
      out.clear();
      throw;
    }
  }

  const harmony_encoding* handle_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// StreamParser

/// What one token did (StreamParser::step): the content delta, the message boundaries and the
/// header fields of the message being read. The string_views point into the parser and stay
/// valid until its next mutating call (step, process*, destruction, move-assignment).
struct ParserEvent {
  /// The token began a message (HARMONY_EVENT_MESSAGE_STARTED).
  static constexpr std::uint32_t MessageStarted = HARMONY_EVENT_MESSAGE_STARTED;
  /// The header is complete: channel, recipient and content type are known.
  static constexpr std::uint32_t HeaderComplete = HARMONY_EVENT_HEADER_COMPLETE;
  /// A message was completed; the views describe it unless a new message is open.
  static constexpr std::uint32_t MessageEnded = HARMONY_EVENT_MESSAGE_ENDED;
  /// `delta` holds text.
  static constexpr std::uint32_t Delta = HARMONY_EVENT_DELTA;

  /// HARMONY_EVENT_* bits.
  std::uint32_t flags = 0;
  /// Where the parser is after the token.
  StreamState state = StreamState::ExpectStart;
  /// Role of the described message (std::nullopt when unknown).
  std::optional<Role> role;
  /// Text the token added, if any.
  std::optional<std::string_view> delta;
  /// Channel of the current message (of the ended one after MessageEnded).
  std::optional<std::string_view> channel;
  /// Recipient of the same message, e.g. `functions.get_weather`.
  std::optional<std::string_view> recipient;
  /// Content type of the same message, e.g. `<|constrain|>json`.
  std::optional<std::string_view> content_type;
  /// Number of completed messages.
  std::size_t message_count = 0;

  bool message_started() const noexcept { return (flags & MessageStarted) != 0; }
  bool header_complete() const noexcept { return (flags & HeaderComplete) != 0; }
  bool message_ended() const noexcept { return (flags & MessageEnded) != 0; }
  bool has_delta() const noexcept { return (flags & Delta) != 0; }
};

/// A completed message of a StreamParser as views into the parser (no JSON, no copy), valid until
/// its next mutating call.
struct MessageView {
  /// The author's role.
  Role role = Role::Assistant;
  /// The author's name (tool messages), if any.
  std::optional<std::string_view> name;
  /// Channel, if any.
  std::optional<std::string_view> channel;
  /// Recipient, if any.
  std::optional<std::string_view> recipient;
  /// Content type, if any.
  std::optional<std::string_view> content_type;
  /// The message text.
  std::string_view content;
};

namespace detail {
inline std::optional<std::string_view> view(harmony_view v) noexcept { return borrowed(v.data, v.len); }
inline std::optional<Role> role_of(std::int32_t r) noexcept {
  if (r == HARMONY_ROLE_NONE) return std::nullopt;
  return static_cast<Role>(r);
}
inline ParserEvent event_of(const harmony_parser_event& e) noexcept {
  ParserEvent ev;
  ev.flags = e.flags;
  ev.state = static_cast<StreamState>(e.state);
  ev.role = role_of(e.role);
  ev.delta = view(e.delta);
  ev.channel = view(e.channel);
  ev.recipient = view(e.recipient);
  ev.content_type = view(e.content_type);
  ev.message_count = e.message_count;
  return ev;
}
}  // namespace detail

/// A streaming parser: feed completion tokens one at a time (as they are sampled) and read the
/// content delta, header fields and completed messages after each.
///
/// Move-only RAII owner of a `harmony_parser*`. It holds its own reference to the encoding, so
/// it may outlive the Encoding it was created from. One thread at a time (it may move between
/// threads). After a failed process() or process_eos() discard the parser. A moved-from parser
/// throws Error(HARMONY_ERROR_INVALID_ARGUMENT) from every method.
///
/// The string_view accessors copy nothing: they point into the parser and stay valid until the
/// next process*() call (or destruction / move-assignment). Copy what you keep.
class StreamParser {
 public:
  /// A parser over `encoding`. `role` is the role of the first message when the completion
  /// starts inside its header (after render_completion), std::nullopt when it starts with
  /// `<|start|>`. Throws Error(HARMONY_ERROR_INVALID_ARGUMENT) for a role outside the enum or a
  /// moved-from encoding.
  explicit StreamParser(const Encoding& encoding, std::optional<Role> role = Role::Assistant,
                        ParseFlags flags = ParseFlags::None) {
    if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
    detail::ErrorSlot err;
    err.check(harmony_parser_new(encoding.get(), detail::role_code(role), static_cast<std::uint32_t>(flags), &parser_,
                                 err.out()),
              "harmony_parser_new");
  }

  /// A parser continuing an assistant message already open (prefill; harmony_parser_new_continuing):
  /// `header_json` is its header, e.g. `{"channel":"final"}`; the tokens start inside its content.
  static StreamParser continuing(const Encoding& encoding, std::string_view header_json,
                                 ParseFlags flags = ParseFlags::None) {
    if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
    harmony_parser* p = nullptr;
    detail::ErrorSlot err;
    err.check(harmony_parser_new_continuing(encoding.get(), header_json.data(), header_json.size(),
                                            static_cast<std::uint32_t>(flags), &p, err.out()),
              "harmony_parser_new_continuing");
    return StreamParser(p);
  }

  /// Frees the parser.
  ~StreamParser() { harmony_parser_free(parser_); }

  /// Not copyable: one owner frees the parser.
  StreamParser(const StreamParser&) = delete;
  /// Not copyable.
  StreamParser& operator=(const StreamParser&) = delete;
  /// Takes over `other`'s parser; `other` becomes moved-from.
  StreamParser(StreamParser&& other) noexcept : parser_(std::exchange(other.parser_, nullptr)) {}
  /// Frees this parser and takes over `other`'s; `other` becomes moved-from.
  StreamParser& operator=(StreamParser&& other) noexcept {
    if (this != &other) {
      harmony_parser_free(parser_);
      parser_ = std::exchange(other.parser_, nullptr);
    }
    return *this;
  }

  /// The C handle, borrowed (still owned by this object); NULL after a move.
  harmony_parser* get() const noexcept { return parser_; }
  /// False after a move.
  explicit operator bool() const noexcept { return parser_ != nullptr; }

  /// Feeds one token. Throws Error(HARMONY_ERROR_PARSE) exactly where openai-harmony 0.0.8 fails.
  void process(std::uint32_t token) {
    detail::ErrorSlot err;
    err.check(harmony_parser_process(handle(), token, err.out()), "harmony_parser_process");
  }

  /// Feeds `n` tokens at `tokens` (borrowed), stopping at the first failure (Error names the
  /// index). Accessors then describe the state after the last token processed.
  void process(const std::uint32_t* tokens, std::size_t n) {
    detail::ErrorSlot err;
    err.check(harmony_parser_process_tokens(handle(), tokens, n, err.out()), "harmony_parser_process_tokens");
  }
  /// process() of a token view.
  void process(TokenSpan tokens) { process(tokens.data(), tokens.size()); }

  /// Signals the end of the stream, completing a message in progress. Throws
  /// Error(HARMONY_ERROR_PARSE) e.g. when the stream ends inside a header. The parser is then
  /// finished: process() and process_eos() throw Error(HARMONY_ERROR_INVALID_ARGUMENT).
  void process_eos() {
    detail::ErrorSlot err;
    err.check(harmony_parser_process_eos(handle(), err.out()), "harmony_parser_process_eos");
  }

  /// Feeds one token and returns what it did (one C call per sampled token; the views are
  /// valid until the next mutating call). Throws exactly where process() throws.
  ParserEvent step(std::uint32_t token) {
    harmony_parser_event ev;
    detail::ErrorSlot err;
    err.check(harmony_parser_step(handle(), token, &ev, err.out()), "harmony_parser_step");
    return detail::event_of(ev);
  }

  /// Signals the end of the stream like process_eos() and returns what it did (message_ended()
  /// when a message in progress was completed).
  ParserEvent step_eos() {
    harmony_parser_event ev;
    detail::ErrorSlot err;
    err.check(harmony_parser_step_eos(handle(), &ev, err.out()), "harmony_parser_step_eos");
    return detail::event_of(ev);
  }

  /// Completed message `index` (below message_count()) as views, without JSON. Throws
  /// Error(HARMONY_ERROR_INVALID_ARGUMENT) for an index out of range.
  MessageView message(std::size_t index) const {
    harmony_message_view m;
    detail::ErrorSlot err;
    err.check(harmony_parser_message(handle(), index, &m, err.out()), "harmony_parser_message");
    MessageView v;
    v.role = static_cast<Role>(m.role);
    v.name = detail::view(m.name);
    v.channel = detail::view(m.channel);
    v.recipient = detail::view(m.recipient);
    v.content_type = detail::view(m.content_type);
    v.content = detail::view(m.content).value_or(std::string_view());
    return v;
  }

  /// Text added by the last token, borrowed (see the class comment); std::nullopt when there is
  /// none (outside content, or a UTF-8 character still incomplete). The per-token hot path.
  std::optional<std::string_view> last_delta() const { return borrow(harmony_parser_last_delta, "last_delta"); }

  /// Content of the current message so far, borrowed; std::nullopt outside content.
  std::optional<std::string_view> content() const { return borrow(harmony_parser_current_content, "content"); }

  /// Channel of the current message, borrowed; std::nullopt if none.
  std::optional<std::string_view> channel() const { return borrow(harmony_parser_current_channel, "channel"); }

  /// Recipient of the current message, borrowed; std::nullopt if none.
  std::optional<std::string_view> recipient() const { return borrow(harmony_parser_current_recipient, "recipient"); }

  /// Content type of the current message, borrowed; std::nullopt if none.
  std::optional<std::string_view> content_type() const {
    return borrow(harmony_parser_current_content_type, "content_type");
  }

  /// Where the parser is: expecting `<|start|>`, in a header, or in content.
  StreamState state() const { return static_cast<StreamState>(harmony_parser_state(handle())); }

  /// Role of the current message (or the expected next role); std::nullopt when unknown.
  std::optional<Role> role() const {
    std::int32_t r = harmony_parser_current_role(handle());
    if (r == HARMONY_ROLE_NONE) return std::nullopt;
    return static_cast<Role>(r);
  }

  /// Number of completed messages.
  std::size_t message_count() const { return harmony_parser_message_count(handle()); }

  /// Completed messages as a JSON array (wire format), owned by the caller.
  std::string messages_json() const {
    detail::OwnedString out;
    detail::ErrorSlot err;
    err.check(harmony_parser_messages_json(handle(), &out.value, err.out()), "harmony_parser_messages_json");
    return out.to_string();
  }

  /// The tokens that end the current message now and open the final answer (`function`
  /// empty) or a call of `function`, as the model would have sampled them: for an engine whose
  /// reasoning budget ran out. Inject them into the model's context and feed them to process()
  /// as if sampled. Empty when already inside such a message.
  std::vector<std::uint32_t> force_answer(std::string_view function = {}) const {
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_parser_force_answer(handle(), function.empty() ? nullptr : function.data(), function.size(),
                                          &out.value, err.out()),
              "harmony_parser_force_answer");
    return out.to_vector();
  }

  /// Completed messages, typed.
  std::vector<Message> messages() const { return messages_from_json(messages_json()); }

 private:
  harmony_parser* handle() const {
    if (!parser_) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::StreamParser: use of a moved-from object");
    return parser_;
  }

  using Accessor = harmony_status (*)(const harmony_parser*, const char**, std::size_t*);
  std::optional<std::string_view> borrow(Accessor accessor, const char* what) const {
    const char* data = nullptr;
    std::size_t len = 0;
    harmony_status st = accessor(handle(), &data, &len);
    if (st != HARMONY_OK) throw Error(st, std::string("harmony::StreamParser::") + what + ": " + harmony_status_name(st));
    return detail::borrowed(data, len);
  }

  explicit StreamParser(harmony_parser* p) noexcept : parser_(p) {}

  harmony_parser* parser_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// ChatStream

/// A streaming OpenAI Chat Completions response: feed the completion tokens of a
/// Encoding::chat_render() prompt one at a time and forward the `chat.completion.chunk` JSON
/// objects it returns (the first carries `"role":"assistant"`), then finish() for the last chunk
/// with the `finish_reason`. The chunks' deltas joined equal Encoding::chat_parse() of the same
/// tokens. Every mapping decision is the library's; the chunks are its JSON text, unchanged.
///
/// Move-only RAII owner of a `harmony_chat_stream*`. It holds its own reference to the
/// encoding, so it may outlive the Encoding it was created from. One thread at a time (it may
/// move between threads). After a failed process() discard the stream. A moved-from stream
/// throws Error(HARMONY_ERROR_INVALID_ARGUMENT) from every method.
class ChatStream {
 public:
  /// A stream over `encoding` with `options` (`model`, `id`, `created` of the chunks;
  /// `fix_constrain_recipient`). Throws Error (INVALID_UTF8 for option text that is not UTF-8,
  /// INVALID_ARGUMENT for a moved-from encoding).
  explicit ChatStream(const Encoding& encoding, const ChatOptions& options = {}) {
    if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
    const std::string opts = options.to_json();
    detail::ErrorSlot err;
    err.check(harmony_chat_stream_new(encoding.get(), opts.data(), opts.size(), &stream_, err.out()),
              "harmony_chat_stream_new");
  }

  /// Frees the stream.
  ~ChatStream() { harmony_chat_stream_free(stream_); }

  /// Not copyable: one owner frees the stream.
  ChatStream(const ChatStream&) = delete;
  /// Not copyable.
  ChatStream& operator=(const ChatStream&) = delete;
  /// Takes over `other`'s stream; `other` becomes moved-from.
  ChatStream(ChatStream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  /// Frees this stream and takes over `other`'s; `other` becomes moved-from.
  ChatStream& operator=(ChatStream&& other) noexcept {
    if (this != &other) {
      harmony_chat_stream_free(stream_);
      stream_ = std::exchange(other.stream_, nullptr);
    }
    return *this;
  }

  /// The C handle, borrowed (still owned by this object); NULL after a move.
  harmony_chat_stream* get() const noexcept { return stream_; }
  /// False after a move.
  explicit operator bool() const noexcept { return stream_ != nullptr; }

  /// Feeds one completion token and returns the `chat.completion.chunk` JSON object it
  /// produces (owned by the caller), or std::nullopt when it produces none (header tokens, a
  /// UTF-8 character still incomplete). Throws Error (UNKNOWN_TOKEN, PARSE, and
  /// INVALID_ARGUMENT after finish()).
  std::optional<std::string> process(std::uint32_t token) {
    detail::OwnedString chunk;
    detail::ErrorSlot err;
    err.check(harmony_chat_stream_process(handle(), token, &chunk.value, err.out()), "harmony_chat_stream_process");
    if (!chunk.value.data) return std::nullopt;
    return chunk.to_string();
  }

  /// Like process(), without a copy: the chunk is a view into the stream's one reused buffer,
  /// valid until the next call on this stream (the per-token hot path: no allocation).
  std::optional<std::string_view> next(std::uint32_t token) {
    const char* data = nullptr;
    std::size_t len = 0;
    detail::ErrorSlot err;
    err.check(harmony_chat_stream_next(handle(), token, &data, &len, err.out()), "harmony_chat_stream_next");
    if (!data) return std::nullopt;
    return std::string_view(data, len);
  }

  /// Ends the stream and returns the last chunk (owned by the caller), carrying the
  /// `finish_reason` (`tool_calls`, `stop` or `length`; see the README's bridge section) and any
  /// text left at the end. Call it once: a second call throws Error(HARMONY_ERROR_INVALID_ARGUMENT).
  std::string finish() {
    detail::OwnedString chunk;
    detail::ErrorSlot err;
    err.check(harmony_chat_stream_finish(handle(), &chunk.value, err.out()), "harmony_chat_stream_finish");
    return chunk.to_string();
  }

  /// The tokens that end the current message now and open the final answer (`function`
  /// empty) or a call of `function`, as the model would have sampled them: for an engine whose
  /// reasoning budget ran out. Inject them into the model's context and feed them to process()/next()
  /// as if sampled. Empty when already inside such a message.
  std::vector<std::uint32_t> force_answer(std::string_view function = {}) const {
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_chat_stream_force_answer(handle(), function.empty() ? nullptr : function.data(), function.size(),
                                               &out.value, err.out()),
              "harmony_chat_stream_force_answer");
    return out.to_vector();
  }

 private:
  harmony_chat_stream* handle() const {
    if (!stream_) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::ChatStream: use of a moved-from object");
    return stream_;
  }

  harmony_chat_stream* stream_ = nullptr;
};

// ---- Grammars for constrained decoding (harmony_chat_grammar) ----

/// Output format of chat_grammar().
enum class GrammarFormat : std::int32_t {
  Lark = HARMONY_GRAMMAR_LARK,          ///< llguidance Lark grammar
  Gbnf = HARMONY_GRAMMAR_GBNF,          ///< llama.cpp GBNF grammar (root rule `root`)
  Xgrammar = HARMONY_GRAMMAR_XGRAMMAR,  ///< xgrammar structural tag JSON
};

/// Options of chat_grammar(). `reasoning` is "optional", "required" or "none" (analysis
/// before the answer); `lazy` (GBNF only) describes just the tool calls, for a llama.cpp lazy
/// grammar armed by the pattern `<\|channel\|>commentary to=`.
struct GrammarOptions {
  std::string reasoning = "optional";
  bool lazy = false;

  std::string to_json() const {
    std::string out = "{\"reasoning\":";
    detail::write_string(out, reasoning);
    out += lazy ? ",\"lazy\":true}" : ",\"lazy\":false}";
    return out;
  }
};

/// The grammar of the completion an OpenAI Chat Completions request permits (tools,
/// tool_choice, parallel_tool_calls, response_format), starting where chat_render()'s prompt
/// ends. Throws Error (e.g. HARMONY_ERROR_INVALID_ARGUMENT naming the bad field).
inline std::string chat_grammar(const Encoding& encoding, std::string_view request_json, GrammarFormat format,
                                const GrammarOptions& options = {}) {
  if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
  const std::string opts = options.to_json();
  detail::OwnedString out;
  detail::ErrorSlot err;
  err.check(harmony_chat_grammar(encoding.get(), request_json.data(), request_json.size(),
                                 static_cast<std::int32_t>(format), opts.data(), opts.size(), &out.value, err.out()),
            "harmony_chat_grammar");
  return out.to_string();
}

/// The grammar of the completion an OpenAI Responses request permits (function tools,
/// tool_choice, parallel_tool_calls, text.format): the same grammar as chat_grammar() for the
/// same request in Chat Completions form. Hosted tools (web_search) throw
/// HARMONY_ERROR_INVALID_ARGUMENT.
inline std::string responses_grammar(const Encoding& encoding, std::string_view request_json, GrammarFormat format,
                                     const GrammarOptions& options = {}) {
  if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
  const std::string opts = options.to_json();
  detail::OwnedString out;
  detail::ErrorSlot err;
  err.check(harmony_responses_grammar(encoding.get(), request_json.data(), request_json.size(),
                                      static_cast<std::int32_t>(format), opts.data(), opts.size(), &out.value, err.out()),
            "harmony_responses_grammar");
  return out.to_string();
}

}  // namespace harmony

// =============================================================================================
// The OpenAI Responses API bridge (issue 13): harmony::responses_render, harmony::responses_parse,
// harmony::ResponsesStream. Options are the library's JSON object (`conversation_start_date`,
// `model`, `id`, `created_at`, `response_fields`), passed through unchanged; every mapping
// decision is the library's (README "The Responses API bridge").
// =============================================================================================
namespace harmony {

/// Renders an OpenAI Responses API request (`request_json`: input, instructions, tools,
/// tool_choice, reasoning, text) into the prompt tokens for the next assistant message. Throws
/// Error (INVALID_JSON for malformed request or options, INVALID_ARGUMENT for a request the
/// bridge cannot map, with a message naming the item, e.g. `request.input[2].content[0]`).
inline std::vector<std::uint32_t> responses_render(const Encoding& encoding, std::string_view request_json,
                                                   std::string_view options_json = {}) {
  if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
  detail::OwnedTokens out;
  detail::ErrorSlot err;
  err.check(harmony_responses_render(encoding.get(), request_json.data(), request_json.size(), options_json.data(),
                                     options_json.size(), &out.value, err.out()),
            "harmony_responses_render");
  return out.to_vector();
}

/// Parses completion tokens (the model's output after a responses_render() prompt) into a
/// `response` JSON object. Any valid token ids succeed; throws Error(UNKNOWN_TOKEN) for an id
/// outside the vocabulary.
inline std::string responses_parse(const Encoding& encoding, TokenSpan tokens, std::string_view options_json = {}) {
  if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
  detail::OwnedString out;
  detail::ErrorSlot err;
  err.check(harmony_responses_parse(encoding.get(), tokens.data(), tokens.size(), options_json.data(),
                                    options_json.size(), &out.value, err.out()),
            "harmony_responses_parse");
  return out.to_string();
}

/// A streaming Responses API response: feed completion tokens one at a time; each call returns
/// the JSON array of the events the token produces (`[]` for none; the first carries
/// `response.created` and `response.in_progress`), and finish() the last events, ending with
/// `response.completed` or `response.incomplete`. Move-only RAII owner of a
/// `harmony_responses_stream*`, holding its own reference to the encoding; one thread at a time.
class ResponsesStream {
 public:
  /// A stream over `encoding` with `options_json`. Throws Error (INVALID_JSON for bad options).
  explicit ResponsesStream(const Encoding& encoding, std::string_view options_json = {}) {
    if (!encoding) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::Encoding: use of a moved-from object");
    detail::ErrorSlot err;
    err.check(harmony_responses_stream_new(encoding.get(), options_json.data(), options_json.size(), &stream_,
                                           err.out()),
              "harmony_responses_stream_new");
  }
  /// Frees the stream.
  ~ResponsesStream() { harmony_responses_stream_free(stream_); }
  /// Not copyable: one owner frees the stream.
  ResponsesStream(const ResponsesStream&) = delete;
  /// Not copyable.
  ResponsesStream& operator=(const ResponsesStream&) = delete;
  /// Takes over `other`'s stream; `other` becomes moved-from.
  ResponsesStream(ResponsesStream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  /// Frees this stream and takes over `other`'s; `other` becomes moved-from.
  ResponsesStream& operator=(ResponsesStream&& other) noexcept {
    if (this != &other) {
      harmony_responses_stream_free(stream_);
      stream_ = std::exchange(other.stream_, nullptr);
    }
    return *this;
  }
  /// The C handle, borrowed; NULL after a move.
  harmony_responses_stream* get() const noexcept { return stream_; }
  /// False after a move.
  explicit operator bool() const noexcept { return stream_ != nullptr; }

  /// Feeds one token; returns the JSON array of its events. Throws Error (UNKNOWN_TOKEN, and
  /// INVALID_ARGUMENT after finish()).
  std::string process(std::uint32_t token) {
    detail::OwnedString events;
    detail::ErrorSlot err;
    err.check(harmony_responses_stream_process(handle(), token, &events.value, err.out()),
              "harmony_responses_stream_process");
    return events.to_string();
  }

  /// Like process(), without a copy: the JSON array is a view into the stream's one reused
  /// buffer, valid until the next call on this stream, and std::nullopt when the token produced
  /// no event (where process() returns `[]`). The per-token hot path: no allocation.
  std::optional<std::string_view> next(std::uint32_t token) {
    const char* data = nullptr;
    std::size_t len = 0;
    detail::ErrorSlot err;
    err.check(harmony_responses_stream_next(handle(), token, &data, &len, err.out()), "harmony_responses_stream_next");
    if (!data) return std::nullopt;
    return std::string_view(data, len);
  }

  /// Ends the stream; returns the JSON array of the last events. A second call throws
  /// Error(HARMONY_ERROR_INVALID_ARGUMENT).
  std::string finish() {
    detail::OwnedString events;
    detail::ErrorSlot err;
    err.check(harmony_responses_stream_finish(handle(), &events.value, err.out()), "harmony_responses_stream_finish");
    return events.to_string();
  }

  /// The tokens that end the current message now and open the final answer (`function`
  /// empty) or a call of `function`, as the model would have sampled them: for an engine whose
  /// reasoning budget ran out. Inject them into the model's context and feed them to process()/next()
  /// as if sampled. Empty when already inside such a message.
  std::vector<std::uint32_t> force_answer(std::string_view function = {}) const {
    detail::OwnedTokens out;
    detail::ErrorSlot err;
    err.check(harmony_responses_stream_force_answer(handle(), function.empty() ? nullptr : function.data(),
                                                    function.size(), &out.value, err.out()),
              "harmony_responses_stream_force_answer");
    return out.to_vector();
  }

 private:
  harmony_responses_stream* handle() const {
    if (!stream_) throw Error(HARMONY_ERROR_INVALID_ARGUMENT, "harmony::ResponsesStream: use of a moved-from object");
    return stream_;
  }
  harmony_responses_stream* stream_ = nullptr;
};

}  // namespace harmony
// =============================================================================================

#endif  // HARMONY_HPP
