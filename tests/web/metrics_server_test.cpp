#include "percept/web/metrics_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include "percept/core/error.hpp"

namespace percept {
namespace {

TEST(MetricsServer, ServesTheLatestTextOnLoopbackAndNothingElse) {
  MetricsServer server({"127.0.0.1", 0});
  ASSERT_GT(server.port(), 0);
  server.publish("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n");

  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(5);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body, "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n");

  server.publish("a_total 2\n");  // the next scrape sees the new text
  res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "a_total 2\n");

  res = client.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = client.Get("/metrics/extra");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(MetricsServer, APortInUseIsAnErrorNamingIt) {
  MetricsServer first({"127.0.0.1", 0});
  try {
    MetricsServer second({"127.0.0.1", first.port()});
    FAIL() << "bound twice";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos);
  }
}

TEST(MetricsServer, StopsPromptlyWhenDestroyed) {
  int port = 0;
  {
    MetricsServer server({"127.0.0.1", 0});
    port = server.port();
  }
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  EXPECT_FALSE(client.Get("/metrics"));  // nobody listens any more
}

}  // namespace
}  // namespace percept
