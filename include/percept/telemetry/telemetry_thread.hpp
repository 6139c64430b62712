// The 1 Hz (by default) telemetry thread of a running pipeline: every interval it collects a
// snapshot, appends it to the JSONL file (one write() per line, whole or absent: JsonlWriter)
// and hands it to `on_snapshot` (e.g. the /metrics server). stop() takes a last snapshot, so
// the file ends with the run's totals. The file counts as the sink "telemetry" in the collector
// (written, errors): a line that cannot be written (full disk) is counted, logged once per
// burst, and the next interval tries again, so the run's summary and exit code see it.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "percept/core/jsonl_writer.hpp"
#include "percept/telemetry/live.hpp"

namespace percept {

class TelemetryThread {
 public:
  using SnapshotFn = std::function<void(const TelemetrySnapshot&)>;
  // Opens `jsonl_path` ("" = no file; throws percept::Error when it cannot be created) and
  // registers its sink with `collector` (before the collector's first collect()).
  TelemetryThread(TelemetryCollector& collector, const std::string& jsonl_path, double interval_s,
                  SnapshotFn on_snapshot);
  ~TelemetryThread();  // stop()
  void start();
  void stop();
  uint64_t snapshots() const { return snapshots_; }  // after stop()

 private:
  void tick();

  TelemetryCollector& collector_;
  JsonlWriter file_;
  LiveSink* live_ = nullptr;  // the file's counts; null without a file
  uint64_t failing_ = 0;      // lines failed in a row
  double interval_s_;
  SnapshotFn on_snapshot_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  uint64_t snapshots_ = 0;
};

}  // namespace percept
