// Counts heap allocations made by the calling thread while a scope is open (P10 tests).
// Replaces the global operator new, so include it in exactly one file of a test binary.
// Only the counting thread is counted: ONNX Runtime's pool threads may allocate in the
// background at any time (seen once in a CI run), and that is not percept's frame path.
#pragma once

#include <cstdlib>
#include <new>

namespace percept::test {

inline thread_local long t_allocations = 0;
inline thread_local bool t_counting = false;

// CountAllocations n; ...work...; n.count() = heap allocations of this thread in between.
class CountAllocations {
 public:
  CountAllocations() : start_(t_allocations) { t_counting = true; }
  ~CountAllocations() { t_counting = false; }
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;
  long count() const { return t_allocations - start_; }

 private:
  long start_;
};

}  // namespace percept::test

// GCC sees free() on what its builtin operator new returned once these are inlined into a
// caller's new/delete pair; here both sides are malloc/free, so the warning is a false one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (percept::test::t_counting) ++percept::test::t_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
