// Every task kind percept has models for, on ONNX Runtime's CUDA provider against its CPU
// provider, through open_task and Task::run (compare_task, parity.hpp), with the harness's
// default tolerances (TaskTolerance: why those numbers). Label gpu: skipped, never passed, with
// the reason when there is no device or the CUDA provider did not start.
//
// Frames: the trained models see the content they were trained on (tests/data/parity/*.ppm:
// a scene3d.py room, classify_dataset.py shapes, a photo with a face), mirrored and scaled
// copies (other resampling, other batches), and the dense test models random images. The
// detector on the GPU letterbox path is DetectorOnCuda (detect_gpu_parity_test.cpp).
#include <gtest/gtest.h>

#include "gpu_test_util.hpp"
#include "parity.hpp"

using namespace percept;
using namespace percept::test;

namespace {

TaskConfig config(const std::string& model, const char* task = nullptr) {
  TaskConfig c;
  c.model_path = repo_file(model);
  if (task) {
    c.conventions.task = task;
    c.conventions.source["task"] = "test";
  }
  return c;
}

// The scene at 320x240, mirrored, and at 640x480.
std::vector<Image> scene_frames() {
  std::vector<Image> f;
  f.push_back(read_ppm(repo_file("tests/data/parity/scene.ppm")));
  f.push_back(mirrored(f[0].view()));
  f.push_back(scaled(f[0].view(), 2));
  return f;
}

// A random image whose channels lean one way (dense_classify's logits are the channel means:
// without a lean its top-1 would be a near-tie on every frame).
Image leaning_image(int w, int h, int channel) {
  Image img = random_image(w, h, PixelFormat::bgr8);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t& v = img.row(y)[3 * x + channel];
      v = static_cast<uint8_t>(128 + v / 2);
    }
  return img;
}

}  // namespace

TEST(TaskParity, DetectShapesFramesOfSeveralSizes) {
  std::vector<Image> frames;
  frames.push_back(shapes_frame());
  frames.push_back(mirrored(frames[0].view()));
  frames.push_back(scaled(read_ppm(repo_file("tests/data/parity/scene.ppm")).view(), 2));
  ASSERT_PARITY(compare_task(config("models/shapes_yolov8.onnx"), views_of(frames)));
}

TEST(TaskParity, DepthScene) {
  const std::vector<Image> frames = scene_frames();
  ASSERT_PARITY(compare_task(config("models/scene_depth.onnx"), views_of(frames)));
}

TEST(TaskParity, SegmentScene) {
  const std::vector<Image> frames = scene_frames();
  ASSERT_PARITY(compare_task(config("models/scene_seg.onnx"), views_of(frames)));
}

TEST(TaskParity, ClassifyShapes) {
  // Five 64x64 shapes side by side: five frames viewing one image (strided rows).
  const Image strip = read_ppm(repo_file("tests/data/parity/classify.ppm"));
  std::vector<ImageView> frames;
  for (int k = 0; k * 64 < strip.width(); ++k) {
    ImageView v = strip.view();
    v.data += static_cast<size_t>(k) * 64 * 3;
    v.width = 64;
    frames.push_back(v);
  }
  ASSERT_PARITY(compare_task(config("models/shapes_cls.onnx"), frames));
}

TEST(TaskParity, FaceFront) {
  std::vector<Image> frames;
  frames.push_back(read_ppm(repo_file("tests/data/parity/face.ppm")));
  frames.push_back(mirrored(frames[0].view()));
  ASSERT_PARITY(compare_task(
      config("third_party/blazeface/face_detection_front_128x128_barracuda.onnx", "face"),
      views_of(frames)));
}

// The small test models of tests/data (make_test_models.py): depth, segment, classify, and
// the ambiguous one-channel output as a binary mask, on random frames of two sizes.
TEST(TaskParity, DenseTestModels) {
  std::vector<Image> frames;
  frames.push_back(leaning_image(48, 32, 2));
  frames.push_back(leaning_image(37, 61, 0));
  const std::vector<ImageView> views = views_of(frames);
  ASSERT_PARITY(compare_task(config("tests/data/dense_depth.onnx"), views));
  ASSERT_PARITY(compare_task(config("tests/data/dense_segment.onnx"), views));
  ASSERT_PARITY(compare_task(config("tests/data/dense_classify.onnx"), views));
  ASSERT_PARITY(compare_task(config("tests/data/dense_mask.onnx", "segment"), views));
}
