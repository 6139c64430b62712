// Annotated video output (Motion-JPEG in AVI: readable everywhere, needs no codec licence).
//
// A full disk: OpenCV's VideoWriter reports no write error. Its AVI writer buffers the stream,
// drops what the disk refuses and goes on, so the file is cut where the disk filled and its
// index (written at the end) no longer matches what is on disk. So after each frame the writer
// looks at the free space of the file's file system (statvfs): below kFullBelow bytes the
// buffered stream cannot be flushed whole, the frame is an error (ErrorCode::io) and the file
// is closed where it stands. Later frames are errors too until kRoomToResume bytes are free
// again; then a new file starts, `<stem>.<n>.avi`, so the video after the outage is kept.
// The check sees the disk, not the bytes OpenCV lost: frames still in OpenCV's buffer when
// the disk filled are lost with the cut file without an error of their own, and a disk that
// fills and empties between two frames can go unseen (docs/RELIABILITY.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"

namespace percept {

class VideoWriter {
 public:
  static constexpr uint64_t kFullBelow = 64 * 1024;
  static constexpr uint64_t kRoomToResume = 8 * 1024 * 1024;

  VideoWriter();
  ~VideoWriter();
  // Opens lazily at the first frame, because the size is known only then.
  void configure(std::string path, double fps);
  // Frames after the first must have the first frame's size; others are an error (not written).
  Status write(const ImageView& frame);
  void close();
  const std::string& path() const { return path_; }
  int64_t frames() const { return frames_; }  // handed to OpenCV, every file together
  // The files that received frames: path(), then one per resumption after a full disk.
  std::vector<std::string> files() const;

 private:
  std::string file_path(int segment) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  double fps_ = 30;
  int64_t frames_ = 0;
};

}  // namespace percept
