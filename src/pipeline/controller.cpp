#include "controller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "percept/core/error.hpp"
#include "percept/core/thread_priority.hpp"

namespace percept {

namespace {

double unix_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

Controller::Controller(const ControlConfig& config, std::vector<CameraState>& cameras,
                       const std::vector<std::unique_ptr<Executor>>& executors,
                       const std::vector<std::string>& model_ids, LiveControl& live)
    : cfg_(config), cams_(cameras), execs_(executors), model_ids_(model_ids), live_(live) {
  for (const CameraState& c : cams_)
    if (c.deadline_ns > 0) judged_.push_back(c.index);
  // The config file's check, again for configs built in code (embedders, Python).
  if (judged_.empty())
    throw Error(ErrorCode::invalid_argument,
                cfg_.where + (cfg_.where.empty() ? "" : ": ") +
                    "control: no camera has a deadline_ms; the controller judges cameras by "
                    "their deadline");
  build_ladder(model_ids);
  policy_ = ControlPolicy(cfg_, steps());
  const size_t n = judged_.size();
  seen_completed_.assign(n, 0);
  seen_drops_.assign(n, 0);
  seen_misses_.assign(n, 0);
  seen_busy_.assign(execs_.size(), 0);
  seen_frames_.assign(execs_.size(), 0);
  seen_offered_.assign(cams_.size(), 0);
  // Enough intervals for a whole window, allocated once: the loop itself allocates nothing
  // but the words of an action.
  ring_.resize(static_cast<size_t>(std::ceil(cfg_.window_s / cfg_.interval_s)) + 1);
  for (Slot& s : ring_) {
    s.t = -1;  // never filled
    s.results.assign(n, 0);
    s.late.assign(n, 0);
    for (size_t i = 0; i < n; ++i) s.e2e.push_back(std::make_unique<Histogram>());
    s.busy_ns.assign(execs_.size(), 0);
    s.frames.assign(execs_.size(), 0);
    s.offered.assign(cams_.size(), 0);
  }
  load_.busy_ns.assign(execs_.size(), 0);
  load_.frames.assign(execs_.size(), 0);
  load_.offered.assign(cams_.size(), 0);
  state_.steps = steps();
  state_.restore_wait_s = cfg_.restore_after_s;
  live_.publish(state_, nullptr);
  std::string ladder;
  for (const Step& s : ladder_)
    ladder += (ladder.empty() ? "" : ", ") + describe(s, s.after) + " (" + target_name(s) + ")";
  spdlog::info("control: {} steps, cheapest first: {}", steps(), ladder);
}

Controller::~Controller() {
  stop();
}

void Controller::build_ladder(const std::vector<std::string>& model_ids) {
  // 1. No waiting for fuller batches: costs nothing but batching efficiency.
  for (size_t m = 0; m < execs_.size(); ++m)
    if (const int64_t w = execs_[m]->max_wait().count(); w > 0)
      ladder_.push_back({Step::Kind::max_wait, m, w, 0});
  // 2. Frames of the lower-priority cameras, the lowest first, 1 in 2, 1 in 4, ... max_skip.
  int top = cams_.empty() ? 0 : cams_.front().config->priority;
  for (const CameraState& c : cams_) top = std::max(top, c.config->priority);
  std::vector<size_t> low;
  for (const CameraState& c : cams_)
    if (c.config->priority < top) low.push_back(c.index);
  std::stable_sort(low.begin(), low.end(), [&](size_t a, size_t b) {
    return cams_[a].config->priority < cams_[b].config->priority;
  });
  for (size_t c : low)
    for (int64_t stride = 1; stride < cfg_.max_skip;) {
      const int64_t next = std::min<int64_t>(stride * 2, cfg_.max_skip);
      ladder_.push_back({Step::Kind::skip, c, stride, next});
      stride = next;
    }
  // 3. Lighter models, as the config lists them (the ones that opened).
  for (size_t m = 0; m < execs_.size(); ++m) {
    for (const std::string& e : execs_[m]->variant_errors())
      spdlog::warn("control: model '{}': not a step of the ladder: {}", model_ids[m], e);
    for (size_t v = 1; v < execs_[m]->variant_count(); ++v)
      ladder_.push_back(
          {Step::Kind::variant, m, static_cast<int64_t>(v - 1), static_cast<int64_t>(v)});
  }
}

void Controller::start() {
  thread_ = std::thread([this] {
    name_this_thread("control");
    loop();
  });
}

void Controller::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Controller::loop() {
  const auto period = std::chrono::duration<double>(cfg_.interval_s);
  const auto start = std::chrono::steady_clock::now();
  auto next = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
  std::unique_lock lock(mu_);
  while (!cv_.wait_until(lock, next, [this] { return stop_; })) {
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
    lock.unlock();
    try {
      tick(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    } catch (const std::exception& e) {
      // Only words and the log allocate here; the pipeline goes on with the settings it has
      // (a thread that throws would end the process).
      spdlog::error("control: tick failed: {}", e.what());
    }
    lock.lock();
  }
}

ControlWindow Controller::window(double now_s) {
  // This interval's slot: counter deltas and the latencies recorded since the last tick.
  Slot& slot = ring_[next_slot_];
  next_slot_ = (next_slot_ + 1) % ring_.size();
  slot.start = last_tick_;
  slot.t = now_s;
  last_tick_ = now_s;
  for (size_t j = 0; j < judged_.size(); ++j) {
    LiveCamera& l = *cams_[judged_[j]].live;
    const uint64_t completed = l.completed.load(std::memory_order_relaxed);
    const uint64_t drops = l.drops.load(std::memory_order_relaxed);
    const uint64_t misses = l.deadline_misses.load(std::memory_order_relaxed);
    slot.results[j] = (completed - seen_completed_[j]) + (drops - seen_drops_[j]);
    slot.late[j] = (misses - seen_misses_[j]) + (drops - seen_drops_[j]);
    seen_completed_[j] = completed;
    seen_drops_[j] = drops;
    seen_misses_[j] = misses;
    l.control_e2e.take(spare_);
    std::swap(slot.e2e[j], spare_);
  }
  for (size_t m = 0; m < execs_.size(); ++m) {
    const LiveModel& l = execs_[m]->live();
    const uint64_t busy = l.busy_ns.load(std::memory_order_relaxed);
    const uint64_t frames = l.frames.load(std::memory_order_relaxed);
    slot.busy_ns[m] = busy - seen_busy_[m];
    slot.frames[m] = frames - seen_frames_[m];
    seen_busy_[m] = busy;
    seen_frames_[m] = frames;
  }
  for (size_t c = 0; c < cams_.size(); ++c) {
    const LiveCamera& l = *cams_[c].live;
    const uint64_t offered =
        l.captured.load(std::memory_order_relaxed) + l.skipped.load(std::memory_order_relaxed);
    slot.offered[c] = offered - seen_offered_[c];
    seen_offered_[c] = offered;
  }
  // The window: the slots of the last window_s seconds, after the last action (or the start)
  // plus half the settle time. Frames completed just after an action were mostly captured
  // before it, and would judge the settings it replaced.
  const double from =
      std::max(now_s - cfg_.window_s, policy_.last_action_s().value_or(0.0) + cfg_.settle_s / 2);
  const auto in_window = [from](const Slot& s) { return s.t >= 0 && s.start >= from; };
  ControlWindow w;
  double oldest = now_s;
  for (const Slot& s : ring_)
    if (in_window(s)) oldest = std::min(oldest, s.start);
  load_.seconds = now_s - oldest;  // what the included slots cover
  std::fill(load_.busy_ns.begin(), load_.busy_ns.end(), 0);
  std::fill(load_.frames.begin(), load_.frames.end(), 0);
  std::fill(load_.offered.begin(), load_.offered.end(), 0);
  for (const Slot& s : ring_)
    if (in_window(s)) {
      for (size_t m = 0; m < execs_.size(); ++m) {
        load_.busy_ns[m] += s.busy_ns[m];
        load_.frames[m] += s.frames[m];
      }
      for (size_t c = 0; c < cams_.size(); ++c) load_.offered[c] += s.offered[c];
    }
  for (size_t j = 0; j < judged_.size(); ++j) {
    uint64_t results = 0, late = 0;
    merged_.reset();
    for (const Slot& s : ring_)
      if (in_window(s)) {
        results += s.results[j];
        late += s.late[j];
        if (s.e2e[j]->count() > 0) merged_.merge(*s.e2e[j]);
      }
    const CameraState& c = cams_[judged_[j]];
    w.results += results;
    const double share = results ? static_cast<double>(late) / static_cast<double>(results) : 0;
    if (share >= w.late_share) {
      w.late_share = share;
      w.late_camera = c.config->id;
    }
    const double ratio =
        static_cast<double>(merged_.quantile(0.99)) / static_cast<double>(c.deadline_ns);
    if (ratio >= w.p99_ratio) {
      w.p99_ratio = ratio;
      w.p99_camera = c.config->id;
    }
  }
  return w;
}

std::string Controller::target_name(const Step& s) const {
  return s.kind == Step::Kind::skip ? cams_[s.target].config->id : model_ids_[s.target];
}

std::string Controller::variant_file(size_t model, size_t variant) const {
  return std::filesystem::path(execs_[model]->variant_path(variant)).filename().string();
}

std::string Controller::describe(const Step& s, int64_t value) const {
  switch (s.kind) {
    case Step::Kind::max_wait:
      return "max_wait " + std::to_string(value) + " us";
    case Step::Kind::skip:
      return "1 in " + std::to_string(value);
    case Step::Kind::variant:
      return variant_file(s.target, static_cast<size_t>(value));
  }
  return {};
}

void Controller::apply(const Step& s, bool down) {
  const int64_t v = down ? s.after : s.before;
  switch (s.kind) {
    case Step::Kind::max_wait:
      execs_[s.target]->set_max_wait(std::chrono::microseconds(v));
      break;
    case Step::Kind::skip:
      cams_[s.target].skip_stride.store(static_cast<int>(v), std::memory_order_relaxed);
      break;
    case Step::Kind::variant:
      execs_[s.target]->use_variant(static_cast<size_t>(v));
      break;
  }
}

void Controller::note_evidence(double now_s) {
  if (policy_.level() == 0) return;
  Step& s = ladder_[static_cast<size_t>(policy_.level() - 1)];
  if (s.kind != Step::Kind::variant || s.light_ref_ns > 0 || now_s - s.taken_s < cfg_.settle_s)
    return;
  s.light_ref_ns = execs_[s.target]->frame_ns(static_cast<size_t>(s.after));
}

void Controller::predict_restore(ControlWindow& w) const {
  if (policy_.level() == 0 || load_.seconds <= 0) return;
  const Step& s = ladder_[static_cast<size_t>(policy_.level() - 1)];
  char buf[256];
  // Whether model m stays under max_busy with `extra_fps` more frames, each costing `frame_ns`
  // (0: what a frame costs it now); `setting` names the model file for the message.
  const auto check = [&](size_t m, const std::string& setting, double frame_ns, double extra_fps) {
    const double fps = static_cast<double>(load_.frames[m]) / load_.seconds;
    if (frame_ns <= 0 && load_.frames[m] > 0)
      frame_ns = static_cast<double>(load_.busy_ns[m]) / static_cast<double>(load_.frames[m]);
    const double busy = frame_ns * 1e-9 * (fps + extra_fps);
    if (busy <= cfg_.max_busy) return true;
    std::snprintf(buf, sizeof buf,
                  "model '%s' at %s: %.1f ms a frame x %.1f frames/s = busy %.0f%% > %.0f%%",
                  model_ids_[m].c_str(), setting.c_str(), frame_ns * 1e-6, fps + extra_fps,
                  busy * 100, cfg_.max_busy * 100);
    w.restore_fits = false;
    w.restore_blocked = buf;
    return false;
  };

  switch (s.kind) {
    case Step::Kind::max_wait:
      return;
    case Step::Kind::variant: {
      if (s.heavy_ns <= 0 || s.light_ref_ns <= 0) return;  // no evidence: the time rule alone
      // The heavier variant's cost then, scaled by how the lighter one's changed since: a
      // slower machine (a CPU hog, a hot GPU) slows both alike.
      const double now_ns =
          static_cast<double>(execs_[s.target]->frame_ns(static_cast<size_t>(s.after)));
      const double predicted =
          static_cast<double>(s.heavy_ns) * now_ns / static_cast<double>(s.light_ref_ns);
      if (!check(s.target, describe(s, s.before), predicted, 0)) return;
      // One frame must also fit the tightest deadline of the model's cameras with headroom.
      for (const CameraState& c : cams_)
        if (c.deadline_ns > 0 &&
            std::find(c.models.begin(), c.models.end(), s.target) != c.models.end() &&
            predicted > cfg_.p99_low * static_cast<double>(c.deadline_ns)) {
          std::snprintf(buf, sizeof buf,
                        "model '%s' at %s: %.1f ms a frame > %.0f%% of camera '%s''s %.0f ms "
                        "deadline",
                        model_ids_[s.target].c_str(), describe(s, s.before).c_str(),
                        predicted * 1e-6, cfg_.p99_low * 100, c.config->id.c_str(),
                        static_cast<double>(c.deadline_ns) * 1e-6);
          w.restore_fits = false;
          w.restore_blocked = buf;
          return;
        }
      return;
    }
    case Step::Kind::skip: {
      // Back from 1 in `after` to 1 in `before`: the camera's extra frames on each model it
      // feeds, at what a frame costs there now.
      const CameraState& c = cams_[s.target];
      const double rate = static_cast<double>(load_.offered[s.target]) / load_.seconds;
      const double extra =
          rate * (1.0 / static_cast<double>(s.before) - 1.0 / static_cast<double>(s.after));
      for (size_t m : c.models)
        if (!check(m, variant_file(m, execs_[m]->variant()), 0, extra)) return;
      return;
    }
  }
}

void Controller::act(Step& s, bool down, double now_s, const std::string& reason) {
  if (down && s.kind == Step::Kind::variant) {
    // The evidence a restore will need: this variant's cost now, the lighter one's later.
    // The average lags a load that just stepped up; the last batch does not.
    const Executor& e = *execs_[s.target];
    s.heavy_ns = std::max(e.frame_ns(static_cast<size_t>(s.before)),
                          e.variant() == static_cast<size_t>(s.before) ? e.last_frame_ns() : 0);
    s.light_ref_ns = 0;
  }
  s.taken_s = now_s;
  apply(s, down);
  ControlAction action;
  action.t = unix_s();
  action.direction = down ? "degrade" : "restore";
  action.action = s.kind == Step::Kind::max_wait ? "max_wait"
                  : s.kind == Step::Kind::skip   ? "skip"
                                                 : "variant";
  action.target = target_name(s);
  action.from = describe(s, down ? s.before : s.after);
  action.to = describe(s, down ? s.after : s.before);
  action.reason = reason;
  action.level = policy_.level();
  (down ? state_.degrades_total : state_.restores_total)++;
  if (down)
    spdlog::warn("control: {} -> {} for '{}' ({}), step {}/{}", action.from, action.to,
                 action.target, action.reason, action.level, steps());
  else
    spdlog::info("control: back to {} for '{}' ({}), step {}/{}", action.to, action.target,
                 action.reason, action.level, steps());
  state_.level = policy_.level();
  live_.publish(state_, &action);
}

std::string Controller::cannot_help(const Step& s, const ControlWindow& w) const {
  if (s.kind != Step::Kind::skip) return {};
  const std::string& id = w.late_share > cfg_.miss_high ? w.late_camera : w.p99_camera;
  const auto it = std::find_if(cams_.begin(), cams_.end(),
                               [&](const CameraState& c) { return c.config->id == id; });
  if (it == cams_.end()) return {};
  const CameraState& missed = *it;
  const CameraState& skipped = cams_[s.target];
  bool shared = false;
  for (size_t m : missed.models)
    shared = shared ||
             std::find(skipped.models.begin(), skipped.models.end(), m) != skipped.models.end();
  if (!shared) return "skipping '" + skipped.config->id + "' frees no model of '" + id + "'";
  // Fewer frames shorten the queue, not a frame: a frame slower than the deadline stays so.
  for (size_t m : missed.models) {
    const Executor& e = *execs_[m];
    // The moving average: one slow batch must not jump the ladder.
    const int64_t frame = e.frame_ns(e.variant());
    if (static_cast<double>(frame) > cfg_.p99_high * static_cast<double>(missed.deadline_ns)) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "a frame of '%s' costs %.0f ms on '%s', over %.2fx its %.0f ms deadline: "
                    "skipping '%s' cannot fix that",
                    id.c_str(), static_cast<double>(frame) * 1e-6, model_ids_[m].c_str(),
                    cfg_.p99_high, static_cast<double>(missed.deadline_ns) * 1e-6,
                    skipped.config->id.c_str());
      return buf;
    }
  }
  return {};
}

void Controller::tick(double now_s) {
  ControlWindow w = window(now_s);
  note_evidence(now_s);
  predict_restore(w);
  // The first settle_s of the run is its warm-up (first inferences, caches): not judged.
  const ControlPolicy::Decision d =
      now_s < cfg_.settle_s ? ControlPolicy::Decision::none : policy_.decide(now_s, w);
  if (d == ControlPolicy::Decision::degrade) {
    act(ladder_[static_cast<size_t>(policy_.level() - 1)], true, now_s, policy_.reason());
    // A step that cannot help the camera that missed is not worth a settle time of its own:
    // the next one is taken with it (the ladder is cumulative: the next includes it anyway).
    for (std::string why;
         policy_.level() < steps() &&
         !(why = cannot_help(ladder_[static_cast<size_t>(policy_.level() - 1)], w)).empty();) {
      policy_.take_next(now_s);
      act(ladder_[static_cast<size_t>(policy_.level() - 1)], true, now_s, why);
    }
  } else if (d == ControlPolicy::Decision::restore) {
    act(ladder_[static_cast<size_t>(policy_.level())], false, now_s, policy_.reason());
  }
  if (policy_.at_limit() && !reported_limit_)
    spdlog::warn("control: at the lightest setting ({} steps) and still missing: {}", steps(),
                 policy_.reason());
  reported_limit_ = policy_.at_limit();
  state_.level = policy_.level();
  state_.state = policy_.at_limit() ? "at_limit" : policy_.level() > 0 ? "degraded" : "nominal";
  if (w.results >= static_cast<uint64_t>(cfg_.min_frames)) {
    state_.late_share = w.late_share;
    state_.p99_ratio = w.p99_ratio;
  }
  state_.restore_wait_s = policy_.restore_wait_s();
  // The reason it holds back a step back up (the prediction says it would not fit).
  state_.note = policy_.held_back() ? policy_.reason() : std::string();
  state_.cpu_s = thread_cpu_s();
  live_.publish(state_, nullptr);
}

}  // namespace percept
