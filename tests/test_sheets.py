"""Spreadsheets in and out: round trips of every scenario, the templates, errors named by sheet,
row and column, and the `matcher import` / `matcher export` commands."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, tiny_problem
from openpyxl import Workbook, load_workbook

from matcher import sheets
from matcher.cli import main
from matcher.io import load_problem
from matcher.model import parse_plan, parse_problem
from matcher.solver import SolveParams, solve

SCENARIOS = sorted(p.stem for p in (REPO / "scenarios").glob("*.json"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_round_trips_through_xlsx_and_csv(name: str) -> None:
    problem = load_problem(REPO / "scenarios" / f"{name}.json")
    from_xlsx = sheets.import_bytes(sheets.problem_xlsx(problem), f"{name}.xlsx")
    assert from_xlsx.kind == "xlsx"
    assert from_xlsx.problem == problem
    from_csv = sheets.import_bytes(sheets.problem_zip(problem), f"{name}.zip")
    assert from_csv.kind == "zip"
    assert from_csv.problem == problem
    # The document returned is SPEC's JSON for the same problem.
    assert parse_problem(from_csv.doc) == problem


def test_the_templates_import_as_one_small_problem_that_solves() -> None:
    a = sheets.import_bytes(sheets.template_xlsx(), "problem.xlsx")
    b = sheets.import_bytes(sheets.template_zip(), "problem-csv.zip")
    assert a.doc == b.doc
    p = a.problem
    assert [len(p.volunteers), len(p.venues), len(p.funds), len(p.needs)] == [1, 1, 1, 1]
    assert p.volunteers[0].skills == ["teaching", "first_aid"]
    assert p.needs[0].roles[0].minimum == 1 and p.needs[0].venue is not None
    plan = solve(p, SolveParams(time_limit=10)).plan
    assert plan.met == ["n1"]
    wb = load_workbook(io.BytesIO(sheets.template_xlsx()), read_only=True)
    assert wb.sheetnames[0] == "README 说明"
    readme = [r for r in wb["README 说明"].iter_rows(values_only=True)]
    text = json.dumps(readme, ensure_ascii=False)
    assert "纬度 lat" in text and "latitude" in text and "每类数据一张表" in text


def _xlsx(sheets_rows: dict[str, list[list[Any]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets_rows.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_NEEDS = [["id", "标题", "lat", "lon", "start", "end", "优先级 priority"],
              ["n1", "Class", 32.69, 119.0, "2026-12-05 16:30", "2026-12-05 18:00", 3]]


def _errors(data: bytes, name: str = "p.xlsx") -> list[dict[str, Any]]:
    with pytest.raises(sheets.ImportErrors) as exc:
        sheets.import_bytes(data, name)
    return [e.as_dict() for e in exc.value.errors]


def test_headers_are_bilingual_lists_take_chinese_commas_and_naive_times_get_the_offset(
) -> None:
    data = _xlsx({
        "问题": [["时区 utc_offset", "name"], ["+09:00", "t"]],
        "志愿者": [["编号", "纬度 (lat)", "lon", "技能 skills"],
                 ["v1", 32.7, 119.0, "teaching，first_aid、photography"]],
        "needs 需求": GOOD_NEEDS,
        "roles": [["need", "skill", "count"], ["n1", "teaching", 1]],
        "notes": [["anything"], ["ignored"]],
    })
    p = sheets.import_bytes(data, "p.xlsx").problem
    assert p.volunteers[0].skills == ["teaching", "first_aid", "photography"]
    assert p.needs[0].start.isoformat() == "2026-12-05T16:30:00+09:00"
    assert p.volunteers[0].availability is None  # no windows listed: always available


def test_every_error_names_sheet_row_and_column_and_nothing_is_imported() -> None:
    data = _xlsx({
        "volunteers": [["id", "lat", "lon", "max_hours", "colour"],
                       ["v1", 32.7, 119.0, 8, "red"],
                       ["v1", 95, 119.0, 8, None],
                       ["v2", 32.7, 119.0, "eight", None]],
        "volunteer_availability": [["volunteer", "start", "end"],
                                   ["v9", "2026-12-05T08:00:00+08:00",
                                    "2026-12-05T18:00:00+08:00"],
                                   ["v2", "2026-12-05T18:00:00+08:00",
                                    "2026-12-05T08:00:00+08:00"]],
        "needs": GOOD_NEEDS,
        "roles": [["need", "skill", "count", "min_count"], ["n1", "teaching", 1, 2],
                  ["n2", "teaching", 1, None]],
        "funds": [["id", "amount"], ["f1", 12.345]],
    })
    errs = _errors(data)
    where = {(e["sheet"], e["row"], e["column"]) for e in errs}
    assert ("volunteers", 1, "colour") in where  # unknown column
    assert ("volunteers", 4, "max_hours") in where  # not a number
    assert ("volunteers", 3, "id") in where  # duplicate id
    assert ("volunteer_availability", 2, "volunteer") in where  # dangling reference
    # v2's row has an error of its own: its window is not reported again as dangling.
    assert ("volunteer_availability", 3, "volunteer") not in where
    assert ("roles", 3, "need") in where
    assert ("funds", 2, "amount") in where  # more than two decimals
    msgs = {(e["sheet"], e["row"], e["column"]): e["message"] for e in errs}
    assert "fen" in msgs[("funds", 2, "amount")]
    assert "duplicate id 'v1' (first at row 2)" in msgs[("volunteers", 3, "id")]


def test_model_errors_map_back_to_their_cells() -> None:
    # Cell-level checks pass; SPEC's model rejects the values. Each error still names a cell.
    data = _xlsx({
        "volunteers": [["id", "lat", "lon"], ["v1", 95, 119.0]],
        "volunteer_availability": [["volunteer", "start", "end"],
                                   ["v1", "2026-12-05T18:00:00+08:00",
                                    "2026-12-05T08:00:00+08:00"]],
        "needs": GOOD_NEEDS,
        "roles": [["need", "skill", "count", "min_count"], ["n1", "teaching", 1, 2]],
    })
    errs = _errors(data)
    where = {(e["sheet"], e["row"], e["column"]) for e in errs}
    assert ("volunteers", 2, "lat") in where
    assert ("volunteer_availability", 2, "end") in where
    assert ("roles", 2, "min_count") in where


def test_missing_columns_bad_files_and_json_errors() -> None:
    errs = _errors(_xlsx({"needs": [["id", "lat"], ["n1", 1.0]]}))
    assert {e["column"] for e in errs} >= {"经度 lon", "开始 start", "结束 end",
                                           "优先级 priority"}
    errs = _errors(_xlsx({"whatever": [["a"], [1]]}))
    assert "no sheet or CSV file is named" in errs[0]["message"]
    with pytest.raises(sheets.InputError, match="not an .xlsx workbook"):
        sheets.import_bytes(b"hello", "p.txt")
    with pytest.raises(sheets.InputError, match="not a readable .xlsx"):
        sheets.import_bytes(b"PK\x03\x04garbage", "p.xlsx")
    bad = tiny_problem()
    bad["needs"][0]["priority"] = 9
    bad["volunteers"][0]["location"]["lat"] = 100
    with pytest.raises(sheets.JsonErrors) as exc:
        sheets.import_bytes(json.dumps(bad).encode(), "p.json")
    paths = {e["path"] for e in exc.value.errors}
    assert paths == {"needs[0].priority", "volunteers[0].location.lat"}


def test_csv_files_in_gb18030_and_a_zipped_folder_import() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        needs = "编号 id,标题 title,lat,lon,start,end,priority\r\n" \
                "n1,课后课堂,32.69,119.0,2026-12-05T16:30:00+08:00,2026-12-05T18:00:00+08:00,3\r\n"
        zf.writestr("folder/needs.csv", needs.encode("gb18030"))
        zf.writestr("folder/roles.csv", b"need,skill,count\nn1,teaching,1\n")
    p = sheets.import_bytes(buf.getvalue(), "p.zip").problem
    assert p.needs[0].title == "课后课堂"


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tiny")
    problem = parse_problem(tiny_problem())
    plan = solve(problem, SolveParams(time_limit=10)).plan
    (d / "p.json").write_text(json.dumps(tiny_problem()))
    (d / "plan.json").write_text(json.dumps(plan.to_json_dict()))
    return d / "p.json", d / "plan.json"


def test_cli_export_writes_the_plan_readable_and_import_reads_it_back(
        tiny_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prob, plan = tiny_files
    out = tmp_path / "plan.xlsx"
    assert main(["export", str(prob), str(plan), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["summary 概要", "by_need 按需求", "by_volunteer 按志愿者",
                             "by_venue 按场地", "by_fund 按资金", "fund_use 资金使用",
                             "unmet 未满足"]
    rows = list(wb["by_need 按需求"].iter_rows(values_only=True))
    assert rows[1][0] == "n1" and rows[1][1] == "After-school class"
    assert "met" in rows[1][8] and "v1" in rows[1][9] and "Youth Home" in rows[1][10]
    vol = list(wb["by_volunteer 按志愿者"].iter_rows(values_only=True))
    assert vol[1][0] == "v1" and vol[1][3] == "After-school class" and vol[1][8] == 0.3
    # A folder of CSV files, the same sheets.
    d = tmp_path / "csv"
    assert main(["export", str(prob), str(plan), "--out", str(d)]) == 0
    assert sorted(p.name for p in d.iterdir()) == sorted(
        ["summary.csv", "by_need.csv", "by_volunteer.csv", "by_venue.csv", "by_fund.csv",
         "fund_use.csv", "unmet.csv"])
    assert "After-school class" in (d / "by_need.csv").read_text(encoding="utf-8-sig")
    # Without a plan: the problem in the import layout, which imports back to the same.
    d2 = tmp_path / "problem"
    assert main(["export", str(prob), "--out", str(d2)]) == 0
    back = tmp_path / "back.json"
    assert main(["import", str(d2), "--out", str(back)]) == 0
    assert load_problem(back) == load_problem(prob)
    assert "imported 1 volunteers" in capsys.readouterr().err


def test_cli_import_of_bad_input_exits_2_naming_each_cell_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.xlsx"
    src.write_bytes(_xlsx({"needs": [GOOD_NEEDS[0], ["n1", "Class", "north", 119.0,
                                                     "2026-12-05 16:30", "soon", 3]]}))
    out = tmp_path / "out.json"
    assert main(["import", str(src), "--out", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "sheet 'needs', row 2, column 'lat': must be a number (got 'north')" in err
    assert "sheet 'needs', row 2, column 'end': not a time" in err
    assert "Traceback" not in err
    assert main(["import", str(tmp_path / "missing.xlsx")]) == 2


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_plan_sheets_name_funds_and_reasons(tmp_path: Path) -> None:
    doc = tiny_problem()
    doc["needs"].append({**doc["needs"][0], "id": "n2", "title": "Grant", "roles": [],
                         "venue": None, "funding": 150000, "category": "student_aid",
                         "region": "341181/001"})
    doc["needs"].append({**doc["needs"][0], "id": "n3", "title": "Counselling",
                         "roles": [{"skill": "counselling", "count": 1}], "venue": None})
    problem = parse_problem(doc)
    plan = solve(problem, SolveParams(time_limit=10)).plan
    data = sheets.plan_zip(problem, parse_plan(plan.to_json_dict(), problem))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        by_fund = zf.read("by_fund.csv").decode("utf-8-sig")
        unmet = zf.read("unmet.csv").decode("utf-8-sig")
        use = zf.read("fund_use.csv").decode("utf-8-sig")
    assert "Youth Entrepreneurs Association" in by_fund and "1500" in by_fund
    assert "n3,Counselling" in unmet and "counselling" in unmet.split("\n", 1)[1]
    assert "f1,Youth Entrepreneurs Association,99000,1500,97500,1" in use
