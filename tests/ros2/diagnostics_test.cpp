// /diagnostics reports a camera's source health: a live camera whose stream is lost for good is
// an ERROR status ("source lost (given up)", source=lost) while the other camera stays OK. An
// independent Cyclone DDS subscriber (plain C API) reads what percept publishes in-process.
#include <dds/dds.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "dds_test_util.hpp"
#include "percept/io/synthetic_source.hpp"
#include "percept/pipeline/runtime.hpp"
#include "ros2_msgs.h"

namespace {

using namespace percept;

// A live stream that delivers `frames` frames, then ends (the camera is lost).
class EndingStream final : public Source {
 public:
  explicit EndingStream(int frames) : scene_({96, 64, 2, 7, -1}), left_(frames) {}
  Result<bool> read(Image& frame) override {
    if (left_-- <= 0) return false;
    return scene_.next(frame);
  }
  double fps() const override { return 0; }
  int64_t frame_count() const override { return -1; }

 private:
  SyntheticScene scene_;
  int left_;
};

CameraConfig camera(const std::string& id, SourceKind kind) {
  CameraConfig c;
  c.id = id;
  c.frame_id = id + "_optical";
  c.source.camera = id;
  c.source.kind = kind;
  c.source.path = "rtsp://" + id;
  c.source.width = 96;
  c.source.height = 64;
  c.source.frames = 40;
  c.reconnect = ReconnectConfig{1, 1, 1};  // one quick attempt, then given up
  if (kind != SourceKind::stream) c.reconnect.reset();
  return c;
}

TEST(Ros2Diagnostics, ALostCameraIsAnErrorWhileTheOtherStaysOk) {
  const int domain = test::random_domain();
  PipelineConfig cfg;
  cfg.file = "diagnostics test";
  cfg.mode = PipelineMode::lossless;
  cfg.output.dir = (std::filesystem::path(PERCEPT_BUILD_DIR) / "testdata" /
                    ("ros2_diag_" + std::to_string(getpid())))
                       .string();
  cfg.output.jsonl = cfg.output.video = cfg.output.summary = false;
  cfg.cameras = {camera("good", SourceKind::synthetic), camera("flaky", SourceKind::stream)};
  ModelConfig m;
  m.id = "det";
  m.task.model_path = std::string(PERCEPT_TEST_DATA) + "/const_v8.onnx";
  m.task.backend.intra_op_threads = 1;
  m.cameras = {"good", "flaky"};
  cfg.models = {m};
  cfg.ros2.enabled = true;
  cfg.ros2.domain_id = domain;
  cfg.ros2.localhost_only = true;
  cfg.ros2.ns = "diag_" + std::to_string(getpid());
  cfg.ros2.diagnostics_hz = 50;

  // The subscriber's participant creates the loopback domain; percept's shares it.
  const dds_entity_t pp = test::loopback_participant(domain);
  ASSERT_GT(pp, 0);
  const dds_entity_t topic = dds_create_topic(pp, &diagnostic_msgs_msg_dds__DiagnosticArray__desc,
                                              "rt/diagnostics", nullptr, nullptr);
  dds_qos_t* q = test::reliable_keep_all();
  const dds_entity_t reader = dds_create_reader(pp, topic, q, nullptr);
  dds_delete_qos(q);
  ASSERT_GT(reader, 0);

  RuntimeOptions opt;
  opt.open_source = [](const SourceConfig& sc) -> std::unique_ptr<Source> {
    if (sc.kind != SourceKind::stream) return open_source(sc);
    static int opens = 0;
    if (++opens == 1) return std::make_unique<EndingStream>(10);
    throw Error("cannot open stream '" + sc.path + "'");
  };
  const RunSummary sum = run_pipeline(cfg, opt);
  ASSERT_TRUE(sum.cameras[1].gave_up);

  // The last status of each camera (the run's totals, published when the sink closes).
  std::map<std::string, std::pair<int, std::string>> last;  // hardware id -> level, message
  std::map<std::string, std::string> last_source;
  // Every sample the reader holds, oldest first, 16 per take: the last one per camera wins.
  // Reading stops once both cameras were seen and a take came back empty twice in a row.
  int empty = 0;
  for (int tries = 0; tries < 200 && (last.size() < 2 || empty < 2); ++tries) {
    void* samples[16] = {nullptr};
    dds_sample_info_t infos[16];
    const int n = dds_take(reader, samples, infos, 16, 16);
    empty = n > 0 ? 0 : empty + 1;
    for (int i = 0; i < n; ++i) {
      if (!infos[i].valid_data) continue;
      const auto* a = static_cast<const diagnostic_msgs_msg_dds__DiagnosticArray_*>(samples[i]);
      for (uint32_t k = 0; k < a->status_._length; ++k) {
        const auto& s = a->status_._buffer[k];
        const std::string hw = s.hardware_id_;
        if (hw != "good_optical" && hw != "flaky_optical") continue;  // another test's domain
        last[hw] = {s.level_, s.message_};
        for (uint32_t v = 0; v < s.values_._length; ++v)
          if (std::string(s.values_._buffer[v].key_) == "source")
            last_source[hw] = s.values_._buffer[v].value_;
      }
    }
    if (n > 0) dds_return_loan(reader, samples, n);
    if (n <= 0) dds_sleepfor(DDS_MSECS(20));
  }
  dds_delete(pp);
  std::filesystem::remove_all(cfg.output.dir);  // left 12 folders in build/testdata before
  ASSERT_EQ(last.size(), 2u) << "no /diagnostics for both cameras";
  EXPECT_EQ(last["flaky_optical"].first, 2) << last["flaky_optical"].second;  // ERROR
  EXPECT_EQ(last["flaky_optical"].second, "source lost (given up)");
  EXPECT_EQ(last_source["flaky_optical"], "lost");
  EXPECT_EQ(last["good_optical"].first, 0) << last["good_optical"].second;
  EXPECT_EQ(last_source["good_optical"], "ok");
}

}  // namespace
