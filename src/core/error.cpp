#include "percept/core/error.hpp"

#include <algorithm>
#include <cctype>

namespace percept {

bool is_out_of_memory(std::string_view message) {
  static constexpr std::string_view kSigns[] = {
      "out of memory",                    // CUDA's cudaErrorMemoryAllocation text, percept's pools
      "failed to allocate memory",        // ONNX Runtime's allocators (CPU and CUDA arenas)
      "is smaller than requested bytes",  // ONNX Runtime's BFC arena when a limit is set
      "cudaerrormemoryallocation",        // the error's name, as gpu::check and ORT quote it
      "alloc_failed",                     // CUBLAS_STATUS_ALLOC_FAILED, CUDNN_STATUS_ALLOC_FAILED
      "bad_alloc",                        // std::bad_alloc::what() (libstdc++: "std::bad_alloc")
      "bad allocation",                   // the same from MSVC's library
  };
  // Case-insensitive search without a copy: this runs when memory may be exhausted.
  const auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  for (std::string_view sign : kSigns) {
    const auto it = std::search(message.begin(), message.end(), sign.begin(), sign.end(),
                                [&](char a, char b) { return lower(a) == b; });
    if (it != message.end()) return true;
  }
  return false;
}

}  // namespace percept
