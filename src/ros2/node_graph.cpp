#include "node_graph.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "msg_definitions.hpp"
#include "percept/core/error.hpp"
#include "ros2_msgs.h"

namespace percept::ros2 {

namespace {

// Humble's layout goes out under the ROS 2 type name; no XTypes type information, like
// rmw_cyclonedds (matching falls back to the type name, which both layouts share).
const dds_topic_descriptor_t& humble_info_desc() {
  static const dds_topic_descriptor_t& h =
      percept_humble_rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc;
  static const dds_topic_descriptor_t d = {
      h.m_size,
      h.m_align,
      h.m_flagset & ~DDS_TOPIC_XTYPES_METADATA,
      h.m_nkeys,
      rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc.m_typename,
      h.m_keys,
      h.m_nops,
      h.m_ops,
      h.m_meta,
      {nullptr, 0},
      {nullptr, 0},
      h.restrict_data_representation};
  return d;
}

dds_guid_t guid_of(dds_entity_t e) {
  dds_guid_t g{};
  check(dds_get_guid(e, &g), "dds_get_guid");
  return g;
}

// Fills and writes one ParticipantEntitiesInfo of either layout (Info: the generated struct).
template <typename Info, typename NodeInfo, typename Gid>
dds_return_t write_info(dds_entity_t writer, const dds_guid_t& participant,
                        const std::string& node_name, const std::vector<dds_guid_t>& readers,
                        const std::vector<dds_guid_t>& writers) {
  // The gid is the GUID, zero-padded to the layout's size (Humble compares all 24 bytes).
  auto to_gid = [](const dds_guid_t& g) {
    Gid out{};
    std::memcpy(out.data_, g.v, sizeof g.v);
    return out;
  };
  std::vector<Gid> rg, wg;
  for (const dds_guid_t& g : readers) rg.push_back(to_gid(g));
  for (const dds_guid_t& g : writers) wg.push_back(to_gid(g));
  NodeInfo node{};
  std::snprintf(node.node_namespace_, sizeof node.node_namespace_, "%s", "/");
  std::snprintf(node.node_name_, sizeof node.node_name_, "%s", node_name.c_str());
  node.reader_gid_seq_ = {static_cast<uint32_t>(rg.size()), static_cast<uint32_t>(rg.size()),
                          rg.data(), false};
  node.writer_gid_seq_ = {static_cast<uint32_t>(wg.size()), static_cast<uint32_t>(wg.size()),
                          wg.data(), false};
  Info info{};
  info.gid_ = to_gid(participant);
  info.node_entities_info_seq_ = {1, 1, &node, false};
  return dds_write(writer, &info);
}

struct Key {
  int domain;
  std::string name;
  Ros2Distro distro;
  bool operator<(const Key& o) const {
    return std::tie(domain, name, distro) < std::tie(o.domain, o.name, o.distro);
  }
};

std::mutex registry_mu;
std::map<Key, std::weak_ptr<Node>>& registry() {
  static std::map<Key, std::weak_ptr<Node>> r;
  return r;
}

}  // namespace

std::shared_ptr<Node> Node::get(const Ros2Config& c) {
  std::lock_guard lock(registry_mu);
  const Key key{c.domain_id, c.node_name, c.distro};
  if (auto n = registry()[key].lock()) return n;
  std::shared_ptr<Node> n(new Node(c));
  registry()[key] = n;
  return n;
}

Node::Node(const Ros2Config& c) : name_(c.node_name), distro_(c.distro) {
  // rcl's default enclave: what a node launched without security settings sends.
  dds_qos_t* pq = dds_create_qos();
  static const char kEnclave[] = "enclave=/;";
  dds_qset_userdata(pq, kEnclave, sizeof kEnclave - 1);
  participant_ = create_participant(c, pq);
  dds_delete_qos(pq);
  gid_ = guid_of(participant_.get());

  const dds_topic_descriptor_t* desc = distro_ == Ros2Distro::humble
                                           ? &humble_info_desc()
                                           : &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc;
  info_topic_ = Entity(
      check(dds_create_topic(participant_.get(), desc, "ros_discovery_info", nullptr, nullptr),
            "ros2: cannot create topic 'ros_discovery_info'"));
  // rmw_cyclonedds' QoS for it: late joiners get the latest state.
  dds_qos_t* q = dds_create_qos();
  dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
  dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
  dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
  dds_qset_writer_data_lifecycle(q, false);
  const dds_data_representation_id_t xcdr1 = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation(q, 1, &xcdr1);
  const std::string ud = typehash_user_data("rmw_dds_common/msg/ParticipantEntitiesInfo", distro_);
  dds_qset_userdata(q, ud.data(), ud.size());
  info_writer_ = Entity(check(dds_create_writer(participant_.get(), info_topic_.get(), q, nullptr),
                              "ros2: cannot create the ros_discovery_info writer"));
  dds_delete_qos(q);
  std::lock_guard lock(mu_);
  announce();
  spdlog::info("ros2: node /{} on domain {} ({} graph layout)", name_, c.domain_id,
               ros2_distro_name(distro_));
}

Node::~Node() = default;  // the participant takes its topics, readers and writers with it

uint64_t Node::announcements() const {
  std::lock_guard lock(mu_);
  return announcements_;
}

void Node::add(dds_entity_t endpoint, bool is_writer) {
  std::lock_guard lock(mu_);
  endpoints_.push_back({endpoint, guid_of(endpoint), is_writer});
  announce();
}

void Node::remove(dds_entity_t endpoint) {
  std::lock_guard lock(mu_);
  const auto it = std::find_if(endpoints_.begin(), endpoints_.end(),
                               [&](const Listed& l) { return l.entity == endpoint; });
  if (it == endpoints_.end()) return;
  endpoints_.erase(it);
  announce();
}

void Node::announce() {
  std::vector<dds_guid_t> readers, writers;
  for (const Listed& l : endpoints_) (l.is_writer ? writers : readers).push_back(l.gid);
  const dds_return_t rc =
      distro_ == Ros2Distro::humble
          ? write_info<percept_humble_rmw_dds_common_msg_dds__ParticipantEntitiesInfo_,
                       percept_humble_rmw_dds_common_msg_dds__NodeEntitiesInfo_,
                       percept_humble_rmw_dds_common_msg_dds__Gid_>(info_writer_.get(), gid_, name_,
                                                                    readers, writers)
          : write_info<rmw_dds_common_msg_dds__ParticipantEntitiesInfo_,
                       rmw_dds_common_msg_dds__NodeEntitiesInfo_, rmw_dds_common_msg_dds__Gid_>(
                info_writer_.get(), gid_, name_, readers, writers);
  // A failed announcement leaves the graph stale, not the data flow broken: warn and go on.
  if (rc < 0)
    spdlog::warn("ros2: cannot publish ros_discovery_info: {}", dds_strretcode(rc));
  else
    ++announcements_;
}

Endpoint Endpoint::writer(std::shared_ptr<Node> node, const dds_topic_descriptor_t* desc,
                          const std::string& dds_topic, const dds_qos_t* qos) {
  return make(std::move(node), desc, dds_topic, qos, true);
}

Endpoint Endpoint::reader(std::shared_ptr<Node> node, const dds_topic_descriptor_t* desc,
                          const std::string& dds_topic, const dds_qos_t* qos) {
  return make(std::move(node), desc, dds_topic, qos, false);
}

Endpoint Endpoint::make(std::shared_ptr<Node> node, const dds_topic_descriptor_t* desc,
                        const std::string& dds_topic, const dds_qos_t* qos, bool is_writer) {
  Endpoint e;
  e.topic_ =
      Entity(check(dds_create_topic(node->participant(), desc, dds_topic.c_str(), nullptr, nullptr),
                   "ros2: cannot create topic '" + dds_topic + "'"));
  dds_qos_t* q = dds_create_qos();
  if (qos) dds_copy_qos(q, qos);
  const std::string ud = typehash_user_data(ros_type_name(desc->m_typename), node->distro());
  dds_qset_userdata(q, ud.data(), ud.size());
  const dds_entity_t ent = is_writer
                               ? dds_create_writer(node->participant(), e.topic_.get(), q, nullptr)
                               : dds_create_reader(node->participant(), e.topic_.get(), q, nullptr);
  dds_delete_qos(q);
  e.entity_ = Entity(check(ent, std::string("ros2: cannot create a ") +
                                    (is_writer ? "writer" : "reader") + " on '" + dds_topic + "'"));
  node->add(e.entity_.get(), is_writer);
  e.node_ = std::move(node);
  return e;
}

Endpoint& Endpoint::operator=(Endpoint&& o) noexcept {
  if (this != &o) {
    reset();
    node_ = std::move(o.node_);
    topic_ = std::move(o.topic_);
    entity_ = std::move(o.entity_);
  }
  return *this;
}

void Endpoint::reset() {
  if (node_ && entity_.get() > 0) node_->remove(entity_.get());
  entity_ = Entity();
  topic_ = Entity();
  node_.reset();
}

}  // namespace percept::ros2
