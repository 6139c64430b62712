// What the kernel tests share: the skip that reports a test as not run where there is no GPU
// (never as passed; CUDA builds), a Status assertion, a random generator seeded per run, and
// random images. No OpenCV: these binaries travel to the GPU machine (scripts/gpu_verify.sh).
// Without CUDA (the sanitizer builds) everything but SKIP_WITHOUT_GPU is here too, for the
// CPU tests that share the frames (parity_tests, task_oom_tests).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"

#ifdef PERCEPT_HAVE_CUDA
#include "percept/gpu/cuda.hpp"

#define SKIP_WITHOUT_GPU()                                                        \
  do {                                                                            \
    std::string why;                                                              \
    if (!percept::gpu::device_available(&why)) GTEST_SKIP() << "no GPU: " << why; \
  } while (0)
#endif

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

// A repository model: from the working directory's models/ (scripts/gpu_verify.sh runs the
// bundled tests from the repository root of the GPU machine), else from this build's source tree.
inline std::string model_path(const std::string& name) {
  const std::string local = "models/" + name;
  if (std::FILE* f = std::fopen(local.c_str(), "rb")) {
    std::fclose(f);
    return local;
  }
#ifdef PERCEPT_SOURCE_DIR
  return std::string(PERCEPT_SOURCE_DIR) + "/models/" + name;
#else
  return local;
#endif
}

// A 1280x720 frame with the shapes detector's kind of content: filled bright rectangles and
// discs on a dark, slightly noisy background.
inline Image shapes_frame() {
  Image img(1280, 720, PixelFormat::bgr8);
  std::uniform_int_distribution<int> noise(20, 40);
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      const bool rect = x > 200 && x < 420 && y > 150 && y < 330;
      const int dx = x - 900, dy = y - 450;
      const bool disc = dx * dx + dy * dy < 120 * 120;
      const int v = noise(rng());
      p[0] = static_cast<uint8_t>(rect ? 230 : disc ? 40 : v);
      p[1] = static_cast<uint8_t>(rect ? 60 : disc ? 220 : v);
      p[2] = static_cast<uint8_t>(rect ? 40 : disc ? 60 : v);
    }
  return img;
}

}  // namespace percept::test
