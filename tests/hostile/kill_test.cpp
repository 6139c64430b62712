// Nothing half-written but the last line: `percept run` killed with SIGKILL at random moments
// while it writes detections.jsonl and telemetry.jsonl. JsonlWriter hands each line to the
// kernel in one write(), so every line but the last is a whole JSON value. The last may be cut:
// Linux copies a write() into the page cache page by page and, with a fatal signal pending, stops
// between pages (generic_perform_write), so a line that straddles a page boundary can lose its
// end. Such a cut ends the file at a page boundary; a cut anywhere else (a line split over two
// writes, a user-space buffer flushed mid-line) fails the test. `percept report` leaves a cut
// last line out (report_test).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct JsonlCheck {
  size_t lines = 0;
  bool cut_tail = false;
};

// Whole lines of a JSONL file; fails the test on an invalid line or on a cut that is not the
// kernel's page-wise stop.
JsonlCheck check_jsonl(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  JsonlCheck c;
  if (s.empty()) return c;
  if (s.back() != '\n') {
    c.cut_tail = true;
    EXPECT_EQ(s.size() % 4096, 0u) << p << ": the last line is cut off the kernel's page boundary";
    EXPECT_NE(s.rfind('\n'), std::string::npos) << p << ": a first line is cut";
  }
  size_t start = 0;
  for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1, ++c.lines) {
    const std::string line = s.substr(start, nl - start);
    EXPECT_TRUE(nlohmann::json::accept(line)) << p << " line " << c.lines + 1 << ": " << line;
  }
  return c;
}

TEST(KillMidWrite, JsonlLinesAreWholeAfterSigkill) {
  const fs::path dir = fs::temp_directory_path() / ("percept_kill_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path cfg = dir / "endless.yaml";
  std::ofstream(cfg) << "mode: lossless\n"
                        "cameras:\n"
                        "  - {id: a, source: synthetic, width: 160, height: 120, frames: -1}\n"
                        "  - {id: b, source: synthetic, width: 96, height: 64, frames: -1}\n"
                        "models:\n"
                        "  - {id: det, path: " PERCEPT_TEST_DATA
                        "/const_v8.onnx, threads: 1}\n"
                        "output: {dir: out, video: false}\n"
                        "telemetry: {jsonl: out/telemetry.jsonl, interval_s: 0.02}\n";
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> delay_ms(150, 1500);
  size_t total_lines = 0, cut_tails = 0;
  for (int round = 0; round < 8; ++round) {
    fs::remove_all(dir / "out");
    pid_t pid = 0;
    const std::string bin = PERCEPT_BINARY, cmd = "run", path = cfg.string();
    char* argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>(cmd.c_str()),
                    const_cast<char*>(path.c_str()), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it was killed";
    const JsonlCheck det = check_jsonl(dir / "out" / "detections.jsonl");
    const JsonlCheck tel = check_jsonl(dir / "out" / "telemetry.jsonl");
    total_lines += det.lines;
    cut_tails += det.cut_tail + tel.cut_tail;
  }
  std::printf("8 SIGKILLs, %zu whole detection lines checked, %zu last lines cut at a page\n",
              total_lines, cut_tails);
  EXPECT_GT(total_lines, 0u);
  fs::remove_all(dir);
}

}  // namespace
