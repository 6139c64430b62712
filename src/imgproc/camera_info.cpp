#include "percept/imgproc/camera_info.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <initializer_list>

#include "percept/core/small_file.hpp"

namespace percept {

namespace {

// Every error says FILE:LINE: key: what, as the pipeline config and the model sidecars do.
struct Fail {
  std::string path;
  Error at(const YAML::Node& n, const std::string& key, const std::string& msg) const {
    const int line = n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    return Error(ErrorCode::invalid_argument,
                 path + ":" + (line > 0 ? std::to_string(line) + ":" : std::string()) + " " + key +
                     ": " + msg);
  }
};

// A {rows, cols, data} matrix of the expected shape (cols 0: any column count in 0..max_cols).
Result<std::vector<double>> read_matrix(const Fail& f, const YAML::Node& root, const char* key,
                                        int rows, int cols, int max_cols = 0) {
  const YAML::Node m = root[key];
  if (!m.IsDefined()) return f.at(root, key, "missing (camera_info needs it)");
  if (!m.IsMap()) return f.at(m, key, "must be a map {rows, cols, data}");
  for (auto it = m.begin(); it != m.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (k != "rows" && k != "cols" && k != "data")
      return f.at(it->first, key, "unknown key '" + k + "' (known: rows, cols, data)");
  }
  for (const char* k : {"rows", "cols", "data"})
    if (!m[k].IsDefined()) return f.at(m, key, std::string("missing '") + k + "'");
  int r = 0, c = 0;
  try {
    r = m["rows"].as<int>();
    c = m["cols"].as<int>();
  } catch (const YAML::Exception&) {
    return f.at(m["rows"], key, "rows and cols must be integers");
  }
  const bool cols_ok = cols > 0 ? c == cols : (c >= 0 && c <= max_cols);
  if (r != rows || !cols_ok)
    return f.at(
        m, key,
        "is " + std::to_string(r) + "x" + std::to_string(c) + ", expected " + std::to_string(rows) +
            "x" + (cols > 0 ? std::to_string(cols) : "N (N <= " + std::to_string(max_cols) + ")"));
  const YAML::Node d = m["data"];
  if (!d.IsSequence()) return f.at(d, key, "data must be a list of numbers");
  if (d.size() != static_cast<size_t>(r) * static_cast<size_t>(c))
    return f.at(d, key,
                "data has " + std::to_string(d.size()) +
                    " numbers, rows x cols = " + std::to_string(r * c));
  std::vector<double> v;
  v.reserve(d.size());
  for (const auto& e : d) {
    double x = 0;
    try {
      x = e.as<double>();
    } catch (const YAML::Exception&) {
      return f.at(e, key,
                  "data: '" + (e.IsScalar() ? e.Scalar() : std::string("?")) + "' is not a number");
    }
    if (!std::isfinite(x)) return f.at(e, key, "data: not a finite number");
    v.push_back(x);
  }
  return v;
}

double det3(const std::array<double, 9>& m) {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
         m[2] * (m[3] * m[7] - m[4] * m[6]);
}

}  // namespace

const char* to_string(DistortionModel m) {
  switch (m) {
    case DistortionModel::plumb_bob:
      return "plumb_bob";
    case DistortionModel::rational_polynomial:
      return "rational_polynomial";
    case DistortionModel::equidistant:
      return "equidistant";
  }
  return "?";
}

Result<CameraInfo> load_camera_info(const std::string& path) {
  const Fail f{path};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return Error(ErrorCode::io, path + ": calibration file not found");
  // A FIFO or a device named by `rectify:` must not block or fill memory (issue 24).
  auto text = read_small_file(path, "calibration file");
  if (!text) return text.error();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Error(ErrorCode::invalid_argument,
                 path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root.IsMap())
    return Error(ErrorCode::invalid_argument,
                 path + ": a camera_info file is a map (image_width, camera_matrix, ...)");
  static const std::initializer_list<const char*> known = {
      "image_width",          "image_height",     "camera_name",
      "camera_matrix",        "distortion_model", "distortion_coefficients",
      "rectification_matrix", "projection_matrix"};
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string k = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) {
      std::string list;
      for (const char* n : known) list += std::string(list.empty() ? "" : ", ") + n;
      return f.at(it->first, k, "unknown key (known: " + list + ")");
    }
  }
  CameraInfo cam;
  for (const char* k : {"image_width", "image_height"}) {
    const YAML::Node n = root[k];
    if (!n.IsDefined()) return f.at(root, k, "missing (camera_info needs it)");
    int v = 0;
    try {
      v = n.as<int>();
    } catch (const YAML::Exception&) {
      return f.at(n, k, "must be an integer");
    }
    if (v < 2 || v > 16384) return f.at(n, k, std::to_string(v) + " is out of range [2, 16384]");
    (std::string(k) == "image_width" ? cam.width : cam.height) = v;
  }
  if (root["camera_name"]) {
    if (!root["camera_name"].IsScalar())
      return f.at(root["camera_name"], "camera_name", "must be a string");
    cam.camera_name = root["camera_name"].Scalar();
  }
  const YAML::Node model = root["distortion_model"];
  if (!model.IsDefined()) return f.at(root, "distortion_model", "missing (camera_info needs it)");
  const std::string m = model.IsScalar() ? model.Scalar() : std::string();
  if (m == "plumb_bob")
    cam.model = DistortionModel::plumb_bob;
  else if (m == "rational_polynomial")
    cam.model = DistortionModel::rational_polynomial;
  else if (m == "equidistant" || m == "fisheye")
    cam.model = DistortionModel::equidistant;
  else
    return f.at(model, "distortion_model",
                "'" + m + "' is not supported (plumb_bob, rational_polynomial, equidistant)");

  auto K = read_matrix(f, root, "camera_matrix", 3, 3);
  if (!K) return K.error();
  auto D = read_matrix(f, root, "distortion_coefficients", 1, 0, 8);
  if (!D) return D.error();
  auto R = read_matrix(f, root, "rectification_matrix", 3, 3);
  if (!R) return R.error();
  auto P = read_matrix(f, root, "projection_matrix", 3, 4);
  if (!P) return P.error();
  std::copy(K->begin(), K->end(), cam.K.begin());
  std::copy(R->begin(), R->end(), cam.R.begin());
  std::copy(P->begin(), P->end(), cam.P.begin());

  const size_t nd = D->size();
  const bool nd_ok = cam.model == DistortionModel::plumb_bob ? (nd == 0 || nd == 4 || nd == 5)
                     : cam.model == DistortionModel::rational_polynomial ? (nd == 5 || nd == 8)
                                                                         : nd == 4;
  if (!nd_ok)
    return f.at(root["distortion_coefficients"], "distortion_coefficients",
                std::to_string(nd) + " coefficients do not fit " + m +
                    " (plumb_bob: 4 or 5, rational_polynomial: 5 or 8, equidistant: 4)");
  std::copy(D->begin(), D->end(), cam.D.begin());

  if (!(cam.K[0] > 0 && cam.K[4] > 0) || cam.K[6] != 0 || cam.K[7] != 0 || cam.K[8] != 1)
    return f.at(root["camera_matrix"], "camera_matrix",
                "is not a camera matrix [fx 0 cx; 0 fy cy; 0 0 1] with fx, fy > 0");
  if (!(cam.P[0] > 0 && cam.P[5] > 0))
    return f.at(root["projection_matrix"], "projection_matrix",
                "fx' and fy' must be > 0 (an uncalibrated camera has an all-zero P)");
  if (std::fabs(det3(cam.R) - 1.0) > 1e-3)
    return f.at(root["rectification_matrix"], "rectification_matrix",
                "is not a rotation (determinant " + std::to_string(det3(cam.R)) + ")");
  // The maps invert P[:3, :3] * R; R is a rotation, so P's left 3x3 must be invertible (its
  // last row is [0 0 1] in every ROS calibration).
  const std::array<double, 9> p3 = {cam.P[0], cam.P[1], cam.P[2], cam.P[4], cam.P[5],
                                    cam.P[6], cam.P[8], cam.P[9], cam.P[10]};
  if (std::fabs(det3(p3)) < 1e-9)
    return f.at(root["projection_matrix"], "projection_matrix",
                "its left 3x3 is singular (the last row should be [0, 0, 1, 0])");
  return cam;
}

}  // namespace percept
