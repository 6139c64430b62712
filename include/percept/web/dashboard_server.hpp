// The live dashboard of `percept run --serve`: one HTTP server (src/web/http_server.hpp: one
// event-loop thread, limits on every request, docs/DASHBOARD.md) for people and for scrapers.
// Routes (GET and HEAD):
//   /                          the dashboard page (assets built into the binary, no CDN)
//   /assets/<name>             its JavaScript and CSS (public: code, no data)
//   /metrics                   Prometheus text of the latest snapshot
//   /api/stats                 the latest snapshot as JSON (the telemetry JSONL schema)
//   /api/history               the last `history` snapshots, oldest first, as a JSON array
//   /api/frames                {"cameras": [{"id", "seq", "bytes"}]}: which frames exist
//   /api/frames/<camera>.jpg   the latest annotated frame of a camera (JPEG)
//   /api/stream/<camera>.mjpg  the annotated frames as they come (multipart/x-mixed-replace)
// Anything else is 404; a path with a ".." segment (also percent-encoded) is 400; a Host
// header that is not a name of this machine is 403 (DNS rebinding); the server's own limits
// refuse oversized heads and bodies. With a token, every route but /assets/ wants
// `Authorization: Bearer <token>` or `?token=<token>` (for <img> tags, which cannot send
// headers) and answers 401 otherwise.
//
// The server only stores what it is handed: snapshots from the telemetry thread and JPEG bytes
// already encoded by the caller (the web module does not link OpenCV). Publishing copies under
// a short lock; nothing here blocks the caller on a client.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "percept/telemetry/snapshot.hpp"

namespace percept {

struct DashboardServerOptions {
  std::string host = "127.0.0.1";      // loopback unless asked: the page shows the cameras
  int port = 8080;                     // 0: pick a free port (read it back with port())
  std::string token;                   // empty: no authentication
  size_t history = 600;                // snapshots kept for /api/history (10 min at 1 Hz)
  size_t max_streams = 4;              // concurrent MJPEG clients; more get 503
  size_t history_max_bytes = 8 << 20;  // /api/history drops its oldest snapshots beyond this
  // Host names the page may be reached by, besides IP literals, localhost, this machine's
  // host name and `host` (DNS rebinding guard); "*" turns the check off.
  std::vector<std::string> allowed_hosts;
};

class DashboardServer {
 public:
  // Binds before returning (throws percept::Error naming host:port when it cannot), then
  // serves until destroyed.
  explicit DashboardServer(const DashboardServerOptions& options);
  ~DashboardServer();  // ends open streams, stops serving and joins its threads
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  int port() const;
  const std::string& host() const;

  // Any thread. Stores the snapshot as JSON and as Prometheus text.
  void publish_telemetry(const TelemetrySnapshot& snapshot);
  // Any thread. Replaces the camera's latest frame (JPEG bytes) and wakes its streams.
  void publish_frame(const std::string& camera, std::string jpeg);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace percept
