// `percept tune`'s logic, separate from any timing so that it is tested on synthetic curves:
// the sweep order and early stop (tune_sweep), the choice under constraints (tune_choose)
// and the config snippet (tune_yaml). The CLI supplies the measuring function.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "percept/core/error.hpp"

namespace percept {

struct TuneSetting {
  int threads = 0;  // ONNX Runtime intra-op threads (0: its default)
  int batch = 1;
};

struct TuneMeasurement {
  TuneSetting setting;
  double p50_ms = 0, p99_ms = 0;  // latency of one batch (every frame in it waits that long)
  double throughput_fps = 0;      // frames per second: batch / mean batch latency
  // With precision variants (`percept tune --variants`): which model file this row ran, and
  // how far its results agree with the reference model's (quantize_eval.hpp's Agreement: 1 =
  // identical); -1 for the reference model itself.
  std::string model;
  double agreement = -1;
};

struct TuneConstraints {
  std::optional<double> max_latency_ms;  // on the batch's p99
  std::optional<double> min_fps;         // on throughput
  std::optional<double> min_agreement;   // on a variant's agreement with the reference model
};

struct TuneRow {
  TuneMeasurement m;
  bool meets = false;
  std::string note;  // why it misses the constraints, or "best"
};

struct TuneResult {
  std::vector<TuneRow> rows;   // in measuring order
  std::optional<size_t> best;  // index into rows; null when no setting meets the constraints
  std::string reason;          // one sentence: why this one, or why none
};

// Measures every thread count, and for each the batch sizes in increasing order, stopping a
// thread count's batch sweep once throughput falls below (1 - stop_drop) of the best so far
// for that thread count (larger batches only add latency from there). A failed measurement
// (e.g. a batch the model cannot take) ends that thread count's sweep; it is an error only
// when nothing at all could be measured.
using TuneMeasureFn = std::function<Result<TuneMeasurement>(const TuneSetting&)>;
std::vector<TuneMeasurement> tune_sweep(const std::vector<int>& threads,
                                        const std::vector<int>& batches,
                                        const TuneMeasureFn& measure, double stop_drop = 0.2);

// Highest throughput among the settings that meet every constraint (ties: lower p99, then
// fewer threads, then smaller batch). A variant whose agreement is under min_agreement meets
// nothing, however fast.
TuneResult tune_choose(const std::vector<TuneMeasurement>& measured, const TuneConstraints& c);

// The table `percept tune` prints.
std::string tune_table(const TuneResult& r);

// A config snippet for the chosen setting: models: [{id, path, max_batch, threads}]; `model_path`
// is the file the chosen row ran (a variant's when one won).
std::string tune_yaml(const TuneMeasurement& best, const std::string& model_id,
                      const std::string& model_path, const std::string& device);

}  // namespace percept
