// The one place backends are chosen (STYLE 3). ONNX Runtime serves the CPU and, through its
// execution providers, CUDA and TensorRT; an unknown device is an error, never a silent CPU run.
#include "percept/infer/backend.hpp"
#include "percept/infer/onnxruntime_backend.hpp"

namespace percept {

std::unique_ptr<Backend> create_backend(const std::string& model_path,
                                        const BackendOptions& options) {
  if (parse_device(options.device)) return make_onnxruntime_backend(model_path, options);
  throw Error(ErrorCode::invalid_argument,
              "device '" + options.device +
                  "' is not supported by this build (available: cpu, cuda[:N], tensorrt[:N])");
}

}  // namespace percept
