// The request-head parser and the Host rule of src/web/http_server.hpp, without sockets.
#include "http_request.hpp"

#include <gtest/gtest.h>

namespace percept::web {
namespace {

TEST(HttpRequestHead, ParsesPathQueryHeadersAndConnection) {
  HttpLimits lim;
  ParsedHead p = parse_request_head(
      "GET /api/frames/left%20cam.jpg?token=a%2Bb+c&x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
      "Connection: Keep-Alive, Close\r\nX-Empty:\r\n",
      lim);
  ASSERT_EQ(p.error, 0) << p.why;
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.path, "/api/frames/left cam.jpg");
  EXPECT_EQ(p.request.param("token"), "a+b c");
  EXPECT_EQ(p.request.param("x"), "");
  EXPECT_FALSE(p.request.param("y"));
  ASSERT_TRUE(p.request.header("host"));
  EXPECT_EQ(*p.request.header("host"), "127.0.0.1:8080");
  EXPECT_FALSE(p.keep_alive);
  EXPECT_TRUE(parse_request_head("GET / HTTP/1.0\r\nConnection: keep-alive", lim).keep_alive);
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.0", lim).keep_alive);
}

TEST(HttpRequestHead, RefusesWhatItCannotTrust) {
  HttpLimits lim;
  lim.max_headers = 3;
  auto error = [&](const std::string& head) { return parse_request_head(head, lim).error; };
  EXPECT_EQ(error("GET / HTTP/1.1\r\nHost: a\r\nb: 1\r\nc: 2\r\nd: 3"), 431);
  EXPECT_EQ(error("GET / HTTP/1.1"), 400);  // no Host
  EXPECT_EQ(error("GET / HTTP/2.0\r\nHost: a"), 505);
  EXPECT_EQ(error("GET /%zz HTTP/1.1\r\nHost: a"), 400);
  EXPECT_EQ(error("GET /% HTTP/1.1\r\nHost: a"), 400);
  EXPECT_EQ(error("GET http://x/ HTTP/1.1\r\nHost: a"), 400);
  EXPECT_EQ(error("GET  / HTTP/1.1\r\nHost: a"), 400);
  EXPECT_EQ(error("GET / HTTP/1.1\r\nHost: a\r\n folded"), 400);
  EXPECT_EQ(error("GET / HTTP/1.1\r\nHost: a\r\nbad header"), 400);
  EXPECT_EQ(error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12x"), 400);
  EXPECT_EQ(error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2"), 400);
  EXPECT_EQ(error("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999"), 400);
  ParsedHead p = parse_request_head("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked", lim);
  EXPECT_EQ(p.error, 0);
  EXPECT_TRUE(p.has_body_encoding);
}

TEST(HttpHost, OnlyNamesOfThisMachineUnlessAllowed) {
  const std::vector<std::string> names = {"robot.lan"};
  for (const char* ok :
       {"127.0.0.1", "127.0.0.1:8080", "10.1.2.3:80", "[::1]:8080", "[fe80::1]", "localhost",
        "LOCALHOST:1", "localhost.", "app.localhost", "robot.lan", "Robot.Lan:9464"})
    EXPECT_TRUE(host_allowed(ok, names)) << ok;
  for (const char* bad :
       {"", "attacker.example", "attacker.example:8080", "127.0.0.1.nip.io",
        "localhost.attacker.example", "robot.lan.evil", "[::1", "[nothex]", "127.0.0.1:80x",
        "robot.lan:", "[::1]junk", "[::1]:80x", "local host", "robot.lan:123456"})
    EXPECT_FALSE(host_allowed(bad, names)) << bad;
  // A NUL must not cut "localhost\0.attacker.example" down to "localhost".
  EXPECT_FALSE(host_allowed(std::string_view("localhost\0.attacker.example", 28), names));
  EXPECT_TRUE(host_allowed("anything.example", {"*"}));
}

}  // namespace
}  // namespace percept::web
