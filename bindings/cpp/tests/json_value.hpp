// A small JSON DOM reader for the tests (the golden vector file). Deliberately independent of
// harmony::detail's reader so that the wrapper's JSON code is checked against a second one.
#ifndef HARMONY_TESTS_JSON_VALUE_HPP
#define HARMONY_TESTS_JSON_VALUE_HPP

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace testjson {

struct Value {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  std::string text;  // string contents, or the number's literal
  std::vector<Value> items;
  std::vector<std::string> keys;  // objects: keys[i] names items[i]

  bool is_null() const { return type == Type::Null; }
  bool is_string() const { return type == Type::String; }

  // The member `key`, or nullptr.
  const Value* find(std::string_view key) const {
    if (type != Type::Object) return nullptr;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
  const Value& operator[](std::string_view key) const {
    const Value* v = find(key);
    if (!v) throw std::runtime_error("missing key " + std::string(key));
    return *v;
  }
  const std::string& str() const {
    if (type != Type::String) throw std::runtime_error("not a string");
    return text;
  }
  bool as_bool() const {
    if (type != Type::Bool) throw std::runtime_error("not a bool");
    return boolean;
  }
  uint64_t as_u64() const {
    if (type != Type::Number) throw std::runtime_error("not a number");
    return std::strtoull(text.c_str(), nullptr, 10);
  }
  std::vector<uint32_t> tokens() const {
    std::vector<uint32_t> out;
    for (const Value& v : items) out.push_back(static_cast<uint32_t>(v.as_u64()));
    return out;
  }
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Value document() {
    Value v = value();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const char* why) { throw std::runtime_error(std::string("test JSON: ") + why + " at " + std::to_string(i_)); }

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }

  char next() {
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_++];
  }

  Value value() {
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    Value v;
    char c = s_[i_];
    if (c == '{') {
      v.type = Value::Type::Object;
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return v;
      }
      for (;;) {
        ws();
        v.keys.push_back(string());
        ws();
        if (next() != ':') fail("expected :");
        v.items.push_back(value());
        ws();
        char d = next();
        if (d == '}') return v;
        if (d != ',') fail("expected , or }");
      }
    }
    if (c == '[') {
      v.type = Value::Type::Array;
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return v;
      }
      for (;;) {
        v.items.push_back(value());
        ws();
        char d = next();
        if (d == ']') return v;
        if (d != ',') fail("expected , or ]");
      }
    }
    if (c == '"') {
      v.type = Value::Type::String;
      v.text = string();
      return v;
    }
    if (s_.substr(i_, 4) == "true") {
      i_ += 4;
      v.type = Value::Type::Bool;
      v.boolean = true;
      return v;
    }
    if (s_.substr(i_, 5) == "false") {
      i_ += 5;
      v.type = Value::Type::Bool;
      return v;
    }
    if (s_.substr(i_, 4) == "null") {
      i_ += 4;
      return v;
    }
    size_t start = i_;
    while (i_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos) ++i_;
    if (start == i_) fail("unexpected character");
    v.type = Value::Type::Number;
    v.text = std::string(s_.substr(start, i_ - start));
    return v;
  }

  uint32_t hex4() {
    uint32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = next();
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') cp |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') cp |= static_cast<uint32_t>(h - 'A' + 10);
      else fail("bad hex digit");
    }
    return cp;
  }

  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    if (next() != '"') fail("expected string");
    std::string out;
    for (;;) {
      char c = next();
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = next();
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            size_t save = i_;
            i_ += 2;
            uint32_t lo = hex4();
            if (lo >= 0xDC00 && lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              i_ = save;
            }
          }
          if (cp >= 0xD800 && cp < 0xE000) fail("lone surrogate");
          utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

inline Value parse(std::string_view text) { return Parser(text).document(); }

}  // namespace testjson

#endif
