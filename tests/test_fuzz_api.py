"""Bad input to the HTTP API (issue 13): every class gets a 4xx naming what to fix, never a
500 or a dead stream.

The first half pins each case the adversarial run found; the second half fuzzes every POST
endpoint in-process (FastAPI's TestClient) with documents mutated by `fuzz_docs` and with
broken JSON text, and asserts no 5xx and a JSON error body on every 4xx.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fuzz_docs import BASES, api_request, check_api_response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.model import MAX_DEPTH, MAX_MONEY

KEY = {"X-API-Key": "key-fuzz-0123456789abcdef0123456789abcdef"}
JSON = {**KEY, "content-type": "application/json"}


def _settings(directory: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{directory / 'api.db'}",
                    api_keys={KEY["X-API-Key"]: "org-fuzz"}, max_sync_time_limit=2.0,
                    max_job_time_limit=2.0, default_job_time_limit=1.0, stop_wait_seconds=30.0,
                    event_poll_seconds=0.05,
                    # Thousands of requests, some keyless on purpose: no rate limits here
                    # (tested in test_api_auth.py).
                    min_key_length=5, rate_limit_requests="", rate_limit_failures="",
                    # Request handling is under test, not the engine (tests/test_engine*.py):
                    # jobs run in-process, and no local cluster is started and torn down.
                    engine="inprocess")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(tmp_path_factory.mktemp("fuzz-api")))) as c:
        yield c


def _events(client: TestClient, job: str, headers: dict[str, Any]) -> list[str]:
    names = []
    with client.stream("GET", f"/v1/jobs/{job}/events", headers=headers) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("event: "):
                names.append(line[len("event: "):])
                if names[-1] in ("end", "timeout"):
                    break
    return names


@pytest.fixture(scope="module")
def finished_job(client: TestClient) -> str:
    r = client.post("/v1/jobs", json={"problem": BASES["c01"][0], "time_limit": 2}, headers=KEY)
    assert r.status_code == 202, r.text
    job: str = r.json()["id"]
    assert _events(client, job, KEY)[-1] == "end"
    return job


def _post(client: TestClient, path: str, body: Any) -> Any:
    """POST a body as JSON text (NaN, Infinity and lone surrogates written as Python does)."""
    return client.post(path, content=json.dumps(body).encode(), headers=JSON)


def _problem() -> dict[str, Any]:
    return copy.deepcopy(BASES["c01"][0])


# --- the cases the adversarial run found ---------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/v1/solve", "/v1/jobs", "/v1/validate"])
def test_lone_surrogate_is_422_with_its_path(client: TestClient, endpoint: str) -> None:
    problem = _problem()
    problem["needs"][1]["title"] = "\ud800"
    body: dict[str, Any] = {"problem": problem}
    if endpoint == "/v1/validate":
        body["plan"] = BASES["c01"][1]
    r = _post(client, endpoint, body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["path"] == "problem.needs[1].title"
    assert "surrogate" in r.json()["detail"][0]["msg"]


def test_replan_refuses_a_lone_surrogate(client: TestClient, finished_job: str) -> None:
    need = {**_problem()["needs"][0], "id": "n-\udfff"}
    r = _post(client, f"/v1/jobs/{finished_job}/replan",
              {"changes": [{"op": "add_need", "need": need}]})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["path"] == "changes[0].need.id"
    r = _post(client, f"/v1/jobs/{finished_job}/replan",
              {"changes": [{"op": "withdraw_volunteer", "volunteer": "\ud800"}]})
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "changes[0].volunteer"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5_000])
@pytest.mark.parametrize("endpoint", ["/v1/solve", "/v1/jobs"])
def test_deep_nesting_is_a_client_error(client: TestClient, endpoint: str, depth: int) -> None:
    text = json.dumps({"problem": _problem()})[:-2] + ', "notes": ' + "[" * depth + "]" * depth
    r = client.post(endpoint, content=(text + "}}").encode(), headers=JSON)
    assert 400 <= r.status_code < 500, r.text
    if depth < 1000:  # parsed by the server, then refused with the path
        assert r.status_code == 422 and r.json()["detail"][0]["path"].startswith(
            "problem.notes[0]")
        assert f"{MAX_DEPTH} levels" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_422_with_their_path(client: TestClient, literal: str) -> None:
    text = json.dumps({"problem": _problem()})
    text = text.replace('"amount": ', f'"amount": {literal}, "was": ', 1)
    r = client.post("/v1/solve", content=text.encode(), headers=JSON)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["path"] == "problem.funds[0].amount"
    r = client.post("/v1/solve", content=json.dumps({"problem": _problem()}).replace(
        '"problem"', f'"time_limit": {literal}, "problem"').encode(), headers=JSON)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "time_limit"


def test_one_money_limit_everywhere(client: TestClient, finished_job: str) -> None:
    """10^13 minor units is allowed in a problem, in add_fund and in grow_fund; one more
    is refused in all three (the API once refused anything above 10^12 in a problem)."""
    problem = _problem()
    problem["funds"][0]["amount"] = MAX_MONEY
    r = _post(client, "/v1/validate", {"problem": problem, "plan": BASES["c01"][1]})
    assert r.status_code == 200, r.text
    problem["funds"][0]["amount"] = MAX_MONEY + 1
    r = _post(client, "/v1/validate", {"problem": problem, "plan": BASES["c01"][1]})
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "problem.funds[0].amount"
    fund = {"id": "f-big", "amount": MAX_MONEY + 1}
    for change, path in [({"op": "add_fund", "fund": fund}, "changes[0].fund.amount"),
                         ({"op": "grow_fund", "fund": "f001", "amount": MAX_MONEY + 1},
                          "changes[0].amount")]:
        r = _post(client, f"/v1/jobs/{finished_job}/replan", {"changes": [change]})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["path"] == path
    # Growing a fund past the limit is refused too, naming the change.
    r = _post(client, f"/v1/jobs/{finished_job}/replan", {"changes": [
        {"op": "grow_fund", "fund": BASES["c01"][0]["funds"][0]["id"], "amount": MAX_MONEY}]})
    assert r.status_code == 422 and r.json()["detail"][0]["path"].startswith("changes")


@pytest.mark.parametrize("value", ["1", True, "1.5", [1], {"s": 1}, None, -1, 0])
def test_time_limit_is_strict(client: TestClient, value: Any) -> None:
    r = _post(client, "/v1/solve", {"problem": _problem(), "time_limit": value})
    if value is None:
        assert r.status_code == 200
        return
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["path"] == "time_limit"


def test_seed_and_k_are_strict(client: TestClient) -> None:
    for body in ({"problem": _problem(), "seed": "1"}, {"problem": _problem(), "seed": 1.0},
                 {"problem": _problem(), "seed": True}):
        r = _post(client, "/v1/solve", body)
        assert r.status_code == 422 and r.json()["detail"][0]["path"] == "seed"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml",
                                          "", "application/jsonx"])
def test_bodies_that_are_not_json_get_415(client: TestClient, content_type: str) -> None:
    body = json.dumps({"problem": _problem()}).encode()
    headers = {**KEY, "content-type": content_type} if content_type else KEY
    for path in ("/v1/solve", "/v1/jobs", "/v1/validate", "/v1/recommend"):
        r = client.post(path, content=body, headers=headers)
        assert r.status_code == 415, (path, r.text)
        assert "JSON" in r.json()["detail"]
    ok = client.post("/v1/solve", content=body,
                     headers={**KEY, "content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


@pytest.mark.parametrize("value", ["\u00b2", "1" * 23, "9" * 5000, "-1", "1.0", " 1", "0x10",
                                   "\u0661"])
def test_odd_last_event_id_never_kills_the_stream(client: TestClient, finished_job: str,
                                                  value: str) -> None:
    headers: dict[str, Any] = {**KEY, "Last-Event-ID": value.encode("utf-8")}
    assert _events(client, finished_job, headers)[-1] == "end"


def test_validate_endpoint_refuses_an_optimal_plan_with_a_loose_bound(client: TestClient) -> None:
    plan = {**BASES["c01"][1], "status": "optimal", "bound": {"coverage": 1e308}}
    r = _post(client, "/v1/validate", {"problem": _problem(), "plan": plan})
    assert r.status_code == 200
    assert not r.json()["valid"]
    assert any("bound.coverage" in v["message"] for v in r.json()["violations"])


# --- the fuzzer ------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_fuzzed_requests_never_get_a_5xx(client: TestClient, finished_job: str,
                                         seed: int) -> None:
    method, path, body, headers, ops = api_request(random.Random(seed), finished_job)
    r = client.request(method, path, content=body, headers={**KEY, **headers})
    check_api_response(ops, r.status_code, r.headers.get("content-type", ""), r.content)
