"""The web page in a real browser (Debian's headless Chromium through Playwright) against a
real server (uvicorn on 127.0.0.1): a coordinator's whole session on a field scenario filled
into the workbook template, and the error and language paths on a small one. No request may
leave 127.0.0.1.

Without Chromium or Playwright these tests are skipped on a developer's machine and fail in
CI (CI=true), where `.ci/run` installs Chromium first. The session saves a screenshot of the
map: to docs/screenshot-map.png in CI, to pytest's temporary directory elsewhere.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from webpage import KEY, Browser, Server, browser, missing, serve

from matcher import sheets
from matcher.model import parse_problem
from matcher.web.mount import STATIC_DIR

REPO = Path(__file__).parents[1]
SCENARIO = REPO / "scenarios" / "zhecheng.json"
SMALL = REPO / "scenarios" / "runzhou.json"
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


def workbook(scenario: Path, tmp: Path) -> Path:
    """The scenario written into the problem workbook template, as a coordinator fills it."""
    path = tmp / f"{scenario.stem}.xlsx"
    path.write_bytes(sheets.problem_xlsx(parse_problem(json.loads(scenario.read_text()))))
    return path


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


def saved(download: Any, tmp: Path) -> Path:
    """A browser download kept under the name the server gave it."""
    path = tmp / download.suggested_filename
    download.save_as(path)
    return path


def stats(page: Any) -> dict[str, int]:
    result: dict[str, int] = page.evaluate("window.matcherPage.stats()")
    return result


def test_coordinator_session(server: Server, web: Browser, tmp_path: Path) -> None:
    """Load the workbook, run, stop, read the results, ask for an unmet need's
    recommendations and pin one, pin and forbid on the map, replan, export."""
    problem = json.loads(SCENARIO.read_text())
    page = open_page(web, server)
    assert page.inner_text("header h1") == ZH["app.title"]

    # The templates are offered for download.
    with page.expect_download() as dl:
        page.click("[data-act=download][data-name='problem.xlsx']")
    assert dl.value.suggested_filename == "problem.xlsx"
    template = openpyxl.load_workbook(saved(dl.value, tmp_path))
    assert any(name.startswith("volunteers") for name in template.sheetnames)

    # Load: the report before anything is stored, and the points on the map.
    load(page, workbook(SCENARIO, tmp_path))
    assert page.is_visible("#import-ok")
    assert f"{len(problem['needs']):,}" in page.inner_text("#import-ok")
    drawn = stats(page)
    assert drawn["needs"] == len(problem["needs"])
    assert drawn["volunteers"] == len(problem["volunteers"])
    assert drawn["venues"] == len(problem["venues"])
    assert drawn["regions"] >= 10  # one outline per town: the map needs no tiles
    with server.client() as api:
        assert api.get("/v1/jobs").json()["jobs"] == []  # nothing stored yet

    # Run with live progress, then stop as soon as a plan is in.
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

    # Pin that option: it waits in the Changes tab, one pin per resource.
    option.locator("[data-act=pin-option]").click()
    pending = page.eval_on_selector_all("#pending li", "els => els.map(e => e.innerText)")
    pins = page.evaluate("window.matcherPage.state.pending")
    assert len(pending) == len(pins) >= 1
    assert all(p["kind"] == "pin" and p["need"] == target for p in pins)

    # They wait in the Changes tab and go with the map's pin and forbid into one replan.

    # Pin and forbid by clicking on the map: a met need with two volunteers; keep one, forbid
    # the other, replan, and see the change listed and drawn.
    counts: dict[str, int] = {}
    for a in plan["assignments"]:
        counts[a["need"]] = counts.get(a["need"], 0) + 1
    spots = [(n["location"]["lat"], n["location"]["lon"]) for n in problem["needs"]]
    spots += [(u["location"]["lat"], u["location"]["lon"]) for u in problem["venues"]]

    def alone(n: dict[str, Any]) -> bool:
        # No other need or venue within about 300 m: at zoom 15 the click finds this one.
        lat, lon = n["location"]["lat"], n["location"]["lon"]
        return sum(abs(a - lat) < 0.003 and abs(b - lon) < 0.003 for a, b in spots) == 1

    # Away from the pinned option: not a need it displaces or takes from, no volunteer of it.
    busy = set(first.get("displaced", [])) | {target}
    busy |= {v.get("taken_from") for v in first["volunteers"]}
    busy |= {a["need"] for a in plan["assignments"]
             if a["volunteer"] in {v["volunteer"] for v in first["volunteers"]}}
    chosen = next(n for n in problem["needs"] if counts.get(n["id"], 0) >= 2 and alone(n)
                  and n["id"] not in busy)
    keep, drop = [a["volunteer"] for a in plan["assignments"] if a["need"] == chosen["id"]][:2]
    x, y = page.evaluate("""(loc) => { const m = window.matcherPage.leaflet;
        m.setView(loc, 15, {animate: false});
        const p = m.latLngToContainerPoint(loc);
        const box = document.querySelector('#map').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y]; }""",
        [chosen["location"]["lat"], chosen["location"]["lon"]])
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.mouse.click(x, y)
    popup = page.locator(f".leaflet-popup .popup-need[data-need='{chosen['id']}']")
    popup.locator(f"[data-act=pin][data-volunteer='{keep}']").click()
    popup.locator(f"[data-act=forbid][data-volunteer='{drop}']").click()
    assert page.evaluate("window.matcherPage.state.pending.map(c => c.kind)") == [
        "pin"] * len(pins) + ["pin", "forbid"]
    page.click("[data-tab=changes]")
    page.click("#tab-changes [data-act=replan]")
    page.wait_for_selector("#replan-diff", timeout=120_000)
    new_id = page.evaluate("window.matcherPage.state.jobId")
    assert new_id != job_id
    with server.client() as api:
        new_plan = api.get(f"/v1/jobs/{new_id}/plan").json()
        diff = api.get(f"/v1/jobs/{new_id}/changes").json()
    served = {(a["need"], a["volunteer"]) for a in new_plan["assignments"]}
    assert (chosen["id"], keep) in served and (chosen["id"], drop) not in served
    # The recommended option's need is met now, with every resource it was pinned to.
    assert target in new_plan["met"]
    given = {("volunteer", a["volunteer"]) for a in new_plan["assignments"]
             if a["need"] == target}
    given |= {("venue", b["venue"]) for b in new_plan["bookings"] if b["need"] == target}
    given |= {("fund", g["fund"]) for g in new_plan["grants"] if g["need"] == target}
    for p in pins:
        kind = next(k for k in ("volunteer", "venue", "fund") if p.get(k))
        assert (kind, p[kind]) in given
    assert {"need": chosen["id"], "skill": next(
        a["skill"] for a in plan["assignments"] if a["need"] == chosen["id"]
        and a["volunteer"] == drop), "volunteer": drop} in diff["assignments_removed"]
    shown = page.inner_text("#replan-diff")
    assert drop in shown and str(diff["total"]) in shown
    assert stats(page)["changes"] >= 1  # removed lines and rings on the map
    assert page.evaluate("window.matcherPage.state.pending.length") == 0
    target = chosen["id"]

    # Export the replanned plan as a workbook and as CSV files.
    page.click("[data-tab=summary]")
    with page.expect_download() as dl:
        page.click("#tab-summary [data-act=export][data-format=xlsx]")
    assert dl.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(saved(dl.value, tmp_path))
    by_key = {name.split()[0]: book[name] for name in book.sheetnames}
    assert {"by_need", "by_volunteer", "by_venue", "by_fund"} <= by_key.keys()
    by_volunteer = list(by_key["by_volunteer"].iter_rows(min_row=2, values_only=True))
    assert len(by_volunteer) == len(new_plan["assignments"])
    title = next(n["title"] for n in problem["needs"] if n["id"] == target)
    assert any(r[2] == target and r[3] == title for r in by_volunteer)
    with page.expect_download() as dl:
        page.click("#tab-summary [data-act=export][data-format=csv]")
    with zipfile.ZipFile(saved(dl.value, tmp_path)) as z:
        assert {"by_need.csv", "by_volunteer.csv", "by_venue.csv", "by_fund.csv"} <= set(
            z.namelist())

    # The map as a coordinator sees it after the replan, kept as the CI artefact.
    shot = SCREENSHOT if os.environ.get("CI") else tmp_path / "screenshot-map.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.matcherPage.fit(); document.querySelector('#toast').hidden = true")
    page.wait_for_timeout(500)  # the canvas redraws on the next animation frames
    page.locator("#map").screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_bad_file_report_and_english(server: Server, web: Browser, tmp_path: Path) -> None:
    """A broken workbook is refused with sheet, row and column and nothing loaded; the English
    switch translates the page, and no message is missing from either catalogue."""
    page = open_page(web, server)
    book = openpyxl.load_workbook(workbook(SMALL, tmp_path))
    volunteers = next(book[n] for n in book.sheetnames if n.startswith("volunteers "))
    column = next(c.column_letter for c in volunteers[1] if "max_travel_km" in str(c.value))
    volunteers[f"{column}3"] = "far"
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    load(page, bad)
    rows = page.eval_on_selector_all(
        "#import-errors tr", "rows => rows.slice(1).map(r => [...r.cells].map(c => c.innerText))")
    assert rows[0][0].startswith("volunteers") and rows[0][1] == "3"
    assert "max_travel_km" in rows[0][2] and "far" in rows[0][3]
    assert page.is_disabled("#run")
    assert stats(page)["needs"] == 0

    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.inner_text("header h1") == EN["app.title"]
    assert page.inner_text("#run") == EN["run.start"]
    assert page.inner_text("#import-errors th >> nth=0") == EN["load.sheet"]
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.inner_text("#run") == ZH["run.start"]
    assert not [m for m in web.console if "missing message" in m]
