// Adding a task takes one registry call and nothing else: a toy task defined in this file
// (the brightest cell of a 4x4 grid, as one detection) runs through `percept run`'s runtime
// (executors, batching, sequencing) and reaches the JSONL sink, whose code knows nothing of it.
// The model is a real ONNX graph (tests/data/identity_dynamic.onnx, [batch, 3, 4, 4] -> same)
// run by ONNX Runtime, so the skeleton's preprocess -> infer -> postprocess all happen.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "percept/io/synthetic_source.hpp"
#include "percept/pipeline/runtime.hpp"
#include "percept/tasks/task_registry.hpp"
#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;
constexpr int kGrid = 4;

// Mean of each colour channel over each cell of a kGrid x kGrid grid (BGR order kept).
void cell_means(const ImageView& f, float* out) {
  for (int gy = 0; gy < kGrid; ++gy)
    for (int gx = 0; gx < kGrid; ++gx) {
      const int x0 = gx * f.width / kGrid, x1 = (gx + 1) * f.width / kGrid;
      const int y0 = gy * f.height / kGrid, y1 = (gy + 1) * f.height / kGrid;
      double sum[3] = {0, 0, 0};
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
          for (int c = 0; c < 3; ++c) sum[c] += f.row(y)[x * 3 + c];
      const double n = static_cast<double>((x1 - x0) * (y1 - y0));
      for (int c = 0; c < 3; ++c)
        out[(c * kGrid + gy) * kGrid + gx] = static_cast<float>(sum[c] / n);
    }
}

// The brightest cell of a [3, kGrid, kGrid] plane set, as a box in a w x h frame.
Detection brightest(const float* cells, int w, int h) {
  int best = 0;
  float best_v = -1;
  for (int i = 0; i < kGrid * kGrid; ++i) {
    const float v = cells[i] + cells[kGrid * kGrid + i] + cells[2 * kGrid * kGrid + i];
    if (v > best_v) best = i, best_v = v;
  }
  const int gx = best % kGrid, gy = best / kGrid;
  Detection d;
  d.box = {static_cast<float>(gx * w / kGrid), static_cast<float>(gy * h / kGrid),
           static_cast<float>((gx + 1) * w / kGrid), static_cast<float>((gy + 1) * h / kGrid)};
  d.score = best_v / (3 * 255.f);
  d.class_id = 0;
  return d;
}

class BrightestCellTask final : public Task {
 public:
  explicit BrightestCellTask(const TaskContext& ctx) : Task(ctx) {
    labels_ = {"bright"};
    description_ = "toy: the brightest of 4x4 cells";
  }
  InputSize input_size() const override { return {kGrid, kGrid}; }
  Result<std::span<const TensorView>> preprocess(std::span<const ImageView> frames) override {
    input_.reshape(DType::f32, {static_cast<int64_t>(frames.size()), 3, kGrid, kGrid});
    sizes_.clear();
    for (size_t i = 0; i < frames.size(); ++i) {
      cell_means(frames[i], input_.as<float>() + i * 3 * kGrid * kGrid);
      sizes_.push_back({frames[i].width, frames[i].height});
    }
    view_ = input_.view();
    return std::span<const TensorView>(&view_, 1);
  }
  Status postprocess(std::span<const TensorView> outputs, std::span<ModelOutput> results) override {
    const TensorView& o = outputs[0];
    if (o.shape.size() != 4 || o.shape[0] != static_cast<int64_t>(results.size()))
      return Error("toy: output " + shape_str(o.shape));
    for (size_t i = 0; i < results.size(); ++i) {
      results[i].detections.clear();
      results[i].detections.push_back(
          brightest(o.as<float>() + i * 3 * kGrid * kGrid, sizes_[i].width, sizes_[i].height));
    }
    return {};
  }

 private:
  Tensor input_;
  TensorView view_;
  std::vector<InputSize> sizes_;
};

TEST(ToyTask, OneRegistryCallRunsThroughTheRuntimeAndTheJsonlSink) {
  register_task({"toy", Content::detections,
                 [](const TaskContext& ctx, const TaskConfig&, const ModelConventions&) {
                   return std::make_unique<BrightestCellTask>(ctx);
                 }});

  const fs::path dir = test::fresh_test_dir("percept_toy_task_");
  PipelineConfig cfg;
  cfg.file = "test";
  cfg.mode = PipelineMode::lossless;
  cfg.output.dir = (dir / "out").string();
  cfg.output.video = false;
  CameraConfig cam;
  cam.id = "cam";
  cam.source.camera = "cam";
  cam.source.kind = SourceKind::synthetic;
  cam.source.width = 160;
  cam.source.height = 120;
  cam.source.frames = 12;
  cam.source.fps = 30;
  cam.source.seed = 3;
  cfg.cameras.push_back(cam);
  ModelConfig m;
  m.id = "toy";
  m.task.model_path = std::string(PERCEPT_TEST_DATA) + "/identity_dynamic.onnx";
  m.task.conventions.task = "toy";
  m.task.conventions.source["task"] = "test";
  m.task.backend.intra_op_threads = 1;
  m.cameras = {"cam"};
  m.max_batch = 4;
  cfg.models.push_back(m);
  const RunSummary s = run_pipeline(cfg, {});
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_EQ(s.models[0].stats.frames, 12u);

  // Every line carries the toy's detection, and it is the brightest cell of that very frame.
  SyntheticScene scene({160, 120, 4, 3, 30});
  Image img;
  std::ifstream f(dir / "out" / "detections.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(f, line)) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["frame"], lines) << line;
    ASSERT_TRUE(scene.next(img));
    float cells[3 * kGrid * kGrid];
    cell_means(img.view(), cells);
    const Detection want = brightest(cells, 160, 120);
    EXPECT_EQ(j["task"], "toy") << line;
    ASSERT_EQ(j["detections"].size(), 1u) << line;
    const auto& d = j["detections"][0];
    EXPECT_EQ(d["label"], "bright") << line;
    EXPECT_NEAR(d["score"].get<double>(), want.score, 1e-3) << line;
    for (int k = 0; k < 4; ++k)
      EXPECT_FLOAT_EQ(d["box"][k].get<float>(), (&want.box.x1)[k]) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 12);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace percept
