// A stand-in for libnvidia-ml.so.1 with fixed figures, so the NVML sampler's loading and unit
// conversions are tested on machines without a GPU. Signatures follow NVML's C ABI.
#include <cstring>

extern "C" {

struct FakeDevice {
  int unused;
};
static FakeDevice g_device;
static int g_initialised = 0;

int nvmlInit_v2() {
  ++g_initialised;
  return 0;
}
int nvmlShutdown() {
  --g_initialised;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void** device) {
  if (!g_initialised || index != 0) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  *device = &g_device;
  return 0;
}
int nvmlDeviceGetName(void*, char* name, unsigned int length) {
  std::strncpy(name, "Fake GPU", length);
  return 0;
}
struct Utilization {
  unsigned int gpu, memory;
};
int nvmlDeviceGetUtilizationRates(void*, Utilization* u) {
  u->gpu = 37;
  u->memory = 12;
  return 0;
}
struct Memory {
  unsigned long long total, free, used;
};
int nvmlDeviceGetMemoryInfo(void*, Memory* m) {
  m->total = 8ull << 30;
  m->used = 3ull << 30;
  m->free = m->total - m->used;
  return 0;
}
int nvmlDeviceGetTemperature(void*, int sensor, unsigned int* t) {
  if (sensor != 0) return 2;
  *t = 61;
  return 0;
}
int nvmlDeviceGetPowerUsage(void*, unsigned int* mw) {
  *mw = 71500;
  return 0;
}
// No nvmlDeviceGetClockInfo: the sampler must report that figure as null, the others not.
int fake_nvml_initialised() {
  return g_initialised;
}
}
