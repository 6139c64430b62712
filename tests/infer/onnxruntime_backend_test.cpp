#include <gtest/gtest.h>
#include <onnxruntime_c_api.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "percept/infer/backend.hpp"
#include "percept/infer/onnxruntime_backend.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;
const std::string kData = PERCEPT_TEST_DATA;

std::string temp_file(const std::string& name, const std::string& bytes) {
  fs::path p = fs::temp_directory_path() / ("percept_infer_test_" + name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// Expects create_backend to throw with `code` and a message containing every fragment.
void expect_load_error(const std::string& path, ErrorCode code,
                       std::initializer_list<std::string> fragments) {
  try {
    create_backend(path, {});
    FAIL() << "no error for " << path;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.code(), code) << error_code_name(e.code()) << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

TEST(OnnxRuntimeBackend, VersionMatchesHeaders) {
  EXPECT_EQ(onnxruntime_version().rfind("1.29", 0), 0u) << onnxruntime_version();
}

TEST(OnnxRuntimeBackend, IntrospectsInputsOutputsAndSymbolicDims) {
  auto b = create_backend(kData + "/identity_dynamic.onnx", {});
  EXPECT_EQ(b->name(), "onnxruntime-cpu");
  ASSERT_EQ(b->inputs().size(), 1u);
  const TensorInfo& in = b->inputs()[0];
  EXPECT_EQ(in.name, "x");
  EXPECT_EQ(in.dtype, DType::f32);
  EXPECT_EQ(shape_str(in.shape), "[?, 3, 4, 4]");
  EXPECT_EQ(in.dim_names[0], "batch");
  EXPECT_EQ(in.dim_names[1], "");
  ASSERT_EQ(b->outputs().size(), 1u);
  EXPECT_EQ(b->outputs()[0].name, "y");
}

TEST(OnnxRuntimeBackend, RunsBatchesThroughTheModel) {
  BackendOptions opt;
  opt.intra_op_threads = 1;
  opt.graph_optimization = GraphOptimization::basic;
  auto b = create_backend(kData + "/identity_dynamic.onnx", opt);
  for (int64_t batch : {1, 3}) {
    Tensor t(DType::f32, {batch, 3, 4, 4});
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = static_cast<float>(i) * 0.5f;
    TensorView v = t.view();
    auto out = b->run(std::span<const TensorView>(&v, 1));
    ASSERT_TRUE(out.ok()) << out.error().message();
    const TensorView& y = (*out)[0];
    EXPECT_EQ(shape_str(y.shape), shape_str(t.shape()));
    for (int64_t i = 0; i < t.numel(); ++i) ASSERT_FLOAT_EQ(y.as<float>()[i], i * 0.5f);
  }
}

TEST(OnnxRuntimeBackend, ShapeMismatchNamesTheTensor) {
  auto b = create_backend(kData + "/identity_dynamic.onnx", {});
  Tensor t(DType::f32, {1, 3, 5, 4});
  TensorView v = t.view();
  auto out = b->run(std::span<const TensorView>(&v, 1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::invalid_argument);
  const std::string msg = out.error().message();
  EXPECT_NE(msg.find("input 'x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[?, 3, 4, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[1, 3, 5, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("identity_dynamic.onnx"), std::string::npos) << msg;
  // The backend is still usable after the error.
  t.reshape(DType::f32, {1, 3, 4, 4});
  v = t.view();
  EXPECT_TRUE(b->run(std::span<const TensorView>(&v, 1)).ok());
}

TEST(OnnxRuntimeBackend, DtypeAndCountMismatch) {
  auto b = create_backend(kData + "/int64_input.onnx", {});
  Tensor t(DType::f32, {1, 8});
  TensorView v = t.view();
  auto out = b->run(std::span<const TensorView>(&v, 1));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("input 'ids' expects int64 but got float32"),
            std::string::npos)
      << out.error().message();
  EXPECT_EQ(out.error().code(), ErrorCode::invalid_argument);
  auto none = b->run({});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("1 input(s) but 0 were given"), std::string::npos);
  EXPECT_EQ(none.error().code(), ErrorCode::invalid_argument);
}

// ONNX Runtime's codes map to percept's; its message is read only to tell an allocation failure
// (which it reports as a generic failure) from the rest.
TEST(OnnxRuntimeBackend, ErrorCodesFollowOnnxRuntimesCodes) {
  EXPECT_EQ(onnxruntime_error_code(ORT_INVALID_PROTOBUF, "Protobuf parsing failed."),
            ErrorCode::model);
  EXPECT_EQ(onnxruntime_error_code(ORT_INVALID_GRAPH, "This is an invalid model."),
            ErrorCode::model);
  EXPECT_EQ(onnxruntime_error_code(ORT_NO_SUCHFILE, "Load model from x failed: File doesn't exist"),
            ErrorCode::io);
  EXPECT_EQ(onnxruntime_error_code(ORT_INVALID_ARGUMENT, "Got invalid dimensions for input: x"),
            ErrorCode::invalid_argument);
  EXPECT_EQ(onnxruntime_error_code(ORT_NOT_IMPLEMENTED, "Could not find an implementation"),
            ErrorCode::not_supported);
  EXPECT_EQ(onnxruntime_error_code(ORT_EP_FAIL, "CUDA failure 700: an illegal memory access"),
            ErrorCode::device);
  EXPECT_EQ(onnxruntime_error_code(ORT_FAIL, "Non-zero status code returned while running Conv"),
            ErrorCode::unknown);
  EXPECT_EQ(onnxruntime_error_code(ORT_MODEL_LOADED, "Model was already loaded"),
            ErrorCode::unknown);
  // Allocation failures: a generic code with words that say so.
  EXPECT_EQ(onnxruntime_error_code(ORT_FAIL, "Failed to allocate memory for requested buffer"),
            ErrorCode::out_of_memory);
  EXPECT_EQ(onnxruntime_error_code(ORT_RUNTIME_EXCEPTION, "CUDA failure 2: out of memory"),
            ErrorCode::out_of_memory);
  EXPECT_EQ(onnxruntime_error_code(ORT_EP_FAIL, "CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED"),
            ErrorCode::out_of_memory);
  // The words count only where the code is a generic failure.
  EXPECT_EQ(onnxruntime_error_code(ORT_INVALID_ARGUMENT, "out of memory"),
            ErrorCode::invalid_argument);
  EXPECT_EQ(onnxruntime_error_code(ORT_INVALID_PROTOBUF, "out of memory"), ErrorCode::model);
}

TEST(OnnxRuntimeBackend, MissingModelNamesTheFile) {
  expect_load_error("/nonexistent/model.onnx", ErrorCode::io,
                    {"not found", "/nonexistent/model.onnx"});
}

TEST(OnnxRuntimeBackend, DirectoryIsNotAModel) {
  expect_load_error(fs::temp_directory_path().string(), ErrorCode::io, {"not a file"});
}

TEST(OnnxRuntimeBackend, EmptyFile) {
  expect_load_error(temp_file("empty.onnx", ""), ErrorCode::model, {"empty", "empty.onnx"});
}

TEST(OnnxRuntimeBackend, NotAnOnnxFile) {
  expect_load_error(temp_file("text.onnx", "this is not a model\n"), ErrorCode::model,
                    {"text.onnx", "not an ONNX model"});
}

TEST(OnnxRuntimeBackend, TruncatedModel) {
  const std::string full = read_all(kData + "/const_v8.onnx");
  ASSERT_GT(full.size(), 100u);
  expect_load_error(temp_file("truncated.onnx", full.substr(0, full.size() / 2)), ErrorCode::model,
                    {"truncated.onnx", "not an ONNX model"});
}

TEST(OnnxRuntimeBackend, UnsupportedDeviceIsAnError) {
  BackendOptions opt;
  opt.device = "tpu";
  try {
    create_backend(kData + "/identity_dynamic.onnx", opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("device 'tpu' is not supported"), std::string::npos);
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
  }
}

TEST(OnnxRuntimeBackend, ParsesDevices) {
  EXPECT_EQ(parse_device("cpu")->provider, "cpu");
  EXPECT_EQ(parse_device("cuda")->id, 0);
  EXPECT_EQ(parse_device("cuda:1")->id, 1);
  EXPECT_EQ(parse_device("tensorrt:2")->provider, "tensorrt");
  for (const char* bad : {"tpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cpu:0", "CUDA"})
    EXPECT_FALSE(parse_device(bad).has_value()) << bad;
}

// On a machine whose ONNX Runtime lacks the GPU providers, or that has no GPU, cuda and
// tensorrt fall back to the CPU and say so in name(); where they start, the model runs there.
// Either way the model's results are the same.
TEST(OnnxRuntimeBackend, GpuDevicesFallBackOrRun) {
  for (const char* device : {"cuda", "tensorrt"}) {
    BackendOptions opt;
    opt.device = device;
    auto b = create_backend(kData + "/identity_dynamic.onnx", opt);
    EXPECT_TRUE(b->name() == "onnxruntime-cpu" || b->name() == "onnxruntime-cuda" ||
                b->name() == "onnxruntime-tensorrt")
        << b->name();
    Tensor t(DType::f32, {2, 3, 4, 4});
    for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = static_cast<float>(i) * 0.25f;
    TensorView v = t.view();
    auto out = b->run(std::span<const TensorView>(&v, 1));
    ASSERT_TRUE(out.ok()) << out.error().message();
    for (int64_t i = 0; i < t.numel(); ++i) ASSERT_FLOAT_EQ((*out)[0].as<float>()[i], i * 0.25f);
  }
}

TEST(OnnxRuntimeBackend, ReadsMetadata) {
  auto b = create_backend(kData + "/const_v8.onnx", {});
  EXPECT_EQ(b->metadata().at("task"), "detect");
  EXPECT_EQ(b->metadata().at("names"), "{0: 'cat', 1: 'dog'}");
}

TEST(GraphOptimization, Parses) {
  EXPECT_EQ(*parse_graph_optimization("extended"), GraphOptimization::extended);
  EXPECT_FALSE(parse_graph_optimization("max").ok());
}

}  // namespace
}  // namespace percept
