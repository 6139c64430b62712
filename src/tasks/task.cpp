// The task skeleton (Task::run) and the ways in (open_task).
#include "percept/tasks/task.hpp"

#include <spdlog/spdlog.h>

#include "percept/core/clock.hpp"
#include "percept/core/trace.hpp"
#include "percept/infer/onnxruntime_backend.hpp"
#include "percept/tasks/task_registry.hpp"

namespace percept {

Task::Task(const TaskContext& ctx) : backend_(ctx.backend), cuda_stream_(ctx.cuda_stream) {
  const auto& ins = backend_.inputs();
  dynamic_batch_ = !ins.empty() && !ins[0].shape.empty() && ins[0].shape[0] < 0;
}

Status Task::run(std::span<const ImageView> frames, std::span<ModelOutput> outputs,
                 StageTimes* times) {
  if (outputs.size() < frames.size())
    return Error(ErrorCode::invalid_argument, model() + ": " + std::to_string(frames.size()) +
                                                  " frames but room for " +
                                                  std::to_string(outputs.size()) + " results");
  for (size_t i = 0; i < frames.size(); ++i)
    if (frames[i].empty())
      return Error(ErrorCode::invalid_argument,
                   name_ + ": frame " + std::to_string(i) + " is empty");
  StageTimes t;
  Status st;
  bool batch = dynamic_batch_ && !frames.empty();
  if (batch) {
    const InputSize first = input_size_for(frames[0].width, frames[0].height);
    for (size_t i = 1; batch && i < frames.size(); ++i) {
      const InputSize s = input_size_for(frames[i].width, frames[i].height);
      batch = s.width == first.width && s.height == first.height;
    }
  }
  if (batch) {
    st = run_batch(frames, outputs, t);
  } else {
    for (size_t i = 0; i < frames.size() && st.ok(); ++i)
      st = run_batch(frames.subspan(i, 1), outputs.subspan(i, 1), t);
  }
  if (times) *times = t;
  return st;
}

Status Task::run_batch(std::span<const ImageView> frames, std::span<ModelOutput> outputs,
                       StageTimes& t) {
  StageTrace trace("preprocess");
  const int64_t t0 = now_ns();
  auto inputs = preprocess(frames);
  if (!inputs) return inputs.error();
  const int64_t t1 = now_ns();
  trace.next("inference");
  auto outs = backend_.run(*inputs);
  if (!outs) return outs.error();
  const int64_t t2 = now_ns();
  trace.next("postprocess");
  std::span<ModelOutput> results = outputs.first(frames.size());
  Status st = postprocess(*outs, results);
  for (ModelOutput& r : results) r.contents = produces_;
  const int64_t t3 = now_ns();
  t.preprocess_ns += t1 - t0;
  t.inference_ns += t2 - t1;
  t.postprocess_ns += t3 - t2;
  return st;
}

std::unique_ptr<Task> open_task(const TaskContext& ctx, const TaskConfig& config) {
  const Backend& backend = ctx.backend;
  ModelConventions c =
      resolve_conventions(config.conventions, backend.model_path(), backend.metadata())
          .value_or_throw();
  if (c.task && c.source["task"] == "metadata") {
    const std::string meant = task_for_metadata(*c.task, backend).value_or_throw();
    if (meant.empty() || !find_task(meant)) {
      spdlog::info(
          "model '{}': metadata task '{}' is not a task percept runs on this model; telling "
          "the task from the tensor shapes",
          config.model_path, *c.task);
      c.task.reset();
    } else {
      c.task = meant;
    }
  }
  if (!c.task) {
    c.task = infer_task(backend).value_or_throw();
    c.source["task"] = "the tensor shapes";
  }
  const TaskSpec spec = find_task(*c.task).value_or_throw();
  std::unique_ptr<Task> task = spec.make(ctx, config, c);
  task->name_ = spec.name;
  task->produces_ = spec.produces;
  spdlog::info("model '{}': task {} ({}); {}", config.model_path, spec.name, c.origin("task"),
               task->description());
  return task;
}

gpu::ComputeStream open_stream(const std::string& device, std::string* why) {
  const std::optional<DeviceSpec> d = parse_device(device);
  if (!d || d->provider == "cpu") return {};
  return gpu::ComputeStream::on_cuda_device(d->id, why);
}

OpenedTask open_task(const TaskConfig& config, const BackendWrapper& wrap) {
  OpenedTask t;
  std::string why;
  t.stream = open_stream(config.backend.device, &why);
  BackendOptions options = config.backend;
  options.cuda_stream = t.stream.handle();
  t.backend = create_backend(config.model_path, options);
  if (wrap) t.backend = wrap(std::move(t.backend));
  if (!why.empty() && t.backend->accepts_device_inputs())
    spdlog::warn("model '{}': no stream of its own ({}); ONNX Runtime uses its own",
                 config.model_path, why);
  t.task = open_task(
      TaskContext{*t.backend, t.backend->accepts_device_inputs() ? t.stream.handle() : nullptr},
      config);
  return t;
}

}  // namespace percept
