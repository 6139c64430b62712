// The deadline controller's decision rule (pipeline/control.hpp) driven with made-up windows:
// when it steps down, when it waits, when it steps back up, how its restore wait grows after a
// flap, and that at the last step it stays and says so instead of oscillating.
#include <gtest/gtest.h>

#include "percept/pipeline/control.hpp"

namespace percept {
namespace {

using D = ControlPolicy::Decision;

ControlConfig config() {
  ControlConfig c;
  c.enabled = true;
  c.miss_high = 0.05;
  c.miss_low = 0.01;
  c.p99_high = 1.0;
  c.p99_low = 0.8;
  c.settle_s = 1.0;
  c.restore_after_s = 5.0;
  c.max_restore_after_s = 20.0;
  c.min_frames = 10;
  return c;
}

ControlWindow late(double share, uint64_t results = 60) {
  ControlWindow w;
  w.results = results;
  w.late_share = share;
  w.p99_ratio = share >= 0.1 ? 1.5 : 0.5;  // latencies follow lateness
  w.late_camera = w.p99_camera = "front";
  return w;
}

ControlWindow fine() {
  return late(0);
}

TEST(ControlPolicy, StepsDownOnMissesAndWaitsToSettle) {
  ControlPolicy p(config(), 3);
  EXPECT_EQ(p.decide(0.0, fine()), D::none);
  EXPECT_EQ(p.decide(0.5, late(0.04)), D::none) << "4% late is under miss_high";
  EXPECT_EQ(p.decide(1.0, late(0.5, 9)), D::none) << "9 results are too few to judge";
  EXPECT_EQ(p.decide(1.5, late(0.5)), D::degrade);
  EXPECT_EQ(p.level(), 1);
  EXPECT_NE(p.reason().find("late 50.0% > 5.0% on front"), std::string::npos) << p.reason();
  EXPECT_EQ(p.decide(2.0, late(0.5)), D::none) << "inside settle_s after the action";
  EXPECT_EQ(p.decide(2.6, late(0.5)), D::degrade);
  EXPECT_EQ(p.level(), 2);
}

TEST(ControlPolicy, SlowP99AloneIsOverload) {
  ControlPolicy p(config(), 1);
  ControlWindow w = fine();
  w.p99_ratio = 1.2;
  EXPECT_EQ(p.decide(0.0, w), D::degrade);
  EXPECT_NE(p.reason().find("p99 1.20x"), std::string::npos) << p.reason();
}

TEST(ControlPolicy, RestoresOneStepAfterHeadroomLastsRestoreAfter) {
  ControlPolicy p(config(), 2);
  ASSERT_EQ(p.decide(0.0, late(0.5)), D::degrade);
  ASSERT_EQ(p.decide(1.0, late(0.5)), D::degrade);
  // Headroom from t=2; restore_after_s = 5: nothing at 6.9, one step at 7.
  EXPECT_EQ(p.decide(2.0, fine()), D::none);
  EXPECT_EQ(p.decide(6.9, fine()), D::none);
  EXPECT_EQ(p.decide(7.0, fine()), D::restore);
  EXPECT_EQ(p.level(), 1);
  // Between the thresholds (2% late: not overloaded, not headroom) the headroom clock restarts.
  EXPECT_EQ(p.decide(8.5, fine()), D::none);
  EXPECT_EQ(p.decide(10.0, late(0.02)), D::none);
  EXPECT_EQ(p.decide(11.0, fine()), D::none);
  EXPECT_EQ(p.decide(15.9, fine()), D::none);
  EXPECT_EQ(p.decide(16.0, fine()), D::restore);
  EXPECT_EQ(p.level(), 0);
  EXPECT_EQ(p.decide(60.0, fine()), D::none) << "nothing left to restore";
}

TEST(ControlPolicy, AFlapDoublesTheRestoreWaitUpToItsCap) {
  ControlPolicy p(config(), 1);
  double t = 0;
  ASSERT_EQ(p.decide(t, late(0.5)), D::degrade);
  EXPECT_EQ(p.restore_wait_s(), 5.0);
  for (double expected : {10.0, 20.0, 20.0}) {
    // Headroom for the whole wait, a restore, then misses right after it: a flap.
    ASSERT_EQ(p.decide(t + 1, fine()), D::none);
    ASSERT_EQ(p.decide(t + 1 + p.restore_wait_s(), fine()), D::restore);
    t += 1 + p.restore_wait_s();
    ASSERT_EQ(p.decide(t + 1.5, late(0.5)), D::degrade);
    t += 1.5;
    EXPECT_EQ(p.restore_wait_s(), expected);
  }
}

TEST(ControlPolicy, AStepBackThatWouldNotFitWaitsForEvidenceOrTheLongestWait) {
  ControlPolicy p(config(), 1);
  ASSERT_EQ(p.decide(0.0, late(0.5)), D::degrade);
  ControlWindow w = fine();
  w.restore_fits = false;
  w.restore_blocked = "model 'm' at heavy.onnx: busy 90% > 80%";
  ASSERT_EQ(p.decide(1.0, w), D::none);
  EXPECT_EQ(p.decide(6.0, w), D::none) << "restore_after_s has passed, but it would not fit";
  EXPECT_TRUE(p.held_back());
  EXPECT_EQ(p.reason(), "headroom, but model 'm' at heavy.onnx: busy 90% > 80%");
  EXPECT_EQ(p.decide(7.0, fine()), D::restore) << "the evidence came";
  EXPECT_FALSE(p.held_back());
  // Without the evidence, a probe after max_restore_after_s (20 s here) of headroom.
  ASSERT_EQ(p.decide(8.5, late(0.5)), D::degrade);
  ASSERT_EQ(p.decide(10.0, w), D::none);
  EXPECT_EQ(p.decide(29.9, w), D::none);
  EXPECT_EQ(p.decide(30.0, w), D::restore);
  EXPECT_NE(p.reason().find("a probe"), std::string::npos) << p.reason();
}

TEST(ControlPolicy, OneEarlyRestoreDoublesTheWaitOnceAndAHeldOneShrinksIt) {
  ControlPolicy p(config(), 3);
  ASSERT_EQ(p.decide(0.0, late(0.5)), D::degrade);
  ASSERT_EQ(p.decide(1.0, fine()), D::none);
  ASSERT_EQ(p.decide(6.0, fine()), D::restore);
  // The overload comes back and takes three steps down: one flap, one doubling.
  ASSERT_EQ(p.decide(7.5, late(0.5)), D::degrade);
  ASSERT_EQ(p.decide(9.0, late(0.5)), D::degrade);
  ASSERT_EQ(p.decide(10.5, late(0.5)), D::degrade);
  EXPECT_EQ(p.restore_wait_s(), 10.0) << "doubled once, not once per step down";
  // Back up one step after 10 s of headroom; it holds past its flap horizon (10 + 1 + 2 s):
  // the wait halves back to restore_after_s.
  ASSERT_EQ(p.decide(12.0, fine()), D::none);
  ASSERT_EQ(p.decide(22.0, fine()), D::restore);
  EXPECT_EQ(p.decide(34.9, fine()), D::none);
  EXPECT_EQ(p.restore_wait_s(), 10.0);
  EXPECT_EQ(p.decide(35.0, fine()), D::none);
  EXPECT_EQ(p.restore_wait_s(), 5.0);
  EXPECT_EQ(p.decide(40.0, fine()), D::restore) << "the shorter wait again";
}

TEST(ControlPolicy, TakeNextStepsAgainAtOnce) {
  ControlPolicy p(config(), 2);
  ASSERT_EQ(p.decide(0.0, late(0.5)), D::degrade);
  p.take_next(0.0);
  EXPECT_EQ(p.level(), 2);
  p.take_next(0.0);
  EXPECT_EQ(p.level(), 2) << "no step past the last";
  EXPECT_EQ(p.decide(0.5, late(0.5)), D::none) << "settling after the pair";
}

TEST(ControlPolicy, AtTheLastStepItStaysAndSaysSo) {
  ControlPolicy p(config(), 1);
  ASSERT_EQ(p.decide(0.0, late(0.9)), D::degrade);
  for (double t = 1.0; t < 100; t += 0.25) ASSERT_EQ(p.decide(t, late(0.9)), D::none) << t;
  EXPECT_TRUE(p.at_limit());
  EXPECT_EQ(p.level(), 1);
  EXPECT_EQ(p.decide(100.0, late(0.02)), D::none);
  EXPECT_FALSE(p.at_limit()) << "not overloaded any more";
}

TEST(ControlPolicy, ANoStepLadderOnlyReports) {
  ControlPolicy p(config(), 0);
  EXPECT_EQ(p.decide(0.0, late(0.9)), D::none);
  EXPECT_TRUE(p.at_limit());
}

}  // namespace
}  // namespace percept
