"""Problems built unlike `scenarios/generate.py`, to reproduce the solver failures of issue 9.

Plain dicts in SPEC's format, a pure function of their arguments (seeded `random.Random`):

- `ptsp_like`: personnel task scheduling as the public PTSP set states it: every task a need
  at one place with one role whose skill only its qualified workers have, every worker a
  volunteer with one shift; a planted schedule makes every task doable;
- `pinned_city`: a city on another map (around 30.66 N, 104.06 E) over 1 to 14 days, with
  volunteer, venue and fund pins drawn from a planted valid assignment (so they hold
  together), forbids, and fairness by town when asked;
- `clashing_pins`: `pinned_city` plus two pins that cannot hold together (one volunteer
  pinned to two overlapping needs).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

Doc = dict[str, Any]
TZ = timezone(timedelta(hours=8))
BASE = datetime(2027, 3, 1, tzinfo=TZ)
CENTRE = (30.66, 104.06)


def _t(minutes: float) -> str:
    return (BASE + timedelta(minutes=int(minutes))).isoformat()


def ptsp_like(tasks: int, workers: int, seed: int = 0, extra_quals: float = 0.15) -> Doc:
    """`tasks` needs over one day at one place, `workers` volunteers with one shift each.

    A planted schedule (each worker a chain of non-overlapping tasks inside their shift)
    qualifies one worker per task; every worker is also qualified for about `extra_quals` of
    the other tasks in their shift.
    """
    rng = random.Random(seed)
    loc = {"lat": CENTRE[0], "lon": CENTRE[1]}
    shifts: list[tuple[int, int]] = []
    # Plant: one chain of consecutive tasks per worker inside their shift (touching
    # allowed); more workers than `workers` when the tasks need them.
    planted: list[tuple[int, int, int]] = []  # (start, end, worker)
    while len(planted) < tasks or len(shifts) < workers:
        s0 = rng.choice([0, 120, 240, 360, 480, 600])
        s0, e0 = s0, s0 + rng.choice([480, 600, 720])
        shifts.append((s0, e0))
        wk = len(shifts) - 1
        t = s0 + rng.randint(0, 60)
        while len(planted) < tasks:
            d = rng.randint(30, 240)
            if t + d > e0:
                break
            planted.append((t, t + d, wk))
            t += d + rng.choice([0, 0, 15, 30])
    workers = len(shifts)
    rng.shuffle(planted)
    skills: list[set[str]] = [set() for _ in range(workers)]
    needs = []
    for i, (s, e, wk) in enumerate(planted):
        sk = f"task{i}"
        skills[wk].add(sk)
        for o in range(workers):
            if o != wk and shifts[o][0] <= s and e <= shifts[o][1] and rng.random() < extra_quals:
                skills[o].add(sk)
        needs.append({"id": f"t{i}", "category": "task", "location": loc, "priority": 1,
                      "start": _t(s), "end": _t(e), "roles": [{"skill": sk, "count": 1}]})
    volunteers = [
        {"id": f"w{k}", "location": loc, "skills": sorted(skills[k]) or ["none"],
         "availability": [{"start": _t(shifts[k][0]), "end": _t(shifts[k][1])}]}
        for k in range(workers)
    ]
    return {"version": 1, "name": f"ptsp-like-{tasks}-{workers}-{seed}", "currency": "CNY",
            "volunteers": volunteers, "venues": [], "funds": [], "needs": needs}


SKILLS = ["teaching", "first_aid", "counselling", "legal_aid", "photography", "sports", "music"]
FEATURES = ["classroom", "gym", "counselling_room", "open_land", "projector"]
CATEGORIES = ["student_aid", "micro_wish", "class", "event", "care"]


def pinned_city(
    volunteers: int, needs: int, days: int = 7, pin_share: float = 0.1,
    forbid_share: float = 0.05, fairness: bool = False, seed: int = 0,
    towns: int = 12, venues: int | None = None, funds: int | None = None,
) -> Doc:
    """A city of `towns` towns with `volunteers`, `needs` over `days` days, pins and forbids.

    Pins come from a planted assignment: a pinned need is placed at its pinned volunteer's
    town, inside that volunteer's availability, at a time no other pin of theirs overlaps.
    """
    rng = random.Random(seed)
    n_venues = venues if venues is not None else max(3, needs // 20)
    n_funds = funds if funds is not None else max(2, needs // 40)
    town_xy = [(CENTRE[0] + rng.uniform(-0.35, 0.35), CENTRE[1] + rng.uniform(-0.45, 0.45))
               for _ in range(towns)]

    def near(town: int, spread: float = 0.04) -> dict[str, float]:
        la, lo = town_xy[town]
        return {"lat": round(la + rng.gauss(0, spread), 5),
                "lon": round(lo + rng.gauss(0, spread), 5)}

    vols = []
    vol_town = []
    vol_windows: list[list[tuple[int, int]]] = []
    for k in range(volunteers):
        town = rng.randrange(towns)
        wins = []
        for d in range(days):
            if rng.random() < 0.6:
                s = d * 1440 + rng.choice([480, 540, 600, 780])
                wins.append((s, s + rng.choice([240, 360, 540, 720])))
        vol_town.append(town)
        vol_windows.append(wins)
        v: Doc = {"id": f"v{k}", "location": near(town),
                  "skills": sorted(rng.sample(SKILLS, rng.randint(1, 3))),
                  "availability": [{"start": _t(s), "end": _t(e)} for s, e in wins],
                  "max_travel_km": rng.choice([5, 10, 20, 40])}
        if rng.random() < 0.5:
            v["max_hours"] = rng.choice([4, 8, 16, 24])
        vols.append(v)
    ven = [{"id": f"u{k}", "name": f"venue {k}", "location": near(k % towns),
            "capacity": rng.choice([20, 40, 80, 200]),
            "features": sorted(rng.sample(FEATURES, rng.randint(1, 3))),
            "availability": [{"start": _t(d * 1440 + 420), "end": _t(d * 1440 + 1320)}
                             for d in range(days)]} for k in range(n_venues)]
    fnd = []
    for k in range(n_funds):
        f: Doc = {"id": f"f{k}", "donor": f"donor {k}",
                  "amount": rng.choice([20_000, 50_000, 100_000, 300_000]) * 100}
        if rng.random() < 0.5:
            f["categories"] = sorted(rng.sample(CATEGORIES, 2))
        if rng.random() < 0.3:
            f["regions"] = [f"5101/{rng.randrange(towns):02d}"]
        fnd.append(f)

    n_pins = int(pin_share * needs)
    busy: dict[int, list[tuple[int, int]]] = {}
    used_h: dict[int, int] = {}
    nds: list[Doc] = []
    pins: list[Doc] = []
    venue_busy: dict[int, list[tuple[int, int]]] = {}
    fund_left = {k: f["amount"] for k, f in enumerate(fnd)}
    for i in range(needs):
        town = rng.randrange(towns)
        start = rng.randrange(days) * 1440 + rng.choice([480, 540, 600, 840, 960, 1080])
        dur = rng.choice([60, 90, 120, 180, 240])
        pin_vol = None
        if len(pins) < n_pins and i % max(1, needs // max(1, n_pins)) == 0:
            # Plant a pin: a volunteer free in a window, the need placed in it at their town.
            for _ in range(30):
                k = rng.randrange(volunteers)
                if not vol_windows[k]:
                    continue
                ws, we = rng.choice(vol_windows[k])
                if we - ws < 60:
                    continue
                dur = min(dur, we - ws)
                start = ws + rng.randrange(0, we - ws - dur + 1, 15) if we - ws > dur else ws
                cap = vols[k].get("max_hours")
                if cap is not None and used_h.get(k, 0) + dur > cap * 60:
                    continue
                if any(start < e and s < start + dur for s, e in busy.get(k, [])):
                    continue
                pin_vol = k
                town = vol_town[k]
                break
        end = start + dur
        loc = near(town, 0.01)
        if pin_vol is not None:
            loc = dict(vols[pin_vol]["location"])
        roles = []
        skills = rng.sample(SKILLS, rng.randint(1, 2))
        if pin_vol is not None:
            skills[0] = vols[pin_vol]["skills"][0]
            skills = list(dict.fromkeys(skills))
        for sk in skills:
            c = rng.choice([1, 1, 2, 3])
            roles.append({"skill": sk, "count": c, "min_count": rng.randint(1, c)})
        need: Doc = {"id": f"n{i}", "title": f"need {i}", "category": rng.choice(CATEGORIES),
                     "region": f"5101/{town:02d}/{rng.randrange(5):03d}", "location": loc,
                     "start": _t(start), "end": _t(end), "priority": rng.randint(1, 5),
                     "roles": roles}
        if rng.random() < 0.3:
            need["venue"] = {"capacity": rng.choice([10, 30, 60]),
                             "features": [rng.choice(FEATURES)],
                             "max_distance_km": rng.choice([3, 8, 15])}
        if rng.random() < 0.25:
            need["funding"] = rng.choice([500, 1000, 2000, 5000]) * 100
        nds.append(need)
        if pin_vol is not None:
            busy.setdefault(pin_vol, []).append((start, end))
            used_h[pin_vol] = used_h.get(pin_vol, 0) + dur
            pins.append({"need": need["id"], "volunteer": f"v{pin_vol}"})
            # The pinned need must stay meetable: its other roles and money are not planted,
            # so keep it to the one role the volunteer fills and no venue, maybe a fund pin.
            need["roles"] = [{"skill": skills[0], "count": 1}]
            need.pop("venue", None)
            if need.get("funding"):
                open_funds = [k for k, f in enumerate(fnd)
                              if not f.get("categories") and not f.get("regions")
                              and fund_left[k] >= need["funding"]]
                if open_funds:
                    k = open_funds[0]
                    fund_left[k] -= need["funding"]
                    pins.append({"need": need["id"], "fund": f"f{k}", "amount": need["funding"]})
                else:
                    need.pop("funding")
        elif need.get("venue") and len(pins) < n_pins and rng.random() < 0.2:
            # A venue pin, when a venue fits and is free (planted, no clash).
            for uk, u in enumerate(ven):
                if (need["venue"]["features"][0] in u["features"]
                        and u["capacity"] >= need["venue"]["capacity"]
                        and not any(start < e and s < end for s, e in venue_busy.get(uk, []))
                        and start % 1440 >= 420 and end % 1440 <= 1320
                        and end // 1440 == start // 1440):
                    venue_busy.setdefault(uk, []).append((start, end))
                    need["location"] = dict(u["location"])
                    # Nothing else asked of it, so the pin can always hold.
                    need["roles"] = []
                    need.pop("funding", None)
                    pins.append({"need": need["id"], "venue": u["id"]})
                    break
    pinned = {p["need"] for p in pins}
    forbids = []
    for _ in range(int(forbid_share * needs)):
        i = rng.randrange(needs)
        if f"n{i}" in pinned:
            continue
        kind = rng.random()
        if kind < 0.6:
            forbids.append({"need": f"n{i}", "volunteer": f"v{rng.randrange(volunteers)}"})
        elif kind < 0.8 and ven:
            forbids.append({"need": f"n{i}", "venue": f"u{rng.randrange(len(ven))}"})
        elif fnd:
            forbids.append({"need": f"n{i}", "fund": f"f{rng.randrange(len(fnd))}"})
    doc: Doc = {"version": 1, "name": f"pinned-city-{volunteers}-{needs}-{days}d-{seed}",
                "currency": "CNY", "volunteers": vols, "venues": ven, "funds": fnd,
                "needs": nds, "pins": pins, "forbid": forbids,
                "objective": {"priority_weights": [1, 2, 4, 8, 16],
                              "fairness": {"region_depth": 2} if fairness else None}}
    return doc


def clashing_pins(volunteers: int, needs: int, seed: int = 0) -> tuple[Doc, set[str]]:
    """`pinned_city` with one volunteer pinned to two overlapping needs; returns the problem
    and the ids of the two clashing needs."""
    doc = pinned_city(volunteers, needs, days=3, seed=seed)
    vol_pins = [p for p in doc["pins"] if "volunteer" in p]
    first = vol_pins[0]
    need = next(n for n in doc["needs"] if n["id"] == first["need"])
    clash = dict(need, id="clash", title="clashing need")
    doc["needs"].append(clash)
    doc["pins"].append({"need": "clash", "volunteer": first["volunteer"]})
    return doc, {first["need"], "clash"}
