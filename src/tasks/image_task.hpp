// The hooks of the image-in tasks (depth, segment, classify) on the Task skeleton: the frame
// goes through ImageInput (resize, colour order, normalisation, layout) into the model's one
// input tensor; a subclass checks the first output tensor and turns it into results.
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
  ImageTask(const TaskContext& ctx, const ModelConventions& c, ResizeMode default_resize,
            const Normalize& norm, const char* task);

  InputSize input_size() const override { return input_.nominal_size(); }
  InputSize input_size_for(int w, int h) const override { return input_.size_for(w, h); }
  Result<std::span<const TensorView>> preprocess(std::span<const ImageView> frames) override;
  Status postprocess(std::span<const TensorView> outputs, std::span<ModelOutput> results) override;

 protected:
  // Results of one batch: `out` is the model's first output for results.size() images whose
  // geometry is in params. Errors name the tensor (use output_error()).
  virtual Status read_output(const TensorView& out, std::span<const LetterboxParams> params,
                             std::span<ModelOutput> outputs) = 0;
  Error output_error(const TensorView& out, const std::string& expected) const;

  ImageInput input_;

 private:
  Tensor tensor_;
  TensorView view_;
  std::vector<LetterboxParams> params_;
};

}  // namespace percept
