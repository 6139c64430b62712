// Background priority (core/thread_priority.hpp): file and preview sinks run their thread at
// kBackgroundNice so that they yield the CPU to capture and inference; a sink that says it is
// not background (the ROS 2 publisher) keeps the pipeline's priority.
#include "percept/core/thread_priority.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "percept/io/sinks.hpp"

namespace percept {
namespace {

// Records the nice value of the thread that writes.
class NiceProbe final : public Sink {
 public:
  NiceProbe(bool background, std::atomic<int>* seen) : background_(background), seen_(seen) {}
  std::string name() const override { return "probe"; }
  Status write(const Frame&) override {
    seen_->store(thread_nice());
    return {};
  }
  void close() override {}
  std::vector<std::string> outputs() const override { return {}; }
  bool background() const override { return background_; }

 private:
  bool background_;
  std::atomic<int>* seen_;
};

int nice_seen_by(bool background) {
  std::atomic<int> seen{-100};
  FramePool pool(1);
  {
    SinkWorker w(std::make_unique<NiceProbe>(background, &seen), 4, true);
    w.push(pool.acquire());
    w.finish();
  }
  return seen.load();
}

TEST(ThreadPriority, FileSinksRunInTheBackgroundPublishersDoNot) {
  const int base = thread_nice();  // whatever the test was started with (CI may use nice)
  EXPECT_EQ(nice_seen_by(true), std::max(base, kBackgroundNice));
  EXPECT_EQ(nice_seen_by(false), base);
  EXPECT_EQ(thread_nice(), base);  // only the sink's thread changed
}

}  // namespace
}  // namespace percept

namespace percept {
namespace {

// Pipeline threads carry names (cap:<camera>, exec:<model>, sink:<name>, telemetry, control) so
// that top -H, gdb and perf say which is which; Linux keeps 15 bytes.
TEST(ThreadName, NamesTheCallingThreadCutTo15Bytes) {
  std::string comm;
  std::thread([&comm] {
    name_this_thread("exec:a_detector_with_a_long_id");
    std::ifstream("/proc/thread-self/comm") >> comm;
  }).join();
  EXPECT_EQ(comm, "exec:a_detector");
}

}  // namespace
}  // namespace percept
