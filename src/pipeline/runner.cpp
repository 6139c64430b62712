#include "percept/pipeline/runner.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "percept/core/clock.hpp"
#include "percept/io/annotate.hpp"
#include "percept/io/detections_json.hpp"
#include "percept/io/jsonl_writer.hpp"
#include "percept/io/source.hpp"
#include "percept/io/video_writer.hpp"

namespace percept {

namespace {

namespace fs = std::filesystem;

struct CameraState {
  const CameraConfig* config;
  std::unique_ptr<Source> source;
  std::vector<size_t> models;  // indices of the models serving this camera
  VideoWriter video;
  Image frame;
  int64_t index = 0;
  bool done = false;
};

double ms(int64_t ns) {
  return round_ms(ns);
}

}  // namespace

RunSummary run_pipeline(const PipelineConfig& cfg, const RunOptions& opt) {
  std::error_code ec;
  fs::create_directories(cfg.output.dir, ec);
  if (ec) throw Error("cannot create output folder '" + cfg.output.dir + "': " + ec.message());

  std::vector<std::unique_ptr<Detector>> detectors;
  for (const ModelConfig& m : cfg.models) {
    detectors.push_back(Detector::open(m.detector));
    spdlog::info("model '{}': {} ({}), input {}x{}, {} classes", m.id, m.detector.model_path,
                 detectors.back()->backend().name(), detectors.back()->input_size().width,
                 detectors.back()->input_size().height, detectors.back()->labels().size());
  }
  std::vector<CameraState> cams(cfg.cameras.size());
  for (size_t i = 0; i < cfg.cameras.size(); ++i) {
    CameraState& c = cams[i];
    c.config = &cfg.cameras[i];
    c.source = open_source(c.config->source);
    for (size_t m = 0; m < cfg.models.size(); ++m)
      for (const auto& id : cfg.models[m].cameras)
        if (id == c.config->id) c.models.push_back(m);
    if (cfg.output.video)
      c.video.configure((fs::path(cfg.output.dir) / (c.config->id + ".annotated.avi")).string(),
                        c.source->fps());
  }
  JsonlWriter jsonl;
  if (cfg.output.jsonl) {
    if (Status st = jsonl.open((fs::path(cfg.output.dir) / "detections.jsonl").string()); !st)
      throw Error(st.error().message());
  }

  RunSummary sum;
  std::vector<Detections> results(cfg.models.size());
  const int64_t start = now_ns();
  size_t remaining = cams.size();
  while (remaining > 0) {
    for (CameraState& c : cams) {  // one frame of each camera in turn
      if (c.done) continue;
      if (opt.max_frames >= 0 && c.index >= opt.max_frames) {
        c.done = true;
        --remaining;
        continue;
      }
      auto got = c.source->read(c.frame);
      const int64_t captured = now_ns();
      if (!got) {
        spdlog::warn("camera '{}': {}", c.config->id, got.error().message());
        ++sum.failed_frames;
        ++c.index;
        continue;
      }
      if (!*got) {
        c.done = true;
        --remaining;
        continue;
      }
      const int64_t index = c.index++;
      ++sum.frames;
      const ImageView view = c.frame.view();
      for (size_t m : c.models) {
        StageTimes t;
        Status st = detectors[m]->detect(std::span<const ImageView>(&view, 1),
                                         std::span<Detections>(&results[m], 1), &t);
        if (!st) {
          spdlog::warn("camera '{}' frame {}: {}", c.config->id, index, st.error().message());
          ++sum.failed_frames;
          results[m].clear();
          continue;
        }
        sum.preprocess_ns.record(t.preprocess_ns);
        sum.inference_ns.record(t.inference_ns);
        sum.postprocess_ns.record(t.postprocess_ns);
        sum.detections += static_cast<int64_t>(results[m].size());
        if (jsonl.is_open()) {
          const Detector& d = *detectors[m];
          nlohmann::ordered_json line = {
              {"camera", c.config->id},
              {"frame", index},
              {"model", cfg.models[m].id},
              {"width", view.width},
              {"height", view.height},
              {"detections", detections_json(results[m], [&d](int id) { return d.label(id); })},
              {"timing_ms",
               {{"preprocess", ms(t.preprocess_ns)},
                {"inference", ms(t.inference_ns)},
                {"postprocess", ms(t.postprocess_ns)}}}};
          if (Status w = jsonl.write_line(line.dump()); !w) {
            if (sum.sink_errors++ == 0) spdlog::error("{}", w.error().message());
          }
        }
      }
      if (cfg.output.video) {
        for (size_t m : c.models) {
          const Detector& d = *detectors[m];
          draw_detections(c.frame, results[m], [&d](int id) { return d.label(id); });
        }
        if (Status w = c.video.write(c.frame.view()); !w) {
          if (sum.sink_errors++ == 0) spdlog::error("{}", w.error().message());
        }
      }
      sum.end_to_end_ns.record(now_ns() - captured);
    }
  }
  sum.wall_s = static_cast<double>(now_ns() - start) * 1e-9;

  jsonl.close();
  if (jsonl.lines() > 0) sum.outputs.push_back(jsonl.path());
  for (CameraState& c : cams) {
    c.video.close();
    if (c.video.frames() > 0) sum.outputs.push_back(c.video.path());
  }
  if (cfg.output.summary) {
    const std::string path = (fs::path(cfg.output.dir) / "summary.json").string();
    std::ofstream f(path);
    f << summary_json(sum, cfg) << "\n";
    if (f.good()) {
      sum.outputs.push_back(path);
    } else {
      ++sum.sink_errors;
      spdlog::error("cannot write '{}'", path);
    }
  }
  return sum;
}

std::string summary_json(const RunSummary& s, const PipelineConfig& cfg) {
  auto stage = [](const Histogram& h) {
    return nlohmann::ordered_json{{"count", h.count()},
                                  {"p50", ms(h.quantile(0.5))},
                                  {"p90", ms(h.quantile(0.9))},
                                  {"p99", ms(h.quantile(0.99))},
                                  {"max", ms(h.max())},
                                  {"mean", ms(static_cast<int64_t>(h.mean()))},
                                  {"stddev", ms(static_cast<int64_t>(h.stddev()))}};
  };
  nlohmann::ordered_json j = {{"config", cfg.file},
                              {"frames", s.frames},
                              {"failed_frames", s.failed_frames},
                              {"detections", s.detections},
                              {"sink_errors", s.sink_errors},
                              {"wall_s", s.wall_s},
                              {"fps", s.fps()},
                              {"latency_ms",
                               {{"end_to_end", stage(s.end_to_end_ns)},
                                {"preprocess", stage(s.preprocess_ns)},
                                {"inference", stage(s.inference_ns)},
                                {"postprocess", stage(s.postprocess_ns)}}},
                              {"outputs", s.outputs}};
  return j.dump(2);
}

}  // namespace percept
