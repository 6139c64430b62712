#include "image_task.hpp"

#include "percept/core/clock.hpp"
#include "percept/core/trace.hpp"

namespace percept {

ImageTask::ImageTask(std::unique_ptr<Backend> backend, const ModelConventions& c,
                     ResizeMode default_resize, const Normalize& norm, const char* task)
    : backend_(std::move(backend)),
      input_(backend_->model_path(), backend_->inputs().at(0), c, default_resize, norm) {
  if (backend_->inputs().size() != 1)
    throw Error(model() + " has " + std::to_string(backend_->inputs().size()) + " inputs; the " +
                task + " task feeds one image tensor");
  if (backend_->outputs().empty()) throw Error(model() + " has no outputs");
  dynamic_batch_ = backend_->inputs()[0].shape[0] < 0;
}

Error ImageTask::output_error(const TensorView& out, const std::string& expected) const {
  return Error(model() + ": output '" + backend_->outputs()[0].name + "' is " +
               dtype_name(out.dtype) + " " + shape_str(out.shape) + "; expected " + expected);
}

Status ImageTask::run(std::span<const ImageView> frames, std::span<TaskOutput> outputs,
                      StageTimes* times) {
  if (outputs.size() < frames.size())
    return Error(model() + ": " + std::to_string(frames.size()) + " frames but room for " +
                 std::to_string(outputs.size()) + " results");
  StageTimes t;
  Status st;
  bool batch = dynamic_batch_ && !frames.empty();
  for (size_t i = 1; batch && i < frames.size(); ++i) {
    const InputSize a = input_.size_for(frames[i].width, frames[i].height);
    const InputSize b = input_.size_for(frames[0].width, frames[0].height);
    batch = a.width == b.width && a.height == b.height;
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

Status ImageTask::run_batch(std::span<const ImageView> frames, std::span<TaskOutput> outputs,
                            StageTimes& t) {
  StageTrace trace("preprocess");
  const int64_t t0 = now_ns();
  if (Status st = input_.fill(frames, tensor_, params_); !st) return st;
  const int64_t t1 = now_ns();
  trace.next("inference");
  TensorView in = tensor_.view();
  auto outs = backend_->run(std::span<const TensorView>(&in, 1));
  if (!outs) return outs.error();
  const int64_t t2 = now_ns();
  trace.next("postprocess");
  const TensorView& o = (*outs)[0];
  if (o.shape.empty() || o.shape[0] != static_cast<int64_t>(frames.size()))
    return output_error(o, "a batch of " + std::to_string(frames.size()));
  Status st = read_output(o, params_, outputs.first(frames.size()));
  const int64_t t3 = now_ns();
  t.preprocess_ns += t1 - t0;
  t.inference_ns += t2 - t1;
  t.postprocess_ns += t3 - t2;
  return st;
}

}  // namespace percept
