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
#include <set>

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

// A tiny float model built with ONNX's classes: x [1, 8] -> Gemm (transB 1, bias) -> h ->
// Relu -> MatMul -> m -> Gemm (transB 0, bias) -> y, the graph output. Its weights are also
// listed as graph inputs (what keep_initializers_as_inputs exporters write) and unused
// initializers take the names the writer would give h's scale and dequantized copy.
std::string tiny_model(const std::string& path) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("tiny");
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.f, 0.5f);
  const auto tensor = [&](const std::string& name, std::vector<int64_t> dims, bool as_input) {
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t count = 1;
    for (auto d : dims) t->add_dims(d), count *= d;
    for (int64_t i = 0; i < count; ++i) t->add_float_data(n(rng));
    if (!as_input) return;
    onnx::ValueInfoProto* v = g->add_input();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  const auto io = [&](onnx::ValueInfoProto* v, const std::string& name, int64_t w) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(w);
  };
  io(g->add_input(), "x", 8);
  io(g->add_output(), "y", 3);
  tensor("W1", {6, 8}, true);
  tensor("b1", {6}, true);
  tensor("W2", {6, 4}, true);
  tensor("W3", {4, 3}, true);
  tensor("b3", {3}, true);
  tensor("h_scale", {1}, false);  // names the writer would pick for h: it must pick others
  tensor("h_dq", {1}, false);
  const auto node = [&](const std::string& op, const std::string& name, std::vector<std::string> in,
                        const std::string& out) {
    onnx::NodeProto* p = g->add_node();
    p->set_op_type(op);
    p->set_name(name);
    for (auto& i : in) p->add_input(i);
    p->add_output(out);
    return p;
  };
  onnx::AttributeProto* tb = node("Gemm", "first", {"x", "W1", "b1"}, "h")->add_attribute();
  tb->set_name("transB");
  tb->set_type(onnx::AttributeProto::INT);
  tb->set_i(1);
  node("Relu", "relu", {"h"}, "r");
  node("MatMul", "matmul", {"r", "W2"}, "m");
  node("Gemm", "last", {"m", "W3", "b3"}, "y");
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
  return path;
}

// One run of a one-input model on ONNX Runtime's CPU provider: every output, as floats.
std::map<std::string, std::vector<float>> run_ort(Ort::Session& s, std::vector<float> x,
                                                  std::vector<int64_t> shape) {
  Ort::AllocatorWithDefaultOptions alloc;
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value in =
      Ort::Value::CreateTensor<float>(mem, x.data(), x.size(), shape.data(), shape.size());
  auto in_name = s.GetInputNameAllocated(0, alloc);
  std::vector<Ort::AllocatedStringPtr> keep;
  std::vector<const char*> names;
  for (size_t i = 0; i < s.GetOutputCount(); ++i) {
    keep.push_back(s.GetOutputNameAllocated(i, alloc));
    names.push_back(keep.back().get());
  }
  const char* in_names[] = {in_name.get()};
  auto outs = s.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, names.data(), names.size());
  std::map<std::string, std::vector<float>> r;
  for (size_t i = 0; i < outs.size(); ++i) {
    const float* p = outs[i].GetTensorData<float>();
    r[names[i]].assign(p, p + outs[i].GetTensorTypeAndShapeInfo().GetElementCount());
  }
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
  EXPECT_EQ(s.nonfinite(), 2);
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

// The whole loop on the tiny model: calibrate with ONNX Runtime, quantize everything (Gemm with
// transB 1 and 0, MatMul, the graph output), and compare the int8 output with the float one.
TEST(QuantizeWriter, GemmAndMatMulAgreeWithTheFloatModelAndTheGraphStaysClean) {
  const std::string dir = ::testing::TempDir();
  const std::string model = tiny_model(dir + "/tiny.onnx"), calib = dir + "/tiny_calib.onnx",
                    out = dir + "/tiny_int8.onnx";
  q::Options o;
  o.keep_head_float = false;  // no spatial convolution: everything would be head
  q::Model m(model, o);
  for (const auto& d : m.decisions()) EXPECT_TRUE(d.quantized) << d.name << ": " << d.why;
  m.write_calibration_model(calib);
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "quantize_test");
  Ort::Session cs(env, calib.c_str(), Ort::SessionOptions{});
  std::map<std::string, q::TensorStats> stats;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  const auto input = [&] {
    std::vector<float> x(8);
    for (auto& v : x) v = u(rng);
    return x;
  };
  for (int i = 0; i < 64; ++i) {
    const std::vector<float> x = input();
    stats["x"].add(x.data(), x.size());
    for (const auto& [name, v] : run_ort(cs, x, {1, 8})) stats[name].add(v.data(), v.size());
  }
  std::map<std::string, q::Model::Range> ranges;
  for (const auto& t : m.calibrated_tensors()) ranges[t] = stats.at(t).range(q::Method::minmax, 0);
  m.write_quantized(out, ranges, {});

  Ort::Session fs(env, model.c_str(), Ort::SessionOptions{});
  Ort::Session qs(env, out.c_str(), Ort::SessionOptions{});
  EXPECT_EQ(qs.GetInputCount(), 1u) << "the quantized weights must not stay graph inputs";
  EXPECT_EQ(qs.GetOutputCount(), 1u);
  double err = 0, ref = 0;
  for (int i = 0; i < 32; ++i) {
    const std::vector<float> x = input();
    const auto a = run_ort(fs, x, {1, 8}).at("y"), b = run_ort(qs, x, {1, 8}).at("y");
    for (size_t k = 0; k < a.size(); ++k) err += (a[k] - b[k]) * (a[k] - b[k]), ref += a[k] * a[k];
  }
  // Measured 0.069 (with 7- or 8-bit weights alike); the same graph with every dequantized
  // tensor exposed, so that ONNX Runtime cannot fuse it and computes in float: 0.035. A
  // wrong channel axis throws (one bias per channel) and a wrong bias scale shifts y wholesale.
  EXPECT_LT(std::sqrt(err / ref), 0.10) << "relative error of the int8 output";
  // The graph output keeps its name and is the dequantized copy; h got unique helper names.
  const onnx::ModelProto g = load(out);
  std::set<std::string> names;
  for (const auto& n : g.graph().node()) {
    for (const auto& t : n.output()) EXPECT_TRUE(names.insert(t).second) << "written twice: " << t;
  }
  EXPECT_TRUE(names.count("y"));
  EXPECT_NE(m.dequantized_name("h"), "h_dq");
  EXPECT_EQ(m.dequantized_name("y"), "y");
}

// Value-moving operators take their input's range, so ONNX Runtime drops their Q/DQ pairs and
// runs them on 8-bit data: with a different range for every calibrated tensor, the fused
// detector still has no Q/DQ pair left around MaxPool, Resize or Split.
TEST(QuantizeWriter, ValueMovingOperatorsShareTheirInputsRange) {
  const std::string dir = ::testing::TempDir();
  const std::string out = dir + "/qdq_ranges.onnx", optimized = dir + "/qdq_ranges.opt.onnx";
  q::Model m(kDetector, q::Options{});
  std::map<std::string, q::Model::Range> ranges;
  float k = 1;
  for (const auto& t : m.calibrated_tensors()) {
    k += 0.01f;
    ranges[t] = {-k, 2 * k, -k, 2 * k};
  }
  m.write_quantized(out, ranges, {});
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "quantize_test");
  Ort::SessionOptions so;
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
  so.SetOptimizedModelFilePath(optimized.c_str());
  Ort::Session session(env, out.c_str(), so);
  const onnx::ModelProto g = load(optimized);
  std::map<std::string, std::string> producer;
  for (const auto& n : g.graph().node())
    for (const auto& o : n.output()) producer[o] = n.op_type();
  for (const auto& n : g.graph().node()) {
    if (n.op_type() != "MaxPool" && n.op_type() != "Resize" && n.op_type() != "Split") continue;
    EXPECT_NE(producer[n.input(0)], "DequantizeLinear")
        << n.op_type() << " " << n.name() << " still runs on dequantized floats";
  }
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
