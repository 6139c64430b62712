// open_task(): the one place where task kinds are registered (STYLE 3).
#include "percept/tasks/task.hpp"

#include <spdlog/spdlog.h>

#include "percept/tasks/classify/classify_task.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/detect/detector.hpp"
#include "percept/tasks/face/blazeface.hpp"
#include "percept/tasks/image_input.hpp"
#include "percept/tasks/segment/segment_task.hpp"

namespace percept {

const char* task_name(TaskKind k) {
  switch (k) {
    case TaskKind::detect:
      return "detect";
    case TaskKind::depth:
      return "depth";
    case TaskKind::segment:
      return "segment";
    case TaskKind::classify:
      return "classify";
    case TaskKind::face:
      return "face";
  }
  return "?";
}

Result<TaskKind> parse_task(const std::string& s) {
  for (TaskKind k :
       {TaskKind::detect, TaskKind::depth, TaskKind::segment, TaskKind::classify, TaskKind::face})
    if (s == task_name(k)) return k;
  return Error("unknown task '" + s + "' (known: detect, depth, segment, classify, face)");
}

void TaskOutput::clear() {
  detections.clear();
  depth.values.clear();
  depth.width = depth.height = 0;
  segmentation.classes.clear();
  segmentation.fractions.clear();
  segmentation.width = segmentation.height = 0;
  top.clear();
  faces.clear();
}

std::string Task::label(int class_id) const {
  if (class_id >= 0 && class_id < static_cast<int>(labels_.size())) return labels_[class_id];
  return "class_" + std::to_string(class_id);
}

Result<TaskKind> infer_task(const Backend& b) {
  const std::string model = "model '" + b.model_path() + "'";
  const std::string set =
      "; set `task:` (detect, depth, segment, classify or face) in the config or in the sidecar " +
      sidecar_path(b.model_path());
  if (b.inputs().size() != 1 || b.inputs()[0].shape.size() != 4)
    return Error(model + ": cannot tell its task: it takes " + std::to_string(b.inputs().size()) +
                 " inputs, not one image tensor" + set);
  const auto& outs = b.outputs();
  // BlazeFace-style SSD heads: regressors [B, N, 16] beside scores [B, N, 1].
  bool regressors = false, scores = false;
  for (const TensorInfo& o : outs) {
    if (o.shape.size() == 3 && o.shape[2] == 16) regressors = true;
    if (o.shape.size() == 3 && o.shape[2] == 1) scores = true;
  }
  if (outs.size() >= 2 && regressors && scores) return TaskKind::face;
  const TensorInfo& o = outs.at(0);
  const TensorInfo& in = b.inputs()[0];
  const std::string found = model + ": output '" + o.name + "' " + shape_str(o.shape);
  if (o.shape.size() == 2) return TaskKind::classify;
  if (o.shape.size() == 4 && o.shape[1] > 1) return TaskKind::segment;
  if (o.shape.size() == 4)
    return Error(found + " is one channel per pixel: a depth map or a binary mask" + set);
  if (o.shape.size() == 3) {
    // [B, H, W] with the input's own spatial dims (or the same symbolic names) is a depth map;
    // anything else of rank 3 is a YOLO head ([B, 4+nc, N] or [B, N, 5+nc]).
    auto same = [&](size_t od, size_t id) {
      if (o.shape[od] > 0) return o.shape[od] == in.shape[id];
      return in.shape[id] < 0 && od < o.dim_names.size() && id < in.dim_names.size() &&
             !o.dim_names[od].empty() && o.dim_names[od] == in.dim_names[id];
    };
    if (same(1, 2) && same(2, 3)) return TaskKind::depth;
    return TaskKind::detect;
  }
  return Error(found + " matches no task percept knows" + set);
}

namespace {

// The detect task is the Detector behind the Task interface.
class DetectTask final : public Task {
 public:
  explicit DetectTask(std::unique_ptr<Detector> d) : det_(std::move(d)) {
    labels_ = det_->labels();
  }
  TaskKind kind() const override { return TaskKind::detect; }
  bool dynamic_batch() const override { return det_->dynamic_batch(); }
  InputSize input_size() const override { return det_->input_size(); }
  const Backend& backend() const override { return det_->backend(); }
  Status run(std::span<const ImageView> frames, std::span<TaskOutput> outputs,
             StageTimes* times) override {
    if (outputs.size() < frames.size()) return Error("detect: fewer outputs than frames");
    dets_.resize(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) dets_[i].swap(outputs[i].detections);
    Status st = det_->detect(frames, dets_, times);
    for (size_t i = 0; i < frames.size(); ++i) dets_[i].swap(outputs[i].detections);
    return st;
  }
  void describe(const std::string& text) { description_ = text; }

 private:
  std::unique_ptr<Detector> det_;
  std::vector<Detections> dets_;  // the outputs' buffers, swapped in and out: no allocation
};

std::unique_ptr<Task> make_detect_task(std::unique_ptr<Backend> backend, const TaskConfig& cfg,
                                       const ModelConventions& c) {
  DetectorConfig d;
  d.model_path = cfg.model_path;
  d.backend = cfg.backend;
  d.decode.conf_threshold = cfg.conf.value_or(0.25f);
  d.decode.nms.iou_threshold = cfg.iou.value_or(0.45f);
  d.decode.nms.max_detections = cfg.max_det;
  d.decode.nms.class_agnostic = cfg.class_agnostic;
  if (c.output_layout) d.layout = parse_layout(*c.output_layout).value_or_throw();
  // Metadata imgsz only fills in symbolic dims (the Detector reads it itself); a size from the
  // config or the sidecar must match the tensor.
  if (c.input_size && c.origin("input_size") != "from metadata") d.input_size = c.input_size;
  if (c.labels) d.labels = c.labels;
  if (c.rgb || c.mean || c.std) d.normalize = make_normalize(c, {0, 0, 0}, {1, 1, 1}, true);
  auto task = std::make_unique<DetectTask>(std::make_unique<Detector>(std::move(backend), d));
  const InputSize s = task->input_size();
  task->describe("detect: input " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                 " letterbox, " + std::to_string(task->labels().size()) + " labels " +
                 c.origin("labels"));
  return task;
}

// The face task is the FaceDetector behind the Task interface.
class FaceTask final : public Task {
 public:
  FaceTask(std::unique_ptr<Backend> backend, const TaskConfig& cfg) {
    FaceConfig f;
    f.model_path = cfg.model_path;
    f.backend = cfg.backend;
    f.conf = cfg.conf.value_or(f.conf);
    f.iou = cfg.iou.value_or(f.iou);
    f.max_faces = static_cast<size_t>(cfg.max_det);
    det_ = std::make_unique<FaceDetector>(std::move(backend), f);
    const InputSize s = det_->input_size();
    description_ = "face: BlazeFace input " + std::to_string(s.width) + "x" +
                   std::to_string(s.height) + " letterbox, " +
                   std::to_string(det_->anchors().size()) + " anchors";
  }
  TaskKind kind() const override { return TaskKind::face; }
  bool dynamic_batch() const override { return false; }
  InputSize input_size() const override { return det_->input_size(); }
  const Backend& backend() const override { return det_->backend(); }
  Status run(std::span<const ImageView> frames, std::span<TaskOutput> outputs,
             StageTimes* times) override {
    if (outputs.size() < frames.size()) return Error("face: fewer outputs than frames");
    faces_.resize(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) faces_[i].swap(outputs[i].faces);
    Status st = det_->detect(frames, faces_, times);
    for (size_t i = 0; i < frames.size(); ++i) faces_[i].swap(outputs[i].faces);
    return st;
  }

 private:
  std::unique_ptr<FaceDetector> det_;
  std::vector<Faces> faces_;
};

}  // namespace

std::unique_ptr<Task> open_task(const TaskConfig& config) {
  return open_task(create_backend(config.model_path, config.backend), config);
}

std::unique_ptr<Task> open_task(std::unique_ptr<Backend> backend, const TaskConfig& config) {
  ModelConventions c =
      resolve_conventions(config.conventions, backend->model_path(), backend->metadata())
          .value_or_throw();
  TaskKind kind;
  if (c.task) {
    kind = parse_task(*c.task).value_or_throw();
  } else {
    kind = infer_task(*backend).value_or_throw();
    c.task = task_name(kind);
    c.source["task"] = "the tensor shapes";
  }
  std::unique_ptr<Task> task;
  switch (kind) {
    case TaskKind::detect:
      task = make_detect_task(std::move(backend), config, c);
      break;
    case TaskKind::depth:
      task = make_depth_task(std::move(backend), c);
      break;
    case TaskKind::segment:
      task = make_segment_task(std::move(backend), c, config.mask_threshold);
      break;
    case TaskKind::classify:
      task = make_classify_task(std::move(backend), c, config.top_k);
      break;
    case TaskKind::face:
      task = std::make_unique<FaceTask>(std::move(backend), config);
      break;
  }
  spdlog::info("model '{}': task {} ({}); {}", config.model_path, task_name(kind), c.origin("task"),
               task->description());
  return task;
}

}  // namespace percept
