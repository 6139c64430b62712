// `percept infer`: one model on one image, results as text or as one JSON object. The task
// (detect, depth, segment, classify, face) comes from --task or from the model.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>

#include "commands.hpp"
#include "percept/core/clock.hpp"
#include "percept/io/annotate.hpp"
#include "percept/io/image_io.hpp"
#include "percept/io/pfm.hpp"
#include "percept/io/results_json.hpp"
#include "percept/tasks/task.hpp"

namespace percept::cli {

namespace {

namespace fs = std::filesystem;

struct InferArgs {
  std::string model, image, task = "auto", labels, layout = "auto", device = "cpu", save,
                            graph_opt = "all", depth_unit, out_dir = ".";
  std::optional<float> conf, iou;
  float mask_threshold = 0.5f;
  int max_det = 300, threads = 0, top_k = 5;
  uint64_t max_image_pixels = kDefaultMaxImagePixels;
  bool json = false;
};

bool write_image(const std::string& path, Image& img) {
  try {
    return cv::imwrite(path, mat_view(img));
  } catch (const cv::Exception&) {
    return false;
  }
}

TaskConfig task_config(const InferArgs& a) {
  TaskConfig cfg;
  cfg.model_path = a.model;
  cfg.conf = a.conf;
  cfg.iou = a.iou;
  cfg.max_det = a.max_det;
  cfg.top_k = a.top_k;
  cfg.mask_threshold = a.mask_threshold;
  cfg.backend.device = a.device;
  cfg.backend.intra_op_threads = a.threads;
  cfg.backend.graph_optimization = parse_graph_optimization(a.graph_opt).value_or_throw();
  ModelConventions& c = cfg.conventions;
  auto set = [&](const char* key, const std::string& v) {
    Status st = set_convention(c, key, v, "--" + std::string(key));
    if (!st) throw Error("--" + std::string(key) + ": " + st.error().message());
  };
  if (a.task != "auto") set("task", a.task);
  if (a.layout != "auto") set("layout", a.layout);
  if (!a.depth_unit.empty()) set("depth_unit", a.depth_unit);
  if (!a.labels.empty()) {
    c.labels = load_labels_file(a.labels).value_or_throw();
    c.source["labels"] = "--labels " + a.labels;
  }
  return cfg;
}

// Files beside the results: the depth map (PFM, metres or relative) with a colourised PNG,
// the class map (8-bit PNG of class ids) and the instance map (16-bit PNG). Their paths, ""
// for the ones not written.
struct WrittenMaps {
  std::string depth, mask, masks;
};

// The instance map (paint_instance_map, core/instance_masks.hpp) as a 16-bit image.
cv::Mat instance_map(const ModelOutput& out, int width, int height) {
  cv::Mat map(height, width, CV_16UC1);
  paint_instance_map(out.masks, width, height, map.ptr<uint16_t>(0));
  return map;
}

WrittenMaps write_maps(const InferArgs& a, const ModelOutput& out, int width, int height) {
  const fs::path base = fs::path(a.out_dir) / fs::path(a.image).stem();
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  WrittenMaps maps;
  if (has(out.contents, Content::depth)) {
    maps.depth = base.string() + ".depth.pfm";
    write_pfm(maps.depth, out.depth).throw_if_error();
    Image colour = colorize_depth(out.depth);
    if (!write_image(base.string() + ".depth.png", colour))
      throw Error("cannot write '" + base.string() + ".depth.png'");
  }
  if (has(out.contents, Content::segmentation)) {
    maps.mask = base.string() + ".mask.png";
    Image mask(out.segmentation.width, out.segmentation.height, PixelFormat::gray8);
    for (int y = 0; y < mask.height(); ++y)
      std::memcpy(mask.row(y),
                  out.segmentation.classes.data() + static_cast<size_t>(y) * mask.width(),
                  static_cast<size_t>(mask.width()));
    if (!write_image(maps.mask, mask)) throw Error("cannot write '" + maps.mask + "'");
  }
  if (has(out.contents, Content::masks)) {
    maps.masks = base.string() + ".masks.png";
    bool ok = false;
    try {
      ok = cv::imwrite(maps.masks, instance_map(out, width, height));
    } catch (const cv::Exception&) {
    }
    if (!ok) throw Error("cannot write '" + maps.masks + "'");
  }
  return maps;
}

void print_text(const InferArgs& a, const Image& img, const Task& task, const ModelOutput& out,
                const StageTimes& t, const WrittenMaps& maps) {
  std::printf("%s (%dx%d): %s; preprocess %.2f ms, inference %.2f ms, postprocess %.2f ms\n",
              a.image.c_str(), img.width(), img.height(), task.name().c_str(),
              ns_to_ms(t.preprocess_ns), ns_to_ms(t.inference_ns), ns_to_ms(t.postprocess_ns));
  if (has(out.contents, Content::detections)) {
    std::printf("  %zu detection(s)\n", out.detections.size());
    for (const Detection& d : out.detections)
      std::printf("  %-16s %.3f  [%.1f, %.1f, %.1f, %.1f]\n", task.label(d.class_id).c_str(),
                  static_cast<double>(d.score), static_cast<double>(d.box.x1),
                  static_cast<double>(d.box.y1), static_cast<double>(d.box.x2),
                  static_cast<double>(d.box.y2));
  }
  if (has(out.contents, Content::depth)) {
    const DepthStats s = depth_stats(out.depth);
    std::printf("  depth (%s): min %.4g, max %.4g, mean %.4g; map %s\n",
                depth_unit_name(out.depth.unit), static_cast<double>(s.min),
                static_cast<double>(s.max), static_cast<double>(s.mean), maps.depth.c_str());
  }
  if (has(out.contents, Content::segmentation)) {
    for (size_t c = 0; c < out.segmentation.fractions.size(); ++c)
      if (out.segmentation.fractions[c] > 0.f)
        std::printf("  %-16s %.4f\n", task.label(static_cast<int>(c)).c_str(),
                    static_cast<double>(out.segmentation.fractions[c]));
    std::printf("  class map %s\n", maps.mask.c_str());
  }
  if (has(out.contents, Content::masks)) {
    for (size_t i = 0; i < out.masks.items.size(); ++i)
      std::printf("  mask %zu: %lld px\n", i, static_cast<long long>(out.masks.items[i].area));
    std::printf("  instance map %s\n", maps.masks.c_str());
  }
  if (has(out.contents, Content::classes))
    for (const ClassScore& s : out.classes)
      std::printf("  %-16s %.4f\n", task.label(s.class_id).c_str(), static_cast<double>(s.score));
  if (has(out.contents, Content::faces)) {
    std::printf("  %zu face(s)\n", out.faces.size());
    for (const Face& f : out.faces)
      std::printf("  face %.3f  [%.1f, %.1f, %.1f, %.1f]\n", static_cast<double>(f.score),
                  static_cast<double>(f.box.x1), static_cast<double>(f.box.y1),
                  static_cast<double>(f.box.x2), static_cast<double>(f.box.y2));
  }
}

int run_infer(const InferArgs& a) {
  const TaskConfig cfg = task_config(a);
  // The image is checked before the model is loaded: a typo costs no model load.
  Image img = read_image(a.image, a.max_image_pixels).value_or_throw();
  OpenedTask task = open_task(cfg);
  ModelOutput out;
  StageTimes t;
  const ImageView view = img.view();
  Status st = task->run(std::span<const ImageView>(&view, 1), std::span<ModelOutput>(&out, 1), &t);
  if (!st) {
    std::cerr << "percept: error: " << st.error().message() << "\n";
    return kExitFailure;
  }
  const WrittenMaps maps = write_maps(a, out, img.width(), img.height());
  if (a.json) {
    JsonWriter w;
    w.begin_object()
        .field("model", a.model)
        .field("image", a.image)
        .field("width", img.width())
        .field("height", img.height())
        .field("task", task->name());
    write_results_json(w, out, task->labels(), {maps.depth, maps.mask, maps.masks});
    w.key("timing_ms")
        .begin_object()
        .field("preprocess", round_ms(t.preprocess_ns))
        .field("inference", round_ms(t.inference_ns))
        .field("postprocess", round_ms(t.postprocess_ns))
        .end_object()
        .end_object();
    std::cout << w.str() << "\n";
  } else {
    print_text(a, img, *task, out, t, maps);
  }
  if (!a.save.empty()) {
    // A depth map is the picture itself; everything else is drawn on the image (class scores
    // have nothing to draw).
    if (has(out.contents, Content::depth)) img = colorize_depth(out.depth);
    if (has(out.contents, Content::segmentation)) overlay_segmentation(img, out.segmentation);
    if (has(out.contents, Content::masks)) overlay_masks(img, out.detections, out.masks);
    if (has(out.contents, Content::detections))
      draw_detections(img, out.detections, [&](int id) { return task->label(id); });
    if (has(out.contents, Content::keypoints)) draw_keypoints(img, out.detections, out.keypoints);
    if (has(out.contents, Content::faces)) draw_faces(img, out.faces);
    if (!write_image(a.save, img)) {
      std::cerr << "percept: error: cannot write annotated image '" << a.save << "'\n";
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

std::function<int()> add_infer_command(CLI::App& app) {
  auto a = std::make_shared<InferArgs>();
  CLI::App* c = app.add_subcommand("infer", "Run a model on one image");
  c->add_option("-m,--model", a->model, "ONNX model file")->required();
  c->add_option("-i,--image", a->image, "Image file (PNG, JPEG, BMP, TIFF...)")->required();
  c->add_option("--task", a->task,
                "auto or a registered task: detect, depth, segment, classify, face, "
                "instance_segment, pose (auto: the "
                "model's sidecar or metadata, else its tensor shapes)")
      ->capture_default_str();
  c->add_option("--conf", a->conf, "Confidence threshold (detect 0.25, face 0.75)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--iou", a->iou, "NMS IoU threshold (detect 0.45, face 0.3)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--max-det", a->max_det, "Maximum detections or faces kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  c->add_option("--top-k", a->top_k, "Classes reported by a classifier")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  c->add_option("--mask-threshold", a->mask_threshold,
                "Probability threshold of a one-channel segmentation output")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--depth-unit", a->depth_unit, "Depth output unit: m or relative")
      ->check(CLI::IsMember({"m", "relative"}));
  c->add_option("--layout", a->layout,
                "auto, v8, v5, end2end (detector output) or nchw, nhwc (input)")
      ->capture_default_str();
  c->add_option("--labels", a->labels, "Labels file, one class name per line");
  c->add_option("--max-image-pixels", a->max_image_pixels,
                "Refuse an image whose header declares more pixels, before decoding it")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000'000}));
  c->add_option("--device", a->device, "Execution device")->capture_default_str();
  c->add_option("--threads", a->threads, "ONNX Runtime intra-op threads (0: default)")
      ->check(CLI::Range(0, 256));
  c->add_option("--graph-opt", a->graph_opt, "Graph optimisation: disable, basic, extended, all")
      ->capture_default_str();
  c->add_option("--save", a->save,
                "Write the annotated image (depth: the colourised map) to this file");
  c->add_option("--out-dir", a->out_dir,
                "Folder for the depth map (<image>.depth.pfm + .png), class map "
                "(<image>.mask.png) and instance map (<image>.masks.png, 16-bit)")
      ->capture_default_str();
  c->add_flag("--json", a->json, "Print exactly one JSON object on stdout");
  return [a] { return run_infer(*a); };
}

}  // namespace percept::cli
