"""A worker killed during a Yibin job: the job still ends with a valid plan, or `failed`
with the cause, and how long after the kill.

Starts `dask scheduler` and two `dask worker` processes on 127.0.0.1 (as tests/dask_cluster.py
does), the API in this process on that cluster (uvicorn on 127.0.0.1), submits
scenarios/yibin.json as a job, waits until its biggest subproblem runs on a worker, kills that
worker's whole process group (nanny and worker, as a lost machine), and follows the job.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/engine_kill.py [--time-limit 40]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO / "tests"))

import dask_cluster  # noqa: E402

from matcher.api.app import create_app  # noqa: E402
from matcher.api.settings import Settings  # noqa: E402
from matcher.model import parse_plan, parse_problem  # noqa: E402
from matcher.validate import validate  # noqa: E402

KEY = "k" * 32


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=40.0)
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "yibin.json"))
    ap.add_argument("--kill-after", type=float, default=5.0,
                    help="seconds after the first task starts on a worker")
    args = ap.parse_args()
    cluster = dask_cluster.start(2, memory_limit="4GiB")
    port = dask_cluster.free_port()
    db = Path("/tmp") / f"engine-kill-{os.getpid()}.db"
    settings = Settings(database_url=f"sqlite:///{db}", api_keys={KEY: "org"},
                        scheduler_address=cluster.address, rate_limit_requests="",
                        max_entities=1_000_000, max_body_bytes=200_000_000,
                        max_job_time_limit=3600)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    base = f"http://127.0.0.1:{port}"
    h = {"X-API-Key": KEY}
    try:
        while True:
            try:
                httpx.get(base + "/health")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        doc = json.loads(Path(args.scenario).read_text())
        from distributed import Client

        watcher = Client(cluster.address)
        pids = watcher.run(os.getpid)
        t0 = time.monotonic()
        r = httpx.post(base + "/v1/jobs", json={"problem": doc, "time_limit": args.time_limit},
                       headers=h, timeout=300)
        job = r.json()["id"]
        print(f"job {job} submitted ({r.status_code}) in {time.monotonic() - t0:.1f} s")
        victim = None
        first = None
        while victim is None:
            busy = [a for a, keys in watcher.processing().items() if keys]
            if busy and first is None:
                first = time.monotonic()
                print(f"task running on {busy[0]} at {first - t0:.1f} s")
            if first is not None and time.monotonic() - first >= args.kill_after and busy:
                victim = busy[0]
            time.sleep(0.2)
        cluster.kill_worker_of_pid(pids[victim])
        killed = time.monotonic()
        print(f"killed worker {victim} (pid {pids[victim]}) at {killed - t0:.1f} s")
        while True:
            st = httpx.get(f"{base}/v1/jobs/{job}", headers=h, timeout=30).json()
            if st["state"] not in ("queued", "running"):
                break
            time.sleep(0.5)
        ended = time.monotonic()
        print(f"job ended {st['state']} {ended - killed:.1f} s after the kill "
              f"({ended - t0:.1f} s after submission); error: {st['error']}")
        if st["has_plan"]:
            plan = httpx.get(f"{base}/v1/jobs/{job}/plan", headers=h, timeout=60).json()
            problem = parse_problem(doc)
            broken = validate(problem, parse_plan(plan, problem))
            print(f"plan: {plan['status']}, coverage {plan['objective']['coverage']} "
                  f"(bound {plan['bound']['coverage']}), {len(broken)} broken rules")
        watcher.close()
    finally:
        server.should_exit = True
        th.join(30)
        cluster.stop()
        db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
