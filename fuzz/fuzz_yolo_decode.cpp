// YOLO layout detection and decoding on arbitrary output tensors: any shape, any class-count
// hint, any forced layout, any float values (NaN, Inf, huge). Every detection that comes out
// must be finite, ordered (x1 <= x2, y1 <= y2) and carry a class id the tensor can name.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/detect/yolo_layout.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  // Header: d1, d2 (1..256), class-count hint (0..15), forced layout (none, v8, v5, end2end),
  // confidence threshold, class-agnostic NMS.
  const int64_t shape[3] = {1, 1 + data[0], 1 + data[1]};
  const int nc_hint = data[2] % 16;
  std::optional<percept::YoloLayout> forced;
  if (data[3] % 4 == 1) forced = percept::YoloLayout::v8;
  if (data[3] % 4 == 2) forced = percept::YoloLayout::v5;
  if (data[3] % 4 == 3) forced = percept::YoloLayout::end2end;
  percept::DecodeOptions opt;
  opt.conf_threshold = static_cast<float>(data[4]) / 255.f;
  opt.nms.class_agnostic = (data[5] & 1) != 0;
  data += 6;
  size -= 6;

  auto info = percept::detect_layout(shape, nc_hint, forced);
  if (!info) return 0;
  // The tensor: the fuzzer's bytes as floats, zero-padded to the declared shape.
  std::vector<float> t(static_cast<size_t>(shape[1] * shape[2]), 0.f);
  std::memcpy(t.data(), data, std::min(size, t.size() * sizeof(float)));

  static percept::YoloDecoder decoder;
  percept::Detections out;
  decoder.decode(t.data(), *info, opt, out);
  for (const auto& d : out) {
    const percept::Box& b = d.box;
    if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) ||
        !std::isfinite(b.y2) || !std::isfinite(d.score))
      __builtin_trap();
    if (b.x1 > b.x2 || b.y1 > b.y2) __builtin_trap();
    if (d.class_id < 0) __builtin_trap();
    if (info->num_classes > 0 && d.class_id >= info->num_classes) __builtin_trap();
  }
  return 0;
}
