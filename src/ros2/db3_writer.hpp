// rosbag2's sqlite3 storage as Jazzy writes it (schema version 4): a bag folder holding
// <folder name>_0.db3 with the tables schema, metadata, topics, message_definitions and
// messages (timestamp index), and metadata.yaml (rosbag2_bagfile_information, version 9) beside
// it. Knows nothing about ROS 2 messages: the caller hands it serialised payloads.
//
// Crash safety: the database runs in WAL mode (rosbag2's "resilient" preset: journal_mode=WAL,
// synchronous=NORMAL) and messages go in transactions committed every `commit_bytes` or
// `commit_ns` of message time, so a killed process leaves a database that opens with every
// committed message; metadata.yaml and the metadata row are written by close() only (readers
// and `ros2 bag reindex` rebuild them). A commit that fails (disk full) loses its messages,
// counted in lost(); the next transaction tries again. One thread only (the bag sink's).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "percept/core/error.hpp"

namespace percept::db3 {

struct WriterOptions {
  uint64_t commit_bytes = 1 << 20;
  int64_t commit_ns = 1'000'000'000;
  std::string ros_distro = "jazzy";
};

class Writer {
 public:
  Writer() = default;
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Creates the folder `dir` (and parents) and <dir>/<name>_0.db3, replacing an older one.
  Status open(const std::string& dir, const WriterOptions& options);
  // A topic and, once per type, its message definition (encoding ros2msg). Ids count from 1.
  Result<int> add_topic(const std::string& name, const std::string& type,
                        const std::string& offered_qos, const std::string& type_hash,
                        const std::string& definition);
  // One message; `time` in ns since the epoch (the messages table's timestamp).
  Status write(int topic, int64_t time, const uint8_t* data, size_t size);
  // Commits the open transaction, writes the metadata row and metadata.yaml, closes the file.
  Status close();

  uint64_t messages_written() const { return written_; }
  uint64_t messages_lost() const { return lost_; }
  const std::string& db_path() const { return db_path_; }

 private:
  struct Topic {
    std::string name, type, qos, hash;
    uint64_t count = 0;
  };
  Status exec(const char* sql);
  Status commit();
  Status error(const std::string& what) const;
  std::string metadata_yaml() const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::string dir_, db_path_, file_name_;
  WriterOptions options_;
  std::vector<Topic> topics_;
  std::vector<std::string> definition_types_;
  bool in_tx_ = false;
  uint64_t tx_bytes_ = 0, tx_messages_ = 0;
  int64_t tx_start_ = 0;
  std::vector<uint64_t> tx_counts_;  // per topic, in the open transaction
  uint64_t written_ = 0, lost_ = 0;
  int64_t first_ = 0, last_ = 0;
};

}  // namespace percept::db3
