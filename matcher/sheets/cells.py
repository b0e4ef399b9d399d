"""One cell to one JSON value, by the column's kind; `CellError` says what is wrong.

Cells come from openpyxl (numbers, strings, naive datetimes) or from CSV (strings only), so
every parser takes both.  Money is written in yuan and held in fen, exactly (`Decimal`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from matcher.sheets.schema import (
    FLOAT,
    ID,
    INT,
    LIST,
    LIST_SEPARATORS,
    MODE,
    MONEY,
    STR,
    TIME,
)


class CellError(ValueError):
    """A cell that cannot be read as its column's kind."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """A cell as text: a whole number typed into a text column (341181) stays 341181."""
    if isinstance(value, bool):
        raise CellError(f"must be text, not {value!r}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise CellError(f"must be a number, not {value!r}")
    if isinstance(value, int | float):
        v: float | int = value
    else:
        s = str(value).strip().replace(",", "")
        try:
            v = int(s)
        except ValueError:
            try:
                v = float(s)
            except ValueError:
                raise CellError(f"must be a number (got {str(value)!r})") from None
    if isinstance(v, float) and not math.isfinite(v):
        raise CellError(f"must be a finite number (got {value!r})")
    return v


def integer(value: Any) -> int:
    v = number(value)
    if isinstance(v, float):
        if not v.is_integer():
            raise CellError(f"must be a whole number (got {value!r})")
        return int(v)
    return v


def money(value: Any) -> int:
    """Yuan (at most two decimals) to fen."""
    if isinstance(value, bool):
        raise CellError(f"must be an amount in yuan, not {value!r}")
    # str() of a float is its shortest round-trip form, so 1234.56 stays 1234.56.
    raw = str(value).strip().replace(",", "").removeprefix("¥").removeprefix("￥")
    try:
        yuan = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"must be an amount in yuan (got {str(value)!r})") from None
    if not yuan.is_finite():
        raise CellError(f"must be a finite amount (got {str(value)!r})")
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise CellError(f"at most 2 decimals (fen) (got {str(value)!r})")
    return int(fen)


def split_list(value: Any) -> list[str]:
    return [p.strip() for p in LIST_SEPARATORS.split(text(value)) if p.strip()]


def parse_offset(value: str) -> timezone:
    """``+08:00``, ``+0800``, ``UTC+8``, ``Z`` -> a fixed offset."""
    s = value.strip().upper().removeprefix("UTC").removeprefix("GMT") or "+00:00"
    if s == "Z":
        return UTC
    try:
        dt = datetime.fromisoformat("2000-01-01T00:00:00" + (s if ":" in s or len(s) > 3
                                                              else f"{s[0]}{int(s[1:]):02d}:00"))
    except (ValueError, IndexError):
        raise CellError(f"not a UTC offset such as +08:00 (got {value!r})") from None
    off = dt.utcoffset()
    if off is None:
        raise CellError(f"not a UTC offset such as +08:00 (got {value!r})")
    return timezone(off)


def time(value: Any, default_tz: timezone) -> str:
    """An ISO 8601 time with an offset; a naive time (or date-time cell) gets `default_tz`."""
    if isinstance(value, datetime):
        dt = value
    else:
        s = value.strip() if isinstance(value, str) else text(value)
        if len(s) > 19 and (s[-1] == "Z" or (s[-6] in "+-" and s[-3] == ":")):
            # Already ISO with an offset: SPEC's model checks it (and its error names the
            # cell); parsing it twice would double the cost on big sheets.
            return s
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            raise CellError(f"not a time such as 2026-12-05T08:00:00+08:00 (got {s!r})") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    # Excel stores times as day fractions; round away the float's sub-second noise.
    if dt.microsecond and isinstance(value, datetime):
        dt = (dt + timedelta(microseconds=500_000)).replace(microsecond=0)
    return dt.isoformat()


_ALWAYS = {"always", "总是", "始终", "全部"}
_NEVER = {"never", "从不", "无"}


def availability_mode(value: Any) -> str:
    s = text(value).lower()
    if s in _ALWAYS:
        return "always"
    if s in _NEVER:
        return "never"
    raise CellError(f"must be empty, 'always' (总是) or 'never' (从不) (got {s!r})")


def parser(kind: str, default_tz: timezone) -> Callable[[Any], Any]:
    """The function that reads a non-blank cell of a column of `kind` as its JSON value."""
    simple: dict[str, Callable[[Any], Any]] = {
        STR: text, ID: text, FLOAT: number, INT: integer, MONEY: money, LIST: split_list,
        MODE: availability_mode,
    }
    if kind == TIME:
        return lambda v: time(v, default_tz)
    return simple[kind]


def parse(kind: str, value: Any, default_tz: timezone) -> Any:
    """A non-blank cell as the JSON value of its column's kind."""
    return parser(kind, default_tz)(value)
