// percept.Runtime: the whole pipeline of a config (cameras, batching, tracking, sinks) on a
// thread of its own, its per-frame results handed to Python through a bounded queue. The
// queue is one more sink (RuntimeOptions::extra_sinks): in lossless mode a slow Python consumer
// holds the pipeline back like a slow file sink would; in live mode frames it cannot take in
// time are dropped and counted under the sink "python".
#include "py_runtime.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

#include "percept/pipeline/runtime.hpp"
#include "percept/telemetry/run_summary.hpp"
#include "py_results.hpp"

namespace py = pybind11;

namespace percept::python {

// Between the queue sink (the pipeline's sink thread) and Python's iterator.
class ResultQueue {
 public:
  explicit ResultQueue(size_t capacity) : capacity_(capacity) {}

  // Waits for room; returns at once (dropping the frame) once Python has let go.
  void push(std::shared_ptr<FrameData> f) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return abandoned_ || items_.size() < capacity_; });
    if (abandoned_) return;
    items_.push_back(std::move(f));
    ready_.notify_one();
  }
  // No more frames will come.
  void finish() {
    std::lock_guard lock(mu_);
    finished_ = true;
    ready_.notify_all();
  }
  // Python will take no more: the producer must never wait again.
  void abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    items_.clear();
    room_.notify_all();
  }
  // The next frame, or null after `timeout` or at the end (*ended set).
  std::shared_ptr<FrameData> pop(std::chrono::milliseconds timeout, bool* ended) {
    std::unique_lock lock(mu_);
    ready_.wait_for(lock, timeout, [&] { return !items_.empty() || finished_; });
    *ended = items_.empty() && finished_;
    if (items_.empty()) return nullptr;
    std::shared_ptr<FrameData> f = std::move(items_.front());
    items_.pop_front();
    room_.notify_one();
    return f;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::shared_ptr<FrameData>> items_;
  size_t capacity_;
  bool finished_ = false, abandoned_ = false;
};

namespace {

// Copies each frame's results (frames are pooled: their buffers go back to the pipeline).
class QueueSink : public Sink {
 public:
  QueueSink(const PipelineInfo& info, std::shared_ptr<ResultQueue> queue)
      : cameras_(info.camera_ids),
        models_(info.model_ids),
        camera_models_(info.camera_models),
        tasks_(info.model_tasks),
        queue_(std::move(queue)) {
    for (const auto& l : info.model_labels)
      labels_.push_back(std::make_shared<const std::vector<std::string>>(l));
  }
  std::string name() const override { return "python"; }
  Status write(const Frame& f) override {
    auto out = std::make_shared<FrameData>();
    out->camera = cameras_[static_cast<size_t>(f.camera)];
    out->index = f.index;
    out->capture_time = static_cast<double>(f.capture_wall_ns) * 1e-9;
    out->deadline_missed = f.deadline_missed;
    for (size_t m : camera_models_[static_cast<size_t>(f.camera)]) {
      const ModelResult& mr = f.results[m];
      auto r = std::make_shared<ResultData>();
      r->model = models_[m];
      r->task = tasks_[m];
      r->state = mr.state == ModelResult::State::done      ? "done"
                 : mr.state == ModelResult::State::dropped ? "dropped"
                 : mr.state == ModelResult::State::failed  ? "failed"
                                                           : "pending";
      r->error = mr.error;
      r->frame_width = f.image.width();
      r->frame_height = f.image.height();
      if (mr.state == ModelResult::State::done) r->out = mr.output;
      r->labels = labels_[m];
      out->results.push_back(std::move(r));
    }
    queue_->push(std::move(out));
    return {};
  }
  void close() override { queue_->finish(); }
  std::vector<std::string> outputs() const override { return {}; }
  bool background() const override { return false; }  // someone is waiting for it

 private:
  std::vector<std::string> cameras_, models_;
  std::vector<std::vector<size_t>> camera_models_;
  std::vector<std::string> tasks_;
  std::vector<std::shared_ptr<const std::vector<std::string>>> labels_;
  std::shared_ptr<ResultQueue> queue_;
};

}  // namespace

PyRuntime::PyRuntime(const std::string& config, bool is_path, int64_t max_frames, bool results,
                     size_t queue_depth)
    : cfg_(is_path ? load_pipeline_config(config)
                   : parse_pipeline_config(config, "percept.Runtime config",
                                           std::filesystem::current_path().string())),
      queue_(std::make_shared<ResultQueue>(queue_depth)),
      results_(results) {
  if (cfg_.telemetry.metrics_port)
    throw Error(ErrorCode::invalid_argument,
                cfg_.file +
                    ": telemetry.metrics is served by `percept run`, not by "
                    "percept.Runtime (read the telemetry JSONL, or run percept run)");
  if (queue_depth < 1) throw Error(ErrorCode::invalid_argument, "percept.Runtime: queue_depth < 1");
  opt_.max_frames = max_frames;
  opt_.stop_flag = &stop_;
  if (results_)
    opt_.extra_sinks = [q = queue_](const PipelineInfo& info) {
      std::vector<std::unique_ptr<Sink>> s;
      s.push_back(std::make_unique<QueueSink>(info, q));
      return s;
    };
}

PyRuntime::~PyRuntime() {
  stop_ = true;
  queue_->abandon();
  if (thread_.joinable()) thread_.join();
}

void PyRuntime::start() {
  if (started_) return;
  started_ = true;
  if (!results_) queue_->finish();
  thread_ = std::thread([this] {
    try {
      summary_ = run_pipeline(cfg_, opt_);
    } catch (...) {
      error_ = std::current_exception();
    }
    queue_->finish();  // also when the pipeline failed before its sinks existed
    std::lock_guard lock(done_mu_);
    done_ = true;
    done_cv_.notify_all();
  });
}

void PyRuntime::stop() {
  stop_ = true;
}

// Waits for the thread with the GIL released, in slices, so that Ctrl-C reaches Python.
void PyRuntime::join_checking_signals() {
  for (;;) {
    bool done = false;
    {
      py::gil_scoped_release unlocked;
      std::unique_lock lock(done_mu_);
      done = done_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return done_; });
    }
    if (done) break;
    if (PyErr_CheckSignals() != 0) {
      stop();
      throw py::error_already_set();
    }
  }
  if (thread_.joinable()) thread_.join();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;  // raised once
    std::rethrow_exception(e);
  }
}

std::shared_ptr<FrameData> PyRuntime::next() {
  if (!results_)
    throw Error(ErrorCode::invalid_argument,
                "percept.Runtime was made with results=False: it has no frames to iterate");
  start();
  for (;;) {
    bool ended = false;
    std::shared_ptr<FrameData> f;
    {
      py::gil_scoped_release unlocked;
      f = queue_->pop(std::chrono::milliseconds(100), &ended);
    }
    if (f) return f;
    if (ended) {
      join_checking_signals();
      throw py::stop_iteration();
    }
    if (PyErr_CheckSignals() != 0) {
      stop();
      throw py::error_already_set();
    }
  }
}

py::object PyRuntime::wait() {
  start();
  queue_->abandon();  // frames not taken yet are dropped: nothing may wait for Python now
  join_checking_signals();
  return summary();
}

py::object PyRuntime::summary() const {
  {
    std::lock_guard lock(done_mu_);
    if (!done_) return py::none();
  }
  if (!summary_) return py::none();
  return py::module_::import("json").attr("loads")(summary_json(*summary_));
}

void bind_runtime(py::module_& m) {
  py::class_<PyRuntime>(m, "_Runtime")
      .def(py::init<const std::string&, bool, int64_t, bool, size_t>())
      .def("start", &PyRuntime::start)
      .def("stop", &PyRuntime::stop)
      .def("next", &PyRuntime::next)
      .def("wait", &PyRuntime::wait)
      .def("close",
           [](PyRuntime& r) {
             r.stop();
             r.wait();
           })
      .def_property_readonly("summary", &PyRuntime::summary)
      .def_property_readonly("cameras",
                             [](const PyRuntime& r) {
                               std::vector<std::string> ids;
                               for (const auto& c : r.config().cameras) ids.push_back(c.id);
                               return ids;
                             })
      .def_property_readonly("models", [](const PyRuntime& r) {
        std::vector<std::string> ids;
        for (const auto& c : r.config().models) ids.push_back(c.id);
        return ids;
      });
}

}  // namespace percept::python
