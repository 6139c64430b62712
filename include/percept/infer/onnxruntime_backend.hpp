// ONNX Runtime backend (CPU execution provider). Built against the headers of the library it
// links, and refuses to start against an older library (ONNX Runtime's API is versioned).
#pragma once

#include <memory>
#include <string>

#include "percept/infer/backend.hpp"

namespace percept {

// Throws percept::Error naming the file when the model cannot be loaded.
std::unique_ptr<Backend> make_onnxruntime_backend(const std::string& model_path,
                                                  const BackendOptions& options);

// "1.29.0": the version of the ONNX Runtime library loaded at run time.
std::string onnxruntime_version();

}  // namespace percept
