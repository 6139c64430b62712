// GPU kernel timings (docs/GPU.md): CUDA events around each launch, the median of many runs
// after warm-up, bandwidth in GB/s against the device's theoretical peak and against a
// device-to-device copy measured in the same run. Needs no OpenCV and no Google Benchmark,
// so scripts/gpu_verify.sh can carry it to a machine with a GPU.
//
// Bandwidth counts bytes that must move at least once: the source frame read plus the network
// input written (letterbox), the output plane(s) read plus the frame-sized result written
// (resample kernels). A downscale that skips source pixels can therefore exceed what it moves.
// Remap: the frame read, the two float maps read, the frame written. Gaussian: the frame read,
// the uint16 intermediate written and read, the frame written. YOLO NMS: the output tensor
// read once (the rest is latency-bound: sort, walk).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "percept/gpu/cuda.hpp"
#include "percept/imgproc/cuda/imgproc_cuda.hpp"
#include "percept/imgproc/gaussian.hpp"
#include "percept/imgproc/rectify.hpp"
#include "percept/preprocess/cuda/letterbox_cuda.hpp"
#include "percept/tasks/cuda/depth_colour_cuda.hpp"
#include "percept/tasks/cuda/plane_resample_cuda.hpp"
#include "percept/tasks/cuda/yolo_nms_cuda.hpp"

using namespace percept;

namespace {

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "gpu_bench: %s\n", m.c_str());
  std::exit(1);
}

void ok(const Status& s) {
  if (!s.ok()) die(s.error().message());
}

template <class T>
T take(Result<T> r) {
  if (!r.ok()) die(r.error().message());
  return std::move(r).value();
}

struct Timing {
  double median_ms, p10_ms, p90_ms;
};

// `launch` queues one run on `stream`; each run is timed alone by an event pair.
Timing time_it(cudaStream_t stream, const std::function<Status()>& launch, int warmup = 20,
               int runs = 200) {
  for (int i = 0; i < warmup; ++i) ok(launch());
  gpu::Event a = take(gpu::Event::create()), b = take(gpu::Event::create());
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    ok(a.record(stream));
    ok(launch());
    ok(b.record(stream));
    ok(b.synchronize());
    ms.push_back(take(gpu::Event::elapsed_ms(a, b)));
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() / 10], ms[ms.size() * 9 / 10]};
}

void report(const char* name, const Timing& t, double bytes, double peak_gbs, double copy_gbs) {
  const double gbs = bytes / (t.median_ms * 1e-3) / 1e9;
  std::printf(
      "%-44s median %8.4f ms (p10 %.4f, p90 %.4f)  %7.1f GB/s  %5.1f%% of peak  %5.1f%% of "
      "copy\n",
      name, t.median_ms, t.p10_ms, t.p90_ms, gbs, 100 * gbs / peak_gbs, 100 * gbs / copy_gbs);
}

gpu::DeviceBuffer random_device(gpu::DevicePool& pool, cudaStream_t s, size_t bytes, bool floats) {
  std::vector<uint8_t> host(bytes);
  std::mt19937 rng(12345);
  if (floats) {
    std::normal_distribution<float> d(0.f, 3.f);
    for (size_t i = 0; i + 4 <= bytes; i += 4) {
      const float v = d(rng);
      std::memcpy(host.data() + i, &v, 4);
    }
  } else {
    for (auto& v : host) v = static_cast<uint8_t>(rng());
  }
  gpu::DeviceBuffer b = take(pool.allocate(bytes, s));
  ok(gpu::check(cudaMemcpyAsync(b.data(), host.data(), bytes, cudaMemcpyHostToDevice, s),
                "upload"));
  ok(gpu::check(cudaStreamSynchronize(s), "upload sync"));
  return b;
}

}  // namespace

int main() {
  std::string why;
  if (!gpu::device_available(&why)) die("no GPU: " + why);
  cudaDeviceProp prop{};
  ok(gpu::check(cudaGetDeviceProperties(&prop, 0), "device properties"));
  int mem_khz = 0, bus_bits = 0;
  ok(gpu::check(cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, 0), "memory clock"));
  ok(gpu::check(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0),
                "bus width"));
  const double peak_gbs = 2.0 * mem_khz * 1e3 * bus_bits / 8 / 1e9;  // double data rate
  std::printf("device: %s, sm_%d%d, %d SMs, %.1f GiB, theoretical peak %.0f GB/s\n", prop.name,
              prop.major, prop.minor, prop.multiProcessorCount,
              static_cast<double>(prop.totalGlobalMem) / (1 << 30), peak_gbs);

  gpu::Stream stream = take(gpu::Stream::create());
  const cudaStream_t s = stream.get();
  gpu::DevicePool pool;

  // Reference: a device-to-device copy of 256 MiB (read + write).
  const size_t copy_bytes = size_t{256} << 20;
  gpu::DeviceBuffer c0 = take(pool.allocate(copy_bytes, s)),
                    c1 = take(pool.allocate(copy_bytes, s));
  const Timing tc = time_it(s, [&] {
    return gpu::check(
        cudaMemcpyAsync(c1.data(), c0.data(), copy_bytes, cudaMemcpyDeviceToDevice, s), "copy");
  });
  const double copy_gbs = 2.0 * copy_bytes / (tc.median_ms * 1e-3) / 1e9;
  report("cudaMemcpy D2D 256 MiB (reference)", tc, 2.0 * copy_bytes, peak_gbs, copy_gbs);

  struct Lb {
    const char* name;
    int sw, sh, dw, dh;
    DType dtype;
  };
  const Lb lbs[] = {
      {"letterbox 1920x1080 bgr -> 640x640 f32", 1920, 1080, 640, 640, DType::f32},
      {"letterbox 1920x1080 bgr -> 640x640 f16", 1920, 1080, 640, 640, DType::f16},
      {"letterbox 1280x720 bgr -> 518x518 f32", 1280, 720, 518, 518, DType::f32},
      {"letterbox 640x480 bgr -> 640x640 f32", 640, 480, 640, 640, DType::f32},
      {"letterbox 3840x2160 bgr -> 1280x1280 f32", 3840, 2160, 1280, 1280, DType::f32}};
  for (const Lb& c : lbs) {
    const size_t src_bytes = static_cast<size_t>(c.sw) * c.sh * 3;
    const size_t dst_bytes = static_cast<size_t>(c.dw) * c.dh * 3 * dtype_size(c.dtype);
    gpu::DeviceBuffer src = random_device(pool, s, src_bytes, false);
    gpu::DeviceBuffer dst = take(pool.allocate(dst_bytes, s));
    const ImageView img{src.as<uint8_t>(), c.sw, c.sh, static_cast<size_t>(c.sw) * 3,
                        PixelFormat::bgr8};
    const LetterboxParams p = letterbox_params(c.sw, c.sh, c.dw, c.dh);
    const Timing t =
        time_it(s, [&] { return letterbox_cuda(img, p, Normalize{}, dst.data(), c.dtype, s); });
    report(c.name, t, static_cast<double>(src_bytes + dst_bytes), peak_gbs, copy_gbs);
  }

  {
    const int ow = 518, oh = 518, fw = 1280, fh = 720;
    gpu::DeviceBuffer src = random_device(pool, s, size_t{4} * ow * oh, true);
    gpu::DeviceBuffer dst = take(pool.allocate(size_t{4} * fw * fh, s));
    const LetterboxParams p = letterbox_params(fw, fh, ow, oh);
    const Timing t = time_it(
        s, [&] { return depth_to_frame_cuda(src.as<float>(), ow, oh, p, dst.as<float>(), s); });
    report("depth 518x518 -> 1280x720", t, 4.0 * (ow * oh + fw * fh), peak_gbs, copy_gbs);
    // The depth picture from that map: read twice (range, then colour), 3 bytes written per pixel.
    gpu::DeviceBuffer bgr = take(pool.allocate(size_t{3} * fw * fh, s));
    gpu::DeviceBuffer scratch = take(pool.allocate(kDepthColourScratchBytes, s));
    const Timing tcol = time_it(s, [&] {
      return colorize_depth_cuda(dst.as<float>(), fw, fh, false, scratch.data(), bgr.as<uint8_t>(),
                                 size_t{3} * fw, s);
    });
    report("depth colour 1280x720", tcol, (4.0 + 4.0 + 3.0) * fw * fh, peak_gbs, copy_gbs);
  }
  {
    const int ow = 128, oh = 128, fw = 1280, fh = 720, classes = 21;
    gpu::DeviceBuffer src = random_device(pool, s, size_t{4} * classes * ow * oh, true);
    gpu::DeviceBuffer map = take(pool.allocate(size_t{1} * fw * fh, s));
    gpu::DeviceBuffer counts = take(pool.allocate(4 * classes, s));
    const LetterboxParams p = letterbox_params(fw, fh, 512, 512);
    const Timing t = time_it(s, [&] {
      return segmentation_to_frame_cuda(src.as<float>(), classes, ow, oh, p, 0.5f,
                                        map.as<uint8_t>(), counts.as<uint32_t>(), s);
    });
    report("segment argmax 21x128x128 -> 1280x720", t, 4.0 * classes * ow * oh + fw * fh, peak_gbs,
           copy_gbs);
  }
  for (auto [fw, fh] : {std::pair{640, 480}, std::pair{1280, 720}}) {
    // A plumb_bob calibration scaled to the frame (the maps' values, not their source, matter).
    CameraInfo cam;
    cam.width = fw;
    cam.height = fh;
    const double f = 0.95 * fw;
    cam.K = {f, 0, fw / 2.0, 0, f, fh / 2.0, 0, 0, 1};
    cam.D = {-0.28, 0.09, 0.0007, -0.0004, -0.013, 0, 0, 0};
    cam.R = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    cam.P = {0.85 * f, 0, fw / 2.0, 0, 0, 0.85 * f, fh / 2.0, 0, 0, 0, 1, 0};
    const RectifyMaps maps = rectify_maps(cam);
    const size_t frame = static_cast<size_t>(fw) * fh * 3, plane = size_t{4} * fw * fh;
    const double frame_b = static_cast<double>(frame), plane_b = static_cast<double>(plane);
    gpu::DeviceBuffer src = random_device(pool, s, frame, false);
    gpu::DeviceBuffer dst = take(pool.allocate(frame, s));
    gpu::DeviceBuffer mx = take(pool.allocate(plane, s)), my = take(pool.allocate(plane, s));
    ok(gpu::check(cudaMemcpyAsync(mx.data(), maps.map_x.data(), plane, cudaMemcpyHostToDevice, s),
                  "maps"));
    ok(gpu::check(cudaMemcpyAsync(my.data(), maps.map_y.data(), plane, cudaMemcpyHostToDevice, s),
                  "maps"));
    const ImageView img{src.as<uint8_t>(), fw, fh, static_cast<size_t>(fw) * 3, PixelFormat::bgr8};
    const std::string size = std::to_string(fw) + "x" + std::to_string(fh);
    const Timing tr = time_it(s, [&] {
      return remap_cuda(img, mx.as<float>(), my.as<float>(), fw, fh, dst.as<uint8_t>(),
                        static_cast<size_t>(fw) * 3, s);
    });
    report(("remap (rectify) " + size + " bgr").c_str(), tr, 2.0 * frame_b + 2.0 * plane_b,
           peak_gbs, copy_gbs);
    gpu::DeviceBuffer scratch = take(pool.allocate(2 * frame, s));
    const gaussian_math::Kernel k = gaussian_kernel(1.2);
    const Timing tg = time_it(s, [&] {
      return gaussian_cuda(img, k, scratch.as<uint16_t>(), dst.as<uint8_t>(),
                           static_cast<size_t>(fw) * 3, s);
    });
    report(("gaussian sigma 1.2 (9 taps) " + size + " bgr").c_str(), tg, 6.0 * frame_b, peak_gbs,
           copy_gbs);
  }
  // YOLO decode + NMS (tasks/cuda/yolo_nms_cuda.hpp): a YOLOv8n-shaped output (80 classes, 8400
  // anchors) where about 1% of the anchors hold an object (the rest score below conf 0.25, as
  // a trained model's do), against YoloDecoder::decode on this machine's CPU in the same run.
  // Bytes: the output tensor read once.
  for (int batch : {1, 8}) {
    const int nc = 80, n = 8400;
    const size_t per_image = static_cast<size_t>(4 + nc) * n;
    std::vector<float> host(per_image * batch);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    for (int b = 0; b < batch; ++b) {
      float* t = host.data() + per_image * b;
      for (int i = 0; i < n; ++i) {
        t[i] = 640 * u(rng);
        t[n + i] = 640 * u(rng);
        t[2 * n + i] = 10 + 100 * u(rng);
        t[3 * n + i] = 10 + 100 * u(rng);
        for (int c = 0; c < nc; ++c) t[static_cast<size_t>(4 + c) * n + i] = 0.2f * u(rng);
        if (u(rng) < 0.01f) t[static_cast<size_t>(4 + (i % nc)) * n + i] = 0.5f + 0.5f * u(rng);
      }
    }
    const LayoutInfo info{YoloLayout::v8, nc, n};
    const DecodeOptions opt;
    gpu::DeviceBuffer in = take(pool.allocate(host.size() * sizeof(float), s));
    ok(gpu::check(cudaMemcpyAsync(in.data(), host.data(), host.size() * sizeof(float),
                                  cudaMemcpyHostToDevice, s),
                  "upload"));
    const size_t ws_bytes = take(yolo_nms_workspace_bytes(info, batch, opt));
    gpu::DeviceBuffer ws = take(pool.allocate(ws_bytes, s));
    gpu::DeviceBuffer out =
        take(pool.allocate(sizeof(DecodedBox) * batch * opt.nms.max_detections, s));
    gpu::DeviceBuffer counts = take(pool.allocate(sizeof(int32_t) * batch, s));
    // Timed with the copy of the kept boxes back to the host, like the CPU figure below that
    // ends with the boxes in host memory.
    std::vector<DecodedBox> host_boxes(static_cast<size_t>(batch) * opt.nms.max_detections);
    std::vector<int32_t> host_counts(static_cast<size_t>(batch));
    const Timing t = time_it(s, [&] {
      const Status st =
          yolo_decode_nms_cuda(in.as<float>(), info, batch, opt, ws.data(), ws_bytes,
                               static_cast<DecodedBox*>(out.data()), counts.as<int32_t>(), s);
      if (!st.ok()) return st;
      return copy_kept_detections(static_cast<const DecodedBox*>(out.data()), counts.as<int32_t>(),
                                  batch, opt.nms.max_detections, host_boxes.data(),
                                  host_counts.data(), s);
    });
    const std::string name = "yolo decode+nms+copy v8 80x8400 b" + std::to_string(batch);
    report(name.c_str(), t, 4.0 * static_cast<double>(host.size()), peak_gbs, copy_gbs);
    YoloDecoder cpu;
    Detections dets;
    std::vector<double> cpu_ms;
    for (int r = 0; r < 50; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int b = 0; b < batch; ++b) cpu.decode(host.data() + per_image * b, info, opt, dets);
      cpu_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(cpu_ms.begin(), cpu_ms.end());
    std::printf(
        "%-44s median %8.4f ms (CPU YoloDecoder, same input, %zu boxes in the last image)\n", "",
        cpu_ms[cpu_ms.size() / 2], dets.size());
  }
  const gpu::PoolStats st = pool.stats();
  std::printf("device pool: %zu bytes in use, peak %zu, %llu hits, %llu misses\n", st.bytes_in_use,
              st.peak_bytes_in_use, static_cast<unsigned long long>(st.cache_hits),
              static_cast<unsigned long long>(st.cache_misses));
  return 0;
}
