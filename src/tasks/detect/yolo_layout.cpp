#include "percept/tasks/detect/yolo_layout.hpp"

#include <algorithm>
#include <cctype>

#include "percept/core/tensor.hpp"

namespace percept {

const char* layout_name(YoloLayout l) {
  switch (l) {
    case YoloLayout::v8:
      return "v8";
    case YoloLayout::v5:
      return "v5";
    case YoloLayout::end2end:
      return "end2end";
  }
  return "?";
}

Result<YoloLayout> parse_layout(std::string_view s) {
  std::string k(s);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  if (k == "v8" || k == "yolov8" || k == "v11" || k == "yolo11" || k == "v12" || k == "yolo12")
    return YoloLayout::v8;
  if (k == "v5" || k == "yolov5" || k == "v7" || k == "yolov7") return YoloLayout::v5;
  if (k == "end2end" || k == "e2e" || k == "nms" || k == "v10" || k == "yolov10")
    return YoloLayout::end2end;
  return Error("unknown detection layout '" + std::string(s) + "' (expected v8, v5 or end2end)");
}

namespace {

// End-to-end exports keep at most a few hundred boxes; a v5 export has thousands of anchors.
constexpr int64_t kMaxEnd2EndBoxes = 1000;

Result<LayoutInfo> check(YoloLayout l, int64_t d1, int64_t d2, const std::string& shape) {
  switch (l) {
    case YoloLayout::v8:
      if (d1 > 4) return LayoutInfo{l, static_cast<int>(d1 - 4), static_cast<int>(d2)};
      break;
    case YoloLayout::v5:
      if (d2 > 5) return LayoutInfo{l, static_cast<int>(d2 - 5), static_cast<int>(d1)};
      break;
    case YoloLayout::end2end:
      if (d2 == 6) return LayoutInfo{l, 0, static_cast<int>(d1)};
      break;
  }
  return Error(std::string("output shape ") + shape + " does not fit the '" + layout_name(l) +
               "' layout (v8: [B, 4+nc, N], v5: [B, N, 5+nc], end2end: [B, K, 6])");
}

}  // namespace

Result<LayoutInfo> detect_layout(std::span<const int64_t> shape, int nc,
                                 std::optional<YoloLayout> forced) {
  const std::string s = shape_str(shape);
  if (shape.size() != 3 || shape[1] <= 0 || shape[2] <= 0)
    return Error("detection output " + s +
                 " is not a rank-3 [B, *, *] tensor with known sizes; "
                 "percept decodes v8 [B, 4+nc, N], v5 [B, N, 5+nc] and end2end [B, K, 6]");
  const int64_t d1 = shape[1], d2 = shape[2];
  if (forced) return check(*forced, d1, d2, s);
  if (nc > 0) {  // the class count from the metadata settles it
    // ...except for [B, 4+nc, 6]: six v8 anchors or six end2end boxes, both fit.
    if (d1 == 4 + nc && d2 == 6)
      return Error("detection output " + s + " fits both v8 (" + std::to_string(nc) +
                   " classes, 6 anchors) and end2end (6 boxes); set `layout: v8 | end2end` in "
                   "the model's config");
    if (d1 == 4 + nc && d2 != 4 + nc) return check(YoloLayout::v8, d1, d2, s);
    if (d2 == 5 + nc && d1 != 5 + nc) return check(YoloLayout::v5, d1, d2, s);
    if (d2 == 6) return check(YoloLayout::end2end, d1, d2, s);
  } else {
    if (d2 == 6 && d1 <= kMaxEnd2EndBoxes) return check(YoloLayout::end2end, d1, d2, s);
    if (d1 > 4 && d1 < d2) return check(YoloLayout::v8, d1, d2, s);
    if (d2 > 5 && d2 < d1) return check(YoloLayout::v5, d1, d2, s);
  }
  return Error("cannot tell the layout of detection output " + s +
               (nc > 0 ? " for " + std::to_string(nc) + " classes" : std::string()) +
               "; set `layout: v8 | v5 | end2end` in the model's config");
}

Result<LayoutInfo> detect_layout_extra(std::span<const int64_t> shape, int nc, int extra) {
  const std::string s = shape_str(shape);
  if (shape.size() != 3 || shape[1] <= 0 || shape[2] <= 0)
    return Error("output " + s + " is not a rank-3 [B, 4+nc+" + std::to_string(extra) +
                 ", N] tensor with known sizes");
  // End-to-end (NMS-free) exports of these heads give a kept box per row, [B, K, 6+extra]
  // (x1 y1 x2 y2 score class, then the extra values): read as v8, every number would be wrong.
  if (shape[2] == 6 + extra && shape[1] != 6 + extra)
    return Error(ErrorCode::not_supported,
                 "output " + s + " looks like an end-to-end (NMS-free) export [B, K, 6+" +
                     std::to_string(extra) +
                     "]; percept decodes these heads in the v8 layout [B, " + "4+nc+" +
                     std::to_string(extra) + ", N] only (not supported yet)");
  const int64_t classes = shape[1] - 4 - extra;
  if (classes < 1)
    return Error("output " + s + " has " + std::to_string(shape[1]) +
                 " channels per anchor: too few for 4 box values, at least one class and " +
                 std::to_string(extra) + " more");
  if (nc > 0 && classes != nc)
    return Error("output " + s + " holds " + std::to_string(classes) + " classes after 4 box and " +
                 "before " + std::to_string(extra) + " more channels, but the model names " +
                 std::to_string(nc));
  return LayoutInfo{YoloLayout::v8, static_cast<int>(classes), static_cast<int>(shape[2]), extra};
}

}  // namespace percept
