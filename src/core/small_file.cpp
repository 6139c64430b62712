#include "percept/core/small_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace percept {

namespace {

std::string kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

std::string quoted(const std::string& what, const std::string& path) {
  return what + " '" + path + "'";
}

std::string mib(size_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

std::string file_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "not a file";
  return kind_of(st.st_mode);
}

Status check_regular_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return Error(ErrorCode::io, quoted(what, path) + (err == ENOENT ? " not found" : ": ") +
                                    (err == ENOENT ? "" : std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode))
    return Error(ErrorCode::io,
                 quoted(what, path) + " is " + kind_of(st.st_mode) + ", not a regular file");
  return {};
}

Result<std::string> read_small_file(const std::string& path, const std::string& what,
                                    size_t max_bytes) {
  if (Status s = check_regular_file(path, what); !s) return s.error();
  // `exact`: the size fstat gave; else reading went past the limit and stopped.
  const auto too_big = [&](size_t bytes, bool exact) {
    return Error(ErrorCode::io, quoted(what, path) + " is " + (exact ? "" : "over ") +
                                    std::to_string(exact ? bytes : max_bytes) +
                                    " bytes; the limit is " + mib(max_bytes));
  };
  // O_NONBLOCK: the path was a regular file a moment ago, but if a FIFO took its place, open()
  // must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return Error(ErrorCode::io, "cannot open " + quoted(what, path) + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return Error(ErrorCode::io, quoted(what, path) + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return too_big(static_cast<size_t>(st.st_size), true);
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    // One byte past the limit tells a file that grew (or a /proc file of size 0) from one
    // that ends exactly at it.
    if (got == text.size()) {
      if (got > max_bytes) return too_big(got, false);
      text.resize(std::min(max_bytes + 1, std::max<size_t>(4096, got * 2)));
    }
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Error(ErrorCode::io,
                   "cannot read " + quoted(what, path) + ": " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) return too_big(got, false);
  text.resize(got);
  return text;
}

}  // namespace percept
