// Process and GPU sampling for the telemetry thread. Both samplers are meant to be called
// from one thread (the telemetry thread), about once per interval; neither blocks for long.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "percept/telemetry/snapshot.hpp"

namespace percept {

// Process CPU usage from /proc/self/stat (user + system time) over wall time between two
// calls, and RSS from /proc/self/statm. Null where /proc cannot be read (not Linux).
class ProcessSampler {
 public:
  ProcessSampler();  // takes the first reading
  // CPU percent since the previous call (or construction): 100 = one core fully busy.
  std::optional<double> cpu_percent();
  static std::optional<uint64_t> rss_bytes();
  // User + system CPU time of this process so far, nanoseconds.
  static std::optional<int64_t> cpu_time_ns();

 private:
  std::optional<int64_t> last_cpu_ns_;
  int64_t last_wall_ns_ = 0;
};

// NVIDIA GPU figures through NVML, loaded at run time (dlopen of libnvidia-ml.so.1): no build
// dependency and no header needed. Without the library, the driver or the GPU, sample() is
// null at once (no error, no retry delay); a figure the GPU does not report is null alone.
class GpuSampler {
 public:
  // `library`: the NVML shared library to load (tests pass a fake one); `index`: the GPU.
  explicit GpuSampler(const std::string& library = "libnvidia-ml.so.1", unsigned index = 0);
  ~GpuSampler();
  GpuSampler(const GpuSampler&) = delete;
  GpuSampler& operator=(const GpuSampler&) = delete;

  bool available() const { return impl_ != nullptr; }
  // Why it is unavailable ("" when available), for one debug log line.
  const std::string& reason() const { return reason_; }
  std::optional<GpuTelemetry> sample();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string reason_;
};

}  // namespace percept
