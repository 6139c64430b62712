// src/quantize: the range statistics, the planner's decisions on a real model, and the QDQ
// graph it writes, checked by reading it back with ONNX's classes and by the fusions ONNX
// Runtime actually applies when it opens it.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "percept/core/error.hpp"
#include "percept/infer/onnxruntime_backend.hpp"
#include "percept/quantize/quantize.hpp"
#include "percept/tasks/task.hpp"

namespace percept {
namespace {

namespace q = quantize;
const std::string kDetector = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";

onnx::ModelProto load(const std::string& path) {
  onnx::ModelProto m;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&f)) << path;
  return m;
}

std::map<std::string, int> op_counts(const onnx::ModelProto& m) {
  std::map<std::string, int> n;
  for (const auto& node : m.graph().node()) n[node.op_type()]++;
  return n;
}

// Ranges as if calibration had seen [-4, 4] everywhere: the graph's form does not depend on
// the values.
std::map<std::string, q::Model::Range> flat_ranges(const q::Model& m) {
  std::map<std::string, q::Model::Range> r;
  for (const auto& t : m.calibrated_tensors()) r[t] = {-4.f, 4.f, -4.f, 4.f};
  return r;
}

TEST(TensorStats, MinMaxAndAHistogramThatGrowsWithoutLosingCounts) {
  q::TensorStats s;
  std::vector<float> a(1000);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) / 1000.f;  // [0, 1)
  s.add(a.data(), a.size());
  const float big[] = {-3.f, 7.5f, NAN, INFINITY};
  s.add(big, 4);  // the span doubles three times; the non-finite values are not counted
  EXPECT_EQ(s.count(), 1002);
  const auto r = s.range(q::Method::minmax, 0);
  EXPECT_FLOAT_EQ(r.min, -3.f);
  EXPECT_FLOAT_EQ(r.max, 7.5f);
  EXPECT_FLOAT_EQ(r.lo, -3.f);
  EXPECT_FLOAT_EQ(r.hi, 7.5f);
  // 99.8% of the values are below 1: the percentile range ends near 1 (one bin of 8/2048).
  const auto p = s.range(q::Method::percentile, 99.8);
  EXPECT_NEAR(p.hi, 1.0, 8.0 / 2048 + 1e-6);
  EXPECT_NEAR(p.lo, -1.0, 8.0 / 2048 + 1e-6);  // clipped symmetrically, within the extremes
}

TEST(TensorStats, EveryRangeHoldsZero) {
  q::TensorStats s;
  const float v[] = {2.f, 3.f, 5.f};  // all positive: zero must still be exact
  s.add(v, 3);
  const auto r = s.range(q::Method::minmax, 0);
  EXPECT_EQ(r.lo, 0.f);
  EXPECT_EQ(r.hi, 5.f);
}

TEST(TensorStats, EntropyClipsRareOutliersButKeepsTheBulk) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> v(200000);
  for (auto& x : v) x = n(rng);
  v[0] = 40.f;  // one outlier stretches the min-max range 10x
  q::TensorStats s;
  s.add(v.data(), v.size());
  const auto e = s.range(q::Method::entropy, 0);
  EXPECT_LT(e.hi, 20.f);
  EXPECT_GT(e.hi, 2.5f);  // keeps well beyond 2 sigma
  EXPECT_FLOAT_EQ(s.range(q::Method::minmax, 0).hi, 40.f);
}

TEST(QuantizePlan, TheDetectorsHeadAndDecodingStayFloat) {
  q::Model m(kDetector, q::Options{});
  std::map<std::string, const q::NodeDecision*> by_name;
  for (const auto& d : m.decisions()) by_name[d.name] = &d;
  // The prediction convolutions (1x1) and the DFL decoding: float, "head".
  for (const char* n : {"/model.22/cv2.0/cv2.0.2/Conv", "/model.22/cv3.2/cv3.2.2/Conv",
                        "/model.22/dfl/conv/Conv", "/model.22/Sigmoid"}) {
    ASSERT_TRUE(by_name.count(n)) << n;
    EXPECT_FALSE(by_name[n]->quantized) << n;
    EXPECT_EQ(by_name[n]->why, "head") << n;
  }
  // The 3x3 convolutions before them and the backbone: quantized.
  for (const char* n : {"/model.22/cv2.0/cv2.0.1/conv/Conv", "/model.0/conv/Conv",
                        "/model.2/m.0/cv1/act/Sigmoid", "/model.9/m/MaxPool"}) {
    ASSERT_TRUE(by_name.count(n)) << n;
    EXPECT_TRUE(by_name[n]->quantized) << n << ": " << by_name[n]->why;
  }
  EXPECT_GT(m.calibrated_tensors().size(), 100u);
  // Softmax has no quantized form here: reported as such, never silently dropped.
  const auto ops = m.unsupported_ops();
  EXPECT_NE(std::find(ops.begin(), ops.end(), "Softmax"), ops.end());

  q::Options all;
  all.keep_head_float = false;
  all.keep_float = {"MaxPool", "/model.0/conv/Conv"};
  q::Model m2(kDetector, all);
  for (const auto& d : m2.decisions()) {
    if (d.name == "/model.22/cv2.0/cv2.0.2/Conv") {
      EXPECT_TRUE(d.quantized);
    }
    if (d.op == "MaxPool" || d.name == "/model.0/conv/Conv") {
      EXPECT_EQ(d.why, "--keep-float");
    }
  }
}

TEST(QuantizeWriter, OnnxRuntimeFusesTheGraphIntoQuantizedKernels) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/qdq_cpu.onnx", optimized = dir + "/qdq_cpu.ort_optimized.onnx";
  q::Model m(kDetector, q::Options{});
  m.write_quantized(out, flat_ranges(m), {{"percept.quantize.format", "cpu"}});

  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "quantize_test");
  Ort::SessionOptions so;
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
  so.SetOptimizedModelFilePath(optimized.c_str());
  Ort::Session session(env, out.c_str(), so);
  const auto ops = op_counts(load(optimized));
  // 64 convolutions, 7 of them in the head: the other 57 run as QLinearConv, SiLU as
  // QLinearSigmoid + QLinearMul, and no float Conv is left outside the head.
  EXPECT_GE(ops.count("QLinearConv") ? ops.at("QLinearConv") : 0, 57);
  EXPECT_GE(ops.count("QLinearSigmoid") ? ops.at("QLinearSigmoid") : 0, 50);
  EXPECT_GE(ops.count("QLinearMul") ? ops.at("QLinearMul") : 0, 50);
  EXPECT_LE(ops.count("Conv") ? ops.at("Conv") : 0, 7);
}

TEST(QuantizeWriter, TheTensorRTFormatIsSymmetricInt8AndMetadataIsCarriedOver) {
  const std::string out = ::testing::TempDir() + "/qdq_trt.onnx";
  q::Options o;
  o.format = q::Format::tensorrt;
  q::Model m(kDetector, o);
  m.write_quantized(out, flat_ranges(m), {{"percept.quantize.format", "tensorrt"}});
  const onnx::ModelProto g = load(out);
  std::map<std::string, const onnx::TensorProto*> init;
  for (const auto& t : g.graph().initializer()) init[t.name()] = &t;
  int checked = 0;
  for (const auto& n : g.graph().node()) {
    if (n.op_type() != "QuantizeLinear" && n.op_type() != "DequantizeLinear") continue;
    ASSERT_EQ(n.input_size(), 3);
    const onnx::TensorProto* zp = init.at(n.input(2));
    if (zp->data_type() == onnx::TensorProto::INT32) continue;  // biases
    ASSERT_EQ(zp->data_type(), onnx::TensorProto::INT8) << n.name();
    for (char c : zp->raw_data()) ASSERT_EQ(c, 0) << n.name();
    ++checked;
  }
  EXPECT_GT(checked, 300);
  // 8-bit weights within +-127; the float weights are gone.
  for (const auto& t : g.graph().initializer())
    if (t.data_type() == onnx::TensorProto::FLOAT) {
      EXPECT_LT(t.raw_data().size(), 20000u) << t.name();
    }
  std::map<std::string, std::string> meta;
  for (const auto& p : g.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["percept.quantize.format"], "tensorrt");
  EXPECT_EQ(meta["task"], "detect");
  EXPECT_FALSE(meta["names"].empty());

  // It drops into a config unchanged: the same task, input size and labels.
  TaskConfig cfg;
  cfg.model_path = out;
  auto qt = open_task(cfg);
  cfg.model_path = kDetector;
  auto ft = open_task(cfg);
  EXPECT_EQ(qt->name(), "detect");
  EXPECT_EQ(qt->input_size().width, ft->input_size().width);
  EXPECT_EQ(qt->labels(), ft->labels());
}

// What turns TensorRT's INT8 flag on for a quantized model (onnxruntime_backend.cpp).
TEST(QuantizeWriter, TheBackendRecognisesAQuantizedModelFile) {
  const std::string out = ::testing::TempDir() + "/qdq_scan.onnx";
  q::Model m(kDetector, q::Options{});
  m.write_quantized(out, flat_ranges(m), {});
  EXPECT_TRUE(model_has_qdq_nodes(out));
  EXPECT_FALSE(model_has_qdq_nodes(kDetector));
  EXPECT_FALSE(model_has_qdq_nodes(::testing::TempDir() + "/no_such_model.onnx"));
}

TEST(QuantizeModel, RefusesQuantizedAndBrokenModelsNamingTheFile) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/already.onnx";
  q::Model m(kDetector, q::Options{});
  m.write_quantized(out, flat_ranges(m), {});
  try {
    q::Model again(out, q::Options{});
    FAIL() << "a quantized model was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already quantized"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(out), std::string::npos) << e.what();
  }
  const std::string junk = dir + "/junk.onnx";
  std::ofstream(junk) << "not a model at all";
  EXPECT_THROW(q::Model(junk, q::Options{}), Error);
  EXPECT_THROW(q::Model(dir + "/missing.onnx", q::Options{}), Error);
  // A range missing for a tensor: a clear error, nothing written.
  auto ranges = flat_ranges(m);
  ranges.erase(ranges.begin());
  const std::string partial = dir + "/partial.onnx";
  std::filesystem::remove(partial);
  EXPECT_THROW(m.write_quantized(partial, ranges, {}), Error);
  EXPECT_FALSE(std::filesystem::exists(partial));
}

}  // namespace
}  // namespace percept
