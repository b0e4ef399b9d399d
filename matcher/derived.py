"""SPEC's derived quantities, in one place, vectorised with numpy.

Distances are whole metres (haversine, Earth radius 6371.0088 km); times are integer seconds
since the epoch; intervals are half-open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matcher.model import Interval, Location, Need, Problem

EARTH_RADIUS_KM = 6371.0088


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def epoch(t: datetime) -> int:
    """A time as whole seconds since the epoch (SPEC times carry a UTC offset).

    Exact integer arithmetic: a float timestamp has no whole-second precision left near
    the year 9999. The model accepts whole seconds only.
    """
    return (t - _EPOCH) // _SECOND


# Farther than any two points on Earth: a larger limit means "anywhere" and is clamped here
# so that it fits in 64-bit integers.
FAR_KM = 40_000.0


def limit_m(km: ArrayLike) -> NDArray[np.int64]:
    """SPEC: a limit of L km is respected when d_m <= round(1000 * L)."""
    clamped = np.minimum(np.asarray(km, dtype=np.float64), FAR_KM)
    return np.rint(clamped * 1000.0).astype(np.int64)


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Points on the unit sphere; chord length orders pairs exactly as great-circle distance."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def haversine_m(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.int64]:
    """SPEC distance: round(1000 * haversine_km), broadcast over arrays."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return np.rint(1000.0 * km).astype(np.int64)


def distance_m(a: Location, b: Location) -> int:
    """SPEC distance between two locations, in whole metres."""
    return int(haversine_m(a.lat, a.lon, b.lat, b.lon))


def within(d_m: ArrayLike, limit_km: ArrayLike) -> NDArray[np.bool_]:
    return np.asarray(d_m) <= limit_m(limit_km)


def overlaps(s1: ArrayLike, e1: ArrayLike, s2: ArrayLike, e2: ArrayLike) -> NDArray[np.bool_]:
    """Half-open intervals [s1, e1) and [s2, e2) overlap when s1 < e2 and s2 < e1."""
    return (np.asarray(s1) < np.asarray(e2)) & (np.asarray(s2) < np.asarray(e1))


def windows(availability: Sequence[Interval] | None) -> NDArray[np.int64] | None:
    """An availability list as a (k, 2) array of [start, end) seconds; None means always."""
    if availability is None:
        return None
    arr = np.array([[epoch(w.start), epoch(w.end)] for w in availability], dtype=np.int64)
    return arr.reshape(-1, 2)


def fits(
    starts: ArrayLike, ends: ArrayLike, avail: NDArray[np.int64] | None
) -> NDArray[np.bool_]:
    """Which intervals fit an availability list: one window w with w.start <= s and e <= w.end."""
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    if avail is None:
        return np.ones(s.shape, dtype=bool)
    if len(avail) == 0:
        return np.zeros(s.shape, dtype=bool)
    ok = (avail[:, 0][None, :] <= s[..., None]) & (e[..., None] <= avail[:, 1][None, :])
    return np.asarray(ok.any(axis=-1))


def lies_in(need_region: str, region: str) -> bool:
    """SPEC: a need lies in region r when its region equals r or starts with r + '/'."""
    return need_region == region or need_region.startswith(region + "/")


def fund_eligible(
    categories: Sequence[str],
    regions: Sequence[str],
    expires: int | None,
    category: str,
    region: str,
    start: int,
) -> bool:
    """Rule 10 for one fund and one need."""
    if categories and category not in categories:
        return False
    if regions and not any(lies_in(region, r) for r in regions):
        return False
    return expires is None or start <= expires


def need_weight(problem: Problem, need: Need) -> int:
    return problem.weight(need)


def weights(problem: Problem) -> NDArray[np.int64]:
    """The weight of every need, in document order."""
    return np.array([problem.weight(n) for n in problem.needs], dtype=np.int64)


def fairness_group(region: str, depth: int) -> str:
    """The group of a need for fairness: the first `depth` parts of its region."""
    if depth == 0:
        return ""
    return "/".join(region.split("/")[:depth])


def fairness_groups(problem: Problem, depth: int) -> dict[str, list[int]]:
    """Need indices grouped by the first `depth` parts of their region."""
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(problem.needs):
        groups.setdefault(fairness_group(n.region, depth), []).append(i)
    return groups


def fairness_value(problem: Problem, met: Sequence[bool], depth: int) -> Fraction:
    """Smallest, over the groups, of met weight over the group's total weight (exact)."""
    w = weights(problem)
    value: Fraction | None = None
    for idx in fairness_groups(problem, depth).values():
        total = int(w[idx].sum())
        got = int(sum(int(w[i]) for i in idx if met[i]))
        f = Fraction(got, total)
        value = f if value is None else min(value, f)
    return value if value is not None else Fraction(1)
