// Error codes (core/error.hpp): set where an error is born, kept through Result and Status,
// and derived from a caught exception.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "percept/core/error.hpp"

namespace percept {
namespace {

TEST(Error, CarriesItsCode) {
  const Error plain("no code given");
  EXPECT_EQ(plain.code(), ErrorCode::unknown);
  EXPECT_EQ(plain.message(), "no code given");
  const Error coded(ErrorCode::io, "cannot write 'x'");
  EXPECT_EQ(coded.code(), ErrorCode::io);
  EXPECT_STREQ(coded.what(), "cannot write 'x'");
}

TEST(Error, ResultAndStatusKeepTheCode) {
  const Result<int> r = Error(ErrorCode::model, "model 'm': output 'y' is not a tensor");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::model);
  const Status s = Error(ErrorCode::out_of_memory, "pool: out of memory");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::out_of_memory);
  try {
    s.throw_if_error();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::out_of_memory);
  }
}

TEST(Error, NamesEveryCode) {
  EXPECT_STREQ(error_code_name(ErrorCode::unknown), "unknown");
  EXPECT_STREQ(error_code_name(ErrorCode::invalid_argument), "invalid_argument");
  EXPECT_STREQ(error_code_name(ErrorCode::model), "model");
  EXPECT_STREQ(error_code_name(ErrorCode::out_of_memory), "out_of_memory");
  EXPECT_STREQ(error_code_name(ErrorCode::device), "device");
  EXPECT_STREQ(error_code_name(ErrorCode::io), "io");
  EXPECT_STREQ(error_code_name(ErrorCode::not_supported), "not_supported");
}

// A caught exception's code: percept's own, out of memory for std::bad_alloc (and the array
// length variant), unknown for the rest, whatever its message says.
TEST(Error, CodeOfACaughtException) {
  EXPECT_EQ(error_code_of(Error(ErrorCode::device, "CUDA: launch")), ErrorCode::device);
  EXPECT_EQ(error_code_of(std::bad_alloc()), ErrorCode::out_of_memory);
  EXPECT_EQ(error_code_of(std::bad_array_new_length()), ErrorCode::out_of_memory);
  EXPECT_EQ(error_code_of(std::runtime_error("out of memory")), ErrorCode::unknown);
  EXPECT_EQ(error_code_of(std::runtime_error("injected: device lost")), ErrorCode::unknown);
}

}  // namespace
}  // namespace percept
