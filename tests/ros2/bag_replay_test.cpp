// Replay (`source: bag`, docs/ROS2.md "Replay"): sensor_msgs/Image and CompressedImage messages
// from MCAP files and rosbag2 sqlite3 (.db3) files come back as the frames that were stored,
// stamped with their header stamps; bad bags give errors that name the file, never a crash.
// The bags are written here with other code than the reader's: CDR by Cyclone DDS's own
// serialiser (cdr.cpp), .db3 tables by SQLite with rosbag2's schema, MCAP by the writer.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "cdr.hpp"
#include "dds_test_util.hpp"
#include "mcap_writer.hpp"
#include "percept/core/error.hpp"
#include "percept/ros2/ros2.hpp"
#include "ros2_msgs.h"

namespace percept {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

constexpr int kW = 64, kH = 48, kFrames = 4;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // ns
constexpr int64_t kStep = 50'000'000;               // 20 FPS

fs::path test_dir(const std::string& name) {
  const fs::path d = fs::path(PERCEPT_BUILD_DIR) / "testdata" /
                     ("bag_replay_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Frame k: a gradient that differs per frame (so a wrong order or a dropped frame shows).
cv::Mat frame(int k) {
  cv::Mat m(kH, kW, CV_8UC3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 4 + k),
                                        static_cast<uint8_t>(y * 5), static_cast<uint8_t>(k * 40));
  return m;
}

std_msgs_msg_dds__Header_ header(int64_t ns) {
  std_msgs_msg_dds__Header_ h{};
  h.stamp_.sec_ = static_cast<int32_t>(ns / 1000000000);
  h.stamp_.nanosec_ = static_cast<uint32_t>(ns % 1000000000);
  h.frame_id_ = const_cast<char*>("cam");
  return h;
}

Bytes image_cdr(int k, const char* encoding = "bgr8", int step_delta = 0) {
  cv::Mat m = frame(k);
  sensor_msgs_msg_dds__Image_ msg{};
  msg.header_ = header(kT0 + k * kStep);
  msg.height_ = kH;
  msg.width_ = kW;
  msg.encoding_ = const_cast<char*>(encoding);
  msg.step_ = static_cast<uint32_t>(kW * 3 + step_delta);
  msg.data_ = {static_cast<uint32_t>(m.total() * 3), static_cast<uint32_t>(m.total() * 3), m.data,
               false};
  ros2::CdrSerializer s;
  auto out = s.serialize(&msg, &sensor_msgs_msg_dds__Image__desc);
  EXPECT_TRUE(out) << out.error().message();
  return **out;
}

Bytes compressed_cdr(int k) {
  std::vector<uint8_t> png;
  cv::imencode(".png", frame(k), png);
  sensor_msgs_msg_dds__CompressedImage_ msg{};
  msg.header_ = header(kT0 + k * kStep);
  msg.format_ = const_cast<char*>("png");
  msg.data_ = {static_cast<uint32_t>(png.size()), static_cast<uint32_t>(png.size()), png.data(),
               false};
  ros2::CdrSerializer s;
  auto out = s.serialize(&msg, &sensor_msgs_msg_dds__CompressedImage__desc);
  EXPECT_TRUE(out) << out.error().message();
  return **out;
}

// An MCAP bag with /raw (Image), /png (CompressedImage) and /other (String-typed, not a camera).
void write_mcap(const fs::path& path, mcap::Compression c) {
  mcap::Writer w;
  mcap::WriterOptions o;
  o.compression = c;
  o.chunk_bytes = 20000;  // several chunks
  ASSERT_TRUE(w.open(path.string(), o));
  const uint16_t si = w.add_schema("sensor_msgs/msg/Image", "ros2msg", "");
  const uint16_t sc = w.add_schema("sensor_msgs/msg/CompressedImage", "ros2msg", "");
  const uint16_t ss = w.add_schema("std_msgs/msg/String", "ros2msg", "string data\n");
  const uint16_t raw = w.add_channel(si, "/raw", "cdr", {});
  const uint16_t png = w.add_channel(sc, "/png", "cdr", {});
  w.add_channel(ss, "/other", "cdr", {});
  for (int k = 0; k < kFrames; ++k) {
    const uint64_t t = static_cast<uint64_t>(kT0 + k * kStep);
    Bytes a = image_cdr(k), b = compressed_cdr(k);
    ASSERT_TRUE(w.write(raw, t, t, nullptr, 0, a.data(), a.size()));
    ASSERT_TRUE(w.write(png, t, t, nullptr, 0, b.data(), b.size()));
  }
  ASSERT_TRUE(w.close());
}

// rosbag2's sqlite3 storage (Humble's tables), written with SQLite directly.
void write_db3(const fs::path& path, bool with_tables = true) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  if (with_tables) {
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type "
                           "TEXT NOT NULL, serialization_format TEXT NOT NULL, "
                           "offered_qos_profiles TEXT NOT NULL);"
                           "CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT "
                           "NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);"
                           "INSERT INTO topics VALUES(1, '/raw', 'sensor_msgs/msg/Image', 'cdr', "
                           "''), (2, '/png', 'sensor_msgs/msg/CompressedImage', 'cdr', '');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "INSERT INTO messages(topic_id, timestamp, data) VALUES(?,?,?)", -1,
                           &st, nullptr),
        SQLITE_OK);
    // Inserted newest first: the reader orders by timestamp.
    for (int k = kFrames - 1; k >= 0; --k)
      for (int topic : {1, 2}) {
        const Bytes b = topic == 1 ? image_cdr(k) : compressed_cdr(k);
        sqlite3_bind_int(st, 1, topic);
        sqlite3_bind_int64(st, 2, kT0 + k * kStep);
        sqlite3_bind_blob(st, 3, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
      }
    sqlite3_finalize(st);
  } else {
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE something(x);", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  sqlite3_close(db);
}

SourceConfig bag(const fs::path& path, const std::string& topic) {
  SourceConfig c;
  c.camera = "cam";
  c.kind = SourceKind::bag;
  c.path = path.string();
  c.ros2.topic = topic;
  return c;
}

// Reads every frame and checks pixels (exact: raw and PNG are lossless) and stamps.
void expect_frames(const SourceConfig& c) {
  SCOPED_TRACE(c.path + " " + c.ros2.topic);
  std::unique_ptr<Source> s = open_bag_source(c);
  EXPECT_EQ(s->frame_count(), kFrames);
  EXPECT_NEAR(s->fps(), 20.0, 1e-6);  // the recorded rate
  Image img;
  for (int k = 0; k < kFrames; ++k) {
    auto got = s->read(img);
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_TRUE(*got) << "frame " << k << " missing";
    EXPECT_EQ(s->capture_wall_ns(), kT0 + k * kStep);
    ASSERT_EQ(img.width(), kW);
    ASSERT_EQ(img.height(), kH);
    ASSERT_EQ(img.format(), PixelFormat::bgr8);
    const cv::Mat want = frame(k);
    int diff = 0;
    for (int y = 0; y < kH; ++y) diff += std::memcmp(img.row(y), want.ptr(y), kW * 3) != 0;
    EXPECT_EQ(diff, 0) << "frame " << k << " differs in " << diff << " rows";
  }
  auto end = s->read(img);
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

TEST(BagReplay, ImagesAndCompressedImagesFromMcapInEveryCompression) {
  const fs::path d = test_dir("mcap");
  for (auto [c, name] :
       {std::pair{mcap::Compression::none, "none"}, std::pair{mcap::Compression::zstd, "zstd"},
        std::pair{mcap::Compression::lz4, "lz4"}}) {
    const fs::path p = d / (std::string(name) + ".mcap");
    write_mcap(p, c);
    expect_frames(bag(p, "/raw"));
    expect_frames(bag(p, "/png"));
  }
  fs::remove_all(d);
}

TEST(BagReplay, ImagesAndCompressedImagesFromDb3AndARosbag2Folder) {
  const fs::path d = test_dir("db3");
  fs::create_directories(d / "folder");
  write_db3(d / "folder" / "run_0.db3");
  expect_frames(bag(d / "folder" / "run_0.db3", "/raw"));
  expect_frames(bag(d / "folder" / "run_0.db3", "/png"));
  expect_frames(bag(d / "folder", "/raw"));  // a rosbag2 folder
  fs::remove_all(d);
}

// A rosbag2 folder whose split files hold one topic with different types (a recorder switched
// to compressed images): each file is decoded by its own type, frames stay in order.
TEST(BagReplay, SplitFilesOfOneFolderMayHoldDifferentImageTypes) {
  const fs::path d = test_dir("split");
  for (int part = 0; part < 2; ++part) {
    mcap::Writer w;
    ASSERT_TRUE(w.open((d / ("rec_" + std::to_string(part) + ".mcap")).string(), {}));
    const bool raw = part == 0;
    const uint16_t schema = w.add_schema(
        raw ? "sensor_msgs/msg/Image" : "sensor_msgs/msg/CompressedImage", "ros2msg", "");
    const uint16_t ch = w.add_channel(schema, "/cam", "cdr", {});
    for (int k = part * 2; k < part * 2 + 2; ++k) {  // frames 0, 1 raw; 2, 3 PNG
      const uint64_t t = static_cast<uint64_t>(kT0 + k * kStep);
      const Bytes b = raw ? image_cdr(k) : compressed_cdr(k);
      ASSERT_TRUE(w.write(ch, t, t, nullptr, 0, b.data(), b.size()));
    }
    ASSERT_TRUE(w.close());
  }
  expect_frames(bag(d, "/cam"));
  fs::remove_all(d);
}

std::string open_error(const SourceConfig& c) {
  try {
    open_bag_source(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BagReplay, BadBagsAreErrorsThatNameTheFile) {
  const fs::path d = test_dir("bad");
  const fs::path good = d / "good.mcap";
  write_mcap(good, mcap::Compression::zstd);
  std::string bytes;
  {
    std::ifstream f(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  auto spit = [&](const std::string& name, const std::string& b) {
    std::ofstream(d / name, std::ios::binary) << b;
    return d / name;
  };
  // The topic is not there: the error lists what is.
  std::string e = open_error(bag(good, "/camera/image_raw"));
  EXPECT_NE(e.find("has no topic '/camera/image_raw'; it has: /raw (sensor_msgs/msg/Image), /png "
                   "(sensor_msgs/msg/CompressedImage), /other (std_msgs/msg/String)"),
            std::string::npos)
      << e;
  // A topic that is not an image.
  e = open_error(bag(good, "/other"));
  EXPECT_NE(e.find("has type 'std_msgs/msg/String'"), std::string::npos) << e;
  // Not an MCAP file.
  e = open_error(bag(spit("text.mcap", "hello, not a bag at all"), "/raw"));
  EXPECT_NE(e.find("not an MCAP file"), std::string::npos) << e;
  EXPECT_NE(e.find("text.mcap"), std::string::npos) << e;
  // A flipped byte inside a chunk: the bag opens from its summary, and reading that chunk is
  // an error (its CRC, or zstd's own frame check) naming it; reading goes on after it.
  {
    std::string corrupt = bytes;
    corrupt[bytes.size() / 3] = static_cast<char>(corrupt[bytes.size() / 3] ^ 0x5a);
    std::unique_ptr<Source> s = open_bag_source(bag(spit("corrupt.mcap", corrupt), "/raw"));
    Image img;
    int frames = 0;
    std::vector<std::string> errs;
    for (int guard = 0; guard < 100; ++guard) {
      auto got = s->read(img);
      if (!got) {
        errs.push_back(got.error().message());
        continue;
      }
      if (!*got) break;
      ++frames;
    }
    ASSERT_FALSE(errs.empty());
    EXPECT_TRUE(errs[0].find("CRC mismatch") != std::string::npos ||
                errs[0].find("does not decompress") != std::string::npos)
        << errs[0];
    EXPECT_NE(errs[0].find("corrupt.mcap"), std::string::npos) << errs[0];
    EXPECT_LT(frames, kFrames);
  }
  // Cut in the middle (a killed recorder): the whole chunks before the cut replay, said once.
  {
    std::unique_ptr<Source> s =
        open_bag_source(bag(spit("cut.mcap", bytes.substr(0, bytes.size() / 2)), "/raw"));
    EXPECT_GT(s->frame_count(), 0);
    EXPECT_LT(s->frame_count(), kFrames);
    Image img;
    int64_t n = 0;
    while (true) {
      auto got = s->read(img);
      ASSERT_TRUE(got) << got.error().message();
      if (!*got) break;
      ++n;
    }
    EXPECT_EQ(n, s->frame_count());
  }
  // A chunk that declares 2^62 bytes: the end of the data (said), no allocation. (Its summary
  // still counts 4 messages: counts are for rates and progress, reading decides.)
  {
    std::string huge = bytes;
    // Walk the records (opcode, uint64 length) to the first Chunk (opcode 6).
    size_t chunk = 8;
    while (chunk + 9 <= huge.size() && huge[chunk] != '\x06') {
      uint64_t len = 0;
      for (int k = 0; k < 8; ++k)
        len |= static_cast<uint64_t>(static_cast<uint8_t>(huge[chunk + 1 + k])) << (8 * k);
      chunk += 9 + len;
    }
    ASSERT_LT(chunk + 9, huge.size());
    for (int k = 0; k < 8; ++k) huge[chunk + 1 + k] = k == 7 ? '\x40' : '\0';
    std::unique_ptr<Source> s = open_bag_source(bag(spit("huge.mcap", huge), "/raw"));
    Image img;
    auto got = s->read(img);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_FALSE(*got);  // the data ends at the lying chunk
  }
  // db3 without rosbag2's tables, and an empty file.
  write_db3(d / "notables.db3", false);
  e = open_error(bag(d / "notables.db3", "/raw"));
  EXPECT_NE(e.find("not a rosbag2 sqlite3 bag"), std::string::npos) << e;
  EXPECT_NE(e.find("notables.db3"), std::string::npos) << e;
  // A folder without bag files.
  fs::create_directories(d / "empty");
  e = open_error(bag(d / "empty", "/raw"));
  EXPECT_NE(e.find("holds no .mcap or .db3 file"), std::string::npos) << e;
  fs::remove_all(d);
}

TEST(BagReplay, MessagesThatLieAreReadErrorsNamingTheMessage) {
  const fs::path d = test_dir("lies");
  mcap::Writer w;
  ASSERT_TRUE(w.open((d / "lies.mcap").string(), {}));
  const uint16_t si = w.add_schema("sensor_msgs/msg/Image", "ros2msg", "");
  const uint16_t ch = w.add_channel(si, "/raw", "cdr", {});
  const Bytes short_step = image_cdr(0, "bgr8", -3);  // step shorter than a row
  const Bytes unknown = image_cdr(1, "yuv422");
  Bytes cut_bytes = image_cdr(2);
  cut_bytes.resize(cut_bytes.size() / 2);  // the data sequence runs past the message
  const Bytes& cut = cut_bytes;
  Bytes be_bytes = image_cdr(3);
  be_bytes[1] = 0;
  const Bytes& big_endian = be_bytes;
  for (const Bytes* b : {&short_step, &unknown, &cut, &big_endian})
    ASSERT_TRUE(w.write(ch, 1, 1, nullptr, 0, b->data(), b->size()));
  ASSERT_TRUE(w.close());
  std::unique_ptr<Source> s = open_bag_source(bag(d / "lies.mcap", "/raw"));
  Image img;
  std::vector<std::string> errors;
  while (true) {
    auto got = s->read(img);
    if (got && !*got) break;
    errors.push_back(got ? "" : got.error().message());
  }
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("lies.mcap' topic /raw message 0"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("step"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("yuv422"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("runs past the message"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("not little-endian CDR"), std::string::npos) << errors[3];
  fs::remove_all(d);
}

// percept records its camera frames (output.bag images: true), then replays the bag: the same
// frames give the same detections and keep their capture times.
TEST(BagReplay, ARecordedRunReplaysToTheSameResults) {
  const fs::path d = test_dir("roundtrip");
  const std::string models = PERCEPT_MODELS;
  test::write_file((d / "rec.yaml").string(), R"(mode: lossless
cameras:
  - {id: front, source: synthetic, width: 320, height: 240, frames: 12}
models:
  - {id: detector, path: )" + models + R"(/shapes_yolov8.onnx, threads: 1}
output:
  dir: )" + (d / "rec").string() + R"(
  video: false
  bag: {path: )" + (d / "bag" / "rec.mcap").string() +
                                                  R"(, images: true, compression: lz4}
)");
  test::write_file((d / "play.yaml").string(), R"(mode: lossless
cameras:
  - {id: front, source: bag, path: )" + (d / "bag").string() +
                                                   R"(, topic: /percept/front/image_raw}
models:
  - {id: detector, path: )" + models + R"(/shapes_yolov8.onnx, threads: 1}
output: {dir: )" + (d / "play").string() + R"(, video: false}
)");
  fs::create_directories(d / "bag");
  for (const char* run : {"rec", "play"}) {
    const std::string cmd = std::string(PERCEPT_BINARY) + " run " +
                            (d / (std::string(run) + ".yaml")).string() + " > " +
                            (d / (std::string(run) + ".log")).string() + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << run << ": see " << (d / (std::string(run) + ".log"));
  }
  const auto a = test::jsonl_lines((d / "rec" / "detections.jsonl").string(), "detector");
  const auto b = test::jsonl_lines((d / "play" / "detections.jsonl").string(), "detector");
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 12u);
  int boxes = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].at("detections"), b[i].at("detections")) << "frame " << i;
    EXPECT_NEAR(a[i].at("capture_time_s").get<double>(), b[i].at("capture_time_s").get<double>(),
                1e-6);
    boxes += static_cast<int>(a[i].at("detections").size());
  }
  EXPECT_GT(boxes, 12);
  fs::remove_all(d);
}

}  // namespace
}  // namespace percept
