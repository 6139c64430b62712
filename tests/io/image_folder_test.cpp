// Image folders and globs as sources, against the entries issue 24 found: a symlink loop among
// the images aborted the whole run, and a glob such as *a*a*a*a*b.png backtracked for 18 s
// against one long name. A loop is now a frame that fails to read (counted), and the glob
// matcher is greedy with one backtrack point (pattern x name steps at most).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "percept/io/source.hpp"
#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

void write_png(const fs::path& p) {
  ASSERT_TRUE(cv::imwrite(p.string(), cv::Mat(8, 12, CV_8UC3, cv::Scalar(10, 20, 30))));
}

SourceConfig images(const std::string& path) {
  SourceConfig c;
  c.camera = "cam";
  c.kind = SourceKind::images;
  c.path = path;
  return c;
}

// Reads every frame: {frames read, read errors}.
std::pair<int, int> drain(Source& s) {
  Image img;
  int ok = 0, errors = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = s.read(img);
    if (!r) {
      ++errors;
      continue;
    }
    if (!*r) break;
    ++ok;
  }
  return {ok, errors};
}

TEST(ImageFolder, ASymlinkLoopIsAReadErrorNotAnAbort) {
  const fs::path dir = test::fresh_test_dir("percept_image_folder_");
  write_png(dir / "a.png");
  write_png(dir / "c.png");
  fs::create_symlink("b.png", dir / "b.png");  // points at itself: ELOOP
  std::unique_ptr<Source> src;
  ASSERT_NO_THROW(src = open_source(images(dir.string())));
  EXPECT_EQ(src->frame_count(), 3);
  EXPECT_EQ(drain(*src), (std::pair<int, int>{2, 1}));
  ASSERT_NO_THROW(src = open_source(images((dir / "*.png").string())));  // the glob lists it too
  EXPECT_EQ(drain(*src), (std::pair<int, int>{2, 1}));
  fs::remove_all(dir);
}

TEST(ImageFolder, GlobsMatchAsBeforeWithoutBacktrackingForever) {
  const fs::path dir = test::fresh_test_dir("percept_image_glob_");
  write_png(dir / "frame_01.png");
  write_png(dir / "frame_02.png");
  write_png(dir / "aaaaaaaaab.png");
  write_png(dir / (std::string(60, 'a') + ".png"));  // the recursive matcher's worst case
  const auto count = [&](const std::string& pattern) -> int64_t {
    try {
      return open_source(images((dir / pattern).string()))->frame_count();
    } catch (const Error&) {
      return 0;  // "no image files"
    }
  };
  EXPECT_EQ(count("frame_??.png"), 2);
  EXPECT_EQ(count("frame_*"), 2);
  EXPECT_EQ(count("*.png"), 4);
  EXPECT_EQ(count("*b.png"), 1);
  EXPECT_EQ(count("frame_0?.jpg"), 0);
  EXPECT_EQ(count("*"), 4);
  EXPECT_EQ(count("a*a*b*"), 1);
  // Ten stars against 60 a's: about C(60, 9) steps for the old recursive matcher (minutes), a
  // few thousand for this one.
  EXPECT_EQ(count("*a*a*a*a*a*a*a*a*a*b.png"), 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace percept
