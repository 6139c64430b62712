// Host tensors. TensorView is a non-owning (pointer, dtype, shape) triple; Tensor owns a
// 64-byte-aligned buffer that is reused across frames: reshape() only allocates when the
// new size exceeds the capacity, so the steady-state frame path does not touch the heap.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>

namespace percept {

enum class DType { f32, f16, u8, i8, i32, i64, boolean, other };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

// Shape with -1 for a symbolic (unknown until run time) dimension. Fixed capacity, so copying
// a shape on the frame path never allocates.
class Shape {
 public:
  static constexpr size_t kMaxRank = 8;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);

  size_t size() const { return rank_; }
  bool empty() const { return rank_ == 0; }
  int64_t operator[](size_t i) const { return dims_[i]; }
  int64_t& operator[](size_t i) { return dims_[i]; }
  const int64_t* data() const { return dims_.data(); }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }
  void push_back(int64_t d);
  friend bool operator==(const Shape& a, const Shape& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::array<int64_t, kMaxRank> dims_{};
  size_t rank_ = 0;
};

int64_t shape_numel(std::span<const int64_t> shape);    // -1 dims count as 0
std::string shape_str(std::span<const int64_t> shape);  // "[1, 3, 640, 640]", "?" for -1

// Where a tensor's bytes live. A view in GPU memory is only read by code that says it takes
// one (a backend running on CUDA: Backend::accepts_device_inputs()).
enum class MemoryPlace : uint8_t { host, cuda };

struct TensorView {
  void* data = nullptr;
  DType dtype = DType::f32;
  Shape shape;
  MemoryPlace place = MemoryPlace::host;

  int64_t numel() const { return shape_numel(shape); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  template <class T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape) { reshape(dtype, std::move(shape)); }

  // Sets dtype and shape; grows the buffer only when needed. Contents are unspecified after.
  void reshape(DType dtype, Shape shape);

  TensorView view() const { return {data_.get(), dtype_, shape_}; }
  void* data() const { return data_.get(); }
  template <class T>
  T* as() const {
    return static_cast<T*>(static_cast<void*>(data_.get()));
  }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  size_t capacity() const { return capacity_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte[], Free> data_;
  size_t capacity_ = 0;
  DType dtype_ = DType::f32;
  Shape shape_;
};

}  // namespace percept
