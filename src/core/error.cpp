#include "percept/core/error.hpp"

#include <new>

namespace percept {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::unknown:
      return "unknown";
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::model:
      return "model";
    case ErrorCode::out_of_memory:
      return "out_of_memory";
    case ErrorCode::device:
      return "device";
    case ErrorCode::io:
      return "io";
    case ErrorCode::not_supported:
      return "not_supported";
  }
  return "unknown";
}

ErrorCode error_code_of(const std::exception& e) noexcept {
  if (const auto* error = dynamic_cast<const Error*>(&e)) return error->code();
  if (dynamic_cast<const std::bad_alloc*>(&e)) return ErrorCode::out_of_memory;
  return ErrorCode::unknown;
}

}  // namespace percept
