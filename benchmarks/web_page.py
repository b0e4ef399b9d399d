"""The web page's speed, in Debian's headless Chromium against `matcher serve` on loopback.

- first load: a fresh browser profile each time (nothing cached), from navigation start to the
  page being ready (Leaflet, the modules, the catalogue and the settings loaded), in the
  browser's own clock;
- Tianchang: the problem file checked and drawn, then Run to the plan visible (results panel
  and the map's lines drawn), with the server's default job time limit;
- Yibin (10,000 volunteers, 7,579 needs): the same, plus what a coordinator does on the map
  afterwards (pan, zoom, a click on a need that opens its popup) and the longest main-thread
  task the browser saw (a "freeze").

Prints the figures and replaces its own section of benchmarks/RESULTS.md (between
``<!-- web_page -->`` and ``<!-- /web_page -->``). Run it under the benchmark lock:

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/web_page.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from webpage import KEY, browser, serve  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
LONGTASKS = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push(e.duration);
}).observe({ type: 'longtask', buffered: true });
"""
FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def first_loads(url: str, tmp: Path, n: int) -> list[float]:
    """Milliseconds from navigation start to ready, each in a fresh profile."""
    out = []
    for i in range(n):
        with browser(tmp / f"load{i}") as b:
            b.page.goto(url + "/")
            b.page.wait_for_selector("body[data-ready=true]")
            out.append(float(b.page.evaluate("window.matcherPage.readyAt")))
            assert b.off_machine() == [], b.off_machine()
    return out


def session(url: str, tmp: Path, scenario: str, time_limit: float | None,
            interact: bool) -> dict[str, Any]:
    """Load a scenario through the page, run it, and time each step (seconds)."""
    path = REPO / "scenarios" / f"{scenario}.json"
    row: dict[str, Any] = {"scenario": scenario}
    with browser(tmp / scenario) as b:
        page = b.page
        page.add_init_script(LONGTASKS)
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("#api-key", KEY)
        page.dispatch_event("#api-key", "change")
        page.set_input_files("#file", str(path))
        t0 = time.perf_counter()
        page.click("#check-file")
        page.wait_for_selector("#import-ok", timeout=300_000)
        page.evaluate(FRAMES)
        row["load_s"] = time.perf_counter() - t0
        row["draw_problem_ms"] = page.evaluate("window.matcherPage.state.timings.drawProblem")
        if time_limit is not None:
            page.fill("#time-limit", str(time_limit))
        t0 = time.perf_counter()
        page.click("#run")
        page.wait_for_selector("#results-panel:not([hidden])", timeout=900_000)
        page.evaluate(FRAMES)
        row["plan_visible_s"] = time.perf_counter() - t0
        row["draw_plan_ms"] = page.evaluate("window.matcherPage.state.timings.drawPlan")
        row["solver_s"] = page.evaluate(
            "window.matcherPage.state.planIdx.plan.stats?.seconds ?? null")
        row["stats"] = page.evaluate("window.matcherPage.stats()")
        row["status"] = page.evaluate("window.matcherPage.state.planIdx.plan.status")
        if interact:
            row.update(interactions(page))
        row["longest_task_ms"] = max(page.evaluate("window.__longtasks") or [0])
        assert b.off_machine() == [], b.off_machine()
        assert b.errors == [], b.errors
    return row


def interactions(page: Any) -> dict[str, float]:
    """Pan, zoom in and out, and open a need's popup by clicking it; ms until drawn."""
    out: dict[str, float] = {}
    pan = """async () => { const m = window.matcherPage.leaflet; const t = performance.now();
      m.panBy([300, 200], {animate: false});
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t; }"""
    out["pan_ms"] = statistics.median(page.evaluate(pan) for _ in range(5))
    zoom = """async (d) => { const m = window.matcherPage.leaflet; const t = performance.now();
      m.setZoom(m.getZoom() + d, {animate: false});
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t; }"""
    out["zoom_ms"] = max(page.evaluate(zoom, d) for d in (1, -1, -1, 1))
    # Click the first met need where it is drawn, as a person would.
    point = page.evaluate("""() => { const p = window.matcherPage; const m = p.leaflet;
      const id = p.state.planIdx.plan.met[0]; const n = p.state.prob.needs.get(id);
      m.setView([n.location.lat, n.location.lon], 14, {animate: false});
      const xy = m.latLngToContainerPoint([n.location.lat, n.location.lon]);
      const box = document.querySelector('#map').getBoundingClientRect();
      return [box.left + xy.x, box.top + xy.y]; }""")
    page.evaluate(FRAMES)
    t0 = time.perf_counter()
    page.mouse.click(point[0], point[1])
    page.wait_for_selector(".leaflet-popup .popup-need", timeout=30_000)
    out["popup_ms"] = 1000 * (time.perf_counter() - t0)
    return out


def write_results(text: str) -> None:
    start, end = "<!-- web_page -->", "<!-- /web_page -->"
    old = RESULTS.read_text()
    section = f"{start}\n{text}\n{end}"
    if start in old:
        before, rest = old.split(start, 1)
        new = before + section + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5, help="fresh first loads to time")
    ap.add_argument("--yibin-time-limit", type=float, default=30.0)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        with serve(tmp) as server:
            loads = first_loads(server.url, tmp, args.loads)
            tian = session(server.url, tmp, "tianchang", None, interact=False)
            yibin = session(server.url, tmp, "yibin", args.yibin_time_limit, interact=True)
    load_after = os.getloadavg()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    y = yibin
    lines = [
        "## The web page (issue 11)",
        "",
        f"`flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/web_page.py` on {when}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs: Debian's Chromium (headless, fresh "
        "profile) against one `matcher serve` on 127.0.0.1. Load average before "
        f"{load_before[0]:.1f}, after {load_after[0]:.1f} (the machine is shared by several "
        "developers; figures on a busy machine are slower).",
        "",
        "| what | figure | target |",
        "|---|---|---|",
        f"| first page load, navigation start to ready, {len(loads)} fresh profiles | median "
        f"{statistics.median(loads):.0f} ms, max {max(loads):.0f} ms | < 1 s |",
        f"| Tianchang: file checked and drawn | {tian['load_s']:.2f} s | |",
        f"| Tianchang: Run to the plan visible (default time limit; solver "
        f"{tian['solver_s']:.1f} s, {tian['status']}) | {tian['plan_visible_s']:.2f} s | < 5 s |",
        f"| Yibin: 16.8 MB file checked and drawn ({y['stats']['volunteers']:,} volunteers, "
        f"{y['stats']['needs']:,} needs, {y['stats']['regions']} region outlines; drawing "
        f"{y['draw_problem_ms']:.0f} ms) | {y['load_s']:.2f} s | |",
        f"| Yibin: Run ({args.yibin_time_limit:g} s limit; solver {y['solver_s']:.1f} s) to "
        f"the plan visible ({y['stats']['lines']:,} lines; drawing {y['draw_plan_ms']:.0f} ms)"
        f" | {y['plan_visible_s']:.2f} s | |",
        f"| Yibin on the map: pan (median of 5) / zoom (worst of 4) / click a need to its popup "
        f"| {y['pan_ms']:.0f} ms / {y['zoom_ms']:.0f} ms / {y['popup_ms']:.0f} ms | usable |",
        f"| Yibin: longest main-thread task in the whole session | {y['longest_task_ms']:.0f} ms"
        " | no freeze |",
        "",
        "Points are canvas circles (Leaflet `preferCanvas`), the plan's lines one canvas path per"
        " kind, so the page's cost grows with what is drawn, not with DOM nodes. Times from "
        "Python's clock include Playwright's round trips (a few ms each).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_results(text)


if __name__ == "__main__":
    main()
