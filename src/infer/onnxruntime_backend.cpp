#include "percept/infer/onnxruntime_backend.hpp"

#include <onnxruntime_cxx_api.h>
#include <onnxruntime_run_options_config_keys.h>
#include <onnxruntime_session_options_config_keys.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string_view>

#ifdef PERCEPT_HAVE_CUDA
#include "percept/gpu/cuda.hpp"
#endif

namespace percept {

namespace {

namespace fs = std::filesystem;

// The C++ API is initialised by hand (ORT_API_MANUAL_INIT) so that a library older than the
// headers gives a clear error instead of a crash inside the first call.
void init_api() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    const OrtApiBase* base = OrtGetApiBase();
    const OrtApi* api = base ? base->GetApi(ORT_API_VERSION) : nullptr;
    if (!api) {
      failure = std::string("the ONNX Runtime library loaded (") +
                (base ? base->GetVersionString() : "unknown") + ") does not provide API version " +
                std::to_string(ORT_API_VERSION) + " that percept was built with";
      return;
    }
    Ort::InitApi(api);
  });
  if (!failure.empty()) throw Error(ErrorCode::not_supported, failure);
}

Ort::Env& env() {
  // ORT's own log lines would duplicate the errors percept reports; keep only fatal ones.
  static Ort::Env e(ORT_LOGGING_LEVEL_FATAL, "percept");
  return e;
}

DType to_dtype(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return DType::f32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return DType::f16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return DType::u8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return DType::i8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return DType::i32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return DType::i64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return DType::boolean;
    default:
      return DType::other;
  }
}

ONNXTensorElementDataType to_onnx(DType t) {
  switch (t) {
    case DType::f32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case DType::f16:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case DType::u8:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case DType::i8:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case DType::i32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case DType::i64:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    case DType::boolean:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL;
    case DType::other:
      break;
  }
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

// ORT messages look like "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from x failed:
// Protobuf parsing failed." Keep one line, without the code prefix.
std::string clean(const std::string& msg) {
  std::string s = msg.substr(0, msg.find('\n'));
  for (const char* p : {"[ONNXRuntimeError] : "}) {
    if (s.rfind(p, 0) == 0) {
      s = s.substr(std::string(p).size());
      // skip "7 : INVALID_PROTOBUF : "
      for (int i = 0; i < 2; ++i) {
        auto k = s.find(" : ");
        if (k != std::string::npos && k < 24) s = s.substr(k + 3);
      }
    }
  }
  return s;
}

// Every failure ONNX Runtime reports becomes a percept::Error here: "<context>: <its message, one
// line>", with the code onnxruntime_error_code() gives.
Error ort_error(const std::string& context, const Ort::Exception& e) {
  return Error(onnxruntime_error_code(e.GetOrtErrorCode(), e.what()),
               context + ": " + clean(e.what()));
}

// A model ONNX Runtime cannot load is ErrorCode::model, unless memory, the file system or the
// device failed (those keep their code).
Error load_error(const std::string& path, const Ort::Exception& e) {
  const std::string context = "cannot load model '" + path + "'";
  const Error error = ort_error(context, e);
  ErrorCode code = error.code();
  if (code != ErrorCode::out_of_memory && code != ErrorCode::io && code != ErrorCode::device)
    code = ErrorCode::model;
  if (e.GetOrtErrorCode() == ORT_INVALID_PROTOBUF)
    return Error(
        code, context + ": not an ONNX model, or the file is truncated (protobuf parsing failed)");
  return Error(code, error.message());
}

GraphOptimizationLevel to_ort(GraphOptimization g) {
  switch (g) {
    case GraphOptimization::disable:
      return ORT_DISABLE_ALL;
    case GraphOptimization::basic:
      return ORT_ENABLE_BASIC;
    case GraphOptimization::extended:
      return ORT_ENABLE_EXTENDED;
    case GraphOptimization::all:
      return ORT_ENABLE_ALL;
  }
  return ORT_ENABLE_ALL;
}

TensorInfo describe(const std::string& name, const Ort::TypeInfo& type, const std::string& model,
                    const char* role) {
  if (type.GetONNXType() != ONNX_TYPE_TENSOR)
    throw Error(ErrorCode::model, "model '" + model + "': " + role + " '" + name +
                                      "' is not a tensor; percept only feeds and reads tensors");
  auto t = type.GetTensorTypeAndShapeInfo();
  TensorInfo info;
  info.name = name;
  info.dtype = to_dtype(t.GetElementType());
  const auto dims = t.GetShape();
  if (dims.size() > Shape::kMaxRank)
    throw Error(ErrorCode::model, "model '" + model + "': " + role + " '" + name + "' has rank " +
                                      std::to_string(dims.size()) + "; percept supports up to 8");
  for (int64_t d : dims) info.shape.push_back(d < 0 ? -1 : d);
  std::vector<const char*> sym(dims.size(), nullptr);
  t.GetSymbolicDimensions(sym.data(), sym.size());
  for (const char* s : sym) info.dim_names.emplace_back(s ? s : "");
  return info;
}

// Execution providers (docs/GPU.md), appended through the C API's V2 option objects, which
// the CPU-only library also exports: there they fail to load the provider library, and that
// failure is what sends a run back to the CPU.
template <class T>
struct OptionsGuard {
  T* p = nullptr;
  void (*release)(T*) = nullptr;
  ~OptionsGuard() {
    if (p) release(p);
  }
};

std::pair<std::vector<const char*>, std::vector<const char*>> split(
    const std::vector<std::pair<std::string, std::string>>& kv) {
  std::vector<const char*> k, v;
  for (const auto& [key, value] : kv) {
    k.push_back(key.c_str());
    v.push_back(value.c_str());
  }
  return {k, v};
}

// The V2 option objects need a core library built with the provider (USE_CUDA); ONNX Runtime's
// CPU package, which the GPU package's providers pair with, cannot create them (ORT_FAIL, "not
// enabled in this build"). The V1 structs then load the provider library from the core library's
// folder just the same. Any failure to create the V2 object sends the provider to the V1 struct,
// so no message needs reading; a failure after that (options, appending) is the provider's.
bool created(OrtStatus* status) {
  if (!status) return true;
  Ort::GetApi().ReleaseStatus(status);
  return false;
}

void append_cuda(Ort::SessionOptions& so, int id, const BackendOptions& opt) {
  const OrtApi& api = Ort::GetApi();
  if (OptionsGuard<OrtCUDAProviderOptionsV2> o{nullptr, api.ReleaseCUDAProviderOptions};
      created(api.CreateCUDAProviderOptions(&o.p))) {
    const std::vector<std::pair<std::string, std::string>> kv = {
        {"device_id", std::to_string(id)},
        {"cudnn_conv_algo_search", opt.cudnn_conv_algo_search},
        {"enable_cuda_graph", opt.cuda_graph ? "1" : "0"},
        {"arena_extend_strategy", "kSameAsRequested"},
        {"do_copy_in_default_stream", "1"}};
    auto [k, v] = split(kv);
    Ort::ThrowOnError(api.UpdateCUDAProviderOptions(o.p, k.data(), v.data(), k.size()));
    if (opt.cuda_stream)
      Ort::ThrowOnError(
          api.UpdateCUDAProviderOptionsWithValue(o.p, "user_compute_stream", opt.cuda_stream));
    so.AppendExecutionProvider_CUDA_V2(*o.p);
    return;
  }
  if (opt.cuda_graph)
    spdlog::warn(
        "cuda_graph needs ONNX Runtime's CUDA provider options V2, which this ONNX "
        "Runtime library lacks; running without CUDA graphs");
  OrtCUDAProviderOptions o;
  o.device_id = id;
  o.has_user_compute_stream = opt.cuda_stream ? 1 : 0;
  o.user_compute_stream = opt.cuda_stream;
  o.cudnn_conv_algo_search =
      opt.cudnn_conv_algo_search == "EXHAUSTIVE" ? OrtCudnnConvAlgoSearchExhaustive
      : opt.cudnn_conv_algo_search == "DEFAULT"  ? OrtCudnnConvAlgoSearchDefault
                                                 : OrtCudnnConvAlgoSearchHeuristic;
  o.arena_extend_strategy = 1;  // kSameAsRequested
  o.do_copy_in_default_stream = 1;
  so.AppendExecutionProvider_CUDA(o);
}

// `qdq`: the model is explicitly quantized. TensorRT builds it in INT8 only with its INT8 flag
// set, and refuses a calibration table for a model with Q/DQ nodes (ONNX Runtime's TensorRT
// provider documentation, trt_int8_calibration_table_name), so the table is left out then.
void append_tensorrt(Ort::SessionOptions& so, int id, const BackendOptions& opt, bool qdq) {
  if (qdq && !opt.trt_int8_calibration_table.empty())
    spdlog::warn(
        "the model has Q/DQ nodes: TensorRT takes their scales; the calibration table "
        "'{}' is not used",
        opt.trt_int8_calibration_table);
  const OrtApi& api = Ort::GetApi();
  if (OptionsGuard<OrtTensorRTProviderOptionsV2> o{nullptr, api.ReleaseTensorRTProviderOptions};
      created(api.CreateTensorRTProviderOptions(&o.p))) {
    std::vector<std::pair<std::string, std::string>> kv = {
        {"device_id", std::to_string(id)}, {"trt_fp16_enable", opt.trt_fp16 ? "1" : "0"}};
    if (qdq) {
      kv.emplace_back("trt_int8_enable", "1");  // explicit quantization: the Q/DQ nodes' scales
    } else if (!opt.trt_int8_calibration_table.empty()) {
      kv.emplace_back("trt_int8_enable", "1");
      kv.emplace_back("trt_int8_calibration_table_name", opt.trt_int8_calibration_table);
    }
    if (!opt.trt_engine_cache_dir.empty()) {
      kv.emplace_back("trt_engine_cache_enable", "1");
      kv.emplace_back("trt_engine_cache_path", opt.trt_engine_cache_dir);
    }
    auto [k, v] = split(kv);
    Ort::ThrowOnError(api.UpdateTensorRTProviderOptions(o.p, k.data(), v.data(), k.size()));
    // The executor's stream, as for the CUDA provider: TensorRT's engines and the nodes it
    // leaves to the CUDA provider then queue behind percept's preprocessing kernels.
    if (opt.cuda_stream)
      Ort::ThrowOnError(
          api.UpdateTensorRTProviderOptionsWithValue(o.p, "user_compute_stream", opt.cuda_stream));
    so.AppendExecutionProvider_TensorRT_V2(*o.p);
    return;
  }
  OrtTensorRTProviderOptions o{};
  o.device_id = id;
  o.trt_max_partition_iterations = 1000;  // ONNX Runtime's defaults
  o.trt_min_subgraph_size = 1;
  o.trt_max_workspace_size = size_t{1} << 30;
  o.trt_fp16_enable = opt.trt_fp16 ? 1 : 0;
  o.trt_int8_enable = qdq || !opt.trt_int8_calibration_table.empty() ? 1 : 0;
  o.trt_int8_calibration_table_name = qdq ? "" : opt.trt_int8_calibration_table.c_str();
  o.trt_engine_cache_enable = opt.trt_engine_cache_dir.empty() ? 0 : 1;
  o.trt_engine_cache_path = opt.trt_engine_cache_dir.c_str();
  o.has_user_compute_stream = opt.cuda_stream ? 1 : 0;
  o.user_compute_stream = opt.cuda_stream;
  so.AppendExecutionProvider_TensorRT(o);
}

// One log line per (device, outcome) per process, whatever the number of models.
void log_fallback_once(const std::string& device, const std::string& ran_on,
                       const std::string& why) {
  static std::mutex mu;
  static std::set<std::string> logged;
  std::lock_guard lock(mu);
  if (!logged.insert(device + "->" + ran_on).second) return;
  spdlog::warn(
      "device '{}' is unavailable, running on {}: {} (the GPU providers come from "
      "scripts/bootstrap.sh --gpu and need the NVIDIA driver, CUDA 13 and cuDNN 9; docs/GPU.md)",
      device, ran_on, why);
}

class OnnxRuntimeBackend final : public Backend {
 public:
  OnnxRuntimeBackend(const std::string& path, const BackendOptions& opt)
      : path_(path), io_binding_(opt.io_binding) {
    init_api();
    env();  // before any provider is appended: loading one logs through the Env's logger
    const DeviceSpec dev = parse_device(opt.device).value_or(DeviceSpec{"cpu", 0});
    // Providers to try, best first; each failure drops the first one and retries.
    std::vector<std::string> chain;
    if (dev.provider == "tensorrt") chain = {"tensorrt", "cuda"};
    if (dev.provider == "cuda") chain = {"cuda"};
    std::string why;  // what sent the run down the chain
    for (;;) {
      Ort::SessionOptions so;
      so.SetIntraOpNumThreads(opt.intra_op_threads);
      so.SetInterOpNumThreads(1);
      so.SetExecutionMode(ORT_SEQUENTIAL);
      so.SetGraphOptimizationLevel(to_ort(opt.graph_optimization));
      so.AddConfigEntry(kOrtSessionOptionsConfigAllowIntraOpSpinning, opt.spin_wait ? "1" : "0");
      std::vector<std::string> used;
      for (const std::string& p : chain) {
        try {
          if (p == "tensorrt")
            append_tensorrt(so, dev.id, opt, model_has_qdq_nodes(path));
          else
            append_cuda(so, dev.id, opt);
          used.push_back(p);
        } catch (const Ort::Exception& e) {
          why += (why.empty() ? "" : "; ") + p + " provider: " + clean(e.what());
        }
      }
      try {
        session_ = Ort::Session(env(), path.c_str(), so);
        provider_ = used.empty() ? "cpu" : used.front();
        break;
      } catch (const Ort::Exception& e) {
        if (used.empty())
          throw;  // the model's own failure: load_error() in make_onnxruntime_backend
        why += (why.empty() ? "" : "; ") + used.front() + " session: " + clean(e.what());
        chain.assign(used.begin() + 1, used.end());
      }
    }
    if (provider_ != dev.provider) log_fallback_once(opt.device, provider_, why);
    device_id_ = dev.id;
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t i = 0; i < session_.GetInputCount(); ++i) {
      std::string n = session_.GetInputNameAllocated(i, alloc).get();
      inputs_.push_back(describe(n, session_.GetInputTypeInfo(i), path, "input"));
    }
    for (size_t i = 0; i < session_.GetOutputCount(); ++i) {
      std::string n = session_.GetOutputNameAllocated(i, alloc).get();
      outputs_.push_back(describe(n, session_.GetOutputTypeInfo(i), path, "output"));
    }
    for (auto& t : inputs_) input_names_.push_back(t.name.c_str());
    for (auto& t : outputs_) output_names_.push_back(t.name.c_str());
    auto meta = session_.GetModelMetadata();
    for (auto& key : meta.GetCustomMetadataMapKeysAllocated(alloc)) {
      auto value = meta.LookupCustomMetadataMapAllocated(key.get(), alloc);
      metadata_[key.get()] = value ? value.get() : "";
    }
    memory_ = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    run_options_ = Ort::RunOptions();
    // Returned at the end of the run after an out-of-memory failure (release_memory()): the
    // CPU arena, and the device's when a GPU provider runs.
    shrink_options_ = Ort::RunOptions();
    const std::string arenas = provider_ == "cpu" ? "cpu:0" : "cpu:0;gpu:" + std::to_string(dev.id);
    shrink_options_.AddConfigEntry(kOrtRunOptionsConfigEnableMemoryArenaShrinkage, arenas.c_str());
    input_values_.reserve(inputs_.size());
    views_.resize(outputs_.size());
    if (io_binding_) {
      binding_ = Ort::IoBinding(session_);
      kept_.resize(outputs_.size());
      map_output_dims();
#ifdef PERCEPT_HAVE_CUDA
      if (provider_ != "cpu")
        pool_ =
            std::make_unique<gpu::CachingAllocator>(gpu::make_pinned_backend(), "output buffers");
#endif
      if (!pool_)
        pool_ = std::make_unique<gpu::CachingAllocator>(std::make_unique<gpu::HeapBackend>(),
                                                        "output buffers");
    }
  }

  std::string name() const override {
    return "onnxruntime-" + provider_;
  }
  const std::string& model_path() const override {
    return path_;
  }
  const std::vector<TensorInfo>& inputs() const override {
    return inputs_;
  }
  const std::vector<TensorInfo>& outputs() const override {
    return outputs_;
  }
  const std::map<std::string, std::string>& metadata() const override {
    return metadata_;
  }

  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    if (Status st = check_inputs(*this, in); !st) return st.error();
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i].place == MemoryPlace::cuda && !accepts_device_inputs())
        return Error(ErrorCode::invalid_argument,
                     "model '" + path_ + "': input '" + inputs_[i].name +
                         "' is in GPU memory, but the model runs on " + provider_ +
                         (io_binding_ ? "" : " without IO binding") + ", which reads host memory");
    Status st = io_binding_ ? run_bound(in) : run_plain(in);
    if (!st) {
      if (st.error().code() == ErrorCode::out_of_memory) release_memory();
      return st.error();
    }
    for (size_t i = 0; i < output_values_.size(); ++i) {
      Ort::Value& v = output_values_[i];
      if (!v.IsTensor())
        return Error(ErrorCode::model,
                     "model '" + path_ + "': output '" + outputs_[i].name + "' is not a tensor");
      auto info = v.GetTensorTypeAndShapeInfo();
      TensorView& view = views_[i];
      view.dtype = to_dtype(info.GetElementType());
      view.shape = Shape(info.GetShape());
      view.data = v.GetTensorMutableRawData();
    }
    return std::span<const TensorView>(views_);
  }

  std::optional<gpu::PoolStats> buffer_stats() const override {
    if (!pool_) return std::nullopt;
    return pool_->stats();
  }

  bool accepts_device_inputs() const override {
    return io_binding_ && provider_ != "cpu";
  }
  int cuda_device() const override {
    return provider_ != "cpu" ? device_id_ : -1;
  }

 private:
  // Where each dimension of an output comes from when its buffer is allocated before the run:
  // a fixed size, or the size of input `input`'s dimension `dim` (same symbolic name).
  struct DimSource {
    int64_t fixed = -1;
    int input = -1;
    int dim = -1;
  };
  struct KeptOutput {
    std::vector<DimSource> dims;  // empty: ONNX Runtime allocates this output each run
    gpu::PoolBuffer buffer;
    Shape shape;
    Ort::Value value{nullptr};
    // Shapes ONNX Runtime itself produced for this output when the graph predicted them: only
    // these go into a kept buffer. A new shape runs once with ONNX Runtime's allocation first,
    // because a GPU provider copies into a host buffer by element count and would not notice
    // a graph that declares [B, 84, N] for a [B, N, 84] output.
    std::vector<Shape> confirmed;
    std::optional<Shape> to_confirm;  // predicted for this run, checked after it
  };

  void map_output_dims() {
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const TensorInfo& o = outputs_[i];
      std::vector<DimSource> dims;
      bool known = o.dtype != DType::other;
      for (size_t d = 0; d < o.shape.size() && known; ++d) {
        DimSource src;
        if (o.shape[d] >= 0) {
          src.fixed = o.shape[d];
        } else if (!o.dim_names[d].empty()) {
          for (size_t k = 0; k < inputs_.size() && src.input < 0; ++k)
            for (size_t j = 0; j < inputs_[k].dim_names.size(); ++j)
              if (inputs_[k].dim_names[j] == o.dim_names[d]) {
                src.input = static_cast<int>(k);
                src.dim = static_cast<int>(j);
                break;
              }
        }
        known = src.fixed >= 0 || src.input >= 0;
        dims.push_back(src);
      }
      if (known) kept_[i].dims = std::move(dims);
    }
  }

  // GPU memory of the provider's device, described once (inputs percept placed there).
  const Ort::MemoryInfo& cuda_memory() {
    if (!cuda_memory_)
      cuda_memory_ = Ort::MemoryInfo("Cuda", OrtDeviceAllocator, device_id_, OrtMemTypeDefault);
    return cuda_memory_;
  }

  const Ort::RunOptions& next_run_options() {
    if (!shrink_next_) return run_options_;
    shrink_next_ = false;
    return shrink_options_;
  }

  // After an out-of-memory failure: the kept output buffers and the pool's cache go back at
  // once, and ONNX Runtime returns its arenas' free regions at the end of the next run, so
  // that the smaller batch the executor retries with (and other models on the device) find
  // the memory.
  void release_memory() {
    drop_kept_buffers();
    shrink_next_ = true;
  }

  // Every kept buffer back to the pool, and the pool's cache back to the system.
  void drop_kept_buffers() {
    for (KeptOutput& k : kept_) {
      k.value = Ort::Value(nullptr);
      k.buffer.reset();
    }
    if (pool_) pool_->release_cache();
  }

  Status run_plain(std::span<const TensorView> in) {
    try {
      input_values_.clear();
      for (const TensorView& t : in)
        input_values_.push_back(Ort::Value::CreateTensor(memory_, t.data, t.bytes(), t.shape.data(),
                                                         t.shape.size(), to_onnx(t.dtype)));
      output_values_ =
          session_.Run(next_run_options(), input_names_.data(), input_values_.data(),
                       input_values_.size(), output_names_.data(), output_names_.size());
    } catch (const Ort::Exception& e) {
      return ort_error("model '" + path_ + "': inference failed", e);
    } catch (const std::exception& e) {  // std::bad_alloc from the API's wrappers
      return Error(error_code_of(e), "model '" + path_ + "': inference failed: " + e.what());
    }
    return {};
  }

  // Binds output i to its kept buffer, resized when the shape changed. False when the output's
  // shape is only known after the run (ONNX Runtime allocates it then).
  Result<bool> bind_kept(size_t i, std::span<const TensorView> in) {
    KeptOutput& k = kept_[i];
    k.to_confirm.reset();
    if (!preallocate_ || k.dims.empty()) return false;
    Shape shape;
    for (const DimSource& d : k.dims)
      shape.push_back(d.fixed >= 0 ? d.fixed : in[d.input].shape[d.dim]);
    const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(outputs_[i].dtype);
    if (bytes == 0) return false;
    if (std::find(k.confirmed.begin(), k.confirmed.end(), shape) == k.confirmed.end()) {
      k.to_confirm = shape;  // this run: ONNX Runtime's allocation, compared afterwards
      return false;
    }
    if (!k.value || k.buffer.size() != bytes || !(k.shape == shape)) {
      k.value = Ort::Value(nullptr);
      if (k.buffer.size() != bytes) {
        k.buffer.reset();  // back to the pool first, so that its block can be the new one
        auto b = pool_->allocate(bytes);
        if (!b) return b.error();
        k.buffer = std::move(*b);
      }
      k.value = Ort::Value::CreateTensor(memory_, k.buffer.data(), bytes, shape.data(),
                                         shape.size(), to_onnx(outputs_[i].dtype));
      k.shape = shape;
    }
    binding_.BindOutput(output_names_[i], k.value);
    return true;
  }

  // Drops every kept buffer and the pool's cache: ONNX Runtime allocates the outputs from now.
  void stop_preallocating(const std::string& why) {
    preallocate_ = false;
    drop_kept_buffers();
    spdlog::info("model '{}': outputs are allocated by ONNX Runtime each run ({})", path_, why);
  }

  // After a run: each output whose shape was predicted for the first time is compared with
  // what ONNX Runtime produced; a match lets the next runs of that shape use a kept buffer.
  void confirm_predicted_shapes() {
    for (size_t i = 0; i < kept_.size(); ++i) {
      KeptOutput& k = kept_[i];
      if (!k.to_confirm) continue;
      const Shape actual(output_values_[i].GetTensorTypeAndShapeInfo().GetShape());
      if (actual == *k.to_confirm) {
        if (k.confirmed.size() < 16) k.confirmed.push_back(actual);  // batch sizes seen
      } else {
        stop_preallocating("output '" + outputs_[i].name + "' is " + shape_str(actual) +
                           " where the graph predicts " + shape_str(*k.to_confirm));
        return;
      }
      k.to_confirm.reset();
    }
  }

  Status run_bound(std::span<const TensorView> in) {
    bool kept_any = false;
    try {
      input_values_.clear();
      for (size_t i = 0; i < in.size(); ++i) {
        const TensorView& t = in[i];
        const Ort::MemoryInfo& where = t.place == MemoryPlace::cuda ? cuda_memory() : memory_;
        input_values_.push_back(Ort::Value::CreateTensor(where, t.data, t.bytes(), t.shape.data(),
                                                         t.shape.size(), to_onnx(t.dtype)));
        binding_.BindInput(input_names_[i], input_values_.back());
      }
      for (size_t i = 0; i < outputs_.size(); ++i) {
        auto kept = bind_kept(i, in);
        if (!kept)
          return Error(kept.error().code(), "model '" + path_ + "': output '" + outputs_[i].name +
                                                "': " + kept.error().message());
        if (*kept)
          kept_any = true;
        else
          binding_.BindOutput(output_names_[i], memory_);
      }
      session_.Run(next_run_options(), binding_);
      output_values_ = binding_.GetOutputValues();
      confirm_predicted_shapes();
      return {};
    } catch (const Ort::Exception& e) {
      const Error error = ort_error("model '" + path_ + "': inference failed", e);
      if (!kept_any || error.code() == ErrorCode::out_of_memory) return error;
      return run_without_kept_buffers(in, error);
    } catch (const std::exception& e) {  // std::bad_alloc from the API's wrappers
      return Error(error_code_of(e), "model '" + path_ + "': inference failed: " + e.what());
    }
  }

  // A run that failed with kept buffers bound runs once more with ONNX Runtime's own allocation.
  // If that succeeds, ONNX Runtime refused a kept buffer (a confirmed shape that the model no
  // longer produces: INVALID_ARGUMENT, the code a bad input gets too) and it allocates the
  // outputs from now on; if it fails as well, the failure is the model's (a bad index) and the
  // kept buffers stay for the next good run. Decided by the outcome, not by ONNX Runtime's words.
  Status run_without_kept_buffers(std::span<const TensorView> in, const Error& first) {
    preallocate_ = false;
    Status st = run_bound(in);
    if (!st) {
      preallocate_ = true;
      return st;
    }
    stop_preallocating(first.message());
    return st;
  }

  std::string path_;
  std::string provider_ = "cpu";  // the provider that runs the model's first nodes
  bool io_binding_ = true;
  bool preallocate_ = true;  // bind outputs to kept buffers where their shape is known
  bool shrink_next_ = false;
  Ort::Session session_{nullptr};
  Ort::MemoryInfo memory_{nullptr};
  Ort::MemoryInfo cuda_memory_{nullptr};
  int device_id_ = 0;
  Ort::RunOptions run_options_{nullptr};  // created after init_api()
  Ort::RunOptions shrink_options_{nullptr};
  Ort::IoBinding binding_{nullptr};
  std::unique_ptr<gpu::CachingAllocator> pool_;  // the kept outputs' memory
  std::vector<KeptOutput> kept_;                 // per output
  std::vector<TensorInfo> inputs_, outputs_;
  std::vector<const char*> input_names_, output_names_;
  std::map<std::string, std::string> metadata_;
  std::vector<Ort::Value> input_values_, output_values_;
  std::vector<TensorView> views_;
};

}  // namespace

std::optional<DeviceSpec> parse_device(const std::string& device) {
  const auto colon = device.find(':');
  DeviceSpec d{device.substr(0, colon), 0};
  if (d.provider != "cpu" && d.provider != "cuda" && d.provider != "tensorrt") return std::nullopt;
  if (colon != std::string::npos) {
    const char* first = device.data() + colon + 1;
    const char* last = device.data() + device.size();
    auto [end, ec] = std::from_chars(first, last, d.id);
    if (d.provider == "cpu" || first == last || ec != std::errc() || end != last || d.id < 0)
      return std::nullopt;
  }
  return d;
}

std::unique_ptr<Backend> make_onnxruntime_backend(const std::string& path,
                                                  const BackendOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCode::io, "model file not found: '" + path + "'");
  if (!fs::is_regular_file(path, ec))
    throw Error(ErrorCode::io, "model path is not a file: '" + path + "'");
  if (std::ifstream f(path, std::ios::binary); !f.good())
    throw Error(ErrorCode::io, "cannot read model file '" + path + "'");
  if (fs::file_size(path, ec) == 0)
    throw Error(ErrorCode::model, "cannot load model '" + path + "': the file is empty");
  try {
    return std::make_unique<OnnxRuntimeBackend>(path, options);
  } catch (const Ort::Exception& e) {
    throw load_error(path, e);
  }
}

ErrorCode onnxruntime_error_code(int ort_code, std::string_view message) {
  // ONNX Runtime has no code for a failed allocation: its allocators and its CUDA provider report
  // one as ORT_FAIL or ORT_RUNTIME_EXCEPTION (through an execution provider, ORT_EP_FAIL) with a
  // message. Recognising those words here, where the error is born, is the one place percept
  // reads an error's text; everything downstream decides on the code.
  const auto says_out_of_memory = [message] {
    static constexpr std::string_view kSigns[] = {
        "failed to allocate memory",        // ONNX Runtime's allocators (CPU and CUDA arenas)
        "is smaller than requested bytes",  // ONNX Runtime's BFC arena when a limit is set
        "out of memory",                    // CUDA's cudaErrorMemoryAllocation text
        "cudaerrormemoryallocation",        // the same error's name
        "alloc_failed",                     // CUBLAS_STATUS_ALLOC_FAILED, CUDNN_STATUS_ALLOC_FAILED
        "bad_alloc",                        // std::bad_alloc::what() caught inside ONNX Runtime
        "bad allocation",                   // the same from MSVC's library
    };
    // Case-insensitive search without a copy: this runs when memory may be exhausted.
    const auto lower = [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    for (std::string_view sign : kSigns)
      if (std::search(message.begin(), message.end(), sign.begin(), sign.end(),
                      [&](char a, char b) { return lower(a) == b; }) != message.end())
        return true;
    return false;
  };
  const auto code = static_cast<OrtErrorCode>(ort_code);
  switch (code) {
    case ORT_INVALID_ARGUMENT:
      return ErrorCode::invalid_argument;
    case ORT_NO_SUCHFILE:
      return ErrorCode::io;
    case ORT_NO_MODEL:
    case ORT_INVALID_PROTOBUF:
    case ORT_INVALID_GRAPH:
    case ORT_MODEL_REQUIRES_COMPILATION:
      return ErrorCode::model;
    case ORT_NOT_IMPLEMENTED:
      return ErrorCode::not_supported;
    case ORT_FAIL:
    case ORT_RUNTIME_EXCEPTION:
      return says_out_of_memory() ? ErrorCode::out_of_memory : ErrorCode::unknown;
    case ORT_ENGINE_ERROR:
    case ORT_EP_FAIL:
    case ORT_DEVICE_RESET:
      return says_out_of_memory() ? ErrorCode::out_of_memory : ErrorCode::device;
    case ORT_OK:
    case ORT_MODEL_LOADED:  // a session in the wrong state: percept's mistake, not the model's
    case ORT_MODEL_LOAD_CANCELED:
    case ORT_NOT_FOUND:
      break;
  }
  return ErrorCode::unknown;
}

bool model_has_qdq_nodes(const std::string& model_path) {
  // NodeProto.op_type is field 4, length-delimited: tag byte 0x22, then the length.
  static const std::string kQ = std::string("\x22\x0e") + "QuantizeLinear";
  static const std::string kDq = std::string("\x22\x10") + "DequantizeLinear";
  std::ifstream f(model_path, std::ios::binary);
  if (!f) return false;
  std::string buf(size_t{1} << 20, '\0');
  std::string tail;  // the end of the previous chunk, so a name across two chunks is found
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(f.gcount());
    if (n == 0) break;
    const std::string chunk = tail + buf.substr(0, n);
    if (chunk.find(kQ) != std::string::npos || chunk.find(kDq) != std::string::npos) return true;
    tail = chunk.substr(chunk.size() - std::min(chunk.size(), kDq.size()));
  }
  return false;
}

std::string onnxruntime_version() {
  const OrtApiBase* base = OrtGetApiBase();
  return base ? base->GetVersionString() : "unknown";
}

std::vector<ProviderProbe> probe_execution_providers() {
  init_api();
  env();  // appending a provider logs through the Env's logger
  std::vector<std::string> built;
  for (const std::string& p : Ort::GetAvailableProviders()) built.push_back(p);
  const auto has = [&built](const char* name) {
    return std::find(built.begin(), built.end(), name) != built.end();
  };
  std::vector<ProviderProbe> out = {{"cpu", true, ""}};
  const std::pair<const char*, const char*> gpu[] = {{"cuda", "CUDAExecutionProvider"},
                                                     {"tensorrt", "TensorrtExecutionProvider"}};
  for (const auto& [name, ort_name] : gpu) {
    ProviderProbe probe{name, false, ""};
    if (!has(ort_name)) {
      probe.why = "not in this ONNX Runtime library (scripts/bootstrap.sh --gpu, docs/GPU.md)";
    } else {
      // Appending loads the provider's shared library and, through it, CUDA (and cuDNN or
      // TensorRT): what fails on a machine without them. No model and no GPU memory needed.
      try {
        Ort::SessionOptions so;
        if (std::string_view(name) == "cuda")
          append_cuda(so, 0, BackendOptions{});
        else
          append_tensorrt(so, 0, BackendOptions{}, false);
        probe.loads = true;
      } catch (const Ort::Exception& e) {
        probe.why = clean(e.what());
      }
    }
    out.push_back(std::move(probe));
  }
  return out;
}

}  // namespace percept
