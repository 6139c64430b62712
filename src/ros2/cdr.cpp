#include "cdr.hpp"

#include <dds/ddsi/ddsi_cdrstream.h>

#include <cstring>
#include <string>

namespace percept::ros2 {

namespace {
constexpr uint32_t kXcdr1 = 1;  // CDR_ENC_VERSION_1 (dds/ddsi/q_protocol.h)
}

CdrSerializer::CdrSerializer() : stream_(new dds_ostreamLE_t) {
  dds_ostreamLE_init(static_cast<dds_ostreamLE_t*>(stream_), 0, kXcdr1);
}

CdrSerializer::~CdrSerializer() {
  auto* os = static_cast<dds_ostreamLE_t*>(stream_);
  dds_ostreamLE_fini(os);
  delete os;
}

Result<const std::vector<uint8_t>*> CdrSerializer::serialize(const void* sample,
                                                             const dds_topic_descriptor_t* type) {
  auto* os = static_cast<dds_ostreamLE_t*>(stream_);
  os->x.m_index = 0;  // alignment counts from the body's start, after the encapsulation header
  if (dds_stream_writeLE(os, static_cast<const char*>(sample), type->m_ops) == nullptr)
    return Error(ErrorCode::invalid_argument,
                 std::string("bag: a ") + type->m_typename + " sample does not serialise");
  const uint32_t body = os->x.m_index;
  const uint32_t pad = (4 - body % 4) % 4;
  out_.resize(4 + body + pad);
  out_[0] = 0x00;  // CDR_LE
  out_[1] = 0x01;
  out_[2] = 0x00;
  out_[3] = static_cast<uint8_t>(pad);  // options: the padding appended (DDSI-RTPS 10.4)
  std::memcpy(out_.data() + 4, os->x.m_buffer, body);
  std::memset(out_.data() + 4 + body, 0, pad);
  return &out_;
}

}  // namespace percept::ros2
