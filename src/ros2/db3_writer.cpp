// The tables as rosbag2_storage_sqlite3 creates them on Jazzy (schema version 4), and
// metadata.yaml as rosbag2_storage's YAML encoder writes BagMetadata version 9.
#include "db3_writer.hpp"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace percept::db3 {

namespace {

namespace fs = std::filesystem;

constexpr int kSchemaVersion = 4;
constexpr int kMetadataVersion = 9;

// A YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

Writer::~Writer() {
  if (db_) (void)close();  // the destructor cannot report: close() explicitly to see errors
}

Status Writer::error(const std::string& what) const {
  return Error(ErrorCode::io, "bag: " + what + " (" + db_path_ +
                                  "): " + (db_ ? sqlite3_errmsg(db_) : "cannot open"));
}

Status Writer::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    const std::string m = msg ? msg : "?";
    sqlite3_free(msg);
    return Error(ErrorCode::io,
                 "bag: " + std::string(sql).substr(0, 40) + "... (" + db_path_ + "): " + m);
  }
  return {};
}

Status Writer::open(const std::string& dir, const WriterOptions& options) {
  options_ = options;
  dir_ = dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::io, "bag: cannot create folder " + dir + ": " + ec.message());
  file_name_ = fs::path(dir).lexically_normal().filename().string();
  if (file_name_.empty()) file_name_ = fs::path(dir).lexically_normal().parent_path().filename();
  file_name_ += "_0.db3";
  db_path_ = (fs::path(dir) / file_name_).string();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(db_path_ + suffix, ec);
  if (sqlite3_open_v2(db_path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    Status st = error("cannot create");
    sqlite3_close(db_);
    db_ = nullptr;
    return st;
  }
  for (const char* sql : {
           "PRAGMA journal_mode=WAL;",
           "PRAGMA synchronous=NORMAL;",
           "CREATE TABLE schema(schema_version INTEGER PRIMARY KEY,ros_distro TEXT NOT NULL);",
           "CREATE TABLE metadata(id INTEGER PRIMARY KEY,metadata_version INTEGER NOT NULL,"
           "metadata TEXT NOT NULL);",
           "CREATE TABLE topics(id INTEGER PRIMARY KEY,name TEXT NOT NULL,type TEXT NOT NULL,"
           "serialization_format TEXT NOT NULL,offered_qos_profiles TEXT NOT NULL,"
           "type_description_hash TEXT NOT NULL);",
           "CREATE TABLE message_definitions(id INTEGER PRIMARY KEY,topic_type TEXT NOT NULL,"
           "encoding TEXT NOT NULL,encoded_message_definition TEXT NOT NULL,"
           "type_description_hash TEXT NOT NULL);",
           "CREATE TABLE messages(id INTEGER PRIMARY KEY,topic_id INTEGER NOT NULL,"
           "timestamp INTEGER NOT NULL, data BLOB NOT NULL);",
           "CREATE INDEX timestamp_idx ON messages (timestamp ASC);",
       })
    if (Status st = exec(sql); !st.ok()) return st;
  const std::string schema = "INSERT INTO schema (schema_version, ros_distro) VALUES (" +
                             std::to_string(kSchemaVersion) + ", '" + options_.ros_distro + "');";
  if (Status st = exec(schema.c_str()); !st.ok()) return st;
  if (sqlite3_prepare_v2(db_, "INSERT INTO messages (timestamp, topic_id, data) VALUES (?, ?, ?);",
                         -1, &insert_, nullptr) != SQLITE_OK)
    return error("cannot prepare the insert");
  return {};
}

Result<int> Writer::add_topic(const std::string& name, const std::string& type,
                              const std::string& offered_qos, const std::string& type_hash,
                              const std::string& definition) {
  sqlite3_stmt* st = nullptr;
  auto run = [&](const char* sql, std::initializer_list<const std::string*> values) -> Status {
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) return error("prepare");
    int i = 1;
    for (const std::string* v : values)
      sqlite3_bind_text(st, i++, v->c_str(), static_cast<int>(v->size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? Status{} : error("cannot add topic " + name);
  };
  const std::string cdr = "cdr";
  if (Status s = run("INSERT INTO topics (name, type, serialization_format, offered_qos_profiles, "
                     "type_description_hash) VALUES (?, ?, ?, ?, ?)",
                     {&name, &type, &cdr, &offered_qos, &type_hash});
      !s.ok())
    return s.error();
  topics_.push_back({name, type, offered_qos, type_hash, 0});
  tx_counts_.push_back(0);
  bool known = false;
  for (const auto& t : definition_types_) known = known || t == type;
  if (!known) {
    const std::string enc = "ros2msg";
    if (Status s = run("INSERT INTO message_definitions (topic_type, encoding, "
                       "encoded_message_definition, type_description_hash) VALUES (?, ?, ?, ?)",
                       {&type, &enc, &definition, &type_hash});
        !s.ok())
      return s.error();
    definition_types_.push_back(type);
  }
  return static_cast<int>(topics_.size());  // the rowid: topics are only ever inserted
}

Status Writer::commit() {
  if (!in_tx_) return {};
  in_tx_ = false;
  Status st = exec("COMMIT;");
  if (!st.ok()) {
    (void)exec("ROLLBACK;");  // the transaction is gone either way; its messages are lost
    lost_ += tx_messages_;
    st = Error(st.error().code(),
               st.error().message() + " (" + std::to_string(tx_messages_) + " messages lost)");
  } else {
    written_ += tx_messages_;
    for (size_t i = 0; i < topics_.size(); ++i) topics_[i].count += tx_counts_[i];
  }
  tx_messages_ = tx_bytes_ = 0;
  std::fill(tx_counts_.begin(), tx_counts_.end(), 0);
  return st;
}

Status Writer::write(int topic, int64_t time, const uint8_t* data, size_t size) {
  if (!db_) return Error(ErrorCode::io, "bag: " + db_path_ + " is not open");
  Status st;
  if (in_tx_ && time - tx_start_ >= options_.commit_ns) st = commit();
  if (!in_tx_) {
    if (Status b = exec("BEGIN TRANSACTION;"); !b.ok()) {
      ++lost_;
      return b;
    }
    in_tx_ = true;
    tx_start_ = time;
  }
  sqlite3_bind_int64(insert_, 1, time);
  sqlite3_bind_int(insert_, 2, topic);
  sqlite3_bind_blob(insert_, 3, data, static_cast<int>(size), SQLITE_STATIC);
  const int rc = sqlite3_step(insert_);
  sqlite3_reset(insert_);
  if (rc != SQLITE_DONE) {
    ++lost_;
    if (st.ok()) st = error("cannot insert a message");
    return st;
  }
  if (written_ + tx_messages_ == 0 || time < first_) first_ = time;
  last_ = std::max(last_, time);
  ++tx_messages_;
  ++tx_counts_[static_cast<size_t>(topic - 1)];
  tx_bytes_ += size;
  if (tx_bytes_ >= options_.commit_bytes) {
    Status c = commit();
    if (st.ok()) st = std::move(c);
  }
  return st;
}

std::string Writer::metadata_yaml() const {
  const int64_t duration = written_ ? last_ - first_ : 0;
  const int64_t start = written_ ? first_ : 0;
  std::string y = "rosbag2_bagfile_information:\n";
  y += "  version: " + std::to_string(kMetadataVersion) + "\n";
  y += "  storage_identifier: sqlite3\n";
  y += "  duration:\n    nanoseconds: " + std::to_string(duration) + "\n";
  y += "  starting_time:\n    nanoseconds_since_epoch: " + std::to_string(start) + "\n";
  y += "  message_count: " + std::to_string(written_) + "\n";
  y += "  topics_with_message_count:\n";
  for (const Topic& t : topics_) {
    y += "    - topic_metadata:\n";
    y += "        name: " + quoted(t.name) + "\n";
    y += "        type: " + quoted(t.type) + "\n";
    y += "        serialization_format: cdr\n";
    y += "        offered_qos_profiles: " + quoted(t.qos) + "\n";
    y += "        type_description_hash: " + quoted(t.hash) + "\n";
    y += "      message_count: " + std::to_string(t.count) + "\n";
  }
  y += "  compression_format: \"\"\n  compression_mode: \"\"\n";
  y += "  relative_file_paths:\n    - " + quoted(file_name_) + "\n";
  y += "  files:\n    - path: " + quoted(file_name_) + "\n";
  y += "      starting_time:\n        nanoseconds_since_epoch: " + std::to_string(start) + "\n";
  y += "      duration:\n        nanoseconds: " + std::to_string(duration) + "\n";
  y += "      message_count: " + std::to_string(written_) + "\n";
  y += "  custom_data: {}\n";
  y += "  ros_distro: " + options_.ros_distro + "\n";
  return y;
}

Status Writer::close() {
  if (!db_) return {};
  Status st = commit();
  const std::string yaml = metadata_yaml();
  sqlite3_stmt* meta = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT INTO metadata (metadata_version, metadata) VALUES (?, ?)", -1,
                         &meta, nullptr) == SQLITE_OK) {
    sqlite3_bind_int(meta, 1, kMetadataVersion);
    // The row holds the bagfile information itself, without the top key (rosbag2's
    // update_metadata stores the encoded BagMetadata node).
    const std::string body = yaml.substr(yaml.find('\n') + 1);
    std::string unindented;
    for (size_t i = 0; i < body.size();) {
      const size_t end = body.find('\n', i);
      const std::string line = body.substr(i, end == std::string::npos ? end : end - i + 1);
      unindented += line.compare(0, 2, "  ") == 0 ? line.substr(2) : line;
      if (end == std::string::npos) break;
      i = end + 1;
    }
    sqlite3_bind_text(meta, 2, unindented.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(meta) != SQLITE_DONE && st.ok()) st = error("cannot write the metadata row");
  }
  sqlite3_finalize(meta);
  sqlite3_finalize(insert_);
  insert_ = nullptr;
  // One self-contained file: the WAL folded back in, the journal back to rollback mode.
  (void)exec("PRAGMA wal_checkpoint(TRUNCATE);");
  (void)exec("PRAGMA journal_mode=DELETE;");
  if (sqlite3_close(db_) != SQLITE_OK && st.ok()) st = error("cannot close");
  db_ = nullptr;
  std::ofstream f(fs::path(dir_) / "metadata.yaml", std::ios::trunc);
  f << yaml;
  f.close();
  if (!f && st.ok())
    st = Error(ErrorCode::io, "bag: cannot write " + (fs::path(dir_) / "metadata.yaml").string());
  return st;
}

}  // namespace percept::db3
