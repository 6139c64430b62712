// What the Python API hands out for one model's results on one frame (percept.Result) and for
// one frame of a pipeline (percept.FrameResult). The results are owned here, so that NumPy
// arrays over dense maps can point into them without a copy (the array keeps its Result alive).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "percept/core/model_output.hpp"

namespace percept::python {

struct ResultData {
  std::string model;           // the model's id (percept.Model: its file name)
  std::string task;            // registry name ("detect")
  std::string state = "done";  // done | dropped | failed (pipeline frames)
  std::string error;           // when failed
  int frame_width = 0, frame_height = 0;
  ModelOutput out;
  std::shared_ptr<const std::vector<std::string>> labels;  // the model's class names (shared)
  const std::vector<std::string>& names() const {
    static const std::vector<std::string> kNone;
    return labels ? *labels : kNone;
  }
};

// Built on a sink thread without the GIL; Python sees it as percept.FrameResult.
struct FrameData {
  std::string camera;
  int64_t index = 0;        // per camera, from 0 in capture order
  double capture_time = 0;  // wall clock, seconds since the epoch
  bool deadline_missed = false;
  std::vector<std::shared_ptr<ResultData>> results;  // the models serving the camera
};

void bind_results(pybind11::module_& m);

}  // namespace percept::python
