// Reading model conventions that exporters write into ONNX metadata_props. Ultralytics writes
// Python reprs: names = "{0: 'person', 1: 'bicycle'}", imgsz = "[640, 640]", task = "detect".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "percept/core/error.hpp"

namespace percept {

// Accepts a Python dict repr {int: str} (ids must be 0..n-1, any order), a list ['a', 'b'],
// or the same in JSON quoting. Errors say where parsing stopped.
Result<std::vector<std::string>> parse_class_names(const std::string& text);

// Labels file: one class name per line, line k is class k; trailing blank lines ignored.
// Errors name the file (and the line, for an empty name in the middle).
Result<std::vector<std::string>> load_labels_file(const std::string& path);

struct InputSize {
  int width = 0;
  int height = 0;
};

// "[640, 640]" (h, w), "(640, 640)", "640", "[640]".
std::optional<InputSize> parse_imgsz(const std::string& text);

// Value of `key` in metadata, or nullopt.
std::optional<std::string> metadata_value(const std::map<std::string, std::string>& meta,
                                          const std::string& key);

}  // namespace percept
