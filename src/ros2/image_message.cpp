#include "image_message.hpp"

#include <cstdint>
#include <cstring>

namespace percept::ros2 {

namespace {

struct Encoding {
  const char* name;
  PixelFormat format;
  int bytes_per_pixel;  // on the wire; alpha is dropped
};

// 8-bit encodings only, so is_bigendian does not matter.
constexpr Encoding kEncodings[] = {{"rgb8", PixelFormat::rgb8, 3},
                                   {"bgr8", PixelFormat::bgr8, 3},
                                   {"mono8", PixelFormat::gray8, 1},
                                   {"rgba8", PixelFormat::rgb8, 4},
                                   {"bgra8", PixelFormat::bgr8, 4}};

}  // namespace

Status image_from_message(const sensor_msgs_msg_dds__Image_& msg, const std::string& topic,
                          Image& out) {
  const std::string enc = msg.encoding_ ? msg.encoding_ : "";
  const Encoding* e = nullptr;
  for (const Encoding& k : kEncodings)
    if (enc == k.name) e = &k;
  if (!e)
    return Error(topic + ": image encoding '" + enc +
                 "' is not supported (rgb8, bgr8, mono8, rgba8, bgra8)");
  if (msg.width_ == 0 || msg.height_ == 0 || msg.width_ > 16384 || msg.height_ > 16384)
    return Error(topic + ": image size " + std::to_string(msg.width_) + "x" +
                 std::to_string(msg.height_) + " is out of range (1..16384)");
  const uint64_t row =
      static_cast<uint64_t>(msg.width_) * static_cast<uint64_t>(e->bytes_per_pixel);
  if (msg.step_ < row)
    return Error(topic + ": step " + std::to_string(msg.step_) + " is shorter than a " + enc +
                 " row of width " + std::to_string(msg.width_) + " (" + std::to_string(row) +
                 " bytes)");
  const uint64_t size = static_cast<uint64_t>(msg.step_) * msg.height_;
  if (msg.data_._length != size || (size > 0 && !msg.data_._buffer))
    return Error(topic + ": data holds " + std::to_string(msg.data_._length) +
                 " bytes, step x height = " + std::to_string(size));
  out.resize(static_cast<int>(msg.width_), static_cast<int>(msg.height_), e->format);
  for (uint32_t y = 0; y < msg.height_; ++y) {
    const uint8_t* src = msg.data_._buffer + static_cast<size_t>(y) * msg.step_;
    uint8_t* dst = out.row(static_cast<int>(y));
    if (e->bytes_per_pixel == channels_of(e->format)) {
      std::memcpy(dst, src, static_cast<size_t>(row));
    } else {  // 4 -> 3 bytes: drop alpha
      for (uint32_t x = 0; x < msg.width_; ++x, src += 4, dst += 3) std::memcpy(dst, src, 3);
    }
  }
  return {};
}

}  // namespace percept::ros2
