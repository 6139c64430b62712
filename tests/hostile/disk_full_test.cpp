// Disks that fill up (docs/RELIABILITY.md, issue 24): a real tmpfs a few KiB or MiB large, not
// /dev/full, because a real file system writes short when it fills (part of a line lands) and
// lets writes through again when space comes back. The test process mounts it (root, or a user
// and mount namespace of its own); a machine where neither works fails here, loudly.
//   JsonlWriter on a 64 KiB tmpfs: a short write is cut back to the last whole line, writing
//   resumes when space is freed, every failure is counted with errno's text.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "percept/core/jsonl_writer.hpp"
#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

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

}  // namespace
}  // namespace percept
