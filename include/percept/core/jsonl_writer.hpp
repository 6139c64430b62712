// Append-only JSON Lines file whose lines are whole or absent. Each line goes to the kernel in a
// single write(), so a process killed at any moment leaves complete lines only. A write that
// fails or lands in part (a full disk writes short) is cut back to the end of the last whole
// line, so the next line starts on a clean line instead of being glued to half a record; later
// lines are tried as they come, so writing resumes by itself when space returns.
// One thread at a time (the sink's or the telemetry thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "percept/core/error.hpp"

namespace percept {

class JsonlWriter {
 public:
  JsonlWriter() = default;
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  // Creates or truncates `path` (its folder must exist). Errors name the file.
  Status open(const std::string& path);
  // Writes `json` plus '\n', whole or not at all. `json` must not contain a newline. A failure
  // (ErrorCode::io) names the file and errno's text and is counted in failed_writes().
  Status write_line(std::string_view json);
  void close();
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  uint64_t lines() const { return lines_; }                      // written whole
  uint64_t failed_writes() const { return failed_writes_; }      // since open()
  const std::string& last_error() const { return last_error_; }  // errno's text, "" if none

 private:
  Status fail(int err, const char* what);
  bool cut_back();

  int fd_ = -1;
  std::string path_;
  std::string buf_;
  uint64_t lines_ = 0;
  uint64_t failed_writes_ = 0;
  std::string last_error_;
  // The end of the last whole line: where a failed write is cut back to. Only regular files
  // can be cut (a pipe or /dev/full cannot; /dev/full never keeps a byte anyway).
  int64_t end_ = 0;
  bool regular_ = false;
  bool cut_pending_ = false;  // a cut line could not be removed yet: retried before writing
};

}  // namespace percept
