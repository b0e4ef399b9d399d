"""Raw tables out of a workbook, a zip of CSV files or a folder of CSV files.

A `RawTable` is a sheet's header and its rows of cell values, each row with the number a
coordinator sees (row 1 is the header), before any column is interpreted.
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from matcher.model import InputError

# A zip bomb guard: the CSV files of the largest field scenario unpack to ~25 MB.
MAX_UNPACKED_BYTES = 500_000_000


@dataclass
class RawTable:
    name: str  # the sheet or file name as the user wrote it
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def _blank(row: list[Any]) -> bool:
    # Most rows start with a filled cell, which settles it without a loop.
    if row and row[0] is not None and row[0] != "" and not (
            isinstance(row[0], str) and not row[0].strip()):
        return False
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _rows_from(values: Iterator[Any]) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for i, raw in enumerate(values, start=1):
        row = list(raw)
        if _blank(row):
            continue  # blank lines above the header, or between rows
        if header is None:
            header = ["" if v is None else str(v).strip() for v in row]
        else:
            rows.append((i, row))
    return header or [], rows


def read_xlsx(data: bytes, source: str) -> list[RawTable]:
    """Every sheet of an .xlsx workbook.

    Read with calamine (Rust): about ten times faster than openpyxl's read-only mode, which
    took ~9 s for the 42,000 rows of the Tianchang problem on a busy machine; openpyxl still
    writes the workbooks.
    """
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as err:  # calamine raises its own kinds on a damaged or foreign file
        raise InputError("", f"not a readable .xlsx workbook ({type(err).__name__}: {err})",
                         source) from None
    tables = []
    try:
        for name in wb.sheet_names:
            # From cell A1 (skip_empty_area=False) so that row numbers are the ones Excel shows.
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            header, body = _rows_from(iter(rows))
            tables.append(RawTable(name, header, body))
    except Exception as err:
        raise InputError("", f"cannot read the workbook ({type(err).__name__}: {err})",
                         source) from None
    finally:
        wb.close()
    return tables


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Excel on a Chinese Windows writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_csv(name: str, data: bytes) -> RawTable:
    reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
    header, rows = _rows_from(iter(reader))
    return RawTable(name, header, rows)


def _zip_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # Not flagged UTF-8: Windows' built-in zip writes the local code page (GBK in China).
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return PurePosixPath(name).name


def read_zip(data: bytes, source: str) -> list[RawTable]:
    """The .csv files of a zip archive, at any depth (a zipped folder works too)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InputError("", f"not a readable .zip archive ({err})", source) from None
    with zf:
        infos = [i for i in zf.infolist()
                 if not i.is_dir() and i.filename.lower().endswith(".csv")
                 and not PurePosixPath(i.filename).name.startswith(("._", "~$"))]
        if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            raise InputError("", f"the archive unpacks to more than {MAX_UNPACKED_BYTES} bytes",
                             source)
        tables = []
        for info in infos:
            try:
                raw = zf.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as err:
                raise InputError("", f"cannot unpack {info.filename}: {err}", source) from None
            tables.append(read_csv(_zip_name(info), raw))
        return tables


def read_dir(path: Path) -> list[RawTable]:
    tables = []
    for p in sorted(path.glob("*.csv")) + sorted(path.glob("*.CSV")):
        try:
            tables.append(read_csv(p.name, p.read_bytes()))
        except OSError as err:
            raise InputError("", f"cannot read file: {err.strerror or err}", str(p)) from None
    return tables


def sniff(data: bytes, filename: str) -> str:
    """'xlsx', 'zip' or 'json', from the file's first bytes and then its name."""
    head = data[:4]
    name = filename.lower()
    if head == b"PK\x03\x04" or head == b"PK\x05\x06":
        # An .xlsx is a zip too: it holds xl/workbook.xml.
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if "xl/workbook.xml" in zf.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        return "xlsx" if name.endswith(".xlsx") else "zip"
    if name.endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        return "json"
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".zip"):
        return "zip"
    return "unknown"
