// The task registry (STYLE 3): the one place that knows which task kinds exist. The built-in
// tasks are listed in task_registry.cpp; a program (or a test) adds its own with register_task
// before opening models. Nothing outside the registry looks at a task's name to decide
// anything: consumers read ModelOutput::contents.
//
// Thread-safety: register_task, find_task and task_names may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/infer/backend.hpp"
#include "percept/infer/model_conventions.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

struct TaskSpec {
  std::string name;  // the `task:` value in configs, sidecars and metadata ("detect")
  Content produces = Content::none;
  // Creates the task on a borrowed backend with resolved conventions. Throws percept::Error
  // naming the model and the tensor when the model does not fit the task.
  std::function<std::unique_ptr<Task>(const TaskContext&, const TaskConfig&,
                                      const ModelConventions&)>
      make;
};

// Adds a task kind; a name already registered is replaced (a program may override a built-in).
void register_task(TaskSpec spec);
// The registered task of that name, or an error listing the known ones.
Result<TaskSpec> find_task(const std::string& name);
std::vector<std::string> task_names();  // registration order, built-ins first

// The task a model's tensors imply, for models that do not say (no task in config, sidecar or
// metadata): one of the built-in names. Errors say what was found and which key to set.
Result<std::string> infer_task(const Backend& backend);

// The task percept runs for a task named in a model's metadata (Ultralytics writes detect,
// segment, pose, obb, classify). Ultralytics' "segment" is instance segmentation when the model
// has a YOLO head (rank-3 first output) beside a second output, percept's "instance_segment";
// without one it is the per-pixel "segment". "pose" is percept's pose on a single rank-3
// output, and "" (tell the task from the tensor shapes) on anything else. obb on a YOLO head is
// refused as not supported (yet), rather than read as a detector with too many classes. Any
// other name is returned as it is.
Result<std::string> task_for_metadata(const std::string& task, const Backend& backend);

}  // namespace percept
