#include "percept/pipeline/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "percept/core/clock.hpp"
#include "percept/core/json_writer.hpp"
#include "percept/imgproc/frame_prep.hpp"
#include "percept/io/source.hpp"
#include "percept/ros2/ros2.hpp"
#include "percept/telemetry/telemetry_thread.hpp"

namespace percept {

namespace {

namespace fs = std::filesystem;

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct CameraState {
  const CameraConfig* config = nullptr;
  size_t index = 0;
  std::unique_ptr<Source> source;
  std::vector<size_t> models;  // serving this camera
  bool paced = false;
  int64_t deadline_ns = 0;
  std::thread thread;
  // Sequencer: frames in capture order; the head leaves once every model is done with it.
  std::mutex mu;
  std::deque<FrameRef> order;
  int depth_model = -1;             // first depth model serving the camera, for distances
  std::vector<float> fuse_scratch;  // under mu
  LiveCamera* live = nullptr;       // the camera's counters (the telemetry's and the summary's)
  int reconnect_streak = 0;         // reconnect attempts since the last frame read (capture thread)
  // Publish time of the last frame handed to on_frame, under mu; none yet: the next frame goes
  // (a 0 here held back every frame while the steady clock was younger than the interval, i.e.
  // on a machine booted less than frame_interval_s ago).
  std::optional<int64_t> preview_ns;
  std::optional<FramePrep> prep;  // rectify / blur before the models (capture thread)
  std::atomic<int> source_state{static_cast<int>(SourceState::ok)};  // SourceState; any thread
};

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
          mc.task, eo, board_, [this](FrameRef& f, size_t model) { model_done(f, model); }));
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
    }
    info_.source_state = [this](size_t c) {
      return static_cast<SourceState>(cams_[c].source_state.load(std::memory_order_relaxed));
    };

    const size_t depth = cfg.output.queue_depth;
    // Each sink counts into the collector (written, dropped, errors): telemetry and summary.
    const auto add_sink = [&](std::unique_ptr<Sink> sink) {
      LiveSink* live = &telemetry_->add_sink(sink->name());
      sinks_.push_back(std::make_unique<SinkWorker>(std::move(sink), depth, lossless_, live));
    };
    if (cfg.output.jsonl)
      add_sink(make_jsonl_sink((fs::path(cfg.output.dir) / "detections.jsonl").string(), info_));
    if (cfg.output.video) {
      std::vector<double> fps;
      for (const CameraState& c : cams_) fps.push_back(c.source->fps());
      add_sink(make_video_sink(cfg.output.dir, info_, fps));
    }
    if (cfg.output.images)
      add_sink(make_image_sink(cfg.output.dir, info_, cfg.output.images_every));
    if (cfg.ros2.enabled) {  // ROS 2 topics (docs/ROS2.md); writes never wait long (ros2.hpp)
      std::vector<std::string> frame_ids;
      for (const auto& c : cfg.cameras) frame_ids.push_back(c.frame_id);
      add_sink(make_ros2_sink(cfg.ros2, info_, frame_ids));
    }
    if (opt.on_frame)  // queue of one, never lossless: previews are skipped, never waited for
      preview_ = std::make_unique<SinkWorker>(make_preview_sink(info_, opt.on_frame), 1, false);
  }

  ~Pipeline() {
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
    try {
      for (CameraState& c : cams_)
        c.thread = std::thread([this, &c] {
          try {
            capture(c);
          } catch (const std::exception& e) {  // a broken camera must not take the others down
            spdlog::error("camera '{}' stopped: {}", c.config->id, e.what());
            set_source_state(c, SourceState::lost);  // health reports it (telemetry, /diagnostics)
            board_.close(c.index);
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
    return open_source(sc);
  }

  // What the camera's source is doing, for the telemetry and the sinks (ROS 2 diagnostics).
  static void set_source_state(CameraState& c, SourceState st) {
    c.source_state.store(static_cast<int>(st), std::memory_order_relaxed);
    c.live->source.store(static_cast<int>(st), std::memory_order_relaxed);
  }

  // A live camera that ended or keeps failing is reopened with exponential backoff (bounded);
  // files and synthetic scenes simply end. Returns false when the camera is given up.
  bool reconnect(CameraState& c) {
    const SourceKind kind = c.config->source.kind;
    // A ros2 source ends only on its timeout_s; DDS itself rediscovers a returning publisher.
    if (is_file_source(kind) || kind == SourceKind::synthetic || kind == SourceKind::ros2)
      return false;
    const ReconnectConfig rc = c.config->reconnect.value_or(ReconnectConfig{
        opt_.reconnect_attempts, opt_.reconnect_backoff_ms, opt_.reconnect_backoff_max_ms});
    set_source_state(c, SourceState::reconnecting);
    while (c.reconnect_streak < rc.attempts) {
      const double wait_ms =
          std::min(rc.backoff_ms * std::pow(2.0, c.reconnect_streak), rc.backoff_max_ms);
      ++c.reconnect_streak;
      spdlog::warn("camera '{}': source lost, reconnecting in {:.0f} ms (attempt {}/{})",
                   c.config->id, wait_ms, c.reconnect_streak, rc.attempts);
      // Sleep in short steps so that a stop request is not held up by the backoff.
      const auto until = std::chrono::steady_clock::now() +
                         std::chrono::microseconds(static_cast<int64_t>(wait_ms * 1e3));
      while (std::chrono::steady_clock::now() < until) {
        if (stop_requested()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      try {
        c.source = open(c.config->source);
        c.live->reconnects.fetch_add(1, std::memory_order_relaxed);
        set_source_state(c, SourceState::ok);
        spdlog::info("camera '{}': reconnected", c.config->id);
        return true;
      } catch (const std::exception& e) {
        spdlog::warn("camera '{}': reconnect failed: {}", c.config->id, e.what());
      }
    }
    spdlog::error("camera '{}': source lost, giving up after {} reconnect attempts", c.config->id,
                  rc.attempts);
    c.live->gave_up.store(true, std::memory_order_relaxed);
    set_source_state(c, SourceState::lost);
    return false;
  }

  void capture(CameraState& c) {
    using namespace std::chrono;
    const double fps = c.source->fps();
    const auto period =
        c.paced && fps > 0 ? nanoseconds(static_cast<int64_t>(1e9 / fps)) : nanoseconds(0);
    auto next = steady_clock::now();
    int64_t index = 0;
    int consecutive_errors = 0;
    // This thread's own tallies (read back from the counters it alone writes).
    uint64_t captured = 0, read_errors = 0;
    std::vector<FrameRef> displaced;
    while (!stop_requested()) {
      if (opt_.max_frames >= 0 && static_cast<int64_t>(captured + read_errors) >= opt_.max_frames)
        break;
      if (period.count() > 0) {  // a live camera delivers frames at its own rate
        std::this_thread::sleep_until(next);
        next += period;
        if (steady_clock::now() > next + period) next = steady_clock::now();  // no bursts
      }
      FrameRef f = pool_.acquire();
      auto got = c.source->read(f->image);
      if (!got) {
        ++read_errors;
        c.live->read_errors.fetch_add(1, std::memory_order_relaxed);
        if (read_errors <= 5) spdlog::warn("camera '{}': {}", c.config->id, got.error().message());
        if (++consecutive_errors >= 100) {
          spdlog::error("camera '{}': 100 failed reads in a row", c.config->id);
          if (!reconnect(c)) break;
          consecutive_errors = 0;
        }
        continue;
      }
      if (!*got) {  // end of stream; a live camera that ends has been lost
        if (reconnect(c)) continue;
        break;
      }
      consecutive_errors = 0;
      c.reconnect_streak = 0;
      f->camera = static_cast<int>(c.index);
      f->index = index++;
      f->capture_ns = now_ns();
      const int64_t stamp = c.source->capture_wall_ns();  // a ROS 2 header stamp, or 0
      f->capture_wall_ns = stamp > 0 ? stamp : wall_ns();
      if (c.prep) {
        // Inside the end-to-end latency: the models see the rectified frame. A size mismatch
        // holds for every frame of the camera, so it stops the camera (the thread's catch
        // logs "camera 'id' stopped: ..." with the sizes).
        const int64_t t0 = now_ns();
        if (Status s = c.prep->apply(f->image); !s.ok()) throw s.error();
        c.live->imgproc.record(now_ns() - t0);
      }
      ++captured;
      c.live->captured.fetch_add(1, std::memory_order_relaxed);
      f->pending.store(static_cast<int>(c.models.size()));
      {
        std::lock_guard lock(c.mu);  // the sequencer learns of the frame before any model
        c.order.push_back(f);
      }
      if (c.models.empty()) {
        complete(f);
        continue;
      }
      displaced.clear();
      const bool queued = board_.push(c.index, f, &displaced);
      for (FrameRef& d : displaced) {  // live mode: dropped for every model of the camera
        c.live->slot_drops.fetch_add(1, std::memory_order_relaxed);
        drop_for_all(c, d);
      }
      if (!queued) drop_for_all(c, f);
    }
    board_.close(c.index);
  }

  void drop_for_all(CameraState& c, FrameRef& f) {
    for (size_t m : c.models) {
      f->results[m].state = ModelResult::State::dropped;
      model_done(f, m);
    }
  }

  void model_done(FrameRef& f, size_t /*model*/) {
    if (f->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) complete(f);
  }

  // Every model is done with `f`: release the finished frames at the head of its camera's
  // capture order.
  void complete(FrameRef& f) {
    CameraState& c = cams_[f->camera];
    std::lock_guard lock(c.mu);
    f->complete_ns = now_ns();
    while (!c.order.empty() && c.order.front()->complete_ns != 0) {
      FrameRef head = std::move(c.order.front());
      c.order.pop_front();
      publish(c, head);
    }
  }

  // Under c.mu, in capture order.
  void publish(CameraState& c, FrameRef& f) {
    size_t with_result = 0;
    for (size_t m : c.models) with_result += f->results[m].state != ModelResult::State::dropped;
    LiveCamera& live = *c.live;
    constexpr auto relaxed = std::memory_order_relaxed;
    if (!c.models.empty() && with_result == 0) {
      live.drops.fetch_add(1, relaxed);
      return;
    }
    if (with_result < c.models.size()) live.partial.fetch_add(1, relaxed);
    live.completed.fetch_add(1, relaxed);
    const int64_t e2e = f->complete_ns - f->capture_ns;
    live.end_to_end.record(e2e);
    if (c.deadline_ns > 0 && e2e > c.deadline_ns) {
      live.deadline_misses.fetch_add(1, relaxed);
      f->deadline_missed = true;
      if (c.config->drop_late) {
        live.late_dropped.fetch_add(1, relaxed);
        return;
      }
    }
    fuse(c, *f);
    f->publish_ns = now_ns();
    live.published.fetch_add(1, relaxed);
    for (auto& s : sinks_) s->push(f);
    if (preview_ && (!c.preview_ns || f->publish_ns - *c.preview_ns >=
                                          static_cast<int64_t>(opt_.frame_interval_s * 1e9))) {
      c.preview_ns = f->publish_ns;
      preview_->push(f);
    }
  }

  // Distance of each detected object from the camera's depth map (same frame, same pixels).
  void fuse(CameraState& c, Frame& f) {
    if (c.depth_model < 0) return;
    const ModelResult& d = f.results[static_cast<size_t>(c.depth_model)];
    if (d.state != ModelResult::State::done) return;
    for (size_t m : c.models)
      if (f.results[m].state == ModelResult::State::done &&
          has(f.results[m].output.contents, Content::detections))
        fuse_distances(f.results[m].output.detections, d.output.depth, cfg_.distance,
                       c.fuse_scratch);
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
  std::unique_ptr<SinkWorker> preview_;  // on_frame, when set; not a sink of the summary
};

}  // namespace

RunSummary run_pipeline(const PipelineConfig& config, const RuntimeOptions& options) {
  RunSummary sum;
  {
    Pipeline p(config, options);
    sum = p.run();
  }
  if (config.output.summary) {
    const std::string path = (fs::path(config.output.dir) / "summary.json").string();
    std::ofstream f(path);
    f << summary_json(sum) << "\n";
    if (f.good()) {
      sum.outputs.push_back(path);
    } else {
      spdlog::error("cannot write '{}'", path);
    }
  }
  return sum;
}

}  // namespace percept
