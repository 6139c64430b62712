// The .msg texts behind msg_definitions.hpp. Private to src/ros2.
#pragma once

#include <vector>

namespace percept::ros2 {

struct MsgText {
  const char* type_name;  // "pkg/msg/Name"
  const char* text;
};

const std::vector<MsgText>& msg_texts();
const char* humble_gid_text();  // rmw_dds_common/msg/Gid on Humble

}  // namespace percept::ros2
