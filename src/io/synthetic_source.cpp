#include "percept/io/synthetic_source.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <random>

namespace percept {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The same shape geometry as tools/shapes_dataset.py (what the test detector was trained on):
// circumradius r, rotation a.
std::vector<cv::Point2d> polygon(int cls, double cx, double cy, double r, double a) {
  std::vector<cv::Point2d> p;
  auto ring = [&](int n, double start, double r_odd) {
    for (int i = 0; i < n; ++i) {
      const double t = start + i * 2 * kPi / n;
      const double rr = (i % 2 == 1) ? r_odd : r;
      p.emplace_back(std::cos(t) * rr, std::sin(t) * rr);
    }
  };
  switch (cls) {
    case 0:
      ring(std::max(32, static_cast<int>(r * 1.5)), 0, r);
      break;
    case 1:
      ring(4, kPi / 4, r);
      break;
    case 2:
      ring(3, -kPi / 2, r);
      break;
    case 3:
      ring(10, -kPi / 2, 0.45 * r);
      break;
    default: {
      const double l = r / std::sqrt(1 + 0.09), w = 0.3 * l;
      p = {{w, -l}, {w, -w}, {l, -w}, {l, w},   {w, w},   {w, l},
           {-w, l}, {-w, w}, {-l, w}, {-l, -w}, {-w, -w}, {-w, -l}};
    }
  }
  const double c = std::cos(a), s = std::sin(a);
  for (auto& q : p) {
    const double x = cls == 0 ? q.x : q.x * c - q.y * s;
    const double y = cls == 0 ? q.y : q.x * s + q.y * c;
    q = {x + cx, y + cy};
  }
  return p;
}

}  // namespace

SyntheticScene::SyntheticScene(const SyntheticOptions& opt) : opt_(opt) {
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> u(0, 1);
  const int w = opt.width, h = opt.height;
  // Background: two-colour gradient, low-frequency blobs and a few clutter lines (not shapes).
  cv::Mat bg(h, w, CV_8UC3);
  const cv::Vec3d c0(u(rng) * 200, u(rng) * 200, u(rng) * 200);
  const cv::Vec3d c1(u(rng) * 200, u(rng) * 200, u(rng) * 200);
  for (int y = 0; y < h; ++y) {
    const double t = static_cast<double>(y) / std::max(1, h - 1);
    const cv::Vec3d c = c0 * (1 - t) + c1 * t;
    bg.row(y).setTo(cv::Scalar(c[0], c[1], c[2]));
  }
  for (int i = 0; i < 6; ++i) {
    cv::Point a(static_cast<int>(u(rng) * w), static_cast<int>(u(rng) * h));
    cv::Point b(static_cast<int>(u(rng) * w), static_cast<int>(u(rng) * h));
    cv::line(bg, a, b, cv::Scalar(u(rng) * 255, u(rng) * 255, u(rng) * 255),
             1 + static_cast<int>(u(rng) * 4), cv::LINE_AA);
  }
  background_.assign(bg.data, bg.data + static_cast<size_t>(w) * h * 3);

  const double side = std::min(w, h);
  for (int i = 0; i < opt.objects; ++i) {
    Mover m;
    m.id = next_id_++;
    m.class_id = i % 5;
    m.radius = side * (0.08 + u(rng) * 0.12);
    m.x = m.radius + u(rng) * (w - 2 * m.radius);
    m.y = m.radius + u(rng) * (h - 2 * m.radius);
    const double speed = side * (0.004 + u(rng) * 0.008), dir = u(rng) * 2 * kPi;
    m.vx = speed * std::cos(dir);
    m.vy = speed * std::sin(dir);
    m.angle = u(rng) * 2 * kPi;
    m.spin = (u(rng) - 0.5) * 0.05;
    m.distance = 1.5 + u(rng) * 8.0;
    // Bright, saturated colours stand out from the darker background.
    m.b = static_cast<uint8_t>(60 + u(rng) * 195);
    m.g = static_cast<uint8_t>(60 + u(rng) * 195);
    m.r = static_cast<uint8_t>(60 + u(rng) * 195);
    movers_.push_back(m);
  }
  rng_state_ = opt.seed * 0x9E3779B97F4A7C15ull + 1;
  // Far shapes first, so nearer ones are drawn over them.
  std::sort(movers_.begin(), movers_.end(),
            [](const Mover& a, const Mover& b) { return a.distance > b.distance; });
}

bool SyntheticScene::next(Image& frame) {
  if (opt_.frames >= 0 && index_ >= opt_.frames) return false;
  const int w = opt_.width, h = opt_.height;
  frame.resize(w, h, PixelFormat::bgr8);
  std::memcpy(frame.data(), background_.data(), background_.size());
  cv::Mat img(h, w, CV_8UC3, frame.data(), frame.stride());
  depth_valid_ = false;
  polygons_.resize(movers_.size());
  truth_.clear();
  drawn_.clear();
  std::mt19937_64 rng(rng_state_ + static_cast<uint64_t>(index_));
  std::uniform_real_distribution<double> u(0, 1);
  for (Mover& m : movers_) {
    if (opt_.wander && index_ > 0) {
      if (m.away > 0 && --m.away == 0) {
        // Back from a random edge, heading inwards: a new object as far as anyone can tell.
        m.id = next_id_++;
        const double speed = std::hypot(m.vx, m.vy);
        const int edge = static_cast<int>(u(rng) * 4);
        const double along = 0.2 + 0.6 * u(rng), dir = (u(rng) - 0.5) * kPi / 2;
        const double r = m.radius;
        if (edge == 0)
          m.x = -r, m.y = along * h, m.vx = speed * std::cos(dir), m.vy = speed * std::sin(dir);
        if (edge == 1)
          m.x = w + r, m.y = along * h, m.vx = -speed * std::cos(dir), m.vy = speed * std::sin(dir);
        if (edge == 2)
          m.y = -r, m.x = along * w, m.vy = speed * std::cos(dir), m.vx = speed * std::sin(dir);
        if (edge == 3)
          m.y = h + r, m.x = along * w, m.vy = -speed * std::cos(dir), m.vx = speed * std::sin(dir);
      }
      if (m.away > 0) continue;
      m.x += m.vx;
      m.y += m.vy;
      m.angle += m.spin;
      if (m.x < -m.radius || m.x > w + m.radius || m.y < -m.radius || m.y > h + m.radius) {
        m.away = 10 + static_cast<int>(u(rng) * 50);
        continue;
      }
    } else if (index_ > 0) {  // frame 0 shows the start positions
      m.x += m.vx;
      m.y += m.vy;
      m.angle += m.spin;
      if (m.x < m.radius || m.x > w - m.radius) m.vx = -m.vx;
      if (m.y < m.radius || m.y > h - m.radius) m.vy = -m.vy;
      m.x = std::clamp(m.x, m.radius, w - m.radius);
      m.y = std::clamp(m.y, m.radius, h - m.radius);
    }
    const auto poly = polygon(m.class_id, m.x, m.y, m.radius, m.angle);
    std::vector<cv::Point> pts;
    double x1 = 1e9, y1 = 1e9, x2 = -1e9, y2 = -1e9;
    for (const auto& q : poly) {
      // 4 fractional bits: sub-pixel anti-aliased edges.
      pts.emplace_back(static_cast<int>(std::lround(q.x * 16)),
                       static_cast<int>(std::lround(q.y * 16)));
      x1 = std::min(x1, q.x), y1 = std::min(y1, q.y), x2 = std::max(x2, q.x),
      y2 = std::max(y2, q.y);
    }
    if (m.class_id == 0)
      x1 = m.x - m.radius, x2 = m.x + m.radius, y1 = m.y - m.radius, y2 = m.y + m.radius;
    cv::fillPoly(img, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(m.b, m.g, m.r),
                 cv::LINE_AA, 4);
    polygons_[static_cast<size_t>(&m - movers_.data())] = pts;
    auto clip = [](double v, int hi) { return static_cast<float>(std::clamp(v, 0.0, 1.0 * hi)); };
    truth_.push_back({m.id,
                      {clip(x1, w), clip(y1, h), clip(x2, w), clip(y2, h)},
                      m.class_id,
                      static_cast<float>(m.distance)});
    drawn_.push_back(static_cast<size_t>(&m - movers_.data()));
  }
  ++index_;
  return true;
}

const std::vector<float>& SyntheticScene::depth_map() {
  if (depth_valid_) return depth_;
  const int w = opt_.width, h = opt_.height;
  depth_.resize(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    const float d = 12.f - 10.f * static_cast<float>(y) / static_cast<float>(std::max(1, h - 1));
    std::fill(depth_.begin() + static_cast<ptrdiff_t>(y) * w,
              depth_.begin() + static_cast<ptrdiff_t>(y + 1) * w, d);
  }
  cv::Mat depth(h, w, CV_32F, depth_.data());
  for (size_t i : drawn_)  // far to near, as drawn
    cv::fillPoly(depth, std::vector<std::vector<cv::Point>>{polygons_[i]},
                 cv::Scalar(movers_[i].distance), cv::LINE_8, 4);
  depth_valid_ = true;
  return depth_;
}

std::vector<float> SyntheticScene::visibility() {
  const int w = opt_.width, h = opt_.height;
  cv::Mat label(h, w, CV_32S, cv::Scalar(-1));
  for (size_t k = 0; k < drawn_.size(); ++k)  // far to near: the nearest shape owns a pixel
    cv::fillPoly(label, std::vector<std::vector<cv::Point>>{polygons_[drawn_[k]]},
                 cv::Scalar(static_cast<double>(k)), cv::LINE_8, 4);
  std::vector<double> seen(drawn_.size(), 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (const int k = label.at<int>(y, x); k >= 0) seen[static_cast<size_t>(k)] += 1;
  std::vector<float> v(drawn_.size(), 0.f);
  for (size_t k = 0; k < drawn_.size(); ++k) {
    const double area = cv::contourArea(polygons_[drawn_[k]]) / 256.0;  // 1/16 px units
    v[k] = area > 0 ? static_cast<float>(std::min(1.0, seen[k] / area)) : 0.f;
  }
  return v;
}

}  // namespace percept
