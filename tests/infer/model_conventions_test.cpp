// Where a model's conventions come from: metadata_props, the sidecar YAML, the config, and their
// order of precedence; errors name the file, the line or the key.
#include "percept/infer/model_conventions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

class Conventions : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = percept::test::fresh_test_dir("percept_conv_"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(Conventions, MetadataKeysAsExportersWriteThem) {
  auto c = conventions_from_metadata({{"task", "depth"},
                                      {"imgsz", "[168, 224]"},
                                      {"names", "{0: 'floor', 1: 'wall'}"},
                                      {"layout", "nchw"},
                                      {"color", "rgb"},
                                      {"mean", "[0.485, 0.456, 0.406]"},
                                      {"std", "[58.395, 57.12, 57.375]"},  // 0..255 units
                                      {"resize", "stretch"},
                                      {"depth_unit", "m"},
                                      {"author", "ignored"}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(*c->task, "depth");
  EXPECT_EQ(c->input_size->width, 224);
  EXPECT_EQ(c->input_size->height, 168);
  EXPECT_EQ(*c->labels, (std::vector<std::string>{"floor", "wall"}));
  EXPECT_FALSE(*c->nhwc);
  EXPECT_TRUE(*c->rgb);
  EXPECT_FLOAT_EQ((*c->mean)[1], 0.456f);
  EXPECT_NEAR((*c->std)[0], 0.229f, 1e-6);
  EXPECT_EQ(*c->depth_unit, "m");
  EXPECT_EQ(c->origin("task"), "from metadata");
  EXPECT_EQ(c->origin("stride"), "not set");
  // Which tasks exist is the task registry's business, a layer above: the metadata's task is
  // kept as written (open_task leaves one it does not know to the shape inference, tested in
  // dense_task_test), and a value that is no task name at all is skipped, not an error.
  auto pose = conventions_from_metadata({{"task", "pose"}});
  ASSERT_TRUE(pose);
  EXPECT_EQ(*pose->task, "pose");
  auto prose = conventions_from_metadata({{"task", "Detect things!"}});
  ASSERT_TRUE(prose);
  EXPECT_FALSE(prose->task);
}

TEST_F(Conventions, BadMetadataValueNamesTheKey) {
  auto c = conventions_from_metadata({{"color", "cmyk"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "metadata: 'color' is 'cmyk'; expected rgb or bgr");
  EXPECT_FALSE(conventions_from_metadata({{"mean", "[0.1, 0.2]"}}));
  EXPECT_FALSE(conventions_from_metadata({{"std", "[0, 1, 1]"}}));
}

TEST_F(Conventions, SidecarSitsNextToTheModel) {
  EXPECT_EQ(sidecar_path("models/scene_depth.onnx"), "models/scene_depth.yaml");
  auto none = load_sidecar((dir_ / "missing.yaml").string());
  ASSERT_TRUE(none);  // no sidecar: nothing set, no error
  EXPECT_FALSE(none->task);
}

TEST_F(Conventions, SidecarWithListsMapsAndALabelsFile) {
  write("labels.txt", "road\ncar\n");
  const std::string path = write("m.yaml", R"(task: segment
imgsz: [256, 512]
mean: [0.5, 0.5, 0.5]
std: 0.5
labels: labels.txt
layout: nhwc
)");
  auto c = load_sidecar(path);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(*c->task, "segment");
  EXPECT_EQ(c->input_size->width, 512);
  EXPECT_FLOAT_EQ((*c->std)[2], 0.5f);
  EXPECT_EQ(*c->labels, (std::vector<std::string>{"road", "car"}));
  EXPECT_TRUE(*c->nhwc);
  EXPECT_EQ(c->origin("labels"), "from sidecar " + path);
  auto names = load_sidecar(write("n.yaml", "names: {1: b, 0: a}\n"));
  ASSERT_TRUE(names);
  EXPECT_EQ(*names->labels, (std::vector<std::string>{"a", "b"}));
}

TEST_F(Conventions, SidecarErrorsNameFileAndLine) {
  const std::string bad = write("bad.yaml", "task: depth\ncolour: rgb\n");
  auto c = load_sidecar(bad);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find(bad + ":2: unknown convention 'colour'"), std::string::npos)
      << c.error().message();
  const std::string range = write("range.yaml", "task: depth\n\nresize: crop\n");
  auto r = load_sidecar(range);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find(range + ":3: 'resize' is 'crop'"), std::string::npos)
      << r.error().message();
  const std::string syntax = write("syntax.yaml", "task: [depth\n");
  auto s = load_sidecar(syntax);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("YAML syntax error"), std::string::npos);
  auto lab = load_sidecar(write("lab.yaml", "labels: nowhere.txt\n"));
  ASSERT_FALSE(lab);
  EXPECT_NE(lab.error().message().find("nowhere.txt"), std::string::npos);
}

TEST_F(Conventions, ConfigBeatsSidecarBeatsMetadata) {
  const std::string model = (dir_ / "m.onnx").string();
  write("m.yaml", "task: segment\ncolor: bgr\nstride: 16\n");
  ModelConventions cfg;
  ASSERT_TRUE(set_convention(cfg, "task", "depth", "config").ok());
  auto c = resolve_conventions(
      cfg, model, {{"task", "classify"}, {"color", "rgb"}, {"stride", "32"}, {"imgsz", "640"}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(*c->task, "depth");  // config
  EXPECT_EQ(c->origin("task"), "from config");
  EXPECT_FALSE(*c->rgb);  // sidecar over metadata
  EXPECT_EQ(*c->stride, 16);
  EXPECT_EQ(c->origin("color"), "from sidecar " + (dir_ / "m.yaml").string());
  EXPECT_EQ(c->input_size->width, 640);  // only the metadata has it
  EXPECT_EQ(c->origin("input_size"), "from metadata");
}

}  // namespace
}  // namespace percept
