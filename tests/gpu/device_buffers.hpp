// The one device-buffer helper of the kernel tests (tests/gpu, tests/imgproc): a stream of its
// own, device memory from a gpu::DevicePool and host staging from a gpu::PinnedPool, so every
// buffer is a move-only RAII handle (gpu::DeviceBuffer) that goes back to its pool when it goes
// out of scope. Copies are synchronous: a test, not the frame path. Errors throw percept::Error
// with the CUDA call that failed (compare_kernel reports them as the kernel's failure).
//
// Lifetime: declare the DeviceBuffers before the buffers it hands out (they return their blocks
// to its pool on destruction). CUDA builds only; parity.hpp is the part every build has.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/gpu/cuda.hpp"

namespace percept::test {

class DeviceBuffers {
 public:
  DeviceBuffers() : stream_(make_stream()) {}
  DeviceBuffers(const DeviceBuffers&) = delete;
  DeviceBuffers& operator=(const DeviceBuffers&) = delete;

  cudaStream_t stream() const { return stream_.get(); }
  gpu::DevicePool& pool() { return device_; }
  void synchronize() const { stream_.synchronize().throw_if_error(); }

  // Uninitialised device memory (workspaces, buffers the test fills itself).
  gpu::DeviceBuffer allocate(size_t bytes) {
    auto dev = device_.allocate(bytes, stream());
    if (!dev.ok())
      throw Error("device allocation of " + std::to_string(bytes) +
                  " bytes: " + dev.error().message());
    return std::move(dev).value();
  }

  // An output buffer, every byte set to `poison` first (0xFF: NaN floats, -1 integers), so
  // that an element the kernel never wrote cannot pass as a right answer.
  gpu::DeviceBuffer output(size_t bytes, uint8_t poison = 0xFF) {
    gpu::DeviceBuffer b = allocate(bytes);
    gpu::check(cudaMemsetAsync(b.data(), poison, bytes, stream()), "poison").throw_if_error();
    return b;
  }

  // A copy of host memory on the device, through pinned staging as the frame path uploads.
  gpu::DeviceBuffer upload(const void* data, size_t bytes) {
    auto host = pinned_.allocate(bytes);
    if (!host.ok()) throw Error("pinned allocation: " + host.error().message());
    gpu::DeviceBuffer dev = allocate(bytes);
    std::memcpy(host->data(), data, bytes);
    gpu::check(cudaMemcpyAsync(dev.data(), host->data(), bytes, cudaMemcpyHostToDevice, stream()),
               "upload")
        .throw_if_error();
    synchronize();  // the pinned block goes back to the pool next
    return dev;
  }
  template <class T>
  gpu::DeviceBuffer upload(const std::vector<T>& v) {
    return upload(v.data(), v.size() * sizeof(T));
  }

  // The first n elements of a device buffer, after the stream's work so far.
  template <class T>
  std::vector<T> download(const gpu::DeviceBuffer& b, size_t n) {
    std::vector<T> out(n);
    gpu::check(
        cudaMemcpyAsync(out.data(), b.data(), n * sizeof(T), cudaMemcpyDeviceToHost, stream()),
        "download")
        .throw_if_error();
    synchronize();
    return out;
  }

 private:
  static gpu::Stream make_stream() {
    auto s = gpu::Stream::create();
    if (!s.ok()) throw Error(s.error().message());
    return std::move(s).value();
  }

  gpu::Stream stream_;  // destroyed last: the pools' blocks are keyed by it
  gpu::DevicePool device_;
  gpu::PinnedPool pinned_;
};

}  // namespace percept::test
