#include "percept/pipeline/config.hpp"

#include <yaml-cpp/yaml.h>

#include "percept/core/small_file.hpp"
#include "percept/imgproc/gaussian.hpp"
#include "percept/ros2/ros2.hpp"
#include "percept/tasks/task_registry.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <initializer_list>
#include <set>

#include <unistd.h>

namespace percept {

namespace {

namespace fs = std::filesystem;

// Reads one YAML file with its name at hand, so every error can say FILE:LINE.
class Reader {
 public:
  // `file` names the text in messages; relative paths resolve against `base`.
  Reader(std::string file, fs::path base) : file_(std::move(file)), base_(std::move(base)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& msg) const {
    const int line = at.IsDefined() && at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    throw Error(ErrorCode::invalid_argument,
                file_ + ":" + (line > 0 ? std::to_string(line) + ":" : std::string()) + " " + msg);
  }

  void expect_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, what + " must be a mapping of keys to values");
  }

  // Rejects keys not in `known`, naming the unknown key and the known ones.
  void check_keys(const YAML::Node& n, const std::string& where,
                  std::initializer_list<const char*> known) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        std::string list;
        for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
        fail(it->first, "unknown key '" + key + "' in " + where + " (known: " + list + ")");
      }
    }
  }

  template <class T>
  T get(const YAML::Node& n, const std::string& key, const std::string& where,
        const char* type) const {
    // yaml-cpp throws on type queries of a missing key's node: ask IsDefined() first.
    const YAML::Node v = n[key];
    if (!v.IsDefined() || !v.IsScalar())
      fail(v.IsDefined() ? v : n, where + "." + key + " must be " + type);
    try {
      return v.as<T>();
    } catch (const YAML::Exception&) {
      fail(v, where + "." + key + " must be " + type + ", got '" + v.Scalar() + "'");
    }
  }
  std::string str(const YAML::Node& n, const std::string& key, const std::string& where) const {
    return get<std::string>(n, key, where, "a string");
  }
  double number(const YAML::Node& n, const std::string& key, const std::string& where, double lo,
                double hi) const {
    auto v = get<double>(n, key, where, "a number");
    if (!(v >= lo && v <= hi))
      fail(n[key], where + "." + key + " = " + n[key].Scalar() + " is out of range [" +
                       fmt_num(lo) + ", " + fmt_num(hi) + "]");
    return v;
  }
  int integer(const YAML::Node& n, const std::string& key, const std::string& where, int lo,
              int hi) const {
    auto v = get<int>(n, key, where, "an integer");
    if (v < lo || v > hi)
      fail(n[key], where + "." + key + " = " + std::to_string(v) + " is out of range [" +
                       std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  bool boolean(const YAML::Node& n, const std::string& key, const std::string& where) const {
    return get<bool>(n, key, where, "true or false");
  }
  // A path relative to the config file; must name an existing file when `must_exist`.
  std::string path(const YAML::Node& n, const std::string& key, const std::string& where,
                   bool must_exist) const {
    std::string p = str(n, key, where);
    fs::path full = fs::path(p).is_absolute() ? fs::path(p) : base_ / p;
    std::error_code ec;
    if (must_exist && !fs::exists(full, ec))
      fail(n[key], where + "." + key + ": file not found: '" + full.string() + "'");
    return full.lexically_normal().string();
  }
  // An existing regular file (after links), refused here with the key's FILE:LINE when it is a
  // FIFO, a device, a socket or a folder: opening a FIFO blocks until a writer comes, reading a
  // device may never end (issue 24).
  std::string file(const YAML::Node& n, const std::string& key, const std::string& where) const {
    std::string full = path(n, key, where, true);
    if (Status s = check_regular_file(full, "file"); !s)
      fail(n[key], where + "." + key + ": " + s.error().message());
    return full;
  }
  std::string resolve(const std::string& p) const {
    return (fs::path(p).is_absolute() ? fs::path(p) : base_ / p).lexically_normal().string();
  }

  const std::string& file() const { return file_; }
  // "FILE:LINE" of a node, for errors that can only be found once the run opens.
  std::string where_of(const YAML::Node& at) const {
    const int line = at.IsDefined() && at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    return file_ + (line > 0 ? ":" + std::to_string(line) : std::string());
  }

 private:
  static std::string fmt_num(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  std::string file_;
  fs::path base_;
};

// `output.bag`: a map, or a bare path (`bag: run.mcap`). The path is checked here, so that a bag
// that cannot be written fails with its FILE:LINE before any camera opens.
BagOptions read_bag(const Reader& r, const YAML::Node& n, const std::string& out_dir) {
  const std::string where = "output.bag";
  BagOptions b;
  if (n.IsScalar()) {
    YAML::Node wrap;
    wrap["path"] = n;
    b.path = r.path(wrap, "path", where, false);
  } else {
    r.expect_map(n, where);
    r.check_keys(n, where, {"path", "format", "compression", "images", "chunk_mib", "chunk_s"});
    if (n["format"]) {
      const std::string f = r.str(n, "format", where);
      if (f == "sqlite3")
        b.format = BagFormat::sqlite3;
      else if (f != "mcap")
        r.fail(n["format"], where + ".format: unknown format '" + f + "' (mcap, sqlite3)");
    }
    const bool db3 = b.format == BagFormat::sqlite3;
    b.path = n["path"] ? r.path(n, "path", where, false)
                       : (fs::path(out_dir) / (db3 ? "percept_bag" : "percept.mcap"))
                             .lexically_normal()
                             .string();
    if (n["compression"]) {
      const std::string c = r.str(n, "compression", where);
      if (c == "none")
        b.compression = BagCompression::none;
      else if (c == "zstd")
        b.compression = BagCompression::zstd;
      else if (c == "lz4")
        b.compression = BagCompression::lz4;
      else
        r.fail(n["compression"],
               where + ".compression: unknown compression '" + c + "' (none, zstd, lz4)");
      if (db3 && b.compression != BagCompression::none)
        r.fail(n["compression"], where + ".compression: " + c +
                                     " compresses MCAP chunks; sqlite3 bags store messages as "
                                     "they are (none)");
    }
    if (n["images"]) b.images = r.boolean(n, "images", where);
    if (n["chunk_mib"])
      b.chunk_bytes = static_cast<size_t>(r.number(n, "chunk_mib", where, 0.001, 1024) * 1048576);
    if (n["chunk_s"]) b.chunk_s = r.number(n, "chunk_s", where, 0.001, 3600);
  }
  const YAML::Node at = n.IsScalar() ? n : (n["path"] ? n["path"] : n);
  if (!ros2_available())
    r.fail(at, where +
                   ": recording needs DDS (its CDR serialiser), and percept was built "
                   "without it (install cyclonedds-dev and cyclonedds-tools)");
  const fs::path p(b.path);
  std::error_code ec;
  if (b.format == BagFormat::mcap && fs::is_directory(p, ec))
    r.fail(at, where + ".path: '" + b.path + "' is a folder (name the .mcap file)");
  if (b.format == BagFormat::sqlite3 && fs::exists(p, ec) && !fs::is_directory(p, ec))
    r.fail(at, where + ".path: '" + b.path + "' is a file (sqlite3 bags are folders)");
  // The nearest existing folder above the file must let us write (missing ones are created).
  fs::path dir = p.parent_path();
  while (!dir.empty() && !fs::exists(dir, ec) && dir != dir.parent_path()) dir = dir.parent_path();
  if (!dir.empty() && fs::exists(dir, ec) &&
      (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0))
    r.fail(at, where + ".path: cannot write '" + b.path + "' ('" + dir.string() +
                   (fs::is_directory(dir, ec) ? "' is not writable)" : "' is not a folder)"));
  if (fs::exists(p, ec) && !fs::is_regular_file(p, ec) && ::access(p.c_str(), W_OK) != 0)
    r.fail(at, where + ".path: cannot write '" + b.path + "'");
  return b;
}

Ros2Qos read_qos(const Reader& r, const YAML::Node& n, const std::string& where) {
  const std::string q = r.str(n, "qos", where);
  if (q == "sensor_data") return Ros2Qos::sensor_data;
  if (q == "reliable") return Ros2Qos::reliable;
  r.fail(n["qos"], where + ".qos: '" + q + "' (expected sensor_data or reliable)");
}

void read_ros2_source(const Reader& r, const YAML::Node& n, const std::string& where,
                      Ros2SourceConfig& s) {
  if (n["path"]) r.fail(n["path"], where + ".path is not used by a ros2 source (use topic)");
  s.topic = r.str(n, "topic", where);
  if (!is_ros2_name(s.topic))
    r.fail(n["topic"],
           where + ".topic: '" + s.topic + "' is not a ROS 2 name (letters, digits, _ between /)");
  if (n["qos"]) s.qos = read_qos(r, n, where);
  if (n["depth"]) s.depth = r.integer(n, "depth", where, 1, 1000);
  if (n["timeout_s"]) s.timeout_s = r.number(n, "timeout_s", where, 0, 1e6);
}

// `ros2:` (include/percept/io/ros2_options.hpp); defaults from $ROS_DOMAIN_ID, $ROS_LOCALHOST_ONLY.
void read_ros2(const Reader& r, const YAML::Node& n, Ros2Config& c) {
  const std::string where = "ros2";
  r.expect_map(n, where);
  r.check_keys(n, where,
               {"enabled", "domain_id", "qos", "depth", "deadline_ms", "lifespan_ms",
                "max_blocking_ms", "localhost_only", "namespace", "annotated_hz", "diagnostics_hz",
                "wait_for_subscribers_s", "socket_buffer_bytes", "node_name", "distro"});
  if (n["enabled"]) c.enabled = r.boolean(n, "enabled", where);
  if (n["domain_id"]) c.domain_id = r.integer(n, "domain_id", where, 0, 232);
  if (n["qos"]) c.qos = read_qos(r, n, where);
  if (n["depth"]) c.depth = r.integer(n, "depth", where, 0, 1000);
  if (n["deadline_ms"]) c.deadline_ms = r.number(n, "deadline_ms", where, 0, 1e6);
  if (n["lifespan_ms"]) c.lifespan_ms = r.number(n, "lifespan_ms", where, 0, 1e6);
  if (n["max_blocking_ms"]) c.max_blocking_ms = r.number(n, "max_blocking_ms", where, 0, 1e4);
  if (n["localhost_only"]) c.localhost_only = r.boolean(n, "localhost_only", where);
  if (n["namespace"]) {
    c.ns = r.str(n, "namespace", where);
    if (!c.ns.empty() && c.ns[0] == '/') c.ns.erase(0, 1);
    if (!c.ns.empty() && !is_ros2_name(c.ns))
      r.fail(n["namespace"], "ros2.namespace: '" + c.ns + "' is not a ROS 2 name");
  }
  if (n["annotated_hz"]) c.annotated_hz = r.number(n, "annotated_hz", where, 0, 1000);
  if (n["diagnostics_hz"]) c.diagnostics_hz = r.number(n, "diagnostics_hz", where, 0, 1000);
  if (n["wait_for_subscribers_s"])
    c.wait_for_subscribers_s = r.number(n, "wait_for_subscribers_s", where, 0, 3600);
  if (n["socket_buffer_bytes"])
    c.socket_buffer_bytes = r.integer(n, "socket_buffer_bytes", where, 65536, 1 << 30);
  if (n["node_name"]) {
    c.node_name = r.str(n, "node_name", where);
    if (!is_ros2_name_token(c.node_name))
      r.fail(n["node_name"], "ros2.node_name: '" + c.node_name +
                                 "' is not a ROS 2 node name (letters, digits, _; not starting "
                                 "with a digit)");
  }
  if (n["distro"] && !parse_ros2_distro(r.str(n, "distro", where), c.distro))
    r.fail(n["distro"], "ros2.distro: '" + r.str(n, "distro", where) +
                            "' is not a ROS 2 distro (humble, iron, jazzy, kilted, rolling; "
                            "foxy and galactic read as humble)");
}

ReconnectConfig read_reconnect(const Reader& r, const YAML::Node& n, const std::string& where) {
  r.expect_map(n, where);
  r.check_keys(n, where, {"attempts", "backoff_ms", "backoff_max_ms"});
  ReconnectConfig c;
  if (n["attempts"]) c.attempts = r.integer(n, "attempts", where, 0, 1000000);
  if (n["backoff_ms"]) c.backoff_ms = r.number(n, "backoff_ms", where, 0, 3.6e6);
  if (n["backoff_max_ms"]) c.backoff_max_ms = r.number(n, "backoff_max_ms", where, 0, 3.6e6);
  if (!n["backoff_max_ms"]) c.backoff_max_ms = std::max(c.backoff_max_ms, c.backoff_ms);
  if (c.backoff_max_ms < c.backoff_ms)
    r.fail(n["backoff_max_ms"], where + ".backoff_max_ms must not be below backoff_ms");
  return c;
}

// `intrinsics:` or the rectified camera matrix (P) of `rectify:`. Checked against the frame
// size where the config knows it (synthetic cameras, calibrations); elsewhere the first frame
// checks it (pipeline/runtime.cpp), naming this key's FILE:LINE.
void read_intrinsics(const Reader& r, const YAML::Node& n, const std::string& where,
                     CameraConfig& c) {
  const std::string w = where + ".intrinsics";
  if (const YAML::Node k = n["intrinsics"]; k.IsDefined()) {
    r.expect_map(k, w);
    r.check_keys(k, w, {"fx", "fy", "cx", "cy"});
    for (const char* key : {"fx", "fy", "cx", "cy"})
      if (!k[key]) r.fail(k, w + "." + key + " is missing (fx, fy, cx, cy in pixels)");
    Intrinsics in;
    in.fx = r.get<double>(k, "fx", w, "a number");
    in.fy = r.get<double>(k, "fy", w, "a number");
    in.cx = r.get<double>(k, "cx", w, "a number");
    in.cy = r.get<double>(k, "cy", w, "a number");
    if (!(in.fx > 0 && in.fx < 1e7)) r.fail(k["fx"], w + ".fx must be > 0 (pixels)");
    if (!(in.fy > 0 && in.fy < 1e7)) r.fail(k["fy"], w + ".fy must be > 0 (pixels)");
    if (!(in.cx >= 0 && in.cx < 1e7)) r.fail(k["cx"], w + ".cx must be inside the image");
    if (!(in.cy >= 0 && in.cy < 1e7)) r.fail(k["cy"], w + ".cy must be inside the image");
    c.intrinsics = in;
    c.intrinsics_where = r.where_of(k);
  } else if (c.rectify) {
    const auto& p = c.rectify->P;
    c.intrinsics = Intrinsics{p[0], p[5], p[2], p[6]};
    c.intrinsics_where = r.where_of(n["rectify"]);
    if (!c.intrinsics->valid())
      r.fail(n["rectify"], where + ".rectify: the calibration's P has no focal length for 3D");
  }
  if (!c.intrinsics) return;
  int width = 0, height = 0;
  if (c.source.kind == SourceKind::synthetic) width = c.source.width, height = c.source.height;
  if (c.rectify) width = c.rectify->width, height = c.rectify->height;
  const YAML::Node at = n["intrinsics"] ? n["intrinsics"] : n["rectify"];
  if (width > 0 && !(c.intrinsics->cx < width && c.intrinsics->cy < height))
    r.fail(at, w + ": the principal point (" + std::to_string(c.intrinsics->cx) + ", " +
                   std::to_string(c.intrinsics->cy) + ") is outside the " + std::to_string(width) +
                   "x" + std::to_string(height) + " image");
}

// `tracker: bytetrack` or `tracker: {type: bytetrack, ...}` (track/byte_tracker.hpp).
TrackerConfig read_tracker(const Reader& r, const YAML::Node& n, const std::string& where) {
  TrackerConfig t;
  const std::string w = where + ".tracker";
  if (n.IsScalar()) {
    if (n.Scalar() != "bytetrack") r.fail(n, w + ": '" + n.Scalar() + "' (expected bytetrack)");
    return t;
  }
  r.expect_map(n, w);
  r.check_keys(n, w,
               {"type", "high_thresh", "low_thresh", "new_track_thresh", "match_thresh",
                "track_buffer", "max_detections"});
  if (n["type"] && r.str(n, "type", w) != "bytetrack")
    r.fail(n["type"], w + ".type: '" + r.str(n, "type", w) + "' (expected bytetrack)");
  if (n["high_thresh"]) t.high_thresh = r.number(n, "high_thresh", w, 0, 1);
  if (n["low_thresh"]) t.low_thresh = r.number(n, "low_thresh", w, 0, 1);
  if (n["new_track_thresh"]) t.new_track_thresh = r.number(n, "new_track_thresh", w, 0, 1);
  if (n["match_thresh"]) t.match_thresh = r.number(n, "match_thresh", w, 0.01, 1);
  if (n["track_buffer"]) t.track_buffer = r.integer(n, "track_buffer", w, 1, 100000);
  if (n["max_detections"])
    t.max_detections = static_cast<size_t>(r.integer(n, "max_detections", w, 1, 100000));
  if (t.low_thresh > t.high_thresh)
    r.fail(n["low_thresh"], w + ".low_thresh must not be above high_thresh");
  return t;
}

CameraConfig read_camera(const Reader& r, const YAML::Node& n, const std::string& where) {
  r.expect_map(n, where);
  r.check_keys(n, where, {"id",          "source",           "path",       "pace",
                          "queue_depth", "deadline_ms",      "drop_late",  "fps",
                          "width",       "height",           "frames",     "objects",
                          "seed",        "frame_id",         "topic",      "qos",
                          "depth",       "timeout_s",        "reconnect",  "rectify",
                          "blur",        "max_image_pixels", "intrinsics", "wander",
                          "priority"});
  CameraConfig c;
  c.id = r.str(n, "id", where);
  if (c.id.empty()) r.fail(n["id"], where + ".id must not be empty");
  // The id names files and folders in output.dir (<id>.annotated.avi, <id>/<frame>.jpg): '/'
  // or '..' would write outside it.
  const bool file_safe =
      c.id != "." && c.id != ".." && std::all_of(c.id.begin(), c.id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
      });
  if (!file_safe)
    r.fail(n["id"], where + ".id '" + c.id +
                        "' names files in output.dir: use letters, digits, '_', '-' and '.'");
  SourceConfig& s = c.source;
  s.camera = c.id;
  auto kind = parse_source_kind(n["source"] ? r.str(n, "source", where) : "video");
  if (!kind) r.fail(n["source"], where + ".source: " + kind.error().message());
  s.kind = *kind;
  switch (s.kind) {
    case SourceKind::video:
      s.path = r.file(n, "path", where);
      break;
    case SourceKind::images: {
      // Glob patterns do not exist as files: open_source checks them.
      const bool glob = n["path"].IsDefined() && n["path"].IsScalar() &&
                        n["path"].Scalar().find_first_of("*?") != std::string::npos;
      s.path = r.path(n, "path", where, !glob);
      // A folder or one image file; a FIFO would block the source's listing or decoder.
      std::error_code ec;
      if (!glob && !fs::is_directory(s.path, ec))
        if (Status st = check_regular_file(s.path, "file"); !st)
          r.fail(n["path"], where + ".path: " + st.error().message());
      break;
    }
    case SourceKind::device:
    case SourceKind::stream:
      s.path = r.str(n, "path", where);  // a device or URL, not a path to resolve
      break;
    case SourceKind::synthetic:
      if (n["path"]) r.fail(n["path"], where + ".path is not used by a synthetic source");
      break;
    case SourceKind::ros2:
      read_ros2_source(r, n, where, s.ros2);
      break;
    case SourceKind::bag: {
      // An .mcap, a .db3 or a rosbag2 folder (docs/ROS2.md, "Replay").
      s.path = r.path(n, "path", where, true);
      std::error_code ec;
      if (!fs::is_directory(s.path, ec))
        if (Status st = check_regular_file(s.path, "file"); !st)
          r.fail(n["path"], where + ".path: " + st.error().message());
      s.ros2.topic = r.str(n, "topic", where);
      if (!is_ros2_name(s.ros2.topic))
        r.fail(n["topic"],
               where + ".topic: '" + s.ros2.topic + "' is not a ROS 2 name (letters, digits, _)");
      if (s.ros2.topic[0] != '/') s.ros2.topic = "/" + s.ros2.topic;  // bags store /names
      break;
    }
  }
  if (n["topic"] && s.kind != SourceKind::ros2 && s.kind != SourceKind::bag)
    r.fail(n["topic"], where + ".topic is only used by ros2 and bag sources");
  for (const char* k : {"qos", "depth", "timeout_s"})
    if (n[k] && s.kind != SourceKind::ros2)
      r.fail(n[k], where + "." + k + " is only used by ros2 sources");
  if (n["max_image_pixels"]) {
    // Synthetic frames have their own width and height; DDS images are bounded by the message
    // (a bag's CompressedImage is checked against it before decoding).
    if (s.kind == SourceKind::synthetic || s.kind == SourceKind::ros2)
      r.fail(n["max_image_pixels"],
             where + ".max_image_pixels is only used by images, video, device and stream sources");
    s.max_image_pixels = static_cast<uint64_t>(r.number(n, "max_image_pixels", where, 1, 1e12));
  }
  if (n["frame_id"]) c.frame_id = r.str(n, "frame_id", where);
  const bool synthetic = s.kind == SourceKind::synthetic;
  // Files, devices and streams say their own rate; fps is only for synthetic cameras.
  for (const char* k : {"fps", "width", "height", "frames", "objects", "seed", "wander"})
    if (n[k] && !synthetic) r.fail(n[k], where + "." + k + " is only used by synthetic sources");
  if (n["fps"]) s.fps = r.number(n, "fps", where, 0.1, 10000);
  if (n["width"]) s.width = r.integer(n, "width", where, 16, 16384);
  if (n["height"]) s.height = r.integer(n, "height", where, 16, 16384);
  if (n["frames"]) s.frames = r.integer(n, "frames", where, -1, 1000000000);
  if (n["objects"]) s.objects = r.integer(n, "objects", where, 0, 64);
  if (n["seed"]) s.seed = static_cast<uint64_t>(r.integer(n, "seed", where, 0, 1 << 30));
  if (n["wander"]) s.wander = r.boolean(n, "wander", where);
  if (n["pace"]) c.pace = r.boolean(n, "pace", where);
  if (n["queue_depth"])
    c.queue_depth = static_cast<size_t>(r.integer(n, "queue_depth", where, 1, 1024));
  if (n["deadline_ms"]) c.deadline_ms = r.number(n, "deadline_ms", where, 0, 1e6);
  if (n["priority"]) c.priority = r.integer(n, "priority", where, -1000, 1000);
  if (n["drop_late"]) c.drop_late = r.boolean(n, "drop_late", where);
  if (n["reconnect"]) {
    // Files and synthetic scenes end normally; a ros2 source waits for its publisher instead.
    if (s.kind != SourceKind::device && s.kind != SourceKind::stream)
      r.fail(n["reconnect"], where + ".reconnect is only used by device and stream sources");
    c.reconnect = read_reconnect(r, n["reconnect"], where + ".reconnect");
  }
  if (n["rectify"]) {
    // Loaded here so that a bad calibration is a configuration error (its own FILE:LINE).
    c.rectify_path = r.file(n, "rectify", where);
    auto cam = load_camera_info(c.rectify_path);
    if (!cam) r.fail(n["rectify"], where + ".rectify: " + cam.error().message());
    c.rectify = std::move(*cam);
  }
  if (n["blur"]) {
    const YAML::Node b = n["blur"];
    const std::string w = where + ".blur";
    r.expect_map(b, w);
    r.check_keys(b, w, {"sigma", "ksize"});
    if (b["sigma"]) c.blur_sigma = r.number(b, "sigma", w, 0, 10);
    if (b["ksize"]) c.blur_ksize = r.integer(b, "ksize", w, 0, gaussian_math::kMaxTaps);
    if (c.blur_ksize % 2 == 0 && c.blur_ksize != 0) r.fail(b["ksize"], w + ".ksize must be odd");
    if (c.blur_sigma <= 0 && c.blur_ksize == 0)
      r.fail(b, w + " needs sigma > 0 or an odd ksize (sigma 0: from ksize, as OpenCV)");
    // A kernel wider than 63 taps (sigma > 10 with ksize from sigma) is refused here too.
    try {
      (void)gaussian_kernel(c.blur_sigma, c.blur_ksize);
    } catch (const Error& e) {
      r.fail(b, w + ": " + e.message());
    }
  }
  read_intrinsics(r, n, where, c);
  return c;
}

ModelConfig read_model(const Reader& r, const YAML::Node& n, const std::string& where) {
  r.expect_map(n, where);
  r.check_keys(n, where,
               {"id",
                "task",
                "path",
                "cameras",
                "conf",
                "iou",
                "max_det",
                "layout",
                "labels",
                "input_size",
                "device",
                "threads",
                "graph_optimization",
                "class_agnostic",
                "max_batch",
                "max_wait_us",
                "spin_wait",
                "top_k",
                "mask_threshold",
                "color",
                "mean",
                "std",
                "resize",
                "depth_unit",
                "tracker",
                "variants"});
  ModelConfig m;
  m.id = r.str(n, "id", where);
  TaskConfig& t = m.task;
  ModelConventions& c = t.conventions;
  // Convention keys share their parser with the model sidecar and the ONNX metadata.
  auto convention = [&](const char* key, const std::string& value) {
    Status st = set_convention(c, key, value, "config");
    if (!st) r.fail(n[key], where + "." + key + ": " + st.error().message());
  };
  auto list_text = [&](const char* key) {
    const YAML::Node v = n[key];
    if (!v.IsSequence()) return r.str(n, key, where);
    std::string text;
    for (const auto& e : v) {
      if (!e.IsScalar()) r.fail(v, where + "." + key + " must be a list of numbers");
      text += (text.empty() ? "" : ", ") + e.Scalar();
    }
    return "[" + text + "]";
  };
  if (n["task"]) {
    const std::string task = r.str(n, "task", where);
    convention("task", task);
    // The registry knows the task names (tasks/task_registry.cpp); a typo fails here, with
    // the file and line, instead of when the model opens.
    if (auto spec = find_task(task); !spec)
      r.fail(n["task"], where + ".task: 'task' is '" + task + "'; " + spec.error().message());
  }
  t.model_path = r.file(n, "path", where);
  if (n["conf"]) t.conf = static_cast<float>(r.number(n, "conf", where, 0, 1));
  if (n["iou"]) t.iou = static_cast<float>(r.number(n, "iou", where, 0, 1));
  if (n["max_det"]) t.max_det = r.integer(n, "max_det", where, 1, 100000);
  if (n["class_agnostic"]) t.class_agnostic = r.boolean(n, "class_agnostic", where);
  if (n["top_k"]) t.top_k = r.integer(n, "top_k", where, 1, 100000);
  if (n["mask_threshold"])
    t.mask_threshold = static_cast<float>(r.number(n, "mask_threshold", where, 0, 1));
  if (n["layout"] && r.str(n, "layout", where) != "auto")
    convention("layout", r.str(n, "layout", where));
  for (const char* key : {"color", "resize", "depth_unit"})
    if (n[key]) convention(key, r.str(n, key, where));
  for (const char* key : {"mean", "std"})
    if (n[key]) convention(key, list_text(key));
  if (n["labels"]) {
    const std::string file = r.file(n, "labels", where);
    auto labels = load_labels_file(file);
    if (!labels) r.fail(n["labels"], where + ".labels: " + labels.error().message());
    c.labels = std::move(*labels);
    c.source["labels"] = "config (" + file + ")";
  }
  if (n["input_size"]) {
    const YAML::Node s = n["input_size"];
    if (!s.IsSequence() || s.size() != 2) r.fail(s, where + ".input_size must be [width, height]");
    InputSize size;
    try {
      size = {s[0].as<int>(), s[1].as<int>()};
    } catch (const YAML::Exception&) {
      r.fail(s, where + ".input_size must be two integers [width, height]");
    }
    if (size.width < 1 || size.height < 1 || size.width > 8192 || size.height > 8192)
      r.fail(s, where + ".input_size is out of range (1..8192)");
    c.input_size = size;
    c.source["input_size"] = "config";
  }
  if (n["device"]) t.backend.device = r.str(n, "device", where);
  if (n["spin_wait"]) t.backend.spin_wait = r.boolean(n, "spin_wait", where);
  if (n["threads"]) t.backend.intra_op_threads = r.integer(n, "threads", where, 0, 256);
  if (n["graph_optimization"]) {
    auto g = parse_graph_optimization(r.str(n, "graph_optimization", where));
    if (!g) r.fail(n["graph_optimization"], where + ".graph_optimization: " + g.error().message());
    t.backend.graph_optimization = *g;
  }
  if (n["max_batch"]) m.max_batch = static_cast<size_t>(r.integer(n, "max_batch", where, 1, 256));
  if (n["max_wait_us"]) m.max_wait_us = r.integer(n, "max_wait_us", where, 0, 10000000);
  if (n["tracker"]) {
    m.tracker = read_tracker(r, n["tracker"], where);
    m.tracker_where = r.where_of(n["tracker"]);
    // The second association needs the boxes between low_thresh and conf that the model would
    // throw away: it decodes down to low_thresh, and the tracker publishes what is under conf
    // only when it continues a track (the user's conf keeps its meaning).
    m.tracker->publish_conf = t.conf.value_or(0.25f);
    t.conf = std::min(static_cast<float>(m.tracker->publish_conf),
                      static_cast<float>(m.tracker->low_thresh));
  }
  if (const YAML::Node v = n["variants"]; v.IsDefined()) {
    if (!v.IsSequence() || v.size() == 0)
      r.fail(v, where + ".variants must be a non-empty list of model files, heaviest first");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) r.fail(v[i], where + ".variants must list model files");
      // Checked like `path`: an existing regular file, relative to the config.
      const std::string full = r.resolve(v[i].Scalar());
      if (Status st = check_regular_file(full, "model"); !st)
        r.fail(v[i], where + ".variants[" + std::to_string(i) + "]: " + st.error().message());
      if (full == t.model_path)
        r.fail(v[i], where + ".variants[" + std::to_string(i) + "] is the model itself");
      m.variants.push_back(full);
    }
    m.variants_where = r.where_of(v);
  }
  if (n["cameras"]) {
    const YAML::Node cams = n["cameras"];
    if (!cams.IsSequence() || cams.size() == 0)
      r.fail(cams, where + ".cameras must be a non-empty list of camera ids");
    for (const auto& cam : cams) {
      if (!cam.IsScalar()) r.fail(cam, where + ".cameras must list camera ids");
      m.cameras.push_back(cam.Scalar());
    }
  }
  return m;
}

// `control:` the deadline controller (docs/CONTROL.md). Thresholds that contradict each other
// are refused here: with no gap between degrade and restore it would flap.
ControlConfig read_control(const Reader& r, const YAML::Node& n) {
  const std::string where = "control";
  r.expect_map(n, where);
  r.check_keys(
      n, where,
      {"enabled", "interval_s", "window_s", "miss_high", "miss_low", "p99_high", "p99_low",
       "settle_s", "restore_after_s", "max_restore_after_s", "max_skip", "min_frames", "max_busy"});
  ControlConfig c;
  c.where = r.where_of(n);
  if (n["enabled"]) c.enabled = r.boolean(n, "enabled", where);
  if (n["interval_s"]) c.interval_s = r.number(n, "interval_s", where, 0.01, 60);
  if (n["window_s"]) c.window_s = r.number(n, "window_s", where, 0.05, 600);
  if (n["miss_high"]) c.miss_high = r.number(n, "miss_high", where, 0, 1);
  if (n["miss_low"]) c.miss_low = r.number(n, "miss_low", where, 0, 1);
  if (n["p99_high"]) c.p99_high = r.number(n, "p99_high", where, 0.01, 100);
  if (n["p99_low"]) c.p99_low = r.number(n, "p99_low", where, 0, 100);
  if (n["settle_s"]) c.settle_s = r.number(n, "settle_s", where, 0, 600);
  if (n["restore_after_s"]) c.restore_after_s = r.number(n, "restore_after_s", where, 0.1, 3600);
  if (n["max_restore_after_s"])
    c.max_restore_after_s = r.number(n, "max_restore_after_s", where, 0, 86400);
  if (n["max_skip"]) c.max_skip = r.integer(n, "max_skip", where, 1, 1000);
  if (n["max_busy"]) c.max_busy = r.number(n, "max_busy", where, 0.05, 1);
  if (n["min_frames"]) c.min_frames = r.integer(n, "min_frames", where, 1, 1000000);
  const auto below = [&](const char* lo, double lo_v, const char* hi, double hi_v) {
    if (lo_v < hi_v) return;
    r.fail(n[lo] ? n[lo] : n, where + "." + lo + " (" + std::to_string(lo_v) + ") must be below " +
                                  where + "." + hi + " (" + std::to_string(hi_v) +
                                  "): the controller would restore and degrade on the same "
                                  "figures and oscillate");
  };
  below("miss_low", c.miss_low, "miss_high", c.miss_high);
  below("p99_low", c.p99_low, "p99_high", c.p99_high);
  if (c.window_s < c.interval_s)
    r.fail(n["window_s"] ? n["window_s"] : n, where + ".window_s (" + std::to_string(c.window_s) +
                                                  ") must be at least " + where + ".interval_s (" +
                                                  std::to_string(c.interval_s) + ")");
  // The window is kept as one slot per interval, each with a latency histogram per camera.
  if (c.window_s / c.interval_s > 1000)
    r.fail(n["window_s"] ? n["window_s"] : n,
           where + ".window_s / interval_s is over 1000 intervals: lengthen interval_s");
  if (c.max_restore_after_s < c.restore_after_s)
    r.fail(n["max_restore_after_s"] ? n["max_restore_after_s"] : n,
           where + ".max_restore_after_s must be at least restore_after_s (" +
               std::to_string(c.restore_after_s) + ")");
  return c;
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::invalid_argument,
                file + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::io, file + ": cannot read: " + e.what());
  }
}

}  // namespace

PipelineConfig load_pipeline_config(const std::string& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw Error(ErrorCode::io, "config file not found: '" + file + "'");
  // Bounded and never blocking: a FIFO or /dev/urandom given as the config is refused.
  auto text = read_small_file(file, "config file");
  if (!text) throw text.error();
  return parse_pipeline_config(*text, file, fs::path(file).parent_path().string());
}

ModelConfig parse_model_config(const std::string& text, const std::string& name,
                               const std::string& base_dir) {
  const Reader r(name, base_dir);
  return read_model(r, parse_yaml(text, name), "model");
}

PipelineConfig parse_pipeline_config(const std::string& text, const std::string& file,
                                     const std::string& base_dir) {
  const Reader r(file, base_dir);
  const YAML::Node root = parse_yaml(text, file);
  if (!root.IsMap())
    throw Error(ErrorCode::invalid_argument,
                file + ": the config must be a mapping with cameras and models");
  r.check_keys(root, "the config",
               {"mode", "cameras", "models", "fusion", "output", "telemetry", "ros2", "control"});

  PipelineConfig cfg;
  cfg.file = file;
  const YAML::Node cams = root["cameras"];
  if (!cams.IsDefined() || !cams.IsSequence() || cams.size() == 0)
    r.fail(cams.IsDefined() ? cams : root, "cameras must be a non-empty list");
  std::set<std::string> ids;
  for (size_t i = 0; i < cams.size(); ++i) {
    CameraConfig c = read_camera(r, cams[i], "cameras[" + std::to_string(i) + "]");
    if (!ids.insert(c.id).second) r.fail(cams[i]["id"], "camera id '" + c.id + "' is used twice");
    cfg.cameras.push_back(std::move(c));
  }
  const YAML::Node models = root["models"];
  if (!models.IsDefined() || !models.IsSequence() || models.size() == 0)
    r.fail(models.IsDefined() ? models : root, "models must be a non-empty list");
  std::set<std::string> model_ids;
  for (size_t i = 0; i < models.size(); ++i) {
    const std::string where = "models[" + std::to_string(i) + "]";
    ModelConfig m = read_model(r, models[i], where);
    if (!model_ids.insert(m.id).second)
      r.fail(models[i]["id"], "model id '" + m.id + "' is used twice");
    for (const auto& c : m.cameras)
      if (!ids.count(c))
        r.fail(models[i]["cameras"], where + ".cameras: no camera with id '" + c + "'");
    if (m.cameras.empty())
      for (const auto& c : cfg.cameras) m.cameras.push_back(c.id);
    cfg.models.push_back(std::move(m));
  }
  const YAML::Node out = root["output"];
  cfg.output.dir = r.resolve("out");
  if (out.IsDefined()) {
    r.expect_map(out, "output");
    r.check_keys(out, "output",
                 {"dir", "jsonl", "video", "mosaic", "mosaic_tile_width", "images", "images_every",
                  "summary", "queue_depth", "bag"});
    if (out["dir"]) cfg.output.dir = r.path(out, "dir", "output", false);
    if (out["jsonl"]) cfg.output.jsonl = r.boolean(out, "jsonl", "output");
    if (out["video"]) cfg.output.video = r.boolean(out, "video", "output");
    if (out["mosaic"]) cfg.output.mosaic = r.boolean(out, "mosaic", "output");
    if (out["mosaic_tile_width"])
      cfg.output.mosaic_tile_width = r.integer(out, "mosaic_tile_width", "output", 64, 3840);
    if (out["images"]) cfg.output.images = r.boolean(out, "images", "output");
    if (out["images_every"])
      cfg.output.images_every = r.integer(out, "images_every", "output", 1, 1000000);
    if (out["summary"]) cfg.output.summary = r.boolean(out, "summary", "output");
    if (out["queue_depth"])
      cfg.output.queue_depth =
          static_cast<size_t>(r.integer(out, "queue_depth", "output", 1, 100000));
    if (out["bag"]) cfg.output.bag = read_bag(r, out["bag"], cfg.output.dir);
  }
  const YAML::Node tel = root["telemetry"];
  if (tel.IsDefined()) {
    r.expect_map(tel, "telemetry");
    r.check_keys(tel, "telemetry", {"jsonl", "interval_s", "metrics"});
    if (tel["jsonl"]) cfg.telemetry.jsonl = r.path(tel, "jsonl", "telemetry", false);
    if (tel["interval_s"])
      cfg.telemetry.interval_s = r.number(tel, "interval_s", "telemetry", 0.01, 3600);
    const YAML::Node met = tel["metrics"];
    if (met.IsDefined()) {
      r.expect_map(met, "telemetry.metrics");
      r.check_keys(met, "telemetry.metrics", {"port", "host", "allowed_hosts"});
      if (!met["port"]) r.fail(met, "telemetry.metrics.port is required (0: any free port)");
      cfg.telemetry.metrics_port = r.integer(met, "port", "telemetry.metrics", 0, 65535);
      if (met["host"]) cfg.telemetry.metrics_host = r.str(met, "host", "telemetry.metrics");
      if (const YAML::Node hosts = met["allowed_hosts"]; hosts.IsDefined()) {
        if (!hosts.IsSequence())
          r.fail(hosts, "telemetry.metrics.allowed_hosts must be a list of host names");
        for (const YAML::Node& h : hosts) {
          if (!h.IsScalar() || h.Scalar().empty())
            r.fail(h, "telemetry.metrics.allowed_hosts: each entry is a host name");
          cfg.telemetry.metrics_allowed_hosts.push_back(h.Scalar());
        }
      }
    }
  }
  apply_ros_environment(cfg.ros2);
  if (root["ros2"]) read_ros2(r, root["ros2"], cfg.ros2);
  bool uses_ros2 = cfg.ros2.enabled;
  for (const auto& c : cfg.cameras)
    uses_ros2 = uses_ros2 || c.source.kind == SourceKind::ros2 || c.source.kind == SourceKind::bag;
  if (uses_ros2 && !ros2_available())
    r.fail(root["ros2"] ? root["ros2"] : root,
           "ROS 2 is asked for (ros2.enabled, a ros2 or bag camera) but percept was built without "
           "DDS (install cyclonedds-dev and cyclonedds-tools, configure with PERCEPT_DDS=AUTO)");
  if (cfg.ros2.enabled) {  // ids become ROS 2 topic name tokens
    for (size_t i = 0; i < cfg.cameras.size(); ++i)
      if (!is_ros2_name_token(cfg.cameras[i].id))
        r.fail(cams[i]["id"], "camera id '" + cfg.cameras[i].id +
                                  "' cannot be part of a ROS 2 topic name (letters, digits, _; "
                                  "not starting with a digit)");
    for (size_t i = 0; i < cfg.models.size(); ++i)
      if (!is_ros2_name_token(cfg.models[i].id))
        r.fail(models[i]["id"], "model id '" + cfg.models[i].id +
                                    "' cannot be part of a ROS 2 topic name (letters, digits, "
                                    "_; not starting with a digit)");
  }
  const YAML::Node fusion = root["fusion"];
  if (fusion.IsDefined()) {
    r.expect_map(fusion, "fusion");
    r.check_keys(fusion, "fusion", {"distance"});
    if (fusion["distance"]) {
      auto d = parse_distance_stat(r.str(fusion, "distance", "fusion"));
      if (!d) r.fail(fusion["distance"], "fusion.distance: " + d.error().message());
      cfg.distance = *d;
    }
  }
  if (root["control"]) {
    const YAML::Node ctl = root["control"];
    cfg.control = read_control(r, ctl);
    const ControlConfig& c = cfg.control;
    if (c.enabled) {
      // Nothing to judge or nothing to act on is a config that cannot work: say so now.
      if (std::none_of(cfg.cameras.begin(), cfg.cameras.end(),
                       [](const CameraConfig& cam) { return cam.deadline_ms > 0; }))
        r.fail(ctl,
               "control: no camera has a deadline_ms; the controller judges cameras by "
               "their deadline");
      bool levers = false;
      for (const ModelConfig& m : cfg.models)
        levers = levers || !m.variants.empty() || m.max_wait_us > 0;
      for (const CameraConfig& cam : cfg.cameras)  // skips need max_skip > 1
        levers = levers || (cam.priority != cfg.cameras.front().priority && c.max_skip > 1);
      if (!levers)
        r.fail(ctl,
               "control: nothing to act on; give a model `variants:` (lighter models), "
               "a model max_wait_us > 0, or the cameras different `priority:` values (with "
               "max_skip > 1)");
    }
  }
  for (size_t i = 0; i < cfg.models.size(); ++i)
    if (!cfg.models[i].variants.empty() && !cfg.control.enabled)
      r.fail(models[i]["variants"], "models[" + std::to_string(i) +
                                        "].variants are only used by the deadline controller: "
                                        "enable it with control: {enabled: true}");
  // Lossless by default only when every source can wait (files); live cameras cannot.
  bool all_files = true;
  for (const auto& c : cfg.cameras) all_files = all_files && is_file_source(c.source.kind);
  cfg.mode = all_files ? PipelineMode::lossless : PipelineMode::live;
  if (root["mode"]) {
    const std::string m = r.str(root, "mode", "the config");
    if (m == "live") {
      cfg.mode = PipelineMode::live;
    } else if (m == "lossless") {
      cfg.mode = PipelineMode::lossless;
    } else {
      r.fail(root["mode"], "mode: '" + m + "' (expected live or lossless)");
    }
  }
  return cfg;
}

}  // namespace percept
