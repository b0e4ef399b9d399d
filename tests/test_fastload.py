"""The fast loading path (matcher/fastload.py) gives exactly the model's problem for valid
documents, and steps aside (None) for anything else, so that errors keep their JSON paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matcher.fastload import fast_problem
from matcher.io import FAST_MIN_BYTES, decode_json, load_problem
from matcher.model import InputError, parse_problem

REPO = Path(__file__).parents[1]
CONFORMANCE = Path(__file__).parent / "data" / "conformance"
DOCS = sorted(CONFORMANCE.glob("*.problem.json")) + [
    REPO / "scenarios" / f"{name}.json" for name in ("tianchang", "zhecheng", "runzhou")]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_same_problem_as_the_model(path: Path) -> None:
    raw = path.read_bytes()
    fast = fast_problem(raw, str(path))
    slow = parse_problem(decode_json(raw, str(path)), str(path), checked=True)
    if fast is None:
        # Allowed only when the document uses what the fast path leaves to the model.
        pytest.skip(f"{path.name}: not taken by the fast path")
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()


VALID = {"unknown key", "integer written 40.0"}


def _runzhou() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REPO / "scenarios" / "runzhou.json").read_text())
    return doc


def _mutations() -> list[tuple[str, Any]]:
    def at(path: list[Any], value: Any) -> Any:
        def apply(doc: dict[str, Any]) -> None:
            node: Any = doc
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        return apply

    def swap_need_times(doc: dict[str, Any]) -> None:
        n = doc["needs"][5]
        n["start"], n["end"] = n["end"], n["start"]

    def swap_window(doc: dict[str, Any]) -> None:
        # A window whose text other volunteers list the right way round: the shared window
        # objects (one per distinct text) must not let the reversed one through.
        w = next(v["availability"][0] for v in doc["volunteers"] if v.get("availability"))
        w["start"], w["end"] = w["end"], w["start"]

    def dup_id(doc: dict[str, Any]) -> None:
        doc["volunteers"][3]["id"] = doc["volunteers"][1]["id"]

    def dangling(doc: dict[str, Any]) -> None:
        doc["pins"] = [{"need": "no-such-need", "volunteer": doc["volunteers"][0]["id"]}]

    def min_above_count(doc: dict[str, Any]) -> None:
        role = next(r for n in doc["needs"] for r in n["roles"])
        role["min_count"] = role["count"] + 1

    def nothing_asked(doc: dict[str, Any]) -> None:
        n = doc["needs"][2]
        n["roles"], n["funding"] = [], 0
        n.pop("venue", None)

    return [
        ("end before start", swap_need_times),
        ("availability window end before start", swap_window),
        ("availability window of no length",
         at(["venues", 0, "availability"], [{"start": "2024-05-01T08:00:00+08:00",
                                             "end": "2024-05-01T08:00:00+08:00"}])),
        ("duplicate id", dup_id),
        ("dangling pin", dangling),
        ("min_count above count", min_above_count),
        ("need asks for nothing", nothing_asked),
        ("unknown key", at(["volunteers", 2, "favourite_colour"], "blue")),
        ("integer written 40.0", at(["needs", 1, "priority"], 3.0)),
        ("naive time", at(["needs", 4, "start"], "2024-05-01T08:00:00")),
        ("lowercase z", at(["needs", 4, "start"], "2024-05-01T08:00:00z")),
        ("fraction of a second", at(["needs", 4, "end"], "2099-05-01T08:00:00.5+08:00")),
        ("bool for a number", at(["volunteers", 0, "max_travel_km"], True)),
        ("latitude out of range", at(["volunteers", 0, "location", "lat"], 91)),
        ("empty id", at(["needs", 0, "id"], "")),
        ("priority 6", at(["needs", 0, "priority"], 6)),
        ("two weights", at(["objective", "priority_weights"], [1, 2])),
        ("version 2", at(["version"], 2)),
    ]


@pytest.mark.parametrize("name,mutate", _mutations(), ids=[n for n, _ in _mutations()])
def test_bad_documents_go_to_the_model_with_their_path(tmp_path: Path, name: str,
                                                       mutate: Any) -> None:
    doc = _runzhou()
    mutate(doc)
    raw = json.dumps(doc).encode()
    assert len(raw) >= FAST_MIN_BYTES  # load_problem would try the fast path
    assert fast_problem(raw) is None, name
    path = tmp_path / "p.json"
    path.write_bytes(raw)
    try:
        parse_problem(decode_json(raw, str(path)), str(path), checked=True)
        expected = None
    except InputError as err:
        expected = str(err)
    try:
        load_problem(path)
        got = None
    except InputError as err:
        got = str(err)
    assert got == expected
    if name in VALID:  # the model takes these; the fast path leaves them to it
        assert expected is None and load_problem(path) == parse_problem(doc)
    elif name != "lowercase z":
        assert got is not None, f"{name} was accepted"


@pytest.mark.parametrize("text", [b'{"version": 1, "name": "\\ud800"}',
                                  b'{"version": 1, "volunteers": [{"id": "v", "location": '
                                  b'{"lat": 1e400, "lon": 0}}]}',
                                  b'{"version": NaN}', b"[]", b"not json"])
def test_what_check_document_refuses_is_left_to_it(text: bytes) -> None:
    assert fast_problem(text) is None
