// The 1 Hz (by default) telemetry thread of a running pipeline: every interval it collects a
// snapshot, appends it to the JSONL file (flushed per line, so a crash keeps what was
// written) and hands it to `on_snapshot` (e.g. the /metrics server). stop() takes a last
// snapshot, so the file ends with the run's totals.
#pragma once

#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "percept/telemetry/live.hpp"

namespace percept {

class TelemetryThread {
 public:
  using SnapshotFn = std::function<void(const TelemetrySnapshot&)>;
  // Opens `jsonl_path` ("" = no file; throws percept::Error when it cannot be created).
  TelemetryThread(TelemetryCollector& collector, const std::string& jsonl_path, double interval_s,
                  SnapshotFn on_snapshot);
  ~TelemetryThread();  // stop()
  void start();
  void stop();
  uint64_t snapshots() const { return snapshots_; }  // after stop()

 private:
  void tick();

  TelemetryCollector& collector_;
  std::ofstream file_;
  std::string path_;
  double interval_s_;
  SnapshotFn on_snapshot_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  uint64_t snapshots_ = 0;
};

}  // namespace percept
