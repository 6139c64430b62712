#include "percept/core/whole_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace percept {

namespace {

Status failed(const std::string& path, const char* what, int err) {
  return Error(ErrorCode::io, "cannot write '" + path + "'" + what + ": " + std::strerror(err));
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status write_whole_file(const std::string& path, std::string_view data, bool durable) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed(path, "", errno);
  size_t done = 0;
  int err = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;  // 0 bytes for a non-empty buffer: no room
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err == 0 && durable && ::fsync(fd) != 0) err = errno;
  // close() can be where a delayed write error shows (NFS, some FUSE file systems).
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return failed(path, "", err);
  }
  if (durable) {  // the rename itself is on the disk once the folder is synced
    const int dir = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int sync_err = dir < 0 ? errno : (::fsync(dir) != 0 ? errno : 0);
    if (dir >= 0) ::close(dir);
    if (sync_err != 0) return failed(path, " (syncing its folder)", sync_err);
  }
  return {};
}

}  // namespace percept
