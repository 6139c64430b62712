// DDS image decoding on arbitrary bytes as they arrive from the network: a serialised
// sensor_msgs/Image (4-byte CDR encapsulation header, then the body) goes through Cyclone DDS's
// own validation and deserialisation, the path of every received sample
// (ddsi_serdata_from_ser_iov normalises and bounds-checks, ddsi_serdata_to_sample builds the C
// struct), then through percept's image_from_message. Cyclone refusing the bytes and percept
// returning an error are both fine; an image percept accepts must be exactly the message's
// pixels.
#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>
#include <dds/ddsi/ddsi_sertype.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "image_message.hpp"

namespace {

// The sertype Cyclone builds for the Image topic. It is not reachable from a topic handle in
// Cyclone 0.10's API, so one sample goes through a local writer and reader and the reader's
// serialised sample names it. The participant lives as long as the process.
const ddsi_sertype* image_sertype() {
  static const ddsi_sertype* type = [] {
    const dds_domainid_t domain = 232;  // private to this process: loopback, no discovery peers
    dds_create_domain(domain,
                      "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface "
                      "address=\"127.0.0.1\"/></Interfaces><AllowMulticast>false</"
                      "AllowMulticast></General></Domain></CycloneDDS>");
    const dds_entity_t pp = dds_create_participant(domain, nullptr, nullptr);
    const dds_entity_t topic =
        dds_create_topic(pp, &sensor_msgs_msg_dds__Image__desc, "rt/fuzz", nullptr, nullptr);
    dds_qos_t* qos = dds_create_qos();
    dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
    const dds_entity_t reader = dds_create_reader(pp, topic, qos, nullptr);
    const dds_entity_t writer = dds_create_writer(pp, topic, qos, nullptr);
    dds_delete_qos(qos);
    uint8_t pixel[3] = {1, 2, 3};
    sensor_msgs_msg_dds__Image_ msg{};
    msg.header_.frame_id_ = const_cast<char*>("cam");
    msg.encoding_ = const_cast<char*>("rgb8");
    msg.width_ = msg.height_ = 1;
    msg.step_ = 3;
    msg.data_ = {3, 3, pixel, false};
    if (pp <= 0 || reader <= 0 || writer <= 0 || dds_write(writer, &msg) != DDS_RETCODE_OK)
      __builtin_trap();  // set-up failed: nothing below would mean anything
    ddsi_serdata* sd = nullptr;
    dds_sample_info_t info;
    for (int tries = 0; tries < 500; ++tries) {
      if (dds_takecdr(reader, &sd, 1, &info, DDS_ANY_STATE) == 1) break;
      dds_sleepfor(DDS_MSECS(2));
    }
    if (!sd) __builtin_trap();
    const ddsi_sertype* t = ddsi_sertype_ref(sd->type);
    ddsi_serdata_unref(sd);
    return t;
  }();
  return type;
}

// The replay ctest (fuzz_regressions_dds_image) checks what became of each seed; the fuzzer
// itself stays quiet.
void report([[maybe_unused]] const std::string& what) {
#ifdef PERCEPT_FUZZ_REPLAY
  std::printf("%s\n", what.c_str());
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ddsi_sertype* type = image_sertype();
  ddsrt_iovec_t iov;
  iov.iov_base = const_cast<uint8_t*>(data);  // copied by Cyclone, never written
  iov.iov_len = static_cast<ddsrt_iov_len_t>(size);
  ddsi_serdata* sd = ddsi_serdata_from_ser_iov(type, SDK_DATA, 1, &iov, size);
  if (!sd) {  // Cyclone refused the bytes: what happens to a malformed packet
    report("refused by Cyclone DDS");
    return 0;
  }
  sensor_msgs_msg_dds__Image_ msg{};
  const bool ok = ddsi_serdata_to_sample(sd, &msg, nullptr, nullptr);
  ddsi_serdata_unref(sd);
  if (ok) {
    percept::Image img;
    const percept::Status st = percept::ros2::image_from_message(msg, "/fuzz", img);
    report(st ? "accepted " + std::to_string(img.width()) + "x" + std::to_string(img.height()) +
                    " " + msg.encoding_
              : "rejected: " + st.error().message());
    if (st) {
      // Accepted: the frame is the message's size and its first and last rows are its bytes.
      if (img.width() != static_cast<int>(msg.width_) ||
          img.height() != static_cast<int>(msg.height_))
        __builtin_trap();
      const size_t ch = static_cast<size_t>(percept::channels_of(img.format()));
      const size_t wire = msg.encoding_[3] == 'a' ? 4 : ch;  // rgba8, bgra8
      for (uint32_t y : {0u, msg.height_ - 1}) {
        const uint8_t* src = msg.data_._buffer + size_t{y} * msg.step_;
        const uint8_t* dst = img.row(static_cast<int>(y));
        for (size_t x = 0; x < msg.width_; ++x)
          if (std::memcmp(dst + x * ch, src + x * wire, ch) != 0) __builtin_trap();
      }
    }
  }
  ddsi_sertype_free_sample(type, &msg, DDS_FREE_CONTENTS);
  return 0;
}
