// An MCAP file writer (https://mcap.dev/spec, version 0x30), shaped the way rosbag2's MCAP
// storage writes ROS 2 bags on Jazzy: Header, Schema and Channel records at the start of the
// data section, Message records inside Chunks (CRC32 of the uncompressed records; compression
// none, zstd or lz4 frames), a Message Index per channel after each chunk, then Data End, the
// summary (Schema, Channel, Statistics, Chunk Index records), the Summary Offset records and the
// Footer. Knows nothing about ROS 2 messages: the caller hands it serialised payloads.
//
// Crash safety: a chunk and its message indexes go to the file in one write() when the chunk
// passes `chunk_bytes` or has been open `chunk_ns` (checked on each message), so a process killed
// at any point leaves a file that a streaming reader reads up to the last whole chunk; the
// summary exists only after close().
//
// Disk full: a chunk that cannot be written whole is cut off the file again (ftruncate) and its
// messages are reported lost by the write() that closed it; the next chunk tries again.
// One thread only (the bag sink's).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "percept/core/error.hpp"

namespace percept::mcap {

enum class Compression { none, zstd, lz4 };
const char* compression_name(Compression c);  // "", "zstd", "lz4" as in Chunk records

struct WriterOptions {
  std::string profile = "ros2";
  std::string library = "percept";
  Compression compression = Compression::none;
  uint64_t chunk_bytes = 1 << 20;    // uncompressed bytes that close a chunk
  int64_t chunk_ns = 1'000'000'000;  // age (log time) that closes a chunk
};

class Writer {
 public:
  Writer() = default;
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Creates (truncates) `path` and writes the magic and Header. Error: the file cannot be opened.
  // A failed Header write is retried before the first chunk.
  Status open(const std::string& path, const WriterOptions& options);
  // Schemas and channels are declared before the first message (they go out with the Header
  // block). Ids count from 1.
  uint16_t add_schema(const std::string& name, const std::string& encoding,
                      const std::string& data);
  uint16_t add_channel(uint16_t schema_id, const std::string& topic, const std::string& encoding,
                       const std::map<std::string, std::string>& metadata);
  // Appends one Message record to the open chunk; `times` in ns since the epoch. Error: the
  // chunk this message closed could not be written (its messages are lost, counted in lost()).
  Status write(uint16_t channel, uint64_t log_time, uint64_t publish_time, const uint8_t* header,
               size_t header_size, const uint8_t* data, size_t size);
  // Writes the open chunk now.
  Status flush();
  // Flushes, then writes Data End, the summary and the footer, and closes the file.
  Status close();

  uint64_t messages_written() const { return messages_written_; }
  uint64_t messages_lost() const { return messages_lost_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  struct Schema {
    uint16_t id;
    std::string name, encoding, data;
  };
  struct Channel {
    uint16_t id, schema_id;
    std::string topic, encoding;
    std::map<std::string, std::string> metadata;
  };
  struct ChunkIndex {
    uint64_t start_time, end_time, offset, length, index_length, compressed, uncompressed;
    std::map<uint16_t, uint64_t> index_offsets;
  };
  Status write_preamble();
  Status append_to_file(const std::string& bytes);  // one write() loop; truncates on failure
  void schema_record(std::string& out, const Schema& s) const;
  void channel_record(std::string& out, const Channel& c) const;

  int fd_ = -1;
  std::string path_;
  WriterOptions options_;
  uint64_t file_size_ = 0;  // bytes written whole
  uint32_t data_crc_ = 0;   // CRC32 of everything before Data End
  bool preamble_written_ = false;
  std::vector<Schema> schemas_;
  std::vector<Channel> channels_;
  // The open chunk: uncompressed records, times, and per channel (log time, offset) pairs.
  std::string chunk_;
  uint64_t chunk_start_ = 0, chunk_end_ = 0;
  uint64_t chunk_messages_ = 0;
  std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>> chunk_index_;
  std::string out_;         // scratch: the chunk record and its indexes, as written
  std::string compressed_;  // scratch
  std::vector<ChunkIndex> chunks_;
  std::map<uint16_t, uint64_t> channel_counts_;
  std::map<uint16_t, uint32_t> sequences_;
  uint64_t messages_written_ = 0, messages_lost_ = 0;
  uint64_t first_time_ = UINT64_MAX, last_time_ = 0;
};

// CRC32 (ISO-HDLC, the zlib one) as MCAP uses it; `crc` continues a running value.
uint32_t crc32(uint32_t crc, const void* data, size_t size);

}  // namespace percept::mcap
