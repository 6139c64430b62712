#include "percept/io/annotate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "percept/core/depth_colour_math.hpp"
#include "percept/core/inferno_lut.hpp"
#include "percept/io/image_io.hpp"

namespace percept {

namespace {

// Well-separated hues so that neighbouring class ids do not look alike.
cv::Scalar class_colour(int id) {
  static const cv::Scalar palette[] = {
      {56, 56, 255},  {151, 157, 255}, {31, 112, 255}, {29, 178, 255},  {49, 210, 207},
      {10, 249, 72},  {23, 204, 146},  {134, 219, 61}, {52, 147, 26},   {187, 212, 0},
      {168, 153, 44}, {255, 194, 0},   {147, 69, 52},  {255, 115, 100}, {236, 24, 0},
      {255, 56, 132}, {133, 0, 82},    {255, 56, 203}, {200, 149, 255}, {199, 55, 255}};
  const int n = static_cast<int>(std::size(palette));
  return palette[((id % n) + n) % n];
}

}  // namespace

void draw_detections(Image& frame, const Detections& dets,
                     const std::function<std::string(int)>& label_of) {
  cv::Mat m = mat_view(frame);
  const int thick = std::max(1, std::min(m.cols, m.rows) / 320);
  const double font = std::max(0.4, std::min(m.cols, m.rows) / 900.0);
  for (const Detection& d : dets) {
    const cv::Scalar c = class_colour(d.class_id);
    cv::Point p1(static_cast<int>(d.box.x1), static_cast<int>(d.box.y1));
    cv::Point p2(static_cast<int>(d.box.x2), static_cast<int>(d.box.y2));
    cv::rectangle(m, p1, p2, c, thick, cv::LINE_AA);
    char score[32];
    if (d.distance != Detection::kNoDistance)
      std::snprintf(score, sizeof score, " %.2f %.2f", static_cast<double>(d.score),
                    static_cast<double>(d.distance));
    else
      std::snprintf(score, sizeof score, " %.2f", static_cast<double>(d.score));
    std::string text = label_of(d.class_id) + score;
    if (d.track_id > 0) text = "#" + std::to_string(d.track_id) + " " + text;
    int base = 0;
    cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
    // Tag above the box, or inside it when the box touches the top edge.
    int y = p1.y - ts.height - base >= 0 ? p1.y - ts.height - base : p1.y;
    int x = std::clamp(p1.x, 0, std::max(0, m.cols - ts.width));
    cv::rectangle(m, {x, y}, {x + ts.width, y + ts.height + base}, c, cv::FILLED);
    cv::putText(m, text, {x, y + ts.height}, cv::FONT_HERSHEY_SIMPLEX, font, {255, 255, 255}, 1,
                cv::LINE_AA);
  }
}

void Trails::update_and_draw(Image& frame, int camera, size_t model, int64_t index,
                             const Detections& dets) {
  // Forget trails not continued for a trail's length of frames (the object left or was lost).
  trails_.erase(std::remove_if(trails_.begin(), trails_.end(),
                               [&](const Trail& t) {
                                 return t.camera == camera && t.model == model &&
                                        (index - t.last_index > kLength || index < t.last_index);
                               }),
                trails_.end());
  cv::Mat m = mat_view(frame);
  const int thick = std::max(1, std::min(m.cols, m.rows) / 320);
  for (const Detection& d : dets) {
    if (d.track_id <= 0) continue;
    auto it = std::find_if(trails_.begin(), trails_.end(), [&](const Trail& t) {
      return t.id == d.track_id && t.camera == camera && t.model == model;
    });
    if (it == trails_.end()) {
      trails_.push_back({camera, model, d.track_id, index, 0, 0, {}});
      it = trails_.end() - 1;
    }
    Trail& t = *it;
    t.last_index = index;
    t.centres[static_cast<size_t>(t.head)] = {(d.box.x1 + d.box.x2) / 2, (d.box.y1 + d.box.y2) / 2};
    t.head = (t.head + 1) % kLength;
    t.count = std::min(t.count + 1, kLength);
    const cv::Scalar c = class_colour(d.class_id);
    for (int k = 1; k < t.count; ++k) {  // oldest to newest
      const auto& a =
          t.centres[static_cast<size_t>((t.head - t.count + k - 1 + kLength) % kLength)];
      const auto& b = t.centres[static_cast<size_t>((t.head - t.count + k + kLength) % kLength)];
      cv::line(m, cv::Point(static_cast<int>(a[0]), static_cast<int>(a[1])),
               cv::Point(static_cast<int>(b[0]), static_cast<int>(b[1])), c, thick, cv::LINE_AA);
    }
  }
}

void draw_faces(Image& frame, const Faces& faces) {
  cv::Mat m = mat_view(frame);
  const int thick = std::max(1, std::min(m.cols, m.rows) / 320);
  const cv::Scalar box(80, 220, 80), dot(40, 40, 255);
  for (const Face& f : faces) {
    cv::rectangle(m, cv::Point(static_cast<int>(f.box.x1), static_cast<int>(f.box.y1)),
                  cv::Point(static_cast<int>(f.box.x2), static_cast<int>(f.box.y2)), box, thick,
                  cv::LINE_AA);
    for (const auto& k : f.keypoints)
      cv::circle(m, cv::Point(static_cast<int>(k[0]), static_cast<int>(k[1])), thick + 1, dot,
                 cv::FILLED, cv::LINE_AA);
    char score[16];
    std::snprintf(score, sizeof score, "face %.2f", static_cast<double>(f.score));
    cv::putText(m, score,
                cv::Point(static_cast<int>(f.box.x1), std::max(12, static_cast<int>(f.box.y1) - 4)),
                cv::FONT_HERSHEY_SIMPLEX, 0.45, box, 1, cv::LINE_AA);
  }
}

void overlay_segmentation(Image& frame, const SegmentationMap& seg, float alpha) {
  if (seg.width != frame.width() || seg.height != frame.height() ||
      frame.format() == PixelFormat::gray8)
    return;
  cv::Mat m = mat_view(frame);
  const bool rgb = frame.format() == PixelFormat::rgb8;
  const float keep = 1.f - alpha;
  for (int y = 0; y < seg.height; ++y) {
    auto* px = m.ptr<uint8_t>(y);
    const uint8_t* cls = seg.classes.data() + static_cast<size_t>(y) * seg.width;
    for (int x = 0; x < seg.width; ++x, px += 3) {
      const cv::Scalar c = class_colour(cls[x]);
      for (int k = 0; k < 3; ++k) {
        const double v = c[rgb ? 2 - k : k];
        px[k] = static_cast<uint8_t>(keep * px[k] + alpha * static_cast<float>(v) + 0.5f);
      }
    }
  }
}

void overlay_masks(Image& frame, const Detections& dets, const InstanceMasks& masks, float alpha) {
  if (masks.items.size() != dets.size() || frame.format() == PixelFormat::gray8) return;
  cv::Mat m = mat_view(frame);
  const bool rgb = frame.format() == PixelFormat::rgb8;
  const float keep = 1.f - alpha;
  for (size_t i = 0; i < dets.size(); ++i) {
    const InstanceMask& mk = masks.items[i];
    const cv::Scalar c = class_colour(dets[i].class_id);
    // Masks lie inside their frame; a mask that does not is skipped rather than drawn outside.
    if (mk.x < 0 || mk.y < 0 || mk.x + mk.width > m.cols || mk.y + mk.height > m.rows ||
        mk.offset + static_cast<size_t>(mk.width) * mk.height > masks.pixels.size())
      continue;
    for (int y = 0; y < mk.height; ++y) {
      const uint8_t* bit = masks.pixels.data() + mk.offset + static_cast<size_t>(y) * mk.width;
      auto* px = m.ptr<uint8_t>(mk.y + y) + static_cast<size_t>(mk.x) * 3;
      for (int x = 0; x < mk.width; ++x, px += 3) {
        if (!bit[x]) continue;
        for (int k = 0; k < 3; ++k) {
          const double v = c[rgb ? 2 - k : k];
          px[k] = static_cast<uint8_t>(keep * px[k] + alpha * static_cast<float>(v) + 0.5f);
        }
      }
    }
  }
}

void draw_keypoints(Image& frame, const Detections& dets, const DetectionKeypoints& keypoints,
                    float min_visibility) {
  if (keypoints.detections() != dets.size()) return;
  // COCO's 17 keypoints: the limbs Ultralytics draws (1-based in its table, 0-based here).
  static const int kSkeleton[][2] = {
      {15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12}, {5, 6}, {5, 7}, {6, 8},
      {7, 9},   {8, 10},  {1, 2},   {0, 1},   {0, 2},   {1, 3},  {2, 4},  {3, 5}, {4, 6}};
  cv::Mat m = mat_view(frame);
  const int thick = std::max(1, std::min(m.cols, m.rows) / 320);
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto pts = keypoints.of(i);
    const cv::Scalar c = class_colour(dets[i].class_id);
    auto at = [&](size_t k) {
      return cv::Point(static_cast<int>(pts[k].x), static_cast<int>(pts[k].y));
    };
    if (pts.size() == 17)
      for (const auto& limb : kSkeleton)
        if (pts[limb[0]].v >= min_visibility && pts[limb[1]].v >= min_visibility)
          cv::line(m, at(limb[0]), at(limb[1]), c, thick, cv::LINE_AA);
    for (size_t k = 0; k < pts.size(); ++k)
      if (pts[k].v >= min_visibility) {
        cv::circle(m, at(k), thick + 2, {255, 255, 255}, cv::FILLED, cv::LINE_AA);
        cv::circle(m, at(k), thick + 1, c, cv::FILLED, cv::LINE_AA);
      }
  }
}

void draw_class_legend(Image& frame, const std::vector<std::pair<int, std::string>>& classes,
                       size_t max_rows) {
  if (classes.empty() || frame.format() == PixelFormat::gray8) return;
  cv::Mat m = mat_view(frame);
  const bool rgb = frame.format() == PixelFormat::rgb8;
  const double font = std::max(0.4, std::min(m.cols, m.rows) / 1000.0);
  int base = 0;
  const int row = cv::getTextSize("Ag", cv::FONT_HERSHEY_SIMPLEX, font, 1, &base).height + base + 4;
  const size_t rows = std::min(classes.size(), max_rows);
  int width = 0;
  for (size_t i = 0; i < rows; ++i)
    width = std::max(
        width, cv::getTextSize(classes[i].second, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base).width);
  const cv::Rect panel(4, 4, std::min(m.cols - 8, width + row + 12),
                       std::min(m.rows - 8, static_cast<int>(rows) * row + 6));
  if (panel.width <= 0 || panel.height <= 0) return;
  cv::Mat roi = m(panel);
  roi *= 0.35;  // darken behind the text so it stays legible on any frame
  for (size_t i = 0; i < rows; ++i) {
    const int y = panel.y + 3 + static_cast<int>(i) * row;
    cv::Scalar c = class_colour(classes[i].first);
    if (rgb) std::swap(c[0], c[2]);
    cv::rectangle(m, cv::Rect(panel.x + 4, y + 2, row - 6, row - 6), c, cv::FILLED);
    cv::putText(m, classes[i].second, {panel.x + row + 4, y + row - base - 3},
                cv::FONT_HERSHEY_SIMPLEX, font, {255, 255, 255}, 1, cv::LINE_AA);
  }
}

void draw_depth_inset(Image& frame, const DepthMap& depth, float fraction) {
  if (depth.width <= 0 || depth.height <= 0 || frame.format() == PixelFormat::gray8) return;
  float lo = 0, hi = 0;
  size_t valid = 0;
  for (float v : depth.values)
    if (std::isfinite(v)) {
      lo = valid ? std::min(lo, v) : v;
      hi = valid ? std::max(hi, v) : v;
      ++valid;
    }
  if (valid == 0) return;
  cv::Mat m = mat_view(frame);
  Image pic = colorize_depth(depth);
  cv::Mat colour = mat_view(pic);
  if (frame.format() == PixelFormat::rgb8) cv::cvtColor(colour, colour, cv::COLOR_BGR2RGB);
  const int w = std::max(16, static_cast<int>(static_cast<float>(m.cols) * fraction));
  const int h = std::max(8, w * depth.height / depth.width);
  const int bar = std::max(6, w / 16), pad = 4;
  if (w + bar + 3 * pad > m.cols || h + 2 * pad > m.rows) return;
  const int x0 = m.cols - w - bar - 2 * pad, y0 = m.rows - h - pad;
  cv::Mat inset;
  cv::resize(colour, inset, {w, h}, 0, 0, cv::INTER_NEAREST);
  inset.copyTo(m(cv::Rect(x0, y0, w, h)));
  cv::rectangle(m, cv::Rect(x0 - 1, y0 - 1, w + 2, h + 2), {255, 255, 255}, 1);
  // Colour bar: near (bright) at the top, far (dark) at the bottom, as colorize_depth maps them.
  cv::Mat ramp(h, 1, CV_8UC1);
  for (int y = 0; y < h; ++y)
    ramp.at<uint8_t>(y) = static_cast<uint8_t>(255 - 254 * y / std::max(1, h - 1));
  cv::Mat ramp_colour;
  cv::applyColorMap(ramp, ramp_colour, cv::COLORMAP_INFERNO);
  if (frame.format() == PixelFormat::rgb8)
    cv::cvtColor(ramp_colour, ramp_colour, cv::COLOR_BGR2RGB);
  cv::resize(ramp_colour, ramp_colour, {bar, h}, 0, 0, cv::INTER_NEAREST);
  ramp_colour.copyTo(m(cv::Rect(x0 + w + pad, y0, bar, h)));
  char range[64];
  if (depth.unit == DepthUnit::metres)
    std::snprintf(range, sizeof range, "depth %.1f - %.1f m (near = bright)",
                  static_cast<double>(lo), static_cast<double>(hi));
  else
    std::snprintf(range, sizeof range, "relative depth (near = bright)");
  const double font = std::max(0.35, std::min(m.cols, m.rows) / 1200.0);
  int base = 0;
  const cv::Size ts = cv::getTextSize(range, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
  const int tx = std::max(0, m.cols - pad - ts.width), ty = y0 - pad;
  if (ty - ts.height - base < 0) return;
  cv::Mat label =
      m(cv::Rect(tx, ty - ts.height - base, std::min(ts.width, m.cols - tx), ts.height + base + 2));
  label *= 0.35;
  cv::putText(m, range, {tx, ty - base + 1}, cv::FONT_HERSHEY_SIMPLEX, font, {255, 255, 255}, 1,
              cv::LINE_AA);
}

OutlinedText::OutlinedText(const std::string& text, double scale) {
  int baseline = 0;
  const cv::Size t = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 3, &baseline);
  const int ox = 9, oy = static_cast<int>(std::lround(23 * scale / 0.7));
  w_ = ox + t.width + 4;
  h_ = oy + baseline + 4;
  cv::Mat outline = cv::Mat::zeros(h_, w_, CV_8UC1), inner = cv::Mat::zeros(h_, w_, CV_8UC1);
  cv::putText(outline, text, cv::Point(ox, oy), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255), 3,
              cv::LINE_AA);
  cv::putText(inner, text, cv::Point(ox - 1, oy - 1), cv::FONT_HERSHEY_SIMPLEX, scale,
              cv::Scalar(255), 1, cv::LINE_AA);
  outline_.assign(outline.data, outline.data + outline.total());
  text_.assign(inner.data, inner.data + inner.total());
}

void OutlinedText::draw(Image& frame, int x, int y, int max_w, int max_h) const {
  const int ch = channels_of(frame.format());
  const int w = std::min(w_, max_w), h = std::min(h_, max_h);
  for (int r = std::max(0, -y); r < h && y + r < frame.height(); ++r) {
    uint8_t* p = frame.row(y + r);
    const uint8_t* a = outline_.data() + static_cast<size_t>(r) * w_;
    const uint8_t* b = text_.data() + static_cast<size_t>(r) * w_;
    for (int c = std::max(0, -x); c < w && x + c < frame.width(); ++c)
      for (int k = 0; k < ch; ++k) {
        uint8_t& v = p[(x + c) * ch + k];
        const int dark = v * (255 - a[c]) / 255;                             // the outline, black
        v = static_cast<uint8_t>((dark * (255 - b[c]) + 255 * b[c]) / 255);  // the text, white
      }
  }
}

Image colorize_depth(const DepthMap& depth) {
  float lo = 0, hi = 0;
  bool first = true;
  for (float v : depth.values)
    if (finite_f(v)) {
      lo = first ? v : std::min(lo, v);
      hi = first ? v : std::max(hi, v);
      first = false;
    }
  const float span = depth_span(lo, hi);
  const bool invert = depth.unit == DepthUnit::metres;
  Image out(depth.width, depth.height, PixelFormat::bgr8);
  for (int y = 0; y < depth.height; ++y) {
    const float* v = depth.values.data() + static_cast<size_t>(y) * depth.width;
    uint8_t* o = out.row(y);
    for (int x = 0; x < depth.width; ++x, o += 3) {
      const uint8_t g = depth_grey(v[x], lo, span, invert);
      const Bgr8 c = g ? kInfernoBgr[g] : Bgr8{0, 0, 0};  // "no depth" black, not the darkest
      o[0] = c.b;
      o[1] = c.g;
      o[2] = c.r;
    }
  }
  return out;
}

}  // namespace percept
