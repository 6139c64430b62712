// The face task: MediaPipe BlazeFace (front 128x128 or back 256x256), running
// letterbox -> inference -> anchor decode + weighted NMS -> faces in frame pixels.
//
// Conventions are MediaPipe's face_detection graphs (face_detection_short_range.pbtxt and
// face_detection_back.pbtxt): keep-aspect letterbox, centred, black border; RGB in [-1, 1];
// 896 SSD anchors of fixed size 1; regressors [dx, dy, w, h, kx0, ky0, ... kx5, ky5] in input
// pixels relative to the anchor centre; sigmoid scores with logits clipped to +-100; weighted
// NMS (IoU, threshold 0.3). docs/FACE.md has the model's tensors and the sources.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "percept/core/image.hpp"
#include "percept/core/tensor.hpp"
#include "percept/infer/backend.hpp"
#include "percept/infer/model_metadata.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/face/anchors.hpp"
#include "percept/tasks/face/face.hpp"
#include "percept/tasks/stage_times.hpp"

namespace percept {

// Turns one image's raw outputs into face candidates in network-input pixels, appended to
// `out` in anchor order. logits: [N]; regressors: [N, 16] row-major; anchors: N of them.
// A candidate needs sigmoid(clamp(logit, -score_clipping, +score_clipping)) >= conf.
// Non-finite logits or boxes are skipped. Allocates only when `out` grows.
void decode_blazeface(std::span<const float> logits, std::span<const float> regressors,
                      std::span<const Anchor> anchors, InputSize input, float conf,
                      float score_clipping, Faces& out);

// Buffers weighted_nms reuses between calls, so that steady-state NMS does not allocate.
struct WeightedNmsScratch {
  std::vector<uint32_t> remaining;
  std::vector<uint32_t> next;
};

// MediaPipe's NonMaxSuppressionCalculator with algorithm WEIGHTED and overlap_type
// INTERSECTION_OVER_UNION: take the best remaining candidate, cluster every remaining candidate
// whose IoU with it is > iou_threshold (strictly, as MediaPipe; the best one is in its own
// cluster), and output the score-weighted mean of the cluster's box corners and keypoints with
// the best one's score. Repeats until no candidate is left or max_faces are out. Ties in score
// keep input order, so the result is deterministic. `out` is cleared first.
void weighted_nms(std::span<const Face> candidates, float iou_threshold, size_t max_faces,
                  Faces& out, WeightedNmsScratch& scratch);
// The same with a scratch of its own (allocates every call: tests, one-off use).
void weighted_nms(std::span<const Face> candidates, float iou_threshold, size_t max_faces,
                  Faces& out);

struct FaceConfig {
  std::string model_path;
  BackendOptions backend;
  float conf = 0.75f;      // minimum score (MediaPipe's graphs use 0.5; keijiro's Unity port 0.75)
  float iou = 0.3f;        // weighted NMS clustering threshold (MediaPipe's)
  size_t max_faces = 100;  // per frame, best first
};

class FaceDetector {
 public:
  // Loads the model and checks its tensors. Throws percept::Error naming the file.
  static std::unique_ptr<FaceDetector> open(const FaceConfig& config);
  // Uses an already loaded backend (benchmarks, tests). Throws percept::Error naming the model
  // and the tensor when they are not a BlazeFace's: one float32 image input [1, S, S, 3] (NHWC,
  // the barracuda export) or [1, 3, S, S] with S 128 (front anchors) or 256 (back anchors), and
  // score [1, n, 1] + regressor [1, n, 16] outputs, whole or split per feature map.
  FaceDetector(std::unique_ptr<Backend> backend, const FaceConfig& config);

  // Detects faces in each frame; results[i] gets the faces of frames[i] in its own pixels, best
  // first. The model is fixed at batch 1, so frames run one by one. Boxes are clipped to the
  // frame; keypoints are not (an ear may lie outside it). Errors name the model and the tensor;
  // nothing is thrown. No heap allocation once warm (results[i] keeps its capacity). One
  // caller thread per FaceDetector.
  Status detect(std::span<const ImageView> frames, std::span<Faces> results,
                StageTimes* times = nullptr);

  InputSize input_size() const { return size_; }
  const Backend& backend() const { return *backend_; }
  const std::vector<Anchor>& anchors() const { return anchors_; }

  // The two halves of detect() around inference, public for the benchmark: preprocess fills the
  // input tensor from one frame; postprocess turns the outputs (in the backend's output order)
  // into faces in that frame's pixels.
  Status preprocess(const ImageView& frame);
  Status postprocess(std::span<const TensorView> outputs, Faces& faces);
  const Tensor& input() const { return input_; }

 private:
  struct OutputPair {  // one feature map's outputs, in anchor order
    size_t scores = 0, regressors = 0, rows = 0;
  };

  std::unique_ptr<Backend> backend_;
  FaceConfig config_;
  InputSize size_;
  bool nhwc_ = true;
  std::vector<OutputPair> pairs_;
  std::vector<Anchor> anchors_;
  Normalize norm_;
  LetterboxParams params_;
  std::vector<float> planes_;  // letterbox output, NCHW, before the NHWC transpose
  Tensor input_;
  Faces candidates_;
  WeightedNmsScratch nms_;
};

}  // namespace percept
