"""Two API processes on one PostgreSQL; one is killed with `kill -9` in the middle of its jobs.

Measures what issue 13 asks: the other process marks the dead one's jobs with the true cause
within the lease time (plus one housekeeping round), never while the owner lives, and no job
is lost. Real uvicorn servers on 127.0.0.1, a real database; run it under the benchmark lock:

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/takeover.py \\
        --database-url postgresql+psycopg://matcher:matcher@127.0.0.1:5432/matcher_test

(`bash .ci/postgres.sh` starts such a database and prints its URL.) The run uses a schema of
its own in that database and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the benchmarks package beside it
    sys.path.insert(0, str(REPO))

from benchmarks.serve import free_port  # noqa: E402

KEY = "takeover-bench-key-0123456789abcdef0123"
H = {"X-API-Key": KEY}


def start_server(url: str, lease: float, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "MATCHER_DATABASE_URL": url,
           "MATCHER_API_KEYS": json.dumps({KEY: "org-bench"}),
           "MATCHER_LEASE_SECONDS": str(lease), "MATCHER_MAX_JOB_TIME_LIMIT": "600",
           "MATCHER_WORKERS": "2", "MATCHER_SOLVER_WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--host",
                             "127.0.0.1", "--port", str(port)], env=env, cwd=REPO,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: see {log}")
        time.sleep(0.1)
    raise SystemExit(f"server did not start: see {log}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("MATCHER_TEST_DATABASE_URL"))
    ap.add_argument("--lease", type=float, default=10.0, help="seconds (MATCHER_LEASE_SECONDS)")
    ap.add_argument("--jobs", type=int, default=3, help="jobs on the process that is killed")
    args = ap.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url (or MATCHER_TEST_DATABASE_URL) is required")
    base_url = make_url(args.database_url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base_url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"matcher-takeover-{schema}"
    logs.mkdir(parents=True, exist_ok=True)
    big = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    small = json.loads((REPO / "tests" / "data" / "conformance" / "c01.problem.json")
                       .read_text())
    procs: list[subprocess.Popen[bytes]] = []
    try:
        a, base_a = start_server(url, args.lease, logs / "a.log")
        procs.append(a)
        # The doomed process's jobs: long solves (Zhecheng, 300 s), all running when killed
        # (the first `workers` of them; the others wait in its queue).
        doomed = [httpx.post(f"{base_a}/v1/jobs", headers=H, timeout=30,
                             json={"problem": big, "time_limit": 300}).json()["id"]
                  for _ in range(args.jobs)]
        b, base_b = start_server(url, args.lease, logs / "b.log")  # started last
        procs.append(b)
        own = httpx.post(f"{base_b}/v1/jobs", headers=H, timeout=30,
                         json={"problem": small, "time_limit": 5}).json()["id"]
        # Wait until A has improvements stored, then a full lease more: B must leave them.
        while not any(httpx.get(f"{base_b}/v1/jobs/{j}", headers=H).json()["has_plan"]
                      for j in doomed):
            time.sleep(0.2)
        time.sleep(args.lease * 1.5)
        alive = {j: httpx.get(f"{base_b}/v1/jobs/{j}", headers=H).json()["state"]
                 for j in doomed}
        print(f"lease {args.lease:g} s; {args.jobs} jobs on process A, one on B (started "
              f"after A); after 1.5 leases with A alive, A's jobs read from B: "
              f"{sorted(alive.values())}")

        os.kill(a.pid, signal.SIGKILL)
        killed = time.monotonic()
        a.wait()
        seen: dict[str, float] = {}
        final: dict[str, dict[str, Any]] = {}
        while len(seen) < len(doomed) and time.monotonic() - killed < args.lease * 4:
            for j in doomed:
                if j in seen:
                    continue
                st = httpx.get(f"{base_b}/v1/jobs/{j}", headers=H).json()
                if st["state"] not in ("queued", "running"):
                    seen[j] = time.monotonic() - killed
                    final[j] = st
            time.sleep(0.05)
        listed = httpx.get(f"{base_b}/v1/jobs", headers=H, params={"limit": 200}).json()
        own_state = httpx.get(f"{base_b}/v1/jobs/{own}", headers=H).json()["state"]
        for j in doomed:
            st = final.get(j)
            if st is None:
                print(f"job {j}: NOT marked within {args.lease * 4:g} s")
                continue
            print(f"job {j}: {st['state']} {seen[j]:.2f} s after kill -9; has_plan "
                  f"{st['has_plan']}; error: {st['error']}")
        delays = sorted(seen.values())
        ids = {row["id"] for row in listed["jobs"]}
        lost = [j for j in [*doomed, own] if j not in ids]
        print(f"takeover after kill -9: {len(seen)}/{len(doomed)} jobs marked, "
              f"{delays[0]:.2f}-{delays[-1]:.2f} s (lease {args.lease:g} s, housekeeping "
              f"every {min(1.0, args.lease / 3):g} s); B's own job: {own_state}; jobs listed "
              f"{len(ids)} of {len(doomed) + 1} submitted, lost {len(lost)}")
        ok = (len(seen) == len(doomed) and not lost
              and all(s == "running" or s == "queued" for s in alive.values())
              and all(f["state"] == "interrupted" for f in final.values()))
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
