// ONNX Runtime's IO binding (BackendOptions::io_binding): outputs written into buffers percept
// keeps between runs must give the same numbers as Session::Run, reuse their memory, and fall
// back to ONNX Runtime's allocation where a buffer cannot be sized before the run.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "percept/infer/backend.hpp"

namespace percept {
namespace {

const std::string kData = PERCEPT_TEST_DATA;

std::unique_ptr<Backend> open(const std::string& model, bool io_binding) {
  BackendOptions opt;
  opt.io_binding = io_binding;
  opt.intra_op_threads = 1;
  return create_backend(kData + "/" + model, opt);
}

Tensor random_tensor(Shape shape, uint32_t seed) {
  Tensor t(DType::f32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = u(rng);
  return t;
}

// The outputs of one run, copied (the views are only valid until the next run).
std::vector<std::vector<float>> run_copy(Backend& b, const Tensor& t) {
  TensorView v = t.view();
  auto out = b.run(std::span<const TensorView>(&v, 1));
  EXPECT_TRUE(out.ok()) << out.error().message();
  std::vector<std::vector<float>> copy;
  if (!out.ok()) return copy;
  for (const TensorView& o : *out) copy.emplace_back(o.as<float>(), o.as<float>() + o.numel());
  return copy;
}

// Every dense test model, through both paths, with batch sizes that grow and shrink so the kept
// buffers are resized: bit-identical outputs.
TEST(IoBinding, SameOutputsAsSessionRun) {
  for (const char* model : {"identity_dynamic.onnx", "dense_segment.onnx", "dense_depth.onnx",
                            "dense_classify.onnx", "flatten_free_dim.onnx"}) {
    auto bound = open(model, true);
    auto plain = open(model, false);
    const bool small = std::string(model) == "identity_dynamic.onnx";
    uint32_t seed = 1;
    for (int64_t batch : {1, 3, 3, 2, 1}) {
      const Tensor t =
          random_tensor(small ? Shape{batch, 3, 4, 4} : Shape{batch, 3, 8, 12}, seed++);
      const auto a = run_copy(*bound, t);
      const auto b = run_copy(*plain, t);
      ASSERT_EQ(a.size(), b.size()) << model;
      for (size_t i = 0; i < a.size(); ++i)
        ASSERT_EQ(a[i], b[i]) << model << " output " << i << " batch " << batch;
    }
    EXPECT_TRUE(bound->buffer_stats().has_value()) << model;
    EXPECT_FALSE(plain->buffer_stats().has_value()) << model;
  }
}

// The first run of a shape lets ONNX Runtime allocate (and confirms the shape the graph
// predicts); from the second on, runs of that shape write into the same kept buffer: no
// allocation, and the output view points into the pool's block (zero-copy).
TEST(IoBinding, KeptBufferIsReusedAcrossRuns) {
  auto b = open("dense_segment.onnx", true);
  const Tensor t = random_tensor({4, 3, 8, 12}, 7);
  TensorView v = t.view();
  const void* kept = nullptr;
  for (int i = 0; i < 5; ++i) {
    auto out = b->run(std::span<const TensorView>(&v, 1));
    ASSERT_TRUE(out.ok()) << out.error().message();
    if (i == 0) {
      EXPECT_EQ(b->buffer_stats()->backend_allocations, 0u) << "confirming run";
      continue;
    }
    if (i == 1) kept = (*out)[0].data;
    EXPECT_EQ((*out)[0].data, kept) << "run " << i;
  }
  const gpu::PoolStats s = *b->buffer_stats();
  EXPECT_EQ(s.backend_allocations, 1u);
  EXPECT_EQ(s.bytes_requested, 4u * 3 * 8 * 12 * sizeof(float));
  EXPECT_GE(s.bytes_in_use, s.bytes_requested);
  // Batch 1: one confirming run, then a block of its own; back to batch 4 (already confirmed)
  // the first block comes from the pool's cache.
  const Tensor t1 = random_tensor({1, 3, 8, 12}, 8);
  TensorView v1 = t1.view();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(b->run(std::span<const TensorView>(&v1, 1)).ok());
  ASSERT_TRUE(b->run(std::span<const TensorView>(&v, 1)).ok());
  EXPECT_EQ(b->buffer_stats()->backend_allocations, 2u);
  EXPECT_GE(b->buffer_stats()->cache_hits, 1u);
}

// [batch, chw]: "chw" is named by no input, so the output cannot be sized before the run and
// ONNX Runtime allocates it; nothing is taken from the pool.
TEST(IoBinding, OutputWithAFreeDimensionIsAllocatedByOnnxRuntime) {
  auto b = open("flatten_free_dim.onnx", true);
  const Tensor t = random_tensor({2, 3, 5, 7}, 3);
  TensorView v = t.view();
  auto out = b->run(std::span<const TensorView>(&v, 1));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(shape_str((*out)[0].shape), "[2, 105]");
  EXPECT_EQ(std::memcmp((*out)[0].data, t.data(), t.bytes()), 0);
  EXPECT_EQ(b->buffer_stats()->backend_allocations, 0u);
}

// A graph that declares y [batch, 3, 4, 4] but computes Concat(x, x), [2 batch, 3, 4, 4]: the
// confirming run sees the difference, and the backend stays on ONNX Runtime's allocation (no
// block is ever taken from the pool).
TEST(IoBinding, WrongDeclaredShapeStaysOnOnnxRuntimeAllocation) {
  auto b = open("wrong_declared_shape.onnx", true);
  for (int run = 0; run < 3; ++run) {
    const Tensor t = random_tensor({2, 3, 4, 4}, 11 + run);
    TensorView v = t.view();
    auto out = b->run(std::span<const TensorView>(&v, 1));
    ASSERT_TRUE(out.ok()) << out.error().message();
    ASSERT_EQ(shape_str((*out)[0].shape), "[4, 3, 4, 4]");
    const auto* y = static_cast<const std::byte*>((*out)[0].data);
    EXPECT_EQ(std::memcmp(y, t.data(), t.bytes()), 0);
    EXPECT_EQ(std::memcmp(y + t.bytes(), t.data(), t.bytes()), 0);
  }
  EXPECT_EQ(b->buffer_stats()->backend_allocations, 0u);
  EXPECT_EQ(b->buffer_stats()->bytes_in_use, 0u);
}

// A run that fails inside ONNX Runtime (a Gather index out of range) while a kept buffer is
// bound: the error is the model's, and the kept buffer stays in use for the next good run (a
// failed run is not taken for a model whose outputs differ from its graph).
TEST(IoBinding, ARunTimeFailureKeepsTheKeptBuffers) {
  auto b = open("gather_columns.onnx", true);
  Tensor x(DType::f32, {2, 4});
  for (int i = 0; i < 8; ++i) x.as<float>()[i] = static_cast<float>(i);
  Tensor idx(DType::i64, {1});
  const auto run = [&](int64_t column) {
    idx.as<int64_t>()[0] = column;
    const TensorView in[] = {x.view(), idx.view()};
    return b->run(in);
  };
  ASSERT_TRUE(run(1).ok());  // confirming run
  auto good = run(2);
  ASSERT_TRUE(good.ok()) << good.error().message();
  const void* kept = (*good)[0].data;
  EXPECT_EQ((*good)[0].as<float>()[1], 6.f);  // row 1, column 2
  auto bad = run(7);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("gather_columns.onnx"), std::string::npos)
      << bad.error().message();
  EXPECT_EQ(bad.error().message().find("input 'idx'"), std::string::npos)
      << "not a shape error: " << bad.error().message();
  EXPECT_NE(bad.error().code(), ErrorCode::out_of_memory) << bad.error().message();
  auto again = run(3);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ((*again)[0].data, kept);
  EXPECT_EQ((*again)[0].as<float>()[1], 7.f);
  EXPECT_EQ(b->buffer_stats()->backend_allocations, 1u);
}

// y = x[:, :end] declared [batch, 4]: with end = 4 the shape is confirmed and a kept buffer
// bound; with end = 2 ONNX Runtime refuses that buffer. The run is repeated with ONNX Runtime's
// own allocation (right values), and the backend stays on it: no kept buffer from then on.
TEST(IoBinding, RefusedKeptBufferRunsAgainOnOnnxRuntimesAllocation) {
  auto b = open("slice_columns.onnx", true);
  Tensor x(DType::f32, {3, 4});
  for (int i = 0; i < 12; ++i) x.as<float>()[i] = static_cast<float>(i);
  Tensor end(DType::i64, {1});
  const auto run = [&](int64_t columns) {
    end.as<int64_t>()[0] = columns;
    const TensorView in[] = {x.view(), end.view()};
    return b->run(in);
  };
  ASSERT_TRUE(run(4).ok());  // confirming run
  auto full = run(4);
  ASSERT_TRUE(full.ok()) << full.error().message();
  ASSERT_EQ(b->buffer_stats()->backend_allocations, 1u) << "the kept buffer is bound";
  auto part = run(2);
  ASSERT_TRUE(part.ok()) << part.error().message();
  ASSERT_EQ(shape_str((*part)[0].shape), "[3, 2]");
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 2; ++c) EXPECT_EQ((*part)[0].as<float>()[r * 2 + c], r * 4 + c);
  EXPECT_EQ(b->buffer_stats()->bytes_in_use, 0u) << "the kept buffer was dropped";
  for (int i = 0; i < 2; ++i) {
    auto again = run(4);
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ((*again)[0].as<float>()[5], 5.f);
  }
  EXPECT_EQ(b->buffer_stats()->backend_allocations, 1u) << "no kept buffer after the refusal";
}

// Out of memory for real, in a child process whose address space is capped: a batch too big to
// fit fails in ONNX Runtime's own allocation (its first run of that shape: see
// KeptBufferIsReusedAcrossRuns), the backend releases its kept buffers and asks ONNX Runtime to
// shrink its CPU arena ("cpu:0", which ONNX Runtime checks), and small batches then run (the
// executor's smaller-batch retry).
TEST(IoBinding, OutOfMemoryReleasesAndASmallerBatchRuns) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto b = open("dense_segment.onnx", true);
    const Tensor small = random_tensor({2, 3, 8, 12}, 5);
    TensorView sv = small.view();
    // Twice: the second run writes into a kept buffer, so the pool holds memory to release.
    for (int i = 0; i < 2; ++i)
      if (!b->run(std::span<const TensorView>(&sv, 1)).ok()) _exit(10);
    if (b->buffer_stats()->bytes_in_use == 0) _exit(17);
    // 600 MB of input fits below the cap; its 600 MB output (and ONNX Runtime's copy) do not.
    const int64_t big_batch = 600'000'000 / (3 * 8 * 12 * 4);
    Tensor big(DType::f32, {big_batch, 3, 8, 12});
    std::memset(big.data(), 0, big.bytes());
    rlimit cap{};
    getrlimit(RLIMIT_AS, &cap);
    std::FILE* statm = std::fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!statm || std::fscanf(statm, "%lu", &pages) != 1) _exit(11);
    std::fclose(statm);
    const rlim_t vm = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE));
    cap.rlim_cur = vm + 400'000'000;  // room for the small runs, not for the big output
    if (setrlimit(RLIMIT_AS, &cap) != 0) _exit(12);
    TensorView bv = big.view();
    auto failed = b->run(std::span<const TensorView>(&bv, 1));
    if (failed.ok()) _exit(13);
    std::fprintf(stderr, "the big batch: %s\n", failed.error().message().c_str());
    if (failed.error().code() != ErrorCode::out_of_memory) _exit(14);
    if (b->buffer_stats()->bytes_in_use != 0 || b->buffer_stats()->bytes_cached != 0) _exit(15);
    for (int i = 0; i < 3; ++i) {  // the first of these carries the arena shrink request
      auto out = b->run(std::span<const TensorView>(&sv, 1));
      if (!out.ok()) {
        std::fprintf(stderr, "after the failure: %s\n", out.error().message().c_str());
        _exit(16);
      }
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child crashed (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the child's exit code in the test";
}

}  // namespace
}  // namespace percept

namespace percept {
namespace {

// A tensor in GPU memory given to a model running on the CPU: an error naming the model and
// the input, before ONNX Runtime could read the pointer (it is never dereferenced here).
TEST(IoBinding, DeviceInputOnTheCpuIsAnErrorNamingTheTensor) {
  for (bool io_binding : {true, false}) {
    auto b = open("identity_dynamic.onnx", io_binding);
    EXPECT_FALSE(b->accepts_device_inputs());
    EXPECT_EQ(b->cuda_device(), -1);
    TensorView v{reinterpret_cast<void*>(uintptr_t{0x1000}), DType::f32, Shape{1, 3, 4, 4},
                 MemoryPlace::cuda};
    auto out = b->run(std::span<const TensorView>(&v, 1));
    ASSERT_FALSE(out.ok());
    const std::string msg = out.error().message();
    EXPECT_NE(msg.find("input 'x' is in GPU memory"), std::string::npos) << msg;
    EXPECT_NE(msg.find("identity_dynamic.onnx"), std::string::npos) << msg;
    // Still usable with a host tensor.
    const Tensor t = random_tensor({1, 3, 4, 4}, 1);
    TensorView h = t.view();
    EXPECT_TRUE(b->run(std::span<const TensorView>(&h, 1)).ok());
  }
}

}  // namespace
}  // namespace percept
