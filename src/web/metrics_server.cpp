#include "percept/web/metrics_server.hpp"

#include <mutex>

#include "http_server.hpp"

namespace percept {

struct MetricsServer::Impl {
  std::mutex mutex;
  std::shared_ptr<const std::string> text;  // guarded by mutex
  std::string host;
  std::unique_ptr<web::HttpServer> server;
};

MetricsServer::MetricsServer(const MetricsServerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.host = options.host;
  web::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.allowed_hosts = options.allowed_hosts;
  m.server = std::make_unique<web::HttpServer>(
      http,
      [&m](const web::HttpRequest& req, web::HttpResponse& res) {
        if (req.path != "/metrics") return res.set(404, "not found (percept serves /metrics)\n");
        res.status = 200;
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        std::lock_guard lock(m.mutex);
        res.body = m.text;
      },
      "metrics");
}

MetricsServer::~MetricsServer() {
  impl_->server->stop();
}

int MetricsServer::port() const {
  return impl_->server->port();
}

const std::string& MetricsServer::host() const {
  return impl_->host;
}

void MetricsServer::publish(std::string prometheus_text) {
  auto text = std::make_shared<const std::string>(std::move(prometheus_text));
  std::lock_guard lock(impl_->mutex);
  impl_->text = std::move(text);
}

}  // namespace percept
