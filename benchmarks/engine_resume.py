"""A job cut off by SIGTERM and resumed on restart as a warm start: the plan it resumed from,
the resumed solve's first report, and its end, against a real `matcher serve` (jobs on its
own Dask LocalCluster, the default engine).

Zhecheng (fairness by region: one city-size component) is submitted with `--time-limit`;
after `--cut` seconds of solving the server gets SIGTERM; it is restarted (`on_restart:
resume`) and the job followed to its end. Printed: the first run's first (greedy) and last
coverage, the stored plan, the resumed run's first improvement (how long after the restart
and at what value) and its final plan, validated.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/engine_resume.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from matcher.api.store import Store
from matcher.model import parse_plan, parse_problem
from matcher.validate import validate

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the benchmarks package beside it
    sys.path.insert(0, str(REPO))

from benchmarks.serve import free_port, serve  # noqa: E402

KEY = "r" * 32
H = {"X-API-Key": KEY}


def start(port: int, db: Path) -> subprocess.Popen[bytes]:
    return serve(port, {"MATCHER_API_KEYS": json.dumps({KEY: "org"}),
                        "MATCHER_DATABASE_URL": f"sqlite:///{db}", "MATCHER_ON_RESTART": "resume",
                        "MATCHER_EVENT_POLL_SECONDS": "0.1"}, quiet_stderr=True)


def follow(base: str, job: str, after: int, out: list[tuple[float, dict[str, Any]]],
           t0: float) -> None:
    """Improvement events with a sequence number above `after`, stamped with the time."""
    name = ""
    try:
        with httpx.stream("GET", f"{base}/v1/jobs/{job}/events",
                          headers={**H, "Last-Event-ID": str(after)}, timeout=300) as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name == "improvement":
                    out.append((time.monotonic() - t0, json.loads(line[6:])))
    except httpx.HTTPError:
        pass  # the server went away (SIGTERM)


def fmt(o: dict[str, Any]) -> str:
    fair = f"fairness {o['fairness']:.4f}, " if o.get("fairness") is not None else ""
    return f"{fair}coverage {o['coverage']}, fill {o['fill']}, travel {o['travel_m']} m"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--cut", type=float, default=25.0)
    args = ap.parse_args()
    doc = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    db = Path("/tmp") / f"engine-resume-{os.getpid()}.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(port, db)
    first: list[tuple[float, dict[str, Any]]] = []
    try:
        r = httpx.post(f"{base}/v1/jobs", json={"problem": doc, "time_limit": args.time_limit},
                       headers=H, timeout=120)
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        t0 = time.monotonic()
        reader = threading.Thread(target=follow, args=(base, job, 0, first, t0))
        reader.start()
        while True:
            st = httpx.get(f"{base}/v1/jobs/{job}", headers=H, timeout=30).json()
            if st["state"] == "running" and (st["progress"]["elapsed"] or 0) >= args.cut:
                break
            time.sleep(0.2)
        t_sig = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        exit_s = time.monotonic() - t_sig
        reader.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = Store(f"sqlite:///{db}")
    row = store.get(job)
    store.close()
    assert row is not None and row.plan is not None
    stored = row.plan
    last_seq = max((ev["seq"] for _, ev in first), default=0)
    print(f"first run: {len(first)} improvements; first at {first[0][0]:.1f} s coverage "
          f"{first[0][1].get('coverage')}; last at {first[-1][0]:.1f} s coverage "
          f"{first[-1][1].get('coverage')}")
    print(f"SIGTERM after {args.cut:g} s of solving: exited in {exit_s:.1f} s; state "
          f"{row.state}, elapsed {row.elapsed}; stored plan: {fmt(stored['objective'])}")

    t_restart = time.monotonic()
    proc = start(port, db)
    resumed: list[tuple[float, dict[str, Any]]] = []
    try:
        ready = time.monotonic() - t_restart
        reader = threading.Thread(target=follow, args=(base, job, last_seq, resumed, t_restart))
        reader.start()
        while True:
            st = httpx.get(f"{base}/v1/jobs/{job}", headers=H, timeout=30).json()
            if st["state"] not in ("queued", "running", "interrupted"):
                break
            time.sleep(0.5)
        reader.join(60)
        plan = httpx.get(f"{base}/v1/jobs/{job}/plan", headers=H, timeout=60).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        db.unlink(missing_ok=True)
    problem = parse_problem(doc)
    broken = validate(problem, parse_plan(plan, problem))
    print(f"restart: serving after {ready:.1f} s; resumed run: {len(resumed)} improvements"
          + (f"; first at {resumed[0][0]:.1f} s after the restart, coverage "
             f"{resumed[0][1].get('coverage')} (stage {resumed[0][1].get('stage')})"
             if resumed else ""))
    print(f"job ended {st['state']}; plan: {plan['status']}, {fmt(plan['objective'])}; "
          f"{len(broken)} broken rules; started from {plan['stats'].get('start')}")


if __name__ == "__main__":
    main()
