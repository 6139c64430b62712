// A pinhole camera's intrinsics in pixels (the K of a ROS camera_info: fx, fy, cx, cy), what
// turns a pixel and a depth into a point in the camera optical frame (REP 103: x right, y down,
// z forward).
#pragma once

namespace percept {

struct Intrinsics {
  double fx = 0, fy = 0, cx = 0, cy = 0;
  bool valid() const { return fx > 0 && fy > 0; }
};

}  // namespace percept
