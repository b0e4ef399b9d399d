"""Tables out: an .xlsx workbook, a zip of CSV files, or a folder of CSV files.

A `Table` is a sheet name, a CSV file name, a header and rows of plain values (text, numbers,
naive local date-times, None).  CSV files are UTF-8 with a byte-order mark, which Excel needs
to open Chinese text correctly.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from matcher.io import write_bytes_atomic
from matcher.model import InputError

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass
class Table:
    title: str  # sheet name in a workbook (at most 31 characters)
    filename: str  # file name in a zip or folder of CSV files
    header: list[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    widths: list[int] | None = None


def _csv_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return "" if v is None else v


def csv_bytes(table: Table) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(table.header)
    for row in table.rows:
        w.writerow([_csv_value(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook, written in openpyxl's streaming mode (fast and lean on big sheets)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        ws = wb.create_sheet(table.title[:31])
        widths = table.widths or [max(10, min(40, len(h) + 4)) for h in table.header]
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        head = []
        for h in table.header:
            c = WriteOnlyCell(ws, value=h)
            c.font = bold
            head.append(c)
        ws.append(head)
        for row in table.rows:
            out: list[Any] = []
            for v in row:
                if isinstance(v, datetime):
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = DATETIME_FORMAT
                    out.append(c)
                elif isinstance(v, str):
                    v = ILLEGAL_CHARACTERS_RE.sub("", v)
                    if v.startswith("="):
                        # Text, not a formula: a title may start with '='.
                        c = WriteOnlyCell(ws, value=v)
                        c.data_type = "s"
                        out.append(c)
                    else:
                        out.append(v)
                else:
                    out.append(v)
            ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bytes(tables: list[Table], extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in tables:
            zf.writestr(table.filename, csv_bytes(table))
        for name, text in (extra or {}).items():
            zf.writestr(name, text.encode("utf-8-sig"))
    return buf.getvalue()


def write_dir(path: str | os.PathLike[str], tables: list[Table],
              extra: dict[str, str] | None = None) -> None:
    """CSV files into a folder, created if needed; each file written whole."""
    target = Path(path)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError("", f"cannot create folder: {err.strerror or err}", str(path)) from None
    for table in tables:
        write_bytes_atomic(target / table.filename, csv_bytes(table))
    for name, text in (extra or {}).items():
        write_bytes_atomic(target / name, text.encode("utf-8-sig"))
