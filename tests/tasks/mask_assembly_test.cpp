// Instance-mask assembly (mask_assembly.hpp) against hand-made prototypes: the letterbox is
// undone, masks are cropped to their box, the threshold is applied on the logit, hostile
// numbers give empty masks, and a warm assembler does not allocate.
#include "percept/tasks/detect/mask_assembly.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "percept/core/model_output.hpp"
#include "percept/tasks/detect/mask_math.hpp"
#include "support/alloc_counter.hpp"

namespace percept {
namespace {

// One prototype plane of mh x mw whose value is f(u, v).
template <class F>
std::vector<float> plane(int mh, int mw, F f) {
  std::vector<float> p(static_cast<size_t>(mh) * mw);
  for (int v = 0; v < mh; ++v)
    for (int u = 0; u < mw; ++u) p[static_cast<size_t>(v) * mw + u] = f(u, v);
  return p;
}

TEST(MaskMath, ThresholdLogitAndTaps) {
  EXPECT_FLOAT_EQ(threshold_logit(0.5f), 0.f);
  EXPECT_NEAR(threshold_logit(0.9f), std::log(9.f), 1e-6);
  EXPECT_EQ(threshold_logit(1.f), INFINITY);
  EXPECT_EQ(threshold_logit(0.f), -INFINITY);
  int i0, i1;
  float w;
  bilinear_tap(-0.3f, 10, &i0, &i1, &w);
  EXPECT_EQ(i0, 0);
  EXPECT_EQ(i1, 0);
  bilinear_tap(2.25f, 10, &i0, &i1, &w);
  EXPECT_EQ(i0, 2);
  EXPECT_EQ(i1, 3);
  EXPECT_FLOAT_EQ(w, 0.25f);
  bilinear_tap(9.5f, 10, &i0, &i1, &w);
  EXPECT_EQ(i0, 9);
  EXPECT_EQ(i1, 9);
  bilinear_tap(std::numeric_limits<float>::quiet_NaN(), 10, &i0, &i1, &w);
  EXPECT_EQ(i0, 0);
  EXPECT_EQ(i1, 0);
}

// A 640x320 frame letterboxed into 320x320 (scale 0.5, 80 px of padding above and below),
// prototypes at stride 4 (80x80). The one prototype is +1 left of input x = 160 and -1 right
// of it: frame column 320 is the edge, so the mask holds the box's left half exactly.
TEST(MaskAssembly, UndoesTheLetterboxAndCropsToTheBox) {
  const auto lb = letterbox_params(640, 320, 320, 320);
  ASSERT_EQ(lb.pad_top, 80);
  const auto p = plane(80, 80, [](int u, int) { return u < 40 ? 1.f : -1.f; });
  Detections dets{{{200.f, 100.f, 440.f, 200.f}, 0.9f, 0}};
  const float coef[1] = {2.f};
  MaskAssembler a;
  InstanceMasks m;
  a.assemble(dets, coef, Prototypes{p.data(), 1, 80, 80}, lb, 0.5f, m);
  ASSERT_EQ(m.items.size(), 1u);
  EXPECT_EQ(m.items[0].x, 200);
  EXPECT_EQ(m.items[0].y, 100);
  EXPECT_EQ(m.items[0].width, 240);
  EXPECT_EQ(m.items[0].height, 100);
  EXPECT_EQ(m.items[0].area, 120 * 100);
  for (int x = 200; x < 440; ++x) EXPECT_EQ(m.contains(0, x, 150), x < 320) << x;
  EXPECT_FALSE(m.contains(0, 199, 150));  // outside the box: cropped
  EXPECT_FALSE(m.contains(0, 250, 99));
  // A negative coefficient flips the mask; a threshold no logit reaches empties it.
  const float flip[1] = {-2.f};
  a.assemble(dets, flip, Prototypes{p.data(), 1, 80, 80}, lb, 0.5f, m);
  EXPECT_EQ(m.items[0].area, 120 * 100);
  EXPECT_TRUE(m.contains(0, 330, 150));
  EXPECT_FALSE(m.contains(0, 310, 150));
  a.assemble(dets, coef, Prototypes{p.data(), 1, 80, 80}, lb, 0.99f, m);
  EXPECT_EQ(m.items[0].area, 0);
}

// Coefficients combine the planes: the mask is where sum_k c_k P_k > 0.
TEST(MaskAssembly, CombinesPrototypes) {
  const auto lb = letterbox_params(320, 320, 320, 320);
  auto a0 = plane(80, 80, [](int, int v) { return v < 40 ? 1.f : 0.f; });
  const auto a1 = plane(80, 80, [](int u, int) { return u < 40 ? 1.f : 0.f; });
  a0.insert(a0.end(), a1.begin(), a1.end());
  Detections dets{{{0.f, 0.f, 320.f, 320.f}, 0.9f, 0}};
  // Planes 1 on their half and 0 elsewhere, less 0.75 each: the sum is positive only where
  // both are 1, the top-left quadrant.
  const float coef[2] = {1.f, 1.f};
  std::vector<float> planes = a0;
  for (float& v : planes) v -= 0.75f;  // each plane's -0.75 sums to -1.5
  MaskAssembler a;
  InstanceMasks m;
  a.assemble(dets, coef, Prototypes{planes.data(), 2, 80, 80}, lb, 0.5f, m);
  // Bilinear sampling rounds the quadrant's inner corner: at frame (159, 159) each plane reads
  // 1 - 0.375, at (158, 159) and (159, 158) they sum to exactly 1.5, which is not above it.
  EXPECT_EQ(m.items[0].area, 160 * 160 - 3);
  EXPECT_FALSE(m.contains(0, 159, 159));
  EXPECT_TRUE(m.contains(0, 157, 159));
  EXPECT_TRUE(m.contains(0, 10, 10));
  EXPECT_FALSE(m.contains(0, 200, 10));
  EXPECT_FALSE(m.contains(0, 10, 200));
}

TEST(MaskAssembly, HostileNumbersGiveEmptyMasks) {
  const auto lb = letterbox_params(320, 320, 320, 320);
  auto p = plane(80, 80, [](int, int) { return 1.f; });
  Detections dets{{{10.f, 10.f, 50.f, 50.f}, 0.9f, 0},
                  {{60.f, 60.f, 90.f, 90.f}, 0.8f, 0},
                  {{5.f, 5.f, 5.f, 40.f}, 0.7f, 0}};  // zero width
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float coef[3] = {nan, INFINITY * 0.f, 1.f};
  MaskAssembler a;
  InstanceMasks m;
  a.assemble(dets, coef, Prototypes{p.data(), 1, 80, 80}, lb, 0.5f, m);
  ASSERT_EQ(m.items.size(), 3u);
  EXPECT_EQ(m.items[0].area, 0);
  EXPECT_EQ(m.items[1].area, 0);
  EXPECT_EQ(m.items[2].width, 0);
  EXPECT_EQ(m.items[2].area, 0);
  // NaN prototypes: empty too, for every coefficient.
  for (float& v : p) v = nan;
  const float ones[3] = {1.f, 1.f, 1.f};
  a.assemble(dets, ones, Prototypes{p.data(), 1, 80, 80}, lb, 0.5f, m);
  for (const InstanceMask& it : m.items) EXPECT_EQ(it.area, 0);
}

// The tracker drops detections through retain_detections: masks follow their detection.
TEST(MaskAssembly, RetainDetectionsKeepsMasksAligned) {
  const auto lb = letterbox_params(320, 320, 320, 320);
  const auto p = plane(80, 80, [](int, int) { return 1.f; });
  ModelOutput out;
  out.contents = Content::detections | Content::masks;
  out.detections = {{{0.f, 0.f, 10.f, 10.f}, 0.9f, 0},
                    {{20.f, 20.f, 40.f, 40.f}, 0.8f, 1},
                    {{50.f, 50.f, 80.f, 80.f}, 0.7f, 2}};
  const float coef[3] = {1.f, 1.f, 1.f};
  MaskAssembler a;
  a.assemble(out.detections, coef, Prototypes{p.data(), 1, 80, 80}, lb, 0.5f, out.masks);
  out.retain_detections({1, 0, 1});
  ASSERT_EQ(out.detections.size(), 2u);
  ASSERT_EQ(out.masks.items.size(), 2u);
  EXPECT_EQ(out.detections[1].class_id, 2);
  EXPECT_EQ(out.masks.items[1].area, 30 * 30);
  EXPECT_TRUE(out.masks.contains(1, 60, 60));
  out.clear();
  EXPECT_TRUE(out.masks.items.empty());
  EXPECT_TRUE(out.masks.pixels.empty());
}

// The same for keypoints (pose): K points per detection move down with their detection.
TEST(Keypoints, RetainDetectionsKeepsKeypointsAligned) {
  ModelOutput out;
  out.detections.resize(3);
  out.keypoints.per_detection = 2;
  for (int i = 0; i < 6; ++i)
    out.keypoints.points.push_back({static_cast<float>(i), static_cast<float>(10 * i), 1.f});
  out.retain_detections({0, 1, 1});
  ASSERT_EQ(out.keypoints.detections(), 2u);
  EXPECT_EQ(out.keypoints.of(0)[0].x, 2.f);
  EXPECT_EQ(out.keypoints.of(1)[1].y, 50.f);
  out.clear();
  EXPECT_EQ(out.keypoints.detections(), 0u);
}

TEST(MaskAssembly, NoAllocationOnceWarm) {
  const auto lb = letterbox_params(1280, 720, 640, 640);
  std::vector<float> protos(32 * 160 * 160);
  for (size_t i = 0; i < protos.size(); ++i) protos[i] = std::sin(static_cast<float>(i) * 0.01f);
  Detections dets;
  std::vector<float> coef;
  for (int i = 0; i < 20; ++i) {
    const float x = 40.f * static_cast<float>(i);
    dets.push_back({{x, 100.f + x / 4, x + 200.f, 300.f + x / 4}, 0.9f, i % 5});
    for (int k = 0; k < 32; ++k) coef.push_back(std::cos(static_cast<float>(i * 32 + k)));
  }
  MaskAssembler a;
  ModelOutput out;
  for (int i = 0; i < 3; ++i) {
    out.clear();
    a.assemble(dets, coef.data(), Prototypes{protos.data(), 32, 160, 160}, lb, 0.5f, out.masks);
  }
  test::CountAllocations n;
  for (int i = 0; i < 50; ++i) {
    out.clear();
    a.assemble(dets, coef.data(), Prototypes{protos.data(), 32, 160, 160}, lb, 0.5f, out.masks);
  }
  EXPECT_EQ(n.count(), 0);
}

}  // namespace
}  // namespace percept
