// Fail-the-N-th-allocation sweep over opening and running every task (ncnn's TestOOMAllocator
// idea, STYLE 12; tests/hostile/oom_test.cpp does the same for a whole pipeline run). Its own
// binary: its global operator new throws std::bad_alloc on the N-th call made by the test
// thread while an attempt is armed. An attempt is open_task(config), one Task::run on one frame
// and the task's destruction. For each task kind, N = 1, 2, 3, ... one by one up to kStepOne,
// then growing by kGrowth (6 %) an attempt, until an attempt completes without reaching its
// N-th allocation (at most kMaxAttempts). Each attempt must either complete (the failure was
// absorbed: then its output must still be the right one) or end in a percept::Error or
// std::bad_alloc exception or an error Status; never another exception, a crash
// (std::terminate or a signal: the handlers print N, PERCEPT_OOM_AT=N replays it), a hang
// (ctest TIMEOUT; 60 s per child) or, under ASan with leak checking, a leak (scripts/sanitize.sh
// asan runs the warm sweep so, ONNX Runtime's own suppressed: scripts/lsan.supp; a leak there
// fails the run at exit, and in a cold child ends it with SIGABRT or exit 23). After a failed
// attempt a normal open + run must work and give the same output, value for value.
//
// Two sweeps. TaskOom/<task>: in this process, after a first open: every later open of a
// process (all five kinds, about 5 s). TaskOomColdStart: each attempt in a child forked from a
// process that has opened nothing yet, so the N-th allocation falls in the first open of a
// process too: ONNX Runtime's Env, percept's registries and statics, spdlog (detect and face,
// about 30 s; under ASan with leak checking, LeakSanitizer checks each child as it exits).
//
// Covered: every operator new (plain, array, aligned, nothrow) the test thread makes while armed,
// in percept's code (conventions, sidecar and metadata parsing, the task registry, each task's
// construction, buffers, pre- and post-processing), the standard library, yaml-cpp and spdlog
// as percept calls them, ONNX Runtime's C++ wrappers (inline in percept's backend), and ONNX
// Runtime's code where it allocates through libstdc++ (strings, streams, locales: most of the
// failures "absorbed" are its iostreams setting badbit). Its C API catches those and returns
// them as an OrtStatus, which the C++ wrappers throw as Ort::Exception("std::bad_alloc"):
// percept's backend must turn that into a percept::Error (it did not for ONNX Runtime's Env,
// which the cold sweep found: make_onnxruntime_backend).
// Not covered: allocations made directly by libonnxruntime's own code are neither counted nor
// failed. ONNX Runtime is not exception-safe there: a bad_alloc crossing its noexcept internals
// ends in std::terminate (the 13th allocation of opening const_v8.onnx: operator new <-
// libonnxruntime <- libonnxruntime <- OnnxRuntimeBackend's constructor; oom_tests found the
// same), which is ONNX Runtime's to fix. Nor are other threads' allocations (ONNX Runtime's
// pools: one intra-op thread and sequential execution here, so its kernels run on the test
// thread), memory taken with malloc or aligned_alloc (percept's Tensor buffers, ORT's arena),
// GPU memory (gpu_pool_tests fail the caching allocator's N-th block), or the statics
// initialised before main. The models are the small test models of tests/data for detect,
// depth, segment and classify (percept's code paths are those of the trained models; opening a
// 5 MB model a thousand times would not fit the time) and the BlazeFace front model for face.
// Whether each error still says out of memory (its ErrorCode, carried as a "[code] " prefix of
// the message so that the forked children can report it) is counted and any that does not is
// printed, not required.
#include <gtest/gtest.h>

#include <cxxabi.h>
#include <link.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <typeinfo>
#include <vector>

#include "gpu_test_util.hpp"
#include "parity.hpp"
#include "percept/core/error.hpp"
#include "percept/tasks/task.hpp"
#include "percept/tasks/task_registry.hpp"

namespace {

thread_local bool t_armed = false;
thread_local int64_t t_count = 0;      // allocations of this thread since armed
thread_local int64_t t_fail_at = 0;    // the one that throws (1-based)
thread_local bool t_fired = false;     // whether it was reached
std::atomic<int64_t> g_current_n{-1};  // for the crash handlers
std::atomic<const char*> g_current_task{nullptr};

// ONNX Runtime's own code is not exception-safe against std::bad_alloc from operator new: an
// exception crossing its noexcept internals ends in std::terminate (seen here at the 13th
// allocation of opening const_v8.onnx: operator new <- libonnxruntime <- libonnxruntime <-
// OnnxRuntimeBackend's constructor; oom_test.cpp found the same). So allocations whose
// immediate caller is libonnxruntime are neither counted nor failed, only tallied for the
// report. Those it makes through libstdc++ (strings, streams) are failed like any other.
uintptr_t g_ort_lo = 0, g_ort_hi = 0;
std::atomic<int64_t> g_ort_allocations{0};  // passed through while armed

int find_ort(dl_phdr_info* info, size_t, void*) {
  if (!info->dlpi_name || !std::strstr(info->dlpi_name, "libonnxruntime.so")) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_LOAD) continue;
    const uintptr_t lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
    const uintptr_t hi = lo + info->dlpi_phdr[i].p_memsz;
    if (g_ort_lo == 0 || lo < g_ort_lo) g_ort_lo = lo;
    if (hi > g_ort_hi) g_ort_hi = hi;
  }
  return 1;
}

void* allocate(std::size_t n, std::size_t align, uintptr_t caller) {
  if (t_armed && caller >= g_ort_lo && caller < g_ort_hi) {
    g_ort_allocations.fetch_add(1, std::memory_order_relaxed);
  } else if (t_armed && ++t_count == t_fail_at) {
    t_fired = true;
    throw std::bad_alloc();
  }
  // aligned_alloc wants a multiple of the alignment; free() releases both kinds.
  void* p =
      align > alignof(std::max_align_t)
          ? std::aligned_alloc(align, std::max<std::size_t>((n + align - 1) / align, 1) * align)
          : std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

// GCC sees free() on what its builtin operator new returned once these are inlined into a
// caller's new/delete pair; here both sides are malloc/free, so the warning is a false one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#define PERCEPT_CALLER reinterpret_cast<uintptr_t>(__builtin_return_address(0))
void* operator new(std::size_t n) {
  return allocate(n, 0, PERCEPT_CALLER);
}
void* operator new[](std::size_t n) {
  return allocate(n, 0, PERCEPT_CALLER);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate(n, static_cast<std::size_t>(a), PERCEPT_CALLER);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate(n, static_cast<std::size_t>(a), PERCEPT_CALLER);
}
// The nothrow forms too: every form must allocate with malloc, since every delete frees (ASan
// reports a nothrow new from its own runtime freed here as a mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n, 0, PERCEPT_CALLER);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n, 0, PERCEPT_CALLER);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return allocate(n, static_cast<std::size_t>(a), PERCEPT_CALLER);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return allocate(n, static_cast<std::size_t>(a), PERCEPT_CALLER);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace percept {
namespace {

constexpr int64_t kStepOne = 300;   // every N up to here
constexpr double kGrowth = 1.06;    // then N grows by 6% an attempt
constexpr int kMaxAttempts = 2000;  // per task and sweep

enum class Outcome { completed, status, error, bad_alloc, other };
const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::completed:
      return "completed";
    case Outcome::status:
      return "error Status";
    case Outcome::error:
      return "percept::Error";
    case Outcome::bad_alloc:
      return "std::bad_alloc";
    case Outcome::other:
      return "another exception";
  }
  return "?";
}

struct Attempt {
  Outcome outcome = Outcome::completed;
  bool fired = false;       // the n-th allocation was reached (and failed)
  int64_t allocations = 0;  // counted allocations of the attempt
  std::string message;
  ModelOutput output;  // when completed
};

// open_task + one Task::run, with the test thread's n-th allocation failing (n <= 0: none).
// The task and its backend are destroyed inside the armed window too.
Attempt attempt(const TaskConfig& cfg, const ImageView& frame, int64_t n) {
  Attempt a;
  t_count = 0;
  t_fail_at = n;
  t_fired = false;
  t_armed = true;
  try {
    OpenedTask t = open_task(cfg);
    const Status st =
        t->run(std::span<const ImageView>(&frame, 1), std::span<ModelOutput>(&a.output, 1));
    if (!st.ok()) {
      a.outcome = Outcome::status;
      a.message =
          std::string("[") + error_code_name(st.error().code()) + "] " + st.error().message();
    }
  } catch (const Error& e) {
    a.outcome = Outcome::error;
    a.message = std::string("[") + error_code_name(e.code()) + "] " + e.message();
  } catch (const std::bad_alloc& e) {
    a.outcome = Outcome::bad_alloc;
    a.message = e.what();
  } catch (const std::exception& e) {
    a.outcome = Outcome::other;
    int status = 0;
    char* type = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
    a.message = std::string(type ? type : typeid(e).name()) + ": " + e.what();
    std::free(type);
  }
  t_armed = false;
  a.fired = t_fired;
  a.allocations = t_count;
  return a;
}

// The outputs in one line, every value printed (a CPU run repeats itself bit for bit).
std::string digest(const ModelOutput& o) {
  std::string s;
  char buf[64];
  auto num = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.9g ", v);
    s += buf;
  };
  for (const Detection& d : o.detections)
    for (double v : {d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score, float(d.class_id)}) num(v);
  for (float v : o.depth.values) num(v);
  for (uint8_t v : o.segmentation.classes) num(v);
  for (float v : o.segmentation.fractions) num(v);
  for (const ClassScore& c : o.classes) num(c.class_id), num(c.score);
  for (const Face& f : o.faces) {
    for (double v : {f.box.x1, f.box.y1, f.box.x2, f.box.y2, f.score}) num(v);
    for (const auto& k : f.keypoints) num(k[0]), num(k[1]);
  }
  return std::to_string(static_cast<unsigned>(o.contents)) + ": " + s;
}

void on_crash() {
  const char* task = g_current_task.load();
  std::fprintf(stderr,
               "task_oom: crashed with allocation %lld of %s failing; replay with "
               "PERCEPT_OOM_AT=%lld --gtest_filter=*%s*\n",
               static_cast<long long>(g_current_n.load()), task ? task : "?",
               static_cast<long long>(g_current_n.load()), task ? task : "");
}

struct Case {
  const char* task;
  TaskConfig cfg;
  Image frame;
};

TaskConfig config(const std::string& model, const char* task) {
  TaskConfig c;
  c.model_path = test::repo_file(model);
  c.backend.intra_op_threads = 1;  // ORT's kernels on the calling thread
  c.conventions.task = task;
  c.conventions.source["task"] = "test";
  return c;
}

// A fixed frame (the cold sweep's children must all see the same one).
Image pattern(int w, int h) {
  Image img(w, h, PixelFormat::bgr8);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k)
        img.row(y)[3 * x + k] = static_cast<uint8_t>((x * 7 + y * 13 + k * 71) % 256);
  return img;
}

Case make_case(const std::string& t) {
  if (t == "detect")
    return {"detect", config("tests/data/const_v8.onnx", "detect"), pattern(80, 60)};
  if (t == "instance_segment")  // masks from NaN, infinite and sane coefficients
    return {"instance_segment", config("tests/hostile/nan_seg.onnx", "instance_segment"),
            pattern(64, 32)};
  if (t == "pose")  // keypoints from sane, NaN and far-out values
    return {"pose", config("tests/hostile/nan_pose.onnx", "pose"), pattern(64, 64)};
  if (t == "face")
    return {"face",
            config("third_party/blazeface/face_detection_front_128x128_barracuda.onnx", "face"),
            test::read_ppm(test::repo_file("tests/data/parity/face.ppm"))};
  static const std::string names[] = {"depth", "segment", "classify"};
  for (const std::string& n : names)
    if (t == n)
      return {n.c_str(), config("tests/data/dense_" + n + ".onnx", n.c_str()), pattern(48, 32)};
  throw Error("no case for task '" + t + "'");
}

// The tally of one sweep.
struct Sweep {
  std::map<Outcome, int> outcomes;
  std::map<std::string, int> not_oom;  // failure messages that do not say out of memory
  int attempts = 0, checked = 0;
  int64_t last = 0;
  bool done = false;
  double seconds = 0;
};

// N = 1, 2, ... then geometric, until `one(n)` says it did not reach its n-th allocation.
// PERCEPT_OOM_AT=N replays one point.
template <class One>
Sweep sweep(One&& one) {
  Sweep s;
  const auto t0 = std::chrono::steady_clock::now();
  const char* at = std::getenv("PERCEPT_OOM_AT");
  int64_t n = at ? std::atoll(at) : 1;
  for (; s.attempts < kMaxAttempts && !s.done; ++s.attempts) {
    g_current_n = n;
    s.last = n;
    if (!one(n, s)) s.done = true;
    if (at || ::testing::Test::HasFatalFailure()) {
      ++s.attempts;
      break;
    }
    n = n < kStepOne ? n + 1
                     : std::max(n + 1, static_cast<int64_t>(static_cast<double>(n) * kGrowth));
  }
  g_current_n = -1;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

void report(const char* what, const char* task, const Sweep& s, int64_t allocations,
            int64_t ort_direct = 0) {
  std::printf(
      "task_oom %s %s: %d attempts over N = 1..%lld (%lld allocations counted in a normal "
      "open + run) in %.1f s:",
      what, task, s.attempts, static_cast<long long>(s.last), static_cast<long long>(allocations),
      s.seconds);
  for (const auto& [o, count] : s.outcomes) std::printf(" %d %s,", count, outcome_name(o));
  std::printf(" %d outputs checked against the reference", s.checked);
  if (ort_direct)
    std::printf("; %lld allocations made directly by libonnxruntime passed through unfailed",
                static_cast<long long>(ort_direct));
  std::printf("\n");
  for (const auto& [m, count] : s.not_oom)
    std::printf("  %d x not reported as out of memory: %s\n", count, m.c_str());
}

void tally(Sweep& s, const Attempt& a, const char* task, int64_t n) {
  ++s.outcomes[a.outcome];
  if (a.outcome == Outcome::other)
    ADD_FAILURE() << task << ", allocation " << n
                  << ": an exception that is neither percept::Error nor std::bad_alloc: "
                  << a.message;
  else if (a.outcome != Outcome::completed && a.outcome != Outcome::bad_alloc &&
           a.message.rfind("[out_of_memory]", 0) != 0)
    ++s.not_oom[a.message.substr(0, 200)];
}

// ---- in one process: every open after the process's first ---------------------------------

class TaskOom : public ::testing::TestWithParam<const char*> {};

TEST_P(TaskOom, EveryNthAllocationFailingIsSurvived) {
  Case c = make_case(GetParam());
  g_current_task = c.task;
  const ImageView frame = c.frame.view();
  // The reference, twice: the first open of the process sets up ONNX Runtime's Env and the
  // rest of the process-wide state (swept by ColdStart below), the second counts a warm open.
  const Attempt cold = attempt(c.cfg, frame, 0);
  ASSERT_EQ(cold.outcome, Outcome::completed) << cold.message;
  const Attempt ref = attempt(c.cfg, frame, 0);
  ASSERT_EQ(ref.outcome, Outcome::completed) << ref.message;
  ASSERT_GT(ref.allocations, 10);
  const std::string want = digest(ref.output);
  ASSERT_EQ(digest(cold.output), want);

  g_ort_allocations = 0;
  const Sweep s = sweep([&](int64_t n, Sweep& sw) {
    const Attempt a = attempt(c.cfg, frame, n);
    if (!a.fired) {
      EXPECT_EQ(a.outcome, Outcome::completed)
          << c.task << ", allocation " << n << ": " << a.message;
      EXPECT_EQ(digest(a.output), want) << c.task;
      ++sw.outcomes[a.outcome];
      ++sw.checked;
      return false;
    }
    tally(sw, a, c.task, n);
    if (a.outcome == Outcome::completed) {
      // Absorbed (by ONNX Runtime's iostreams, spdlog...): the answer must still be right.
      EXPECT_EQ(digest(a.output), want) << c.task << ": allocation " << n << " failed silently";
    } else {
      // The process is still usable: a normal open + run gives the same output.
      const Attempt b = attempt(c.cfg, frame, 0);
      EXPECT_EQ(b.outcome, Outcome::completed)
          << c.task << ": after allocation " << n << " failed, a normal run: " << b.message;
      EXPECT_EQ(digest(b.output), want) << c.task << ": after allocation " << n << " failed";
    }
    ++sw.checked;
    return true;
  });
  report("warm", c.task, s, ref.allocations, g_ort_allocations.load());
  if (!std::getenv("PERCEPT_OOM_AT")) {  // a replay runs one point
    EXPECT_TRUE(s.done) << c.task << ": " << s.attempts
                        << " attempts did not reach the end of open + run (N = " << s.last << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Tasks, TaskOom,
                         ::testing::Values("detect", "depth", "segment", "classify", "face",
                                           "instance_segment", "pose"),
                         [](const auto& p) { return std::string(p.param); });

// ---- the first open of a process: each attempt in a child ----------------------------------

// What a child reports through its exit status (a signal: a crash; SIGALRM: a hang).
enum Exit : int {
  kThrough = 0,    // did not reach its n-th allocation
  kAbsorbed = 10,  // reached it and completed; the output follows on the pipe
  kStatus = 11,
  kError = 12,
  kBadAlloc = 13,
  kOther = 20,      // message on stderr
  kNotUsable = 21,  // the normal run after the failure failed (message on stderr)
  kLeak = 23,       // LeakSanitizer's exit status
};

// One child: the attempt, then (when it failed) a normal open + run; writes the digest of the
// completed output to `fd`. Exits with std::exit, so that LeakSanitizer checks the child.
[[noreturn]] void child(const Case& c, int64_t n, int fd) {
  ::alarm(60);  // a hang ends in SIGALRM
  const ImageView frame = c.frame.view();
  const Attempt a = attempt(c.cfg, frame, n);
  int code = kThrough;
  if (a.fired)
    code = a.outcome == Outcome::completed   ? kAbsorbed
           : a.outcome == Outcome::status    ? kStatus
           : a.outcome == Outcome::error     ? kError
           : a.outcome == Outcome::bad_alloc ? kBadAlloc
                                             : kOther;
  if (code == kOther)
    std::fprintf(stderr, "task_oom: allocation %lld: %s\n", (long long)n, a.message.c_str());
  std::string out = a.outcome == Outcome::completed ? digest(a.output) : "";
  if (a.outcome != Outcome::completed) {
    const Attempt b = attempt(c.cfg, frame, 0);
    if (b.outcome != Outcome::completed) {
      std::fprintf(stderr, "task_oom: after allocation %lld failed (%s), a normal run: %s\n",
                   (long long)n, a.message.c_str(), b.message.c_str());
      code = kNotUsable;
    }
    out = digest(b.output);
  }
  // The attempt's allocation count and the failure's message (one line), then the digest.
  std::string msg = a.message.substr(0, 200);
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  const std::string text = std::to_string(a.allocations) + " " + msg + "\n" + out;
  for (size_t done = 0; done < text.size();) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  ::close(fd);
  std::exit(code);
}

TEST(TaskOomColdStart, TheFirstOpenOfAProcessSurvivesEveryNthAllocationFailing) {
  // Each attempt in a fresh child of this process, which has not opened a model yet (ctest runs
  // each test in its own process; run alone, this suite comes first): the N-th allocation of
  // the first open_task + Task::run of a process, ONNX Runtime's Env and percept's process-wide
  // state included. fork() is safe here: nothing has started a thread yet.
  for (const char* task : {"detect", "face"}) {
    Case c = make_case(task);
    g_current_task = c.task;
    std::string want;  // the output of the attempt that went through
    std::vector<std::pair<int64_t, std::string>> outputs;
    int64_t through_allocations = 0;
    const Sweep s = sweep([&](int64_t n, Sweep& sw) {
      int fds[2];
      if (::pipe(fds) != 0) {
        ADD_FAILURE() << "pipe";
        return false;
      }
      std::fflush(nullptr);
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::close(fds[0]);
        child(c, n, fds[1]);
      }
      ::close(fds[1]);
      std::string text;
      char buf[4096];
      for (ssize_t r; (r = ::read(fds[0], buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<size_t>(r));
      ::close(fds[0]);
      int status = 0;
      ::waitpid(pid, &status, 0);
      const size_t eol = text.find('\n'), sp = text.find(' ');
      const std::string message = sp < eol ? text.substr(sp + 1, eol - sp - 1) : "";
      const std::string out = eol == std::string::npos ? "" : text.substr(eol + 1);
      if (!WIFEXITED(status)) {
        ADD_FAILURE() << task << ", allocation " << n << ": the child "
                      << (WTERMSIG(status) == SIGALRM ? "hung (60 s)" : "crashed") << " (signal "
                      << WTERMSIG(status) << ")";
        return true;
      }
      const int code = WEXITSTATUS(status);
      Attempt a;
      a.message = message;
      switch (code) {
        case kThrough:
          want = out;
          through_allocations = std::atoll(text.c_str());
          ++sw.outcomes[Outcome::completed];
          return false;
        case kAbsorbed:
          a.outcome = Outcome::completed;
          break;
        case kStatus:
          a.outcome = Outcome::status;
          break;
        case kError:
          a.outcome = Outcome::error;
          break;
        case kBadAlloc:
          a.outcome = Outcome::bad_alloc;
          break;
        case kOther:
          a.outcome = Outcome::other;
          break;
        case kNotUsable:
          ADD_FAILURE() << task << ", allocation " << n
                        << ": a normal open + run after it failed did not work (stderr)";
          return true;
        case kLeak:
          ADD_FAILURE() << task << ", allocation " << n << ": LeakSanitizer found a leak";
          return true;
        default:
          ADD_FAILURE() << task << ", allocation " << n << ": the child exited with " << code;
          return true;
      }
      tally(sw, a, task, n);
      outputs.emplace_back(n, out);
      return true;
    });
    if (std::getenv("PERCEPT_OOM_AT")) continue;  // a replay runs one point
    // Every output (absorbed failures, normal runs after a failure) equals the one that went
    // through.
    ASSERT_TRUE(s.done) << task << ": " << s.attempts
                        << " attempts did not reach the end of the first open + run (N = " << s.last
                        << ")";
    ASSERT_FALSE(want.empty());
    int checked = 0;
    for (const auto& [n, out] : outputs) {
      EXPECT_EQ(out, want) << task << ": the output after allocation " << n << " failed";
      ++checked;
    }
    Sweep r = s;
    r.checked = checked;
    report("cold", task, r, through_allocations);
  }
}

// Every registered task kind has a case above.
TEST(TaskOomCoverage, EveryTaskKindIsSwept) {
  const std::vector<std::string> swept{"detect",           "depth", "segment", "classify", "face",
                                       "instance_segment", "pose"};
  for (const std::string& t : task_names())
    EXPECT_NE(std::find(swept.begin(), swept.end(), t), swept.end())
        << "task '" << t << "' has no allocation sweep";
}

}  // namespace
}  // namespace percept

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  dl_iterate_phdr(find_ort, nullptr);  // linked, so loaded before main
  if (g_ort_lo == 0) {
    std::fprintf(stderr, "task_oom: libonnxruntime.so is not among the loaded objects\n");
    return 1;
  }
  std::set_terminate([] {
    percept::on_crash();
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  });
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGABRT})
    std::signal(sig, [](int s) {
      percept::on_crash();
      std::signal(s, SIG_DFL);
      std::raise(s);
    });
  return RUN_ALL_TESTS();
}
