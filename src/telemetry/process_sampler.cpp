#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "percept/core/clock.hpp"
#include "percept/telemetry/system_sampler.hpp"

namespace percept {

std::optional<int64_t> ProcessSampler::cpu_time_ns() {
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(line.substr(close + 1));
  std::string field;
  long long utime = -1, stime = -1;
  for (int i = 3; i <= 15 && in >> field; ++i) {  // fields 14 and 15: utime, stime (ticks)
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  if (utime < 0 || stime < 0 || ticks <= 0) return std::nullopt;
  return static_cast<int64_t>((utime + stime) * (1'000'000'000LL / ticks));
}

std::optional<uint64_t> ProcessSampler::rss_bytes() {
  std::ifstream f("/proc/self/statm");
  unsigned long long size = 0, resident = 0;
  if (!(f >> size >> resident)) return std::nullopt;
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return std::nullopt;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(page);
}

ProcessSampler::ProcessSampler() : last_cpu_ns_(cpu_time_ns()), last_wall_ns_(now_ns()) {}

std::optional<double> ProcessSampler::cpu_percent() {
  const std::optional<int64_t> cpu = cpu_time_ns();
  const int64_t wall = now_ns();
  std::optional<double> out;
  if (cpu && last_cpu_ns_ && wall > last_wall_ns_)
    out = 100.0 * static_cast<double>(*cpu - *last_cpu_ns_) /
          static_cast<double>(wall - last_wall_ns_);
  last_cpu_ns_ = cpu;
  last_wall_ns_ = wall;
  return out;
}

}  // namespace percept
