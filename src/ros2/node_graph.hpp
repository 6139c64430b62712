// percept as a ROS 2 node (docs/ROS2.md, "Node graph"): one DDS participant per domain and
// process, shared by the ros2 sink and every `source: ros2` camera, announced the way
// rmw_cyclonedds announces a node. `ros2 node list` reads ros_discovery_info
// (rmw_dds_common/ParticipantEntitiesInfo: the participant's gid and, per node, the gids of its
// readers and writers); this publishes the full state again whenever an endpoint comes or goes.
// Every endpoint carries the REP 2011 type hash in USER_DATA (msg_definitions.hpp). Private to
// src/ros2.
#pragma once

#include <dds/dds.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dds_context.hpp"
#include "percept/io/ros2_options.hpp"

namespace percept::ros2 {

class Node {
 public:
  // The node for `c`: created with its participant on first use; users with the same domain,
  // node name and distro share it while any holds it. Throws percept::Error.
  static std::shared_ptr<Node> get(const Ros2Config& c);

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  dds_entity_t participant() const { return participant_.get(); }
  const std::string& name() const { return name_; }
  Ros2Distro distro() const { return distro_; }
  // ros_discovery_info samples written so far (tests).
  uint64_t announcements() const;

  // Lists a reader or writer of this participant under the node, and publishes the new state.
  void add(dds_entity_t endpoint, bool is_writer);
  void remove(dds_entity_t endpoint);

 private:
  explicit Node(const Ros2Config& c);
  void announce();  // with mu_ held

  std::string name_;
  Ros2Distro distro_;
  Entity participant_, info_topic_, info_writer_;
  dds_guid_t gid_{};
  mutable std::mutex mu_;
  struct Listed {
    dds_entity_t entity;
    dds_guid_t gid;
    bool is_writer;
  };
  std::vector<Listed> endpoints_;
  uint64_t announcements_ = 0;
};

// A topic with one reader or writer on it, listed under the node while it lives. The endpoint's
// QoS gets USER_DATA "typehash=RIHS01_...;" for the descriptor's type.
class Endpoint {
 public:
  Endpoint() = default;
  static Endpoint writer(std::shared_ptr<Node> node, const dds_topic_descriptor_t* desc,
                         const std::string& dds_topic, const dds_qos_t* qos);
  static Endpoint reader(std::shared_ptr<Node> node, const dds_topic_descriptor_t* desc,
                         const std::string& dds_topic, const dds_qos_t* qos);
  Endpoint(Endpoint&&) noexcept = default;
  Endpoint& operator=(Endpoint&& o) noexcept;
  ~Endpoint() { reset(); }

  dds_entity_t get() const { return entity_.get(); }
  void reset();

 private:
  static Endpoint make(std::shared_ptr<Node> node, const dds_topic_descriptor_t* desc,
                       const std::string& dds_topic, const dds_qos_t* qos, bool is_writer);
  std::shared_ptr<Node> node_;
  Entity topic_, entity_;
};

}  // namespace percept::ros2
