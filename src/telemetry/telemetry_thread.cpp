#include "percept/telemetry/telemetry_thread.hpp"

#include <chrono>
#include <cstdio>

#include "percept/core/error.hpp"
#include "percept/core/thread_priority.hpp"

namespace percept {

TelemetryThread::TelemetryThread(TelemetryCollector& collector, const std::string& jsonl_path,
                                 double interval_s, SnapshotFn on_snapshot)
    : collector_(collector), interval_s_(interval_s), on_snapshot_(std::move(on_snapshot)) {
  if (!jsonl_path.empty()) {
    if (Status st = file_.open(jsonl_path); !st)
      throw Error(ErrorCode::io, "telemetry: " + st.error().message());
    live_ = &collector_.add_sink("telemetry");
  }
}

TelemetryThread::~TelemetryThread() {
  stop();
}

void TelemetryThread::start() {
  thread_ = std::thread([this] {
    name_this_thread("telemetry");
    lower_thread_priority();  // sampling and writing are not on a frame's path
    const auto period = std::chrono::duration<double>(interval_s_);
    auto next = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    for (;;) {
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
      if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

void TelemetryThread::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  tick();  // the last (partial) interval: the file ends with the run's totals
  if (file_.is_open()) file_.close();
}

void TelemetryThread::tick() {
  // An exception here (std::bad_alloc while building the JSON, a throwing callback) would leave
  // the thread and end the process; a snapshot is worth less than the run, so it is skipped and
  // the next interval tries again.
  try {
    const TelemetrySnapshot s = collector_.collect();
    ++snapshots_;
    if (file_.is_open()) {
      if (Status st = file_.write_line(telemetry_jsonl(s)); st) {
        if (failing_ > 0)
          std::fprintf(stderr, "percept: telemetry: writing again after %llu failed lines\n",
                       static_cast<unsigned long long>(failing_));
        failing_ = 0;
        live_->written.fetch_add(1, std::memory_order_relaxed);
      } else {
        live_->errors.fetch_add(1, std::memory_order_relaxed);
        if (failing_++ == 0)
          std::fprintf(stderr,
                       "percept: telemetry: %s (counted; not logged again until a line is "
                       "written)\n",
                       st.error().message().c_str());
      }
    }
    if (on_snapshot_) on_snapshot_(s);
  } catch (const std::exception&) {
    std::fputs("percept: telemetry: a snapshot was skipped (out of memory?)\n", stderr);
  }
}

}  // namespace percept
