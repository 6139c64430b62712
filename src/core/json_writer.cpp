#include "percept/core/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace percept {

namespace {

constexpr int kMaxDepth = 64;  // one bit of JsonWriter::empty_ per level

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one (overlong
// forms, surrogates and code points above U+10FFFF included, as RFC 3629 says).
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void JsonWriter::clear() {
  out_.clear();
  empty_ = 0;
  depth_ = 0;
  after_key_ = false;
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (empty_ & bit)
    empty_ &= ~bit;
  else
    out_ += ',';
  newline(depth_);
}

void JsonWriter::newline(int depth) {
  if (indent_ <= 0) return;
  out_ += '\n';
  out_.append(static_cast<size_t>(depth * indent_), ' ');
}

void JsonWriter::open(char c) {
  before_value();
  if (depth_ == kMaxDepth) throw std::logic_error("JsonWriter: nesting deeper than 64");
  out_ += c;
  empty_ |= uint64_t{1} << depth_;
  ++depth_;
}

void JsonWriter::close(char c) {
  if (depth_ == 0) throw std::logic_error("JsonWriter: closing more than was opened");
  --depth_;
  const uint64_t bit = uint64_t{1} << depth_;
  if (!(empty_ & bit)) newline(depth_);  // an empty container stays "[]" or "{}"
  empty_ &= ~bit;
  out_ += c;
}

JsonWriter& JsonWriter::begin_object() {
  open('{');
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  close('}');
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  open('[');
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  close(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  before_value();
  string(k);
  out_ += indent_ > 0 ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  string(s);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  before_value();
  if (!std::isfinite(v)) {  // JSON has no NaN or infinity; nlohmann writes null too
    out_ += "null";
    return *this;
  }
  // The shortest digits that read back as v, laid out as nlohmann::json lays out its own
  // shortest digits (dtoa_impl::format_buffer): plain notation while the decimal point falls
  // within 15 digits of the first one (or 3 zeros after the point), an exponent otherwise.
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));  // d[.ddd]e±XX
  const size_t e_at = sci.find('e');
  char digits[20];
  int k = 0;
  for (size_t i = 0; i < e_at; ++i)
    if (sci[i] != '.') digits[k++] = sci[i];
  int exp10 = 0;
  std::from_chars(sci.data() + e_at + (sci[e_at + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                  exp10);
  const int n = exp10 + 1;  // digits before the decimal point
  if (std::signbit(v)) out_ += '-';
  if (k <= n && n <= 15) {  // 1234000.0
    out_.append(digits, static_cast<size_t>(k));
    out_.append(static_cast<size_t>(n - k), '0');
    out_ += ".0";
  } else if (0 < n && n <= 15) {  // 12.34
    out_.append(digits, static_cast<size_t>(n));
    out_ += '.';
    out_.append(digits + n, static_cast<size_t>(k - n));
  } else if (-4 < n && n <= 0) {  // 0.001234
    out_ += "0.";
    out_.append(static_cast<size_t>(-n), '0');
    out_.append(digits, static_cast<size_t>(k));
  } else {  // 1.234e+20, 1e-05
    out_ += digits[0];
    if (k > 1) {
      out_ += '.';
      out_.append(digits + 1, static_cast<size_t>(k - 1));
    }
    const int e = n - 1;
    out_ += e < 0 ? "e-" : "e+";
    const int a = e < 0 ? -e : e;
    if (a >= 100) out_ += static_cast<char>('0' + a / 100);
    out_ += static_cast<char>('0' + a / 10 % 10);
    out_ += static_cast<char>('0' + a % 10);
  }
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(uint64_t v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

void JsonWriter::string(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out_ += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_length(s, i);
      if (n == 0) {
        out_ += "\xEF\xBF\xBD";  // U+FFFD for each byte that is not UTF-8
        ++i;
      } else {
        out_.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      default:
        if (c < 0x20) {
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
        } else {
          out_ += static_cast<char>(c);
        }
    }
    ++i;
  }
  out_ += '"';
}

}  // namespace percept
