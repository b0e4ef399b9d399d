"""50 concurrent synchronous solves from 3 organisations against `matcher serve` settings:
no 5xx, `/health` p99, and whether the organisations are served in turn.

Each client posts Tianchang (3.3 MB, `time_limit` 3 s) to /v1/solve and, on a 429, waits
for its `Retry-After` and posts again; a poller asks `/health` every 50 ms meanwhile.
"Served in turn": in the order solves completed, the longest run of one organisation.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/engine_fair.py
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import uvicorn

from matcher.api.app import create_app
from matcher.api.settings import Settings

REPO = Path(__file__).parents[1]
ORGS = {"a" * 32: "org-a", "b" * 32: "org-b", "c" * 32: "org-c"}


def main() -> None:
    port = 18000 + os.getpid() % 1000
    db = Path("/tmp") / f"engine-fair-{os.getpid()}.db"
    settings = Settings(database_url=f"sqlite:///{db}", api_keys=ORGS, engine="inprocess")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            httpx.get(base + "/health")
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    body = json.dumps({"problem": json.loads((REPO / "scenarios" / "tianchang.json")
                                             .read_text()), "time_limit": 3}).encode()
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
    server.should_exit = True
    th.join(30)
    db.unlink(missing_ok=True)
    health.sort()
    p99 = health[int(0.99 * (len(health) - 1))]
    run, longest = 1, 1
    for prev, cur in zip(done, done[1:]):
        run = run + 1 if cur == prev else 1
        longest = max(longest, run)
    first12 = Counter(done[:12])
    print(f"50 solves in {wall:.1f} s; responses {dict(sorted(codes.items()))}; "
          f"5xx: {sum(v for k, v in codes.items() if k >= 500)}")
    print(f"/health: {len(health)} polls, p50 {health[len(health) // 2] * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {health[-1] * 1000:.0f} ms")
    print(f"completion order: {' '.join(o[-1] for o in done)}")
    print(f"longest run of one organisation: {longest}; first 12 served: {dict(first12)}")


if __name__ == "__main__":
    main()
