#include "percept/web/metrics_server.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "percept/core/error.hpp"

namespace percept {

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::mutex mutex;
  std::string text;  // guarded by mutex
  std::string host;
  int port = 0;
  std::atomic<bool> listen_returned{false};
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
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second percept on the
  // same port would bind silently and take half the scrapes.
  m.server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (options.port < 0 || options.port > 65535)
    throw Error("metrics: port " + std::to_string(options.port) + " is not in 0..65535");
  if (options.port == 0) {
    m.port = m.server.bind_to_any_port(options.host);
  } else {
    m.port = m.server.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (m.port <= 0)
    throw Error("metrics: cannot listen on " + options.host + ":" + std::to_string(options.port) +
                " (address in use, or not an address of this machine)");
  m.thread = std::thread([&m] {
    m.server.listen_after_bind();
    m.listen_returned = true;
  });
  // stop() before the accept loop has started would be lost (the loop would then run forever):
  // return only once it runs.
  while (!m.server.is_running() && !m.listen_returned)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsServer::port() const {
  return impl_->port;
}

const std::string& MetricsServer::host() const {
  return impl_->host;
}

void MetricsServer::publish(std::string prometheus_text) {
  std::lock_guard lock(impl_->mutex);
  impl_->text.swap(prometheus_text);
}

}  // namespace percept
