// `percept run CONFIG.yaml`: a pipeline from a config file, until its sources end or SIGINT /
// SIGTERM. The first signal drains (every accepted frame is finished and written); a second
// SIGINT exits at once.
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "percept/pipeline/runtime.hpp"
#include "percept/web/metrics_server.hpp"

namespace percept::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int sig) {
  if (g_stop.exchange(true) && sig == SIGINT) _exit(130);  // second Ctrl-C: now
}

struct RunArgs {
  std::string config;
  int64_t max_frames = -1;
  std::string mode;
};

int run_run(const RunArgs& a) {
  PipelineConfig cfg = load_pipeline_config(a.config);
  if (a.mode == "live") cfg.mode = PipelineMode::live;
  if (a.mode == "lossless") cfg.mode = PipelineMode::lossless;
  RuntimeOptions opt;
  opt.max_frames = a.max_frames;
  opt.stop_flag = &g_stop;
  // /metrics (web module): the pipeline only hands snapshots over; the server lives here.
  std::unique_ptr<MetricsServer> metrics;
  if (cfg.telemetry.metrics_port) {
    metrics = std::make_unique<MetricsServer>(
        MetricsServerOptions{cfg.telemetry.metrics_host, *cfg.telemetry.metrics_port});
    spdlog::info("metrics: http://{}:{}/metrics", metrics->host(), metrics->port());
    opt.on_telemetry = [m = metrics.get()](const TelemetrySnapshot& t) {
      m->publish(prometheus_text(t));
    };
  }
  if (!cfg.telemetry.jsonl.empty()) spdlog::info("telemetry: {}", cfg.telemetry.jsonl);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  RunSummary s = run_pipeline(cfg, opt);
  std::fputs(summary_text(s).c_str(), stdout);
  for (const auto& o : s.outputs) std::printf("wrote %s\n", o.c_str());
  if (g_stop) std::printf("stopped by signal; every accepted frame was written\n");
  uint64_t captured = 0, sink_errors = 0;
  for (const auto& c : s.cameras) captured += c.captured;
  for (const auto& [name, st] : s.sinks) sink_errors += st.errors;
  if (captured == 0) {
    std::fprintf(stderr, "percept: error: no frame could be read from the configured sources\n");
    return kExitFailure;
  }
  return s.failed() > 0 || sink_errors > 0 ? kExitFailure : kExitOk;
}

}  // namespace

std::function<int()> add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a pipeline described by a YAML config");
  c->add_option("config", a->config, "Pipeline config (YAML)")->required();
  c->add_option("--max-frames", a->max_frames, "Stop each camera after this many frames");
  c->add_option("--mode", a->mode, "Override the config's mode")
      ->check(CLI::IsMember({"live", "lossless"}));
  return [a] { return run_run(*a); };
}

}  // namespace percept::cli
