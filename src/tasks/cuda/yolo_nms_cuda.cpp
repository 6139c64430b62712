#include "percept/tasks/cuda/yolo_nms_cuda.hpp"

#include <algorithm>
#include <climits>
#include <string>

#include "percept/gpu/cuda.hpp"
#include "yolo_nms_kernel.hpp"

namespace percept {

namespace {

Status fail(const std::string& m) {
  return Error(ErrorCode::invalid_argument, "yolo decode + nms (cuda): " + m);
}

size_t align256(size_t x) {
  return (x + 255) & ~size_t{255};
}

// Cuts the workspace at `base` (nullptr: only to measure it) into the parts the kernels use;
// returns its size. Every part starts on a 256-byte boundary (CUB's and coalescing's liking).
size_t carve(cuda_detail::YoloNmsLaunch& a, char* base) {
  size_t at = 0;
  auto take = [&](auto*& p, size_t count) {
    using T = std::remove_reference_t<decltype(*p)>;
    p = base ? reinterpret_cast<T*>(base + at) : nullptr;
    at += align256(count * sizeof(T));
  };
  const size_t bn = static_cast<size_t>(a.batch) * a.n;
  const size_t bm = static_cast<size_t>(a.batch) * a.mc;
  take(a.cand_count, static_cast<size_t>(a.batch));
  take(a.seg_begin, static_cast<size_t>(a.batch));
  take(a.seg_end, static_cast<size_t>(a.batch));
  take(a.boxes, bn);
  take(a.keys_in, bn);
  take(a.keys_out, bn);
  take(a.sorted, bm);
  take(a.masks, bm * static_cast<size_t>(a.words));
  a.sort_temp = base ? base + at : nullptr;
  at += align256(a.sort_temp_bytes);
  return at;
}

cuda_detail::YoloNmsLaunch launch_args(const float* output, const LayoutInfo& info, int batch,
                                       const DecodeOptions& opt) {
  cuda_detail::YoloNmsLaunch a;
  a.output = output;
  a.layout = info.layout == YoloLayout::v8 ? 0 : info.layout == YoloLayout::v5 ? 1 : 2;
  a.nc = info.num_classes;
  a.n = info.num_boxes;
  a.batch = batch;
  a.mc = std::min(info.num_boxes, opt.max_candidates);
  a.words = (a.mc + 63) / 64;
  a.max_det = opt.nms.max_detections;
  a.conf = opt.conf_threshold;
  a.iou = opt.nms.iou_threshold;
  a.agnostic = opt.nms.class_agnostic;
  return a;
}

Result<size_t> sort_temp_bytes(const cuda_detail::YoloNmsLaunch& a) {
  size_t bytes = 0;
  if (Status s = gpu::check(cuda_detail::segmented_sort_temp_bytes(a.batch * a.n, a.batch, &bytes),
                            "segmented sort storage size");
      !s.ok())
    return s.error();
  return bytes;
}

}  // namespace

Status yolo_nms_validate(const float* output, const LayoutInfo& info, int batch,
                         const DecodeOptions& opt, const void* out, const void* counts) {
  if (!output || !out || !counts) return fail("null output tensor, boxes or counts");
  if (batch < 1 || batch > 65535) return fail("batch " + std::to_string(batch) + " (1..65535)");
  if (info.num_boxes < 1) return fail("no anchors or rows in the output tensor");
  if (info.layout != YoloLayout::end2end && info.num_classes < 1)
    return fail(std::string(layout_name(info.layout)) + " layout without classes");
  if (opt.nms.max_detections < 1)
    return fail("max_detections " + std::to_string(opt.nms.max_detections) + " (>= 1)");
  if (static_cast<int64_t>(batch) * opt.nms.max_detections > INT_MAX)
    return fail("batch x max_detections too large");
  if (info.layout == YoloLayout::end2end) return {};
  if (opt.max_candidates < 1)
    return fail("max_candidates " + std::to_string(opt.max_candidates) + " (>= 1)");
  // CUB takes the item count of the whole batch as an int, and segment offsets are int32.
  if (static_cast<int64_t>(batch) * info.num_boxes > INT_MAX)
    return fail("batch x anchors above 2^31");
  if (std::min(info.num_boxes, opt.max_candidates) > cuda_detail::kMaxNmsCandidates)
    return fail("more than " + std::to_string(cuda_detail::kMaxNmsCandidates) +
                " NMS candidates per image; lower max_candidates");
  return {};
}

Result<size_t> yolo_nms_workspace_bytes(const LayoutInfo& info, int batch,
                                        const DecodeOptions& opt) {
  float dummy = 0;  // only the shape matters here
  if (Status s = yolo_nms_validate(&dummy, info, batch, opt, &dummy, &dummy); !s.ok())
    return s.error();
  if (info.layout == YoloLayout::end2end) return size_t{0};
  cuda_detail::YoloNmsLaunch a = launch_args(nullptr, info, batch, opt);
  Result<size_t> temp = sort_temp_bytes(a);
  if (!temp.ok()) return temp.error();
  a.sort_temp_bytes = *temp;
  return carve(a, nullptr);
}

Status yolo_decode_nms_cuda(const float* output, const LayoutInfo& info, int batch,
                            const DecodeOptions& opt, void* workspace, size_t workspace_bytes,
                            DecodedBox* out, int32_t* counts, cudaStream_t stream) {
  if (Status s = yolo_nms_validate(output, info, batch, opt, out, counts); !s.ok()) return s;
  cuda_detail::YoloNmsLaunch a = launch_args(output, info, batch, opt);
  a.out = out;
  a.counts = counts;
  if (info.layout != YoloLayout::end2end) {
    if (!workspace) return fail("null workspace (size it with yolo_nms_workspace_bytes)");
    Result<size_t> temp = sort_temp_bytes(a);
    if (!temp.ok()) return temp.error();
    a.sort_temp_bytes = *temp;
    const size_t need = carve(a, nullptr);
    if (workspace_bytes < need)
      return fail("workspace of " + std::to_string(workspace_bytes) + " bytes, " +
                  std::to_string(need) + " needed");
    carve(a, static_cast<char*>(workspace));
  }
  return gpu::check(cuda_detail::launch_yolo_nms(a, stream), "yolo decode + nms kernels");
}

Status copy_kept_detections(const DecodedBox* out, const int32_t* counts, int batch,
                            int max_detections, DecodedBox* host_out, int32_t* host_counts,
                            cudaStream_t stream) {
  if (!out || !counts || !host_out || !host_counts) return fail("null copy argument");
  if (batch < 1 || max_detections < 1) return fail("empty batch or max_detections < 1");
  const size_t count_bytes = static_cast<size_t>(batch) * sizeof(int32_t);
  if (Status s = gpu::check(
          cudaMemcpyAsync(host_counts, counts, count_bytes, cudaMemcpyDeviceToHost, stream),
          "copy kept counts");
      !s.ok())
    return s;
  if (Status s = gpu::check(cudaStreamSynchronize(stream), "wait for kept counts"); !s.ok())
    return s;
  for (int b = 0; b < batch; ++b) {
    host_counts[b] = std::clamp(host_counts[b], 0, max_detections);
    if (host_counts[b] == 0) continue;
    const size_t at = static_cast<size_t>(b) * max_detections;
    if (Status s =
            gpu::check(cudaMemcpyAsync(host_out + at, out + at,
                                       static_cast<size_t>(host_counts[b]) * sizeof(DecodedBox),
                                       cudaMemcpyDeviceToHost, stream),
                       "copy kept boxes");
        !s.ok())
      return s;
  }
  return gpu::check(cudaStreamSynchronize(stream), "wait for kept boxes");
}

}  // namespace percept
