#include "percept/pipeline/frame_slots.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace percept {
namespace {

using namespace std::chrono_literals;

FrameRef make(FramePool& pool, int camera, int64_t index) {
  FrameRef f = pool.acquire();
  f->camera = camera;
  f->index = index;
  return f;
}

TEST(FrameSlots, LiveDisplacesTheOldest) {
  FramePool pool(1);
  FrameSlots slots(1, 2, /*lossless=*/false);
  FrameRef displaced;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(slots.push(0, make(pool, 0, i), &displaced));
    if (i >= 2) {
      ASSERT_TRUE(displaced);
      EXPECT_EQ(displaced->index, i - 2);
      displaced.reset();
    }
  }
  std::vector<FrameRef> out;
  ASSERT_TRUE(slots.take_batch(8, 0us, out));
  ASSERT_EQ(out.size(), 2u);  // the two freshest
  EXPECT_EQ(out[0]->index, 3);
  EXPECT_EQ(out[1]->index, 4);
}

TEST(FrameSlots, LosslessBlocksUntilTaken) {
  FramePool pool(1);
  FrameSlots slots(1, 1, /*lossless=*/true);
  ASSERT_TRUE(slots.push(0, make(pool, 0, 0), nullptr));
  std::atomic<bool> second_done{false};
  std::thread producer([&] {
    slots.push(0, make(pool, 0, 1), nullptr);
    second_done = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(second_done);  // back-pressure: the slot is full
  std::vector<FrameRef> out;
  ASSERT_TRUE(slots.take_batch(1, 0us, out));
  EXPECT_EQ(out[0]->index, 0);
  producer.join();
  EXPECT_TRUE(second_done);
  ASSERT_TRUE(slots.take_batch(1, 0us, out));
  EXPECT_EQ(out[0]->index, 1);
}

TEST(FrameSlots, BatchesAreFairAcrossCamerasAndOrderedPerCamera) {
  FramePool pool(1);
  FrameSlots slots(3, 4, false);
  for (int i = 0; i < 3; ++i) slots.push(0, make(pool, 0, i), nullptr);
  slots.push(1, make(pool, 1, 0), nullptr);
  slots.push(2, make(pool, 2, 0), nullptr);
  std::vector<FrameRef> out;
  ASSERT_TRUE(slots.take_batch(4, 0us, out));
  ASSERT_EQ(out.size(), 4u);
  // One per camera first, then camera 0's next frame.
  EXPECT_EQ(out[0]->camera, 0);
  EXPECT_EQ(out[1]->camera, 1);
  EXPECT_EQ(out[2]->camera, 2);
  EXPECT_EQ(out[3]->camera, 0);
  EXPECT_EQ(out[3]->index, 1);
}

TEST(FrameSlots, MaxWaitCollectsLateFramesAndIsBounded) {
  FramePool pool(1);
  FrameSlots slots(2, 4, false);
  slots.push(0, make(pool, 0, 0), nullptr);
  std::thread late([&] {
    std::this_thread::sleep_for(20ms);
    slots.push(1, make(pool, 1, 0), nullptr);
  });
  std::vector<FrameRef> out;
  ASSERT_TRUE(slots.take_batch(2, 2s, out));  // returns as soon as the batch is full
  late.join();
  EXPECT_EQ(out.size(), 2u);
  // Nothing else comes: the wait ends after max_wait with a partial batch.
  slots.push(0, make(pool, 0, 1), nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(slots.take_batch(4, 30ms, out));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 29ms);
}

TEST(FrameSlots, ClosedAndDrainedEndsTheExecutor) {
  FramePool pool(1);
  FrameSlots slots(2, 1, true);
  slots.push(0, make(pool, 0, 0), nullptr);
  slots.close(0);
  slots.close(1);
  std::vector<FrameRef> out;
  EXPECT_TRUE(slots.take_batch(4, 1s, out));  // what was queued is still delivered
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(slots.take_batch(4, 1s, out));
  EXPECT_FALSE(slots.push(0, make(pool, 0, 1), nullptr));  // closed: refused
}

TEST(FramePool, ReusesReleasedFrames) {
  FramePool pool(2);
  Frame* first;
  {
    FrameRef a = pool.acquire();
    first = a.get();
    a->results[1].detections.push_back({});
    FrameRef b = a;  // shared
  }
  FrameRef c = pool.acquire();
  EXPECT_EQ(c.get(), first);
  EXPECT_TRUE(c->results[1].detections.empty());  // reset on reuse
  EXPECT_EQ(pool.allocated(), 1u);
}

}  // namespace
}  // namespace percept
