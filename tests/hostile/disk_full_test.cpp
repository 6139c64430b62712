// Disks that fill up (docs/RELIABILITY.md, issue 24): a real tmpfs a few KiB or MiB large, not
// /dev/full, because a real file system writes short when it fills (part of a line lands) and
// lets writes through again when space comes back. The test process mounts it (root, or a user
// and mount namespace of its own); a machine where neither works fails here, loudly.
//   JsonlWriter on a 64 KiB tmpfs: a short write is cut back to the last whole line, writing
//   resumes when space is freed, every failure is counted with errno's text.
//   write_whole_file on a full tmpfs: the old file is kept, no temporary is left.
//   `percept run` with its outputs on a tmpfs that this process fills mid-run and frees again:
//   every JSONL line parses, no image is cut, the video resumes in a new file, summary.json
//   parses and counts each sink's errors (telemetry's too), the exit code is 1. A video-only run
//   exits 1 as well, and a summary.json that cannot be written fails the run and says why.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "percept/core/jsonl_writer.hpp"
#include "percept/core/whole_file.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace percept {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  return f.good();
}

// Outside any user namespace, unprivileged: become root of a user and mount namespace of this
// process, where mounting a tmpfs is allowed. "" or what failed.
std::string enter_mount_namespace() {
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
    return std::string("unshare(CLONE_NEWUSER | CLONE_NEWNS): ") + std::strerror(errno);
  if (!write_text("/proc/self/setgroups", "deny") ||
      !write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
      !write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
    return "cannot write /proc/self/{setgroups,uid_map,gid_map}";
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::string("making / private: ") + std::strerror(errno);
  return {};
}

// A tmpfs of `kib` KiB on a fresh folder, unmounted by the destructor. `error()` says why it
// could not be mounted; the tests fail on it rather than skip: a skipped disk test reads as
// "disks that fill up are handled" when nothing was checked.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(size_t kib) : root_(test::fresh_test_dir("percept_disk_")) {
    dir_ = root_ / "fs";
    fs::create_directories(dir_);
    const std::string opts = "size=" + std::to_string(kib) + "k";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
      return;
    }
    error_ = std::string("mount -t tmpfs -o ") + opts + " " + dir_.string() + ": " +
             std::strerror(errno);
    if (::geteuid() == 0) return;
    if (std::string e = enter_mount_namespace(); !e.empty()) {
      error_ += "; as non-root: " + e;
      return;
    }
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
      error_.clear();
    } else {
      error_ += std::string("; in a user namespace: ") + std::strerror(errno);
    }
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  const fs::path& dir() const { return dir_; }       // on the tmpfs
  const fs::path& outside() const { return root_; }  // on the ordinary temp folder
  const std::string& error() const { return error_; }

 private:
  fs::path root_, dir_;
  bool mounted_ = false;
  std::string error_;
};

#define ASSERT_MOUNTED(t)                                                                 \
  ASSERT_TRUE((t).error().empty())                                                        \
      << "these tests need a small tmpfs and could not mount one (run as root, or allow " \
         "unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1): "     \
      << (t).error()

// Fills the file system that holds `path` to its last byte with a file of zeros: big writes
// first, then smaller ones, until not even one byte fits. Returns the bytes written.
size_t fill(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  static const std::string zeros(1 << 16, '\0');
  size_t total = 0;
  for (size_t chunk : {size_t{1} << 16, size_t{4096}, size_t{256}, size_t{1}})
    for (ssize_t n; (n = ::write(fd, zeros.data(), chunk)) > 0;) total += static_cast<size_t>(n);
  ::close(fd);
  return total;
}

uint64_t free_bytes(const fs::path& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0) return 0;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The lines of a JSONL file, parsed; fails the test on a cut or invalid line.
std::vector<nlohmann::json> jsonl(const fs::path& p) {
  const std::string s = slurp(p);
  std::vector<nlohmann::json> out;
  if (s.empty()) return out;
  EXPECT_EQ(s.back(), '\n') << p << ": the last line is cut";
  size_t start = 0, bad = 0;
  for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = s.substr(start, nl - start);
    if (!nlohmann::json::accept(line)) {
      if (++bad <= 3)
        ADD_FAILURE() << p << " line " << out.size() + bad
                      << " is not JSON: " << line.substr(0, 120);
      continue;
    }
    out.push_back(nlohmann::json::parse(line));
  }
  EXPECT_EQ(bad, 0u) << p << ": " << bad << " invalid lines";
  return out;
}

// ---------------------------------------------------------------------------------------------
// JsonlWriter alone.

// `{"i":N,"pad":"xx..."}`, 1000 bytes with its newline: lines straddle the 4 KiB pages of the
// tmpfs, so the write that meets the full disk lands in part (a short write) before ENOSPC.
std::string record(int i) {
  std::string head = "{\"i\":" + std::to_string(i) + ",\"pad\":\"";
  return head + std::string(999 - head.size() - 2, 'x') + "\"}";
}

TEST(JsonlWriterOnAFullDisk, ShortWritesAreCutBackAndWritingResumes) {
  SmallTmpfs t(64);
  ASSERT_MOUNTED(t);
  // Half the disk taken by another file, so that space can come back while the writer is open.
  { std::ofstream(t.dir() / "other") << std::string(32 * 1024, 'o'); }
  JsonlWriter w;
  ASSERT_TRUE(w.open((t.dir() / "out.jsonl").string()));
  int i = 0, written = 0;
  for (; i < 200; ++i) {
    if (!w.write_line(record(i))) break;
    ++written;
  }
  ASSERT_LT(i, 200) << "the disk never filled";
  // Still full: more failures, each one counted, none leaving bytes behind.
  for (int k = 0; k < 3; ++k) {
    Status st = w.write_line(record(++i));
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("No space left on device"), std::string::npos)
        << st.error().message();
  }
  EXPECT_EQ(w.failed_writes(), 4u);
  EXPECT_EQ(w.last_error(), std::strerror(ENOSPC));
  const uintmax_t whole = static_cast<uintmax_t>(written) * 1000;
  EXPECT_EQ(fs::file_size(t.dir() / "out.jsonl"), whole)
      << "a cut line was left after the failed writes";
  EXPECT_EQ(jsonl(t.dir() / "out.jsonl").size(), static_cast<size_t>(written));

  // Space comes back: the next lines go through and start on a clean line.
  fs::remove(t.dir() / "other");
  for (int k = 0; k < 10; ++k) {
    ASSERT_TRUE(w.write_line(record(++i)));
    ++written;
  }
  w.close();
  const auto lines = jsonl(t.dir() / "out.jsonl");
  EXPECT_EQ(lines.size(), static_cast<size_t>(written));
  EXPECT_EQ(w.lines(), static_cast<uint64_t>(written));
  EXPECT_EQ(w.failed_writes(), 4u);
  std::printf("%d lines written, 4 failed writes cut back, then 10 more after space came back\n",
              written - 10);
}

// write_whole_file (summary.json, image dumps) on a full disk: the old file stays as it was,
// no temporary is left, the error says why.
TEST(WholeFileOnAFullDisk, KeepsTheOldFileAndLeavesNoTemporary) {
  SmallTmpfs t(64);
  ASSERT_MOUNTED(t);
  const std::string path = (t.dir() / "summary.json").string();
  ASSERT_TRUE(write_whole_file(path, "{\"old\": true}\n", true));
  ASSERT_GT(fill(t.dir() / "filler"), 0u);
  Status st = write_whole_file(path, std::string(20000, ' ') + "{}\n", true);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("No space left on device"), std::string::npos)
      << st.error().message();
  EXPECT_EQ(slurp(path), "{\"old\": true}\n");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  fs::remove(t.dir() / "filler");
  ASSERT_TRUE(write_whole_file(path, "{\"new\": true}\n", true));
  EXPECT_EQ(slurp(path), "{\"new\": true}\n");
}

// ---------------------------------------------------------------------------------------------
// `percept run` on a tmpfs.

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out, err;
};

// Runs `percept run CONFIG` (stdout and stderr to files outside the tmpfs) and calls
// `while_running` on this thread while it runs; returns when both are done.
RunResult run_percept(const fs::path& config, const fs::path& logs,
                      const std::function<void(pid_t)>& while_running = {}) {
  const std::string bin = PERCEPT_BINARY, cmd = "run", cfg = config.string(), np = "--no-progress",
                    out = (logs / "stdout").string(), err = (logs / "stderr").string();
  char* argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>(cmd.c_str()),
                  const_cast<char*>(cfg.c_str()), const_cast<char*>(np.c_str()), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  RunResult r;
  const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = std::string("posix_spawn: ") + std::strerror(rc);
    return r;
  }
  if (while_running) while_running(pid);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// Whether the child has not exited yet (it stays a zombie for waitpid to collect).
bool running(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == 0;
}

// Waits until `file` is larger than `bytes` (the run is writing), at most 60 s.
bool wait_for_size(const fs::path& file, uintmax_t bytes, pid_t pid) {
  for (auto end = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(1ms)) {
    std::error_code ec;
    if (fs::file_size(file, ec) > bytes && !ec) return true;
    if (!running(pid)) return false;
  }
  return false;
}

class DiskFull : public ::testing::Test {
 protected:
  // Two synthetic cameras of `frames` frames, paced at 200 FPS (a run of frames / 200 s, long
  // enough to fill and free the disk during it), the constant detector, lossless.
  static std::string config(const fs::path& out, int frames, const std::string& output,
                            bool telemetry) {
    std::string c =
        "mode: lossless\n"
        "cameras:\n"
        "  - {id: a, source: synthetic, width: 160, height: 120, frames: " +
        std::to_string(frames) +
        ", fps: 200, pace: true}\n"
        "  - {id: b, source: synthetic, width: 96, height: 64, frames: " +
        std::to_string(frames) +
        ", fps: 200, pace: true}\n"
        "models:\n"
        "  - {id: det, path: " PERCEPT_TEST_DATA
        "/const_v8.onnx, threads: 1}\n"
        "output: {dir: " +
        out.string() + ", " + output + "}\n";
    if (telemetry)
      c += "telemetry: {jsonl: " + (out / "telemetry.jsonl").string() + ", interval_s: 0.02}\n";
    return c;
  }
  // Fills the disk once `trigger` has grown past `bytes`, keeps it full for `hold`, frees it.
  static std::function<void(pid_t)> fill_then_free(const fs::path& trigger, uintmax_t bytes,
                                                   const fs::path& filler,
                                                   std::chrono::milliseconds hold, bool& filled) {
    return [=, &filled](pid_t pid) {
      if (!wait_for_size(trigger, bytes, pid)) return;
      const size_t n = fill(filler);
      // Not "0 bytes free": the run may have freed a page meanwhile (a cut line removed).
      filled = n > 0 && free_bytes(filler.parent_path()) < 64 * 1024 && running(pid);
      std::this_thread::sleep_for(hold);
      fs::remove(filler);
      std::printf("filled the disk with %zu bytes for %lld ms\n", n,
                  static_cast<long long>(hold.count()));
    };
  }
};

uint64_t sink_errors(const nlohmann::json& summary, const std::string& sink) {
  return summary["sinks"].contains(sink) ? summary["sinks"][sink]["errors"].get<uint64_t>() : 0;
}

TEST_F(DiskFull, EveryFileStaysWholeWhenTheDiskFillsAndEmptiesMidRun) {
  SmallTmpfs t(32 * 1024);
  ASSERT_MOUNTED(t);
  const fs::path out = t.dir() / "out";
  const fs::path cfg = t.outside() / "run.yaml";
  const int frames = 600;
  std::ofstream(cfg) << config(out, frames, "video: true, images: true, images_every: 5", true);
  bool filled = false;
  const RunResult r = run_percept(
      cfg, t.outside(),
      fill_then_free(out / "detections.jsonl", 40'000, t.dir() / "filler", 500ms, filled));
  ASSERT_TRUE(filled) << "the disk was not full while the run went on: " << r.err;
  EXPECT_EQ(r.exit_code, 1) << "outputs are incomplete: the run must say so\n" << r.err;

  // Every JSONL line whole, the files end with a newline, even across the full stretch.
  const auto detections = jsonl(out / "detections.jsonl");
  const auto telemetry = jsonl(out / "telemetry.jsonl");
  ASSERT_TRUE(fs::exists(out / "summary.json")) << r.err;
  const nlohmann::json summary = nlohmann::json::parse(slurp(out / "summary.json"));
  EXPECT_FALSE(fs::exists(out / "summary.json.tmp"));

  // Each failed line counted: lines on disk + errors = every frame (one model, lossless).
  const uint64_t jsonl_errors = sink_errors(summary, "jsonl");
  EXPECT_GT(jsonl_errors, 0u);
  EXPECT_EQ(detections.size() + jsonl_errors, 2u * frames);
  EXPECT_EQ(summary["sinks"]["jsonl"]["written"].get<uint64_t>(), detections.size());
  // Writing resumed after space came back: the last frames are there.
  bool last_a = false;
  for (const auto& d : detections)
    if (d["camera"] == "a" && d["frame"] == frames - 1) last_a = true;
  EXPECT_TRUE(last_a) << "no line for the last frame: writing did not resume";
  // The video and the images met the full disk too, and said so; the video went on in a
  // second file once space was back.
  EXPECT_GT(sink_errors(summary, "video"), 0u);
  EXPECT_GT(sink_errors(summary, "images"), 0u);
  EXPECT_TRUE(fs::exists(out / "a.annotated.avi"));
  EXPECT_TRUE(fs::exists(out / "a.annotated.1.avi")) << "the video did not resume";
  // Telemetry kept writing after its failures, and counted them.
  ASSERT_FALSE(telemetry.empty());
  EXPECT_GT(sink_errors(summary, "telemetry"), 0u) << "telemetry failures not counted";
  EXPECT_GT(telemetry.size(), 20u);
  for (const auto& [name, st] : summary["sinks"].items())
    std::printf("sink %-9s written %llu errors %llu\n", name.c_str(),
                static_cast<unsigned long long>(st["written"].get<uint64_t>()),
                static_cast<unsigned long long>(st["errors"].get<uint64_t>()));
  std::printf("%zu detection lines, %zu telemetry lines, all whole; exit code %d\n",
              detections.size(), telemetry.size(), r.exit_code);
  // No half-written image is left behind: every .jpg ends with its end marker; no temporary.
  size_t images = 0;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    EXPECT_NE(e.path().extension(), ".tmp") << "left behind: " << e.path();
    if (e.path().extension() == ".jpg") {
      ++images;
      const std::string s = slurp(e.path());
      ASSERT_GE(s.size(), 4u) << e.path();
      EXPECT_EQ(s.substr(s.size() - 2), "\xff\xd9") << e.path() << " is cut";
    }
  }
  EXPECT_GT(images, 0u);
}

TEST_F(DiskFull, AVideoOnlyRunOnAFullDiskExitsWithAFailure) {
  SmallTmpfs t(32 * 1024);
  ASSERT_MOUNTED(t);
  const fs::path out = t.dir() / "out";
  const fs::path cfg = t.outside() / "run.yaml";
  std::ofstream(cfg) << config(out, 300, "jsonl: false, video: true", false);
  bool filled = false;
  const RunResult r = run_percept(
      cfg, t.outside(),
      fill_then_free(out / "a.annotated.avi", 100'000, t.dir() / "filler", 300ms, filled));
  ASSERT_TRUE(filled) << "the disk was not full while the run went on: " << r.err;
  EXPECT_EQ(r.exit_code, 1) << "frames of the video were lost: the run must say so\n" << r.err;
  ASSERT_TRUE(fs::exists(out / "summary.json")) << r.err;
  const nlohmann::json summary = nlohmann::json::parse(slurp(out / "summary.json"));
  EXPECT_GT(sink_errors(summary, "video"), 0u);
  std::printf("video: written %llu errors %llu\n",
              static_cast<unsigned long long>(summary["sinks"]["video"]["written"].get<uint64_t>()),
              static_cast<unsigned long long>(sink_errors(summary, "video")));
}

TEST_F(DiskFull, ASummaryThatCannotBeWrittenFailsTheRunAndSaysWhy) {
  SmallTmpfs t(256);
  ASSERT_MOUNTED(t);
  const fs::path out = t.dir() / "out";
  fs::create_directories(out);
  const fs::path cfg = t.outside() / "run.yaml";
  std::ofstream(cfg) << config(out, 20, "jsonl: false, video: false", false);
  ASSERT_GT(fill(t.dir() / "filler"), 0u);  // full from the start to the end
  const RunResult r = run_percept(cfg, t.outside());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("summary.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  // Nothing half-written: no summary.json, no temporary left behind.
  for (const auto& e : fs::directory_iterator(out)) ADD_FAILURE() << "left behind: " << e.path();
}

}  // namespace
}  // namespace percept
