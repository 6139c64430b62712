#include "dds_context.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "percept/core/error.hpp"

namespace percept::ros2 {

namespace {

bool read_text(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

UserDdsConfig read_user_dds_config(const char* uri) {
  UserDdsConfig u;
  if (!uri || !*uri) return u;
  u.uri = uri;
  // Cyclone reads a comma-separated list of XML fragments (starting with '<'), file:// URIs
  // and paths. The raw text is searched too, so commas inside XML do no harm.
  std::string all = u.uri;
  const bool has_xml = u.uri.find('<') != std::string::npos;
  std::istringstream items(u.uri);
  for (std::string item; std::getline(items, item, ',');) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.erase(0, 1);
    // Beside XML, only file:// items are files (a comma may split an XML fragment).
    if (item.empty() || item.find('<') != std::string::npos ||
        (has_xml && item.rfind("file://", 0) != 0))
      continue;
    const std::string path = item.rfind("file://", 0) == 0 ? item.substr(7) : item;
    std::string text;
    if (read_text(path, text))
      all += text;
    else if (u.unreadable.empty())
      u.unreadable = path;
  }
  u.selects_interfaces = all.find("<Interfaces") != std::string::npos ||
                         all.find("<NetworkInterfaceAddress") != std::string::npos;
  u.sets_peers = all.find("<Peers") != std::string::npos;
  return u;
}

namespace {

std::string config_xml(const Ros2Config& c, const UserDdsConfig& user) {
  const std::string buf = std::to_string(c.socket_buffer_bytes) + "B";
  std::string xml = "<CycloneDDS><Domain id=\"any\"><General>";
  // Loopback only. Discovery both ways ROS 2 peers may use: SPDP multicast on lo (what
  // rmw_cyclonedds does for ROS_LOCALHOST_ONLY=1) and unicast to the well-known participant
  // ports of 127.0.0.1 (works where lo has no multicast route, e.g. in containers). An
  // interface the user's CYCLONEDDS_URI chose is theirs: adding 127.0.0.1 again makes Cyclone
  // refuse to start.
  const bool own_interfaces = c.localhost_only && !user.selects_interfaces;
  if (own_interfaces)
    xml +=
        "<Interfaces><NetworkInterface address=\"127.0.0.1\" multicast=\"true\"/></Interfaces>"
        "<AllowMulticast>spdp</AllowMulticast>";
  xml += "</General>";
  if (c.localhost_only) {
    xml +=
        "<Discovery><ParticipantIndex>auto</ParticipantIndex>"
        "<MaxAutoParticipantIndex>50</MaxAutoParticipantIndex>";
    if (!user.sets_peers) xml += "<Peers><Peer address=\"127.0.0.1\"/></Peers>";
    xml += "</Discovery>";
  }
  xml += "<Internal><SocketReceiveBufferSize min=\"default\" max=\"" + buf +
         "\"/><SocketSendBufferSize min=\"default\" max=\"" + buf + "\"/></Internal>";
  xml += "</Domain></CycloneDDS>";
  if (!user.uri.empty()) xml = user.uri + "," + xml;
  return xml;
}

// Says what was tried and what the user can change (Cyclone's own log, on stderr, names the
// element it refused).
std::string start_failure(const Ros2Config& c, const UserDdsConfig& u, const char* why) {
  const std::string xml = config_xml(c, u);
  std::string m = "cannot start DDS on domain " + std::to_string(c.domain_id) + ": " + why +
                  ". Tried Cyclone DDS configuration: " + xml + ". ";
  if (!u.unreadable.empty())
    m += "CYCLONEDDS_URI names '" + u.unreadable + "', which cannot be read. ";
  if (!u.uri.empty())
    m += "Check CYCLONEDDS_URI (Cyclone's log above names what it refused), or unset it to "
         "try percept's own settings. ";
  if (c.localhost_only)
    m += "localhost_only is on (ros2.localhost_only or ROS_LOCALHOST_ONLY=1): it needs a "
         "loopback interface with address 127.0.0.1; set it off to use the default "
         "interfaces. ";
  m += "Other domain ids (ros2.domain_id, ROS_DOMAIN_ID) may work where this one's ports are "
       "taken.";
  return m;
}

}  // namespace

std::string domain_config_xml(const Ros2Config& c) {
  return config_xml(c, read_user_dds_config(std::getenv("CYCLONEDDS_URI")));
}

dds_entity_t check(dds_entity_t rc, const std::string& what) {
  if (rc < 0) throw Error(what + ": " + dds_strretcode(rc));
  return rc;
}

Entity create_participant(const Ros2Config& c, const dds_qos_t* qos) {
  static std::mutex mu;
  static std::set<int> created;  // domains this process configured (they live until exit)
  const auto id = static_cast<dds_domainid_t>(c.domain_id);
  const UserDdsConfig user = read_user_dds_config(std::getenv("CYCLONEDDS_URI"));
  {
    std::lock_guard lock(mu);
    if (!created.count(c.domain_id)) {
      const std::string xml = config_xml(c, user);
      const dds_entity_t d = dds_create_domain(id, xml.c_str());
      if (d < 0 && d != DDS_RETCODE_PRECONDITION_NOT_MET)  // exists: made by someone else
        throw Error(start_failure(c, user, dds_strretcode(d)));
      if (c.localhost_only && user.selects_interfaces)
        spdlog::info("ros2: localhost_only: keeping the interfaces CYCLONEDDS_URI selects");
      created.insert(c.domain_id);
    }
  }
  const dds_entity_t p = dds_create_participant(id, qos, nullptr);
  if (p < 0) throw Error(start_failure(c, user, dds_strretcode(p)));
  return Entity(p);
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
