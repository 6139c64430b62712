// The .msg definitions percept needs, as the ROS 2 packages ship them (Humble/Jazzy; vision_msgs
// 4.x), without their comments. Field order, types, bounds and constants are what matters: the
// type hashes and bag schemas derive from this text (msg_definitions.cpp).
#include "msg_texts.hpp"

namespace percept::ros2 {

const std::vector<MsgText>& msg_texts() {
  static const std::vector<MsgText> texts = {
      {"builtin_interfaces/msg/Time", "int32 sec\nuint32 nanosec\n"},
      {"std_msgs/msg/Header", "builtin_interfaces/Time stamp\nstring frame_id\n"},
      {"std_msgs/msg/String", "string data\n"},
      {"sensor_msgs/msg/Image",
       "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\n"
       "uint8 is_bigendian\nuint32 step\nuint8[] data\n"},
      {"sensor_msgs/msg/CompressedImage", "std_msgs/Header header\nstring format\nuint8[] data\n"},
      {"sensor_msgs/msg/RegionOfInterest",
       "uint32 x_offset\nuint32 y_offset\nuint32 height\nuint32 width\nbool do_rectify\n"},
      {"sensor_msgs/msg/CameraInfo",
       "std_msgs/Header header\nuint32 height\nuint32 width\nstring distortion_model\n"
       "float64[] d\nfloat64[9] k\nfloat64[9] r\nfloat64[12] p\nuint32 binning_x\n"
       "uint32 binning_y\nRegionOfInterest roi\n"},
      {"geometry_msgs/msg/Point", "float64 x\nfloat64 y\nfloat64 z\n"},
      {"geometry_msgs/msg/Quaternion", "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n"},
      {"geometry_msgs/msg/Pose", "Point position\nQuaternion orientation\n"},
      {"geometry_msgs/msg/Vector3", "float64 x\nfloat64 y\nfloat64 z\n"},
      {"geometry_msgs/msg/PoseWithCovariance", "Pose pose\nfloat64[36] covariance\n"},
      {"vision_msgs/msg/Point2D", "float64 x\nfloat64 y\n"},
      {"vision_msgs/msg/Pose2D", "vision_msgs/Point2D position\nfloat64 theta\n"},
      {"vision_msgs/msg/BoundingBox2D",
       "vision_msgs/Pose2D center\nfloat64 size_x\nfloat64 size_y\n"},
      {"vision_msgs/msg/BoundingBox3D", "geometry_msgs/Pose center\ngeometry_msgs/Vector3 size\n"},
      {"vision_msgs/msg/ObjectHypothesis", "string class_id\nfloat64 score\n"},
      {"vision_msgs/msg/ObjectHypothesisWithPose",
       "ObjectHypothesis hypothesis\ngeometry_msgs/PoseWithCovariance pose\n"},
      {"vision_msgs/msg/Detection2D",
       "std_msgs/Header header\nObjectHypothesisWithPose[] results\nBoundingBox2D bbox\n"
       "string id\n"},
      {"vision_msgs/msg/Detection2DArray", "std_msgs/Header header\nDetection2D[] detections\n"},
      {"vision_msgs/msg/Classification", "std_msgs/Header header\nObjectHypothesis[] results\n"},
      {"vision_msgs/msg/Detection3D",
       "std_msgs/Header header\nObjectHypothesisWithPose[] results\nBoundingBox3D bbox\n"
       "string id\n"},
      {"vision_msgs/msg/Detection3DArray", "std_msgs/Header header\nDetection3D[] detections\n"},
      {"diagnostic_msgs/msg/KeyValue", "string key\nstring value\n"},
      {"diagnostic_msgs/msg/DiagnosticStatus",
       "byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n"
       "byte level\nstring name\nstring message\nstring hardware_id\nKeyValue[] values\n"},
      {"diagnostic_msgs/msg/DiagnosticArray",
       "std_msgs/Header header\nDiagnosticStatus[] status\n"},
      {"rmw_dds_common/msg/Gid", "char[16] data\n"},
      {"rmw_dds_common/msg/NodeEntitiesInfo",
       "string<=256 node_namespace\nstring<=256 node_name\nGid[] reader_gid_seq\n"
       "Gid[] writer_gid_seq\n"},
      {"rmw_dds_common/msg/ParticipantEntitiesInfo",
       "Gid gid\nNodeEntitiesInfo[] node_entities_info_seq\n"},
  };
  return texts;
}

// Humble's rmw_dds_common (before rmw_dds_common PR #68): the gid carries 24 bytes, the last 8
// zero.
const char* humble_gid_text() {
  return "char[24] data\n";
}

}  // namespace percept::ros2
