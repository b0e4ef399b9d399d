"""The contract of SPEC.md as typed, self-validating models.

`Problem` and `Plan` parse plain JSON data (dicts and lists), apply every default of SPEC's
field table and reject every field that breaks it.  Errors are `InputError`, which carries a
JSON path such as ``needs[3].roles[0].min_count`` and a short message.

The models stay close to the JSON; numeric arrays for the solver are built in
`matcher.derived`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

DEFAULT_PRIORITY_WEIGHTS = (1, 2, 4, 8, 16)
DEFAULT_MAX_TRAVEL_KM = 10.0
DEFAULT_VENUE_MAX_DISTANCE_KM = 5.0
DEFAULT_RATING = 3.0

# Limits beyond SPEC's table, so that sums stay exact in 64-bit integers (documented in the
# README): money in minor units, counts and weights. Distances and hours need none: the
# solver clamps them (no two places are more than ~20,016 km apart).
MAX_MONEY = 10**13
MAX_COUNT = 10**6
MAX_WEIGHT = 10**6
MAX_TOTAL_WEIGHT = 2**31
# Any integer field: exact in a float (JSON readers in other languages) and in int64.
MAX_INT = 2**53
# Levels of nested arrays and objects in one document: SPEC's need at most 5; the rest is
# room for users' own fields. Deeper documents are refused before anything recurses on them.
MAX_DEPTH = 64
# Solve parameters, the same on the command line and in the API (README: Limits).
MAX_TIME_LIMIT_S = 24 * 3600.0
MAX_SEED = 2**31 - 1  # CP-SAT's random_seed is a 32-bit integer
MAX_WORKERS = 256


class InputError(ValueError):
    """Bad input: a document that breaks SPEC's field table or references.

    `path` is a JSON path (``needs[3].roles[0].min_count``); `source` names the file or
    request it came from, when known.
    """

    def __init__(self, path: str, message: str, source: str | None = None, more: int = 0):
        self.path = path
        self.message = message
        self.source = source
        self.more = more
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        loc = self.path or "(document)"
        tail = f" (and {self.more} more error(s))" if self.more else ""
        return f"{where}{loc}: {self.message}{tail}"


class BadNumber:
    """A number JSON's grammar allows but no document can use (``NaN``, ``Infinity``,
    ``1e400``, a 5,000-digit integer): `matcher.io` decodes it as this placeholder so that
    `check_document` can name its path."""

    __slots__ = ("message",)

    def __init__(self, text: str, why: str = "is not valid JSON (numbers must be finite)"):
        self.message = f"{text} {why}"


_Link = tuple[Any, str | int] | None  # (parent link, key): a path built only when reported


def _render(link: _Link) -> str:
    parts: list[str | int] = []
    while link is not None:
        link, key = link
        parts.append(key)
    return json_path(parts[::-1])


def _bad_text(s: str) -> str | None:
    if s.isascii():
        return None
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as err:
        return (f"not valid Unicode: lone surrogate {s[err.start]!r} at character {err.start}"
                " (UTF-8 text cannot hold it)")
    return None


def check_document(data: Any, source: str | None = None) -> None:
    """Refuse what decoded JSON may hold but no document can use, naming its JSON path:
    nesting deeper than `MAX_DEPTH`, strings or keys that are not valid Unicode (a lone
    surrogate such as ``"\\ud800"``), and numbers that are not finite.

    Iterative (safe on any depth the JSON decoder let through); the first problem in
    document order is the one reported.
    """
    stack: list[tuple[Any, int, _Link]] = [(data, 0, None)]
    while stack:
        value, depth, link = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise InputError(_render(link), f"nested deeper than {MAX_DEPTH} levels "
                                 "(a limit of this engine)", source)
            if isinstance(value, dict):
                for key in value:
                    if isinstance(key, str) and (bad := _bad_text(key)) is not None:
                        raise InputError(_render(link), f"key {bad}", source)
                items = list(value.items())
            else:
                items = list(enumerate(value))
            stack.extend((item, depth + 1, (link, key)) for key, item in reversed(items))
        elif isinstance(value, str):
            if (bad := _bad_text(value)) is not None:
                raise InputError(_render(link), bad, source)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InputError(_render(link), f"{value} is not a number JSON allows; "
                                 "numbers must be finite", source)
        elif isinstance(value, BadNumber):
            raise InputError(_render(link), value.message, source)


# --- field types -----------------------------------------------------------------------------


def _strict_number(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError("must be a number")
    if isinstance(v, int):
        try:
            return float(v)
        except OverflowError:
            raise ValueError("must be a finite number") from None
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


def _strict_int(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError("must be an integer")
    if isinstance(v, float) and v.is_integer():
        # 40.0 is an integer in JSON terms; 40.5 is not.
        v = int(v)
    if not isinstance(v, int):
        raise ValueError("must be an integer")
    return v


def _int_range(v: int) -> int:
    # After the field's own bounds, so that their message wins where a field has one.
    if abs(v) > MAX_INT:
        raise ValueError(f"must be within +-{MAX_INT} (exact in a float and in 64 bits)")
    return v


def _strict_str(v: Any) -> Any:
    if not isinstance(v, str):
        raise ValueError("must be a string")
    return v


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _iso_time(v: Any) -> Any:
    if isinstance(v, datetime):
        dt = v
    else:
        if not isinstance(v, str):
            raise ValueError("must be an ISO 8601 time string with a UTC offset")
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {v!r}") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"time {v!r} has no UTC offset")
    if (dt - _EPOCH) % _SECOND:
        # Every rule compares and sums whole seconds (documented limit in the README).
        raise ValueError(f"time {v!r} has a fraction of a second; times are whole seconds")
    return dt


Num = Annotated[float, BeforeValidator(_strict_number)]
Int = Annotated[int, BeforeValidator(_strict_int), AfterValidator(_int_range)]
Str = Annotated[str, BeforeValidator(_strict_str)]
Id = Annotated[str, BeforeValidator(_strict_str), Field(min_length=1)]
Time = Annotated[datetime, BeforeValidator(_iso_time)]


class _Model(BaseModel):
    # Unknown keys are kept (SPEC lets the project and its users add fields) but not used.
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


# --- problem ---------------------------------------------------------------------------------


class Location(_Model):
    lat: Num = Field(ge=-90, le=90)
    lon: Num = Field(ge=-180, le=180)


def _end_after_start(end: datetime, info: ValidationInfo) -> datetime:
    start = info.data.get("start")
    if start is not None and not end > start:
        raise ValueError(f"must be after start ({start.isoformat()})")
    return end


class Interval(_Model):
    start: Time
    end: Time

    _end = field_validator("end")(_end_after_start)


class Volunteer(_Model):
    id: Id
    location: Location
    skills: list[Str] = Field(default_factory=list)
    availability: list[Interval] | None = None
    max_hours: Num | None = Field(default=None, ge=0)
    max_travel_km: Num = Field(default=DEFAULT_MAX_TRAVEL_KM, ge=0)


class Venue(_Model):
    id: Id
    name: Str = ""
    location: Location
    capacity: Int = Field(ge=1, le=MAX_COUNT)
    features: list[Str] = Field(default_factory=list)
    availability: list[Interval] | None = None
    rating: Num = Field(default=DEFAULT_RATING, ge=0, le=5)


class Fund(_Model):
    id: Id
    donor: Str = ""
    amount: Int = Field(gt=0, le=MAX_MONEY)
    categories: list[Str] = Field(default_factory=list)
    regions: list[Str] = Field(default_factory=list)
    expires: Time | None = None


class Role(_Model):
    skill: Str
    count: Int = Field(ge=1, le=MAX_COUNT)
    min_count: Int | None = Field(default=None, ge=1)

    @field_validator("min_count")
    @classmethod
    def _min_le_count(cls, v: int | None, info: ValidationInfo) -> int | None:
        count = info.data.get("count")
        if v is not None and count is not None and v > count:
            raise ValueError(f"must be <= count ({count})")
        return v

    @property
    def minimum(self) -> int:
        return self.count if self.min_count is None else self.min_count


class VenueRequest(_Model):
    capacity: Int = Field(ge=1, le=MAX_COUNT)
    features: list[Str] = Field(default_factory=list)
    max_distance_km: Num = Field(default=DEFAULT_VENUE_MAX_DISTANCE_KM, ge=0)


class Need(_Model):
    id: Id
    title: Str = ""
    category: Str = ""
    region: Str = ""
    location: Location
    start: Time
    end: Time
    priority: Int = Field(ge=1, le=5)
    roles: list[Role] = Field(default_factory=list)
    venue: VenueRequest | None = None
    funding: Int = Field(default=0, ge=0, le=MAX_MONEY)
    weight: Int | None = Field(default=None, ge=1, le=MAX_WEIGHT)

    _end = field_validator("end")(_end_after_start)

    @model_validator(mode="after")
    def _asks_for_something(self) -> Need:
        if not self.roles and self.funding == 0 and self.venue is None:
            raise ValueError("a need must ask for something: a role, funding > 0, or a venue")
        return self


class Pin(_Model):
    need: Id
    volunteer: Id | None = None
    venue: Id | None = None
    fund: Id | None = None
    amount: Int | None = Field(default=None, gt=0, le=MAX_MONEY)

    @model_validator(mode="after")
    def _exactly_one(self) -> Pin:
        named = [k for k in ("volunteer", "venue", "fund") if getattr(self, k) is not None]
        if len(named) != 1:
            raise ValueError("a pin names exactly one of volunteer, venue or fund")
        if self.fund is not None and self.amount is None:
            raise ValueError("a fund pin needs an amount")
        if self.fund is None and self.amount is not None:
            raise ValueError("only a fund pin has an amount")
        return self


class Forbid(_Model):
    need: Id
    volunteer: Id | None = None
    venue: Id | None = None
    fund: Id | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Forbid:
        named = [k for k in ("volunteer", "venue", "fund") if getattr(self, k) is not None]
        if len(named) != 1:
            raise ValueError("a forbid names exactly one of volunteer, venue or fund")
        return self


class Fairness(_Model):
    region_depth: Int = Field(ge=0)


class Objective(_Model):
    priority_weights: list[Int] = Field(default_factory=lambda: list(DEFAULT_PRIORITY_WEIGHTS))
    fairness: Fairness | None = None

    @field_validator("priority_weights")
    @classmethod
    def _five_positive(cls, v: list[int]) -> list[int]:
        if len(v) != 5:
            raise ValueError("must be five positive integers")
        for w in v:
            if w < 1 or w > MAX_WEIGHT:
                raise ValueError(f"must be five positive integers (at most {MAX_WEIGHT})")
        return v


class Problem(_Model):
    version: Annotated[Literal[1], BeforeValidator(_strict_int)] = 1
    name: Str = ""
    currency: Str = "CNY"
    volunteers: list[Volunteer] = Field(default_factory=list)
    venues: list[Venue] = Field(default_factory=list)
    funds: list[Fund] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)
    pins: list[Pin] = Field(default_factory=list)
    forbid: list[Forbid] = Field(default_factory=list)
    objective: Objective = Field(default_factory=Objective)

    def weight(self, need: Need) -> int:
        """SPEC: a need's `weight`, else `priority_weights[priority - 1]`."""
        if need.weight is not None:
            return need.weight
        return self.objective.priority_weights[need.priority - 1]


# --- plan ------------------------------------------------------------------------------------


class PlanAssignment(_Model):
    need: Id
    skill: Str
    volunteer: Id
    distance_m: Int | None = None


class PlanBooking(_Model):
    need: Id
    venue: Id
    distance_m: Int | None = None


class PlanGrant(_Model):
    need: Id
    fund: Id
    amount: Int


class Unmet(_Model):
    need: Id
    reasons: list[Str] = Field(default_factory=list)


class PlanObjective(_Model):
    coverage: Int = 0
    fill: Int = 0
    travel_m: Int = 0
    fairness: Num | None = None


class PlanBound(_Model):
    # Coverage bounds are whole numbers (weights are integers): kept as integers in JSON.
    coverage: Int | Num | None = Field(default=None, union_mode="left_to_right")
    fairness: Num | None = None


Status = Literal["optimal", "feasible", "infeasible"]


class Plan(_Model):
    problem: Str = ""
    status: Status
    objective: PlanObjective = Field(default_factory=PlanObjective)
    bound: PlanBound = Field(default_factory=PlanBound)
    met: list[Id] = Field(default_factory=list)
    assignments: list[PlanAssignment] = Field(default_factory=list)
    bookings: list[PlanBooking] = Field(default_factory=list)
    grants: list[PlanGrant] = Field(default_factory=list)
    unmet: list[Unmet] = Field(default_factory=list)
    stats: dict[str, Any] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """The plan as SPEC's JSON document (no null fields for stages not asked for)."""
        doc = self.model_dump(mode="json", exclude_none=True)
        if self.objective.fairness is None:
            doc["objective"].pop("fairness", None)
        return doc


# --- parsing with JSON paths -----------------------------------------------------------------


def json_path(loc: Sequence[int | str]) -> str:
    """Render a pydantic location tuple as a JSON path: ``needs[3].roles[0].min_count``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def json_path_parts(path: str) -> list[str | int]:
    """The parts of a JSON path: ``a.b[2].c`` -> ``['a', 'b', 2, 'c']``."""
    return [int(idx) if idx else name for name, idx in _PATH_PART.findall(path)]


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _from_validation_error(err: ValidationError, source: str | None) -> InputError:
    errors = err.errors(include_url=False)
    first = errors[0]
    # Drop pydantic's internal markers such as 'function-after[...]' from the location.
    loc = [p for p in first["loc"] if not (isinstance(p, str) and "[" in p)]
    msg = first["msg"]
    if first["type"] == "missing":
        msg = "required field is missing"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif first["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        msg = msg.replace("Input should be", "must be")
    elif msg.startswith("Input should be"):
        msg = msg.replace("Input should be", "must be", 1)
    if (
        first["type"] != "missing"
        and "input" in first
        and not isinstance(first["input"], dict | list)
        and repr(first["input"]) not in msg
    ):
        msg = f"{msg} (got {first['input']!r})"
    return InputError(json_path(loc), msg, source, more=len(errors) - 1)


def _check_unique(items: Iterable[Any], list_name: str, source: str | None) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise InputError(
                f"{list_name}[{i}].id",
                f"duplicate id {item.id!r} (first at {list_name}[{seen[item.id]}])",
                source,
            )
        seen[item.id] = i
    return seen


def _check_references(problem: Problem, source: str | None) -> None:
    total = sum(problem.weight(n) for n in problem.needs)
    if total > MAX_TOTAL_WEIGHT:
        raise InputError("needs", f"total weight {total} exceeds the limit {MAX_TOTAL_WEIGHT}",
                         source)
    vols = _check_unique(problem.volunteers, "volunteers", source)
    venues = _check_unique(problem.venues, "venues", source)
    funds = _check_unique(problem.funds, "funds", source)
    needs = _check_unique(problem.needs, "needs", source)
    for i, need in enumerate(problem.needs):
        skills: dict[str, int] = {}
        for j, role in enumerate(need.roles):
            if role.skill in skills:
                raise InputError(
                    f"needs[{i}].roles[{j}].skill",
                    f"skill {role.skill!r} appears twice in one need",
                    source,
                )
            skills[role.skill] = j
    refs: list[tuple[str, Sequence[Pin | Forbid]]] = [
        ("pins", problem.pins),
        ("forbid", problem.forbid),
    ]
    for list_name, entries in refs:
        for i, e in enumerate(entries):
            if e.need not in needs:
                raise InputError(f"{list_name}[{i}].need", f"no need with id {e.need!r}", source)
            for key, table in (("volunteer", vols), ("venue", venues), ("fund", funds)):
                ref = getattr(e, key)
                if ref is not None and ref not in table:
                    raise InputError(
                        f"{list_name}[{i}].{key}", f"no {key} with id {ref!r}", source
                    )


def parse_problem(data: Any, source: str | None = None, checked: bool = False) -> Problem:
    """Parse a problem document (already decoded JSON) or raise `InputError`.

    `checked`: the caller has run `check_document` on `data` already (`matcher.io` does).
    """
    if not isinstance(data, dict):
        raise InputError("", "a problem document must be a JSON object", source)
    if not checked:
        check_document(data, source)
    try:
        problem = Problem.model_validate(data)
    except ValidationError as err:
        raise _from_validation_error(err, source) from None
    _check_references(problem, source)
    return problem


def parse_plan(data: Any, problem: Problem | None = None, source: str | None = None,
               checked: bool = False) -> Plan:
    """Parse a plan document or raise `InputError`.

    With `problem`, every id the plan names must exist in it (a dangling reference is bad
    input, not a broken rule).
    """
    if not isinstance(data, dict):
        raise InputError("", "a plan document must be a JSON object", source)
    if not checked:
        check_document(data, source)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as err:
        raise _from_validation_error(err, source) from None
    if problem is not None:
        tables = {
            "need": {n.id for n in problem.needs},
            "volunteer": {v.id for v in problem.volunteers},
            "venue": {u.id for u in problem.venues},
            "fund": {f.id for f in problem.funds},
        }
        for i, nid in enumerate(plan.met):
            if nid not in tables["need"]:
                raise InputError(f"met[{i}]", f"no need with id {nid!r}", source)
        for list_name in ("assignments", "bookings", "grants", "unmet"):
            for i, e in enumerate(getattr(plan, list_name)):
                for key, ids in tables.items():
                    ref = getattr(e, key, None)
                    if ref is not None and ref not in ids:
                        raise InputError(
                            f"{list_name}[{i}].{key}", f"no {key} with id {ref!r}", source
                        )
    return plan
