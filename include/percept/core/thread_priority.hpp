// Threads whose work is not on a frame's path (file and preview sinks, telemetry, the web
// servers) yield the CPU to capture and inference: on a busy machine a sink encoding video
// otherwise preempts a model mid-inference, and that shows as end-to-end jitter (P11 in
// docs/PERFORMANCE.md: p99/p50 median 1.33 -> 1.28 on the 3-camera scenario, 2 cores).
#pragma once

#include <string_view>

namespace percept {

// The nice value background threads run at (Linux: per thread under SCHED_OTHER).
inline constexpr int kBackgroundNice = 10;

// Lowers the calling thread's priority to kBackgroundNice (never raises it: a process started
// with a higher nice keeps it). Needs no privilege. Returns false where the platform has no
// per-thread priority or the call failed; the thread then simply keeps its priority.
bool lower_thread_priority();

// The calling thread's nice value (for tests and logs); 0 where unknown.
int thread_nice();

// Names the calling thread for top -H, gdb, perf and /proc/<pid>/task/*/comm: "cap:front",
// "exec:detector", "sink:jsonl", "telemetry", "control". Linux keeps 15 bytes; the rest is cut.
// No-op elsewhere.
void name_this_thread(std::string_view name);

}  // namespace percept
