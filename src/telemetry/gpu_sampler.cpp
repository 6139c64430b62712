// NVML through dlopen. The few types and entry points used are declared here from NVML's
// documented C ABI (nvml.h is not needed to build); every call's status is checked, and a
// figure whose call fails is reported as null.
#include <dlfcn.h>

#include <cstring>

#include "percept/telemetry/system_sampler.hpp"

namespace percept {

namespace {

using nvmlReturn_t = int;  // NVML_SUCCESS = 0
constexpr nvmlReturn_t kNvmlSuccess = 0;
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
struct nvmlUtilization_t {
  unsigned int gpu;     // percent of time a kernel ran over the last sample period
  unsigned int memory;  // percent of time device memory was read or written
};
struct nvmlMemory_t {
  unsigned long long total, free, used;  // bytes
};
constexpr int kNvmlTemperatureGpu = 0;  // NVML_TEMPERATURE_GPU
constexpr int kNvmlClockSm = 1;         // NVML_CLOCK_SM

}  // namespace

struct GpuSampler::Impl {
  void* lib = nullptr;
  nvmlDevice_t device = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  nvmlReturn_t (*get_name)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*get_utilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*get_memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*get_temperature)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*get_power)(nvmlDevice_t, unsigned int*) = nullptr;       // milliwatts
  nvmlReturn_t (*get_clock)(nvmlDevice_t, int, unsigned int*) = nullptr;  // MHz
  std::string name;

  ~Impl() {
    if (shutdown) shutdown();
    if (lib) dlclose(lib);
  }
};

namespace {

template <class F>
bool load(void* lib, const char* symbol, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  return fn != nullptr;
}

}  // namespace

GpuSampler::GpuSampler(const std::string& library, unsigned index) {
  auto impl = std::make_unique<Impl>();
  impl->lib = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!impl->lib) {
    reason_ = "NVML not loaded (" + library + ")";
    return;
  }
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  if (!load(impl->lib, "nvmlInit_v2", init) ||
      !load(impl->lib, "nvmlDeviceGetHandleByIndex_v2", get_handle) ||
      !load(impl->lib, "nvmlShutdown", shutdown)) {
    reason_ = "NVML library lacks nvmlInit_v2/nvmlDeviceGetHandleByIndex_v2";
    return;
  }
  if (init() != kNvmlSuccess) {
    reason_ = "nvmlInit failed (no driver?)";
    return;
  }
  impl->shutdown = shutdown;  // from here on ~Impl shuts NVML down
  if (get_handle(index, &impl->device) != kNvmlSuccess) {
    reason_ = "no GPU " + std::to_string(index);
    return;
  }
  // Optional entry points: a missing one leaves its figure null.
  load(impl->lib, "nvmlDeviceGetName", impl->get_name);
  load(impl->lib, "nvmlDeviceGetUtilizationRates", impl->get_utilization);
  load(impl->lib, "nvmlDeviceGetMemoryInfo", impl->get_memory);
  load(impl->lib, "nvmlDeviceGetTemperature", impl->get_temperature);
  load(impl->lib, "nvmlDeviceGetPowerUsage", impl->get_power);
  load(impl->lib, "nvmlDeviceGetClockInfo", impl->get_clock);
  char name[96] = {};
  if (impl->get_name && impl->get_name(impl->device, name, sizeof name) == kNvmlSuccess)
    impl->name.assign(name, strnlen(name, sizeof name));
  impl_ = std::move(impl);
}

GpuSampler::~GpuSampler() = default;

std::optional<GpuTelemetry> GpuSampler::sample() {
  if (!impl_) return std::nullopt;
  Impl& m = *impl_;
  GpuTelemetry g;
  g.name = m.name;
  nvmlUtilization_t u{};
  if (m.get_utilization && m.get_utilization(m.device, &u) == kNvmlSuccess) {
    g.utilization_percent = u.gpu;
    g.memory_utilization_percent = u.memory;
  }
  nvmlMemory_t mem{};
  if (m.get_memory && m.get_memory(m.device, &mem) == kNvmlSuccess) {
    g.memory_used_bytes = mem.used;
    g.memory_total_bytes = mem.total;
  }
  unsigned int v = 0;
  if (m.get_temperature && m.get_temperature(m.device, kNvmlTemperatureGpu, &v) == kNvmlSuccess)
    g.temperature_c = v;
  if (m.get_power && m.get_power(m.device, &v) == kNvmlSuccess) g.power_w = v * 1e-3;
  if (m.get_clock && m.get_clock(m.device, kNvmlClockSm, &v) == kNvmlSuccess) g.sm_clock_mhz = v;
  return g;
}

}  // namespace percept
