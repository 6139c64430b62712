// Cyclone DDS plumbing shared by the ros2 sink and source: the domain (created once per
// process, with the localhost-only and socket-buffer settings), participants, ROS 2 QoS and
// RAII for DDS entities. Private to src/ros2.
#pragma once

#include <dds/dds.h>

#include <string>

#include "percept/io/ros2_options.hpp"

namespace percept::ros2 {

// What $CYCLONEDDS_URI (comma-separated XML fragments, file:// URIs or paths) already selects,
// so percept's own settings do not repeat it: Cyclone refuses the same interface twice.
struct UserDdsConfig {
  std::string uri;                  // $CYCLONEDDS_URI, "" when unset
  bool selects_interfaces = false;  // <Interfaces> / <NetworkInterfaceAddress>
  bool sets_peers = false;          // <Peers>
  std::string unreadable;           // a file:// or path it names that cannot be read
};
UserDdsConfig read_user_dds_config(const char* uri);

// The Cyclone DDS configuration XML for `c`: $CYCLONEDDS_URI first when set, then percept's
// settings less what the user's configuration already selects.
std::string domain_config_xml(const Ros2Config& c);

// An owned DDS entity; deleting a participant deletes everything it created.
class Entity {
 public:
  Entity() = default;
  explicit Entity(dds_entity_t e) : e_(e) {}
  Entity(Entity&& o) noexcept : e_(o.e_) { o.e_ = 0; }
  Entity& operator=(Entity&& o) noexcept {
    std::swap(e_, o.e_);
    return *this;
  }
  ~Entity() {
    if (e_ > 0) dds_delete(e_);
  }
  dds_entity_t get() const { return e_; }

 private:
  dds_entity_t e_ = 0;
};

// A participant on the config's domain with QoS `qos` (may be null). The domain is created on
// first use with domain_config_xml(c); later participants on the same domain id share it
// (Cyclone allows one configuration per domain per process). Throws percept::Error saying what
// was tried and what to change.
Entity create_participant(const Ros2Config& c, const dds_qos_t* qos = nullptr);

// Writer / reader QoS for a preset (ROS 2's profiles), XCDR1 data representation; deadline and
// lifespan (writers) when over 0.
dds_qos_t* create_qos(Ros2Qos preset, int depth, double deadline_ms, double max_blocking_ms,
                      double lifespan_ms = 0);

// Throws percept::Error "what: <dds error>" when rc < 0.
dds_entity_t check(dds_entity_t rc, const std::string& what);

}  // namespace percept::ros2
