#include "percept/core/jsonl_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace percept {

JsonlWriter::~JsonlWriter() {
  close();
}

Status JsonlWriter::open(const std::string& path) {
  close();
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Error(ErrorCode::io, "cannot write '" + path + "': " + std::strerror(errno));
  struct stat st {};
  regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  path_ = path;
  lines_ = 0;
  failed_writes_ = 0;
  last_error_.clear();
  end_ = 0;
  cut_pending_ = false;
  return {};
}

Status JsonlWriter::fail(int err, const char* what) {
  ++failed_writes_;
  last_error_ = std::strerror(err);
  return Error(ErrorCode::io, "cannot write '" + path_ + "'" + what + ": " + last_error_);
}

// Truncates the file to the end of the last whole line and puts the offset back there (the
// offset stays past the end after ftruncate: the next write would leave a hole of zeros).
bool JsonlWriter::cut_back() {
  if (::ftruncate(fd_, end_) != 0 || ::lseek(fd_, end_, SEEK_SET) != end_) {
    cut_pending_ = true;
    return false;
  }
  cut_pending_ = false;
  return true;
}

Status JsonlWriter::write_line(std::string_view json) {
  if (fd_ < 0) return Error("JSONL file is not open");
  // A line after a cut one that is still there would glue the two into one invalid line.
  if (cut_pending_ && !cut_back()) return fail(errno, " (a cut line could not be removed)");
  buf_.assign(json);
  buf_ += '\n';
  size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // write() returning 0 for a non-empty buffer: no room, though the kernel did not say so.
      const int err = n < 0 ? errno : ENOSPC;
      if (done > 0 && regular_) (void)cut_back();
      return fail(err, "");
    }
    done += static_cast<size_t>(n);
  }
  end_ += static_cast<int64_t>(buf_.size());
  ++lines_;
  return {};
}

void JsonlWriter::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace percept
