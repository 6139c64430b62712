// What one model produced for one frame (STYLE 15: result types live in core, so that drawing,
// writing and publishing a result never depend on the task that produced it). Every consumer
// (JSONL, video, ROS 2, dashboard, `percept infer`) looks at what the output *contains*, never
// at which task made it: a new task that fills detections is written, drawn and published
// without touching any of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "percept/core/class_scores.hpp"
#include "percept/core/depth_map.hpp"
#include "percept/core/detection.hpp"
#include "percept/core/face.hpp"
#include "percept/core/instance_masks.hpp"
#include "percept/core/keypoints.hpp"
#include "percept/core/segmentation_map.hpp"

namespace percept {

// The kinds of result a model output can hold; a task declares the ones it fills.
enum class Content : uint32_t {
  none = 0,
  detections = 1u << 0,    // boxes with class and score (distance filled by the fuser)
  depth = 1u << 1,         // a dense depth map
  segmentation = 1u << 2,  // a per-pixel class map with class fractions
  classes = 1u << 3,       // the best classes of the whole frame
  faces = 1u << 4,         // face boxes with six keypoints
  masks = 1u << 5,         // one instance mask per detection (ModelOutput::masks)
  keypoints = 1u << 6,     // keypoints per detection (ModelOutput::keypoints)
};
constexpr Content operator|(Content a, Content b) {
  return static_cast<Content>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
// Whether `set` holds every kind in `k`.
constexpr bool has(Content set, Content k) {
  return (static_cast<uint32_t>(set) & static_cast<uint32_t>(k)) == static_cast<uint32_t>(k) &&
         k != Content::none;
}

// Kept whole (not a variant) so that pooled frames reuse every buffer; only the members named
// by `contents` are meaningful.
struct ModelOutput {
  Content contents = Content::none;  // set by the task that filled it
  Detections detections;
  DepthMap depth;
  SegmentationMap segmentation;
  ClassScores classes;  // best first
  Faces faces;
  InstanceMasks masks;           // masks.items[i] belongs to detections[i]
  DetectionKeypoints keypoints;  // keypoints.of(i) belong to detections[i]
  void clear();                  // keeps capacity
  // Keeps, in order, the detections whose `keep[i]` is non-zero (`keep` has one entry per
  // detection) together with everything stored per detection beside them, without allocating.
  // Whoever filters detections after the task (the tracker) goes through here, so that data
  // kept in parallel arrays stays aligned with its detection.
  void retain_detections(const std::vector<uint8_t>& keep);
};

// The label of a class id in `labels`, "class_<id>" when there is no name for it. Labels are
// resolved once when a model opens and copied to whoever prints them (no call back into the
// task from a sink thread).
std::string label_of(const std::vector<std::string>& labels, int class_id);

}  // namespace percept
