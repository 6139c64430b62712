// The `Task` plug-in point (ARCHITECTURE.md): a model with its conventions resolved, turning
// frames into results in the frames' own pixels. One implementation per task kind (detect,
// depth, segment, classify, face), created in one place by open_task().
//
// Threading: one Task per thread; it owns its input tensor and scratch buffers, so that after
// the first frames of a given size the frame path does not allocate.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/infer/backend.hpp"
#include "percept/infer/model_conventions.hpp"
#include "percept/tasks/classify/class_scores.hpp"
#include "percept/tasks/depth/depth_map.hpp"
#include "percept/tasks/face/face.hpp"
#include "percept/tasks/segment/segmentation_map.hpp"
#include "percept/tasks/stage_times.hpp"

namespace percept {

enum class TaskKind { detect, depth, segment, classify, face };
const char* task_name(TaskKind k);
Result<TaskKind> parse_task(const std::string& s);

// What a task produced for one frame. Only the member of the task's kind is filled; the
// others stay empty. Kept whole (not a variant) so that pooled frames reuse every buffer.
struct TaskOutput {
  Detections detections;         // detect
  DepthMap depth;                // depth
  SegmentationMap segmentation;  // segment
  ClassScores top;               // classify
  Faces faces;                   // face
  void clear();                  // keeps capacity
};

struct TaskConfig {
  std::string model_path;
  BackendOptions backend;
  // From the pipeline config or CLI flags: wins over the sidecar, the metadata and the shapes.
  ModelConventions conventions;
  std::optional<float> conf;  // detect: 0.25, face: 0.75
  std::optional<float> iou;   // NMS IoU; detect: 0.45, face: 0.3
  int max_det = 300;          // detect, face
  bool class_agnostic = false;
  int top_k = 5;                // classify
  float mask_threshold = 0.5f;  // segment, single-channel output: sigmoid(logit) > this
};

class Task {
 public:
  virtual ~Task() = default;
  virtual TaskKind kind() const = 0;
  // Results for each frame into outputs[i] (frames may differ in size). A model with a
  // symbolic batch dimension gets the frames in one batch, one fixed at 1 frame by frame.
  // Errors name the model and the tensor; nothing is thrown.
  virtual Status run(std::span<const ImageView> frames, std::span<TaskOutput> outputs,
                     StageTimes* times = nullptr) = 0;
  virtual bool dynamic_batch() const = 0;
  virtual InputSize input_size() const = 0;
  virtual const Backend& backend() const = 0;
  // Class names (detect, segment, classify); empty when the model has none.
  const std::vector<std::string>& labels() const { return labels_; }
  // The label of a class id, "class_<id>" when the model has no name for it.
  std::string label(int class_id) const;
  // The conventions in use and where each came from, one line (logged at start-up).
  const std::string& description() const { return description_; }

 protected:
  std::vector<std::string> labels_;
  std::string description_;
};

// Loads the model, resolves its conventions (config, sidecar, metadata, shapes; see
// model_conventions.hpp) and creates the task. Throws percept::Error naming the file, and when
// the task cannot be told from the model, what was found and what to set.
std::unique_ptr<Task> open_task(const TaskConfig& config);
std::unique_ptr<Task> open_task(std::unique_ptr<Backend> backend, const TaskConfig& config);

// The task a model's tensors imply, for models that do not say (no task in config, sidecar or
// metadata). Errors say what was found and which key to set.
Result<TaskKind> infer_task(const Backend& backend);

}  // namespace percept
