#include "percept/infer/model_conventions.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>

#include "percept/core/small_file.hpp"

namespace percept {

namespace fs = std::filesystem;

namespace {

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return true;
  return false;
}

// "[0.485, 0.456, 0.406]", "(0.5, 0.5, 0.5)" or "0.5" (repeated for the three channels).
std::optional<std::array<float, 3>> parse_triple(const std::string& text) {
  std::vector<float> v;
  const char* p = text.c_str();
  while (*p) {
    if (std::isdigit(static_cast<unsigned char>(*p)) || *p == '-' || *p == '.') {
      char* end = nullptr;
      const float x = std::strtof(p, &end);
      if (end == p) return std::nullopt;
      v.push_back(x);
      p = end;
    } else if (*p == '[' || *p == ']' || *p == '(' || *p == ')' || *p == ',' ||
               std::isspace(static_cast<unsigned char>(*p))) {
      ++p;
    } else {
      return std::nullopt;
    }
  }
  if (v.size() == 1) return std::array<float, 3>{v[0], v[0], v[0]};
  if (v.size() != 3) return std::nullopt;
  std::array<float, 3> out{v[0], v[1], v[2]};
  // Some exporters write 0..255 units ([123.675, 116.28, 103.53]); percept keeps pixel/255.
  if (out[0] > 1.f || out[1] > 1.f || out[2] > 1.f)
    for (float& x : out) x /= 255.f;
  return out;
}

}  // namespace

std::string ModelConventions::origin(const std::string& field) const {
  auto it = source.find(field);
  return it == source.end() ? std::string("not set") : "from " + it->second;
}

Status set_convention(ModelConventions& c, const std::string& key, const std::string& value,
                      const std::string& source) {
  auto bad = [&](const std::string& expected) {
    return Error("'" + key + "' is '" + value + "'; expected " + expected);
  };
  std::string field = key;
  if (key == "task") {
    // Which names exist is the task registry's business (tasks/task_registry.cpp, a layer
    // above): open_task refuses an unknown one with the list of known tasks.
    const bool word = !value.empty() && std::all_of(value.begin(), value.end(), [](char ch) {
      return std::islower(static_cast<unsigned char>(ch)) ||
             std::isdigit(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
    });
    if (!word) return bad("a task name (detect, depth, segment, classify, face, ...)");
    c.task = value;
  } else if (key == "names") {
    auto names = parse_class_names(value);
    if (!names) return Error("'names': " + names.error().message());
    c.labels = std::move(*names);
    field = "labels";
  } else if (key == "imgsz" || key == "input_size") {
    auto size = parse_imgsz(value);
    if (!size || size->width <= 0 || size->height <= 0) return bad("[height, width] or one size");
    c.input_size = size;
    field = "input_size";
  } else if (key == "layout") {
    if (value == "nchw" || value == "nhwc") {
      c.nhwc = value == "nhwc";
      field = "nhwc";
    } else if (one_of(value, {"v8", "v5", "end2end"})) {
      c.output_layout = value;
      field = "output_layout";
    } else {
      return bad("nchw or nhwc (input), or v8, v5 or end2end (detector output)");
    }
  } else if (key == "color") {
    if (value != "rgb" && value != "bgr") return bad("rgb or bgr");
    c.rgb = value == "rgb";
  } else if (key == "mean" || key == "std") {
    auto t = parse_triple(value);
    if (!t) return bad("three numbers [r, g, b] (or one for all channels)");
    if (key == "std" && ((*t)[0] <= 0.f || (*t)[1] <= 0.f || (*t)[2] <= 0.f))
      return bad("positive values");
    (key == "mean" ? c.mean : c.std) = t;
  } else if (key == "resize") {
    if (!one_of(value, {"letterbox", "stretch", "keep_aspect"}))
      return bad("letterbox, stretch or keep_aspect");
    c.resize = value;
  } else if (key == "stride") {
    char* end = nullptr;
    const long s = std::strtol(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0' || s < 1 || s > 1024) return bad("1..1024");
    c.stride = static_cast<int>(s);
  } else if (key == "depth_unit") {
    if (value != "m" && value != "relative") return bad("m or relative");
    c.depth_unit = value;
  } else {
    return Error("unknown convention '" + key +
                 "' (known: task, names, labels, imgsz, layout, color, mean, std, resize, "
                 "stride, depth_unit)");
  }
  c.source[field] = source;
  return {};
}

Result<ModelConventions> conventions_from_metadata(const std::map<std::string, std::string>& meta) {
  ModelConventions c;
  for (const char* key : {"task", "names", "imgsz", "layout", "color", "mean", "std", "resize",
                          "stride", "depth_unit"}) {
    auto it = meta.find(key);
    if (it == meta.end()) continue;
    // Ultralytics writes task values percept may not run (pose, obb): open_task leaves an
    // unknown task from the metadata to the shape inference instead of refusing the model.
    Status st = set_convention(c, key, it->second, "metadata");
    if (!st && std::string(key) == "task") continue;  // not a task name at all: same as above
    if (!st) return Error("metadata: " + st.error().message());
  }
  return c;
}

std::string sidecar_path(const std::string& model_path) {
  return fs::path(model_path).replace_extension(".yaml").string();
}

Result<ModelConventions> load_sidecar(const std::string& path) {
  ModelConventions c;
  std::error_code ec;
  // A dangling link is "no sidecar" too; anything else that exists must be a small regular file:
  // a FIFO here once hung `percept run` at start-up (issue 24).
  if (!fs::exists(path, ec)) return c;
  auto bytes = read_small_file(path, "model sidecar");
  if (!bytes) return bytes.error();
  YAML::Node root;
  try {
    root = YAML::Load(*bytes);
  } catch (const YAML::Exception& e) {
    return Error(path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) return Error(path + ": a model sidecar is a map of convention keys");
  const std::string source = "sidecar " + path;
  for (const auto& kv : root) {
    // A key that is a list or a map ("{a}: 1") cannot be read as a name; as<std::string>()
    // would throw out of this function instead of returning the error.
    if (!kv.first.IsScalar())
      return Error(path + ":" + std::to_string(kv.first.Mark().line + 1) +
                   ": a sidecar key must be a plain name");
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const std::string where = path + ":" + std::to_string(v.Mark().line + 1);
    try {
      if (key == "labels") {
        fs::path file = v.as<std::string>();
        if (file.is_relative()) file = fs::path(path).parent_path() / file;
        auto labels = load_labels_file(file.string());
        if (!labels) return Error(where + ": " + labels.error().message());
        c.labels = std::move(*labels);
        c.source["labels"] = source;
        continue;
      }
      if (key == "names" && (v.IsSequence() || v.IsMap())) {
        std::vector<std::string> names(v.size());
        size_t i = 0;
        for (const auto& n : v) {
          if (v.IsSequence()) {
            names[i++] = n.as<std::string>();
            continue;
          }
          const int id = n.first.as<int>();
          if (id < 0 || static_cast<size_t>(id) >= names.size())
            return Error(where + ": names: class id " + std::to_string(id) + " outside 0.." +
                         std::to_string(names.size() - 1));
          names[static_cast<size_t>(id)] = n.second.as<std::string>();
        }
        c.labels = std::move(names);
        c.source["labels"] = source;
        continue;
      }
      std::string text;
      if (v.IsSequence()) {
        for (const auto& e : v) text += (text.empty() ? "" : ", ") + e.as<std::string>();
        text = "[" + text + "]";
      } else {
        text = v.as<std::string>();
      }
      Status st = set_convention(c, key, text, source);
      if (!st) return Error(where + ": " + st.error().message());
    } catch (const YAML::Exception& e) {
      return Error(where + ": '" + key + "': " + e.msg);
    }
  }
  return c;
}

void merge_conventions(ModelConventions& into, const ModelConventions& from) {
  auto take = [&](auto& dst, const auto& src, const char* field) {
    if (!dst && src) {
      dst = src;
      auto it = from.source.find(field);
      if (it != from.source.end()) into.source[field] = it->second;
    }
  };
  take(into.task, from.task, "task");
  take(into.input_size, from.input_size, "input_size");
  take(into.nhwc, from.nhwc, "nhwc");
  take(into.rgb, from.rgb, "color");
  take(into.mean, from.mean, "mean");
  take(into.std, from.std, "std");
  take(into.resize, from.resize, "resize");
  take(into.stride, from.stride, "stride");
  take(into.labels, from.labels, "labels");
  take(into.output_layout, from.output_layout, "output_layout");
  take(into.depth_unit, from.depth_unit, "depth_unit");
}

Result<ModelConventions> resolve_conventions(const ModelConventions& from_config,
                                             const std::string& model_path,
                                             const std::map<std::string, std::string>& metadata) {
  ModelConventions c = from_config;
  auto sidecar = load_sidecar(sidecar_path(model_path));
  if (!sidecar) return sidecar.error();
  merge_conventions(c, *sidecar);
  auto meta = conventions_from_metadata(metadata);
  if (!meta)
    return Error(ErrorCode::model, "model '" + model_path + "': " + meta.error().message());
  merge_conventions(c, *meta);
  return c;
}

}  // namespace percept
