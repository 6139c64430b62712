// The one place backends are chosen (STYLE 3). Devices other than the CPU are reported as not
// supported until their providers land, instead of silently running on the CPU.
#include "percept/infer/backend.hpp"
#include "percept/infer/onnxruntime_backend.hpp"

namespace percept {

std::unique_ptr<Backend> create_backend(const std::string& model_path,
                                        const BackendOptions& options) {
  if (options.device == "cpu") return make_onnxruntime_backend(model_path, options);
  throw Error("device '" + options.device + "' is not supported by this build (available: cpu)");
}

}  // namespace percept
