// The pixel size an image file declares, read from its header without decoding it, so that a
// "decompression bomb" (a 2.6 MB PNG that decodes to 30000x30000, 5.4 GB; issue 24) is refused
// before any pixel buffer is allocated. No OpenCV: a few bytes read with plain file I/O.
#pragma once

#include <cstdint>
#include <string>

#include "percept/core/error.hpp"

namespace percept {

// The default limit on a decoded image or video frame: 100 megapixels (300 MB as 8-bit BGR),
// more than any camera sensor gives. The `max_image_pixels` camera key and `percept infer
// --max-image-pixels` change it.
inline constexpr uint64_t kDefaultMaxImagePixels = 100'000'000;

struct ImageSize {
  uint64_t width = 0, height = 0;
  // width * height, saturated (a TIFF may declare 64-bit sizes).
  uint64_t pixels() const;
};

// The size in the header of a PNG, JPEG (the first frame header), BMP, TIFF or BigTIFF (the
// first page), WebP or PNM (P1-P6) file; the format is told by its signature, not the file's
// name. Errors (ErrorCode::invalid_argument, without the path: the caller names the file): an
// unknown signature ("not a PNG, JPEG, ... image"), a header cut short or inconsistent.
// ErrorCode::io when the file cannot be opened. The caller has checked that `path` is a regular
// file (a FIFO would block the open).
Result<ImageSize> read_image_size(const std::string& path);
// The same for an encoded image in memory (a ROS 2 CompressedImage's data).
Result<ImageSize> image_size_in_memory(const uint8_t* data, size_t size);

// "W x H image (N pixels) is over the limit of M pixels" as one phrase, for errors.
std::string over_limit_text(const ImageSize& size, uint64_t max_pixels);

}  // namespace percept
