#include "percept/io/image_header.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

namespace percept {

namespace {

// Random access to the first bytes of a file or a buffer in memory; reads past the end give
// nothing.
class Bytes {
 public:
  explicit Bytes(const std::string& path) : f_(path, std::ios::binary) {}
  Bytes(const uint8_t* data, size_t size) : mem_(data), mem_size_(size) {}
  bool ok() const { return mem_ || f_.is_open(); }

  // `n` bytes at `offset`, or an empty string when the file is shorter.
  std::string at(uint64_t offset, size_t n) {
    if (mem_) {
      if (offset > mem_size_ || mem_size_ - offset < n) return {};
      return std::string(reinterpret_cast<const char*>(mem_ + offset), n);
    }
    std::string out(n, '\0');
    f_.clear();
    f_.seekg(static_cast<std::streamoff>(offset));
    if (!f_ || !f_.read(out.data(), static_cast<std::streamsize>(n))) return {};
    return out;
  }
  // Up to `n` bytes from the start: fewer when the file is shorter.
  std::string prefix(size_t n) {
    if (mem_) return std::string(reinterpret_cast<const char*>(mem_), std::min(n, mem_size_));
    std::string out(n, '\0');
    f_.clear();
    f_.seekg(0);
    f_.read(out.data(), static_cast<std::streamsize>(n));
    out.resize(static_cast<size_t>(std::max<std::streamsize>(0, f_.gcount())));
    return out;
  }

 private:
  std::ifstream f_;
  const uint8_t* mem_ = nullptr;
  size_t mem_size_ = 0;
};

uint64_t be(const std::string& b, size_t i, size_t n) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v = (v << 8) | static_cast<unsigned char>(b[i + k]);
  return v;
}
uint64_t le(const std::string& b, size_t i, size_t n) {
  uint64_t v = 0;
  for (size_t k = n; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i + k]);
  return v;
}

Error bad(const std::string& what) {
  return Error(ErrorCode::invalid_argument, what);
}

Result<ImageSize> png_size(const std::string& head) {
  if (head.size() < 24 || head.compare(12, 4, "IHDR") != 0)
    return bad("PNG header cut short or without IHDR");
  return ImageSize{be(head, 16, 4), be(head, 20, 4)};
}

Result<ImageSize> bmp_size(const std::string& head) {
  if (head.size() < 26) return bad("BMP header cut short");
  if (le(head, 14, 4) == 12) return ImageSize{le(head, 18, 2), le(head, 20, 2)};  // OS/2 core
  // Signed 32-bit; a negative height is a top-down bitmap.
  const auto s32 = [&](size_t i) {
    const int64_t v = static_cast<int32_t>(static_cast<uint32_t>(le(head, i, 4)));
    return static_cast<uint64_t>(v < 0 ? -v : v);
  };
  return ImageSize{s32(18), s32(22)};
}

Result<ImageSize> webp_size(const std::string& head) {
  if (head.size() < 30) return bad("WebP header cut short");
  const std::string chunk = head.substr(12, 4);
  if (chunk == "VP8 ") return ImageSize{le(head, 26, 2) & 0x3fff, le(head, 28, 2) & 0x3fff};
  if (chunk == "VP8L") {
    const uint64_t bits = le(head, 21, 4);
    return ImageSize{(bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1};
  }
  if (chunk == "VP8X") return ImageSize{le(head, 24, 3) + 1, le(head, 27, 3) + 1};
  return bad("WebP without a VP8, VP8L or VP8X chunk first");
}

// Segments from SOI to the first frame header (SOFn); each says its own length.
Result<ImageSize> jpeg_size(Bytes& f) {
  uint64_t pos = 2;
  int stray = 0;
  for (int segments = 0; segments < 10000; ++segments) {
    std::string m = f.at(pos, 2);
    if (m.empty()) break;
    if (static_cast<unsigned char>(m[0]) != 0xFF) {
      // libjpeg skips stray bytes before a marker (with a warning), so a file it decodes may
      // have them: skip them too, up to a bound.
      if (++stray > 65536) return bad("JPEG marker expected");
      ++pos;
      --segments;
      continue;
    }
    const unsigned marker = static_cast<unsigned char>(m[1]);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    pos += 2;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image, or scan data: no frame header
    const std::string len = f.at(pos, 2);
    if (len.empty()) break;
    const uint64_t n = be(len, 0, 2);
    if (n < 2) return bad("JPEG segment length below 2");
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      const std::string h = f.at(pos + 2, 5);  // precision, height, width
      if (h.empty()) break;
      return ImageSize{be(h, 3, 2), be(h, 1, 2)};
    }
    pos += n;
  }
  return bad("JPEG without a frame header (SOF) before its scan data");
}

// The first page's ImageWidth (256) and ImageLength (257) tags.
Result<ImageSize> tiff_size(Bytes& f, const std::string& head) {
  const bool little = head[0] == 'I';
  const auto num = [little](const std::string& b, size_t i, size_t n) {
    return little ? le(b, i, n) : be(b, i, n);
  };
  const bool big = num(head, 2, 2) == 43;
  const uint64_t ifd = big ? num(head, 8, 8) : num(head, 4, 4);
  const size_t count_bytes = big ? 8 : 2, entry_bytes = big ? 20 : 12;
  const std::string c = f.at(ifd, count_bytes);
  if (c.empty()) return bad("TIFF directory offset past the end of the file");
  const uint64_t entries = num(c, 0, count_bytes);
  if (entries > 65535) return bad("TIFF directory with " + std::to_string(entries) + " entries");
  const std::string dir = f.at(ifd + count_bytes, static_cast<size_t>(entries) * entry_bytes);
  if (dir.empty() && entries > 0) return bad("TIFF directory cut short");
  std::optional<uint64_t> w, h;
  for (uint64_t k = 0; k < entries; ++k) {
    const size_t e = static_cast<size_t>(k) * entry_bytes;
    const uint64_t tag = num(dir, e, 2), type = num(dir, e + 2, 2);
    if (tag != 256 && tag != 257) continue;
    const size_t value = e + (big ? 12 : 8);
    uint64_t v = 0;
    if (type == 3) {
      v = num(dir, value, 2);  // SHORT
    } else if (type == 4) {
      v = num(dir, value, 4);  // LONG
    } else if (type == 16 && big) {
      v = num(dir, value, 8);  // LONG8
    } else {
      return bad("TIFF image size of type " + std::to_string(type));
    }
    // libtiff keeps the first of two equal tags, other readers the last: a file that gives
    // two sizes could pass this check with one and be decoded with the other.
    std::optional<uint64_t>& slot = tag == 256 ? w : h;
    if (slot)
      return bad(std::string("TIFF ") + (tag == 256 ? "ImageWidth" : "ImageLength") +
                 " given twice");
    slot = v;
  }
  if (!w || !h) return bad("TIFF first page without ImageWidth and ImageLength");
  return ImageSize{*w, *h};
}

// "P6 # comment\n 640 480 255": the first two numbers after the magic.
Result<ImageSize> pnm_size(Bytes& f) {
  const std::string text = f.prefix(4096);
  uint64_t v[2] = {0, 0};
  size_t i = 2;
  for (uint64_t& out : v) {
    for (;;) {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
      if (i < text.size() && text[i] == '#') {
        while (i < text.size() && text[i] != '\n') ++i;
        continue;
      }
      break;
    }
    size_t digits = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits) {
      if (digits == 18) return bad("PNM size with over 18 digits");
      out = out * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    if (digits == 0) return bad("PNM header without a width and a height");
  }
  return ImageSize{v[0], v[1]};
}

}  // namespace

uint64_t ImageSize::pixels() const {
  if (height != 0 && width > std::numeric_limits<uint64_t>::max() / height)
    return std::numeric_limits<uint64_t>::max();
  return width * height;
}

namespace {

Result<ImageSize> size_from(Bytes& f) {
  const std::string head = f.prefix(32);
  const auto starts = [&](const char* sig, size_t n) {
    return head.size() >= n && std::memcmp(head.data(), sig, n) == 0;
  };
  if (starts("\x89PNG\r\n\x1a\n", 8)) return png_size(head);
  if (starts("\xFF\xD8", 2)) return jpeg_size(f);
  if (starts("BM", 2)) return bmp_size(head);
  if (starts("II*\0", 4) || starts("MM\0*", 4) || starts("II+\0", 4) || starts("MM\0+", 4)) {
    if (head.size() < 16) return bad("TIFF header cut short");
    return tiff_size(f, head);
  }
  if (starts("RIFF", 4) && head.size() >= 12 && head.compare(8, 4, "WEBP") == 0)
    return webp_size(head);
  if (head.size() >= 2 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6') return pnm_size(f);
  return bad("not a PNG, JPEG, BMP, TIFF, WebP or PNM image");
}

}  // namespace

Result<ImageSize> read_image_size(const std::string& path) {
  Bytes f(path);
  if (!f.ok()) return Error(ErrorCode::io, std::string("cannot open: ") + std::strerror(errno));
  return size_from(f);
}

Result<ImageSize> image_size_in_memory(const uint8_t* data, size_t size) {
  Bytes f(data, size);
  return size_from(f);
}

std::string over_limit_text(const ImageSize& size, uint64_t max_pixels) {
  return std::to_string(size.width) + "x" + std::to_string(size.height) + " (" +
         std::to_string(size.pixels()) + " pixels) is over the limit of " +
         std::to_string(max_pixels) + " pixels (max_image_pixels)";
}

}  // namespace percept
