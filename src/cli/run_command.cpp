// `percept run CONFIG.yaml`: a pipeline from a config file, until its sources end or SIGINT /
// SIGTERM. The first signal drains (every accepted frame is finished and written); a second
// SIGINT at least kSignalGraceNs after the first exits at once. One closer to the first is the
// same request delivered twice (`timeout -s INT` signals the process and then its group; a
// launcher forwards the terminal's Ctrl-C on top of the terminal's own) and is ignored.
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <optional>

#include "commands.hpp"
#include "percept/core/whole_file.hpp"
#include "percept/io/image_io.hpp"
#include "percept/pipeline/runtime.hpp"
#include "percept/telemetry/report.hpp"
#include "percept/web/dashboard_server.hpp"
#include "percept/web/metrics_server.hpp"
#include "progress.hpp"

namespace percept::cli {

namespace {

std::atomic<bool> g_stop{false};
// CLOCK_MONOTONIC of the first signal, 0 before it. Lock-free, so the handler may use it.
std::atomic<int64_t> g_first_signal_ns{0};
static_assert(std::atomic<int64_t>::is_always_lock_free);
constexpr int64_t kSignalGraceNs = 1'000'000'000;

extern "C" void on_signal(int sig) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  const int64_t now = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  int64_t first = 0;
  if (g_first_signal_ns.compare_exchange_strong(first, now)) {
    g_stop.store(true);  // drain
    return;
  }
  if (sig == SIGINT && now - first >= kSignalGraceNs) _exit(130);  // a second Ctrl-C: now
}

struct RunArgs {
  std::string config;
  int64_t max_frames = -1;
  std::string mode;
  std::string output_dir;
  bool serve = false;
  DashboardServerOptions web;
  std::string port_file;
  bool no_progress = false;
};

// JPEG for the dashboard, on the runtime's preview thread (never the frame path).
std::string encode_jpeg(const Image& annotated) {
  std::vector<uchar> buf;
  try {
    cv::imencode(".jpg", mat_view(annotated.view()), buf, {cv::IMWRITE_JPEG_QUALITY, 80});
  } catch (const cv::Exception&) {
    return {};
  }
  return std::string(buf.begin(), buf.end());
}

int run_run(const RunArgs& a) {
  // First, so that a stop asked for while the config and the models load is the same drain as
  // any other (issue 24: a SIGINT in the first 0.25 s ended in "no frame could be read", exit 1).
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  PipelineConfig cfg = load_pipeline_config(a.config);
  if (a.mode == "live") cfg.mode = PipelineMode::live;
  if (a.mode == "lossless") cfg.mode = PipelineMode::lossless;
  if (!a.output_dir.empty()) {
    // A telemetry file inside output.dir moves with it: --output-dir leaves that folder alone.
    if (!cfg.telemetry.jsonl.empty()) {
      const std::filesystem::path rel =
          std::filesystem::path(cfg.telemetry.jsonl).lexically_relative(cfg.output.dir);
      if (!rel.empty() && *rel.begin() != "..")
        cfg.telemetry.jsonl = (std::filesystem::path(a.output_dir) / rel).string();
    }
    cfg.output.dir = a.output_dir;
  }
  RuntimeOptions opt;
  opt.max_frames = a.max_frames;
  opt.stop_flag = &g_stop;
  // /metrics (web module): the pipeline only hands snapshots over; the server lives here.
  std::unique_ptr<MetricsServer> metrics;
  if (cfg.telemetry.metrics_port) {
    metrics = std::make_unique<MetricsServer>(
        MetricsServerOptions{cfg.telemetry.metrics_host, *cfg.telemetry.metrics_port,
                             cfg.telemetry.metrics_allowed_hosts});
    spdlog::info("metrics: http://{}:{}/metrics", metrics->host(), metrics->port());
    opt.on_telemetry = [m = metrics.get()](const TelemetrySnapshot& t) {
      m->publish(prometheus_text(t));
    };
  }
  // The dashboard (web module), fed through the same kind of callbacks.
  std::unique_ptr<DashboardServer> dash;
  if (a.serve) {
    dash = std::make_unique<DashboardServer>(a.web);
    spdlog::info("dashboard: http://{}:{}/", dash->host(), dash->port());
    if (a.web.token.empty() && a.web.host != "127.0.0.1" && a.web.host != "localhost" &&
        a.web.host != "::1")
      spdlog::warn(
          "dashboard: {} is reachable from other machines and --token is not set: "
          "anyone who can reach it sees the cameras",
          a.web.host);
    if (!a.port_file.empty()) {
      // Whole or absent: a script polling the file never reads half a number.
      if (Status s = write_whole_file(a.port_file, std::to_string(dash->port()) + "\n", false); !s)
        throw Error(ErrorCode::io, "--port-file: " + s.error().message());
    }
    opt.on_frame = [d = dash.get()](const std::string& camera, const Image& annotated) {
      if (std::string jpeg = encode_jpeg(annotated); !jpeg.empty())
        d->publish_frame(camera, std::move(jpeg));
    };
  }
  // A progress bar (or periodic lines off a terminal) when every source has an end.
  std::unique_ptr<Progress> progress;
  if (const int64_t total = expected_frames(cfg, a.max_frames); total > 0 && !a.no_progress)
    progress = std::make_unique<Progress>(total, isatty(fileno(stderr)) != 0, stderr);
  if (dash || progress)
    opt.on_telemetry = [m = metrics.get(), d = dash.get(),
                        p = progress.get()](const TelemetrySnapshot& t) {
      if (m) m->publish(prometheus_text(t));
      if (d) d->publish_telemetry(t);
      if (p) p->update(t);
    };
  if (!cfg.telemetry.jsonl.empty()) spdlog::info("telemetry: {}", cfg.telemetry.jsonl);
  // The last snapshot holds the run's totals: the findings `percept report` gives (bottlenecks,
  // recommendations) are printed from it on exit. Written by the telemetry thread only, read
  // after run_pipeline() has joined it.
  auto last = std::make_shared<std::optional<TelemetrySnapshot>>();
  opt.on_telemetry = [prev = std::move(opt.on_telemetry), last](const TelemetrySnapshot& t) {
    if (prev) prev(t);
    *last = t;
  };
  RunSummary s = run_pipeline(cfg, opt);
  if (progress) {
    int64_t handled = 0;  // with at least one model's result, or with none (displaced, too old)
    for (const auto& c : s.cameras) handled += static_cast<int64_t>(c.completed + c.unprocessed);
    progress->finish(handled, s.fps());
  }
  std::fputs(summary_text(s).c_str(), stdout);
  if (*last) std::fputs(findings_text(analyze_telemetry({**last})).c_str(), stdout);
  for (const auto& o : s.outputs) std::printf("wrote %s\n", o.c_str());
  if (g_stop) std::printf("stopped by signal; every accepted frame was written\n");
  uint64_t captured = 0, sink_errors = 0;
  for (const auto& c : s.cameras) captured += c.captured;
  for (const auto& [name, st] : s.sinks) sink_errors += st.errors;
  // Stopped before the first frame came: nothing was asked of the sources that they failed.
  if (captured == 0 && !g_stop) {
    std::fprintf(stderr, "percept: error: no frame could be read from the configured sources\n");
    return kExitFailure;
  }
  // Outputs that are incomplete (a sink's failed writes, a summary.json that could not be
  // written: both logged where they happened) fail the run like frames that were lost.
  return s.failed() > 0 || sink_errors > 0 || !s.write_errors.empty() ? kExitFailure : kExitOk;
}

}  // namespace

std::function<int()> add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a pipeline described by a YAML config");
  c->add_option("config", a->config, "Pipeline config (YAML)")->required();
  c->add_option("--max-frames", a->max_frames, "Stop each camera after this many frames");
  c->add_option("--mode", a->mode, "Override the config's mode")
      ->check(CLI::IsMember({"live", "lossless"}));
  // The same config into another folder: a second run beside the first, or tests that must
  // not overwrite what the user's own run wrote into the config's folder.
  c->add_option(
      "--output-dir", a->output_dir,
      "Write the outputs here instead of output.dir (a telemetry JSONL inside output.dir too)");
  CLI::Option* serve =
      c->add_flag("--serve", a->serve,
                  "Serve the live dashboard, /metrics and /api while running (docs/DASHBOARD.md)");
  // The dashboard's options mean nothing without --serve: say so rather than ignore them.
  c->add_option("--port", a->web.port, "Dashboard port (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535))
      ->needs(serve);
  c->add_option("--bind", a->web.host, "Dashboard address (loopback unless asked)")
      ->capture_default_str()
      ->needs(serve);
  // An empty token would turn authentication off silently (issue 24): refused.
  c->add_option("--token", a->web.token, "Require this bearer token (or ?token=) on the dashboard")
      ->check([](const std::string& t) {
        return t.empty() ? std::string("--token must not be empty (leave it out for no token)")
                         : std::string();
      })
      ->needs(serve);
  c->add_option("--port-file", a->port_file, "Write the dashboard's port to this file once bound")
      ->needs(serve);
  // The Host check (DNS rebinding) lets IP literals, localhost and this machine's name through;
  // a dashboard reached by another DNS name needs that name here.
  c->add_option("--allow-host", a->web.allowed_hosts,
                "Also accept this Host name on the dashboard (repeatable; '*': any)")
      ->needs(serve);
  c->add_flag("--no-progress", a->no_progress, "No progress bar or progress lines");
  return [a] { return run_run(*a); };
}

}  // namespace percept::cli
