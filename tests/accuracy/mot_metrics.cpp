#include "mot_metrics.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "percept/track/assignment.hpp"

namespace percept::eval {

MotResult evaluate_mot(const std::vector<MotFrame>& frames) {
  constexpr float kIou = 0.5f;
  MotResult r;
  std::map<int64_t, int64_t> last_match;  // ground-truth id -> hypothesis id, last matched
  std::map<std::pair<int64_t, int64_t>, size_t> co;  // (gt, hyp) frames matched per IDF1 rule
  std::map<int64_t, size_t> gt_count, hyp_count;
  AssignmentScratch scratch;
  std::vector<float> cost;
  std::vector<int> match;
  for (const MotFrame& f : frames) {
    const size_t ng = f.truth.size(), nh = f.hypotheses.size();
    std::vector<int> gt_to(ng, -1);
    std::vector<char> hyp_used(nh, 0);
    // Keep last frame's correspondences that still hold.
    for (size_t g = 0; g < ng; ++g) {
      auto it = last_match.find(f.truth[g].id);
      if (it == last_match.end()) continue;
      for (size_t h = 0; h < nh; ++h)
        if (!hyp_used[h] && f.hypotheses[h].id == it->second &&
            iou(f.truth[g].box, f.hypotheses[h].box) >= kIou) {
          gt_to[g] = static_cast<int>(h), hyp_used[h] = 1;
          break;
        }
    }
    // The rest by minimum 1 - IoU.
    std::vector<size_t> rows, cols;
    for (size_t g = 0; g < ng; ++g)
      if (gt_to[g] < 0) rows.push_back(g);
    for (size_t h = 0; h < nh; ++h)
      if (!hyp_used[h]) cols.push_back(h);
    cost.assign(rows.size() * cols.size(), 1.f);
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t j = 0; j < cols.size(); ++j)
        cost[i * cols.size() + j] = 1.f - iou(f.truth[rows[i]].box, f.hypotheses[cols[j]].box);
    assign_with_limit(cost, rows.size(), cols.size(), 1.f - kIou + 1e-6f, match, scratch);
    for (size_t i = 0; i < rows.size(); ++i)
      if (match[i] >= 0) {
        gt_to[rows[i]] = static_cast<int>(cols[static_cast<size_t>(match[i])]);
        hyp_used[cols[static_cast<size_t>(match[i])]] = 1;
      }
    // Count.
    std::vector<char> hyp_on_ignored(nh, 0);
    for (size_t g = 0; g < ng; ++g) {
      const TrackBox& t = f.truth[g];
      if (t.ignore) {
        if (gt_to[g] >= 0) hyp_on_ignored[static_cast<size_t>(gt_to[g])] = 1;
        continue;
      }
      ++r.gt;
      ++gt_count[t.id];
      if (gt_to[g] < 0) {
        ++r.fn;
        continue;
      }
      ++r.tp;
      const int64_t hid = f.hypotheses[static_cast<size_t>(gt_to[g])].id;
      auto it = last_match.find(t.id);
      if (it != last_match.end() && it->second != hid) ++r.id_switches;
      last_match[t.id] = hid;
    }
    // IDF1 counts every (truth, hypothesis) pair that overlaps enough in a frame, whatever the
    // per-frame matching chose.
    for (size_t g = 0; g < ng; ++g) {
      if (f.truth[g].ignore) continue;
      for (size_t h = 0; h < nh; ++h)
        if (!hyp_on_ignored[h] && iou(f.truth[g].box, f.hypotheses[h].box) >= kIou)
          ++co[{f.truth[g].id, f.hypotheses[h].id}];
    }
    for (size_t h = 0; h < nh; ++h) {
      if (hyp_on_ignored[h]) continue;
      ++r.hyp;
      ++hyp_count[f.hypotheses[h].id];
      if (!hyp_used[h]) ++r.fp;
    }
  }
  r.mota = r.gt ? 1.0 - static_cast<double>(r.fn + r.fp + r.id_switches) / r.gt : 0;
  // IDF1: one-to-one matching of whole trajectories that maximises the frames they share.
  std::vector<int64_t> gts, hyps;
  for (auto& [id, n] : gt_count) gts.push_back(id);
  for (auto& [id, n] : hyp_count) hyps.push_back(id);
  size_t most = 1;
  for (auto& [k, n] : co) most = std::max(most, n);
  cost.assign(gts.size() * hyps.size(), static_cast<float>(most) + 1.f);
  for (auto& [k, n] : co) {
    const auto g = std::lower_bound(gts.begin(), gts.end(), k.first) - gts.begin();
    const auto h = std::lower_bound(hyps.begin(), hyps.end(), k.second) - hyps.begin();
    if (h < static_cast<ptrdiff_t>(hyps.size()) && hyps[static_cast<size_t>(h)] == k.second)
      cost[static_cast<size_t>(g) * hyps.size() + static_cast<size_t>(h)] =
          static_cast<float>(most - n);
  }
  assign_with_limit(cost, gts.size(), hyps.size(), static_cast<float>(most), match, scratch);
  for (size_t g = 0; g < gts.size(); ++g)
    if (match[g] >= 0) {
      auto it = co.find({gts[g], hyps[static_cast<size_t>(match[g])]});
      if (it != co.end()) r.idtp += static_cast<double>(it->second);
    }
  r.idf1 = (r.gt + r.hyp) ? 2 * r.idtp / static_cast<double>(r.gt + r.hyp) : 0;
  return r;
}

}  // namespace percept::eval
