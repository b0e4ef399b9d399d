"""Raw tables to a SPEC problem document, every error named by sheet, row and column.

The importer reads every sheet it knows, collects every error it finds (up to a cap) rather
than stopping at the first, and returns a problem only when there are none: nothing is ever
half-imported.  The final word is `matcher.model.parse_problem`, SPEC's own check; its errors,
which carry JSON paths, are mapped back to the cell they came from.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timezone
from typing import Any

from pydantic import ValidationError

from matcher.model import InputError, Problem, parse_problem
from matcher.sheets import cells
from matcher.sheets.reader import RawTable
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
    match_column,
    match_sheet,
)

MAX_ERRORS = 200


@dataclass(frozen=True)
class SheetError:
    """One error in a workbook or CSV file: where it is and what is wrong."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}

    def __str__(self) -> str:
        where = [f"sheet {self.sheet!r}"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class ImportErrors(InputError):
    """A workbook or CSV set that cannot be imported; `errors` lists every problem found."""

    def __init__(self, errors: list[SheetError], source: str | None, more: int = 0):
        self.errors = errors
        first = errors[0]
        super().__init__("", str(first), source, more=len(errors) - 1 + more)
        self.dropped = more

    def report(self) -> str:
        """Every error on its own line, for the command line."""
        where = f"{self.source}: " if self.source else ""
        lines = [f"{where}{e}" for e in self.errors]
        if self.dropped:
            lines.append(f"{where}... and {self.dropped} more error(s) not listed")
        return "\n".join(lines)


class _TooMany(Exception):
    pass


@dataclass
class _Table:
    raw: RawTable
    sheet: Sheet
    index: dict[str, int] = field(default_factory=dict)  # column key -> position

    def header(self, key: str) -> str:
        i = self.index.get(key)
        return self.raw.header[i] if i is not None else key


class _Collector:
    def __init__(self) -> None:
        self.errors: list[SheetError] = []
        self.dropped = 0

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.dropped += 1
            if self.dropped > 10 * MAX_ERRORS:
                raise _TooMany
            return
        self.errors.append(SheetError(sheet, row, column, message))


Record = dict[str, Any]


class _Importer:
    def __init__(self, tables: list[RawTable]):
        self.err = _Collector()
        self.tables: dict[str, _Table] = {}
        self.tz: timezone = UTC
        # Ids of rows that had an error: rows referring to them are not reported again.
        self.failed: set[tuple[str, str]] = set()
        # JSON path prefix -> (sheet name, row): to map the model's errors back to cells.
        self.where: dict[tuple[str | int, ...], tuple[_Table, int]] = {}
        for raw in tables:
            sheet = match_sheet(raw.name)
            if sheet is None:
                continue  # README, notes, a coordinator's own sheets
            if sheet.key in self.tables:
                self.err.add(raw.name, None, None, f"a second {sheet.key!r} sheet (the first is "
                             f"{self.tables[sheet.key].raw.name!r}); merge them into one")
                continue
            self.tables[sheet.key] = self._columns(raw, sheet)

    def _columns(self, raw: RawTable, sheet: Sheet) -> _Table:
        t = _Table(raw, sheet)
        for i, h in enumerate(raw.header):
            if not h or h.startswith("#"):
                continue  # a comment column
            col = match_column(sheet, h)
            if col is None:
                known = ", ".join(c.key for c in sheet.columns)
                self.err.add(raw.name, 1, h, f"unknown column; the columns are: {known} "
                             "(start a header with # for a column of notes)")
            elif col.key in t.index:
                self.err.add(raw.name, 1, h, f"column {col.key!r} appears twice")
            else:
                t.index[col.key] = i
        if raw.header:
            for col in sheet.columns:
                if col.required and col.key not in t.index:
                    self.err.add(raw.name, 1, col.header,
                                 f"required column {col.key!r} ({col.zh}) is missing")
        return t

    def records(self, sheet: Sheet) -> list[tuple[int, Record]]:
        """The sheet's rows as {column key: JSON value}, blank cells left out."""
        t = self.tables.get(sheet.key)
        if t is None or any(c.required and c.key not in t.index for c in sheet.columns):
            return []  # a required column is missing: reported once, at the header
        cols = [(k, i, cells.parser(sheet.column(k).kind, self.tz), sheet.column(k).required,
                 t.raw.header[i]) for k, i in t.index.items()]
        out = []
        name = t.raw.name
        for rownum, row in t.raw.rows:
            rec: Record = {}
            ok = True
            width = len(row)
            for key, i, parse, required, header in cols:
                v = row[i] if i < width else None
                if v is None or v == "" or (isinstance(v, str) and not v.strip()):
                    if required:
                        self.err.add(name, rownum, header, "required, but empty")
                        ok = False
                    continue
                try:
                    rec[key] = parse(v)
                except cells.CellError as e:
                    self.err.add(name, rownum, header, str(e))
                    ok = False
            if ok:
                out.append((rownum, rec))
            elif "id" in rec:
                self.failed.add((sheet.key, rec["id"]))
        return out

    def missing(self, sheet: Sheet, rownum: int, key: str, ref: str, owner: Sheet) -> None:
        """A reference to an id that is not there, unless its row already has an error."""
        if (owner.key, ref) not in self.failed:
            self.cell(sheet, rownum, key, f"no {key} with id {ref!r} in the {owner.key} sheet")

    def cell(self, sheet: Sheet, row: int, key: str, message: str) -> None:
        t = self.tables[sheet.key]
        self.err.add(t.raw.name, row, t.header(key), message)

    # --- sheets to document ------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"version": 1}
        objective: dict[str, Any] = {}
        t = self.tables.get(PROBLEM.key)
        # The offset first: every later sheet's naive times use it.
        self.tz = cells.parse_offset("+08:00")
        if t is not None and t.raw.rows and "utc_offset" in t.index:
            rownum, row = t.raw.rows[0]
            i = t.index["utc_offset"]
            if i < len(row) and not cells.is_blank(row[i]):
                try:
                    self.tz = cells.parse_offset(cells.text(row[i]))
                except cells.CellError as e:
                    self.err.add(t.raw.name, rownum, t.header("utc_offset"), str(e))
        recs = self.records(PROBLEM)
        for rownum, _ in recs[1:]:
            self.err.add(t.raw.name if t else PROBLEM.key, rownum, None,
                         "the problem sheet has one row only")
        if recs:
            rownum, rec = recs[0]
            self.where[("name",)] = self.where[("currency",)] = (self.tables[PROBLEM.key], rownum)
            self.where[("objective",)] = (self.tables[PROBLEM.key], rownum)
            for k in ("name", "currency"):
                if k in rec:
                    doc[k] = rec[k]
            if "priority_weights" in rec:
                try:
                    objective["priority_weights"] = [cells.integer(w)
                                                     for w in rec["priority_weights"]]
                except cells.CellError as e:
                    self.cell(PROBLEM, rownum, "priority_weights", str(e))
            if "fairness_region_depth" in rec:
                objective["fairness"] = {"region_depth": rec["fairness_region_depth"]}
        doc["objective"] = objective
        return doc

    def _entities(self, sheet: Sheet, list_name: str) -> tuple[list[Record], dict[str, int]]:
        """Rows with an id, duplicates reported; returns the records and id -> position."""
        out: list[Record] = []
        ids: dict[str, int] = {}
        first_row: dict[str, int] = {}
        for rownum, rec in self.records(sheet):
            rid = rec["id"]
            if rid in first_row:
                self.cell(sheet, rownum, "id",
                          f"duplicate id {rid!r} (first at row {first_row[rid]})")
                continue
            first_row[rid] = rownum
            ids[rid] = len(out)
            self.where[(list_name, len(out))] = (self.tables[sheet.key], rownum)
            out.append(rec)
        return out, ids

    def _windows(self, entities: list[Record], ids: dict[str, int], owner_sheet: Sheet,
                 sheet: Sheet, owner_key: str, list_name: str) -> list[list[str] | None]:
        windows: list[list[Any]] = [[] for _ in entities]
        for rownum, rec in self.records(sheet):
            pos = ids.get(rec[owner_key])
            if pos is None:
                self.missing(sheet, rownum, owner_key, rec[owner_key], owner_sheet)
                continue
            self.where[(list_name, pos, "availability", len(windows[pos]))] = (
                self.tables[sheet.key], rownum)
            windows[pos].append({"start": rec["start"], "end": rec["end"]})
        out: list[Any] = []
        for pos, rec in enumerate(entities):
            mode = rec.get("availability")
            listed = windows[pos]
            _, rownum = self.where[(list_name, pos)]
            if mode is not None and listed:
                self.cell(owner_sheet, rownum, "availability",
                          f"says {mode!r} but {len(listed)} window(s) are listed for "
                          f"{rec['id']!r} in the {sheet.key} sheet")
            out.append([] if mode == "never" else None if mode == "always" or not listed
                       else listed)
        return out

    def volunteers(self) -> tuple[list[Record], dict[str, int]]:
        recs, ids = self._entities(VOLUNTEERS, "volunteers")
        avail = self._windows(recs, ids, VOLUNTEERS, VOLUNTEER_AVAILABILITY, "volunteer",
                              "volunteers")
        out = []
        for rec, windows in zip(recs, avail):
            v: Record = {"id": rec["id"], "location": {"lat": rec["lat"], "lon": rec["lon"]},
                         "skills": rec.get("skills", [])}
            for k in ("name", "max_hours", "max_travel_km"):
                if k in rec:
                    v[k] = rec[k]
            if windows is not None:
                v["availability"] = windows
            out.append(v)
        return out, ids

    def venues(self) -> tuple[list[Record], dict[str, int]]:
        recs, ids = self._entities(VENUES, "venues")
        avail = self._windows(recs, ids, VENUES, VENUE_AVAILABILITY, "venue", "venues")
        out = []
        for rec, windows in zip(recs, avail):
            u: Record = {"id": rec["id"], "location": {"lat": rec["lat"], "lon": rec["lon"]},
                         "capacity": rec["capacity"], "features": rec.get("features", [])}
            for k in ("name", "rating"):
                if k in rec:
                    u[k] = rec[k]
            if windows is not None:
                u["availability"] = windows
            out.append(u)
        return out, ids

    def funds(self) -> tuple[list[Record], dict[str, int]]:
        recs, ids = self._entities(FUNDS, "funds")
        out = []
        for rec in recs:
            f: Record = {"id": rec["id"], "amount": rec["amount"],
                         "categories": rec.get("categories", []),
                         "regions": rec.get("regions", [])}
            for k in ("donor", "expires"):
                if k in rec:
                    f[k] = rec[k]
            out.append(f)
        return out, ids

    def needs(self) -> tuple[list[Record], dict[str, int]]:
        recs, ids = self._entities(NEEDS, "needs")
        out: list[Record] = []
        for pos, rec in enumerate(recs):
            _, rownum = self.where[("needs", pos)]
            n: Record = {"id": rec["id"]}
            for k in ("title", "category", "region"):
                if k in rec:
                    n[k] = rec[k]
            n["location"] = {"lat": rec["lat"], "lon": rec["lon"]}
            n.update(start=rec["start"], end=rec["end"], priority=rec["priority"], roles=[])
            if "venue_capacity" in rec:
                venue: Record = {"capacity": rec["venue_capacity"],
                                 "features": rec.get("venue_features", [])}
                if "venue_max_distance_km" in rec:
                    venue["max_distance_km"] = rec["venue_max_distance_km"]
                n["venue"] = venue
            else:
                for k in ("venue_features", "venue_max_distance_km"):
                    if k in rec:
                        self.cell(NEEDS, rownum, k, "venue_capacity is empty, so the need "
                                  "takes no venue; fill in venue_capacity or clear this cell")
            for k in ("funding", "weight"):
                if k in rec:
                    n[k] = rec[k]
            out.append(n)
        seen: dict[tuple[str, str], int] = {}
        for rownum, rec in self.records(ROLES):
            found = ids.get(rec["need"])
            if found is None:
                self.missing(ROLES, rownum, "need", rec["need"], NEEDS)
                continue
            pos = found
            key = (rec["need"], rec["skill"])
            if key in seen:
                self.cell(ROLES, rownum, "skill", f"skill {rec['skill']!r} appears twice for "
                          f"need {rec['need']!r} (first at row {seen[key]})")
                continue
            seen[key] = rownum
            role: Record = {"skill": rec["skill"], "count": rec["count"]}
            if "min_count" in rec:
                role["min_count"] = rec["min_count"]
            roles = out[pos]["roles"]
            self.where[("needs", pos, "roles", len(roles))] = (self.tables[ROLES.key], rownum)
            roles.append(role)
        return out, ids

    def links(self, sheet: Sheet, list_name: str,
              tables: dict[str, tuple[Sheet, dict[str, int]]]) -> list[Record]:
        out: list[Record] = []
        for rownum, rec in self.records(sheet):
            ok = True
            for key, (owner, ids) in tables.items():
                if key in rec and rec[key] not in ids:
                    self.missing(sheet, rownum, key, rec[key], owner)
                    ok = False
            if ok:
                self.where[(list_name, len(out))] = (self.tables[sheet.key], rownum)
                out.append(rec)
        return out

    def run(self) -> dict[str, Any]:
        if not self.tables and not self.err.errors:
            names = ", ".join(f"{s.key} ({s.zh})" for s in SHEETS)
            self.err.add("(workbook)", None, None, f"no sheet or CSV file is named after one of "
                         f"the problem's sheets: {names}")
        doc = self.settings()
        doc["volunteers"], vols = self.volunteers()
        doc["venues"], venues = self.venues()
        doc["funds"], funds = self.funds()
        doc["needs"], needs = self.needs()
        refs = {"need": (NEEDS, needs), "volunteer": (VOLUNTEERS, vols),
                "venue": (VENUES, venues), "fund": (FUNDS, funds)}
        doc["pins"] = self.links(PINS, "pins", refs)
        doc["forbid"] = self.links(FORBID, "forbid", refs)
        return doc

    # --- the model's errors back to cells ----------------------------------------------

    def locate(self, loc: tuple[str | int, ...], message: str) -> None:
        for cut in range(len(loc), 0, -1):
            hit = self.where.get(loc[:cut])
            if hit is not None:
                table, rownum = hit
                rest = loc[cut:]
                key = _column_key(table.sheet, loc[:cut], rest)
                self.err.add(table.raw.name, rownum, table.header(key) if key else None,
                             message)
                return
        sheet = {"needs": NEEDS, "volunteers": VOLUNTEERS, "venues": VENUES,
                 "funds": FUNDS}.get(str(loc[0]) if loc else "")
        t = self.tables.get(sheet.key) if sheet else None
        self.err.add(t.raw.name if t else "(workbook)", None, None, message)


def _column_key(sheet: Sheet, prefix: tuple[str | int, ...], rest: tuple[str | int, ...]
                ) -> str | None:
    keys = {c.key for c in sheet.columns}
    if sheet is PROBLEM:
        if prefix == ("objective",):
            return "fairness_region_depth" if rest[:1] == ("fairness",) else "priority_weights"
        return str(prefix[0])
    if not rest:
        return None
    head = rest[0]
    if head == "location" and len(rest) > 1:
        return str(rest[1])
    if head == "venue" and sheet is NEEDS:
        return f"venue_{rest[1]}" if len(rest) > 1 else "venue_capacity"
    if head == "availability" and len(rest) > 1:
        return "availability"
    return str(head) if head in keys else None


_LOC_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # Drop pydantic's internal markers such as 'function-after[...]'.
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p))


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    if err["type"] == "missing":
        return "required, but empty"
    msg = msg.removeprefix("Value error, ").replace("Input should be", "must be")
    if "input" in err and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def tables_to_problem(tables: list[RawTable], source: str | None = None
                      ) -> tuple[dict[str, Any], Problem]:
    """The SPEC problem document the tables describe, and its parsed model.

    Raises `ImportErrors` listing every error found (sheet, row, column, message).
    """
    with gc_paused():
        return _tables_to_problem(tables, source)


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a big import builds its many small objects (none
    of them cyclic): it halves the time of a 10,000-volunteer workbook. Re-entrant across
    threads; the collector is enabled again when the last import ends."""
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


def _tables_to_problem(tables: list[RawTable], source: str | None
                       ) -> tuple[dict[str, Any], Problem]:
    imp = _Importer(tables)
    problem: Problem | None = None
    try:
        doc = imp.run()
        if not imp.err.errors:
            try:
                problem = parse_problem(doc, source)
            except InputError as first:
                # Slow path, on bad input only: every error of the model, mapped to cells.
                try:
                    Problem.model_validate(doc)
                except ValidationError as e:
                    for item in e.errors(include_url=False):
                        imp.locate(_clean_loc(tuple(item["loc"])), _message(dict(item)))
                else:
                    parts = tuple(int(i) if i else n for n, i in _LOC_PART.findall(first.path))
                    imp.locate(parts, first.message)
    except _TooMany:
        pass
    if imp.err.errors or problem is None:
        raise ImportErrors(imp.err.errors, source, imp.err.dropped)
    # The document as built (SPEC JSON, checked above), not a dump of the model: the same
    # problem without every default spelled out, and a second pass over a big problem saved.
    return doc, problem
