// P4 (docs/PERFORMANCE.md): the reference scenario, three synthetic cameras (rgb: detector
// and depth; slam1, slam2: detector), against the naive loop that runs the same cameras one
// after another in one thread. Aggregate FPS = frames with every model's result per second.
// The depth model is the trained scene_depth (224x168); its map gives the rgb detections
// their distances in the pipeline.
//   bench_pipeline [--seconds S] [--reps N] [--model M] [--depth D] [--fps F] [--threads T]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "percept/core/clock.hpp"
#include "percept/io/synthetic_source.hpp"
#include "percept/pipeline/runtime.hpp"

namespace {

using namespace percept;

struct Args {
  double seconds = 6;
  int reps = 3;
  std::string model = "models/shapes_yolov8.onnx";
  std::string depth = "models/scene_depth.onnx";
  double fps = 100;  // per camera, above what the machine can serve: live mode drops
  int threads = 1;   // intra-op threads per model in the pipeline
};

const char* kCams[] = {"rgb", "slam1", "slam2"};

TaskConfig task_config(const std::string& model, int threads) {
  TaskConfig d;
  d.model_path = model;
  d.backend.intra_op_threads = threads;
  return d;
}

// One thread: each camera's next frame, then every model serving it, camera after camera.
double naive_fps(const Args& a) {
  auto det = open_task(task_config(a.model, 0));  // all cores for one inference
  auto depth = open_task(task_config(a.depth, 0));
  std::vector<SyntheticScene> scenes;
  for (int i = 0; i < 3; ++i) scenes.emplace_back(SyntheticOptions{640, 480, 4, 10u + i, -1});
  Image img;
  ModelOutput boxes, map;
  std::vector<float> scratch;
  int64_t frames = 0;
  const int64_t end = now_ns() + static_cast<int64_t>(a.seconds * 1e9);
  while (now_ns() < end) {
    for (int c = 0; c < 3; ++c) {
      scenes[c].next(img);
      const ImageView v = img.view();
      det->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&boxes, 1))
          .throw_if_error();
      if (c == 0) {  // the same work as the pipeline: depth, then distances of the boxes
        depth->run(std::span<const ImageView>(&v, 1), std::span<ModelOutput>(&map, 1))
            .throw_if_error();
        fuse_distances(boxes.detections, map.depth, DistanceStat::median, scratch);
      }
      ++frames;
    }
  }
  return static_cast<double>(frames) / a.seconds;
}

RunSummary pipeline(const Args& a) {
  PipelineConfig cfg;
  cfg.file = "bench";
  cfg.mode = PipelineMode::live;
  cfg.output.dir = "build/bench/pipeline_out";
  cfg.output.jsonl = cfg.output.video = cfg.output.summary = false;
  for (int i = 0; i < 3; ++i) {
    CameraConfig c;
    c.id = kCams[i];
    c.source.camera = c.id;
    c.source.kind = SourceKind::synthetic;
    c.source.width = 640;
    c.source.height = 480;
    c.source.objects = 4;
    c.source.fps = a.fps;
    c.source.seed = 10u + static_cast<uint64_t>(i);
    cfg.cameras.push_back(c);
  }
  ModelConfig det;
  det.id = "detector";
  det.task = task_config(a.model, a.threads);
  det.cameras = {"rgb", "slam1", "slam2"};
  det.max_batch = 3;
  det.max_wait_us = 2000;
  ModelConfig second;
  second.id = "depth";
  second.task = task_config(a.depth, 1);  // the lighter load: one core
  second.cameras = {"rgb"};
  cfg.models = {det, second};
  std::atomic<bool> stop{false};
  RuntimeOptions opt;
  opt.stop_flag = &stop;
  std::thread timer([&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
    stop = true;
  });
  RunSummary s = run_pipeline(cfg, opt);
  timer.join();
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--seconds")
      a.seconds = std::atof(argv[i + 1]);
    else if (k == "--reps")
      a.reps = std::atoi(argv[i + 1]);
    else if (k == "--model")
      a.model = argv[i + 1];
    else if (k == "--depth")
      a.depth = argv[i + 1];
    else if (k == "--fps")
      a.fps = std::atof(argv[i + 1]);
    else if (k == "--threads")
      a.threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::vector<double> naive, piped, ratio;
  RunSummary last;
  for (int r = 0; r < a.reps; ++r) {  // interleaved, so both see the same machine load
    naive.push_back(naive_fps(a));
    last = pipeline(a);
    piped.push_back(last.fps());
    ratio.push_back(piped.back() / naive.back());
    std::printf("rep %d: naive %.1f FPS, pipeline %.1f FPS (%.2fx)\n", r, naive.back(),
                piped.back(), ratio.back());
  }
  std::printf(
      "P4 reference scenario, 3 cameras, CPU: pipeline %.1f FPS, naive loop %.1f FPS "
      "-> %.2fx (median of %d; target >= 1.3x)\n",
      median(piped), median(naive), median(ratio), a.reps);
  std::fputs(summary_text(last).c_str(), stdout);
  return 0;
}
