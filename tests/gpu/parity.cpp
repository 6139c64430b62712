// The parity harness's comparisons and compare_task (parity.hpp).
#include "parity.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "percept/core/error.hpp"
#include "percept/gpu/compute_stream.hpp"

namespace percept::test {

namespace {

std::string fmt(double v, int precision = 4) {
  std::ostringstream s;
  s.precision(precision);
  s << v;
  return s.str();
}

std::string box_str(const Box& b) {
  return "[" + fmt(b.x1, 5) + ", " + fmt(b.y1, 5) + ", " + fmt(b.x2, 5) + ", " + fmt(b.y2, 5) + "]";
}

std::string det_str(const Detection& d) {
  return "class " + std::to_string(d.class_id) + " score " + fmt(d.score) + " box " +
         box_str(d.box);
}

std::string face_str(const Face& f) {
  return "score " + fmt(f.score) + " box " + box_str(f.box);
}

// The largest keypoint distance between two faces, as a share of a's box width.
float keypoint_diff(const Face& a, const Face& b) {
  const float w = std::max(a.box.width(), 1e-6f);
  float worst = 0.f;
  for (size_t k = 0; k < a.keypoints.size(); ++k)
    worst = std::max(worst, std::hypot(a.keypoints[k][0] - b.keypoints[k][0],
                                       a.keypoints[k][1] - b.keypoints[k][1]) /
                                w);
  return worst;
}

// Items of `from` scoring at least min_score that have no partner in `to`: the first such
// item's message, with the nearest candidate, or nullopt. `match(a, b)` says whether b is a's
// partner; `closeness(a, b)` ranks candidates for the message (IoU).
template <class T, class Match, class Describe, class Near>
std::optional<std::string> unmatched(const std::vector<T>& from, const std::vector<T>& to,
                                     float min_score, const char* from_side, const char* to_side,
                                     Match match, Describe describe, Near near, size_t* matched) {
  size_t missing = 0;
  std::string first;
  for (size_t i = 0; i < from.size(); ++i) {
    const T& a = from[i];
    if (!(a.score >= min_score)) continue;
    bool found = false;
    const T* best = nullptr;
    for (const T& b : to) {
      if (match(a, b)) {
        found = true;
        break;
      }
      if (!best || near(a, b) > near(a, *best)) best = &b;
    }
    if (found) {
      if (matched) ++*matched;
      continue;
    }
    if (missing++ == 0)
      first = std::string(from_side) + " #" + std::to_string(i) + " (" + describe(a) +
              ") has no partner on the " + to_side +
              (best ? "; nearest: " + describe(*best) + ", IoU " + fmt(iou(a.box, best->box))
                    : "; it has none at all");
  }
  if (missing == 0) return std::nullopt;
  return first + (missing > 1 ? " (and " + std::to_string(missing - 1) + " more)" : "");
}

std::optional<std::string> compare_detections(const Detections& a, const Detections& b,
                                              const TaskTolerance& tol, ParityStats* stats) {
  auto match = [&](const Detection& x, const Detection& y) {
    return x.class_id == y.class_id && iou(x.box, y.box) > tol.detection_iou &&
           std::fabs(x.score - y.score) < tol.detection_score;
  };
  auto near = [](const Detection& x, const Detection& y) {
    return iou(x.box, y.box) + (x.class_id == y.class_id ? 1.f : 0.f);
  };
  size_t matched = 0;
  if (auto m = unmatched(a, b, tol.detection_min_score, "cpu detection", "device", match, det_str,
                         near, &matched))
    return m;
  if (auto m = unmatched(b, a, tol.detection_min_score, "device detection", "cpu", match, det_str,
                         near, nullptr))
    return m;
  if (stats) {
    stats->detections += matched;
    for (const Detection& x : a) {
      if (!(x.score >= tol.detection_min_score)) continue;
      for (const Detection& y : b)
        if (match(x, y)) {
          stats->min_iou = std::min(stats->min_iou, iou(x.box, y.box));
          stats->max_score_diff = std::max(stats->max_score_diff, std::fabs(x.score - y.score));
          break;
        }
    }
  }
  return std::nullopt;
}

std::optional<std::string> compare_faces(const Faces& a, const Faces& b, const TaskTolerance& tol,
                                         ParityStats* stats) {
  auto match = [&](const Face& x, const Face& y) {
    return iou(x.box, y.box) > tol.face_iou && std::fabs(x.score - y.score) < tol.face_score &&
           keypoint_diff(x, y) <= tol.face_keypoint;
  };
  auto describe = [](const Face& f) { return face_str(f); };
  auto near = [](const Face& x, const Face& y) { return iou(x.box, y.box); };
  size_t matched = 0;
  auto m =
      unmatched(a, b, tol.face_min_score, "cpu face", "device", match, describe, near, &matched);
  if (!m)
    m = unmatched(b, a, tol.face_min_score, "device face", "cpu", match, describe, near, nullptr);
  if (m) {
    // Name the keypoint distance too when the boxes agree.
    for (const Face& x : a)
      for (const Face& y : b)
        if (iou(x.box, y.box) > tol.face_iou && keypoint_diff(x, y) > tol.face_keypoint)
          return *m + "; keypoints " + fmt(keypoint_diff(x, y)) + " of the box width apart";
    return m;
  }
  if (stats) {
    stats->faces += matched;
    for (const Face& x : a)
      for (const Face& y : b)
        if (x.score >= tol.face_min_score && match(x, y)) {
          stats->min_iou = std::min(stats->min_iou, iou(x.box, y.box));
          stats->max_score_diff = std::max(stats->max_score_diff, std::fabs(x.score - y.score));
          stats->max_keypoint_diff = std::max(stats->max_keypoint_diff, keypoint_diff(x, y));
          break;
        }
  }
  return std::nullopt;
}

std::optional<std::string> compare_depth(const DepthMap& a, const DepthMap& b,
                                         const TaskTolerance& tol, ParityStats* stats) {
  if (a.width != b.width || a.height != b.height || a.values.size() != b.values.size())
    return "map size: cpu " + std::to_string(a.width) + "x" + std::to_string(a.height) + " (" +
           std::to_string(a.values.size()) + " values), device " + std::to_string(b.width) + "x" +
           std::to_string(b.height) + " (" + std::to_string(b.values.size()) + " values)";
  if (a.unit != b.unit)
    return std::string("unit: cpu ") + depth_unit_name(a.unit) + ", device " +
           depth_unit_name(b.unit);
  size_t bad = 0, first = 0;
  double max_abs = 0, max_rel = 0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    const float x = a.values[i], y = b.values[i];
    bool ok;
    if (!std::isfinite(x) || !std::isfinite(y)) {
      ok = !std::isfinite(x) && !std::isfinite(y);  // a hole on both sides
    } else {
      const double d = std::fabs(static_cast<double>(y) - x);
      max_abs = std::max(max_abs, d);
      max_rel = std::max(max_rel, d / std::max(std::fabs(static_cast<double>(x)), 1e-12));
      ok = d <= tol.depth_abs + static_cast<double>(tol.depth_rel) * std::fabs(x);
    }
    if (!ok && bad++ == 0) first = i;
  }
  if (stats) {
    stats->depth_pixels += a.values.size();
    stats->max_depth_abs = std::max(stats->max_depth_abs, max_abs);
    stats->max_depth_rel = std::max(stats->max_depth_rel, max_rel);
  }
  if (bad == 0) return std::nullopt;
  const size_t w = static_cast<size_t>(std::max(a.width, 1));
  return std::to_string(bad) + " of " + std::to_string(a.values.size()) +
         " pixels differ; first at (" + std::to_string(first % w) + ", " +
         std::to_string(first / w) + "): cpu " + fmt(a.values[first], 7) + ", device " +
         fmt(b.values[first], 7) + " (largest |d| " + fmt(max_abs) + ", relative " + fmt(max_rel) +
         ")";
}

std::optional<std::string> compare_segmentation(const SegmentationMap& a, const SegmentationMap& b,
                                                const TaskTolerance& tol, ParityStats* stats) {
  if (a.width != b.width || a.height != b.height || a.classes.size() != b.classes.size())
    return "map size: cpu " + std::to_string(a.width) + "x" + std::to_string(a.height) +
           ", device " + std::to_string(b.width) + "x" + std::to_string(b.height);
  size_t differ = 0, first = 0;
  for (size_t i = 0; i < a.classes.size(); ++i)
    if (a.classes[i] != b.classes[i] && differ++ == 0) first = i;
  const double share =
      a.classes.empty() ? 0.0 : static_cast<double>(differ) / static_cast<double>(a.classes.size());
  double worst = 0;
  size_t worst_class = 0;
  for (size_t k = 0; k < std::max(a.fractions.size(), b.fractions.size()); ++k) {
    const double fa = k < a.fractions.size() ? a.fractions[k] : 0.0;
    const double fb = k < b.fractions.size() ? b.fractions[k] : 0.0;
    if (!(std::fabs(fa - fb) <= worst)) {
      worst = std::isnan(fa - fb) ? INFINITY : std::fabs(fa - fb);
      worst_class = k;
    }
  }
  if (stats) {
    stats->segmentation_pixels += a.classes.size();
    stats->max_differing_pixels = std::max(stats->max_differing_pixels, share);
    stats->max_fraction_diff = std::max(stats->max_fraction_diff, worst);
  }
  if (share > tol.segmentation_pixels) {
    const size_t w = static_cast<size_t>(std::max(a.width, 1));
    return fmt(100.0 * share) + "% of pixels (" + std::to_string(differ) + " of " +
           std::to_string(a.classes.size()) + ") have another class; first at (" +
           std::to_string(first % w) + ", " + std::to_string(first / w) + "): cpu class " +
           std::to_string(a.classes[first]) + ", device class " + std::to_string(b.classes[first]);
  }
  if (worst > tol.segmentation_fraction) {
    const double fa = worst_class < a.fractions.size() ? a.fractions[worst_class] : 0.0;
    const double fb = worst_class < b.fractions.size() ? b.fractions[worst_class] : 0.0;
    return "class " + std::to_string(worst_class) + "'s share of the frame: cpu " + fmt(fa) +
           ", device " + fmt(fb);
  }
  return std::nullopt;
}

std::string scores_str(const ClassScores& s) {
  std::string r;
  for (const ClassScore& c : s)
    r += (r.empty() ? "" : ", ") + std::to_string(c.class_id) + ":" + fmt(c.score);
  return "[" + r + "]";
}

std::optional<std::string> compare_classes(const ClassScores& a, const ClassScores& b,
                                           const TaskTolerance& tol, ParityStats* stats) {
  const std::string both = " (cpu " + scores_str(a) + ", device " + scores_str(b) + ")";
  if (a.size() != b.size())
    return "the cpu lists " + std::to_string(a.size()) + ", device " + std::to_string(b.size()) +
           both;
  if (a.empty()) return std::nullopt;
  if (a[0].class_id != b[0].class_id) {
    const bool tie = a.size() > 1 && a[0].score - a[1].score <= tol.class_score &&
                     b[0].class_id == a[1].class_id;
    if (!tie)
      return "top-1 is class " + std::to_string(a[0].class_id) + " on the cpu, " +
             std::to_string(b[0].class_id) + " on the device" + both;
  }
  float worst = 0.f;
  for (const ClassScore& x : a) {
    auto y = std::find_if(b.begin(), b.end(),
                          [&](const ClassScore& c) { return c.class_id == x.class_id; });
    if (y == b.end()) {
      // Fell out of the device's top-k: only next to its last entry's score.
      if (x.score > b.back().score + tol.class_score)
        return "class " + std::to_string(x.class_id) + " (cpu score " + fmt(x.score) +
               ") is not in the device's list" + both;
      continue;
    }
    const float d = std::fabs(x.score - y->score);
    worst = std::max(worst, d);
    if (!(d <= tol.class_score))
      return "class " + std::to_string(x.class_id) + " scores " + fmt(x.score) + " on the cpu, " +
             fmt(y->score) + " on the device" + both;
  }
  if (stats) {
    stats->classes += a.size();
    stats->max_score_diff = std::max(stats->max_score_diff, worst);
  }
  return std::nullopt;
}

std::string contents_str(Content c) {
  std::string s;
  const std::pair<Content, const char*> names[] = {{Content::detections, "detections"},
                                                   {Content::depth, "depth"},
                                                   {Content::segmentation, "segmentation"},
                                                   {Content::classes, "classes"},
                                                   {Content::faces, "faces"}};
  for (const auto& [k, n] : names)
    if (has(c, k)) s += (s.empty() ? "" : "|") + std::string(n);
  return s.empty() ? "none" : s;
}

}  // namespace

std::string TaskTolerance::describe(Content member) const {
  switch (member) {
    case Content::detections:
      return "tolerance: same class, IoU > " + fmt(detection_iou) + ", |score difference| < " +
             fmt(detection_score) + ", both directions, detections under " +
             fmt(detection_min_score) + " excused";
    case Content::depth:
      return "tolerance: same holes, |d| <= " + fmt(depth_abs) + " + " + fmt(depth_rel) +
             " x |cpu|";
    case Content::segmentation:
      return "tolerance: at most " + fmt(100.0 * segmentation_pixels) +
             "% of pixels of another class, each class's share within " +
             fmt(segmentation_fraction);
    case Content::classes:
      return "tolerance: same top-1 (unless within " + fmt(class_score) +
             " of the second), scores within " + fmt(class_score);
    case Content::faces:
      return "tolerance: IoU > " + fmt(face_iou) + ", |score difference| < " + fmt(face_score) +
             ", keypoints within " + fmt(face_keypoint) +
             " of the box width, both directions, faces under " + fmt(face_min_score) + " excused";
    default:
      return "";
  }
}

std::string KernelTolerance::describe() const {
  switch (kind) {
    case Kind::exact:
      return "exact (the same bits)";
    case Kind::max_abs:
      return "|d| <= " + fmt(abs, 6);
    case Kind::abs_rel:
      return "|d| <= " + fmt(abs, 6) + " + " + fmt(rel, 6) + " |cpu|";
    case Kind::max_ulp:
      return std::to_string(ulps) + " ulp";
  }
  return "";
}

std::string ParityStats::str() const {
  std::ostringstream s;
  s.precision(3);
  s << frames << " frame(s)";
  if (detections) s << ", " << detections << " detections";
  if (faces) s << ", " << faces << " faces";
  if (detections || faces) s << " matched (lowest IoU " << min_iou << ")";
  if (classes) s << ", " << classes << " class scores";
  if (detections || faces || classes) s << ", largest |score difference| " << max_score_diff;
  if (faces) s << ", keypoints within " << max_keypoint_diff << " of the box width";
  if (depth_pixels)
    s << ", " << depth_pixels << " depth pixels, largest |d| " << max_depth_abs << " (relative "
      << max_depth_rel << ")";
  if (segmentation_pixels)
    s << ", " << segmentation_pixels << " class pixels, at most " << 100.0 * max_differing_pixels
      << "% differing, class shares within " << max_fraction_diff;
  return s.str();
}

std::optional<std::string> compare_outputs(const ModelOutput& cpu, const ModelOutput& device,
                                           Content contents, const TaskTolerance& tol,
                                           ParityStats* stats) {
  if (!has(cpu.contents, contents) || !has(device.contents, contents))
    return "contents: expected " + contents_str(contents) + ", the cpu holds " +
           contents_str(cpu.contents) + ", the device " + contents_str(device.contents);
  const Content members[] = {Content::detections, Content::depth, Content::segmentation,
                             Content::classes, Content::faces};
  for (Content k : members) {
    if (!has(contents, k)) continue;
    std::optional<std::string> m;
    switch (k) {
      case Content::detections:
        m = compare_detections(cpu.detections, device.detections, tol, stats);
        break;
      case Content::depth:
        m = compare_depth(cpu.depth, device.depth, tol, stats);
        break;
      case Content::segmentation:
        m = compare_segmentation(cpu.segmentation, device.segmentation, tol, stats);
        break;
      case Content::classes:
        m = compare_classes(cpu.classes, device.classes, tol, stats);
        break;
      case Content::faces:
        m = compare_faces(cpu.faces, device.faces, tol, stats);
        break;
      default:
        break;
    }
    if (m) return contents_str(k) + ": " + *m + "; " + tol.describe(k);
  }
  return std::nullopt;
}

namespace {

ParityResult result(ParityResult::Outcome o, std::string message) {
  ParityResult r;
  r.outcome = o;
  r.message = std::move(message);
  return r;
}

}  // namespace

ParityResult compare_task(TaskConfig config, std::span<const ImageView> frames,
                          const TaskTolerance& tol, const TaskParityOptions& options) {
  using O = ParityResult::Outcome;
  const std::string model = "model '" + config.model_path + "'";
  if (frames.empty()) return result(O::failed, model + ": no frames to compare");
  if (options.require_device) {
    std::string why;
    if (!open_stream(options.device, &why))
      return result(O::skipped, model + ": no device for '" + options.device +
                                    "': " + (why.empty() ? "not a GPU device" : why));
  }
  OpenedTask ref, dev;
  const std::string ref_name = options.reference_device, dev_name = options.device;
  try {
    config.backend.device = ref_name;
    ref = open_task(config);
  } catch (const std::exception& e) {
    return result(O::failed, model + " on " + ref_name + ": " + e.what());
  }
  try {
    config.backend.device = dev_name;
    dev = open_task(config, options.wrap_device);
  } catch (const std::exception& e) {
    return result(O::failed, model + " on " + dev_name + ": " + e.what());
  }
  if (!options.device_backend.empty() && dev->backend().name() != options.device_backend)
    return result(O::skipped,
                  model + ": ONNX Runtime's provider for '" + dev_name +
                      "' did not start (it ran on " + dev->backend().name() + ", not " +
                      options.device_backend +
                      "): put libonnxruntime_providers_cuda.so beside libonnxruntime.so.1");
  if (ref->name() != dev->name() || ref->produces() != dev->produces())
    return result(O::failed, model + ": opened as task " + ref->name() + " on " + ref_name +
                                 " but " + dev->name() + " on " + dev_name);
  if (options.check_device)
    if (auto m = options.check_device(dev)) return result(O::failed, model + ": " + *m);

  std::vector<ModelOutput> a(frames.size()), b(frames.size());
  try {
    if (Status st = ref->run(frames, a); !st.ok())
      return result(O::failed, model + " on " + ref_name + ": " + st.error().message());
  } catch (const std::exception& e) {
    return result(O::failed, model + " on " + ref_name + " threw: " + e.what());
  }
  ParityStats stats;
  stats.frames = frames.size();
  for (int run = 0; run < std::max(options.device_runs, 1); ++run) {
    try {
      if (Status st = dev->run(frames, b); !st.ok())
        return result(O::failed, model + " on " + dev_name + ", run " + std::to_string(run + 1) +
                                     ": " + st.error().message());
    } catch (const std::exception& e) {
      return result(O::failed, model + " on " + dev_name + " threw: " + e.what());
    }
    for (size_t f = 0; f < frames.size(); ++f)
      if (auto m = compare_outputs(a[f], b[f], ref->produces(), tol, &stats))
        return result(O::failed, model + " (" + ref->name() + "), frame " + std::to_string(f) +
                                     " (" + std::to_string(frames[f].width) + "x" +
                                     std::to_string(frames[f].height) + "), " + ref_name +
                                     " against " + dev_name + " run " + std::to_string(run + 1) +
                                     ": " + *m);
  }
  return result(O::passed, model + " (" + ref->name() + ", " + dev->backend().name() +
                               ") against " + ref->backend().name() + ": " + stats.str());
}

// ---- frames -------------------------------------------------------------------------------

std::string repo_file(const std::string& relative) {
  std::vector<std::string> candidates{relative};
  if (const char* bundle = std::getenv("PERCEPT_TEST_FILES"))
    candidates.push_back(std::string(bundle) + "/" + relative);
#ifdef PERCEPT_SOURCE_DIR
  candidates.push_back(std::string(PERCEPT_SOURCE_DIR) + "/" + relative);
#endif
  for (const std::string& c : candidates)
    if (std::ifstream(c, std::ios::binary).good()) return c;
  return candidates.back();
}

Image read_ppm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  auto token = [&] {
    std::string t;
    while (in >> std::ws && in.peek() == '#') in.ignore(1 << 20, '\n');
    in >> t;
    return t;
  };
  const std::string magic = token();
  const int w = std::atoi(token().c_str()), h = std::atoi(token().c_str());
  const int maxval = std::atoi(token().c_str());
  if (magic != "P6" || w <= 0 || h <= 0 || maxval != 255)
    throw Error("'" + path + "' is not a binary 8-bit PPM (P6, maxval 255)");
  in.get();  // the one whitespace byte before the pixels
  Image img(w, h, PixelFormat::bgr8);
  std::vector<char> row(static_cast<size_t>(w) * 3);
  for (int y = 0; y < h; ++y) {
    if (!in.read(row.data(), static_cast<std::streamsize>(row.size())))
      throw Error("'" + path + "' is truncated at row " + std::to_string(y));
    uint8_t* p = img.row(y);
    for (int x = 0; x < w; ++x) {  // RGB in the file
      p[3 * x + 0] = static_cast<uint8_t>(row[3 * x + 2]);
      p[3 * x + 1] = static_cast<uint8_t>(row[3 * x + 1]);
      p[3 * x + 2] = static_cast<uint8_t>(row[3 * x + 0]);
    }
  }
  return img;
}

Image mirrored(const ImageView& v) {
  Image out(v.width, v.height, v.format);
  const int c = v.channels();
  for (int y = 0; y < v.height; ++y)
    for (int x = 0; x < v.width; ++x)
      for (int k = 0; k < c; ++k) out.row(y)[c * x + k] = v.row(y)[c * (v.width - 1 - x) + k];
  return out;
}

Image scaled(const ImageView& v, int factor) {
  Image out(v.width * factor, v.height * factor, v.format);
  const int c = v.channels();
  for (int y = 0; y < out.height(); ++y)
    for (int x = 0; x < out.width(); ++x)
      for (int k = 0; k < c; ++k) out.row(y)[c * x + k] = v.row(y / factor)[c * (x / factor) + k];
  return out;
}

std::vector<ImageView> views_of(const std::vector<Image>& images) {
  std::vector<ImageView> v;
  for (const Image& i : images) v.push_back(i.view());
  return v;
}

}  // namespace percept::test
