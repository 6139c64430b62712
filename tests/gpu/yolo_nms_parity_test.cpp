// yolo_decode_nms_cuda against the CPU reference (YoloDecoder::decode) on a real device, over
// the cases of yolo_nms_cases.hpp. Label gpu: skipped without a device, never counted as passed.
//
// Tolerance: the kernels share their math with the CPU decoder and NMS (yolo_decode_math.hpp,
// box_math.hpp) and are built with --fmad=false, and IEEE division is the default, so boxes and
// scores are expected bit-equal; the test allows 1e-6 relative on coordinates and scores (a
// differing rounding would show up as an order or count difference first, which fails). Same
// count, same order, same classes: compare_kernel (parity.hpp) over the kept boxes flattened.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "device_buffers.hpp"
#include "parity.hpp"
#include "percept/gpu/cuda.hpp"
#include "percept/tasks/cuda/yolo_nms_cuda.hpp"
#include "yolo_nms_cases.hpp"

using namespace percept;
using namespace percept::test;

namespace {

// The kept boxes of every image as one array: per image its count, then six numbers per box
// (x1 y1 x2 y2 score class), in order. A differing count shows as that image's first value.
std::vector<float> flatten(const std::vector<Detections>& images) {
  std::vector<float> v;
  for (const Detections& d : images) {
    v.push_back(static_cast<float>(d.size()));
    for (const Detection& b : d)
      v.insert(v.end(),
               {b.box.x1, b.box.y1, b.box.x2, b.box.y2, b.score, static_cast<float>(b.class_id)});
  }
  return v;
}

// "image 1 box 3 score" for an index into the CPU side's flatten().
percept::test::Where where_in(const std::vector<Detections>& images) {
  return [&images](size_t i) {
    static const char* field[] = {"x1", "y1", "x2", "y2", "score", "class"};
    for (size_t b = 0; b < images.size(); ++b) {
      if (i == 0) return "image " + std::to_string(b) + " count";
      --i;
      const size_t n = images[b].size() * 6;
      if (i < n)
        return "image " + std::to_string(b) + " box " + std::to_string(i / 6) + " " + field[i % 6];
      i -= n;
    }
    return std::string("past the cpu's boxes");
  };
}

// Uploads the tensor, runs the kernels, copies back only the kept boxes (flattened). Output
// memory is poisoned first (NaN bytes) so that an unwritten box cannot pass.
std::vector<float> run_on_device(const NmsCase& c, const std::vector<float>& t) {
  DeviceBuffers g;
  auto need = yolo_nms_workspace_bytes(info_of(c), c.batch, c.opt);
  if (!need.ok()) throw Error(need.error().message());
  const size_t max_det = static_cast<size_t>(c.opt.nms.max_detections);
  gpu::DeviceBuffer in = g.upload(t);
  gpu::DeviceBuffer ws = g.allocate(std::max<size_t>(*need, 1));
  gpu::DeviceBuffer out = g.output(c.batch * max_det * sizeof(DecodedBox));
  gpu::DeviceBuffer counts = g.allocate(c.batch * sizeof(int32_t));
  yolo_decode_nms_cuda(in.as<float>(), info_of(c), c.batch, c.opt, ws.data(), *need,
                       out.as<DecodedBox>(), counts.as<int32_t>(), g.stream())
      .throw_if_error();
  std::vector<int32_t> kept(c.batch, -1);
  std::vector<DecodedBox> boxes(c.batch * max_det);  // [B, max_det], the first kept[b] set
  copy_kept_detections(out.as<DecodedBox>(), counts.as<int32_t>(), c.batch,
                       c.opt.nms.max_detections, boxes.data(), kept.data(), g.stream())
      .throw_if_error();
  std::vector<float> v;
  for (int b = 0; b < c.batch; ++b) {
    v.push_back(static_cast<float>(kept[b]));
    for (int k = 0; k < kept[b]; ++k) {
      const DecodedBox& x = boxes[b * max_det + k];
      v.insert(v.end(), {x.x1, x.y1, x.x2, x.y2, x.score, static_cast<float>(x.class_id)});
    }
  }
  return v;
}

// |device - cpu| <= 1e-6 (1 + |cpu|) on coordinates and scores; class ids (and counts), being
// integers, are then equal.
const KernelTolerance kClose = KernelTolerance::abs_rel(1e-6f, 1e-6f);

}  // namespace

TEST(YoloNmsParity, MatchesTheCpuDecoderBoxForBoxInOrder) {
  SKIP_WITHOUT_GPU();
  for (int round = 0; round < 3; ++round)
    for (const NmsCase& c : exact_cases()) {
      const std::vector<float> t = make_tensor(c);
      const std::vector<Detections> ref = cpu_reference(c, t);
      ASSERT_KERNEL(compare_kernel(
          c.name, [&] { return flatten(ref); }, [&] { return run_on_device(c, t); }, kClose, {},
          where_in(ref)))
          << "round " << round;
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
  EXPECT_KERNEL(compare_kernel(
      c.name, [&] { return flatten(ref); }, [&] { return run_on_device(c, t); }, kClose, {},
      where_in(ref)));
}
