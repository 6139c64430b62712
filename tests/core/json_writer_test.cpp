// JsonWriter against nlohmann::json's dump() (the format it replaces in the JSONL sink and the
// telemetry lines): the same documents (and nearly always the same text) for random ones, escapes,
// numbers at their extremes, and invalid UTF-8 replaced rather than thrown on. No allocation per
// line: json_writer_alloc_test.cpp (core_alloc_tests, whose operator new counts).
#include "percept/core/json_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

namespace {

using percept::JsonWriter;
using Json = nlohmann::ordered_json;

// Writes `j` with JsonWriter, the way the sinks build their lines.
void write(JsonWriter& w, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      w.begin_object();
      for (const auto& [k, v] : j.items()) {
        w.key(k);
        write(w, v);
      }
      w.end_object();
      break;
    case Json::value_t::array:
      w.begin_array();
      for (const auto& v : j) write(w, v);
      w.end_array();
      break;
    case Json::value_t::string:
      w.value(j.get<std::string>());
      break;
    case Json::value_t::boolean:
      w.value(j.get<bool>());
      break;
    case Json::value_t::number_integer:
      w.value(j.get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      w.value(j.get<uint64_t>());
      break;
    case Json::value_t::number_float:
      w.value(j.get<double>());
      break;
    default:
      w.null();
  }
}

Json random_value(std::mt19937_64& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 5 : 7);
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<int64_t>(rng());
    case 3:
      return rng();  // unsigned, full range
    case 4: {        // doubles of every magnitude, whole ones, rounded ones like the sinks write
      const double e = std::uniform_real_distribution<double>(-30, 30)(rng);
      double v = std::pow(10.0, e) * (rng() % 2 ? 1 : -1);
      if (rng() % 4 == 0) v = std::round(v);
      if (rng() % 4 == 0) v = std::round(v * 100) / 100;
      return v;
    }
    case 5: {
      std::string s;
      const char* pieces[] = {"a",    "\"", "\\", "\n", "\t",   "\x01",
                              "\x1f", "/",  "é",  "猫", "🙂", " "};
      for (int i = static_cast<int>(rng() % 8); i > 0; --i) s += pieces[rng() % 12];
      return s;
    }
    case 6: {
      Json a = Json::array();
      for (int i = static_cast<int>(rng() % 4); i > 0; --i)
        a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = static_cast<int>(rng() % 4); i > 0; --i)
        o["k" + std::to_string(rng() % 100)] = random_value(rng, depth + 1);
      return o;
    }
  }
}

TEST(JsonWriter, SameDocumentsAsNlohmann) {
  std::mt19937_64 rng(12345);
  JsonWriter w;
  int same_text = 0;
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    const Json j = random_value(rng, 0);
    w.clear();
    write(w, j);
    // Every value reads back exactly (doubles bit for bit).
    ASSERT_EQ(Json::parse(w.str()), j) << "document " << i << ": " << w.str();
    // The text too, but for the odd double where nlohmann's Grisu2 picks a 17th digit that
    // reads back just as well (-1.2789517608111403e+15 for ...402).
    same_text += w.str() == j.dump();
  }
  EXPECT_GE(same_text, n * 99 / 100);
}

TEST(JsonWriter, PrettyPrintedLikeNlohmann) {
  std::mt19937_64 rng(777);
  JsonWriter w(2);
  int same_text = 0;
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    const Json j = random_value(rng, 0);
    w.clear();
    write(w, j);
    ASSERT_EQ(Json::parse(w.str()), j) << w.str();
    same_text += w.str() == j.dump(2);
  }
  EXPECT_GE(same_text, n * 99 / 100);
  w.clear();
  w.begin_object().key("a").begin_array().end_array().key("b").begin_object().end_object();
  w.key("c").begin_array().value(1).end_array().end_object();
  EXPECT_EQ(w.str(), "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1\n  ]\n}");
}

TEST(JsonWriter, NumbersAtTheirExtremes) {
  JsonWriter w;
  w.begin_array();
  const double doubles[] = {
      0.0, -0.0, 1.0, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, 1e21, 123456789012345678.0,
      2.5, -3.0};
  for (double d : doubles) w.value(d);
  w.value(std::numeric_limits<int64_t>::min()).value(std::numeric_limits<uint64_t>::max());
  w.value(static_cast<int16_t>(-7)).value(static_cast<unsigned char>(200)).value(1.5f);
  w.end_array();
  Json j = Json::array();
  for (double d : doubles) j.push_back(d);
  j.push_back(std::numeric_limits<int64_t>::min());
  j.push_back(std::numeric_limits<uint64_t>::max());
  j.push_back(-7);
  j.push_back(200);
  j.push_back(1.5f);
  EXPECT_EQ(w.str(), j.dump());
  // Round trip: every double reads back exactly.
  const Json back = Json::parse(w.str());
  for (size_t i = 0; i < std::size(doubles); ++i) EXPECT_EQ(back[i].get<double>(), doubles[i]);
}

TEST(JsonWriter, NonFiniteNumbersAreNull) {
  JsonWriter w;
  w.begin_object()
      .field("nan", std::nan(""))
      .field("inf", std::numeric_limits<double>::infinity())
      .field("ninf", -std::numeric_limits<float>::infinity())
      .end_object();
  EXPECT_EQ(w.str(), R"({"nan":null,"inf":null,"ninf":null})");
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
  JsonWriter w;
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, > U+10FFFF,
  // then valid text that must survive.
  w.value(
      std::string_view("a\x80"
                       "b\xE2\x82"
                       "c\xC0\xAF"
                       "d\xED\xA0\x80"
                       "e\xF4\x90\x80\x80"
                       "€"));
  const Json back =
      Json::parse(w.str());  // nlohmann rejects invalid UTF-8: this proves it is valid
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(back.get<std::string>(), "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd + "d" +
                                         fffd + fffd + fffd + "e" + fffd + fffd + fffd + fffd +
                                         "€");
}

TEST(JsonWriter, MisuseIsAnErrorNotCorruptText) {
  JsonWriter w;
  EXPECT_THROW(w.end_object(), std::logic_error);
  w.clear();
  for (int i = 0; i < 64; ++i) w.begin_array();
  EXPECT_THROW(w.begin_array(), std::logic_error);
}

}  // namespace
