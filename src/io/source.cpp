#include "percept/io/source.hpp"

#include <algorithm>
#include <filesystem>
#include <opencv2/videoio.hpp>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/io/synthetic_source.hpp"

namespace percept {

namespace fs = std::filesystem;

Result<SourceKind> parse_source_kind(const std::string& s) {
  if (s == "video") return SourceKind::video;
  if (s == "images" || s == "image") return SourceKind::images;
  if (s == "device" || s == "camera") return SourceKind::device;
  if (s == "stream") return SourceKind::stream;
  if (s == "synthetic") return SourceKind::synthetic;
  if (s == "ros2") return SourceKind::ros2;
  if (s == "bag") return SourceKind::bag;
  return Error(ErrorCode::invalid_argument,
               "unknown source type '" + s +
                   "' (expected video, images, device, stream, synthetic, ros2 or bag)");
}

namespace {

// Video files, camera devices and network streams: everything cv::VideoCapture opens.
class CaptureSource final : public Source {
 public:
  CaptureSource(const std::string& path, SourceKind kind, uint64_t max_pixels) : path_(path) {
    std::error_code ec;
    bool ok = false;
    if (kind == SourceKind::video) {
      if (!fs::is_regular_file(path, ec))
        throw Error(ErrorCode::io, "video file not found: '" + path + "'");
      ok = cap_.open(path, cv::CAP_FFMPEG) || cap_.open(path);
      if (!ok)
        throw Error(ErrorCode::io,
                    "cannot open video '" + path + "': not a video format OpenCV reads");
    } else if (kind == SourceKind::device) {
      // "0" is a device index, anything else a device path such as /dev/video0.
      const bool index = !path.empty() && path.find_first_not_of("0123456789") == std::string::npos;
      ok = index ? cap_.open(std::stoi(path), cv::CAP_V4L2) : cap_.open(path, cv::CAP_V4L2);
      if (!ok) throw Error(ErrorCode::io, "cannot open camera device '" + path + "'");
    } else {
      ok = cap_.open(path, cv::CAP_FFMPEG);
      if (!ok) throw Error(ErrorCode::io, "cannot open stream '" + path + "'");
    }
    // The frame size the container or device declares, before the first frame is decoded.
    const ImageSize size{static_cast<uint64_t>(std::max(0.0, cap_.get(cv::CAP_PROP_FRAME_WIDTH))),
                         static_cast<uint64_t>(std::max(0.0, cap_.get(cv::CAP_PROP_FRAME_HEIGHT)))};
    if (size.pixels() > max_pixels)
      throw Error(ErrorCode::invalid_argument,
                  "'" + path + "': frames of " + over_limit_text(size, max_pixels));
    fps_ = cap_.get(cv::CAP_PROP_FPS);
    const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
    count_ = n > 0 ? static_cast<int64_t>(n) : -1;
  }

  Result<bool> read(Image& frame) override {
    if (!cap_.read(mat_) || mat_.empty()) return false;
    if (Status st = image_from_mat(mat_, frame); !st)
      return Error(st.error().code(), "'" + path_ + "': " + st.error().message());
    return true;
  }
  double fps() const override { return fps_ > 0 && fps_ < 1000 ? fps_ : 0; }
  int64_t frame_count() const override { return count_; }

 private:
  std::string path_;
  cv::VideoCapture cap_;
  cv::Mat mat_;
  double fps_ = 0;
  int64_t count_ = -1;
};

bool is_image_file(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* x : {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
    if (e == x) return true;
  return false;
}

// '*' and '?' in the file-name part only, which covers "dir/*.png" and "dir/frame_??.jpg".
// Greedy with one backtrack point (the last '*'): at most pattern x name steps, where the
// recursive matcher it replaces backtracked exponentially (issue 24: `*a*a*a*a*b.png` against
// one long name took 18 s).
bool glob_match(const char* pat, const char* s) {
  const char* star = nullptr;   // the last '*' seen in the pattern
  const char* retry = nullptr;  // where the name resumes when that '*' takes one more char
  while (*s) {
    if (*pat == '*') {
      star = pat++;
      retry = s;
    } else if (*pat == '?' || *pat == *s) {
      ++pat;
      ++s;
    } else if (star) {
      pat = star + 1;
      s = ++retry;
    } else {
      return false;
    }
  }
  while (*pat == '*') ++pat;
  return *pat == 0;
}

// Whether a folder entry may be an image: any entry whose name says image except a folder.
// A regular file is read; anything else (a symlink loop, a dangling link, no permission, a
// FIFO, a socket, a device) is listed too, so that reading it fails without opening it and is
// counted as a read error, instead of aborting the listing or vanishing unseen (issue 24).
bool listable(const fs::directory_entry& e, bool name_matches) {
  std::error_code ec;
  const bool folder = e.is_directory(ec);
  return name_matches && (!folder || ec);
}

class ImageFilesSource final : public Source {
 public:
  ImageFilesSource(const std::string& spec, uint64_t max_pixels) : max_pixels_(max_pixels) {
    std::error_code ec;
    fs::path p(spec);
    const std::string name = p.filename().string();
    if (name.find_first_of("*?") != std::string::npos) {
      fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
      if (!fs::is_directory(dir, ec))
        throw Error(ErrorCode::io, "image folder not found: '" + dir.string() + "'");
      for (auto& e : fs::directory_iterator(dir, ec))
        if (listable(e, glob_match(name.c_str(), e.path().filename().c_str())))
          files_.push_back(e.path().string());
    } else if (fs::is_directory(p, ec)) {
      for (auto& e : fs::directory_iterator(p, ec))
        if (listable(e, is_image_file(e.path()))) files_.push_back(e.path().string());
    } else if (fs::is_regular_file(p, ec)) {
      files_.push_back(spec);
    } else {
      throw Error(ErrorCode::io, "image path not found: '" + spec + "'");
    }
    if (files_.empty())
      throw Error(ErrorCode::invalid_argument, "no image files in '" + spec + "'");
    std::sort(files_.begin(), files_.end());
  }

  Result<bool> read(Image& frame) override {
    if (next_ >= files_.size()) return false;
    auto img = read_image(files_[next_++], max_pixels_);
    if (!img) return img.error();
    frame = std::move(*img);
    return true;
  }
  double fps() const override { return 0; }
  int64_t frame_count() const override { return static_cast<int64_t>(files_.size()); }

 private:
  std::vector<std::string> files_;
  size_t next_ = 0;
  uint64_t max_pixels_;
};

class SyntheticSource final : public Source {
 public:
  explicit SyntheticSource(const SourceConfig& c)
      : scene_({c.width, c.height, c.objects, c.seed, c.frames, c.wander}),
        fps_(c.fps),
        count_(c.frames) {}
  Result<bool> read(Image& frame) override { return scene_.next(frame); }
  double fps() const override { return fps_; }
  int64_t frame_count() const override { return count_; }

 private:
  SyntheticScene scene_;
  double fps_;
  int64_t count_;
};

}  // namespace

std::unique_ptr<Source> open_source(const SourceConfig& c) {
  switch (c.kind) {
    case SourceKind::video:
    case SourceKind::device:
    case SourceKind::stream:
      return std::make_unique<CaptureSource>(c.path, c.kind, c.max_image_pixels);
    case SourceKind::images:
      return std::make_unique<ImageFilesSource>(c.path, c.max_image_pixels);
    case SourceKind::synthetic:
      return std::make_unique<SyntheticSource>(c);
    case SourceKind::ros2:  // needs the pipeline's DDS settings: open_ros2_source (ros2.hpp)
      throw Error("camera '" + c.camera + "': ros2 sources are opened by the pipeline");
    case SourceKind::bag:  // its readers live in the ros2 module: open_bag_source (ros2.hpp)
      throw Error("camera '" + c.camera + "': bag sources are opened by the pipeline");
  }
  throw Error(ErrorCode::invalid_argument, "unknown source kind");
}

}  // namespace percept
