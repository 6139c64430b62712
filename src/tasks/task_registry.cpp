// The task registry: the built-in task kinds, one line each, and infer_task (STYLE 3). This is
// the only file that knows the task names.
#include "percept/tasks/task_registry.hpp"

#include <mutex>

#include "percept/tasks/classify/classify_task.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/detect/detect_task.hpp"
#include "percept/tasks/face/blazeface.hpp"
#include "percept/tasks/segment/segment_task.hpp"

namespace percept {

namespace {

struct Registry {
  std::mutex mu;
  std::vector<TaskSpec> specs{
      {"detect", Content::detections, make_detect_task},
      {"depth", Content::depth, make_depth_task},
      {"segment", Content::segmentation, make_segment_task},
      {"classify", Content::classes, make_classify_task},
      {"face", Content::faces, make_face_task},
      {"instance_segment", Content::detections | Content::masks, make_instance_segment_task},
      {"pose", Content::detections | Content::keypoints, make_pose_task},
  };
};

Registry& registry() {
  static Registry r;
  return r;
}

// YOLOv8-seg: a rank-3 head and rank-4 prototypes [B, nm, mh, mw].
bool yolo_with_prototypes(const Backend& b) {
  const auto& outs = b.outputs();
  return outs.size() == 2 && outs[0].shape.size() == 3 && outs[1].shape.size() == 4;
}

std::string joined_names(const std::vector<TaskSpec>& specs) {
  std::string s;
  for (const TaskSpec& t : specs) s += (s.empty() ? "" : ", ") + t.name;
  return s;
}

}  // namespace

void register_task(TaskSpec spec) {
  Registry& r = registry();
  const std::lock_guard lock(r.mu);
  for (TaskSpec& t : r.specs)
    if (t.name == spec.name) {
      t = std::move(spec);
      return;
    }
  r.specs.push_back(std::move(spec));
}

Result<TaskSpec> find_task(const std::string& name) {
  Registry& r = registry();
  const std::lock_guard lock(r.mu);
  for (const TaskSpec& t : r.specs)
    if (t.name == name) return t;
  return Error(ErrorCode::invalid_argument,
               "unknown task '" + name + "' (known: " + joined_names(r.specs) + ")");
}

std::vector<std::string> task_names() {
  Registry& r = registry();
  const std::lock_guard lock(r.mu);
  std::vector<std::string> names;
  for (const TaskSpec& t : r.specs) names.push_back(t.name);
  return names;
}

Result<std::string> infer_task(const Backend& b) {
  const std::string model = "model '" + b.model_path() + "'";
  const std::string set =
      "; set `task:` (detect, depth, segment, classify, face or instance_segment) in the config "
      "or in the sidecar " +
      sidecar_path(b.model_path());
  if (b.inputs().size() != 1 || b.inputs()[0].shape.size() != 4)
    return Error(ErrorCode::model, model + ": cannot tell its task: it takes " +
                                       std::to_string(b.inputs().size()) +
                                       " inputs, not one image tensor" + set);
  const auto& outs = b.outputs();
  // BlazeFace-style SSD heads: regressors [B, N, 16] beside scores [B, N, 1].
  bool regressors = false, scores = false;
  for (const TensorInfo& o : outs) {
    if (o.shape.size() == 3 && o.shape[2] == 16) regressors = true;
    if (o.shape.size() == 3 && o.shape[2] == 1) scores = true;
  }
  if (outs.size() >= 2 && regressors && scores) return std::string("face");
  if (yolo_with_prototypes(b)) return std::string("instance_segment");
  const TensorInfo& o = outs.at(0);
  const TensorInfo& in = b.inputs()[0];
  const std::string found = model + ": output '" + o.name + "' " + shape_str(o.shape);
  if (o.shape.size() == 2) return std::string("classify");
  if (o.shape.size() == 4 && o.shape[1] > 1) return std::string("segment");
  if (o.shape.size() == 4)
    return Error(ErrorCode::model,
                 found + " is one channel per pixel: a depth map or a binary mask" + set);
  if (o.shape.size() == 3) {
    // [B, H, W] with the input's own spatial dims (or the same symbolic names) is a depth map;
    // anything else of rank 3 is a YOLO head ([B, 4+nc, N] or [B, N, 5+nc]).
    auto same = [&](size_t od, size_t id) {
      if (o.shape[od] > 0) return o.shape[od] == in.shape[id];
      return in.shape[id] < 0 && od < o.dim_names.size() && id < in.dim_names.size() &&
             !o.dim_names[od].empty() && o.dim_names[od] == in.dim_names[id];
    };
    if (same(1, 2) && same(2, 3)) return std::string("depth");
    return std::string("detect");
  }
  return Error(ErrorCode::model, found + " matches no task percept knows" + set);
}

Result<std::string> task_for_metadata(const std::string& task, const Backend& b) {
  // A YOLO head (rank 3) beside a second output: the instance task then checks the prototypes
  // and names what is wrong with them, rather than the per-pixel task failing on the head.
  const auto& outs = b.outputs();
  if (task == "segment" && outs.size() == 2 && outs[0].shape.size() == 3)
    return std::string("instance_segment");
  // An OBB head would otherwise be read as a detector with too many classes; any other model
  // keeps the fallback to the tensor shapes (open_task).
  if (task == "pose" && !(outs.size() == 1 && outs[0].shape.size() == 3))
    return std::string();  // not a YOLO pose head: open_task tells the task from the shapes
  if (task == "obb" && !outs.empty() && outs[0].shape.size() == 3)
    return Error(ErrorCode::not_supported, "model '" + b.model_path() +
                                               "': its metadata says task 'obb'; percept does "
                                               "not run YOLO oriented boxes yet");
  return task;
}

}  // namespace percept
