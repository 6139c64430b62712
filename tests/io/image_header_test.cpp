// read_image_size: the size an image file declares, read from its header before decoding (the
// decompression-bomb check of read_image, issue 24). Each format OpenCV writes, the headers
// OpenCV does not write here (big-endian TIFF, BigTIFF, WebP VP8X) made by hand, and the
// refusals: an unknown signature, a header cut short, an image over the limit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>

#include "percept/io/image_header.hpp"
#include "percept/io/image_io.hpp"
#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

class ImageHeader : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::fresh_test_dir("percept_image_header_"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, int channels = 3,
                    const std::vector<int>& params = {}) {
    const std::string p = (dir_ / name).string();
    EXPECT_TRUE(cv::imwrite(p, cv::Mat(37, 53, CV_8UC(channels), cv::Scalar(40, 80, 120)), params));
    return p;
  }
  std::string bytes(const std::string& name, const std::string& b) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << b;
    return p;
  }
  fs::path dir_;
};

void expect_size(const std::string& path, uint64_t w, uint64_t h) {
  auto s = read_image_size(path);
  ASSERT_TRUE(s.ok()) << path << ": " << s.error().message();
  EXPECT_EQ(s->width, w) << path;
  EXPECT_EQ(s->height, h) << path;
}

TEST_F(ImageHeader, EveryFormatOpenCvWrites) {
  for (const char* name : {"a.png", "a.jpg", "a.bmp", "a.tif", "a.webp", "a.ppm"})
    expect_size(write(name), 53, 37);
  expect_size(write("g.pgm", 1), 53, 37);
  expect_size(write("p.jpg", 3, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), 53, 37);
  expect_size(write("l.webp", 3, {cv::IMWRITE_WEBP_QUALITY, 101}), 53, 37);  // lossless: VP8L
}

TEST_F(ImageHeader, HandMadeHeaders) {
  using namespace std::string_literals;
  // Big-endian TIFF: one directory entry, ImageWidth (SHORT) and ImageLength (LONG).
  expect_size(
      bytes("be.tif", "MM\0*\0\0\0\x08"s + "\0\x02"s + "\x01\0\0\x03\0\0\0\x01\x75\x30\0\0"s +
                          "\x01\x01\0\x04\0\0\0\x01\0\0\x75\x30"s),
      30000, 30000);
  // BigTIFF (little-endian): 8-byte offsets and counts, LONG8 values.
  expect_size(bytes("big.tif", "II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0"s + "\x02\0\0\0\0\0\0\0"s +
                                   "\0\x01\x10\0\x01\0\0\0\0\0\0\0\x40\x42\x0f\0\0\0\0\0"s +
                                   "\x01\x01\x10\0\x01\0\0\0\0\0\0\0\x10\x27\0\0\0\0\0\0"s),
              1000000, 10000);
  // WebP VP8X: canvas size minus one, 24 bits each.
  expect_size(bytes("x.webp", "RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0"s + "\x3f\x3f\0\x3f\x3f\0"s),
              16192, 16192);
  // PNM with a comment between the magic and the size.
  expect_size(bytes("c.ppm", "P6\n# made by hand\n 640\n480 255\n"), 640, 480);
}

TEST_F(ImageHeader, RefusedWithoutDecoding) {
  using namespace std::string_literals;
  EXPECT_FALSE(read_image_size(bytes("text.png", "not a png at all")).ok());
  EXPECT_FALSE(read_image_size(bytes("cut.png", "\x89PNG\r\n\x1a\n\0\0\0\x0dIH"s)).ok());
  EXPECT_FALSE(read_image_size(bytes("sos.jpg", "\xff\xd8\xff\xda\0\x02"s)).ok());
  EXPECT_FALSE(read_image_size(bytes("empty.png", "")).ok());
  EXPECT_FALSE(read_image_size(bytes("p.pgm", "P5 12")).ok());
  // Two ImageWidth tags, 30000 then 1 (libtiff decodes with the first): refused, not read as 1.
  auto twice = read_image_size(bytes("twice.tif", "II*\0\x08\0\0\0"s + "\x03\0"s +
                                                      "\0\x01\x04\0\x01\0\0\0\x30\x75\0\0"s +
                                                      "\0\x01\x04\0\x01\0\0\0\x01\0\0\0"s +
                                                      "\x01\x01\x04\0\x01\0\0\0\x01\0\0\0"s));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message().find("twice"), std::string::npos) << twice.error().message();
}

TEST_F(ImageHeader, StrayBytesBeforeAJpegMarkerAreSkippedAsLibjpegDoes) {
  // A real JPEG with two stray bytes after its first segment: libjpeg warns and decodes it.
  const std::string path = write("a.jpg");
  std::ifstream in(path, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t first =
      4 + ((static_cast<unsigned char>(b[4]) << 8) | static_cast<unsigned char>(b[5]));
  b.insert(first, "\x12\x34");
  const std::string stray = bytes("stray.jpg", b);
  ASSERT_FALSE(cv::imread(stray).empty());  // OpenCV decodes it
  expect_size(stray, 53, 37);
}

TEST_F(ImageHeader, ReadImageAppliesTheLimit) {
  const std::string p = write("a.png");
  EXPECT_TRUE(read_image(p, 53 * 37).ok());
  auto r = read_image(p, 53 * 37 - 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("53x37 (1961 pixels)"), std::string::npos)
      << r.error().message();
  // Sizes whose product overflows 64 bits saturate instead of wrapping under the limit.
  EXPECT_EQ((ImageSize{uint64_t{1} << 40, uint64_t{1} << 40}.pixels()), ~uint64_t{0});
}

}  // namespace
}  // namespace percept
