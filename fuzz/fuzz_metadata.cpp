// Model-metadata parsing on arbitrary text: class names (Python dict / list / JSON), imgsz,
// the conventions read from ONNX metadata_props and a sidecar YAML. Errors are values (or a
// percept::Error from the sidecar); anything else is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "percept/infer/model_conventions.hpp"
#include "percept/infer/model_metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks a metadata key; the rest is its value (and the sidecar's text).
  static const char* kKeys[] = {"names", "imgsz", "task",   "stride",     "layout",       "color",
                                "mean",  "std",   "resize", "depth_unit", "output_layout"};
  const std::string key = kKeys[data[0] % (sizeof kKeys / sizeof kKeys[0])];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  (void)percept::parse_class_names(text);
  if (auto s = percept::parse_imgsz(text)) {
    if (s->width <= 0 || s->height <= 0) __builtin_trap();  // an accepted size must be usable
  }
  (void)percept::conventions_from_metadata({{key, text}});

  static const std::string path =
      "/tmp/percept_fuzz_sidecar_" + std::to_string(::getpid()) + ".yaml";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    try {
      (void)percept::load_sidecar(path);
    } catch (const percept::Error&) {
    }
  }
  return 0;
}
