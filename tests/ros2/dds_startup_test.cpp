// DDS start-up that respects the user's CYCLONEDDS_URI (issue 18 item 3): percept adds only what
// the user's configuration does not already select, and a failure says what was tried and
// what to change. Each test runs in its own process (ctest), so setenv stays local.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "dds_context.hpp"
#include "dds_test_util.hpp"
#include "node_graph.hpp"
#include "percept/core/error.hpp"

namespace percept::ros2 {
namespace {

namespace fs = std::filesystem;

// A common ROS 2 set-up: the loopback interface chosen by name in CYCLONEDDS_URI.
const char* kLoopbackByName =
    "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"lo\"/>"
    "</Interfaces></General></Domain></CycloneDDS>";

TEST(DdsStartup, InterfacesTheUserChoseAreKeptNotRepeated) {
  ASSERT_EQ(setenv("CYCLONEDDS_URI", kLoopbackByName, 1), 0);
  Ros2Config c;
  c.localhost_only = true;
  c.domain_id = test::random_domain();
  const std::string xml = domain_config_xml(c);
  EXPECT_EQ(xml.rfind(kLoopbackByName, 0), 0u) << "the user's configuration comes first";
  EXPECT_EQ(xml.find("<Interfaces>", std::string(kLoopbackByName).size()), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<Peer address=\"127.0.0.1\"/>"), std::string::npos) << xml;
  // What percept used to do, the interface a second time by address: Cyclone refuses it.
  const std::string twice =
      std::string(kLoopbackByName) +
      ",<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface "
      "address=\"127.0.0.1\" multicast=\"true\"/></Interfaces></General></Domain></CycloneDDS>";
  const dds_entity_t old_way =
      dds_create_domain(static_cast<dds_domainid_t>(c.domain_id % 200 + 1), twice.c_str());
  EXPECT_LT(old_way, 0) << "Cyclone takes the interface twice now; this rule may go";
  if (old_way > 0) dds_delete(old_way);
  // percept's configuration starts, and its node comes up on it.
  std::shared_ptr<Node> node;
  ASSERT_NO_THROW(node = Node::get(c));
  EXPECT_GT(node->participant(), 0);
  EXPECT_EQ(node->announcements(), 1u);
  unsetenv("CYCLONEDDS_URI");
}

TEST(DdsStartup, FileUrisAreReadForWhatTheySelect) {
  const fs::path dir =
      fs::path(PERCEPT_BUILD_DIR) / "testdata" / ("dds_startup_" + std::to_string(getpid()));
  fs::create_directories(dir);
  test::write_file((dir / "cyclone.xml").string(),
                   "<CycloneDDS><Domain><General><Interfaces><NetworkInterface name=\"lo\"/>"
                   "</Interfaces></General><Discovery><Peers><Peer address=\"localhost\"/>"
                   "</Peers></Discovery></Domain></CycloneDDS>");
  UserDdsConfig u = read_user_dds_config(("file://" + (dir / "cyclone.xml").string()).c_str());
  EXPECT_TRUE(u.selects_interfaces);
  EXPECT_TRUE(u.sets_peers);
  EXPECT_TRUE(u.unreadable.empty());
  u = read_user_dds_config((dir / "cyclone.xml").string().c_str());  // a plain path works too
  EXPECT_TRUE(u.selects_interfaces);
  u = read_user_dds_config(
      "<CycloneDDS><Domain><Tracing><Verbosity>warning</Verbosity>"
      "</Tracing></Domain></CycloneDDS>");
  EXPECT_FALSE(u.selects_interfaces);
  EXPECT_FALSE(u.sets_peers);
  u = read_user_dds_config(nullptr);
  EXPECT_TRUE(u.uri.empty());
  fs::remove_all(dir);
}

TEST(DdsStartup, AFailureSaysWhatWasTriedAndWhatToChange) {
  ASSERT_EQ(setenv("CYCLONEDDS_URI", "file:///nonexistent/percept/cyclone.xml", 1), 0);
  Ros2Config c;
  c.localhost_only = true;
  c.domain_id = test::random_domain();
  try {
    Node::get(c);
    FAIL() << "DDS started with an unreadable CYCLONEDDS_URI";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cannot start DDS on domain " + std::to_string(c.domain_id)),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("Tried Cyclone DDS configuration: file:///nonexistent"), std::string::npos)
        << m;
    EXPECT_NE(m.find("'/nonexistent/percept/cyclone.xml', which cannot be read"), std::string::npos)
        << m;
    EXPECT_NE(m.find("localhost_only is on"), std::string::npos) << m;
  }
  unsetenv("CYCLONEDDS_URI");
}

}  // namespace
}  // namespace percept::ros2
