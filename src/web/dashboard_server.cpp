#include "percept/web/dashboard_server.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "assets.hpp"
#include "listener.hpp"
#include "percept/core/error.hpp"

namespace percept {

namespace {

constexpr size_t kMaxBody = 64 * 1024;

std::string_view content_type(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// A ".." path segment, a backslash or a NUL byte: nothing the server has lives there. The path
// httplib hands over is already percent-decoded, so "%2e%2e" is caught here too.
bool suspicious_path(const std::string& path) {
  if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos) return true;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0 && end - start == 2) return true;
    start = end + 1;
  }
  return false;
}

// Compares in time independent of where the strings differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

struct DashboardServer::Impl {
  struct CameraFrame {
    std::shared_ptr<const std::string> jpeg;
    uint64_t seq = 0;
  };

  DashboardServerOptions options;
  httplib::Server server;
  web::Listener listener;

  std::mutex mutex;  // guards everything below
  std::condition_variable frame_ready;
  bool stopping = false;
  std::string stats_json, metrics_text;
  std::deque<std::string> history;
  std::map<std::string, CameraFrame> frames;
  size_t streams = 0;

  bool authorised(const httplib::Request& req) const {
    if (options.token.empty()) return true;
    const std::string auth = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    if (auth.compare(0, bearer.size(), bearer) == 0 &&
        same_secret(auth.substr(bearer.size()), options.token))
      return true;
    return req.has_param("token") && same_secret(req.get_param_value("token"), options.token);
  }

  void serve_asset(std::string_view name, httplib::Response& res) const {
    const web::Asset* a = web::find_asset(name);
    if (!a) {
      res.status = 404;
      return;
    }
    res.set_content(reinterpret_cast<const char*>(a->data), a->size,
                    std::string(content_type(name)).c_str());
    res.set_header("Cache-Control", "no-cache");
  }

  void stream(const std::string& camera, httplib::Response& res) {
    {
      std::lock_guard lock(mutex);
      if (streams >= options.max_streams) {
        res.status = 503;
        res.set_content("too many streams\n", "text/plain");
        return;
      }
      ++streams;
    }
    res.set_header("Cache-Control", "no-store");
    auto last = std::make_shared<uint64_t>(0);
    res.set_content_provider(
        "multipart/x-mixed-replace; boundary=percept-frame",
        [this, camera, last](size_t, httplib::DataSink& sink) {
          std::shared_ptr<const std::string> jpeg;
          {
            std::unique_lock lock(mutex);
            // Wake at least once a second to notice a client that went away.
            frame_ready.wait_for(lock, std::chrono::seconds(1), [&] {
              if (stopping) return true;
              auto it = frames.find(camera);
              return it != frames.end() && it->second.seq != *last;
            });
            if (stopping) return false;
            auto it = frames.find(camera);
            if (it != frames.end() && it->second.seq != *last) {
              jpeg = it->second.jpeg;
              *last = it->second.seq;
            }
          }
          if (!sink.is_writable()) return false;
          if (!jpeg) return true;
          const std::string head =
              "--percept-frame\r\nContent-Type: image/jpeg\r\nContent-Length: " +
              std::to_string(jpeg->size()) + "\r\n\r\n";
          return sink.write(head.data(), head.size()) && sink.write(jpeg->data(), jpeg->size()) &&
                 sink.write("\r\n", 2);
        },
        [this](bool) {
          std::lock_guard lock(mutex);
          --streams;
        });
  }

  void routes() {
    server.set_payload_max_length(kMaxBody);
    server.set_read_timeout(5, 0);
    server.set_write_timeout(5, 0);
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (suspicious_path(req.path)) {
        res.status = 400;
        res.set_content("bad path\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.path.rfind("/assets/", 0) != 0 && !authorised(req)) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer realm=\"percept\"");
        res.set_content("a token is required (Authorization: Bearer, or ?token=)\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
      serve_asset("index.html", res);
    });
    server.Get(R"(/assets/([A-Za-z0-9_.-]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 serve_asset(req.matches[1].str(), res);
               });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::string body;
      {
        std::lock_guard lock(mutex);
        body = metrics_text;
      }
      res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
    });
    server.Get("/api/stats", [this](const httplib::Request&, httplib::Response& res) {
      std::string body;
      {
        std::lock_guard lock(mutex);
        body = stats_json;
      }
      res.set_header("Cache-Control", "no-store");
      if (body.empty()) {
        res.status = 503;
        res.set_content("{\"error\":\"no telemetry interval yet\"}", "application/json");
        return;
      }
      res.set_content(body, "application/json");
    });
    server.Get("/api/history", [this](const httplib::Request&, httplib::Response& res) {
      std::string body = "[";
      {
        std::lock_guard lock(mutex);
        for (const std::string& s : history) {
          if (body.size() > 1) body += ",\n";
          body += s;
        }
      }
      body += "]";
      res.set_header("Cache-Control", "no-store");
      res.set_content(body, "application/json");
    });
    server.Get("/api/frames", [this](const httplib::Request&, httplib::Response& res) {
      std::string body = "{\"cameras\":[";
      {
        std::lock_guard lock(mutex);
        bool first = true;
        for (const auto& [id, f] : frames) {
          if (!first) body += ",";
          first = false;
          body += "{\"id\":" + json_string(id) + ",\"seq\":" + std::to_string(f.seq) +
                  ",\"bytes\":" + std::to_string(f.jpeg->size()) + "}";
        }
      }
      body += "]}";
      res.set_header("Cache-Control", "no-store");
      res.set_content(body, "application/json");
    });
    server.Get(R"(/api/frames/([^/]+)\.jpg)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::shared_ptr<const std::string> jpeg;
                 uint64_t seq = 0;
                 {
                   std::lock_guard lock(mutex);
                   auto it = frames.find(req.matches[1].str());
                   if (it != frames.end()) {
                     jpeg = it->second.jpeg;
                     seq = it->second.seq;
                   }
                 }
                 if (!jpeg) {
                   res.status = 404;
                   return;
                 }
                 res.set_header("Cache-Control", "no-store");
                 res.set_header("X-Frame-Seq", std::to_string(seq));
                 res.set_content(jpeg->data(), jpeg->size(), "image/jpeg");
               });
    server.Get(R"(/api/stream/([^/]+)\.mjpg)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 stream(req.matches[1].str(), res);
               });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty())
        res.set_content(std::to_string(res.status) + " (percept: see docs/DASHBOARD.md)\n",
                        "text/plain");
    });
  }
};

DashboardServer::DashboardServer(const DashboardServerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  if (m.options.history == 0) m.options.history = 1;
  m.routes();
  m.listener.start(m.server, options.host, options.port, "dashboard");
}

DashboardServer::~DashboardServer() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->frame_ready.notify_all();
  impl_->listener.stop(impl_->server);
}

int DashboardServer::port() const {
  return impl_->listener.port();
}

const std::string& DashboardServer::host() const {
  return impl_->options.host;
}

void DashboardServer::publish_telemetry(const TelemetrySnapshot& snapshot) {
  std::string json = telemetry_jsonl(snapshot);
  std::string text = prometheus_text(snapshot);
  std::lock_guard lock(impl_->mutex);
  impl_->stats_json = json;
  impl_->metrics_text.swap(text);
  impl_->history.push_back(std::move(json));
  while (impl_->history.size() > impl_->options.history) impl_->history.pop_front();
}

void DashboardServer::publish_frame(const std::string& camera, std::string jpeg) {
  auto bytes = std::make_shared<const std::string>(std::move(jpeg));
  {
    std::lock_guard lock(impl_->mutex);
    Impl::CameraFrame& f = impl_->frames[camera];
    f.jpeg = std::move(bytes);
    ++f.seq;
  }
  impl_->frame_ready.notify_all();
}

}  // namespace percept
