#!/usr/bin/env python3
"""Writes tests/data/telemetry_sample.jsonl: 20 one-second intervals of a two-camera, one-model
run without a GPU, in the schema of docs/TELEMETRY.md. Preprocessing is heavy (over 20% of
end-to-end time) and the `front` camera misses its 40 ms deadline at p99 in a few intervals,
so the report's bottleneck and recommendation rules have something to find. Deterministic."""
import json, random, sys

rng = random.Random(5)
out = sys.argv[1] if len(sys.argv) > 1 else "telemetry_sample.jsonl"
tot = {}

def lat(p50, spread, n, key):
    c, s = tot.get(key, (0, 0.0))
    vals = dict(count=n, p50=round(p50, 3), p90=round(p50 + spread, 3),
                p99=round(p50 + 2 * spread, 3), max=round(p50 + 3 * spread, 3),
                mean=round(p50 + spread / 4, 3), stddev=round(spread / 2, 3))
    c, s = c + n, s + n * vals["mean"]
    tot[key] = (c, s)
    vals.update(total_count=c, total_sum=round(s, 3))
    return vals

counts = {}
def count(key, n):
    counts[key] = counts.get(key, 0) + n
    return n, counts[key]

with open(out, "w") as f:
    for i in range(20):
        t = 1760000000.0 + i
        cams = []
        for cid, fps, deadline in (("front", 30, 40.0), ("rear", 15, None)):
            frames = fps - rng.randint(0, 2)
            drops = fps - frames
            slow = cid == "front" and i in (7, 8, 15)
            e2e = lat(28 + rng.random() * 2, 9 if slow else 3, frames, cid)
            misses = 2 if slow else 0
            c = dict(id=cid, fps=float(frames))
            c["frames"], c["frames_total"] = count(cid + "f", frames)
            c["drops"], c["drops_total"] = count(cid + "d", drops)
            c["deadline_misses"], c["deadline_misses_total"] = count(cid + "m", misses)
            c["deadline_ms"] = deadline
            c["latency_ms"] = e2e
            cams.append(c)
        n = sum(c["frames"] for c in cams)
        batches = n // 2
        m = dict(id="shapes")
        m["frames"], m["frames_total"] = count("mf", n)
        m["failed"], m["failed_total"] = count("mx", 0)
        m["batches"], m["batches_total"] = count("mb", batches)
        m["stages_ms"] = dict(queue=lat(4, 1, n, "q"), preprocess=lat(9, 1, batches, "pre"),
                              inference=lat(12, 2, batches, "inf"),
                              postprocess=lat(1.5, 0.3, batches, "post"))
        m["batch_sizes"] = {"1": counts.get("mb", 0) // 4, "2": counts.get("mb", 0) * 3 // 4}
        all_e2e = lat(29, 4, n, "all")
        line = dict(t=t, interval_s=1.0, fps=float(sum(c["fps"] for c in cams)),
                    latency_ms=all_e2e, gpu_usage=None, cameras=cams, models=[m],
                    system=dict(cpu_percent=round(150 + rng.random() * 20, 3),
                                rss_bytes=300_000_000 + i * 4096, gpu=None))
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
