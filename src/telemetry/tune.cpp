#include "percept/telemetry/tune.hpp"

#include <algorithm>
#include <cstdio>

namespace percept {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string describe(const TuneSetting& s) {
  return "batch " + std::to_string(s.batch) + ", " +
         (s.threads == 0   ? std::string("default threads")
          : s.threads == 1 ? std::string("1 thread")
                           : std::to_string(s.threads) + " threads");
}

std::string describe(const TuneMeasurement& m) {
  return (m.model.empty() ? std::string() : m.model + ", ") + describe(m.setting);
}

std::string constraints_text(const TuneConstraints& c) {
  std::string out;
  if (c.max_latency_ms) out += "p99 <= " + fmt("%g", *c.max_latency_ms) + " ms";
  if (c.min_fps)
    out += (out.empty() ? "" : " and ") + std::string(">= ") + fmt("%g", *c.min_fps) + " frames/s";
  if (c.min_agreement)
    out +=
        (out.empty() ? "" : " and ") + std::string("agreement >= ") + fmt("%g", *c.min_agreement);
  return out.empty() ? "no constraint" : out;
}

// A double-quoted YAML scalar.
std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::vector<TuneMeasurement> tune_sweep(const std::vector<int>& threads,
                                        const std::vector<int>& batches,
                                        const TuneMeasureFn& measure, double stop_drop) {
  std::vector<int> sorted = batches;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<TuneMeasurement> out;
  std::string first_error;
  for (int t : threads) {
    double best = 0;
    for (int b : sorted) {
      Result<TuneMeasurement> r = measure({t, b});
      if (!r) {
        if (first_error.empty()) first_error = r.error().message();
        break;
      }
      out.push_back(*r);
      best = std::max(best, r->throughput_fps);
      if (r->throughput_fps < (1.0 - stop_drop) * best) break;
    }
  }
  if (out.empty())
    throw Error("tune: no setting could be measured" +
                (first_error.empty() ? std::string() : ": " + first_error));
  return out;
}

TuneResult tune_choose(const std::vector<TuneMeasurement>& measured, const TuneConstraints& c) {
  TuneResult r;
  for (const TuneMeasurement& m : measured) {
    TuneRow row{m, true, ""};
    if (c.max_latency_ms && m.p99_ms > *c.max_latency_ms) {
      row.meets = false;
      row.note = "p99 over " + fmt("%g", *c.max_latency_ms) + " ms";
    }
    if (c.min_fps && m.throughput_fps < *c.min_fps) {
      row.meets = false;
      row.note += (row.note.empty() ? "" : "; ") + std::string("under ") + fmt("%g", *c.min_fps) +
                  " frames/s";
    }
    if (c.min_agreement && m.agreement >= 0 && m.agreement < *c.min_agreement) {
      row.meets = false;
      row.note += (row.note.empty() ? "" : "; ") + std::string("agreement ") +
                  fmt("%.4f", m.agreement) + " under " + fmt("%g", *c.min_agreement);
    }
    r.rows.push_back(std::move(row));
  }
  const auto better = [](const TuneMeasurement& a, const TuneMeasurement& b) {
    if (a.throughput_fps != b.throughput_fps) return a.throughput_fps > b.throughput_fps;
    if (a.p99_ms != b.p99_ms) return a.p99_ms < b.p99_ms;
    if (a.setting.threads != b.setting.threads) return a.setting.threads < b.setting.threads;
    return a.setting.batch < b.setting.batch;
  };
  for (size_t i = 0; i < r.rows.size(); ++i)
    if (r.rows[i].meets && (!r.best || better(r.rows[i].m, r.rows[*r.best].m))) r.best = i;
  if (r.best) {
    const TuneMeasurement& b = r.rows[*r.best].m;
    r.rows[*r.best].note = "best";
    r.reason = describe(b) + ": the highest throughput (" + fmt("%.1f", b.throughput_fps) +
               " frames/s, p99 " + fmt("%.2f", b.p99_ms) + " ms) of the settings that meet " +
               constraints_text(c) + ".";
    return r;
  }
  // None meets them: say what came closest on each side.
  size_t fastest = 0, quickest = 0;
  for (size_t i = 1; i < r.rows.size(); ++i) {
    if (r.rows[i].m.throughput_fps > r.rows[fastest].m.throughput_fps) fastest = i;
    if (r.rows[i].m.p99_ms < r.rows[quickest].m.p99_ms) quickest = i;
  }
  r.reason = "NO setting meets " + constraints_text(c) +
             ". Highest throughput: " + describe(r.rows[fastest].m) + " (" +
             fmt("%.1f", r.rows[fastest].m.throughput_fps) +
             " frames/s); lowest p99: " + describe(r.rows[quickest].m) + " (" +
             fmt("%.2f", r.rows[quickest].m.p99_ms) +
             " ms). Relax a constraint, use a smaller input, or a faster device.";
  return r;
}

std::string tune_table(const TuneResult& r) {
  // Variants add two columns: the model file and its agreement with the reference model.
  size_t model_w = 0;
  for (const TuneRow& row : r.rows) model_w = std::max(model_w, row.m.model.size());
  const auto variant_cols = [&](const TuneMeasurement& m) -> std::string {
    if (model_w == 0) return "";
    char buf[512];
    const std::string agree = m.agreement < 0 ? "ref" : fmt("%.4f", m.agreement);
    std::snprintf(buf, sizeof buf, "%-*s %9s ", static_cast<int>(model_w), m.model.c_str(),
                  agree.c_str());
    return buf;
  };
  std::string out;
  char line[160];
  if (model_w > 0) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-*s %9s ", static_cast<int>(model_w), "model", "agreement");
    out += buf;
  }
  std::snprintf(line, sizeof line, "%-8s %-6s %10s %10s %12s  %s\n", "threads", "batch", "p50 ms",
                "p99 ms", "frames/s", "");
  out += line;
  for (const TuneRow& row : r.rows) {
    const std::string threads =
        row.m.setting.threads ? std::to_string(row.m.setting.threads) : "default";
    out += variant_cols(row.m);
    std::snprintf(line, sizeof line, "%-8s %-6d %10.3f %10.3f %12.1f  %s\n", threads.c_str(),
                  row.m.setting.batch, row.m.p50_ms, row.m.p99_ms, row.m.throughput_fps,
                  row.note.c_str());
    out += line;
  }
  return out;
}

std::string tune_yaml(const TuneMeasurement& best, const std::string& model_id,
                      const std::string& model_path, const std::string& device) {
  std::string out = "# percept tune on " + device + ": " + describe(best) + ", " +
                    fmt("%.1f", best.throughput_fps) + " frames/s, p99 " +
                    fmt("%.2f", best.p99_ms) + " ms per batch\n";
  out += "models:\n";
  out += "  - id: " + quoted(model_id) + "\n";
  out += "    path: " + quoted(model_path) + "\n";
  out += "    max_batch: " + std::to_string(best.setting.batch) + "\n";
  out += "    threads: " + std::to_string(best.setting.threads) + "\n";
  return out;
}

}  // namespace percept
