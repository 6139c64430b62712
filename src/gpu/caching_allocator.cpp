#include "percept/gpu/caching_allocator.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <string>

namespace percept::gpu {

Result<void*> HeapBackend::allocate(size_t bytes) {
  // 64-byte aligned like ONNX Runtime's own CPU buffers, whose kernels use aligned vector loads
  // (outputs bound to these blocks are written in place, backend.hpp).
  constexpr size_t kAlign = 64;
  void* p = std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  if (!p)
    return Error(ErrorCode::out_of_memory,
                 "heap: out of memory (" + std::to_string(bytes) + " bytes)");
  return p;
}

void HeapBackend::release(void* p) noexcept {
  std::free(p);
}

Result<void*> FailNthBackend::allocate(size_t bytes) {
  ++calls_;
  if (calls_ == n_ || (sticky_ && calls_ > n_)) {
    ++failures_;
    return Error(ErrorCode::out_of_memory, "injected out of memory (allocation " +
                                               std::to_string(calls_) + ", " +
                                               std::to_string(bytes) + " bytes)");
  }
  return inner_->allocate(bytes);
}

size_t size_class(size_t bytes) {
  constexpr size_t kMin = 256;
  if (bytes <= kMin) return kMin;
  // Largest power of two <= bytes, then the next quarter step at or above bytes.
  const size_t p = std::bit_floor(bytes);
  const size_t quarter = p / 4;
  return (bytes + quarter - 1) / quarter * quarter;
}

PoolBuffer& PoolBuffer::operator=(PoolBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = std::exchange(o.owner_, nullptr);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    stream_ = std::exchange(o.stream_, nullptr);
  }
  return *this;
}

void PoolBuffer::reset() noexcept {
  if (owner_ && data_) owner_->give_back(data_, size_, capacity_, stream_);
  owner_ = nullptr;
  data_ = nullptr;
  size_ = capacity_ = 0;
  stream_ = nullptr;
}

CachingAllocator::CachingAllocator(std::unique_ptr<MemoryBackend> backend, std::string name)
    : backend_(std::move(backend)), name_(std::move(name)) {}

CachingAllocator::~CachingAllocator() {
  std::lock_guard lock(mu_);
  release_cache_locked();
}

Result<PoolBuffer> CachingAllocator::allocate(size_t bytes, const void* stream) {
  if (bytes == 0) return Error(ErrorCode::invalid_argument, name_ + ": zero-byte allocation");
  const size_t cls = size_class(bytes);
  std::lock_guard lock(mu_);
  auto account = [&](void* p) {
    stats_.bytes_in_use += cls;
    stats_.bytes_requested += bytes;
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
    return PoolBuffer(this, p, bytes, cls, stream);
  };
  if (auto it = free_.find({stream, cls}); it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    stats_.bytes_cached -= cls;
    ++stats_.cache_hits;
    return account(p);
  }
  ++stats_.cache_misses;
  Result<void*> r = backend_->allocate(cls);
  if (!r.ok()) {
    ++stats_.backend_failures;
    if (stats_.bytes_cached > 0) {
      release_cache_locked();  // blocks of other classes or streams may make room
      r = backend_->allocate(cls);
      if (!r.ok()) ++stats_.backend_failures;
    }
  }
  if (!r.ok()) {
    // The backend's code (a CUDA failure other than memory stays ErrorCode::device); a failure
    // it left unclassified counts as out of memory, as the message says.
    const ErrorCode code =
        r.error().code() == ErrorCode::unknown ? ErrorCode::out_of_memory : r.error().code();
    return Error(code, name_ + ": out of memory allocating " + std::to_string(bytes) + " bytes (" +
                           std::to_string(stats_.bytes_in_use) +
                           " bytes in use, cache released): " + r.error().message());
  }
  ++stats_.backend_allocations;
  return account(*r);
}

void CachingAllocator::give_back(void* p, size_t size, size_t capacity,
                                 const void* stream) noexcept {
  std::lock_guard lock(mu_);
  stats_.bytes_in_use -= capacity;
  stats_.bytes_requested -= size;
  try {
    free_[{stream, capacity}].push_back(p);
    stats_.bytes_cached += capacity;
  } catch (...) {
    backend_->release(p);  // no room to remember it: hand it back instead
  }
}

void CachingAllocator::release_cache() {
  std::lock_guard lock(mu_);
  release_cache_locked();
}

void CachingAllocator::release_cache_locked() noexcept {
  for (auto& [key, blocks] : free_)
    for (void* p : blocks) backend_->release(p);
  free_.clear();
  stats_.bytes_cached = 0;
  ++stats_.cache_releases;
}

PoolStats CachingAllocator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace percept::gpu
