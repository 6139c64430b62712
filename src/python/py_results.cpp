#include "py_results.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <limits>

#include "percept/core/json_writer.hpp"
#include "percept/io/results_json.hpp"

namespace py = pybind11;

namespace percept::python {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A read-only NumPy array over memory `owner` keeps alive (no copy).
template <class T>
py::array_t<T> view_of(const T* data, std::vector<py::ssize_t> shape, py::handle owner) {
  py::array_t<T> a(std::move(shape), data, owner);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

// A new (N, k) float32 array filled row by row by `fill(i, row)`.
template <class F>
py::array_t<float> rows(size_t n, size_t k, F fill) {
  py::array_t<float> a({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(k)});
  float* p = a.mutable_data();
  for (size_t i = 0; i < n; ++i) fill(i, p + i * k);
  return a;
}

// A new (N,) array of one field per item.
template <class T, class Items, class F>
py::array_t<T> column(const Items& items, F get) {
  py::array_t<T> a(static_cast<py::ssize_t>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) a.mutable_data()[i] = get(items[i]);
  return a;
}

py::list content_names(Content c) {
  static const std::pair<Content, const char*> kNames[] = {{Content::detections, "detections"},
                                                           {Content::depth, "depth"},
                                                           {Content::segmentation, "segmentation"},
                                                           {Content::classes, "classes"},
                                                           {Content::faces, "faces"},
                                                           {Content::masks, "masks"},
                                                           {Content::keypoints, "keypoints"}};
  py::list out;
  for (const auto& [k, name] : kNames)
    if (has(c, k)) out.append(name);
  return out;
}

bool holds(const ResultData& r, Content k) {
  return has(r.out.contents, k);
}

const Detections& dets(const ResultData& r) {
  static const Detections kNone;
  return holds(r, Content::detections) ? r.out.detections : kNone;
}

}  // namespace

void bind_results(py::module_& m) {
  py::class_<ResultData, std::shared_ptr<ResultData>>(m, "Result", R"(
One model's results on one frame, in the frame's pixels. Which attributes hold data depends on
the task (`contents`); the others are empty arrays or None. Dense maps (depth, segmentation)
are NumPy views of the result's own memory, without a copy; per-detection data are new arrays.
`to_dict()` gives exactly the JSON that `percept run` writes to detections.jsonl.)")
      .def_readonly("model", &ResultData::model,
                    "The model's id (its file name for percept.Model).")
      .def_readonly("task", &ResultData::task, "The task that produced it: detect, depth, ...")
      .def_readonly("state", &ResultData::state,
                    "done; in a pipeline also dropped (live mode: the frame came too late) or "
                    "failed (see error).")
      .def_readonly("error", &ResultData::error, "Why the model failed on this frame, or ''.")
      .def_readonly("frame_width", &ResultData::frame_width)
      .def_readonly("frame_height", &ResultData::frame_height)
      .def_property_readonly(
          "contents", [](const ResultData& r) { return content_names(r.out.contents); },
          "The kinds of result held: detections, depth, segmentation, classes, faces, masks, "
          "keypoints.")
      .def_property_readonly(
          "boxes",
          [](const ResultData& r) {
            const Detections& d = dets(r);
            return rows(d.size(), 4, [&](size_t i, float* o) {
              o[0] = d[i].box.x1, o[1] = d[i].box.y1, o[2] = d[i].box.x2, o[3] = d[i].box.y2;
            });
          },
          "float32 (N, 4): x1, y1, x2, y2 in frame pixels.")
      .def_property_readonly(
          "scores",
          [](const ResultData& r) {
            return column<float>(dets(r), [](const Detection& d) { return d.score; });
          },
          "float32 (N,).")
      .def_property_readonly(
          "class_ids",
          [](const ResultData& r) {
            return column<int32_t>(dets(r), [](const Detection& d) { return d.class_id; });
          },
          "int32 (N,).")
      .def_property_readonly(
          "labels",
          [](const ResultData& r) {
            std::vector<std::string> out;
            for (const Detection& d : dets(r)) out.push_back(label_of(r.names(), d.class_id));
            return out;
          },
          "The class name of each detection.")
      .def_property_readonly(
          "track_ids",
          [](const ResultData& r) {
            return column<int64_t>(dets(r), [](const Detection& d) { return d.track_id; });
          },
          "int64 (N,): the track id (>= 1), 0 where the model is not tracked.")
      .def_property_readonly(
          "velocities_px_s",
          [](const ResultData& r) {
            const Detections& d = dets(r);
            return rows(d.size(), 2, [&](size_t i, float* o) {
              o[0] = d[i].velocity_px_s[0], o[1] = d[i].velocity_px_s[1];
            });
          },
          "float32 (N, 2): box-centre velocity of tracked detections, pixels per second.")
      .def_property_readonly(
          "distances",
          [](const ResultData& r) {
            return column<float>(dets(r), [](const Detection& d) {
              return d.distance == Detection::kNoDistance ? kNaN : d.distance;
            });
          },
          "float32 (N,): distance from the camera's depth model, NaN where none.")
      .def_property_readonly(
          "positions_m",
          [](const ResultData& r) {
            const Detections& d = dets(r);
            return rows(d.size(), 3, [&](size_t i, float* o) {
              for (int k = 0; k < 3; ++k) o[k] = d[i].has_position ? d[i].position_m[k] : kNaN;
            });
          },
          "float32 (N, 3): x right, y down, z forward in metres (camera optical frame), NaN "
          "where the camera has no intrinsics or no metric depth.")
      .def_property_readonly(
          "sizes_m",
          [](const ResultData& r) {
            const Detections& d = dets(r);
            return rows(d.size(), 2, [&](size_t i, float* o) {
              for (int k = 0; k < 2; ++k) o[k] = d[i].has_position ? d[i].size_m[k] : kNaN;
            });
          },
          "float32 (N, 2): box width and height in metres at its depth, NaN where none.")
      .def_property_readonly(
          "velocities_m_s",
          [](const ResultData& r) {
            const Detections& d = dets(r);
            return rows(d.size(), 3, [&](size_t i, float* o) {
              for (int k = 0; k < 3; ++k)
                o[k] = d[i].has_velocity_m_s ? d[i].velocity_m_s[k] : kNaN;
            });
          },
          "float32 (N, 3): 3D velocity of tracked detections with positions, NaN where none.")
      .def_property_readonly(
          "keypoints",
          [](const ResultData& r) -> py::object {
            if (!holds(r, Content::keypoints)) return py::none();
            const DetectionKeypoints& k = r.out.keypoints;
            const auto n = static_cast<py::ssize_t>(k.detections());
            const auto kk = static_cast<py::ssize_t>(k.per_detection);
            py::array_t<float> a({n, kk, py::ssize_t{3}});
            float* p = a.mutable_data();
            for (const Keypoint& q : k.points) *p++ = q.x, *p++ = q.y, *p++ = q.v;
            return a;
          },
          "float32 (N, K, 3): x, y (frame pixels) and visibility of each detection's "
          "keypoints (pose models), or None.")
      .def(
          "mask",
          [](const ResultData& r, size_t i) {
            if (!holds(r, Content::masks) || i >= r.out.masks.items.size())
              throw py::index_error(
                  "Result.mask(" + std::to_string(i) + "): the result holds " +
                  std::to_string(holds(r, Content::masks) ? r.out.masks.items.size() : 0) +
                  " masks");
            py::array_t<bool> a({r.frame_height, r.frame_width});
            bool* p = a.mutable_data();
            for (int y = 0; y < r.frame_height; ++y)
              for (int x = 0; x < r.frame_width; ++x) *p++ = r.out.masks.contains(i, x, y);
            return a;
          },
          py::arg("i"), "bool (H, W): detection i's instance mask over the whole frame.")
      .def(
          "instance_map",
          [](const ResultData& r) -> py::object {
            if (!holds(r, Content::masks)) return py::none();
            py::array_t<uint16_t> a({r.frame_height, r.frame_width});
            paint_instance_map(r.out.masks, r.frame_width, r.frame_height, a.mutable_data());
            return a;
          },
          "uint16 (H, W): detection index + 1 on each mask's pixels, 0 elsewhere (what "
          "`percept infer --out-dir` writes as <stem>.masks.png), or None.")
      .def_property_readonly(
          "depth",
          [](py::object self) -> py::object {
            const auto& r = self.cast<const ResultData&>();
            if (!holds(r, Content::depth)) return py::none();
            const DepthMap& d = r.out.depth;
            return view_of(d.values.data(), {d.height, d.width}, self);
          },
          "float32 (H, W) depth map at frame resolution (see depth_unit), a view without a "
          "copy; None when the model gives none.")
      .def_property_readonly(
          "depth_unit",
          [](const ResultData& r) -> py::object {
            if (!holds(r, Content::depth)) return py::none();
            return py::str(depth_unit_name(r.out.depth.unit));
          },
          "'m' (metric) or 'relative' (inverse relative depth: larger is nearer), or None.")
      .def_property_readonly(
          "segmentation",
          [](py::object self) -> py::object {
            const auto& r = self.cast<const ResultData&>();
            if (!holds(r, Content::segmentation)) return py::none();
            const SegmentationMap& s = r.out.segmentation;
            return view_of(s.classes.data(), {s.height, s.width}, self);
          },
          "uint8 (H, W) class id of each pixel, a view without a copy; or None.")
      .def_property_readonly(
          "class_fractions",
          [](py::object self) -> py::object {
            const auto& r = self.cast<const ResultData&>();
            if (!holds(r, Content::segmentation)) return py::none();
            const std::vector<float>& f = r.out.segmentation.fractions;
            return view_of(f.data(), {static_cast<py::ssize_t>(f.size())}, self);
          },
          "float32 (classes,): the share of the frame's pixels of each class; or None.")
      .def_property_readonly(
          "top",
          [](const ResultData& r) {
            py::list out;
            if (holds(r, Content::classes))
              for (const ClassScore& c : r.out.classes)
                out.append(py::make_tuple(c.class_id, label_of(r.names(), c.class_id), c.score));
            return out;
          },
          "[(class_id, label, score)], best first (classify models).")
      .def_property_readonly(
          "face_boxes",
          [](const ResultData& r) {
            const size_t n = holds(r, Content::faces) ? r.out.faces.size() : 0;
            return rows(n, 4, [&](size_t i, float* o) {
              const Box& b = r.out.faces[i].box;
              o[0] = b.x1, o[1] = b.y1, o[2] = b.x2, o[3] = b.y2;
            });
          },
          "float32 (F, 4) face boxes.")
      .def_property_readonly(
          "face_scores",
          [](const ResultData& r) {
            static const Faces kNone;
            return column<float>(holds(r, Content::faces) ? r.out.faces : kNone,
                                 [](const Face& f) { return f.score; });
          },
          "float32 (F,).")
      .def_property_readonly(
          "face_keypoints",
          [](const ResultData& r) {
            const auto n =
                static_cast<py::ssize_t>(holds(r, Content::faces) ? r.out.faces.size() : 0);
            py::array_t<float> a({n, py::ssize_t{6}, py::ssize_t{2}});
            float* p = a.mutable_data();
            for (py::ssize_t i = 0; i < n; ++i)
              for (const auto& k : r.out.faces[static_cast<size_t>(i)].keypoints)
                *p++ = k[0], *p++ = k[1];
            return a;
          },
          "float32 (F, 6, 2): right eye, left eye, nose tip, mouth centre, right ear, left ear.")
      .def(
          "to_dict",
          [](const ResultData& r) {
            JsonWriter w;
            w.begin_object();
            write_results_json(w, r.out, r.names());
            w.end_object();
            return py::module_::import("json").attr("loads")(w.str());
          },
          "The results as percept run's JSONL writes them (docs/TASKS.md).")
      .def("__len__", [](const ResultData& r) { return dets(r).size(); })
      .def("__repr__", [](const ResultData& r) {
        std::string s = "<percept.Result " + r.model + " (" + r.task + ")";
        if (r.state != "done") s += " " + r.state;
        if (holds(r, Content::detections))
          s += ": " + std::to_string(r.out.detections.size()) + " detections";
        return s + ">";
      });

  py::class_<FrameData, std::shared_ptr<FrameData>>(m, "FrameResult", R"(
One camera frame out of a percept.Runtime, with the results of every model serving its camera,
in capture order per camera.)")
      .def_readonly("camera", &FrameData::camera, "The camera's id in the config.")
      .def_readonly("index", &FrameData::index, "Frame number per camera, from 0.")
      .def_readonly("capture_time", &FrameData::capture_time,
                    "Capture time, wall clock, seconds since the epoch.")
      .def_readonly("deadline_missed", &FrameData::deadline_missed)
      .def_property_readonly(
          "results",
          [](const FrameData& f) {
            py::dict d;
            for (const auto& r : f.results) d[py::str(r->model)] = r;
            return d;
          },
          "{model id: percept.Result}")
      .def("__getitem__",
           [](const FrameData& f, const std::string& model) {
             for (const auto& r : f.results)
               if (r->model == model) return r;
             throw py::key_error("frame of camera '" + f.camera + "' has no results of model '" +
                                 model + "'");
           })
      .def("__repr__", [](const FrameData& f) {
        return "<percept.FrameResult camera " + f.camera + " frame " + std::to_string(f.index) +
               ", " + std::to_string(f.results.size()) + " model(s)>";
      });
}

}  // namespace percept::python
