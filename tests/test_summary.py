"""The terminal: the summary's real figures, unmet needs listed, unproven stages said as such,
the live progress display with its heartbeat, and `matcher --version`."""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_problem

from matcher.cli import main
from matcher.model import Plan, parse_problem
from matcher.progress import StderrProgress
from matcher.solver import SolveParams, solve
from matcher.solver.params import Progress
from matcher.summary import reason_kind, summarise


def _problem_with_unmet(n_unmet: int) -> dict[str, Any]:
    doc = tiny_problem()
    for i in range(n_unmet):
        doc["needs"].append({**doc["needs"][0], "id": f"c{i}", "title": f"Counselling {i}",
                             "roles": [{"skill": "counselling", "count": 1}], "venue": None,
                             "priority": 1 + i % 5})
    return doc


def test_summary_lists_every_unmet_need_with_real_figures() -> None:
    problem = parse_problem(_problem_with_unmet(25))
    plan = solve(problem, SolveParams(time_limit=10)).plan
    text = summarise(problem, plan)
    assert not re.search(r"\bN\b", text), text
    assert "unmet 25" in text and "first 20 of 25" in text
    assert "run with --unmet all" in text
    assert text.count("'Counselling ") == 20
    # Most urgent first: a priority-5 need is listed before any priority-1 need.
    assert text.index("P5") < text.index("P1 ")
    everything = summarise(problem, plan, unmet_shown=None)
    for i in range(25):
        assert f"c{i} 'Counselling {i}'" in everything
    assert "25 x too few volunteers have skill 'counselling' at all" in everything
    assert "e.g. c" in everything and "only 0 volunteer(s) have skill 'counselling'" in everything


def test_reason_kinds_keep_names_and_drop_counts() -> None:
    a = reason_kind("role 'counselling' needs 2 but only 1 of its 9 candidate volunteer(s) are "
                    "left free: v1, v2 serve n7 (weight 8)")
    b = reason_kind("role 'counselling' needs 1 but only 0 of its 3 candidate volunteer(s) are "
                    "left free: v4 serves n9 (weight 4)")
    assert a == b == "role 'counselling': too few of its candidate volunteers are left free"
    assert reason_kind("something new: details") == "something new"


def test_a_feasible_plan_says_which_stages_are_unproven() -> None:
    problem = parse_problem(tiny_problem())
    plan = Plan.model_validate({
        "status": "feasible", "objective": {"coverage": 4}, "bound": {"coverage": 4},
        "met": ["n1"], "stats": {"stages": [
            {"name": "coverage", "status": "optimal"}, {"name": "fill", "status": "optimal"},
            {"name": "travel", "status": "feasible"}]}})
    text = summarise(problem, plan)
    assert "coverage gap 0.00%" in text
    assert "not proven optimal: proven: coverage, fill; unproven: travel" in text
    optimal = summarise(problem, plan.model_copy(update={"status": "optimal"}))
    assert "proven optimal: every stage" in optimal


def test_progress_has_a_heartbeat_and_no_doubled_words() -> None:
    out = io.StringIO()
    prog = StderrProgress(out, time_limit=60, heartbeat=0.1, force_terminal=False)
    prog(Progress(elapsed=0.1, stage="coverage", coverage=5, bound=7.0))
    time.sleep(0.6)  # no report from the solver: the heartbeat speaks all the same
    prog.close()
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3
    assert all("coverage  coverage" not in ln for ln in lines)
    assert "stage: coverage | coverage 5, bound 7, gap 28.57%" in lines[0]
    assert re.search(r"\d:\d\d elapsed, 0:5\d left", lines[-1])


def test_progress_on_a_terminal_draws_a_live_line() -> None:
    out = io.StringIO()
    prog = StderrProgress(out, time_limit=30, force_terminal=True)
    prog(Progress(elapsed=0.1, stage="fill", coverage=9, bound=9.0))
    time.sleep(0.6)
    prog.close()
    text = out.getvalue()
    assert "stage: fill | coverage 9" in text and "left" in text
    assert "\x1b[" in text  # redrawn in place


def test_cli_version_and_unmet_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert re.match(r"matcher \d+\.\d+", capsys.readouterr().out)
    src = tmp_path / "p.json"
    src.write_text(json.dumps(_problem_with_unmet(22)))
    out = tmp_path / "plan.json"
    assert main(["solve", str(src), "--time-limit", "10", "--out", str(out),
                 "--unmet", "all"]) == 0
    err = capsys.readouterr().err
    assert "unmet needs (all, most urgent first)" in err
    assert all(f"c{i} 'Counselling {i}'" in err for i in range(22))
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # not a private 0600 file
