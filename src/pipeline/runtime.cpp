#include "percept/pipeline/runtime.hpp"

#include "capture.hpp"
#include "controller.hpp"
#include "sequencer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "percept/core/clock.hpp"
#include "percept/core/json_writer.hpp"
#include "percept/core/thread_priority.hpp"
#include "percept/core/whole_file.hpp"
#include "percept/io/source.hpp"
#include "percept/pipeline/sink_registry.hpp"
#include "percept/ros2/ros2.hpp"
#include "percept/telemetry/telemetry_thread.hpp"

namespace percept {

namespace {

namespace fs = std::filesystem;

class Pipeline {
 public:
  Pipeline(const PipelineConfig& cfg, const RuntimeOptions& opt)
      : cfg_(cfg),
        opt_(opt),
        lossless_(cfg.mode == PipelineMode::lossless),
        pool_(cfg.models.size()),
        cams_(cfg.cameras.size()),
        board_(cfg.cameras.size(), cfg.models.size(), lossless_) {
    std::error_code ec;
    fs::create_directories(cfg.output.dir, ec);
    if (ec) throw Error("cannot create output folder '" + cfg.output.dir + "': " + ec.message());
    // The run's counters, always: the periodic telemetry (when asked for) and the summary
    // both read them, so each event is counted once.
    {
      std::vector<TelemetryCollector::CameraInfo> ci;
      for (const auto& c : cfg.cameras)
        ci.push_back(
            {c.id, c.deadline_ms > 0 ? std::optional<double>(c.deadline_ms) : std::nullopt});
      std::vector<TelemetryCollector::ModelInfo> mi;
      for (const auto& m : cfg.models) mi.push_back({m.id, m.max_batch});
      telemetry_ = std::make_unique<TelemetryCollector>(std::move(ci), std::move(mi));
    }

    for (size_t i = 0; i < cams_.size(); ++i) {
      CameraState& c = cams_[i];
      c.config = &cfg.cameras[i];
      c.index = i;
      info_.camera_ids.push_back(c.config->id);
      c.paced = c.config->pace.value_or(!lossless_);
      c.deadline_ns = static_cast<int64_t>(c.config->deadline_ms * 1e6);
      c.live = &telemetry_->camera(i);
      c.source = open(c.config->source);  // before the models: a typo fails fast
      // Rectification maps are computed once here, not on the first frame.
      FramePrep prep(c.config->rectify, c.config->rectify_path, c.config->blur_sigma,
                     c.config->blur_ksize);
      if (prep.active()) c.prep.emplace(std::move(prep));
    }
    for (size_t m = 0; m < cfg.models.size(); ++m) {
      const ModelConfig& mc = cfg.models[m];
      info_.model_ids.push_back(mc.id);
      ExecutorOptions eo;
      eo.id = mc.id;
      eo.model_index = m;
      eo.max_batch = mc.max_batch;
      eo.max_wait = std::chrono::microseconds(mc.max_wait_us);
      eo.drop_older_than_ns.assign(cams_.size(), 0);
      eo.live = &telemetry_->model(m);
      // The config file's check, again for configs built in code: unused variants would be
      // models opened for nothing.
      if (!mc.variants.empty() && !cfg.control.enabled)
        throw Error(ErrorCode::invalid_argument,
                    "model '" + mc.id +
                        "': variants are only used by the deadline controller: enable it with "
                        "control: {enabled: true}");
      eo.variants = mc.variants;
      for (const auto& id : mc.cameras)
        for (CameraState& c : cams_)
          if (c.config->id == id) {
            c.models.push_back(m);
            if (c.config->drop_late) eo.drop_older_than_ns[c.index] = c.deadline_ns;
          }
      if (opt.wrap_backend)
        eo.wrap_backend = [wrap = opt.wrap_backend, &mc](std::unique_ptr<Backend> b) {
          return wrap(std::move(b), mc);
        };
      executors_.push_back(std::make_unique<Executor>(
          mc.task, eo, board_, [this](FrameRef& f, size_t) { sequencer_.model_done(f); }));
      const Task& task = executors_.back()->task();
      // open_task() has logged the conventions; this line ties the model to its config id.
      spdlog::info("model '{}': {} on {}, batch {}", mc.id, task.name(), task.backend().name(),
                   task.dynamic_batch() ? "dynamic" : "fixed at 1");
      info_.model_tasks.push_back(task.name());
      info_.model_labels.push_back(task.labels());
      info_.model_produces.push_back(task.produces());
    }
    for (CameraState& c : cams_) {
      info_.camera_models.push_back(c.models);
      board_.configure(c.index, c.models, c.config->queue_depth);
      // Distances of a camera's detections come from the first depth model serving it.
      for (size_t m : c.models)
        if (has(executors_[m]->task().produces(), Content::depth) && c.depth_model < 0)
          c.depth_model = static_cast<int>(m);
      info_.camera_depth_model.push_back(c.depth_model);
      c.intrinsics = c.config->intrinsics;
      info_.camera_intrinsics.push_back(c.intrinsics);
      // Relative depth has no scale: no 3D positions, so no detections_3d topic either.
      info_.camera_3d.push_back(
          c.intrinsics.has_value() && c.depth_model >= 0 &&
          executors_[static_cast<size_t>(c.depth_model)]->task().metric_depth());
      // Files and synthetic scenes read faster than real time keep their own clock (fps() is 0
      // for image folders: their frames take the capture time).
      const SourceKind kind = c.config->source.kind;
      if (!c.paced && (is_file_source(kind) || kind == SourceKind::synthetic))
        c.stream_fps = c.source->fps();
      for (size_t m : c.models) {
        const ModelConfig& mc = cfg.models[m];
        std::unique_ptr<ByteTracker> t;
        if (mc.tracker) {
          t = std::make_unique<ByteTracker>(*mc.tracker);
          telemetry_->model(m).tracked.store(true, std::memory_order_relaxed);
        }
        c.trackers.push_back(std::move(t));
        c.tracker_counted.emplace_back();
        c.tracker_live.push_back(&telemetry_->model(m));
      }
    }
    for (size_t m = 0; m < cfg.models.size(); ++m)
      if (cfg.models[m].tracker && !has(executors_[m]->task().produces(), Content::detections))
        throw Error(ErrorCode::invalid_argument,
                    cfg.models[m].tracker_where + ": models[" + std::to_string(m) + "].tracker: '" +
                        cfg.models[m].id + "' is a " + executors_[m]->task().name() +
                        " model; only models that produce detections can be tracked");
    if (cfg.control.enabled) {
      for (CameraState& c : cams_) c.live->watched = c.deadline_ns > 0;
      controller_ = std::make_unique<Controller>(cfg.control, cams_, executors_, info_.model_ids,
                                                 telemetry_->enable_control());
    }
    info_.source_state = [this](size_t c) {
      return static_cast<SourceState>(cams_[c].source_state.load(std::memory_order_relaxed));
    };

    // Every sink the config asks for, from the sink table (pipeline/sink_registry.cpp); each
    // counts into the collector (written, dropped, errors): telemetry and summary.
    std::vector<double> fps;
    for (const CameraState& c : cams_) fps.push_back(c.source->fps());
    std::vector<std::unique_ptr<Sink>> sinks = open_sinks({cfg, info_, std::move(fps)});
    if (opt.extra_sinks)
      for (std::unique_ptr<Sink>& s : opt.extra_sinks(info_)) sinks.push_back(std::move(s));
    for (std::unique_ptr<Sink>& sink : sinks) {
      LiveSink* live = &telemetry_->add_sink(sink->name());
      sinks_.push_back(
          std::make_unique<SinkWorker>(std::move(sink), cfg.output.queue_depth, lossless_, live));
    }
    if (opt.on_frame)  // queue of one, never lossless: previews are skipped, never waited for
      preview_ = std::make_unique<SinkWorker>(make_preview_sink(info_, opt.on_frame), 1, false);
  }

  ~Pipeline() {
    if (controller_) controller_->stop();
    board_.close_all();  // wakes executors that never saw their cameras end (setup errors)
    executors_.clear();
  }

  RunSummary run() {
    const int64_t start = now_ns();
    std::unique_ptr<TelemetryThread> tel;
    if (cfg_.telemetry.enabled() || opt_.on_telemetry) {
      tel = std::make_unique<TelemetryThread>(*telemetry_, cfg_.telemetry.jsonl,
                                              cfg_.telemetry.interval_s, opt_.on_telemetry);
      tel->start();
    }
    for (auto& e : executors_) e->start();
    if (controller_) controller_->start();
    try {
      for (CameraState& c : cams_)
        c.thread = std::thread([this, &c] {
          name_this_thread("cap:" + c.config->id);
          // A broken camera must not take the others down, and must not pass unseen: the
          // frame it was on is lost (a read error, so the summary and the exit status say so;
          // a std::bad_alloc here once ended a run with exit 0, issue 24) and the source is
          // lost for good. Counted before the log line, which may itself fail.
          const auto stopped = [this, &c](const char* why) {
            c.live->read_errors.fetch_add(1, std::memory_order_relaxed);
            c.live->gave_up.store(true, std::memory_order_relaxed);
            c.set_source_state(SourceState::lost);  // health reports it (telemetry, /diagnostics)
            board_.close(c.index);
            spdlog::error("camera '{}' stopped: {}", c.config->id, why);
          };
          try {
            run_capture(c, capture_context_);
          } catch (const std::exception& e) {
            stopped(e.what());
          } catch (...) {
            stopped("unknown exception");
          }
        });
    } catch (...) {
      // A thread that cannot be started (std::system_error, std::bad_alloc): stop the cameras
      // already running and join them before the error leaves, or ~thread would terminate.
      abort_ = true;
      for (CameraState& c : cams_)
        if (c.thread.joinable()) c.thread.join();
      throw;
    }
    // Drain in order: sources end (or stop), then executors finish what they hold, which
    // completes every accepted frame, then sinks write what they were given.
    for (CameraState& c : cams_) c.thread.join();
    // No more frames: what the controller would see now is the drain, not the load.
    if (controller_) controller_->stop();
    for (auto& e : executors_) e->join();
    for (auto& s : sinks_) s->finish();
    if (preview_) preview_->finish();
    const double wall_s = static_cast<double>(now_ns() - start) * 1e-9;
    // The last snapshot (its JSONL line and callback when telemetry is on), then the summary
    // from the same counters: they cannot disagree.
    if (tel)
      tel->stop();
    else
      (void)telemetry_->collect();  // only to merge the last samples into the run's
    RunSummary sum = telemetry_->summary(wall_s);
    sum.config = cfg_.file;
    sum.live = cfg_.mode == PipelineMode::live;
    for (auto& s : sinks_)
      for (auto& o : s->sink().outputs()) sum.outputs.push_back(o);
    sum.frames_allocated = pool_.allocated();
    return sum;
  }

 private:
  bool stop_requested() const {
    return abort_.load() || (opt_.stop_flag && opt_.stop_flag->load());
  }

  std::unique_ptr<Source> open(const SourceConfig& sc) const {
    if (opt_.open_source) return opt_.open_source(sc);
    if (sc.kind == SourceKind::ros2)
      return open_ros2_source(sc.camera, sc.ros2, cfg_.ros2, opt_.stop_flag);
    if (sc.kind == SourceKind::bag) return open_bag_source(sc);
    return open_source(sc);
  }

  const PipelineConfig& cfg_;
  RuntimeOptions opt_;
  std::atomic<bool> abort_{false};  // run() failed to start every thread: cameras stop
  // The run's counters (always): read by the telemetry thread, when on, and by the summary.
  std::unique_ptr<TelemetryCollector> telemetry_;
  bool lossless_;
  FramePool pool_;
  std::vector<CameraState> cams_;
  PipelineInfo info_;
  FrameBoard board_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::vector<std::unique_ptr<SinkWorker>> sinks_;
  std::unique_ptr<SinkWorker> preview_;     // on_frame, when set; not a sink of the summary
  std::unique_ptr<Controller> controller_;  // `control: {enabled: true}` (docs/CONTROL.md)
  Sequencer sequencer_{cams_, sinks_, preview_, cfg_.distance, opt_.frame_interval_s};
  const CaptureContext capture_context_{opt_,
                                        pool_,
                                        board_,
                                        sequencer_,
                                        [this] { return stop_requested(); },
                                        [this](const SourceConfig& sc) { return open(sc); }};
};

}  // namespace

RunSummary run_pipeline(const PipelineConfig& config, const RuntimeOptions& options) {
  RunSummary sum;
  {
    Pipeline p(config, options);
    sum = p.run();
  }
  if (config.output.summary) {
    // Whole or absent (a temporary, fsync, rename): an unchecked stream left an empty
    // summary.json on a full disk and the run exited 0. A failure makes the run fail.
    const std::string path = (fs::path(config.output.dir) / "summary.json").string();
    if (Status st = write_whole_file(path, summary_json(sum) + "\n", true); st) {
      sum.outputs.push_back(path);
    } else {
      spdlog::error("{}", st.error().message());
      sum.write_errors.push_back(st.error().message());
    }
  }
  return sum;
}

}  // namespace percept
