#include "task_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "average_precision.hpp"
#include "percept/io/image_io.hpp"
#include "percept/io/pfm.hpp"

namespace percept::eval {

namespace {

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

nlohmann::json read_labels(const std::string& dir) {
  std::ifstream f(dir + "/labels.json");
  if (!f) throw Error("missing " + dir + "/labels.json (the generate_* ctest fixture makes it)");
  return nlohmann::json::parse(f);
}

OpenedTask open_model(const std::string& model, float conf, float iou) {
  TaskConfig c;
  c.model_path = model;
  if (conf >= 0) c.conf = conf;
  if (iou >= 0) c.iou = iou;
  return open_task(c);
}

ModelOutput run_frame(Task& t, const Image& img) {
  ModelOutput out;
  const ImageView v = img.view();
  Status st = t.run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&out, 1));
  if (!st) throw Error(st.error().message());
  return out;
}

double detector_map50(const std::string& model, const std::string& dir,
                      std::vector<double>* per_class) {
  auto det = open_model(model, 0.001f, 0.6f);  // the whole precision-recall curve, as mAP tools do
  const auto j = read_labels(dir);
  const int nc = static_cast<int>(det->labels().size());
  if (nc != static_cast<int>(j["classes"].size())) throw Error(model + ": class count differs");
  std::vector<ImageResult> results;
  for (const auto& entry : j["images"]) {
    Image img = read_image(dir + "/" + entry["file"].get<std::string>()).value_or_throw();
    ImageResult r;
    for (const auto& o : entry["objects"]) {
      const auto& b = o["box"];
      r.truth.push_back(
          {{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()},
           o["class_id"].get<int>()});
    }
    r.detections = run_frame(*det, img).detections;
    results.push_back(std::move(r));
  }
  return mean_average_precision(results, nc, 0.5, per_class);
}

DepthScores depth_abs_rel(const std::string& model, const std::string& dir) {
  auto task = open_model(model);
  const auto j = read_labels(dir);
  DepthScores s;
  for (const auto& e : j["images"]) {
    Image img = read_image(dir + "/" + e["file"].get<std::string>()).value_or_throw();
    DepthMap gt = read_pfm(dir + "/" + e["depth"].get<std::string>()).value_or_throw();
    ModelOutput out = run_frame(*task, img);
    if (out.depth.unit != DepthUnit::metres || out.depth.width != gt.width ||
        out.depth.height != gt.height)
      throw Error(model + ": depth map not metric or not the frame's size");
    std::vector<double> p, g;
    for (size_t k = 0; k < gt.values.size(); ++k)
      if (gt.values[k] > 0 && std::isfinite(gt.values[k])) {
        p.push_back(out.depth.values[k]);
        g.push_back(gt.values[k]);
      }
    if (g.empty()) throw Error(dir + ": an image without valid depth");
    const double scale = median(g) / median(p);
    double raw = 0, scaled = 0;
    for (size_t k = 0; k < g.size(); ++k) {
      raw += std::abs(p[k] - g[k]) / g[k];
      scaled += std::abs(p[k] * scale - g[k]) / g[k];
    }
    s.metric += raw / static_cast<double>(g.size());
    s.scaled += scaled / static_cast<double>(g.size());
    ++s.images;
  }
  if (s.images > 0) s.metric /= s.images, s.scaled /= s.images;
  return s;
}

double segmentation_miou(const std::string& model, const std::string& dir, bool print) {
  auto task = open_model(model);
  const auto j = read_labels(dir);
  const size_t nc = j["classes"].size();
  if (task->labels().size() != nc) throw Error(model + ": class count differs");
  std::vector<double> inter(nc, 0), uni(nc, 0);
  for (const auto& e : j["images"]) {
    Image img = read_image(dir + "/" + e["file"].get<std::string>()).value_or_throw();
    cv::Mat gt = cv::imread(dir + "/" + e["seg"].get<std::string>(), cv::IMREAD_GRAYSCALE);
    if (gt.empty()) throw Error(dir + ": unreadable " + e["seg"].get<std::string>());
    ModelOutput out = run_frame(*task, img);
    if (out.segmentation.width != gt.cols) throw Error(model + ": class map of another size");
    for (int y = 0; y < gt.rows; ++y)
      for (int x = 0; x < gt.cols; ++x) {
        const size_t g = gt.at<uint8_t>(y, x);
        const size_t p = out.segmentation.classes[static_cast<size_t>(y) * gt.cols + x];
        if (g >= nc) throw Error(dir + ": class id out of range");
        if (g == p) {
          inter[g] += 1;
          uni[g] += 1;
        } else {
          uni[g] += 1;
          if (p < nc) uni[p] += 1;
        }
      }
  }
  double miou = 0;
  int present = 0;
  for (size_t c = 0; c < nc; ++c)
    if (uni[c] > 0) {
      if (print)
        std::printf("  %-8s IoU %.4f\n", task->label(static_cast<int>(c)).c_str(),
                    inter[c] / uni[c]);
      miou += inter[c] / uni[c];
      ++present;
    }
  return present > 0 ? miou / present : 0;
}

double classification_top1(const std::string& model, const std::string& dir) {
  auto task = open_model(model);
  const auto j = read_labels(dir);
  int right = 0;
  for (const auto& e : j["images"]) {
    Image img = read_image(dir + "/" + e["file"].get<std::string>()).value_or_throw();
    ModelOutput out = run_frame(*task, img);
    if (out.classes.empty()) throw Error(model + ": no class for " + e["file"].get<std::string>());
    right += out.classes[0].class_id == e["class_id"].get<int>();
  }
  return j["images"].empty() ? 0 : right / static_cast<double>(j["images"].size());
}

}  // namespace percept::eval
