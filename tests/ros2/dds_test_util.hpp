// Helpers of the ROS 2 tests: an independent Cyclone DDS participant (plain C API, its own
// configuration, not percept's code) on a random domain, loopback only, so tests running in
// parallel (ctest -j) never see each other's topics.
#pragma once

#include <dds/dds.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace percept::test {

// A domain id no other test process picks (pid and clock mixed), in 1..200.
inline int random_domain() {
  std::mt19937 rng(
      static_cast<unsigned>(getpid()) * 2654435761u ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  return 1 + static_cast<int>(rng() % 200);
}

// Loopback only, unicast discovery to the local participant ports (Linux loopback has no
// multicast), the same shape percept uses with localhost_only: true.
inline const char* kLoopbackXml =
    "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface "
    "address=\"127.0.0.1\"/></Interfaces><AllowMulticast>false</AllowMulticast></General>"
    "<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>50</"
    "MaxAutoParticipantIndex><Peers><Peer address=\"127.0.0.1\"/></Peers></Discovery>"
    "</Domain></CycloneDDS>";

// Creates the domain with the loopback configuration (first call per domain and process) and
// a participant on it.
inline dds_entity_t loopback_participant(int domain) {
  const dds_entity_t d = dds_create_domain(static_cast<dds_domainid_t>(domain), kLoopbackXml);
  (void)d;  // PRECONDITION_NOT_MET: created earlier in this process
  return dds_create_participant(static_cast<dds_domainid_t>(domain), nullptr, nullptr);
}

inline dds_qos_t* reliable_keep_all() {
  dds_qos_t* q = dds_create_qos();
  dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
  dds_qset_history(q, DDS_HISTORY_KEEP_ALL, 0);
  return q;
}

// Waits until `writer` has matched `n` readers (or `reader` has matched n writers).
inline bool wait_matched(dds_entity_t writer, uint32_t n, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < until) {
    dds_publication_matched_status_t st{};
    if (dds_get_publication_matched_status(writer, &st) == DDS_RETCODE_OK && st.current_count >= n)
      return true;
    dds_sleepfor(DDS_MSECS(10));
  }
  return false;
}

// The lines of a run's detections.jsonl for one model, in file order (what its DDS messages must
// say too).
inline std::vector<nlohmann::json> jsonl_lines(const std::string& path, const std::string& model) {
  std::vector<nlohmann::json> lines;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.at("model") == model) lines.push_back(std::move(j));
  }
  return lines;
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace percept::test
