#!/usr/bin/env bash
# Recording's cost on the pipeline (docs/PERFORMANCE.md, "Recording to MCAP"): the same config
# run without a bag, with a bag of the results, with a bag of the results plus every camera
# frame (uncompressed, zstd, lz4), and with the results in a sqlite3 bag, REPS times each
# (VARIANTS="none results sqlite3" picks some), interleaved (A B C A B C ...) so that the
# machine's noise hits every variant alike. Prints each run's FPS (summary.json) and the medians.
#   bench/bag_fps.sh [config] [max_frames]     (default configs/demo.yaml, 150 frames a camera)
#   REPS=5 PERCEPT=build/percept bench/bag_fps.sh configs/reference_scenario.yaml 150
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/demo.yaml}
frames=${2:-150}
reps=${REPS:-5}
percept=${PERCEPT:-build/percept}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The variants: the config as it is, then with output.bag added (paths stay relative to the
# config's folder, so the copies sit beside it under a hidden name and are removed at exit).
dir=$(dirname "$config")
read -r -a variants <<<"${VARIANTS:-none results images images_zstd images_lz4 sqlite3}"
for v in "${variants[@]}"; do
  /usr/bin/python3 - "$config" "$dir/.bag_fps_$v.yaml" "$v" "$work/$v.mcap" <<'EOF'
import sys, yaml
src, dst, variant, bag = sys.argv[1:5]
cfg = yaml.safe_load(open(src))
if variant == "results":
    cfg["output"]["bag"] = {"path": bag}
elif variant == "sqlite3":
    cfg["output"]["bag"] = {"path": bag, "format": "sqlite3"}
elif variant.startswith("images"):
    comp = variant.split("_")[1] if "_" in variant else "none"
    cfg["output"]["bag"] = {"path": bag, "images": True, "compression": comp}
cfg.pop("telemetry", None)
open(dst, "w").write(yaml.safe_dump(cfg))
EOF
done
trap 'rm -rf "$work"; rm -f "$dir"/.bag_fps_*.yaml' EXIT

declare -A runs
for ((r = 1; r <= reps; ++r)); do
  for v in "${variants[@]}"; do
    out="$work/out_$v"
    rm -rf "$out"
    "$percept" run "$dir/.bag_fps_$v.yaml" --max-frames "$frames" --output-dir "$out" \
      --no-progress >"$work/log_$v" 2>&1 || { echo "run failed ($v):"; tail -5 "$work/log_$v"; exit 1; }
    fps=$(/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); \
print(f\"{s['fps']:.1f} {s['sinks'].get('bag',{}).get('dropped',0)} {s['sinks'].get('bag',{}).get('errors',0)}\")" \
      "$out/summary.json")
    size=$([ -e "$work/$v.mcap" ] && du -sb "$work/$v.mcap" | cut -f1 || echo 0)
    echo "run $r $v: fps ${fps%% *}  bag drops/errors ${fps#* }  bag bytes $size"
    runs[$v]+="${fps%% *} "
    rm -rf "$work/$v.mcap"
  done
done
# Medians, and the median of each run's ratio to the run without a bag just before it (the
# pairs share the machine's state; the noise of a shared machine cancels better that way).
for v in "${variants[@]}"; do
  /usr/bin/python3 - "$v" ${runs[none]} -- ${runs[$v]} <<'EOF2'
import statistics, sys
v = sys.argv[1]
i = sys.argv.index("--")
base, mine = [float(x) for x in sys.argv[2:i]], [float(x) for x in sys.argv[i + 1:]]
ratios = [m / b for m, b in zip(mine, base)]
print(f"median {v}: {statistics.median(mine):.1f} FPS, paired ratio to no bag "
      f"{statistics.median(ratios):.3f} (runs: {' '.join(f'{x:.1f}' for x in mine)}; "
      f"ratios: {' '.join(f'{r:.2f}' for r in ratios)})")
EOF2
done
