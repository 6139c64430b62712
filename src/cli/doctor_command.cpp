// `percept doctor`: what a user checks first when something is off, one line each (issue 21).
// "ok" lines are what percept needs and has; "--" lines are optional parts that are missing
// (GPU, DDS, cameras), with what would bring them; "FAIL" lines stop percept from running, with
// what to do. Exit 0 when nothing failed, 1 otherwise.
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "percept/core/error.hpp"
#include "percept/core/whole_file.hpp"
#include "percept/gpu/compute_stream.hpp"
#include "percept/infer/onnxruntime_backend.hpp"
#include "percept/pipeline/config.hpp"
#include "percept/ros2/ros2.hpp"
#include "percept/telemetry/system_sampler.hpp"

namespace percept::cli {

namespace {

namespace fs = std::filesystem;

struct DoctorArgs {
  std::string config;
  std::string output_dir;
};

class Report {
 public:
  void ok(const std::string& what) { line("ok  ", what); }
  void optional(const std::string& what) { line("--  ", what); }
  void fail(const std::string& what) {
    line("FAIL", what);
    failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  static void line(const char* mark, const std::string& what) {
    std::printf("%s %s\n", mark, what.c_str());
  }
  bool failed_ = false;
};

// Interfaces that are up, with their IPv4 or IPv6 addresses: what DDS can choose from.
std::string network_interfaces() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "cannot list network interfaces";
  std::string out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !(a->ifa_flags & IFF_UP)) continue;
    const int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char host[NI_MAXHOST] = {};
    const socklen_t len =
        family == AF_INET ? sizeof(sockaddr_in) : static_cast<socklen_t>(sizeof(sockaddr_in6));
    if (getnameinfo(a->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(a->ifa_name) + " " + host +
           ((a->ifa_flags & IFF_MULTICAST) ? "" : " (no multicast)");
  }
  freeifaddrs(list);
  return out.empty() ? "no interface up" : out;
}

// Writes and removes a file in `dir` (created if missing), the way a run's sinks will.
std::string writable(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create it: " + ec.message();
  const std::string probe = (fs::path(dir) / ".percept_doctor_probe").string();
  if (Status s = write_whole_file(probe, "ok\n", false); !s) return s.error().message();
  fs::remove(probe, ec);
  return "";
}

int run_doctor(const DoctorArgs& a) {
  Report r;
  // What percept runs on: ONNX Runtime and its execution providers.
  r.ok("ONNX Runtime " + onnxruntime_version() + " loaded, CPU execution provider");
  for (const ProviderProbe& p : probe_execution_providers()) {
    if (p.name == "cpu") continue;
    if (p.loads)
      r.ok(p.name + " execution provider loads");
    else
      r.optional(p.name + " execution provider: " + p.why);
  }
  // The GPU, through the driver (CUDA) and NVML, each as percept itself will use them.
  std::string why;
  if (gpu::ComputeStream::on_cuda_device(0, &why))
    r.ok("CUDA device 0 usable (a stream was created on it)");
  else
    r.optional("CUDA: " + why + " (models run on the CPU; docs/GPU.md)");
  GpuSampler nvml;
  if (auto g = nvml.available() ? nvml.sample() : std::nullopt)
    r.ok("NVML: " + (g->name.empty() ? std::string("GPU 0") : g->name) +
         " (GPU figures in telemetry)");
  else
    r.optional("NVML: " + (nvml.reason().empty() ? "no figures" : nvml.reason()) +
               " (telemetry shows \"no GPU\")");
  // ROS 2 over DDS.
  if (ros2_available()) {
    const char* uri = std::getenv("CYCLONEDDS_URI");
    r.ok("DDS (Cyclone DDS) built in; interfaces up: " + network_interfaces() +
         "; CYCLONEDDS_URI " + (uri ? std::string("= ") + uri : std::string("unset")));
  } else {
    r.optional(
        "DDS: percept was built without Cyclone DDS (ros2 outputs and sources refused; "
        "scripts/bootstrap.sh installs it)");
  }
  // Cameras.
  std::vector<std::string> video;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/dev", ec))
    if (e.path().filename().string().rfind("video", 0) == 0) video.push_back(e.path().string());
  std::sort(video.begin(), video.end());
  if (video.empty()) {
    r.optional("V4L2 cameras: none (/dev/video*); files, streams and synthetic cameras work");
  } else {
    std::string list;
    for (const auto& v : video) list += (list.empty() ? "" : ", ") + v;
    r.ok("V4L2 cameras: " + list);
  }
  // The config, when one is named, and the folder the outputs go to.
  std::string out_dir = a.output_dir.empty() ? "." : a.output_dir;
  if (!a.config.empty()) {
    try {
      PipelineConfig cfg = load_pipeline_config(a.config);
      r.ok("config " + a.config + ": " + std::to_string(cfg.cameras.size()) + " camera(s), " +
           std::to_string(cfg.models.size()) + " model(s)");
      if (a.output_dir.empty()) out_dir = cfg.output.dir;
    } catch (const Error& e) {
      r.fail(e.message());
    }
  }
  if (const std::string problem = writable(out_dir); problem.empty())
    r.ok("output folder " + out_dir + " is writable");
  else
    r.fail("output folder " + out_dir + ": " + problem +
           " (choose another with output.dir or --output-dir)");
  std::printf(r.failed() ? "percept cannot run as it is: see the FAIL lines\n"
                         : "percept can run here\n");
  return r.failed() ? kExitFailure : kExitOk;
}

}  // namespace

std::function<int()> add_doctor_command(CLI::App& app) {
  auto a = std::make_shared<DoctorArgs>();
  CLI::App* c = app.add_subcommand(
      "doctor",
      "Check what percept needs and can use here: ONNX Runtime and its providers, GPU, "
      "DDS, cameras, the output folder");
  c->add_option("config", a->config, "Also load this pipeline config and check its output.dir");
  c->add_option("--output-dir", a->output_dir, "The folder to check (default: the config's, or .)");
  return [a] { return run_doctor(*a); };
}

}  // namespace percept::cli
