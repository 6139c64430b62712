// `percept tune` and `percept report` end to end through the real binary.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/run_cli.hpp"

namespace {

using cli_test::Ran;
Ran percept(const std::string& args) {
  return cli_test::run_percept(args);
}

const std::string kModel = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";

TEST(TuneCli, WritesASnippetThatParsesAsConfig) {
  const std::string out = ::testing::TempDir() + "/tune_snippet.yaml";
  std::filesystem::remove(out);
  const Ran r = percept("tune --model " + kModel +
                        " --threads-list 1 --batches 1,2 --warmup 0 --iterations 2 --write " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("best"), std::string::npos) << r.out;
  const YAML::Node n = YAML::LoadFile(out);
  ASSERT_TRUE(n["models"].IsSequence());
  EXPECT_EQ(n["models"][0]["path"].as<std::string>(), kModel);
  const int b = n["models"][0]["max_batch"].as<int>();
  EXPECT_TRUE(b == 1 || b == 2);
  EXPECT_EQ(n["models"][0]["threads"].as<int>(), 1);
}

TEST(TuneCli, ImpossibleLimitsAreSaidPlainlyAndWriteNothing) {
  const std::string out = ::testing::TempDir() + "/tune_none.yaml";
  std::filesystem::remove(out);
  const Ran r = percept("tune --model " + kModel +
                        " --threads-list 1 --batches 1 --warmup 0 --iterations 2"
                        " --max-latency-ms 0.000001 --write " +
                        out);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("NO setting meets"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(TuneCli, CudaIsAnExplicitErrorInThisBuild) {
  const Ran r = percept("tune --model " + kModel + " --device cuda");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("not supported in this build"), std::string::npos) << r.out;
}

TEST(ReportCli, WritesOneSelfContainedHtmlFile) {
  const std::string out = ::testing::TempDir() + "/report.html";
  const Ran r =
      percept(std::string("report ") + PERCEPT_TEST_DATA + "/telemetry_sample.jsonl -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("recommendation: "), std::string::npos) << r.out;
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find("id=\"recommendations\""), std::string::npos);
  EXPECT_EQ(percept("report /nonexistent.jsonl").code, 2);
}

}  // namespace
