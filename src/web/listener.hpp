// Binding and serving one httplib::Server on its own thread, shared by the /metrics server and
// the dashboard: the socket options, the port checks and the start-up handshake live here once.
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>
#include <thread>

namespace percept::web {

class Listener {
 public:
  // Binds `server` to host:port (0: any free port) and serves it on a thread; returns once the
  // accept loop runs. Throws percept::Error "<who>: ..." naming the address when it cannot.
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second percept on the
  // same port would bind silently and take half the requests.
  void start(httplib::Server& server, const std::string& host, int port, const char* who);
  // Stops the server and joins the thread (safe to call twice, or without start()).
  void stop(httplib::Server& server);
  int port() const { return port_; }

 private:
  std::thread thread_;
  std::atomic<bool> returned_{false};
  int port_ = 0;
};

}  // namespace percept::web
