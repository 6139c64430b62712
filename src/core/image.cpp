#include "percept/core/image.hpp"

namespace percept {

const char* pixel_format_name(PixelFormat f) {
  switch (f) {
    case PixelFormat::bgr8:
      return "bgr8";
    case PixelFormat::rgb8:
      return "rgb8";
    case PixelFormat::gray8:
      return "gray8";
  }
  return "?";
}

void Image::resize(int width, int height, PixelFormat format) {
  width_ = width;
  height_ = height;
  format_ = format;
  stride_ = static_cast<size_t>(width) * channels_of(format);
  buf_.resize(stride_ * static_cast<size_t>(height));
}

}  // namespace percept
