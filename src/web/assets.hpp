// The dashboard's front-end files, built into the binary: web/*.{html,js,css} and uPlot from
// web/node_modules (pinned by web/package-lock.json). The table is generated at build time by
// cmake/embed_assets.cmake; nothing is read from disk at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace percept::web {

struct Asset {
  std::string_view name;  // file name, e.g. "dashboard.js"
  const unsigned char* data;
  size_t size;
};

// Every embedded file; the pointers live as long as the program.
extern const Asset kAssets[];
extern const size_t kAssetCount;

// The asset with exactly this name, or nullptr.
inline const Asset* find_asset(std::string_view name) {
  for (size_t i = 0; i < kAssetCount; ++i)
    if (kAssets[i].name == name) return &kAssets[i];
  return nullptr;
}

}  // namespace percept::web
