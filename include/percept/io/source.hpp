// Frame sources: where a camera's frames come from. One capture thread per source calls read().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/io/image_header.hpp"
#include "percept/io/ros2_options.hpp"

namespace percept {

enum class SourceKind {
  video,      // a video file
  images,     // an image file, a folder of images, or a glob such as "dir/*.png"
  device,     // a camera device through OpenCV (V4L2): "/dev/video0" or "0"
  stream,     // a network stream URL through OpenCV/FFmpeg: rtsp://, http://, udp://
  synthetic,  // SyntheticScene: moving shapes with ground truth (tests, benchmarks)
  ros2,       // sensor_msgs/Image from a ROS 2 topic over DDS (opened by the pipeline: ros2.hpp)
  bag,        // Image / CompressedImage messages of a topic of a ROS 2 bag (ros2.hpp)
};
Result<SourceKind> parse_source_kind(const std::string& s);
// Files have an end and can be replayed without loss; devices and streams are live.
inline bool is_file_source(SourceKind k) {
  return k == SourceKind::video || k == SourceKind::images || k == SourceKind::bag;
}

struct SourceConfig {
  std::string camera;  // camera id, used in outputs
  SourceKind kind = SourceKind::video;
  std::string path;  // file, folder, glob, device or URL (not used by synthetic)
  // Images and video/device/stream frames larger than this are refused: an image file is a
  // read error (checked from its header before decoding), a video at open (its declared size).
  uint64_t max_image_pixels = kDefaultMaxImagePixels;
  // synthetic only
  int width = 640, height = 480, objects = 4;
  double fps = 30;  // also the rate synthetic frames are paced at in live mode
  int64_t frames = -1;
  uint64_t seed = 1;
  bool wander = false;    // shapes leave and come back instead of bouncing (SyntheticOptions)
  Ros2SourceConfig ros2;  // ros2: topic, QoS, timeout; bag: topic
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads the next frame into `frame` (its buffer is reused). Returns false at end of stream.
  // A frame that cannot be decoded is an error naming it; the caller may go on reading.
  virtual Result<bool> read(Image& frame) = 0;
  virtual double fps() const = 0;           // 0 when the source does not say
  virtual int64_t frame_count() const = 0;  // -1 when unknown
  // Capture time (system clock, ns) of the frame last read when the source knows it (a ROS 2
  // message's header stamp); 0: the pipeline stamps the frame when read() returns.
  virtual int64_t capture_wall_ns() const { return 0; }
};

// Throws percept::Error naming the path when it cannot be opened.
std::unique_ptr<Source> open_source(const SourceConfig& config);

}  // namespace percept
