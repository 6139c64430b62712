#include "percept/telemetry/report.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include <fstream>
#include <regex>

#include "percept/core/error.hpp"
#include "sample_snapshot.hpp"

namespace percept {
namespace {

const std::string kSample = std::string(PERCEPT_TEST_DATA) + "/telemetry_sample.jsonl";

bool contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

TEST(Report, BuildsFromARecordedTelemetryFileWithEverySectionAndNoNetwork) {
  const auto snaps = read_telemetry_file(kSample);
  ASSERT_EQ(snaps.size(), 20u);
  const std::string html = render_report_html(snaps, "sample");
  for (const char* id : {"summary", "latency-over-time", "stage-breakdown", "latency-histogram",
                         "fps-per-camera", "gpu-utilisation", "bottlenecks", "recommendations"})
    EXPECT_TRUE(contains(html, std::string("id=\"") + id + "\"")) << id;
  EXPECT_FALSE(std::regex_search(html, std::regex("https?://"))) << "references the network";
  EXPECT_FALSE(contains(html, "<script src"));
  EXPECT_TRUE(contains(html, "<svg"));
  EXPECT_TRUE(contains(html, "no GPU"));
}

TEST(Report, ListsTheControllersActionsWhenItRan) {
  std::vector<TelemetrySnapshot> snaps(3, test::sample_snapshot());
  for (size_t i = 0; i < snaps.size(); ++i) snaps[i].t += static_cast<double>(i);
  snaps[1].control->actions.clear();  // an interval without an action
  const std::string html = render_report_html(snaps, "controlled");
  ASSERT_TRUE(contains(html, "id=\"controller\""));
  EXPECT_TRUE(contains(html, "3 steps down, 1 back up; ended at step 2 of 3 (degraded)"));
  size_t rows = 0;
  for (size_t p = 0; (p = html.find("<tr class=\"degrade\">", p)) != std::string::npos; ++p) ++rows;
  EXPECT_EQ(rows, 2u) << "one row per action, from the two intervals that had one";
  EXPECT_TRUE(contains(html, "m_&lt;480&gt;.onnx")) << "escaped";
  EXPECT_TRUE(contains(html, "on &quot;front&quot;"));
  for (auto& s : snaps) s.control.reset();
  EXPECT_FALSE(contains(render_report_html(snaps, "off"), "id=\"controller\""));
}

TEST(Report, FindsTheBottlenecksAndRecommendationsTheNumbersCallFor) {
  const TelemetryAnalysis a = analyze_telemetry(read_telemetry_file(kSample));
  // Sample: preprocess ~9.25 ms and inference ~12.5 ms of ~30 ms end to end; queue ~4.25 ms.
  ASSERT_EQ(a.bottlenecks.size(), 2u);
  EXPECT_EQ(a.bottlenecks[0].stage, "inference");
  EXPECT_EQ(a.bottlenecks[1].stage, "preprocess");
  for (const StageShare& s : a.stages)
    if (s.stage == "queue" || s.stage == "postprocess") {
      EXPECT_LT(s.share, 0.2);
    }
  ASSERT_EQ(a.recommendations.size(), 2u);
  EXPECT_TRUE(contains(a.recommendations[0], "enable CUDA preprocessing"));
  EXPECT_TRUE(contains(a.recommendations[1], "Camera front"));
  EXPECT_TRUE(contains(a.recommendations[1], "3 of 20 intervals"));
  EXPECT_TRUE(contains(a.recommendations[1], "smaller input size or the fp16 model"));
}

// Issue 21: a lossless run printed "bottleneck: model shapes queue 69%". Frames waiting for an
// executor are the effect; the cause is the busiest executor, named as the pipeline's limit.
TEST(Report, TheBusiestExecutorIsTheLimitNotTheQueue) {
  std::vector<TelemetrySnapshot> snaps(3, test::sample_snapshot());  // 1 s intervals: 3 s run
  LatencyStats& e2e = snaps.back().latency;
  e2e.total_count = 100;
  e2e.total_sum_ms = 4000;  // 40 ms end to end
  for (auto& [id, queue_ms, work_ms] : std::vector<std::tuple<std::string, double, double>>{
           {"shapes", 2800, 2850}, {"depth", 200, 900}}) {
    ModelTelemetry m = snaps.back().models[0];
    m.id = id;
    m.batches = {10, 100};
    m.queue.total_count = 100;
    m.queue.total_sum_ms = queue_ms;  // shapes: 28 ms of 40, 70%
    m.preprocess.total_sum_ms = 0;
    m.inference.total_count = 100;
    m.inference.total_sum_ms = work_ms;  // shapes: busy 2.85 s of 3 s
    m.postprocess.total_sum_ms = 0;
    if (id == "shapes")
      snaps.back().models[0] = m;
    else
      snaps.back().models.push_back(m);
  }
  const TelemetryAnalysis a = analyze_telemetry(snaps);
  for (const StageShare& s : a.bottlenecks) EXPECT_NE(s.stage, "queue") << s.model;
  ASSERT_TRUE(a.limit);
  EXPECT_EQ(a.limit->model, "shapes");
  EXPECT_NEAR(a.limit->busy, 0.95, 1e-9);
  ASSERT_EQ(a.loads.size(), 2u);
  EXPECT_NEAR(a.loads[1].busy, 0.30, 1e-9);
  const std::string text = findings_text(a);
  EXPECT_TRUE(contains(text, "limit: model shapes, its executor busy 95% of the run")) << text;
  EXPECT_FALSE(contains(text, "queue")) << text;
  EXPECT_TRUE(contains(text,
                       "frames wait 28.00 ms (70% of end-to-end) for its executor, which "
                       "was busy 95% of the run: it is the pipeline's limit"))
      << text;
  // Both saturated (three models on two cores, the demo): the second one waits as much and
  // must not be called "not saturated" next to its own 90%.
  snaps.back().models[1].queue.total_sum_ms = 2000;
  snaps.back().models[1].inference.total_sum_ms = 2700;
  const std::string both = findings_text(analyze_telemetry(snaps));
  EXPECT_TRUE(contains(both,
                       "which was busy 90% of the run: it was saturated too, beside the "
                       "limit (shapes)"))
      << both;
  EXPECT_FALSE(contains(both, "not saturated")) << both;
  // No executor near saturation: no limit named.
  snaps.back().models[0].inference.total_sum_ms = 1500;
  snaps.back().models[1].inference.total_sum_ms = 900;
  EXPECT_FALSE(analyze_telemetry(snaps).limit);
}

TEST(Report, AnIdleGpuWhileFramesDropCallsForALargerBatch) {
  std::vector<TelemetrySnapshot> snaps(3, test::sample_snapshot());  // GPU 42% busy, 4 drops
  const TelemetryAnalysis a = analyze_telemetry(snaps);
  bool raise = false;
  for (const std::string& r : a.recommendations) raise |= contains(r, "raise max_batch");
  EXPECT_TRUE(raise);
  for (auto& s : snaps) s.system.gpu->utilization_percent = 90;
  for (const std::string& r : analyze_telemetry(snaps).recommendations)
    EXPECT_FALSE(contains(r, "raise max_batch"));
}

TEST(Report, ABadLineIsNamedByFileAndLine) {
  const std::string path = ::testing::TempDir() + "/bad_telemetry.jsonl";
  {
    std::ofstream f(path);
    f << telemetry_jsonl(test::sample_snapshot()) << "\n\n{\"t\": 1}\n";
  }
  try {
    read_telemetry_file(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "bad_telemetry.jsonl:3:")) << e.what();
  }
}

// What a run killed mid-write leaves: whole lines, then a cut one without its newline.
TEST(Report, ACutLastLineIsLeftOutWhenTheCallerAsksAndAnErrorOtherwise) {
  const std::string path = ::testing::TempDir() + "/cut_telemetry.jsonl";
  const std::string whole = telemetry_jsonl(test::sample_snapshot());
  {
    std::ofstream f(path);
    f << whole << "\n" << whole << "\n" << whole.substr(0, whole.size() / 2);
  }
  bool cut = false;
  EXPECT_EQ(read_telemetry_file(path, &cut).size(), 2u);
  EXPECT_TRUE(cut);
  EXPECT_THROW(read_telemetry_file(path), Error);
  {
    std::ofstream f(path);  // cut in the middle: not what a kill leaves, so still an error
    f << whole.substr(0, whole.size() / 2) << "\n" << whole << "\n";
  }
  try {
    read_telemetry_file(path, &cut);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "cut_telemetry.jsonl:1:")) << e.what();
  }
  {
    std::ofstream f(path);  // a whole last line without its newline is kept
    f << whole << "\n" << whole;
  }
  EXPECT_EQ(read_telemetry_file(path, &cut).size(), 2u);
  EXPECT_FALSE(cut);
}

}  // namespace
}  // namespace percept
