#include "percept/io/pfm.hpp"

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

namespace percept {

Status write_pfm(const std::string& path, const DepthMap& map) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return Error(ErrorCode::io, "cannot write '" + path + "'");
  f << "Pf\n" << map.width << " " << map.height << "\n-1.0\n";
  static_assert(std::endian::native == std::endian::little, "PFM writer assumes little endian");
  for (int y = map.height - 1; y >= 0; --y)
    f.write(reinterpret_cast<const char*>(map.values.data() + static_cast<size_t>(y) * map.width),
            static_cast<std::streamsize>(sizeof(float) * static_cast<size_t>(map.width)));
  f.close();
  if (!f) return Error(ErrorCode::io, "cannot write '" + path + "' (disk full?)");
  return {};
}

Result<DepthMap> read_pfm(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error(ErrorCode::io, "cannot open '" + path + "'");
  std::string magic;
  int w = 0, h = 0;
  double scale = 0;
  f >> magic >> w >> h >> scale;
  if (!f || magic != "Pf")
    return Error(ErrorCode::invalid_argument,
                 "'" + path + "' is not a single-channel PFM (expected a 'Pf' header)");
  if (w <= 0 || h <= 0 || w > 65536 || h > 65536 || scale == 0)
    return Error(ErrorCode::invalid_argument,
                 "'" + path + "': bad PFM size " + std::to_string(w) + "x" + std::to_string(h));
  f.get();  // the single whitespace byte after the scale
  DepthMap d;
  d.width = w;
  d.height = h;
  d.values.resize(static_cast<size_t>(w) * h);
  const bool swap = (scale < 0) != (std::endian::native == std::endian::little);
  for (int y = h - 1; y >= 0; --y) {
    float* row = d.values.data() + static_cast<size_t>(y) * w;
    f.read(reinterpret_cast<char*>(row), static_cast<std::streamsize>(sizeof(float) * w));
    if (!f)
      return Error(ErrorCode::invalid_argument,
                   "'" + path + "' is truncated (row " + std::to_string(h - 1 - y) + ")");
    if (swap)
      for (int x = 0; x < w; ++x) {
        uint32_t u;
        std::memcpy(&u, row + x, 4);
        u = __builtin_bswap32(u);
        std::memcpy(row + x, &u, 4);
      }
  }
  return d;
}

}  // namespace percept
