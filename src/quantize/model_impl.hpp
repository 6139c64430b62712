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
  std::map<std::string, const onnx::TensorProto*> initializers;
  std::set<std::string> constants;  // initializers and Constant node outputs
  std::map<std::string, int> elem_type;

  // The inferred type and shape of a tensor (a float of unknown shape when not inferred).
  onnx::ValueInfoProto value_info(const std::string& tensor) const;
  std::string where() const { return "model '" + path + "'"; }
};

// Operators with a quantized form in ONNX Runtime's QDQ fusions (and TensorRT's).
bool has_weights(const std::string& op);  // Conv, Gemm, MatMul
// Operators that only move values: their output takes the input's quantization parameters, so
// ONNX Runtime drops the Q/DQ around them and runs them on 8-bit data.
bool moves_values(const std::string& op);

}  // namespace percept::quantize
