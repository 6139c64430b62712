// camera_info YAML loading: the three distortion models, and a clear FILE:LINE: key error for
// each kind of bad file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "percept/imgproc/camera_info.hpp"
#include "test_cameras.hpp"

using namespace percept;

namespace {

const std::string kData = std::string(PERCEPT_TEST_DATA) + "/camera_info/";

std::string read(const std::string& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The valid plumb_bob file with `from` replaced by `to`, written to a temporary file.
std::string variant(const std::string& name, const std::string& from, const std::string& to) {
  std::string text = read(kData + "plumb_bob_640x480.yaml");
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  const auto dir = std::filesystem::temp_directory_path() / "percept_camera_info_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (name + ".yaml")).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(CameraInfo, LoadsPlumbBob) {
  auto cam = load_camera_info(kData + "plumb_bob_640x480.yaml");
  ASSERT_TRUE(cam.ok()) << cam.error().message();
  EXPECT_EQ(cam->camera_name, "front");
  EXPECT_EQ(cam->width, 640);
  EXPECT_EQ(cam->height, 480);
  EXPECT_EQ(cam->model, DistortionModel::plumb_bob);
  EXPECT_DOUBLE_EQ(cam->K[0], 612.5);
  EXPECT_DOUBLE_EQ(cam->K[5], 241.7);
  EXPECT_DOUBLE_EQ(cam->D[0], -0.281);
  EXPECT_DOUBLE_EQ(cam->D[4], -0.0135);
  EXPECT_DOUBLE_EQ(cam->D[5], 0.0);
  EXPECT_DOUBLE_EQ(cam->P[6], 239.4);
}

TEST(CameraInfo, LoadsRationalAndEquidistant) {
  auto r = load_camera_info(kData + "rational_1280x720.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->model, DistortionModel::rational_polynomial);
  EXPECT_DOUBLE_EQ(r->D[7], -0.0411);
  auto e = load_camera_info(kData + "equidistant_640x480.yaml");
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->model, DistortionModel::equidistant);
  EXPECT_DOUBLE_EQ(e->D[3], 0.0117);
}

TEST(CameraInfo, BadFilesNameFileLineAndKey) {
  struct Case {
    const char* name;
    const char* from;
    const char* to;
    const char* expect;  // substring after "FILE:"
  };
  const Case cases[] = {
      {"missing_width", "image_width: 640\n", "", "image_width: missing"},
      {"bad_width", "image_width: 640", "image_width: wide", "3: image_width: must be an integer"},
      {"zero_height", "image_height: 480", "image_height: 0", "4: image_height: 0 is out of range"},
      {"unknown_key", "camera_name: front", "camera_nmae: front", "5: camera_nmae: unknown key"},
      {"model", "distortion_model: plumb_bob", "distortion_model: kannala",
       "10: distortion_model: 'kannala' is not supported"},
      {"k_shape", "  rows: 3\n  cols: 3\n  data: [612.5", "  rows: 2\n  cols: 3\n  data: [612.5",
       "camera_matrix: is 2x3, expected 3x3"},
      {"k_count", "[612.5, 0, 318.2, 0, 610.9, 241.7, 0, 0, 1]", "[612.5, 0, 318.2]",
       "9: camera_matrix: data has 3 numbers, rows x cols = 9"},
      {"k_number", "[612.5, 0, 318.2,", "[612.5, 0, abc,", "9: camera_matrix: data: 'abc' is not"},
      {"k_not_camera", "[612.5, 0, 318.2, 0, 610.9", "[-612.5, 0, 318.2, 0, 610.9",
       "camera_matrix: is not a camera matrix"},
      {"d_count", "  cols: 5\n  data: [-0.281, 0.0912, 0.00071, -0.00043, -0.0135]",
       "  cols: 3\n  data: [-0.281, 0.0912, 0.00071]",
       "distortion_coefficients: 3 coefficients do not fit plumb_bob"},
      {"r_missing",
       "rectification_matrix:", "rectification_matrx:", "rectification_matrx: unknown key"},
      {"r_not_rotation", "data: [1, 0, 0, 0, 1, 0, 0, 0, 1]", "data: [2, 0, 0, 0, 1, 0, 0, 0, 1]",
       "rectification_matrix: is not a rotation"},
      {"p_zero", "[540.3, 0, 320.6, 0, 0, 556.1,", "[0, 0, 320.6, 0, 0, 0,",
       "projection_matrix: fx' and fy' must be > 0"},
      {"p_singular", "239.4, 0, 0, 0, 1, 0]", "239.4, 0, 0, 0, 0, 0]",
       "projection_matrix: its left 3x3 is singular"},
      {"p_key", "projection_matrix:\n  rows: 3", "projection_matrix:\n  rowz: 3",
       "projection_matrix: unknown key 'rowz'"},
      {"syntax", "image_height: 480", "image_height: [480", "YAML syntax error"},
  };
  for (const auto& c : cases) {
    const std::string path = variant(c.name, c.from, c.to);
    auto cam = load_camera_info(path);
    ASSERT_FALSE(cam.ok()) << c.name;
    const std::string msg = cam.error().message();
    EXPECT_EQ(msg.rfind(path + ":", 0), 0u) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  }
  auto none = load_camera_info(kData + "does_not_exist.yaml");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("not found"), std::string::npos);
}

TEST(CameraInfo, FilesEqualTheGpuTestsCopies) {
  for (const CameraInfo& want : test::test_cameras()) {
    auto got = load_camera_info(kData + want.camera_name + ".yaml");
    ASSERT_TRUE(got.ok()) << got.error().message();
    EXPECT_EQ(got->width, want.width);
    EXPECT_EQ(got->height, want.height);
    EXPECT_EQ(got->model, want.model);
    EXPECT_EQ(got->K, want.K);
    EXPECT_EQ(got->D, want.D);
    EXPECT_EQ(got->R, want.R);
    EXPECT_EQ(got->P, want.P);
  }
}
