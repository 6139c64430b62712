// The HTTP/1.1 server under the dashboard and /metrics: one event loop (epoll) on one thread,
// built for hostile clients rather than for features. Why not a library (docs/RELIABILITY.md,
// "HTTP under abuse"): cpp-httplib gives each connection a worker from a fixed pool and applies
// its timeout per recv, so eight slow clients took the server offline; libmicrohttpd only knows
// an inactivity timeout, so a client sending one byte a second holds its slot forever.
//
// What it guarantees:
//   - Memory per connection is bounded before anything is parsed: request head (line plus
//     headers) <= max_head_bytes and <= max_headers lines; only GET and HEAD; a Content-Length
//     body <= max_body is read and dropped; chunked or larger bodies are refused unread.
//   - A request must arrive whole within request_timeout_ms of its first byte, an idle
//     keep-alive connection is closed after idle_timeout_ms, and a client that does not take
//     its response within write_timeout_ms is dropped. No client ever holds a thread.
//   - At max_connections (or max_per_address from one address) a new connection displaces the
//     one that has waited longest without sending a whole request; only when every connection
//     is busy answering is the new one refused.
//   - Pipelined requests are answered in order; TCP_NODELAY, so small answers leave at once.
//   - The Host header must name this machine (DNS rebinding): an IP literal, localhost, the
//     machine's host name, the bound host or a name in allowed_hosts ("*": any).
//   - A refusal (4xx/5xx that closes) is not lost to a TCP reset: the server shuts its side and
//     drops what the client still sends for up to 1 s or 1 MiB before it closes.
//   - A stream given no part for idle_timeout_ms gives its slot back.
//   - stop() closes every connection and returns at once, whatever the clients do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace percept::web {

struct HttpLimits {
  size_t max_connections = 512;
  size_t max_per_address = 128;
  size_t max_head_bytes = 16 * 1024;
  size_t max_headers = 64;
  size_t max_body = 64 * 1024;
  int request_timeout_ms = 5000;
  int idle_timeout_ms = 15000;
  int write_timeout_ms = 10000;
  size_t max_streams = 4;  // connections held open by streamed responses; more get 503
};

struct HttpRequest {
  std::string method;  // GET or HEAD: nothing else reaches a handler
  std::string path;    // percent-decoded
  std::string query;   // raw, without the '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case

  // The first header of that (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_name) const;
  // A query parameter, percent- and '+'-decoded.
  std::optional<std::string> param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  // Shared so that one body (a frame, the history) goes to many clients without copies.
  std::shared_ptr<const std::string> body;
  // Non-empty: after the head and body the connection stays open and carries each part
  // published to this stream (HttpServer::publish), the newest only when the client is behind.
  std::string stream;

  void set(int code, std::string text, std::string type = "text/plain; charset=utf-8");
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                            // 0: any free port
  std::vector<std::string> allowed_hosts;  // extra names for the Host check; "*": no check
  HttpLimits limits;
};

// Counts since start, for tests and logs.
struct HttpServerStats {
  uint64_t accepted = 0, displaced = 0, refused = 0, timed_out = 0, bad_requests = 0;
};

class HttpServer {
 public:
  // Binds (throws percept::Error "<who>: cannot listen on host:port (...)") and serves on its
  // own thread; the handler runs on that thread and must not block.
  HttpServer(const HttpServerOptions& options, HttpHandler handler, const char* who);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Any thread: the newest part of `stream`, sent to its clients as they can take it.
  void publish(const std::string& stream, std::shared_ptr<const std::string> part);
  HttpServerStats stats() const;
  // Closes every connection and joins the thread. Safe to call twice.
  void stop();

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

// True when `host` (a Host header's value, with or without a port) is allowed by the rule
// above. Exposed for tests.
bool host_allowed(std::string_view host, const std::vector<std::string>& allowed_names);

}  // namespace percept::web
