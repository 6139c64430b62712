// 8-bit interleaved images without OpenCV (core, preprocess, tasks and infer must build
// without it, so the GPU test binary can be built on a machine that lacks Debian's OpenCV).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace percept {

enum class PixelFormat { bgr8, rgb8, gray8 };

inline int channels_of(PixelFormat f) {
  return f == PixelFormat::gray8 ? 1 : 3;
}

// Non-owning view of interleaved 8-bit pixels; stride is in bytes between row starts.
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  size_t stride = 0;
  PixelFormat format = PixelFormat::bgr8;

  int channels() const { return channels_of(format); }
  const uint8_t* row(int y) const { return data + static_cast<size_t>(y) * stride; }
  bool empty() const { return data == nullptr || width <= 0 || height <= 0; }
};

// Owning image; resize() keeps the buffer when the new image fits, so frames can be reused.
class Image {
 public:
  Image() = default;
  Image(int width, int height, PixelFormat format) { resize(width, height, format); }

  void resize(int width, int height, PixelFormat format);
  ImageView view() const { return {buf_.data(), width_, height_, stride_, format_}; }
  uint8_t* data() { return buf_.data(); }
  uint8_t* row(int y) { return buf_.data() + static_cast<size_t>(y) * stride_; }
  int width() const { return width_; }
  int height() const { return height_; }
  size_t stride() const { return stride_; }
  PixelFormat format() const { return format_; }
  bool empty() const { return width_ == 0 || height_ == 0; }

 private:
  std::vector<uint8_t> buf_;
  int width_ = 0;
  int height_ = 0;
  size_t stride_ = 0;
  PixelFormat format_ = PixelFormat::bgr8;
};

}  // namespace percept
