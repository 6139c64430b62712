#include "percept/io/source.hpp"

#include <algorithm>
#include <filesystem>
#include <opencv2/videoio.hpp>
#include <vector>

#include "percept/io/image_io.hpp"

namespace percept {

namespace fs = std::filesystem;

Result<SourceKind> parse_source_kind(const std::string& s) {
  if (s == "video") return SourceKind::video;
  if (s == "images" || s == "image") return SourceKind::images;
  return Error("unknown source type '" + s + "' (expected video or images)");
}

namespace {

class VideoFileSource final : public Source {
 public:
  explicit VideoFileSource(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error("video file not found: '" + path + "'");
    if (!cap_.open(path, cv::CAP_FFMPEG) && !cap_.open(path))
      throw Error("cannot open video '" + path + "': not a video format OpenCV reads");
    fps_ = cap_.get(cv::CAP_PROP_FPS);
    const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
    count_ = n > 0 ? static_cast<int64_t>(n) : -1;
  }

  Result<bool> read(Image& frame) override {
    if (!cap_.read(mat_) || mat_.empty()) return false;
    if (Status st = image_from_mat(mat_, frame); !st)
      return Error("video '" + path_ + "': " + st.error().message());
    return true;
  }
  double fps() const override { return fps_ > 0 && fps_ < 1000 ? fps_ : 0; }
  int64_t frame_count() const override { return count_; }
  const std::string& current_name() const override { return path_; }

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
bool glob_match(const char* pat, const char* s) {
  if (*pat == 0) return *s == 0;
  if (*pat == '*') return glob_match(pat + 1, s) || (*s && glob_match(pat, s + 1));
  if (*s && (*pat == '?' || *pat == *s)) return glob_match(pat + 1, s + 1);
  return false;
}

class ImageFilesSource final : public Source {
 public:
  explicit ImageFilesSource(const std::string& spec) {
    std::error_code ec;
    fs::path p(spec);
    const std::string name = p.filename().string();
    if (name.find_first_of("*?") != std::string::npos) {
      fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
      if (!fs::is_directory(dir, ec)) throw Error("image folder not found: '" + dir.string() + "'");
      for (auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && glob_match(name.c_str(), e.path().filename().c_str()))
          files_.push_back(e.path().string());
    } else if (fs::is_directory(p, ec)) {
      for (auto& e : fs::directory_iterator(p, ec))
        if (e.is_regular_file() && is_image_file(e.path())) files_.push_back(e.path().string());
    } else if (fs::is_regular_file(p, ec)) {
      files_.push_back(spec);
    } else {
      throw Error("image path not found: '" + spec + "'");
    }
    if (files_.empty()) throw Error("no image files in '" + spec + "'");
    std::sort(files_.begin(), files_.end());
  }

  Result<bool> read(Image& frame) override {
    if (next_ >= files_.size()) return false;
    current_ = files_[next_++];
    auto img = read_image(current_);
    if (!img) return img.error();
    frame = std::move(*img);
    return true;
  }
  double fps() const override { return 0; }
  int64_t frame_count() const override { return static_cast<int64_t>(files_.size()); }
  const std::string& current_name() const override { return current_; }

 private:
  std::vector<std::string> files_;
  size_t next_ = 0;
  std::string current_;
};

}  // namespace

std::unique_ptr<Source> open_source(const SourceConfig& c) {
  switch (c.kind) {
    case SourceKind::video:
      return std::make_unique<VideoFileSource>(c.path);
    case SourceKind::images:
      return std::make_unique<ImageFilesSource>(c.path);
  }
  throw Error("unknown source kind");
}

}  // namespace percept
