// yolo_decode_nms_cuda against the CPU reference (YoloDecoder::decode) on a real device, over
// the cases of yolo_nms_cases.hpp. Label gpu: skipped without a device, never counted as passed.
//
// Tolerance: the kernels share their math with the CPU decoder and NMS (yolo_decode_math.hpp,
// box_math.hpp) and are built with --fmad=false, and IEEE division is the default, so boxes and
// scores are expected bit-equal; the test allows 1e-6 relative on coordinates and scores (a
// differing rounding would show up as an order or count difference first, which fails). Same
// count, same order, same classes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "percept/gpu/cuda.hpp"
#include "percept/tasks/cuda/yolo_nms_cuda.hpp"
#include "yolo_nms_cases.hpp"

using namespace percept;
using namespace percept::test;

namespace {

bool close(float a, float b) {
  return std::fabs(a - b) <= 1e-6f * (1.f + std::fabs(a));
}

struct DeviceRun {
  std::vector<int32_t> counts;
  std::vector<DecodedBox> boxes;  // [B, max_det], only the first counts[b] of each image set
};

// Uploads the tensor, runs the kernels, copies back only the kept boxes. Output memory is
// poisoned first (NaN bytes) so that an unwritten box cannot pass.
DeviceRun run_on_device(const NmsCase& c, const std::vector<float>& t) {
  auto stream = gpu::Stream::create();
  if (!stream.ok()) throw Error(stream.error().message());
  gpu::DevicePool pool;
  const cudaStream_t s = stream->get();
  auto need = yolo_nms_workspace_bytes(info_of(c), c.batch, c.opt);
  if (!need.ok()) throw Error(need.error().message());
  const size_t max_det = static_cast<size_t>(c.opt.nms.max_detections);
  auto in = pool.allocate(t.size() * sizeof(float), s);
  auto ws = pool.allocate(std::max<size_t>(*need, 1), s);
  auto out = pool.allocate(c.batch * max_det * sizeof(DecodedBox), s);
  auto counts = pool.allocate(c.batch * sizeof(int32_t), s);
  if (!in.ok() || !ws.ok() || !out.ok() || !counts.ok()) throw Error("device allocation failed");
  gpu::check(
      cudaMemcpyAsync(in->data(), t.data(), t.size() * sizeof(float), cudaMemcpyHostToDevice, s),
      "upload")
      .throw_if_error();
  gpu::check(cudaMemsetAsync(out->data(), 0xFF, c.batch * max_det * sizeof(DecodedBox), s),
             "poison")
      .throw_if_error();
  yolo_decode_nms_cuda(static_cast<const float*>(in->data()), info_of(c), c.batch, c.opt,
                       ws->data(), *need, static_cast<DecodedBox*>(out->data()),
                       static_cast<int32_t*>(counts->data()), s)
      .throw_if_error();
  DeviceRun r;
  r.counts.assign(c.batch, -1);
  r.boxes.resize(c.batch * max_det);
  copy_kept_detections(static_cast<const DecodedBox*>(out->data()),
                       static_cast<const int32_t*>(counts->data()), c.batch,
                       c.opt.nms.max_detections, r.boxes.data(), r.counts.data(), s)
      .throw_if_error();
  return r;
}

}  // namespace

TEST(YoloNmsParity, MatchesTheCpuDecoderBoxForBoxInOrder) {
  SKIP_WITHOUT_GPU();
  for (int round = 0; round < 3; ++round)
    for (const NmsCase& c : exact_cases()) {
      const std::vector<float> t = make_tensor(c);
      const std::vector<Detections> ref = cpu_reference(c, t);
      const DeviceRun gpu_run = run_on_device(c, t);
      for (int b = 0; b < c.batch; ++b) {
        const std::string what = c.name + ", image " + std::to_string(b);
        ASSERT_EQ(gpu_run.counts[b], static_cast<int32_t>(ref[b].size())) << what;
        for (size_t k = 0; k < ref[b].size(); ++k) {
          const Detection& a = ref[b][k];
          const DecodedBox& g = gpu_run.boxes[b * c.opt.nms.max_detections + k];
          EXPECT_TRUE(close(a.box.x1, g.x1) && close(a.box.y1, g.y1) && close(a.box.x2, g.x2) &&
                      close(a.box.y2, g.y2) && close(a.score, g.score) && a.class_id == g.class_id)
              << what << " box " << k << ": cpu " << a.box.x1 << " " << a.box.y1 << " " << a.box.x2
              << " " << a.box.y2 << " " << a.score << " c" << a.class_id << ", gpu " << g.x1 << " "
              << g.y1 << " " << g.x2 << " " << g.y2 << " " << g.score << " c" << g.class_id;
        }
      }
    }
}

// A YOLOv8n-sized output (8400 anchors, 80 classes) with every anchor a candidate: 132 x 132
// mask tiles, the largest workspace of the cases.
TEST(YoloNmsParity, FullSizeOutputWithEveryAnchorACandidate) {
  SKIP_WITHOUT_GPU();
  const NmsCase c =
      nms_case("8400 anchors", YoloLayout::v8, 2, 80, 8400, 0.f, 0.45f, 300, 30000, false);
  const std::vector<float> t = make_tensor(c);
  const std::vector<Detections> ref = cpu_reference(c, t);
  const DeviceRun r = run_on_device(c, t);
  for (int b = 0; b < c.batch; ++b) {
    ASSERT_EQ(r.counts[b], static_cast<int32_t>(ref[b].size()));
    for (size_t k = 0; k < ref[b].size(); ++k) {
      const DecodedBox& g = r.boxes[b * 300 + k];
      EXPECT_TRUE(close(ref[b][k].score, g.score) && ref[b][k].class_id == g.class_id &&
                  close(ref[b][k].box.x1, g.x1))
          << "image " << b << " box " << k;
    }
  }
}
