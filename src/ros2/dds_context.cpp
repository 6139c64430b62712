#include "dds_context.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>
#include <set>

#include "percept/core/error.hpp"

namespace percept::ros2 {

std::string domain_config_xml(const Ros2Config& c) {
  const std::string buf = std::to_string(c.socket_buffer_bytes) + "B";
  std::string xml = "<CycloneDDS><Domain id=\"any\"><General>";
  // Loopback only. Discovery both ways ROS 2 peers may use: SPDP multicast on lo (what
  // rmw_cyclonedds does for ROS_LOCALHOST_ONLY=1) and unicast to the well-known participant
  // ports of 127.0.0.1 (works where lo has no multicast route, e.g. in containers).
  if (c.localhost_only)
    xml +=
        "<Interfaces><NetworkInterface address=\"127.0.0.1\" multicast=\"true\"/></Interfaces>"
        "<AllowMulticast>spdp</AllowMulticast>";
  xml += "</General>";
  if (c.localhost_only)
    xml +=
        "<Discovery><ParticipantIndex>auto</ParticipantIndex>"
        "<MaxAutoParticipantIndex>50</MaxAutoParticipantIndex>"
        "<Peers><Peer address=\"127.0.0.1\"/></Peers></Discovery>";
  xml += "<Internal><SocketReceiveBufferSize min=\"default\" max=\"" + buf +
         "\"/><SocketSendBufferSize min=\"default\" max=\"" + buf + "\"/></Internal>";
  xml += "</Domain></CycloneDDS>";
  if (const char* uri = std::getenv("CYCLONEDDS_URI"); uri && *uri)
    xml = std::string(uri) + "," + xml;
  return xml;
}

dds_entity_t check(dds_entity_t rc, const std::string& what) {
  if (rc < 0) throw Error(what + ": " + dds_strretcode(rc));
  return rc;
}

Entity create_participant(const Ros2Config& c) {
  static std::mutex mu;
  static std::set<int> created;  // domains this process configured (they live until exit)
  const auto id = static_cast<dds_domainid_t>(c.domain_id);
  {
    std::lock_guard lock(mu);
    if (!created.count(c.domain_id)) {
      const std::string xml = domain_config_xml(c);
      const dds_entity_t d = dds_create_domain(id, xml.c_str());
      if (d < 0 && d != DDS_RETCODE_PRECONDITION_NOT_MET)  // exists: made by someone else
        throw Error("cannot start DDS domain " + std::to_string(c.domain_id) + ": " +
                    dds_strretcode(d));
      created.insert(c.domain_id);
    }
  }
  return Entity(check(dds_create_participant(id, nullptr, nullptr),
                      "cannot create a DDS participant on domain " + std::to_string(c.domain_id)));
}

dds_qos_t* create_qos(Ros2Qos preset, int depth, double deadline_ms, double max_blocking_ms,
                      double lifespan_ms) {
  dds_qos_t* q = dds_create_qos();
  if (preset == Ros2Qos::sensor_data) {
    dds_qset_reliability(q, DDS_RELIABILITY_BEST_EFFORT, 0);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, depth > 0 ? depth : 1);
  } else {
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE,
                         static_cast<dds_duration_t>(max_blocking_ms * 1e6));
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, depth > 0 ? depth : 10);
  }
  dds_qset_durability(q, DDS_DURABILITY_VOLATILE);
  if (deadline_ms > 0) dds_qset_deadline(q, static_cast<dds_duration_t>(deadline_ms * 1e6));
  if (lifespan_ms > 0) dds_qset_lifespan(q, static_cast<dds_duration_t>(lifespan_ms * 1e6));
  const dds_data_representation_id_t xcdr1 = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation(q, 1, &xcdr1);
  return q;
}

}  // namespace percept::ros2
