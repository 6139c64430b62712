#include "percept/tasks/detect/detector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "percept/core/clock.hpp"
#include "percept/core/trace.hpp"

#ifdef PERCEPT_HAVE_CUDA
#include "percept/preprocess/cuda/gpu_letterbox.hpp"
#endif

namespace percept {

#ifdef PERCEPT_HAVE_CUDA
struct Detector::Gpu {
  std::unique_ptr<GpuLetterbox> letterbox;
};
#else
struct Detector::Gpu {};
#endif

Detector::~Detector() = default;

std::unique_ptr<Detector> Detector::open(const DetectorConfig& config) {
  return std::make_unique<Detector>(create_backend(config.model_path, config.backend), config);
}

Detector::Detector(std::unique_ptr<Backend> backend, const DetectorConfig& config)
    : backend_(std::move(backend)), config_(config) {
  const std::string model = "model '" + backend_->model_path() + "'";
  const auto& ins = backend_->inputs();
  if (ins.size() != 1)
    throw Error(model + " has " + std::to_string(ins.size()) +
                " inputs; a detector takes one image tensor");
  const TensorInfo& in = ins[0];
  if (in.dtype != DType::f32)
    throw Error(model + ": input '" + in.name + "' is " + dtype_name(in.dtype) +
                "; the detect task feeds float32");
  if (in.shape.size() != 4 || (in.shape[1] != 3 && in.shape[1] != -1))
    throw Error(model + ": input '" + in.name + "' has shape " + shape_str(in.shape) +
                "; the detect task feeds NCHW [B, 3, H, W]");
  if (backend_->outputs().empty() || backend_->outputs()[0].dtype != DType::f32)
    throw Error(model + ": the first output must be a float32 tensor");

  dynamic_batch_ = in.shape[0] < 0;
  const auto& meta = backend_->metadata();

  // Input size: config, fixed dims, then the imgsz metadata.
  if (config.input_size) {
    size_ = *config.input_size;
    if ((in.shape[2] > 0 && in.shape[2] != size_.height) ||
        (in.shape[3] > 0 && in.shape[3] != size_.width))
      throw Error(model + ": input_size " + std::to_string(size_.width) + "x" +
                  std::to_string(size_.height) + " does not match input '" + in.name + "' " +
                  shape_str(in.shape));
  } else if (in.shape[2] > 0 && in.shape[3] > 0) {
    size_ = {static_cast<int>(in.shape[3]), static_cast<int>(in.shape[2])};
  } else if (auto v = metadata_value(meta, "imgsz"); v && parse_imgsz(*v)) {
    size_ = *parse_imgsz(*v);
  } else {
    throw Error(model + ": input '" + in.name + "' " + shape_str(in.shape) +
                " has a symbolic height or width and no imgsz metadata; set input_size");
  }
  if (size_.width <= 0 || size_.height <= 0 || size_.width > kLetterboxMaxWidth ||
      size_.height > kLetterboxMaxWidth)
    throw Error(model + ": input size " + std::to_string(size_.width) + "x" +
                std::to_string(size_.height) + " is out of range (1..8192)");

  // Labels: a labels file, then the names metadata.
  if (config.labels) {
    labels_ = *config.labels;
  } else if (config.labels_file) {
    labels_ = load_labels_file(*config.labels_file).value_or_throw();
  } else if (auto v = metadata_value(meta, "names")) {
    auto names = parse_class_names(*v);
    if (!names) throw Error(model + ": metadata 'names': " + names.error().message());
    labels_ = std::move(*names);
  }
  num_classes_hint_ = static_cast<int>(labels_.size());
  if (config.normalize) norm_ = *config.normalize;

  // Layout: decided now when the output's sizes are fixed, else at the first run.
  const Shape& out = backend_->outputs()[0].shape;
  if (out.size() == 3 && out[1] > 0 && out[2] > 0) {
    auto l = detect_layout(out, num_classes_hint_, config.layout);
    if (!l) throw Error(model + ": " + l.error().message());
    layout_ = *l;
    layout_shape_ = out;
    layout_shape_[0] = -1;
  } else if (out.size() != 3) {
    throw Error(model + ": output '" + backend_->outputs()[0].name + "' has shape " +
                shape_str(out) + "; detectors output [B, 4+nc, N], [B, N, 5+nc] or [B, K, 6]");
  }
#ifdef PERCEPT_HAVE_CUDA
  // A model on CUDA reads its input from GPU memory: upload the 8-bit frames and letterbox
  // there (a quarter of the bytes a float input would move). Device 0 only for now: the
  // executor thread that runs the detector does not select another device.
  if (backend_->accepts_device_inputs()) {
    if (backend_->cuda_device() != 0) {
      spdlog::warn(
          "{}: runs on CUDA device {}; letterboxing on the CPU (GPU preprocessing is "
          "only done for device 0)",
          model, backend_->cuda_device());
    } else if (auto g = GpuLetterbox::create(); g.ok()) {
      gpu_ = std::make_unique<Gpu>();
      gpu_->letterbox = std::move(g).value();
      spdlog::info("{}: letterbox on the GPU", model);
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
}

std::string Detector::label(int class_id) const {
  if (class_id >= 0 && class_id < static_cast<int>(labels_.size())) return labels_[class_id];
  return "class_" + std::to_string(class_id);
}

Status Detector::detect(std::span<const ImageView> frames, std::span<Detections> results,
                        StageTimes* times) {
  if (results.size() < frames.size())
    return Error("detect: " + std::to_string(frames.size()) + " frames but room for " +
                 std::to_string(results.size()) + " results");
  StageTimes t;
  Status st;
  if (dynamic_batch_) {
    st = run_batch(frames, results, t);
  } else {
    for (size_t i = 0; i < frames.size() && st.ok(); ++i)
      st = run_batch(frames.subspan(i, 1), results.subspan(i, 1), t);
  }
  if (times) *times = t;
  return st;
}

Status Detector::run_batch(std::span<const ImageView> frames, std::span<Detections> results,
                           StageTimes& t) {
  // Built only on the error paths: the frame path does not allocate.
  auto model = [this] { return "model '" + backend_->model_path() + "'"; };
  StageTrace trace("preprocess");
  const int64_t t0 = now_ns();
  const auto n = static_cast<int64_t>(frames.size());
  params_.resize(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const ImageView& f = frames[i];
    if (f.empty()) return Error("detect: frame " + std::to_string(i) + " is empty");
    params_[i] = letterbox_params(f.width, f.height, size_.width, size_.height);
  }
  TensorView in;
#ifdef PERCEPT_HAVE_CUDA
  if (gpu_) {
    auto v = gpu_->letterbox->prepare(frames, params_, norm_, size_.width, size_.height);
    if (!v) return Error(v.error().code(), model() + ": " + v.error().message());
    in = *v;
  }
#endif
  if (!gpu_) {
    input_.reshape(DType::f32, {n, 3, size_.height, size_.width});
    const size_t per_image = static_cast<size_t>(3) * size_.width * size_.height;
    for (size_t i = 0; i < frames.size(); ++i)
      letterbox_cpu(frames[i], params_[i], norm_, input_.as<float>() + i * per_image);
    in = input_.view();
  }
  const int64_t t1 = now_ns();
  trace.next("inference");
  auto outs = backend_->run(std::span<const TensorView>(&in, 1));
  if (!outs) return outs.error();
  const int64_t t2 = now_ns();
  trace.next("postprocess");

  const TensorView& out = (*outs)[0];
  if (out.dtype != DType::f32 || out.shape.size() != 3 || out.shape[0] != n)
    return Error(model() + ": output '" + backend_->outputs()[0].name + "' has shape " +
                 shape_str(out.shape) + " for a batch of " + std::to_string(n));
  Shape key = out.shape;
  key[0] = -1;
  if (!layout_ || !(key == layout_shape_)) {
    auto l = detect_layout(out.shape, num_classes_hint_, config_.layout);
    if (!l) return Error(model() + ": " + l.error().message());
    layout_ = *l;
    layout_shape_ = key;
  }
  const size_t per_out = static_cast<size_t>(out.shape[1] * out.shape[2]);
  for (size_t i = 0; i < frames.size(); ++i) {
    Detections& dets = results[i];
    decoder_.decode(out.as<float>() + i * per_out, *layout_, config_.decode, dets);
    for (Detection& d : dets) d.box = params_[i].to_source(d.box);
    // Boxes entirely in the padding collapse to zero area after clipping: drop them.
    std::erase_if(dets, [](const Detection& d) { return d.box.area() <= 0.f; });
  }
  const int64_t t3 = now_ns();
  t.preprocess_ns += t1 - t0;
  t.inference_ns += t2 - t1;
  t.postprocess_ns += t3 - t2;
  return {};
}

}  // namespace percept
