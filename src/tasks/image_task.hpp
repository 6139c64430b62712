// Shared skeleton of the image-in tasks (depth, segment, classify): batching, input filling,
// inference and stage timing. A subclass checks its output tensor and turns it into results.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "percept/tasks/image_input.hpp"
#include "percept/tasks/task.hpp"

namespace percept {

class ImageTask : public Task {
 public:
  ImageTask(std::unique_ptr<Backend> backend, const ModelConventions& c, ResizeMode default_resize,
            const Normalize& norm, const char* task);

  bool dynamic_batch() const override { return dynamic_batch_; }
  InputSize input_size() const override { return input_.nominal_size(); }
  const Backend& backend() const override { return *backend_; }
  // One batch when the model and the frame sizes allow it, else frame by frame.
  Status run(std::span<const ImageView> frames, std::span<TaskOutput> outputs,
             StageTimes* times) override;

 protected:
  // Results of one batch: `out` is the model's first output for frames.size() images whose
  // geometry is in params. Errors name the tensor (use output_error()).
  virtual Status read_output(const TensorView& out, std::span<const LetterboxParams> params,
                             std::span<TaskOutput> outputs) = 0;
  std::string model() const { return "model '" + backend_->model_path() + "'"; }
  Error output_error(const TensorView& out, const std::string& expected) const;

  std::unique_ptr<Backend> backend_;
  ImageInput input_;

 private:
  Status run_batch(std::span<const ImageView> frames, std::span<TaskOutput> outputs, StageTimes& t);
  bool dynamic_batch_ = false;
  Tensor tensor_;
  std::vector<LetterboxParams> params_;
};

}  // namespace percept
