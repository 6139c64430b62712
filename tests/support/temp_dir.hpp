// A fresh, empty folder for the running test: <tmp>/<prefix><pid>_<test name>. ctest runs each
// test in a process of its own, several at once, so the pid and the name keep them apart; the
// folder is emptied first in case an earlier run with the same pid was killed mid-test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace percept::test {

inline std::filesystem::path fresh_test_dir(const std::string& prefix) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / (prefix + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace percept::test
