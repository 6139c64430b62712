#include "percept/tasks/detect/yolo_layout.hpp"

#include <gtest/gtest.h>

#include "percept/core/tensor.hpp"

namespace percept {
namespace {

LayoutInfo detect(Shape s, int nc = 0, std::optional<YoloLayout> forced = {}) {
  auto r = detect_layout(s, nc, forced);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : LayoutInfo{};
}

TEST(YoloLayout, FromShapeAlone) {
  auto v8 = detect({1, 84, 8400});
  EXPECT_EQ(v8.layout, YoloLayout::v8);
  EXPECT_EQ(v8.num_classes, 80);
  EXPECT_EQ(v8.num_boxes, 8400);
  auto v5 = detect({1, 25200, 85});
  EXPECT_EQ(v5.layout, YoloLayout::v5);
  EXPECT_EQ(v5.num_classes, 80);
  auto e2e = detect({1, 300, 6});
  EXPECT_EQ(e2e.layout, YoloLayout::end2end);
  EXPECT_EQ(e2e.num_boxes, 300);
}

TEST(YoloLayout, ClassCountSettlesAmbiguity) {
  // One-class v5 export: [1, 25200, 6] looks like end2end by the last dim alone.
  EXPECT_EQ(detect({1, 25200, 6}, 1).layout, YoloLayout::v5);
  // Two classes at 640 with few anchors: [1, 6, 5] v8 even though 6 > 5.
  EXPECT_EQ(detect({1, 6, 5}, 2).layout, YoloLayout::v8);
  // Three classes: [1, 7, 300] is v8 (4+3 rows), not 300 boxes of something else.
  EXPECT_EQ(detect({1, 7, 300}, 3).layout, YoloLayout::v8);
}

TEST(YoloLayout, ForcedLayoutIsChecked) {
  EXPECT_EQ(detect({1, 300, 6}, 0, YoloLayout::v5).layout, YoloLayout::v5);
  auto bad = detect_layout(Shape{1, 300, 6}, 0, YoloLayout::v8);
  EXPECT_TRUE(bad.ok());  // [1, 300, 6] is a valid (if odd) v8 shape: 296 classes, 6 anchors
  auto wrong = detect_layout(Shape{1, 84, 8400}, 0, YoloLayout::end2end);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("does not fit the 'end2end' layout"), std::string::npos);
}

TEST(YoloLayout, UnknownShapesAskForConfig) {
  for (Shape s : {Shape{1, 84}, Shape{1, 4, 4}, Shape{1, -1, 8400}, Shape{1, 3, 3, 3}}) {
    auto r = detect_layout(s, 0, {});
    ASSERT_FALSE(r.ok()) << shape_str(s);
  }
  auto r = detect_layout(Shape{1, 4, 4}, 0, {});
  EXPECT_NE(r.error().message().find("layout: v8 | v5 | end2end"), std::string::npos);
}

TEST(YoloLayout, ParsesNamesAndAliases) {
  EXPECT_EQ(*parse_layout("YOLOv8"), YoloLayout::v8);
  EXPECT_EQ(*parse_layout("yolo11"), YoloLayout::v8);
  EXPECT_EQ(*parse_layout("v7"), YoloLayout::v5);
  EXPECT_EQ(*parse_layout("e2e"), YoloLayout::end2end);
  EXPECT_FALSE(parse_layout("ssd").ok());
}

// Heads with extra channels after the class scores (segment: nm coefficients, pose: K * D).
TEST(YoloLayoutExtra, ClassCountIsWhatIsLeftAndMustAgreeWithTheNames) {
  const int64_t seg[3] = {1, 4 + 5 + 32, 2100};
  auto l = detect_layout_extra(seg, 5, 32);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->layout, YoloLayout::v8);
  EXPECT_EQ(l->num_classes, 5);
  EXPECT_EQ(l->num_boxes, 2100);
  EXPECT_EQ(l->extra, 32);
  EXPECT_EQ(detect_layout_extra(seg, 0, 32)->num_classes, 5);  // no names: what is left
  EXPECT_FALSE(detect_layout_extra(seg, 80, 32).ok());         // names disagree
  const int64_t too_few[3] = {1, 4 + 12, 100};
  EXPECT_FALSE(detect_layout_extra(too_few, 0, 12).ok());  // no channel left for a class
  // An end-to-end seg export [B, 300, 6 + 32] is refused as not supported, not read as v8.
  const int64_t e2e[3] = {1, 300, 6 + 32};
  auto e = detect_layout_extra(e2e, 0, 32);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), ErrorCode::not_supported);
  EXPECT_NE(e.error().message().find("end-to-end"), std::string::npos);
}

}  // namespace
}  // namespace percept
