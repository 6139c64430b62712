// Annotated video output (Motion-JPEG in AVI: readable everywhere, needs no codec licence).
#pragma once

#include <memory>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"

namespace percept {

class VideoWriter {
 public:
  VideoWriter();
  ~VideoWriter();
  // Opens lazily at the first frame, because the size is known only then.
  void configure(std::string path, double fps);
  // Frames after the first must have the first frame's size; others are an error (not written).
  Status write(const ImageView& frame);
  void close();
  const std::string& path() const { return path_; }
  int64_t frames() const { return frames_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  double fps_ = 30;
  int64_t frames_ = 0;
};

}  // namespace percept
