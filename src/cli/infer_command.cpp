// `percept infer`: one model on one image, results as text or as one JSON object.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "commands.hpp"
#include "percept/core/clock.hpp"
#include "percept/io/annotate.hpp"
#include "percept/io/detections_json.hpp"
#include "percept/io/image_io.hpp"
#include "percept/tasks/detect/detector.hpp"

namespace percept::cli {

namespace {

struct InferArgs {
  std::string model, image, labels, layout = "auto", device = "cpu", save, graph_opt = "all";
  float conf = 0.25f, iou = 0.45f;
  int max_det = 300, threads = 0;
  bool json = false;
};

int run_infer(const InferArgs& a) {
  DetectorConfig cfg;
  cfg.model_path = a.model;
  cfg.decode.conf_threshold = a.conf;
  cfg.decode.nms.iou_threshold = a.iou;
  cfg.decode.nms.max_detections = a.max_det;
  cfg.backend.device = a.device;
  cfg.backend.intra_op_threads = a.threads;
  cfg.backend.graph_optimization = parse_graph_optimization(a.graph_opt).value_or_throw();
  if (!a.labels.empty()) cfg.labels_file = a.labels;
  if (a.layout != "auto") cfg.layout = parse_layout(a.layout).value_or_throw();

  // The image is checked before the model is loaded: a typo costs no model load.
  Image img = read_image(a.image).value_or_throw();
  auto det = Detector::open(cfg);
  Detections dets;
  StageTimes t;
  const ImageView view = img.view();
  Status st =
      det->detect(std::span<const ImageView>(&view, 1), std::span<Detections>(&dets, 1), &t);
  if (!st) {
    std::cerr << "percept: error: " << st.error().message() << "\n";
    return kExitFailure;
  }
  auto label = [&](int id) { return det->label(id); };
  if (a.json) {
    nlohmann::ordered_json j = {{"model", a.model},
                                {"image", a.image},
                                {"width", img.width()},
                                {"height", img.height()},
                                {"task", "detect"},
                                {"detections", detections_json(dets, label)},
                                {"timing_ms",
                                 {{"preprocess", round_ms(t.preprocess_ns)},
                                  {"inference", round_ms(t.inference_ns)},
                                  {"postprocess", round_ms(t.postprocess_ns)}}}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf(
        "%s (%dx%d): %zu detection(s); preprocess %.2f ms, inference %.2f ms, "
        "postprocess %.2f ms\n",
        a.image.c_str(), img.width(), img.height(), dets.size(), ns_to_ms(t.preprocess_ns),
        ns_to_ms(t.inference_ns), ns_to_ms(t.postprocess_ns));
    for (const Detection& d : dets)
      std::printf("  %-16s %.3f  [%.1f, %.1f, %.1f, %.1f]\n", label(d.class_id).c_str(),
                  static_cast<double>(d.score), static_cast<double>(d.box.x1),
                  static_cast<double>(d.box.y1), static_cast<double>(d.box.x2),
                  static_cast<double>(d.box.y2));
  }
  if (!a.save.empty()) {
    draw_detections(img, dets, label);
    bool ok = false;
    try {
      ok = cv::imwrite(a.save, mat_view(img));
    } catch (const cv::Exception&) {
      ok = false;
    }
    if (!ok) {
      std::cerr << "percept: error: cannot write annotated image '" << a.save << "'\n";
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

std::function<int()> add_infer_command(CLI::App& app) {
  auto a = std::make_shared<InferArgs>();
  CLI::App* c = app.add_subcommand("infer", "Run a detection model on one image");
  c->add_option("-m,--model", a->model, "ONNX model file")->required();
  c->add_option("-i,--image", a->image, "Image file (PNG, JPEG, BMP, TIFF...)")->required();
  c->add_option("--conf", a->conf, "Confidence threshold")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--iou", a->iou, "NMS IoU threshold")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--max-det", a->max_det, "Maximum detections kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  c->add_option("--layout", a->layout, "Output layout: auto, v8, v5, end2end")
      ->capture_default_str();
  c->add_option("--labels", a->labels, "Labels file, one class name per line");
  c->add_option("--device", a->device, "Execution device")->capture_default_str();
  c->add_option("--threads", a->threads, "ONNX Runtime intra-op threads (0: default)")
      ->check(CLI::Range(0, 256));
  c->add_option("--graph-opt", a->graph_opt, "Graph optimisation: disable, basic, extended, all")
      ->capture_default_str();
  c->add_option("--save", a->save, "Write the annotated image to this file");
  c->add_flag("--json", a->json, "Print exactly one JSON object on stdout");
  return [a] { return run_infer(*a); };
}

}  // namespace percept::cli
