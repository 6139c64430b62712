// `percept run CONFIG.yaml`: a pipeline from a config file, to the end of its sources.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "commands.hpp"
#include "percept/core/clock.hpp"
#include "percept/pipeline/runner.hpp"

namespace percept::cli {

namespace {

struct RunArgs {
  std::string config;
  int64_t max_frames = -1;
};

int run_run(const RunArgs& a) {
  PipelineConfig cfg = load_pipeline_config(a.config);
  RunOptions opt;
  opt.max_frames = a.max_frames;
  RunSummary s = run_pipeline(cfg, opt);
  std::printf("frames %lld (%lld failed), %.1f FPS, end-to-end latency p50 %.2f ms, p99 %.2f ms\n",
              static_cast<long long>(s.frames), static_cast<long long>(s.failed_frames), s.fps(),
              ns_to_ms(s.end_to_end_ns.quantile(0.5)), ns_to_ms(s.end_to_end_ns.quantile(0.99)));
  std::printf("stages p50: preprocess %.2f ms, inference %.2f ms, postprocess %.2f ms\n",
              ns_to_ms(s.preprocess_ns.quantile(0.5)), ns_to_ms(s.inference_ns.quantile(0.5)),
              ns_to_ms(s.postprocess_ns.quantile(0.5)));
  for (const auto& o : s.outputs) std::printf("wrote %s\n", o.c_str());
  if (s.frames == 0) {
    std::fprintf(stderr, "percept: error: no frame could be read from the configured sources\n");
    return kExitFailure;
  }
  return s.failed_frames > 0 || s.sink_errors > 0 ? kExitFailure : kExitOk;
}

}  // namespace

std::function<int()> add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a pipeline described by a YAML config");
  c->add_option("config", a->config, "Pipeline config (YAML)")->required();
  c->add_option("--max-frames", a->max_frames, "Stop each camera after this many frames");
  return [a] { return run_run(*a); };
}

}  // namespace percept::cli
