"""The HTTP API through FastAPI's TestClient, against the real solver and a real database: a
SQLite file, or the PostgreSQL named by MATCHER_TEST_DATABASE_URL (tests/conftest.py).

Every endpoint and its error paths; API keys and tenant isolation; limits; a restart on the
same database file.  Nothing sleeps: jobs are followed through their event stream, which ends
when the job ends (the server bounds it).
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.api.store import JobRow, Store, utcnow
from matcher.model import parse_plan, parse_problem
from matcher.validate import validate
from conftest import database_url_for

REPO = Path(__file__).parents[1]
CONFORMANCE = Path(__file__).parent / "data" / "conformance"
KEYS = {"key-a": "org-a", "key-b": "org-b"}
A = {"X-API-Key": "key-a"}
B = {"X-API-Key": "key-b"}


def make_settings(tmp_path: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": database_url_for(tmp_path), "api_keys": KEYS,
        "max_sync_time_limit": 5.0, "max_job_time_limit": 60.0, "default_job_time_limit": 5.0,
        "stop_wait_seconds": 30.0, "event_poll_seconds": 0.05,
        # The tests' keys are short and their requests quick: production defaults are
        # tested in test_api_auth.py.
        "min_key_length": 5, "rate_limit_requests": "",
        # Jobs in this process (the engine's own tests run a real Dask cluster), and jobs cut
        # off by a restart left for the client, as the restart test expects.
        "engine": "inprocess", "on_restart": "resubmit",
    }
    return Settings(**{**base, **kw})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        yield c


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    """Conformance problem c01: 12 volunteers, 6 needs, a pin; optimal coverage 76."""
    doc: dict[str, Any] = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    return doc


@pytest.fixture(scope="module")
def small_expected() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONFORMANCE / "c01.expected-plan.json").read_text())
    return doc


@pytest.fixture(scope="module")
def tianchang() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REPO / "scenarios" / "tianchang.json").read_text())
    return doc


@pytest.fixture(scope="module")
def zhecheng() -> dict[str, Any]:
    """A county plan with regional fairness: not proven within a minute, so a job on it is
    still running when a test stops it (Tianchang is proven optimal in about 2 s)."""
    doc: dict[str, Any] = json.loads((REPO / "scenarios" / "zhecheng.json").read_text())
    return doc


def events(client: TestClient, job_id: str, headers: dict[str, str],
           until: str = "end") -> list[tuple[str, dict[str, Any]]]:
    """Read a job's event stream until an event named `until` (the stream is bounded)."""
    out: list[tuple[str, dict[str, Any]]] = []
    name = "message"
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[len("data: "):])))
                if name in (until, "end", "timeout"):
                    break
    return out


def submit(client: TestClient, problem: dict[str, Any], headers: dict[str, str] = A,
           **kw: Any) -> str:
    r = client.post("/v1/jobs", json={"problem": problem, **kw}, headers=headers)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/jobs/{r.json()['id']}"
    job_id: str = r.json()["id"]
    return job_id


def finished(client: TestClient, problem: dict[str, Any], headers: dict[str, str] = A) -> str:
    job_id = submit(client, problem, headers)
    assert events(client, job_id, headers)[-1][0] == "end"
    return job_id


# --- the app itself --------------------------------------------------------------------------


def test_health_docs_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in ("/v1/solve", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/plan",
                 "/v1/jobs/{job_id}/events", "/v1/jobs/{job_id}/replan", "/v1/validate",
                 "/v1/recommend"):
        assert path in schema["paths"], path
    assert "APIKeyHeader" in schema["components"]["securitySchemes"]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_API_KEYS", '{"k1": "org1"}')
    monkeypatch.setenv("MATCHER_MIN_KEY_LENGTH", "2")
    monkeypatch.setenv("MATCHER_MAX_ENTITIES", "7")
    monkeypatch.setenv("MATCHER_DATABASE_URL", "postgresql+psycopg://u@db/matcher")
    s = Settings()
    assert s.api_keys == {"k1": "org1"} and s.max_entities == 7
    assert s.database_url.startswith("postgresql")


# --- solve -----------------------------------------------------------------------------------


def test_solve_returns_a_valid_optimal_plan(client: TestClient, small: dict[str, Any],
                                            small_expected: dict[str, Any]) -> None:
    r = client.post("/v1/solve", json={"problem": small, "time_limit": 5}, headers=A)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["status"] == "optimal"
    assert plan["objective"] == small_expected["objective"]
    problem = parse_problem(small)
    assert validate(problem, parse_plan(plan, problem)) == []


def _mutate(doc: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(("path", "value", "where"), [
    (["needs", 3, "roles", 0, "min_count"], 9, "problem.needs[3].roles[0].min_count"),
    (["volunteers", 1, "location", "lat"], 100, "problem.volunteers[1].location.lat"),
    (["needs", 0, "start"], "tomorrow", "problem.needs[0].start"),
    (["pins", 0, "need"], "no-such-need", "problem.pins[0].need"),
    (["needs", 1, "id"], "n0001", "problem.needs[1].id"),
    (["needs", 2, "priority"], 6, "problem.needs[2].priority"),
])
def test_bad_problems_get_422_with_the_json_path(
        client: TestClient, small: dict[str, Any], path: list[Any], value: Any,
        where: str) -> None:
    bad = _mutate(small, path, value)
    r = client.post("/v1/solve", json={"problem": bad}, headers=A)
    assert r.status_code == 422, r.text
    item = r.json()["detail"][0]
    assert item["path"] == where
    assert item["loc"][0] == "body" and item["msg"]


@pytest.mark.parametrize(("body", "where"), [
    ({}, "problem"),
    ({"problem": []}, "problem"),
    ({"problem": {}, "time_limit": -1}, "time_limit"),
    ({"problem": {}, "surprise": 1}, "surprise"),
])
def test_bad_requests_get_422_with_the_json_path(client: TestClient, body: dict[str, Any],
                                                 where: str) -> None:
    r = client.post("/v1/solve", json=body, headers=A)
    assert r.status_code == 422
    assert where in [d["path"] for d in r.json()["detail"]]


def test_malformed_bodies_are_client_errors(client: TestClient) -> None:
    r = client.post("/v1/solve", content=b'{"problem": ', headers={
        **A, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    r = client.post("/v1/solve", content=b"\xff\xfe", headers={
        **A, "content-type": "application/json"})
    assert r.status_code in (400, 422)
    r = client.post("/v1/solve", content=b"problem", headers={**A, "content-type": "text/plain"})
    assert r.status_code == 415  # issue 13: not JSON


# --- keys, tenants, limits -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/v1/solve"), ("POST", "/v1/jobs"), ("GET", "/v1/jobs/x"),
    ("GET", "/v1/jobs/x/plan"), ("GET", "/v1/jobs/x/events"), ("DELETE", "/v1/jobs/x"),
    ("POST", "/v1/jobs/x/replan"), ("POST", "/v1/validate"), ("POST", "/v1/recommend"),
])
def test_no_valid_key_gets_401(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, json={})
    assert r.status_code == 401 and "missing API key" in r.json()["detail"]
    r = client.request(method, path, json={}, headers={"X-API-Key": "wrong"})
    assert r.status_code == 401 and r.json()["detail"] == "invalid API key"


def test_an_organisation_never_sees_another_ones_jobs(client: TestClient,
                                                      small: dict[str, Any]) -> None:
    job = finished(client, small, A)
    for method, path in [("GET", ""), ("GET", "/plan"), ("GET", "/events"), ("DELETE", "")]:
        r = client.request(method, f"/v1/jobs/{job}{path}", headers=B)
        assert r.status_code == 404 and r.json()["detail"] == f"no job {job!r}"
    r = client.post(f"/v1/jobs/{job}/replan", headers=B, json={
        "changes": [{"op": "grow_fund", "fund": "f001", "amount": 1}]})
    assert r.status_code == 404
    r = client.post("/v1/recommend", headers=B, json={"job": job, "need": "n0001"})
    assert r.status_code == 404
    assert client.get(f"/v1/jobs/{job}", headers=A).json()["state"] == "done"
    assert client.get("/v1/jobs/no-such-job", headers=A).status_code == 404


def test_limits_get_413_or_422_naming_the_limit(tmp_path: Path, small: dict[str, Any]) -> None:
    settings = make_settings(tmp_path, max_body_bytes=30_000, max_entities=25,
                             max_changes=1)
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/solve", json={"problem": small, "time_limit": 6}, headers=A)
        assert r.status_code == 422
        assert "max_sync_time_limit=5" in r.json()["detail"][0]["msg"]
        assert r.json()["detail"][0]["path"] == "time_limit"
        r = c.post("/v1/jobs", json={"problem": small, "time_limit": 61}, headers=A)
        assert r.status_code == 422 and "max_job_time_limit=60" in r.json()["detail"][0]["msg"]

        big = copy.deepcopy(small)
        big["volunteers"] += [{**v, "id": f"x{i}"} for i, v in enumerate(small["volunteers"])]
        r = c.post("/v1/solve", json={"problem": big}, headers=A)
        assert r.status_code == 413 and "max_entities=25" in r.json()["detail"]

        padded = {"problem": {**small, "name": "x" * 40_000}}
        r = c.post("/v1/solve", json=padded, headers=A)
        assert r.status_code == 413 and "max_body_bytes=30000" in r.json()["detail"]
        # A chunked body has no Content-Length: the bytes are counted as they come.
        chunks = iter([json.dumps(padded).encode()[i:i + 8000] for i in range(0, 41_000, 8000)])
        r = c.post("/v1/solve", content=chunks, headers={
            **A, "content-type": "application/json"})
        assert r.status_code == 413 and "max_body_bytes=30000" in r.json()["detail"]

        job = finished(c, small)
        grow = {"op": "grow_fund", "fund": "f001", "amount": 1}
        r = c.post(f"/v1/jobs/{job}/replan", json={"changes": [grow, grow]}, headers=A)
        assert r.status_code == 413 and "max_changes=1" in r.json()["detail"]


# --- jobs ------------------------------------------------------------------------------------


def test_a_job_runs_reports_progress_and_serves_its_plan(
        client: TestClient, small: dict[str, Any], small_expected: dict[str, Any]) -> None:
    job = submit(client, small, time_limit=5, seed=1)
    stream = events(client, job, A)
    improvements = [d for name, d in stream if name == "improvement"]
    assert improvements and improvements[-1]["coverage"] == 76
    assert [d["seq"] for d in improvements] == list(range(1, len(improvements) + 1))
    assert stream[-1][0] == "end" and stream[-1][1]["state"] == "done"

    status = client.get(f"/v1/jobs/{job}", headers=A).json()
    assert status["state"] == "done" and status["has_plan"] and status["seed"] == 1
    prog = status["progress"]
    assert prog["coverage"] == 76 and prog["bound"] == 76 and prog["gap"] == 0
    assert prog["elapsed"] > 0

    r = client.get(f"/v1/jobs/{job}/plan", headers=A)
    assert r.status_code == 200 and r.headers["X-Job-State"] == "done"
    assert r.json()["objective"] == small_expected["objective"]

    # Resuming the stream from the last event sends only the end.
    last = str(len(improvements))
    with client.stream("GET", f"/v1/jobs/{job}/events",
                       headers={**A, "Last-Event-ID": last}) as s:
        text = "".join(s.iter_text())
    assert "event: improvement" not in text and "event: end" in text
    # DELETE of a finished job deletes it, plan and all.
    r = client.delete(f"/v1/jobs/{job}", headers=A)
    assert r.status_code == 204 and r.content == b""
    r = client.get(f"/v1/jobs/{job}/plan", headers=A)
    assert r.status_code == 404 and r.json()["detail"] == f"no job {job!r}"


def test_stopping_a_running_job_keeps_its_best_plan_and_recommend_uses_it(
        client: TestClient, zhecheng: dict[str, Any]) -> None:
    job = submit(client, zhecheng, time_limit=60)
    first = events(client, job, A, until="improvement")
    assert first[-1][0] == "improvement"
    running = client.get(f"/v1/jobs/{job}", headers=A).json()
    assert running["state"] == "running" and running["progress"]["coverage"] > 0
    plan_now = client.get(f"/v1/jobs/{job}/plan", headers=A)
    assert plan_now.status_code in (200, 409)  # 409 until the solver reports a plan

    r = client.delete(f"/v1/jobs/{job}", headers=A)
    assert r.status_code == 200
    final = r.json()
    assert final["state"] == "stopped" and final["has_plan"]
    assert final["progress"]["elapsed"] < 60
    plan = client.get(f"/v1/jobs/{job}/plan", headers=A)
    assert plan.headers["X-Job-State"] == "stopped"
    problem = parse_problem(zhecheng)
    assert validate(problem, parse_plan(plan.json(), problem)) == []

    # Recommendations on the stopped job's plan, by job id and inline, agree.
    unmet = plan.json()["unmet"][0]["need"]
    by_job = client.post("/v1/recommend", json={"job": job, "need": unmet, "k": 2}, headers=A)
    assert by_job.status_code == 200, by_job.text
    inline = client.post("/v1/recommend", headers=A, json={
        "problem": zhecheng, "plan": plan.json(), "need": unmet, "k": 2})
    assert inline.status_code == 200
    assert by_job.json()["options"] == inline.json()["options"]
    # The server keeps the job's problem and plan parsed: the next need is answered fast.
    other = plan.json()["unmet"][-1]["need"]
    again = client.post("/v1/recommend", json={"job": job, "need": other}, headers=A)
    assert again.status_code == 200 and again.json()["seconds"] < 0.5


def test_a_queued_job_stops_at_once(tmp_path: Path, small: dict[str, Any],
                                    zhecheng: dict[str, Any]) -> None:
    """With one worker busy, a second job waits in the queue; stopping it needs no solver."""
    with TestClient(create_app(make_settings(tmp_path, workers=1))) as c:
        busy = submit(c, zhecheng, time_limit=60)
        queued = submit(c, small)
        r = c.delete(f"/v1/jobs/{queued}", headers=A)
        assert r.status_code == 200
        assert r.json()["state"] == "stopped" and not r.json()["has_plan"]
        assert r.json()["error"] == "stopped before it started"
        assert c.get(f"/v1/jobs/{queued}/plan", headers=A).status_code == 409
        assert c.delete(f"/v1/jobs/{busy}", headers=A).json()["state"] in ("stopped", "done")


def test_jobs_refuse_bad_input(client: TestClient, small: dict[str, Any]) -> None:
    bad = _mutate(small, ["needs", 0, "roles", 0, "count"], 0)
    r = client.post("/v1/jobs", json={"problem": bad}, headers=A)
    assert r.status_code == 422
    assert r.json()["detail"][0]["path"] == "problem.needs[0].roles[0].count"


# --- validate --------------------------------------------------------------------------------


def test_validate_lists_violations_with_rule_numbers(
        client: TestClient, small: dict[str, Any], small_expected: dict[str, Any]) -> None:
    r = client.post("/v1/validate", json={"problem": small, "plan": small_expected}, headers=A)
    assert r.status_code == 200 and r.json() == {"valid": True, "violations": []}

    broken = copy.deepcopy(small_expected)
    broken["bookings"] = []
    r = client.post("/v1/validate", json={"problem": small, "plan": broken}, headers=A)
    body = r.json()
    assert r.status_code == 200 and not body["valid"]
    assert 12 in {v["rule"] for v in body["violations"]}
    assert any("n0006" in v["ids"] for v in body["violations"])

    dangling = copy.deepcopy(small_expected)
    dangling["assignments"][0]["volunteer"] = "v9999"
    r = client.post("/v1/validate", json={"problem": small, "plan": dangling}, headers=A)
    assert r.status_code == 422
    assert r.json()["detail"][0]["path"] == "plan.assignments[0].volunteer"

    r = client.post("/v1/validate", json={"problem": small, "plan": {"status": "great"}},
                    headers=A)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "plan.status"


# --- recommend -------------------------------------------------------------------------------


def test_recommend_answers_and_refuses(client: TestClient, small: dict[str, Any],
                                       small_expected: dict[str, Any]) -> None:
    body = {"problem": small, "plan": small_expected, "need": "n0001"}
    r = client.post("/v1/recommend", json=body, headers=A)
    assert r.status_code == 200 and r.json()["options"] == []  # no counsellor can reach it
    r = client.post("/v1/recommend", json={**body, "need": "n0004"}, headers=A)
    assert r.status_code == 200 and r.json()["already_met"] is True

    cases: list[tuple[dict[str, Any], str]] = [
        ({**body, "need": "n9"}, "need"),
        ({**body, "job": "j"}, "job"),
        ({"need": "n0001", "problem": small}, "plan"),
        ({**body, "k": 0}, "k"),
        ({**body, "plan": {**small_expected, "bookings": []}}, "plan"),
    ]
    for bad, where in cases:
        r = client.post("/v1/recommend", json=bad, headers=A)
        assert r.status_code == 422, (where, r.text)
        assert r.json()["detail"][0]["path"] == where
    assert "rule 12" in r.json()["detail"][0]["msg"]
    r = client.post("/v1/recommend", json={"job": "nope", "need": "n1"}, headers=A)
    assert r.status_code == 404


# --- replan ----------------------------------------------------------------------------------


def test_replan_keeps_the_plan_and_lists_what_changed(
        client: TestClient, small: dict[str, Any]) -> None:
    job = finished(client, small)
    before = client.get(f"/v1/jobs/{job}/plan", headers=A).json()

    # A change that touches nothing in the plan leaves it as it was.
    r = client.post(f"/v1/jobs/{job}/replan", headers=A, json={
        "changes": [{"op": "grow_fund", "fund": "f001", "amount": 100}]})
    assert r.status_code == 201, r.text
    assert r.json()["changes"]["total"] == 0
    assert r.json()["plan"]["objective"] == {**before["objective"], "changes": 0}

    # A volunteer of the plan withdraws: coverage holds, and only their places change.
    gone = before["assignments"][0]["volunteer"]
    r = client.post(f"/v1/jobs/{job}/replan", headers=A, json={
        "changes": [{"op": "withdraw_volunteer", "volunteer": gone}], "time_limit": 5})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["job"]["parent"] == job and out["job"]["state"] == "done"
    assert r.headers["Location"] == f"/v1/jobs/{out['job']['id']}"
    removed = {a["volunteer"] for a in out["changes"]["assignments_removed"]}
    assert gone in removed
    assert all(a["volunteer"] != gone for a in out["plan"]["assignments"])
    assert out["plan"]["objective"]["coverage"] == before["objective"]["coverage"]
    assert client.get(f"/v1/jobs/{out['job']['id']}/plan", headers=A).json() == out["plan"]

    # Every kind of change at once; the new plan is valid for the changed problem.
    changed = copy.deepcopy(small)
    new_need = {**small["needs"][3], "id": "n-new", "title": "added"}
    r = client.post(f"/v1/jobs/{job}/replan", headers=A, json={"changes": [
        {"op": "cancel_need", "need": "n0002"},
        {"op": "add_need", "need": new_need},
        {"op": "close_venue", "venue": small["venues"][1]["id"]},
        {"op": "add_volunteer", "volunteer": {**small["volunteers"][0], "id": "v-new"}},
        {"op": "add_venue", "venue": {**small["venues"][0], "id": "u-new"}},
        {"op": "add_fund", "fund": {"id": "f-new", "amount": 500}},
    ]})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["changes"]["removed_needs"] == ["n0002"]
    assert out["changes"]["added_needs"] == ["n-new"]
    changed["needs"] = [n for n in small["needs"] if n["id"] != "n0002"] + [new_need]
    changed["venues"] = [small["venues"][0], {**small["venues"][0], "id": "u-new"}]
    changed["volunteers"] = small["volunteers"] + [{**small["volunteers"][0], "id": "v-new"}]
    changed["funds"] = small["funds"] + [{"id": "f-new", "amount": 500}]
    changed["pins"] = [p for p in small["pins"] if p.get("need") != "n0002"]
    changed["forbid"] = [f for f in small["forbid"] if f.get("need") != "n0002"]
    problem = parse_problem(changed)
    assert validate(problem, parse_plan(out["plan"], problem)) == []


def test_replan_refuses_bad_changes(client: TestClient, small: dict[str, Any]) -> None:
    job = finished(client, small)
    need = {**small["needs"][0], "id": "n-new", "priority": 9}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"op": "withdraw_volunteer", "volunteer": "v-none"}, "changes[0].volunteer"),
        ({"op": "close_venue", "venue": "u-none"}, "changes[0].venue"),
        ({"op": "cancel_need", "need": "n-none"}, "changes[0].need"),
        ({"op": "grow_fund", "fund": "f-none", "amount": 5}, "changes[0].fund"),
        ({"op": "grow_fund", "fund": "f001", "amount": 0}, "changes[0].amount"),
        ({"op": "add_need", "need": need}, "changes[0].need.priority"),
        ({"op": "add_need", "need": small["needs"][0]}, "changes[0].need.id"),
        ({"op": "explode"}, "changes[0]"),
    ]
    for change, where in cases:
        r = client.post(f"/v1/jobs/{job}/replan", json={"changes": [change]}, headers=A)
        assert r.status_code == 422, (where, r.text)
        assert r.json()["detail"][0]["path"] == where, r.json()
    r = client.post(f"/v1/jobs/{job}/replan", json={"changes": []}, headers=A)
    assert r.status_code == 422


# --- restart ---------------------------------------------------------------------------------


def test_a_restart_loses_nothing(tmp_path: Path, small: dict[str, Any]) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as c:
        done = finished(c, small)
        plan = c.get(f"/v1/jobs/{done}/plan", headers=A).json()
    # A job the previous process was running when it died (no graceful shutdown): its lease
    # ran out long ago.
    store = Store(settings.database_url, owner="old-host:1234:abcd")
    cut = store.create_job("org-a", small, time_limit=5.0).id
    assert store.mark_running(cut)
    store.record_progress(cut, elapsed=1.0, stage="coverage", coverage=38, bound=76.0,
                          gap=0.5, plan=plan)
    with store.session() as s:
        s.execute(update(JobRow).where(JobRow.id == cut).values(
            lease_until=utcnow() - timedelta(minutes=1)))
    store.close()

    with TestClient(create_app(settings)) as c:
        r = c.get(f"/v1/jobs/{done}/plan", headers=A)
        assert r.status_code == 200 and r.json() == plan
        assert c.get(f"/v1/jobs/{done}", headers=A).json()["state"] == "done"
        status = c.get(f"/v1/jobs/{cut}", headers=A).json()
        assert status["state"] == "interrupted"
        assert status["error"].startswith("the server process that was running it "
                                          "(old-host:1234:abcd) stopped: its last heartbeat "
                                          "was at ")
        assert status["error"].endswith("lease expired; the job was running, its best plan "
                                        "so far is kept")
        assert status["progress"]["coverage"] == 38 and status["has_plan"]
        stream = events(c, cut, A)
        assert stream[0][0] == "improvement" and stream[-1][1]["state"] == "interrupted"
        assert c.get(f"/v1/jobs/{cut}/plan", headers=A).headers["X-Job-State"] == "interrupted"
