"""A bounded load test of the HTTP API on loopback: requests per second and p95 latency.

Starts ``matcher serve`` on 127.0.0.1 (a free port, a throw-away SQLite file) in a
subprocess, then fires a bounded number of requests (count- and time-bounded) from a thread
pool with httpx:

- ``POST /v1/solve`` on a small problem (conformance c01, else SPEC's tiny example);
- ``POST /v1/recommend`` on the Tianchang scenario, one unmet need after another, both with
  the problem and plan in the body (3.6 MB per request) and by the id of the finished job
  that solved it (the server keeps that job parsed).

Prints the figures and replaces its own section of ``benchmarks/RESULTS.md`` (between
``<!-- load_api -->`` and ``<!-- /load_api -->``).

    .venv/bin/python benchmarks/load_api.py [--requests 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- load_api -->", "<!-- /load_api -->"
KEY = "load-test-key-0123456789abcdef0123456789"
HEADERS = {"X-API-Key": KEY}

TINY = {
    "version": 1, "name": "tiny",
    "volunteers": [{"id": "v1", "location": {"lat": 32.689, "lon": 119.004},
                    "skills": ["teaching", "first_aid"], "max_hours": 8, "max_travel_km": 10}],
    "venues": [{"id": "u1", "location": {"lat": 32.691, "lon": 119.010}, "capacity": 40,
                "features": ["classroom"]}],
    "needs": [{"id": "n1", "location": {"lat": 32.690, "lon": 119.007},
               "start": "2026-12-05T16:30:00+08:00", "end": "2026-12-05T18:00:00+08:00",
               "priority": 3, "roles": [{"skill": "teaching", "count": 2, "min_count": 1}],
               "venue": {"capacity": 30, "features": ["classroom"], "max_distance_km": 3}}],
}


def small_problem() -> tuple[str, dict[str, Any]]:
    c01 = REPO.parent / "shared" / "conformance" / "c01.problem.json"
    if c01.exists():
        return "conformance c01 (12 volunteers, 2 venues, 2 funds, 6 needs)", json.loads(
            c01.read_text())
    return "SPEC's tiny example (1 volunteer, 1 venue, 1 need)", TINY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Figures:
    name: str
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]

    def row(self) -> str:
        return (f"| {self.name} | {self.ok}/{self.sent} | {self.errors} | {self.rps:.1f} | "
                f"{1000 * statistics.median(self.latencies):.0f} | {1000 * self.pct(0.95):.0f} "
                f"| {1000 * max(self.latencies):.0f} |")


def fire(name: str, client: httpx.Client, make: Callable[[int], tuple[str, Any]],
         requests: int, concurrency: int, max_seconds: float) -> Figures:
    """Send up to `requests` POSTs (stopping after `max_seconds`) from `concurrency` threads."""
    deadline = time.monotonic() + max_seconds
    latencies: list[float] = []
    errors = 0

    def one(i: int) -> tuple[bool, float] | None:
        if time.monotonic() > deadline:
            return None
        url, body = make(i)
        t0 = time.perf_counter()
        r = client.post(url, content=body, headers={**HEADERS,
                                                     "content-type": "application/json"})
        return r.status_code == 200, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(requests)))
    seconds = time.perf_counter() - t0
    sent = 0
    for res in results:
        if res is None:
            continue
        sent += 1
        if res[0]:
            latencies.append(res[1])
        else:
            errors += 1
    return Figures(name, sent, len(latencies), errors, seconds, latencies)


def write_section(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = f"{BEGIN}\n{text.rstrip()}\n{END}"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + section + rest.split(END, 1)[1]
    else:
        new = old.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(new)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200, help="per scenario (default 200)")
    ap.add_argument("--inline-requests", type=int, default=20,
                    help="recommend requests with the 3.6 MB body inline (default 40)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=60.0, help="per scenario")
    ap.add_argument("--solve-time-limit", type=float, default=2.0)
    ap.add_argument("--tianchang-time-limit", type=float, default=10.0)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()

    load_before = os.getloadavg()[0]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = tempfile.mkdtemp(prefix="matcher-load-")
    env = {**os.environ, "MATCHER_DATABASE_URL": f"sqlite:///{tmp}/load.db",
           "MATCHER_API_KEYS": json.dumps({KEY: "load"}),
           "MATCHER_MAX_SYNC_TIME_LIMIT": "30",
           # The load is the point here: one key from one address, far above the defaults.
           "MATCHER_RATE_LIMIT_REQUESTS": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port",
         str(port)], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=base, timeout=120.0,
                          limits=httpx.Limits(max_connections=args.concurrency + 2)) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None:
                    raise SystemExit(f"server exited: {server.stderr.read().decode()[-2000:]}"
                                     if server.stderr else "server exited")
                time.sleep(0.1)
            else:
                raise SystemExit("server did not come up within 30 s")

            small_name, small = small_problem()
            solve_body = json.dumps({"problem": small,
                                     "time_limit": args.solve_time_limit}).encode()
            client.post("/v1/solve", content=solve_body, headers={
                **HEADERS, "content-type": "application/json"}).raise_for_status()  # warm up
            solve = fire(f"`POST /v1/solve`, {small_name}, {args.concurrency} threads", client,
                         lambda i: ("/v1/solve", solve_body), args.requests, args.concurrency,
                         args.max_seconds)

            tianchang = json.loads((REPO / "scenarios" / "tianchang.json").read_text())
            r = client.post("/v1/jobs", json={"problem": tianchang,
                                              "time_limit": args.tianchang_time_limit},
                            headers=HEADERS)
            r.raise_for_status()
            job = r.json()["id"]
            deadline = time.monotonic() + args.tianchang_time_limit + 60
            while client.get(f"/v1/jobs/{job}", headers=HEADERS).json()["state"] in (
                    "queued", "running"):
                if time.monotonic() > deadline:
                    raise SystemExit("the Tianchang job did not finish")
                time.sleep(0.5)
            plan = client.get(f"/v1/jobs/{job}/plan", headers=HEADERS).json()
            unmet = [u["need"] for u in plan["unmet"]]
            by_job = [json.dumps({"job": job, "need": n}).encode() for n in unmet]
            client.post("/v1/recommend", content=by_job[0], headers={
                **HEADERS, "content-type": "application/json"}).raise_for_status()  # warm up
            rows = [solve]
            for conc in sorted({1, args.concurrency}):
                rows.append(fire(
                    f"`POST /v1/recommend`, Tianchang by job id ({len(unmet)} unmet needs in "
                    f"turn), {conc} thread(s)", client,
                    lambda i: ("/v1/recommend", by_job[i % len(by_job)]), args.requests, conc,
                    args.max_seconds))
            inline = [json.dumps({"problem": tianchang, "plan": plan, "need": n}).encode()
                      for n in unmet[:8]]
            rows.append(fire(
                f"`POST /v1/recommend`, Tianchang inline ({len(inline[0]) / 1e6:.1f} MB body), "
                "1 thread", client, lambda i: ("/v1/recommend", inline[i % len(inline)]),
                args.inline_requests, 1, args.max_seconds))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    cpu = os.cpu_count()
    text = "\n".join([
        "## HTTP API under load (loopback)",
        "",
        f"`{' '.join(['.venv/bin/python', 'benchmarks/load_api.py', *sys.argv[1:]])}` on "
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()} with {cpu} CPUs, Python "
        f"{platform.python_version()}: one `matcher serve` process (uvicorn, SQLite store) on "
        f"127.0.0.1, client threads as listed (httpx, keep-alive), at most "
        f"{args.requests} requests or {args.max_seconds:g} s per row. `/v1/solve` runs with "
        f"`time_limit` {args.solve_time_limit:g} s (the solver stops earlier once optimal). "
        f"Load average before the run: {load_before:.1f}, after: {os.getloadavg()[0]:.1f} "
        "(the machine is shared; figures on a busy machine are slower).",
        "",
        "| request | ok/sent | errors | req/s | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|",
        *[f.row() for f in rows],
        "",
        "Latency is per request as the client sees it, with the other threads' requests "
        "queued beside it. Inline recommend pays for decoding and checking the 3.6 MB problem "
        "and plan on every request; by job id the server has them parsed already.",
    ])
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0 if sum(f.errors for f in rows) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
