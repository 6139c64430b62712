#include "percept/tasks/face/blazeface.hpp"

#include <algorithm>
#include <cmath>

#include "percept/core/tensor.hpp"
#include "percept/preprocess/letterbox.hpp"

namespace percept {

namespace {

constexpr int kRegressors = 16;  // box (4) + six keypoints (12)

float clipped_sigmoid(float logit, float clip) {
  return 1.f / (1.f + std::exp(-std::clamp(logit, -clip, clip)));
}

}  // namespace

void decode_blazeface(std::span<const float> logits, std::span<const float> regressors,
                      std::span<const Anchor> anchors, InputSize input, float conf,
                      float score_clipping, Faces& out) {
  const size_t n = std::min({logits.size(), regressors.size() / kRegressors, anchors.size()});
  const auto w = static_cast<float>(input.width);
  const auto h = static_cast<float>(input.height);
  for (size_t i = 0; i < n; ++i) {
    const float score = clipped_sigmoid(logits[i], score_clipping);
    if (!(score >= conf)) continue;  // also skips NaN
    const float* r = regressors.data() + i * kRegressors;
    const Anchor& a = anchors[i];
    // MediaPipe's DecodeBoxes with x_scale = w_scale = input width, y_scale = h_scale = input
    // height, reverse_output_order (x before y); then normalised -> input pixels.
    const float cx = (r[0] / w * a.w + a.x_center) * w;
    const float cy = (r[1] / h * a.h + a.y_center) * h;
    const float bw = r[2] / w * a.w * w;
    const float bh = r[3] / h * a.h * h;
    Face f;
    f.box = {cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2};
    f.score = score;
    bool finite = std::isfinite(cx) && std::isfinite(cy) && std::isfinite(bw) && std::isfinite(bh);
    for (size_t k = 0; k < 6; ++k) {
      f.keypoints[k][0] = (r[4 + 2 * k] / w * a.w + a.x_center) * w;
      f.keypoints[k][1] = (r[5 + 2 * k] / h * a.h + a.y_center) * h;
      finite = finite && std::isfinite(f.keypoints[k][0]) && std::isfinite(f.keypoints[k][1]);
    }
    if (finite) out.push_back(f);
  }
}

void weighted_nms(std::span<const Face> candidates, float iou_threshold, size_t max_faces,
                  Faces& out, WeightedNmsScratch& s) {
  out.clear();
  s.remaining.resize(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) s.remaining[i] = static_cast<uint32_t>(i);
  // std::sort does not allocate; the index tie-break makes it deterministic.
  std::sort(s.remaining.begin(), s.remaining.end(), [&](uint32_t a, uint32_t b) {
    return candidates[a].score > candidates[b].score ||
           (candidates[a].score == candidates[b].score && a < b);
  });
  while (!s.remaining.empty() && out.size() < max_faces) {
    const Face& best = candidates[s.remaining.front()];
    // Sums in double: a cluster can hold tens of candidates of similar scores.
    double total = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    std::array<std::array<double, 2>, 6> kp{};
    s.next.clear();
    for (uint32_t idx : s.remaining) {  // keeps score order for the next round
      const Face& c = candidates[idx];
      if (iou(best.box, c.box) > iou_threshold || idx == s.remaining.front()) {
        const double w = c.score;
        total += w;
        x1 += c.box.x1 * w;
        y1 += c.box.y1 * w;
        x2 += c.box.x2 * w;
        y2 += c.box.y2 * w;
        for (size_t k = 0; k < 6; ++k) {
          kp[k][0] += c.keypoints[k][0] * w;
          kp[k][1] += c.keypoints[k][1] * w;
        }
      } else {
        s.next.push_back(idx);
      }
    }
    Face f = best;
    if (total > 0) {  // all-zero scores: keep the best one as it is
      f.box = {static_cast<float>(x1 / total), static_cast<float>(y1 / total),
               static_cast<float>(x2 / total), static_cast<float>(y2 / total)};
      for (size_t k = 0; k < 6; ++k)
        f.keypoints[k] = {static_cast<float>(kp[k][0] / total),
                          static_cast<float>(kp[k][1] / total)};
    }
    out.push_back(f);
    std::swap(s.remaining, s.next);
  }
}

void weighted_nms(std::span<const Face> candidates, float iou_threshold, size_t max_faces,
                  Faces& out) {
  WeightedNmsScratch s;
  weighted_nms(candidates, iou_threshold, max_faces, out, s);
}

namespace {

class FaceTask final : public Task {
 public:
  FaceTask(const TaskContext& ctx, const TaskConfig& cfg);
  InputSize input_size() const override { return size_; }
  Result<std::span<const TensorView>> preprocess(std::span<const ImageView> frames) override;
  Status postprocess(std::span<const TensorView> outputs, std::span<ModelOutput> results) override;

 private:
  struct OutputPair {  // one feature map's outputs, in anchor order
    size_t scores = 0, regressors = 0, rows = 0;
  };
  Status preprocess_one(const ImageView& frame);
  Status postprocess_one(std::span<const TensorView> outputs, Faces& faces);

  float conf_ = 0.75f;
  float iou_ = 0.3f;
  size_t max_faces_ = 300;
  InputSize size_;
  bool nhwc_ = true;
  std::vector<OutputPair> pairs_;
  std::vector<Anchor> anchors_;
  Normalize norm_;
  LetterboxParams params_;
  std::vector<float> planes_;  // letterbox output, NCHW, before the NHWC transpose
  Tensor input_;
  TensorView view_;
  Faces candidates_;
  WeightedNmsScratch nms_;
};

FaceTask::FaceTask(const TaskContext& ctx, const TaskConfig& cfg)
    : Task(ctx),
      conf_(cfg.conf.value_or(0.75f)),
      iou_(cfg.iou.value_or(0.3f)),
      max_faces_(static_cast<size_t>(cfg.max_det)) {
  const std::string model = this->model();
  dynamic_batch_ = false;
  const auto& ins = backend_.inputs();
  if (ins.size() != 1)
    throw Error(ErrorCode::model, model + " has " + std::to_string(ins.size()) +
                                      " inputs; a BlazeFace takes one image tensor");
  const TensorInfo& in = ins[0];
  if (in.dtype != DType::f32)
    throw Error(ErrorCode::model, model + ": input '" + in.name + "' is " + dtype_name(in.dtype) +
                                      "; the face task feeds float32");
  const Shape& s = in.shape;
  const bool nhwc = s.size() == 4 && s[3] == 3 && s[1] > 0 && s[1] == s[2];
  const bool nchw = s.size() == 4 && s[1] == 3 && s[2] > 0 && s[2] == s[3];
  if (!nhwc && !nchw)
    throw Error(ErrorCode::model,
                model + ": input '" + in.name + "' has shape " + shape_str(s) +
                    "; a BlazeFace takes a fixed square image [1, S, S, 3] (NHWC) or [1, 3, S, S]");
  if (s[0] > 1)
    throw Error(ErrorCode::model, model + ": input '" + in.name + "' has batch " +
                                      std::to_string(s[0]) + "; the face task runs batch 1");
  nhwc_ = nhwc;
  const int side = static_cast<int>(nhwc ? s[1] : s[2]);
  size_ = {side, side};
  SsdAnchorOptions anchor_options;
  if (side == 128) {
    anchor_options = blazeface_front_anchor_options();
  } else if (side == 256) {
    anchor_options = blazeface_back_anchor_options();
  } else {
    throw Error(ErrorCode::model,
                model + ": input '" + in.name + "' is " + std::to_string(side) + "x" +
                    std::to_string(side) +
                    "; BlazeFace anchors are known for 128 (front) and 256 (back) only");
  }
  anchors_ = generate_ssd_anchors(anchor_options);

  // Outputs: [1, n, 1] scores and [1, n, 16] regressors, paired by n. The barracuda export
  // splits them per feature map (512 rows for the fine one, 384 for the coarse one); anchors
  // run fine to coarse, and finer maps have more rows, so pairs are ordered by rows, largest
  // first.
  const auto& outs = backend_.outputs();
  std::vector<size_t> scores, regs;
  for (size_t i = 0; i < outs.size(); ++i) {
    const Shape& o = outs[i].shape;
    if (outs[i].dtype != DType::f32 || o.size() != 3 || o[1] <= 0 || (o[2] != 1 && o[2] != 16))
      throw Error(ErrorCode::model,
                  model + ": output '" + outs[i].name + "' has shape " + shape_str(o) + " (" +
                      dtype_name(outs[i].dtype) +
                      "); a BlazeFace outputs float32 [1, n, 1] scores and [1, n, 16] regressors");
    (o[2] == 1 ? scores : regs).push_back(i);
  }
  size_t total = 0;
  for (size_t si : scores) {
    const int64_t rows = outs[si].shape[1];
    auto r = std::find_if(regs.begin(), regs.end(),
                          [&](size_t ri) { return outs[ri].shape[1] == rows; });
    if (r == regs.end())
      throw Error(ErrorCode::model, model + ": score output '" + outs[si].name + "' " +
                                        shape_str(outs[si].shape) +
                                        " has no regressor output with as many rows");
    pairs_.push_back({si, *r, static_cast<size_t>(rows)});
    total += static_cast<size_t>(rows);
    regs.erase(r);
  }
  if (pairs_.empty() || !regs.empty())
    throw Error(ErrorCode::model, model + ": " + std::to_string(scores.size()) + " score and " +
                                      std::to_string(regs.size() + pairs_.size()) +
                                      " regressor outputs do not pair up by row count");
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const OutputPair& a, const OutputPair& b) { return a.rows > b.rows; });
  if (total != anchors_.size())
    throw Error(ErrorCode::model, model + ": the outputs have " + std::to_string(total) +
                                      " rows, the " + std::to_string(side) + "x" +
                                      std::to_string(side) + " BlazeFace anchors " +
                                      std::to_string(anchors_.size()));

  // MediaPipe's ImageToTensorCalculator: RGB, [0, 255] -> [-1, 1], and BORDER_ZERO, i.e. the
  // letterbox border is black (-1 after normalisation), not Ultralytics' grey.
  norm_.scale = {2.f / 255, 2.f / 255, 2.f / 255};
  norm_.bias = {-1.f, -1.f, -1.f};
  norm_.rgb = true;
  norm_.pad_value = 0;
  const size_t numel = static_cast<size_t>(3) * static_cast<size_t>(side) * side;
  if (nhwc_) {
    planes_.resize(numel);
    input_.reshape(DType::f32, {1, side, side, 3});
  } else {
    input_.reshape(DType::f32, {1, 3, side, side});
  }
  candidates_.reserve(anchors_.size());
  description_ = "face: BlazeFace input " + std::to_string(side) + "x" + std::to_string(side) +
                 " letterbox, " + std::to_string(anchors_.size()) + " anchors";
}

Status FaceTask::preprocess_one(const ImageView& frame) {
  if (frame.empty()) return Error(ErrorCode::invalid_argument, "face: empty frame");
  params_ = letterbox_params(frame.width, frame.height, size_.width, size_.height);
  if (!nhwc_) {
    letterbox_cpu(frame, params_, norm_, input_.as<float>());
    return {};
  }
  // letterbox_cpu writes planes; the barracuda export wants pixels. The transpose costs one
  // pass over 49k floats at 128x128 (196k at 256x256), small beside the resize itself.
  letterbox_cpu(frame, params_, norm_, planes_.data());
  const size_t plane = static_cast<size_t>(size_.width) * static_cast<size_t>(size_.height);
  // __restrict lets GCC vectorise the interleave (planes_ and the input never alias).
  const float* __restrict r = planes_.data();
  const float* __restrict g = r + plane;
  const float* __restrict b = g + plane;
  float* __restrict dst = input_.as<float>();
  for (size_t i = 0; i < plane; ++i) {
    dst[3 * i] = r[i];
    dst[3 * i + 1] = g[i];
    dst[3 * i + 2] = b[i];
  }
  return {};
}

Status FaceTask::postprocess_one(std::span<const TensorView> outputs, Faces& faces) {
  faces.clear();
  candidates_.clear();
  size_t first = 0;  // anchor index of the pair's first row
  for (const OutputPair& p : pairs_) {
    if (p.scores >= outputs.size() || p.regressors >= outputs.size())
      return Error(ErrorCode::model,
                   "model '" + backend_.model_path() + "': " + std::to_string(outputs.size()) +
                       " outputs, expected " + std::to_string(backend_.outputs().size()));
    const TensorView& sc = outputs[p.scores];
    const TensorView& rg = outputs[p.regressors];
    if (sc.dtype != DType::f32 || rg.dtype != DType::f32 ||
        static_cast<size_t>(sc.numel()) != p.rows ||
        static_cast<size_t>(rg.numel()) != p.rows * kRegressors)
      return Error(ErrorCode::model, "model '" + backend_.model_path() + "': output '" +
                                         backend_.outputs()[p.scores].name + "' or '" +
                                         backend_.outputs()[p.regressors].name + "' has shape " +
                                         shape_str(sc.shape) + " / " + shape_str(rg.shape) +
                                         " at run time");
    decode_blazeface({sc.as<const float>(), p.rows}, {rg.as<const float>(), p.rows * kRegressors},
                     std::span<const Anchor>(anchors_).subspan(first, p.rows), size_, conf_, 100.f,
                     candidates_);
    first += p.rows;
  }
  weighted_nms(candidates_, iou_, max_faces_, faces, nms_);
  const float sx = static_cast<float>(params_.src_w) / static_cast<float>(params_.new_w);
  const float sy = static_cast<float>(params_.src_h) / static_cast<float>(params_.new_h);
  for (Face& f : faces) {
    f.box = params_.to_source(f.box);
    for (auto& k : f.keypoints) {
      k[0] = (k[0] - static_cast<float>(params_.pad_left)) * sx;
      k[1] = (k[1] - static_cast<float>(params_.pad_top)) * sy;
    }
  }
  // A face entirely in the border collapses to nothing after clipping: drop it.
  std::erase_if(faces, [](const Face& f) { return f.box.area() <= 0.f; });
  return {};
}

Result<std::span<const TensorView>> FaceTask::preprocess(std::span<const ImageView> frames) {
  if (frames.size() != 1)
    return Error(
        ErrorCode::invalid_argument,
        model() + ": the face task runs one frame at a time, not " + std::to_string(frames.size()));
  if (Status st = preprocess_one(frames[0]); !st) return st.error();
  view_ = input_.view();
  return std::span<const TensorView>(&view_, 1);
}

Status FaceTask::postprocess(std::span<const TensorView> outputs, std::span<ModelOutput> results) {
  if (results.size() != 1)
    return Error(ErrorCode::invalid_argument, model() +
                                                  ": the face task runs one frame at a time, not " +
                                                  std::to_string(results.size()));
  return postprocess_one(outputs, results[0].faces);
}

}  // namespace

std::unique_ptr<Task> make_face_task(const TaskContext& ctx, const TaskConfig& config,
                                     const ModelConventions&) {
  return std::make_unique<FaceTask>(ctx, config);
}

}  // namespace percept
