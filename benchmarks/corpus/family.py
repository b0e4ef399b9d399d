"""A second family of matching problems, generated independently of `scenarios/generate.py`
(nothing is shared with it: other province, other calendar, other mixes).

Geography: Gansu province. County seats are real (`data/gansu_counties.csv`, from the PyPI
package cpca 0.5.5); every town and community is a **synthetic** point around its county seat,
with region codes `<county adcode>/<town 2 digits>/<community 3 digits>` that are our own
numbering, not official codes. An instance takes the counties nearest to a seeded centre.

Each recipe in `RECIPES` fixes: volunteers (five sizes, 100 to 10,000), horizon (1 to 14
days), volunteer windows (`narrow`: a few hours on some days; `wide`: whole days or always;
`mixed`), the share of needs pinned and forbidden (up to 10%), fairness (none, by town =
region depth 2, by community = depth 3), money (`tight`: funds hold about 55% of the funding
asked; `loose`: about 150%) and the kind (`activities`: classes, visits, clinics with venues
and grants; `surge`: a fortnight of thousands of short shifts besides a few activities).

Pins always hold together: each pinned need is given a full staffing (every role to its
minimum, a venue, its funding) that is consistent with every earlier pinned need, and one
item of that staffing is pinned. The staffings form the *witness*, a valid partial plan
(`witness(doc)` rebuilds it), which the tests check with `matcher.validate`. Forbids never hit
a witness item. Deterministic: the same recipe and seed give the same bytes (stdlib `random`).

    python -m benchmarks.corpus.family --out-dir benchmarks/corpus/out/family [--only a,b]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TZ = timezone(timedelta(hours=8))
T0 = datetime(2027, 3, 1, tzinfo=TZ)  # a Monday; other scenarios live in 2018-2026
R_KM = 6371.0088
SEED = 7

SKILLS = {  # skill: share of volunteers who have it
    "general": 0.55, "teaching": 0.25, "first_aid": 0.15, "driving": 0.15, "elder_care": 0.12,
    "sports_coaching": 0.08, "it_support": 0.08, "legal_aid": 0.03, "counselling": 0.03,
    "photography": 0.06,
}
FEATURES = ["classroom", "hall", "sports_ground", "counselling_room", "kitchen", "computers"]
ACTIVITIES = [  # category, title, skills it draws roles from, venue features or None
    ("after_school_class", "After-school class", ["teaching"], ["classroom"]),
    ("elder_visit", "Home visits to elderly residents", ["elder_care", "general"], None),
    ("health_check", "Free health check", ["first_aid", "general"], ["hall"]),
    ("legal_clinic", "Legal aid clinic", ["legal_aid"], ["classroom"]),
    ("sports_day", "Children's sports afternoon", ["sports_coaching", "first_aid"],
     ["sports_ground"]),
    ("digital_help", "Smartphone help for seniors", ["it_support", "general"], ["computers"]),
    ("counselling_session", "Counselling session", ["counselling"], ["counselling_room"]),
    ("community_meal", "Community kitchen", ["general"], ["kitchen"]),
    ("photo_archive", "Village photo archive", ["photography"], None),
    ("delivery_round", "Delivery round", ["driving", "general"], None),
]
GRANTS = [("student_aid", "Student grant", 800, 5000), ("micro_wish", "Micro-wish", 50, 400),
          ("elder_aid", "Winter aid for an elder", 300, 1500)]
SHIFTS = [("checkpoint", "Checkpoint shift", ["general"]),
          ("testing_support", "Testing-site support shift", ["general", "first_aid"]),
          ("supply_delivery", "Supply delivery shift", ["driving"]),
          ("hotline", "Hotline shift", ["counselling", "general"])]


@dataclass(frozen=True)
class Recipe:
    """How one instance is drawn (see the module docstring)."""

    name: str
    volunteers: int
    days: int
    windows: str  # narrow | wide | mixed
    pins: float  # share of needs pinned
    forbids: float  # share of needs with a forbid
    fairness: int | None  # region depth: 2 by town, 3 by community
    money: str  # tight | loose
    kind: str = "activities"  # activities | surge
    seed: int = SEED


SIZES = [100, 1000, 2500, 5000, 10000]


def _recipes() -> list[Recipe]:
    out = []
    for i, v in enumerate(SIZES):
        s = f"v{v}"
        out += [
            Recipe(f"{s}_day", v, 1 if i % 2 == 0 else 3, "narrow", 0.05, 0.05, None, "tight",
                   seed=SEED + i),
            Recipe(f"{s}_week_town", v, 7, "wide", 0.10, 0.10, 2, "loose", seed=SEED + 10 + i),
            Recipe(f"{s}_fortnight_community", v, 14, "mixed", 0.03, 0.03, 3, "tight",
                   seed=SEED + 20 + i),
            Recipe(f"{s}_surge", v, 14, "narrow", 0.03, 0.02, None, "loose", "surge",
                   seed=SEED + 30 + i),
        ]
    return out


RECIPES = {r.name: r for r in _recipes()}


# --- geometry and time (SPEC's definitions) -----------------------------------------------


def hav_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    """SPEC distance in whole metres."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return round(1000 * 2 * R_KM * math.asin(min(1.0, math.sqrt(h))))


def within(a: tuple[float, float], b: tuple[float, float], km: float) -> bool:
    """Within `km`, with 20 m to spare so float rounding elsewhere can never flip it."""
    return hav_m(a, b) + 20 <= round(1000 * km)


def jitter(rng: random.Random, p: tuple[float, float], sd_km: float) -> tuple[float, float]:
    lat = p[0] + rng.gauss(0, sd_km) / 111.0
    lon = p[1] + rng.gauss(0, sd_km) / (111.0 * math.cos(math.radians(p[0])))
    return (round(lat, 5), round(lon, 5))


def iso(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).isoformat()


def loc(p: tuple[float, float]) -> dict[str, float]:
    return {"lat": p[0], "lon": p[1]}


# --- places ---------------------------------------------------------------------------------


def counties() -> list[tuple[str, str, float, float]]:
    with open(HERE / "data" / "gansu_counties.csv", encoding="utf-8") as fh:
        rows = [ln for ln in fh if not ln.startswith("#")]
    return [(r["adcode"], r["name"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(rows)]


@dataclass
class Community:
    region: str
    point: tuple[float, float]


def geography(rng: random.Random, n_vol: int) -> tuple[list[Community], dict[str, Any]]:
    """Counties nearest a random centre; synthetic towns and communities around them."""
    allc = counties()
    k = max(1, min(len(allc), round(n_vol / 800)))
    centre = rng.choice(allc)
    near = sorted(allc, key=lambda c: hav_m((centre[2], centre[3]), (c[2], c[3])))[:k]
    comms: list[Community] = []
    towns: dict[str, tuple[float, float]] = {}
    for code, _name, lat, lon in sorted(near):
        for t in range(1, rng.randint(6, 10) + 1):
            tp = jitter(rng, (lat, lon), 9.0)
            towns[f"{code}/{t:02d}"] = tp
            for c in range(1, rng.randint(4, 8) + 1):
                comms.append(Community(f"{code}/{t:02d}/{c:03d}", jitter(rng, tp, 1.5)))
    meta = {"counties": [f"{c[0]} {c[1]}" for c in sorted(near)], "n_towns": len(towns),
            "communities": len(comms)}
    return comms, {"towns": towns, **meta}


# --- the generator --------------------------------------------------------------------------


def _availability(rng: random.Random, mode: str, days: int) -> list[dict[str, str]] | None:
    if mode == "mixed":
        mode = rng.choice(["narrow", "wide"])
    if mode == "wide":
        if rng.random() < 0.4:
            return None
        return [{"start": iso(d * 1440 + 7 * 60), "end": iso(d * 1440 + 22 * 60)}
                for d in range(days) if rng.random() < 0.75]
    out = []
    for d in range(days):
        if days > 1 and rng.random() < 0.45:
            continue
        starts = sorted(rng.sample(range(7, 20), rng.choice([1, 1, 2])))
        last = 0
        for h in starts:
            s = max(d * 1440 + h * 60, last)
            e = min(s + rng.choice([2, 3, 4, 5]) * 60, d * 1440 + 23 * 60)
            if e > s:
                out.append({"start": iso(s), "end": iso(e)})
                last = e
    return out


def _volunteer(rng: random.Random, i: int, comms: list[Community], r: Recipe) -> dict[str, Any]:
    home = jitter(rng, rng.choice(comms).point, 0.8)
    skills = [s for s, p in SKILLS.items() if rng.random() < p] or ["general"]
    v: dict[str, Any] = {"id": f"v{i:05d}", "location": loc(home), "skills": skills}
    av = _availability(rng, r.windows, r.days)
    if av is not None:
        v["availability"] = av
    if rng.random() < 0.8:
        v["max_hours"] = rng.choice([3, 4, 6, 8] if r.days <= 3 else [6, 10, 16, 24, 40])
    v["max_travel_km"] = rng.choice([3, 5, 5, 8, 10, 10, 15, 25])
    return v


def _venues(rng: random.Random, towns: dict[str, tuple[float, float]], days: int
            ) -> list[dict[str, Any]]:
    out = []
    for t, tp in towns.items():
        for _ in range(rng.randint(1, 3)):
            feats = sorted(rng.sample(FEATURES, rng.randint(1, 3)))
            hours = [(8 * 60, 21 * 60)] if rng.random() < 0.7 else [(8 * 60, 12 * 60),
                                                                    (14 * 60, 20 * 60)]
            av = [{"start": iso(d * 1440 + a), "end": iso(d * 1440 + b)}
                  for d in range(days) if rng.random() < 0.85 for a, b in hours]
            out.append({"id": f"u{len(out):04d}", "name": f"Community centre {t} #{len(out)}",
                        "location": loc(jitter(rng, tp, 2.0)),
                        "capacity": rng.choice([15, 20, 30, 40, 60, 120, 200]),
                        "features": feats, "availability": av,
                        "rating": round(rng.uniform(2.5, 5.0), 1)})
    return out


def _activity(rng: random.Random, c: Community, r: Recipe) -> dict[str, Any]:
    cat, title, skills, feats = rng.choice(ACTIVITIES)
    day = rng.randrange(r.days)
    dur = rng.choice([60, 90, 120, 120, 180, 240])
    start = day * 1440 + rng.randrange(8 * 60, 20 * 60 - dur + 1, 30)
    roles = []
    for s in skills[: rng.choice([1, 1, 2])]:
        count = rng.choice([1, 1, 2, 3, 4])
        roles.append({"skill": s, "count": count, "min_count": rng.randint(1, count)})
    n: dict[str, Any] = {"title": f"{title}, {c.region}", "category": cat, "region": c.region,
                         "location": loc(jitter(rng, c.point, 0.3)), "start": iso(start),
                         "end": iso(start + dur), "priority": rng.choice([1, 2, 2, 3, 3, 4, 5]),
                         "roles": roles}
    if feats is not None and rng.random() < 0.6:
        n["venue"] = {"capacity": rng.choice([10, 15, 20, 30, 40]), "features": feats,
                      "max_distance_km": rng.choice([2, 3, 5, 8])}
    if rng.random() < 0.12:
        n["funding"] = rng.randrange(200, 3000, 50) * 100
    return n


def _grant(rng: random.Random, c: Community, r: Recipe) -> dict[str, Any]:
    cat, title, lo, hi = rng.choice(GRANTS)
    start = rng.randrange(r.days) * 1440 + 9 * 60
    return {"title": f"{title}, {c.region}", "category": cat, "region": c.region,
            "location": loc(c.point), "start": iso(start), "end": iso(start + 60),
            "priority": rng.choice([2, 3, 3, 4]), "roles": [],
            "funding": rng.randrange(lo, hi + 1, 50) * 100}


def _shift(rng: random.Random, c: Community, r: Recipe) -> dict[str, Any]:
    cat, title, skills = rng.choice(SHIFTS)
    dur = rng.choice([60, 120, 120, 180])
    start = rng.randrange(r.days) * 1440 + rng.randrange(7 * 60, 22 * 60 - dur + 1, 60)
    count = rng.choice([1, 1, 2, 3])
    return {"title": f"{title}, {c.region}", "category": cat, "region": c.region,
            "location": loc(jitter(rng, c.point, 0.4)), "start": iso(start),
            "end": iso(start + dur), "priority": rng.choice([2, 3, 4, 5]),
            "roles": [{"skill": rng.choice(skills), "count": count,
                       "min_count": rng.randint(1, count)}]}


def _funds(rng: random.Random, needs: list[dict[str, Any]], r: Recipe,
           counties_: list[str], towns: list[str]) -> list[dict[str, Any]]:
    asked = sum(n.get("funding", 0) for n in needs)
    total = int(asked * (0.55 if r.money == "tight" else 1.5)) // 100 * 100
    k = max(3, r.volunteers // 125)
    shares = [rng.uniform(0.3, 1.0) for _ in range(k)]
    out = []
    cats = sorted({n["category"] for n in needs if n.get("funding", 0) > 0})
    for i, s in enumerate(shares):
        amount = max(100_00, int(total * s / sum(shares)) // 100 * 100)
        f: dict[str, Any] = {"id": f"f{i:03d}", "donor": f"Donor {i + 1} (synthetic)",
                             "amount": amount}
        x = rng.random()
        if cats and x < 0.5:
            f["categories"] = [rng.choice(cats)]
        elif cats and x < 0.65:
            f["categories"] = sorted(rng.sample(cats, min(2, len(cats))))
        y = rng.random()
        if y < 0.35:
            f["regions"] = [rng.choice(counties_)]
        elif y < 0.5:
            f["regions"] = sorted(rng.sample(towns, min(3, len(towns))))
        if r.days > 2 and rng.random() < 0.25:
            f["expires"] = iso(rng.randrange(r.days // 2, r.days) * 1440 + 12 * 60)
        out.append(f)
    return out


# --- pins with a witness ----------------------------------------------------------------------


def _minutes(s: str) -> int:
    return int((datetime.fromisoformat(s) - T0).total_seconds()) // 60


def _fits(av: list[dict[str, str]] | None, s: int, e: int) -> bool:
    return av is None or any(_minutes(w["start"]) <= s and e <= _minutes(w["end"]) for w in av)


def _region_in(region: str, r: str) -> bool:
    return region == r or region.startswith(r + "/")


def _fund_ok(f: dict[str, Any], n: dict[str, Any]) -> bool:
    return ((not f.get("categories") or n["category"] in f["categories"])
            and (not f.get("regions") or any(_region_in(n["region"], x) for x in f["regions"]))
            and ("expires" not in f or n["start"] <= f["expires"]))


class Witness:
    """Resources already given to pinned needs: a valid partial plan under construction."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.busy: dict[str, list[tuple[int, int]]] = {}
        self.hours: dict[str, int] = {}
        self.booked: dict[str, list[tuple[int, int]]] = {}
        self.left = {f["id"]: f["amount"] for f in doc["funds"]}
        self.assign: list[dict[str, Any]] = []
        self.book: list[dict[str, Any]] = []
        self.grant: list[dict[str, Any]] = []
        self.items: dict[str, set[str]] = {}

    def vol_ok(self, v: dict[str, Any], n: dict[str, Any], s: int, e: int) -> bool:
        p = (v["location"]["lat"], v["location"]["lon"])
        q = (n["location"]["lat"], n["location"]["lon"])
        used = self.hours.get(v["id"], 0) + (e - s)
        return (within(p, q, v.get("max_travel_km", 10)) and _fits(v.get("availability"), s, e)
                and all(e <= a or b <= s for a, b in self.busy.get(v["id"], []))
                and ("max_hours" not in v or used * 60 <= v["max_hours"] * 3600))

    def staff(self, n: dict[str, Any], vols_by_skill: dict[str, list[dict[str, Any]]],
              rng: random.Random) -> dict[str, Any] | None:
        """A full staffing of `n` consistent with the earlier ones, or None."""
        s, e = _minutes(n["start"]), _minutes(n["end"])
        q = (n["location"]["lat"], n["location"]["lon"])
        taken: set[str] = set()
        got: list[tuple[str, str]] = []
        for role in n["roles"]:
            pool = [v for v in vols_by_skill.get(role["skill"], [])
                    if v["id"] not in taken and self.vol_ok(v, n, s, e)]
            if len(pool) < role.get("min_count", role["count"]):
                return None
            for v in rng.sample(pool, role.get("min_count", role["count"])):
                taken.add(v["id"])
                got.append((role["skill"], v["id"]))
        venue = None
        if n.get("venue"):
            req = n["venue"]
            ok = [u for u in self.doc["venues"]
                  if u["capacity"] >= req["capacity"]
                  and set(req.get("features", [])) <= set(u["features"])
                  and within((u["location"]["lat"], u["location"]["lon"]), q,
                             req.get("max_distance_km", 5))
                  and _fits(u.get("availability"), s, e)
                  and all(e <= a or b <= s for a, b in self.booked.get(u["id"], []))]
            if not ok:
                return None
            venue = rng.choice(ok)["id"]
        fund = None
        if n.get("funding", 0) > 0:
            ok_f = [f for f in self.doc["funds"]
                    if _fund_ok(f, n) and self.left[f["id"]] >= n["funding"]]
            if not ok_f:
                return None
            fund = rng.choice(ok_f)["id"]
        return {"vols": got, "venue": venue, "fund": fund, "s": s, "e": e}

    def take(self, n: dict[str, Any], st: dict[str, Any]) -> None:
        vols = {v["id"]: v for v in self.doc["volunteers"]}
        q = (n["location"]["lat"], n["location"]["lon"])
        items = self.items.setdefault(n["id"], set())
        for skill, vid in st["vols"]:
            self.busy.setdefault(vid, []).append((st["s"], st["e"]))
            self.hours[vid] = self.hours.get(vid, 0) + st["e"] - st["s"]
            v = vols[vid]
            self.assign.append({"need": n["id"], "skill": skill, "volunteer": vid,
                                "distance_m": hav_m((v["location"]["lat"],
                                                     v["location"]["lon"]), q)})
            items.add(vid)
        if st["venue"]:
            self.booked.setdefault(st["venue"], []).append((st["s"], st["e"]))
            u = next(u for u in self.doc["venues"] if u["id"] == st["venue"])
            self.book.append({"need": n["id"], "venue": st["venue"],
                              "distance_m": hav_m((u["location"]["lat"],
                                                   u["location"]["lon"]), q)})
            items.add(st["venue"])
        if st["fund"]:
            self.left[st["fund"]] -= n["funding"]
            self.grant.append({"need": n["id"], "fund": st["fund"], "amount": n["funding"]})
            items.add(st["fund"])


def _pins_and_forbids(rng: random.Random, doc: dict[str, Any], r: Recipe) -> Witness:
    w = Witness(doc)
    by_skill: dict[str, list[dict[str, Any]]] = {}
    for v in doc["volunteers"]:
        for s in v["skills"]:
            by_skill.setdefault(s, []).append(v)
    needs = doc["needs"]
    want = round(r.pins * len(needs))
    order = rng.sample(range(len(needs)), len(needs))
    for i in order:
        if len(w.items) >= want:
            break
        n = needs[i]
        st = w.staff(n, by_skill, rng)
        if st is None:
            continue
        w.take(n, st)
        kinds = ([("volunteer", st["vols"][0][1])] if st["vols"] else []) + (
            [("venue", st["venue"])] if st["venue"] else []) + (
            [("fund", st["fund"])] if st["fund"] else [])
        kind, ident = rng.choice(kinds)
        pin: dict[str, Any] = {"need": n["id"], kind: ident}
        if kind == "fund":
            pin["amount"] = n["funding"]
        doc["pins"].append(pin)
    # Forbids: plausible pairs (a volunteer with the skill nearby, a venue, an eligible fund),
    # never an item the witness uses for that need.
    want_f = round(r.forbids * len(needs))
    tries = 0
    seen: set[tuple[str, str]] = set()
    while len(doc["forbid"]) < want_f and tries < 50 * want_f:
        tries += 1
        n = needs[rng.randrange(len(needs))]
        q = (n["location"]["lat"], n["location"]["lon"])
        used = w.items.get(n["id"], set())
        cand: list[tuple[str, str]] = []
        if n["roles"]:
            pool = by_skill.get(rng.choice(n["roles"])["skill"], [])
            for v in rng.sample(pool, min(40, len(pool))):
                if within((v["location"]["lat"], v["location"]["lon"]), q,
                          v.get("max_travel_km", 10)):
                    cand.append(("volunteer", v["id"]))
                    break
        if n.get("venue") and doc["venues"]:
            cand.append(("venue", min(doc["venues"], key=lambda u: hav_m(
                (u["location"]["lat"], u["location"]["lon"]), q))["id"]))
        if n.get("funding", 0) > 0:
            ok_f = [f["id"] for f in doc["funds"] if _fund_ok(f, n)]
            if ok_f:
                cand.append(("fund", rng.choice(ok_f)))
        cand = [c for c in cand if c[1] not in used and (n["id"], c[1]) not in seen]
        if not cand:
            continue
        kind, ident = rng.choice(cand)
        seen.add((n["id"], ident))
        doc["forbid"].append({"need": n["id"], kind: ident})
    return w


def generate(r: Recipe) -> tuple[dict[str, Any], dict[str, Any]]:
    """(problem document, witness partial plan) for one recipe."""
    rng = random.Random(f"{r.name}:{r.seed}")
    comms, geo = geography(rng, r.volunteers)
    towns = geo.pop("towns")
    vols = [_volunteer(rng, i, comms, r) for i in range(r.volunteers)]
    venues = _venues(rng, towns, r.days)
    needs: list[dict[str, Any]] = []
    if r.kind == "surge":
        for _ in range(round(r.volunteers * 1.2)):
            needs.append(_shift(rng, rng.choice(comms), r))
        for _ in range(round(r.volunteers * 0.05)):
            needs.append(_activity(rng, rng.choice(comms), r))
        for _ in range(round(r.volunteers * 0.03)):
            needs.append(_grant(rng, rng.choice(comms), r))
    else:
        for _ in range(round(r.volunteers * 0.26)):
            needs.append(_activity(rng, rng.choice(comms), r))
        for _ in range(round(r.volunteers * 0.06)):
            needs.append(_grant(rng, rng.choice(comms), r))
    needs.sort(key=lambda n: (n["start"], n["region"], n["title"]))
    for i, n in enumerate(needs):
        n["id"] = f"n{i:05d}"
    needs = [{"id": n.pop("id"), **n} for n in needs]
    county_codes = sorted({c.region.split("/")[0] for c in comms})
    funds = _funds(rng, needs, r, county_codes, sorted(towns))
    doc: dict[str, Any] = {
        "version": 1, "name": f"gansu_{r.name}", "currency": "CNY", "volunteers": vols,
        "venues": venues, "funds": funds, "needs": needs, "pins": [], "forbid": [],
        "objective": {"priority_weights": [1, 2, 4, 8, 16],
                      "fairness": None if r.fairness is None else {"region_depth": r.fairness}},
    }
    w = _pins_and_forbids(rng, doc, r)
    witness = {"met": sorted(w.items), "assignments": w.assign, "bookings": w.book,
               "grants": w.grant}
    return doc, witness


def witness_plan(doc: dict[str, Any], witness: dict[str, Any]) -> Any:
    """The witness as a `matcher.model.Plan` (pinned needs met, everything else unmet), with
    its objective computed by `matcher.validate.plan_values`."""
    from matcher.model import parse_plan, parse_problem
    from matcher.validate import plan_values

    problem = parse_problem(doc)
    met = set(witness["met"])
    plan_doc = {"problem": doc["name"], "status": "feasible", "met": sorted(met),
                "assignments": witness["assignments"], "bookings": witness["bookings"],
                "grants": witness["grants"],
                "unmet": [{"need": n["id"], "reasons": ["not pinned"]}
                          for n in doc["needs"] if n["id"] not in met]}
    vals = plan_values(problem, parse_plan(plan_doc, problem))
    plan_doc["objective"] = {"coverage": vals.coverage, "fill": vals.fill,
                             "travel_m": vals.travel_m}
    if vals.fairness is not None:
        plan_doc["objective"]["fairness"] = float(vals.fairness)
    plan = parse_plan(plan_doc, problem)
    return problem, plan


def write(r: Recipe, out_dir: Path) -> Path:
    """Write `gansu_<name>.json` (compact) and its witness beside it; return the problem path."""
    doc, wit = generate(r)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{doc['name']}.json"
    path.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    (out_dir / f"{doc['name']}.witness.json").write_text(json.dumps(wit), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the Gansu family of problems.")
    ap.add_argument("--out-dir", default="benchmarks/corpus/out/family")
    ap.add_argument("--only", default="", help="comma-separated recipe names")
    ap.add_argument("--max-volunteers", type=int, default=10**9)
    args = ap.parse_args(argv)
    only = [x for x in args.only.split(",") if x]
    for name in only:
        if name not in RECIPES:
            print(f"unknown recipe {name!r}; one of {', '.join(RECIPES)}", file=sys.stderr)
            return 2
    for r in RECIPES.values():
        if (only and r.name not in only) or r.volunteers > args.max_volunteers:
            continue
        path = write(r, Path(args.out_dir))
        doc = json.loads(path.read_text(encoding="utf-8"))
        print(f"{path}: {len(doc['volunteers'])} volunteers, {len(doc['venues'])} venues, "
              f"{len(doc['funds'])} funds, {len(doc['needs'])} needs, {len(doc['pins'])} pins, "
              f"{len(doc['forbid'])} forbids", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
