// `percept quantize`: INT8 post-training quantization. Calibration frames go through the
// float model's own task preprocessing (the conventions `percept run` uses), a copy of the
// model exposes every activation to be quantized, their ranges are collected in one pass, and
// the QDQ model is written (src/quantize). Then the quantized model is measured against the
// float one in the same run: result agreement and output SQNR on held-out frames, each layer's
// SQNR, speed on the task's whole path. The model is written only when the agreement holds
// (or with --force). docs/QUANTIZE.md.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench_measure.hpp"
#include "commands.hpp"
#include "frame_sources.hpp"
#include "percept/core/clock.hpp"
#include "percept/infer/model_conventions.hpp"
#include "percept/quantize/quantize.hpp"
#include "quantize_eval.hpp"

namespace percept::cli {

namespace {

namespace fs = std::filesystem;
namespace q = percept::quantize;

constexpr int kMinCalibrationFrames = 16;

struct QuantizeArgs {
  std::string model, calib, output, method = "minmax", format = "cpu", keep_float, report,
                                    save_ranges, ranges;
  double percentile = 99.99, min_agreement = 0.9;
  int frames = 200, eval_frames = 20, weight_bits = 0, threads = 0, speed_rounds = 3,
      speed_iterations = 10;
  bool quantize_head = false, force = false;
};

// Removes a temporary file when it goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);
  }
};

// A bar redrawn on a terminal, a line every few seconds otherwise.
class CalibrationProgress {
 public:
  explicit CalibrationProgress(int total) : total_(total), tty_(isatty(fileno(stderr)) != 0) {}
  void update(int done) {
    const double t = static_cast<double>(now_ns() - start_) * 1e-9;
    if (!tty_ && t - last_ < 5 && done < total_) return;
    last_ = t;
    const int width = 30, fill = total_ > 0 ? std::min(width, done * width / total_) : 0;
    std::fprintf(stderr, "%scalibrating [%s%s] %d/%d frames %.1f s%s", tty_ ? "\r" : "",
                 std::string(fill, '#').c_str(), std::string(width - fill, ' ').c_str(), done,
                 total_, t, tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void finish() {
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  int total_;
  bool tty_;
  int64_t start_ = now_ns();
  double last_ = -1e9;
};

q::Options parse_options(const QuantizeArgs& a) {
  q::Options o;
  if (a.method == "minmax")
    o.method = q::Method::minmax;
  else if (a.method == "percentile")
    o.method = q::Method::percentile;
  else if (a.method == "entropy")
    o.method = q::Method::entropy;
  else
    throw Error(ErrorCode::invalid_argument,
                "quantize --method: '" + a.method + "' (minmax, percentile, entropy)");
  if (a.format == "cpu")
    o.format = q::Format::cpu;
  else if (a.format == "tensorrt")
    o.format = q::Format::tensorrt;
  else
    throw Error(ErrorCode::invalid_argument,
                "quantize --format: '" + a.format + "' (cpu, tensorrt)");
  o.percentile = a.percentile;
  o.weight_bits = a.weight_bits;
  o.keep_head_float = !a.quantize_head;
  std::string item;
  for (char c : a.keep_float + ",") {
    if (c != ',') {
      item += c;
    } else if (!item.empty()) {
      o.keep_float.push_back(item);
      item.clear();
    }
  }
  return o;
}

nlohmann::ordered_json range_json(const q::Model::Range& r) {
  return {{"lo", r.lo}, {"hi", r.hi}, {"min", r.min}, {"max", r.max}};
}

struct SavedRanges {
  std::map<std::string, q::Model::Range> ranges;
  std::string method;  // how they were chosen, as the file says
  int frames = 0;      // calibration frames behind them
};

// A --save-ranges file, checked against the model: every calibrated tensor present, each range
// finite and holding zero. Errors name the file and the tensor.
SavedRanges load_ranges(const std::string& path, const q::Model& model) {
  std::ifstream f(path);
  if (!f) throw Error(ErrorCode::io, "quantize --ranges: cannot open '" + path + "'");
  const std::string where = "quantize --ranges '" + path + "'";
  SavedRanges out;
  try {
    const nlohmann::json j = nlohmann::json::parse(f);
    out.method = j.value("method", std::string("unknown"));
    out.frames = j.value("frames", 0);
    for (const auto& t : model.calibrated_tensors()) {
      if (!j.contains("ranges") || !j["ranges"].contains(t))
        throw Error(ErrorCode::invalid_argument,
                    where + ": no range for tensor '" + t + "' (made for another model?)");
      const auto& r = j["ranges"][t];
      q::Model::Range range{r.at("lo").get<float>(), r.at("hi").get<float>(),
                            r.at("min").get<float>(), r.at("max").get<float>()};
      if (!std::isfinite(range.lo) || !std::isfinite(range.hi) || range.lo > 0 || range.hi < 0)
        throw Error(ErrorCode::invalid_argument,
                    where + ": tensor '" + t + "': the range must be finite and hold 0");
      out.ranges[t] = range;
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::invalid_argument, where + ": " + e.what());
  }
  return out;
}

// The conventions a sidecar YAML gives the float model, as ONNX metadata entries (the same keys,
// model_conventions.hpp): the quantized file has no sidecar of its own, and a sidecar's labels
// path would not follow it to another folder, so they travel inside it.
std::map<std::string, std::string> sidecar_as_metadata(const std::string& model) {
  Result<ModelConventions> side = load_sidecar(sidecar_path(model));
  if (!side) throw Error(ErrorCode::invalid_argument, side.error().message());
  const ModelConventions& c = *side;
  std::map<std::string, std::string> m;
  const auto list = [](const auto& values) {
    std::string t = "[";
    for (size_t i = 0; i < values.size(); ++i) t += (i ? ", " : "") + std::to_string(values[i]);
    return t + "]";
  };
  if (c.task) m["task"] = *c.task;
  if (c.labels) m["names"] = nlohmann::json(*c.labels).dump();
  if (c.input_size)
    m["imgsz"] = "[" + std::to_string(c.input_size->height) + ", " +
                 std::to_string(c.input_size->width) + "]";
  if (c.nhwc) m["layout"] = *c.nhwc ? "nhwc" : "nchw";
  if (c.output_layout) m["layout"] = *c.output_layout;
  if (c.rgb) m["color"] = *c.rgb ? "rgb" : "bgr";
  if (c.mean) m["mean"] = list(*c.mean);
  if (c.std) m["std"] = list(*c.std);
  if (c.resize) m["resize"] = *c.resize;
  if (c.stride) m["stride"] = std::to_string(*c.stride);
  if (c.depth_unit) m["depth_unit"] = *c.depth_unit;
  return m;
}

int run_quantize(const QuantizeArgs& a) {
  const q::Options opt = parse_options(a);
  std::error_code same_ec;
  if (fs::exists(a.output) && fs::exists(a.model) && fs::equivalent(a.output, a.model, same_ec))
    throw Error(ErrorCode::invalid_argument, "quantize -o: would overwrite the float model");
  q::Model model(a.model, opt);  // refuses non-ONNX, quantized or unsupported models

  TaskConfig cfg;
  cfg.model_path = a.model;
  cfg.backend.intra_op_threads = a.threads;
  OpenedTask task = open_task(cfg);  // the float model's own conventions and preprocessing
  const std::string task_name = task->name();

  // Calibration: every 10th frame (up to --eval-frames) is held out for the comparison.
  std::map<std::string, q::TensorStats> stats;
  std::vector<Image> held_out;
  int calibrated = 0;
  const int64_t t_calib = now_ns();
  // The float model with every calibrated tensor as an output: it collects the ranges, and the
  // comparison below reads the same tensors from it again.
  TempFile calib_model{a.output + ".calibration.tmp.onnx"};
  std::unique_ptr<Backend> probe;
  const auto open_probe = [&]() -> Backend& {
    if (!probe) {
      model.write_calibration_model(calib_model.path);
      probe = create_backend(calib_model.path, cfg.backend);
    }
    return *probe;
  };
  if (a.ranges.empty() || a.eval_frames > 0) {
    auto sources = open_frame_sources(a.calib, a.frames + a.eval_frames, "quantize --calib");
    const std::vector<std::string>& tensors = model.calibrated_tensors();
    if (a.ranges.empty()) open_probe();
    CalibrationProgress progress(a.ranges.empty() ? a.frames : 0);
    Image frame;
    size_t src = 0, left = sources.size();
    std::vector<char> ended(sources.size(), 0);  // a finished source is not read again
    std::vector<int> reads(sources.size(), 0);   // held-out frames come from every source
    int read = 0;
    while ((a.ranges.empty() && calibrated < a.frames) ||
           static_cast<int>(held_out.size()) < a.eval_frames) {
      if (left == 0) break;
      const size_t at = src;
      src = (src + 1) % sources.size();
      if (ended[at]) continue;
      Result<bool> got = sources[at]->read(frame);
      if (!got)
        throw Error(ErrorCode::io, "quantize --calib " + a.calib + ": " + got.error().message());
      if (!*got) {
        ended[at] = 1;
        --left;
        continue;
      }
      ++read;
      ++reads[at];
      // Every 10th frame is held out while calibration runs; after it (or with --ranges),
      // every frame until there are enough.
      const bool calibrating = probe && calibrated < a.frames;
      if (static_cast<int>(held_out.size()) < a.eval_frames &&
          (reads[at] % 10 == 0 || !calibrating)) {
        held_out.push_back(frame);
        continue;
      }
      if (!calibrating) continue;
      const ImageView v = frame.view();
      auto inputs = task->preprocess(std::span<const ImageView>(&v, 1));
      if (!inputs)
        throw Error(ErrorCode::invalid_argument,
                    "quantize: frame " + std::to_string(read) + ": " + inputs.error().message());
      for (size_t k = 0; k < inputs->size(); ++k) {
        const std::string& name = task.backend->inputs()[k].name;
        if ((*inputs)[k].dtype == DType::f32 &&
            std::find(tensors.begin(), tensors.end(), name) != tensors.end())
          stats[name].add((*inputs)[k].as<float>(), static_cast<size_t>((*inputs)[k].numel()));
      }
      auto outs = probe->run(*inputs);
      if (!outs)
        throw Error(ErrorCode::model, "quantize: calibration run: " + outs.error().message());
      for (size_t k = 0; k < outs->size(); ++k) {
        const std::string& name = probe->outputs()[k].name;
        const TensorView& t = (*outs)[k];
        if (t.dtype == DType::f32 &&
            std::find(tensors.begin(), tensors.end(), name) != tensors.end())
          stats[name].add(t.as<float>(), static_cast<size_t>(t.numel()));
      }
      progress.update(++calibrated);
    }
    progress.finish();
    if (a.ranges.empty() && calibrated < kMinCalibrationFrames)
      throw Error(ErrorCode::invalid_argument,
                  "quantize --calib " + a.calib + ": " + std::to_string(calibrated) +
                      " calibration frames; at least " + std::to_string(kMinCalibrationFrames) +
                      " are needed (200 recommended), besides the held-out ones");
  }
  const double calib_s = static_cast<double>(now_ns() - t_calib) * 1e-9;

  std::map<std::string, q::Model::Range> ranges;
  std::string method = q::method_name(opt.method);  // the ranges file's, with --ranges
  if (!a.ranges.empty()) {
    SavedRanges saved = load_ranges(a.ranges, model);
    ranges = std::move(saved.ranges);
    method = saved.method;
    calibrated = saved.frames;
  } else {
    for (const auto& t : model.calibrated_tensors()) {
      auto it = stats.find(t);
      if (it == stats.end() || it->second.count() == 0)
        throw Error(ErrorCode::model,
                    "quantize: calibration saw no finite values in tensor '" + t + "'");
      ranges[t] = it->second.range(opt.method, opt.percentile);
    }
  }
  if (!a.save_ranges.empty()) {
    nlohmann::ordered_json j;
    j["model"] = a.model;
    j["method"] = method;
    j["frames"] = calibrated;
    for (const auto& [t, r] : ranges) j["ranges"][t] = range_json(r);
    std::ofstream f(a.save_ranges);
    f << j.dump(1) << "\n";
    if (!f.flush())
      throw Error(ErrorCode::io, "quantize --save-ranges: cannot write '" + a.save_ranges + "'");
  }

  int float_nodes = 0, quantized_nodes = 0;
  for (const auto& d : model.decisions()) {
    if (d.op == "Constant") continue;
    (d.quantized ? quantized_nodes : float_nodes)++;
  }
  std::map<std::string, std::string> meta = sidecar_as_metadata(a.model);
  meta.insert({{"percept.quantize.format", q::format_name(opt.format)},
               {"percept.quantize.method", method},
               {"percept.quantize.weight_bits", std::to_string(opt.effective_weight_bits())},
               {"percept.quantize.calibration_frames", std::to_string(calibrated)},
               {"percept.quantize.float_model", fs::path(a.model).filename().string()},
               {"percept.quantize.quantized_nodes", std::to_string(quantized_nodes)},
               {"percept.quantize.float_nodes", std::to_string(float_nodes)}});
  const std::string staged = a.output + ".tmp.onnx";
  TempFile staged_file{staged};
  model.write_quantized(staged, ranges, meta);

  // The comparison, on the held-out frames.
  nlohmann::ordered_json report;
  report["model"] = a.model;
  report["output"] = a.output;
  report["task"] = task_name;
  report["format"] = q::format_name(opt.format);
  report["method"] = method;
  if (!a.ranges.empty()) report["ranges_file"] = a.ranges;
  if (opt.method == q::Method::percentile) report["percentile"] = opt.percentile;
  report["weight_bits"] = opt.effective_weight_bits();
  report["calibration"] = {{"source", a.calib}, {"frames", calibrated}, {"seconds", calib_s}};
  // NaN or infinity in the float model's own activations: left out of the ranges, and said.
  int64_t nonfinite = 0;
  for (const auto& [t, st] : stats)
    if (st.nonfinite() > 0) {
      nonfinite += st.nonfinite();
      report["calibration"]["nonfinite_values"][t] = st.nonfinite();
    }
  report["sizes"] = {{"float_bytes", fs::file_size(a.model)},
                     {"int8_bytes", fs::file_size(staged)}};
  auto& nodes = report["nodes"] = nlohmann::ordered_json::array();
  for (const auto& d : model.decisions()) {
    if (d.op == "Constant") continue;
    nlohmann::ordered_json n = {{"name", d.name}, {"op", d.op}, {"quantized", d.quantized}};
    if (!d.quantized) n["why_float"] = d.why;
    nodes.push_back(n);
  }
  report["quantized_nodes"] = quantized_nodes;
  report["float_nodes"] = float_nodes;
  report["unsupported_ops"] = model.unsupported_ops();
  for (const auto& [t, r] : ranges) report["ranges"][t] = range_json(r);

  Agreement agreement;
  std::vector<std::pair<std::string, double>> output_sqnr, layer_sqnr;
  if (!held_out.empty()) {
    TaskConfig qcfg = cfg;
    qcfg.model_path = staged;
    OpenedTask qtask = open_task(qcfg);
    AgreementMeter meter(task_name);
    std::map<std::string, Sqnr> outs_sqnr;
    for (const Image& f : held_out) {
      const ImageView v = f.view();
      ModelOutput ref, got;
      if (Status s = task->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&ref, 1));
          !s)
        throw Error(ErrorCode::model, "quantize: float model: " + s.error().message());
      if (Status s = qtask->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&got, 1));
          !s)
        throw Error(ErrorCode::model, "quantize: quantized model: " + s.error().message());
      meter.add(ref, got);
    }
    agreement = meter.result();

    // Raw outputs and every planned tensor: the probe model (dequantized copies as outputs)
    // against the calibration model (float tensors as outputs) on the same inputs.
    TempFile int8_probe{a.output + ".int8-probe.tmp.onnx"};
    model.write_quantized(int8_probe.path, ranges, meta, /*probe=*/true);
    Backend* fb = &open_probe();
    auto qb = create_backend(int8_probe.path, cfg.backend);
    std::map<std::string, Sqnr> layer;
    std::map<std::string, std::string> base_of;  // dequantized copy -> the tensor it copies
    for (const auto& t : model.quantized_tensors())
      if (model.dequantized_name(t) != t) base_of[model.dequantized_name(t)] = t;
    std::map<std::string, std::vector<float>> ref_copy;
    for (const Image& f : held_out) {
      const ImageView v = f.view();
      auto inputs = task->preprocess(std::span<const ImageView>(&v, 1));
      if (!inputs) throw Error(ErrorCode::model, "quantize: " + inputs.error().message());
      auto fo = fb->run(*inputs);
      if (!fo) throw Error(ErrorCode::model, "quantize: " + fo.error().message());
      std::map<std::string, TensorView> fmap;
      for (size_t k = 0; k < fo->size(); ++k) fmap[fb->outputs()[k].name] = (*fo)[k];
      ref_copy.clear();  // the float views are invalid after the next run: keep copies
      for (const auto& [name, t] : fmap)
        if (t.dtype == DType::f32) ref_copy[name].assign(t.as<float>(), t.as<float>() + t.numel());
      auto qo = qb->run(*inputs);
      if (!qo) throw Error(ErrorCode::model, "quantize: " + qo.error().message());
      for (size_t k = 0; k < qo->size(); ++k) {
        const std::string& name = qb->outputs()[k].name;
        const TensorView& t = (*qo)[k];
        if (t.dtype != DType::f32) continue;
        auto layer_of = base_of.find(name);  // a dequantized copy, or a model output
        const bool dq = layer_of != base_of.end();
        const std::string& base = dq ? layer_of->second : name;
        auto r = ref_copy.find(base);
        if (r == ref_copy.end() || r->second.size() != static_cast<size_t>(t.numel())) continue;
        (dq ? layer[base] : outs_sqnr[base]).add(r->second.data(), t.as<float>(), r->second.size());
      }
    }
    for (const auto& o : task.backend->outputs()) {
      auto it = outs_sqnr.find(o.name);  // not float, or another size: not compared
      if (it != outs_sqnr.end()) output_sqnr.push_back({o.name, it->second.db()});
    }
    for (const auto& [name, s] : layer) layer_sqnr.push_back({name, s.db()});
    std::sort(layer_sqnr.begin(), layer_sqnr.end(),
              [](const auto& x, const auto& y) { return x.second < y.second; });

    // Speed: float and int8 alternate, so both see the same machine load.
    std::vector<double> f50, q50;
    const MeasureOptions mo{2, a.speed_iterations, 0};
    const Image& frame = held_out.front();
    for (int r = 0; r < a.speed_rounds; ++r) {
      auto hf = measure_task_path(*task, frame, 1, mo);
      auto hq = measure_task_path(*qtask, frame, 1, mo);
      if (!hf || !hq) throw Error(ErrorCode::model, "quantize: speed measurement failed");
      f50.push_back(ns_to_ms(hf->quantile(0.5)));
      q50.push_back(ns_to_ms(hq->quantile(0.5)));
    }
    std::sort(f50.begin(), f50.end());
    std::sort(q50.begin(), q50.end());
    const double fm = f50[f50.size() / 2], qm = q50[q50.size() / 2];
    report["speed"] = {
        {"what",
         "task path (preprocess + inference + postprocess), batch 1, median of per-round p50s"},
        {"frame", {frame.width(), frame.height()}},
        {"rounds", a.speed_rounds},
        {"iterations", a.speed_iterations},
        {"threads", a.threads},
        {"float_ms", fm},
        {"int8_ms", qm},
        {"speedup", qm > 0 ? fm / qm : 0.0}};
  }
  report["evaluation_frames"] = held_out.size();
  report["agreement"] = {{"metric", agreement.metric},
                         {"value", agreement.value},
                         {"compared", agreement.compared},
                         {"min", a.min_agreement}};
  if (task_name == "depth") report["agreement"]["abs_rel"] = agreement.abs_rel;
  if (!agreement.note.empty()) report["agreement"]["note"] = agreement.note;
  for (const auto& [n, db] : output_sqnr) report["output_sqnr_db"][n] = db;
  auto& ls = report["layer_sqnr_db"] = nlohmann::ordered_json::array();
  for (const auto& [n, db] : layer_sqnr) ls.push_back({{"tensor", n}, {"sqnr_db", db}});
  const bool collapsed = !held_out.empty() && agreement.value < a.min_agreement;
  report["accepted"] = !collapsed;

  // The text report.
  std::printf("%s -> %s (%s, %s ranges, %d-bit weights)\n", a.model.c_str(), a.output.c_str(),
              q::format_name(opt.format), method.c_str(), opt.effective_weight_bits());
  if (a.ranges.empty())
    std::printf("calibration: %d frames from %s in %.1f s\n", calibrated, a.calib.c_str(), calib_s);
  else
    std::printf("ranges: %s (calibrated on %d frames)\n", a.ranges.c_str(), calibrated);
  if (nonfinite > 0)
    std::printf(
        "warning: the float model produced %lld NaN or infinite values on the calibration "
        "frames (left out of the ranges; per tensor in the report)\n",
        static_cast<long long>(nonfinite));
  std::printf("nodes: %d quantized, %d float", quantized_nodes, float_nodes);
  std::map<std::string, int> why;
  for (const auto& d : model.decisions())
    if (!d.quantized && d.op != "Constant") why[d.why]++;
  const char* sep = " (";
  for (const auto& [w, n] : why) std::printf("%s%s %d", sep, w.c_str(), n), sep = ", ";
  std::printf("%s\n", why.empty() ? "" : ")");
  if (!model.unsupported_ops().empty()) {
    std::printf("left float, no quantized form:");
    for (const auto& op : model.unsupported_ops()) std::printf(" %s", op.c_str());
    std::printf("\n");
  }
  std::printf("size: %.2f MB float -> %.2f MB int8\n",
              static_cast<double>(fs::file_size(a.model)) / 1e6,
              static_cast<double>(fs::file_size(staged)) / 1e6);
  if (!held_out.empty()) {
    const auto& sp = report["speed"];
    const std::string threads =
        a.threads > 0 ? std::to_string(a.threads) + " threads" : "ONNX Runtime's default threads";
    std::printf("speed (task path, batch 1, %s): float %.2f ms, int8 %.2f ms: %.2fx\n",
                threads.c_str(), sp["float_ms"].get<double>(), sp["int8_ms"].get<double>(),
                sp["speedup"].get<double>());
    std::printf("agreement on %zu held-out frames: %s %.4f (accepted at >= %.2f)%s%s\n",
                held_out.size(), agreement.metric.c_str(), agreement.value, a.min_agreement,
                agreement.note.empty() ? "" : "; ", agreement.note.c_str());
    for (const auto& [n, db] : output_sqnr) std::printf("output %s: SQNR %.1f dB\n", n.c_str(), db);
    std::printf("lowest layer SQNR:");
    for (size_t i = 0; i < std::min<size_t>(5, layer_sqnr.size()); ++i)
      std::printf(" %s %.1f dB;", layer_sqnr[i].first.c_str(), layer_sqnr[i].second);
    std::printf("\n");
  } else {
    std::printf("no held-out frames (%s): accuracy and speed not measured\n",
                a.eval_frames == 0 ? "--eval-frames 0" : "--calib gave none");
  }
  if (!a.report.empty()) {
    std::ofstream f(a.report);
    f << report.dump(1) << "\n";
    if (!f.flush())
      throw Error(ErrorCode::io, "quantize --report: cannot write '" + a.report + "'");
  }
  if (collapsed && !a.force) {
    std::fprintf(stderr,
                 "quantize: accuracy collapsed: %s %.4f < %.2f; '%s' not written (--force writes "
                 "it anyway; --keep-float or --method may help)\n",
                 agreement.metric.c_str(), agreement.value, a.min_agreement, a.output.c_str());
    return kExitFailure;
  }
  std::error_code ec;
  fs::rename(staged, a.output, ec);
  if (ec) throw Error(ErrorCode::io, "quantize: cannot write '" + a.output + "': " + ec.message());
  staged_file.path.clear();
  if (collapsed) std::fprintf(stderr, "quantize: accuracy collapsed; written anyway (--force)\n");
  std::printf("written: %s\n", a.output.c_str());
  return collapsed ? kExitFailure : kExitOk;
}

}  // namespace

std::function<int()> add_quantize_command(CLI::App& app) {
  auto a = std::make_shared<QuantizeArgs>();
  CLI::App* c = app.add_subcommand("quantize", "INT8 post-training quantization (QDQ model)");
  c->add_option("-m,--model", a->model, "Float ONNX model")->required();
  c->add_option("--calib", a->calib,
                "Calibration frames: an image folder or glob, a video, a pipeline config or "
                "'synthetic'")
      ->required();
  c->add_option("-o,--output", a->output, "Quantized model to write")->required();
  c->add_option("--frames", a->frames, "Calibration frames")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  c->add_option("--eval-frames", a->eval_frames,
                "Frames held out (every 10th) to compare the models on; 0: no comparison")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  c->add_option("--method", a->method, "Activation ranges: minmax, percentile or entropy")
      ->capture_default_str();
  c->add_option("--percentile", a->percentile, "For --method percentile")
      ->capture_default_str()
      ->check(CLI::Range(50.0, 100.0));
  c->add_option("--format", a->format,
                "cpu (uint8 activations: x86 ONNX Runtime) or tensorrt (int8, zero point 0)")
      ->capture_default_str();
  c->add_option("--weight-bits", a->weight_bits, "7 or 8 (default: 7 for cpu, 8 for tensorrt)")
      ->check(CLI::IsMember({7, 8}));
  c->add_option("--keep-float", a->keep_float,
                "Node names or operator types to leave float, comma-separated");
  c->add_flag("--quantize-head", a->quantize_head,
              "Quantize the output layers too (default: float)");
  c->add_option("--threads", a->threads, "ONNX Runtime intra-op threads (0: default)")
      ->check(CLI::Range(0, 256));
  c->add_option("--min-agreement", a->min_agreement,
                "Below this result agreement the model is not written")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_flag("--force", a->force, "Write the model even when the agreement is below the bound");
  c->add_option("--report", a->report, "Write the report as JSON");
  c->add_option("--save-ranges", a->save_ranges, "Write the activation ranges as JSON");
  c->add_option("--ranges", a->ranges,
                "Use ranges from --save-ranges instead of calibrating (e.g. the other --format)");
  c->add_option("--speed-rounds", a->speed_rounds, "Alternating float/int8 timing rounds")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  c->add_option("--speed-iterations", a->speed_iterations, "Timed runs per model per round")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  return [a] { return run_quantize(*a); };
}

}  // namespace percept::cli
