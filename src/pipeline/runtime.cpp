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
  CameraSummary sum;  // captured/read_errors/slot_drops: capture thread; the rest: under mu
  LiveCamera* live = nullptr;  // telemetry, when on
  int reconnect_streak = 0;    // reconnect attempts since the last frame read (capture thread)
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
    if (cfg.telemetry.enabled() || opt.on_telemetry) {
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
      c.sum.id = c.config->id;
      info_.camera_ids.push_back(c.config->id);
      c.paced = c.config->pace.value_or(!lossless_);
      c.deadline_ns = static_cast<int64_t>(c.config->deadline_ms * 1e6);
      if (telemetry_) c.live = &telemetry_->camera(i);
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
      if (telemetry_) eo.live = &telemetry_->model(m);
      for (const auto& id : mc.cameras)
        for (CameraState& c : cams_)
          if (c.config->id == id) {
            c.models.push_back(m);
            if (c.config->drop_late) eo.drop_older_than_ns[c.index] = c.deadline_ns;
          }
      auto task =
          opt.wrap_backend
              ? open_task(opt.wrap_backend(create_backend(mc.task.model_path, mc.task.backend), mc),
                          mc.task)
              : open_task(mc.task);
      // open_task() has logged the conventions; this line ties the model to its config id.
      spdlog::info("model '{}': {} on {}, batch {}", mc.id, task_name(task->kind()),
                   task->backend().name(), task->dynamic_batch() ? "dynamic" : "fixed at 1");
      info_.model_tasks.push_back(task->kind());
      executors_.push_back(
          std::make_unique<Executor>(std::move(task), eo, board_,
                                     [this](FrameRef& f, size_t model) { model_done(f, model); }));
    }
    for (CameraState& c : cams_) {
      info_.camera_models.push_back(c.models);
      board_.configure(c.index, c.models, c.config->queue_depth);
      // Distances of a camera's detections come from the first depth model serving it.
      for (size_t m : c.models)
        if (info_.model_tasks[m] == TaskKind::depth && c.depth_model < 0)
          c.depth_model = static_cast<int>(m);
      info_.camera_depth_model.push_back(c.depth_model);
    }
    info_.label = [this](size_t m, int id) { return executors_[m]->task().label(id); };
    info_.source_state = [this](size_t c) {
      return static_cast<SourceState>(cams_[c].source_state.load(std::memory_order_relaxed));
    };

    const size_t depth = cfg.output.queue_depth;
    // Each sink's counters also go to the live telemetry (written, dropped, errors).
    const auto add_sink = [&](std::unique_ptr<Sink> sink) {
      LiveSink* live = telemetry_ ? &telemetry_->add_sink(sink->name()) : nullptr;
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
    if (telemetry_) {
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
    if (tel) tel->stop();  // a last snapshot with the run's totals

    RunSummary sum;
    sum.mode = cfg_.mode;
    sum.wall_s = static_cast<double>(now_ns() - start) * 1e-9;
    for (CameraState& c : cams_) {
      c.sum.fps = sum.wall_s > 0 ? static_cast<double>(c.sum.completed) / sum.wall_s : 0;
      sum.cameras.push_back(c.sum);
    }
    for (size_t m = 0; m < executors_.size(); ++m)
      sum.models.push_back(
          {cfg_.models[m].id, executors_[m]->options().max_batch, executors_[m]->stats()});
    for (auto& s : sinks_) {
      sum.sinks.emplace_back(s->sink().name(), s->stats());
      for (auto& o : s->sink().outputs()) sum.outputs.push_back(o);
    }
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
    if (c.live) c.live->source.store(static_cast<int>(st), std::memory_order_relaxed);
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
        ++c.sum.reconnects;
        if (c.live) c.live->reconnects.fetch_add(1, std::memory_order_relaxed);
        set_source_state(c, SourceState::ok);
        spdlog::info("camera '{}': reconnected", c.config->id);
        return true;
      } catch (const std::exception& e) {
        spdlog::warn("camera '{}': reconnect failed: {}", c.config->id, e.what());
      }
    }
    spdlog::error("camera '{}': source lost, giving up after {} reconnect attempts", c.config->id,
                  rc.attempts);
    c.sum.gave_up = true;
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
    std::vector<FrameRef> displaced;
    while (!stop_requested()) {
      if (opt_.max_frames >= 0 &&
          static_cast<int64_t>(c.sum.captured + c.sum.read_errors) >= opt_.max_frames)
        break;
      if (period.count() > 0) {  // a live camera delivers frames at its own rate
        std::this_thread::sleep_until(next);
        next += period;
        if (steady_clock::now() > next + period) next = steady_clock::now();  // no bursts
      }
      FrameRef f = pool_.acquire();
      auto got = c.source->read(f->image);
      if (!got) {
        ++c.sum.read_errors;
        if (c.live) c.live->read_errors.fetch_add(1, std::memory_order_relaxed);
        if (c.sum.read_errors <= 5)
          spdlog::warn("camera '{}': {}", c.config->id, got.error().message());
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
        c.sum.imgproc_ns.record(now_ns() - t0);
      }
      ++c.sum.captured;
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
        ++c.sum.slot_drops;
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
    if (!c.models.empty() && with_result == 0) {
      ++c.sum.unprocessed;
      if (c.live) c.live->drops.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (with_result < c.models.size()) ++c.sum.partial;
    ++c.sum.completed;
    const int64_t e2e = f->complete_ns - f->capture_ns;
    c.sum.end_to_end_ns.record(e2e);
    if (c.live) {
      c.live->completed.fetch_add(1, std::memory_order_relaxed);
      c.live->end_to_end.record(e2e);
      if (c.deadline_ns > 0 && e2e > c.deadline_ns)
        c.live->deadline_misses.fetch_add(1, std::memory_order_relaxed);
    }
    if (c.deadline_ns > 0 && e2e > c.deadline_ns) {
      ++c.sum.deadline_misses;
      f->deadline_missed = true;
      if (c.config->drop_late) {
        ++c.sum.late_dropped;
        return;
      }
    }
    fuse(c, *f);
    f->publish_ns = now_ns();
    ++c.sum.published;
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
      if (info_.model_tasks[m] == TaskKind::detect &&
          f.results[m].state == ModelResult::State::done)
        fuse_distances(f.results[m].output.detections, d.output.depth, cfg_.distance,
                       c.fuse_scratch);
  }

  const PipelineConfig& cfg_;
  RuntimeOptions opt_;
  std::atomic<bool> abort_{false};  // run() failed to start every thread: cameras stop
  std::unique_ptr<TelemetryCollector> telemetry_;  // live measurements, when telemetry is on
  bool lossless_;
  FramePool pool_;
  std::vector<CameraState> cams_;
  PipelineInfo info_;
  FrameBoard board_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::vector<std::unique_ptr<SinkWorker>> sinks_;
  std::unique_ptr<SinkWorker> preview_;  // on_frame, when set; not a sink of the summary
};

void stage_json(JsonWriter& w, const char* key, const Histogram& h) {
  w.key(key)
      .begin_object()
      .field("count", h.count())
      .field("p50", round_ms(h.quantile(0.5)))
      .field("p90", round_ms(h.quantile(0.9)))
      .field("p99", round_ms(h.quantile(0.99)))
      .field("max", round_ms(h.max()))
      .field("mean", round_ms(static_cast<int64_t>(h.mean())))
      .field("stddev", round_ms(static_cast<int64_t>(h.stddev())))
      .end_object();
}

}  // namespace

uint64_t RunSummary::completed() const {
  uint64_t n = 0;
  for (const auto& c : cameras) n += c.completed;
  return n;
}

uint64_t RunSummary::failed() const {
  uint64_t n = 0;
  for (const auto& c : cameras) n += c.read_errors;
  for (const auto& m : models) n += m.stats.failed;
  return n;
}

RunSummary run_pipeline(const PipelineConfig& config, const RuntimeOptions& options) {
  RunSummary sum;
  {
    Pipeline p(config, options);
    sum = p.run();
  }
  if (config.output.summary) {
    const std::string path = (fs::path(config.output.dir) / "summary.json").string();
    std::ofstream f(path);
    f << summary_json(sum, config) << "\n";
    if (f.good()) {
      sum.outputs.push_back(path);
    } else {
      spdlog::error("cannot write '{}'", path);
    }
  }
  return sum;
}

std::string summary_json(const RunSummary& s, const PipelineConfig& cfg) {
  // JsonWriter, not a nlohmann tree: the summary is written at the end of every run, memory
  // pressure included, and a tree's destructor can fail there (docs/RELIABILITY.md).
  JsonWriter w(2);
  w.begin_object()
      .field("config", cfg.file)
      .field("mode", s.mode == PipelineMode::live ? "live" : "lossless")
      .field("wall_s", s.wall_s)
      .field("frames", s.completed())
      .field("fps", s.fps())
      .field("failed", s.failed());
  w.key("cameras").begin_array();
  for (const auto& c : s.cameras) {
    w.begin_object()
        .field("id", c.id)
        .field("captured", c.captured)
        .field("completed", c.completed)
        .field("fps", c.fps)
        .field("read_errors", c.read_errors)
        .field("reconnects", c.reconnects)
        .field("gave_up", c.gave_up)
        .field("slot_drops", c.slot_drops)
        .field("unprocessed", c.unprocessed)
        .field("partial", c.partial)
        .field("deadline_misses", c.deadline_misses)
        .field("late_dropped", c.late_dropped)
        .field("published", c.published);
    stage_json(w, "end_to_end_ms", c.end_to_end_ns);
    // Only for cameras that rectify or blur: the stage's own time (capture thread).
    if (c.imgproc_ns.count() > 0) stage_json(w, "imgproc_ms", c.imgproc_ns);
    w.end_object();
  }
  w.end_array();
  w.key("models").begin_array();
  for (const auto& m : s.models) {
    const ExecutorStats& st = m.stats;
    w.begin_object()
        .field("id", m.id)
        .field("frames", st.frames)
        .field("failed", st.failed)
        .field("dropped_late", st.dropped_late)
        .field("batches", st.batches)
        .field("max_batch", m.max_batch)
        .field("oom_degrades", st.oom_degrades);
    w.key("batch_sizes").begin_array();
    for (uint64_t n : st.batch_sizes) w.value(n);
    w.end_array();
    stage_json(w, "queue_ms", st.queue_ns);
    stage_json(w, "preprocess_ms", st.preprocess_ns);
    stage_json(w, "inference_ms", st.inference_ns);
    stage_json(w, "postprocess_ms", st.postprocess_ns);
    w.end_object();
  }
  w.end_array();
  w.key("sinks").begin_object();
  for (const auto& [name, st] : s.sinks)
    w.key(name)
        .begin_object()
        .field("written", st.written)
        .field("dropped", st.dropped)
        .field("errors", st.errors)
        .end_object();
  w.end_object();
  w.key("outputs").begin_array();
  for (const auto& o : s.outputs) w.value(o);
  w.end_array().end_object();
  return w.str();
}

std::string summary_text(const RunSummary& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%s mode, %.2f s: frames %llu (%llu failed), %.1f FPS\n",
                s.mode == PipelineMode::live ? "live" : "lossless", s.wall_s,
                static_cast<unsigned long long>(s.completed()),
                static_cast<unsigned long long>(s.failed()), s.fps());
  out += line;
  for (const auto& c : s.cameras) {
    std::snprintf(line, sizeof line,
                  "  camera %-10s frames %6llu  %7.1f FPS  drops %llu  deadline misses %llu  "
                  "e2e p50 %.2f ms  p99 %.2f ms\n",
                  c.id.c_str(), static_cast<unsigned long long>(c.completed), c.fps,
                  static_cast<unsigned long long>(c.unprocessed),
                  static_cast<unsigned long long>(c.deadline_misses),
                  ns_to_ms(c.end_to_end_ns.quantile(0.5)),
                  ns_to_ms(c.end_to_end_ns.quantile(0.99)));
    out += line;
    if (c.reconnects || c.gave_up || c.read_errors) {
      std::snprintf(line, sizeof line, "  camera %-10s read errors %llu  reconnects %llu%s\n",
                    c.id.c_str(), static_cast<unsigned long long>(c.read_errors),
                    static_cast<unsigned long long>(c.reconnects),
                    c.gave_up ? "  source lost for good" : "");
      out += line;
    }
  }
  for (const auto& m : s.models) {
    const ExecutorStats& st = m.stats;
    const double mean_batch =
        st.batches ? static_cast<double>(st.frames + st.failed) / static_cast<double>(st.batches)
                   : 0;
    std::snprintf(line, sizeof line,
                  "  model  %-10s frames %6llu  batches %llu (mean %.2f)  p50: queue %.2f ms, "
                  "preprocess %.2f ms, inference %.2f ms, postprocess %.2f ms\n",
                  m.id.c_str(), static_cast<unsigned long long>(st.frames),
                  static_cast<unsigned long long>(st.batches), mean_batch,
                  ns_to_ms(st.queue_ns.quantile(0.5)), ns_to_ms(st.preprocess_ns.quantile(0.5)),
                  ns_to_ms(st.inference_ns.quantile(0.5)),
                  ns_to_ms(st.postprocess_ns.quantile(0.5)));
    out += line;
    if (st.oom_degrades) {
      std::snprintf(line, sizeof line,
                    "  model  %-10s out of memory: batch halved %llu times, max_batch now %zu\n",
                    m.id.c_str(), static_cast<unsigned long long>(st.oom_degrades), m.max_batch);
      out += line;
    }
  }
  for (const auto& [name, st] : s.sinks)
    if (st.dropped || st.errors) {
      std::snprintf(line, sizeof line, "  sink   %-10s written %llu  dropped %llu  errors %llu\n",
                    name.c_str(), static_cast<unsigned long long>(st.written),
                    static_cast<unsigned long long>(st.dropped),
                    static_cast<unsigned long long>(st.errors));
      out += line;
    }
  return out;
}

}  // namespace percept
