#!/usr/bin/env bash
# The long soak of docs/RELIABILITY.md (not in CI; the 10k-frame soak_tests ctest is):
#   scripts/soak.sh [FRAMES]      default 100000, split over two synthetic cameras
# Runs `percept run` lossless with every sink and telemetry on, then checks the summary: every
# frame completed, nothing dropped, failed or late, and RSS (from telemetry.jsonl) flat after
# the first quarter of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-100000}
bin=${PERCEPT_BIN:-build/percept}
dir=$(mktemp -d /tmp/percept_soak.XXXXXX)
per=$((frames / 2))
cat >"$dir/soak.yaml" <<YAML
mode: lossless
cameras:
  - {id: a, source: synthetic, width: 64, height: 48, frames: $per, deadline_ms: 2000}
  - {id: b, source: synthetic, width: 64, height: 48, frames: $per, deadline_ms: 2000}
models:
  - {id: det, path: $PWD/tests/data/const_v8.onnx, threads: 1}
output: {dir: out, video: true}
telemetry: {jsonl: out/telemetry.jsonl, interval_s: 1.0}
YAML
"$bin" run "$dir/soak.yaml"
/usr/bin/python3 - "$dir/out" "$frames" <<'PY'
import json, sys
out, frames = sys.argv[1], int(sys.argv[2])
s = json.load(open(out + "/summary.json"))
rss = [r for r in (json.loads(l).get("system", {}).get("rss_bytes")
                  for l in open(out + "/telemetry.jsonl")) if r]
ok = s["frames"] == frames and s["failed"] == 0
for c in s["cameras"]:
    ok &= c["unprocessed"] == 0 and c["slot_drops"] == 0 and c["deadline_misses"] == 0
for name, st in s["sinks"].items():
    ok &= st["dropped"] == 0 and st["errors"] == 0
warm = rss[len(rss) // 4:] if rss else []
growth = (max(warm) - warm[0]) / 1e6 if warm else float("nan")
print(f"soak: {s['frames']} frames in {s['wall_s']:.0f} s ({s['fps']:.0f} FPS), "
      f"failed {s['failed']}, RSS after warm-up {warm[0] / 1e6 if warm else 0:.1f} MB, "
      f"growth {growth:.2f} MB over {len(rss)} samples")
sys.exit(0 if ok and growth < 8 else 1)
PY
rm -rf "$dir"
