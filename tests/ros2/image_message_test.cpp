// image_from_message, the checks a received sensor_msgs/Image goes through before it becomes a
// frame: every supported encoding with its pixels, padded rows, and each malformed message as
// an error naming the topic, with the output image left as it was.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "image_message.hpp"

namespace {

using percept::Image;
using percept::PixelFormat;

struct Message {
  std::string encoding;
  std::vector<uint8_t> data;
  sensor_msgs_msg_dds__Image_ msg{};
  Message(const std::string& enc, uint32_t w, uint32_t h, uint32_t step, size_t size)
      : encoding(enc), data(size) {
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
    msg.encoding_ = encoding.data();
    msg.width_ = w;
    msg.height_ = h;
    msg.step_ = step;
    msg.data_ = {static_cast<uint32_t>(size), static_cast<uint32_t>(size), data.data(), false};
  }
};

TEST(ImageMessage, EveryEncodingKeepsItsPixels) {
  struct Case {
    const char* enc;
    int bytes;
    PixelFormat format;
  };
  for (const Case c : {Case{"rgb8", 3, PixelFormat::rgb8}, Case{"bgr8", 3, PixelFormat::bgr8},
                       Case{"mono8", 1, PixelFormat::gray8}, Case{"rgba8", 4, PixelFormat::rgb8},
                       Case{"bgra8", 4, PixelFormat::bgr8}}) {
    const uint32_t w = 5, h = 3, step = w * static_cast<uint32_t>(c.bytes) + 6;  // padded rows
    Message m(c.enc, w, h, step, size_t{step} * h);
    Image out;
    auto st = percept::ros2::image_from_message(m.msg, "/cam", out);
    ASSERT_TRUE(st) << c.enc << ": " << st.error().message();
    ASSERT_EQ(out.width(), 5);
    ASSERT_EQ(out.height(), 3);
    ASSERT_EQ(out.format(), c.format);
    const int ch = percept::channels_of(c.format);
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x)
        for (int k = 0; k < ch; ++k)  // alpha (the fourth byte) is dropped
          ASSERT_EQ(out.row(static_cast<int>(y))[x * ch + k],
                    m.data[y * step + x * static_cast<uint32_t>(c.bytes) + k])
              << c.enc << " at " << x << "," << y;
  }
}

TEST(ImageMessage, MalformedMessagesAreErrorsAndLeaveTheFrame) {
  struct Case {
    Message m;
    const char* fragment;
  };
  std::vector<Case> cases;
  cases.push_back({Message("yuv422", 4, 4, 8, 32), "encoding 'yuv422' is not supported"});
  cases.push_back({Message("", 4, 4, 12, 48), "encoding '' is not supported"});
  cases.push_back({Message("rgb8", 0, 4, 12, 0), "image size 0x4 is out of range"});
  cases.push_back({Message("rgb8", 20000, 1, 60000, 60000), "image size 20000x1"});
  cases.push_back({Message("rgb8", 4, 4, 11, 44), "step 11 is shorter than a rgb8 row"});
  cases.push_back({Message("bgra8", 4, 4, 12, 48), "step 12 is shorter than a bgra8 row"});
  cases.push_back({Message("mono8", 4, 4, 4, 15), "data holds 15 bytes, step x height = 16"});
  cases.push_back({Message("mono8", 4, 4, 4, 17), "data holds 17 bytes"});
  // step x height beyond 32 bits must not wrap around to a small size.
  cases.push_back({Message("mono8", 2, 16384, 1u << 18, 0), "data holds 0 bytes"});
  for (auto& c : cases) {
    c.m.msg.encoding_ = c.m.encoding.data();  // the vector moved: point at the copy
    c.m.msg.data_._buffer = c.m.data.data();
    Image out(2, 2, PixelFormat::gray8);
    out.row(0)[0] = 42;
    auto st = percept::ros2::image_from_message(c.m.msg, "/robot/cam", out);
    ASSERT_FALSE(st) << c.fragment;
    const std::string msg = st.error().message();
    EXPECT_NE(msg.find("/robot/cam: "), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.fragment), std::string::npos) << msg;
    EXPECT_EQ(out.width(), 2);
    EXPECT_EQ(out.row(0)[0], 42);
  }
}

}  // namespace
