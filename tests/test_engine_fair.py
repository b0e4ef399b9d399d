"""Fair, bounded admission: per-organisation caps (429 with Retry-After) and round-robin
between organisations, for synchronous solves and for queued jobs."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.engine.fair import Busy, FairGate, FairQueue

REPO = Path(__file__).parents[1]
KEYS = {"key-a": "org-a", "key-b": "org-b", "key-c": "org-c"}


def wait_until(cond: Any, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_gate_serves_organisations_in_turn_and_caps_each() -> None:
    gate = FairGate(slots=1, per_org=3, retry_after=7)
    gate.acquire("a")  # holds the only slot
    order: list[str] = []
    threads = []
    # Three waiting solves of a arrive before b's and c's.
    for org in ["a", "a", "b", "c"]:
        def run(org: str = org) -> None:
            gate.acquire(org)
            order.append(org)
            gate.release(org)
        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
        wait_until(lambda n=len(threads): sum(len(q) for q in gate._waiting.values()) == n)
    with pytest.raises(Busy) as info:
        gate.acquire("a")  # a holds 1 and waits for 2: at its cap of 3
    assert info.value.retry_after == 7
    gate.release("a")
    for t in threads:
        t.join(10)
    # b and c were not held up behind a's queue: a had just been served.
    assert order == ["b", "c", "a", "a"]


def test_queue_round_robin_and_running_cap() -> None:
    q: FairQueue[int] = FairQueue(max_running=1, max_queued=2)
    for i in range(2):
        q.push("a", f"a{i}", i)
    q.push("b", "b0", 0)
    with pytest.raises(Busy):
        q.push("a", "a2", 2)
    first = q.pop()
    second = q.pop()
    assert first is not None and second is not None
    assert (first[0], second[0]) == ("a", "b")
    assert q.pop() is None  # a is at its running cap of 1
    q.done("a")
    third = q.pop()
    assert third is not None and third[1] == "a1"


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(**{"database_url": f"sqlite:///{tmp_path / 'api.db'}", "api_keys": KEYS,
                       "engine": "inprocess", "event_poll_seconds": 0.05, "min_key_length": 5,
                       "rate_limit_requests": "",
                       "max_sync_time_limit": 20.0, **kw})


def test_sync_solves_beyond_the_cap_get_429(tmp_path: Path) -> None:
    zhecheng = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    settings = _settings(tmp_path, sync_slots=1, max_sync_solves_per_org=1,
                         retry_after_seconds=3)
    with TestClient(create_app(settings)) as c:
        gate = c.app.state.sync_gate  # type: ignore[attr-defined]
        res: dict[str, Any] = {}
        body = {"problem": zhecheng, "time_limit": 4}
        t = threading.Thread(target=lambda: res.setdefault(
            "first", c.post("/v1/solve", json=body, headers={"X-API-Key": "key-a"})))
        t.start()
        wait_until(lambda: gate._held.get("org-a", 0) == 1)
        r = c.post("/v1/solve", json=body, headers={"X-API-Key": "key-a"})
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
        assert "org-a" in r.json()["detail"]
        assert c.get("/health").status_code == 200
        t.join(60)
        assert res["first"].status_code == 200


def test_jobs_beyond_the_queue_cap_get_429(tmp_path: Path) -> None:
    zhecheng = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    settings = _settings(tmp_path, workers=1, max_queued_jobs_per_org=1,
                         max_running_jobs_per_org=1, stop_wait_seconds=30)
    a = {"X-API-Key": "key-a"}
    with TestClient(create_app(settings)) as c:
        ids = []
        for _ in range(2):  # one runs, one waits
            r = c.post("/v1/jobs", json={"problem": zhecheng, "time_limit": 30}, headers=a)
            assert r.status_code == 202
            ids.append(r.json()["id"])
        r = c.post("/v1/jobs", json={"problem": zhecheng, "time_limit": 30}, headers=a)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        # Another organisation is not refused.
        r = c.post("/v1/jobs", json={"problem": zhecheng, "time_limit": 30},
                   headers={"X-API-Key": "key-b"})
        assert r.status_code == 202
        ids.append(r.json()["id"])
        for job_id, key in zip(ids, ["key-a", "key-a", "key-b"]):
            c.delete(f"/v1/jobs/{job_id}", headers={"X-API-Key": key})
