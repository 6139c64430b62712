// NVTX ranges for Nsight Systems (the tasks mark preprocess / inference / postprocess with
// StageTrace, the executor each batch): PERCEPT_TRACE_RANGE("infer") marks the enclosing scope as a
// named range on the calling thread's timeline. With NVTX3 found at configure time
// (PERCEPT_NVTX=AUTO|ON, header-only, from the CUDA toolkit) it costs a few nanoseconds when
// no profiler is attached; otherwise it compiles to nothing. `name` must be a string literal.
#pragma once

#if defined(PERCEPT_HAVE_NVTX) && PERCEPT_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#include <nvtx3/nvtx3.hpp>
#define PERCEPT_TRACE_CONCAT_(a, b) a##b
#define PERCEPT_TRACE_CONCAT(a, b) PERCEPT_TRACE_CONCAT_(a, b)
#define PERCEPT_TRACE_RANGE(name)                                                    \
  const ::nvtx3::scoped_range PERCEPT_TRACE_CONCAT(percept_trace_range_, __LINE__) { \
    name                                                                             \
  }
#else
#define PERCEPT_TRACE_RANGE(name) static_cast<void>(0)
#endif

namespace percept {

// Consecutive stages of one call as back-to-back ranges: StageTrace t("preprocess"); ...
// t.next("inference"); ... t.next("postprocess"); the last range ends with the scope (also on
// an early error return). Names must be string literals.
class StageTrace {
 public:
  explicit StageTrace(const char* first) { push(first); }
  StageTrace(const StageTrace&) = delete;
  StageTrace& operator=(const StageTrace&) = delete;
  ~StageTrace() { pop(); }
  void next(const char* name) {
    pop();
    push(name);
  }

 private:
#if defined(PERCEPT_HAVE_NVTX) && PERCEPT_HAVE_NVTX
  static void push(const char* name) {
    nvtxRangePushA(name);
  }
  static void pop() {
    nvtxRangePop();
  }
#else
  static void push(const char*) {}
  static void pop() {}
#endif
};

// Whether this build emits NVTX ranges.
constexpr bool trace_enabled() {
#if defined(PERCEPT_HAVE_NVTX) && PERCEPT_HAVE_NVTX
  return true;
#else
  return false;
#endif
}

}  // namespace percept
