"""Reading and writing documents: the only module that touches files.

Every failure becomes an `InputError` naming the file and the JSON path; writes go through a
temporary file and a rename, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from matcher.model import InputError, Plan, Problem, parse_plan, parse_problem


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(text: str | bytes, source: str) -> Any:
    """Decode JSON text, or raise `InputError` naming the line and column."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise InputError("", f"malformed JSON at line {err.lineno} column {err.colno}: "
                         f"{err.msg}", source) from None
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError("", f"malformed JSON: {err}", source) from None


def read_json(path: str | os.PathLike[str]) -> Any:
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError("", f"cannot read file: {err.strerror or err}", source) from None
    return decode_json(data, source)


def load_problem(path: str | os.PathLike[str]) -> Problem:
    """Read and check a problem document."""
    return parse_problem(read_json(path), str(path))


def load_plan(path: str | os.PathLike[str], problem: Problem | None = None) -> Plan:
    """Read and check a plan document (against `problem`'s ids when given)."""
    return parse_plan(read_json(path), problem, str(path))


def dumps(doc: Any, indent: int | None = 1) -> str:
    return json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write a file whole or not at all."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
