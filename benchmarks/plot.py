"""Coverage (solid) and proven bound (dashed) over time, one colour per method (Agg backend).

Called by `benchmarks/run.py` for the city scenario; also runs on its own from the raw results
of the last run:  python benchmarks/plot.py [benchmarks/out/results.json] [yibin]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"matcher": "matcher", "greedy": "greedy (coordinator)",
          "cpsat": "monolithic CP-SAT", "highs": "HiGHS MIP"}
COLOURS = {"matcher": "tab:blue", "greedy": "tab:orange", "cpsat": "tab:green",
           "highs": "tab:red"}


def _steps(points: list[tuple[float, float]], t_end: float) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for t, v in points:
        xs.append(t)
        ys.append(v)
    if xs:
        xs.append(max(t_end, xs[-1]))
        ys.append(ys[-1])
    return xs, ys


def plot_coverage(results: list[dict[str, Any]], path: Path, scenario: str,
                  time_limit: float) -> None:
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    t_max = time_limit
    for r in results:
        m = r["method"]
        label = LABELS.get(m, m)
        colour = COLOURS.get(m)
        hist = [h for h in r.get("history") or [] if h.get("elapsed") is not None]
        end = float(r.get("final_s") or r.get("wall_s") or time_limit)
        t_max = max(t_max, end)
        if r.get("error") or r.get("found") is False:
            why = r.get("error") or r.get("note") or "no plan"
            why = "model too large" if "too large" in why else why.split(";")[0][:50]
            ax.plot([], [], color=colour, label=f"{label}: no plan ({why})")
            continue
        cov = sorted((float(h["elapsed"]), float(h["coverage"])) for h in hist
                     if h.get("coverage") is not None)
        bnd = sorted((float(h["elapsed"]), float(h["bound"])) for h in hist
                     if h.get("bound") is not None)
        if m == "greedy":
            ax.plot([end], [r["coverage"]], "o", color=colour,
                    label=f"{label}: {r['coverage']} (no bound)")
            continue
        xs, ys = _steps(cov, end)
        ax.step(xs, ys, where="post", color=colour, marker=".", markevery=list(range(len(cov))),
                label=f"{label} coverage")
        if bnd:
            bx, by = _steps(bnd, end)
            ax.step(bx, by, where="post", color=colour, linestyle="--",
                    label=f"{label} bound")
    ax.axvline(time_limit, color="grey", linestyle=":", linewidth=1, label="time limit")
    ax.set_xlabel("seconds since the method started")
    ax.set_ylabel("priority-weighted coverage")
    ax.set_title(f"Coverage and proven bound over time: {scenario} "
                 f"(time limit {time_limit:g} s)")
    ax.set_xlim(0, t_max * 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else Path(__file__).with_name("out") / "results.json"
    scenario = argv[1] if len(argv) > 1 else "yibin"
    data = json.loads(src.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data["results"]
    results = [r for r in data if r["scenario"] == scenario]
    if not results:
        print(f"no results for {scenario} in {src}", file=sys.stderr)
        return 1
    tl = float(results[0].get("time_limit") or 60)
    out = Path(__file__).with_name("coverage_city.png")
    plot_coverage(results, out, scenario, tl)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
