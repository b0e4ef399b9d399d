"""The named scenarios: reproducible, valid and sized after shared/FIELD.md."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"
NAMES = ["tianchang", "chengyang", "runzhou", "zhecheng", "yibin"]


def _doc(name):
    with open(SCEN / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.mark.parametrize("name", ["runzhou", "tianchang", "zhecheng"])
def test_regeneration_is_byte_identical(tmp_path, name):
    subprocess.run(
        [sys.executable, str(SCEN / "generate.py"), "--only", name, "--out-dir", str(tmp_path)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    assert filecmp.cmp(tmp_path / f"{name}.json", SCEN / f"{name}.json", shallow=False)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_is_a_valid_problem(name):
    io = pytest.importorskip("matcher.io")
    problem = io.load_problem(SCEN / f"{name}.json")
    assert problem is not None


@pytest.mark.parametrize("name", NAMES)
def test_basic_shape(name):
    d = _doc(name)
    assert d["version"] == 1 and d["name"] == name and d["currency"] == "CNY"
    for key in ("volunteers", "venues", "funds", "needs"):
        ids = [x["id"] for x in d[key]]
        assert len(ids) == len(set(ids))
    for n in d["needs"]:
        assert n["start"].endswith("+08:00") and n["end"] > n["start"]
        assert n["roles"] or n.get("funding", 0) > 0 or n.get("venue")
        skills = [r["skill"] for r in n["roles"]]
        assert len(skills) == len(set(skills))
        assert all(1 <= r.get("min_count", r["count"]) <= r["count"] for r in n["roles"])
    for f in d["funds"]:
        assert isinstance(f["amount"], int) and f["amount"] > 0
    assert all(isinstance(n.get("funding", 0), int) for n in d["needs"])


def _cats(d):
    return Counter(n["category"] for n in d["needs"])


def _fund_total(d, cat):
    return sum(f["amount"] for f in d["funds"] if cat in f.get("categories", []))


def test_tianchang_figures():
    d = _doc("tianchang")
    c = _cats(d)
    assert len(d["volunteers"]) == 305 + 68 + 148 + 82
    assert len(d["venues"]) == 22 + 5 + 1
    assert c["counselling_visit"] == 258 and c["micro_wish"] == 430
    assert _fund_total(d, "student_aid") == 99000 * 100
    assert _fund_total(d, "micro_wish") == 58000 * 100
    assert all(n["region"].startswith("341181/") for n in d["needs"])
    assert 500 <= len(d["needs"]) <= 3000


def test_chengyang_figures():
    d = _doc("chengyang")
    c = _cats(d)
    assert len(d["volunteers"]) == 3284
    assert sum(1 for u in d["venues"] if u["name"].startswith("Hope Cabin")) == 9
    assert sum(1 for u in d["venues"] if u["name"].startswith("Youth Station")) == 4
    assert c["checkpoint"] + c["testing_support"] + c["disinfection"] >= 2000
    assert _fund_total(d, "surge_supplies") == 150000 * 100
    assert _fund_total(d, "hope_cabin") == 351000 * 100
    assert len({n["region"] for n in d["needs"]}) >= 100  # ~120 communities in 8 streets
    assert {n["region"].split("/")[1] for n in d["needs"] if "/" in n["region"]} == {
        f"{i:03d}" for i in range(1, 9)
    }


def test_runzhou_figures():
    d = _doc("runzhou")
    names = [u["name"] for u in d["venues"]]
    assert sum(1 for x in names if x.startswith("Badminton court")) == 3
    assert sum(1 for x in names if x.startswith("Table-tennis room")) == 2
    assert len(d["funds"]) == 30
    tree = [n for n in d["needs"] if n["category"] == "tree_planting"][0]
    assert tree["roles"][0]["count"] >= 100 and tree["venue"]["features"] == ["open_land"]
    assert sum(1 for n in d["needs"] if "(led by " in n["title"]) == 30
    assert any(n["category"] == "sports_tournament" for n in d["needs"])
    assert d["pins"] and d["forbid"]


def test_zhecheng_figures():
    d = _doc("zhecheng")
    c = _cats(d)
    assert c["student_aid"] == 455
    aid = [n["funding"] for n in d["needs"] if n["category"] == "student_aid"]
    assert min(aid) >= 57000 and max(aid) <= 123000
    assert sum(1 for v in d["volunteers"] if "counselling" in v["skills"]) == 22
    assert c["counselling_event"] == 88 and c["counselling_session"] == 405
    assert _fund_total(d, "student_aid") >= 560000 * 100
    assert sum(f["amount"] for f in d["funds"] if "Mental Health" in f["donor"]) == 83800 * 100
    assert (
        sum(f["amount"] for f in d["funds"] if "Village Counselling" in f["donor"]) == 60000 * 100
    )
    assert sum(1 for u in d["venues"] if u["name"].startswith("Youth Home")) == 24
    assert sum(1 for u in d["venues"] if u["name"].startswith("Youth Counselling Home")) == 2
    assert len({n["region"].split("/")[1] for n in d["needs"]}) == 24
    assert d["objective"]["fairness"] == {"region_depth": 2}


def test_yibin_figures():
    d = _doc("yibin")
    c = _cats(d)
    assert len(d["volunteers"]) == 10000
    assert len(d["venues"]) == 164
    assert all("rating" in u and 0 <= u["rating"] <= 5 for u in d["venues"])
    assert c["student_aid"] == 4379
    assert len(d["needs"]) - c["student_aid"] >= 3200
    assert sum(f["amount"] for f in d["funds"]) == 2496000 * 100
    assert len({n["region"].split("/")[0] for n in d["needs"]}) == 10
    assert (SCEN / "yibin.json").stat().st_size < 25_000_000
