// Runs the real `percept` binary (PERCEPT_BINARY) with arguments, for the tests of its
// commands: the exit code and everything it printed, stdout and stderr together.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace cli_test {

struct Ran {
  int code = -1;
  std::string out;  // stdout and stderr
};

inline Ran run_percept(const std::string& args) {
  Ran r;
  const std::string cmd = std::string(PERCEPT_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace cli_test
