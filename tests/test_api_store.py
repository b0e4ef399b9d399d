"""The job store on a real database (SQLite, or PostgreSQL with MATCHER_TEST_DATABASE_URL):
Alembic migrations from empty and from the previous schema, 64-bit sums, ids that cannot be
jobs, database errors kept from clients, leases shared by several processes, stop requests
across processes, deletion and retention.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import database_url_for
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text, update
from test_api import A, B, events, finished, make_settings, submit

from matcher.api import migrate
from matcher.api.app import create_app
from matcher.api.lease import Housekeeper
from matcher.api.store import STORE_ERROR, JobRow, Store, utcnow
from matcher.api.tables import Base

CONFORMANCE = Path(__file__).parent / "data" / "conformance"


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    return doc


def _engine(tmp_path: Path) -> Any:
    from sqlalchemy import create_engine

    return create_engine(database_url_for(tmp_path))


# --- migrations ------------------------------------------------------------------------------


def _schema_diff(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def test_an_empty_database_is_migrated_to_the_models(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert migrate.current(conn) == migrate.head() == "0002"
    # The newest migration makes exactly the tables the code uses.
    assert _schema_diff(engine) == []
    migrate.upgrade(engine)  # a second start changes nothing
    assert _schema_diff(engine) == []
    engine.dispose()


@pytest.mark.parametrize("stamped", [True, False], ids=["at-0001", "before-migrations"])
def test_a_database_at_the_previous_schema_keeps_its_jobs(tmp_path: Path, stamped: bool,
                                                          small: dict[str, Any]) -> None:
    engine = _engine(tmp_path)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        if not stamped:  # made by the store's create_all, before there were migrations
            conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text(
            "INSERT INTO jobs (id, org, state, problem_json, time_limit, seed, coverage, "
            "created_at, finished_at) VALUES (:id, 'org-a', 'done', :p, 5.0, 7, 76, "
            ":t, :t)"), {"id": "a" * 32, "p": json.dumps(small), "t": utcnow()})
        conn.execute(text("INSERT INTO job_events (job_id, seq, data_json) VALUES "
                          "(:id, 1, '{\"seq\": 1}')"), {"id": "a" * 32})
    engine.dispose()

    store = Store(database_url_for(tmp_path))
    with store.engine.connect() as conn:
        assert migrate.current(conn) == "0002"
    assert _schema_diff(store.engine) == []
    row = store.get("a" * 32, "org-a")
    assert row is not None and row.coverage == 76 and row.seed == 7 and row.state == "done"
    assert row.problem == small and not row.stop_requested
    assert store.events_after("a" * 32, 0) == [{"seq": 1}]
    store.close()


def test_sums_above_2_to_the_31_are_stored(tmp_path: Path, small: dict[str, Any]) -> None:
    store = Store(database_url_for(tmp_path))
    job = store.create_job("org-a", small, 5.0, seed=2**31 - 1).id
    assert store.mark_running(job)
    big = 2**31
    store.record_progress(job, elapsed=1.0, stage="coverage", coverage=big, bound=2.0**40,
                          gap=0.1, plan=None)
    assert store.finish(job, "done", plan={"objective": {"coverage": 2**40},
                                           "bound": {"coverage": 2**40}})
    row = store.get(job)
    assert row is not None and row.coverage == 2**40 and row.gap == 0.0
    store.add_usage("org-a", jobs=2**40)
    assert store.usage("org-a").jobs == 2**40
    store.close()


def test_a_total_weight_of_2_to_the_31_works_through_the_api(tmp_path: Path) -> None:
    """README allows the needs' total weight up to 2^31: 2,148 needs of 1 yuan each, one
    fund for all of them, weights 10^6 each but the last: all met."""
    n, last = divmod(2**31, 10**6)
    needs = [{"id": f"n{i}", "location": {"lat": 30.0, "lon": 120.0},
              "start": "2026-12-05T09:00:00+08:00", "end": "2026-12-05T10:00:00+08:00",
              "priority": 1, "weight": 10**6 if i < n else last, "funding": 1}
             for i in range(n + 1)]
    problem = {"version": 1, "name": "heavy", "volunteers": [], "venues": [],
               "funds": [{"id": "f1", "amount": 10**4}], "needs": needs}
    with TestClient(create_app(make_settings(tmp_path))) as c:
        job = submit(c, problem, time_limit=5)
        assert events(c, job, A)[-1][1]["state"] == "done"
        status = c.get(f"/v1/jobs/{job}", headers=A).json()
        assert status["error"] is None and status["progress"]["coverage"] == 2**31
        assert c.get(f"/v1/jobs/{job}/plan", headers=A).json()["objective"]["coverage"] == 2**31


# --- ids and errors --------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", ["a\x00b", "%00", "x" * 5000, "A" * 32, "é"],
                         ids=["nul", "percent-nul", "long", "upper", "non-ascii"])
def test_ids_that_cannot_be_jobs_are_404(tmp_path: Path, job_id: str) -> None:
    from urllib.parse import quote

    with TestClient(create_app(make_settings(tmp_path))) as c:
        for method, path in (("GET", ""), ("GET", "/plan"), ("DELETE", ""),
                             ("GET", "/events")):
            r = c.request(method, f"/v1/jobs/{quote(job_id, safe='')}{path}", headers=A)
            assert r.status_code == 404, (method, path, r.text)
            assert r.json()["detail"].startswith("no job ")
        r = c.post("/v1/recommend", json={"job": job_id, "need": "n1"}, headers=A)
        assert r.status_code in (404, 422) and "SELECT" not in r.text


def test_database_errors_reach_clients_without_sql(tmp_path: Path,
                                                   small: dict[str, Any]) -> None:
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as c:
        job = finished(c, small)
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE job_events"))
            conn.execute(text("DROP TABLE jobs"))
        r = c.get(f"/v1/jobs/{job}", headers=A)
        assert r.status_code == 503
        assert r.json() == {"detail": STORE_ERROR}
        r = c.post("/v1/jobs", json={"problem": small}, headers=A)
        assert r.status_code == 503 and r.json() == {"detail": STORE_ERROR}


# --- several processes on one database -------------------------------------------------------


def _expire(store: Store, job_id: str) -> None:
    with store.session() as s:
        s.execute(update(JobRow).where(JobRow.id == job_id).values(
            lease_until=utcnow() - timedelta(seconds=1)))


def test_a_live_lease_is_left_alone_and_an_expired_one_is_taken_over(
        tmp_path: Path, small: dict[str, Any]) -> None:
    url = database_url_for(tmp_path)
    one = Store(url, owner="host-1:11:aaaa", lease_seconds=60.0)
    two = Store(url, owner="host-2:22:bbbb", lease_seconds=60.0)
    running = one.create_job("org-a", small, 5.0).id
    assert one.mark_running(running)
    queued = one.create_job("org-a", small, 5.0).id

    # The process that started last does not take over a live process's jobs.
    assert two.expire_leases() == []
    assert one.get(running).state == "running"  # type: ignore[union-attr]
    assert one.renew_leases() == 2

    _expire(one, running)
    _expire(one, queued)
    assert one.expire_leases() == []  # its own jobs: it is alive, it renews them
    assert sorted(two.expire_leases()) == sorted([running, queued])
    for job_id, was in ((running, "running"), (queued, "queued")):
        row = two.get(job_id)
        assert row is not None and row.state == "interrupted"
        assert row.error is not None and row.error.startswith(
            "the server process that was running it (host-1:11:aaaa) stopped: its last "
            "heartbeat was at 20")
        assert row.error.endswith(f"lease expired; the job was {was}, it had no plan yet")
    # The old owner, come back to life, can no longer overwrite what was decided.
    assert one.record_progress(running, elapsed=2.0, stage="coverage", coverage=1, bound=None,
                               gap=None, plan=None) == 0
    assert not one.finish(running, "done", plan={"objective": {"coverage": 1}})
    assert one.get(running).state == "interrupted"  # type: ignore[union-attr]
    one.close()
    two.close()


def test_a_stop_asked_through_another_process_reaches_the_owner(
        tmp_path: Path, small: dict[str, Any]) -> None:
    url = database_url_for(tmp_path)
    owner = Store(url, owner="host-1:11:aaaa")
    other = Store(url, owner="host-2:22:bbbb")
    job = owner.create_job("org-a", small, 5.0).id
    other.request_stop(job)
    stopped: list[str] = []
    Housekeeper(owner, stop_job=stopped.append, retention_days=None).tick()
    assert stopped == [job]
    stopped.clear()
    Housekeeper(other, stop_job=stopped.append, retention_days=None).tick()
    assert stopped == []  # not its job
    owner.close()
    other.close()


def test_retention_purges_old_finished_jobs_only(tmp_path: Path,
                                                 small: dict[str, Any]) -> None:
    store = Store(database_url_for(tmp_path))
    old, recent, active = (store.create_job("org-a", small, 5.0).id for _ in range(3))
    for job in (old, recent):
        assert store.mark_running(job)
        store.record_progress(job, elapsed=1.0, stage="coverage", coverage=3, bound=None,
                              gap=None, plan=None)
        assert store.finish(job, "done")
    with store.session() as s:
        s.execute(update(JobRow).where(JobRow.id == old).values(
            finished_at=utcnow() - timedelta(days=31)))
    Housekeeper(store, stop_job=lambda _j: None, retention_days=30).tick()
    assert store.get(old) is None and store.events_after(old, 0) == []
    assert store.get(recent) is not None and len(store.events_after(recent, 0)) == 1
    assert store.get(active) is not None
    with store.engine.connect() as conn:
        assert inspect(conn).has_table("jobs")
    store.close()


def test_b_never_deletes_a_jobs(tmp_path: Path, small: dict[str, Any]) -> None:
    store = Store(database_url_for(tmp_path))
    job = store.create_job("org-a", small, 5.0).id
    assert store.mark_running(job) and store.finish(job, "done")
    assert not store.delete_job(job, "org-b")
    assert store.delete_job(job, "org-a")
    assert store.get(job) is None
    store.close()
    assert B != A


# --- listing, deleting, stopping through another process -------------------------------------


def test_jobs_are_listed_newest_first_by_page_and_state(tmp_path: Path,
                                                        small: dict[str, Any]) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        ids = []
        for i in range(5):
            row = store.create_job("org-a", small, 5.0, seed=i)
            ids.append(row.id)
            if i % 2 == 0:
                assert store.mark_running(row.id) and store.finish(row.id, "done")
        with store.session() as s:  # created a minute apart, oldest first
            for i, job in enumerate(ids):
                s.execute(update(JobRow).where(JobRow.id == job).values(
                    created_at=utcnow() - timedelta(minutes=10 - i)))
        other = finished(c, small, B)

        r = c.get("/v1/jobs", headers=A, params={"limit": 2})
        assert r.status_code == 200
        page = r.json()
        assert [j["id"] for j in page["jobs"]] == ids[::-1][:2] and page["next"] == ids[3]
        r = c.get("/v1/jobs", headers=A, params={"limit": 2, "cursor": page["next"]})
        assert [j["id"] for j in r.json()["jobs"]] == ids[::-1][2:4]
        r = c.get("/v1/jobs", headers=A, params={"limit": 2, "cursor": r.json()["next"]})
        assert [j["id"] for j in r.json()["jobs"]] == [ids[0]] and r.json()["next"] is None

        r = c.get("/v1/jobs", headers=A, params={"state": "done"})
        assert [j["id"] for j in r.json()["jobs"]] == [ids[4], ids[2], ids[0]]
        assert all(j["state"] == "done" and not j["has_plan"] for j in r.json()["jobs"])
        r = c.get("/v1/jobs", headers=A, params=[("state", "queued"), ("state", "running")])
        assert {j["id"] for j in r.json()["jobs"]} <= {ids[1], ids[3]}
        assert [j["id"] for j in c.get("/v1/jobs", headers=B).json()["jobs"]] == [other]
        assert c.get("/v1/jobs", headers=B).json()["jobs"][0]["has_plan"]

        r = c.get("/v1/jobs", headers=A, params={"cursor": other})
        assert r.status_code == 422
        assert r.json()["detail"][0]["path"] == "cursor"
        assert r.json()["detail"][0]["msg"] == (
            f"cursor {other!r} is not one of your jobs (it must be the `next` of a previous "
            "page)")
        r = c.get("/v1/jobs", headers=A, params={"state": "sleeping"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["query", "state"]
        r = c.get("/v1/jobs", headers=A, params={"limit": 0})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]
        # A misspelt parameter is refused, not ignored (the answer would be to another question).
        r = c.get("/v1/jobs", headers=A, params={"limt": 2})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limt"]
        assert "cursor, limit, state" in r.json()["detail"][0]["msg"]
        r = c.get(f"/v1/jobs/{ids[0]}", headers=A, params={"": "0"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", ""]
        assert c.get("/v1/jobs").status_code == 401


def test_delete_stops_a_running_job_and_deletes_a_finished_one(
        tmp_path: Path, small: dict[str, Any]) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        job = finished(c, small)
        assert c.delete(f"/v1/jobs/{job}", headers=B).status_code == 404
        r = c.delete(f"/v1/jobs/{job}", headers=A)
        assert r.status_code == 204
        for path in ("", "/plan", "/events"):
            r = c.get(f"/v1/jobs/{job}{path}", headers=A)
            assert r.status_code == 404 and r.json()["detail"] == f"no job {job!r}"
        assert c.delete(f"/v1/jobs/{job}", headers=A).status_code == 404
        assert job not in [j["id"] for j in c.get("/v1/jobs", headers=A).json()["jobs"]]


def test_delete_through_another_process_stops_the_job_where_it_runs(
        tmp_path: Path) -> None:
    zhecheng = json.loads((Path(__file__).parents[1] / "scenarios" / "zhecheng.json")
                          .read_text())
    settings = make_settings(tmp_path, lease_seconds=3.0)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        job = submit(one, zhecheng, time_limit=60)
        assert events(one, job, A, until="improvement")[-1][0] == "improvement"
        r = two.delete(f"/v1/jobs/{job}", headers=A)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "stopped" and r.json()["has_plan"]
        assert r.json()["error"] is None
        assert one.get(f"/v1/jobs/{job}", headers=A).json()["state"] == "stopped"
