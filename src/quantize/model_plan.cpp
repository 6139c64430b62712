// Loading a float model and deciding, node by node, what is quantized and what stays float.
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "model_impl.hpp"
#include "percept/core/error.hpp"

namespace percept::quantize {

namespace {

const std::set<std::string> kQuantizedOps = {"Conv",
                                             "Gemm",
                                             "MatMul",
                                             "Add",
                                             "Mul",
                                             "Sigmoid",
                                             "Relu",
                                             "Concat",
                                             "MaxPool",
                                             "AveragePool",
                                             "GlobalAveragePool",
                                             "Resize",
                                             "Split",
                                             "Reshape",
                                             "Transpose",
                                             "Flatten",
                                             "Squeeze",
                                             "Unsqueeze"};

// A model that already holds quantized operators or 8-bit weights.
const std::set<std::string> kAlreadyQuantized = {"QuantizeLinear",
                                                 "DequantizeLinear",
                                                 "DynamicQuantizeLinear",
                                                 "QLinearConv",
                                                 "QLinearMatMul",
                                                 "ConvInteger",
                                                 "MatMulInteger",
                                                 "QGemm",
                                                 "QLinearAdd",
                                                 "QLinearMul",
                                                 "MatMulNBits"};

// Operators whose quantized form takes only the first input as 8-bit data.
bool data_input_only(const std::string& op) {
  return moves_values(op) || op == "Sigmoid" || op == "Relu" || op == "AveragePool" ||
         op == "GlobalAveragePool";
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::io, "model '" + path + "': cannot open the file");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// A Conv whose kernel spans more than one pixel in some dimension: where the head ends.
bool spatial_conv(const onnx::NodeProto& n, const Model::Impl& m) {
  if (n.op_type() != "Conv") return false;
  for (const auto& a : n.attribute())
    if (a.name() == "kernel_shape") {
      for (auto k : a.ints())
        if (k > 1) return true;
      return false;
    }
  if (n.input_size() > 1) {
    auto it = m.initializers.find(n.input(1));
    if (it != m.initializers.end())
      for (int d = 2; d < it->second->dims_size(); ++d)
        if (it->second->dims(d) > 1) return true;
  }
  return false;
}

}  // namespace

int64_t weight_channels(const onnx::NodeProto& n, const onnx::TensorProto& w) {
  return w.dims(weight_axis(n));
}

int weight_axis(const onnx::NodeProto& n) {
  if (n.op_type() == "MatMul") return 1;
  if (n.op_type() == "Gemm") {
    for (const auto& a : n.attribute())
      if (a.name() == "transB" && a.i() == 1) return 0;
    return 1;
  }
  return 0;  // Conv: [M, C/group, kH, kW]
}

bool has_weights(const std::string& op) {
  return op == "Conv" || op == "Gemm" || op == "MatMul";
}

bool moves_values(const std::string& op) {
  return op == "MaxPool" || op == "Resize" || op == "Split" || op == "Reshape" ||
         op == "Transpose" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze";
}

Model::Model(const std::string& path, const Options& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path;
  m.options = options;
  if (!m.model.ParseFromString(read_file(path)))
    throw Error(ErrorCode::model, m.where() + ": not an ONNX model (protobuf parse failed)");
  try {
    onnx::checker::check_model(m.model);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::model, m.where() + ": ONNX's checker refuses it: " + e.what());
  }
  int opset = 0;
  for (const auto& o : m.model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = static_cast<int>(o.version());
  if (opset < 13)
    throw Error(ErrorCode::model,
                m.where() + ": opset " + std::to_string(opset) +
                    "; per-channel quantization needs opset 13 or newer (re-export the model)");
  const onnx::GraphProto& g = m.model.graph();
  for (const auto& n : g.node())
    if (kAlreadyQuantized.count(n.op_type()))
      throw Error(ErrorCode::model, m.where() + ": already quantized (node '" + n.name() + "' is " +
                                        n.op_type() + "); quantize the float model");
  for (const auto& t : g.initializer()) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      throw Error(ErrorCode::model, m.where() + ": initializer '" + t.name() +
                                        "' is stored outside the file; not supported");
    if (t.data_type() == onnx::TensorProto::INT8 || t.data_type() == onnx::TensorProto::UINT8)
      throw Error(ErrorCode::model, m.where() + ": already quantized (initializer '" + t.name() +
                                        "' holds 8-bit integers)");
  }
  // Types of every tensor: only float tensors are quantized (shape subgraphs are int64).
  try {
    onnx::shape_inference::InferShapes(m.model);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::model, m.where() + ": ONNX shape inference fails: " + e.what());
  }
  for (const auto& t : g.initializer()) {
    m.initializers[t.name()] = &t;
    m.constants.insert(t.name());
    m.elem_type[t.name()] = t.data_type();
  }
  const auto note_type = [&](const onnx::ValueInfoProto& v) {
    if (v.type().has_tensor_type()) m.elem_type[v.name()] = v.type().tensor_type().elem_type();
  };
  for (const auto& v : g.input()) note_type(v);
  for (const auto& v : g.output()) note_type(v);
  for (const auto& v : g.value_info()) note_type(v);
  for (const auto& n : g.node())
    if (n.op_type() == "Constant")
      for (const auto& o : n.output()) m.constants.insert(o);

  // The head: walking back from the outputs, every node met before a spatial convolution.
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i)
    for (const auto& o : g.node(i).output()) producer[o] = i;
  std::vector<char> head(g.node_size(), 0);
  std::vector<std::string> todo;
  for (const auto& o : g.output()) todo.push_back(o.name());
  while (!todo.empty()) {
    const std::string t = todo.back();
    todo.pop_back();
    auto it = producer.find(t);
    if (it == producer.end() || head[it->second]) continue;
    const onnx::NodeProto& n = g.node(it->second);
    if (spatial_conv(n, m)) continue;
    head[it->second] = 1;
    for (const auto& in : n.input()) todo.push_back(in);
  }

  const auto is_float = [&](const std::string& t) {
    auto it = m.elem_type.find(t);
    return it != m.elem_type.end() && it->second == onnx::TensorProto::FLOAT;
  };
  const auto activation = [&](const std::string& t) { return !t.empty() && !m.constants.count(t); };
  const std::set<std::string> keep(options.keep_float.begin(), options.keep_float.end());

  m.decisions.resize(g.node_size());
  m.quant_inputs.resize(g.node_size());
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    NodeDecision& d = m.decisions[i];
    d.name = n.name().empty() ? n.output(0) : n.name();
    d.op = n.op_type();
    const auto why_float = [&]() -> std::string {
      if (n.op_type() == "Constant") return "constant";
      if (!kQuantizedOps.count(n.op_type())) return "no quantized form";
      if (keep.count(n.name()) || keep.count(n.op_type()) || keep.count(d.name))
        return "--keep-float";
      if (options.keep_head_float && head[i]) return "head";
      if (n.op_type() == "MaxPool" && n.output_size() > 1) return "MaxPool with indices";
      std::vector<int> slots;
      if (has_weights(n.op_type())) {
        if (!activation(n.input(0))) return "constant input";
        slots.push_back(0);
        const bool weight = n.input_size() > 1 && m.initializers.count(n.input(1));
        if (n.op_type() == "MatMul" && !weight) {
          if (!activation(n.input(1))) return "constant operand";
          slots.push_back(1);
        } else if (!weight) {
          return "weights are not an initializer";
        } else {
          const auto* w = m.initializers.at(n.input(1));
          if (w->data_type() != onnx::TensorProto::FLOAT) return "weights are not float";
          if (n.op_type() != "Conv" && w->dims_size() != 2) return "weights are not 2-D";
          if (n.op_type() == "Conv" && w->dims_size() < 3) return "weights of an unknown layout";
        }
        // Gemm's quantized form (QGemm) computes A * B' + C: no transposed A, no scaling.
        for (const auto& a : n.attribute()) {
          if (n.op_type() != "Gemm") break;
          if (a.name() == "transA" && a.i() != 0) return "Gemm with transA";
          if ((a.name() == "alpha" || a.name() == "beta") && a.f() != 1.f)
            return "Gemm with alpha or beta other than 1";
        }
        if (n.input_size() > 2 && !n.input(2).empty()) {
          auto b = m.initializers.find(n.input(2));
          if (b == m.initializers.end() || b->second->dims_size() != 1 ||
              b->second->data_type() != onnx::TensorProto::FLOAT)
            return "bias is not a 1-D float initializer";
          // One bias per output channel (a broadcast [1] bias has no per-channel scale).
          if (weight && b->second->dims(0) != weight_channels(n, *m.initializers.at(n.input(1))))
            return "bias is not one value per output channel";
        }
      } else if (data_input_only(n.op_type())) {
        if (!activation(n.input(0))) return "constant input";
        slots.push_back(0);
      } else {  // Add, Mul, Concat: every operand is 8-bit data
        for (int k = 0; k < n.input_size(); ++k) {
          if (!activation(n.input(k))) return "constant operand";
          slots.push_back(k);
        }
      }
      for (int k : slots)
        if (!is_float(n.input(k))) return "tensors are not float";
      for (const auto& o : n.output())
        if (!is_float(o)) return "tensors are not float";
      m.quant_inputs[i] = slots;
      return {};
    };
    d.why = why_float();
    d.quantized = d.why.empty();
    if (!d.quantized) m.quant_inputs[i].clear();
  }

  for (const std::string& k : options.keep_float) {
    bool found = false;
    for (const auto& d : m.decisions) found = found || d.name == k || d.op == k;
    if (!found)
      throw Error(ErrorCode::invalid_argument,
                  "quantize --keep-float: no node or operator '" + k + "' in " + m.where());
  }

  // Tensors with a Q/DQ pair: inputs and outputs of quantized nodes, in graph order.
  const auto add = [&](const std::string& t) {
    if (m.qdq_set.insert(t).second) m.qdq_tensors.push_back(t);
  };
  for (const auto& in : g.input())
    for (int i = 0; i < g.node_size(); ++i)
      for (int k : m.quant_inputs[i])
        if (g.node(i).input(k) == in.name()) add(in.name());
  for (int i = 0; i < g.node_size(); ++i) {
    if (!m.decisions[i].quantized) continue;
    for (int k : m.quant_inputs[i]) add(g.node(i).input(k));
    for (const auto& o : g.node(i).output()) add(o);
  }
  // Names for everything the writer adds, unique against the graph's and each other.
  std::set<std::string> taken;
  for (const auto& n : g.node()) {
    taken.insert(n.name());
    for (const auto& t : n.input()) taken.insert(t);
    for (const auto& t : n.output()) taken.insert(t);
  }
  for (const auto& t : g.initializer()) taken.insert(t.name());
  for (const auto& v : g.input()) taken.insert(v.name());
  std::set<std::string> graph_outputs;
  for (const auto& v : g.output()) taken.insert(v.name()), graph_outputs.insert(v.name());
  const auto unique = [&](const std::string& base) {
    std::string name = base;
    for (int k = 1; taken.count(name); ++k) name = base + "_" + std::to_string(k);
    taken.insert(name);
    return name;
  };
  for (const auto& t : m.qdq_tensors) {
    Impl::QdqNames& q = m.qdq_names[t];
    // A graph output keeps its name on the dequantized copy: its producer then feeds only
    // the QuantizeLinear, which the fusion needs, and the output's readers see no change.
    const bool output = graph_outputs.count(t) > 0;
    q.source = output ? unique(t + "_prequant") : t;
    q.q = unique(t + "_quantized");
    q.dq = output ? t : unique(t + "_dq");
    q.scale = unique(t + "_scale");
    q.zero_point = unique(t + "_zero_point");
    q.q_node = unique(t + "_QuantizeLinear");
    q.dq_node = unique(t + "_DequantizeLinear");
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    if (!m.decisions[i].quantized || !has_weights(n.op_type()) || !m.initializers.count(n.input(1)))
      continue;
    Impl::WeightNames& w = m.weight_names[i];
    const std::string& p = m.decisions[i].name;
    w.w_q = unique(p + "_W_quantized");
    w.w_scale = unique(p + "_W_scale");
    w.w_zero_point = unique(p + "_W_zero_point");
    w.w_node = unique(p + "_W_DequantizeLinear");
    w.w_dq = unique(p + "_W_dq");
    w.b_q = unique(p + "_B_quantized");
    w.b_scale = unique(p + "_B_scale");
    w.b_zero_point = unique(p + "_B_zero_point");
    w.b_node = unique(p + "_B_DequantizeLinear");
    w.b_dq = unique(p + "_B_dq");
  }

  // Value-moving nodes hand their input's range on; the rest are calibrated.
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    if (!m.decisions[i].quantized || !moves_values(n.op_type())) continue;
    auto src = m.range_of.find(n.input(0));
    const std::string root = src == m.range_of.end() ? n.input(0) : src->second;
    for (const auto& o : n.output()) m.range_of[o] = root;
  }
  for (const auto& t : m.qdq_tensors)
    if (!m.range_of.count(t)) m.calibrated.push_back(t);
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;

const std::string& Model::path() const {
  return impl_->path;
}
const std::vector<NodeDecision>& Model::decisions() const {
  return impl_->decisions;
}
const std::vector<std::string>& Model::calibrated_tensors() const {
  return impl_->calibrated;
}

std::vector<std::string> Model::unsupported_ops() const {
  std::set<std::string> ops;
  for (const auto& d : impl_->decisions)
    if (d.why == "no quantized form") ops.insert(d.op);
  return {ops.begin(), ops.end()};
}

void Model::write_calibration_model(const std::string& path) const {
  onnx::ModelProto copy = impl_->model;
  onnx::GraphProto* g = copy.mutable_graph();
  std::set<std::string> outputs;  // already outputs, or graph inputs (read from the input)
  for (const auto& o : g->output()) outputs.insert(o.name());
  for (const auto& i : g->input()) outputs.insert(i.name());
  for (const auto& t : impl_->calibrated) {
    if (outputs.count(t)) continue;
    *g->add_output() = impl_->value_info(t);
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !copy.SerializeToOstream(&f))
    throw Error(ErrorCode::io, "quantize: cannot write the calibration model '" + path + "'");
}

onnx::ValueInfoProto Model::Impl::value_info(const std::string& tensor) const {
  const onnx::GraphProto& g = model.graph();
  for (const auto* list : {&g.value_info(), &g.input(), &g.output()})
    for (const auto& v : *list)
      if (v.name() == tensor) return v;
  // Not inferred: a float tensor of unknown shape (the checker wants the shape field).
  onnx::ValueInfoProto v;
  v.set_name(tensor);
  v.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return v;
}

std::string Model::dequantized_name(const std::string& tensor) const {
  auto it = impl_->qdq_names.find(tensor);
  return it == impl_->qdq_names.end() ? std::string() : it->second.dq;
}

const std::vector<std::string>& Model::quantized_tensors() const {
  return impl_->qdq_tensors;
}

}  // namespace percept::quantize
