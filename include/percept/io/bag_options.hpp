// The `output: {bag: ...}` section of a pipeline config (docs/ROS2.md, "Recording"): a ROS 2 bag
// of what percept publishes. Plain values: the config loader and builds without DDS use it too.
#pragma once

#include <string>

namespace percept {

enum class BagFormat { mcap, sqlite3 };
enum class BagCompression { none, zstd, lz4 };

struct BagOptions {
  // mcap: the .mcap file; sqlite3: the bag folder (<folder>/<name>_0.db3 + metadata.yaml).
  // Resolved; missing folders are created.
  std::string path;
  BagFormat format = BagFormat::mcap;
  BagCompression compression = BagCompression::none;  // per chunk (mcap only)
  bool images = false;  // also the cameras' own frames, /<ns>/<camera>/image_raw
  // A chunk is written (mcap: one write()) or a transaction committed (sqlite3) when it holds
  // this many bytes or spans this long: the most a SIGKILL can lose.
  size_t chunk_bytes = 1 << 20;
  double chunk_s = 1.0;
};

}  // namespace percept
