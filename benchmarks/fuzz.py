"""Bad-input fuzz run (issue 13): thousands of mutated documents against the command line and
thousands of mutated requests against a real API server; counts tracebacks, 5xx, hangs and
anything written on error.

- CLI: `--cli` cases through `matcher.cli.main` in-process (`validate` two cases in three,
  `solve --time-limit 1` the third), plus `--subprocess` of them through a real
  `python -m matcher.cli` process each (exit code, standard error, files left behind);
- API: `matcher serve` (uvicorn) on 127.0.0.1 and a free port with a throw-away SQLite file;
  `--api` requests from a small thread pool with httpx (timeout: a hang), every endpoint,
  documents mutated as in the tests; afterwards the jobs the server stored must be exactly
  the jobs it accepted (a refused request stores nothing) and its log must hold no traceback.

The documents come from `tests/fuzz_docs.py` (the hypothesis fuzzers use the same mutations),
seeded, so a run is reproducible. Prints the figures and replaces its own section of
``benchmarks/RESULTS.md`` (between ``<!-- fuzz -->`` and ``<!-- /fuzz -->``).

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/fuzz.py [--cli 5000] [--api 5000]
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fuzz_docs import (  # noqa: E402
    BASES,
    FuzzCase,
    Outcome,
    api_problems,
    api_request,
    cli_problems,
    mutate_case,
    run_cli,
)

RESULTS = REPO / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- fuzz -->", "<!-- /fuzz -->"
KEY = "fuzz-key-0123456789abcdef0123456789"
HANG_S = 60.0  # a case still running this long after its time limit is a hang


def _case(i: int, rng: random.Random) -> tuple[str, FuzzCase]:
    command = "solve" if i % 3 == 2 else "validate"
    base = BASES[sorted(BASES)[i % len(BASES)]]
    return command, mutate_case(base, rng, plan=command == "validate")


def run_cli_cases(n: int, seed: int, work: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    codes: collections.Counter[str] = collections.Counter()
    bad: list[str] = []
    hangs = 0
    slowest = 0.0
    for i in range(n):
        command, case = _case(i, rng)
        t0 = time.perf_counter()
        o = run_cli(case, work / f"cli{i}", command=command, time_limit=1.0)
        took = time.perf_counter() - t0
        slowest = max(slowest, took)
        hangs += took > 1.0 + HANG_S
        codes[f"{command} exit {o.code}"] += 1
        problems = cli_problems(case, o)
        if problems:
            bad.append(f"case {i} {case.ops}: {problems[0][:300]}")
    return {"codes": codes, "bad": bad, "hangs": hangs, "slowest": slowest}


def run_subprocess_cases(n: int, seed: int, work: Path) -> dict[str, Any]:
    """The same kind of cases through a real process: what a user's shell sees."""
    rng = random.Random(seed)
    codes: collections.Counter[str] = collections.Counter()
    bad: list[str] = []
    hangs = 0
    for i in range(n):
        command, case = _case(i, rng)
        d = Path(tempfile.mkdtemp(dir=work))
        problem, plan, out_dir = d / "problem.json", d / "plan.json", d / "out"
        out_dir.mkdir()
        out = out_dir / "new-plan.json"
        problem.write_bytes(case.problem)
        plan.write_bytes(case.plan)
        argv = ([sys.executable, "-m", "matcher.cli", "validate", str(problem), str(plan)]
                if command == "validate" else
                [sys.executable, "-m", "matcher.cli", "solve", str(problem), "--quiet",
                 "--workers", "1", "--time-limit", "1", "--out", str(out)])
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=1.0 + HANG_S,
                               cwd=REPO)
        except subprocess.TimeoutExpired:
            hangs += 1
            bad.append(f"subprocess case {i} {case.ops}: hang")
            continue
        codes[f"{command} exit {p.returncode}"] += 1
        o = Outcome(command, p.returncode, p.stdout, p.stderr, None, d, problem, plan, out)
        problems = cli_problems(case, o)
        if problems:
            bad.append(f"subprocess case {i} {case.ops}: {problems[0][:300]}")
    return {"codes": codes, "bad": bad, "hangs": hangs}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_api(n: int, seed: int, work: Path, concurrency: int) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MATCHER_DATABASE_URL": f"sqlite:///{work}/fuzz.db",
           "MATCHER_API_KEYS": f'{{"{KEY}": "org-fuzz"}}',
           "MATCHER_MAX_SYNC_TIME_LIMIT": "1", "MATCHER_MAX_JOB_TIME_LIMIT": "1",
           "MATCHER_DEFAULT_JOB_TIME_LIMIT": "1", "MATCHER_MAX_REPLAN_TIME_LIMIT": "1",
           "MATCHER_DEFAULT_REPLAN_TIME_LIMIT": "1", "MATCHER_EVENT_POLL_SECONDS": "0.05",
           # Thousands of requests from one key and address: no rate limits for this run.
           "MATCHER_RATE_LIMIT_REQUESTS": "", "MATCHER_RATE_LIMIT_FAILURES": ""}
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port",
         str(port)], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    statuses: collections.Counter[int] = collections.Counter()
    bad: list[str] = []
    hangs = 0
    accepted = 0
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": KEY},
                          timeout=HANG_S) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            r = client.post("/v1/jobs", json={"problem": BASES["c01"][0], "time_limit": 1})
            job = r.json()["id"]
            with client.stream("GET", f"/v1/jobs/{job}/events") as s:
                for line in s.iter_lines():
                    if line.startswith("event: end"):
                        break
            accepted += 1
            rng = random.Random(seed)
            requests = [api_request(rng, job) for _ in range(n)]

            def one(req: tuple[str, str, bytes, dict[str, Any], list[str]]) -> tuple[
                    int | None, list[str], list[str]]:
                method, path, body, headers, ops = req
                try:
                    if path.endswith("/events"):
                        with client.stream(method, path, headers=headers) as s:
                            names = [ln for ln in s.iter_lines() if ln.startswith("event: ")]
                            if s.status_code == 200 and not any("end" in x for x in names):
                                return s.status_code, ops, ["event stream ended without end"]
                            return s.status_code, ops, []
                    r = client.request(method, path, content=body, headers=headers)
                except httpx.TimeoutException:
                    return None, ops, ["hang"]
                except httpx.TransportError as err:
                    return None, ops, [f"connection: {err}"]
                except httpx.InvalidURL as err:  # refused by the client, never sent
                    return None, ops, [f"client refused the URL: {err}"]
                return r.status_code, ops, api_problems(
                    r.status_code, r.headers.get("content-type", ""), r.content)

            with ThreadPoolExecutor(concurrency) as pool:
                for status, ops, problems in pool.map(one, requests):
                    if status is None:
                        hangs += problems == ["hang"]
                    else:
                        statuses[status] += 1
                        accepted += status in (201, 202)  # a replan stores a job too
                    if problems:
                        bad.append(f"{ops}: {problems[0][:300]}")
            # A refused request stores nothing: the jobs stored are exactly those accepted.
            stored, cursor = 0, None
            while True:
                params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
                page = client.get("/v1/jobs", params=params).json()
                stored += len(page["jobs"])
                cursor = page.get("next")
                if not cursor:
                    break
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    text = (work / "server.log").read_text(errors="replace")
    return {"statuses": statuses, "bad": bad, "hangs": hangs, "accepted": accepted,
            "stored": stored, "tracebacks": text.count("Traceback")}


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
    ap.add_argument("--cli", type=int, default=5000, help="in-process command-line cases")
    ap.add_argument("--subprocess", type=int, default=100,
                    help="command-line cases through a real process")
    ap.add_argument("--api", type=int, default=5000, help="requests to a real API server")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="matcher-fuzz-") as tmp:
        work = Path(tmp)
        cli = run_cli_cases(args.cli, args.seed, work / "cli") if args.cli else None
        t_cli = time.perf_counter() - t0
        print("cli", cli and dict(cli["codes"]), cli and cli["bad"][:5], flush=True)
        (work / "sub").mkdir()
        sub = (run_subprocess_cases(args.subprocess, args.seed + 1, work / "sub")
               if args.subprocess else None)
        t_sub = time.perf_counter() - t0 - t_cli
        print("subprocess", sub and dict(sub["codes"]), sub and sub["bad"][:5], flush=True)
        (work / "api").mkdir()
        api = run_api(args.api, args.seed + 2, work / "api", args.concurrency) \
            if args.api else None
        t_api = time.perf_counter() - t0 - t_cli - t_sub
    failures = (cli["bad"] if cli else []) + (sub["bad"] if sub else []) + (
        api["bad"] if api else [])
    for line in failures[:30]:
        print("FAIL", line)
    lines = [
        "## Bad-input fuzz run (issue 13)", "",
        f"Command: `flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/fuzz.py "
        f"--cli {args.cli} --subprocess {args.subprocess} --api {args.api} "
        f"--concurrency {args.concurrency} --seed {args.seed}` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node() or 'host'}, "
        f"{os.cpu_count()} cores shared with other engineers' work: busy).", "",
        "Documents: conformance c01-c03 problems and plans with one to three mutations each "
        "(wrong types, huge/negative/non-finite numbers, nesting to 900 levels and, as text, "
        "to 100,000, lone surrogates and other odd text, odd times, missing and extra fields, "
        "dangling and duplicate ids, an entity renamed to odd text, broken JSON text), "
        "from `tests/fuzz_docs.py`.", "",
        "| part | cases | outcomes | tracebacks | 5xx | hangs | written on error / other "
        "failures | seconds |", "|---|---|---|---|---|---|---|---|",
    ]
    if cli:
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(cli["codes"].items()))
        tb = sum("crashed" in b or "traceback" in b for b in cli["bad"])
        lines.append(f"| CLI in-process (`cli.main`) | {args.cli} | {outcomes} | {tb} | - | "
                     f"{cli['hangs']} | {len(cli['bad']) - tb} | {t_cli:.0f} |")
    if sub:
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(sub["codes"].items()))
        tb = sum("traceback" in b for b in sub["bad"])
        lines.append(f"| CLI subprocess (`python -m matcher.cli`) | {args.subprocess} | "
                     f"{outcomes} | {tb} | - | {sub['hangs']} | {len(sub['bad']) - tb} | "
                     f"{t_sub:.0f} |")
    if api:
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(api["statuses"].items()))
        n5xx = sum(v for k, v in api["statuses"].items() if k >= 500)
        other = len(api["bad"]) - n5xx - api["hangs"]
        lines.append(f"| API (uvicorn on 127.0.0.1, {args.concurrency} clients) | {args.api} | "
                     f"{outcomes} | {api['tracebacks']} (server log) | {n5xx} | {api['hangs']} "
                     f"| jobs accepted (202, 201) {api['accepted']}, stored {api['stored']}; "
                     f"{other} other | {t_api:.0f} |")
    lines += ["", f"{len(failures)} failure(s) in all."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text)
    ok = not failures and (api is None or (api["tracebacks"] == 0
                                           and api["accepted"] == api["stored"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
