#include "listener.hpp"

#include <chrono>

#include "percept/core/error.hpp"
#include "percept/core/thread_priority.hpp"

namespace percept::web {

void Listener::start(httplib::Server& server, const std::string& host, int port, const char* who) {
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (port < 0 || port > 65535)
    throw Error(std::string(who) + ": port " + std::to_string(port) + " is not in 0..65535");
  port_ = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (port_ <= 0)
    throw Error(std::string(who) + ": cannot listen on " + host + ":" + std::to_string(port) +
                " (address in use, or not an address of this machine)");
  thread_ = std::thread([this, &server] {
    // The server's worker threads are created from this one and inherit its priority.
    lower_thread_priority();
    server.listen_after_bind();
    returned_ = true;
  });
  // stop() before the accept loop has started would be lost (the loop would then run forever):
  // return only once it runs.
  while (!server.is_running() && !returned_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Listener::stop(httplib::Server& server) {
  server.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace percept::web
