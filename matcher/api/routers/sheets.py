"""Spreadsheets over HTTP: the empty templates, a problem imported from a workbook, CSV files
or JSON (checked, nothing stored), and a job's plan exported as a workbook or CSV files."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from matcher import sheets
from matcher.api import limits
from matcher.api.deps import JobDep, OrgDep, SettingsDep
from matcher.api.responses import ERRORS, JOB_ERRORS, ErrorItem, Message
from matcher.model import InputError, parse_plan, parse_problem

router = APIRouter(tags=["spreadsheets"])


class ImportError_(BaseModel):
    """One error: `sheet`, `row` and `column` for a workbook or CSV file (row 1 is the
    header), `path` for JSON."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    path: str | None = None
    message: str


class ImportResult(BaseModel):
    problem: dict[str, Any]
    errors: list[ImportError_]


class ImportFailure(BaseModel):
    """`errors` for what is wrong in the file; `detail` (as on every endpoint) for a request
    without a `file` field."""

    errors: list[ImportError_] | None = None
    detail: list[ErrorItem] | None = None


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


_XLSX = {"content": {sheets.XLSX_TYPE: {}}, "description": "a workbook"}
_ZIP = {"content": {sheets.ZIP_TYPE: {}}, "description": "a zip of CSV files"}


@router.get("/templates/problem.xlsx", response_class=Response, responses={200: _XLSX},
            summary="The empty problem workbook (no API key needed)")
def template_xlsx() -> Response:
    """A README sheet (Chinese and English), then one sheet per kind of entry with its
    header row and one example row."""
    return _download(sheets.template_xlsx(), sheets.XLSX_TYPE, "problem.xlsx")


@router.get("/templates/problem-csv.zip", response_class=Response, responses={200: _ZIP},
            summary="The empty problem as CSV files in a zip (no API key needed)")
def template_zip() -> Response:
    """One CSV file per sheet of the workbook (UTF-8), and README.txt."""
    return _download(sheets.template_zip(), sheets.ZIP_TYPE, "problem-csv.zip")


@router.post("/import", response_model=ImportResult, response_model_exclude_none=True,
             responses={**ERRORS, 422: {"model": ImportFailure,
                                        "description": "every error in the file"}},
             summary="Check a workbook, CSV files or JSON and return SPEC's problem document")
def import_problem(file: Annotated[UploadFile, File(description=".xlsx workbook, .zip of CSV "
                                                    "files, or .json problem")],
                   org: OrgDep, settings: SettingsDep) -> Any:
    """Nothing is stored: submit the returned problem with POST /v1/jobs. On bad input, 422
    with every error found (up to 200), each naming sheet, row and column (or a JSON path)."""
    del org  # the key is checked; an import stores nothing
    data = file.file.read()
    name = file.filename or "upload"
    try:
        imported = sheets.import_bytes(data, name)
    except sheets.ImportErrors as err:
        items = [e.as_dict() for e in err.errors]
        if err.dropped:
            items.append({"sheet": None, "row": None, "column": None,
                          "message": f"... and {err.dropped} more error(s) not listed"})
        return JSONResponse({"errors": items}, status_code=422)
    except sheets.JsonErrors as err:
        return JSONResponse({"errors": err.errors}, status_code=422)
    except InputError as err:
        return JSONResponse({"errors": [{"path": err.path, "message": err.message}]},
                            status_code=422)
    try:
        limits.check_entities(imported.problem, settings)
    except HTTPException as err:
        return JSONResponse({"errors": [{"path": "", "message": str(err.detail)}]},
                            status_code=err.status_code)
    return {"problem": imported.doc, "errors": []}


@router.get("/jobs/{job_id}/export", response_class=Response,
            responses={**JOB_ERRORS, 200: {"content": {sheets.XLSX_TYPE: {},
                                                       sheets.ZIP_TYPE: {}},
                                           "description": "the plan as a workbook or CSV files"},
                       409: {"model": Message, "description": "no plan yet"}},
            summary="A job's plan as a workbook or CSV files, by need, volunteer, venue, fund")
def export_plan(job: JobDep,
                format: Annotated[Literal["xlsx", "csv"], Query(
                    description="xlsx: one workbook; csv: a zip of CSV files")] = "xlsx",
                ) -> Response:
    """The best plan so far, or the final one (header `X-Job-State`), with names, titles,
    times and distances: sheets summary, by_need, by_volunteer, by_venue, by_fund, fund_use,
    unmet."""
    if job.plan is None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job.id} has no plan yet (state {job.state})")
    problem = parse_problem(job.problem)
    plan = parse_plan(job.plan, problem)
    if format == "csv":
        resp = _download(sheets.plan_zip(problem, plan), sheets.ZIP_TYPE,
                         f"plan-{job.id}-csv.zip")
    else:
        resp = _download(sheets.plan_xlsx(problem, plan), sheets.XLSX_TYPE,
                         f"plan-{job.id}.xlsx")
    resp.headers["X-Job-State"] = job.state
    return resp
