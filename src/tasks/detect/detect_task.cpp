#include "percept/tasks/detect/detect_task.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "percept/infer/model_metadata.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/detect/mask_assembly.hpp"
#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/image_input.hpp"

#ifdef PERCEPT_HAVE_CUDA
#include "percept/preprocess/cuda/gpu_letterbox.hpp"
#endif

namespace percept {

namespace {

// What the head gives per anchor beyond box and class scores.
enum class YoloHead {
  boxes,      // detect
  masks,      // instance segmentation: nm mask coefficients, prototypes in the second output
  keypoints,  // pose: K keypoints of D values (x, y[, visibility]), kpt_shape [K, D]
};

// "[17, 3]" -> {17, 3}; K >= 1 and D in {2, 3}, else nothing.
std::optional<std::pair<int, int>> parse_kpt_shape(const std::string& s) {
  int k = 0, d = 0;
  char open = 0, comma = 0, close = 0;
  if (std::sscanf(s.c_str(), " %c %d %c %d %c", &open, &k, &comma, &d, &close) != 5 ||
      open != '[' || comma != ',' || close != ']' || k < 1 || k > 1000 || (d != 2 && d != 3))
    return std::nullopt;
  return std::pair<int, int>{k, d};
}

// The YOLO family on one skeleton: letterbox, decode + NMS, then whatever the head adds per
// kept detection.
class DetectTask final : public Task {
 public:
  DetectTask(const TaskContext& ctx, const TaskConfig& cfg, const ModelConventions& c,
             YoloHead head = YoloHead::boxes);

  InputSize input_size() const override { return size_; }
  bool preprocesses_on_gpu() const override { return gpu_ready(); }
  Result<std::span<const TensorView>> preprocess(std::span<const ImageView> frames) override;
  Status postprocess(std::span<const TensorView> outputs, std::span<ModelOutput> results) override;

 private:
  bool gpu_ready() const {
#ifdef PERCEPT_HAVE_CUDA
    return gpu_ != nullptr;
#else
    return false;
#endif
  }

  Result<LayoutInfo> layout_for(std::span<const int64_t> shape) const;
  Status check_protos(const TensorView& protos, int64_t batch) const;
  Status add_masks(size_t i, const float* image, const TensorView& protos, ModelOutput& r);
  void add_keypoints(size_t i, const float* image, ModelOutput& r) const;

  YoloHead head_;
  int extra_ = 0;  // masks: nm, the prototype count (from the second output); keypoints: K * D
  int kpts_ = 0, kpt_dims_ = 0;  // keypoints: K and D
  float mask_threshold_ = 0.5f;
  DecodeOptions decode_;
  std::optional<YoloLayout> forced_layout_;
  InputSize size_;
  int num_classes_hint_ = 0;
  std::optional<LayoutInfo> layout_;
  Shape layout_shape_;  // output shape layout_ was decided for
  Normalize norm_;
  Tensor input_;
  TensorView view_;
  std::vector<LetterboxParams> params_;
  YoloDecoder decoder_;
  std::vector<uint32_t> anchors_;  // anchor of each kept detection
  std::vector<float> coef_;        // their mask coefficients, nm each
  MaskAssembler masks_;
#ifdef PERCEPT_HAVE_CUDA
  std::unique_ptr<GpuLetterbox> gpu_;  // null: letterbox on the CPU
#endif
};

DetectTask::DetectTask(const TaskContext& ctx, const TaskConfig& cfg, const ModelConventions& c,
                       YoloHead head)
    : Task(ctx), head_(head), mask_threshold_(cfg.mask_threshold) {
  decode_.conf_threshold = cfg.conf.value_or(0.25f);
  decode_.nms.iou_threshold = cfg.iou.value_or(0.45f);
  decode_.nms.max_detections = cfg.max_det;
  decode_.nms.class_agnostic = cfg.class_agnostic;
  if (c.output_layout) forced_layout_ = parse_layout(*c.output_layout).value_or_throw();
  if (c.rgb || c.mean || c.std) norm_ = make_normalize(c, {0, 0, 0}, {1, 1, 1}, true);

  const std::string model = this->model();
  const auto& ins = backend_.inputs();
  if (ins.size() != 1)
    throw Error(ErrorCode::model, model + " has " + std::to_string(ins.size()) +
                                      " inputs; a detector takes one image tensor");
  const TensorInfo& in = ins[0];
  if (in.dtype != DType::f32)
    throw Error(ErrorCode::model, model + ": input '" + in.name + "' is " + dtype_name(in.dtype) +
                                      "; the detect task feeds float32");
  if (in.shape.size() != 4 || (in.shape[1] != 3 && in.shape[1] != -1))
    throw Error(ErrorCode::model, model + ": input '" + in.name + "' has shape " +
                                      shape_str(in.shape) +
                                      "; the detect task feeds NCHW [B, 3, H, W]");
  if (backend_.outputs().empty() || backend_.outputs()[0].dtype != DType::f32)
    throw Error(ErrorCode::model, model + ": the first output must be a float32 tensor");
  const auto& meta = backend_.metadata();

  // Input size: config or sidecar, fixed dims, then the imgsz metadata (which only fills in
  // symbolic dims; a size from the config or the sidecar must match the tensor).
  if (c.input_size && c.origin("input_size") != "from metadata") {
    size_ = *c.input_size;
    if ((in.shape[2] > 0 && in.shape[2] != size_.height) ||
        (in.shape[3] > 0 && in.shape[3] != size_.width))
      throw Error(ErrorCode::model, model + ": input_size " + std::to_string(size_.width) + "x" +
                                        std::to_string(size_.height) + " does not match input '" +
                                        in.name + "' " + shape_str(in.shape));
  } else if (in.shape[2] > 0 && in.shape[3] > 0) {
    size_ = {static_cast<int>(in.shape[3]), static_cast<int>(in.shape[2])};
  } else if (auto v = metadata_value(meta, "imgsz"); v && parse_imgsz(*v)) {
    size_ = *parse_imgsz(*v);
  } else {
    throw Error(ErrorCode::model,
                model + ": input '" + in.name + "' " + shape_str(in.shape) +
                    " has a symbolic height or width and no imgsz metadata; set input_size");
  }
  if (size_.width <= 0 || size_.height <= 0 || size_.width > kLetterboxMaxWidth ||
      size_.height > kLetterboxMaxWidth)
    throw Error(ErrorCode::model, model + ": input size " + std::to_string(size_.width) + "x" +
                                      std::to_string(size_.height) + " is out of range (1..8192)");

  // Labels: config or sidecar, then the names metadata.
  if (c.labels) {
    labels_ = *c.labels;
  } else if (auto v = metadata_value(meta, "names")) {
    auto names = parse_class_names(*v);
    if (!names)
      throw Error(ErrorCode::model, model + ": metadata 'names': " + names.error().message());
    labels_ = std::move(*names);
  }
  num_classes_hint_ = static_cast<int>(labels_.size());

  if (head_ == YoloHead::masks) {
    // Prototypes [B, nm, mh, mw]; nm fixes how many channels of output0 are coefficients.
    const auto& outs = backend_.outputs();
    if (outs.size() < 2)
      throw Error(ErrorCode::model, model + " has " + std::to_string(outs.size()) +
                                        " output; instance segmentation needs output0 [B, "
                                        "4+nc+nm, N] and the prototypes output1 [B, nm, mh, mw]");
    const TensorInfo& p = outs[1];
    if (p.dtype != DType::f32 || p.shape.size() != 4 || p.shape[1] <= 0)
      throw Error(ErrorCode::model, model + ": prototypes output '" + p.name + "' is " +
                                        dtype_name(p.dtype) + " " + shape_str(p.shape) +
                                        "; expected float32 [B, nm, mh, mw] with a fixed nm");
    extra_ = static_cast<int>(p.shape[1]);
    if (c.output_layout && forced_layout_ != YoloLayout::v8)
      throw Error(ErrorCode::not_supported,
                  model + ": instance segmentation is supported in the v8 layout only (layout: " +
                      *c.output_layout + ")");
  }

  if (head_ == YoloHead::keypoints) {
    // Ultralytics writes kpt_shape into the metadata; the channels after the class scores
    // must hold exactly K * D values per anchor (checked with the layout below).
    const auto v = metadata_value(meta, "kpt_shape");
    if (!v)
      throw Error(ErrorCode::model,
                  model + " has no kpt_shape metadata ([K, D]); a pose model needs it");
    const auto kd = parse_kpt_shape(*v);
    if (!kd)
      throw Error(ErrorCode::model, model + ": metadata kpt_shape '" + *v +
                                        "' is not [K, D] with K >= 1 and D = 2 or 3");
    kpts_ = kd->first;
    kpt_dims_ = kd->second;
    extra_ = kpts_ * kpt_dims_;
    if (c.output_layout && forced_layout_ != YoloLayout::v8)
      throw Error(
          ErrorCode::not_supported,
          model + ": pose is supported in the v8 layout only (layout: " + *c.output_layout + ")");
  }

  // Layout: decided now when the output's sizes are fixed, else at the first run.
  const Shape& out = backend_.outputs()[0].shape;
  if (out.size() == 3 && out[1] > 0 && out[2] > 0) {
    auto l = layout_for(out);
    if (!l)
      throw Error(ErrorCode::model,
                  model + ": output '" + backend_.outputs()[0].name + "': " + l.error().message());
    layout_ = *l;
    layout_shape_ = out;
    layout_shape_[0] = -1;
  } else if (out.size() != 3) {
    throw Error(ErrorCode::model, model + ": output '" + backend_.outputs()[0].name +
                                      "' has shape " + shape_str(out) +
                                      "; detectors output [B, 4+nc, N], [B, N, 5+nc] or [B, K, 6]");
  }
#ifdef PERCEPT_HAVE_CUDA
  // A model on CUDA reads its input from GPU memory: upload the 8-bit frames and letterbox
  // there (a quarter of the bytes a float input would move), on the stream ONNX Runtime runs
  // on. Device 0 only for now: the executor thread does not select another device.
  if (backend_.accepts_device_inputs()) {
    if (backend_.cuda_device() != 0) {
      spdlog::warn(
          "{}: runs on CUDA device {}; letterboxing on the CPU (GPU preprocessing is "
          "only done for device 0)",
          model, backend_.cuda_device());
    } else if (auto g = GpuLetterbox::create(static_cast<cudaStream_t>(cuda_stream_)); g.ok()) {
      gpu_ = std::move(g).value();
      spdlog::info("{}: letterbox on the GPU{}", model,
                   cuda_stream_ ? " (on ONNX Runtime's stream)" : "");
    } else {
      spdlog::warn("{}: {}; letterboxing on the CPU", model, g.error().message());
    }
  }
#endif
  if (layout_ && layout_->num_classes > 0 && !labels_.empty() &&
      layout_->num_classes != static_cast<int>(labels_.size()))
    spdlog::warn(
        "{}: {} class names for {} classes in the output; missing names print as "
        "class_<id>",
        model, labels_.size(), layout_->num_classes);
  description_ = std::string(head_ == YoloHead::masks       ? "instance segment"
                             : head_ == YoloHead::keypoints ? "pose"
                                                            : "detect") +
                 ": input " + std::to_string(size_.width) + "x" + std::to_string(size_.height) +
                 " letterbox, " + std::to_string(labels_.size()) + " labels " + c.origin("labels");
}

Result<std::span<const TensorView>> DetectTask::preprocess(std::span<const ImageView> frames) {
  const auto n = static_cast<int64_t>(frames.size());
  params_.resize(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const ImageView& f = frames[i];
    if (f.empty())
      return Error(ErrorCode::invalid_argument, "detect: frame " + std::to_string(i) + " is empty");
    params_[i] = letterbox_params(f.width, f.height, size_.width, size_.height);
  }
#ifdef PERCEPT_HAVE_CUDA
  if (gpu_) {
    auto v = gpu_->prepare(frames, params_, norm_, size_.width, size_.height);
    if (!v) return Error(v.error().code(), model() + ": " + v.error().message());
    view_ = *v;
    return std::span<const TensorView>(&view_, 1);
  }
#endif
  input_.reshape(DType::f32, {n, 3, size_.height, size_.width});
  const size_t per_image = static_cast<size_t>(3) * size_.width * size_.height;
  for (size_t i = 0; i < frames.size(); ++i)
    letterbox_cpu(frames[i], params_[i], norm_, input_.as<float>() + i * per_image);
  view_ = input_.view();
  return std::span<const TensorView>(&view_, 1);
}

Status DetectTask::postprocess(std::span<const TensorView> outputs,
                               std::span<ModelOutput> results) {
  const auto n = static_cast<int64_t>(results.size());
  if (outputs.empty()) return Error(ErrorCode::model, model() + ": the backend returned no output");
  const TensorView& out = outputs[0];
  if (out.dtype != DType::f32 || out.shape.size() != 3 || out.shape[0] != n)
    return Error(ErrorCode::model, model() + ": output '" + backend_.outputs()[0].name +
                                       "' has shape " + shape_str(out.shape) + " for a batch of " +
                                       std::to_string(n));
  if (params_.size() < results.size())
    return Error(ErrorCode::invalid_argument,
                 model() + ": postprocess without a matching preprocess");
  Shape key = out.shape;
  key[0] = -1;
  if (!layout_ || !(key == layout_shape_)) {
    auto l = layout_for(out.shape);
    if (!l)
      return Error(ErrorCode::model, model() + ": output '" + backend_.outputs()[0].name +
                                         "': " + l.error().message());
    layout_ = *l;
    layout_shape_ = key;
  }
  const TensorView* protos = nullptr;
  if (head_ == YoloHead::masks) {
    if (outputs.size() < 2)
      return Error(ErrorCode::model, model() + ": the backend returned no prototypes output");
    if (Status st = check_protos(outputs[1], n); !st.ok()) return st;
    protos = &outputs[1];
  }
  const size_t per_out = static_cast<size_t>(out.shape[1] * out.shape[2]);
  for (size_t i = 0; i < results.size(); ++i) {
    Detections& dets = results[i].detections;
    const float* image = out.as<float>() + i * per_out;
    if (head_ == YoloHead::boxes) {
      decoder_.decode(image, *layout_, decode_, dets);
    } else {
      decoder_.decode(image, *layout_, decode_, dets, anchors_);
    }
    for (Detection& d : dets) d.box = params_[i].to_source(d.box);
    // Boxes entirely in the padding collapse to zero area after clipping: drop them (with
    // their anchors, which stay aligned).
    size_t kept = 0;
    for (size_t k = 0; k < dets.size(); ++k) {
      if (dets[k].box.area() <= 0.f) continue;
      dets[kept] = dets[k];
      if (head_ != YoloHead::boxes) anchors_[kept] = anchors_[k];
      ++kept;
    }
    dets.resize(kept);
    if (head_ != YoloHead::boxes) anchors_.resize(kept);
    if (head_ == YoloHead::masks)
      if (Status st = add_masks(i, image, *protos, results[i]); !st.ok()) return st;
    if (head_ == YoloHead::keypoints) add_keypoints(i, image, results[i]);
  }
  return {};
}

Result<LayoutInfo> DetectTask::layout_for(std::span<const int64_t> shape) const {
  if (head_ == YoloHead::boxes) return detect_layout(shape, num_classes_hint_, forced_layout_);
  auto l = detect_layout_extra(shape, num_classes_hint_, extra_);
  if (!l && head_ == YoloHead::keypoints)
    return Error(l.error().message() + " (kpt_shape [" + std::to_string(kpts_) + ", " +
                 std::to_string(kpt_dims_) + "] = " + std::to_string(extra_) + " channels)");
  return l;
}

void DetectTask::add_keypoints(size_t i, const float* image, ModelOutput& r) const {
  const int n = layout_->num_boxes;
  const int first = 4 + layout_->num_classes;  // first keypoint channel
  const LetterboxParams& lb = params_[i];
  const float sx = static_cast<float>(lb.src_w) / static_cast<float>(lb.new_w);
  const float sy = static_cast<float>(lb.src_h) / static_cast<float>(lb.new_h);
  DetectionKeypoints& out = r.keypoints;
  out.per_detection = kpts_;
  out.points.resize(anchors_.size() * static_cast<size_t>(kpts_));
  for (size_t d = 0; d < anchors_.size(); ++d)
    for (int k = 0; k < kpts_; ++k) {
      auto at = [&](int j) {
        return image[static_cast<size_t>(first + k * kpt_dims_ + j) * n + anchors_[d]];
      };
      Keypoint p;
      // Network-input pixels -> frame pixels, clipped to the frame as boxes are. A point with
      // no finite position is kept (the detection's points stay K) at 0, 0, visibility 0.
      const float x = (at(0) - static_cast<float>(lb.pad_left)) * sx;
      const float y = (at(1) - static_cast<float>(lb.pad_top)) * sy;
      const float v = kpt_dims_ == 3 ? at(2) : 1.f;
      if (std::isfinite(x) && std::isfinite(y)) {
        p.x = std::clamp(x, 0.f, static_cast<float>(lb.src_w));
        p.y = std::clamp(y, 0.f, static_cast<float>(lb.src_h));
        p.v = v >= 0.f ? std::min(v, 1.f) : 0.f;  // NaN: 0
      }
      out.points[d * static_cast<size_t>(kpts_) + static_cast<size_t>(k)] = p;
    }
}

Status DetectTask::check_protos(const TensorView& p, int64_t batch) const {
  const std::string name = "'" + backend_.outputs()[1].name + "'";
  if (p.dtype != DType::f32 || p.shape.size() != 4 || p.shape[0] != batch || p.shape[1] != extra_ ||
      p.shape[2] <= 0 || p.shape[3] <= 0)
    return Error(ErrorCode::model, model() + ": prototypes output " + name + " has shape " +
                                       shape_str(p.shape) + "; expected [" + std::to_string(batch) +
                                       ", " + std::to_string(extra_) + ", mh, mw] float32");
  // The prototypes must tile the input at one integer stride, as the heads' strides do; a
  // grid that does not is another model's tensor, and sampling it would misplace every mask.
  if (size_.width % p.shape[3] != 0 || size_.height % p.shape[2] != 0 ||
      size_.width / p.shape[3] != size_.height / p.shape[2])
    return Error(ErrorCode::model, model() + ": prototypes output " + name + " " +
                                       shape_str(p.shape) + " does not divide the input " +
                                       std::to_string(size_.width) + "x" +
                                       std::to_string(size_.height) + " at one integer stride");
  return {};
}

Status DetectTask::add_masks(size_t i, const float* image, const TensorView& protos,
                             ModelOutput& r) {
  const int nm = extra_;
  const int n = layout_->num_boxes;
  const int first = 4 + layout_->num_classes;  // first coefficient channel
  coef_.resize(anchors_.size() * static_cast<size_t>(nm));
  for (size_t d = 0; d < anchors_.size(); ++d)
    for (int k = 0; k < nm; ++k)
      coef_[d * nm + k] = image[static_cast<size_t>(first + k) * n + anchors_[d]];
  const size_t plane = static_cast<size_t>(protos.shape[2] * protos.shape[3]);
  const Prototypes p{protos.as<float>() + i * nm * plane, nm, static_cast<int>(protos.shape[2]),
                     static_cast<int>(protos.shape[3])};
  masks_.assemble(r.detections, coef_.data(), p, params_[i], mask_threshold_, r.masks);
  return {};
}

}  // namespace

std::unique_ptr<Task> make_detect_task(const TaskContext& ctx, const TaskConfig& config,
                                       const ModelConventions& conventions) {
  return std::make_unique<DetectTask>(ctx, config, conventions);
}

std::unique_ptr<Task> make_instance_segment_task(const TaskContext& ctx, const TaskConfig& config,
                                                 const ModelConventions& conventions) {
  return std::make_unique<DetectTask>(ctx, config, conventions, YoloHead::masks);
}

std::unique_ptr<Task> make_pose_task(const TaskContext& ctx, const TaskConfig& config,
                                     const ModelConventions& conventions) {
  return std::make_unique<DetectTask>(ctx, config, conventions, YoloHead::keypoints);
}

}  // namespace percept
