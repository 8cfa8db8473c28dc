// Access to tests/golden/vectors.jsonl (path from CMake: HARMONY_GOLDEN_VECTORS), shared by the
// golden and thread tests.
#ifndef HARMONY_TESTS_GOLDEN_HPP
#define HARMONY_TESTS_GOLDEN_HPP

#include "harmony.hpp"
#include "json_value.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef HARMONY_GOLDEN_VECTORS
#error "HARMONY_GOLDEN_VECTORS must name tests/golden/vectors.jsonl"
#endif

namespace golden {

// Every vector of the file, parsed once. HARMONY_CPP_GOLDEN_STRIDE=N keeps every N-th vector of
// each kind (used by the valgrind run, where the full file takes minutes); unset means all.
inline const std::vector<testjson::Value>& vectors() {
  static const std::vector<testjson::Value> all = [] {
    std::ifstream in(HARMONY_GOLDEN_VECTORS, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " HARMONY_GOLDEN_VECTORS);
    size_t stride = 1;
    if (const char* s = std::getenv("HARMONY_CPP_GOLDEN_STRIDE")) stride = std::max<size_t>(1, std::strtoul(s, nullptr, 10));
    std::vector<testjson::Value> out;
    std::vector<std::string> kinds;
    std::vector<size_t> seen;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      testjson::Value v = testjson::parse(line);
      const std::string& kind = v["kind"].str();
      size_t k = 0;
      while (k < kinds.size() && kinds[k] != kind) ++k;
      if (k == kinds.size()) {
        kinds.push_back(kind);
        seen.push_back(0);
      }
      if (seen[k]++ % stride == 0) out.push_back(std::move(v));
    }
    return out;
  }();
  return all;
}

inline bool full_run() {
  const char* s = std::getenv("HARMONY_CPP_GOLDEN_STRIDE");
  return !s || std::strtoul(s, nullptr, 10) <= 1;
}

// A vector's role field: null is "no role"; a name outside the enum sets `known` to false.
inline std::optional<harmony::Role> role(const testjson::Value& v, bool& known) {
  known = true;
  if (v.is_null()) return std::nullopt;
  std::optional<harmony::Role> r = harmony::role_from_name(v.str());
  known = r.has_value();
  return r;
}

inline harmony::RenderMode mode(const std::string& m) {
  if (m == "completion") return harmony::RenderMode::Completion;
  if (m == "conversation") return harmony::RenderMode::Conversation;
  if (m == "training") return harmony::RenderMode::Training;
  throw std::runtime_error("unknown render mode " + m);
}

inline harmony::ParseFlags parse_flags(const testjson::Value& v) {
  return v["strict"].as_bool() ? harmony::ParseFlags::None : harmony::ParseFlags::Lenient;
}

inline harmony::RenderFlags render_flags(const testjson::Value& v) {
  return v["auto_drop_analysis"].as_bool() ? harmony::RenderFlags::None : harmony::RenderFlags::KeepAnalysis;
}

}  // namespace golden

#endif
