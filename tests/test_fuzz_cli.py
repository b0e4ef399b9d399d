"""Bad input on the command line (issue 13): every class refused with exit 2, the file and the
JSON path up front, before any solving, and nothing written.

The first half pins each case the adversarial run found; the second half is the fuzzer that
stands for their classes: it mutates valid documents (wrong types, huge, negative and
non-finite numbers, deep nesting, bad Unicode, missing and extra fields, dangling and
duplicate ids, broken text) and runs `matcher validate` and `matcher solve` in-process.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import tiny_problem
from fuzz_docs import BASES, FuzzCase, check_cli_outcome, mutate_case, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.cli import main
from matcher.io import load_plan, load_problem
from matcher.model import MAX_DEPTH
from matcher.validate import validate

CONFORMANCE = Path(__file__).resolve().parent / "data" / "conformance"


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")  # ensure_ascii: lone surrogates survive
    return path


def _solve(tmp_path: Path, doc: Any, *args: str,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    problem = _write(tmp_path / "p.json", doc) if not isinstance(doc, Path) else doc
    out = tmp_path / "plan.json"
    code = main(["solve", str(problem), "--quiet", "--time-limit", "5", "--out", str(out),
                 *args])
    return code, capsys.readouterr().err, out


# --- the cases the adversarial run found ---------------------------------------------------


@pytest.mark.parametrize(("where", "path"), [
    (lambda d: d["needs"][0].__setitem__("title", "\ud800"), "needs[0].title"),
    (lambda d: d["volunteers"][0].__setitem__("id", "v\udfff"), "volunteers[0].id"),
    (lambda d: d.__setitem__("name", "x\ud800y"), "name"),
    (lambda d: d["volunteers"][0].__setitem__("\ud800", 1), "volunteers[0]"),
])
def test_lone_surrogate_exits_2_before_solving(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               where: Any, path: str) -> None:
    doc = tiny_problem()
    where(doc)
    code, err, out = _solve(tmp_path, doc, capsys=capsys)
    assert code == 2
    assert err.startswith(f"matcher: error: {tmp_path / 'p.json'}: {path}: ")
    assert "surrogate" in err
    assert not out.exists()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5_000, 100_000])
def test_deep_nesting_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              depth: int) -> None:
    text = json.dumps(tiny_problem())[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    (tmp_path / "p.json").write_text(text)
    code, err, out = _solve(tmp_path, tmp_path / "p.json", capsys=capsys)
    assert code == 2 and "nested" in err and str(MAX_DEPTH) in err
    assert not out.exists()


def test_nesting_within_the_limit_is_fine(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    doc = tiny_problem()
    deep: Any = 1
    for _ in range(MAX_DEPTH - 3):  # the user's own field, below needs[0]
        deep = [deep]
    doc["needs"][0]["notes"] = deep
    code, err, out = _solve(tmp_path, doc, capsys=capsys)
    assert code == 0, err
    assert out.exists()


@pytest.mark.parametrize(("literal", "why"), [
    ("NaN", "not valid JSON"), ("Infinity", "not valid JSON"), ("-Infinity", "not valid JSON"),
    ("1e400", "out of range"), ("-1e999", "out of range"), ("9" * 5000, "out of range"),
])
def test_non_finite_numbers_name_their_path(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            literal: str, why: str) -> None:
    text = json.dumps(tiny_problem()).replace('"max_hours": 8', f'"max_hours": {literal}')
    (tmp_path / "p.json").write_text(text)
    code, err, out = _solve(tmp_path, tmp_path / "p.json", capsys=capsys)
    assert code == 2 and "volunteers[0].max_hours: " in err and why in err
    assert not out.exists()


def test_fraction_of_a_second_is_refused_with_its_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tiny_problem()
    doc["needs"][0]["start"] = doc["needs"][0]["start"].replace(":00+", ":00.5+")
    code, err, _ = _solve(tmp_path, doc, capsys=capsys)
    assert code == 2 and "needs[0].start: " in err and "whole seconds" in err


@pytest.mark.parametrize("args", [
    ["--time-limit", "inf"], ["--time-limit", "86401"], ["--time-limit", "nan"],
    ["--time-limit", "0"], ["--time-limit", "-1"], ["--time-limit", "1e999"],
    ["--time-limit", "soon"], ["--workers", "0"], ["--workers", "-2"],
    ["--workers", "1000000"], ["--seed", "-1"], ["--seed", str(2**40)], ["--seed", "1.5"],
])
def test_bad_options_exit_2_before_solving(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           args: list[str]) -> None:
    with pytest.raises(SystemExit) as e:
        _solve(tmp_path, tiny_problem(), *args, capsys=capsys)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {args[0]}" in err and "Traceback" not in err
    assert not (tmp_path / "plan.json").exists()


def test_unwritable_out_exits_2_before_solving(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    problem = _write(tmp_path / "p.json", tiny_problem())
    (tmp_path / "a_dir").mkdir()
    fifo = tmp_path / "fifo"
    import os

    os.mkfifo(fifo)
    for out, phrase in [(str(tmp_path / "a_dir"), "it is a directory"),
                        ("", "the file name is empty"),
                        (str(tmp_path / "no" / "p.json"), "no directory"),
                        (str(fifo), "not a regular file")]:
        # A time limit the test would notice: the check must come before the solve.
        code = main(["solve", str(problem), "--quiet", "--time-limit", "600", "--out", out])
        err = capsys.readouterr().err
        assert code == 2, (out, err)
        assert err.startswith("matcher: error: ") and "--out: " in err and phrase in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir", "fifo", "p.json"]


def test_validate_refuses_an_optimal_plan_whose_bound_is_not_its_value(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = load_problem(CONFORMANCE / "c01.problem.json")
    plan_doc = json.loads((CONFORMANCE / "c01.expected-plan.json").read_text())
    coverage = plan_doc["objective"]["coverage"]
    plan_path = tmp_path / "plan.json"
    for bound, status, ok in [(1e308, "optimal", False), (coverage + 1, "optimal", False),
                              (coverage - 1, "feasible", False), (coverage - 1, "optimal", False),
                              (1e308, "feasible", True), (coverage, "optimal", True)]:
        _write(plan_path, {**plan_doc, "status": status, "bound": {"coverage": bound}})
        assert (validate(problem, load_plan(plan_path, problem)) == []) == ok, (bound, status)
        code = main(["validate", str(CONFORMANCE / "c01.problem.json"), str(plan_path)])
        out = capsys.readouterr().out
        assert code == (0 if ok else 1)
        assert ok or "bound.coverage" in out
    text = json.dumps({**plan_doc, "bound": {"coverage": 1}}).replace(
        '"coverage": 1}', '"coverage": Infinity}')
    plan_path.write_text(text)
    code = main(["validate", str(CONFORMANCE / "c01.problem.json"), str(plan_path)])
    assert code == 2 and "bound.coverage: " in capsys.readouterr().err


# --- the fuzzer ------------------------------------------------------------------------------

FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(base=st.sampled_from(sorted(BASES)), seed=st.integers(0, 2**32 - 1))
def test_fuzzed_documents_are_refused_cleanly_by_validate(tmp_path: Path, base: str,
                                                          seed: int) -> None:
    case = mutate_case(BASES[base], random.Random(seed))
    outcome = run_cli(case, tmp_path / f"v{seed}", command="validate")
    check_cli_outcome(case, outcome)


@settings(FUZZ, max_examples=60)
@given(base=st.sampled_from(sorted(BASES)), seed=st.integers(0, 2**32 - 1))
def test_fuzzed_documents_are_refused_cleanly_by_solve(tmp_path: Path, base: str,
                                                       seed: int) -> None:
    case = mutate_case(BASES[base], random.Random(seed), plan=False)
    outcome = run_cli(case, tmp_path / f"s{seed}", command="solve")
    check_cli_outcome(case, outcome)


def test_the_fuzzer_reaches_every_outcome(tmp_path: Path) -> None:
    """The mutations are neither all fatal nor all harmless: some documents still solve,
    some plans still validate, and most are refused."""
    rng = random.Random(13)
    codes: dict[str, set[int]] = {"validate": set(), "solve": set()}
    for i in range(40):
        command = "solve" if i % 2 else "validate"
        case: FuzzCase = mutate_case(BASES[sorted(BASES)[i % len(BASES)]], rng,
                                     plan=command == "validate")
        outcome = run_cli(case, tmp_path / str(i), command=command)
        check_cli_outcome(case, outcome)
        codes[command].add(outcome.code)
    assert 2 in codes["validate"] and 2 in codes["solve"]
    assert codes["validate"] & {0, 1} and 0 in codes["solve"]


@pytest.mark.parametrize("port", ["70000", "-1", "http", "1e3"])
def test_serve_refuses_a_bad_port(capsys: pytest.CaptureFixture[str], port: str) -> None:
    with pytest.raises(SystemExit) as e:
        main(["serve", "--port", port])
    assert e.value.code == 2 and "argument --port" in capsys.readouterr().err
