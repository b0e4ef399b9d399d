"""A fast path for loading large, valid problem documents (the province: 168 MB).

`matcher.model` validates a document with pydantic and a Python callback per number, string
and time, which costs about a second per megabyte. Here msgspec decodes the bytes straight
into typed structs (types, bounds and times checked in C), the few rules that tie fields
together are checked in plain loops, and the pydantic models are built without validating
again (`model_construct`).

There is one validation path for correctness: this one only says yes or "not sure". Any
document it does not accept in full (a type or bound broken, an unknown key, `40.0` for an
integer, a time that is not RFC 3339, anything `check_document` could object to) goes
through `matcher.model.parse_problem`, which gives the error with its JSON path.
"""

from __future__ import annotations

import gc
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from matcher import model as m

Int = Annotated[int, Meta(ge=-m.MAX_INT, le=m.MAX_INT)]
Id = Annotated[str, Meta(min_length=1)]
Count = Annotated[int, Meta(ge=1, le=m.MAX_COUNT)]
Money = Annotated[int, Meta(gt=0, le=m.MAX_MONEY)]
NonNeg = Annotated[float, Meta(ge=0)]


class _S(Struct, forbid_unknown_fields=True, gc=False):
    pass


class Location(_S):
    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]


class Interval(_S):
    start: str  # times stay text here: the model's own parser reads them (cached)
    end: str


class Volunteer(_S):
    id: Id
    location: Location
    skills: list[str] = []
    availability: list[Interval] | None = None
    max_hours: NonNeg | None = None
    max_travel_km: NonNeg = m.DEFAULT_MAX_TRAVEL_KM


class Venue(_S):
    id: Id
    location: Location
    capacity: Count
    name: str = ""
    features: list[str] = []
    availability: list[Interval] | None = None
    rating: Annotated[float, Meta(ge=0, le=5)] = m.DEFAULT_RATING


class Fund(_S):
    id: Id
    amount: Money
    donor: str = ""
    categories: list[str] = []
    regions: list[str] = []
    expires: str | None = None


class Role(_S):
    skill: str
    count: Count
    min_count: Annotated[int, Meta(ge=1, le=m.MAX_INT)] | None = None


class VenueRequest(_S):
    capacity: Count
    features: list[str] = []
    max_distance_km: NonNeg = m.DEFAULT_VENUE_MAX_DISTANCE_KM


class Need(_S):
    id: Id
    location: Location
    start: str
    end: str
    priority: Annotated[int, Meta(ge=1, le=5)]
    title: str = ""
    category: str = ""
    region: str = ""
    roles: list[Role] = []
    venue: VenueRequest | None = None
    funding: Annotated[int, Meta(ge=0, le=m.MAX_MONEY)] = 0
    weight: Annotated[int, Meta(ge=1, le=m.MAX_WEIGHT)] | None = None


class Pin(_S):
    need: Id
    volunteer: Id | None = None
    venue: Id | None = None
    fund: Id | None = None
    amount: Money | None = None


class Forbid(_S):
    need: Id
    volunteer: Id | None = None
    venue: Id | None = None
    fund: Id | None = None


class Fairness(_S):
    region_depth: Annotated[int, Meta(ge=0, le=m.MAX_INT)]


class Objective(_S):
    priority_weights: Annotated[list[Annotated[int, Meta(ge=1, le=m.MAX_WEIGHT)]],
                                Meta(min_length=5, max_length=5)] = msgspec.field(
        default_factory=lambda: list(m.DEFAULT_PRIORITY_WEIGHTS))
    fairness: Fairness | None = None


class Problem(_S):
    version: Literal[1] = 1
    name: str = ""
    currency: str = "CNY"
    volunteers: list[Volunteer] = []
    venues: list[Venue] = []
    funds: list[Fund] = []
    needs: list[Need] = []
    pins: list[Pin] = []
    forbid: list[Forbid] = []
    objective: Objective | None = None


_DECODER = msgspec.json.Decoder(Problem)


class _NotSure(Exception):
    pass


_set = object.__setattr__


def _mk(cls: Any, **fields: Any) -> Any:
    """What `model_construct` does for a model given every field (no defaults to fill, no
    extra keys), without its per-call overhead: a third of the loading time otherwise."""
    obj = cls.__new__(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(fields))
    _set(obj, "__pydantic_extra__", {})
    _set(obj, "__pydantic_private__", None)
    return obj


_times: dict[str, datetime] = {}


def _time(text: str) -> datetime:
    # The model's own time parser (`model._iso_time`: an offset, whole seconds), once per
    # distinct text: a city's availability windows repeat the same few thousand times.
    t = _times.get(text)
    if t is None:
        if len(_times) > 1_000_000:
            _times.clear()
        t = _times[text] = m._iso_time(text)
    return t


_windows: dict[tuple[str, str], m.Interval] = {}


def _interval(start_text: str, end_text: str) -> m.Interval:
    # One frozen `Interval` per distinct window text, shared by every owner that lists it:
    # the province's 1.27 million availability windows are 367 distinct ones, and building
    # (and later garbage-scanning) a model object per window was most of its loading time.
    key = (start_text, end_text)
    iv = _windows.get(key)
    if iv is None:
        start, end = _time(start_text), _time(end_text)
        if not end > start:
            raise _NotSure
        if len(_windows) > 1_000_000:
            _windows.clear()
        iv = _windows[key] = _mk(m.Interval, start=start, end=end)
    return iv


def _intervals(items: list[Interval] | None) -> list[m.Interval] | None:
    if items is None:
        return None
    return [_interval(iv.start, iv.end) for iv in items]


def _loc(loc: Location) -> m.Location:
    return _mk(m.Location, lat=float(loc.lat), lon=float(loc.lon))


def _one_of(e: Pin | Forbid) -> None:
    if sum(x is not None for x in (e.volunteer, e.venue, e.fund)) != 1:
        raise _NotSure
    if isinstance(e, Pin) and (e.fund is None) != (e.amount is None):
        raise _NotSure


def _build(p: Problem) -> m.Problem:
    vols = [_mk(m.Volunteer,
        id=v.id, location=_loc(v.location), skills=v.skills,
        availability=_intervals(v.availability),
        max_hours=None if v.max_hours is None else float(v.max_hours),
        max_travel_km=float(v.max_travel_km)) for v in p.volunteers]
    venues = [_mk(m.Venue,
        id=u.id, name=u.name, location=_loc(u.location), capacity=u.capacity,
        features=u.features, availability=_intervals(u.availability),
        rating=float(u.rating)) for u in p.venues]
    funds = [_mk(m.Fund,
        id=f.id, donor=f.donor, amount=f.amount, categories=f.categories, regions=f.regions,
        expires=None if f.expires is None else _time(f.expires)) for f in p.funds]
    needs = []
    for n in p.needs:
        start, end = _time(n.start), _time(n.end)
        if not end > start or (not n.roles and n.funding == 0 and n.venue is None):
            raise _NotSure
        roles = []
        for r in n.roles:
            if r.min_count is not None and r.min_count > r.count:
                raise _NotSure
            roles.append(_mk(m.Role, skill=r.skill, count=r.count,
                                                min_count=r.min_count))
        venue = None if n.venue is None else _mk(m.VenueRequest,
            capacity=n.venue.capacity, features=n.venue.features,
            max_distance_km=float(n.venue.max_distance_km))
        needs.append(_mk(m.Need,
            id=n.id, title=n.title, category=n.category, region=n.region,
            location=_loc(n.location), start=start, end=end, priority=n.priority,
            roles=roles, venue=venue, funding=n.funding, weight=n.weight))
    for pin in p.pins:
        _one_of(pin)
    for fb in p.forbid:
        _one_of(fb)
    pins = [_mk(m.Pin, need=e.need, volunteer=e.volunteer, venue=e.venue,
                                  fund=e.fund, amount=e.amount) for e in p.pins]
    forbid = [_mk(m.Forbid, need=e.need, volunteer=e.volunteer, venue=e.venue,
                                       fund=e.fund) for e in p.forbid]
    obj = p.objective or Objective()
    objective = _mk(m.Objective,
        priority_weights=list(obj.priority_weights),
        fairness=None if obj.fairness is None else _mk(m.Fairness,
            region_depth=obj.fairness.region_depth))
    return _mk(m.Problem,
        version=1, name=p.name, currency=p.currency, volunteers=vols, venues=venues,
        funds=funds, needs=needs, pins=pins, forbid=forbid, objective=objective)


def fast_problem(raw: bytes, source: str | None = None) -> m.Problem | None:
    """The problem in `raw` when it is valid in full and this path is sure of it; None
    means: use `matcher.model.parse_problem` (which also gives any error's path)."""
    # Millions of new objects and no garbage: the cyclic collector would walk them again
    # and again (half the time on the province); it runs once at the end instead.
    enabled = gc.isenabled()
    gc.disable()
    try:
        decoded = _DECODER.decode(raw)
        problem = _build(decoded)
    except (msgspec.DecodeError, msgspec.ValidationError, _NotSure, ValueError, TypeError,
            OverflowError):
        return None
    finally:
        if enabled:
            gc.enable()
    try:
        m._check_references(problem, source)
    except m.InputError:
        return None
    return problem


def same(a: Any, b: Any) -> bool:
    """Two problems equal field by field (for tests: the fast path and the model agree)."""
    return bool(a.model_dump() == b.model_dump())
