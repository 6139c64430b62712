#include "percept/io/video_writer.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/videoio.hpp>

#include "percept/io/image_io.hpp"

namespace percept {

namespace {

// Bytes this process may still write on the file system holding `dir`: root may use the blocks
// reserved for it (ext4), so it counts them. Unknown (statvfs failed): "plenty", never a
// guessed failure.
uint64_t free_bytes(const std::string& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0) return UINT64_MAX;
  const uint64_t blocks = ::geteuid() == 0 ? v.f_bfree : v.f_bavail;
  return blocks * v.f_frsize;
}

}  // namespace

struct VideoWriter::Impl {
  cv::VideoWriter writer;
  int width = 0, height = 0;
  std::string dir;          // the folder whose free space is watched
  int segment = 0;          // the file being written: file_path(segment)
  bool cut = false;         // the disk filled: the file was closed, no frame goes out yet
  std::vector<int> frames;  // per segment, frames handed to OpenCV
};

VideoWriter::VideoWriter() : impl_(std::make_unique<Impl>()) {}
VideoWriter::~VideoWriter() {
  close();
}

void VideoWriter::configure(std::string path, double fps) {
  path_ = std::move(path);
  fps_ = fps > 0 ? fps : 30;
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  impl_->dir = parent.empty() ? "." : parent.string();
}

std::string VideoWriter::file_path(int segment) const {
  if (segment == 0) return path_;
  const std::filesystem::path p(path_);
  return (p.parent_path() /
          (p.stem().string() + "." + std::to_string(segment) + p.extension().string()))
      .string();
}

std::vector<std::string> VideoWriter::files() const {
  std::vector<std::string> out;
  for (size_t s = 0; s < impl_->frames.size(); ++s)
    if (impl_->frames[s] > 0) out.push_back(file_path(static_cast<int>(s)));
  return out;
}

Status VideoWriter::write(const ImageView& frame) {
  Impl& m = *impl_;
  if (m.cut) {
    const uint64_t room = free_bytes(m.dir);
    if (room < kRoomToResume)
      return Error(ErrorCode::io, "video '" + file_path(m.segment) +
                                      "': frame not written, the disk is still full (" +
                                      std::to_string(room) + " bytes free)");
    m.cut = false;
    ++m.segment;  // the cut file stays as it is; the video goes on in a new one
  }
  if (!m.writer.isOpened()) {
    // Everything that may allocate comes before the open: a std::bad_alloc after it left an
    // open writer without its frame counter, and the next frame indexed past the vector (the
    // out-of-memory sweep, oom_tests, allocation 722).
    const std::string path = file_path(m.segment);
    if (m.frames.size() <= static_cast<size_t>(m.segment))
      m.frames.resize(static_cast<size_t>(m.segment) + 1, 0);
    if (!m.writer.open(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps_,
                       {frame.width, frame.height}, frame.channels() == 3))
      return Error(ErrorCode::io, "cannot write video '" + path + "'");
    m.width = frame.width;
    m.height = frame.height;
  }
  if (frame.width != m.width || frame.height != m.height)
    return Error(ErrorCode::invalid_argument,
                 "video '" + path_ + "': frame size " + std::to_string(frame.width) + "x" +
                     std::to_string(frame.height) + " differs from the first frame's");
  m.writer.write(mat_view(frame));
  ++frames_;
  ++m.frames[static_cast<size_t>(m.segment)];
  if (const uint64_t room = free_bytes(m.dir); room < kFullBelow) {
    m.writer.release();  // the end of the file as it stands; its index may not fit either
    m.cut = true;
    return Error(ErrorCode::io, "video '" + file_path(m.segment) + "': the disk is full (" +
                                    std::to_string(room) + " bytes free): the file is cut at " +
                                    "about frame " +
                                    std::to_string(m.frames[static_cast<size_t>(m.segment)]) +
                                    "; a new file starts when space returns");
  }
  return {};
}

void VideoWriter::close() {
  if (impl_ && impl_->writer.isOpened()) impl_->writer.release();
}

}  // namespace percept
