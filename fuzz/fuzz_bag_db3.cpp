// Bag replay from a rosbag2 sqlite3 file (`source: bag` on a .db3) on arbitrary bytes: the file
// is written to /dev/shm (SQLite reads files, not buffers) and replayed through the same
// BagSource as any camera: percept's queries against a database that may lack rosbag2's
// tables, hold other column types, or be no database at all, then the CDR image decoding of
// whatever rows come back. Errors are fine; a crash or a sanitizer report is not.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "percept/core/error.hpp"
#include "percept/ros2/ros2.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/dev/shm/percept_fuzz_bag_" + std::to_string(getpid()) + ".db3";
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  percept::SourceConfig c;
  c.camera = "fuzz";
  c.kind = percept::SourceKind::bag;
  c.path = path;
  c.ros2.topic = "/percept/cam/image_raw";
  c.max_image_pixels = 1 << 20;
  try {
    std::unique_ptr<percept::Source> s = percept::open_bag_source(c);
    percept::Image img;
    int frames = 0, errors = 0;
    for (int guard = 0; guard < 10000; ++guard) {
      auto got = s->read(img);
      if (!got) {
        ++errors;
        continue;
      }
      if (!*got) break;
      ++frames;
    }
#ifdef PERCEPT_FUZZ_REPLAY
    std::printf("opened: %d frames, %d read errors\n", frames, errors);
#endif
  } catch (const percept::Error& e) {
#ifdef PERCEPT_FUZZ_REPLAY
    std::printf("rejected: %s\n", e.what());
#endif
  }
  return 0;
}
