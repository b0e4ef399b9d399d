"""Keys, rate limits and quotas, through the real app and database.

Keys made by `matcher keys add` (the command line, on the test's database) are stored hashed
and work at once; revoked ones stop working. Failed and total requests are limited per key
and per client address (429 with Retry-After); organisations have daily quotas of jobs and
solver seconds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text
from test_api import A, B, events, make_settings, submit

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.cli import main

CONFORMANCE = Path(__file__).parent / "data" / "conformance"


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    return doc


def keys_cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = main(["keys", "--database-url", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_stored_keys_are_hashed_shown_once_and_revocable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, api_keys={})
    url = settings.database_url
    code, out, err = keys_cli(capsys, url, "add", "Tianchang Youth League", "--label", "ops")
    assert code == 0
    key = out.strip()
    m = re.fullmatch(r"mk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}", key)
    assert m is not None, key
    kid = m.group(1)
    assert err == (f"key {kid} for organisation 'Tianchang Youth League': store it now, it is "
                   "not shown again (only its hash is kept)\n")

    code, out, _ = keys_cli(capsys, url, "list")
    assert code == 0 and out.startswith(f"{kid}\tTianchang Youth League\t")
    assert out.rstrip().endswith("\tlive\tops") and key not in out and key[16:] not in out

    with TestClient(create_app(settings)) as c:
        store = c.app.state.store  # type: ignore[attr-defined]
        with store.engine.connect() as conn:
            stored = conn.execute(text("SELECT id, org, key_hash FROM api_keys")).all()
        assert [tuple(r) for r in stored] == [
            (kid, "Tianchang Youth League", stored[0][2])]
        assert key not in stored[0][2] and len(stored[0][2]) == 64

        r = c.get("/v1/jobs", headers={"X-API-Key": key})
        assert r.status_code == 200 and r.json() == {"jobs": [], "next": None}
        # Same id, another secret of the same shape: refused.
        forged = key[:-1] + ("A" if key[-1] != "A" else "B")
        r = c.get("/v1/jobs", headers={"X-API-Key": forged})
        assert r.status_code == 401 and r.json()["detail"] == "invalid API key"

        code, _, err = keys_cli(capsys, url, "revoke", kid)
        assert code == 0 and err == f"key {kid} revoked\n"
        r = c.get("/v1/jobs", headers={"X-API-Key": key})
        assert r.status_code == 401 and r.json()["detail"] == "invalid API key"
        assert r.headers["WWW-Authenticate"] == "APIKey"

    code, out, _ = keys_cli(capsys, url, "list", "--org", "Tianchang Youth League")
    assert "\trevoked 20" in out
    code, _, err = keys_cli(capsys, url, "revoke", kid)
    assert code == 2 and err == f"matcher: error: no live key {kid!r}\n"
    code, out, err = keys_cli(capsys, url, "add", "bad\x00org")
    assert code == 2 and out == ""
    assert err == ("matcher: error: organisation 'bad\\x00org': 1-200 characters, no control "
                   "characters and no leading or trailing spaces\n")


def test_short_keys_from_the_environment_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(api_keys={"k" * 31: "org-a"})
    assert ("api_keys: a key of organisation 'org-a' has 31 characters, fewer than "
            "min_key_length=32") in str(info.value)
    assert "k" * 31 not in str(info.value)  # the key itself is never echoed
    assert Settings(api_keys={"k" * 32: "org-a"}).api_keys == {"k" * 32: "org-a"}
    with pytest.raises(ValidationError) as info:
        Settings(rate_limit_requests="fast")
    assert "rate_limit_requests" in str(info.value)


def test_failed_keys_are_limited_per_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_failures="3/minute")
    with TestClient(create_app(settings)) as c:
        for _ in range(3):
            r = c.get("/v1/jobs", headers={"X-API-Key": "wrong"})
            assert r.status_code == 401 and r.json()["detail"] == "invalid API key"
        r = c.get("/v1/jobs", headers={"X-API-Key": "wrong"})
        assert r.status_code == 429
        wait = int(r.headers["Retry-After"])
        assert 1 <= wait <= 60
        assert r.json()["detail"] == (
            f"too many failed API key attempts from testclient; retry after {wait} s")
        # The address is blocked, even with a good key; another address is not.
        assert c.get("/v1/jobs", headers=A).status_code == 429
        with TestClient(c.app, client=("10.0.0.2", 4000)) as other:
            assert other.get("/v1/jobs", headers=A).status_code == 200
        assert c.get("/health").status_code == 200  # no key, no limit


def test_guesses_at_one_key_id_are_limited_across_addresses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, rate_limit_failures="3/minute")
    _, out, _ = keys_cli(capsys, settings.database_url, "add", "org-a")
    key = out.strip()
    kid = key.split("_")[1]
    app = create_app(settings)
    with TestClient(app) as c:
        for i in range(3):
            with TestClient(app, client=(f"10.0.1.{i}", 4000)) as guesser:
                r = guesser.get("/v1/jobs", headers={"X-API-Key": key[:-2] + "zz"})
                assert r.status_code == 401
        r = c.get("/v1/jobs", headers={"X-API-Key": key})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["detail"].startswith(f"too many failed attempts with API key {kid}; "
                                             "retry after ")


def test_all_requests_are_limited_per_address_and_per_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_requests="5/minute")
    app = create_app(settings)
    with TestClient(app) as c, TestClient(app, client=("10.0.0.3", 4000)) as d:
        for _ in range(3):
            assert c.get("/v1/jobs", headers=A).status_code == 200
        for _ in range(2):
            assert d.get("/v1/jobs", headers=A).status_code == 200
        # Key A has spent its 5 (3 + 2); address 10.0.0.3 has 3 left.
        r = d.get("/v1/jobs", headers=A)
        assert r.status_code == 429
        assert r.json()["detail"] == ("too many requests with this API key; retry after "
                                      f"{r.headers['Retry-After']} s")
        assert d.get("/v1/jobs", headers=B).status_code == 200
        # Address testclient: 3 used, +1 refused above counted nowhere; 2 more then none.
        assert c.get("/v1/jobs", headers=B).status_code == 200
        assert c.get("/v1/jobs", headers=B).status_code == 200
        r = c.get("/v1/jobs", headers=B)
        assert r.status_code == 429
        assert r.json()["detail"].startswith("too many requests from testclient; retry after ")


def test_daily_job_quota(tmp_path: Path, small: dict[str, Any]) -> None:
    settings = make_settings(tmp_path, quota_jobs_per_day=2)
    with TestClient(create_app(settings)) as c:
        first = submit(c, small)
        submit(c, small)
        r = c.post("/v1/jobs", json={"problem": small}, headers=A)
        assert r.status_code == 429
        assert r.json()["detail"] == ("organisation 'org-a' has used its quota of 2 jobs for "
                                      "today (UTC)")
        assert 1 <= int(r.headers["Retry-After"]) <= 86401
        submit(c, small, B)  # another organisation's quota is its own
        events(c, first, A)
        r = c.post(f"/v1/jobs/{first}/replan", json={"changes": [
            {"op": "grow_fund", "fund": "f001", "amount": 1}]}, headers=A)
        assert r.status_code == 429 and "quota of 2 jobs" in r.json()["detail"]


def test_daily_solver_seconds_quota(tmp_path: Path, small: dict[str, Any]) -> None:
    settings = make_settings(tmp_path, quota_solver_seconds_per_day=4.0)
    with TestClient(create_app(settings)) as c:
        store = c.app.state.store  # type: ignore[attr-defined]
        r = c.post("/v1/solve", json={"problem": small, "time_limit": 5}, headers=A)
        assert r.status_code == 429
        assert r.json()["detail"] == (
            "time_limit 5 s is more than the 4.0 solver seconds left today (UTC) of "
            "organisation 'org-a''s quota of 4; ask for less")
        r = c.post("/v1/solve", json={"problem": small, "time_limit": 3}, headers=A)
        assert r.status_code == 200
        used = store.usage("org-a").solver_seconds
        assert used > 0
        job = submit(c, small, time_limit=0.5)
        events(c, job, A)
        # A job is charged its solver seconds when it ends.
        elapsed = store.get(job).elapsed
        assert elapsed is not None and elapsed > 0
        assert store.usage("org-a").solver_seconds == pytest.approx(used + elapsed)
        store.add_usage("org-a", solver_seconds=10.0)
        r = c.post("/v1/jobs", json={"problem": small, "time_limit": 1}, headers=A)
        assert r.status_code == 429
        assert r.json()["detail"].startswith("organisation 'org-a' has used its quota of 4 "
                                             "solver seconds for today (UTC): ")
        assert c.post("/v1/solve", json={"problem": small, "time_limit": 1},
                      headers=B).status_code == 200
