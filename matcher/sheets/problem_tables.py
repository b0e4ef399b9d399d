"""A problem as the import sheets (to edit it in a spreadsheet), and the empty templates.

Writing a problem and importing it back gives the same problem: times are written as ISO 8601
text with their offsets, money in yuan, lists comma-separated.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from matcher.model import Interval, Problem
from matcher.sheets.schema import (
    FORBID,
    FUNDS,
    NEEDS,
    PINS,
    PROBLEM,
    ROLES,
    SHEETS,
    VENUE_AVAILABILITY,
    VENUES,
    VOLUNTEER_AVAILABILITY,
    VOLUNTEERS,
    Sheet,
)
from matcher.sheets.writer import Table


def yuan(fen: int | None) -> int | float | None:
    """Fen to yuan for a cell: whole yuan as an integer, else two decimals."""
    if fen is None:
        return None
    y = Decimal(fen) / 100
    return int(y) if y == y.to_integral_value() else float(y)


def _join(items: Sequence[str]) -> str | None:
    return ", ".join(items) if items else None


def _num(v: float | None) -> int | float | str | None:
    if isinstance(v, float):
        if v.is_integer():
            return int(v)
        # A workbook holds 15-16 significant digits; a longer float is written as its exact
        # text (a number cell would come back a different float), which imports the same.
        if len(repr(v).lstrip("-").replace(".", "").lstrip("0")) > 15:
            return repr(v)
    return v


def _table(sheet: Sheet, rows: Sequence[Sequence[Any]]) -> Table:
    return Table(sheet.title, f"{sheet.key}.csv", [c.header for c in sheet.columns], rows)


def _mode(avail: list[Interval] | None) -> str | None:
    return "always" if avail is None else "never" if not avail else None


def problem_tables(problem: Problem) -> list[Table]:
    """The problem as the ten import sheets."""
    ow = problem.objective
    fair = ow.fairness.region_depth if ow.fairness is not None else None
    tables = [_table(PROBLEM, [(problem.name or None, problem.currency,
                                ", ".join(str(w) for w in ow.priority_weights), fair, None)])]
    vols, vwin = [], []
    for v in problem.volunteers:
        extra = v.model_extra or {}
        vols.append((v.id, extra.get("name"), _num(v.location.lat), _num(v.location.lon),
                     _join(v.skills), _num(v.max_hours), _num(v.max_travel_km),
                     _mode(v.availability)))
        for w in v.availability or ():
            vwin.append((v.id, w.start.isoformat(), w.end.isoformat()))
    tables += [_table(VOLUNTEERS, vols), _table(VOLUNTEER_AVAILABILITY, vwin)]
    venues, uwin = [], []
    for u in problem.venues:
        venues.append((u.id, u.name or None, _num(u.location.lat), _num(u.location.lon),
                       u.capacity, _join(u.features), _num(u.rating), _mode(u.availability)))
        for w in u.availability or ():
            uwin.append((u.id, w.start.isoformat(), w.end.isoformat()))
    tables += [_table(VENUES, venues), _table(VENUE_AVAILABILITY, uwin)]
    tables.append(_table(FUNDS, [
        (f.id, f.donor or None, yuan(f.amount), _join(f.categories), _join(f.regions),
         f.expires.isoformat() if f.expires else None) for f in problem.funds]))
    needs, roles = [], []
    for n in problem.needs:
        vr = n.venue
        needs.append((n.id, n.title or None, n.category or None, n.region or None,
                      _num(n.location.lat), _num(n.location.lon), n.start.isoformat(),
                      n.end.isoformat(), n.priority, yuan(n.funding) if n.funding else None,
                      n.weight, vr.capacity if vr else None, _join(vr.features) if vr else None,
                      _num(vr.max_distance_km) if vr else None))
        for r in n.roles:
            roles.append((n.id, r.skill, r.count, r.min_count))
    tables += [_table(NEEDS, needs), _table(ROLES, roles)]
    tables.append(_table(PINS, [(p.need, p.volunteer, p.venue, p.fund, yuan(p.amount))
                                for p in problem.pins]))
    tables.append(_table(FORBID, [(f.need, f.volunteer, f.venue, f.fund)
                                  for f in problem.forbid]))
    return tables


README_TITLE = "README 说明"

_INTRO = [
    ("matcher problem workbook / matcher 问题工作簿", ""),
    ("Fill in one sheet per kind of entry; replace the example rows. "
     "Row 1 is the header; keep the column names (Chinese, English or both).",
     "每类数据一张表，替换示例行。第 1 行为表头；列名可用中文、英文或两者。"),
    ("Lists (skills, features, categories, regions): separate with , ， or 、",
     "多值单元格（技能、设施、类别、区域）用 , ， 或 、 分隔"),
    ("Times: 2026-12-05T08:00:00+08:00, or a date-time cell (the problem sheet's utc_offset "
     "applies). Amounts in yuan. Availability: one window per row in its own sheet.",
     "时间：2026-12-05T08:00:00+08:00，或日期时间单元格（按问题表的时区）。金额以元计。"
     "可用时段：每行一个时段，单独成表。"),
    ("Region codes: format the cells as text so that leading zeros stay (001).",
     "区域编码请设为文本格式，以保留前导零（001）。"),
    ("Columns whose header starts with # are notes and are ignored; so are unknown sheets.",
     "表头以 # 开头的列为备注，不导入；未知的表也不导入。"),
    ("", ""),
]


def readme_rows() -> list[tuple[str, str, str, str, str]]:
    """Sheet, column, required, meaning (English), meaning (Chinese): one row per column."""
    rows: list[tuple[str, str, str, str, str]] = [("", "", "", en, zh) for en, zh in _INTRO]
    for s in SHEETS:
        rows.append((s.title, "", "", s.en_doc, s.zh_doc))
        for c in s.columns:
            rows.append(("", c.header, "yes 必填" if c.required else "", c.en_doc, c.zh_doc))
    return rows


def readme_table() -> Table:
    return Table(README_TITLE, "README.csv",
                 ["sheet 表", "column 列", "required 必填", "meaning", "说明"],
                 list(readme_rows()), widths=[30, 36, 12, 70, 60])


def readme_text() -> str:
    """The README as plain text, for a zip or folder of CSV files."""
    lines = [f"{en}\n{zh}" if zh else en for en, zh in _INTRO]
    for s in SHEETS:
        lines += [f"== {s.key}.csv ({s.zh}) ==", f"{s.en_doc} / {s.zh_doc}"]
        for c in s.columns:
            req = " (required 必填)" if c.required else ""
            lines.append(f"  {c.header}{req}: {c.en_doc} / {c.zh_doc}")
        lines.append("")
    return "\n".join(lines)


def template_tables() -> list[Table]:
    """The empty templates: the README, then every sheet with its one example row."""
    return [readme_table()] + [_table(s, [s.example]) for s in SHEETS]
