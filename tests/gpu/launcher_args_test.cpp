// The CUDA launchers check their arguments before any CUDA call, and CUDA errors become
// Status values: both run here, on a machine without a GPU (label cpu).
#include <gtest/gtest.h>

#include <string>

#include "percept/gpu/cuda.hpp"
#include "percept/preprocess/cuda/letterbox_cuda.hpp"
#include "percept/tasks/cuda/plane_resample_cuda.hpp"

using namespace percept;

namespace {

// Never dereferenced: the checks must fail before any launch.
void* fake_device_ptr() {
  static float dummy[4];
  return dummy;
}

bool mentions(const Status& s, const std::string& what) {
  return !s.ok() && s.error().message().find(what) != std::string::npos;
}

}  // namespace

TEST(LetterboxCudaArgs, RejectsBadCallsBeforeTouchingTheDevice) {
  static uint8_t pixels[64 * 48 * 3];
  const ImageView img{pixels, 64, 48, 64 * 3, PixelFormat::bgr8};
  const LetterboxParams p = letterbox_params(64, 48, 32, 32);
  void* dst = fake_device_ptr();
  EXPECT_TRUE(letterbox_cuda_validate(img, p, dst, DType::f32).ok());
  EXPECT_TRUE(letterbox_cuda_validate(img, p, dst, DType::f16).ok());
  EXPECT_TRUE(mentions(letterbox_cuda(img, p, Normalize{}, nullptr, DType::f32, nullptr),
                       "null destination"));
  EXPECT_TRUE(mentions(letterbox_cuda(img, p, Normalize{}, dst, DType::u8, nullptr), "dtype"));
  EXPECT_TRUE(mentions(letterbox_cuda(ImageView{}, p, Normalize{}, dst, DType::f32, nullptr),
                       "empty source"));
  ImageView short_rows = img;
  short_rows.stride = 64 * 3 - 1;
  EXPECT_TRUE(
      mentions(letterbox_cuda(short_rows, p, Normalize{}, dst, DType::f32, nullptr), "stride"));
  const LetterboxParams other = letterbox_params(65, 48, 32, 32);
  EXPECT_TRUE(mentions(letterbox_cuda(img, other, Normalize{}, dst, DType::f32, nullptr),
                       "parameters are for 65x48"));
  LetterboxParams broken = p;
  broken.pad_left = 30;  // the image would run past the input's right edge
  EXPECT_TRUE(
      mentions(letterbox_cuda(img, broken, Normalize{}, dst, DType::f32, nullptr), "inconsistent"));
}

TEST(PlaneResampleCudaArgs, RejectsBadCallsBeforeTouchingTheDevice) {
  const auto* planes = static_cast<const float*>(fake_device_ptr());
  auto* out = static_cast<uint8_t*>(fake_device_ptr());
  const LetterboxParams p = letterbox_params(640, 480, 512, 512);
  EXPECT_TRUE(plane_resample_validate(planes, 21, 64, 64, p, out).ok());
  EXPECT_TRUE(mentions(
      segmentation_to_frame_cuda(planes, 0, 64, 64, p, 0.5f, out, nullptr, nullptr), "0 planes"));
  EXPECT_TRUE(mentions(
      segmentation_to_frame_cuda(planes, 257, 64, 64, p, 0.5f, out, nullptr, nullptr), "257"));
  EXPECT_TRUE(mentions(
      segmentation_to_frame_cuda(nullptr, 21, 64, 64, p, 0.5f, out, nullptr, nullptr), "null"));
  EXPECT_TRUE(mentions(
      depth_to_frame_cuda(planes, 0, 64, p, static_cast<float*>(fake_device_ptr()), nullptr),
      "empty output plane"));
  EXPECT_TRUE(
      mentions(depth_to_frame_cuda(planes, 64, 64, LetterboxParams{}, nullptr, nullptr), "null"));
}

TEST(CudaCheck, TurnsErrorsIntoStatusWithContext) {
  EXPECT_TRUE(gpu::check(cudaSuccess, "nothing").ok());
  const Status s = gpu::check(cudaErrorMemoryAllocation, "cudaMalloc 1024 bytes");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("CUDA: cudaMalloc 1024 bytes: cudaErrorMemoryAllocation", 0),
            0u)
      << s.error().message();
}

TEST(CudaCheck, NoDeviceIsAnAnswerNotACrash) {
  std::string why;
  if (!gpu::device_available(&why)) {
    EXPECT_FALSE(why.empty());
    // Creating a stream without a device is an error value too.
    auto stream = gpu::Stream::create();
    EXPECT_FALSE(stream.ok());
  } else {
    auto stream = gpu::Stream::create();
    EXPECT_TRUE(stream.ok()) << stream.error().message();
  }
}
