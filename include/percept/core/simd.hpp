// Runtime-dispatched vector code without intrinsics: hot loops written so that the compiler
// vectorises them are compiled twice on x86-64, for the baseline and for x86-64-v3 (AVX2 +
// FMA, Haswell and later), and the loader picks one per machine (GCC's target_clones, an
// ifunc). The binary still runs on any x86-64. Elsewhere (aarch64: NEON is baseline) the
// macro is empty.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define PERCEPT_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define PERCEPT_VECTOR_CLONES
#endif
