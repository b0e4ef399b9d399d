"""Synchronous solves in worker processes (`settings.sync_processes`): the same plan as the
in-thread path, the API process free of the solve, and a worker killed mid-solve answered
with a 503 while the next request is served by a fresh worker."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.model import parse_plan, parse_problem
from matcher.validate import validate

CONFORMANCE = Path(__file__).parent / "data" / "conformance"
REPO = Path(__file__).parents[1]
KEYS = {"key-a": "org-a"}
A = {"X-API-Key": "key-a"}


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    tmp_path.mkdir(exist_ok=True)
    return Settings(**{"database_url": f"sqlite:///{tmp_path / 'api.db'}", "api_keys": KEYS,
                       "engine": "inprocess", "min_key_length": 5, "rate_limit_requests": "",
                       "max_sync_time_limit": 20.0, **kw})


def _workers(c: TestClient) -> list[Any]:
    pool = c.app.state.sync_pool  # type: ignore[attr-defined]
    executor = pool._pool
    return [] if executor is None else list(executor._processes.values())


def test_worker_process_gives_the_in_thread_plan(tmp_path: Path) -> None:
    doc = json.loads((CONFORMANCE / "c03.problem.json").read_text())
    body = {"problem": doc, "time_limit": 5, "seed": 3}
    with TestClient(create_app(_settings(tmp_path / "t", sync_processes=0))) as c:
        in_thread = c.post("/v1/solve", json=body, headers=A)
        assert c.app.state.sync_pool is None  # type: ignore[attr-defined]
    with TestClient(create_app(_settings(tmp_path / "p", sync_processes=1))) as c:
        in_worker = c.post("/v1/solve", json=body, headers=A)
        workers = _workers(c)
        assert len(workers) == 1 and workers[0].pid != os.getpid() and workers[0].is_alive()
    assert in_thread.status_code == in_worker.status_code == 200, in_worker.text
    a, b = in_thread.json(), in_worker.json()
    for plan in (a, b):
        plan.pop("stats")
    assert a == b
    problem = parse_problem(doc)
    assert validate(problem, parse_plan(b, problem)) == []


def test_a_killed_worker_is_a_503_and_the_next_solve_gets_a_new_one(tmp_path: Path) -> None:
    zhecheng = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    small = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    with TestClient(create_app(_settings(tmp_path, sync_processes=1))) as c:
        assert c.post("/v1/solve", json={"problem": small, "time_limit": 5},
                      headers=A).status_code == 200
        (worker,) = _workers(c)
        gate = c.app.state.sync_gate  # type: ignore[attr-defined]
        res: dict[str, Any] = {}
        t = threading.Thread(target=lambda: res.setdefault("r", c.post(
            "/v1/solve", json={"problem": zhecheng, "time_limit": 15}, headers=A)))
        t.start()
        end = time.monotonic() + 30
        while gate._held.get("org-a", 0) != 1:
            assert time.monotonic() < end
            time.sleep(0.01)
        time.sleep(2.0)  # parsing, then solving, in the worker
        os.kill(worker.pid, signal.SIGKILL)
        t.join(60)
        r = res["r"]
        assert r.status_code == 503 and "died" in r.json()["detail"], r.text
        again = c.post("/v1/solve", json={"problem": small, "time_limit": 5}, headers=A)
        assert again.status_code == 200, again.text
        (fresh,) = _workers(c)
        assert fresh.pid != worker.pid
