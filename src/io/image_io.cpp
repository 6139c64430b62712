#include "percept/io/image_io.hpp"

#include <cstring>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "percept/core/small_file.hpp"
#include "percept/io/image_header.hpp"

namespace percept {

Result<Image> read_image(const std::string& path, uint64_t max_pixels) {
  // Checked before anything opens it: a FIFO would block the open, a device never end.
  if (Status s = check_regular_file(path, "image file"); !s) return s.error();
  // The size the header declares, before the decoder allocates for it (issue 24: a 2.6 MB PNG
  // of 30000x30000 took 5.4 GB and 24 s, then std::bad_alloc stopped its camera).
  auto size = read_image_size(path);
  if (!size)
    return Error(size.error().code(),
                 "cannot decode image '" + path + "': " + size.error().message());
  if (size->pixels() > max_pixels)
    return Error(ErrorCode::invalid_argument,
                 "image '" + path + "': " + over_limit_text(*size, max_pixels));
  // Refused here rather than by the decoder, whose library (libpng) would print its own
  // warnings on stderr before percept's one line.
  if (size->width == 0 || size->height == 0)
    return Error(ErrorCode::invalid_argument,
                 "cannot decode image '" + path + "': its header declares " +
                     std::to_string(size->width) + "x" + std::to_string(size->height) + " pixels");
  cv::Mat m;
  try {
    m = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Error(ErrorCode::invalid_argument, "cannot decode image '" + path + "': " + e.err);
  } catch (const std::bad_alloc&) {
    // Within the limit but more than this process can have now: one frame lost, not the camera.
    return Error(ErrorCode::out_of_memory, "cannot decode image '" + path + "' (" +
                                               std::to_string(size->width) + "x" +
                                               std::to_string(size->height) + "): out of memory");
  }
  if (m.empty())
    return Error(
        ErrorCode::invalid_argument,
        "cannot decode image '" + path + "': not an image format OpenCV reads, or corrupt");
  Image img;
  if (Status st = image_from_mat(m, img); !st)
    return Error(st.error().code(), path + ": " + st.error().message());
  return img;
}

Status image_from_mat(const cv::Mat& mat, Image& out) {
  if (mat.empty() || mat.cols <= 0 || mat.rows <= 0)
    return Error(ErrorCode::invalid_argument, "empty image");
  cv::Mat src = mat;
  if (src.depth() != CV_8U) {
    // 16-bit sources: scale to 8 bits rather than clip.
    const double scale = src.depth() == CV_16U ? 1.0 / 257.0 : 1.0;
    src.convertTo(src, CV_8U, scale);
  }
  cv::Mat bgr;
  switch (src.channels()) {
    case 1:
      cv::cvtColor(src, bgr, cv::COLOR_GRAY2BGR);
      break;
    case 3:
      bgr = src;
      break;
    case 4:
      cv::cvtColor(src, bgr, cv::COLOR_BGRA2BGR);
      break;
    default:
      return Error(ErrorCode::not_supported,
                   "images with " + std::to_string(src.channels()) + " channels are not supported");
  }
  out.resize(bgr.cols, bgr.rows, PixelFormat::bgr8);
  const size_t row_bytes = static_cast<size_t>(bgr.cols) * 3;
  for (int y = 0; y < bgr.rows; ++y) std::memcpy(out.row(y), bgr.ptr(y), row_bytes);
  return {};
}

cv::Mat mat_view(Image& img) {
  return cv::Mat(img.height(), img.width(), img.format() == PixelFormat::gray8 ? CV_8UC1 : CV_8UC3,
                 img.data(), img.stride());
}

cv::Mat mat_view(const ImageView& img) {
  return cv::Mat(img.height, img.width, img.channels() == 1 ? CV_8UC1 : CV_8UC3,
                 const_cast<uint8_t*>(img.data), img.stride);
}

}  // namespace percept
