#include "percept/gpu/cuda.hpp"

#include <string>

namespace percept::gpu {

Status check(cudaError_t e, std::string_view what) {
  if (e == cudaSuccess) return {};
  cudaGetLastError();  // clear the non-sticky error so later checks see their own
  return Error(
      e == cudaErrorMemoryAllocation ? ErrorCode::out_of_memory : ErrorCode::device,
      "CUDA: " + std::string(what) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

bool device_available(std::string* why) {
  int n = 0;
  const Status s = check(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
  if (!s.ok()) {
    if (why) *why = s.error().message();
    return false;
  }
  if (n == 0) {
    if (why) *why = "no CUDA device";
    return false;
  }
  return true;
}

Result<Stream> Stream::create() {
  cudaStream_t s = nullptr;
  if (Status st = check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "create stream");
      !st.ok())
    return st.error();
  return Stream(s);
}

Stream& Stream::operator=(Stream&& o) noexcept {
  if (this != &o) {
    if (s_) cudaStreamDestroy(s_);
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}

Stream::~Stream() {
  if (s_) cudaStreamDestroy(s_);
}

Status Stream::synchronize() const {
  return check(cudaStreamSynchronize(s_), "stream synchronize");
}

Result<Event> Event::create(bool timing) {
  cudaEvent_t e = nullptr;
  if (Status st =
          check(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming),
                "create event");
      !st.ok())
    return st.error();
  return Event(e);
}

Event& Event::operator=(Event&& o) noexcept {
  if (this != &o) {
    if (e_) cudaEventDestroy(e_);
    e_ = std::exchange(o.e_, nullptr);
  }
  return *this;
}

Event::~Event() {
  if (e_) cudaEventDestroy(e_);
}

Status Event::record(cudaStream_t stream) const {
  return check(cudaEventRecord(e_, stream), "event record");
}

Status Event::synchronize() const {
  return check(cudaEventSynchronize(e_), "event synchronize");
}

Result<float> Event::elapsed_ms(const Event& start, const Event& end) {
  float ms = 0;
  if (Status st = check(cudaEventElapsedTime(&ms, start.e_, end.e_), "event elapsed time");
      !st.ok())
    return st.error();
  return ms;
}

namespace {

class DeviceBackend final : public MemoryBackend {
 public:
  Result<void*> allocate(size_t bytes) override {
    void* p = nullptr;
    if (Status st = check(cudaMalloc(&p, bytes), "cudaMalloc " + std::to_string(bytes) + " bytes");
        !st.ok())
      return st.error();
    return p;
  }
  void release(void* p) noexcept override { cudaFree(p); }
  const char* name() const override { return "cudaMalloc"; }
};

class PinnedBackend final : public MemoryBackend {
 public:
  explicit PinnedBackend(bool mapped) : mapped_(mapped) {}
  Result<void*> allocate(size_t bytes) override {
    void* p = nullptr;
    const unsigned flags = mapped_ ? cudaHostAllocMapped : cudaHostAllocDefault;
    if (Status st = check(cudaHostAlloc(&p, bytes, flags),
                          "cudaHostAlloc " + std::to_string(bytes) + " bytes");
        !st.ok())
      return st.error();
    return p;
  }
  void release(void* p) noexcept override { cudaFreeHost(p); }
  const char* name() const override { return "cudaHostAlloc"; }

 private:
  bool mapped_;
};

}  // namespace

std::unique_ptr<MemoryBackend> make_device_backend() {
  return std::make_unique<DeviceBackend>();
}

std::unique_ptr<MemoryBackend> make_pinned_backend(bool mapped) {
  return std::make_unique<PinnedBackend>(mapped);
}

Result<DeviceBuffer> DevicePool::allocate(size_t bytes, cudaStream_t stream) {
  Result<PoolBuffer> r = alloc_.allocate(bytes, stream);
  if (!r.ok()) return r.error();
  return DeviceBuffer(std::move(r).value());
}

Result<PinnedBuffer> PinnedPool::allocate(size_t bytes) {
  Result<PoolBuffer> r = alloc_.allocate(bytes, nullptr);
  if (!r.ok()) return r.error();
  return PinnedBuffer(std::move(r).value());
}

}  // namespace percept::gpu
