#include "percept/core/jsonl_writer.hpp"

#include <fcntl.h>
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
  path_ = path;
  lines_ = 0;
  return {};
}

Status JsonlWriter::write_line(std::string_view json) {
  if (fd_ < 0) return Error("JSONL file is not open");
  buf_.assign(json);
  buf_ += '\n';
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Error(ErrorCode::io, "cannot write '" + path_ + "': " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  ++lines_;
  return {};
}

void JsonlWriter::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace percept
