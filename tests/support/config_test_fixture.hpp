// The fixture of the config tests of every module: a fresh folder per test that holds a model
// (m.onnx) and a stand-in video (clip.avi) for configs to point at, write() to put a config
// there, and expect_error() for a config that must fail with "c.yaml:LINE:" and fragments.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include "percept/core/error.hpp"
#include "percept/pipeline/config.hpp"
#include "support/temp_dir.hpp"

namespace percept::test {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    dir_ = fresh_test_dir("percept_config_");
    fs::copy_file(std::string(PERCEPT_TEST_DATA) + "/const_v8.onnx", dir_ / "m.onnx",
                  fs::copy_options::overwrite_existing);
    std::ofstream(dir_ / "clip.avi") << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text) {
    auto p = (dir_ / "c.yaml").string();
    std::ofstream(p) << text;
    return p;
  }
  // Expects loading to fail with "c.yaml:LINE:" and every fragment in the message.
  void expect_error(const std::string& text, int line, std::initializer_list<std::string> frags) {
    auto p = write(text);
    try {
      load_pipeline_config(p);
      FAIL() << "no error for:\n" << text;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(p + ":" + std::to_string(line) + ":"), std::string::npos) << msg;
      for (const auto& f : frags) EXPECT_NE(msg.find(f), std::string::npos) << msg;
    }
  }
  std::filesystem::path dir_;
};

}  // namespace percept::test
