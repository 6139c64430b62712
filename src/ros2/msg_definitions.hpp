// The ROS 2 message definitions (.msg text) of every type percept publishes or reads, and what
// ROS 2 derives from them: the REP 2011 type description and its hash (RIHS01, carried in each
// endpoint's USER_DATA so Jazzy shows a valid type hash) and the `ros2msg` schema text with its
// dependencies (what rosbag2 stores in a bag). The hashes are computed here from the text, never
// typed in, and tested against hashes ROS 2 publishes. Shared by builds with and without DDS.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "percept/io/ros2_options.hpp"  // Ros2Distro: Gid is char[24] on Humble, [16] later

namespace percept::ros2 {

// One field as REP 2011 describes it (type ids of rosidl's FieldType: 1 nested, 2 int8 ...).
struct MsgField {
  std::string name;
  int type_id = 0;
  uint64_t capacity = 0;         // array size or sequence bound, else 0
  uint64_t string_capacity = 0;  // bound of a bounded string, else 0
  std::string nested_type_name;  // "pkg/msg/Name" of a nested type, else ""
};

struct MsgDefinition {
  std::string type_name;  // "pkg/msg/Name"
  std::string text;       // the .msg text (fields and constants)
  std::vector<MsgField> fields;
};

// Parses .msg text for type `type_name` ("pkg/msg/Name"; nested names without a package are in
// the same package). Throws percept::Error naming the type and line on a line it cannot read.
MsgDefinition parse_msg(const std::string& type_name, std::string_view text);

// The definition of a known type; throws percept::Error for a type percept does not know.
const MsgDefinition& msg_definition(const std::string& type_name, Ros2Distro d = Ros2Distro::jazzy);

// Every type `type_name` references, transitively, once each, sorted by name.
std::vector<std::string> referenced_types(const std::string& type_name,
                                          Ros2Distro d = Ros2Distro::jazzy);

// The REP 2011 hashed JSON: {"type_description": ..., "referenced_type_descriptions": [...]}.
std::string type_description_json(const std::string& type_name, Ros2Distro d = Ros2Distro::jazzy);

// "RIHS01_" + the lowercase hex SHA-256 of type_description_json.
std::string type_hash(const std::string& type_name, Ros2Distro d = Ros2Distro::jazzy);

// The USER_DATA rmw layers put on an endpoint: "typehash=RIHS01_<64 hex>;".
std::string typehash_user_data(const std::string& type_name, Ros2Distro d = Ros2Distro::jazzy);

// The `ros2msg` schema of a type as rosbag2 writes it: its .msg text, then for every referenced
// type a line of 80 '=', "MSG: pkg/Name" and its text.
std::string ros2msg_schema(const std::string& type_name, Ros2Distro d = Ros2Distro::jazzy);

// "vision_msgs::msg::dds_::Detection2DArray_" -> "vision_msgs/msg/Detection2DArray"; throws
// percept::Error for a name that is not a ROS 2 DDS type name.
std::string ros_type_name(std::string_view dds_type_name);

}  // namespace percept::ros2
