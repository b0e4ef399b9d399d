"""Helpers shared by the scenario generators: time, distance, SPEC's per-pair rules, the
seeded random source `Rng`, places and communities."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np

TZ = timezone(timedelta(hours=8))
HOUR = 3600
DAY = 86400
EARTH_R = 6371.0088


def epoch(y, m, d, hh=0, mm=0):
    return int(datetime(y, m, d, hh, mm, tzinfo=TZ).timestamp())


_ISO_CACHE: dict[int, str] = {}


def iso(t):
    s = _ISO_CACHE.get(t)
    if s is None:
        s = datetime.fromtimestamp(t, TZ).isoformat()
        if len(_ISO_CACHE) < 2_000_000:
            _ISO_CACHE[t] = s
    return s


def hav_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def dist_m(lat1, lon1, lat2, lon2):
    return int(round(1000 * float(hav_km(lat1, lon1, lat2, lon2))))


def within(lat1, lon1, lat2, lon2, limit_km):
    return dist_m(lat1, lon1, lat2, lon2) <= round(1000 * limit_km)


def fits(windows, s, e):
    if windows is None:
        return True
    return any(ws <= s and e <= we for ws, we in windows)


def region_in(region, r):
    return region == r or region.startswith(r + "/")


def yuan(x):
    """CNY -> fen (int)."""
    return int(round(x * 100))


def weekly(week0, n_weeks, slots, lo=None, hi=None):
    """Windows from a weekly pattern.  week0: epoch of a Monday 00:00;
    slots: (weekday 0..6, start minute, end minute) with end possibly past midnight."""
    out = []
    for w in range(n_weeks):
        base = week0 + w * 7 * DAY
        for wd, sm, em in slots:
            s = base + wd * DAY + sm * 60
            e = base + wd * DAY + em * 60
            if (lo is None or s >= lo) and (hi is None or e <= hi):
                out.append((s, e))
    out.sort()
    return out


def hm(h, m=0):
    return h * 60 + m


class Rng:
    """Thin wrapper over numpy's Generator returning plain Python values."""

    def __init__(self, seq):
        self.g = np.random.default_rng(seq)

    def random(self):
        return float(self.g.random())

    def chance(self, p):
        return self.g.random() < p

    def int(self, lo, hi):  # inclusive
        return int(self.g.integers(lo, hi + 1))

    def choice(self, seq, p=None):
        if p is not None:
            p = np.asarray(p, dtype=float)
            p = p / p.sum()
        return seq[int(self.g.choice(len(seq), p=p))]

    def sample(self, seq, k):
        idx = self.g.choice(len(seq), size=min(k, len(seq)), replace=False)
        return [seq[int(i)] for i in sorted(idx)]

    def normal(self, sd):
        return float(self.g.normal(0.0, sd))

    def near(self, lat, lon, sd_km, max_km=None):
        while True:
            dx, dy = self.normal(sd_km), self.normal(sd_km)
            if max_km is None or math.hypot(dx, dy) <= max_km:
                break
        return (
            round(lat + dy / 111.195, 5),
            round(lon + dx / (111.195 * math.cos(math.radians(lat))), 5),
        )

    def disc(self, lat, lon, r_km, r0_km=0.0):
        ang = 2 * math.pi * self.random()
        r = math.sqrt(r0_km**2 + (r_km**2 - r0_km**2) * self.random())
        dx, dy = r * math.cos(ang), r * math.sin(ang)
        return (
            round(lat + dy / 111.195, 5),
            round(lon + dx / (111.195 * math.cos(math.radians(lat))), 5),
        )


class Place:
    __slots__ = ("code", "name", "lat", "lon", "weight", "urban", "subs")

    def __init__(self, code, name, lat, lon, weight=1.0, urban=False):
        self.code, self.name, self.lat, self.lon = code, name, lat, lon
        self.weight, self.urban, self.subs = weight, urban, []


def add_communities(rng, town, n, sd_km):
    for i in range(n):
        lat, lon = rng.near(town.lat, town.lon, sd_km, 3 * sd_km)
        town.subs.append(
            Place(f"{town.code}/{i + 1:03d}", f"{town.name} community {i + 1}", lat, lon)
        )


def skills_from(rng, probs, fallback="general_service"):
    out = [s for s, p in probs if rng.chance(p)]
    return out or [fallback]
