// Eight threads share one harmony::Encoding, rendering, parsing and streaming the golden
// vectors at once (each thread with its own StreamParser); every result must equal the
// single-threaded one.
#include "golden.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Job {
  enum class Kind { Render, Parse, Stream } kind;
  std::string input;
  std::vector<uint32_t> tokens;
  harmony::RenderMode mode = harmony::RenderMode::Conversation;
  std::optional<harmony::Role> role;
  harmony::RenderFlags render_flags = harmony::RenderFlags::None;
  harmony::ParseFlags parse_flags = harmony::ParseFlags::None;
};

// One job's result as a string: tokens, messages JSON, or the error status.
std::string run(const harmony::Encoding& enc, const Job& job) {
  try {
    switch (job.kind) {
      case Job::Kind::Render: {
        std::string out;
        for (uint32_t t : enc.render(job.mode, job.input, job.role, job.render_flags)) out += std::to_string(t) + ",";
        return out;
      }
      case Job::Kind::Parse:
        return enc.parse_json(job.tokens, job.role, job.parse_flags);
      case Job::Kind::Stream: {
        harmony::StreamParser p(enc, job.role, job.parse_flags);
        std::string deltas;
        try {
          for (uint32_t t : job.tokens) {
            p.process(t);
            if (auto d = p.last_delta()) deltas += *d;
          }
          p.process_eos();
        } catch (const harmony::Error& e) {
          deltas += std::string("|error ") + e.status_name();
        }
        return deltas + "|" + p.messages_json();
      }
    }
  } catch (const harmony::Error& e) {
    return std::string("error ") + e.status_name();
  }
  return {};
}

TEST(Threads, SharedEncodingGivesIdenticalResults) {
  std::vector<Job> jobs;
  for (const testjson::Value& v : golden::vectors()) {
    const std::string& kind = v["kind"].str();
    bool known = true;
    Job job{};
    if (kind == "render") {
      job.kind = Job::Kind::Render;
      job.input = v["input"].str();
      job.mode = golden::mode(v["mode"].str());
      if (job.mode == harmony::RenderMode::Completion) job.role = golden::role(v["next_role"], known);
      job.render_flags = golden::render_flags(v);
    } else if (kind == "parse" || kind == "stream") {
      job.kind = kind == "parse" ? Job::Kind::Parse : Job::Kind::Stream;
      job.tokens = v["tokens"].tokens();
      job.role = golden::role(v["role"], known);
      job.parse_flags = golden::parse_flags(v);
    } else {
      continue;
    }
    if (known) jobs.push_back(std::move(job));
  }
  ASSERT_GT(jobs.size(), golden::full_run() ? 3000u : 300u);

  const harmony::Encoding enc;
  std::vector<std::string> expected;
  for (const Job& job : jobs) expected.push_back(run(enc, job));

  constexpr int kThreads = 8;
  std::atomic<size_t> mismatches{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread starts at a different offset so that different work overlaps.
      for (size_t k = 0; k < jobs.size(); ++k) {
        size_t i = (k + static_cast<size_t>(t) * jobs.size() / kThreads) % jobs.size();
        if (run(enc, jobs[i]) != expected[i]) ++mismatches;
        ++done;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(done.load(), jobs.size() * kThreads);
  EXPECT_EQ(mismatches.load(), 0u);
  std::printf("%d threads x %zu golden jobs on one Encoding: %zu mismatches\n", kThreads, jobs.size(),
              mismatches.load());
}

}  // namespace
