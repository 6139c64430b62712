// `source: bag` cameras (docs/ROS2.md, "Replay"): sensor_msgs/Image or CompressedImage messages
// of one topic of a ROS 2 bag (an .mcap file, a rosbag2 .db3, or a rosbag2 folder holding
// them), in recorded order, as pipeline frames stamped with their header stamps.
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "image_cdr.hpp"
#include "mcap_reader.hpp"
#include "percept/ros2/ros2.hpp"

namespace percept {

namespace {

namespace fs = std::filesystem;

constexpr const char* kImage = "sensor_msgs/msg/Image";
constexpr const char* kCompressed = "sensor_msgs/msg/CompressedImage";

// One bag file's messages of one topic, in order.
class BagFile {
 public:
  virtual ~BagFile() = default;
  // Next message's CDR bytes (valid until the next call); false at the end.
  virtual Result<bool> next(const uint8_t*& data, size_t& size) = 0;
  virtual uint64_t count() const = 0;
  virtual uint64_t first_ns() const = 0;
  virtual uint64_t last_ns() const = 0;
  virtual std::string type() const = 0;
};

std::string topic_list(const std::vector<std::pair<std::string, std::string>>& topics) {
  std::string s;
  for (const auto& [name, type] : topics) s += (s.empty() ? "" : ", ") + name + " (" + type + ")";
  return s.empty() ? "none" : s;
}

class McapFile final : public BagFile {
 public:
  McapFile(const std::string& path, const std::string& topic) {
    if (Status s = reader_.open(path); !s) throw s.error();
    if (!reader_.truncated().empty())
      spdlog::warn("{} (a recording cut short: replaying up to there)", reader_.truncated());
    std::vector<std::pair<std::string, std::string>> topics;
    for (const mcap::ChannelInfo& c : reader_.channels()) {
      topics.emplace_back(c.topic, c.schema_name);
      if (c.topic == topic) channel_ = c;
    }
    if (channel_.topic.empty())
      throw Error(ErrorCode::invalid_argument,
                  "bag '" + path + "' has no topic '" + topic + "'; it has: " + topic_list(topics));
    if (channel_.message_encoding != "cdr")
      throw Error(ErrorCode::invalid_argument, "bag '" + path + "': topic '" + topic +
                                                   "' is encoded as '" + channel_.message_encoding +
                                                   "', not cdr");
  }
  Result<bool> next(const uint8_t*& data, size_t& size) override {
    mcap::MessageView m;
    Result<bool> got = reader_.next(channel_.id, m);
    if (!got || !*got) return got;
    data = m.data;
    size = m.size;
    return true;
  }
  uint64_t count() const override { return channel_.messages; }
  uint64_t first_ns() const override { return channel_.first_time; }
  uint64_t last_ns() const override { return channel_.last_time; }
  std::string type() const override { return channel_.schema_name; }

 private:
  mcap::Reader reader_;
  mcap::ChannelInfo channel_;
};

// rosbag2's sqlite3 storage: topics(id, name, type, serialization_format, ...) and
// messages(id, topic_id, timestamp, data).
class Db3File final : public BagFile {
 public:
  Db3File(const std::string& path, const std::string& topic) : path_(path) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    db_.reset(db);  // closed on every path out, a throw from this constructor included
    if (rc != SQLITE_OK) throw Error(ErrorCode::io, "bag '" + path + "': " + sqlite3_errmsg(db));
    std::vector<std::pair<std::string, std::string>> topics;
    int64_t id = -1;
    std::string format;
    {
      Stmt s(db_.get(), path_, "SELECT id, name, type, serialization_format FROM topics");
      while (s.step()) {
        const std::string name = s.text(1);
        topics.emplace_back(name, s.text(2));
        if (name == topic) {
          id = sqlite3_column_int64(s.get(), 0);
          type_ = s.text(2);
          format = s.text(3);
        }
      }
    }
    if (id < 0)
      throw Error(ErrorCode::invalid_argument,
                  "bag '" + path + "' has no topic '" + topic + "'; it has: " + topic_list(topics));
    if (format != "cdr")
      throw Error(ErrorCode::invalid_argument, "bag '" + path + "': topic '" + topic +
                                                   "' is serialised as '" + format + "', not cdr");
    {
      Stmt s(db_.get(), path_,
             "SELECT COUNT(*), MIN(timestamp), MAX(timestamp) FROM messages WHERE topic_id = " +
                 std::to_string(id));
      if (s.step()) {
        count_ = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
        first_ = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 1));
        last_ = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 2));
      }
    }
    rows_ =
        std::make_unique<Stmt>(db_.get(), path_,
                               "SELECT data FROM messages WHERE topic_id = " + std::to_string(id) +
                                   " ORDER BY timestamp, id");
  }
  Result<bool> next(const uint8_t*& data, size_t& size) override {
    if (ended_) return false;
    try {
      if (!rows_->step()) return false;
    } catch (const Error& e) {
      // SQLite cannot step past a corrupt page: one error, then the end of this file.
      ended_ = true;
      return e;
    }
    // sqlite hands back at most what is stored: a declared size cannot lie here.
    data = static_cast<const uint8_t*>(sqlite3_column_blob(rows_->get(), 0));
    size = static_cast<size_t>(sqlite3_column_bytes(rows_->get(), 0));
    if (size > mcap::Reader::kMaxRecord)
      return Error(ErrorCode::invalid_argument, "bag '" + path_ + "': a message of " +
                                                    std::to_string(size) +
                                                    " bytes, over the 1 GiB limit");
    return true;
  }
  uint64_t count() const override { return count_; }
  uint64_t first_ns() const override { return first_; }
  uint64_t last_ns() const override { return last_; }
  std::string type() const override { return type_; }

 private:
  class Stmt {
   public:
    Stmt(sqlite3* db, const std::string& path, const std::string& sql) : path_(path) {
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK)
        throw Error(ErrorCode::invalid_argument,
                    "bag '" + path + "': not a rosbag2 sqlite3 bag (" + sqlite3_errmsg(db) + ")");
    }
    ~Stmt() { sqlite3_finalize(s_); }
    bool step() {
      const int rc = sqlite3_step(s_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      throw Error(ErrorCode::io, "bag '" + path_ + "': " + sqlite3_errstr(rc));
    }
    std::string text(int col) {
      const unsigned char* t = sqlite3_column_text(s_, col);
      return t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_stmt* get() const { return s_; }

   private:
    sqlite3_stmt* s_ = nullptr;
    std::string path_;
  };
  std::string path_;
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db_{nullptr, sqlite3_close};
  std::unique_ptr<Stmt> rows_;  // declared after db_: finalised before the database closes
  std::string type_;
  uint64_t count_ = 0, first_ = 0, last_ = 0;
  bool ended_ = false;
};

std::unique_ptr<BagFile> open_file(const fs::path& p, const std::string& topic) {
  if (p.extension() == ".db3") return std::make_unique<Db3File>(p.string(), topic);
  return std::make_unique<McapFile>(p.string(), topic);
}

// A rosbag2 folder: its .mcap or .db3 files in name order (rosbag2 numbers its splits).
std::vector<fs::path> bag_files(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.path().extension() == ".mcap" || e.path().extension() == ".db3")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw Error(ErrorCode::invalid_argument,
                "bag folder '" + path + "' holds no .mcap or .db3 file");
  return files;
}

class BagSource final : public Source {
 public:
  BagSource(const SourceConfig& c) : topic_(c.ros2.topic), max_pixels_(c.max_image_pixels) {
    files_ = bag_files(c.path);
    uint64_t first = UINT64_MAX, last = 0;
    for (const fs::path& p : files_) {  // every file opened once: a bad one fails at start
      std::unique_ptr<BagFile> f = open_file(p, topic_);
      const std::string t = f->type();
      if (t != kImage && t != kCompressed)
        throw Error(ErrorCode::invalid_argument,
                    "bag '" + p.string() + "': topic '" + topic_ + "' has type '" + t +
                        "'; a camera reads sensor_msgs/msg/Image or CompressedImage");
      if (type_.empty()) type_ = t;
      count_ += f->count();
      if (f->count()) {
        first = std::min(first, f->first_ns());
        last = std::max(last, f->last_ns());
      }
    }
    // The recorded pace, as a rate: frames over the time they span.
    if (count_ > 1 && last > first)
      fps_ = static_cast<double>(count_ - 1) / (static_cast<double>(last - first) * 1e-9);
    spdlog::info("bag {}: {} {} messages on {} ({:.1f} FPS recorded)", c.path, count_, type_,
                 topic_, fps_);
  }

  Result<bool> read(Image& frame) override {
    while (true) {
      if (!file_) {
        if (next_file_ == files_.size()) return false;
        try {  // opened once at start already: this fails only if the file changed since
          file_ = open_file(files_[next_file_++], topic_);
        } catch (const Error& e) {
          return e;
        }
        file_type_ = file_->type();
      }
      const uint8_t* data = nullptr;
      size_t size = 0;
      Result<bool> got = file_->next(data, size);
      if (!got) return got.error();
      if (!*got) {
        file_.reset();
        continue;
      }
      const std::string what = "bag '" + files_[next_file_ - 1].string() + "' topic " + topic_ +
                               " message " + std::to_string(index_++);
      // Split files of one recording may differ (raw in one, compressed in the next).
      const Status st =
          file_type_ == kImage
              ? ros2::image_from_cdr(data, size, what, frame, stamp_ns_)
              : ros2::compressed_image_from_cdr(data, size, what, frame, stamp_ns_, max_pixels_);
      if (!st) return st.error();
      return true;
    }
  }
  double fps() const override { return fps_; }
  int64_t frame_count() const override { return static_cast<int64_t>(count_); }
  int64_t capture_wall_ns() const override { return stamp_ns_; }

 private:
  std::string topic_;
  uint64_t max_pixels_;
  std::vector<fs::path> files_;
  size_t next_file_ = 0;
  std::unique_ptr<BagFile> file_;
  std::string type_, file_type_;  // the first file's (for the log), the open file's
  uint64_t count_ = 0, index_ = 0;
  double fps_ = 0;
  int64_t stamp_ns_ = 0;
};

}  // namespace

std::unique_ptr<Source> open_bag_source(const SourceConfig& config) {
  return std::make_unique<BagSource>(config);
}

}  // namespace percept
