// The YOLO family's extra heads on arbitrary tensors: a v8 head with `extra` channels after the
// class scores (instance segmentation's mask coefficients), decoded with the anchors of the kept
// boxes, then masks assembled from fuzzed coefficients and prototypes for a fuzzed frame and
// letterbox. Every mask must lie inside the frame, have one item per detection, and count its
// set pixels exactly.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/detect/mask_assembly.hpp"
#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/detect/yolo_layout.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  // Header: d1 (1..64), anchors (1..64), class-count hint (0..7), nm (1..8), prototype side
  // (1..32), network input side (prototype side x 1..8), frame width and height (1..256),
  // confidence threshold.
  const int nm = 1 + data[3] % 8;
  const int64_t shape[3] = {1, 1 + data[0] % 64, 1 + data[1] % 64};
  const int nc_hint = data[2] % 8;
  const int side = 1 + data[4] % 32;
  const int input = side * (1 + data[5] % 8);
  const int fw = 1 + data[6], fh = 1 + data[7];
  percept::DecodeOptions opt;
  opt.conf_threshold = static_cast<float>(data[8]) / 255.f;
  data += 9;
  size -= 9;

  auto info = percept::detect_layout_extra(shape, nc_hint, nm);
  if (!info) return 0;
  // The head, then the prototypes: the fuzzer's bytes as floats, zero-padded.
  const size_t head = static_cast<size_t>(shape[1] * shape[2]);
  const size_t plane = static_cast<size_t>(side) * side;
  std::vector<float> t(head + static_cast<size_t>(nm) * plane, 0.f);
  std::memcpy(t.data(), data, std::min(size, t.size() * sizeof(float)));

  static percept::YoloDecoder decoder;
  static percept::MaskAssembler assembler;
  percept::Detections dets;
  std::vector<uint32_t> anchors;
  decoder.decode(t.data(), *info, opt, dets, anchors);
  if (anchors.size() != dets.size()) __builtin_trap();
  const auto lb = percept::letterbox_params(fw, fh, input, input);
  std::vector<float> coef;
  const int n = info->num_boxes, first = 4 + info->num_classes;
  for (size_t d = 0; d < dets.size(); ++d) {
    if (anchors[d] >= static_cast<uint32_t>(n)) __builtin_trap();
    dets[d].box = lb.to_source(dets[d].box);
    for (int k = 0; k < nm; ++k) coef.push_back(t[static_cast<size_t>(first + k) * n + anchors[d]]);
  }
  percept::InstanceMasks masks;
  assembler.assemble(dets, coef.data(), percept::Prototypes{t.data() + head, nm, side, side}, lb,
                     0.5f, masks);
  if (masks.items.size() != dets.size()) __builtin_trap();
  for (const auto& m : masks.items) {
    if (m.x < 0 || m.y < 0 || m.width < 0 || m.height < 0 || m.x + m.width > fw ||
        m.y + m.height > fh)
      __builtin_trap();
    const size_t bytes = static_cast<size_t>(m.width) * m.height;
    if (m.offset + bytes > masks.pixels.size()) __builtin_trap();
    int64_t set = 0;
    for (size_t i = 0; i < bytes; ++i) set += masks.pixels[m.offset + i] != 0;
    if (set != m.area) __builtin_trap();
  }
  return 0;
}
