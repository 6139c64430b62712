#include "percept/web/dashboard_server.hpp"

#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "assets.hpp"
#include "http_server.hpp"
#include "percept/core/error.hpp"

namespace percept {

namespace {

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
// the HTTP server hands over is already percent-decoded, so "%2e%2e" is caught here too.
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
  std::unique_ptr<web::HttpServer> server;

  std::mutex mutex;  // guards everything below
  std::shared_ptr<const std::string> stats_json, metrics_text;
  std::deque<std::shared_ptr<const std::string>> history;
  size_t history_bytes = 0;
  // The joined /api/history body, made once per snapshot at most: any number of clients
  // then cost one copy of a pointer each.
  std::shared_ptr<const std::string> history_body;
  std::map<std::string, CameraFrame> frames;

  bool authorised(const web::HttpRequest& req) const {
    if (options.token.empty()) return true;
    const std::string bearer = "Bearer ";
    if (const std::string* auth = req.header("authorization");
        auth && auth->compare(0, bearer.size(), bearer) == 0 &&
        same_secret(auth->substr(bearer.size()), options.token))
      return true;
    const std::optional<std::string> token = req.param("token");
    return token && same_secret(*token, options.token);
  }

  static void serve_asset(std::string_view name, web::HttpResponse& res) {
    const web::Asset* a = web::find_asset(name);
    if (!a) return not_found(res);
    res.status = 200;
    res.content_type = std::string(content_type(name));
    res.body = std::make_shared<const std::string>(reinterpret_cast<const char*>(a->data), a->size);
    res.headers.emplace_back("Cache-Control", "no-cache");
  }

  static void not_found(web::HttpResponse& res) {
    res.set(404, "404 (percept: see docs/DASHBOARD.md)\n");
  }

  static void json(web::HttpResponse& res, std::shared_ptr<const std::string> body) {
    res.status = 200;
    res.content_type = "application/json";
    res.body = std::move(body);
    res.headers.emplace_back("Cache-Control", "no-store");
  }

  // "/api/frames/<camera>.jpg" -> "<camera>"; empty when `path` is not prefix + name + suffix.
  static std::string between(std::string_view path, std::string_view prefix,
                             std::string_view suffix) {
    if (path.size() <= prefix.size() + suffix.size() || !path.starts_with(prefix) ||
        !path.ends_with(suffix))
      return {};
    const std::string_view name =
        path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    return name.find('/') == std::string_view::npos ? std::string(name) : std::string();
  }

  void handle(const web::HttpRequest& req, web::HttpResponse& res) {
    const std::string& path = req.path;
    if (suspicious_path(path)) return res.set(400, "bad path\n");
    if (path.rfind("/assets/", 0) == 0) return serve_asset(path.substr(8), res);
    if (!authorised(req)) {
      res.set(401, "a token is required (Authorization: Bearer, or ?token=)\n");
      res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"percept\"");
      return;
    }
    if (path == "/") return serve_asset("index.html", res);
    std::lock_guard lock(mutex);
    if (path == "/metrics") {
      res.status = 200;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = metrics_text;
      return;
    }
    if (path == "/api/stats") {
      if (!stats_json) {
        res.set(503, "{\"error\":\"no telemetry interval yet\"}", "application/json");
        res.headers.emplace_back("Cache-Control", "no-store");
        return;
      }
      return json(res, stats_json);
    }
    if (path == "/api/history") {
      if (!history_body) {
        std::string body = "[";
        body.reserve(history_bytes + 2 * history.size() + 2);
        for (const auto& s : history) {
          if (body.size() > 1) body += ",\n";
          body += *s;
        }
        body += "]";
        history_body = std::make_shared<const std::string>(std::move(body));
      }
      return json(res, history_body);
    }
    if (path == "/api/frames") {
      std::string body = "{\"cameras\":[";
      bool first = true;
      for (const auto& [id, f] : frames) {
        if (!first) body += ",";
        first = false;
        body += "{\"id\":" + json_string(id) + ",\"seq\":" + std::to_string(f.seq) +
                ",\"bytes\":" + std::to_string(f.jpeg->size()) + "}";
      }
      body += "]}";
      return json(res, std::make_shared<const std::string>(std::move(body)));
    }
    if (std::string camera = between(path, "/api/frames/", ".jpg"); !camera.empty()) {
      auto it = frames.find(camera);
      if (it == frames.end()) return not_found(res);
      res.status = 200;
      res.content_type = "image/jpeg";
      res.body = it->second.jpeg;
      res.headers.emplace_back("Cache-Control", "no-store");
      res.headers.emplace_back("X-Frame-Seq", std::to_string(it->second.seq));
      return;
    }
    if (std::string camera = between(path, "/api/stream/", ".mjpg"); !camera.empty()) {
      // The server holds the connection and sends each part publish_frame() hands it; the
      // stream limit is the server's (503 beyond it, answered at once).
      res.status = 200;
      res.content_type = "multipart/x-mixed-replace; boundary=percept-frame";
      res.headers.emplace_back("Cache-Control", "no-store");
      res.stream = camera;
      return;
    }
    not_found(res);
  }
};

DashboardServer::DashboardServer(const DashboardServerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  if (m.options.history == 0) m.options.history = 1;
  web::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.allowed_hosts = options.allowed_hosts;
  http.limits.max_streams = options.max_streams;
  m.server = std::make_unique<web::HttpServer>(
      http, [&m](const web::HttpRequest& req, web::HttpResponse& res) { m.handle(req, res); },
      "dashboard");
}

DashboardServer::~DashboardServer() {
  impl_->server->stop();
}

int DashboardServer::port() const {
  return impl_->server->port();
}

const std::string& DashboardServer::host() const {
  return impl_->options.host;
}

void DashboardServer::publish_telemetry(const TelemetrySnapshot& snapshot) {
  auto json = std::make_shared<const std::string>(telemetry_jsonl(snapshot));
  auto text = std::make_shared<const std::string>(prometheus_text(snapshot));
  std::lock_guard lock(impl_->mutex);
  Impl& m = *impl_;
  m.stats_json = json;
  m.metrics_text = std::move(text);
  m.history.push_back(json);
  m.history_bytes += json->size();
  // Bounded by count and by bytes: a snapshot grows with cameras and models.
  while (m.history.size() > m.options.history ||
         (m.history.size() > 1 && m.history_bytes > m.options.history_max_bytes)) {
    m.history_bytes -= m.history.front()->size();
    m.history.pop_front();
  }
  m.history_body.reset();
}

void DashboardServer::publish_frame(const std::string& camera, std::string jpeg) {
  auto bytes = std::make_shared<const std::string>(std::move(jpeg));
  std::string part = "--percept-frame\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                     std::to_string(bytes->size()) + "\r\n\r\n";
  part.reserve(part.size() + bytes->size() + 2);
  part += *bytes;
  part += "\r\n";
  {
    std::lock_guard lock(impl_->mutex);
    Impl::CameraFrame& f = impl_->frames[camera];
    f.jpeg = std::move(bytes);
    ++f.seq;
  }
  impl_->server->publish(camera, std::make_shared<const std::string>(std::move(part)));
}

}  // namespace percept
