// INT8 post-training quantization of an ONNX model into QDQ form (QuantizeLinear /
// DequantizeLinear pairs): the graph planning, the activation ranges and the writer. The
// calibration loop (frames through the model's own preprocessing) and the report live in
// `percept quantize` (src/cli/quantize_command.cpp); docs/QUANTIZE.md explains the choices.
//
// The graph is edited with ONNX's own protobuf classes, checker and shape inference (Debian's
// libonnx-dev); those headers stay inside src/quantize, this header only names plain structs.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace percept::quantize {

// How an activation's range is chosen from what calibration saw.
enum class Method {
  minmax,      // the extremes seen
  percentile,  // |x| below which `percentile` % of the values fall, within the extremes
  entropy,     // TensorRT's KL-divergence threshold on the |x| histogram, within the extremes
};
const char* method_name(Method m);

// Which encoding the model is written in; the ranges are the same for both.
enum class Format {
  // uint8 activations with a zero point, int8 weights: what ONNX Runtime's x86 CPU kernels
  // run fast (U8S8; int8 activations take a path slower than float there, docs/QUANTIZE.md).
  cpu,
  // int8 activations and weights, zero point 0: TensorRT's explicit quantization, and the
  // form ONNX Runtime prefers on ARM CPUs with dot-product instructions.
  tensorrt,
};
const char* format_name(Format f);

struct Options {
  Method method = Method::minmax;
  double percentile = 99.99;
  Format format = Format::cpu;
  // Weight bits: 7 keeps U8S8 products inside AVX2's 16-bit accumulation (vpmaddubsw
  // saturates with 8-bit weights on CPUs without VNNI); 8 for VNNI, ARM and TensorRT.
  // 0: 7 for the cpu format, 8 for tensorrt.
  int weight_bits = 0;
  // The output layers (every node after the last convolution with a kernel larger than 1x1
  // on each path to a graph output: prediction convolutions, box decoding) stay float.
  bool keep_head_float = true;
  // Node names or operator types that stay float, whatever else says.
  std::vector<std::string> keep_float;
  int effective_weight_bits() const {
    return weight_bits ? weight_bits : (format == Format::cpu ? 7 : 8);
  }
};

// What the planner decided for one node.
struct NodeDecision {
  std::string name, op;
  bool quantized = false;
  std::string why;  // for float nodes: "head", "--keep-float", "integer tensors", ...
};

// A loaded float model and the plan for it. Throws percept::Error (naming the file) on a
// file that is not ONNX, fails ONNX's checker, keeps weights outside the file, or is already
// quantized.
class Model {
 public:
  Model(const std::string& path, const Options& options);
  ~Model();
  Model(Model&&) noexcept;

  const std::string& path() const;
  const std::vector<NodeDecision>& decisions() const;
  // The activation tensors that get a QuantizeLinear/DequantizeLinear pair, in graph order:
  // the ones calibration must see.
  const std::vector<std::string>& calibrated_tensors() const;
  // Operators of float nodes that have no quantized form here (for the report).
  std::vector<std::string> unsupported_ops() const;

  // The float model with every calibrated tensor as an extra graph output, for the run that
  // collects ranges.
  void write_calibration_model(const std::string& path) const;

  // Quantization parameters of one activation.
  struct Range {
    float lo = 0, hi = 0;  // the chosen range, lo <= 0 <= hi
    float min = 0, max = 0;
  };
  // Writes the QDQ model: ranges for every calibrated tensor (tensors computed by operators
  // that only move values, such as MaxPool or Reshape, take their input's range so ONNX
  // Runtime can run them on int8 directly), per-channel symmetric weights, int32 biases, the
  // model's metadata with `percept.quantize.*` entries added. Runs ONNX's checker and shape
  // inference on the result. `probe`: also expose every dequantized activation as a graph
  // output (slower to run; for measuring each layer's error, never for deployment).
  void write_quantized(const std::string& path, const std::map<std::string, Range>& ranges,
                       const std::map<std::string, std::string>& extra_metadata,
                       bool probe = false) const;

  // Every tensor that gets a Q/DQ pair (calibrated or sharing its input's range).
  const std::vector<std::string>& quantized_tensors() const;
  // The name of the dequantized copy of one of them ("" for another tensor). In the probe
  // model it is a graph output; for a graph output it is the output itself.
  std::string dequantized_name(const std::string& tensor) const;

  struct Impl;  // src/quantize/model_impl.hpp

 private:
  std::unique_ptr<Impl> impl_;
};

// Per-tensor statistics accumulated over calibration frames: extremes and a histogram of |x|
// whose range doubles (merging bin pairs) when a larger value arrives, so one pass suffices.
class TensorStats {
 public:
  static constexpr int kBins = 2048;
  void add(const float* data, size_t n);
  Model::Range range(Method m, double percentile) const;
  int64_t count() const { return count_; }  // finite values
  // NaN or infinite values: left out of the range, and reported (a float model that makes them
  // on real frames has a problem quantization will not fix).
  int64_t nonfinite() const { return nonfinite_; }

 private:
  float min_ = 0, max_ = 0, top_ = 0;  // top_: upper edge of the histogram
  int64_t count_ = 0, nonfinite_ = 0;
  std::array<int64_t, kBins> hist_{};
};

}  // namespace percept::quantize
