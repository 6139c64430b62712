// The MCAP format's constants (https://mcap.dev/spec), shared by the writer (recording) and
// the reader (replay). Private to src/ros2.
#pragma once

#include <cstddef>
#include <cstdint>

namespace percept::mcap {

inline constexpr char kMagic[] = "\x89MCAP0\r\n";
inline constexpr size_t kMagicSize = 8;

// Record opcodes.
enum Op : uint8_t {
  kHeader = 0x01,
  kFooter = 0x02,
  kSchema = 0x03,
  kChannel = 0x04,
  kMessage = 0x05,
  kChunk = 0x06,
  kMessageIndex = 0x07,
  kChunkIndex = 0x08,
  kStatistics = 0x0B,
  kSummaryOffset = 0x0E,
  kDataEnd = 0x0F,
};

}  // namespace percept::mcap
