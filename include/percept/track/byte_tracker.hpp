// Multi-object tracking for one camera and one detection model, ByteTrack-class
// (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", 2022):
//
//  1. confident boxes (score >= high_thresh) are matched to the confirmed tracks by 1 - IoU x
//     score against the track's Kalman prediction (cost limit match_thresh): first the tracks
//     seen in the last frame, then the lost ones against the boxes left (a lost track's
//     prediction drifts while its object is hidden; it must not take the box in front);
//  2. recovery: a lost track that no box overlaps takes a confident box of its class whose
//     centre is within half a box diagonal of where it was last seen or predicted, and its
//     motion restarts there;
//  3. the low-score boxes (low_thresh <= score < high_thresh: an occluded or blurred object) are
//     matched to the tracks seen in the last frame and still unmatched, by 1 - IoU (limit 0.5);
//     a track matched by neither is lost;
//  4. unconfirmed tracks (one frame old) are matched to the confident boxes left (limit 0.7):
//     matched, they are confirmed and get their id; not matched, they are dropped;
//  5. a confident box left over with score >= new_track_thresh starts an unconfirmed track,
//     unless it overlaps (IoU > 0.7) a box a track holds: a second box on one object (two
//     classes kept by class-aware NMS) would start a twin that steals the identity;
//  6. a lost track is removed track_buffer / 30 seconds after it was last seen.
//
// A track that becomes lost goes on from its filter as it was at its last box that no other
// box overlapped, predicted to now: the boxes of an object being covered shrink and drag the
// filter's velocity away from the object's (docs/TRACKING.md, IDF1 0.893 -> 0.897).
//
// Decisions the issue left to us (docs/TRACKING.md):
//  - association by IoU is class-agnostic (a detector's class flickers between similar shapes,
//    and a flicker must not break an identity; only step 2 asks for the class); a track's
//    class is a weighted vote of the classes of its boxes, and a tracked detection is
//    published with that class;
//  - a box the model would publish on its own (score >= publish_conf, the model's `conf`) is
//    always published, with its track id once its track is confirmed, 0 before; a box below
//    publish_conf (kept only because the tracker lowered the decoding threshold to low_thresh)
//    is published only when it continues a confirmed track;
//  - time comes from the frame timestamps: a step backwards counts as one 1/30 s step; a gap
//    longer than the lost-track time ends every track (a camera that reconnects after minutes
//    starts with new ids). Ids are never reused within a tracker's life;
//  - a box with a non-finite coordinate or score, or no area, is neither tracked nor published
//    (counted: invalid); more than max_detections boxes in one frame: the least confident are
//    published untracked (counted: capped).
//
// Memory: tracks live in one vector that grows to the most tracks seen at once; removed tracks
// are forgotten (no unbounded "removed" list). After warm-up, update() does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "percept/core/detection.hpp"
#include "percept/track/assignment.hpp"
#include "percept/track/kalman_box.hpp"

namespace percept {

struct TrackerConfig {
  double high_thresh = 0.25;       // first association
  double low_thresh = 0.1;         // second association: boxes in [low_thresh, high_thresh)
  double new_track_thresh = 0.25;  // an unmatched box this confident starts a track
  double match_thresh = 0.8;       // cost limit (1 - IoU x score) of the first association
  int track_buffer = 30;           // lost tracks are kept track_buffer / 30 seconds
  size_t max_detections = 1000;    // boxes tracked per frame; the rest are published untracked
  double publish_conf = 0.25;      // the model's `conf` (set by the config, not by the user)
};

struct TrackerStats {
  uint64_t frames = 0;
  uint64_t confirmed = 0;  // ids handed out
  uint64_t removed = 0;    // tracks forgotten (lost too long, or unconfirmed and unmatched)
  uint64_t invalid = 0;    // boxes refused (non-finite, no area)
  uint64_t capped = 0;     // boxes beyond max_detections
  uint64_t time_backwards = 0;
  size_t active = 0;  // confirmed tracks, tracked or lost, after the last frame
};

class ByteTracker {
 public:
  explicit ByteTracker(const TrackerConfig& config) : config_(config) {}

  // Tracks one frame taken at `t_ns` (any clock; only differences count). Sets track_id,
  // velocity_px_s, the voted class_id and (when the detection has a position) velocity_m_s of
  // tracked detections, and keep[i] = whether detection i is published (see above).
  void update(Detections& dets, int64_t t_ns, std::vector<uint8_t>& keep);

  const TrackerStats& stats() const { return stats_; }
  const TrackerConfig& config() const { return config_; }

 private:
  struct Track {
    KalmanBox kf;
    int64_t id = 0;  // 0 while unconfirmed
    bool lost = false;
    int64_t last_seen_ns = 0;
    int vote_class = 0;
    float vote_weight = 0;
    int det = -1;  // detection matched in this frame
    Box seen;      // the last box matched
    bool has3d = false;
    int n3d = 0;
    int64_t last3d_ns = 0;
    KalmanAxis axis[3];
    KalmanBox clear;  // the filter after the last box no other box overlapped
    int64_t clear_ns = 0;
    bool has_clear = false;
  };
  void match(std::vector<int>& track_idx, std::vector<int>& det_idx, float limit, bool fuse_score,
             Detections& dets, int64_t t_ns);
  void recover(std::vector<int>& track_idx, std::vector<int>& det_idx, Detections& dets,
               int64_t t_ns);
  void absorb(Track& t, Detections& dets, int di, int64_t t_ns);

  TrackerConfig config_;
  TrackerStats stats_;
  std::vector<Track> tracks_;
  int64_t next_id_ = 1;
  int64_t last_ns_ = 0;
  bool started_ = false;
  // Per-frame scratch, reused.
  std::vector<int> cand_, high_, low_, pool_, unconf_, rest_, lost_, row_match_;
  std::vector<uint8_t> used_, recover_used_;
  std::vector<uint8_t> alone_;  // per detection: no other candidate box overlaps it
  std::vector<float> cost_;
  AssignmentScratch scratch_;
};

}  // namespace percept
