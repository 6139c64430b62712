// P1 (docs/PERFORMANCE.md): what percept adds around inference, batch 1, on the CPU.
//   bare:    Ort::Session::Run on a ready input tensor, nothing else (the reference)
//   percept: the detect task's Task::run on a 1920x1080 frame: letterbox + the same Run + decode +
//   NMS
// Same model, same session options (intra-op threads, graph optimisation, spin-wait: the
// benchmark argument, 0 = percept's default, 1 = ONNX Runtime's), same process.
// Model: $PERCEPT_BENCH_MODEL (default build/bench/yolov8n.onnx, from tools/export_yolov8n.py);
// threads: $PERCEPT_BENCH_THREADS (default 2).
#include <benchmark/benchmark.h>
#include <onnxruntime_cxx_api.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "percept/tasks/task.hpp"

namespace {

using namespace percept;

std::string model_path() {
  const char* m = std::getenv("PERCEPT_BENCH_MODEL");
  return m ? m : "build/bench/yolov8n.onnx";
}

int threads() {
  const char* t = std::getenv("PERCEPT_BENCH_THREADS");
  return t ? std::atoi(t) : 2;
}

Image frame_1080p() {
  Image img(1920, 1080, PixelFormat::bgr8);
  std::mt19937 rng(3);
  for (size_t i = 0; i < img.stride() * 1080; ++i) img.data()[i] = static_cast<uint8_t>(rng());
  return img;
}

void BM_EndToEnd_BareOnnxRuntime(benchmark::State& st) {
  Ort::InitApi(OrtGetApiBase()->GetApi(ORT_API_VERSION));
  Ort::Env env(ORT_LOGGING_LEVEL_FATAL, "bench");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads());
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ORT_SEQUENTIAL);
  so.SetGraphOptimizationLevel(ORT_ENABLE_ALL);
  so.AddConfigEntry("session.intra_op.allow_spinning", st.range(0) ? "1" : "0");
  Ort::Session session(env, model_path().c_str(), so);
  Ort::AllocatorWithDefaultOptions alloc;
  auto in_name = session.GetInputNameAllocated(0, alloc);
  auto out_name = session.GetOutputNameAllocated(0, alloc);
  auto shape = session.GetInputTypeInfo(0).GetTensorTypeAndShapeInfo().GetShape();
  shape[0] = 1;
  std::vector<float> input(static_cast<size_t>(shape[1] * shape[2] * shape[3]), 0.5f);
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value in =
      Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape.data(), shape.size());
  const char* in_names[] = {in_name.get()};
  const char* out_names[] = {out_name.get()};
  for (auto _ : st) {
    auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_EndToEnd_PerceptDetect(benchmark::State& st) {
  TaskConfig cfg;
  cfg.model_path = model_path();
  cfg.backend.intra_op_threads = threads();
  cfg.backend.spin_wait = st.range(0) != 0;
  auto det = open_task(cfg);
  Image img = frame_1080p();
  const ImageView v = img.view();
  ModelOutput result;
  const Detections& out = result.detections;
  StageTimes t, sum;
  for (auto _ : st) {
    if (!det->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&result, 1), &t)) {
      st.SkipWithError("detect failed");
      break;
    }
    sum.preprocess_ns += t.preprocess_ns;
    sum.inference_ns += t.inference_ns;
    sum.postprocess_ns += t.postprocess_ns;
  }
  const auto n = static_cast<double>(std::max<int64_t>(1, st.iterations()));
  st.counters["pre_ms"] = static_cast<double>(sum.preprocess_ns) / n * 1e-6;
  st.counters["infer_ms"] = static_cast<double>(sum.inference_ns) / n * 1e-6;
  st.counters["post_ms"] = static_cast<double>(sum.postprocess_ns) / n * 1e-6;
  st.counters["detections"] = static_cast<double>(out.size());
}

// Interleaved repetitions (scripts/bench.sh) so that both see the same machine load.
BENCHMARK(BM_EndToEnd_BareOnnxRuntime)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EndToEnd_PerceptDetect)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
