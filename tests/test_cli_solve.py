"""`matcher solve` on the command line: the plan file, standard output, the summary on
standard error, and bad input (exit 2, file name and JSON path, nothing written)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matcher.cli import main
from matcher.io import load_plan, load_problem
from matcher.validate import validate

CONFORMANCE = Path(__file__).resolve().parent / "data" / "conformance"


def _c01() -> Path:
    path = CONFORMANCE / "c01.problem.json"
    if not path.is_file():
        pytest.fail(f"conformance problem missing: {path}")
    return path


def _small_problem() -> dict[str, Any]:
    """Two needs, one met (a volunteer, a venue, a pooled grant), one unmet."""
    c = {"lat": 32.690, "lon": 119.007}
    near = {"lat": 32.691, "lon": 119.008}
    day = "2026-12-05"
    return {
        "version": 1, "name": "cli-small", "currency": "CNY",
        "volunteers": [{"id": "v1", "location": near, "skills": ["teaching"]}],
        "venues": [{"id": "u1", "location": near, "capacity": 40, "features": ["classroom"]}],
        "funds": [{"id": "f1", "amount": 30000}, {"id": "f2", "amount": 50000}],
        "needs": [
            {"id": "n1", "location": c, "start": f"{day}T14:00:00+08:00",
             "end": f"{day}T16:00:00+08:00", "priority": 4,
             "roles": [{"skill": "teaching", "count": 1}],
             "venue": {"capacity": 30, "features": ["classroom"]}, "funding": 60000},
            {"id": "n2", "location": c, "start": f"{day}T09:00:00+08:00",
             "end": f"{day}T10:00:00+08:00", "priority": 2,
             "roles": [{"skill": "counselling", "count": 1}]},
        ],
    }


def test_solve_writes_a_plan_that_validate_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = _c01()
    out = tmp_path / "plan.json"
    assert main(["solve", str(problem), "--time-limit", "10", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # the plan went to the file
    plan = load_plan(out, load_problem(problem))
    assert plan.status == "optimal" and plan.objective.coverage == 76
    assert not validate(load_problem(problem), plan)
    assert main(["validate", str(problem), str(out)]) == 0
    assert "valid" in capsys.readouterr().err


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_solve_prints_the_plan_without_out(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    path = _write(tmp_path, _small_problem())
    assert main(["solve", str(path), "--time-limit", "5"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["problem"] == "cli-small" and doc["status"] == "optimal"
    assert doc["met"] == ["n1"] and [u["need"] for u in doc["unmet"]] == ["n2"]
    # Neither fund alone covers n1's 600.00: the grant is pooled from both.
    assert {g["fund"] for g in doc["grants"]} == {"f1", "f2"}
    assert sum(g["amount"] for g in doc["grants"]) == 60000
    assert "stats" in doc


def test_solve_prints_the_summary_on_stderr(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    path = _write(tmp_path, _small_problem())
    out = tmp_path / "plan.json"
    assert main(["solve", str(path), "--time-limit", "5", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    # Needs met and unmet by priority.
    assert "needs met 1 of 2" in err
    assert "P4 1/1" in err and "P2 0/1" in err
    assert "unmet 1" in err
    # Coverage against its bound.
    assert "coverage 8 of bound 8" in err
    # Volunteers and hours.
    assert "volunteers used 1 of 1" in err and "2.0 volunteer-hours" in err
    # Funds used and left (600.00 granted of 800.00).
    assert "funds used 2 of 2" in err and "600.00 CNY" in err and "200.00 CNY left" in err
    # Venues booked and travel.
    assert "venues booked 1 of 1" in err
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert f"travel {plan['objective']['travel_m'] / 1000:,.1f} km" in err


def _bad(doc_text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "bad.json"
    path.write_text(doc_text, encoding="utf-8")
    out = tmp_path / "plan.json"
    code = main(["solve", str(path), "--time-limit", "5", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]  # no temporary left
    assert captured.out == ""
    assert "bad.json" in captured.err
    return captured.err


def test_bad_field_exits_2_naming_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _small_problem()
    doc["needs"][1]["roles"][0]["min_count"] = 3
    err = _bad(json.dumps(doc), tmp_path, capsys)
    assert "needs[1].roles[0].min_count" in err


def test_dangling_reference_exits_2_naming_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _small_problem()
    doc["pins"] = [{"need": "n1", "volunteer": "v1"}, {"need": "n1", "venue": "nowhere"}]
    err = _bad(json.dumps(doc), tmp_path, capsys)
    assert "pins[1].venue" in err and "nowhere" in err


def test_malformed_json_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _bad('{"version": 1, "needs": [', tmp_path, capsys)
    assert "malformed JSON" in err and "line 1" in err


def test_without_out_bad_input_prints_no_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _small_problem()
    doc["volunteers"][0]["location"]["lat"] = 91
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["solve", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "bad.json" in captured.err and "volunteers[0].location.lat" in captured.err


def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed entry point, in a real process: solve, then validate (exit 0)."""
    problem = _c01()
    out = tmp_path / "plan.json"
    cmd = [sys.executable, "-m", "matcher.cli"]
    run = subprocess.run([*cmd, "solve", str(problem), "--time-limit", "10", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert "coverage 76 of bound 76" in run.stderr
    check = subprocess.run([*cmd, "validate", str(problem), str(out)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
