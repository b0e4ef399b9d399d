"""`matcher validate PROBLEM PLAN`: exit 0 valid, 1 broken rules, 2 bad input; nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, conformance_pair, finish, rules_plan, rules_problem, tiny_problem

from matcher.cli import EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, main


def _files(d: Path) -> set[Path]:
    return set(d.rglob("*"))


def _write(d: Path, name: str, doc: Any) -> Path:
    p = d / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def _valid_pair(d: Path) -> tuple[Path, Path]:
    problem, plan = finish(rules_problem(), rules_plan())
    return _write(d, "problem.json", rules_problem()), _write(d, "plan.json", plan.to_json_dict())


@pytest.mark.parametrize("name", ["c01", "c03", "c05"])
def test_conformance_plan_exit_0(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    problem, plan = conformance_pair(name)
    assert main(["validate", str(problem), str(plan)]) == EXIT_OK
    out, err = capsys.readouterr()
    assert out == ""
    assert "valid (optimal" in err


def test_valid_hand_made_plan_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem, plan = _valid_pair(tmp_path)
    assert main(["validate", str(problem), str(plan)]) == EXIT_OK


def test_broken_plan_exit_1_lists_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem_path, _ = _valid_pair(tmp_path)
    _, plan = finish(rules_problem(), rules_plan())
    doc = plan.to_json_dict()
    # v3 is 56 km away (rule 2); v1 leaves its pinned need (rule 14).
    for a in doc["assignments"]:
        if a["volunteer"] == "v1":
            a["volunteer"] = "v3"
    doc["objective"]["coverage"] = 99
    plan_path = _write(tmp_path, "broken.json", doc)
    before = _files(tmp_path)
    assert main(["validate", str(problem_path), str(plan_path)]) == EXIT_INVALID
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert any(line.startswith("rule 2: ") and "v3" in line and "n1" in line for line in lines)
    assert any(line.startswith("rule 14: ") and "v1" in line for line in lines)
    assert any(line.startswith("objective: ") and "coverage" in line for line in lines)
    assert f"{plan_path}: {len(lines)} violation(s)" in err
    assert _files(tmp_path) == before


@pytest.mark.parametrize(
    ("which", "content", "path_in_message"),
    [
        pytest.param("problem", "priority", "needs[0].priority", id="problem-field-out-of-range"),
        pytest.param("problem", "{not json", "line 1 column 2", id="problem-malformed-json"),
        pytest.param("problem", None, "cannot read file", id="problem-missing-file"),
        pytest.param("plan", "dangling", "assignments[0].volunteer", id="plan-dangling-id"),
        pytest.param("plan", '{"status": "optimal", "met": [NaN]}', "NaN",
                     id="plan-nan"),
        pytest.param("plan", "[]", "(document)", id="plan-not-object"),
    ],
)
def test_bad_input_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str, content: str | None,
    path_in_message: str,
) -> None:
    problem_path, plan_path = _valid_pair(tmp_path)
    target = problem_path if which == "problem" else plan_path
    if content is None:
        target.unlink()
    elif content == "priority":
        doc = rules_problem()
        doc["needs"][0]["priority"] = 6
        _write(tmp_path, target.name, doc)
    elif content == "dangling":
        doc = json.loads(plan_path.read_text())
        doc["assignments"][0]["volunteer"] = "nobody"
        _write(tmp_path, target.name, doc)
    else:
        target.write_text(content)
    before = _files(tmp_path)
    assert main(["validate", str(problem_path), str(plan_path)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"matcher: error: {target}: ")
    assert path_in_message in err
    assert len(err.strip().splitlines()) == 1
    assert _files(tmp_path) == before


def test_min_count_error_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tiny_problem()
    doc["needs"][0]["roles"][0]["min_count"] = 3
    problem = _write(tmp_path, "p.json", doc)
    plan = _write(tmp_path, "q.json", {"status": "optimal"})
    assert main(["validate", str(problem), str(plan)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{problem}: needs[0].roles[0].min_count: must be <= count (2)" in err


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = REPO / ".venv" / "bin" / "matcher"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "matcher.cli"]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_subprocess_exit_codes(tmp_path: Path) -> None:
    problem, plan = conformance_pair("c02")
    r = _run("validate", str(problem), str(plan), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""

    bad_plan = json.loads(plan.read_text())
    bad_plan["objective"]["travel_m"] += 1
    broken = _write(tmp_path, "broken.json", bad_plan)
    r = _run("validate", str(problem), str(broken), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.startswith("objective: travel_m")

    bad_problem = tmp_path / "bad.json"
    bad_problem.write_text('{"needs": [{"id": "n1"}]}')
    before = _files(tmp_path)
    r = _run("validate", str(bad_problem), str(plan), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert f"{bad_problem}: needs[0]." in r.stderr and "required field is missing" in r.stderr
    assert _files(tmp_path) == before
