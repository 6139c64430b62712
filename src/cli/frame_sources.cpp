#include "frame_sources.hpp"

#include <filesystem>

#include "percept/core/error.hpp"
#include "percept/pipeline/config.hpp"

namespace percept::cli {

namespace {

namespace fs = std::filesystem;

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::unique_ptr<Source>> open_frame_sources(const std::string& spec, int frames,
                                                        const std::string& option) {
  std::vector<SourceConfig> configs;
  if (spec == "synthetic") {
    SourceConfig c;
    c.kind = SourceKind::synthetic;
    c.width = 1280;
    c.height = 720;
    c.frames = frames;
    c.objects = 6;
    c.seed = 7;
    configs.push_back(c);
  } else if (has_suffix(spec, ".yaml") || has_suffix(spec, ".yml")) {
    const PipelineConfig pc = load_pipeline_config(spec);
    for (const auto& cam : pc.cameras) {
      if (!is_file_source(cam.source.kind) && cam.source.kind != SourceKind::synthetic)
        throw Error(ErrorCode::invalid_argument,
                    option + " " + spec + ": camera '" + cam.id +
                        "' is live; calibrate from files (images, video, bag) or synthetic");
      SourceConfig c = cam.source;
      if (c.kind == SourceKind::synthetic && c.frames < 0) c.frames = frames;
      configs.push_back(c);
    }
  } else {
    if (!fs::exists(spec) && spec.find_first_of("*?[") == std::string::npos)
      throw Error(ErrorCode::io, option + ": '" + spec + "' does not exist");
    SourceConfig c;
    c.path = spec;
    const std::string ext = fs::path(spec).extension().string();
    const bool image = ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" ||
                       ext == ".ppm" || ext == ".pgm";
    c.kind = fs::is_directory(spec) || image || spec.find_first_of("*?[") != std::string::npos
                 ? SourceKind::images
                 : SourceKind::video;
    configs.push_back(c);
  }
  std::vector<std::unique_ptr<Source>> sources;
  for (auto& c : configs) {
    if (c.camera.empty()) c.camera = "calib";
    sources.push_back(open_source(c));
  }
  return sources;
}

std::vector<Image> read_frames(const std::string& spec, int n, const std::string& option) {
  auto sources = open_frame_sources(spec, n, option);
  std::vector<Image> frames;
  Image frame;
  std::vector<char> ended(sources.size(), 0);
  size_t left = sources.size();
  for (size_t i = 0; static_cast<int>(frames.size()) < n && left > 0; ++i) {
    const size_t k = i % sources.size();
    if (ended[k]) continue;
    Result<bool> got = sources[k]->read(frame);
    if (!got) throw Error(ErrorCode::io, option + " " + spec + ": " + got.error().message());
    if (!*got) {
      ended[k] = 1;
      --left;
      continue;
    }
    frames.push_back(frame);
  }
  return frames;
}

}  // namespace percept::cli
