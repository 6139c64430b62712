// Reading the small files a configuration names (the config itself, labels, model sidecars,
// camera_info calibrations) without trusting what the path is. A FIFO would block open() or
// read() forever, a character device such as /dev/urandom never ends, and a multi-gigabyte file
// would be read whole into memory: each is refused with an error naming the file, before it is
// read (issue 24). Any thread; no state.
#pragma once

#include <cstddef>
#include <string>

#include "percept/core/error.hpp"

namespace percept {

// The most a config, labels, sidecar or calibration file may hold: ImageNet-21k's 21,841 labels
// take 300 kB, a camera_info a few hundred bytes.
inline constexpr size_t kMaxSmallFileBytes = size_t{4} << 20;

// "a FIFO", "a directory", "a character device", "a block device", "a socket", "a regular file"
// or "not a file": what `path` is once symbolic links are followed.
std::string file_kind(const std::string& path);

// OK when `path` exists and is a regular file (after links); else ErrorCode::io with
// "<what> '<path>' is a FIFO, not a regular file" (or "not found", ...). Opens nothing.
Status check_regular_file(const std::string& path, const std::string& what);

// The whole file, at most `max_bytes`. Refuses a path that is not a regular file before opening
// it (check_regular_file), opens with O_NONBLOCK so that a FIFO swapped in meanwhile cannot
// block, checks the opened file again (fstat), and stops reading past `max_bytes`, so a file
// that grows (or a /proc file that says 0 bytes) is still bounded. Errors are ErrorCode::io and
// name `what` and the path; an over-large file says its size and the limit.
Result<std::string> read_small_file(const std::string& path, const std::string& what,
                                    size_t max_bytes = kMaxSmallFileBytes);

}  // namespace percept
