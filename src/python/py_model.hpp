// percept.Model's C++ side (the Python class in percept/__init__.py builds its options).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "percept/tasks/task.hpp"
#include "percept/track/byte_tracker.hpp"

namespace percept::python {

class PyModel {
 public:
  // `options_yaml`: one `models:` entry (path, task, device, conf, ..., tracker) as YAML or
  // JSON text, checked like a config's; `name` stands for it in messages.
  PyModel(const std::string& options_yaml, const std::string& name, const std::string& color);
  // One frame (a NumPy array) -> a Result; a list of frames -> a list of Results (one batch
  // where the model allows). Tracked models take one frame per call, stamped `timestamp_ns`
  // (any clock; default: the steady clock now).
  pybind11::object call(pybind11::object frames, std::optional<int64_t> timestamp_ns);
  const Task& task() const { return *opened_.task; }
  bool tracked() const { return tracker_ != nullptr; }

 private:
  OpenedTask opened_;
  std::unique_ptr<ByteTracker> tracker_;
  std::vector<uint8_t> keep_;
  PixelFormat color_ = PixelFormat::bgr8;
  std::string id_;
  std::shared_ptr<const std::vector<std::string>> labels_;
};

void bind_model(pybind11::module_& m);

}  // namespace percept::python
