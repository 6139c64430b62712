// The `percept._percept` extension module: percept.Model, percept.Runtime and their results
// (python/percept/__init__.py is the package users import; docs/PYTHON.md).
#include <pybind11/pybind11.h>
#include <spdlog/spdlog.h>

#include "percept/core/error.hpp"
#include "percept/infer/onnxruntime_backend.hpp"
#include "py_model.hpp"
#include "py_results.hpp"
#include "py_runtime.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_percept, m) {
  m.doc() = "percept's C++ runtime (import percept, not this module)";
  // percept.Error(message), with .code ("invalid_argument", "model", "io", ...): the message
  // is the one `percept` itself prints, naming the file, line, model or tensor.
  static py::exception<percept::Error> error(m, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const percept::Error& e) {
      py::object err = py::reinterpret_borrow<py::object>(error.ptr())(e.what());
      err.attr("code") = percept::error_code_name(e.code());
      PyErr_SetObject(error.ptr(), err.ptr());
    }
  });
  m.attr("onnxruntime_version") = percept::onnxruntime_version();
  m.def(
      "set_log_level",
      [](const std::string& level) {
        const spdlog::level::level_enum l = spdlog::level::from_str(level);
        if (l == spdlog::level::off && level != "off")
          throw py::value_error("percept.set_log_level: '" + level +
                                "' (expected trace, debug, info, warning, error, critical, off)");
        spdlog::set_level(l);
      },
      py::arg("level"),
      "What percept logs on stderr from now on: trace, debug, info (the default: one line per "
      "model opened), warning, error, critical or off.");
  percept::python::bind_results(m);
  percept::python::bind_model(m);
  percept::python::bind_runtime(m);
}
