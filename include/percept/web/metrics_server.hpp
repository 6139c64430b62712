// HTTP endpoint for Prometheus: GET /metrics returns the latest text published; every other
// path is 404. Serves on its own thread (src/web/http_server.hpp, with the dashboard's limits
// and Host check); the telemetry thread publishes.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace percept {

struct MetricsServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked: metrics name cameras and models
  int port = 9464;                 // 0: pick a free port (read it back with port())
  std::vector<std::string> allowed_hosts = {};  // Host names besides this machine's (see dashboard)
};

class MetricsServer {
 public:
  // Binds before returning (throws percept::Error naming host:port when it cannot), then
  // serves until destroyed.
  explicit MetricsServer(const MetricsServerOptions& options);
  ~MetricsServer();  // stops serving and joins its threads
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const;
  const std::string& host() const;
  // Replaces the text /metrics serves. Any thread; copies under a short lock.
  void publish(std::string prometheus_text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace percept
