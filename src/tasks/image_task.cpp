#include "image_task.hpp"

namespace percept {

ImageTask::ImageTask(const TaskContext& ctx, const ModelConventions& c, ResizeMode default_resize,
                     const Normalize& norm, const char* task)
    : Task(ctx), input_(backend_.model_path(), backend_.inputs().at(0), c, default_resize, norm) {
  if (backend_.inputs().size() != 1)
    throw Error(ErrorCode::model, model() + " has " + std::to_string(backend_.inputs().size()) +
                                      " inputs; the " + task + " task feeds one image tensor");
  if (backend_.outputs().empty()) throw Error(ErrorCode::model, model() + " has no outputs");
}

Error ImageTask::output_error(const TensorView& out, const std::string& expected) const {
  return Error(ErrorCode::model, model() + ": output '" + backend_.outputs()[0].name + "' is " +
                                     dtype_name(out.dtype) + " " + shape_str(out.shape) +
                                     "; expected " + expected);
}

Result<std::span<const TensorView>> ImageTask::preprocess(std::span<const ImageView> frames) {
  if (Status st = input_.fill(frames, tensor_, params_); !st) return st.error();
  view_ = tensor_.view();
  return std::span<const TensorView>(&view_, 1);
}

Status ImageTask::postprocess(std::span<const TensorView> outputs, std::span<ModelOutput> results) {
  if (outputs.empty()) return Error(ErrorCode::model, model() + ": the backend returned no output");
  const TensorView& o = outputs[0];
  if (o.shape.empty() || o.shape[0] != static_cast<int64_t>(results.size()))
    return output_error(o, "a batch of " + std::to_string(results.size()));
  if (params_.size() < results.size())
    return Error(ErrorCode::invalid_argument,
                 model() + ": postprocess without a matching preprocess");
  return read_output(o, params_, results);
}

}  // namespace percept
