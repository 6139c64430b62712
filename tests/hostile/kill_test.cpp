// Nothing lost, nothing half-written: `percept run` killed with SIGKILL at random moments while
// it writes detections.jsonl and telemetry.jsonl. Every line on disk must be a whole JSON value
// and the file must end with a newline (the last line whole or absent): JsonlWriter hands each
// line to the kernel in one write().
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

// Lines of a JSONL file; fails the test on a partial or invalid line.
size_t check_jsonl(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  if (s.empty()) return 0;
  EXPECT_EQ(s.back(), '\n') << p << ": the last line is cut";
  size_t n = 0, start = 0;
  for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1, ++n) {
    const std::string line = s.substr(start, nl - start);
    EXPECT_TRUE(nlohmann::json::accept(line)) << p << " line " << n + 1 << ": " << line;
  }
  return n;
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
  size_t total_lines = 0;
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
    total_lines += check_jsonl(dir / "out" / "detections.jsonl");
    (void)check_jsonl(dir / "out" / "telemetry.jsonl");
  }
  std::printf("8 SIGKILLs, %zu whole detection lines checked\n", total_lines);
  EXPECT_GT(total_lines, 0u);
  fs::remove_all(dir);
}

}  // namespace
