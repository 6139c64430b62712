// A sample of an idlc-generated type as the bytes a ROS 2 node puts on the wire and rosbag2
// stores: the 4-byte encapsulation header (CDR_LE, 00 01 00 <padding>) then the XCDR1 body,
// padded to a multiple of 4 as Cyclone DDS sends it. Serialised by Cyclone's own CDR stream
// writer from the type's descriptor ops: no participant, no network. Private to src/ros2; one
// thread per serialiser.
#pragma once

#include <dds/dds.h>

#include <cstdint>
#include <vector>

#include "percept/core/error.hpp"

namespace percept::ros2 {

class CdrSerializer {
 public:
  CdrSerializer();
  ~CdrSerializer();
  CdrSerializer(const CdrSerializer&) = delete;
  CdrSerializer& operator=(const CdrSerializer&) = delete;

  // The serialised sample, valid until the next call. Error: the sample does not fit its type
  // (a null string, a sequence over its bound).
  Result<const std::vector<uint8_t>*> serialize(const void* sample,
                                                const dds_topic_descriptor_t* type);

 private:
  void* stream_;  // dds_ostreamLE_t, kept across calls so its buffer is reused
  std::vector<uint8_t> out_;
};

}  // namespace percept::ros2
