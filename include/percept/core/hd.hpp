// PERCEPT_HD marks per-element math that the CPU reference and a CUDA kernel share
// (ARCHITECTURE.md, GPU rules): __host__ __device__ under nvcc, nothing for a plain C++
// compiler, so the same inline function builds into both and the two cannot drift apart.
#pragma once

#if defined(__CUDACC__)
#define PERCEPT_HD __host__ __device__
#else
#define PERCEPT_HD
#endif
