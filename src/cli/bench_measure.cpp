#include "bench_measure.hpp"

#include <span>
#include <sstream>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/io/synthetic_source.hpp"

namespace percept::cli {

std::vector<int> parse_int_list(const std::string& list, const std::string& option, int lo,
                                int hi) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    int v = lo - 1;
    size_t used = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
    }
    if (used != item.size() || v < lo || v > hi)
      throw Error(option + ": '" + item + "' is not a number in " + std::to_string(lo) + ".." +
                  std::to_string(hi));
    out.push_back(v);
  }
  if (out.empty()) throw Error(option + ": no value given");
  return out;
}

Image bench_frame(const std::string& image_path) {
  Image frame;
  if (!image_path.empty()) return read_image(image_path).value_or_throw();
  SyntheticScene scene({1280, 720, 6, 1, -1});
  scene.next(frame);
  return frame;
}

Result<Histogram> measure_inference(Task& task, Backend& backend, const Image& frame, int batch,
                                    const MeasureOptions& o) {
  const std::vector<ImageView> views(batch, frame.view());
  auto inputs = task.preprocess(views);  // valid until the task's next preprocess
  if (!inputs) return inputs.error();
  Histogram h;
  Status st = measure(o, h, [&]() -> Status {
    auto r = backend.run(*inputs);
    return r ? Status{} : Status{r.error()};
  });
  if (!st) return st.error();
  return h;
}

Result<Histogram> measure_task_path(Task& task, const Image& frame, int batch,
                                    const MeasureOptions& o) {
  const std::vector<ImageView> views(batch, frame.view());
  std::vector<ModelOutput> outs(batch);
  Histogram h;
  Status st = measure(o, h, [&] { return task.run(views, outs); });
  if (!st) return st.error();
  return h;
}

}  // namespace percept::cli
