// REP 2011 type hashes computed from percept's .msg texts, checked against hashes ROS 2 itself
// publishes (rosidl's generated type descriptions, ros2cli's tests, rmw_dds_common).
#include <gtest/gtest.h>

#include "msg_definitions.hpp"
#include "percept/core/error.hpp"

namespace percept::ros2 {
namespace {

TEST(TypeHash, TimeHashesTheExactStringRosHashes) {
  EXPECT_EQ(type_description_json("builtin_interfaces/msg/Time"),
            "{\"type_description\": {\"type_name\": \"builtin_interfaces/msg/Time\", \"fields\": "
            "[{\"name\": \"sec\", \"type\": {\"type_id\": 6, \"capacity\": 0, "
            "\"string_capacity\": 0, \"nested_type_name\": \"\"}}, {\"name\": \"nanosec\", "
            "\"type\": {\"type_id\": 7, \"capacity\": 0, \"string_capacity\": 0, "
            "\"nested_type_name\": \"\"}}]}, \"referenced_type_descriptions\": []}");
  EXPECT_EQ(type_hash("builtin_interfaces/msg/Time"),
            "RIHS01_b106235e25a4c5ed35098aa0a61a3ee9c9b18d197f398b0e4206cea9acf9c197");
}

TEST(TypeHash, PublishedHashesOfNestedTypes) {
  EXPECT_EQ(type_hash("std_msgs/msg/Header"),
            "RIHS01_f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01");
  EXPECT_EQ(type_hash("std_msgs/msg/String"),
            "RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18");
  EXPECT_EQ(type_hash("geometry_msgs/msg/Pose"),
            "RIHS01_d501954e9476cea2996984e812054b68026ae0bfae789d9a10b23daf35cc90fa");
  EXPECT_EQ(type_hash("vision_msgs/msg/BoundingBox2D"),
            "RIHS01_008eacbb0cf8f26e83795547bed013eec3675485ef386ec056d80eaaf1c1ce2f");
}

TEST(TypeHash, DiscoveryInfoHashOnJazzyAndADifferentOneOnHumble) {
  EXPECT_EQ(type_hash("rmw_dds_common/msg/ParticipantEntitiesInfo", Ros2Distro::jazzy),
            "RIHS01_91a0593bacdcc50ea9bdcf849a938b128412cc1ea821245c663bcd26f83c295e");
  // Humble's 24-byte gid is another type: its description, and so its hash, differ.
  EXPECT_NE(type_hash("rmw_dds_common/msg/ParticipantEntitiesInfo", Ros2Distro::humble),
            type_hash("rmw_dds_common/msg/ParticipantEntitiesInfo", Ros2Distro::jazzy));
  EXPECT_EQ(msg_definition("rmw_dds_common/msg/Gid", Ros2Distro::humble).fields.at(0).capacity,
            24u);
}

TEST(TypeHash, UserDataIsWhatRmwWrites) {
  const std::string ud = typehash_user_data("std_msgs/msg/String");
  EXPECT_EQ(ud.size(), 81u);
  EXPECT_EQ(ud,
            "typehash=RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18;");
}

TEST(TypeHash, ReferencedTypesAreTransitiveSortedAndUnique) {
  const std::vector<std::string> refs = referenced_types("vision_msgs/msg/Detection2DArray");
  const std::vector<std::string> want = {
      "builtin_interfaces/msg/Time",      "geometry_msgs/msg/Point",
      "geometry_msgs/msg/Pose",           "geometry_msgs/msg/PoseWithCovariance",
      "geometry_msgs/msg/Quaternion",     "std_msgs/msg/Header",
      "vision_msgs/msg/BoundingBox2D",    "vision_msgs/msg/Detection2D",
      "vision_msgs/msg/ObjectHypothesis", "vision_msgs/msg/ObjectHypothesisWithPose",
      "vision_msgs/msg/Point2D",          "vision_msgs/msg/Pose2D"};
  EXPECT_EQ(refs, want);
}

TEST(TypeHash, FieldTypesOfArraysSequencesBoundsAndConstants) {
  const MsgDefinition d =
      parse_msg("pkg/msg/T",
                "# comment\nint8 A=1\nbyte b\nchar c\nuint8[] s\nfloat64[9] k\nstring<=256 n\n"
                "Other[<=3] o   # trailing comment\nfloat64 w 1\nstring[] names\n");
  ASSERT_EQ(d.fields.size(), 8u);  // the constant is not a field
  EXPECT_EQ(d.fields[0].type_id, 16);
  EXPECT_EQ(d.fields[1].type_id, 3);
  EXPECT_EQ(d.fields[2].type_id, 3 + 144);
  EXPECT_EQ(d.fields[3].type_id, 11 + 48);
  EXPECT_EQ(d.fields[3].capacity, 9u);
  EXPECT_EQ(d.fields[4].type_id, 21);
  EXPECT_EQ(d.fields[4].string_capacity, 256u);
  EXPECT_EQ(d.fields[5].type_id, 1 + 96);
  EXPECT_EQ(d.fields[5].capacity, 3u);
  EXPECT_EQ(d.fields[5].nested_type_name, "pkg/msg/Other");
  EXPECT_EQ(d.fields[6].name, "w");
  EXPECT_EQ(d.fields[7].type_id, 17 + 144);
}

TEST(TypeHash, BadInputNamesTheTypeAndLine) {
  try {
    parse_msg("pkg/msg/T", "int32 a\nfloat64[x] b\n");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pkg/msg/T:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(msg_definition("nope/msg/Nope"), Error);
  Ros2Distro d = Ros2Distro::humble;
  EXPECT_FALSE(parse_ros2_distro("ardent", d));
  EXPECT_TRUE(parse_ros2_distro("iron", d));
  EXPECT_EQ(d, Ros2Distro::jazzy);
  EXPECT_TRUE(parse_ros2_distro("foxy", d));
  EXPECT_EQ(d, Ros2Distro::humble);
}

TEST(TypeHash, RosTypeNamesFromDdsTypeNames) {
  EXPECT_EQ(ros_type_name("vision_msgs::msg::dds_::Detection2DArray_"),
            "vision_msgs/msg/Detection2DArray");
  EXPECT_THROW(ros_type_name("Detection2DArray"), Error);
}

TEST(TypeHash, Ros2msgSchemaCarriesEveryDependency) {
  const std::string s = ros2msg_schema("sensor_msgs/msg/Image");
  EXPECT_EQ(s.rfind("std_msgs/Header header\n", 0), 0u) << s;
  EXPECT_NE(s.find(std::string(80, '=') + "\nMSG: std_msgs/Header\n"), std::string::npos);
  EXPECT_NE(s.find("\nMSG: builtin_interfaces/Time\nint32 sec\n"), std::string::npos);
}

}  // namespace
}  // namespace percept::ros2
