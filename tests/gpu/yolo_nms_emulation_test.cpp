// The YOLO decode + NMS kernels' per-thread code run on the CPU, step by step as the kernels
// chain it (src/tasks/cuda/yolo_nms.cu), against the CPU reference (YoloDecoder::decode):
// decode_v8_anchor / decode_v5_anchor per anchor, visited in a shuffled order (the kernel's
// atomic compaction leaves the candidates in any order), candidate_key and a sort of the keys
// (CUB's radix sort on the GPU), the best max_candidates gathered, nms_mask_word for every tile
// of the upper triangle, and nms_walk over the bit matrix (one lane here; 32 on the GPU).
// What only a GPU can check (launch geometry, the warp-aggregated atomics, CUB, the warp walk,
// device rounding) is kernel_parity_test's part.
//
// Tolerance: none. The emulation runs the same inline functions as the CPU decoder and the
// CPU NMS's iou(), compiled alike, so boxes, scores and classes must be bit-equal and in the
// same order (score descending, ties in anchor order).
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <numeric>
#include <thread>

#include "percept/tasks/cuda/yolo_nms_cuda.hpp"
#include "yolo_nms_cases.hpp"

using namespace percept;
using namespace percept::test;

namespace {

// The kernels' data flow for one image of a v8 or v5 tensor.
Detections emulate_image(const float* img, const NmsCase& c, int* candidates = nullptr) {
  const int n = c.n, nc = c.nc;
  std::vector<DecodedBox> boxes(n);
  std::vector<uint64_t> keys;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), nms_rng());
  for (int i : order) {  // decode_kernel, one thread per anchor
    DecodedBox b{};
    const bool keep = c.layout == YoloLayout::v8
                          ? decode_v8_anchor(img, nc, n, i, c.opt.conf_threshold, &b)
                          : decode_v5_anchor(img + static_cast<size_t>(i) * (5 + nc), nc,
                                             c.opt.conf_threshold, &b);
    if (!keep) continue;
    boxes[i] = b;
    keys.push_back(candidate_key(b.score, static_cast<uint32_t>(i)));
  }
  if (candidates) *candidates = static_cast<int>(keys.size());
  std::sort(keys.begin(), keys.end());  // the segmented radix sort
  const int mc = std::min(n, c.opt.max_candidates);
  const int m = std::min(static_cast<int>(keys.size()), mc);
  std::vector<DecodedBox> sorted(m);  // gather_kernel
  for (int r = 0; r < m; ++r) sorted[r] = boxes[key_index(keys[r])];
  // mask_kernel: words never written stay garbage, as in the device workspace.
  const int words = (mc + 63) / 64;
  std::vector<uint64_t> masks(static_cast<size_t>(std::max(m, 1)) * words, 0xA5A5A5A5A5A5A5A5u);
  const int tiles = (m + 63) / 64;
  for (int rb = 0; rb < tiles; ++rb)
    for (int cb = rb; cb < tiles; ++cb) {
      const int col_start = cb * 64, tile_n = std::min(64, m - col_start);
      const DecodedBox* tile = sorted.data() + col_start;  // the shared-memory copy
      for (int t = 0; t < 64; ++t) {
        const int i = rb * 64 + t;
        if (i >= m) break;
        masks[static_cast<size_t>(i) * words + cb] =
            nms_mask_word(sorted[i], i, tile, col_start, tile_n, c.opt.nms.iou_threshold,
                          c.opt.nms.class_agnostic);
      }
    }
  // walk_kernel
  std::vector<uint64_t> removed((m + 63) / 64 + 1, 0);
  Detections out;
  const int kept = nms_walk(
      masks.data(), m, words, c.opt.nms.max_detections, removed.data(), 0, 1, [] {},
      [&](int k, int i) {
        EXPECT_EQ(k, static_cast<int>(out.size()));
        const DecodedBox& b = sorted[i];
        out.push_back({{b.x1, b.y1, b.x2, b.y2}, b.score, b.class_id});
      });
  EXPECT_EQ(kept, static_cast<int>(out.size()));
  return out;
}

Detections emulate_e2e(const float* img, const NmsCase& c) {
  Detections out;
  for (int i = 0; i < c.n && static_cast<int>(out.size()) < c.opt.nms.max_detections; ++i) {
    DecodedBox b{};
    if (decode_e2e_row(img + static_cast<size_t>(i) * 6, c.opt.conf_threshold, &b))
      out.push_back({{b.x1, b.y1, b.x2, b.y2}, b.score, b.class_id});
  }
  return out;
}

void expect_same(const Detections& cpu, const Detections& emu, const std::string& what) {
  ASSERT_EQ(cpu.size(), emu.size()) << what;
  for (size_t k = 0; k < cpu.size(); ++k) {
    const Detection &a = cpu[k], &b = emu[k];
    EXPECT_TRUE(a.box.x1 == b.box.x1 && a.box.y1 == b.box.y1 && a.box.x2 == b.box.x2 &&
                a.box.y2 == b.box.y2 && a.score == b.score && a.class_id == b.class_id)
        << what << " box " << k << ": cpu " << a.box.x1 << " " << a.box.y1 << " " << a.box.x2 << " "
        << a.box.y2 << " " << a.score << " c" << a.class_id << ", emulated " << b.box.x1 << " "
        << b.box.y1 << " " << b.box.x2 << " " << b.box.y2 << " " << b.score << " c" << b.class_id;
  }
}

}  // namespace

TEST(YoloNmsEmulation, MatchesTheCpuDecoderBoxForBoxInOrder) {
  for (int round = 0; round < 5; ++round)
    for (const NmsCase& c : exact_cases()) {
      const std::vector<float> t = make_tensor(c);
      const std::vector<Detections> ref = cpu_reference(c, t);
      for (int b = 0; b < c.batch; ++b) {
        const float* img = t.data() + image_floats(c) * b;
        const Detections emu =
            c.layout == YoloLayout::end2end ? emulate_e2e(img, c) : emulate_image(img, c);
        expect_same(ref[b], emu, c.name + ", image " + std::to_string(b));
      }
    }
}

// The cases must exercise what they claim: ties, several 64-box tiles, suppression, the
// max_det stop. Otherwise the comparison above could pass on trivial outputs.
TEST(YoloNmsEmulation, TheCasesReachTiesTilesAndSuppression) {
  const auto cases = exact_cases();
  auto find = [&](const std::string& name) {
    for (const auto& c : cases)
      if (c.name == name) return c;
    ADD_FAILURE() << name;
    return cases[0];
  };
  const NmsCase all = find("v8 conf 0: every anchor a candidate");
  const std::vector<float> t = make_tensor(all);
  int candidates = 0;
  const Detections d = emulate_image(t.data(), all, &candidates);
  EXPECT_GT(candidates, 640);                             // more than ten tiles of 64
  EXPECT_LT(static_cast<int>(d.size()), candidates / 2);  // NMS removed many of them
  int ties = 0;
  for (size_t k = 1; k < d.size(); ++k) ties += d[k].score == d[k - 1].score;
  EXPECT_GT(ties, 0);
  const NmsCase five = find("v8 max_det 5 stops the walk");
  EXPECT_EQ(emulate_image(make_tensor(five).data(), five).size(), 5u);
}

// More candidates than max_candidates: both keep the best ones. Scores are made distinct here,
// since at a tie on the cut the CPU's nth_element keeps an unspecified subset (see the header).
TEST(YoloNmsEmulation, MaxCandidatesKeepsTheBestAsTheCpuDoes) {
  for (bool agnostic : {false, true}) {
    NmsCase c = nms_case("truncated", YoloLayout::v8, 1, 3, 1000, 0.1f, 0.45f, 300, 150, agnostic);
    std::vector<float> t = make_tensor(c);
    std::vector<int> perm(c.n);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), nms_rng());
    for (int i = 0; i < c.n; ++i) {
      t[4 * static_cast<size_t>(c.n) + i] = 0.2f + 0.7f * static_cast<float>(perm[i]) / c.n;
      for (int k = 1; k < c.nc; ++k) t[static_cast<size_t>(4 + k) * c.n + i] = 0.f;
    }
    int candidates = 0;
    const Detections emu = emulate_image(t.data(), c, &candidates);
    EXPECT_GT(candidates, c.opt.max_candidates);
    expect_same(cpu_reference(c, t)[0], emu, agnostic ? "agnostic" : "per class");
  }
}

// The walk as the kernel runs it: 32 lanes striding over the words of a row, meeting at a
// barrier where the kernel calls __syncwarp, on a bit matrix of many tiles. Must keep exactly
// what the one-lane walk keeps (a missing meeting point shows up here as a different result,
// or as lanes that never meet again: a hang, which ctest's timeout turns into a failure).
TEST(YoloNmsEmulation, ThirtyTwoLanesWalkLikeOne) {
  auto& g = nms_rng();
  for (int round = 0; round < 20; ++round) {
    const int m = 1 + static_cast<int>(g() % 900), words = (m + 63) / 64;
    std::vector<uint64_t> masks(static_cast<size_t>(m) * words);
    for (int i = 0; i < m; ++i)  // sparse random rows, upper triangle only, as the kernel writes
      for (int j = i + 1; j < m; ++j)
        if (g() % 97 == 0)
          masks[static_cast<size_t>(i) * words + j / 64] |= uint64_t{1} << (j % 64);
    const int max_det = round % 2 ? m : 1 + static_cast<int>(g() % 50);
    std::vector<uint64_t> removed1(words, 0);
    std::vector<int> keep1;
    const int kept1 = nms_walk(
        masks.data(), m, words, max_det, removed1.data(), 0, 1, [] {},
        [&](int, int i) { keep1.push_back(i); });
    std::vector<uint64_t> removed32(words, 0);
    std::vector<int> keep32;
    std::vector<int> kept32(32, -1);
    std::barrier sync_point(32);
    std::vector<std::thread> lanes;
    for (int lane = 0; lane < 32; ++lane)
      lanes.emplace_back([&, lane] {
        kept32[lane] = nms_walk(
            masks.data(), m, words, max_det, removed32.data(), lane, 32,
            [&] { sync_point.arrive_and_wait(); }, [&](int, int i) { keep32.push_back(i); });
      });
    for (auto& t : lanes) t.join();
    EXPECT_EQ(keep32, keep1);
    for (int k : kept32) EXPECT_EQ(k, kept1);
    EXPECT_EQ(static_cast<int>(keep1.size()), kept1);
  }
}

TEST(YoloNmsEmulation, CandidateKeysOrderLikeTheCpuSort) {
  // Descending score, then ascending index; -0 ties with +0; negative scores below positive.
  const float s[] = {0.5f, -0.f, 0.f, -0.25f, 0.5f, 1e-30f, -1e-30f, 3e38f, -3e38f};
  const int n = static_cast<int>(std::size(s));
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      const bool cpu_before = s[a] > s[b] || (s[a] == s[b] && a < b);
      EXPECT_EQ(candidate_key(s[a], a) < candidate_key(s[b], b), cpu_before)
          << s[a] << " #" << a << " vs " << s[b] << " #" << b;
    }
}
