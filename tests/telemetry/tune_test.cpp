#include "percept/telemetry/tune.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>

namespace percept {
namespace {

// A synthetic backend: batch latency = fixed + per_frame * batch / speedup(threads), with a
// cliff past batch 4 (the cache no longer holds a batch). No timing anywhere.
Result<TuneMeasurement> synthetic(const TuneSetting& s, std::vector<TuneSetting>* seen) {
  if (seen) seen->push_back(s);
  const double speedup = s.threads == 1 ? 1.0 : s.threads == 2 ? 1.8 : 2.0;
  double ms = 2.0 + 4.0 * s.batch / speedup;
  if (s.batch > 4) ms *= 3;  // cliff
  TuneMeasurement m;
  m.setting = s;
  m.p50_ms = ms;
  m.p99_ms = ms * 1.2;
  m.throughput_fps = 1000.0 * s.batch / ms;
  return m;
}

TEST(TuneSweep, StopsABatchSweepWhenThroughputFalls20PercentBelowTheBest) {
  std::vector<TuneSetting> seen;
  const auto measured = tune_sweep({1, 2}, {8, 1, 2, 4, 16, 32},
                                   [&](const TuneSetting& s) { return synthetic(s, &seen); });
  // Per thread count: 1, 2, 4, then 8 (falls off the cliff: stop); 16 and 32 never run.
  ASSERT_EQ(seen.size(), 8u);
  for (const TuneSetting& s : seen) EXPECT_LE(s.batch, 8);
  EXPECT_EQ(seen[3].batch, 8);
  EXPECT_EQ(seen[4].threads, 2);
  EXPECT_EQ(seen[4].batch, 1);
  EXPECT_EQ(measured.size(), 8u);
}

TEST(TuneSweep, AFailedBatchEndsThatSweepOnly) {
  const auto measured = tune_sweep({1, 2}, {1, 2, 4}, [](const TuneSetting& s) {
    if (s.batch > 1) return Result<TuneMeasurement>(Error("batch is fixed at 1"));
    return synthetic(s, nullptr);
  });
  EXPECT_EQ(measured.size(), 2u);
  EXPECT_THROW(
      tune_sweep({1}, {1}, [](const TuneSetting&) { return Result<TuneMeasurement>(Error("x")); }),
      Error);
}

std::vector<TuneMeasurement> curve() {
  return tune_sweep({1, 2, 4}, {1, 2, 4, 8},
                    [](const TuneSetting& s) { return synthetic(s, nullptr); });
}

TEST(TuneChoose, PicksTheKnownBestWithoutConstraints) {
  const TuneResult r = tune_choose(curve(), {});
  ASSERT_TRUE(r.best.has_value());
  // Highest throughput of the curve: 4 threads (speedup 2), batch 4: 4000/10 = 400 fps.
  EXPECT_EQ(r.rows[*r.best].m.setting.threads, 4);
  EXPECT_EQ(r.rows[*r.best].m.setting.batch, 4);
  EXPECT_EQ(r.rows[*r.best].note, "best");
  EXPECT_NE(r.reason.find("batch 4, 4 threads"), std::string::npos) << r.reason;
}

TEST(TuneChoose, ALatencyLimitPicksTheFastestSettingUnderIt) {
  // p99 = 1.2 * (2 + 4b/speedup): under 7.5 ms only batch 1 (7.2, 5.07, 4.8 ms) and batch 2
  // with 4 threads (7.2 ms, 333 fps) fit; the latter is the fastest.
  const TuneResult r = tune_choose(curve(), {7.5, std::nullopt, std::nullopt});
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.rows[*r.best].m.setting.threads, 4);
  EXPECT_EQ(r.rows[*r.best].m.setting.batch, 2);
  for (const TuneRow& row : r.rows)
    if (row.m.p99_ms > 7.5) {
      EXPECT_FALSE(row.meets);
      EXPECT_NE(row.note.find("p99 over 7.5 ms"), std::string::npos);
    }
}

TEST(TuneChoose, SaysClearlyWhenNothingMeetsTheConstraints) {
  const TuneResult r = tune_choose(curve(), {1.0, 1000.0, std::nullopt});
  EXPECT_FALSE(r.best.has_value());
  EXPECT_EQ(r.reason.rfind("NO setting meets p99 <= 1 ms and >= 1000 frames/s", 0), 0u) << r.reason;
  for (const TuneRow& row : r.rows) EXPECT_FALSE(row.meets);
  EXPECT_NE(tune_table(r).find("under 1000 frames/s"), std::string::npos);
}

// Precision variants: the same curve run by a float model and by an int8 variant twice as fast.
// The variant wins while its agreement is within the bound and is never chosen once it is not.
TEST(TuneChoose, AVariantWinsOnlyWithinTheAccuracyBound) {
  std::vector<TuneMeasurement> rows;
  for (TuneMeasurement m : curve()) {
    m.model = "m.onnx";
    rows.push_back(m);
    m.model = "m.int8.onnx";
    m.throughput_fps *= 2;
    m.p50_ms /= 2;
    m.p99_ms /= 2;
    m.agreement = 0.995;
    rows.push_back(m);
  }
  TuneConstraints c;
  c.min_agreement = 0.99;
  TuneResult r = tune_choose(rows, c);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.rows[*r.best].m.model, "m.int8.onnx");
  EXPECT_NE(r.reason.find("m.int8.onnx, batch 4, 4 threads"), std::string::npos) << r.reason;
  EXPECT_NE(tune_table(r).find("agreement"), std::string::npos);

  c.min_agreement = 0.999;
  r = tune_choose(rows, c);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.rows[*r.best].m.model, "m.onnx");  // the reference (agreement -1) always passes
  for (const TuneRow& row : r.rows)
    if (row.m.model == "m.int8.onnx") {
      EXPECT_FALSE(row.meets);
      EXPECT_NE(row.note.find("agreement 0.9950 under 0.999"), std::string::npos) << row.note;
    }
  const std::string y = tune_yaml(r.rows[*r.best].m, "m", r.rows[*r.best].m.model, "cpu");
  EXPECT_EQ(YAML::Load(y)["models"][0]["path"].as<std::string>(), "m.onnx");
}

TEST(TuneYaml, IsAConfigSnippetThatParses) {
  const TuneResult r = tune_choose(curve(), {});
  const std::string y = tune_yaml(r.rows[*r.best].m, "det \"a\"", "models/x.onnx", "cpu");
  const YAML::Node n = YAML::Load(y);
  ASSERT_TRUE(n["models"].IsSequence());
  EXPECT_EQ(n["models"][0]["id"].as<std::string>(), "det \"a\"");
  EXPECT_EQ(n["models"][0]["path"].as<std::string>(), "models/x.onnx");
  EXPECT_EQ(n["models"][0]["max_batch"].as<int>(), 4);
  EXPECT_EQ(n["models"][0]["threads"].as<int>(), 4);
}

}  // namespace
}  // namespace percept
