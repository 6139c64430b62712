#include "percept/track/byte_tracker.hpp"

#include <algorithm>
#include <cmath>

namespace percept {

namespace {

constexpr double kStep = 1.0 / KalmanBox::kStepsPerSecond;  // seconds
// Overlap above which an unmatched box is taken for a second box on a tracked object.
constexpr float kTwinIou = 0.7f;

bool valid(const Detection& d) {
  const Box& b = d.box;
  return std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2) &&
         std::isfinite(d.score) && b.x2 > b.x1 && b.y2 > b.y1;
}

// Removes the entries of `v` whose flag is set (order kept).
void remove_flagged(std::vector<int>& v, const std::vector<uint8_t>& flag) {
  v.erase(
      std::remove_if(v.begin(), v.end(), [&](int i) { return flag[static_cast<size_t>(i)] != 0; }),
      v.end());
}

}  // namespace

void ByteTracker::match(std::vector<int>& track_idx, std::vector<int>& det_idx, float limit,
                        bool fuse_score, Detections& dets, int64_t t_ns) {
  const size_t rows = track_idx.size(), cols = det_idx.size();
  if (rows == 0 || cols == 0) return;
  cost_.resize(rows * cols);
  for (size_t r = 0; r < rows; ++r) {
    const Box pred = tracks_[static_cast<size_t>(track_idx[r])].kf.box();
    for (size_t c = 0; c < cols; ++c) {
      const Detection& d = dets[static_cast<size_t>(det_idx[c])];
      const float o = iou(pred, d.box);
      cost_[r * cols + c] = 1.f - (fuse_score ? o * d.score : o);
    }
  }
  assign_with_limit(cost_, rows, cols, limit, row_match_, scratch_);
  // Matched tracks and detections leave their lists (flags indexed by track / detection).
  used_.assign(std::max(tracks_.size(), dets.size()), 0);
  for (size_t r = 0; r < rows; ++r) {
    const int c = row_match_[r];
    if (c < 0) continue;
    const int di = det_idx[static_cast<size_t>(c)];
    tracks_[static_cast<size_t>(track_idx[r])].det = di;
    absorb(tracks_[static_cast<size_t>(track_idx[r])], dets, di, t_ns);
    used_[static_cast<size_t>(track_idx[r])] = 1;
  }
  remove_flagged(track_idx, used_);
  used_.assign(used_.size(), 0);
  for (size_t r = 0; r < rows; ++r)
    if (row_match_[r] >= 0)
      used_[static_cast<size_t>(det_idx[static_cast<size_t>(row_match_[r])])] = 1;
  remove_flagged(det_idx, used_);
}

// Lost tracks whose prediction no longer overlaps their object (it drifts while the object is
// hidden, and the last boxes of a shape being covered pull its velocity astray): a confident
// box of the track's class whose centre lies near where the object was last seen, or near the
// prediction, within half the larger box's diagonal.
void ByteTracker::recover(std::vector<int>& track_idx, std::vector<int>& det_idx, Detections& dets,
                          int64_t t_ns) {
  const size_t rows = track_idx.size(), cols = det_idx.size();
  if (rows == 0 || cols == 0) return;
  cost_.resize(rows * cols);
  const auto centre_cost = [](const Box& a, const Box& b) {
    const float dx = (a.x1 + a.x2 - b.x1 - b.x2) / 2, dy = (a.y1 + a.y2 - b.y1 - b.y2) / 2;
    const float diag = std::sqrt(std::max(a.width() * a.width() + a.height() * a.height(),
                                          b.width() * b.width() + b.height() * b.height()));
    return diag > 0 ? std::sqrt(dx * dx + dy * dy) / (0.5f * diag) : 2.f;
  };
  for (size_t r = 0; r < rows; ++r) {
    const Track& t = tracks_[static_cast<size_t>(track_idx[r])];
    const Box pred = t.kf.box();
    for (size_t c = 0; c < cols; ++c) {
      const Detection& d = dets[static_cast<size_t>(det_idx[c])];
      cost_[r * cols + c] = d.class_id != t.vote_class
                                ? 2.f
                                : std::min(centre_cost(t.seen, d.box), centre_cost(pred, d.box));
    }
  }
  assign_with_limit(cost_, rows, cols, 1.f, row_match_, scratch_);
  used_.assign(std::max(tracks_.size(), dets.size()), 0);
  std::vector<uint8_t>& det_used = recover_used_;
  det_used.assign(dets.size(), 0);
  for (size_t r = 0; r < rows; ++r) {
    const int c = row_match_[r];
    if (c < 0) continue;
    const int di = det_idx[static_cast<size_t>(c)];
    Track& t = tracks_[static_cast<size_t>(track_idx[r])];
    t.kf.init(dets[static_cast<size_t>(di)].box);  // the old motion is what went wrong
    t.det = di;
    absorb(t, dets, di, t_ns);
    used_[static_cast<size_t>(track_idx[r])] = 1;
    det_used[static_cast<size_t>(di)] = 1;
  }
  remove_flagged(track_idx, used_);
  remove_flagged(det_idx, det_used);
}

void ByteTracker::absorb(Track& t, Detections& dets, int di, int64_t t_ns) {
  Detection& d = dets[static_cast<size_t>(di)];
  t.kf.update(d.box);
  if (alone_[static_cast<size_t>(di)]) {
    t.clear = t.kf;
    t.clear_ns = t_ns;
    t.has_clear = true;
  }
  t.seen = d.box;
  t.lost = false;
  t.last_seen_ns = t_ns;
  // Weighted majority vote (Boyer-Moore): the class with the larger share of the score so far.
  if (d.class_id == t.vote_class) {
    t.vote_weight += d.score;
  } else {
    t.vote_weight -= d.score;
    if (t.vote_weight < 0) t.vote_class = d.class_id, t.vote_weight = -t.vote_weight;
  }
  if (!d.has_position) return;
  const double z = d.position_m[2];
  // Depth from a model is good to a few percent of the distance; let the axes say so.
  const double meas_var = (0.02 * z) * (0.02 * z) + 1e-6;
  if (!t.has3d) {
    for (int a = 0; a < 3; ++a) t.axis[a].init(d.position_m[static_cast<size_t>(a)], meas_var);
    t.has3d = true;
    t.n3d = 1;
  } else {
    double dt = static_cast<double>(t_ns - t.last3d_ns) * 1e-9;
    if (!(dt > 0)) dt = kStep;
    constexpr double kAccelVar = 1.0;  // (1 m/s^2)^2: people and robots walking, not cars
    for (int a = 0; a < 3; ++a)
      t.axis[a].step(dt, d.position_m[static_cast<size_t>(a)], kAccelVar, meas_var);
    ++t.n3d;
  }
  t.last3d_ns = t_ns;
}

void ByteTracker::update(Detections& dets, int64_t t_ns, std::vector<uint8_t>& keep) {
  ++stats_.frames;
  const size_t n = dets.size();
  keep.assign(n, 0);
  // Time since the last frame, in Kalman steps of 1/30 s.
  double dt = kStep;
  const bool first = !started_;
  if (started_) {
    if (t_ns > last_ns_) {
      dt = static_cast<double>(t_ns - last_ns_) * 1e-9;
    } else {
      // The clock went back (a camera reconnected with a new epoch): move the tracks' times
      // with it, so that their ages stay what they were one step ago.
      ++stats_.time_backwards;
      const int64_t shift = t_ns - last_ns_ - static_cast<int64_t>(kStep * 1e9);
      for (Track& t : tracks_) t.last_seen_ns += shift, t.last3d_ns += shift;
    }
  }
  started_ = true;
  last_ns_ = t_ns;
  const double max_lost_s = config_.track_buffer / KalmanBox::kStepsPerSecond;
  if (dt > max_lost_s) {  // a reconnect or a stall: every track would have expired meanwhile
    stats_.removed += tracks_.size();
    tracks_.clear();
    dt = kStep;
  }

  // Candidates: valid boxes, the most confident max_detections of them.
  cand_.clear();
  for (size_t i = 0; i < n; ++i) {
    if (valid(dets[i]))
      cand_.push_back(static_cast<int>(i));
    else
      ++stats_.invalid;
  }
  if (cand_.size() > config_.max_detections) {
    std::nth_element(cand_.begin(), cand_.begin() + static_cast<ptrdiff_t>(config_.max_detections),
                     cand_.end(), [&](int a, int b) {
                       return dets[static_cast<size_t>(a)].score >
                              dets[static_cast<size_t>(b)].score;
                     });
    for (size_t k = config_.max_detections; k < cand_.size(); ++k) {
      const size_t i = static_cast<size_t>(cand_[k]);
      keep[i] = dets[i].score >= config_.publish_conf;  // published as the model gave it
    }
    stats_.capped += cand_.size() - config_.max_detections;
    cand_.resize(config_.max_detections);
  }
  high_.clear();
  low_.clear();
  for (int i : cand_) {
    const Detection& d = dets[static_cast<size_t>(i)];
    if (d.score >= config_.high_thresh)
      high_.push_back(i);
    else if (d.score >= config_.low_thresh)
      low_.push_back(i);
    else
      keep[static_cast<size_t>(i)] = d.score >= config_.publish_conf;
  }

  // Boxes no other candidate overlaps: their object is in full view.
  alone_.assign(n, 1);
  for (size_t a = 0; a < cand_.size(); ++a)
    for (size_t b = a + 1; b < cand_.size(); ++b) {
      const auto i = static_cast<size_t>(cand_[a]), j = static_cast<size_t>(cand_[b]);
      if (iou(dets[i].box, dets[j].box) > 0.f) alone_[i] = alone_[j] = 0;
    }

  pool_.clear();
  unconf_.clear();
  for (size_t k = 0; k < tracks_.size(); ++k) {
    Track& t = tracks_[k];
    t.kf.predict(dt * KalmanBox::kStepsPerSecond);
    t.det = -1;
    (t.id > 0 ? pool_ : unconf_).push_back(static_cast<int>(k));
  }

  // 1. Confirmed tracks against the confident boxes: first those seen in the last frame, then
  // the lost ones against the boxes left. A lost track's prediction drifts while its object is
  // hidden, and in one joint assignment it could take the box of the object in front.
  rest_.clear();
  lost_.clear();
  for (int k : pool_) (tracks_[static_cast<size_t>(k)].lost ? lost_ : rest_).push_back(k);
  match(rest_, high_, static_cast<float>(config_.match_thresh), true, dets, t_ns);
  match(lost_, high_, static_cast<float>(config_.match_thresh), true, dets, t_ns);
  recover(lost_, high_, dets, t_ns);
  // 2. Tracks that were being followed, against the low-score boxes; the rest are lost.
  match(rest_, low_, 0.5f, false, dets, t_ns);
  for (int k : rest_) {
    Track& t = tracks_[static_cast<size_t>(k)];
    t.lost = true;
    // Its last boxes may have been those of an object being covered: go on from the filter of
    // its last box in full view, predicted to now.
    if (t.has_clear && t.clear_ns < t_ns) {
      t.kf = t.clear;
      t.kf.predict(static_cast<double>(t_ns - t.clear_ns) * 1e-9 * KalmanBox::kStepsPerSecond);
    }
  }
  // 3. Unconfirmed tracks against the confident boxes left: confirmed, or dropped.
  match(unconf_, high_, 0.7f, true, dets, t_ns);
  for (Track& t : tracks_)
    if (t.id == 0 && t.det >= 0) {
      t.id = next_id_++;
      ++stats_.confirmed;
    }
  // 4. New tracks. On the tracker's first frame they are confirmed at once (as ByteTrack does):
  // there is no earlier frame to confirm them against.
  for (int i : high_) {
    const Detection& d = dets[static_cast<size_t>(i)];
    if (d.score < config_.new_track_thresh) continue;
    // A second box on an object a track already holds (class-aware NMS keeps a "square" and
    // a "cross" on one shape) would start a twin track that steals the object's identity.
    bool twin = false;
    for (const Track& held : tracks_)
      twin =
          twin || (held.det >= 0 && iou(dets[static_cast<size_t>(held.det)].box, d.box) > kTwinIou);
    if (twin) continue;
    Track t;
    t.kf.init(d.box);
    t.seen = d.box;
    t.last_seen_ns = t_ns;
    t.vote_class = d.class_id;
    t.vote_weight = d.score;
    t.det = i;
    if (first) {
      t.id = next_id_++;
      ++stats_.confirmed;
    }
    tracks_.push_back(t);
    absorb(tracks_.back(), dets, i, t_ns);
  }

  // Publish: tracked detections carry their track; the others follow publish_conf.
  for (int i : high_)
    keep[static_cast<size_t>(i)] = dets[static_cast<size_t>(i)].score >= config_.publish_conf;
  for (int i : low_)
    keep[static_cast<size_t>(i)] = dets[static_cast<size_t>(i)].score >= config_.publish_conf;
  for (const Track& t : tracks_) {
    if (t.det < 0) continue;
    Detection& d = dets[static_cast<size_t>(t.det)];
    if (t.id == 0) {
      keep[static_cast<size_t>(t.det)] = d.score >= config_.publish_conf;
      continue;
    }
    keep[static_cast<size_t>(t.det)] = 1;
    d.track_id = t.id;
    d.velocity_px_s = t.kf.velocity_px_s();
    d.class_id = t.vote_class;
    d.has_velocity_m_s = t.has3d && t.n3d >= 2 && t.last3d_ns == t_ns;
    if (d.has_velocity_m_s)
      for (int a = 0; a < 3; ++a)
        d.velocity_m_s[static_cast<size_t>(a)] = static_cast<float>(t.axis[a].velocity());
  }

  // Forget unconfirmed tracks that found no box, and lost tracks past their time.
  const auto max_lost_ns = static_cast<int64_t>(max_lost_s * 1e9);
  const size_t before = tracks_.size();
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) {
                                 return (t.id == 0 && t.det < 0) ||
                                        (t.lost && t_ns - t.last_seen_ns > max_lost_ns);
                               }),
                tracks_.end());
  stats_.removed += before - tracks_.size();
  stats_.active = 0;
  for (const Track& t : tracks_) stats_.active += t.id > 0;
}

}  // namespace percept
