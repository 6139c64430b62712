// A model's conventions: which task it does and how its input is made (size, tensor layout,
// colour order, normalisation, resize) and read (labels, output layout, depth unit).
//
// They come, in this order of precedence, from: the pipeline config (or CLI flags), a sidecar
// YAML next to the model (`model.yaml` beside `model.onnx`), the ONNX metadata_props, and
// finally inference from tensor shapes (done by the tasks, which know the shapes they accept).
// Every field remembers where it came from so that messages can say so.
//
// Keys, the same in the sidecar, the metadata and (where the config has them) the config:
//   task          detect | depth | segment | classify | face
//   names         class names: Python dict {0: 'a'} or list ['a'] (Ultralytics' `names`)
//   labels        (sidecar) labels file, one name per line, relative to the sidecar
//   imgsz         network input size [h, w] or one number (Ultralytics' `imgsz`)
//   layout        nchw | nhwc (input tensor); v8 | v5 | end2end (a detector's output)
//   color         rgb | bgr
//   mean, std     per channel, in units of pixel/255 ([0.485, 0.456, 0.406]); the input is
//                 (pixel/255 - mean) / std. Values above 1 are taken as 0..255 units.
//   resize        letterbox (keep aspect, pad) | stretch | keep_aspect (dynamic H/W models:
//                 keep aspect, both sides >= imgsz and multiples of `stride`)
//   stride        multiple for keep_aspect (Depth Anything: 14)
//   depth_unit    m (metric depth) | relative (relative inverse depth, MiDaS / Depth Anything)
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/infer/model_metadata.hpp"

namespace percept {

struct ModelConventions {
  std::optional<std::string> task;
  std::optional<InputSize> input_size;
  std::optional<bool> nhwc;
  std::optional<bool> rgb;
  std::optional<std::array<float, 3>> mean;
  std::optional<std::array<float, 3>> std;
  std::optional<std::string> resize;
  std::optional<int> stride;
  std::optional<std::vector<std::string>> labels;
  std::optional<std::string> output_layout;  // detect: v8 | v5 | end2end
  std::optional<std::string> depth_unit;
  // Field name -> where its value came from ("config", "sidecar x.yaml", "metadata").
  std::map<std::string, std::string> source;

  // "task 'depth' (from metadata)"-style description of one field, for messages.
  std::string origin(const std::string& field) const;
};

// Reads the conventions in ONNX metadata_props. Unknown keys are ignored (exporters write
// many); a known key with a bad value is an error naming the key.
Result<ModelConventions> conventions_from_metadata(const std::map<std::string, std::string>& meta);

// The sidecar of a model: same directory, same stem, `.yaml` (models/x.onnx -> models/x.yaml).
std::string sidecar_path(const std::string& model_path);

// Reads a sidecar YAML (keys above; unknown keys are errors with file:line). Returns an empty
// ModelConventions when the file does not exist.
Result<ModelConventions> load_sidecar(const std::string& path);

// Sets every field of `into` that is unset to the value in `from` (and its source).
void merge_conventions(ModelConventions& into, const ModelConventions& from);

// Config, then sidecar, then metadata. Errors name the file or the key.
Result<ModelConventions> resolve_conventions(const ModelConventions& from_config,
                                             const std::string& model_path,
                                             const std::map<std::string, std::string>& metadata);

// Parses one key's value as the sidecar and the metadata spell it; used by the config and the
// CLI too. `source` is recorded as the field's origin; errors name the key and the value.
Status set_convention(ModelConventions& c, const std::string& key, const std::string& value,
                      const std::string& source);

}  // namespace percept
