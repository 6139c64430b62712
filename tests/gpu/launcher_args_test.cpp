// The CUDA launchers check their arguments before any CUDA call, and CUDA errors become
// Status values: both run here, on a machine without a GPU (label cpu).
#include <gtest/gtest.h>

#include <string>

#include "percept/gpu/cuda.hpp"
#include "percept/preprocess/cuda/letterbox_cuda.hpp"
#include "percept/tasks/cuda/depth_colour_cuda.hpp"
#include "percept/tasks/cuda/plane_resample_cuda.hpp"
#include "percept/tasks/cuda/yolo_nms_cuda.hpp"

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
  EXPECT_EQ(letterbox_cuda(img, p, Normalize{}, nullptr, DType::f32, nullptr).error().code(),
            ErrorCode::invalid_argument);
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

TEST(YoloNmsCudaArgs, RejectsBadCallsBeforeTouchingTheDevice) {
  const auto* t = static_cast<const float*>(fake_device_ptr());
  auto* out = static_cast<DecodedBox*>(fake_device_ptr());
  auto* counts = static_cast<int32_t*>(fake_device_ptr());
  void* ws = fake_device_ptr();
  const LayoutInfo v8{YoloLayout::v8, 80, 8400};
  DecodeOptions opt;
  EXPECT_TRUE(yolo_nms_validate(t, v8, 4, opt, out, counts).ok());
  auto run = [&](const float* in, const LayoutInfo& info, int batch, const DecodeOptions& o,
                 void* w) {
    return yolo_decode_nms_cuda(in, info, batch, o, w, 1 << 20, out, counts, nullptr);
  };
  EXPECT_TRUE(mentions(run(nullptr, v8, 1, opt, ws), "null output tensor"));
  EXPECT_TRUE(mentions(yolo_decode_nms_cuda(t, v8, 1, opt, ws, 1, nullptr, counts, nullptr),
                       "null output tensor, boxes or counts"));
  EXPECT_TRUE(mentions(run(t, v8, 0, opt, ws), "batch 0"));
  EXPECT_TRUE(mentions(run(t, v8, 70000, opt, ws), "batch 70000"));
  EXPECT_TRUE(mentions(run(t, {YoloLayout::v8, 80, 0}, 1, opt, ws), "no anchors"));
  EXPECT_TRUE(mentions(run(t, {YoloLayout::v5, 0, 100}, 1, opt, ws), "v5 layout without classes"));
  DecodeOptions bad = opt;
  bad.nms.max_detections = 0;
  EXPECT_TRUE(mentions(run(t, v8, 1, bad, ws), "max_detections 0"));
  bad = opt;
  bad.max_candidates = 0;
  EXPECT_TRUE(mentions(run(t, v8, 1, bad, ws), "max_candidates 0"));
  bad = opt;
  bad.max_candidates = 1 << 20;
  EXPECT_TRUE(mentions(run(t, {YoloLayout::v8, 80, 1 << 20}, 1, bad, ws), "NMS candidates"));
  EXPECT_TRUE(mentions(run(t, {YoloLayout::v8, 80, 1 << 20}, 4096, opt, ws), "above 2^31"));
  EXPECT_TRUE(mentions(run(t, v8, 1, opt, nullptr), "null workspace"));
  // end2end needs no workspace and no classes; only the batch and max_det checks apply.
  const LayoutInfo e2e{YoloLayout::end2end, 0, 300};
  EXPECT_TRUE(yolo_nms_validate(t, e2e, 2, opt, out, counts).ok());
  auto e2e_bytes = yolo_nms_workspace_bytes(e2e, 2, opt);
  ASSERT_TRUE(e2e_bytes.ok()) << e2e_bytes.error().message();
  EXPECT_EQ(*e2e_bytes, 0u);
  EXPECT_FALSE(yolo_nms_workspace_bytes(v8, 0, opt).ok());
  DecodedBox host[4];
  int32_t host_counts[2];
  EXPECT_TRUE(mentions(copy_kept_detections(nullptr, counts, 2, 2, host, host_counts, nullptr),
                       "null copy argument"));
  EXPECT_TRUE(
      mentions(copy_kept_detections(out, counts, 0, 2, host, host_counts, nullptr), "empty batch"));
}

// Without a device, sizing the workspace (CUB's storage query) is an error value, not a crash;
// with one, a YOLOv8 image's workspace is what the header says (about 9.4 MB).
TEST(YoloNmsCudaArgs, WorkspaceSizeNeedsADeviceAndSaysSo) {
  const LayoutInfo v8{YoloLayout::v8, 80, 8400};
  auto bytes = yolo_nms_workspace_bytes(v8, 1, DecodeOptions{});
  std::string why;
  if (!gpu::device_available(&why)) {
    ASSERT_FALSE(bytes.ok());
    EXPECT_NE(bytes.error().message().find("CUDA"), std::string::npos) << bytes.error().message();
    EXPECT_EQ(bytes.error().code(), ErrorCode::device);
  } else {
    ASSERT_TRUE(bytes.ok()) << bytes.error().message();
    EXPECT_GT(*bytes, 9'000'000u);
    EXPECT_LT(*bytes, 10'500'000u);
  }
}

TEST(ColorizeDepthCudaArgs, RejectsBadCallsBeforeTouchingTheDevice) {
  const auto* depth = static_cast<const float*>(fake_device_ptr());
  auto* bgr = static_cast<uint8_t*>(fake_device_ptr());
  void* scratch = fake_device_ptr();
  EXPECT_TRUE(colorize_depth_cuda_validate(depth, 64, 48, scratch, bgr, 64 * 3).ok());
  EXPECT_TRUE(mentions(colorize_depth_cuda(nullptr, 64, 48, true, scratch, bgr, 192, nullptr),
                       "null depth map"));
  EXPECT_TRUE(
      mentions(colorize_depth_cuda(depth, 64, 48, true, nullptr, bgr, 192, nullptr), "scratch"));
  EXPECT_TRUE(
      mentions(colorize_depth_cuda(depth, 0, 48, true, scratch, bgr, 192, nullptr), "empty"));
  EXPECT_TRUE(mentions(colorize_depth_cuda(depth, 64, 48, true, scratch, bgr, 191, nullptr),
                       "191 bytes are shorter than 64 BGR pixels"));
}

TEST(CudaCheck, TurnsErrorsIntoStatusWithContext) {
  EXPECT_TRUE(gpu::check(cudaSuccess, "nothing").ok());
  const Status s = gpu::check(cudaErrorMemoryAllocation, "cudaMalloc 1024 bytes");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("CUDA: cudaMalloc 1024 bytes: cudaErrorMemoryAllocation", 0),
            0u)
      << s.error().message();
  // The code, set here where the error is born: only an allocation failure is out of memory.
  EXPECT_EQ(s.error().code(), ErrorCode::out_of_memory);
  EXPECT_EQ(gpu::check(cudaErrorIllegalAddress, "kernel").error().code(), ErrorCode::device);
  EXPECT_EQ(gpu::check(cudaErrorNoDevice, "cudaGetDeviceCount").error().code(), ErrorCode::device);
}

TEST(CudaCheck, NoDeviceIsAnAnswerNotACrash) {
  std::string why;
  if (!gpu::device_available(&why)) {
    EXPECT_FALSE(why.empty());
    // Creating a stream without a device is an error value too.
    auto stream = gpu::Stream::create();
    ASSERT_FALSE(stream.ok());
    EXPECT_EQ(stream.error().code(), ErrorCode::device);
  } else {
    auto stream = gpu::Stream::create();
    EXPECT_TRUE(stream.ok()) << stream.error().message();
  }
}
