#include "image_cdr.hpp"

#include <opencv2/imgcodecs.hpp>

#include "image_message.hpp"
#include "percept/io/image_header.hpp"
#include "percept/io/image_io.hpp"

namespace percept::ros2 {

namespace {

// XCDR1 little endian: primitives aligned to their size from the start of the body (after the
// encapsulation header); strings are a uint32 length with the NUL, then the bytes.
class Cdr {
 public:
  Cdr(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  uint32_t u32() {
    align(4);
    if (!need(4)) return 0;
    const uint32_t v = static_cast<uint32_t>(p_[i_]) | static_cast<uint32_t>(p_[i_ + 1]) << 8 |
                       static_cast<uint32_t>(p_[i_ + 2]) << 16 |
                       static_cast<uint32_t>(p_[i_ + 3]) << 24;
    i_ += 4;
    return v;
  }
  uint8_t u8() {
    if (!need(1)) return 0;
    return p_[i_++];
  }
  std::string str() {
    const uint32_t len = u32();
    if (len == 0 || !need(len) || p_[i_ + len - 1] != 0) return ok_ = false, std::string();
    std::string s(reinterpret_cast<const char*>(p_ + i_), len - 1);
    i_ += len;
    return s;
  }
  // A sequence<octet>: its length and where its bytes are (not copied).
  const uint8_t* bytes(uint32_t& len) {
    len = u32();
    if (!need(len)) return nullptr;
    const uint8_t* at = p_ + i_;
    i_ += len;
    return at;
  }

 private:
  void align(size_t a) {
    const size_t body = i_ - 4;  // alignment counts from the body's start
    i_ += (a - body % a) % a;
  }
  bool need(size_t k) {
    if (!ok_ || i_ > n_ || n_ - i_ < k) ok_ = false;
    return ok_;
  }
  const uint8_t* p_;
  size_t n_, i_ = 4;
  bool ok_ = true;
};

Status check_encapsulation(const uint8_t* data, size_t size, const std::string& what) {
  if (size < 4) return Error(ErrorCode::invalid_argument, what + ": message shorter than 4 bytes");
  if (data[0] != 0x00 || data[1] != 0x01)
    return Error(ErrorCode::invalid_argument, what + ": not little-endian CDR (encapsulation " +
                                                  std::to_string(data[0]) + " " +
                                                  std::to_string(data[1]) + "; ROS 2 writes 0 1)");
  return {};
}

int64_t stamp_of(Cdr& c) {
  const auto sec = static_cast<int32_t>(c.u32());
  const uint32_t nsec = c.u32();
  return static_cast<int64_t>(sec) * 1000000000 + nsec;
}

}  // namespace

Status image_from_cdr(const uint8_t* data, size_t size, const std::string& what, Image& out,
                      int64_t& stamp_ns) {
  if (Status s = check_encapsulation(data, size, what); !s) return s;
  Cdr c(data, size);
  const int64_t stamp = stamp_of(c);
  std::string frame_id = c.str();
  sensor_msgs_msg_dds__Image_ msg{};
  msg.height_ = c.u32();
  msg.width_ = c.u32();
  std::string encoding = c.str();
  msg.is_bigendian_ = c.u8();
  msg.step_ = c.u32();
  uint32_t len = 0;
  const uint8_t* pixels = c.bytes(len);
  if (!c.ok())
    return Error(ErrorCode::invalid_argument,
                 what + ": malformed sensor_msgs/Image (a length runs past the message's " +
                     std::to_string(size) + " bytes)");
  msg.header_.frame_id_ = frame_id.data();
  msg.encoding_ = encoding.data();
  msg.data_._buffer = const_cast<uint8_t*>(pixels);
  msg.data_._length = msg.data_._maximum = len;
  if (Status s = image_from_message(msg, what, out); !s) return s;
  stamp_ns = stamp;
  return {};
}

Status compressed_image_from_cdr(const uint8_t* data, size_t size, const std::string& what,
                                 Image& out, int64_t& stamp_ns, uint64_t max_pixels) {
  if (Status s = check_encapsulation(data, size, what); !s) return s;
  Cdr c(data, size);
  const int64_t stamp = stamp_of(c);
  c.str();  // frame_id
  const std::string format = c.str();
  uint32_t len = 0;
  const uint8_t* bytes = c.bytes(len);
  if (!c.ok())
    return Error(ErrorCode::invalid_argument,
                 what +
                     ": malformed sensor_msgs/CompressedImage (a length runs past the "
                     "message's " +
                     std::to_string(size) + " bytes)");
  // The header first: a small file that declares a huge image is refused before decoding.
  const Result<ImageSize> dims = image_size_in_memory(bytes, len);
  if (!dims)
    return Error(ErrorCode::invalid_argument,
                 what + ": CompressedImage (format '" + format + "'): " + dims.error().message());
  if (dims->pixels() > max_pixels)
    return Error(ErrorCode::invalid_argument,
                 what + ": CompressedImage: " + over_limit_text(*dims, max_pixels));
  const cv::Mat encoded(1, static_cast<int>(len), CV_8UC1, const_cast<uint8_t*>(bytes));
  const cv::Mat decoded = len ? cv::imdecode(encoded, cv::IMREAD_UNCHANGED) : cv::Mat();
  if (decoded.empty())
    return Error(ErrorCode::invalid_argument, what + ": CompressedImage (format '" + format +
                                                  "', " + std::to_string(len) +
                                                  " bytes) does not decode");
  if (Status s = image_from_mat(decoded, out); !s)
    return Error(ErrorCode::invalid_argument, what + ": " + s.error().message());
  stamp_ns = stamp;
  return {};
}

}  // namespace percept::ros2
