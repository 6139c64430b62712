// Append-only JSON Lines file. Each line goes to the kernel in a single write(), so a process
// killed at any moment leaves complete lines only (the last one whole or absent).
#pragma once

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
  // Writes `json` plus '\n'. `json` must not contain a newline.
  Status write_line(std::string_view json);
  void close();
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  uint64_t lines() const { return lines_; }

 private:
  int fd_ = -1;
  std::string path_;
  std::string buf_;
  uint64_t lines_ = 0;
};

}  // namespace percept
