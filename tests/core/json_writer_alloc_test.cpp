// JsonWriter allocates nothing once its buffer has grown to a line's size (P10: the results
// JSONL writes one line per frame and model). In a binary of its own (core_alloc_tests):
// support/alloc_counter.hpp replaces operator new for the whole binary.
#include <gtest/gtest.h>

#include "percept/core/json_writer.hpp"
#include "support/alloc_counter.hpp"

namespace percept {
namespace {

TEST(JsonWriter, NoAllocationOnceTheBufferHasGrown) {
  JsonWriter w;
  auto line = [&](int i) {
    w.clear();
    w.begin_object().field("camera", "front").field("frame", i).field("score", 0.8125);
    w.key("box").begin_array().value(1.5).value(2.25).value(300.0).value(400.0).end_array();
    w.end_object();
  };
  line(0);
  percept::test::CountAllocations counter;
  for (int i = 1; i < 1000; ++i) line(i);
  EXPECT_EQ(counter.count(), 0);
}

}  // namespace
}  // namespace percept
