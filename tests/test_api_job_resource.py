"""The job resource a client can act on: elapsed time since the start and a heartbeat while
a job runs, the stage it is in, the final status with each stage's value and bound (integers
as integers, agreeing with the plan), and replans as jobs with their list of changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_api import A, events, finished, make_settings, submit

from matcher.api.app import create_app
from matcher.model import parse_plan, parse_problem
from matcher.validate import validate

REPO = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    """Conformance problem c01: 12 volunteers, 6 needs, a pin; proven optimal at once."""
    doc: dict[str, Any] = json.loads(
        (Path(__file__).parent / "data" / "conformance" / "c01.problem.json").read_text())
    return doc


@pytest.fixture(scope="module")
def zhecheng() -> dict[str, Any]:
    """A county with fairness that takes long enough to stop while it runs."""
    doc: dict[str, Any] = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    return doc


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        yield c


def test_a_finished_job_says_how_it_ended(client: TestClient, small: dict[str, Any]) -> None:
    job = finished(client, small)
    status = client.get(f"/v1/jobs/{job}", headers=A).json()
    plan = client.get(f"/v1/jobs/{job}/plan", headers=A).json()
    prog, result = status["progress"], status["result"]
    assert prog["stage"] == "finished"
    assert prog["elapsed"] >= prog["last_improvement"] >= 0
    assert result["status"] == plan["status"] == "optimal"
    assert isinstance(result["bound"]["coverage"], int)
    assert isinstance(plan["bound"]["coverage"], int)
    assert isinstance(prog["bound"], int)
    assert result["objective"] == plan["objective"]
    stages = {s["name"]: s for s in result["stages"]}
    assert list(stages)[:2] == ["coverage", "fill"]
    for name, key in (("coverage", "coverage"), ("fill", "fill"), ("travel", "travel_m")):
        assert stages[name]["value"] == plan["objective"][key]
        assert isinstance(stages[name]["value"], int)
        assert stages[name]["status"] == "optimal"
        assert stages[name]["bound"] == stages[name]["value"]


def test_a_running_job_beats_and_a_stopped_one_agrees_with_its_plan(
        client: TestClient, zhecheng: dict[str, Any]) -> None:
    job = submit(client, zhecheng, time_limit=40)
    seen = events(client, job, A, until="heartbeat")
    beats = [data for name, data in seen if name == "heartbeat"]
    assert beats and beats[-1]["state"] in ("queued", "running")
    more = events(client, job, A, until="heartbeat")
    later = [data for name, data in more if name == "heartbeat"][-1]
    if later["elapsed"] is not None and beats[-1]["elapsed"] is not None:
        assert later["elapsed"] >= beats[-1]["elapsed"]
    running = client.get(f"/v1/jobs/{job}", headers=A).json()
    if running["state"] == "running":
        assert running["progress"]["stage"] != "finished"
        assert running["progress"]["elapsed"] >= (running["progress"]["last_improvement"] or 0)
    r = client.delete(f"/v1/jobs/{job}", headers=A)
    assert r.status_code == 200, r.text
    status = client.get(f"/v1/jobs/{job}", headers=A).json()
    plan = client.get(f"/v1/jobs/{job}/plan", headers=A).json()
    stages = {s["name"]: s for s in plan["stats"]["stages"]}
    assert stages["fairness"]["value"] == pytest.approx(plan["objective"]["fairness"])
    assert stages["coverage"]["value"] == plan["objective"]["coverage"]
    assert status["result"]["stages"] == [
        {k: s[k] for k in ("name", "status", "value", "bound")} for s in plan["stats"]["stages"]]


def test_a_replan_runs_as_a_job_and_lists_its_changes(
        client: TestClient, small: dict[str, Any]) -> None:
    job = finished(client, small)
    before = client.get(f"/v1/jobs/{job}/plan", headers=A).json()
    gone = before["assignments"][0]["volunteer"]
    r = client.post(f"/v1/jobs/{job}/replan", headers=A, json={
        "changes": [{"op": "withdraw_volunteer", "volunteer": gone}], "wait": False,
        "time_limit": 20})
    assert r.status_code == 202, r.text
    child = r.json()["id"]
    assert r.json()["parent"] == job
    assert events(client, child, A)[-1][0] == "end"
    status = client.get(f"/v1/jobs/{child}", headers=A).json()
    assert status["state"] == "done" and status["result"]["objective"]["changes"] >= 1
    diff = client.get(f"/v1/jobs/{child}/changes", headers=A).json()
    assert diff["total"] == status["result"]["objective"]["changes"]
    assert {"need": before["assignments"][0]["need"], "skill": before["assignments"][0]["skill"],
            "volunteer": gone} in diff["assignments_removed"]
    plan = client.get(f"/v1/jobs/{child}/plan", headers=A).json()
    problem = parse_problem({**small, "volunteers": [v for v in small["volunteers"]
                                                     if v["id"] != gone],
                             "pins": [p for p in small.get("pins", [])
                                      if p.get("volunteer") != gone],
                             "forbid": [f for f in small.get("forbid", [])
                                        if f.get("volunteer") != gone]})
    assert validate(problem, parse_plan(plan, problem)) == []
    r = client.get(f"/v1/jobs/{job}/changes", headers=A)
    assert r.status_code == 409 and "not a replan" in r.json()["detail"]


def test_recommend_answers_every_unmet_need_and_the_inverse(
        client: TestClient, small: dict[str, Any]) -> None:
    job = finished(client, small)
    plan = client.get(f"/v1/jobs/{job}/plan", headers=A).json()
    for u in plan["unmet"]:
        for mode in ("displace", "free"):
            r = client.post("/v1/recommend", headers=A,
                            json={"job": job, "need": u["need"], "mode": mode})
            assert r.status_code == 200, r.text
            out = r.json()
            assert out["options"] or out["reasons"]
            assert out["plan_reasons"] == u["reasons"]
    vid = small["volunteers"][0]["id"]
    r = client.post("/v1/recommend", headers=A, json={"job": job, "volunteer": vid})
    assert r.status_code == 200 and isinstance(r.json()["could_meet"], list)
    r = client.post("/v1/recommend", headers=A, json={"job": job, "volunteer": "nobody"})
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "volunteer"
    r = client.post("/v1/recommend", headers=A, json={"job": job})
    assert r.status_code == 422
