// Writing the QDQ model: a QuantizeLinear/DequantizeLinear pair after every planned tensor,
// per-channel int8 weights and int32 biases behind DequantizeLinear, in the layout ONNX
// Runtime's QDQ fusions (QLinearConv, QLinearMul, ...) and TensorRT's explicit quantization
// recognise: DQ on every input of a quantized node, Q on its output.
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "model_impl.hpp"
#include "percept/core/error.hpp"

namespace percept::quantize {

namespace {

struct ActParams {
  float scale = 1;
  int zero_point = 0;
};

ActParams activation_params(const Model::Range& r, Format f) {
  ActParams p;
  if (f == Format::cpu) {  // uint8 with a zero point over [lo, hi]
    const double span = static_cast<double>(r.hi) - r.lo;
    if (span <= 0) return p;
    p.scale = static_cast<float>(span / 255.0);
    p.zero_point = static_cast<int>(std::clamp(std::lround(-r.lo / p.scale), 0L, 255L));
  } else {  // int8, zero point 0
    const float a = std::max(-r.lo, r.hi);
    if (a > 0) p.scale = a / 127.f;
  }
  return p;
}

std::vector<float> float_data(const onnx::TensorProto& t) {
  int64_t n = 1;
  for (auto d : t.dims()) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != v.size() * 4)
      throw Error(ErrorCode::model, "initializer '" + t.name() + "': raw data of the wrong size");
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    if (t.float_data_size() != n)
      throw Error(ErrorCode::model, "initializer '" + t.name() + "': float data of the wrong size");
    std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
  }
  return v;
}

template <class T>
void set_raw(onnx::TensorProto* t, const std::vector<T>& v) {
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)));
}

onnx::TensorProto* add_initializer(onnx::GraphProto* g, const std::string& name, int type,
                                   std::vector<int64_t> dims) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (auto d : dims) t->add_dims(d);
  return t;
}

void add_scalar(onnx::GraphProto* g, const std::string& name, float scale) {
  set_raw(add_initializer(g, name, onnx::TensorProto::FLOAT, {}), std::vector<float>{scale});
}

void add_zero_point(onnx::GraphProto* g, const std::string& name, Format f, int zp) {
  if (f == Format::cpu)
    set_raw(add_initializer(g, name, onnx::TensorProto::UINT8, {}),
            std::vector<uint8_t>{static_cast<uint8_t>(zp)});
  else
    set_raw(add_initializer(g, name, onnx::TensorProto::INT8, {}), std::vector<int8_t>{0});
}

onnx::NodeProto make_node(const std::string& op, const std::string& name,
                          std::vector<std::string> in, const std::string& out, int axis = -1000) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (auto& i : in) n.add_input(i);
  n.add_output(out);
  if (axis != -1000) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

// Per-channel symmetric weights: channel c (along `axis` of a 2-D or N-D tensor) scaled by
// max|w_c| / qmax, zero point 0. Returns the scales.
std::vector<float> quantize_weights(onnx::GraphProto* g, const onnx::TensorProto& w, int axis,
                                    int bits, const std::string& q_name, const std::string& s_name,
                                    const std::string& z_name) {
  const std::vector<float> v = float_data(w);
  const int64_t channels = w.dims(axis);
  int64_t inner = 1;
  for (int d = axis + 1; d < w.dims_size(); ++d) inner *= w.dims(d);
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  std::vector<float> amax(static_cast<size_t>(channels), 0.f);
  for (size_t i = 0; i < v.size(); ++i) {
    const int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    amax[c] = std::max(amax[c], std::abs(v[i]));
  }
  std::vector<float> scale(amax.size());
  for (size_t c = 0; c < amax.size(); ++c) scale[c] = amax[c] > 0 ? amax[c] / qmax : 1.f;
  std::vector<int8_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    q[i] = static_cast<int8_t>(std::clamp(std::nearbyint(v[i] / scale[c]), -qmax, qmax));
  }
  std::vector<int64_t> dims(w.dims().begin(), w.dims().end());
  set_raw(add_initializer(g, q_name, onnx::TensorProto::INT8, dims), q);
  set_raw(add_initializer(g, s_name, onnx::TensorProto::FLOAT, {channels}), scale);
  set_raw(add_initializer(g, z_name, onnx::TensorProto::INT8, {channels}),
          std::vector<int8_t>(static_cast<size_t>(channels), 0));
  return scale;
}

}  // namespace

void Model::write_quantized(const std::string& path, const std::map<std::string, Range>& ranges,
                            const std::map<std::string, std::string>& extra_metadata,
                            bool probe) const {
  const Impl& m = *impl_;
  const Format fmt = m.options.format;
  const int bits = m.options.effective_weight_bits();
  onnx::ModelProto out = m.model;
  out.mutable_graph()->clear_value_info();  // re-inferred below, with the new tensors
  onnx::GraphProto* g = out.mutable_graph();
  const std::vector<onnx::NodeProto> nodes(g->node().begin(), g->node().end());
  g->clear_node();

  // Quantization parameters of every Q/DQ tensor (value-moving outputs share their input's).
  std::map<std::string, ActParams> params;
  for (const auto& t : m.qdq_tensors) {
    auto root = m.range_of.find(t);
    const std::string& src = root == m.range_of.end() ? t : root->second;
    auto r = ranges.find(src);
    if (r == ranges.end())
      throw Error(ErrorCode::invalid_argument,
                  "quantize: no calibration range for tensor '" + src + "'");
    params[t] = activation_params(r->second, fmt);
  }
  const auto emit_qdq = [&](const std::string& t) {
    const ActParams& p = params.at(t);
    const Impl::QdqNames& q = m.qdq_names.at(t);
    add_scalar(g, q.scale, p.scale);
    add_zero_point(g, q.zero_point, fmt, p.zero_point);
    *g->add_node() = make_node("QuantizeLinear", q.q_node, {q.source, q.scale, q.zero_point}, q.q);
    *g->add_node() = make_node("DequantizeLinear", q.dq_node, {q.q, q.scale, q.zero_point}, q.dq);
  };
  for (const auto& in : g->input())
    if (m.qdq_set.count(in.name())) emit_qdq(in.name());

  std::set<std::string> replaced;  // float weights and biases no node reads any more
  for (size_t i = 0; i < nodes.size(); ++i) {
    onnx::NodeProto n = nodes[i];
    const NodeDecision& d = m.decisions[i];
    if (auto wn = m.weight_names.find(static_cast<int>(i)); wn != m.weight_names.end()) {
      const Impl::WeightNames& names = wn->second;
      const onnx::TensorProto& w = *m.initializers.at(n.input(1));
      const int axis = weight_axis(n);  // the planner refused the Gemm forms QGemm lacks
      const std::vector<float> ws =
          quantize_weights(g, w, axis, bits, names.w_q, names.w_scale, names.w_zero_point);
      *g->add_node() = make_node("DequantizeLinear", names.w_node,
                                 {names.w_q, names.w_scale, names.w_zero_point}, names.w_dq, axis);
      replaced.insert(n.input(1));
      n.set_input(1, names.w_dq);
      if (n.input_size() > 2 && !n.input(2).empty()) {
        // int32 bias with scale input_scale * weight_scale[c]: what QLinearConv adds exactly.
        const std::vector<float> b = float_data(*m.initializers.at(n.input(2)));
        if (b.size() != ws.size())
          throw Error(ErrorCode::model, "quantize: node '" + d.name + "': bias has " +
                                            std::to_string(b.size()) + " values for " +
                                            std::to_string(ws.size()) + " output channels");
        const float in_scale = params.at(n.input(0)).scale;
        std::vector<float> bs(b.size());
        std::vector<int32_t> bq(b.size());
        for (size_t c = 0; c < b.size(); ++c) {
          bs[c] = in_scale * ws[c];
          const double q = std::nearbyint(static_cast<double>(b[c]) / bs[c]);
          bq[c] = static_cast<int32_t>(std::clamp(q, -2147483647.0, 2147483647.0));
        }
        const auto nb = static_cast<int64_t>(b.size());
        set_raw(add_initializer(g, names.b_q, onnx::TensorProto::INT32, {nb}), bq);
        set_raw(add_initializer(g, names.b_scale, onnx::TensorProto::FLOAT, {nb}), bs);
        set_raw(add_initializer(g, names.b_zero_point, onnx::TensorProto::INT32, {nb}),
                std::vector<int32_t>(b.size(), 0));
        *g->add_node() = make_node("DequantizeLinear", names.b_node,
                                   {names.b_q, names.b_scale, names.b_zero_point}, names.b_dq, 0);
        replaced.insert(n.input(2));
        n.set_input(2, names.b_dq);
      }
    }
    // Every reader of a planned tensor, quantized or float, reads the dequantized copy: a
    // quantized node's output must go only to its QuantizeLinear for the fusion to apply.
    for (int k = 0; k < n.input_size(); ++k)
      if (m.qdq_set.count(n.input(k))) n.set_input(k, m.qdq_names.at(n.input(k)).dq);
    // A graph output's producer writes the renamed tensor; the output is the DQ's.
    for (int k = 0; k < n.output_size(); ++k)
      if (m.qdq_set.count(n.output(k))) n.set_output(k, m.qdq_names.at(n.output(k)).source);
    *g->add_node() = n;
    for (const auto& o : nodes[i].output())
      if (m.qdq_set.count(o)) emit_qdq(o);
  }

  // Drop float weights that only quantized nodes read.
  std::set<std::string> read;
  for (const auto& n : g->node())
    for (const auto& i : n.input()) read.insert(i);
  for (const auto& o : g->output()) read.insert(o.name());
  auto* inits = g->mutable_initializer();
  std::set<std::string> dropped;
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto& t) {
                                const bool drop = replaced.count(t.name()) && !read.count(t.name());
                                if (drop) dropped.insert(t.name());
                                return drop;
                              }),
               inits->end());
  // Exporters that keep initializers as graph inputs list the weights there too: a dropped
  // weight left as an input would become one the caller must feed.
  auto* inputs = g->mutable_input();
  inputs->erase(
      std::remove_if(inputs->begin(), inputs->end(),
                     [&](const onnx::ValueInfoProto& v) { return dropped.count(v.name()); }),
      inputs->end());

  if (probe) {
    for (const auto& t : m.qdq_tensors) {
      const std::string& dq = m.qdq_names.at(t).dq;
      if (dq == t) continue;  // a graph output already
      onnx::ValueInfoProto* v = g->add_output();
      *v = m.value_info(t);
      v->set_name(dq);
    }
  }
  for (const auto& [k, v] : extra_metadata) {
    auto* props = out.mutable_metadata_props();
    auto it = std::find_if(props->begin(), props->end(),
                           [&](const onnx::StringStringEntryProto& e) { return e.key() == k; });
    onnx::StringStringEntryProto* e = it != props->end() ? &*it : out.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  }
  try {
    onnx::checker::check_model(out);
    onnx::shape_inference::InferShapes(out);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::model,
                "quantize: the quantized graph fails ONNX's checks: " + std::string(e.what()));
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !out.SerializeToOstream(&f) || !f.flush())
    throw Error(ErrorCode::io, "quantize: cannot write '" + path + "'");
}

}  // namespace percept::quantize
