// percept: real-time perception runtime for robots. Entry point and subcommand dispatch.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <opencv2/core/utils/logger.hpp>

#include "commands.hpp"
#include "percept/core/error.hpp"
#include "percept/infer/onnxruntime_backend.hpp"

int main(int argc, char** argv) {
  using namespace percept::cli;
  // OpenCV and the FFmpeg inside it talk on stderr on their own: GStreamer fallbacks, "raised
  // OpenCV exception" blocks and "[mjpeg @ 0x...] overread" lines came before percept's one
  // line about the file (issue 21). percept reports every failure itself, naming the file or
  // camera, so theirs are off; OPENCV_LOG_LEVEL or OPENCV_FFMPEG_LOGLEVEL set by the user win.
  ::setenv("OPENCV_FFMPEG_LOGLEVEL", "8", 0);  // AV_LOG_FATAL: read when FFmpeg first opens
  if (!std::getenv("OPENCV_LOG_LEVEL"))
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  // Logs go to stderr so that stdout carries only results (`percept infer --json | jq`).
  auto logger = spdlog::stderr_color_mt("percept");
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  spdlog::set_default_logger(logger);

  CLI::App app{"percept: real-time perception runtime (ONNX models on CPU, CUDA, TensorRT)"};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", std::string("percept 0.1.0, ONNX Runtime ") + percept::onnxruntime_version());
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug details")->trigger_on_parse();
  auto infer = add_infer_command(app);
  auto run = add_run_command(app);
  auto bench = add_bench_command(app);
  auto tune = add_tune_command(app);
  auto report = add_report_command(app);
  auto doctor = add_doctor_command(app);
  auto quantize = add_quantize_command(app);

  // CLI11 would report an unknown command as a missing one; name it instead.
  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' && first != "infer" && first != "run" && first != "bench" &&
      first != "tune" && first != "report" && first != "doctor" && first != "quantize") {
    std::cerr << "percept: unknown command '" << argv[1]
              << "' (commands: infer, run, bench, tune, report, doctor, quantize; see "
              << "percept --help)\n";
    return kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "percept: " << e.what() << " (see percept --help)\n";
    return kExitBadInput;
  }
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  try {
    if (app.got_subcommand("infer")) return infer();
    if (app.got_subcommand("run")) return run();
    if (app.got_subcommand("bench")) return bench();
    if (app.got_subcommand("tune")) return tune();
    if (app.got_subcommand("report")) return report();
    if (app.got_subcommand("doctor")) return doctor();
    if (app.got_subcommand("quantize")) return quantize();
  } catch (const percept::Error& e) {
    std::cerr << "percept: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "percept: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitBadInput;
}
