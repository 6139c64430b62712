// Errors as values for the per-frame path (STYLE 7): a Result<T> holds either a value or an
// Error whose message names what failed (the file, the tensor, the line). Loading and
// configuration code may throw percept::Error instead; it is the same type.
//
// An Error also carries a code, set where it is born (the ONNX Runtime wrapper, gpu::check, the
// memory pools, the loaders): callers decide on the code, never on the message's words. The
// message is for people.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace percept {

// What kind of failure an Error is. A small set, for decisions: only out_of_memory is worth
// retrying with less (the executor's smaller batch, the backend's released caches).
enum class ErrorCode {
  unknown,           // not classified (Error(std::string) and foreign exceptions)
  invalid_argument,  // bad input: a frame, a config value, a tensor's shape or type
  model,             // a model that cannot be loaded, or whose tensors or metadata don't fit
  out_of_memory,     // a host or device allocation failed: retrying with less may succeed
  device,            // CUDA or an execution provider failed, other than for memory
  io,                // a file, disk, camera or network peer failed
  not_supported,     // valid, but not available in this build or library
};

// "unknown", "invalid_argument", "model", "out_of_memory", "device", "io", "not_supported".
const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  // ErrorCode::unknown: for errors nothing decides on.
  explicit Error(std::string message) : Error(ErrorCode::unknown, std::move(message)) {}
  Error(ErrorCode code, std::string message)
      : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const { return code_; }
  std::string message() const { return what(); }

 private:
  ErrorCode code_;
};

// The code of an exception caught as std::exception: a percept::Error's own, out_of_memory for
// std::bad_alloc (and its subclasses), unknown for anything else.
ErrorCode error_code_of(const std::exception& e) noexcept;

// [[nodiscard]]: a Result or Status dropped on the floor is an error nobody saw. Where ignoring
// one is deliberate, say why and discard it explicitly with (void).
template <class T>
class [[nodiscard]] Result {
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
class [[nodiscard]] Status {
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

}  // namespace percept
