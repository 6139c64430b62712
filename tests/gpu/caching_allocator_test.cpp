// The caching allocator's bookkeeping with host-heap and fault-injecting backends: no GPU
// needed, runs everywhere.
#include "percept/gpu/caching_allocator.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

using namespace percept::gpu;

namespace {

// Counts what reaches the backend, so tests can tell a cache hit from a real allocation.
struct CountingBackend final : MemoryBackend {
  int* allocs;
  int* frees;
  CountingBackend(int* a, int* f) : allocs(a), frees(f) {}
  percept::Result<void*> allocate(size_t bytes) override {
    ++*allocs;
    return heap.allocate(bytes);
  }
  void release(void* p) noexcept override {
    ++*frees;
    heap.release(p);
  }
  const char* name() const override { return "counting"; }
  HeapBackend heap;
};

const void* stream_a = reinterpret_cast<const void*>(0x10);
const void* stream_b = reinterpret_cast<const void*>(0x20);

}  // namespace

TEST(SizeClass, QuarterStepsAboveAMinimum) {
  EXPECT_EQ(size_class(1), 256u);
  EXPECT_EQ(size_class(256), 256u);
  EXPECT_EQ(size_class(257), 320u);  // 256 + 64
  EXPECT_EQ(size_class(1024), 1024u);
  EXPECT_EQ(size_class(1025), 1280u);
  EXPECT_EQ(size_class(1500), 1536u);
  EXPECT_EQ(size_class(1800), 2048u);
  // A 640x640x3 float32 input (4,915,200 bytes) wastes under 25%.
  const size_t in = 3 * 640 * 640 * 4;
  EXPECT_GE(size_class(in), in);
  EXPECT_LT(size_class(in), in + in / 4);
  for (size_t n = 1; n < 100000; n += 97) {
    const size_t c = size_class(n);
    EXPECT_GE(c, n);
    EXPECT_LE(c, std::max<size_t>(256, n + n / 4));
    EXPECT_EQ(size_class(c), c) << n;  // classes are fixed points
  }
}

TEST(CachingAllocator, ReusesFreedBlocksOfTheSameClassAndStream) {
  int allocs = 0, frees = 0;
  {
    CachingAllocator pool(std::make_unique<CountingBackend>(&allocs, &frees), "test pool");
    void* first = nullptr;
    {
      auto b = pool.allocate(1000, stream_a);
      ASSERT_TRUE(b.ok());
      first = b->data();
      EXPECT_EQ(b->size(), 1000u);
      EXPECT_EQ(b->capacity(), 1024u);
      EXPECT_EQ(pool.stats().bytes_in_use, 1024u);
      EXPECT_EQ(pool.stats().bytes_requested, 1000u);
    }
    PoolStats s = pool.stats();
    EXPECT_EQ(s.bytes_in_use, 0u);
    EXPECT_EQ(s.bytes_cached, 1024u);
    EXPECT_EQ(s.cache_misses, 1u);
    // Same class (1001 rounds to 1024 too), same stream: the cached block.
    auto again = pool.allocate(1001, stream_a);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->data(), first);
    EXPECT_EQ(pool.stats().cache_hits, 1u);
    EXPECT_EQ(allocs, 1);
    // Another stream never gets a block another stream may still be using.
    auto other = pool.allocate(1000, stream_b);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->data(), first);
    EXPECT_EQ(allocs, 2);
    EXPECT_EQ(pool.stats().peak_bytes_in_use, 2048u);
  }
  EXPECT_EQ(frees, allocs);  // the destructor returned every block
}

TEST(CachingAllocator, MoveOnlyHandlesReturnTheirBlockOnce) {
  CachingAllocator pool(std::make_unique<HeapBackend>(), "test pool");
  auto r = pool.allocate(4096);
  ASSERT_TRUE(r.ok());
  PoolBuffer a = std::move(r).value();
  PoolBuffer b = std::move(a);
  EXPECT_FALSE(a);
  EXPECT_TRUE(b);
  EXPECT_EQ(pool.stats().bytes_in_use, 4096u);
  b.reset();
  b.reset();
  EXPECT_EQ(pool.stats().bytes_in_use, 0u);
  EXPECT_EQ(pool.stats().bytes_cached, 4096u);
  EXPECT_FALSE(pool.allocate(0).ok());
}

TEST(CachingAllocator, FragmentationIsTheRoundingShare) {
  CachingAllocator pool(std::make_unique<HeapBackend>(), "test pool");
  auto b = pool.allocate(1025);  // class 1280
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR(pool.stats().fragmentation(), 1.0 - 1025.0 / 1280.0, 1e-12);
}

TEST(FailNthBackend, FailsExactlyTheNthAllocation) {
  auto fake = std::make_unique<FailNthBackend>(std::make_unique<HeapBackend>(), 3);
  FailNthBackend* f = fake.get();
  CachingAllocator pool(std::move(fake), "test pool");
  std::vector<PoolBuffer> held;
  for (int i = 0; i < 2; ++i) {
    auto r = pool.allocate(512 * (i + 1));
    ASSERT_TRUE(r.ok());
    held.push_back(std::move(r).value());
  }
  auto third = pool.allocate(8192);  // 3rd backend call fails; nothing cached to release
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().message().find("test pool: out of memory allocating 8192 bytes"),
            std::string::npos)
      << third.error().message();
  EXPECT_NE(third.error().message().find("injected"), std::string::npos);
  EXPECT_EQ(third.error().code(), percept::ErrorCode::out_of_memory);
  EXPECT_EQ(f->failures(), 1u);
  auto fourth = pool.allocate(8192);  // not sticky: the 4th goes through
  EXPECT_TRUE(fourth.ok());
  EXPECT_EQ(pool.stats().backend_failures, 1u);
}

TEST(FailNthBackend, OutOfMemoryReleasesTheCacheAndRetries) {
  // The 2nd backend call fails: the allocator frees its cached block and retries (3rd call).
  auto fake = std::make_unique<FailNthBackend>(std::make_unique<HeapBackend>(), 2);
  FailNthBackend* f = fake.get();
  CachingAllocator pool(std::move(fake), "test pool");
  { ASSERT_TRUE(pool.allocate(1 << 20, stream_a).ok()); }  // cached on stream a
  EXPECT_EQ(pool.stats().bytes_cached, size_t{1} << 20);
  auto r = pool.allocate(1 << 20, stream_b);  // miss (other stream), fails, release, retry
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(f->calls(), 3u);
  EXPECT_EQ(f->releases(), 1u);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.bytes_cached, 0u);
  EXPECT_EQ(s.cache_releases, 1u);
  EXPECT_EQ(s.backend_failures, 1u);
  EXPECT_EQ(s.bytes_in_use, size_t{1} << 20);
}

TEST(FailNthBackend, AFullDeviceGivesAnErrorNotACrash) {
  auto fake = std::make_unique<FailNthBackend>(std::make_unique<HeapBackend>(), 2, true);
  CachingAllocator pool(std::move(fake), "device pool");
  { ASSERT_TRUE(pool.allocate(4096).ok()); }
  auto r = pool.allocate(1 << 16);  // fails, releases the 4096 cached, fails again
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("cache released"), std::string::npos);
  EXPECT_EQ(r.error().code(), percept::ErrorCode::out_of_memory);
  EXPECT_EQ(pool.stats().backend_failures, 2u);
  EXPECT_EQ(pool.stats().bytes_in_use, 0u);
}

// A backend that fails with its own code (fails with `code` on every call).
struct FailingBackend final : MemoryBackend {
  explicit FailingBackend(percept::ErrorCode c) : code(c) {}
  percept::Result<void*> allocate(size_t) override {
    return percept::Error(code, "backend refused");
  }
  void release(void*) noexcept override {}
  const char* name() const override { return "failing"; }
  percept::ErrorCode code;
};

// The pool's error keeps the backend's code (a CUDA failure other than memory is not worth a
// smaller retry); one the backend left unclassified counts as out of memory.
TEST(CachingAllocator, ErrorsKeepTheBackendsCode) {
  using percept::ErrorCode;
  for (auto [given, expected] : {std::pair{ErrorCode::device, ErrorCode::device},
                                 std::pair{ErrorCode::out_of_memory, ErrorCode::out_of_memory},
                                 std::pair{ErrorCode::unknown, ErrorCode::out_of_memory}}) {
    CachingAllocator pool(std::make_unique<FailingBackend>(given), "pool");
    auto r = pool.allocate(1024);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), expected) << percept::error_code_name(given);
    EXPECT_NE(r.error().message().find("backend refused"), std::string::npos);
  }
  CachingAllocator pool(std::make_unique<HeapBackend>(), "pool");
  auto zero = pool.allocate(0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code(), ErrorCode::invalid_argument);
}
