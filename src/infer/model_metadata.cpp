#include "percept/infer/model_metadata.hpp"

#include <cctype>
#include <sstream>

#include "percept/core/small_file.hpp"

namespace percept {

namespace {

// A tiny scanner for Python literal reprs of dicts and lists of strings.
struct Scanner {
  const std::string& s;
  size_t i = 0;

  void ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return i < s.size() && s[i] == c;
  }
  std::optional<long> integer() {
    ws();
    size_t digits = i;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    if (digits == i || digits - i > 9) return std::nullopt;  // no class id needs 10 digits
    long v = std::stol(s.substr(i, digits - i));
    i = digits;
    return v;
  }
  std::optional<std::string> quoted() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return std::nullopt;
    char q = s[i++];
    std::string out;
    while (i < s.size() && s[i] != q) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i++];
    }
    if (i >= s.size()) return std::nullopt;
    ++i;
    return out;
  }
  Error fail(const std::string& what) const {
    return Error("cannot parse class names at character " + std::to_string(i) + ": expected " +
                 what);
  }
};

}  // namespace

Result<std::vector<std::string>> parse_class_names(const std::string& text) {
  Scanner sc{text};
  std::vector<std::string> names;
  if (sc.eat('[')) {
    while (!sc.eat(']')) {
      auto n = sc.quoted();
      if (!n) return sc.fail("a quoted name");
      names.push_back(*n);
      if (!sc.eat(',') && !sc.peek(']')) return sc.fail("',' or ']'");
    }
    return names;
  }
  if (!sc.eat('{')) return sc.fail("'{' or '['");
  std::map<long, std::string> by_id;
  while (!sc.eat('}')) {
    std::optional<long> id = sc.integer();
    if (!id) {  // JSON objects quote their keys: {"0": "person"}
      auto key = sc.quoted();
      if (!key || key->empty() || key->size() > 9 ||
          key->find_first_not_of("0123456789") != std::string::npos)
        return sc.fail("a class id");
      id = std::stol(*key);
    }
    if (!sc.eat(':')) return sc.fail("':'");
    auto n = sc.quoted();
    if (!n) return sc.fail("a quoted name");
    if (!by_id.emplace(*id, *n).second)
      return Error("class id " + std::to_string(*id) + " appears twice in the class names");
    if (!sc.eat(',') && !sc.peek('}')) return sc.fail("',' or '}'");
  }
  long expect = 0;
  for (auto& [id, n] : by_id) {
    if (id != expect)
      return Error("class ids must be 0.." + std::to_string(by_id.size() - 1) + ", found " +
                   std::to_string(id));
    names.push_back(n);
    ++expect;
  }
  return names;
}

Result<std::vector<std::string>> load_labels_file(const std::string& path) {
  // Bounded and never blocking: `labels: /dev/urandom` once read 3.6 GB (issue 24).
  auto text = read_small_file(path, "labels file");
  if (!text) return text.error();
  std::istringstream f(*text);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(f, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    names.push_back(line);
  }
  while (!names.empty() && names.back().empty()) names.pop_back();
  for (size_t k = 0; k < names.size(); ++k)
    if (names[k].empty()) return Error(path + ":" + std::to_string(k + 1) + ": empty class name");
  if (names.empty()) return Error("labels file '" + path + "' has no names");
  return names;
}

std::optional<InputSize> parse_imgsz(const std::string& text) {
  std::vector<int> v;
  std::string num;
  for (char c : text + ",") {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      num += c;
    } else if (c == ',' || c == ' ' || c == '[' || c == ']' || c == '(' || c == ')') {
      if (num.empty()) continue;
      if (num.size() > 6) return std::nullopt;  // no network input is a million pixels wide
      v.push_back(std::stoi(num));
      if (v.back() <= 0) return std::nullopt;
      num.clear();
    } else {
      // Anything else ("{0: 'person'}", "-640", "1e3") is not a size; digits were once
      // picked out of any text, so a class-names dict parsed as 1x0.
      return std::nullopt;
    }
  }
  if (v.size() == 1) return InputSize{v[0], v[0]};
  if (v.size() == 2) return InputSize{v[1], v[0]};  // Ultralytics writes [h, w]
  return std::nullopt;
}

std::optional<std::string> metadata_value(const std::map<std::string, std::string>& meta,
                                          const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) return std::nullopt;
  return it->second;
}

}  // namespace percept
