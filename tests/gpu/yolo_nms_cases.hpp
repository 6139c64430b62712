// Detector output tensors for the YOLO decode + NMS tests (emulation on the CPU, parity on a
// GPU), and the CPU reference they are compared with: YoloDecoder::decode per image.
//
// The tensors are built to make NMS work: boxes in a few clusters (many overlaps, within and
// across classes), scores quantised to 1/32 (many exact ties, which must come out in anchor
// order), and on request the hostile values the CPU decoder skips (NaN and Inf scores and
// coordinates, negative sizes, coordinates that overflow to Inf, -0 scores).
#pragma once

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/detect/yolo_decode_math.hpp"

namespace percept::test {

struct NmsCase {
  std::string name;
  YoloLayout layout = YoloLayout::v8;
  int batch = 1, nc = 3, n = 200;
  DecodeOptions opt;
  bool hostile = false;
  bool signed_scores = false;  // scores in [-1, 1) (conf < 0 lets negative scores and -0 in)
};

inline std::mt19937& nms_rng() {
  return percept::test::rng();  // seeded per run, the seed printed (gpu_test_util.hpp)
}

inline LayoutInfo info_of(const NmsCase& c) {
  return {c.layout, c.layout == YoloLayout::end2end ? 0 : c.nc, c.n};
}

inline size_t image_floats(const NmsCase& c) {
  switch (c.layout) {
    case YoloLayout::v8:
      return static_cast<size_t>(4 + c.nc) * c.n;
    case YoloLayout::v5:
      return static_cast<size_t>(5 + c.nc) * c.n;
    case YoloLayout::end2end:
      return static_cast<size_t>(6) * c.n;
  }
  return 0;
}

// One tensor of c.batch images in the case's layout.
inline std::vector<float> make_tensor(const NmsCase& c) {
  auto& g = nms_rng();
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto score = [&] {
    const float s = std::floor(u(g) * 32.f) / 32.f;  // ties on purpose
    return c.signed_scores ? 2.f * s - 1.f : s;
  };
  auto hostile = [&](float v) {
    if (!c.hostile) return v;
    const float r = u(g);
    if (r < 0.02f) return nan;
    if (r < 0.04f) return inf;
    if (r < 0.05f) return -inf;
    if (r < 0.06f) return -0.f;
    if (r < 0.07f) return 3e38f;
    return v;
  };
  std::vector<float> t(image_floats(c) * c.batch);
  for (int b = 0; b < c.batch; ++b) {
    float* img = t.data() + image_floats(c) * b;
    // Four clusters per image: overlapping boxes of all classes around each centre.
    float cx0[4], cy0[4];
    for (int k = 0; k < 4; ++k) {
      cx0[k] = 40.f + 560.f * u(g);
      cy0[k] = 40.f + 560.f * u(g);
    }
    for (int i = 0; i < c.n; ++i) {
      const int k = static_cast<int>(u(g) * 4.f) & 3;
      float box[4] = {cx0[k] + 30.f * (u(g) - 0.5f), cy0[k] + 30.f * (u(g) - 0.5f),
                      20.f + 60.f * u(g), 20.f + 60.f * u(g)};
      if (c.hostile && u(g) < 0.03f) box[2] = -box[2];  // inside out
      for (float& v : box) v = hostile(v);
      if (c.layout == YoloLayout::v8) {
        for (int r = 0; r < 4; ++r) img[static_cast<size_t>(r) * c.n + i] = box[r];
        for (int k2 = 0; k2 < c.nc; ++k2)
          img[static_cast<size_t>(4 + k2) * c.n + i] = hostile(score());
      } else if (c.layout == YoloLayout::v5) {
        float* r = img + static_cast<size_t>(i) * (5 + c.nc);
        for (int k2 = 0; k2 < 4; ++k2) r[k2] = box[k2];
        r[4] = hostile(score());
        for (int k2 = 0; k2 < c.nc; ++k2) r[5 + k2] = hostile(score());
      } else {
        float* r = img + static_cast<size_t>(i) * 6;
        r[0] = box[0] - box[2] * 0.5f;
        r[1] = box[1] - box[3] * 0.5f;
        r[2] = box[0] + box[2] * 0.5f;
        r[3] = box[1] + box[3] * 0.5f;
        r[4] = hostile(score());
        r[5] = c.hostile && u(g) < 0.05f ? (u(g) < 0.5f ? -1.f : 1e12f)
                                         : std::floor(u(g) * static_cast<float>(c.nc));
      }
    }
  }
  return t;
}

// The CPU path, per image.
inline std::vector<Detections> cpu_reference(const NmsCase& c, const std::vector<float>& t) {
  YoloDecoder dec;
  std::vector<Detections> out(c.batch);
  for (int b = 0; b < c.batch; ++b)
    dec.decode(t.data() + image_floats(c) * b, info_of(c), c.opt, out[b]);
  return out;
}

inline NmsCase nms_case(std::string name, YoloLayout l, int batch, int nc, int n, float conf,
                        float iou, int max_det, int max_candidates, bool agnostic,
                        bool hostile = false, bool signed_scores = false) {
  NmsCase c;
  c.name = std::move(name);
  c.layout = l;
  c.batch = batch;
  c.nc = nc;
  c.n = n;
  c.opt.conf_threshold = conf;
  c.opt.max_candidates = max_candidates;
  c.opt.nms.iou_threshold = iou;
  c.opt.nms.max_detections = max_det;
  c.opt.nms.class_agnostic = agnostic;
  c.hostile = hostile;
  c.signed_scores = signed_scores;
  return c;
}

// Cases where the CPU result is fully specified (no truncation at max_candidates with ties at
// the cut), so the GPU must match it box for box, in order.
inline std::vector<NmsCase> exact_cases() {
  using L = YoloLayout;
  return {
      nms_case("v8 one anchor", L::v8, 1, 1, 1, 0.25f, 0.45f, 300, 30000, false),
      nms_case("v8 63 anchors", L::v8, 2, 3, 63, 0.25f, 0.45f, 300, 30000, false),
      nms_case("v8 64 anchors", L::v8, 1, 3, 64, 0.1f, 0.45f, 300, 30000, false),
      nms_case("v8 65 anchors", L::v8, 1, 3, 65, 0.1f, 0.45f, 300, 30000, false),
      nms_case("v8 conf 0: every anchor a candidate", L::v8, 2, 5, 700, 0.f, 0.5f, 300, 30000,
               false),
      nms_case("v8 class-agnostic", L::v8, 3, 4, 500, 0.2f, 0.45f, 300, 30000, true),
      nms_case("v8 80 classes", L::v8, 1, 80, 1344, 0.25f, 0.7f, 300, 30000, false),
      nms_case("v8 max_det 5 stops the walk", L::v8, 2, 3, 400, 0.05f, 0.45f, 5, 30000, false),
      nms_case("v8 iou 0: any overlap suppresses", L::v8, 1, 2, 300, 0.1f, 0.f, 300, 30000, false),
      nms_case("v8 iou 1: nothing suppressed", L::v8, 1, 2, 300, 0.1f, 1.f, 1000, 30000, false),
      nms_case("v8 hostile values", L::v8, 2, 3, 600, 0.1f, 0.45f, 300, 30000, false, true),
      nms_case("v8 negative scores, conf -0.5", L::v8, 1, 3, 300, -0.5f, 0.45f, 400, 30000, false,
               true, true),
      nms_case("v5", L::v5, 2, 3, 500, 0.1f, 0.45f, 300, 30000, false),
      nms_case("v5 class-agnostic", L::v5, 1, 7, 900, 0.f, 0.6f, 300, 30000, true),
      nms_case("v5 hostile values", L::v5, 2, 3, 600, 0.05f, 0.45f, 300, 30000, false, true),
      nms_case("end2end", L::end2end, 3, 4, 300, 0.25f, 0.45f, 300, 30000, false),
      nms_case("end2end max_det 7", L::end2end, 2, 4, 300, 0.1f, 0.45f, 7, 30000, false),
      nms_case("end2end hostile values", L::end2end, 2, 4, 300, 0.1f, 0.45f, 300, 30000, false,
               true),
  };
}

}  // namespace percept::test
