#include "percept/tasks/classify/classify_task.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../image_task.hpp"

namespace percept {

void top_k_softmax(const float* scores, int classes, int k, ClassScores& out,
                   std::vector<float>& probs) {
  out.clear();
  if (classes <= 0 || k <= 0) return;
  probs.assign(scores, scores + classes);
  // Non-finite logits (a broken export, fp16 overflow): NaN ranks below every class, +Inf
  // becomes the largest float so the softmax stays finite. Nothing usable: no scores at all.
  bool any = false;
  for (float& v : probs) {
    if (std::isnan(v)) v = -std::numeric_limits<float>::infinity();
    if (v == std::numeric_limits<float>::infinity()) v = std::numeric_limits<float>::max();
    any = any || std::isfinite(v);
  }
  if (!any) return;
  bool already = true;
  double sum = 0;
  for (float v : probs) {
    already = already && v >= 0.f && v <= 1.f;
    sum += v;
  }
  if (!already || std::abs(sum - 1.0) > 1e-3) {
    const float mx = *std::max_element(probs.begin(), probs.end());
    double z = 0;
    for (float& v : probs) {
      v = std::exp(v - mx);  // shifted: no overflow for large logits
      z += v;
    }
    for (float& v : probs) v = static_cast<float>(v / z);
  }
  const int n = std::min(k, classes);
  for (int c = 0; c < classes; ++c) {
    const ClassScore s{c, probs[static_cast<size_t>(c)]};
    if (static_cast<int>(out.size()) == n && !(s.score > out.back().score)) continue;
    auto at = std::upper_bound(
        out.begin(), out.end(), s,
        [](const ClassScore& a, const ClassScore& b) { return a.score > b.score; });
    if (static_cast<int>(out.size()) == n) out.pop_back();
    out.insert(at, s);
  }
}

namespace {

class ClassifyTask final : public ImageTask {
 public:
  ClassifyTask(const TaskContext& ctx, const ModelConventions& c, int top_k)
      : ImageTask(ctx, c, ResizeMode::stretch,
                  make_normalize(c, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true),
                  "classify"),
        top_k_(top_k) {
    const TensorInfo& out = backend_.outputs()[0];
    if (out.dtype != DType::f32 || out.shape.size() != 2)
      throw Error(ErrorCode::model, model() + ": output '" + out.name + "' is " +
                                        dtype_name(out.dtype) + " " + shape_str(out.shape) +
                                        "; the classify task reads float32 [B, C]");
    if (c.labels) labels_ = *c.labels;
    description_ = "classify: " + input_.describe() + ", top " + std::to_string(top_k) +
                   ", labels " + c.origin("labels");
  }

 protected:
  Status read_output(const TensorView& o, std::span<const LetterboxParams>,
                     std::span<ModelOutput> outputs) override {
    if (o.dtype != DType::f32 || o.shape.size() != 2 || o.shape[1] < 1)
      return output_error(o, "float32 [B, C]");
    const int classes = static_cast<int>(o.shape[1]);
    for (size_t i = 0; i < outputs.size(); ++i)
      top_k_softmax(o.as<float>() + i * static_cast<size_t>(classes), classes, top_k_,
                    outputs[i].classes, probs_);
    return {};
  }

 private:
  int top_k_ = 5;
  std::vector<float> probs_;
};

}  // namespace

std::unique_ptr<Task> make_classify_task(const TaskContext& ctx, const TaskConfig& config,
                                         const ModelConventions& conventions) {
  return std::make_unique<ClassifyTask>(ctx, conventions, config.top_k);
}

}  // namespace percept
