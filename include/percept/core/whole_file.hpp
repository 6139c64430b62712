// Small files written whole or not at all (summary.json, image dumps): the bytes go to a
// temporary name in the same folder (`<path>.tmp`), which is then renamed over `path`. rename()
// within one file system is atomic, so a reader, a process crash or a full disk never leaves a
// cut or empty file at `path`: it holds the old file, the new one, or nothing. After a power
// loss that holds only for `durable` writes (below).
#pragma once

#include <string>
#include <string_view>

#include "percept/core/error.hpp"

namespace percept {

// `durable`: fsync the file before the rename and its folder after it, so the file is on the
// disk when this returns (a power cut keeps it), at the cost of a disk flush: for files written
// once per run, not per frame. On failure the temporary is removed and the error
// (ErrorCode::io) names the file and errno's text.
Status write_whole_file(const std::string& path, std::string_view data, bool durable);

}  // namespace percept
