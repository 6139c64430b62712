#include "percept/telemetry/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "percept/core/error.hpp"

namespace percept {

namespace {

constexpr double kBottleneckShare = 0.2;
// An executor busy this share of the run hardly ever waits for frames: it is the limit.
constexpr double kLimitBusy = 0.8;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

double run_mean(const LatencyStats& l) {
  return l.total_count ? l.total_sum_ms / static_cast<double>(l.total_count) : 0;
}

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

// A line chart, x and y scaled to the data; y starts at 0.
std::string line_chart(const std::vector<Series>& series, const std::string& y_label) {
  const double W = 720, H = 240, L = 60, R = 150, T = 10, B = 30;
  double x0 = 1e300, x1 = -1e300, y1 = 0;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y1 = std::max(y1, y);
    }
  if (x0 > x1) return "<p>no data</p>";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 <= 0) y1 = 1;
  y1 *= 1.1;
  const auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  const auto py = [&](double y) { return T + (1 - y / y1) * (H - T - B); };
  std::string svg =
      "<svg width=\"" + fmt("%g", W) + "\" height=\"" + fmt("%g", H) + "\" font-size=\"11\">";
  svg += "<line x1=\"" + fmt("%g", L) + "\" y1=\"" + fmt("%g", H - B) + "\" x2=\"" +
         fmt("%g", W - R) + "\" y2=\"" + fmt("%g", H - B) + "\" stroke=\"#888\"/>";
  svg += "<line x1=\"" + fmt("%g", L) + "\" y1=\"" + fmt("%g", T) + "\" x2=\"" + fmt("%g", L) +
         "\" y2=\"" + fmt("%g", H - B) + "\" stroke=\"#888\"/>";
  svg += "<text x=\"2\" y=\"" + fmt("%g", T + 10) + "\">" + fmt("%.3g", y1) + "</text>";
  svg += "<text x=\"2\" y=\"" + fmt("%g", H - B) + "\">0</text>";
  svg += "<text x=\"2\" y=\"" + fmt("%g", H / 2) + "\">" + html_escape(y_label) + "</text>";
  svg += "<text x=\"" + fmt("%g", L) + "\" y=\"" + fmt("%g", H - 8) + "\">0 s</text>";
  svg += "<text x=\"" + fmt("%g", W - R - 40) + "\" y=\"" + fmt("%g", H - 8) + "\">" +
         fmt("%.0f", x1 - x0) + " s</text>";
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % std::size(kColors)];
    std::string pts;
    for (const auto& [x, y] : series[i].points) pts += fmt("%.1f,", px(x)) + fmt("%.1f ", py(y));
    svg += std::string("<polyline fill=\"none\" stroke=\"") + color + "\" points=\"" + pts + "\"/>";
    svg += std::string("<text fill=\"") + color + "\" x=\"" + fmt("%g", W - R + 8) + "\" y=\"" +
           fmt("%g", T + 14 + 14 * static_cast<double>(i)) + "\">" + html_escape(series[i].name) +
           "</text>";
  }
  return svg + "</svg>";
}

// Horizontal bars: label, value, bar length relative to the largest value.
std::string bar_chart(const std::vector<std::pair<std::string, double>>& bars,
                      const std::string& unit) {
  double vmax = 0;
  for (const auto& b : bars) vmax = std::max(vmax, b.second);
  if (bars.empty()) return "<p>no data</p>";
  if (vmax <= 0) vmax = 1;
  const double row = 20, W = 720, L = 220;
  std::string svg = "<svg width=\"" + fmt("%g", W) + "\" height=\"" +
                    fmt("%g", row * static_cast<double>(bars.size()) + 4) + "\" font-size=\"11\">";
  for (size_t i = 0; i < bars.size(); ++i) {
    const double y = row * static_cast<double>(i);
    const double w = bars[i].second / vmax * (W - L - 90);
    svg +=
        "<text x=\"0\" y=\"" + fmt("%g", y + 14) + "\">" + html_escape(bars[i].first) + "</text>";
    svg += "<rect x=\"" + fmt("%g", L) + "\" y=\"" + fmt("%g", y + 3) + "\" width=\"" +
           fmt("%.1f", w) + "\" height=\"14\" fill=\"" + kColors[i % std::size(kColors)] + "\"/>";
    svg += "<text x=\"" + fmt("%.1f", L + w + 4) + "\" y=\"" + fmt("%g", y + 14) + "\">" +
           fmt("%.3g", bars[i].second) + " " + unit + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace

TelemetryAnalysis analyze_telemetry(const std::vector<TelemetrySnapshot>& snaps) {
  TelemetryAnalysis a;
  if (snaps.empty()) {
    a.notes.push_back("The telemetry file holds no interval.");
    return a;
  }
  const TelemetrySnapshot& last = snaps.back();
  const double e2e = run_mean(last.latency);
  for (const ModelTelemetry& m : last.models) {
    const std::pair<const char*, const LatencyStats*> stages[] = {{"queue", &m.queue},
                                                                  {"preprocess", &m.preprocess},
                                                                  {"inference", &m.inference},
                                                                  {"postprocess", &m.postprocess}};
    for (const auto& [name, l] : stages) {
      StageShare s{m.id, name, run_mean(*l), e2e > 0 ? run_mean(*l) / e2e : 0};
      a.stages.push_back(s);
      if (s.share > kBottleneckShare && s.stage != "queue") a.bottlenecks.push_back(s);
    }
  }
  std::sort(a.bottlenecks.begin(), a.bottlenecks.end(),
            [](const StageShare& x, const StageShare& y) { return x.share > y.share; });

  // Each executor's busy share of the run (the counters are cumulative, the intervals
  // contiguous), and the busiest as the limit when it hardly ever waited for frames.
  double wall_s = 0;
  for (const auto& s : snaps) wall_s += s.interval_s;
  for (const ModelTelemetry& m : last.models) {
    const double busy_ms =
        m.preprocess.total_sum_ms + m.inference.total_sum_ms + m.postprocess.total_sum_ms;
    a.loads.push_back({m.id, wall_s > 0 ? busy_ms / 1000 / wall_s : 0, m.batches.total});
  }
  std::sort(a.loads.begin(), a.loads.end(),
            [](const ExecutorLoad& x, const ExecutorLoad& y) { return x.busy > y.busy; });
  if (!a.loads.empty() && a.loads.front().busy >= kLimitBusy) a.limit = a.loads.front();
  for (const StageShare& s : a.stages) {
    if (s.stage != "queue" || s.share <= kBottleneckShare) continue;
    std::string why;
    double busy = 0;
    for (const ExecutorLoad& l : a.loads)
      if (l.model == s.model) busy = l.busy, why = fmt("%.0f", std::min(l.busy, 1.0) * 100);
    std::string verdict;
    if (a.limit && a.limit->model == s.model) {
      verdict =
          ": it is the pipeline's limit. Make it faster (more threads, a smaller input, a "
          "lighter or quantized model, the GPU) or give it fewer cameras; in lossless mode the "
          "wait itself is by design.";
    } else if (busy >= kLimitBusy) {
      // Several executors saturated at once: they share the cores, each one's time includes
      // waiting for the CPU, and naming it "not saturated" would contradict the figure.
      verdict = ": it was saturated too, beside the limit (" + a.limit->model +
                "): the models share the CPU's cores and take turns, so any of them made "
                "faster, or fewer models per core, shortens the wait; in lossless mode the wait "
                "itself is by design.";
    } else {
      verdict =
          ": it was not saturated, so the wait comes from bursts (frames arriving faster than "
          "it works, at times) or from batching (max_wait_us).";
    }
    a.recommendations.push_back("Model " + s.model + ": frames wait " + fmt("%.2f", s.mean_ms) +
                                " ms (" + fmt("%.0f", s.share * 100) +
                                "% of end-to-end) for its executor, which was busy " + why +
                                "% of the run" + verdict);
  }

  for (const StageShare& s : a.bottlenecks)
    if (s.stage == "preprocess")
      a.recommendations.push_back(
          "Model " + s.model + ": preprocessing takes " + fmt("%.0f", s.share * 100) +
          "% of end-to-end time (" + fmt("%.2f", s.mean_ms) +
          " ms): enable CUDA preprocessing (letterbox on the GPU, on the executor's stream).");

  // GPU mostly idle while frames drop: batches are too small to keep it busy.
  double gpu_sum = 0;
  int gpu_n = 0;
  for (const auto& s : snaps)
    if (auto u = s.gpu_usage()) {
      gpu_sum += *u;
      ++gpu_n;
    }
  uint64_t drops = 0;
  for (const CameraTelemetry& c : last.cameras) drops += c.drops.total;
  if (gpu_n == 0) {
    a.notes.push_back("No GPU: GPU utilisation was not measured (null in every interval).");
  } else {
    const double gpu_mean = gpu_sum / gpu_n;
    if (gpu_mean < 50 && drops > 0)
      a.recommendations.push_back("The GPU was busy " + fmt("%.0f", gpu_mean) +
                                  "% of the time on average while " + std::to_string(drops) +
                                  " frames were dropped: raise max_batch so that one batch "
                                  "serves more frames.");
  }

  // p99 over a camera's deadline.
  for (const CameraTelemetry& c : last.cameras) {
    if (!c.deadline_ms) continue;
    int over = 0, n = 0;
    for (const auto& s : snaps)
      for (const CameraTelemetry& sc : s.cameras)
        if (sc.id == c.id && sc.end_to_end.count > 0) {
          ++n;
          if (sc.end_to_end.p99_ms > *c.deadline_ms) ++over;
        }
    if (over > 0)
      a.recommendations.push_back("Camera " + c.id + ": end-to-end p99 was over its " +
                                  fmt("%g", *c.deadline_ms) + " ms deadline in " +
                                  std::to_string(over) + " of " + std::to_string(n) +
                                  " intervals: use a smaller input size or the fp16 model.");
  }
  return a;
}

std::vector<TelemetrySnapshot> read_telemetry_file(const std::string& path, bool* cut_tail) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("report: cannot read '" + path + "'");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (cut_tail) *cut_tail = false;
  std::vector<TelemetrySnapshot> out;
  size_t start = 0;
  for (int n = 1; start < text.size(); ++n) {
    const size_t nl = text.find('\n', start);
    const bool terminated = nl != std::string::npos;
    const std::string line = text.substr(start, (terminated ? nl : text.size()) - start);
    start = terminated ? nl + 1 : text.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(parse_telemetry_jsonl(line));
    } catch (const Error& e) {
      // A run killed while it wrote (SIGKILL, power loss) can leave its last line cut: the
      // kernel copies a write() page by page and stops between pages for a fatal signal.
      // Every line before it is whole, so the report is still worth making.
      if (!terminated && cut_tail) {
        *cut_tail = true;
        break;
      }
      throw Error(path + ":" + std::to_string(n) + ": " + e.message());
    }
  }
  return out;
}

// The deadline controller's actions over the run (docs/CONTROL.md); nothing when it was off.
static std::string controller_section(const std::vector<TelemetrySnapshot>& snaps, double t0) {
  const TelemetrySnapshot* last = nullptr;
  for (const auto& s : snaps)
    if (s.control) last = &s;
  if (!last) return {};
  const ControlTelemetry& c = *last->control;
  std::string h = "<section id=\"controller\"><h2>Deadline controller</h2><p>" +
                  std::to_string(c.degrades_total) + " steps down, " +
                  std::to_string(c.restores_total) + " back up; ended at step " +
                  std::to_string(c.level) + " of " + std::to_string(c.steps) + " (" +
                  html_escape(c.state) + "); its own CPU time " + fmt("%.3f s", c.cpu_s) + ".</p>";
  h += "<table><tr><th>s</th><th>action</th><th>of</th><th>from</th><th>to</th><th>step</th>"
       "<th>why</th></tr>";
  for (const auto& s : snaps)
    if (s.control)
      for (const ControlAction& a : s.control->actions)
        h += "<tr class=\"" + html_escape(a.direction) + "\"><td>" + fmt("%.1f", a.t - t0) +
             "</td><td>" + html_escape(a.direction + " " + a.action) + "</td><td>" +
             html_escape(a.target) + "</td><td>" + html_escape(a.from) + "</td><td>" +
             html_escape(a.to) + "</td><td>" + std::to_string(a.level) +
             "</td><td style=\"text-align:left\">" + html_escape(a.reason) + "</td></tr>";
  return h + "</table></section>\n";
}

std::string render_report_html(const std::vector<TelemetrySnapshot>& snaps,
                               const std::string& title) {
  const TelemetryAnalysis a = analyze_telemetry(snaps);
  const double t0 = snaps.empty() ? 0 : snaps.front().t;
  std::string h = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                  html_escape(title) +
                  "</title><style>body{font-family:sans-serif;max-width:760px;margin:auto}"
                  "h2{border-bottom:1px solid #ccc}td,th{padding:2px 8px;text-align:right}"
                  "</style></head><body>\n<h1>" +
                  html_escape(title) + "</h1>\n";

  h += "<section id=\"summary\"><h2>Summary</h2>";
  if (!snaps.empty()) {
    const TelemetrySnapshot& last = snaps.back();
    h += "<p>" + std::to_string(snaps.size()) + " intervals over " +
         fmt("%.1f", last.t - t0 + last.interval_s) + " s; end-to-end mean " +
         fmt("%.2f", run_mean(last.latency)) + " ms over " +
         std::to_string(last.latency.total_count) + " frames.</p>";
  }
  h += "</section>\n";

  std::vector<Series> lat = {{"p50", {}}, {"p99", {}}};
  for (const auto& s : snaps)
    if (s.latency.count) {
      lat[0].points.emplace_back(s.t - t0, s.latency.p50_ms);
      lat[1].points.emplace_back(s.t - t0, s.latency.p99_ms);
    }
  h += "<section id=\"latency-over-time\"><h2>Latency over time</h2>" +
       line_chart(lat, "ms (end to end)") + "</section>\n";

  std::vector<std::pair<std::string, double>> stage_bars;
  for (const StageShare& s : a.stages) stage_bars.emplace_back(s.model + " " + s.stage, s.mean_ms);
  h += "<section id=\"stage-breakdown\"><h2>Per-stage breakdown</h2>"
       "<p>Mean per stage over the run (queue per frame; the others per batch).</p>" +
       bar_chart(stage_bars, "ms") + "</section>\n";

  // Per-interval p50s in ten bins: the raw samples stay in the process's histograms.
  std::vector<double> p50s;
  for (const auto& s : snaps)
    if (s.latency.count) p50s.push_back(s.latency.p50_ms);
  std::vector<std::pair<std::string, double>> bins;
  if (!p50s.empty()) {
    const auto [lo, hi] = std::minmax_element(p50s.begin(), p50s.end());
    // p50s within 0.1 ms of each other: one bar, not ten bins that all print the same label.
    const size_t n = *hi - *lo < 0.1 ? 1 : 10;
    const double width = n == 1 ? std::max(*hi - *lo, 0.01) : (*hi - *lo) / 10;
    std::vector<double> counts(n, 0);
    for (double v : p50s)
      counts[std::min<size_t>(n - 1, static_cast<size_t>((v - *lo) / width))] += 1;
    for (size_t i = 0; i < counts.size(); ++i)
      bins.emplace_back(fmt("%.2f", *lo + width * static_cast<double>(i)) + " - " +
                            fmt("%.2f ms", *lo + width * static_cast<double>(i + 1)),
                        counts[i]);
  }
  h += "<section id=\"latency-histogram\"><h2>Latency histogram</h2>"
       "<p>Intervals by their end-to-end p50.</p>" +
       bar_chart(bins, "intervals") + "</section>\n";

  std::vector<Series> fps;
  for (const auto& s : snaps)
    for (const CameraTelemetry& c : s.cameras) {
      auto it =
          std::find_if(fps.begin(), fps.end(), [&](const Series& x) { return x.name == c.id; });
      if (it == fps.end()) it = fps.insert(fps.end(), Series{c.id, {}});
      it->points.emplace_back(s.t - t0, c.fps);
    }
  h += "<section id=\"fps-per-camera\"><h2>FPS per camera</h2>" + line_chart(fps, "frames/s") +
       "</section>\n";

  Series gpu{"GPU %", {}};
  for (const auto& s : snaps)
    if (auto u = s.gpu_usage()) gpu.points.emplace_back(s.t - t0, *u);
  h += "<section id=\"gpu-utilisation\"><h2>GPU utilisation</h2>" +
       (gpu.points.empty() ? std::string("<p>no GPU (no NVML figures in the telemetry)</p>")
                           : line_chart({gpu}, "percent")) +
       "</section>\n";

  h += controller_section(snaps, t0);

  h += "<section id=\"bottlenecks\"><h2>Bottlenecks</h2>";
  if (a.limit)
    h += "<p>Limit: model " + html_escape(a.limit->model) + ", its executor busy " +
         fmt("%.0f%%", std::min(a.limit->busy, 1.0) * 100) +
         " of the run: it sets the pipeline's pace.</p>";
  if (a.bottlenecks.empty()) {
    h += "<p>No stage takes over 20% of end-to-end time.</p>";
  } else {
    h += "<table><tr><th>model</th><th>stage</th><th>mean ms</th><th>share</th></tr>";
    for (const StageShare& s : a.bottlenecks)
      h += "<tr><td>" + html_escape(s.model) + "</td><td>" + s.stage + "</td><td>" +
           fmt("%.2f", s.mean_ms) + "</td><td>" + fmt("%.0f%%", s.share * 100) + "</td></tr>";
    h += "</table>";
  }
  h += "</section>\n<section id=\"recommendations\"><h2>Recommendations</h2><ul>";
  for (const std::string& r : a.recommendations) h += "<li>" + html_escape(r) + "</li>";
  if (a.recommendations.empty()) h += "<li>None: no rule fired on these numbers.</li>";
  for (const std::string& n : a.notes) h += "<li>" + html_escape(n) + "</li>";
  h += "</ul></section>\n</body></html>\n";
  return h;
}

std::string findings_text(const TelemetryAnalysis& an) {
  std::string out;
  char line[512];
  if (an.limit) {
    std::snprintf(line, sizeof line,
                  "limit: model %s, its executor busy %.0f%% of the run (%llu batches): it sets "
                  "the pipeline's pace\n",
                  an.limit->model.c_str(), std::min(an.limit->busy, 1.0) * 100,
                  static_cast<unsigned long long>(an.limit->batches));
    out += line;
  }
  for (const StageShare& s : an.bottlenecks) {
    std::snprintf(line, sizeof line, "bottleneck: model %s %s %.0f%% of end-to-end (%.2f ms)\n",
                  s.model.c_str(), s.stage.c_str(), s.share * 100, s.mean_ms);
    out += line;
  }
  for (const std::string& r : an.recommendations) out += "recommendation: " + r + "\n";
  for (const std::string& n : an.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace percept
