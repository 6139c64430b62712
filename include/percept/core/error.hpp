// Errors as values for the per-frame path (STYLE 7): a Result<T> holds either a value or an
// Error whose message names what failed (the file, the tensor, the line). Loading and
// configuration code may throw percept::Error instead; it is the same type.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace percept {

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message) : std::runtime_error(std::move(message)) {}
  std::string message() const { return what(); }
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose, like std::expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  // Returns the value or throws the error: for callers at a loading boundary.
  T& value_or_throw() & {
    if (!ok()) throw error();
    return value();
  }
  T value_or_throw() && {
    if (!ok()) throw error();
    return std::move(value());
  }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation with no value.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  void throw_if_error() const {
    if (!ok_) throw error_;
  }

 private:
  Error error_{""};
  bool ok_ = true;
};

// Whether an error (a Status message or an exception's what()) says an operation ran out of memory,
// as opposed to a broken input or model: only that is worth retrying with less (the executor's
// smaller batch, the backend's released caches). It
// recognises ONNX Runtime's allocation failures ("Failed to allocate memory", its BFC arena's
// "Available memory of ... is smaller than requested bytes"), CUDA's (cudaErrorMemoryAllocation,
// "out of memory", CUBLAS_STATUS_ALLOC_FAILED, CUDNN_STATUS_ALLOC_FAILED), percept's own pools
// ("out of memory") and std::bad_alloc's what(). Case-insensitive.
bool is_out_of_memory(std::string_view message);

}  // namespace percept
