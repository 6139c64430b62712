// Instance masks: one binary mask per detection, in the pixels of the frame the detections
// came from. Each mask covers only its detection's box (the mask is cropped to it, as
// Ultralytics does), so a frame of 20 objects stores 20 box-sized bitmaps, not 20 frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace percept {

// Where one detection's mask lies: a width x height rectangle at (x, y) in frame pixels, its
// bytes (1: the object, 0: not) row-major at InstanceMasks::pixels[offset]. `area` counts the
// set bytes. An empty rectangle (width or height 0) is a detection without mask pixels.
struct InstanceMask {
  int x = 0, y = 0;
  int width = 0, height = 0;
  size_t offset = 0;
  int64_t area = 0;
};

// items[i] is the mask of ModelOutput::detections[i]. `pixels` is one buffer for the whole
// frame (reused by pooled frames); dropping a detection (ModelOutput::retain_detections) drops
// its item and leaves the bytes in place, so that the other offsets stay valid.
struct InstanceMasks {
  std::vector<InstanceMask> items;
  std::vector<uint8_t> pixels;

  void clear() {
    items.clear();
    pixels.clear();
  }
  // Whether frame pixel (px, py) belongs to mask i.
  bool contains(size_t i, int px, int py) const {
    const InstanceMask& m = items[i];
    if (px < m.x || py < m.y || px >= m.x + m.width || py >= m.y + m.height) return false;
    return pixels[m.offset + static_cast<size_t>(py - m.y) * m.width + (px - m.x)] != 0;
  }
};

// The instance map of a width x height frame into out[width * height] (row-major): each pixel
// holds the index + 1 of the mask covering it, 0 for the background. Where masks overlap the
// earlier one (the higher score) wins. Masks past 65535 cannot be numbered and are left out.
// What `percept infer` writes as <stem>.masks.png and ROS 2 publishes as mono16.
void paint_instance_map(const InstanceMasks& masks, int width, int height, uint16_t* out);

}  // namespace percept
