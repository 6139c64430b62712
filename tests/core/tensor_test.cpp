#include "percept/core/tensor.hpp"

#include <gtest/gtest.h>

namespace percept {
namespace {

TEST(Tensor, ReshapeReusesCapacity) {
  Tensor t(DType::f32, {1, 3, 4, 4});
  EXPECT_EQ(t.numel(), 48);
  EXPECT_EQ(t.bytes(), 48u * 4);
  void* p = t.data();
  t.reshape(DType::f32, {1, 3, 2, 2});
  EXPECT_EQ(t.data(), p);  // smaller: same buffer
  t.reshape(DType::f32, {4, 3, 64, 64});
  EXPECT_GE(t.capacity(), t.bytes());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
}

TEST(Shape, PrintsSymbolicDims) {
  Shape s{-1, 84, 8400};
  EXPECT_EQ(shape_str(s), "[?, 84, 8400]");
  EXPECT_EQ(shape_numel(s), 0);
  EXPECT_TRUE((Shape{1, 2} == Shape{1, 2}));
  EXPECT_FALSE((Shape{1, 2} == Shape{1, 2, 1}));
}

TEST(Shape, RejectsRankAboveEight) {
  Shape s;
  for (int i = 0; i < 8; ++i) s.push_back(1);
  EXPECT_THROW(s.push_back(1), std::length_error);
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::f16), 2u);
  EXPECT_EQ(dtype_size(DType::i64), 8u);
  EXPECT_STREQ(dtype_name(DType::u8), "uint8");
}

}  // namespace
}  // namespace percept
