"""Reading and writing documents: the only module that touches files.

Every failure becomes an `InputError` naming the file and the JSON path; writes go through a
temporary file and a rename, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from matcher.model import (
    MAX_DEPTH,
    BadNumber,
    InputError,
    Plan,
    Problem,
    check_document,
    parse_plan,
    parse_problem,
)


def _int(text: str) -> int | BadNumber:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4,300)
        return BadNumber(f"an integer of {len(text)} digits", "is out of range")


def _float(text: str) -> float | BadNumber:
    value = float(text)
    return value if math.isfinite(value) else BadNumber(text[:40], "is out of range")


def decode_json(text: str | bytes, source: str) -> Any:
    """Decode JSON text, or raise `InputError` naming the line and column.

    ``NaN``, ``Infinity``, numbers beyond a float and integers too long to convert decode as
    `BadNumber` placeholders, which `matcher.model.check_document` refuses with their JSON
    path (with nesting too deep and text that is not valid Unicode).
    """
    try:
        data = json.loads(text, parse_constant=BadNumber, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as err:
        raise InputError("", f"malformed JSON at line {err.lineno} column {err.colno}: "
                         f"{err.msg}", source) from None
    except UnicodeDecodeError as err:
        raise InputError("", "malformed JSON: not UTF-8 text: byte "
                         f"{err.object[err.start]:#04x} at offset "
                         f"{err.start}", source) from None
    except RecursionError:
        raise InputError("", f"nested too deeply (the limit is {MAX_DEPTH} levels)",
                         source) from None
    except ValueError as err:
        raise InputError("", f"malformed JSON: {err}", source) from None
    check_document(data, source)
    return data


def read_json(path: str | os.PathLike[str]) -> Any:
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError("", f"cannot read file: {err.strerror or err}", source) from None
    return decode_json(data, source)


FAST_MIN_BYTES = 1_000_000  # below this the model's own parse is quick enough


def load_problem(path: str | os.PathLike[str]) -> Problem:
    """Read and check a problem document.

    A big document that is valid in full loads through `matcher.fastload` (msgspec); any
    other goes through the model's validation, which names the JSON path of what is wrong.
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise InputError("", f"cannot read file: {err.strerror or err}", source) from None
    if len(raw) >= FAST_MIN_BYTES:
        from matcher.fastload import fast_problem

        problem = fast_problem(raw, source)
        if problem is not None:
            return problem
    return parse_problem(decode_json(raw, source), source, checked=True)


def load_plan(path: str | os.PathLike[str], problem: Problem | None = None) -> Plan:
    """Read and check a plan document (against `problem`'s ids when given)."""
    return parse_plan(read_json(path), problem, str(path), checked=True)


def dumps(doc: Any, indent: int | None = 1) -> str:
    return json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"


def _umask() -> int:
    # Reading the umask means setting it; /proc says it without a window where another
    # thread could create a file with the wrong mode.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file whole or not at all, with the usual mode (0666 less the umask, so 0644
    by default; a temporary file alone would be 0600)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike[str], option: str = "--out") -> None:
    """Raise `InputError` unless a plan can be written at `path` (whole, by a rename).

    Run before a long solve, so that a bad `--out` fails at once and not after the time limit:
    an empty name, a directory, a device or pipe (a rename would replace it), a missing or
    read-only directory are all refused.
    """
    source = str(path)

    def refuse(why: str) -> InputError:
        return InputError(option, f"cannot write the plan here: {why}", source or "''")

    if not source:
        raise refuse("the file name is empty")
    target = Path(path)
    if target.is_dir():
        raise refuse("it is a directory")
    if target.exists() and not target.is_file():
        raise refuse("it is not a regular file")
    if not target.parent.is_dir():
        raise refuse(f"no directory {str(target.parent)!r}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as err:
        raise refuse(str(err.strerror or err)) from None
    os.close(fd)
    Path(tmp).unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file (UTF-8) whole or not at all."""
    write_bytes_atomic(path, text.encode("utf-8"))
