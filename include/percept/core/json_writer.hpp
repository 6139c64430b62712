// JSON text built into a reusable buffer, for the writers that must not fail halfway: the
// results JSONL and the telemetry lines. Once the buffer has grown to a line's size nothing is
// allocated, and unlike nlohmann::json there is no value tree whose destructor allocates (an
// allocation failing there ends the process: docs/RELIABILITY.md).
//
// Output is laid out as nlohmann::json's dump(): compact, doubles in their shortest round-trip
// digits (nlohmann's Grisu2 now and then picks another 17th digit that reads back the same),
// ".0" on whole numbers, an exponent beyond 15 digits, NaN and infinities as null. Strings are
// escaped; bytes that are not valid UTF-8 become U+FFFD (nlohmann would throw).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace percept {

class JsonWriter {
 public:
  // indent > 0: one element per line, as nlohmann::json's dump(indent) (files people read).
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  // Empties the text, keeping its capacity.
  void clear();
  const std::string& str() const { return out_; }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(double v);
  JsonWriter& value(float v) { return value(static_cast<double>(v)); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& value(T v) {
    if constexpr (std::is_signed_v<T>)
      return integer(static_cast<int64_t>(v));
    else
      return unsigned_integer(static_cast<uint64_t>(v));
  }
  JsonWriter& null();

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  JsonWriter& integer(int64_t v);
  JsonWriter& unsigned_integer(uint64_t v);
  void before_value();  // the comma between elements
  void open(char c);
  void close(char c);
  void string(std::string_view s);
  void newline(int depth);  // pretty printing only

  std::string out_;
  uint64_t empty_ = 0;  // bit d: the container at depth d has no element yet
  int depth_ = 0;
  bool after_key_ = false;
  int indent_ = 0;
};

}  // namespace percept
