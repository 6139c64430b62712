#include "msg_definitions.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include "msg_texts.hpp"
#include "percept/core/error.hpp"

namespace percept::ros2 {

namespace {

// rosidl's FieldType ids (type_description_interfaces/msg/FieldType.msg), after the msg -> IDL
// mapping: msg `char` is uint8, `byte` is octet.
int primitive_id(const std::string& t) {
  static const std::map<std::string, int> ids = {
      {"int8", 2},     {"uint8", 3},  {"char", 3},  {"int16", 4},   {"uint16", 5},
      {"int32", 6},    {"uint32", 7}, {"int64", 8}, {"uint64", 9},  {"float32", 10},
      {"float64", 11}, {"bool", 15},  {"byte", 16}, {"string", 17}, {"wstring", 18}};
  const auto it = ids.find(t);
  return it == ids.end() ? 0 : it->second;
}

constexpr int kNested = 1, kBoundedString = 21, kBoundedWstring = 22;
constexpr int kArray = 48, kBoundedSequence = 96, kSequence = 144;

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

uint64_t parse_bound(const std::string& s, const std::string& where) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); }))
    throw Error(where + ": bad bound '" + s + "'");
  return std::stoull(s);
}

MsgField parse_type(const std::string& pkg, std::string type, const std::string& where) {
  MsgField f;
  int container = 0;
  if (const size_t open = type.find('['); open != std::string::npos) {
    if (type.back() != ']') throw Error(where + ": bad array type '" + type + "'");
    const std::string inside = type.substr(open + 1, type.size() - open - 2);
    type.resize(open);
    if (inside.empty()) {
      container = kSequence;
    } else if (inside.rfind("<=", 0) == 0) {
      container = kBoundedSequence;
      f.capacity = parse_bound(inside.substr(2), where);
    } else {
      container = kArray;
      f.capacity = parse_bound(inside, where);
    }
  }
  int base = 0;
  if (const size_t le = type.find("<="); le != std::string::npos) {
    const std::string s = type.substr(0, le);
    if (s != "string" && s != "wstring") throw Error(where + ": bad bounded type '" + type + "'");
    base = s == "string" ? kBoundedString : kBoundedWstring;
    f.string_capacity = parse_bound(type.substr(le + 2), where);
  } else if (const int id = primitive_id(type)) {
    base = id;
  } else {
    base = kNested;
    if (type == "Header") {
      f.nested_type_name = "std_msgs/msg/Header";
    } else if (const size_t slash = type.find('/'); slash != std::string::npos) {
      f.nested_type_name = type.substr(0, slash) + "/msg/" + type.substr(slash + 1);
    } else {
      f.nested_type_name = pkg + "/msg/" + type;
    }
  }
  f.type_id = base + container;
  return f;
}

struct Library {
  std::map<std::string, MsgDefinition> defs;
};

const Library& library(Ros2Distro d) {
  static std::once_flag once;
  static Library libs[2];
  std::call_once(once, [] {
    for (const MsgText& t : msg_texts()) {
      MsgDefinition def = parse_msg(t.type_name, t.text);
      libs[0].defs[t.type_name] = def;
      libs[1].defs[t.type_name] = std::move(def);
    }
    libs[0].defs["rmw_dds_common/msg/Gid"] = parse_msg("rmw_dds_common/msg/Gid", humble_gid_text());
  });
  return libs[d == Ros2Distro::humble ? 0 : 1];
}

void append_description(std::string& out, const MsgDefinition& def) {
  out += "{\"type_name\": \"" + def.type_name + "\", \"fields\": [";
  for (size_t i = 0; i < def.fields.size(); ++i) {
    const MsgField& f = def.fields[i];
    if (i) out += ", ";
    out += "{\"name\": \"" + f.name + "\", \"type\": {\"type_id\": " + std::to_string(f.type_id) +
           ", \"capacity\": " + std::to_string(f.capacity) +
           ", \"string_capacity\": " + std::to_string(f.string_capacity) +
           ", \"nested_type_name\": \"" + f.nested_type_name + "\"}}";
  }
  out += "]}";
}

}  // namespace

MsgDefinition parse_msg(const std::string& type_name, std::string_view text) {
  const size_t slash = type_name.find('/');
  if (slash == std::string::npos || type_name.find("/msg/") != slash)
    throw Error("message type '" + type_name + "': expected pkg/msg/Name");
  const std::string pkg = type_name.substr(0, slash);
  MsgDefinition def;
  def.type_name = type_name;
  def.text = std::string(text);
  size_t pos = 0;
  for (int line_no = 1; pos <= text.size(); ++line_no) {
    const size_t nl = std::min(text.find('\n', pos), text.size());
    std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::string where = type_name + ":" + std::to_string(line_no);
    const size_t sp = line.find_first_of(" \t");
    if (sp == std::string::npos) throw Error(where + ": expected 'type name', got '" + line + "'");
    const std::string type = line.substr(0, sp);
    std::string rest = trim(line.substr(sp));
    if (rest.find('=') != std::string::npos) continue;  // a constant: not a field
    const size_t sp2 = rest.find_first_of(" \t");
    MsgField f = parse_type(pkg, type, where);
    f.name = rest.substr(0, sp2);  // a default value may follow; REP 2011 drops it
    if (f.name.empty() || !(std::islower(static_cast<unsigned char>(f.name[0]))))
      throw Error(where + ": bad field name '" + f.name + "'");
    def.fields.push_back(std::move(f));
  }
  return def;
}

const MsgDefinition& msg_definition(const std::string& type_name, Ros2Distro d) {
  const Library& lib = library(d);
  const auto it = lib.defs.find(type_name);
  if (it == lib.defs.end()) throw Error("no message definition for ROS 2 type '" + type_name + "'");
  return it->second;
}

std::vector<std::string> referenced_types(const std::string& type_name, Ros2Distro d) {
  std::set<std::string> seen;
  std::vector<std::string> stack{type_name};
  while (!stack.empty()) {
    const std::string t = stack.back();
    stack.pop_back();
    for (const MsgField& f : msg_definition(t, d).fields)
      if (!f.nested_type_name.empty() && seen.insert(f.nested_type_name).second)
        stack.push_back(f.nested_type_name);
  }
  seen.erase(type_name);
  return {seen.begin(), seen.end()};  // std::set: sorted by name
}

std::string type_description_json(const std::string& type_name, Ros2Distro d) {
  std::string out = "{\"type_description\": ";
  append_description(out, msg_definition(type_name, d));
  out += ", \"referenced_type_descriptions\": [";
  const std::vector<std::string> refs = referenced_types(type_name, d);
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i) out += ", ";
    append_description(out, msg_definition(refs[i], d));
  }
  out += "]}";
  return out;
}

std::string type_hash(const std::string& type_name, Ros2Distro d) {
  const std::string json = type_description_json(type_name, d);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(json.data()), json.size(), digest);
  std::string out = "RIHS01_";
  char hex[3];
  for (unsigned char b : digest) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

std::string typehash_user_data(const std::string& type_name, Ros2Distro d) {
  return "typehash=" + type_hash(type_name, d) + ";";
}

std::string ros2msg_schema(const std::string& type_name, Ros2Distro d) {
  std::string out = msg_definition(type_name, d).text;
  for (const std::string& ref : referenced_types(type_name, d)) {
    const size_t m = ref.find("/msg/");
    out += std::string(80, '=') + "\nMSG: " + ref.substr(0, m) + "/" + ref.substr(m + 5) + "\n" +
           msg_definition(ref, d).text;
  }
  return out;
}

std::string ros_type_name(std::string_view dds) {
  // pkg::msg::dds_::Name_
  const size_t a = dds.find("::msg::dds_::");
  if (a == std::string_view::npos || a == 0 || dds.size() < a + 15 || dds.back() != '_')
    throw Error("'" + std::string(dds) + "' is not a ROS 2 DDS type name (pkg::msg::dds_::Name_)");
  const std::string_view name = dds.substr(a + 13, dds.size() - a - 14);
  return std::string(dds.substr(0, a)) + "/msg/" + std::string(name);
}

}  // namespace percept::ros2
