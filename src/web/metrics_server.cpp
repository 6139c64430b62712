#include "percept/web/metrics_server.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "listener.hpp"
#include "percept/core/error.hpp"

namespace percept {

struct MetricsServer::Impl {
  httplib::Server server;
  web::Listener listener;
  std::mutex mutex;
  std::string text;  // guarded by mutex
  std::string host;
};

MetricsServer::MetricsServer(const MetricsServerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.host = options.host;
  m.server.Get("/metrics", [&m](const httplib::Request&, httplib::Response& res) {
    std::string body;
    {
      std::lock_guard lock(m.mutex);
      body = m.text;
    }
    res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
  });
  m.server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found (percept serves /metrics)\n", "text/plain");
  });
  m.listener.start(m.server, options.host, options.port, "metrics");
}

MetricsServer::~MetricsServer() {
  impl_->listener.stop(impl_->server);
}

int MetricsServer::port() const {
  return impl_->listener.port();
}

const std::string& MetricsServer::host() const {
  return impl_->host;
}

void MetricsServer::publish(std::string prometheus_text) {
  std::lock_guard lock(impl_->mutex);
  impl_->text.swap(prometheus_text);
}

}  // namespace percept
