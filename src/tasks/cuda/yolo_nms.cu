// YOLO decode + confidence filter + sort + bitmask NMS, for a batch of images, in six steps on
// one stream: decode (one thread per anchor; the survivors' keys are compacted with one atomic
// per warp), segment offsets, CUB's segmented radix sort of the keys (score descending, anchor
// ascending), gather of the best mc boxes in that order, the IoU bit matrix (one 64-thread
// block per 64 x 64 tile of the upper triangle), and the greedy walk (one warp per image,
// bitset in shared memory). end2end outputs only need the filter, in the model's order. The
// per-anchor, per-word and walk code is yolo_decode_math.hpp's, which the tests run on the CPU.
#include <cub/device/device_segmented_radix_sort.cuh>

#include "yolo_nms_kernel.hpp"

namespace percept::cuda_detail {
namespace {

constexpr int kDecodeThreads = 256;
constexpr int kTile = 64;

// Appends the key of each lane that kept its anchor: one atomicAdd per warp instead of one per
// anchor (all 32 lanes reach this, kept or not).
__device__ void append_key(bool keep, uint64_t key, int32_t* count, uint64_t* keys) {
  const unsigned lane = threadIdx.x & 31u;
  const unsigned voters = __ballot_sync(0xffffffffu, keep);
  if (!voters) return;
  const int leader = __ffs(static_cast<int>(voters)) - 1;
  int base = 0;
  if (static_cast<int>(lane) == leader) base = atomicAdd(count, __popc(voters));
  base = __shfl_sync(0xffffffffu, base, leader);
  if (keep) keys[base + __popc(voters & ((1u << lane) - 1u))] = key;
}

__global__ void decode_kernel(YoloNmsLaunch a) {
  const int b = static_cast<int>(blockIdx.y);
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const size_t image = static_cast<size_t>(b) * a.n;
  DecodedBox box{};
  bool keep = false;
  if (i < a.n) {
    if (a.layout == 0) {
      keep = decode_v8_anchor(a.output + image * (4 + static_cast<size_t>(a.nc)), a.nc, a.n, i,
                              a.conf, &box);
    } else {
      const size_t stride = 5 + static_cast<size_t>(a.nc);
      keep = decode_v5_anchor(a.output + (image + i) * stride, a.nc, a.conf, &box);
    }
    if (keep) a.boxes[image + i] = box;
  }
  append_key(keep, keep ? candidate_key(box.score, static_cast<uint32_t>(i)) : 0, a.cand_count + b,
             a.keys_in + image);
}

__global__ void segments_kernel(YoloNmsLaunch a) {
  const int b = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (b >= a.batch) return;
  a.seg_begin[b] = b * a.n;
  a.seg_end[b] = b * a.n + a.cand_count[b];
}

__global__ void gather_kernel(YoloNmsLaunch a) {
  const int b = static_cast<int>(blockIdx.y);
  const int r = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int m = min(a.cand_count[b], a.mc);
  if (r >= m) return;
  const size_t image = static_cast<size_t>(b) * a.n;
  a.sorted[static_cast<size_t>(b) * a.mc + r] = a.boxes[image + key_index(a.keys_out[image + r])];
}

// Block (col, row, image): rows 64 row .. +64 against the columns of tile `col`, upper triangle
// only (the walk reads a row's words from its own tile on).
__global__ void mask_kernel(YoloNmsLaunch a) {
  const int b = static_cast<int>(blockIdx.z);
  const int row_start = static_cast<int>(blockIdx.y) * kTile;
  const int col_start = static_cast<int>(blockIdx.x) * kTile;
  const int m = min(a.cand_count[b], a.mc);
  if (blockIdx.x < blockIdx.y || row_start >= m || col_start >= m) return;
  const DecodedBox* boxes = a.sorted + static_cast<size_t>(b) * a.mc;
  __shared__ DecodedBox tile[kTile];
  const int tile_n = min(kTile, m - col_start);
  const int t = static_cast<int>(threadIdx.x);
  if (t < tile_n) tile[t] = boxes[col_start + t];
  __syncthreads();
  const int i = row_start + t;
  if (i >= m) return;
  a.masks[(static_cast<size_t>(b) * a.mc + i) * a.words + blockIdx.x] =
      nms_mask_word(boxes[i], i, tile, col_start, tile_n, a.iou, a.agnostic);
}

// __host__ __device__ like nms_walk, which calls them (only ever on the device here).
struct WarpSync {
  __host__ __device__ void operator()() const {
#if defined(__CUDA_ARCH__)
    __syncwarp();
#endif
  }
};
struct EmitBox {
  const DecodedBox* sorted;
  DecodedBox* out;
  __host__ __device__ void operator()(int k, int i) const { out[k] = sorted[i]; }
};

__global__ void walk_kernel(YoloNmsLaunch a) {
  extern __shared__ uint64_t removed[];
  const int b = static_cast<int>(blockIdx.x);
  const int lane = static_cast<int>(threadIdx.x);
  const int m = min(a.cand_count[b], a.mc);
  const int words = (m + 63) / 64;
  for (int w = lane; w < words; w += 32) removed[w] = 0;
  __syncwarp();
  const EmitBox emit{a.sorted + static_cast<size_t>(b) * a.mc,
                     a.out + static_cast<size_t>(b) * a.max_det};
  const int kept = nms_walk(a.masks + static_cast<size_t>(b) * a.mc * a.words, m, a.words,
                            a.max_det, removed, lane, 32, WarpSync{}, emit);
  if (lane == 0) a.counts[b] = kept;
}

// end2end: a sequential filter per image keeps the model's order (K <= 1000 rows, so one
// thread per image is enough; a scan would only pay off for far larger K).
__global__ void e2e_kernel(YoloNmsLaunch a) {
  const int b = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (b >= a.batch) return;
  const float* rows = a.output + static_cast<size_t>(b) * a.n * 6;
  DecodedBox* out = a.out + static_cast<size_t>(b) * a.max_det;
  int kept = 0;
  for (int i = 0; i < a.n && kept < a.max_det; ++i) {
    DecodedBox box;
    if (decode_e2e_row(rows + static_cast<size_t>(i) * 6, a.conf, &box)) out[kept++] = box;
  }
  a.counts[b] = kept;
}

unsigned blocks(int n, int per) {
  return static_cast<unsigned>((n + per - 1) / per);
}

}  // namespace

cudaError_t segmented_sort_temp_bytes(int items, int segments, size_t* bytes) {
  *bytes = 0;
  return cub::DeviceSegmentedRadixSort::SortKeys(
      nullptr, *bytes, static_cast<uint64_t*>(nullptr), static_cast<uint64_t*>(nullptr), items,
      segments, static_cast<int32_t*>(nullptr), static_cast<int32_t*>(nullptr), 0, 64);
}

cudaError_t launch_yolo_nms(const YoloNmsLaunch& a, cudaStream_t stream) {
  if (a.layout == 2) {
    e2e_kernel<<<blocks(a.batch, 64), 64, 0, stream>>>(a);
    return cudaGetLastError();
  }
  cudaError_t e =
      cudaMemsetAsync(a.cand_count, 0, static_cast<size_t>(a.batch) * sizeof(int32_t), stream);
  if (e != cudaSuccess) return e;
  decode_kernel<<<dim3(blocks(a.n, kDecodeThreads), static_cast<unsigned>(a.batch)), kDecodeThreads,
                  0, stream>>>(a);
  segments_kernel<<<blocks(a.batch, 64), 64, 0, stream>>>(a);
  if ((e = cudaGetLastError()) != cudaSuccess) return e;
  size_t temp = a.sort_temp_bytes;
  e = cub::DeviceSegmentedRadixSort::SortKeys(a.sort_temp, temp, a.keys_in, a.keys_out,
                                              a.batch * a.n, a.batch, a.seg_begin, a.seg_end, 0, 64,
                                              stream);
  if (e != cudaSuccess) return e;
  gather_kernel<<<dim3(blocks(a.mc, kDecodeThreads), static_cast<unsigned>(a.batch)),
                  kDecodeThreads, 0, stream>>>(a);
  const unsigned tiles = blocks(a.mc, kTile);
  mask_kernel<<<dim3(tiles, tiles, static_cast<unsigned>(a.batch)), kTile, 0, stream>>>(a);
  walk_kernel<<<static_cast<unsigned>(a.batch), 32, static_cast<size_t>(a.words) * sizeof(uint64_t),
                stream>>>(a);
  return cudaGetLastError();
}

}  // namespace percept::cuda_detail
