// Bag replay on arbitrary bytes (`source: bag`, docs/ROS2.md "Replay"): the MCAP reader
// (records, chunks with none/zstd/lz4 compression, CRCs, lengths) and, for every message of
// every channel, percept's hand-written CDR decoding of sensor_msgs/Image and CompressedImage.
// Errors are fine; a crash, a sanitizer report or an allocation beyond the limits is not.
#include <cstdint>
#include <cstdio>
#include <string>

#include "image_cdr.hpp"
#include "mcap_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  percept::mcap::Reader r;
  const percept::Status opened = r.open_memory(data, size, "fuzz.mcap");
#ifdef PERCEPT_FUZZ_REPLAY
  std::printf("%s\n", opened ? ("opened, " + std::to_string(r.channels().size()) + " channels" +
                                (r.truncated().empty() ? "" : ", cut: " + r.truncated()))
                                   .c_str()
                             : ("rejected: " + opened.error().message()).c_str());
#endif
  if (!opened) return 0;
  percept::Image img;
  for (const percept::mcap::ChannelInfo& c : r.channels()) {
    r.rewind();
    percept::mcap::MessageView m;
    int images = 0, errors = 0;
    [[maybe_unused]] int read_errors = 0;
    [[maybe_unused]] std::string first_error;
    // Every error skips what it names, so this ends; the bound is a second guard.
    for (int guard = 0; guard < 100000; ++guard) {
      auto got = r.next(c.id, m);
      if (!got) {
        if (read_errors++ == 0) first_error = got.error().message();
        continue;
      }
      if (!*got) break;
      int64_t stamp = 0;
      const bool ok_raw = percept::ros2::image_from_cdr(m.data, m.size, "fuzz", img, stamp).ok();
      const bool ok_png =
          percept::ros2::compressed_image_from_cdr(m.data, m.size, "fuzz", img, stamp, 1 << 20)
              .ok();
      images += ok_raw || ok_png;
      errors += !ok_raw && !ok_png;
    }
#ifdef PERCEPT_FUZZ_REPLAY
    const std::string read_note =
        read_errors ? ", read errors " + std::to_string(read_errors) + ": " + first_error : "";
    std::printf("channel %s (%s): %d images, %d errors%s\n", c.topic.c_str(), c.schema_name.c_str(),
                images, errors, read_note.c_str());
#endif
  }
  return 0;
}
