// percept.Runtime's C++ side (the Python class in percept/__init__.py wraps it).
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "percept/pipeline/config.hpp"
#include "percept/pipeline/runtime.hpp"

namespace percept::python {

struct FrameData;
class ResultQueue;

class PyRuntime {
 public:
  // `config`: a config file (is_path) or YAML/JSON text; errors name the file and line.
  // `results`: hand each frame's results to Python (next()); `queue_depth` frames wait there.
  PyRuntime(const std::string& config, bool is_path, int64_t max_frames, bool results,
            size_t queue_depth);
  ~PyRuntime();  // stops, drops what Python did not take, joins
  PyRuntime(const PyRuntime&) = delete;
  PyRuntime& operator=(const PyRuntime&) = delete;

  void start();  // runs the pipeline on its own thread (once)
  void stop();   // sources stop; every frame already accepted is still finished and delivered
  // The next frame's results; StopIteration at the end; the run's error, if any, at the end.
  std::shared_ptr<FrameData> next();
  // Runs to the end, dropping results not taken; returns the summary (as summary.json).
  pybind11::object wait();
  pybind11::object summary() const;  // None until the run has ended
  const PipelineConfig& config() const { return cfg_; }

 private:
  void join_checking_signals();

  PipelineConfig cfg_;
  RuntimeOptions opt_;
  std::shared_ptr<ResultQueue> queue_;
  bool results_;
  bool started_ = false;
  std::atomic<bool> stop_{false};
  mutable std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::optional<RunSummary> summary_;  // written by the thread before done_
  std::exception_ptr error_;
  std::thread thread_;
};

void bind_runtime(pybind11::module_& m);

}  // namespace percept::python
