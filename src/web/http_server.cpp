#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "http_request.hpp"
#include "percept/core/clock.hpp"
#include "percept/core/error.hpp"
#include "percept/core/thread_priority.hpp"

namespace percept::web {

namespace {

// Stop parsing pipelined requests (and reading) while this much output waits for the client.
constexpr size_t kOutputHighWater = 256 * 1024;
constexpr int kTickMs = 50;  // how often deadlines are checked
// Work one wake-up may do for one socket before the others get their turn (level-triggered
// epoll reports the rest): a fast sender or a connect flood cannot hold the loop.
constexpr int kReadsPerWake = 16;
constexpr int kAcceptsPerWake = 64;
// After a refusal the server stops sending and drops what still arrives, for this long or this
// many bytes, before it closes: closing with unread input makes the kernel send a reset, which
// can destroy the refusal before the client reads it.
constexpr int kLingerMs = 1000;
constexpr size_t kLingerBytes = 1 << 20;

int64_t now_ms() {
  return now_ns() / 1'000'000;
}

std::string peer_address(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  else if (ss.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  return buf;
}

struct Segment {
  std::shared_ptr<const std::string> bytes;
  size_t offset = 0;
};

struct Conn {
  int fd = -1;
  std::string address;
  std::string in;  // received, not yet parsed
  std::deque<Segment> out;
  size_t out_bytes = 0;
  uint32_t events = 0;         // what epoll watches now
  int64_t request_start = -1;  // first byte of the request being received; -1: none
  int64_t idle_since = 0;      // the last time the connection had nothing to do
  int64_t write_progress = 0;  // the last time output moved, while some waits
  uint64_t body_to_skip = 0;   // a small request body still to read and drop
  bool close_after_write = false;
  bool peer_closed = false;  // the client shut its side: answer what came, then close
  bool refused = false;      // the last answer was a refusal: the client may be sending on
  bool lingering = false;    // answered and shut for writing; input dropped until close
  int64_t linger_until = 0;
  size_t lingered = 0;
  uint32_t generation = 0;  // tells this connection from a later one on the same fd
  int64_t last_part = 0;    // a stream: when it was last given a part
  std::string stream;       // non-empty: a streamed response is open
  uint64_t stream_seq = 0;

  // Waiting for a request (idle keep-alive, or a head still arriving): what is displaced first.
  bool displaceable() const {
    return stream.empty() && !close_after_write && out.empty() && body_to_skip == 0;
  }
  int64_t waiting_since() const { return request_start >= 0 ? request_start : idle_since; }
};

}  // namespace

struct HttpServer::Loop {
  HttpServerOptions options;
  HttpHandler handler;
  std::vector<std::string> allowed_names;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1;
  int port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  bool accept_paused = false;
  int64_t accept_resume_at = 0;

  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::unordered_map<std::string, size_t> per_address;
  size_t streaming = 0;
  uint32_t next_generation = 0;

  mutable std::mutex mutex;  // guards parts and stats
  std::map<std::string, std::pair<uint64_t, std::shared_ptr<const std::string>>> parts;
  HttpServerStats counts;

  ~Loop() {
    for (int fd : {listen_fd, epoll_fd, wake_fd})
      if (fd >= 0) ::close(fd);
  }

  void count(uint64_t HttpServerStats::*field) {
    std::lock_guard lock(mutex);
    ++(counts.*field);
  }

  void watch(Conn& c) {
    // Read while there is room; a streaming connection is read only to notice that it closed.
    // Nothing is read once the connection is to close, nor RDHUP asked for (it would repeat).
    uint32_t want = 0;
    if (c.lingering || (!c.close_after_write && !c.peer_closed && c.out_bytes < kOutputHighWater))
      want |= EPOLLIN | EPOLLRDHUP;
    if (!c.out.empty()) want |= EPOLLOUT;
    if (want == c.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = tag(c);
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = want;
  }

  static uint64_t tag(const Conn& c) {
    return (uint64_t{c.generation} << 32) | static_cast<uint32_t>(c.fd);
  }

  // Ends a connection whose last answer is out. After a refusal, or while the client may still
  // be sending, it lingers (kLingerMs) so that the answer is not lost to a reset.
  void finish(int fd, int64_t now) {
    Conn& c = *conns.at(fd);
    if (c.peer_closed || c.lingering || (c.in.empty() && c.body_to_skip == 0 && !c.refused))
      return close_conn(fd);
    ::shutdown(fd, SHUT_WR);
    c.lingering = true;
    c.linger_until = now + kLingerMs;
    c.in.clear();
    watch(c);
  }

  void close_conn(int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    Conn& c = *it->second;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    if (!c.stream.empty()) --streaming;
    if (auto a = per_address.find(c.address); a != per_address.end() && --a->second == 0)
      per_address.erase(a);
    conns.erase(it);
  }

  void queue(Conn& c, std::shared_ptr<const std::string> bytes) {
    if (!bytes || bytes->empty()) return;
    if (c.out.empty()) c.write_progress = now_ms();
    c.out_bytes += bytes->size();
    c.out.push_back({std::move(bytes), 0});
  }

  void respond(Conn& c, const HttpResponse& res, bool head_only, bool keep_alive, bool http10) {
    std::string h = "HTTP/1.1 " + std::to_string(res.status) + " " +
                    std::string(reason_phrase(res.status)) + "\r\n";
    if (!res.content_type.empty()) h += "Content-Type: " + res.content_type + "\r\n";
    if (res.stream.empty())
      h += "Content-Length: " + std::to_string(res.body ? res.body->size() : 0) + "\r\n";
    for (const auto& [name, value] : res.headers) h += name + ": " + value + "\r\n";
    if (!keep_alive || !res.stream.empty())
      h += "Connection: close\r\n";
    else if (http10)
      h += "Connection: keep-alive\r\n";
    h += "\r\n";
    queue(c, std::make_shared<const std::string>(std::move(h)));
    if (!head_only) queue(c, res.body);
    if (!keep_alive && res.stream.empty()) c.close_after_write = true;
  }

  // A refusal: answered, then closed without reading further.
  void refuse(Conn& c, int status, const std::string& why) {
    HttpResponse res;
    res.set(status, why + "\n");
    respond(c, res, false, false, false);
    c.in.clear();
    c.request_start = -1;
    c.refused = true;
    count(&HttpServerStats::bad_requests);
  }

  void dispatch(Conn& c, ParsedHead& p) {
    HttpResponse res;
    const std::string* host = p.request.header("host");
    if (host && !host_allowed(*host, allowed_names)) {
      // Not refuse(): the request itself is well formed, so the connection may stay.
      res.set(403, "Host '" + *host +
                       "' is not a name of this server (a guard against DNS rebinding); "
                       "allow it with --allow-host or allowed_hosts\n");
    } else {
      try {
        handler(p.request, res);
      } catch (const std::exception& e) {
        res = HttpResponse();
        res.set(500, std::string("internal error: ") + e.what() + "\n");
      }
    }
    if (!res.stream.empty() && streaming >= options.limits.max_streams) {
      const std::string limit = std::to_string(options.limits.max_streams);
      res = HttpResponse();
      res.set(503, "too many streams (" + limit + " open)\n");
      p.keep_alive = false;
    }
    respond(c, res, p.request.method == "HEAD", p.keep_alive, p.http10);
    if (!res.stream.empty() && p.request.method != "HEAD") {
      c.stream = res.stream;
      c.stream_seq = 0;
      c.last_part = now_ms();
      ++streaming;
      feed_stream(c);
    } else if (!res.stream.empty()) {
      c.close_after_write = true;
    }
  }

  // Parses and answers whatever whole requests `c.in` holds, in order.
  void process(Conn& c, int64_t now) {
    const HttpLimits& lim = options.limits;
    while (c.stream.empty() && !c.close_after_write && c.out_bytes < kOutputHighWater) {
      if (c.body_to_skip > 0) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(c.body_to_skip, c.in.size()));
        c.in.erase(0, n);
        c.body_to_skip -= n;
        if (c.body_to_skip > 0) return;
      }
      if (c.in.empty()) {
        c.request_start = -1;
        return;
      }
      if (c.request_start < 0) c.request_start = now;
      size_t end = c.in.find("\r\n\r\n");
      size_t sep = 4;
      if (const size_t lf = c.in.find("\n\n"); lf != std::string::npos && lf < end) {
        end = lf;
        sep = 2;
      }
      if (end == std::string::npos ? c.in.size() > lim.max_head_bytes : end > lim.max_head_bytes) {
        const size_t line = c.in.find('\n');
        const std::string limit = std::to_string(lim.max_head_bytes) + " bytes";
        if (line == std::string::npos || line > lim.max_head_bytes)
          refuse(c, 414, "request line over " + limit);
        else
          refuse(c, 431, "request head over " + limit);
        return;
      }
      if (end == std::string::npos) return;  // the rest is on its way
      ParsedHead p = parse_request_head(std::string_view(c.in).substr(0, end), lim);
      c.in.erase(0, end + sep);
      if (p.error) {
        refuse(c, p.error, p.why);
        return;
      }
      if (p.request.method != "GET" && p.request.method != "HEAD") {
        HttpResponse res;
        res.set(405, "only GET and HEAD\n");
        res.headers.emplace_back("Allow", "GET, HEAD");
        respond(c, res, false, false, p.http10);
        c.refused = true;  // its body, if any, is never read
        count(&HttpServerStats::bad_requests);
        return;
      }
      if (p.has_body_encoding) {
        refuse(c, 501, "request bodies with a Transfer-Encoding are not accepted");
        return;
      }
      if (p.content_length > lim.max_body) {
        refuse(c, 413, "request body over " + std::to_string(lim.max_body) + " bytes");
        return;
      }
      c.body_to_skip = p.content_length;
      dispatch(c, p);
      c.request_start = c.in.empty() && c.body_to_skip == 0 ? -1 : now;
      c.idle_since = now;
    }
  }

  void feed_stream(Conn& c) {
    if (c.stream.empty() || !c.out.empty()) return;
    std::shared_ptr<const std::string> part;
    {
      std::lock_guard lock(mutex);
      auto it = parts.find(c.stream);
      if (it == parts.end() || it->second.first == c.stream_seq) return;
      c.stream_seq = it->second.first;
      part = it->second.second;
    }
    c.last_part = now_ms();
    queue(c, std::move(part));
  }

  // Writes what the socket takes; false when the connection is gone.
  bool flush(Conn& c, int64_t now) {
    while (!c.out.empty()) {
      Segment& s = c.out.front();
      const ssize_t n = ::send(c.fd, s.bytes->data() + s.offset, s.bytes->size() - s.offset,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) return false;
      c.write_progress = now;
      s.offset += static_cast<size_t>(n);
      c.out_bytes -= static_cast<size_t>(n);
      if (s.offset == s.bytes->size()) c.out.pop_front();
    }
    if (c.close_after_write) return false;
    c.idle_since = now;
    return true;
  }

  // Reads what has arrived; false on a reset. End of input sets peer_closed.
  bool receive(Conn& c) {
    char buf[16384];
    for (int reads = 0; reads < kReadsPerWake; ++reads) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0) return false;
      if (n == 0) {
        c.peer_closed = true;
        return true;
      }
      if (c.lingering) {
        c.lingered += static_cast<size_t>(n);
        continue;
      }
      // A streaming connection's input is noise; a refused one's is never parsed.
      if (c.stream.empty() && !c.close_after_write) c.in.append(buf, static_cast<size_t>(n));
      // Parse before reading on, so that a flood cannot grow the buffer past one head.
      if (c.in.size() > options.limits.max_head_bytes) return true;
    }
    return true;
  }

  void on_conn_event(int fd, uint32_t events, int64_t now) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    Conn& c = *it->second;
    if (events & EPOLLERR) return close_conn(fd);
    if (c.lingering) {
      if (!receive(c) || c.peer_closed || c.lingered > kLingerBytes) close_conn(fd);
      return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP)) {
      if (!receive(c)) return close_conn(fd);
      process(c, now);
    }
    if ((events & EPOLLHUP) && !(events & EPOLLOUT)) return close_conn(fd);
    if (!flush(c, now)) return end_after_flush(fd, now);
    if (c.out.empty()) {
      process(c, now);  // pipelined requests held back by a full output
      feed_stream(c);
      if (!flush(c, now)) return end_after_flush(fd, now);
    }
    // A client that shut its side gets what it asked for, then the connection ends; a
    // stream has nobody left to show frames to.
    if (c.peer_closed && (c.out.empty() || !c.stream.empty())) return close_conn(fd);
    watch(c);
  }

  // flush() said the connection is over: its last answer is out (finish), or it failed.
  void end_after_flush(int fd, int64_t now) {
    const Conn& c = *conns.at(fd);
    if (c.close_after_write && c.out.empty())
      finish(fd, now);
    else
      close_conn(fd);
  }

  // The connection to close for a newcomer: the one waiting longest for a whole request,
  // among all or among one address's.
  int displace_candidate(const std::string* address) const {
    int best = -1;
    int64_t best_since = 0;
    for (const auto& [fd, c] : conns) {
      if (!c->displaceable() || (address && c->address != *address)) continue;
      if (best < 0 || c->waiting_since() < best_since) {
        best = fd;
        best_since = c->waiting_since();
      }
    }
    return best;
  }

  void accept_all(int64_t now) {
    for (int accepts = 0; accepts < kAcceptsPerWake; ++accepts) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: make room, and stop accepting for a tick rather than spin.
          if (const int victim = displace_candidate(nullptr); victim >= 0) {
            close_conn(victim);
            count(&HttpServerStats::displaced);
          }
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
          accept_paused = true;
          accept_resume_at = now + kTickMs;
        }
        return;
      }
      try {
        admit(fd, peer_address(ss), now);
      } catch (const std::exception&) {  // out of memory: this client only
        if (conns.count(fd))
          close_conn(fd);
        else
          ::close(fd);
      }
    }
  }

  // Makes room for a new connection (displacing a waiting one) or refuses it.
  void admit(int fd, const std::string& address, int64_t now) {
    const HttpLimits& lim = options.limits;
    auto held = per_address.find(address);
    const size_t from_address = held == per_address.end() ? 0 : held->second;
    for (const std::string* among : {&address, static_cast<const std::string*>(nullptr)}) {
      const bool full =
          among ? from_address >= lim.max_per_address : conns.size() >= lim.max_connections;
      if (!full) continue;
      const int victim = displace_candidate(among);
      if (victim < 0) {
        ::close(fd);
        count(&HttpServerStats::refused);
        return;
      }
      close_conn(victim);
      count(&HttpServerStats::displaced);
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->address = address;
    c->idle_since = now;
    c->request_start = now;  // the first request is due within request_timeout_ms
    if (++next_generation == 0) next_generation = 1;  // 0 tags the listening and wake fds
    c->generation = next_generation;
    Conn& added = *conns.emplace(fd, std::move(c)).first->second;
    ++per_address[address];
    epoll_event ev{};
    ev.events = added.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = tag(added);
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) return close_conn(fd);
    count(&HttpServerStats::accepted);
  }

  void check_deadlines(int64_t now) {
    const HttpLimits& lim = options.limits;
    std::vector<int> expired, lingered;
    for (const auto& [fd, c] : conns) {
      if (c->lingering) {
        if (now > c->linger_until) lingered.push_back(fd);
        continue;
      }
      const bool writing_late = !c->out.empty() && now - c->write_progress > lim.write_timeout_ms;
      const bool request_late = c->stream.empty() && c->out.empty() && c->request_start >= 0 &&
                                now - c->request_start > lim.request_timeout_ms;
      const bool idle = c->stream.empty() && c->out.empty() && c->request_start < 0 &&
                        now - c->idle_since > lim.idle_timeout_ms;
      // A stream given nothing for that long (a camera that does not exist, or has stopped)
      // gives its slot back.
      const bool stream_idle =
          !c->stream.empty() && c->out.empty() && now - c->last_part > lim.idle_timeout_ms;
      if (writing_late || request_late || idle || stream_idle) expired.push_back(fd);
    }
    for (int fd : lingered) close_conn(fd);
    for (int fd : expired) {
      // A request that had begun gets a word of why (best effort, never waited on); an idle
      // connection is closed silently, as browsers expect of keep-alive.
      if (const Conn& c = *conns.at(fd); c.out.empty() && !c.in.empty()) {
        static const char k408[] =
            "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!::send(fd, k408, sizeof k408 - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      close_conn(fd);
      count(&HttpServerStats::timed_out);
    }
    if (accept_paused && now >= accept_resume_at) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = static_cast<uint32_t>(listen_fd);
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
      accept_paused = false;
    }
  }

  void run() {
    lower_thread_priority();
    epoll_event events[128];
    int64_t last_check = now_ms();
    while (!stopping.load()) {
      const int n = epoll_wait(epoll_fd, events, 128, kTickMs);
      const int64_t now = now_ms();
      bool woken = false;
      for (int i = 0; i < n; ++i) {
        const int fd = static_cast<int>(static_cast<uint32_t>(events[i].data.u64));
        const auto generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
        if (generation == 0 && fd == listen_fd) {
          accept_all(now);
        } else if (generation == 0 && fd == wake_fd) {
          uint64_t v;
          while (::read(wake_fd, &v, sizeof v) > 0) {
          }
          woken = true;
        } else if (auto it = conns.find(fd);
                   it != conns.end() && it->second->generation == generation) {
          // An event for a connection closed earlier in this batch whose fd was reused is
          // dropped by the generation check above. Out of memory ends this client only.
          try {
            on_conn_event(fd, events[i].events, now);
          } catch (const std::exception&) {
            close_conn(fd);
          }
        }
      }
      if (woken && streaming > 0) {
        std::vector<int> gone;
        for (auto& [fd, c] : conns) {
          if (c->stream.empty() || !c->out.empty()) continue;
          try {
            feed_stream(*c);
          } catch (const std::exception&) {
            gone.push_back(fd);
            continue;
          }
          if (!flush(*c, now))
            gone.push_back(fd);
          else
            watch(*c);
        }
        for (int fd : gone) close_conn(fd);
      }
      if (now - last_check >= kTickMs) {
        check_deadlines(now);
        last_check = now;
      }
    }
    std::vector<int> fds;
    for (const auto& [fd, c] : conns) fds.push_back(fd);
    for (int fd : fds) close_conn(fd);
  }

  void bind_and_listen(const char* who) {
    const HttpServerOptions& o = options;
    const std::string where = o.host + ":" + std::to_string(o.port);
    if (o.port < 0 || o.port > 65535)
      throw Error(ErrorCode::invalid_argument,
                  std::string(who) + ": port " + std::to_string(o.port) + " is not in 0..65535");
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string port_text = std::to_string(o.port);
    if (const int rc = getaddrinfo(o.host.c_str(), port_text.c_str(), &hints, &list); rc != 0)
      throw Error(ErrorCode::io,
                  std::string(who) + ": cannot listen on " + where + " (" + gai_strerror(rc) + ")");
    std::string why = "no address";
    for (addrinfo* a = list; a; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      // SO_REUSEADDR only: with SO_REUSEPORT a second percept on the same port would bind
      // silently and take half the requests.
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
        listen_fd = fd;
        break;
      }
      why = std::strerror(errno);
      ::close(fd);
    }
    freeaddrinfo(list);
    if (listen_fd < 0)
      throw Error(ErrorCode::io, std::string(who) + ": cannot listen on " + where + " (" + why +
                                     ": address in use, or not an address of this machine)");
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len);
    port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                                          : reinterpret_cast<sockaddr_in&>(ss).sin_port);
  }
};

void HttpResponse::set(int code, std::string text, std::string type) {
  status = code;
  content_type = std::move(type);
  body = std::make_shared<const std::string>(std::move(text));
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler, const char* who)
    : loop_(std::make_unique<Loop>()) {
  Loop& l = *loop_;
  l.options = options;
  l.handler = std::move(handler);
  l.allowed_names = options.allowed_hosts;
  l.allowed_names.push_back(options.host);
  l.bind_and_listen(who);
  l.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  l.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l.epoll_fd < 0 || l.wake_fd < 0)
    throw Error(ErrorCode::io, std::string(who) + ": " + std::strerror(errno));
  for (int fd : {l.listen_fd, l.wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint32_t>(fd);  // generation 0
    epoll_ctl(l.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  l.thread = std::thread([&l] { l.run(); });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  if (!loop_->thread.joinable()) return;
  loop_->stopping = true;
  const uint64_t one = 1;
  (void)!::write(loop_->wake_fd, &one, sizeof one);
  loop_->thread.join();
}

int HttpServer::port() const {
  return loop_->port;
}

void HttpServer::publish(const std::string& stream, std::shared_ptr<const std::string> part) {
  {
    std::lock_guard lock(loop_->mutex);
    auto& slot = loop_->parts[stream];
    ++slot.first;
    slot.second = std::move(part);
  }
  const uint64_t one = 1;
  (void)!::write(loop_->wake_fd, &one, sizeof one);
}

HttpServerStats HttpServer::stats() const {
  std::lock_guard lock(loop_->mutex);
  return loop_->counts;
}

}  // namespace percept::web
