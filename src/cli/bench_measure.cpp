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

Result<Histogram> measure_inference(Backend& backend, const Image& frame, InputSize size, int batch,
                                    const MeasureOptions& o) {
  Tensor input(DType::f32, {batch, 3, size.height, size.width});
  const auto p = letterbox_params(frame.width(), frame.height(), size.width, size.height);
  const size_t per = static_cast<size_t>(3) * size.width * size.height;
  for (int i = 0; i < batch; ++i)
    letterbox_cpu(frame.view(), p, Normalize{}, input.as<float>() + i * per);
  TensorView in = input.view();
  Histogram h;
  Status st = measure(o, h, [&]() -> Status {
    auto r = backend.run(std::span<const TensorView>(&in, 1));
    return r ? Status{} : Status{r.error()};
  });
  if (!st) return st.error();
  return h;
}

Result<Histogram> measure_detect_path(Detector& detector, const Image& frame, int batch,
                                      const MeasureOptions& o) {
  std::vector<ImageView> views(batch, frame.view());
  std::vector<Detections> outs(batch);
  Histogram h;
  Status st = measure(o, h, [&] { return detector.detect(views, outs); });
  if (!st) return st.error();
  return h;
}

}  // namespace percept::cli
