"""Mutated documents for the bad-input fuzzers (tests/test_fuzz_*.py and benchmarks/fuzz.py).

`mutate_case` starts from a valid problem and plan and applies one to three mutations of the
classes the adversarial run of issue 13 found: wrong types, huge, negative and non-finite
numbers, deep nesting, text that is not valid Unicode, missing and extra fields, dangling and
duplicate ids, odd times, and broken JSON text. It is driven by a `random.Random`, so a seed
reproduces a case; the tests draw the seed with hypothesis.

`run_cli` runs `matcher validate` or `matcher solve` in-process on a case, and
`check_cli_outcome` asserts what SPEC and the README promise: exit 0, 1 or 2 only, no
traceback, exit 2 with the file and the JSON path up front and nothing written, and a plan
that is written obeys every rule.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random
import re
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from matcher.cli import main
from matcher.io import load_plan, load_problem
from matcher.validate import validate

CONFORMANCE = Path(__file__).resolve().parent / "data" / "conformance"
# The three smallest conformance pairs: each solves to optimality in well under a second.
BASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    name: (json.loads((CONFORMANCE / f"{name}.problem.json").read_text()),
           json.loads((CONFORMANCE / f"{name}.expected-plan.json").read_text()))
    for name in ("c01", "c02", "c03")
}

WRONG_TYPES: list[Any] = [None, True, False, 0, 1, -1, 1.5, "", "x", "12", [], {}, [1],
                          {"a": 1}, [[]], "2026-12-05T16:30:00+08:00"]
BIG_NUMBERS: list[Any] = [10**13, 10**13 + 1, 2**31, 2**31 - 1, 2**53, 2**53 + 1, 2**63,
                          2**64, 10**30, -(10**30), 1e308, -1e308, 1e-308, 1e12 + 0.5, 10**6,
                          10**6 + 1, 4300 * 10**5]
NON_FINITE: list[float] = [float("nan"), float("inf"), float("-inf")]
BAD_TEXT: list[str] = ["\ud800", "a\udfffb", "\udbff\udbff", "\x00", "nul\x00inside", "\u202e",
                       "\U0001f600" * 3, "\ufeff", "x" * 20_000, " ", "\\", '"', "\n",
                       "341181/", "/", "//"]
ODD_TIMES: list[str] = [
    "0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+23:59", "2026-12-05T16:30:00.5+08:00", "2026-12-05T16:30:00",
    "2026-13-01T00:00:00+08:00", "2026-12-05", "2026-12-05T16:30:00Z", "16:30",
    "2026-12-05T16:30:00+24:00", "5000-06-01T00:00:00+00:00", "2026-12-05T16:30:00+08:00:30",
    "2026-12-05 16:30:00+08:00", "0000-01-01T00:00:00+00:00", "2026-12-05T16:30:00.000+08:00",
]
DEPTHS = [10, 60, 63, 64, 65, 200, 900]
REF_KEYS = ("need", "volunteer", "venue", "fund")
TEXT_OPS = ("truncate", "bad_byte", "bom", "garbage", "nan_text", "big_text", "long_int",
            "deep_text", "empty", "not_object")


@dataclass
class FuzzCase:
    """Files to give the command line, and what was done to them."""

    problem: bytes
    plan: bytes
    ops: list[str] = field(default_factory=list)


def _nodes(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in a document: the places a mutation can hit."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            out.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return out


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _ids(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return []
    lists = [doc.get(key) for key in ("volunteers", "venues", "funds", "needs")]
    return [e["id"] for entries in lists if isinstance(entries, list) for e in entries
            if isinstance(e, dict) and isinstance(e.get("id"), str)]


def mutate_doc(doc: Any, rng: random.Random, other_ids: list[str] | None = None) -> str:
    """Change `doc` in place in one way; returns what was done."""
    nodes = _nodes(doc)
    if not nodes:
        return "none"
    op = rng.choice(["type", "type", "big", "neg", "nonfinite", "deep", "text", "text", "time",
                     "delete", "delete", "extra", "dangle", "dangle", "dup", "empty", "swap_id"])
    # Most mutations hit a value of the kind they are about (a number, a string, a time).
    fits = {
        "big": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "neg": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "nonfinite": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "text": lambda v: isinstance(v, str),
        "time": lambda v: isinstance(v, str) and v[:2] in ("20", "19"),
    }.get(op)
    chosen = [(n, k) for n, k in nodes if fits(n[k])] if fits else []
    node, key = rng.choice(chosen if chosen and rng.random() < 0.8 else nodes)
    old = node[key]
    if op == "type":
        node[key] = copy.deepcopy(rng.choice(WRONG_TYPES))
    elif op == "big":
        node[key] = rng.choice(BIG_NUMBERS)
    elif op == "neg":
        node[key] = -old if isinstance(old, int | float) and not isinstance(old, bool) else -1
    elif op == "nonfinite":
        node[key] = rng.choice(NON_FINITE)
    elif op == "deep":
        node[key] = _nested(rng.choice(DEPTHS))
    elif op == "text":
        # Half the time a lone surrogate: the class that crashed both the CLI and the API.
        bad = rng.choice(BAD_TEXT[:3] if rng.random() < 0.5 else BAD_TEXT)
        node[key] = bad if rng.random() < 0.5 else f"{old}{bad}"
    elif op == "time":
        node[key] = rng.choice(ODD_TIMES)
    elif op == "delete":
        del node[key]
    elif op == "extra":
        target = old if isinstance(old, dict) else node if isinstance(node, dict) else None
        if target is None:
            node[key] = {"zz_extra": 1}
        else:
            target[rng.choice(["zz_extra", "\ud800", "", "id", "weight"])] = copy.deepcopy(
                rng.choice(WRONG_TYPES + NON_FINITE + BAD_TEXT[:4]))
    elif op == "dangle":
        refs = [(n, k) for n, k in nodes if k in REF_KEYS or (isinstance(n, list) and
                                                              isinstance(n[k], str))]
        n, k = rng.choice(refs) if refs else (node, key)
        n[k] = rng.choice(["nope", "", "v1 ", "N1"] + (other_ids or []))
    elif op == "dup":
        lists = [(n, k) for n, k in nodes if isinstance(n[k], list) and n[k]]
        if lists:
            n, k = rng.choice(lists)
            n[k].append(copy.deepcopy(rng.choice(n[k])))
    elif op == "empty":
        node[key] = [] if isinstance(old, list) else {} if isinstance(old, dict) else ""
    elif op == "swap_id":
        ids = _ids(doc) or (other_ids or ["x"])
        node[key] = rng.choice(ids)
    return f"{op}@{key!r}"


def rename_id(docs: list[Any], rng: random.Random) -> str:
    """Give one entity a new id everywhere it is named (references stay intact), made of odd
    text: the documents stay valid but for the text itself."""
    ids = _ids(docs[0])
    if not ids:
        return "rename:none"
    old = rng.choice(ids)
    bad = rng.choice(BAD_TEXT[:3] if rng.random() < 0.6 else BAD_TEXT + ["\u00e9\u4e2d"])
    new = bad if rng.random() < 0.3 else f"{old}{bad}"
    for doc in docs:
        for node, key in _nodes(doc):
            if node[key] == old:
                node[key] = new
    return f"rename:{old!r}->{new!r}"


def _dumps(doc: Any) -> bytes:
    # ensure_ascii writes lone surrogates as \\ud800 escapes; NaN and Infinity as literals.
    return json.dumps(doc).encode()


def mutate_text(text: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Break a document at the level of its JSON text."""
    op = rng.choice(TEXT_OPS)
    if op == "truncate":
        text = text[: rng.randrange(len(text))]
    elif op == "bad_byte":
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + text[i:]
    elif op == "bom":
        text = b"\xef\xbb\xbf" + text
    elif op == "garbage":
        text = text + rng.choice([b" x", b"}", b"\n{}", b","])
    elif op in ("nan_text", "big_text", "long_int"):
        literal = {"nan_text": rng.choice([b"NaN", b"Infinity", b"-Infinity"]),
                   "big_text": rng.choice([b"1e400", b"-1e999", b"1E+309"]),
                   "long_int": b"7" * rng.choice([20, 4300, 4301, 6000])}[op]
        numbers = list(re.finditer(rb"(?<=[:\[,] )-?\d+(\.\d+)?", text))
        if numbers:
            m = rng.choice(numbers)
            text = text[: m.start()] + literal + text[m.end():]
    elif op == "deep_text":
        depth = rng.choice([1_000, 5_000, 100_000])
        text = text[:-1] + b', "zz": ' + b"[" * depth + b"]" * depth + b"}"
    elif op == "empty":
        text = rng.choice([b"", b" ", b"null", b"[]", b"0", b'"x"'])
    elif op == "not_object":
        text = b"[" + text + b"]"
    return text, op


def mutate_case(base: tuple[dict[str, Any], dict[str, Any]], rng: random.Random,
                plan: bool = True) -> FuzzCase:
    """A problem (and plan) with one to three mutations, or an entity renamed to odd text;
    about one case in ten is left valid."""
    problem, plan_doc = copy.deepcopy(base[0]), copy.deepcopy(base[1])
    ops: list[str] = []
    if rng.random() < 0.15:
        ops.append(rename_id([problem, plan_doc], rng))
    elif rng.random() >= 0.1:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            target = plan_doc if plan and rng.random() < 0.4 else problem
            ops.append(("plan:" if target is plan_doc else "problem:")
                       + mutate_doc(target, rng, _ids(problem)))
    texts = {"problem": _dumps(problem), "plan": _dumps(plan_doc)}
    if rng.random() < 0.15:
        which = "plan" if plan and rng.random() < 0.4 else "problem"
        texts[which], op = mutate_text(texts[which], rng)
        ops.append(f"{which}:text:{op}")
    return FuzzCase(problem=texts["problem"], plan=texts["plan"], ops=ops)


@dataclass
class Outcome:
    command: str
    code: int | None
    stdout: str
    stderr: str
    crash: str | None
    directory: Path
    problem: Path
    plan: Path
    out: Path


def run_cli(case: FuzzCase, directory: Path, command: str = "validate",
            time_limit: float = 2.0) -> Outcome:
    """`matcher validate PROBLEM PLAN` or `matcher solve PROBLEM --out OUT`, in-process."""
    directory.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(dir=directory))  # fresh, even when a case is rerun
    problem, plan = directory / "problem.json", directory / "plan.json"
    out_dir = directory / "out"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / "new-plan.json"
    problem.write_bytes(case.problem)
    plan.write_bytes(case.plan)
    if command == "validate":
        argv = ["validate", str(problem), str(plan)]
    else:
        argv = ["solve", str(problem), "--quiet", "--workers", "1",
                "--time-limit", str(time_limit), "--out", str(out)]
    stdout, stderr = io.StringIO(), io.StringIO()
    crash = None
    code: int | None = None
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = e.code if isinstance(e.code, int) else 2
        except BaseException:  # noqa: BLE001 - the very thing a fuzzer looks for
            crash = traceback.format_exc()
    return Outcome(command, code, stdout.getvalue(), stderr.getvalue(), crash, directory,
                   problem, plan, out)


_ERROR = re.compile(r"^matcher: error: (?P<file>.+?): (?P<path>[^ :]*[^:]*?): (?P<msg>.+)$")


def cli_problems(case: FuzzCase, o: Outcome) -> list[str]:
    """What is wrong with an outcome (empty when it is what SPEC and the README promise)."""
    bad: list[str] = []
    if o.crash is not None:
        return [f"crashed: {o.crash}"]
    if "Traceback" in o.stderr:
        bad.append("a traceback on standard error")
    allowed = {0, 1, 2} if o.command == "validate" else {0, 2}
    if o.code not in allowed:
        bad.append(f"exit {o.code}")
    written = sorted(p.name for p in (o.directory / "out").iterdir())
    if o.code == 2:
        first = o.stderr.splitlines()[0] if o.stderr else ""
        files = (str(o.problem), str(o.plan))
        if not any(first.startswith(f"matcher: error: {f}: ") for f in files):
            bad.append(f"exit 2 without the file up front: {first[:300]!r}")
        elif not _ERROR.match(first):
            bad.append(f"exit 2 without a JSON path: {first[:300]!r}")
        if written:
            bad.append(f"exit 2 but wrote {written}")
    if o.command == "solve" and o.code == 0:
        if written != [o.out.name]:
            bad.append(f"exit 0 but the out directory holds {written}")
        else:
            problem = load_problem(o.problem)
            violations = validate(problem, load_plan(o.out, problem))
            if violations:
                bad.append(f"the plan written breaks {violations[0]}")
    listed = re.search(r"^(rule \d+|objective): ", o.stdout, re.MULTILINE)
    if o.command == "validate" and o.code == 1 and not listed:
        bad.append("exit 1 without a broken rule listed")
    return bad


def check_cli_outcome(case: FuzzCase, outcome: Outcome) -> None:
    bad = cli_problems(case, outcome)
    assert not bad, f"{case.ops}: {bad}\nstderr: {outcome.stderr[:2000]}"


# --- the HTTP API ----------------------------------------------------------------------------

CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "", "application/xml",
                 "application/json; charset=latin-1", "application/problem+json"]
ODD_IDS = ["x", "\x00", "%00", "%ED%A0%80", "..", "%2e%2e", "a" * 5000, "1" * 30, "\u00b2",
           "%F0%9F%98%80", "' OR 1=1 --"]


def _changes(problem: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """One to three valid replan changes for a conformance problem."""
    need = {**copy.deepcopy(rng.choice(problem["needs"])), "id": f"n-new-{rng.randrange(99)}"}
    vol = {**copy.deepcopy(rng.choice(problem["volunteers"])), "id": "v-new"}
    venue = {**copy.deepcopy(rng.choice(problem["venues"])), "id": "u-new"}
    fund = {**copy.deepcopy(rng.choice(problem["funds"])), "id": "f-new"}
    options = [
        {"op": "withdraw_volunteer", "volunteer": rng.choice(problem["volunteers"])["id"]},
        {"op": "close_venue", "venue": rng.choice(problem["venues"])["id"]},
        {"op": "cancel_need", "need": rng.choice(problem["needs"])["id"]},
        {"op": "grow_fund", "fund": rng.choice(problem["funds"])["id"],
         "amount": rng.choice([1, 500, 10**12])},
        {"op": "add_need", "need": need}, {"op": "add_volunteer", "volunteer": vol},
        {"op": "add_venue", "venue": venue}, {"op": "add_fund", "fund": fund},
    ]
    return rng.sample(options, rng.choice([1, 1, 2, 3]))


def api_request(rng: random.Random, finished_job: str) -> tuple[str, str, bytes,
                                                                dict[str, Any], list[str]]:
    """One request to the API: (method, path, body, headers, what was done)."""
    problem, plan = copy.deepcopy(BASES["c01"])
    need_ids = [n["id"] for n in problem["needs"]]
    kind = rng.choice(["validate", "validate", "solve", "jobs", "replan", "recommend",
                       "recommend_job", "get"])
    ops = [kind]
    headers: dict[str, Any] = {"content-type": "application/json"}
    if kind == "get":
        # Percent-encoded, so that a NUL or a lone surrogate's bytes reach the server.
        job = quote(rng.choice([finished_job, rng.choice(ODD_IDS)]), safe="%")
        odd = quote(rng.choice(ODD_IDS), safe="%")
        path = rng.choice([f"/v1/jobs/{job}", f"/v1/jobs/{job}/plan", "/v1/jobs?limit=0",
                           "/v1/jobs?state=nope", f"/v1/jobs?cursor={odd}",
                           f"/v1/jobs?limit={rng.choice(['x', '1e3', '-1', '201', '9' * 30])}"])
        if rng.random() < 0.3:
            path = f"/v1/jobs/{finished_job}/events"
            headers["Last-Event-ID"] = rng.choice(["\u00b2", "1" * 23, "9" * 5000, "-1", "2"]
                                                  ).encode()
        return "GET", path, b"", headers, ops + [path[:80]]
    body: dict[str, Any]
    if kind == "replan":
        path = f"/v1/jobs/{finished_job}/replan"
        body = {"changes": _changes(problem, rng), "time_limit": 0.5}
    else:
        case_problem, case_plan = problem, plan
        if rng.random() < 0.85:
            if rng.random() < 0.15:
                ops.append(rename_id([case_problem, case_plan], rng))
            else:
                for _ in range(rng.choice([1, 1, 2])):
                    target = case_plan if kind in ("validate", "recommend") and \
                        rng.random() < 0.4 else case_problem
                    ops.append(mutate_doc(target, rng, need_ids))
        if kind == "validate":
            path, body = "/v1/validate", {"problem": case_problem, "plan": case_plan}
        elif kind == "solve":
            path, body = "/v1/solve", {"problem": case_problem, "time_limit": 0.5}
        elif kind == "jobs":
            path, body = "/v1/jobs", {"problem": case_problem, "time_limit": 0.5}
        elif kind == "recommend":
            path, body = "/v1/recommend", {"problem": case_problem, "plan": case_plan,
                                           "need": rng.choice(need_ids), "k": 2}
        else:
            path, body = "/v1/recommend", {"job": finished_job, "need": rng.choice(need_ids)}
    if rng.random() < 0.3:  # the request's own fields: time_limit, seed, k, changes, ...
        ops.append("body:" + mutate_doc(body, rng, need_ids))
    text = _dumps(body)
    if rng.random() < 0.1:
        text, op = mutate_text(text, rng)
        ops.append(f"text:{op}")
    if rng.random() < 0.05:
        headers["content-type"] = rng.choice(CONTENT_TYPES)
        ops.append(f"content-type:{headers['content-type']}")
    return "POST", path, text, headers, ops


def api_problems(status: int, content_type: str, content: bytes) -> list[str]:
    """What is wrong with a response (empty when it is a clean answer or a clean refusal)."""
    if status >= 500:
        return [f"{status}: {content[:500]!r}"]
    bad: list[str] = []
    if status >= 400 and status != 405:
        if not content_type.startswith("application/json"):
            bad.append(f"{status} with content-type {content_type!r}")
        else:
            detail = json.loads(content).get("detail")
            if not detail:
                bad.append(f"{status} without a detail")
            elif status == 422 and not all("path" in d for d in detail):
                bad.append(f"422 without a JSON path: {detail}")
    return bad


def check_api_response(ops: list[str], status: int, content_type: str, content: bytes) -> None:
    bad = api_problems(status, content_type, content)
    assert not bad, f"{ops}: {bad}"
