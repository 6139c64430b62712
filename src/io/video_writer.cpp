#include "percept/io/video_writer.hpp"

#include <opencv2/videoio.hpp>

#include "percept/io/image_io.hpp"

namespace percept {

struct VideoWriter::Impl {
  cv::VideoWriter writer;
  int width = 0, height = 0;
};

VideoWriter::VideoWriter() : impl_(std::make_unique<Impl>()) {}
VideoWriter::~VideoWriter() {
  close();
}

void VideoWriter::configure(std::string path, double fps) {
  path_ = std::move(path);
  fps_ = fps > 0 ? fps : 30;
}

Status VideoWriter::write(const ImageView& frame) {
  if (!impl_->writer.isOpened()) {
    if (!impl_->writer.open(path_, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps_,
                            {frame.width, frame.height}, frame.channels() == 3))
      return Error(ErrorCode::io, "cannot write video '" + path_ + "'");
    impl_->width = frame.width;
    impl_->height = frame.height;
  }
  if (frame.width != impl_->width || frame.height != impl_->height)
    return Error(ErrorCode::invalid_argument,
                 "video '" + path_ + "': frame size " + std::to_string(frame.width) + "x" +
                     std::to_string(frame.height) + " differs from the first frame's");
  impl_->writer.write(mat_view(frame));
  ++frames_;
  return {};
}

void VideoWriter::close() {
  if (impl_ && impl_->writer.isOpened()) impl_->writer.release();
}

}  // namespace percept
