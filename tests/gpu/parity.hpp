// The CPU/GPU parity harness (docs/GPU.md "Parity harness"; the role of ggml's
// test-backend-ops and ncnn's test_layer): one way to say "the GPU computes what the CPU
// computes", for whole tasks and for single kernels, with the tolerance stated at each call.
//
//   compare_task(config, frames, tolerance)  opens the task twice through open_task, on "cpu"
//       and on "cuda", runs the same frames through Task::run on both and compares the
//       ModelOutputs member by member, as `contents` says (compare_outputs). Skipped with the
//       reason when there is no device or the CUDA side fell back to the CPU: never a pass.
//   compare_kernel(what, cpu, device, tolerance)  a kernel against its CPU reference: both
//       functions return their outputs as host vectors (device_buffers.hpp downloads them),
//       compared element by element (compare_values): exact, max abs, abs + rel, max ULP.
//   ASSERT_PARITY(result), EXPECT_KERNEL(report)  in a test.
//
// Why in tests/gpu/ and not tests/support/: the harness is compiled into the binaries that
// scripts/gpu_verify.sh carries to a GPU machine, which build without OpenCV; it is one small
// library (percept_parity, tests/gpu/CMakeLists.txt) beside the tests that use it, while
// tests/support/ holds header-only helpers of the CPU test binaries. Nothing here needs CUDA:
// the comparisons are tested on the CPU in every build (parity_self_test.cpp, label cpu), and
// the device half is device_buffers.hpp.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "percept/core/image.hpp"
#include "percept/core/model_output.hpp"
#include "percept/tasks/task.hpp"

namespace percept::test {

// ---- tasks --------------------------------------------------------------------------------

// How far the device's ModelOutput may be from the CPU's, per member. The defaults are for
// ONNX Runtime's CUDA provider against its CPU provider on the same model. They cannot be
// equal: ORT's CUDA convolutions (cuDNN) pick other algorithms (implicit GEMM, Winograd, FFT)
// and summation orders than its CPU kernels (MLAS), and the CUDA provider allows TF32
// tensor-core math on Ampere and later by default (`use_tf32`: a 10-bit mantissa, about 5e-4
// relative per product), which over a network's depth moves outputs by about 1e-3 relative and
// now and then by more. Whatever is thresholded or ranked afterwards (confidence threshold,
// NMS, argmax, top-k) can then flip where two values were close: hence matching instead of
// equality, and the near-tie excuses below. percept's own kernels are compared tighter
// (KernelTolerance). Never tuned on a GPU yet (docs/GPU.md): the passing message prints the
// largest differences seen, so that the first GPU run can tighten them.
struct TaskTolerance {
  // detections: each one scoring at least detection_min_score, on either side, must have a
  // partner on the other side of the same class with IoU above detection_iou and a score
  // within detection_score. 0.35 = detect's default conf (0.25) + 0.1: nearer the threshold
  // either side may drop a box. These are the numbers DetectorOnCuda has always used.
  float detection_iou = 0.9f;
  float detection_score = 0.05f;
  float detection_min_score = 0.35f;
  // depth: same size, unit and holes (non-finite pixels); over the finite pixels
  // |device - cpu| <= depth_abs + depth_rel * |cpu| (2 % of a 1..14 m map: the worst pixel of
  // ~10^5, where an error of ~1e-3 relative compounds through a U-Net and an exp head).
  float depth_abs = 0.01f;
  float depth_rel = 0.02f;
  // segmentation: same size; at most this share of pixels with another class (the class
  // boundaries, where two logits are within rounding), and each class's share of the frame
  // within segmentation_fraction.
  double segmentation_pixels = 0.01;
  double segmentation_fraction = 0.01;
  // classes: same top-1, unless the CPU's first two are within class_score of each other and
  // the device has them the other way round; every class in both lists within class_score.
  float class_score = 0.02f;
  // faces: as detections (face_min_score = the face task's default conf 0.75 + 0.1), plus
  // every keypoint within face_keypoint times the CPU face box's width.
  float face_iou = 0.9f;
  float face_score = 0.05f;
  float face_min_score = 0.85f;
  float face_keypoint = 0.05f;

  std::string describe(Content member) const;  // the rule for one member, for messages
};

// The largest differences compare_outputs met (on a pass as well), to tune tolerances with.
struct ParityStats {
  size_t frames = 0;
  size_t detections = 0, faces = 0, classes = 0;  // CPU items that found their partner
  size_t depth_pixels = 0, segmentation_pixels = 0;
  float min_iou = 1.f, max_score_diff = 0.f, max_keypoint_diff = 0.f;  // of the box width
  double max_depth_abs = 0, max_depth_rel = 0;
  double max_differing_pixels = 0, max_fraction_diff = 0;
  std::string str() const;
};

// The comparison itself, without a GPU (it is what parity_self_test.cpp checks on the CPU):
// nullopt when `device` matches `cpu` in every member named by `contents`, else a message
// naming the member, the value on each side and the tolerance. Both outputs must also say
// they hold `contents`.
std::optional<std::string> compare_outputs(const ModelOutput& cpu, const ModelOutput& device,
                                           Content contents, const TaskTolerance& tol,
                                           ParityStats* stats = nullptr);

struct ParityResult {
  enum class Outcome { passed, failed, skipped };
  Outcome outcome = Outcome::failed;
  std::string message;  // failed: what differs; skipped: why; passed: what was compared
  bool passed() const { return outcome == Outcome::passed; }
  bool failed() const { return outcome == Outcome::failed; }
  bool skipped() const { return outcome == Outcome::skipped; }
};

struct TaskParityOptions {
  std::string reference_device = "cpu";
  std::string device = "cuda";
  // The device side must run on this backend (Backend::name()); another name means ONNX
  // Runtime fell back to the CPU: skipped with the reason. Empty: any backend.
  std::string device_backend = "onnxruntime-cuda";
  // Skip first when there is no usable device for `device` (open_stream, tasks/task.hpp).
  bool require_device = true;
  // The device side runs the frames this many times, each compared (the second and later
  // runs reuse every buffer). The CPU side runs once.
  int device_runs = 1;
  // What else the opened device task must be (e.g. "letterboxes on the GPU"): a message when
  // it is not, which fails the comparison.
  std::function<std::optional<std::string>(const OpenedTask&)> check_device;
  // Wraps the device side's backend (open_task's `wrap`): fault injection in the harness's
  // own tests, to show that a differing device is caught.
  BackendWrapper wrap_device;
};

// `config` opened on options.reference_device and on options.device (config.backend.device is
// overwritten), `frames` through Task::run on both in one call, and each frame's outputs
// compared by compare_outputs. Never throws: an error opening or running either side fails.
ParityResult compare_task(TaskConfig config, std::span<const ImageView> frames,
                          const TaskTolerance& tol = {}, const TaskParityOptions& options = {});

// In a test: a skip is reported as skipped (GTEST_SKIP, with the reason), a failure fails with
// the message, and a pass prints what was compared and the largest differences.
#define ASSERT_PARITY(expr)                                    \
  do {                                                         \
    const ::percept::test::ParityResult parity_ = (expr);      \
    if (parity_.skipped()) GTEST_SKIP() << parity_.message;    \
    ASSERT_TRUE(parity_.passed()) << parity_.message;          \
    std::printf("[ parity   ] %s\n", parity_.message.c_str()); \
  } while (0)

// ---- kernels ------------------------------------------------------------------------------

// How two arrays of numbers may differ, element by element (the reference is the CPU's).
//   exact:   the same value (for floating point: the same bits, so -0 is not +0);
//   max_abs: |device - cpu| <= abs;
//   abs_rel: |device - cpu| <= abs + rel * |cpu|;
//   max_ulp: at most `ulps` representable values apart (floating point; integers: |d|).
// Under every kind but exact a NaN on either side is a mismatch (an unwritten, poisoned output
// is NaN).
struct KernelTolerance {
  enum class Kind { exact, max_abs, abs_rel, max_ulp };
  Kind kind = Kind::exact;
  double abs = 0, rel = 0;
  uint64_t ulps = 0;

  static KernelTolerance exact() { return {}; }
  static KernelTolerance max_abs(double a) { return {Kind::max_abs, a, 0, 0}; }
  static KernelTolerance abs_rel(double a, double r) { return {Kind::abs_rel, a, r, 0}; }
  static KernelTolerance max_ulp(uint64_t u) { return {Kind::max_ulp, 0, 0, u}; }
  std::string describe() const;
};

struct KernelReport {
  size_t elements = 0;    // compared (the shorter side's length)
  size_t mismatches = 0;  // beyond the tolerance and not excused
  size_t excused = 0;     // beyond the tolerance, excused by the caller (near-ties)
  size_t first = 0;       // the first mismatch's index, when there is one
  double max_abs_diff = 0;
  uint64_t max_ulp_diff = 0;
  std::string message;  // empty when the arrays match
  bool ok() const { return message.empty(); }
};

// Whether element i is allowed to differ anyway (a near-tie the caller can tell): counted in
// KernelReport::excused, which the caller bounds.
template <class T>
using Excuse = std::function<bool(size_t i, const T& cpu, const T& device)>;
// A name for element i in messages ("pixel (3, 4)", "box 2 y1"); default "element i".
using Where = std::function<std::string(size_t i)>;

namespace detail {

template <class T>
uint64_t ulp_distance(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
    using U = std::make_unsigned_t<I>;
    // Sign-magnitude bits to a monotonic unsigned line (-0 and +0 one apart, as distinct bits).
    auto key = [](T v) {
      const U u = std::bit_cast<U>(v);
      const U sign = U{1} << (sizeof(U) * 8 - 1);
      return (u & sign) ? ~u : (u | sign);
    };
    const U ka = key(a), kb = key(b);
    return static_cast<uint64_t>(ka > kb ? ka - kb : kb - ka);
  } else {
    const long double d = static_cast<long double>(a) - static_cast<long double>(b);
    return static_cast<uint64_t>(d < 0 ? -d : d);
  }
}

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

template <class T>
bool same_bits(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return std::bit_cast<std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>(a) ==
           std::bit_cast<std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>(b);
  else
    return a == b;
}

template <class T>
std::string show(T v) {
  std::ostringstream s;
  s.precision(9);
  if constexpr (sizeof(T) == 1 && std::is_integral_v<T>)
    s << static_cast<int>(v);
  else
    s << v;
  return s.str();
}

}  // namespace detail

// `device` against `cpu`, element by element.
template <class T>
KernelReport compare_values(const std::vector<T>& cpu, const std::vector<T>& device,
                            const KernelTolerance& tol, const Excuse<T>& excuse = {},
                            const Where& where = {}) {
  static_assert(std::is_arithmetic_v<T>, "compare_values compares numbers");
  KernelReport r;
  r.elements = std::min(cpu.size(), device.size());
  bool any = false;
  for (size_t i = 0; i < r.elements; ++i) {
    const T a = cpu[i], b = device[i];
    const bool nan = detail::is_nan(a) || detail::is_nan(b);
    const double d = std::fabs(static_cast<double>(b) - static_cast<double>(a));
    const uint64_t u = nan ? std::numeric_limits<uint64_t>::max() : detail::ulp_distance(a, b);
    if (nan)
      r.max_abs_diff = std::numeric_limits<double>::quiet_NaN();  // and stays NaN
    else if (d > r.max_abs_diff)
      r.max_abs_diff = d;
    if (u > r.max_ulp_diff) r.max_ulp_diff = u;
    bool ok = false;
    switch (tol.kind) {
      case KernelTolerance::Kind::exact:
        ok = detail::same_bits(a, b);
        break;
      case KernelTolerance::Kind::max_abs:
        ok = !nan && d <= tol.abs;
        break;
      case KernelTolerance::Kind::abs_rel:
        ok = !nan && d <= tol.abs + tol.rel * std::fabs(static_cast<double>(a));
        break;
      case KernelTolerance::Kind::max_ulp:
        ok = !nan && u <= tol.ulps;
        break;
    }
    if (ok) continue;
    if (excuse && excuse(i, a, b)) {
      ++r.excused;
      continue;
    }
    if (r.mismatches++ == 0) r.first = i;
    any = true;
  }
  std::ostringstream m;
  if (any) {
    const std::string at = where ? where(r.first) : "element " + std::to_string(r.first);
    m << r.mismatches << " of " << r.elements << " values beyond " << tol.describe() << "; first "
      << at << ": cpu " << detail::show(cpu[r.first]) << ", device "
      << detail::show(device[r.first]) << " (largest |d| " << r.max_abs_diff << ")";
  }
  if (cpu.size() != device.size())
    m << (any ? "; " : "") << "the cpu gave " << cpu.size() << " values, the device "
      << device.size();
  r.message = m.str();
  return r;
}

// A kernel against its CPU reference: `cpu()` and `device()` each return the outputs as a host
// std::vector<T> from the same inputs (which the two functions capture). An exception from
// either (a failed launch, a failed copy) is reported as the comparison's failure, named.
template <class Cpu, class Device>
auto compare_kernel(const std::string& what, Cpu&& cpu, Device&& device, const KernelTolerance& tol,
                    const Excuse<typename std::invoke_result_t<Cpu>::value_type>& excuse = {},
                    const Where& where = {}) {
  using V = std::invoke_result_t<Cpu>;
  KernelReport r;
  V ref, got;
  try {
    ref = cpu();
  } catch (const std::exception& e) {
    r.message = what + ": the CPU reference failed: " + e.what();
    return r;
  }
  try {
    got = device();
  } catch (const std::exception& e) {
    r.message = what + ": the device failed: " + e.what();
    return r;
  }
  r = compare_values(ref, got, tol, excuse, where);
  if (!r.ok()) r.message = what + ": " + r.message;
  return r;
}

// In a test: EXPECT_KERNEL(report) << "more context"; the report's message on a failure.
inline ::testing::AssertionResult kernel_ok(const KernelReport& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.message;
}
#define EXPECT_KERNEL(report) EXPECT_TRUE(::percept::test::kernel_ok(report))
#define ASSERT_KERNEL(report) ASSERT_TRUE(::percept::test::kernel_ok(report))

// ---- frames -------------------------------------------------------------------------------

// A file of the repository: relative to the working directory (scripts/gpu_verify.sh runs the
// bundled tests from the repository root of the GPU machine), else in $PERCEPT_TEST_FILES (the
// bundle's copy of files git does not track, such as third_party/blazeface), else in this
// build's source tree. Returns the first candidate when none exists (the open then names it).
std::string repo_file(const std::string& relative);

// A binary PPM (P6, maxval 255) as a bgr8 image; throws percept::Error naming the file.
Image read_ppm(const std::string& path);
// The image mirrored left to right, and scaled up by an integer factor (pixel replication):
// other frames of the same content.
Image mirrored(const ImageView& v);
Image scaled(const ImageView& v, int factor);

std::vector<ImageView> views_of(const std::vector<Image>& images);

}  // namespace percept::test
