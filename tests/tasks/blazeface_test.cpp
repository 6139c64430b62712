// The face task: SSD anchors against MediaPipe's formula, decode and weighted NMS on hand-made
// inputs, and the real BlazeFace models (fetched by scripts/bootstrap.sh) on real photos from
// Debian packages against faces located by hand (tests/data/faces_golden.json, which says how).
// A missing model or photo fails: bootstrap installs them, so CI must not pass without them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "percept/io/image_io.hpp"
#include "percept/tasks/face/blazeface.hpp"

namespace percept {
namespace {

const std::string kData = PERCEPT_TEST_DATA;
const std::string kModels = std::string(PERCEPT_SOURCE_DIR) + "/third_party/blazeface/";

std::string model_file(const std::string& kind) {
  return kModels + (kind == "front" ? "face_detection_front_128x128_barracuda.onnx"
                                    : "face_detection_back_256x256_barracuda.onnx");
}

// ---- anchors ----------------------------------------------------------------------------

TEST(SsdAnchors, BlazeFaceFront) {
  auto a = generate_ssd_anchors(blazeface_front_anchor_options());
  // 16x16 cells x 2 anchors (stride 8), then 8x8 cells x 6 anchors (three stride-16 layers).
  ASSERT_EQ(a.size(), 896u);
  EXPECT_FLOAT_EQ(a[0].x_center, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[0].y_center, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[1].x_center, 0.5f / 16);   // second anchor of the same cell
  EXPECT_FLOAT_EQ(a[2].x_center, 1.5f / 16);   // next column
  EXPECT_FLOAT_EQ(a[32].y_center, 1.5f / 16);  // next row: 16 cells x 2 anchors later
  EXPECT_FLOAT_EQ(a[511].x_center, 15.5f / 16);
  EXPECT_FLOAT_EQ(a[511].y_center, 15.5f / 16);
  EXPECT_FLOAT_EQ(a[512].x_center, 0.5f / 8);
  EXPECT_FLOAT_EQ(a[517].x_center, 0.5f / 8);  // six anchors per coarse cell
  EXPECT_FLOAT_EQ(a[518].x_center, 1.5f / 8);
  EXPECT_FLOAT_EQ(a[895].x_center, 7.5f / 8);
  EXPECT_FLOAT_EQ(a[895].y_center, 7.5f / 8);
  for (const Anchor& x : a) {  // fixed_anchor_size
    EXPECT_EQ(x.w, 1.f);
    EXPECT_EQ(x.h, 1.f);
  }
}

TEST(SsdAnchors, BlazeFaceBack) {
  auto a = generate_ssd_anchors(blazeface_back_anchor_options());
  ASSERT_EQ(a.size(), 896u);  // 256 / 16 = 16 and 256 / 32 = 8 cells: the same grid as front
  EXPECT_FLOAT_EQ(a[0].x_center, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[512].y_center, 0.5f / 8);
  EXPECT_FLOAT_EQ(a[895].x_center, 7.5f / 8);
}

TEST(SsdAnchors, ScalesFollowMediaPipeWhenNotFixed) {
  SsdAnchorOptions o = blazeface_front_anchor_options();
  o.fixed_anchor_size = false;
  auto a = generate_ssd_anchors(o);
  ASSERT_EQ(a.size(), 896u);
  // CalculateScale: min + (max - min) * layer / (layers - 1).
  auto scale = [](int l) { return 0.1484375f + (0.75f - 0.1484375f) * l / 3.f; };
  EXPECT_FLOAT_EQ(a[0].w, scale(0));
  EXPECT_FLOAT_EQ(a[1].w, std::sqrt(scale(0) * scale(1)));  // interpolated, aspect 1
  EXPECT_FLOAT_EQ(a[512].w, scale(1));
  EXPECT_FLOAT_EQ(a[513].w, std::sqrt(scale(1) * scale(2)));
  EXPECT_FLOAT_EQ(a[516].h, scale(3));
  EXPECT_FLOAT_EQ(a[517].h, std::sqrt(scale(3) * 1.f));  // the last layer interpolates to 1
}

TEST(SsdAnchors, SsdMobileNetCount) {
  // MediaPipe's SSD MobileNet v2 object detection options: the well-known 1917 anchors.
  SsdAnchorOptions o;
  o.input_width = o.input_height = 300;
  o.min_scale = 0.2f;
  o.max_scale = 0.95f;
  o.strides = {16, 32, 64, 128, 256, 512};
  o.aspect_ratios = {1.f, 2.f, 0.5f, 3.f, 0.3333f};
  o.reduce_boxes_in_lowest_layer = true;
  o.fixed_anchor_size = false;
  auto a = generate_ssd_anchors(o);
  EXPECT_EQ(a.size(), 1917u);
  EXPECT_FLOAT_EQ(a[0].w, 0.1f);  // the reduced lowest layer starts with a 0.1 box
  EXPECT_FLOAT_EQ(a[1].w, 0.2f * std::sqrt(2.f));
}

TEST(SsdAnchors, RejectsNoStrides) {
  SsdAnchorOptions o;
  o.input_width = o.input_height = 128;
  EXPECT_THROW(generate_ssd_anchors(o), Error);
}

// ---- decode and weighted NMS -------------------------------------------------------------

TEST(BlazeFaceDecode, BoxesAndKeypointsInInputPixels) {
  const Anchor anchors[] = {{0.5f, 0.5f, 1, 1}, {0.25f, 0.75f, 1, 1}, {0, 0, 1, 1}, {0, 0, 1, 1}};
  std::vector<float> reg(4 * 16, 0.f);
  const float r0[16] = {4, -8, 32, 40, -10, -5, 10, -5, 0, 2, 0, 12, -16, 0, 16, 0};
  std::copy(r0, r0 + 16, reg.begin());
  reg[16 + 2] = reg[16 + 3] = 20;  // second: a 20x20 box on its anchor
  const float logits[] = {2.f, 1000.f, -1.f, NAN};
  Faces out;
  decode_blazeface(logits, reg, anchors, {128, 128}, 0.5f, 100.f, out);
  ASSERT_EQ(out.size(), 2u);  // logit -1 is under 0.5, NaN is skipped
  EXPECT_NEAR(out[0].score, 1.f / (1.f + std::exp(-2.f)), 1e-6);
  // Centre (64 + 4, 64 - 8) = (68, 56), size 32 x 40.
  EXPECT_FLOAT_EQ(out[0].box.x1, 52);
  EXPECT_FLOAT_EQ(out[0].box.y1, 36);
  EXPECT_FLOAT_EQ(out[0].box.x2, 84);
  EXPECT_FLOAT_EQ(out[0].box.y2, 76);
  EXPECT_FLOAT_EQ(out[0].keypoints[0][0], 54);  // 64 - 10
  EXPECT_FLOAT_EQ(out[0].keypoints[0][1], 59);
  EXPECT_FLOAT_EQ(out[0].keypoints[3][1], 76);
  EXPECT_FLOAT_EQ(out[0].keypoints[5][0], 80);
  EXPECT_FLOAT_EQ(out[1].score, 1.f / (1.f + std::exp(-100.f)));  // clipped at 100
  EXPECT_FLOAT_EQ(out[1].box.x1, 22);                             // 0.25 * 128 - 10
  EXPECT_FLOAT_EQ(out[1].box.y2, 106);                            // 0.75 * 128 + 10
}

Face face(float score, Box b, float k = 0) {
  Face f;
  f.score = score;
  f.box = b;
  for (auto& p : f.keypoints) p = {b.x1 + k, b.y1 + k};
  return f;
}

TEST(WeightedNms, AveragesClustersByScore) {
  // A and B overlap with IoU 81/119 = 0.68 > 0.3: one face, their score-weighted mean, with
  // A's score. C stands alone. D overlaps C only by 0.14: a face of its own.
  const Faces in = {face(0.6f, {1, 1, 11, 11}, 2), face(0.8f, {20, 20, 30, 30}),
                    face(0.9f, {0, 0, 10, 10}, 0), face(0.7f, {27, 27, 37, 37})};
  Faces out;
  weighted_nms(in, 0.3f, 100, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[0].box.x1, (0 * 0.9f + 1 * 0.6f) / 1.5f);
  EXPECT_FLOAT_EQ(out[0].box.y2, (10 * 0.9f + 11 * 0.6f) / 1.5f);
  // Keypoints at (x1 + k, y1 + k): A (0, 0), B (3, 3).
  EXPECT_FLOAT_EQ(out[0].keypoints[4][0], 3 * 0.6f / 1.5f);
  EXPECT_FLOAT_EQ(out[1].score, 0.8f);
  EXPECT_FLOAT_EQ(out[1].box.x1, 20);
  EXPECT_FLOAT_EQ(out[2].score, 0.7f);
  EXPECT_FLOAT_EQ(out[2].box.x1, 27);
}

TEST(WeightedNms, ThresholdIsStrictAsMediaPipe) {
  // IoU exactly 0.5 (80 / 160) at threshold 0.5: not the same face.
  const Faces in = {face(0.9f, {0, 0, 12, 10}), face(0.8f, {4, 0, 16, 10})};
  Faces out;
  weighted_nms(in, 0.5f, 100, out);
  EXPECT_EQ(out.size(), 2u);
  weighted_nms(in, 0.49f, 100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].box.x1, 4 * 0.8f / 1.7f, 1e-6);
}

TEST(WeightedNms, MaxFacesAndTies) {
  const Faces in = {face(0.8f, {0, 0, 10, 10}), face(0.8f, {50, 0, 60, 10}),
                    face(0.9f, {100, 0, 110, 10})};
  Faces out;
  weighted_nms(in, 0.3f, 2, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].box.x1, 100);
  EXPECT_FLOAT_EQ(out[1].box.x1, 0);  // equal scores: input order
  weighted_nms({}, 0.3f, 2, out);
  EXPECT_TRUE(out.empty());
}

// ---- loading errors ----------------------------------------------------------------------

// Through the one door, as `percept run` opens it (task: face from the config).
TaskConfig face_config(const std::string& model) {
  TaskConfig cfg;
  cfg.model_path = model;
  cfg.conventions.task = "face";
  cfg.conventions.source["task"] = "test";
  return cfg;
}

TEST(FaceDetector, MissingModelErrorNamesTheFile) {
  TaskConfig cfg = face_config("/nonexistent/dir/blazeface.onnx");
  try {
    open_task(cfg);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("/nonexistent/dir/blazeface.onnx"), std::string::npos)
        << e.message();
  }
}

TEST(FaceDetector, NonBlazeFaceModelIsRefused) {
  TaskConfig cfg = face_config(kData + "/const_v8.onnx");  // a detector's [1, 3, 64, 64] input
  try {
    open_task(cfg);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("const_v8.onnx"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("128 (front) and 256 (back)"), std::string::npos) << e.message();
  }
}

TEST(FaceDetector, ReadsTheBarracudaExport) {
  for (const char* kind : {"front", "back"}) {
    TaskConfig cfg = face_config(model_file(kind));
    ASSERT_TRUE(std::filesystem::exists(cfg.model_path))
        << cfg.model_path << " is missing: run scripts/bootstrap.sh";
    auto d = open_task(cfg);
    EXPECT_EQ(d->input_size().width, std::string(kind) == "front" ? 128 : 256);
    EXPECT_NE(d->description().find(" 896 anchors"), std::string::npos) << d->description();
    Image grey(40, 30, PixelFormat::bgr8);
    std::fill(grey.data(), grey.data() + grey.stride() * 30, uint8_t{128});
    const ImageView v = grey.view();
    auto in = d->preprocess(std::span<const ImageView>(&v, 1));
    ASSERT_TRUE(in.ok()) << in.error().message();
    EXPECT_EQ((*in)[0].shape[3], 3);  // NHWC
  }
}

// ---- real photos against the hand-located faces ------------------------------------------

const std::map<std::string, FaceKeypoint> kKeypointNames = {
    {"right_eye", FaceKeypoint::right_eye}, {"left_eye", FaceKeypoint::left_eye},
    {"nose_tip", FaceKeypoint::nose_tip},   {"mouth_centre", FaceKeypoint::mouth_centre},
    {"right_ear", FaceKeypoint::right_ear}, {"left_ear", FaceKeypoint::left_ear}};

Box box_of(const nlohmann::json& j) {
  return {j[0].get<float>(), j[1].get<float>(), j[2].get<float>(), j[3].get<float>()};
}

nlohmann::json golden() {
  std::ifstream f(kData + "/faces_golden.json");
  return nlohmann::json::parse(f);
}

Faces detect_one(Task& det, const ImageView& v) {
  ModelOutput out;
  Status st = det.run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&out, 1));
  EXPECT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(has(out.contents, Content::faces));
  return out.faces;
}

// Every hand face found with IoU >= 0.5, by a distinct detection, and no other detection.
// Hand keypoints within 20% of the face's width of the detected ones; the detected eyes, nose
// and mouth inside the detected box, the ears at most a quarter of its width outside.
void check_faces(const std::string& what, const Faces& got, const nlohmann::json& want,
                 float dx = 0, float dy = 0) {
  EXPECT_EQ(got.size(), want.size()) << what;
  std::vector<bool> used(got.size(), false);
  for (const auto& w : want) {
    Box hand = box_of(w["box"]);
    hand = {hand.x1 + dx, hand.y1 + dy, hand.x2 + dx, hand.y2 + dy};
    int best = -1;
    float best_iou = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const float v = iou(hand, got[i].box);
      if (!used[i] && v > best_iou) best = static_cast<int>(i), best_iou = v;
    }
    std::cout << "  " << what << ": hand box IoU " << best_iou
              << (best >= 0 ? " score " + std::to_string(got[best].score) : "") << "\n";
    EXPECT_GE(best_iou, 0.5f) << what;
    if (best < 0 || best_iou < 0.5f) continue;
    used[best] = true;
    const Face& f = got[best];
    for (const auto& [name, xy] : w["keypoints"].items()) {
      const auto& k = f.keypoint(kKeypointNames.at(name));
      const float d =
          std::hypot(k[0] - (xy[0].get<float>() + dx), k[1] - (xy[1].get<float>() + dy));
      EXPECT_LE(d, 0.2f * hand.width()) << what << " " << name;
    }
    const float m = 0.25f * f.box.width();
    for (size_t k = 0; k < 6; ++k) {
      const bool ear = k >= 4;
      const float e = ear ? m : 0.f;
      EXPECT_TRUE(f.keypoints[k][0] >= f.box.x1 - e && f.keypoints[k][0] <= f.box.x2 + e &&
                  f.keypoints[k][1] >= f.box.y1 - e && f.keypoints[k][1] <= f.box.y2 + e)
          << what << " keypoint " << k << " outside the box";
    }
  }
}

TEST(FaceDetector, GoldenFacesOnRealPhotos) {
  const auto g = golden();
  ASSERT_GE(g["photos"].size(), 2u);
  std::map<std::string, OpenedTask> det;
  for (const char* kind : {"front", "back"}) {
    TaskConfig cfg = face_config(model_file(kind));
    ASSERT_TRUE(std::filesystem::exists(cfg.model_path))
        << cfg.model_path << " is missing: run scripts/bootstrap.sh";
    det[kind] = open_task(cfg);
  }
  int faces = 0, empty = 0;
  for (const auto& p : g["photos"]) {
    const std::string path = p["path"];
    ASSERT_TRUE(std::filesystem::exists(path))
        << path << " is missing: scripts/bootstrap.sh installs the Debian package "
        << p["package"].get<std::string>();
    auto img = read_image(path);
    ASSERT_TRUE(img.ok()) << img.error().message();
    for (const auto& kind : p["models"]) {
      const std::string what =
          std::filesystem::path(path).filename().string() + " (" + kind.get<std::string>() + ")";
      check_faces(what, detect_one(*det.at(kind), img->view()), p["faces"]);
      (p["faces"].empty() ? empty : faces) += 1;
    }
  }
  EXPECT_GE(faces, 3);  // photo x model runs with faces
  EXPECT_GE(empty, 10);
}

// Non-square crops of the astronaut: the letterbox pads (top and bottom, then left and right)
// and the faces must come back to the crop's own pixels.
TEST(FaceDetector, LetterboxMapsBackToTheFrame) {
  const auto g = golden();
  const auto& astronaut = g["photos"][0];
  ASSERT_NE(astronaut["path"].get<std::string>().find("astronaut"), std::string::npos);
  auto img = read_image(astronaut["path"]);
  ASSERT_TRUE(img.ok()) << img.error().message();
  auto det = open_task(face_config(model_file("front")));
  struct Crop {
    int x, y, w, h;
  };
  for (Crop c : {Crop{0, 0, 512, 400}, Crop{60, 0, 280, 512}, Crop{100, 40, 260, 200}}) {
    const ImageView full = img->view();
    ImageView v = full;
    v.data = full.data + static_cast<size_t>(c.y) * full.stride + static_cast<size_t>(c.x) * 3;
    v.width = c.w;
    v.height = c.h;
    check_faces("astronaut crop " + std::to_string(c.w) + "x" + std::to_string(c.h),
                detect_one(*det, v), astronaut["faces"], -static_cast<float>(c.x),
                -static_cast<float>(c.y));
  }
}

TEST(FaceDetector, StageTimesAndEmptyFrame) {
  auto det = open_task(face_config(model_file("front")));
  Image black(64, 48, PixelFormat::bgr8);
  std::fill(black.data(), black.data() + black.stride() * 48, uint8_t{0});
  const ImageView frames[] = {black.view(), ImageView{}};
  ModelOutput out[2];
  StageTimes t;
  EXPECT_TRUE(det->run(std::span(frames, 1), out, &t).ok());
  EXPECT_TRUE(out[0].faces.empty());
  EXPECT_GT(t.inference_ns, 0);
  Status st = det->run(frames, out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("frame 1 is empty"), std::string::npos);
}

}  // namespace
}  // namespace percept
