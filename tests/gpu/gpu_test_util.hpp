// What the kernel tests share: the skip that reports a test as not run where there is no GPU
// (never as passed), a Status assertion, a random generator seeded per run, and random
// images. No OpenCV: these binaries travel to the GPU machine (scripts/gpu_verify.sh).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/gpu/cuda.hpp"

#define SKIP_WITHOUT_GPU()                                                        \
  do {                                                                            \
    std::string why;                                                              \
    if (!percept::gpu::device_available(&why)) GTEST_SKIP() << "no GPU: " << why; \
  } while (0)

#define ASSERT_OK(expr)                           \
  do {                                            \
    const percept::Status s_ = (expr);            \
    ASSERT_TRUE(s_.ok()) << s_.error().message(); \
  } while (0)

namespace percept::test {

// A new seed each run (more inputs over time), printed once so that a failure can be repeated:
// PERCEPT_TEST_SEED=N runs the same inputs again.
inline std::mt19937& rng() {
  static std::mt19937 g([] {
    const char* env = std::getenv("PERCEPT_TEST_SEED");
    const unsigned seed =
        env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : std::random_device{}();
    std::fprintf(stderr, "random seed %u (PERCEPT_TEST_SEED=%u repeats it)\n", seed, seed);
    return seed;
  }());
  return g;
}

inline Image random_image(int w, int h, PixelFormat f) {
  Image img(w, h, f);
  std::uniform_int_distribution<int> u(0, 255);
  for (int y = 0; y < h; ++y)
    for (size_t i = 0; i < static_cast<size_t>(w) * img.view().channels(); ++i)
      img.row(y)[i] = static_cast<uint8_t>(u(rng()));
  return img;
}

}  // namespace percept::test
