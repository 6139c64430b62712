// Image files and the bridge between percept::Image and OpenCV (only io/ and cli/ see OpenCV).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/io/image_header.hpp"

namespace percept {

// Reads a PNG, JPEG, BMP, TIFF, WebP or PNM image; grey, 16-bit and alpha images become 8-bit
// BGR. The size in the file's header is checked against `max_pixels` before decoding
// (image_header.hpp). Errors name the file: missing, not a regular file (a FIFO is never
// opened), not an image, over the limit (with its size), corrupt, or out of memory
// (ErrorCode::out_of_memory: std::bad_alloc while decoding does not escape).
Result<Image> read_image(const std::string& path, uint64_t max_pixels = kDefaultMaxImagePixels);

// Copies a cv::Mat (8-bit, 1, 3 or 4 channels, BGR order) into `out`, reusing its buffer.
Status image_from_mat(const cv::Mat& mat, Image& out);

// Wraps an image as a cv::Mat header over the same pixels (no copy; `img` must outlive it).
cv::Mat mat_view(Image& img);
cv::Mat mat_view(const ImageView& img);

}  // namespace percept
