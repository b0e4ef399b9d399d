"""Spreadsheets in and out: problems imported from an .xlsx workbook or CSV files, plans
exported as a workbook or CSV files, and the empty templates.

The layout (sheets, columns, bilingual headers) is defined once in `schema`; the command line
(`matcher import`, `matcher export`) and the API (`/v1/import`, `/v1/templates/...`,
`/v1/jobs/{id}/export`) both go through the functions here, so they read and write the same
formats.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matcher.io import decode_json
from matcher.model import InputError, Plan, Problem, json_path, parse_problem
from matcher.sheets.importer import ImportErrors, SheetError, gc_paused, tables_to_problem
from matcher.sheets.plan_tables import plan_tables
from matcher.sheets.problem_tables import (
    problem_tables,
    readme_text,
    template_tables,
)
from matcher.sheets.reader import RawTable, read_dir, read_xlsx, read_zip, sniff
from matcher.sheets.writer import Table, write_dir, xlsx_bytes, zip_bytes

__all__ = [
    "ImportErrors", "JsonErrors", "SheetError", "Imported", "import_bytes", "import_path",
    "template_xlsx", "template_zip", "problem_xlsx", "problem_zip", "plan_xlsx", "plan_zip",
    "write_tables",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_TYPE = "application/zip"


class JsonErrors(InputError):
    """A JSON problem with errors; `errors` lists each as {path, message}."""

    def __init__(self, errors: list[dict[str, str]], source: str | None):
        self.errors = errors
        first = errors[0]
        super().__init__(first["path"], first["message"], source, more=len(errors) - 1)

    def report(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return "\n".join(f"{where}{e['path'] or '(document)'}: {e['message']}"
                         for e in self.errors)


@dataclass(frozen=True)
class Imported:
    """A problem read from a file: SPEC's JSON document and its parsed model."""

    doc: dict[str, Any]
    problem: Problem
    kind: str  # 'xlsx', 'zip', 'csv' (a folder) or 'json'


def _json_problem(data: bytes, source: str) -> Imported:
    raw = decode_json(data, source)
    if isinstance(raw, dict):
        try:
            Problem.model_validate(raw)
        except ValidationError as err:
            errors = []
            for e in err.errors(include_url=False)[:200]:
                loc = [p for p in e["loc"] if not (isinstance(p, str) and "[" in p)]
                msg = str(e["msg"]).removeprefix("Value error, ")
                if e["type"] == "missing":
                    msg = "required field is missing"
                errors.append({"path": json_path(loc), "message": msg})
            raise JsonErrors(errors, source) from None
    try:
        problem = parse_problem(raw, source)
    except InputError as err:
        raise JsonErrors([{"path": err.path, "message": err.message}], source) from None
    return Imported(problem.model_dump(mode="json", exclude_none=True), problem, "json")


def _tables_problem(tables: list[RawTable], source: str, kind: str) -> Imported:
    doc, problem = tables_to_problem(tables, source)
    return Imported(doc, problem, kind)


def import_bytes(data: bytes, filename: str) -> Imported:
    """A problem from an uploaded file: an .xlsx workbook, a .zip of CSV files, or JSON.

    Raises `ImportErrors` (sheet, row, column) or `JsonErrors` (JSON path) listing every error,
    or `InputError` for a file that cannot be read at all.
    """
    with gc_paused():
        return _import_bytes(data, filename)


def _import_bytes(data: bytes, filename: str) -> Imported:
    kind = sniff(data, filename)
    if kind == "xlsx":
        return _tables_problem(read_xlsx(data, filename), filename, kind)
    if kind == "zip":
        return _tables_problem(read_zip(data, filename), filename, kind)
    if kind == "json":
        return _json_problem(data, filename)
    raise InputError("", "not an .xlsx workbook, a .zip of CSV files or a JSON problem",
                     filename)


def import_path(path: str | os.PathLike[str]) -> Imported:
    """A problem from a folder of CSV files, an .xlsx workbook, a .zip of CSV files or JSON."""
    p = Path(path)
    if p.is_dir():
        with gc_paused():
            return _tables_problem(read_dir(p), str(p), "csv")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError("", f"cannot read file: {err.strerror or err}", str(p)) from None
    return import_bytes(data, str(p))


def template_xlsx() -> bytes:
    """The empty problem workbook: a README sheet and every sheet with one example row."""
    return xlsx_bytes(template_tables())


def template_zip() -> bytes:
    """The same templates as CSV files in a zip, with README.txt."""
    return zip_bytes(template_tables()[1:], {"README.txt": readme_text()})


def problem_xlsx(problem: Problem) -> bytes:
    return xlsx_bytes(template_tables()[:1] + problem_tables(problem))


def problem_zip(problem: Problem) -> bytes:
    return zip_bytes(problem_tables(problem), {"README.txt": readme_text()})


def plan_xlsx(problem: Problem, plan: Plan) -> bytes:
    return xlsx_bytes(plan_tables(problem, plan))


def plan_zip(problem: Problem, plan: Plan) -> bytes:
    return zip_bytes(plan_tables(problem, plan))


def write_tables(tables: list[Table], out: str | os.PathLike[str],
                 extra: dict[str, str] | None = None) -> str:
    """Write tables to `out`: a workbook when it ends in .xlsx, a zip when it ends in .zip,
    else a folder of CSV files. Returns what was written ('xlsx', 'zip' or 'csv')."""
    from matcher.io import write_bytes_atomic

    name = str(out).lower()
    if name.endswith(".xlsx"):
        write_bytes_atomic(out, xlsx_bytes(tables))
        return "xlsx"
    if name.endswith(".zip"):
        write_bytes_atomic(out, zip_bytes(tables, extra))
        return "zip"
    write_dir(out, tables, extra)
    return "csv"
