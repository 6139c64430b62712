// `percept quantize` through the real binary: a whole run on the classifier, and the bad
// inputs issue 19 names (tiny calibration set, quantized model, not a model, collapsed
// accuracy), each a clear error with nothing half-written.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/run_cli.hpp"

namespace {

namespace fs = std::filesystem;

using cli_test::Ran;
Ran percept(const std::string& args) {
  return cli_test::run_percept(args);
}

const std::string kModel = std::string(PERCEPT_MODELS) + "/shapes_cls.onnx";
const std::string kImages = std::string(PERCEPT_BUILD_DIR) + "/testdata/classify_val/images";

std::string temp(const std::string& name) {
  const std::string p = ::testing::TempDir() + "/quantize_cli_" + name;
  fs::remove_all(p);
  return p;
}

// A --save-ranges file with every range a thousand times too narrow: every activation clips,
// and the model's answers stop following the image.
void narrow_ranges(const std::string& path) {
  nlohmann::json j;
  {
    std::ifstream f(path);
    j = nlohmann::json::parse(f);
  }
  for (auto& [name, r] : j["ranges"].items()) {
    r["lo"] = r["lo"].get<double>() / 1000;
    r["hi"] = r["hi"].get<double>() / 1000;
  }
  std::ofstream(path) << j.dump();
}

TEST(QuantizeCli, QuantizesReportsAndReusesItsRangesForTheOtherFormat) {
  const std::string out = temp("cls.onnx"), report = temp("report.json"),
                    ranges = temp("ranges.json");
  Ran r = percept("quantize -m " + kModel + " --calib " + kImages + " --frames 60 -o " + out +
                  " --report " + report + " --save-ranges " + ranges + " --speed-rounds 1");
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_LT(fs::file_size(out), fs::file_size(kModel) / 2);
  EXPECT_NE(r.out.find("calibration: 60 frames"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("top-1 agreement"), std::string::npos) << r.out;
  std::ifstream rf(report);
  const auto j = nlohmann::json::parse(rf);
  EXPECT_EQ(j["task"], "classify");
  EXPECT_EQ(j["evaluation_frames"], 20);
  EXPECT_GE(j["agreement"]["value"].get<double>(), 0.9);
  EXPECT_GT(j["speed"]["float_ms"].get<double>(), 0);
  EXPECT_GT(j["speed"]["int8_ms"].get<double>(), 0);
  EXPECT_GT(j["quantized_nodes"].get<int>(), 10);
  EXPECT_FALSE(j["layer_sqnr_db"].empty());
  bool head_reported = false;
  for (const auto& n : j["nodes"])
    if (n["op"] == "Gemm") head_reported = n["why_float"] == "head";
  EXPECT_TRUE(head_reported) << "the classifier's Gemm stays float, and the report says why";

  // The same ranges written for TensorRT: no calibration pass, the same agreement bound.
  const std::string trt = temp("cls_trt.onnx");
  r = percept("quantize -m " + kModel + " --calib " + kImages + " --ranges " + ranges +
              " --format tensorrt -o " + trt + " --speed-rounds 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("tensorrt"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(trt));
}

TEST(QuantizeCli, ATinyCalibrationSetSaysHowManyFramesItNeeds) {
  const std::string dir = temp("tiny");
  fs::create_directories(dir);
  int copied = 0;
  for (const auto& e : fs::directory_iterator(kImages)) {
    if (copied == 3) break;
    fs::copy_file(e.path(), dir + "/" + e.path().filename().string());
    ++copied;
  }
  const std::string out = temp("tiny.onnx");
  const Ran r = percept("quantize -m " + kModel + " --calib " + dir + " -o " + out);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("3 calibration frames; at least 16 are needed"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  const Ran empty = percept("quantize -m " + kModel + " --calib " + temp("none") + " -o " + out);
  EXPECT_EQ(empty.code, 2) << empty.out;
  EXPECT_NE(empty.out.find("does not exist"), std::string::npos) << empty.out;
}

// Calibration frames of other sizes than the model's input (64x64 and 320x240 for a 64x64
// classifier) go through its own preprocessing like any frame `percept run` gives it.
TEST(QuantizeCli, FramesOfSeveralSizesGoThroughTheModelsPreprocessing) {
  const std::string dir = temp("mixed");
  fs::create_directories(dir);
  const std::string scenes = std::string(PERCEPT_BUILD_DIR) + "/testdata/scene_val/images";
  int n = 0;
  for (const std::string& src : {kImages, scenes}) {
    int from_this = 0;
    for (const auto& e : fs::directory_iterator(src)) {
      if (from_this++ == 19) break;
      fs::copy_file(e.path(), dir + "/" + std::to_string(n++) + e.path().extension().string());
    }
  }
  ASSERT_EQ(n, 38);
  // Frames 10, 20 and 30 are held out for the comparison; the other 35 calibrate.
  const std::string out = temp("mixed.onnx");
  const Ran r = percept("quantize -m " + kModel + " --calib " + dir + " -o " + out +
                        " --eval-frames 3 --speed-rounds 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("calibration: 35 frames"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("on 3 held-out frames"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out));
}

// A config's cameras are read in turn; one that ends early leaves the others going (the loop
// once counted a finished camera again on every turn and stopped after two more turns).
TEST(QuantizeCli, CalibratesFromAConfigsCamerasUntilEachEnds) {
  const std::string cfg = temp("two_cameras.yaml");
  std::ofstream(cfg) << "cameras:\n"
                        "  - {id: short, source: synthetic, width: 160, height: 120, frames: 3}\n"
                        "  - {id: long, source: synthetic, width: 320, height: 240, frames: 60,"
                        " seed: 2}\n"
                        "models:\n"
                        "  - {id: cls, path: "
                     << kModel << ", cameras: [short, long]}\n";
  const Ran r = percept("quantize -m " + kModel + " --calib " + cfg + " --frames 40 -o " +
                        temp("two.onnx") + " --eval-frames 4 --speed-rounds 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("calibration: 40 frames"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("on 4 held-out frames"), std::string::npos) << r.out;
}

// A sidecar's conventions travel inside the quantized file as metadata: it has no sidecar of
// its own, and must open with the same labels and preprocessing.
TEST(QuantizeCli, TheFloatModelsSidecarTravelsInTheQuantizedFile) {
  const std::string dir = temp("sidecar");
  fs::create_directories(dir);
  fs::copy_file(kModel, dir + "/cls.onnx");
  std::ofstream(dir + "/cls.yaml") << "names: [disc, box, tri, star, plus]\n";
  const std::string out = temp("sidecar_int8.onnx");
  ASSERT_EQ(percept("quantize -m " + dir + "/cls.onnx --calib " + kImages + " --frames 20 -o " +
                    out + " --speed-rounds 1")
                .code,
            0);
  const Ran r = percept("infer -m " + out + " --image " + kImages + "/000000.png --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string json = r.out.substr(r.out.find('{'));
  const auto j = nlohmann::json::parse(json);
  const std::string label = j["top"][0]["label"];
  EXPECT_TRUE(label == "disc" || label == "box" || label == "tri" || label == "star" ||
              label == "plus")
      << label;
}

TEST(QuantizeCli, RefusesAQuantizedModelAndAFileThatIsNotAModel) {
  const std::string q = temp("q.onnx");
  ASSERT_EQ(percept("quantize -m " + kModel + " --calib " + kImages +
                    " --frames 20 --eval-frames 0 -o " + q)
                .code,
            0);
  Ran r = percept("quantize -m " + q + " --calib " + kImages + " -o " + temp("qq.onnx"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("already quantized"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(q), std::string::npos) << r.out;

  const std::string junk = temp("junk.onnx");
  std::ofstream(junk) << "hello";
  r = percept("quantize -m " + junk + " --calib " + kImages + " -o " + temp("j.onnx"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("not an ONNX model"), std::string::npos) << r.out;
}

TEST(QuantizeCli, ACollapsedModelIsReportedAndNotWritten) {
  // Ranges a thousand times too narrow clip every activation: the classifier's answers stop
  // following the image, and the tool must say so instead of writing the model.
  const std::string ranges = temp("narrow.json");
  ASSERT_EQ(
      percept("quantize -m " + kModel + " --calib " + kImages + " --frames 20 --eval-frames 0 -o " +
              temp("n.onnx") + " --save-ranges " + ranges)
          .code,
      0);
  narrow_ranges(ranges);
  const std::string out = temp("collapsed.onnx"), report = temp("collapsed.json");
  Ran r = percept("quantize -m " + kModel + " --calib " + kImages + " --ranges " + ranges +
                  " --eval-frames 40 -o " + out + " --report " + report + " --speed-rounds 1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("accuracy collapsed"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  std::ifstream rf(report);
  const auto rep = nlohmann::json::parse(rf);
  EXPECT_FALSE(rep["accepted"].get<bool>());
  EXPECT_LT(rep["agreement"]["value"].get<double>(), 0.9);
  // --force writes it, still failing loudly.
  r = percept("quantize -m " + kModel + " --calib " + kImages + " --ranges " + ranges +
              " --eval-frames 40 -o " + out + " --force --speed-rounds 1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(fs::exists(out));
}

// `percept tune --variants`: a good INT8 variant and a collapsed one (ranges a thousand times
// too narrow, written with --force) beside the float model; the collapsed one is measured but
// never chosen, and the table says why.
TEST(TuneCli, LearnsPrecisionWithinTheAccuracyBound) {
  const std::string good = temp("tune_good.onnx"), bad = temp("tune_bad.onnx"),
                    ranges = temp("tune_ranges.json");
  ASSERT_EQ(percept("quantize -m " + kModel + " --calib " + kImages + " --frames 40 -o " + good +
                    " --save-ranges " + ranges + " --speed-rounds 1")
                .code,
            0);
  narrow_ranges(ranges);
  ASSERT_EQ(percept("quantize -m " + kModel + " --calib " + kImages + " --ranges " + ranges +
                    " --eval-frames 0 -o " + bad)
                .code,
            0);  // no comparison asked for: written as is
  const std::string snippet = temp("tune.yaml");
  const Ran r =
      percept("tune --model " + kModel + " --variants " + good + "," + bad +
              " --threads-list 1 --batches 1 --warmup 1 --iterations 5" + " --accuracy-frames " +
              kImages + " --accuracy-count 40 --write " + snippet);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("agreement"), std::string::npos) << r.out;
  // The collapsed variant's row carries the reason; it cannot be the best.
  const size_t row = r.out.rfind(bad + " ");  // its table row, after the agreement line
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
  EXPECT_NE(line.find("under 0.99"), std::string::npos) << line;
  EXPECT_EQ(line.find("best"), std::string::npos) << line;
  std::ifstream f(snippet);
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_EQ(text.str().find(bad), std::string::npos) << text.str();
}

}  // namespace
