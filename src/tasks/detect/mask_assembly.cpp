#include "percept/tasks/detect/mask_assembly.hpp"

#include <algorithm>
#include <cmath>

#include "percept/core/simd.hpp"
#include "percept/tasks/detect/mask_math.hpp"

namespace percept {

namespace {

// logits[v][u] = sum_k coef[k] * protos[k][v0 + v][u0 + u] over a rows x cols window: plane by
// plane, whole rows at a time, so that the inner loop is contiguous and vectorises.
PERCEPT_VECTOR_CLONES
void window_logits(const float* coef, const Prototypes& p, int u0, int v0, int cols, int rows,
                   float* logits) {
  std::fill(logits, logits + static_cast<size_t>(rows) * cols, 0.f);
  const size_t plane = static_cast<size_t>(p.height) * p.width;
  for (int k = 0; k < p.nm; ++k) {
    const float c = coef[k];
    const float* src = p.data + k * plane + static_cast<size_t>(v0) * p.width + u0;
    for (int v = 0; v < rows; ++v) {
      const float* s = src + static_cast<size_t>(v) * p.width;
      float* d = logits + static_cast<size_t>(v) * cols;
      for (int u = 0; u < cols; ++u) d[u] += c * s[u];
    }
  }
}

// row[x] = lerp(a, b, w[x]) > t over [x0, x1), the number set. NaN: off.
PERCEPT_VECTOR_CLONES
int64_t threshold_run(float a, float b, const float* w, float t, int x0, int x1, uint8_t* row) {
  int64_t on = 0;
  for (int x = x0; x < x1; ++x) {
    const uint8_t v = lerp_logit(a, b, w[x]) > t ? 1 : 0;
    row[x] = v;
    on += v;
  }
  return on;
}

}  // namespace

void MaskAssembler::assemble(const Detections& dets, const float* coef, const Prototypes& protos,
                             const LetterboxParams& lb, float threshold, InstanceMasks& out) {
  out.clear();
  out.items.reserve(dets.size());
  if (protos.nm <= 0 || protos.height <= 0 || protos.width <= 0 || lb.new_w <= 0 || lb.new_h <= 0) {
    out.items.resize(dets.size());
    return;
  }
  const float t = threshold_logit(threshold);
  const ProtoAxis ax = proto_axis(static_cast<float>(lb.new_w) / static_cast<float>(lb.src_w),
                                  static_cast<float>(lb.pad_left),
                                  static_cast<float>(lb.dst_w) / static_cast<float>(protos.width));
  const ProtoAxis ay = proto_axis(static_cast<float>(lb.new_h) / static_cast<float>(lb.src_h),
                                  static_cast<float>(lb.pad_top),
                                  static_cast<float>(lb.dst_h) / static_cast<float>(protos.height));
  for (size_t i = 0; i < dets.size(); ++i) {
    const Box& b = dets[i].box;
    InstanceMask m;
    // Whole frame pixels whose centre lies inside the box (boxes are clipped to the frame).
    m.x = std::clamp(static_cast<int>(std::lround(b.x1)), 0, lb.src_w);
    m.y = std::clamp(static_cast<int>(std::lround(b.y1)), 0, lb.src_h);
    const int x2 = std::clamp(static_cast<int>(std::lround(b.x2)), m.x, lb.src_w);
    const int y2 = std::clamp(static_cast<int>(std::lround(b.y2)), m.y, lb.src_h);
    m.width = x2 - m.x;
    m.height = y2 - m.y;
    m.offset = out.pixels.size();
    if (m.width == 0 || m.height == 0) {
      m.width = m.height = 0;
      out.items.push_back(m);
      continue;
    }
    // The prototype taps of every column, and the window of prototype pixels they touch.
    col0_.resize(m.width);
    col1_.resize(m.width);
    colw_.resize(m.width);
    int u_lo = protos.width, u_hi = 0;
    for (int x = 0; x < m.width; ++x) {
      bilinear_tap(ax.a * static_cast<float>(m.x + x) + ax.b, protos.width, &col0_[x], &col1_[x],
                   &colw_[x]);
      u_lo = std::min(u_lo, col0_[x]);
      u_hi = std::max(u_hi, col1_[x]);
    }
    int r0, r1;
    float w;
    bilinear_tap(ay.a * static_cast<float>(m.y) + ay.b, protos.height, &r0, &r1, &w);
    const int v_lo = r0;
    bilinear_tap(ay.a * static_cast<float>(y2 - 1) + ay.b, protos.height, &r0, &r1, &w);
    const int v_hi = r1;
    const int cols = u_hi - u_lo + 1, rows = v_hi - v_lo + 1;
    logits_.resize(static_cast<size_t>(cols) * rows);
    row_.resize(static_cast<size_t>(cols));
    window_logits(coef + i * static_cast<size_t>(protos.nm), protos, u_lo, v_lo, cols, rows,
                  logits_.data());
    // Columns come in runs that share their two taps (col0_ never decreases): each run is a
    // contiguous lerp of two blended values, which vectorises.
    runs_.clear();
    for (int x = 0; x < m.width; ++x) {
      col0_[x] -= u_lo;
      col1_[x] -= u_lo;
      if (runs_.empty() || runs_.back().c0 != col0_[x] || runs_.back().c1 != col1_[x])
        runs_.push_back({x, x + 1, col0_[x], col1_[x]});
      else
        runs_.back().x1 = x + 1;
    }
    out.pixels.resize(m.offset + static_cast<size_t>(m.width) * m.height);
    uint8_t* dst = out.pixels.data() + m.offset;
    int64_t area = 0;
    for (int y = 0; y < m.height; ++y) {
      int y0, y1;
      float wy;
      bilinear_tap(ay.a * static_cast<float>(m.y + y) + ay.b, protos.height, &y0, &y1, &wy);
      const float* l0 = logits_.data() + static_cast<size_t>(y0 - v_lo) * cols;
      const float* l1 = logits_.data() + static_cast<size_t>(y1 - v_lo) * cols;
      float* r = row_.data();
      for (int u = 0; u < cols; ++u) r[u] = lerp_logit(l0[u], l1[u], wy);
      uint8_t* row = dst + static_cast<size_t>(y) * m.width;
      for (const Run& run : runs_)
        area += threshold_run(r[run.c0], r[run.c1], colw_.data(), t, run.x0, run.x1, row);
    }
    m.area = area;
    out.items.push_back(m);
  }
}

}  // namespace percept
