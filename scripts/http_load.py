#!/usr/bin/python3
"""HTTP load for the dashboard: N keep-alive connections asking for PATHS at a fixed total rate.

    scripts/http_load.py PORT [--rate 2500] [--connections 64] [--seconds 10]
                              [--paths /api/history,/api/stats,/metrics]

A fixed rate, not "as fast as it goes", so that two servers compared under it cost the client
the same CPU (on a 2-core machine the client competes with the pipeline too). Prints one JSON
line: requests sent and answered (200), answers per second, latency p50/p99 in ms, request
errors (a connection closed mid-request: also at the server's end) and refused connects. SIGTERM
ends it early (the report still comes).
Standard library only (asyncio), for Debian's python3.
"""
import argparse
import asyncio
import json
import signal
import time


async def client(port, paths, interval, deadline, stats, index):
    """`deadline` is a one-element list: SIGTERM moves it to now."""
    reader = writer = None
    next_at = time.monotonic() + interval * (index % 100) / 100.0
    i = index
    while time.monotonic() < deadline[0]:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                stats["refused"] += 1  # the server is not up yet, or gone at the run's end
                await asyncio.sleep(0.05)
                continue
        path = paths[i % len(paths)]
        i += 1
        start = time.monotonic()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            stats["sent"] += 1
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await asyncio.wait_for(reader.readexactly(length), 10)
            stats["latency"].append((time.monotonic() - start) * 1000.0)
            stats["ok"] += head.startswith(b"HTTP/1.1 200")
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                asyncio.LimitOverrunError, ValueError):
            stats["errors"] += 1
            writer.close()
            writer = None
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            next_at = time.monotonic()  # behind: do not burst to catch up


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("port", type=int)
    p.add_argument("--rate", type=float, default=2500)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--paths", default="/api/history,/api/stats,/metrics")
    a = p.parse_args()
    stats = {"sent": 0, "ok": 0, "errors": 0, "refused": 0, "latency": []}
    start = time.monotonic()
    deadline = [start + a.seconds]
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: deadline.__setitem__(0, time.monotonic()))
    interval = a.connections / a.rate
    await asyncio.gather(*(client(a.port, a.paths.split(","), interval, deadline, stats, k)
                           for k in range(a.connections)))
    took = time.monotonic() - start
    lat = sorted(stats["latency"]) or [float("nan")]
    print(json.dumps({"sent": stats["sent"], "ok": stats["ok"], "errors": stats["errors"],
                      "refused_connects": stats["refused"],
                      "per_s": round(stats["ok"] / took, 1),
                      "p50_ms": round(lat[len(lat) // 2], 2),
                      "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2)}))


asyncio.run(main())
