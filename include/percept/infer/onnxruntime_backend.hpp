// ONNX Runtime backend: the CPU execution provider, and the CUDA and TensorRT providers when
// the ONNX Runtime library has them (scripts/bootstrap.sh --gpu, docs/GPU.md). Built against the
// headers of the library it links, and refuses to start against an older library (ONNX Runtime's
// API is versioned).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "percept/infer/backend.hpp"

namespace percept {

// "cpu" -> {cpu, 0}, "cuda" -> {cuda, 0}, "tensorrt:1" -> {tensorrt, 1}; nullopt otherwise.
struct DeviceSpec {
  std::string provider;  // cpu | cuda | tensorrt
  int id = 0;
};
std::optional<DeviceSpec> parse_device(const std::string& device);

// Throws percept::Error naming the file when the model cannot be loaded.
std::unique_ptr<Backend> make_onnxruntime_backend(const std::string& model_path,
                                                  const BackendOptions& options);

// Whether the model file holds QuantizeLinear/DequantizeLinear nodes (an explicitly quantized
// model, e.g. from `percept quantize`): TensorRT then needs its INT8 flag and no calibration
// table. A scan of the file's bytes for the operator names as ONNX's protobuf encodes them
// (NodeProto.op_type), so no protobuf library is needed; false when the file cannot be read.
bool model_has_qdq_nodes(const std::string& model_path);

// The ErrorCode of a failure ONNX Runtime reported: `ort_code` is its OrtErrorCode, `message` its
// text, read only to recognise an allocation failure (which ONNX Runtime reports as ORT_FAIL or
// ORT_RUNTIME_EXCEPTION). Every ONNX Runtime error percept passes on is classified here.
ErrorCode onnxruntime_error_code(int ort_code, std::string_view message);

// "1.29.0": the version of the ONNX Runtime library loaded at run time.
std::string onnxruntime_version();

// Whether each execution provider percept can ask for (cpu, cuda, tensorrt) loads in this
// process: in the library, and its shared library and CUDA libraries found. `percept doctor`.
struct ProviderProbe {
  std::string name;
  bool loads = false;
  std::string why;  // when it does not
};
std::vector<ProviderProbe> probe_execution_providers();

}  // namespace percept
