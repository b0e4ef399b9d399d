"""The spreadsheet endpoints (templates, import, export) and the offline API docs."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from test_api import A, B, finished, make_settings

from matcher.api.app import create_app

CONFORMANCE = Path(__file__).parent / "data" / "conformance"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        yield c


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    return doc


def test_templates_download_without_a_key_and_import_back(client: TestClient) -> None:
    x = client.get("/v1/templates/problem.xlsx")
    assert x.status_code == 200
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="problem.xlsx"' in x.headers["content-disposition"]
    z = client.get("/v1/templates/problem-csv.zip")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        assert "README.txt" in zf.namelist() and "volunteers.csv" in zf.namelist()
    r1 = client.post("/v1/import", files={"file": ("problem.xlsx", x.content)}, headers=A)
    r2 = client.post("/v1/import", files={"file": ("problem-csv.zip", z.content)}, headers=A)
    assert r1.status_code == r2.status_code == 200, r1.text
    assert r1.json()["errors"] == [] and r1.json()["problem"] == r2.json()["problem"]
    # The imported problem is ready for POST /v1/jobs.
    assert r1.json()["problem"]["needs"][0]["id"] == "n1"


def test_import_reports_every_error_with_its_cell_or_json_path(
        client: TestClient, small: dict[str, Any]) -> None:
    from test_sheets import GOOD_NEEDS, _xlsx

    bad = _xlsx({"needs": [GOOD_NEEDS[0], ["n1", "Class", "north", 119.0, "2026-12-05 16:30",
                                           "soon", 3]]})
    r = client.post("/v1/import", files={"file": ("p.xlsx", bad)}, headers=A)
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert {(e["sheet"], e["row"], e["column"]) for e in errs} == {("needs", 2, "lat"),
                                                                   ("needs", 2, "end")}
    doc = json.loads(json.dumps(small))
    doc["needs"][0]["priority"] = 0
    r = client.post("/v1/import", files={"file": ("p.json", json.dumps(doc).encode())},
                    headers=A)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "needs[0].priority"
    ok = client.post("/v1/import", files={"file": ("p.json", json.dumps(small).encode())},
                     headers=A)
    assert ok.status_code == 200 and len(ok.json()["problem"]["needs"]) == len(small["needs"])
    r = client.post("/v1/import", files={"file": ("p.bin", b"\x00\x01")}, headers=A)
    assert r.status_code == 422 and "not an .xlsx" in r.json()["errors"][0]["message"]
    assert client.post("/v1/import", files={"file": ("p.json", b"{}")}).status_code == 401
    assert client.post("/v1/import", headers=A).status_code == 422  # no file field


def test_export_of_a_jobs_plan_as_xlsx_and_csv_follows_the_key_rules(
        client: TestClient, small: dict[str, Any]) -> None:
    job = finished(client, small, A)
    x = client.get(f"/v1/jobs/{job}/export", headers=A)
    assert x.status_code == 200 and x.headers["x-job-state"] == "done"
    wb = load_workbook(io.BytesIO(x.content), read_only=True)
    assert {"by_need 按需求", "by_volunteer 按志愿者", "by_venue 按场地", "by_fund 按资金"} <= set(
        wb.sheetnames)
    plan = client.get(f"/v1/jobs/{job}/plan", headers=A).json()
    rows = list(wb["by_volunteer 按志愿者"].iter_rows(values_only=True))
    assert len(rows) - 1 == len(plan["assignments"])
    titles = {n["id"]: n.get("title") for n in small["needs"]}
    assert {r[3] for r in rows[1:]} <= set(titles.values())
    c = client.get(f"/v1/jobs/{job}/export?format=csv", headers=A)
    assert c.status_code == 200 and c.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(c.content)) as zf:
        need_csv = zf.read("by_need.csv").decode("utf-8-sig")
    assert all(nid in need_csv for nid in titles)
    assert client.get(f"/v1/jobs/{job}/export").status_code == 401
    assert client.get(f"/v1/jobs/{job}/export", headers=B).status_code == 404
    assert client.get(f"/v1/jobs/{job}/export?format=pdf", headers=A).status_code == 422


_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_use_only_local_assets(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200
    html = r.text
    assert "cdn" not in html.lower() and "fonts.googleapis" not in html
    urls = [a or b for a, b in _URL.findall(html)]
    assert urls, html
    for u in urls:
        assert not re.match(r"^(https?:)?//", u), u
        got = client.get(u)
        assert got.status_code == 200 and len(got.content) > 100, u
    # The JavaScript is the real bundle, not a stub, and the spec it reads is served.
    js = [u for u in urls if u.endswith(".js")]
    assert js and all(len(client.get(u).content) > 500_000 for u in js)
    assert client.get("/openapi.json").status_code == 200
