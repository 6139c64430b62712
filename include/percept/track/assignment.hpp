// Minimum-cost matching of tracks to detections with a cost limit, as ByteTrack's
// `linear_assignment` (lap.lapjv with cost_limit): a pair whose cost is at or above `limit` is
// never matched, and leaving a track and a detection both unmatched costs `limit`.
//
// Tracks and detections that share no feasible pair cannot influence each other's matching, so
// the problem is cut into connected components of feasible pairs and each is solved exactly
// (Hungarian, O(n^3) in the component's size). Objects spread over a frame make components of a
// handful of boxes: 100 objects cost microseconds, not the milliseconds of one 100x100 solve.
#pragma once

#include <cstddef>
#include <vector>

namespace percept {

// Buffers reused between calls (no allocation once they have grown to the largest problem).
struct AssignmentScratch {
  std::vector<int> parent, comp_rows, comp_cols, sub_rows, way;
  std::vector<double> sub, u, v, minv;
  std::vector<int> p;
  std::vector<char> used;
};

// `cost`: rows x cols, row-major. On return `row_match[r]` is the matched column or -1.
void assign_with_limit(const std::vector<float>& cost, size_t rows, size_t cols, float limit,
                       std::vector<int>& row_match, AssignmentScratch& scratch);

}  // namespace percept
