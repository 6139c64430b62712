#include "percept/pipeline/frame_board.hpp"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(FrameBoard, LiveDisplacesTheOldestNotStarted) {
  FramePool pool(1);
  FrameBoard board(1, 1, /*lossless=*/false);
  board.configure(0, {0}, 2);
  std::vector<FrameRef> displaced;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(board.push(0, make(pool, 0, i), &displaced));
  ASSERT_EQ(displaced.size(), 3u);
  EXPECT_EQ(displaced[0]->index, 0);
  EXPECT_EQ(displaced[2]->index, 2);
  std::vector<FrameRef> out;
  ASSERT_TRUE(board.take_batch(0, 8, 0us, out));
  ASSERT_EQ(out.size(), 2u);  // the two freshest, oldest first
  EXPECT_EQ(out[0]->index, 3);
  EXPECT_EQ(out[1]->index, 4);
}

TEST(FrameBoard, LosslessBlocksUntilTaken) {
  FramePool pool(1);
  FrameBoard board(1, 1, /*lossless=*/true);
  board.configure(0, {0}, 1);
  ASSERT_TRUE(board.push(0, make(pool, 0, 0), nullptr));
  std::atomic<bool> second_done{false};
  std::thread producer([&] {
    board.push(0, make(pool, 0, 1), nullptr);
    second_done = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(second_done);  // back-pressure: the slot is full
  std::vector<FrameRef> out;
  ASSERT_TRUE(board.take_batch(0, 1, 0us, out));
  EXPECT_EQ(out[0]->index, 0);
  producer.join();
  EXPECT_TRUE(second_done);
  ASSERT_TRUE(board.take_batch(0, 1, 0us, out));
  EXPECT_EQ(out[0]->index, 1);
}

TEST(FrameBoard, BatchesAreFairAcrossCamerasAndOrderedPerCamera) {
  FramePool pool(1);
  FrameBoard board(3, 1, false);
  for (size_t c = 0; c < 3; ++c) board.configure(c, {0}, 4);
  for (int i = 0; i < 3; ++i) board.push(0, make(pool, 0, i), nullptr);
  board.push(1, make(pool, 1, 0), nullptr);
  board.push(2, make(pool, 2, 0), nullptr);
  std::vector<FrameRef> out;
  ASSERT_TRUE(board.take_batch(0, 4, 0us, out));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0]->camera, 0);  // one per camera first...
  EXPECT_EQ(out[1]->camera, 1);
  EXPECT_EQ(out[2]->camera, 2);
  EXPECT_EQ(out[3]->camera, 0);  // ...then camera 0's next frame
  EXPECT_EQ(out[3]->index, 1);
}

// Two models on one camera work on the same frames: the fast one may not run ahead of the
// slow one, and a frame leaves the board only when both took it.
TEST(FrameBoard, ModelsOfACameraKeepPace) {
  FramePool pool(2);
  FrameBoard board(1, 2, false);
  board.configure(0, {0, 1}, 1);
  std::vector<FrameRef> displaced, fast, slow;
  board.push(0, make(pool, 0, 0), &displaced);
  ASSERT_TRUE(board.take_batch(0, 1, 0us, fast));  // fast model starts frame 0
  EXPECT_EQ(fast[0]->index, 0);
  board.push(0, make(pool, 0, 1), &displaced);
  board.push(0, make(pool, 0, 2), &displaced);  // displaces 1 (nobody started it), not 0
  ASSERT_EQ(displaced.size(), 1u);
  EXPECT_EQ(displaced[0]->index, 1);
  // The fast model may not start frame 2 while frame 0 waits for the slow model.
  std::atomic<bool> got{false};
  std::thread fast_model([&] {
    board.take_batch(0, 1, 0us, fast);
    got = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got);
  ASSERT_TRUE(board.take_batch(1, 1, 0us, slow));  // slow model takes frame 0...
  EXPECT_EQ(slow[0]->index, 0);
  fast_model.join();  // ...which lets the fast one start frame 2
  EXPECT_EQ(fast[0]->index, 2);
  ASSERT_TRUE(board.take_batch(1, 1, 0us, slow));
  EXPECT_EQ(slow[0]->index, 2);  // both models saw frames 0 and 2
}

TEST(FrameBoard, MaxWaitCollectsLateFramesAndIsBounded) {
  FramePool pool(1);
  FrameBoard board(2, 1, false);
  board.configure(0, {0}, 4);
  board.configure(1, {0}, 4);
  board.push(0, make(pool, 0, 0), nullptr);
  std::thread late([&] {
    std::this_thread::sleep_for(20ms);
    board.push(1, make(pool, 1, 0), nullptr);
  });
  std::vector<FrameRef> out;
  ASSERT_TRUE(board.take_batch(0, 2, 2s, out));  // returns as soon as the batch is full
  late.join();
  EXPECT_EQ(out.size(), 2u);
  board.push(0, make(pool, 0, 1), nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(board.take_batch(0, 4, 30ms, out));  // nothing else comes: partial batch
  EXPECT_EQ(out.size(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 29ms);
}

TEST(FrameBoard, ClosedAndDrainedEndsTheModel) {
  FramePool pool(1);
  FrameBoard board(2, 2, true);
  board.configure(0, {0}, 1);
  board.configure(1, {1}, 1);  // model 0 does not serve camera 1
  board.push(0, make(pool, 0, 0), nullptr);
  board.close(0);
  std::vector<FrameRef> out;
  EXPECT_TRUE(board.take_batch(0, 4, 1s, out));  // what was queued is still delivered
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(board.take_batch(0, 4, 1s, out));  // camera 1 being open does not matter
  EXPECT_FALSE(board.push(0, make(pool, 0, 1), nullptr));
}

TEST(FramePool, ReusesReleasedFrames) {
  FramePool pool(2);
  Frame* first;
  {
    FrameRef a = pool.acquire();
    first = a.get();
    a->results[1].output.detections.push_back({});
    FrameRef b = a;  // shared
  }
  FrameRef c = pool.acquire();
  EXPECT_EQ(c.get(), first);
  EXPECT_TRUE(c->results[1].output.detections.empty());  // reset on reuse
  EXPECT_EQ(pool.allocated(), 1u);
}

}  // namespace
}  // namespace percept
