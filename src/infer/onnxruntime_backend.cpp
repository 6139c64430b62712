#include "percept/infer/onnxruntime_backend.hpp"

#include <onnxruntime_cxx_api.h>
#include <onnxruntime_session_options_config_keys.h>

#include <filesystem>
#include <fstream>
#include <mutex>

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
  if (!failure.empty()) throw Error(failure);
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
    throw Error("model '" + model + "': " + role + " '" + name +
                "' is not a tensor; percept only feeds and reads tensors");
  auto t = type.GetTensorTypeAndShapeInfo();
  TensorInfo info;
  info.name = name;
  info.dtype = to_dtype(t.GetElementType());
  const auto dims = t.GetShape();
  if (dims.size() > Shape::kMaxRank)
    throw Error("model '" + model + "': " + role + " '" + name + "' has rank " +
                std::to_string(dims.size()) + "; percept supports up to 8");
  for (int64_t d : dims) info.shape.push_back(d < 0 ? -1 : d);
  std::vector<const char*> sym(dims.size(), nullptr);
  t.GetSymbolicDimensions(sym.data(), sym.size());
  for (const char* s : sym) info.dim_names.emplace_back(s ? s : "");
  return info;
}

class OnnxRuntimeBackend final : public Backend {
 public:
  OnnxRuntimeBackend(const std::string& path, const BackendOptions& opt) : path_(path) {
    init_api();
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(opt.intra_op_threads);
    so.SetInterOpNumThreads(1);
    so.SetExecutionMode(ORT_SEQUENTIAL);
    so.SetGraphOptimizationLevel(to_ort(opt.graph_optimization));
    so.AddConfigEntry(kOrtSessionOptionsConfigAllowIntraOpSpinning, opt.spin_wait ? "1" : "0");
    try {
      session_ = Ort::Session(env(), path.c_str(), so);
    } catch (const Ort::Exception& e) {
      const std::string msg = clean(e.what());
      if (msg.find("Protobuf parsing failed") != std::string::npos)
        throw Error("cannot load model '" + path +
                    "': not an ONNX model, or the file is truncated (protobuf parsing failed)");
      throw Error("cannot load model '" + path + "': " + msg);
    }
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
    input_values_.reserve(inputs_.size());
    views_.resize(outputs_.size());
  }

  std::string name() const override { return "onnxruntime-cpu"; }
  const std::string& model_path() const override { return path_; }
  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    if (Status st = check_inputs(*this, in); !st) return st.error();
    try {
      input_values_.clear();
      for (const TensorView& t : in)
        input_values_.push_back(Ort::Value::CreateTensor(memory_, t.data, t.bytes(), t.shape.data(),
                                                         t.shape.size(), to_onnx(t.dtype)));
      output_values_ =
          session_.Run(run_options_, input_names_.data(), input_values_.data(),
                       input_values_.size(), output_names_.data(), output_names_.size());
    } catch (const Ort::Exception& e) {
      return Error("model '" + path_ + "': inference failed: " + clean(e.what()));
    }
    for (size_t i = 0; i < output_values_.size(); ++i) {
      Ort::Value& v = output_values_[i];
      if (!v.IsTensor())
        return Error("model '" + path_ + "': output '" + outputs_[i].name + "' is not a tensor");
      auto info = v.GetTensorTypeAndShapeInfo();
      TensorView& view = views_[i];
      view.dtype = to_dtype(info.GetElementType());
      view.shape = Shape(info.GetShape());
      view.data = v.GetTensorMutableRawData();
    }
    return std::span<const TensorView>(views_);
  }

 private:
  std::string path_;
  Ort::Session session_{nullptr};
  Ort::MemoryInfo memory_{nullptr};
  Ort::RunOptions run_options_{nullptr};  // created after init_api()
  std::vector<TensorInfo> inputs_, outputs_;
  std::vector<const char*> input_names_, output_names_;
  std::map<std::string, std::string> metadata_;
  std::vector<Ort::Value> input_values_, output_values_;
  std::vector<TensorView> views_;
};

}  // namespace

std::unique_ptr<Backend> make_onnxruntime_backend(const std::string& path,
                                                  const BackendOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("model file not found: '" + path + "'");
  if (!fs::is_regular_file(path, ec)) throw Error("model path is not a file: '" + path + "'");
  if (std::ifstream f(path, std::ios::binary); !f.good())
    throw Error("cannot read model file '" + path + "'");
  if (fs::file_size(path, ec) == 0)
    throw Error("cannot load model '" + path + "': the file is empty");
  return std::make_unique<OnnxRuntimeBackend>(path, options);
}

std::string onnxruntime_version() {
  const OrtApiBase* base = OrtGetApiBase();
  return base ? base->GetVersionString() : "unknown";
}

}  // namespace percept
