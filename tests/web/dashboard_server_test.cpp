// The dashboard server against real HTTP clients on loopback: routes, token, refusals.
#include "percept/web/dashboard_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

namespace percept {
namespace {

TelemetrySnapshot sample(double t) {
  TelemetrySnapshot s;
  s.t = t;
  s.interval_s = 1;
  s.fps = 12.5;
  CameraTelemetry c;
  c.id = "front";
  c.fps = 12.5;
  c.frames = {12, 40};
  s.cameras.push_back(c);
  return s;
}

DashboardServerOptions loopback() {
  DashboardServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  return o;
}

httplib::Client client(const DashboardServer& server) {
  httplib::Client c("127.0.0.1", server.port());
  c.set_connection_timeout(5);
  c.set_read_timeout(5);
  c.set_url_encode(false);  // send paths exactly as written
  return c;
}

// Sends `request` as raw bytes and returns the status line (empty when the server just closed).
std::string raw_status(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  char buf[256];
  const ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  close(fd);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  return s.substr(0, s.find("\r\n"));
}

TEST(DashboardServer, ServesThePageStatsHistoryMetricsAndFrames) {
  DashboardServer server(loopback());
  ASSERT_GT(server.port(), 0);
  auto c = client(server);

  auto res = c.Get("/api/stats");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);  // no interval yet

  server.publish_telemetry(sample(100));
  server.publish_telemetry(sample(101));
  res = c.Get("/api/stats");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["t"], 101.0);
  EXPECT_EQ(j["cameras"][0]["id"], "front");
  EXPECT_EQ(j["cameras"][0]["frames_total"], 40);

  res = c.Get("/api/history");
  ASSERT_TRUE(res);
  j = nlohmann::json::parse(res->body);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["t"], 100.0);

  res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("percept_camera_frames_total{camera=\"front\"} 40"), std::string::npos)
      << res->body;

  res = c.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("assets/dashboard.js"), std::string::npos);
  for (const char* asset :
       {"/assets/dashboard.js", "/assets/dashboard.css", "/assets/uPlot.iife.min.js",
        "/assets/uPlot.min.css", "/assets/uPlot.LICENSE.txt"}) {
    res = c.Get(asset);
    ASSERT_TRUE(res) << asset;
    EXPECT_EQ(res->status, 200) << asset;
    EXPECT_GT(res->body.size(), 100u) << asset;
  }

  res = c.Get("/api/frames/front.jpg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);  // no frame yet
  server.publish_frame("front", std::string("\xff\xd8jpeg\xff\xd9", 8));
  res = c.Get("/api/frames/front.jpg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(res->body.size(), 8u);
  EXPECT_EQ(res->get_header_value("X-Frame-Seq"), "1");
  res = c.Get("/api/frames");
  ASSERT_TRUE(res);
  j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["cameras"][0]["id"], "front");
  EXPECT_EQ(j["cameras"][0]["seq"], 1);

  // Camera ids are names, not paths: any id the config allows is reachable, percent-encoded.
  server.publish_frame("left cam \"2\"", "JPEG2");
  res = c.Get("/api/frames/left%20cam%20%222%22.jpg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "JPEG2");
  res = c.Get("/api/frames");
  ASSERT_TRUE(res);
  j = nlohmann::json::parse(res->body);  // the id is escaped in the JSON
  EXPECT_EQ(j["cameras"][1]["id"], "left cam \"2\"");
}

TEST(DashboardServer, StreamsFramesAsMultipartJpeg) {
  DashboardServer server(loopback());
  server.publish_frame("cam", "FRAME-ONE");
  httplib::Client c = client(server);
  std::string got;
  std::string content_type;
  auto res = c.Get(
      "/api/stream/cam.mjpg",
      [&](const httplib::Response& r) {
        content_type = r.get_header_value("Content-Type");
        return true;
      },
      [&](const char* data, size_t n) {
        got.append(data, n);
        if (got.find("FRAME-ONE") != std::string::npos &&
            got.find("FRAME-TWO") == std::string::npos)
          server.publish_frame("cam", "FRAME-TWO");
        return got.find("FRAME-TWO") == std::string::npos;  // stop after the second frame
      });
  EXPECT_EQ(content_type, "multipart/x-mixed-replace; boundary=percept-frame");
  EXPECT_NE(got.find("--percept-frame\r\nContent-Type: image/jpeg\r\nContent-Length: 9\r\n\r\n"
                     "FRAME-ONE\r\n"),
            std::string::npos);
  EXPECT_NE(got.find("FRAME-TWO"), std::string::npos);
}

TEST(DashboardServer, RefusesTraversalUnknownPathsAndOversizedRequests) {
  DashboardServer server(loopback());
  server.publish_telemetry(sample(1));
  auto c = client(server);
  for (const char* path : {"/assets/../../etc/passwd", "/../etc/passwd", "/%2e%2e/etc/passwd",
                           "/assets/%2E%2E%2Fmetrics", "/assets/..%2f..%2fetc%2fpasswd",
                           "/api/frames/..%5c..%5cx.jpg"}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
  }
  for (const char* path : {"/index.html.bak", "/assets/nope.js", "/api", "/api/frames/x.png",
                           "/metrics/extra", "/etc/passwd"}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
  }
  // Only GET and HEAD: a POST is refused before its body is read; the server drops the body
  // for a while instead of resetting the connection, so the answer arrives.
  auto res = c.Post("/api/stats", std::string(1 << 20, 'x'), "application/octet-stream");
  ASSERT_TRUE(res) << httplib::to_string(res.error());  // the server lingers: no reset
  EXPECT_EQ(res->status, 405);
  // Over-long URI and header lines are refused by the server's limits.
  EXPECT_EQ(
      raw_status(server.port(), "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"),
      "HTTP/1.1 414 URI Too Long");
  const std::string big_header =
      "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n";
  const std::string status = raw_status(server.port(), big_header);
  EXPECT_EQ(status, "HTTP/1.1 431 Request Header Fields Too Large");
  // Still serving afterwards.
  res = c.Get("/api/stats");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(DashboardServer, EnforcesTheTokenExceptOnStaticAssets) {
  DashboardServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.token = "s3cret";
  DashboardServer server(o);
  server.publish_telemetry(sample(1));
  server.publish_frame("front", "JPEG");
  auto c = client(server);
  for (const char* path : {"/", "/metrics", "/api/stats", "/api/history", "/api/frames",
                           "/api/frames/front.jpg", "/api/stream/front.mjpg"}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
    EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"percept\"");
    res = c.Get(path, {{"Authorization", "Bearer wrong"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << path;
    res = c.Get(std::string(path) + "?token=s3cre");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << path;
  }
  auto res = c.Get("/api/stats", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = c.Get("/api/frames/front.jpg?token=s3cret");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "JPEG");
  res = c.Get("/assets/dashboard.js");  // code, no data: the login-less page can load it
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(DashboardServer, StopsPromptlyWithAStreamOpen) {
  auto server = std::make_unique<DashboardServer>(loopback());
  server->publish_frame("cam", "X");
  std::thread viewer([port = server->port()] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30);
    c.Get("/api/stream/cam.mjpg", [](const char*, size_t) { return true; });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  server.reset();  // must not wait for the viewer to go away
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  viewer.join();
}

}  // namespace
}  // namespace percept
