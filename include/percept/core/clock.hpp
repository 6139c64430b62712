// One monotonic clock for every timestamp percept takes, in nanoseconds.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>

namespace percept {

using Clock = std::chrono::steady_clock;

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

inline double ns_to_ms(int64_t ns) {
  return static_cast<double>(ns) * 1e-6;
}

// Milliseconds rounded to the microsecond, for JSON outputs (no 0.0039559999999999994).
inline double round_ms(int64_t ns) {
  return std::round(static_cast<double>(ns) / 1e3) / 1e3;
}

}  // namespace percept
