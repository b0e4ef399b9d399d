"""The web page in a real browser (Debian's headless Chromium through Playwright) against a
real server (uvicorn on 127.0.0.1): a coordinator's whole session on a field scenario, and the
error and language paths on a small problem. No request may leave 127.0.0.1.

Without Chromium or Playwright these tests are skipped on a developer's machine and fail in
CI (CI=true), where `.ci/run` installs Chromium first. The session saves a screenshot of the
map: to docs/screenshot-map.png in CI, to pytest's temporary directory elsewhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webpage import KEY, Browser, Server, browser, missing, serve

from matcher.web.mount import STATIC_DIR

REPO = Path(__file__).parents[1]
SCENARIO = REPO / "scenarios" / "zhecheng.json"
SCREENSHOT = REPO / "docs" / "screenshot-map.png"

_why = missing()
if _why is not None:
    if os.environ.get("CI"):
        raise RuntimeError(f"the browser tests must run in CI: {_why}")
    pytest.skip(_why, allow_module_level=True)


def messages(lang: str = "zh-CN") -> dict[str, str]:
    doc: dict[str, str] = json.loads((STATIC_DIR / "i18n" / f"{lang}.json").read_text("utf-8"))
    return doc


ZH = messages("zh-CN")
EN = messages("en")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web-server")
    with serve(tmp, max_sync_time_limit=8, event_poll_seconds=0.1, stop_wait_seconds=30) as s:
        yield s


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Browser]:
    with browser(tmp_path) as b:
        yield b
    # Every test: nothing the page asked for went anywhere but this machine.
    assert b.requests, "the page made no request at all"
    assert b.off_machine() == []
    assert b.errors == []


def open_page(web: Browser, server: Server) -> Any:
    page = web.page
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#api-key", KEY)
    page.dispatch_event("#api-key", "change")
    return page


def load(page: Any, path: Path) -> None:
    page.set_input_files("#file", str(path))
    page.click("#check-file")
    page.wait_for_selector("#import-ok, #import-report .bad", timeout=60_000)


def stats(page: Any) -> dict[str, int]:
    result: dict[str, int] = page.evaluate("window.matcherPage.stats()")
    return result


def test_coordinator_session(server: Server, web: Browser, tmp_path: Path) -> None:
    """Load, run, stop, read the results, ask for recommendations, pin one, replan."""
    problem = json.loads(SCENARIO.read_text())
    page = open_page(web, server)
    assert page.inner_text("header h1") == ZH["app.title"]

    # Load: the report before anything is stored, and the points on the map.
    load(page, SCENARIO)
    assert page.is_visible("#import-ok")
    drawn = stats(page)
    assert drawn["needs"] == len(problem["needs"])
    assert drawn["volunteers"] == len(problem["volunteers"])
    assert drawn["venues"] == len(problem["venues"])
    assert drawn["regions"] >= 10  # one outline per town: the map needs no tiles

    # Run with live progress, then stop as soon as the first plan is in.
    page.fill("#time-limit", "120")
    page.click("#run")
    page.wait_for_function(
        "document.querySelector('#p-coverage').textContent.match(/\\d/)", timeout=90_000)
    assert page.is_enabled("#stop")
    page.click("#stop")
    page.wait_for_selector("#results-panel:not([hidden])", timeout=90_000)
    assert page.inner_text("#p-state") == ZH["state.stopped"]
    job_id = page.evaluate("window.matcherPage.state.jobId")
    with server.client() as api:
        job = api.get(f"/v1/jobs/{job_id}").json()
        plan = api.get(f"/v1/jobs/{job_id}/plan").json()
    assert job["state"] == "stopped"

    # Results: every need counted once by priority; lines from met needs on the map.
    rows = page.eval_on_selector_all(
        "#by-priority tr", "rows => rows.slice(1).map(r => [...r.cells].map(c => c.innerText))")
    met = sum(int(r[1].replace(",", "")) for r in rows)
    unmet = sum(int(r[2].replace(",", "")) for r in rows)
    assert (met, unmet) == (len(plan["met"]), len(plan["unmet"]))
    assert met + unmet == len(problem["needs"])
    assert stats(page)["lines"] == len(plan["assignments"]) + len(plan["bookings"])

    # An unmet need's recommendations: the first listed need the server can meet.
    page.click("[data-tab=unmet]")
    listed = page.eval_on_selector_all("#tab-unmet .need", "els => els.map(e => e.dataset.need)")
    assert listed and set(listed) <= {u["need"] for u in plan["unmet"]}
    with server.client() as api:
        target = next(n for n in listed if api.post(
            "/v1/recommend", json={"job": job_id, "need": n, "k": 3}).json()["options"])
    page.click(f"#tab-unmet .need[data-need='{target}'] [data-act=recommend]")
    page.wait_for_selector("#recommendations .option", timeout=60_000)
    option = page.locator("#recommendations .option").first
    page.locator("#recommendations [data-act=preview-option]").first.click()
    first = page.evaluate("window.matcherPage.state.recs.data.options[0]")
    assert stats(page)["preview"] == len(first["volunteers"]) + (first["venue"] is not None)
    assert option.inner_text().count(ZH["rec.pin"]) == 1

    # Pin that option: it waits in the Changes tab, one pin per resource.
    option.locator("[data-act=pin-option]").click()
    pending = page.eval_on_selector_all("#pending li", "els => els.map(e => e.innerText)")
    pins = page.evaluate("window.matcherPage.state.pending")
    assert len(pending) == len(pins) >= 1
    assert all(p["kind"] == "pin" and p["need"] == target for p in pins)

    # The map as a coordinator sees it, kept as the CI artefact.
    shot = SCREENSHOT if os.environ.get("CI") else tmp_path / "screenshot-map.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.click("[data-tab=summary]")
    page.evaluate("window.matcherPage.fit(); document.querySelector('#toast').hidden = true")
    page.wait_for_timeout(500)  # the canvas redraws on the next animation frames
    page.locator("#map").screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_bad_file_report_and_english(server: Server, web: Browser, tmp_path: Path) -> None:
    """A broken document is refused with its path and nothing loaded; the English switch
    translates the page, and no message is missing from either catalogue."""
    page = open_page(web, server)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    page.set_input_files("#file", str(bad))
    page.click("#check-file")
    page.wait_for_selector("#import-report .bad")
    assert page.is_disabled("#run")
    assert stats(page)["needs"] == 0

    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.inner_text("header h1") == EN["app.title"]
    assert page.inner_text("#run") == EN["run.start"]
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.inner_text("#run") == ZH["run.start"]
    assert not [m for m in web.console if "missing message" in m]
