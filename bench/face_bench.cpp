// Face task (docs/PERFORMANCE.md, "Face"): BlazeFace front (128x128) pre- and post-processing
// of a 1280x960 BGR frame (the top of imageio's astronaut.png, upscaled), each against the usual
// OpenCV recipe measured in the same run, and the model's inference for scale.
//   pre, percept:  the face task's preprocess: letterbox_cpu ([-1, 1], RGB, NCHW) + NHWC transpose
//   pre, letterbox only: the same without the transpose (what NHWC costs)
//   pre, opencv:   cv::resize + cv::copyMakeBorder + cv::cvtColor + convertTo(2/255, -1), which
//                  is NHWC already
//   post, percept: the face task's postprocess: decode of the 896 anchors above the threshold,
//                  weighted NMS, mapping boxes and keypoints back to the frame
//   post, opencv:  decode all 896 (sigmoid, boxes) + cv::dnn::NMSBoxes (greedy, not weighted)
//                  + keypoints of the kept ones, mapped back
// Needs third_party/blazeface and python3-imageio (scripts/bootstrap.sh).
#include <benchmark/benchmark.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/face/anchors.hpp"
#include "percept/tasks/task.hpp"

namespace {

using namespace percept;

const std::string kModel = std::string(PERCEPT_SOURCE_DIR) +
                           "/third_party/blazeface/face_detection_front_128x128_barracuda.onnx";
const std::string kPhoto = "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png";

struct Fixture {
  OpenedTask det;
  Image frame;
  ImageView view;
  std::vector<std::vector<float>> outputs;  // one real run's outputs, copied
  std::vector<TensorView> views;

  std::span<const ImageView> frames() const { return {&view, 1}; }
  Fixture() {
    TaskConfig cfg;
    cfg.model_path = kModel;
    cfg.backend.intra_op_threads = 2;
    det = open_task(cfg);
    auto photo = read_image(kPhoto).value_or_throw();
    cv::Mat big;
    // The top 512x384 (4:3) of the photo, which holds the face, upscaled: a camera-like frame.
    cv::resize(mat_view(photo)(cv::Rect(0, 0, 512, 384)), big, {1280, 960}, 0, 0, cv::INTER_LINEAR);
    image_from_mat(big, frame).throw_if_error();
    view = frame.view();
    auto in = det->preprocess(frames()).value_or_throw();
    auto outs = det.backend->run(in).value_or_throw();
    for (const TensorView& o : outs) {
      outputs.emplace_back(o.as<const float>(), o.as<const float>() + o.numel());
      views.push_back({outputs.back().data(), o.dtype, o.shape});
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_FacePre_Percept(benchmark::State& st) {
  Fixture& f = fixture();
  for (auto _ : st) {
    auto in = f.det->preprocess(f.frames());
    if (!in) {
      st.SkipWithError(in.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(in->data());
    benchmark::ClobberMemory();
  }
}

// The letterbox alone (NCHW planes, no transpose): what the NHWC layout costs on top.
void BM_FacePre_LetterboxOnly(benchmark::State& st) {
  Fixture& f = fixture();
  const ImageView v = f.frame.view();
  const auto p = letterbox_params(v.width, v.height, 128, 128);
  Normalize n;
  n.scale = {2.f / 255, 2.f / 255, 2.f / 255};
  n.bias = {-1.f, -1.f, -1.f};
  n.pad_value = 0;
  std::vector<float> planes(3 * 128 * 128);
  for (auto _ : st) {
    letterbox_cpu(v, p, n, planes.data());
    benchmark::DoNotOptimize(planes.data());
    benchmark::ClobberMemory();
  }
}

void BM_FacePre_OpenCv(benchmark::State& st) {
  Fixture& f = fixture();
  cv::Mat src = mat_view(f.frame);
  const auto p = letterbox_params(src.cols, src.rows, 128, 128);
  cv::Mat resized, padded, rgb;
  std::vector<float> out(128 * 128 * 3);
  cv::Mat dst(128, 128, CV_32FC3, out.data());
  for (auto _ : st) {
    cv::resize(src, resized, {p.new_w, p.new_h}, 0, 0, cv::INTER_LINEAR);
    cv::copyMakeBorder(resized, padded, p.pad_top, 128 - p.new_h - p.pad_top, p.pad_left,
                       128 - p.new_w - p.pad_left, cv::BORDER_CONSTANT, {0, 0, 0});
    cv::cvtColor(padded, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(dst, CV_32FC3, 2.0 / 255, -1.0);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}

void BM_FacePost_Percept(benchmark::State& st) {
  Fixture& f = fixture();
  f.det->preprocess(f.frames()).value_or_throw();  // the letterbox geometry of this frame
  ModelOutput out;
  const Faces& faces = out.faces;
  for (auto _ : st) {
    if (Status s = f.det->postprocess(f.views, std::span<ModelOutput>(&out, 1)); !s) {
      st.SkipWithError(s.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(faces.data());
  }
  st.counters["faces"] = static_cast<double>(faces.size());
}

void BM_FacePost_OpenCv(benchmark::State& st) {
  Fixture& f = fixture();
  // The front model's anchors, as the face task makes them.
  const auto anchors = generate_ssd_anchors(blazeface_front_anchor_options());
  const auto p = letterbox_params(1280, 960, 128, 128);
  const float sx = 1280.f / static_cast<float>(p.new_w), sy = 960.f / static_cast<float>(p.new_h);
  const auto pl = static_cast<float>(p.pad_left), pt = static_cast<float>(p.pad_top);
  // The barracuda export's outputs: scores 512 / 384, regressors 512x16 / 384x16.
  const float* sc[2] = {f.outputs[0].data(), f.outputs[1].data()};
  const float* rg[2] = {f.outputs[2].data(), f.outputs[3].data()};
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  std::vector<int> keep;
  std::vector<std::array<float, 12>> kps;
  size_t faces = 0;
  for (auto _ : st) {
    boxes.clear();
    scores.clear();
    for (int part = 0, first = 0; part < 2; ++part) {
      const int rows = part == 0 ? 512 : 384;
      for (int i = 0; i < rows; ++i) {
        const float* r = rg[part] + i * 16;
        const Anchor& a = anchors[static_cast<size_t>(first + i)];
        scores.push_back(1.f / (1.f + std::exp(-std::clamp(sc[part][i], -100.f, 100.f))));
        const double cx = r[0] + a.x_center * 128, cy = r[1] + a.y_center * 128;
        boxes.emplace_back(cx - r[2] / 2, cy - r[3] / 2, r[2], r[3]);
      }
      first += rows;
    }
    cv::dnn::NMSBoxes(boxes, scores, 0.75f, 0.3f, keep);
    kps.resize(keep.size());
    for (size_t k = 0; k < keep.size(); ++k) {
      const auto i = static_cast<size_t>(keep[k]);
      const float* r = i < 512 ? rg[0] + i * 16 : rg[1] + (i - 512) * 16;
      for (int j = 0; j < 6; ++j) {
        kps[k][2 * j] = (r[4 + 2 * j] + anchors[i].x_center * 128 - pl) * sx;
        kps[k][2 * j + 1] = (r[5 + 2 * j] + anchors[i].y_center * 128 - pt) * sy;
      }
      cv::Rect2d& b = boxes[i];
      b = {(b.x - p.pad_left) * sx, (b.y - p.pad_top) * sy, b.width * sx, b.height * sy};
    }
    faces = keep.size();
    benchmark::DoNotOptimize(kps.data());
  }
  st.counters["faces"] = static_cast<double>(faces);
}

void BM_FaceInfer(benchmark::State& st) {
  Fixture& f = fixture();
  Backend& b = *f.det.backend;
  const auto in = f.det->preprocess(f.frames()).value_or_throw();
  for (auto _ : st) {
    auto outs = b.run(in);
    benchmark::DoNotOptimize(outs.ok());
  }
}

BENCHMARK(BM_FacePre_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FacePre_LetterboxOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FacePre_OpenCv)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FacePost_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FacePost_OpenCv)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FaceInfer)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
