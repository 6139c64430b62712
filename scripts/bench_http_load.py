#!/usr/bin/python3
"""The frame path under HTTP load (issue 24): the reference scenario with the dashboard on,
without and with scripts/http_load.py asking /api/history, /api/stats and /metrics at a fixed
rate over keep-alive connections. Runs alternate so that both see the same machine.

    scripts/bench_http_load.py [TREE ...]   (default: this tree; each needs build/percept)
    REPS=3 FRAMES=300 RATE=1000 CONNECTIONS=64 CLIENT_NICE=0 (environment)

Prints per tree the pipeline FPS of each run, the median ratio loaded / unloaded, percept's
CPU seconds (user + sys, from wait4) unloaded and loaded (the difference is what serving cost),
and the load client's answers per second and its own CPU seconds: on a 2-core machine the
client competes with the pipeline too, so its CPU is part of any FPS it costs; CLIENT_NICE=19
runs it below the pipeline, closer to a client on another machine.
"""
import json
import os
import signal
import statistics as st
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPS = int(os.environ.get("REPS", 3))
FRAMES = os.environ.get("FRAMES", "300")
RATE = os.environ.get("RATE", "1000")
CONNECTIONS = os.environ.get("CONNECTIONS", "64")
CLIENT_NICE = int(os.environ.get("CLIENT_NICE", 0))


def cpu(rusage):
    return rusage.ru_utime + rusage.ru_stime


def one_run(tree, load, tmp):
    port_file = os.path.join(tmp, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    p = subprocess.Popen([os.path.join(tree, "build/percept"), "run",
                          "configs/reference_scenario.yaml", "--max-frames", FRAMES, "--serve",
                          "--port", "0", "--port-file", port_file, "--no-progress"],
                         cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = None
    if load:
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        client = subprocess.Popen([sys.executable, os.path.join(HERE, "http_load.py"),
                                   open(port_file).read().strip(), "--rate", RATE,
                                   "--connections", CONNECTIONS, "--seconds", "600"],
                                  stdout=subprocess.PIPE,
                                  preexec_fn=lambda: os.nice(CLIENT_NICE))
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    result = {"rc": p.returncode, "cpu": cpu(ru)}
    if client:
        client.send_signal(signal.SIGTERM)
        _, _, cru = os.wait4(client.pid, 0)
        client.returncode = 0
        result["client_cpu"] = cpu(cru)
        result["load"] = json.loads(client.stdout.read() or b"{}")
    summary = json.load(open(os.path.join(tree, "build/reference_scenario/summary.json")))
    result["fps"] = summary["fps"]
    return result


def main():
    trees = [os.path.realpath(t) for t in sys.argv[1:]] or [os.path.dirname(HERE)]
    runs = {t: {"off": [], "on": []} for t in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(REPS):
            for t in trees:
                for load in (False, True):
                    runs[t]["on" if load else "off"].append(one_run(t, load, tmp))
    for t in trees:
        off, on = runs[t]["off"], runs[t]["on"]
        ratios = [b["fps"] / a["fps"] for a, b in zip(off, on)]
        print(f"{t}: {REPS} pairs, {FRAMES} frames per camera, {RATE} requests/s over "
              f"{CONNECTIONS} connections, client at nice {CLIENT_NICE}")
        print(f"  FPS unloaded {[round(r['fps'], 1) for r in off]}, "
              f"loaded {[round(r['fps'], 1) for r in on]}; loaded/unloaded median "
              f"{st.median(ratios):.3f} (pairs {min(ratios):.3f}-{max(ratios):.3f})")
        print(f"  percept CPU s unloaded {[round(r['cpu'], 1) for r in off]}, "
              f"loaded {[round(r['cpu'], 1) for r in on]}; exit codes "
              f"{[r['rc'] for r in off + on]}")
        print(f"  client: answers/s {[r['load'].get('per_s') for r in on]}, p50 ms "
              f"{[r['load'].get('p50_ms') for r in on]}, p99 ms "
              f"{[r['load'].get('p99_ms') for r in on]}, errors "
              f"{[r['load'].get('errors') for r in on]}, CPU s "
              f"{[round(r['client_cpu'], 1) for r in on]}")


main()
