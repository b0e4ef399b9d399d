"""The API's jobs on a real Dask cluster (`dask scheduler` + `dask worker` processes): a job
solved there, and a job whose task goes beyond its worker's memory limit ends `failed` with
the cause kept and shown (not `running` forever)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import dask_cluster
from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.model import parse_plan, parse_problem
from matcher.validate import validate

CONFORMANCE = Path(__file__).parent / "data" / "conformance"
A = {"X-API-Key": "key-a"}


def settings(tmp_path: Path, address: str) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}",
                    api_keys={"key-a": "org-a"}, scheduler_address=address, min_key_length=5,
                    event_poll_seconds=0.05, default_job_time_limit=10.0)


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    return doc


def follow(c: TestClient, job_id: str) -> dict[str, Any]:
    """Read the job's event stream to its end; the final status."""
    with c.stream("GET", f"/v1/jobs/{job_id}/events", headers=A) as r:
        assert r.status_code == 200
        for _line in r.iter_lines():
            pass
    status: dict[str, Any] = c.get(f"/v1/jobs/{job_id}", headers=A).json()
    return status


@pytest.fixture
def cluster() -> Iterator[dask_cluster.Cluster]:
    c = dask_cluster.start(1)
    yield c
    c.stop()


def test_a_job_runs_on_the_cluster(tmp_path: Path, small: dict[str, Any],
                                   cluster: dask_cluster.Cluster) -> None:
    with TestClient(create_app(settings(tmp_path, cluster.address))) as c:
        engine = c.app.state.runner.engine  # type: ignore[attr-defined]
        assert engine is not None and engine.n_workers() == 1
        r = c.post("/v1/jobs", json={"problem": small, "seed": 2}, headers=A)
        assert r.status_code == 202
        status = follow(c, r.json()["id"])
        assert status["state"] == "done", status
        plan = c.get(f"/v1/jobs/{status['id']}/plan", headers=A).json()
        problem = parse_problem(small)
        assert validate(problem, parse_plan(plan, problem)) == []
        assert plan["objective"]["coverage"] == 76  # c01's proven optimum


def test_out_of_memory_job_fails_with_the_cause(tmp_path: Path, small: dict[str, Any]) -> None:
    # One worker held to 170 MiB: the solver's imports alone go beyond it, so its nanny
    # restarts it, the task runs again, and is killed again.
    tiny = dask_cluster.start(1, memory_limit="170MiB")
    try:
        with TestClient(create_app(settings(tmp_path, tiny.address))) as c:
            r = c.post("/v1/jobs", json={"problem": small}, headers=A)
            status = follow(c, r.json()["id"])
            again = c.get(f"/v1/jobs/{status['id']}", headers=A)
    finally:
        tiny.stop()
    assert status["state"] == "failed"
    assert status["error"].startswith("out of memory in ")
    assert "170 MiB" in status["error"] and "restarted, 2 times" in status["error"]
    assert again.status_code == 200 and again.json()["error"] == status["error"]
