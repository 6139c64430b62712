// The `percept run` config parser on arbitrary bytes. Any problem must come out as a
// percept::Error ("FILE:LINE: key: problem"); another exception escaping, a crash or a
// sanitizer report is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "percept/pipeline/config.hpp"

namespace {

// One file per fuzzing process, rewritten for every input (the parser reads paths).
const std::string& config_path() {
  static const std::string p = "/tmp/percept_fuzz_config_" + std::to_string(::getpid()) + ".yaml";
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(config_path().c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    (void)percept::load_pipeline_config(config_path());
  } catch (const percept::Error&) {
    // the expected way to refuse a config
  }
  return 0;
}
