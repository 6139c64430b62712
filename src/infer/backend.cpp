#include "percept/infer/backend.hpp"

namespace percept {

Result<GraphOptimization> parse_graph_optimization(const std::string& s) {
  if (s == "disable" || s == "none") return GraphOptimization::disable;
  if (s == "basic") return GraphOptimization::basic;
  if (s == "extended") return GraphOptimization::extended;
  if (s == "all") return GraphOptimization::all;
  return Error(ErrorCode::invalid_argument, "unknown graph optimisation level '" + s +
                                                "' (expected disable, basic, extended or all)");
}

Status check_inputs(const Backend& backend, std::span<const TensorView> given) {
  const auto& want = backend.inputs();
  const std::string model = "model '" + backend.model_path() + "'";
  if (given.size() != want.size())
    return Error(ErrorCode::invalid_argument, model + " has " + std::to_string(want.size()) +
                                                  " input(s) but " + std::to_string(given.size()) +
                                                  " were given");
  for (size_t i = 0; i < want.size(); ++i) {
    const TensorInfo& w = want[i];
    const TensorView& g = given[i];
    if (g.dtype != w.dtype)
      return Error(ErrorCode::invalid_argument, model + ": input '" + w.name + "' expects " +
                                                    dtype_name(w.dtype) + " but got " +
                                                    dtype_name(g.dtype));
    bool match = g.shape.size() == w.shape.size();
    for (size_t d = 0; match && d < w.shape.size(); ++d)
      match = g.shape[d] > 0 && (w.shape[d] < 0 || w.shape[d] == g.shape[d]);
    if (!match)
      return Error(ErrorCode::invalid_argument, model + ": input '" + w.name + "' expects shape " +
                                                    shape_str(w.shape) + " but got " +
                                                    shape_str(g.shape));
    if (g.data == nullptr)
      return Error(ErrorCode::invalid_argument, model + ": input '" + w.name + "' has no data");
  }
  return {};
}

}  // namespace percept
