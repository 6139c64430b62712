// What Model keeps: the float graph (with ONNX's inferred types) and the plan for it. Shared
// by the planner (model_plan.cpp) and the writer (qdq_writer.cpp).
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "percept/quantize/quantize.hpp"

namespace percept::quantize {

struct Model::Impl {
  std::string path;
  Options options;
  onnx::ModelProto model;
  std::vector<NodeDecision> decisions;         // one per graph node, in graph order
  std::vector<std::vector<int>> quant_inputs;  // per node: input slots that are dequantized
  std::vector<std::string> qdq_tensors;        // every tensor with a Q/DQ pair, graph order
  std::set<std::string> qdq_set;
  std::vector<std::string> calibrated;          // the subset whose range calibration gives
  std::map<std::string, std::string> range_of;  // tensor -> the calibrated tensor it copies
  // The names the writer gives what it adds, chosen once when planning so that they are
  // unique in the graph (a model may already use "x_scale" or repeat a node name) and the
  // same in every model written from this plan.
  struct QdqNames {
    std::string source;  // the tensor QuantizeLinear reads: the original, or for a graph
                         // output its renamed producer output (the output keeps its name)
    std::string q, dq, scale, zero_point, q_node, dq_node;
  };
  std::map<std::string, QdqNames> qdq_names;  // per tensor in qdq_set
  struct WeightNames {
    std::string w_q, w_scale, w_zero_point, w_node, w_dq;
    std::string b_q, b_scale, b_zero_point, b_node, b_dq;
  };
  std::map<int, WeightNames> weight_names;  // per quantized node with a weight initializer
  std::map<std::string, const onnx::TensorProto*> initializers;
  std::set<std::string> constants;  // initializers and Constant node outputs
  std::map<std::string, int> elem_type;

  // The inferred type and shape of a tensor (a float of unknown shape when not inferred).
  onnx::ValueInfoProto value_info(const std::string& tensor) const;
  std::string where() const { return "model '" + path + "'"; }
};

// The axis of a weighted node's weight initializer that holds its output channels (Conv 0,
// Gemm 0 with transB else 1, MatMul 1), and their number.
int weight_axis(const onnx::NodeProto& n);
int64_t weight_channels(const onnx::NodeProto& n, const onnx::TensorProto& w);

// Operators with a quantized form in ONNX Runtime's QDQ fusions (and TensorRT's).
bool has_weights(const std::string& op);  // Conv, Gemm, MatMul
// Operators that only move values: their output takes the input's quantization parameters, so
// ONNX Runtime drops the Q/DQ around them and runs them on 8-bit data.
bool moves_values(const std::string& op);

}  // namespace percept::quantize
