// percept.Model: one model on frames the caller hands in, the task layer without a pipeline
// (what `percept infer` does, from Python).
#include "py_model.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "percept/pipeline/config.hpp"
#include "percept/tasks/task.hpp"
#include "percept/track/byte_tracker.hpp"
#include "py_results.hpp"

namespace py = pybind11;

namespace percept::python {

namespace {

// A NumPy frame as an ImageView over its memory (no copy): uint8 (H, W, 3) or (H, W), rows
// of any stride, pixels packed. `what` names the frame in errors.
ImageView view_of_frame(const py::array& a, PixelFormat color, const std::string& what) {
  if (a.dtype().kind() != 'u' || a.itemsize() != 1)
    throw py::type_error(what + ": expected a uint8 array, got dtype " +
                         py::str(a.dtype()).cast<std::string>());
  const bool gray = a.ndim() == 2;
  if (!gray && !(a.ndim() == 3 && a.shape(2) == 3))
    throw py::value_error(what + ": expected shape (H, W, 3) or (H, W), got " +
                          py::str(a.attr("shape")).cast<std::string>());
  const int channels = gray ? 1 : 3;
  if (a.shape(0) < 1 || a.shape(1) < 1 || a.shape(0) > 65535 || a.shape(1) > 65535)
    throw py::value_error(what + ": frame of " + std::to_string(a.shape(1)) + "x" +
                          std::to_string(a.shape(0)) + " pixels is empty or too large");
  if (a.strides(1) != channels || (!gray && a.strides(2) != 1) || a.strides(0) <= 0)
    throw py::value_error(what +
                          ": pixels must be packed along each row (use "
                          "numpy.ascontiguousarray)");
  ImageView v;
  v.data = static_cast<const uint8_t*>(a.data());
  v.width = static_cast<int>(a.shape(1));
  v.height = static_cast<int>(a.shape(0));
  v.stride = static_cast<size_t>(a.strides(0));
  v.format = gray ? PixelFormat::gray8 : color;
  return v;
}

}  // namespace

PyModel::PyModel(const std::string& options_yaml, const std::string& name,
                 const std::string& color) {
  if (color != "bgr" && color != "rgb")
    throw Error(ErrorCode::invalid_argument,
                "percept.Model: color is '" + color + "' (expected 'bgr' or 'rgb')");
  color_ = color == "rgb" ? PixelFormat::rgb8 : PixelFormat::bgr8;
  const ModelConfig mc =
      parse_model_config(options_yaml, name, std::filesystem::current_path().string());
  if (mc.tracker) tracker_ = std::make_unique<ByteTracker>(*mc.tracker);
  opened_ = open_task(mc.task);
  if (tracker_ && !has(opened_->produces(), Content::detections))
    throw Error(ErrorCode::invalid_argument,
                name + ": tracker: '" + mc.task.model_path + "' is a " + opened_->name() +
                    " model; only models that produce detections can be tracked");
  id_ = std::filesystem::path(mc.task.model_path).filename().string();
  labels_ = std::make_shared<const std::vector<std::string>>(opened_->labels());
}

py::object PyModel::call(py::object frames, std::optional<int64_t> timestamp_ns) {
  const bool single = py::isinstance<py::array>(frames);
  std::vector<py::array> arrays;
  if (single) {
    arrays.push_back(frames.cast<py::array>());
  } else {
    for (py::handle f : frames) {
      if (!py::isinstance<py::array>(f))
        throw py::type_error("percept.Model: frames must be NumPy arrays, got " +
                             py::str(py::type::of(f)).cast<std::string>());
      arrays.push_back(py::reinterpret_borrow<py::array>(f));
    }
  }
  if (tracker_ && arrays.size() != 1)
    throw py::value_error(
        "percept.Model: a tracked model takes one frame per call (frames of "
        "one camera, in order)");
  std::vector<ImageView> views;
  for (size_t i = 0; i < arrays.size(); ++i)
    views.push_back(view_of_frame(arrays[i], color_, "frame " + std::to_string(i)));
  std::vector<std::shared_ptr<ResultData>> results;
  std::vector<ModelOutput> outs(arrays.size());
  {
    // The arrays stay referenced above while ONNX Runtime reads them without the GIL.
    py::gil_scoped_release unlocked;
    Status st = opened_->run(views, outs);
    if (!st) throw st.error();
    if (tracker_) {
      const int64_t t =
          timestamp_ns.value_or(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count());
      tracker_->update(outs[0].detections, t, keep_);
      outs[0].retain_detections(keep_);
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      auto r = std::make_shared<ResultData>();
      r->model = id_;
      r->task = opened_->name();
      r->frame_width = views[i].width;
      r->frame_height = views[i].height;
      r->out = std::move(outs[i]);
      r->labels = labels_;
      results.push_back(std::move(r));
    }
  }
  if (single) return py::cast(results[0]);
  return py::cast(results);
}

void bind_model(py::module_& m) {
  py::class_<PyModel>(m, "_Model")
      .def(py::init<const std::string&, const std::string&, const std::string&>())
      .def("__call__", &PyModel::call, py::arg("frames"), py::arg("timestamp_ns") = py::none())
      .def_property_readonly("task", [](const PyModel& p) { return p.task().name(); })
      .def_property_readonly("labels", [](const PyModel& p) { return p.task().labels(); })
      .def_property_readonly("input_size",
                             [](const PyModel& p) {
                               const InputSize s = p.task().input_size();
                               return py::make_tuple(s.width, s.height);
                             })
      .def_property_readonly("backend", [](const PyModel& p) { return p.task().backend().name(); })
      .def_property_readonly("description", [](const PyModel& p) { return p.task().description(); })
      .def_property_readonly("tracked", [](const PyModel& p) { return p.tracked(); });
}

}  // namespace percept::python
