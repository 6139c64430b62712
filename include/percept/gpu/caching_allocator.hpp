// A caching allocator in host code only, so its bookkeeping is tested on every machine: a
// MemoryBackend supplies raw blocks (cudaMalloc, cudaHostAlloc, or a fake in tests) and the
// allocator keeps freed blocks in size classes for reuse, keyed by the stream they were last
// used on (stream-ordered reuse: work queued on one stream runs in order, so a block freed
// on stream S may go to the next allocation on S at once; it never goes to another stream,
// whose work could still overlap the old user's).
//
// Thread-safe (one mutex). A buffer returns its block on destruction: the allocator must
// outlive every buffer it handed out. Blocks cached for a stream stay keyed by its handle:
// call release_cache() after destroying a stream, so a new stream that reuses the handle value
// cannot receive a block the old one's queued work may still touch. Out of memory: the allocator
// releases its whole cache to the backend and retries once before returning an Error that says what
// was in use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "percept/core/error.hpp"

namespace percept::gpu {

// Raw memory behind a pool. allocate returns a block of at least `bytes` or an Error (the
// allocator then frees its cache and retries once).
class MemoryBackend {
 public:
  virtual ~MemoryBackend() = default;
  virtual Result<void*> allocate(size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  virtual const char* name() const = 0;
};

// Host heap (malloc): a stand-in device for the allocator's tests and for CPU-only runs.
class HeapBackend final : public MemoryBackend {
 public:
  Result<void*> allocate(size_t bytes) override;
  void release(void* p) noexcept override;
  const char* name() const override { return "heap"; }
};

// Fault injection (STYLE 12, ncnn's TestOOMAllocator): the n-th call to allocate (1-based)
// fails as out of memory; with `sticky`, every call from the n-th on fails (a full device).
class FailNthBackend final : public MemoryBackend {
 public:
  FailNthBackend(std::unique_ptr<MemoryBackend> inner, uint64_t n, bool sticky = false)
      : inner_(std::move(inner)), n_(n), sticky_(sticky) {}
  Result<void*> allocate(size_t bytes) override;
  void release(void* p) noexcept override {
    ++releases_;
    inner_->release(p);
  }
  const char* name() const override { return inner_->name(); }
  uint64_t calls() const { return calls_; }
  uint64_t failures() const { return failures_; }
  uint64_t releases() const { return releases_; }

 private:
  std::unique_ptr<MemoryBackend> inner_;
  uint64_t n_;
  bool sticky_;
  uint64_t calls_ = 0, failures_ = 0, releases_ = 0;
};

// Block size for a request: at least 256 bytes, then four classes per power of two (2^k,
// 1.25, 1.5, 1.75 x 2^k), so a block wastes at most 25% and repeated frame-sized requests
// land in the same class.
size_t size_class(size_t bytes);

struct PoolStats {
  size_t bytes_in_use = 0;       // class bytes of live buffers
  size_t bytes_requested = 0;    // what their owners asked for
  size_t peak_bytes_in_use = 0;  // highest bytes_in_use so far
  size_t bytes_cached = 0;       // free blocks held for reuse
  uint64_t cache_hits = 0, cache_misses = 0;
  uint64_t backend_allocations = 0, backend_failures = 0;
  uint64_t cache_releases = 0;  // whole-cache releases (out of memory or asked)
  // Share of the live class bytes nobody asked for (rounding to size classes).
  double fragmentation() const {
    return bytes_in_use
               ? 1.0 - static_cast<double>(bytes_requested) / static_cast<double>(bytes_in_use)
               : 0.0;
  }
};

class CachingAllocator;

// Move-only handle of one block; returns it to its allocator on destruction or reset().
class PoolBuffer {
 public:
  PoolBuffer() = default;
  PoolBuffer(PoolBuffer&& o) noexcept { *this = std::move(o); }
  PoolBuffer& operator=(PoolBuffer&& o) noexcept;
  PoolBuffer(const PoolBuffer&) = delete;
  PoolBuffer& operator=(const PoolBuffer&) = delete;
  ~PoolBuffer() { reset(); }

  void reset() noexcept;
  void* data() const { return data_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t size() const { return size_; }          // bytes asked for
  size_t capacity() const { return capacity_; }  // bytes of the block (its size class)
  const void* stream() const { return stream_; }
  explicit operator bool() const { return data_ != nullptr; }

 private:
  friend class CachingAllocator;
  PoolBuffer(CachingAllocator* owner, void* data, size_t size, size_t capacity, const void* stream)
      : owner_(owner), data_(data), size_(size), capacity_(capacity), stream_(stream) {}
  CachingAllocator* owner_ = nullptr;
  void* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
  const void* stream_ = nullptr;
};

class CachingAllocator {
 public:
  // `name` appears in errors ("device pool: out of memory ...").
  CachingAllocator(std::unique_ptr<MemoryBackend> backend, std::string name);
  ~CachingAllocator();  // releases the cache
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least `bytes` (> 0) for use on `stream` (any key: a cudaStream_t, or null
  // for memory used by the host only).
  Result<PoolBuffer> allocate(size_t bytes, const void* stream = nullptr);
  // Returns every cached block to the backend (live buffers are untouched).
  void release_cache();
  PoolStats stats() const;
  MemoryBackend& backend() { return *backend_; }

 private:
  friend class PoolBuffer;
  void give_back(void* p, size_t size, size_t capacity, const void* stream) noexcept;
  void release_cache_locked() noexcept;

  std::unique_ptr<MemoryBackend> backend_;
  std::string name_;
  mutable std::mutex mu_;
  std::map<std::pair<const void*, size_t>, std::vector<void*>> free_;  // (stream, class)
  PoolStats stats_;
};

}  // namespace percept::gpu
