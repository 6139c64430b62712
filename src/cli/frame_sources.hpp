// Frames for the commands that read a handful of them outside a pipeline (`percept quantize`'s
// calibration, `percept tune`'s accuracy check): an image file, folder or glob; a video; a
// pipeline config whose cameras are files or synthetic, read in turn; or "synthetic" (the
// moving-shapes scene at 1280x720).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "percept/core/image.hpp"
#include "percept/io/source.hpp"

namespace percept::cli {

// Throws percept::Error naming `option` (e.g. "quantize --calib") and the spec when it does not
// exist or names a live camera.
std::vector<std::unique_ptr<Source>> open_frame_sources(const std::string& spec, int frames,
                                                        const std::string& option);

// Up to `n` frames from the sources, taken in turn.
std::vector<Image> read_frames(const std::string& spec, int n, const std::string& option);

}  // namespace percept::cli
