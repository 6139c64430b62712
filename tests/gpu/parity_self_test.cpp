// The parity harness's own logic, on the CPU (label cpu, every build): a harness that cannot
// fail is worthless, so each comparison is shown to pass on equal outputs and to fail, with a
// message naming the frame, the member, the values and the tolerance, on perturbed ones; the
// task comparison runs CPU against CPU for every task kind on the frames the GPU cases use; and
// compare_task reports "skipped" (never "passed") where there is no device or the CUDA provider
// fell back to the CPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gpu_test_util.hpp"
#include "parity.hpp"
#include "percept/gpu/compute_stream.hpp"

using namespace percept;
using namespace percept::test;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
#define EXPECT_CONTAINS(s, part) \
  EXPECT_TRUE(contains(s, part)) << "'" << (s) << "' lacks '" << (part) << "'"

// One run of a task on the CPU, to perturb.
struct CpuRun {
  OpenedTask task;
  std::vector<ModelOutput> out;
};

CpuRun run_cpu(const TaskConfig& cfg, std::span<const ImageView> frames) {
  CpuRun r{open_task(cfg), std::vector<ModelOutput>(frames.size())};
  const Status st = r.task->run(frames, r.out);
  if (!st.ok()) throw Error(st.error().message());
  return r;
}

TaskConfig config(const std::string& model, const char* task = nullptr) {
  TaskConfig c;
  c.model_path = repo_file(model);
  c.backend.intra_op_threads = 1;
  if (task) {
    c.conventions.task = task;
    c.conventions.source["task"] = "test";
  }
  return c;
}

// The same task twice on the CPU: what compare_task does with a GPU, minus the GPU.
TaskParityOptions cpu_against_cpu() {
  TaskParityOptions o;
  o.device = "cpu";
  o.device_backend = "onnxruntime-cpu";
  o.require_device = false;
  return o;
}

ModelOutput detections(std::initializer_list<Detection> d) {
  ModelOutput o;
  o.contents = Content::detections;
  o.detections = d;
  return o;
}

Detection det(float x1, float y1, float x2, float y2, float score, int cls) {
  Detection d;
  d.box = {x1, y1, x2, y2};
  d.score = score;
  d.class_id = cls;
  return d;
}

}  // namespace

// ---- compare_outputs on hand-made outputs ------------------------------------------------

TEST(ParityHarness, DetectionsMatchBothWaysWithinTheTolerance) {
  const TaskTolerance tol;
  const ModelOutput a =
      detections({det(10, 10, 110, 90, 0.9f, 1), det(200, 50, 260, 120, 0.6f, 3)});
  EXPECT_EQ(compare_outputs(a, a, Content::detections, tol), std::nullopt);
  // A little moved and rescored: still a match.
  ModelOutput b = a;
  b.detections[0].box.x1 += 1.f;
  b.detections[1].score += 0.04f;
  EXPECT_EQ(compare_outputs(a, b, Content::detections, tol), std::nullopt);
  // A score 0.06 off.
  b = a;
  b.detections[1].score += 0.06f;
  auto m = compare_outputs(a, b, Content::detections, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "detections: cpu detection #1 (class 3 score 0.6");
  EXPECT_CONTAINS(*m, "nearest: class 3 score 0.66");
  EXPECT_CONTAINS(*m, "|score difference| < 0.05");
  // Moved by a fifth of its width: IoU under 0.9.
  b = a;
  b.detections[0].box.x1 += 20.f;
  b.detections[0].box.x2 += 20.f;
  m = compare_outputs(a, b, Content::detections, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "cpu detection #0");
  EXPECT_CONTAINS(*m, "IoU 0.6");
  EXPECT_CONTAINS(*m, "IoU > 0.9");
  // Another class at the same place.
  b = a;
  b.detections[0].class_id = 2;
  EXPECT_TRUE(compare_outputs(a, b, Content::detections, tol));
  // Missing on the device.
  b = detections({a.detections[0]});
  m = compare_outputs(a, b, Content::detections, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "cpu detection #1");
  EXPECT_CONTAINS(*m, "no partner on the device");
  // An extra one on the device: the other direction.
  b = a;
  b.detections.push_back(det(400, 400, 450, 470, 0.7f, 0));
  m = compare_outputs(a, b, Content::detections, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "device detection #2 (class 0 score 0.7");
  EXPECT_CONTAINS(*m, "no partner on the cpu");
  // ...but one under detection_min_score on either side is excused.
  b.detections.back().score = 0.3f;
  EXPECT_EQ(compare_outputs(a, b, Content::detections, tol), std::nullopt);
  EXPECT_EQ(compare_outputs(b, a, Content::detections, tol), std::nullopt);
}

TEST(ParityHarness, ContentsMustAgree) {
  const ModelOutput a = detections({det(10, 10, 110, 90, 0.9f, 1)});
  ModelOutput b = a;
  b.contents = Content::depth;
  const auto m = compare_outputs(a, b, Content::detections, TaskTolerance{});
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "contents: expected detections, the cpu holds detections, the device depth");
}

TEST(ParityHarness, DepthWithinAbsPlusRelative) {
  ModelOutput a;
  a.contents = Content::depth;
  a.depth.width = 4;
  a.depth.height = 3;
  a.depth.values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, std::numeric_limits<float>::quiet_NaN()};
  const TaskTolerance tol;  // 0.01 + 0.02 |cpu|
  EXPECT_EQ(compare_outputs(a, a, Content::depth, tol), std::nullopt);
  ModelOutput b = a;
  b.depth.values[6] = 7.f * 1.02f + 0.005f;  // 7.145 against 7 + 0.01 + 0.14
  ParityStats stats;
  EXPECT_EQ(compare_outputs(a, b, Content::depth, tol, &stats), std::nullopt);
  EXPECT_NEAR(stats.max_depth_abs, 0.145, 1e-5);
  b.depth.values[6] = 7.16f;
  auto m = compare_outputs(a, b, Content::depth, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "depth: 1 of 12 pixels differ; first at (2, 1): cpu 7, device 7.16");
  EXPECT_CONTAINS(*m, "|d| <= 0.01 + 0.02 x |cpu|");
  // A hole on one side only.
  b = a;
  b.depth.values[0] = std::numeric_limits<float>::infinity();
  m = compare_outputs(a, b, Content::depth, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "first at (0, 0): cpu 1, device inf");
  b = a;
  b.depth.values[11] = 12.f;
  EXPECT_TRUE(compare_outputs(a, b, Content::depth, tol));
  // Size and unit.
  b = a;
  b.depth.width = 3;
  b.depth.height = 4;
  m = compare_outputs(a, b, Content::depth, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "map size: cpu 4x3");
  b = a;
  b.depth.unit = DepthUnit::relative;
  EXPECT_TRUE(compare_outputs(a, b, Content::depth, tol));
}

TEST(ParityHarness, SegmentationPixelsAndShares) {
  ModelOutput a;
  a.contents = Content::segmentation;
  a.segmentation.width = 50;
  a.segmentation.height = 40;
  a.segmentation.classes.assign(2000, 0);
  for (size_t i = 1000; i < 2000; ++i) a.segmentation.classes[i] = 2;
  a.segmentation.fractions = {0.5f, 0.f, 0.5f};
  const TaskTolerance tol;  // 1% of pixels, shares within 0.01
  EXPECT_EQ(compare_outputs(a, a, Content::segmentation, tol), std::nullopt);
  ModelOutput b = a;
  for (size_t i = 1000; i < 1020; ++i) b.segmentation.classes[i] = 1;  // 1%: allowed
  EXPECT_EQ(compare_outputs(a, b, Content::segmentation, tol), std::nullopt);
  b.segmentation.classes[1020] = 1;  // 21 pixels: 1.05%
  auto m = compare_outputs(a, b, Content::segmentation, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m,
                  "segmentation: 1.05% of pixels (21 of 2000) have another class; first at "
                  "(0, 20): cpu class 2, device class 1");
  EXPECT_CONTAINS(*m, "at most 1% of pixels");
  b = a;
  b.segmentation.fractions = {0.49f, 0.02f, 0.49f};
  m = compare_outputs(a, b, Content::segmentation, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "class 1's share of the frame: cpu 0, device 0.02");
}

TEST(ParityHarness, ClassesTopOneAndScores) {
  ModelOutput a;
  a.contents = Content::classes;
  a.classes = {{3, 0.7f}, {1, 0.2f}, {0, 0.1f}};
  const TaskTolerance tol;  // 0.02
  EXPECT_EQ(compare_outputs(a, a, Content::classes, tol), std::nullopt);
  ModelOutput b = a;
  b.classes = {{1, 0.7f}, {3, 0.2f}, {0, 0.1f}};
  auto m = compare_outputs(a, b, Content::classes, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "classes: top-1 is class 3 on the cpu, 1 on the device");
  b.classes = {{3, 0.675f}, {1, 0.225f}, {0, 0.1f}};
  m = compare_outputs(a, b, Content::classes, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "class 3 scores 0.7 on the cpu, 0.675 on the device");
  EXPECT_CONTAINS(*m, "scores within 0.02");
  // A near-tie may come out either way round.
  a.classes = {{3, 0.45f}, {1, 0.44f}, {0, 0.11f}};
  b.classes = {{1, 0.445f}, {3, 0.445f}, {0, 0.11f}};
  EXPECT_EQ(compare_outputs(a, b, Content::classes, tol), std::nullopt);
}

TEST(ParityHarness, FacesBoxesScoresAndKeypoints) {
  ModelOutput a;
  a.contents = Content::faces;
  Face f;
  f.box = {100, 100, 200, 220};
  f.score = 0.95f;
  for (size_t k = 0; k < 6; ++k) f.keypoints[k] = {120.f + 10.f * k, 150.f};
  a.faces = {f};
  const TaskTolerance tol;
  EXPECT_EQ(compare_outputs(a, a, Content::faces, tol), std::nullopt);
  ModelOutput b = a;
  b.faces[0].keypoints[2][1] += 4.f;  // 4% of the width
  EXPECT_EQ(compare_outputs(a, b, Content::faces, tol), std::nullopt);
  b.faces[0].keypoints[2][1] += 2.f;  // 6%
  auto m = compare_outputs(a, b, Content::faces, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "faces: cpu face #0 (score 0.95");
  EXPECT_CONTAINS(*m, "keypoints 0.06 of the box width apart");
  EXPECT_CONTAINS(*m, "keypoints within 0.05 of the box width");
  b.faces.clear();
  m = compare_outputs(a, b, Content::faces, tol);
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(*m, "it has none at all");
}

// ---- compare_values / compare_kernel -----------------------------------------------------

TEST(ParityHarness, KernelTolerances) {
  const float one_up = std::nextafter(1.f, 2.f);
  const std::vector<float> a{0.f, 1.f, -2.f}, b{0.f, one_up, -2.f};
  EXPECT_TRUE(compare_values(a, a, KernelTolerance::exact()).ok());
  auto r = compare_values(a, b, KernelTolerance::exact());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.mismatches, 1u);
  EXPECT_EQ(r.first, 1u);
  EXPECT_EQ(r.max_ulp_diff, 1u);
  EXPECT_CONTAINS(r.message,
                  "1 of 3 values beyond exact (the same bits); first element 1: cpu 1, "
                  "device 1.00000012");
  EXPECT_TRUE(compare_values(a, b, KernelTolerance::max_ulp(1)).ok());
  EXPECT_FALSE(compare_values(a, b, KernelTolerance::max_ulp(0)).ok());
  EXPECT_TRUE(compare_values(a, b, KernelTolerance::max_abs(1.2e-7)).ok());
  EXPECT_FALSE(compare_values(a, b, KernelTolerance::max_abs(1e-7)).ok());
  EXPECT_TRUE(compare_values(a, b, KernelTolerance::abs_rel(0, 1.2e-7)).ok());
  // -0 and +0: not the same bits, one ulp apart, equal in value.
  const std::vector<float> z{0.f}, nz{-0.f};
  EXPECT_FALSE(compare_values(z, nz, KernelTolerance::exact()).ok());
  EXPECT_TRUE(compare_values(z, nz, KernelTolerance::max_ulp(1)).ok());
  EXPECT_TRUE(compare_values(z, nz, KernelTolerance::max_abs(0)).ok());
  // A poisoned (NaN) output fails every tolerance but exact's same bits.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> n{0.f, nan, -2.f};
  for (const KernelTolerance& t :
       {KernelTolerance::max_abs(1e30), KernelTolerance::abs_rel(1, 1),
        KernelTolerance::max_ulp(UINT64_MAX - 1), KernelTolerance::exact()})
    EXPECT_FALSE(compare_values(a, n, t).ok()) << t.describe();
  EXPECT_TRUE(compare_values(n, n, KernelTolerance::exact()).ok());
  // Sizes.
  r = compare_values(a, std::vector<float>{0.f, 1.f}, KernelTolerance::exact());
  EXPECT_CONTAINS(r.message, "the cpu gave 3 values, the device 2");
  // Integers, an excuse, a name for the element.
  const std::vector<uint8_t> p{1, 2, 3, 4}, q{1, 7, 3, 5};
  r = compare_values<uint8_t>(
      p, q, KernelTolerance::exact(), [](size_t i, uint8_t, uint8_t) { return i == 1; },
      [](size_t i) { return "pixel " + std::to_string(i); });
  EXPECT_EQ(r.excused, 1u);
  EXPECT_EQ(r.mismatches, 1u);
  EXPECT_CONTAINS(r.message, "first pixel 3: cpu 4, device 5");
}

TEST(ParityHarness, CompareKernelReportsAFailingDeviceByName) {
  auto r = compare_kernel(
      "my kernel",
      [] {
        return std::vector<int>{1, 2};
      },
      []() -> std::vector<int> { throw Error("CUDA: launch: cudaErrorInvalidValue"); },
      KernelTolerance::exact());
  EXPECT_CONTAINS(r.message, "my kernel: the device failed: CUDA: launch: cudaErrorInvalidValue");
  r = compare_kernel(
      "my kernel",
      [] {
        return std::vector<int>{1, 2};
      },
      [] {
        return std::vector<int>{1, 3};
      },
      KernelTolerance::max_abs(0.5));
  EXPECT_CONTAINS(r.message, "my kernel: 1 of 2 values beyond |d| <= 0.5");
  EXPECT_TRUE(kernel_ok(compare_kernel(
      "same",
      [] {
        return std::vector<int>{1, 2};
      },
      [] {
        return std::vector<int>{1, 2};
      },
      KernelTolerance::exact())));
}

// ---- compare_task, CPU against CPU -------------------------------------------------------

struct TaskCase {
  const char* name;
  TaskConfig cfg;
  std::vector<Image> images;
  std::vector<ImageView> views;
};

std::vector<TaskCase> task_cases() {
  std::vector<TaskCase> c;
  {
    TaskCase t{"detect", config("models/shapes_yolov8.onnx"), {}, {}};
    t.images.push_back(shapes_frame());
    t.images.push_back(mirrored(t.images[0].view()));
    c.push_back(std::move(t));
  }
  for (const char* model : {"models/scene_depth.onnx", "models/scene_seg.onnx"}) {
    TaskCase t{model, config(model), {}, {}};
    t.images.push_back(read_ppm(repo_file("tests/data/parity/scene.ppm")));
    t.images.push_back(scaled(t.images[0].view(), 2));
    c.push_back(std::move(t));
  }
  {
    TaskCase t{"classify", config("models/shapes_cls.onnx"), {}, {}};
    t.images.push_back(read_ppm(repo_file("tests/data/parity/classify.ppm")));
    for (int k = 0; k < 5; ++k) {
      ImageView v = t.images[0].view();
      v.data += static_cast<size_t>(k) * 64 * 3;
      v.width = 64;
      t.views.push_back(v);
    }
    c.push_back(std::move(t));
  }
  {
    TaskCase t{"face",
               config("third_party/blazeface/face_detection_front_128x128_barracuda.onnx", "face"),
               {},
               {}};
    t.images.push_back(read_ppm(repo_file("tests/data/parity/face.ppm")));
    t.images.push_back(mirrored(t.images[0].view()));
    c.push_back(std::move(t));
  }
  for (const char* model : {"tests/data/dense_depth.onnx", "tests/data/dense_segment.onnx",
                            "tests/data/dense_classify.onnx"}) {
    TaskCase t{model, config(model), {}, {}};
    t.images.push_back(random_image(48, 32, PixelFormat::bgr8));
    c.push_back(std::move(t));
  }
  for (TaskCase& t : c)
    if (t.views.empty()) t.views = views_of(t.images);
  return c;
}

TEST(ParityHarness, EveryTaskMatchesItselfOnTheCpu) {
  for (TaskCase& t : task_cases()) {
    SCOPED_TRACE(t.name);
    const ParityResult r = compare_task(t.cfg, t.views, TaskTolerance{}, cpu_against_cpu());
    EXPECT_TRUE(r.passed()) << r.message;
    std::printf("%s\n", r.message.c_str());
  }
}

// The frames the GPU cases use are worth comparing: the trained models find what is there.
TEST(ParityHarness, TheGpuCasesFramesHaveContent) {
  for (TaskCase& t : task_cases()) {
    SCOPED_TRACE(t.name);
    const CpuRun run = run_cpu(t.cfg, t.views);
    const ModelOutput& o = run.out[0];
    const std::string name(t.name);
    if (name == "detect") {
      EXPECT_GE(o.detections.size(), 2u);  // the rectangle and the disc
    }
    if (name == "face") {
      ASSERT_EQ(o.faces.size(), 1u);
      EXPECT_GT(o.faces[0].score, 0.85f);  // well above the default conf and the excuse
      EXPECT_EQ(run.out[1].faces.size(), 1u);
    }
    if (name == "classify")
      for (size_t k = 0; k < run.out.size(); ++k) {  // circle, square, triangle, star, cross
        ASSERT_FALSE(run.out[k].classes.empty());
        EXPECT_EQ(run.out[k].classes[0].class_id, static_cast<int>(k));
        EXPECT_GT(run.out[k].classes[0].score - run.out[k].classes[1].score, 0.2f);
      }
    if (name == "models/scene_seg.onnx") {
      size_t present = 0;
      for (float f : o.segmentation.fractions) present += f > 0.02f;
      EXPECT_GE(present, 3u);  // floor, wall and at least one object
    }
    if (name == "models/scene_depth.onnx") {
      const DepthStats s = depth_stats(o.depth);
      EXPECT_EQ(s.valid, o.depth.values.size());
      EXPECT_GT(s.max, 2.f * s.min);  // near floor, far wall
    }
  }
}

// Real outputs, perturbed, through the comparison compare_task uses: each is caught.
TEST(ParityHarness, PerturbedRealOutputsFailWithTheRightMessage) {
  const TaskTolerance tol;
  std::vector<TaskCase> cases = task_cases();
  for (TaskCase& t : cases) {
    SCOPED_TRACE(t.name);
    CpuRun run = run_cpu(t.cfg, t.views);
    const Content k = run.task->produces();
    ModelOutput& a = run.out[0];
    ModelOutput b = a;
    ASSERT_EQ(compare_outputs(a, b, k, tol), std::nullopt);
    std::string want;
    if (k == Content::detections) {
      ASSERT_FALSE(b.detections.empty());
      b.detections[0].score = a.detections[0].score - 0.1f;
      want = "detections: cpu detection #0";
    } else if (k == Content::depth) {
      float& v = b.depth.values[b.depth.values.size() / 2];
      v += 0.05f * std::fabs(v) + 0.1f;  // beyond 0.01 + 0.02 |v| whatever v
      want = "depth: 1 of " + std::to_string(b.depth.values.size()) + " pixels differ";
    } else if (k == Content::segmentation) {
      for (size_t i = 0; i < b.segmentation.classes.size() / 50; ++i)
        b.segmentation.classes[i * 50] = static_cast<uint8_t>(b.segmentation.classes[i * 50] ^ 1);
      const size_t n = b.segmentation.classes.size();
      want = "% of pixels (" + std::to_string(n / 50) + " of " + std::to_string(n) +
             ") have another class";  // about 2%
    } else if (k == Content::classes) {
      // Top-1 and the last class trade places. Not the first two: on a random frame they can be
      // within class_score, where the harness rightly accepts them swapped (seen: 1 run in ~60).
      ASSERT_GE(b.classes.size(), 3u);
      std::swap(b.classes[0].class_id, b.classes.back().class_id);
      want = "classes: top-1 is class";
    } else if (k == Content::faces) {
      ASSERT_FALSE(b.faces.empty());
      b.faces[0].box.x1 -= 0.3f * b.faces[0].box.width();
      want = "faces: cpu face #0";
    }
    const auto m = compare_outputs(a, b, k, tol);
    ASSERT_TRUE(m) << "a perturbed output passed";
    EXPECT_CONTAINS(*m, want);
    const char* member = k == Content::detections     ? "detections: "
                         : k == Content::depth        ? "depth: "
                         : k == Content::segmentation ? "segmentation: "
                         : k == Content::classes      ? "classes: "
                                                      : "faces: ";
    EXPECT_TRUE(m->starts_with(member)) << *m;
    EXPECT_CONTAINS(*m, "tolerance: ");
  }
}

// Multiplies the float outputs of run number `at` by `factor`, for the images of the batch
// from `from_image` on: a device that computes something else.
class PerturbingBackend final : public ForwardingBackend {
 public:
  PerturbingBackend(std::unique_ptr<Backend> inner, int at, int64_t from_image, float factor)
      : ForwardingBackend(std::move(inner)), at_(at), from_(from_image), factor_(factor) {}
  std::string name() const override { return "perturbed(" + ForwardingBackend::name() + ")"; }
  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    auto out = inner().run(in);
    if (!out || ++runs_ != at_) return out;
    for (const TensorView& t : *out) {
      if (t.dtype != DType::f32 || t.shape.empty()) continue;
      const int64_t per_image = t.numel() / t.shape[0];
      for (int64_t i = from_ * per_image; i < t.numel(); ++i) t.as<float>()[i] *= factor_;
    }
    return out;
  }

 private:
  int at_;
  int64_t from_;
  float factor_;
  int runs_ = 0;
};

// compare_task through real runs: the same model on the same frames passes even at a tolerance
// of nothing; a device that differs on the second image of its second run is caught there,
// and the message names the frame, its size, the sides, the run, the member and the tolerance.
TEST(ParityHarness, CompareTaskNamesTheFrameAndTheRun) {
  TaskConfig cfg = config("models/shapes_yolov8.onnx");
  std::vector<Image> frames;
  frames.push_back(shapes_frame());
  frames.push_back(mirrored(frames[0].view()));
  TaskTolerance none;
  none.detection_min_score = 0.f;
  none.detection_iou = 0.9999f;
  none.detection_score = 1e-7f;
  TaskParityOptions opt = cpu_against_cpu();
  opt.device_runs = 2;
  ParityResult r = compare_task(cfg, views_of(frames), none, opt);
  EXPECT_TRUE(r.passed()) << "the same model on the same frames: " << r.message;
  EXPECT_CONTAINS(r.message, "2 frame(s)");

  opt.device_backend = "perturbed(onnxruntime-cpu)";
  opt.wrap_device = [](std::unique_ptr<Backend> b) -> std::unique_ptr<Backend> {
    return std::make_unique<PerturbingBackend>(std::move(b), 2, 1, 1.3f);
  };
  r = compare_task(cfg, views_of(frames), TaskTolerance{}, opt);
  EXPECT_TRUE(r.failed()) << r.message;
  EXPECT_CONTAINS(r.message,
                  "shapes_yolov8.onnx' (detect), frame 1 (1280x720), cpu against cpu "
                  "run 2: detections: ");
  EXPECT_CONTAINS(r.message, "tolerance: same class, IoU > 0.9");
  // Once only on the first run's first image: caught at frame 0, run 1.
  opt.wrap_device = [](std::unique_ptr<Backend> b) -> std::unique_ptr<Backend> {
    return std::make_unique<PerturbingBackend>(std::move(b), 1, 0, 0.7f);
  };
  r = compare_task(cfg, views_of(frames), TaskTolerance{}, opt);
  EXPECT_TRUE(r.failed()) << r.message;
  EXPECT_CONTAINS(r.message, "frame 0 (1280x720), cpu against cpu run 1: detections: ");

  opt.wrap_device = {};
  opt.device_backend = "onnxruntime-cpu";
  opt.check_device = [](const OpenedTask&) -> std::optional<std::string> {
    return "the detect task does not letterbox on the GPU";
  };
  r = compare_task(cfg, views_of(frames), TaskTolerance{}, opt);
  EXPECT_TRUE(r.failed());
  EXPECT_CONTAINS(r.message, "shapes_yolov8.onnx': the detect task does not letterbox on the GPU");
  // A missing model fails (never skips) and names the file.
  cfg.model_path = "/nonexistent/model.onnx";
  r = compare_task(cfg, views_of(frames), TaskTolerance{}, cpu_against_cpu());
  EXPECT_TRUE(r.failed());
  EXPECT_CONTAINS(r.message, "/nonexistent/model.onnx");
}

// Where there is no device, compare_task says so and skips; where the CUDA provider falls back
// to the CPU, it skips with that reason. Neither is a pass.
TEST(ParityHarness, NoDeviceOrAFallbackIsASkipNotAPass) {
  TaskConfig cfg = config("tests/data/dense_depth.onnx");
  const Image img = random_image(16, 12, PixelFormat::bgr8);
  const ImageView v = img.view();
  std::string why;
  const bool device = static_cast<bool>(open_stream("cuda", &why));
  const ParityResult r = compare_task(cfg, std::span<const ImageView>(&v, 1));
  if (!device) {
    EXPECT_TRUE(r.skipped()) << r.message;
    EXPECT_CONTAINS(r.message, "no device for 'cuda': " + why);
  }
  // Past the device check, a backend that is not onnxruntime-cuda is a fallback: skipped.
  TaskParityOptions opt;
  opt.require_device = false;
  const ParityResult fb = compare_task(cfg, std::span<const ImageView>(&v, 1), {}, opt);
  if (fb.skipped()) {
    EXPECT_CONTAINS(fb.message, "did not start (it ran on onnxruntime-cpu, not onnxruntime-cuda)");
  } else {
    EXPECT_TRUE(device) << "without a device the CUDA side cannot have run: " << fb.message;
    EXPECT_TRUE(fb.passed()) << fb.message;
  }
  if (!device) {
    EXPECT_TRUE(fb.skipped()) << fb.message;
  }
}
