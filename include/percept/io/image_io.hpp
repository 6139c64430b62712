// Image files and the bridge between percept::Image and OpenCV (only io/ and cli/ see OpenCV).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"

namespace percept {

// Reads any image OpenCV decodes; grey, 16-bit and alpha images become 8-bit BGR.
// Errors name the file: missing, unreadable, not an image, or empty.
Result<Image> read_image(const std::string& path);

// Copies a cv::Mat (8-bit, 1, 3 or 4 channels, BGR order) into `out`, reusing its buffer.
Status image_from_mat(const cv::Mat& mat, Image& out);

// Wraps an image as a cv::Mat header over the same pixels (no copy; `img` must outlive it).
cv::Mat mat_view(Image& img);
cv::Mat mat_view(const ImageView& img);

}  // namespace percept
