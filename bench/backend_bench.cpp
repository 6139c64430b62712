// ONNX Runtime's IO binding with outputs kept between runs (BackendOptions::io_binding, the
// default) against Session::Run with outputs allocated by ONNX Runtime each run, in the same
// run, on the repository's trained models. docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "percept/infer/backend.hpp"

namespace {

using namespace percept;

const char* const kModels[] = {PERCEPT_MODELS "/shapes_yolov8.onnx",
                               PERCEPT_MODELS "/scene_seg.onnx"};

// One backend per (io_binding, model) for the whole process: repetitions and interleaving then
// time warm sessions (a fresh session's first batch-4 runs grow ONNX Runtime's arena).
Backend& backend_for(bool io_binding, int64_t model) {
  static std::map<std::pair<bool, int64_t>, std::unique_ptr<Backend>> backends;
  auto& b = backends[{io_binding, model}];
  if (!b) {
    BackendOptions opt;
    opt.io_binding = io_binding;
    opt.intra_op_threads = 1;  // one core each: the comparison is the run's overhead
    b = create_backend(kModels[model], opt);
  }
  return *b;
}

void BM_Run(benchmark::State& state) {
  const bool io_binding = state.range(0) != 0;
  const int64_t batch = state.range(2);
  Backend* backend = &backend_for(io_binding, state.range(1));
  Shape shape = backend->inputs()[0].shape;
  shape[0] = batch;
  Tensor input(DType::f32, shape);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int64_t i = 0; i < input.numel(); ++i) input.as<float>()[i] = u(rng);
  const TensorView view = input.view();
  for (int i = 0; i < 2; ++i)  // warm: arena and kept buffers at this batch size
    if (!backend->run(std::span<const TensorView>(&view, 1)).ok()) break;
  for (auto _ : state) {
    auto out = backend->run(std::span<const TensorView>(&view, 1));
    if (!out.ok()) {
      state.SkipWithError(out.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize((*out)[0].data);
  }
  state.SetLabel(std::string(io_binding ? "io_binding " : "session_run ") +
                 (state.range(1) == 0 ? "shapes_yolov8" : "scene_seg") + " batch " +
                 std::to_string(batch));
}

// Interleaved (bound, plain) pairs so that machine load hits both sides alike.
BENCHMARK(BM_Run)
    ->ArgsProduct({{1, 0}, {0, 1}, {1, 4}})
    ->ArgNames({"io_binding", "model", "batch"})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
