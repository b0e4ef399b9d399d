"""The scenarios' tables, read from `scenarios/data/` (JSON and CSV) into the shapes the
generators use. Nothing here draws random numbers."""

from __future__ import annotations

import csv
import json
import os

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _json(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as fh:
        return json.load(fh)


def _hm(text):
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _pair(x):
    return None if x is None else tuple(x)


_places = _json("places.json")
# (name, lat, lon, population weight, urban)
TIANCHANG = [(t["name"], t["lat"], t["lon"], t["weight"], t["urban"])
             for t in _places["tianchang_towns"]]
# (name, lat, lon, number of communities)
CHENGYANG = [(t["name"], t["lat"], t["lon"], t["communities"])
             for t in _places["chengyang_streets"]]
RUNZHOU = [(t["name"], t["lat"], t["lon"]) for t in _places["runzhou_streets"]]
ZHECHENG = [(t["name"], t["lat"], t["lon"], t["urban"]) for t in _places["zhecheng_towns"]]
# code, English name, population weight, number of towns, town radius km
YIBIN_COUNTIES = [(c["code"], c["name"], c["weight"], c["towns"], c["radius_km"])
                  for c in _places["yibin_counties"]]
CODE_FIX = dict(_places["code_fix"])


def sichuan_table():
    """Sichuan county-level units (adcode, lat, lon, name), nearest Yibin's seat first."""
    with open(os.path.join(DATA, "sichuan_counties.csv"), encoding="utf-8") as fh:
        rows = [ln for ln in fh if not ln.startswith("#")]
    return [(r["adcode"], float(r["lat"]), float(r["lon"]), r["name"])
            for r in csv.DictReader(rows)]


# (title, category, roles, venue spec, minutes, slot kinds, sessions per town, towns,
#  funding range CNY, priority range)
TIANCHANG_PROJECTS = [
    (p["title"], p["category"], [tuple(r) for r in p["roles"]],
     None if p["venue"] is None else (p["venue"]["features"], *p["venue"]["capacity"],
                                      p["venue"]["max_km"]),
     p["minutes"], p["slots"], tuple(p["sessions_per_town"]), tuple(p["towns"]),
     _pair(p["funding_cny"]), tuple(p["priority"]))
    for p in _json("tianchang_projects.json")["projects"]
]

_rz = _json("runzhou.json")
RUNZHOU_UNITS = list(_rz["units"])
RUNZHOU_ROOM_KINDS = [(k["features"], *k["capacity"]) for k in _rz["room_kinds"]]
RUNZHOU_UNIT_ACTIVITIES = [(a["title"], a["category"], a["features"],
                            [tuple(r) for r in a["roles"]]) for a in _rz["unit_activities"]]
RUNZHOU_REGULAR = [(a["title"], a["category"], a["features"], a["capacity"])
                   for a in _rz["regular"]]

_yb = _json("yibin.json")
YIBIN_SKILL_SHARES = [tuple(x) for x in _yb["skill_shares"]]
# kind: (share, base features, optional features, capacity range, weekly opening slots)
YB_VENUE_KINDS = {
    k: (v["share"], v["features"], [tuple(x) for x in v["optional"]], tuple(v["capacity"]),
        [(d, _hm(a), _hm(b)) for d, a, b in v["opening"]])
    for k, v in _yb["venue_kinds"].items()
}
# category: (count per city, host kinds, venue features, cap range, roles spec, slot kinds,
#            weeks, duration min, priority range, p(no venue), funding range CNY, p(funding))
YB_ACTIVITIES = [
    (a["category"], a["per_city"], a["hosts"], a["features"], tuple(a["capacity"]),
     [tuple(r) for r in a["roles"]], a["slots"], a["weeks"], a["minutes"], tuple(a["priority"]),
     a["p_no_venue"], _pair(a["funding_cny"]), a["p_funding"])
    for a in _yb["activities"]
]
