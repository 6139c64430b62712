// The sink table: the runtime opens the sinks the config asks for through it, in its order,
// and knows none by name.
#include "percept/pipeline/sink_registry.hpp"
#include "percept/ros2/ros2.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.hpp"

namespace percept {
namespace {

TEST(SinkRegistry, ListsEverySinkOnceInOpeningOrder) {
  std::vector<std::string> names;
  for (const SinkSpec& s : sink_registry()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"jsonl", "video", "mosaic", "images", "ros2", "bag"}));
}

TEST(SinkRegistry, OpensExactlyTheSinksTheConfigAsksFor) {
  const std::filesystem::path dir = test::fresh_test_dir("percept_sink_registry_");
  PipelineConfig cfg;
  cfg.output.dir = dir.string();
  CameraConfig cam;
  cam.id = "a";
  cfg.cameras.push_back(cam);
  PipelineInfo info;
  info.camera_ids = {"a"};
  info.camera_models = {{}};
  info.camera_depth_model = {-1};
  const auto names = [&] {
    std::vector<std::string> n;
    for (const auto& s : open_sinks({cfg, info, {30.0}})) n.push_back(s->name());
    return n;
  };
  cfg.output.jsonl = true;
  cfg.output.video = false;
  cfg.output.images = false;
  EXPECT_EQ(names(), (std::vector<std::string>{"jsonl"}));
  cfg.output.jsonl = false;
  cfg.output.images = true;
  cfg.output.video = true;
  EXPECT_EQ(names(), (std::vector<std::string>{"video", "images"}));
  cfg.output.video = false;
  cfg.output.images = false;
  EXPECT_TRUE(names().empty());
  if (ros2_available()) {  // the bag sink needs Cyclone's CDR serialiser
    cfg.output.bag = BagOptions{};
    cfg.output.bag->path = (dir / "rec" / "b.mcap").string();
    EXPECT_EQ(names(), (std::vector<std::string>{"bag"}));
    EXPECT_TRUE(std::filesystem::exists(dir / "rec" / "b.mcap"));
    cfg.output.bag.reset();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace percept
