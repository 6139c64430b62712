#include "percept/io/annotate.hpp"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

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
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", static_cast<double>(d.score));
    const std::string text = label_of(d.class_id) + score;
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

}  // namespace percept
