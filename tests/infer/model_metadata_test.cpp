#include "percept/infer/model_metadata.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace percept {
namespace {

TEST(ClassNames, UltralyticsDictRepr) {
  auto n = parse_class_names("{0: 'person', 1: 'bicycle', 2: \"person's bag\", 3: 'a\\'b'}");
  ASSERT_TRUE(n.ok()) << n.error().message();
  ASSERT_EQ(n->size(), 4u);
  EXPECT_EQ((*n)[0], "person");
  EXPECT_EQ((*n)[2], "person's bag");
  EXPECT_EQ((*n)[3], "a'b");
}

TEST(ClassNames, OutOfOrderIdsAndJsonAndList) {
  auto a = parse_class_names("{1: 'b', 0: 'a'}");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[0], "a");
  auto j = parse_class_names(R"({"0": "x", "1": "y"})");
  ASSERT_TRUE(j.ok()) << j.error().message();
  EXPECT_EQ((*j)[1], "y");
  auto l = parse_class_names("['cat', 'dog']");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->size(), 2u);
}

TEST(ClassNames, Errors) {
  EXPECT_FALSE(parse_class_names("person, bicycle").ok());
  EXPECT_FALSE(parse_class_names("{0: 'a', 2: 'c'}").ok());  // gap
  EXPECT_FALSE(parse_class_names("{0: 'a', 0: 'b'}").ok());  // duplicate
  EXPECT_FALSE(parse_class_names("{0: 'a'").ok());           // truncated
  EXPECT_FALSE(parse_class_names("{0: 'a}").ok());           // unterminated string
  EXPECT_FALSE(parse_class_names("{99999999999999999999: 'a'}").ok());
}

TEST(Imgsz, Forms) {
  auto a = parse_imgsz("[480, 640]");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->width, 640);
  EXPECT_EQ(a->height, 480);
  EXPECT_EQ(parse_imgsz("320")->width, 320);
  EXPECT_FALSE(parse_imgsz("[]"));
  EXPECT_FALSE(parse_imgsz("[1, 2, 3]"));
  EXPECT_FALSE(parse_imgsz("[99999999999999999999]"));
}

TEST(LabelsFile, ReadsLinesAndNamesBadLine) {
  auto dir = std::filesystem::temp_directory_path();
  auto good = (dir / "percept_labels_good.txt").string();
  std::ofstream(good) << "cat\ndog \n\n";
  auto l = load_labels_file(good);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1], "dog");
  auto bad = (dir / "percept_labels_bad.txt").string();
  std::ofstream(bad) << "cat\n\ndog\n";
  auto b = load_labels_file(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find(bad + ":2:"), std::string::npos) << b.error().message();
  EXPECT_FALSE(load_labels_file("/nonexistent/labels.txt").ok());
}

}  // namespace
}  // namespace percept
