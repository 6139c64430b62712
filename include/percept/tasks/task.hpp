// The `Task` plug-in point (ARCHITECTURE.md) and the one skeleton every task runs on:
//
//   run(frames) = for each batch of frames that share an input size:
//                   preprocess(frames) -> backend.run(inputs) -> postprocess(outputs)
//
// timed per stage (StageTimes, NVTX ranges) in one place, Task::run. A task implements the
// two hooks and says which results it fills (Content); it owns no thread, no backend and no
// stream: it borrows them from whoever opened it (TaskContext), the pipeline's Executor or a
// command's OpenedTask. Task kinds are registered in one place, tasks/task_registry.cpp.
//
// Threading: one Task per thread; it owns its input tensors and scratch buffers, so that after
// the first frames of a given size the frame path does not allocate.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/core/model_output.hpp"
#include "percept/core/stage_times.hpp"
#include "percept/core/tensor.hpp"
#include "percept/gpu/compute_stream.hpp"
#include "percept/infer/backend.hpp"
#include "percept/infer/model_conventions.hpp"

namespace percept {

// Everything a task's options can say; each task reads the fields that concern it. One struct
// for every task, from the pipeline config or the CLI flags.
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

// What a task borrows from its owner: the model's backend and, on a GPU, the stream the
// backend runs on (null otherwise). Both outlive the task.
struct TaskContext {
  Backend& backend;
  void* cuda_stream = nullptr;  // cudaStream_t shared with ONNX Runtime, or null
};

class Task {
 public:
  virtual ~Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // The skeleton: results for each frame into outputs[i] (frames may differ in size). Frames
  // that map to the same input size run as one batch when the model's batch dimension is
  // symbolic, else frame by frame. Errors name the model and the tensor; nothing is thrown.
  Status run(std::span<const ImageView> frames, std::span<ModelOutput> outputs,
             StageTimes* times = nullptr);

  // The two hooks, public so that benchmarks can time each half. preprocess fills the model's
  // inputs (in Backend::inputs() order) from frames of one batch and keeps their geometry;
  // the views stay valid until the next preprocess. postprocess turns the backend's outputs
  // (in Backend::outputs() order) for those frames into results[i], in the frames' pixels.
  virtual Result<std::span<const TensorView>> preprocess(std::span<const ImageView> frames) = 0;
  virtual Status postprocess(std::span<const TensorView> outputs,
                             std::span<ModelOutput> results) = 0;

  // The network input size for a frame of w x h; frames with equal sizes can share a batch.
  virtual InputSize input_size_for(int /*w*/, int /*h*/) const { return input_size(); }
  virtual InputSize input_size() const = 0;
  bool dynamic_batch() const { return dynamic_batch_; }
  // Whether preprocess writes the inputs in GPU memory (on the context's stream).
  virtual bool preprocesses_on_gpu() const { return false; }
  // Whether the depth maps it fills are in metres (known when it opens); false for relative
  // depth and for tasks without depth. 3D positions need metric depth.
  virtual bool metric_depth() const { return false; }

  // The registry name ("detect") and the results the task fills (set by open_task).
  const std::string& name() const { return name_; }
  Content produces() const { return produces_; }
  const Backend& backend() const { return backend_; }
  // Class names (detect, segment, classify); empty when the model has none.
  const std::vector<std::string>& labels() const { return labels_; }
  std::string label(int class_id) const { return label_of(labels_, class_id); }
  // The conventions in use and where each came from, one line (logged at start-up).
  const std::string& description() const { return description_; }

 protected:
  explicit Task(const TaskContext& ctx);
  // "model 'x.onnx'", for messages.
  std::string model() const { return "model '" + backend_.model_path() + "'"; }

  Backend& backend_;
  void* cuda_stream_ = nullptr;
  bool dynamic_batch_ = false;  // default: the first input's batch dimension is symbolic
  std::vector<std::string> labels_;
  std::string description_;

 private:
  friend std::unique_ptr<Task> open_task(const TaskContext&, const TaskConfig&);
  Status run_batch(std::span<const ImageView> frames, std::span<ModelOutput> outputs,
                   StageTimes& t);
  std::string name_;
  Content produces_ = Content::none;
};

// The one way in for a borrowed backend (the pipeline's Executor): resolves the model's
// conventions (config, sidecar, metadata, shapes; model_conventions.hpp), picks the task from
// the registry and creates it. Throws percept::Error naming the file, and when the task cannot
// be told from the model, what was found and what to set.
std::unique_ptr<Task> open_task(const TaskContext& ctx, const TaskConfig& config);

// A task with the backend and stream it runs on, for the commands that own a model without an
// executor (`percept infer`, `bench`, `tune`, tests). Members are destroyed task first.
struct OpenedTask {
  gpu::ComputeStream stream;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Task> task;
  Task* operator->() const { return task.get(); }
  Task& operator*() const { return *task; }
};

// The stream a model on `device` ("cpu", "cuda[:N]", "tensorrt[:N]") runs on: a CUDA stream on a
// GPU device in a CUDA build (gpu::ComputeStream::on_cuda_device), none for the CPU or an
// unknown device (the backend reports that). Without a usable GPU it is empty and `why` says why.
gpu::ComputeStream open_stream(const std::string& device, std::string* why = nullptr);

// Wraps a freshly created backend (fault-injection tests), or empty.
using BackendWrapper = std::function<std::unique_ptr<Backend>(std::unique_ptr<Backend>)>;

// The one way in for everything else, and what the Executor calls: a stream for GPU devices
// (CUDA builds), the backend on that stream (passed through `wrap` when set), then open_task.
// Throws percept::Error.
OpenedTask open_task(const TaskConfig& config, const BackendWrapper& wrap = {});

}  // namespace percept
