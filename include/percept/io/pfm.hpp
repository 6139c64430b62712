// PFM (Portable Float Map), the single-channel float format depth tools read and write
// (Middlebury, MiDaS, OpenCV's imread with IMREAD_UNCHANGED): "Pf\n<w> <h>\n<scale>\n" then
// little-endian (negative scale) or big-endian float32 rows, bottom row first.
#pragma once

#include <string>

#include "percept/core/depth_map.hpp"
#include "percept/core/error.hpp"

namespace percept {

// Writes little-endian. Errors name the file.
Status write_pfm(const std::string& path, const DepthMap& map);
// Reads "Pf" files of either byte order (not 3-channel "PF"). Errors name the file and what
// is wrong (header, size, truncated data). The unit is not stored in PFM: metres is assumed.
Result<DepthMap> read_pfm(const std::string& path);

}  // namespace percept
