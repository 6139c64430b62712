// Frame sources: where a camera's frames come from. One capture thread per source calls read().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"

namespace percept {

enum class SourceKind { video, images };
Result<SourceKind> parse_source_kind(const std::string& s);

struct SourceConfig {
  std::string camera;  // camera id, used in outputs
  SourceKind kind = SourceKind::video;
  std::string path;  // video file; image file, folder or glob pattern ("dir/*.png")
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads the next frame into `frame` (its buffer is reused). Returns false at end of stream.
  // A frame that cannot be decoded is an error naming it; the caller may go on reading.
  virtual Result<bool> read(Image& frame) = 0;
  virtual double fps() const = 0;                       // 0 when the source does not say
  virtual int64_t frame_count() const = 0;              // -1 when unknown
  virtual const std::string& current_name() const = 0;  // file of the last frame read
};

// Throws percept::Error naming the path when it cannot be opened.
std::unique_ptr<Source> open_source(const SourceConfig& config);

}  // namespace percept
