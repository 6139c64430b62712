#include "percept/core/tensor.hpp"

#include <cstdlib>
#include <new>
#include <stdexcept>

namespace percept {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32:
    case DType::i32:
      return 4;
    case DType::f16:
      return 2;
    case DType::u8:
    case DType::i8:
    case DType::boolean:
      return 1;
    case DType::i64:
      return 8;
    case DType::other:
      return 0;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32:
      return "float32";
    case DType::f16:
      return "float16";
    case DType::u8:
      return "uint8";
    case DType::i8:
      return "int8";
    case DType::i32:
      return "int32";
    case DType::i64:
      return "int64";
    case DType::boolean:
      return "bool";
    case DType::other:
      return "other";
  }
  return "other";
}

int64_t shape_numel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d < 0 ? 0 : d;
  return n;
}

std::string shape_str(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

Shape::Shape(std::span<const int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

void Shape::push_back(int64_t d) {
  if (rank_ == kMaxRank) throw std::length_error("tensor rank above 8 is not supported");
  dims_[rank_++] = d;
}

void Tensor::Free::operator()(std::byte* p) const {
  std::free(p);
}

void Tensor::reshape(DType dtype, Shape shape) {
  dtype_ = dtype;
  shape_ = std::move(shape);
  size_t need = bytes();
  if (need > capacity_) {
    size_t rounded = (need + 63) / 64 * 64;
    auto* p = static_cast<std::byte*>(std::aligned_alloc(64, rounded));
    if (!p) throw std::bad_alloc();
    data_.reset(p);
    capacity_ = rounded;
  }
}

}  // namespace percept
