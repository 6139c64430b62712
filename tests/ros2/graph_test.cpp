// percept on the ROS 2 graph, checked from outside: an independent Cyclone DDS participant
// (plain C API) reads ros_discovery_info as raw CDR and decodes it by hand in both gid layouts
// (Humble 24 bytes, Jazzy 16), and reads DDS's built-in discovery topics for the endpoints'
// GUIDs and USER_DATA. This is the information `ros2 node list` and `ros2 topic info -v` use
// (../docs/ROS2.md, "Node graph").
#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dds_test_util.hpp"
#include "msg_definitions.hpp"
#include "ros2_msgs.h"

namespace {

namespace fs = std::filesystem;
using Gid = std::vector<uint8_t>;

struct NodeInfo {
  std::string ns, name;
  std::vector<Gid> readers, writers;
};
struct ParticipantInfo {
  Gid gid;
  std::vector<NodeInfo> nodes;
};

// XCDR1 little endian, as rmw_dds_common's messages are on the wire: after the 4-byte
// encapsulation header, uint32s aligned to 4 from the start of the payload; a gid is a fixed
// octet array (no length); strings are uint32 length (with the NUL) then the bytes.
class Cdr {
 public:
  explicit Cdr(std::vector<uint8_t> b) : b_(std::move(b)) {}
  bool ok() const { return ok_; }
  uint32_t u32() {
    pos_ = 4 + ((pos_ - 4 + 3) & ~size_t{3});
    if (!need(4)) return 0;
    uint32_t v;
    std::memcpy(&v, &b_[pos_], 4);
    pos_ += 4;
    return v;
  }
  Gid octets(size_t n) {
    if (!need(n)) return {};
    Gid g(b_.begin() + static_cast<long>(pos_), b_.begin() + static_cast<long>(pos_ + n));
    pos_ += n;
    return g;
  }
  std::string str() {
    const uint32_t n = u32();
    if (n == 0 || !need(n)) return ok_ = false, "";
    std::string s(reinterpret_cast<const char*>(&b_[pos_]), n - 1);
    pos_ += n;
    return s;
  }
  bool at_end() const { return pos_ <= b_.size() && b_.size() - pos_ < 4; }  // padding only

 private:
  bool need(size_t n) {
    if (pos_ + n > b_.size()) ok_ = false;
    return ok_;
  }
  std::vector<uint8_t> b_;
  size_t pos_ = 4;
  bool ok_ = true;
};

std::optional<ParticipantInfo> decode(std::vector<uint8_t> wire, size_t gid_size) {
  if (wire.size() < 4 || wire[0] != 0 || wire[1] != 1) return std::nullopt;  // CDR_LE
  Cdr c(std::move(wire));
  ParticipantInfo p;
  p.gid = c.octets(gid_size);
  const uint32_t nodes = c.u32();
  for (uint32_t i = 0; i < nodes && c.ok() && i < 1000; ++i) {
    NodeInfo n;
    n.ns = c.str();
    n.name = c.str();
    for (auto* seq : {&n.readers, &n.writers}) {
      const uint32_t k = c.u32();
      for (uint32_t j = 0; j < k && c.ok() && j < 100000; ++j) seq->push_back(c.octets(gid_size));
    }
    p.nodes.push_back(std::move(n));
  }
  if (!c.ok() || !c.at_end()) return std::nullopt;  // the other layout does not parse cleanly
  return p;
}

Gid to_gid(const dds_guid_t& g, size_t size) {
  Gid out(size, 0);
  std::memcpy(out.data(), g.v, 16);
  return out;
}

std::string userdata(const dds_qos_t* q) {
  void* v = nullptr;
  size_t n = 0;
  if (!dds_qget_userdata(q, &v, &n) || !v) return "";
  std::string s(static_cast<const char*>(v), n);
  dds_free(v);
  return s;
}

struct Endpoint {
  dds_guid_t key, participant;
  std::string topic, type, user_data;
};

// Every endpoint DDS discovery reports on a built-in topic (publications or subscriptions).
void take_endpoints(dds_entity_t reader, std::vector<Endpoint>& out) {
  void* samples[32] = {nullptr};
  dds_sample_info_t infos[32];
  const int n = dds_take(reader, samples, infos, 32, 32);
  for (int i = 0; i < n; ++i) {
    if (!infos[i].valid_data) continue;
    const auto* e = static_cast<const dds_builtintopic_endpoint_t*>(samples[i]);
    dds_guid_t k, p;
    std::memcpy(k.v, e->key.v, 16);
    std::memcpy(p.v, e->participant_key.v, 16);
    out.push_back({k, p, e->topic_name, e->type_name, userdata(e->qos)});
  }
  if (n > 0) dds_return_loan(reader, samples, n);
}

class Ros2Graph : public ::testing::TestWithParam<std::string> {};

TEST_P(Ros2Graph, NodeListsItsEndpointsWithTypeHashes) {
  const std::string distro = GetParam();
  const percept::Ros2Distro layout =
      distro == "humble" ? percept::Ros2Distro::humble : percept::Ros2Distro::jazzy;
  const size_t gid_size = distro == "humble" ? 24 : 16;
  const int domain = percept::test::random_domain();
  const std::string tag = "graph_" + distro + "_" + std::to_string(getpid());
  const fs::path dir = fs::path(PERCEPT_BUILD_DIR) / "testdata" / tag;
  fs::create_directories(dir);
  // A synthetic camera (its detections: a writer) and a ros2 camera (a reader) that ends the
  // run after 6 s without images.
  percept::test::write_file((dir / "config.yaml").string(), R"(mode: live
cameras:
  - {id: front, source: synthetic, width: 160, height: 120, fps: 10, frames: 60}
  - {id: side, source: ros2, topic: /)" + tag + R"(/image, timeout_s: 6}
models:
  - {id: detector, path: )" + std::string(PERCEPT_MODELS) + R"(/shapes_yolov8.onnx, threads: 1}
output: {dir: )" + (dir / "out").string() + R"(, video: false}
ros2:
  enabled: true
  domain_id: )" + std::to_string(domain) + R"(
  localhost_only: true
  diagnostics_hz: 0
  namespace: )" + tag + R"(
  node_name: )" + tag + R"(
  distro: )" + distro + "\n");

  const dds_entity_t pp = percept::test::loopback_participant(domain);
  ASSERT_GT(pp, 0) << dds_strretcode(pp);
  // A reader of ros_discovery_info without XTypes type information (like rmw_cyclonedds):
  // matched by type name, bytes taken raw.
  const dds_topic_descriptor_t& j = rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc;
  const dds_topic_descriptor_t plain = {
      j.m_size,     j.m_align,    j.m_flagset & ~DDS_TOPIC_XTYPES_METADATA,
      j.m_nkeys,    j.m_typename, j.m_keys,
      j.m_nops,     j.m_ops,      j.m_meta,
      {nullptr, 0}, {nullptr, 0}, j.restrict_data_representation};
  const dds_entity_t info_topic =
      dds_create_topic(pp, &plain, "ros_discovery_info", nullptr, nullptr);
  ASSERT_GT(info_topic, 0) << dds_strretcode(info_topic);
  dds_qos_t* q = percept::test::reliable_keep_all();
  dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
  const dds_entity_t info_reader = dds_create_reader(pp, info_topic, q, nullptr);
  dds_delete_qos(q);
  ASSERT_GT(info_reader, 0);
  const dds_entity_t pubs =
      dds_create_reader(pp, DDS_BUILTIN_TOPIC_DCPSPUBLICATION, nullptr, nullptr);
  const dds_entity_t subs =
      dds_create_reader(pp, DDS_BUILTIN_TOPIC_DCPSSUBSCRIPTION, nullptr, nullptr);
  const dds_entity_t parts =
      dds_create_reader(pp, DDS_BUILTIN_TOPIC_DCPSPARTICIPANT, nullptr, nullptr);
  ASSERT_GT(pubs, 0);
  ASSERT_GT(subs, 0);
  ASSERT_GT(parts, 0);

  int rc = -1;
  std::thread run([&] {
    const std::string cmd = std::string(PERCEPT_BINARY) + " run " + (dir / "config.yaml").string() +
                            " > " + (dir / "run.log").string() + " 2>&1";
    rc = std::system(cmd.c_str());
  });

  const std::string det_topic = "rt/" + tag + "/front/detector/detections";
  const std::string img_topic = "rt/" + tag + "/image";
  std::vector<Endpoint> writers, readers;
  std::optional<ParticipantInfo> latest;
  int samples = 0;
  bool found = false;
  std::string participant_user_data;
  for (int i = 0; i < 1000 && !found; ++i) {  // at most 10 s
    take_endpoints(pubs, writers);
    take_endpoints(subs, readers);
    ddsi_serdata* sd[8];
    dds_sample_info_t si[8];
    const int n = dds_takecdr(info_reader, sd, 8, si, DDS_ANY_STATE);
    for (int k = 0; k < n; ++k) {
      if (si[k].valid_data) {
        std::vector<uint8_t> wire(ddsi_serdata_size(sd[k]));
        ddsi_serdata_to_ser(sd[k], 0, wire.size(), wire.data());
        auto p = decode(std::move(wire), gid_size);
        if (p && !p->nodes.empty() && p->nodes[0].name == tag) {
          latest = std::move(p);
          ++samples;
        }
      }
      ddsi_serdata_unref(sd[k]);
    }
    const Endpoint *det = nullptr, *img = nullptr;
    for (const Endpoint& e : writers)
      if (e.topic == det_topic) det = &e;
    for (const Endpoint& e : readers)
      if (e.topic == img_topic) img = &e;
    if (latest && det && img) {
      const NodeInfo& node = latest->nodes[0];
      auto listed = [](const std::vector<Gid>& v, const Gid& g) {
        return std::find(v.begin(), v.end(), g) != v.end();
      };
      found = listed(node.writers, to_gid(det->key, gid_size)) &&
              listed(node.readers, to_gid(img->key, gid_size));
      if (found) {
        // The gid is the participant's GUID: how ROS 2 ties the node to its endpoints.
        EXPECT_EQ(latest->gid, to_gid(det->participant, gid_size));
        EXPECT_EQ(latest->gid, to_gid(img->participant, gid_size));
        EXPECT_EQ(node.ns, "/");
        EXPECT_EQ(det->type, "vision_msgs::msg::dds_::Detection2DArray_");
        EXPECT_EQ(det->user_data,
                  "typehash=" + percept::ros2::type_hash("vision_msgs/msg/Detection2DArray") + ";");
        EXPECT_EQ(det->user_data.size(), 81u);
        EXPECT_EQ(img->user_data,
                  "typehash=" + percept::ros2::type_hash("sensor_msgs/msg/Image") + ";");
        // Every endpoint of percept's participant carries a type hash, the graph's own too.
        for (const auto* list : {&writers, &readers})
          for (const Endpoint& e : *list)
            if (to_gid(e.participant, gid_size) == latest->gid) {
              EXPECT_EQ(e.user_data.rfind("typehash=RIHS01_", 0), 0u) << e.topic;
              if (e.topic == "ros_discovery_info") {
                EXPECT_EQ(e.user_data, percept::ros2::typehash_user_data(
                                           "rmw_dds_common/msg/ParticipantEntitiesInfo", layout));
              }
            }
        if (gid_size == 24) {
          for (size_t b = 16; b < 24; ++b) EXPECT_EQ(latest->gid[b], 0) << "Humble pads with 0";
        }
      }
    }
    if (!found) dds_sleepfor(DDS_MSECS(10));
  }
  // The participant's USER_DATA: rcl's default enclave.
  {
    void* s[16] = {nullptr};
    dds_sample_info_t si[16];
    const int n = dds_read(parts, s, si, 16, 16);
    for (int i = 0; i < n; ++i)
      if (si[i].valid_data) {
        const auto* p = static_cast<const dds_builtintopic_participant_t*>(s[i]);
        if (latest &&
            to_gid(*reinterpret_cast<const dds_guid_t*>(p->key.v), gid_size) == latest->gid)
          participant_user_data = userdata(p->qos);
      }
    if (n > 0) dds_return_loan(parts, s, n);
  }
  run.join();
  dds_delete(pp);
  ASSERT_TRUE(found) << "no ros_discovery_info listing percept's endpoints (" << samples
                     << " samples of node " << tag << "); log: " << (dir / "run.log");
  EXPECT_EQ(participant_user_data, "enclave=/;");
  EXPECT_EQ(rc, 0) << "see " << (dir / "run.log");
  // The state was published again as endpoints appeared: at least the first (empty) one and
  // the one that lists both.
  EXPECT_GE(samples, 2);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Layouts, Ros2Graph, ::testing::Values("humble", "jazzy"));

}  // namespace
