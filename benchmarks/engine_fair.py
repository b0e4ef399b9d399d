"""50 concurrent synchronous solves from 3 organisations against a `matcher serve` process:
no 5xx, `/health` p99, and whether the organisations are served in turn.

The server runs as its own process (as in production, so that the clients' threads here do
not share its GIL), jobs in-process, synchronous solves in `--sync-processes` worker
processes (0: in threads of the API process, the path before issue 12's fix). First a small
synchronous solve (conformance c01: 12 volunteers, 6 needs) 20 times in a row on the idle
server: its latency. Then each of 50 clients posts Tianchang (3.3 MB, `time_limit` 3 s) to
/v1/solve and, on a 429, waits for its `Retry-After` and posts again; a poller asks
`/health` every 50 ms meanwhile. "Served in turn": in the order solves completed, the
longest run of one organisation.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/engine_fair.py [--sync-processes N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the benchmarks package beside it
    sys.path.insert(0, str(REPO))

from benchmarks.serve import free_port, serve  # noqa: E402

ORGS = {"a" * 32: "org-a", "b" * 32: "org-b", "c" * 32: "org-c"}


def start(port: int, db: Path, sync_processes: int) -> subprocess.Popen[bytes]:
    return serve(port, {"MATCHER_DATABASE_URL": f"sqlite:///{db}",
                        "MATCHER_API_KEYS": json.dumps(ORGS), "MATCHER_ENGINE": "inprocess",
                        "MATCHER_SYNC_PROCESSES": str(sync_processes)})


def small_latency(base: str) -> list[float]:
    doc = json.loads((REPO / "tests" / "data" / "conformance" / "c01.problem.json").read_text())
    key = next(iter(ORGS))
    out = []
    with httpx.Client(timeout=60) as c:
        for i in range(23):
            t = time.perf_counter()
            r = c.post(base + "/v1/solve", json={"problem": doc, "time_limit": 5},
                       headers={"X-API-Key": key})
            took = time.perf_counter() - t
            assert r.status_code == 200, r.text
            if i >= 3:  # the first ones wait for the worker processes' imports
                out.append(took)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sync-processes", type=int, default=2)
    args = ap.parse_args()
    port = free_port()
    db = Path("/tmp") / f"engine-fair-{os.getpid()}.db"
    server = start(port, db, args.sync_processes)
    base = f"http://127.0.0.1:{port}"
    try:
        small = sorted(small_latency(base))
        body = json.dumps({"problem": json.loads((REPO / "scenarios" / "tianchang.json")
                                                 .read_text()), "time_limit": 3}).encode()
        codes, done, health, wall = load(base, body)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        db.unlink(missing_ok=True)
    health.sort()
    p99 = health[int(0.99 * (len(health) - 1))]
    run, longest = 1, 1
    for prev, cur in zip(done, done[1:]):
        run = run + 1 if cur == prev else 1
        longest = max(longest, run)
    print(f"sync_processes={args.sync_processes}")
    print(f"small solve (c01), idle server, {len(small)} in a row: median "
          f"{statistics.median(small) * 1000:.0f} ms, max {small[-1] * 1000:.0f} ms")
    print(f"50 solves in {wall:.1f} s; responses {dict(sorted(codes.items()))}; "
          f"5xx: {sum(v for k, v in codes.items() if k >= 500)}")
    print(f"/health: {len(health)} polls, p50 {health[len(health) // 2] * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {health[-1] * 1000:.0f} ms")
    print(f"completion order: {' '.join(o[-1] for o in done)}")
    print(f"longest run of one organisation: {longest}; first 12 served: "
          f"{dict(Counter(done[:12]))}")


def load(base: str, body: bytes) -> tuple[Counter[int], list[str], list[float], float]:
    codes: Counter[int] = Counter()
    done: list[str] = []
    lock = threading.Lock()
    health: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(timeout=30) as c:
            while not stop.is_set():
                t = time.perf_counter()
                r = c.get(base + "/health")
                health.append(time.perf_counter() - t)
                assert r.status_code == 200
                time.sleep(0.05)

    def client(key: str) -> None:
        with httpx.Client(timeout=600) as c:
            while True:
                r = c.post(base + "/v1/solve", content=body,
                           headers={"X-API-Key": key, "Content-Type": "application/json"})
                with lock:
                    codes[r.status_code] += 1
                if r.status_code == 429:
                    time.sleep(float(r.headers["Retry-After"]))
                    continue
                with lock:
                    done.append(ORGS[key])
                return

    poller = threading.Thread(target=poll)
    poller.start()
    keys = [list(ORGS)[i % 3] for i in range(50)]
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    stop.set()
    poller.join()
    return codes, done, health, wall


if __name__ == "__main__":
    main()
