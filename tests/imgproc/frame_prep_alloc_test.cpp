// P10: the rectify + blur stage allocates nothing per frame after warm-up (its own binary: it
// replaces the global operator new to count allocations).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "percept/imgproc/frame_prep.hpp"
#include "support/alloc_counter.hpp"

using namespace percept;

TEST(FramePrepAlloc, NoAllocationPerFrameAfterWarmUp) {
  auto cam =
      load_camera_info(std::string(PERCEPT_TEST_DATA) + "/camera_info/plumb_bob_640x480.yaml");
  ASSERT_TRUE(cam.ok()) << cam.error().message();
  FramePrep prep(*cam, "plumb_bob_640x480.yaml", 1.2, 0);
  // Three frames, as the pipeline's frame pool recycles several: the buffers trade places.
  std::vector<Image> frames(3, Image(640, 480, PixelFormat::bgr8));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(prep.apply(frames[static_cast<size_t>(i)]).ok());
  long n = 0;
  bool ok = true;
  {
    test::CountAllocations count;
    for (int i = 0; i < 30; ++i) ok = prep.apply(frames[static_cast<size_t>(i % 3)]).ok() && ok;
    n = count.count();
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(n, 0) << "allocations in 30 frames";
  // The counter counts: one allocation inside the scope is seen.
  test::CountAllocations check;
  auto* p = new int(1);
  EXPECT_EQ(check.count(), 1);
  delete p;
}
