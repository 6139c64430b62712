// The detect task: a YOLO-family model with its conventions resolved, running
// letterbox -> inference -> decode + NMS -> boxes in frame pixels.
//
// Conventions come from, in order: the DetectorConfig, the model's ONNX metadata (Ultralytics'
// names / imgsz), the tensor shapes. What cannot be resolved is an error that says which key
// to set. One Detector per thread (it owns its input tensor and scratch buffers).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/core/image.hpp"
#include "percept/core/tensor.hpp"
#include "percept/infer/backend.hpp"
#include "percept/infer/model_metadata.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/stage_times.hpp"

namespace percept {

struct DetectorConfig {
  std::string model_path;
  BackendOptions backend;
  DecodeOptions decode;
  std::optional<YoloLayout> layout;                // default: from the output shape
  std::optional<std::string> labels_file;          // default: the model's `names` metadata
  std::optional<std::vector<std::string>> labels;  // wins over labels_file (sidecar, config)
  std::optional<Normalize> normalize;              // default: RGB, pixel / 255 (YOLO)
  std::optional<InputSize> input_size;             // default: the model's input dims, then `imgsz`
};

class Detector {
 public:
  // Loads the model and resolves its conventions. Throws percept::Error naming the file.
  static std::unique_ptr<Detector> open(const DetectorConfig& config);
  // Uses an already loaded backend (benchmarks, tests).
  Detector(std::unique_ptr<Backend> backend, const DetectorConfig& config);
  ~Detector();

  // Detects objects in each frame; results[i] gets the boxes of frames[i] in its own pixels.
  // A model with a symbolic batch dimension gets all frames in one batch, a model fixed at
  // batch 1 runs frame by frame. Errors name the model and the tensor; nothing is thrown.
  Status detect(std::span<const ImageView> frames, std::span<Detections> results,
                StageTimes* times = nullptr);

  const std::vector<std::string>& labels() const { return labels_; }
  // The label of a class id, "class_<id>" when the model has no name for it.
  std::string label(int class_id) const;
  InputSize input_size() const { return size_; }
  bool dynamic_batch() const { return dynamic_batch_; }
  const Backend& backend() const { return *backend_; }
  // Whether frames are letterboxed on the GPU (CUDA builds, a model running on CUDA device 0).
  bool preprocesses_on_gpu() const { return gpu_ != nullptr; }

 private:
  Status run_batch(std::span<const ImageView> frames, std::span<Detections> results, StageTimes& t);

  std::unique_ptr<Backend> backend_;
  DetectorConfig config_;
  std::vector<std::string> labels_;
  InputSize size_;
  bool dynamic_batch_ = false;
  int num_classes_hint_ = 0;
  std::optional<LayoutInfo> layout_;
  Shape layout_shape_;  // output shape layout_ was decided for
  Normalize norm_;
  Tensor input_;
  std::vector<LetterboxParams> params_;
  YoloDecoder decoder_;
  struct Gpu;  // the GPU preprocessing (detector.cpp); null: letterbox on the CPU
  std::unique_ptr<Gpu> gpu_;
};

}  // namespace percept
