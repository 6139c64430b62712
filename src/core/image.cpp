#include "percept/core/image.hpp"

namespace percept {

void Image::resize(int width, int height, PixelFormat format) {
  width_ = width;
  height_ = height;
  format_ = format;
  stride_ = static_cast<size_t>(width) * channels_of(format);
  buf_.resize(stride_ * static_cast<size_t>(height));
}

}  // namespace percept
