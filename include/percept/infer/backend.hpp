// The inference plug-in point: a Backend loads one model and runs it on tensors.
// Implementations are registered in one place, infer/registry.cpp (STYLE 3).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/tensor.hpp"
#include "percept/gpu/caching_allocator.hpp"

namespace percept {

struct TensorInfo {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;                         // -1 where the dimension is symbolic
  std::vector<std::string> dim_names;  // symbolic names ("batch"), "" for fixed dims
};

enum class GraphOptimization { disable, basic, extended, all };
Result<GraphOptimization> parse_graph_optimization(const std::string& s);

struct BackendOptions {
  // "cpu", "cuda[:N]" or "tensorrt[:N]" (ONNX Runtime's execution providers, docs/GPU.md). A
  // GPU provider that cannot start (not in the ONNX Runtime library, no driver, no device)
  // falls back along tensorrt -> cuda -> cpu with one log line; Backend::name() tells which ran.
  std::string device = "cpu";
  // CUDA provider: cuDNN convolution algorithm search (EXHAUSTIVE, HEURISTIC, DEFAULT) and CUDA
  // graphs (fixed shapes only). TensorRT provider: fp16, int8 with a calibration table (a
  // non-empty path turns int8 on) and an engine cache folder ("" = no cache).
  std::string cudnn_conv_algo_search = "HEURISTIC";
  bool cuda_graph = false;
  bool trt_fp16 = true;
  std::string trt_int8_calibration_table;
  std::string trt_engine_cache_dir;
  int intra_op_threads = 0;  // 0: ONNX Runtime's default (one per physical core)
  GraphOptimization graph_optimization = GraphOptimization::all;
  // ONNX Runtime's worker threads spin between tasks by default, which wins a little latency
  // when the process owns the cores and loses a lot when capture, sinks and other models run
  // beside it (measured in docs/PERFORMANCE.md), so percept turns it off unless asked.
  bool spin_wait = false;
  // ONNX Runtime's IO binding: inputs are bound in place and each output whose shape follows
  // from the inputs' (fixed dims, or a symbolic dim named like an input's) goes into a buffer
  // percept keeps between runs, from a caching pool whose statistics buffer_stats() reports
  // (page-locked host memory when a GPU provider runs, so the device-to-host copy is a DMA).
  // Other outputs are allocated by ONNX Runtime each run. false: Session::Run with every output
  // allocated by ONNX Runtime, the reference `bench_backend` compares against.
  bool io_binding = true;
  // CUDA and TensorRT providers: run on this cudaStream_t instead of ONNX Runtime's own ("user
  // compute stream"), so that work percept queues on it before and after runs back to back. Null:
  // ONNX Runtime's stream. The stream must outlive the backend.
  void* cuda_stream = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;  // e.g. "onnxruntime-cpu"
  virtual const std::string& model_path() const = 0;
  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;
  // The model's own metadata (ONNX metadata_props): Ultralytics writes task, names, imgsz...
  virtual const std::map<std::string, std::string>& metadata() const = 0;

  // Runs the model on tensors given in inputs() order. Inputs are read in place (no copy); an
  // input in GPU memory (TensorView::place) needs accepts_device_inputs(), else it is an error
  // naming the tensor. Outputs are host memory.
  // The returned views point into the backend's own output buffers and stay valid until the
  // next run(). A shape or dtype mismatch is an error naming the tensor; nothing is thrown.
  // Not thread-safe: one caller thread per backend (the executor that owns it).
  virtual Result<std::span<const TensorView>> run(std::span<const TensorView> inputs) = 0;

  // The pool behind the output buffers kept between runs (BackendOptions::io_binding), or
  // nullopt for a backend that keeps none. Safe to call from another thread than run()'s.
  virtual std::optional<gpu::PoolStats> buffer_stats() const { return std::nullopt; }

  // Whether run() takes inputs in the GPU memory of device cuda_device() (the CUDA or TensorRT
  // provider is running, with IO binding): the frame path can then preprocess on the GPU.
  virtual bool accepts_device_inputs() const { return false; }
  virtual int cuda_device() const { return -1; }
};

// A backend that hands everything to another one: the base of wrappers that change one thing
// (RuntimeOptions::wrap_backend: a latency step, a fault, an uncounted run), which override
// what they change, usually run().
class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  const std::string& model_path() const override { return inner_->model_path(); }
  const std::vector<TensorInfo>& inputs() const override { return inner_->inputs(); }
  const std::vector<TensorInfo>& outputs() const override { return inner_->outputs(); }
  const std::map<std::string, std::string>& metadata() const override { return inner_->metadata(); }
  Result<std::span<const TensorView>> run(std::span<const TensorView> inputs) override {
    return inner_->run(inputs);
  }
  std::optional<gpu::PoolStats> buffer_stats() const override { return inner_->buffer_stats(); }
  bool accepts_device_inputs() const override { return inner_->accepts_device_inputs(); }
  int cuda_device() const override { return inner_->cuda_device(); }

 protected:
  Backend& inner() { return *inner_; }

 private:
  std::unique_ptr<Backend> inner_;
};

// Checks `given` against the declared inputs: count, dtype, rank and every fixed dimension.
// The message names the model file and the tensor.
Status check_inputs(const Backend& backend, std::span<const TensorView> given);

// Opens a model with the backend that serves options.device. Throws percept::Error with a
// one-line message naming the file (missing, unreadable, truncated, not ONNX) or the
// unsupported device.
std::unique_ptr<Backend> create_backend(const std::string& model_path,
                                        const BackendOptions& options);

}  // namespace percept
