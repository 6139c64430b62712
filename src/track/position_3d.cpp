#include "percept/track/position_3d.hpp"

#include <cmath>

namespace percept {

void locate_in_3d(Detections& dets, const Intrinsics& k) {
  for (Detection& d : dets) {
    const double z = d.distance;
    d.has_position = std::isfinite(z) && z > 0 && k.valid();
    if (!d.has_position) continue;
    const double u = (d.box.x1 + d.box.x2) / 2.0, v = (d.box.y1 + d.box.y2) / 2.0;
    d.position_m = {static_cast<float>((u - k.cx) * z / k.fx),
                    static_cast<float>((v - k.cy) * z / k.fy), static_cast<float>(z)};
    d.size_m = {static_cast<float>(d.box.width() * z / k.fx),
                static_cast<float>(d.box.height() * z / k.fy)};
  }
}

}  // namespace percept
