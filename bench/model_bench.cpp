// A model through percept's whole task path (preprocess + inference + postprocess, the path the
// executors run) against the same model's inference alone (its own backend, a tensor already
// in place), per batch size, on any device. Any task (detect, depth, segment, classify, face).
// No OpenCV and no Google Benchmark, so that scripts/gpu_verify.sh can carry it to a GPU
// machine; there it answers the "the path adds under 10% to inference".
//
//   model_bench --model M [--device cpu|cuda|tensorrt] [--batch 1,4] [--warmup 10]
//               [--iterations 50] [--threads 0] [--require-device 1]
//
// --require-device 1: exit 3 at once when the model did not start on the device asked for
// (ONNX Runtime fell back to the CPU), instead of timing the fallback.
// Prints one JSON object per batch size on stdout: medians and p90s in milliseconds, and
// path_over_inference (path p50 / inference p50). The frame is a 1280x720 synthetic BGR image.
// On CUDA (CUDA builds) the inference-alone input sits in device memory already, and the
// detector's path letterboxes on the GPU (tasks/detect/detector.hpp).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/core/json_writer.hpp"
#include "percept/infer/backend.hpp"
#include "percept/tasks/task.hpp"

#ifdef PERCEPT_HAVE_CUDA
#include "percept/gpu/cuda.hpp"
#endif

namespace {

using namespace percept;

struct Args {
  std::string model, device = "cpu";
  std::vector<int> batches{1};
  int warmup = 10, iterations = 50, threads = 0;
  bool require_device = false;  // exit 3 when the provider asked for did not start
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "model_bench: %s\nusage: model_bench --model M [--device D] [--batch 1,4] "
               "[--warmup N] [--iterations N] [--threads N] [--require-device 0|1]\n",
               why.c_str());
  std::exit(2);
}

int to_int(const std::string& flag, const std::string& v, int lo, int hi) {
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi)
    usage(flag + " '" + v + "' is not a number in [" + std::to_string(lo) + ", " +
          std::to_string(hi) + "]");
  return static_cast<int>(n);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--model") {
      a.model = v;
    } else if (flag == "--device") {
      a.device = v;
    } else if (flag == "--batch") {
      a.batches.clear();
      for (size_t p = 0; p <= v.size();) {
        const size_t q = std::min(v.find(',', p), v.size());
        a.batches.push_back(to_int("--batch", v.substr(p, q - p), 1, 256));
        p = q + 1;
      }
    } else if (flag == "--warmup") {
      a.warmup = to_int(flag, v, 0, 100000);
    } else if (flag == "--iterations") {
      a.iterations = to_int(flag, v, 1, 1000000);
    } else if (flag == "--threads") {
      a.threads = to_int(flag, v, 0, 256);
    } else if (flag == "--require-device") {
      a.require_device = to_int(flag, v, 0, 1) == 1;
    } else {
      usage("unknown flag " + flag);
    }
  }
  if (a.model.empty()) usage("--model is required");
  return a;
}

// A camera-like frame: smooth gradients with some texture, so that detectors and depth models
// see neither a flat image nor noise.
Image synthetic_frame() {
  Image img(1280, 720, PixelFormat::bgr8);
  for (int y = 0; y < img.height(); ++y) {
    uint8_t* row = img.row(y);
    for (int x = 0; x < img.width(); ++x) {
      row[3 * x + 0] = static_cast<uint8_t>((x * 255) / img.width());
      row[3 * x + 1] = static_cast<uint8_t>((y * 255) / img.height());
      row[3 * x + 2] = static_cast<uint8_t>(((x / 40 + y / 40) % 2) * 160 + 40);
    }
  }
  return img;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Summary {
  double p50 = 0, p90 = 0;
};

Summary summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
  };
  return {at(0.5), at(0.9)};
}

double r3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

void put(JsonWriter& w, const char* key, const Summary& s) {
  w.key(key).begin_object().field("p50", r3(s.p50)).field("p90", r3(s.p90)).end_object();
}

// Times `fn` (returning Status) `iterations` times after `warmup` calls; exits on an error.
template <class Fn>
std::vector<double> time_calls(const Args& a, const char* what, Fn&& fn) {
  std::vector<double> ms;
  for (int i = 0; i < a.warmup + a.iterations; ++i) {
    const double t0 = now_ms();
    if (Status s = fn(); !s) {
      std::fprintf(stderr, "model_bench: %s failed: %s\n", what, s.error().message().c_str());
      std::exit(1);
    }
    if (i >= a.warmup) ms.push_back(now_ms() - t0);
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  // Logs (the model's conventions, a provider's fallback) to stderr: stdout is JSON lines only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("model_bench"));
  try {
    TaskConfig cfg;
    cfg.model_path = a.model;
    cfg.backend.device = a.device;
    cfg.backend.intra_op_threads = a.threads;
    OpenedTask task = open_task(cfg);
    std::unique_ptr<Backend> alone = create_backend(a.model, cfg.backend);  // its own session
    const std::string provider = a.device.substr(0, a.device.find(':'));
    if (a.require_device && alone->name() != "onnxruntime-" + provider) {
      std::fprintf(stderr, "model_bench: %s runs on %s, not %s (--require-device)\n",
                   a.model.c_str(), alone->name().c_str(), a.device.c_str());
      return 3;
    }
    const Image frame = synthetic_frame();
    const InputSize size = task->input_size();
    for (int b : a.batches) {
      if (b > 1 && !task->dynamic_batch()) {
        std::fprintf(stderr, "model_bench: batch %d skipped: the model's batch is fixed at 1\n", b);
        continue;
      }
      // Inference alone: the model's declared input with this batch, filled once.
      Shape shape = alone->inputs()[0].shape;
      shape[0] = b;
      for (size_t d = 1; d < shape.size(); ++d)
        if (shape[d] < 0) shape[d] = d + 1 == shape.size() ? size.width : size.height;
      Tensor input(alone->inputs()[0].dtype, shape);
      std::memset(input.data(), 0, input.bytes());
      TensorView view = input.view();
#ifdef PERCEPT_HAVE_CUDA
      // A model on CUDA: the input already in the device's memory, so that "inference alone"
      // is the model's own time and not also a host-to-device copy the path does not make.
      gpu::DevicePool device;
      gpu::DeviceBuffer on_device;
      if (alone->accepts_device_inputs()) {
        auto block = device.allocate(input.bytes(), nullptr);
        if (!block) throw Error(block.error().message());
        on_device = std::move(block).value();
        gpu::check(
            cudaMemcpy(on_device.data(), input.data(), input.bytes(), cudaMemcpyHostToDevice),
            "upload the input")
            .throw_if_error();
        view.data = on_device.data();
        view.place = MemoryPlace::cuda;
      }
#endif
      const std::vector<double> infer = time_calls(a, "inference", [&]() -> Status {
        auto out = alone->run(std::span<const TensorView>(&view, 1));
        if (!out) return out.error();
        return {};
      });
      // The whole path, with its stage split.
      std::vector<ImageView> frames(static_cast<size_t>(b), frame.view());
      std::vector<ModelOutput> outputs(static_cast<size_t>(b));
      std::vector<double> pre, inf, post;
      StageTimes t;
      const std::vector<double> path = time_calls(a, "task path", [&]() -> Status {
        Status s = task->run(frames, outputs, &t);
        pre.push_back(static_cast<double>(t.preprocess_ns) * 1e-6);
        inf.push_back(static_cast<double>(t.inference_ns) * 1e-6);
        post.push_back(static_cast<double>(t.postprocess_ns) * 1e-6);
        return s;
      });
      const auto drop_warmup = [&](std::vector<double>& v) {
        v.erase(v.begin(), v.begin() + std::min<size_t>(v.size(), static_cast<size_t>(a.warmup)));
      };
      drop_warmup(pre);
      drop_warmup(inf);
      drop_warmup(post);
      const Summary si = summarise(infer), sp = summarise(path);
      JsonWriter w;
      w.begin_object()
          .field("model", a.model)
          .field("task", task->name())
          .field("device", a.device)
          .field("backend", alone->name())
          .field("input", std::to_string(size.width) + "x" + std::to_string(size.height))
          .field("batch", b)
          .field("iterations", a.iterations);
      put(w, "inference_ms", si);
      put(w, "path_ms", sp);
      put(w, "path_preprocess_ms", summarise(pre));
      put(w, "path_inference_ms", summarise(inf));
      put(w, "path_postprocess_ms", summarise(post));
      w.field("path_over_inference", si.p50 > 0 ? r3(sp.p50 / si.p50) : 0.0).end_object();
      std::printf("%s\n", w.str().c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "model_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
