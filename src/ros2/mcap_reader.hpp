// An MCAP file reader for replay (`source: bag`, docs/ROS2.md "Replay"): reads the data section
// in file order, messages inside chunks (none, zstd or lz4) and outside, without needing the
// summary, so a bag cut by a crash reads up to its last whole record. Untrusted input: every
// length is checked against what is left (of the file, the record, the chunk), chunk CRCs are
// verified, decompressed sizes are bounded; a problem is an error naming the file and the
// record's offset, except a record cut by the end of the file, which ends the data (a bag
// written by a process that was killed) and is said once in truncated().
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "percept/core/error.hpp"

namespace percept::mcap {

struct ChannelInfo {
  uint16_t id = 0;
  std::string topic, message_encoding;
  std::string schema_name, schema_encoding;  // empty for schema id 0
  uint64_t messages = 0;                     // found by open()'s scan
  uint64_t first_time = 0, last_time = 0;    // log times (ns) of its first and last message
};

struct MessageView {
  uint16_t channel = 0;
  uint64_t log_time = 0, publish_time = 0;
  const uint8_t* data = nullptr;  // valid until the next call to next()
  size_t size = 0;
};

class Reader {
 public:
  // Largest chunk percept decompresses, and largest record it reads (a bag's messages are
  // camera images: 1 GiB is far above any).
  static constexpr uint64_t kMaxRecord = 1ull << 30;

  Reader() = default;
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Opens `path`, checks the magic and learns the channels and their message counts: from the
  // summary when the file has one (a bag closed properly), else by scanning the data section
  // once (a bag cut by a crash). Error: not an MCAP file, or a record that lies about its size.
  Status open(const std::string& path);
  // The same over bytes in memory (the fuzz target); `name` stands for the path in errors. The
  // bytes must outlive the reader.
  Status open_memory(const uint8_t* data, size_t size, const std::string& name);
  const std::vector<ChannelInfo>& channels() const { return channels_; }
  // The next message of `channel` in file order: false at the end of the data. An error (a
  // corrupt chunk, a malformed record) skips what it names: the next call goes on after it.
  Result<bool> next(uint16_t channel, MessageView& out);
  // Rewinds to the first record (next() starts over).
  void rewind();
  // Why the data ended before Data End (e.g. "record at offset 123 cut by the end of the
  // file"), or "" when it did not.
  const std::string& truncated() const { return truncated_; }

 private:
  struct Record {
    uint8_t op = 0;
    uint64_t offset = 0;  // in the file
    std::string body;
  };
  // Reads the next top-level record; false at the end of the data (Data End, Footer, the end
  // of the file or a cut record).
  Status open_stream();  // after f_ and path_ are set
  // Channels and counts from the summary section; false when there is none or it does not
  // parse (then open() scans the data instead).
  bool read_summary();
  Result<bool> read_record(Record& r);
  Result<bool> next_any(MessageView& out);  // any channel
  Status load_chunk(const Record& r);
  Status note_schema_or_channel(const Record& r, const std::string& body, uint64_t offset);
  std::string where(uint64_t offset) const;

  std::FILE* f_ = nullptr;
  std::string path_;
  uint64_t size_ = 0, pos_ = 0;
  bool ended_ = false;
  std::string truncated_;
  std::map<uint16_t, std::pair<std::string, std::string>> schemas_;  // id -> name, encoding
  std::vector<ChannelInfo> channels_;
  std::map<uint16_t, size_t> channel_index_;
  // The chunk being read: its records (in chunk_ when decompressed, inside record_.body when
  // stored uncompressed) and the position in them.
  std::string chunk_;
  const char* chunk_data_ = nullptr;
  size_t chunk_size_ = 0, chunk_pos_ = 0;
  uint64_t chunk_offset_ = 0;
  bool in_chunk_ = false;
  Record record_;  // scratch
};

}  // namespace percept::mcap
