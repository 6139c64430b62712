// PERCEPT_HD marks per-element math that the CPU reference and a CUDA kernel share
// (ARCHITECTURE.md, GPU rules): __host__ __device__ under nvcc, nothing for a plain C++
// compiler, so the same inline function builds into both and the two cannot drift apart.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define PERCEPT_HD __host__ __device__
#else
#define PERCEPT_HD
#endif

namespace percept {

// std::isfinite on the host, CUDA's isfinite in device code (std:: has no __device__ version).
PERCEPT_HD inline bool finite_f(float x) {
#if defined(__CUDA_ARCH__)
  return isfinite(x);
#else
  return std::isfinite(x);
#endif
}

}  // namespace percept
