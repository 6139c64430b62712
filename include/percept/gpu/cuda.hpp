// CUDA resources as values (STYLE 6, 7): errors become percept::Error with context instead
// of aborting, streams and events are move-only RAII handles, device and pinned memory come
// from caching pools (gpu/caching_allocator.hpp). Plain C++: includes only the CUDA runtime's
// C API header, so .cpp files use it without nvcc. Built only with PERCEPT_CUDA.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <string_view>

#include "percept/core/error.hpp"
#include "percept/gpu/caching_allocator.hpp"

namespace percept::gpu {

// {} for cudaSuccess, else Error("CUDA: <what>: cudaErrorName: description") with
// ErrorCode::out_of_memory for cudaErrorMemoryAllocation and ErrorCode::device for any other
// error (no driver, no device, a failed launch). Also clears the runtime's last-error slot, so
// a recoverable failure (out of memory) does not poison the next cudaGetLastError.
Status check(cudaError_t e, std::string_view what);

// Whether a usable device is present; `why` says why not (no driver, no device).
bool device_available(std::string* why = nullptr);

class Stream {
 public:
  // A non-blocking stream (does not synchronise with the legacy default stream).
  static Result<Stream> create();
  Stream() = default;
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();
  cudaStream_t get() const { return s_; }
  Status synchronize() const;

 private:
  explicit Stream(cudaStream_t s) : s_(s) {}
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  // timing = false makes a lighter event for ordering only.
  static Result<Event> create(bool timing = true);
  Event() = default;
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();
  cudaEvent_t get() const { return e_; }
  Status record(cudaStream_t stream) const;
  Status synchronize() const;
  // Milliseconds between two recorded timing events (after both completed).
  static Result<float> elapsed_ms(const Event& start, const Event& end);

 private:
  explicit Event(cudaEvent_t e) : e_(e) {}
  cudaEvent_t e_ = nullptr;
};

// Raw CUDA memory behind the pools.
std::unique_ptr<MemoryBackend> make_device_backend();  // cudaMalloc on the current device
// cudaHostAlloc; mapped = true also maps it into the device's address space (integrated GPUs).
std::unique_ptr<MemoryBackend> make_pinned_backend(bool mapped = false);

class DeviceBuffer : public PoolBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(PoolBuffer&& b) : PoolBuffer(std::move(b)) {}
};
class PinnedBuffer : public PoolBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(PoolBuffer&& b) : PoolBuffer(std::move(b)) {}
};

// Device memory for one stream's work at a time (stream-ordered reuse). Allocate outside the
// frame path (at configure time) or rely on the cache: a warm pool does not call cudaMalloc.
class DevicePool {
 public:
  explicit DevicePool(std::unique_ptr<MemoryBackend> backend = make_device_backend())
      : alloc_(std::move(backend), "device pool") {}
  Result<DeviceBuffer> allocate(size_t bytes, cudaStream_t stream);
  void release_cache() { alloc_.release_cache(); }
  PoolStats stats() const { return alloc_.stats(); }

 private:
  CachingAllocator alloc_;
};

// Page-locked host memory for every host<->device copy.
class PinnedPool {
 public:
  explicit PinnedPool(std::unique_ptr<MemoryBackend> backend = make_pinned_backend())
      : alloc_(std::move(backend), "pinned pool") {}
  Result<PinnedBuffer> allocate(size_t bytes);
  void release_cache() { alloc_.release_cache(); }
  PoolStats stats() const { return alloc_.stats(); }

 private:
  CachingAllocator alloc_;
};

}  // namespace percept::gpu
