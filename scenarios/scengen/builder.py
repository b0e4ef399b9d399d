"""The problem-document builder and the generators shared by several scenarios (sessions,
roles, host venues, pins)."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import json
import math
import os

from scengen.common import DAY, HOUR, dist_m, fits, hm, iso, region_in, within, yuan


class Builder:
    def __init__(self, name, county):
        self.name = name
        self.county = county
        self.volunteers = []  # shadow dicts with raw values
        self.venues = []
        self.funds = []
        self.needs = []
        self.pins = []
        self.forbid = []
        self.objective = {"priority_weights": [1, 2, 4, 8, 16], "fairness": None}

    # -- entities (kept raw: epoch ints, python sets) --------------------------------
    def volunteer(self, lat, lon, skills, windows, max_hours, travel, tag=""):
        v = {
            "id": f"v{len(self.volunteers) + 1}",
            "lat": lat,
            "lon": lon,
            "skills": list(dict.fromkeys(skills)),
            "windows": windows,
            "max_hours": max_hours,
            "travel": travel,
            "tag": tag,
        }
        self.volunteers.append(v)
        return v

    def venue(self, name, lat, lon, capacity, features, windows, rating=None, tag=""):
        u = {
            "id": f"u{len(self.venues) + 1}",
            "name": name,
            "lat": lat,
            "lon": lon,
            "capacity": int(capacity),
            "features": list(dict.fromkeys(features)),
            "windows": windows,
            "rating": rating,
            "tag": tag,
        }
        self.venues.append(u)
        return u

    def fund(self, donor, amount, categories=(), regions=(), expires=None):
        f = {
            "id": f"f{len(self.funds) + 1}",
            "donor": donor,
            "amount": int(amount),
            "categories": list(categories),
            "regions": list(regions),
            "expires": expires,
        }
        assert f["amount"] > 0
        self.funds.append(f)
        return f

    def need(
        self,
        title,
        category,
        region,
        lat,
        lon,
        start,
        end,
        priority,
        roles=(),
        venue=None,
        funding=0,
    ):
        roles = [(s, int(c), int(min(m, c))) for s, c, m in roles if c > 0]
        skills = [r[0] for r in roles]
        assert len(set(skills)) == len(skills), (title, skills)
        assert end > start and 1 <= priority <= 5
        assert roles or funding > 0 or venue, title
        n = {
            "id": f"n{len(self.needs) + 1}",
            "title": title,
            "category": category,
            "region": region,
            "lat": lat,
            "lon": lon,
            "start": start,
            "end": end,
            "priority": int(priority),
            "roles": roles,
            "venue": venue,
            "funding": int(funding),
        }
        self.needs.append(n)
        return n

    # -- checks used to build feasible pins and for --stats --------------------------
    @staticmethod
    def vol_ok(v, n, skill):
        return (
            skill in v["skills"]
            and within(v["lat"], v["lon"], n["lat"], n["lon"], v["travel"])
            and fits(v["windows"], n["start"], n["end"])
            and (v["max_hours"] is None or n["end"] - n["start"] <= v["max_hours"] * HOUR)
        )

    def staffable(self, n, spare=1):
        """Every role has min_count + `spare` volunteers who could serve it (a pinned need
        must stay meetable after the forbids drawn later)."""
        for skill, _count, m in n["roles"]:
            ok = 0
            for v in self.volunteers:
                if self.vol_ok(v, n, skill):
                    ok += 1
                    if ok >= m + spare:
                        break
            if ok < m + spare:
                return False
        return True

    @staticmethod
    def venue_ok(u, n):
        r = n["venue"]
        return (
            r is not None
            and set(r["features"]) <= set(u["features"])
            and u["capacity"] >= r["capacity"]
            and within(u["lat"], u["lon"], n["lat"], n["lon"], r["max_distance_km"])
            and fits(u["windows"], n["start"], n["end"])
        )

    @staticmethod
    def fund_ok(f, n):
        return (
            (not f["categories"] or n["category"] in f["categories"])
            and (not f["regions"] or any(region_in(n["region"], r) for r in f["regions"]))
            and (f["expires"] is None or n["start"] <= f["expires"])
        )

    def pin_volunteer(self, n, v):
        self.pins.append({"need": n["id"], "volunteer": v["id"]})

    def pin_venue(self, n, u):
        self.pins.append({"need": n["id"], "venue": u["id"]})

    def pin_fund(self, n, f, amount):
        self.pins.append({"need": n["id"], "fund": f["id"], "amount": int(amount)})

    def forbid_(self, n, kind, obj):
        self.forbid.append({"need": n["id"], kind: obj["id"]})

    # -- output ----------------------------------------------------------------------
    @staticmethod
    def _loc(x):
        return {"lat": x["lat"], "lon": x["lon"]}

    @staticmethod
    def _win(ws):
        return [{"start": iso(s), "end": iso(e)} for s, e in ws]

    def v_json(self, v):
        d = {"id": v["id"], "location": self._loc(v), "skills": v["skills"]}
        if v["windows"] is not None:
            d["availability"] = self._win(v["windows"])
        if v["max_hours"] is not None:
            d["max_hours"] = v["max_hours"]
        d["max_travel_km"] = v["travel"]
        return d

    def u_json(self, u):
        d = {
            "id": u["id"],
            "name": u["name"],
            "location": self._loc(u),
            "capacity": u["capacity"],
            "features": u["features"],
        }
        if u["windows"] is not None:
            d["availability"] = self._win(u["windows"])
        if u["rating"] is not None:
            d["rating"] = u["rating"]
        return d

    def f_json(self, f):
        d = {"id": f["id"], "donor": f["donor"], "amount": f["amount"]}
        if f["categories"]:
            d["categories"] = f["categories"]
        if f["regions"]:
            d["regions"] = f["regions"]
        if f["expires"] is not None:
            d["expires"] = iso(f["expires"])
        return d

    def n_json(self, n):
        d = {
            "id": n["id"],
            "title": n["title"],
            "category": n["category"],
            "region": n["region"],
            "location": self._loc(n),
            "start": iso(n["start"]),
            "end": iso(n["end"]),
            "priority": n["priority"],
        }
        roles = []
        for s, c, m in n["roles"]:
            r = {"skill": s, "count": c}
            if m < c:
                r["min_count"] = m
            roles.append(r)
        d["roles"] = roles
        if n["venue"] is not None:
            d["venue"] = n["venue"]
        if n["funding"]:
            d["funding"] = n["funding"]
        return d

    def write(self, path):
        dump = lambda x: json.dumps(x, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write('{"version":1,"name":%s,"currency":"CNY",\n' % dump(self.name))
            for key, items, conv in (
                ("volunteers", self.volunteers, self.v_json),
                ("venues", self.venues, self.u_json),
                ("funds", self.funds, self.f_json),
                ("needs", self.needs, self.n_json),
                ("pins", self.pins, None),
                ("forbid", self.forbid, None),
            ):
                fh.write('"%s":[' % key)
                for i, x in enumerate(items):
                    fh.write(("\n" if i == 0 else ",\n") + dump(conv(x) if conv else x))
                fh.write("\n],\n" if items else "],\n")
            fh.write('"objective":%s}\n' % dump(self.objective))
        os.replace(tmp, path)

    # -- figures ---------------------------------------------------------------------
    def summary(self):
        cats = {}
        for n in self.needs:
            cats[n["category"]] = cats.get(n["category"], 0) + 1
        return {
            "volunteers": len(self.volunteers),
            "venues": len(self.venues),
            "funds": len(self.funds),
            "needs": len(self.needs),
            "pins": len(self.pins),
            "forbids": len(self.forbid),
            "categories": dict(sorted(cats.items())),
        }


SLOT_KINDS = {
    "wd_am": ((0, 1, 2, 3, 4), hm(9)),
    "wd_pm": ((0, 1, 2, 3, 4), hm(14, 30)),
    "wd_after": ((0, 1, 2, 3, 4), hm(16, 30)),
    "wd_eve": ((0, 1, 2, 3, 4), hm(19)),
    "sat_am": ((5,), hm(9)),
    "sat_pm": ((5,), hm(14, 30)),
    "sun_am": ((6,), hm(9)),
    "sun_pm": ((6,), hm(14, 30)),
}


def when(rng, week0, weeks, kinds, dur_min):
    """A session start/end: week index drawn from `weeks` (a list), slot from `kinds`."""
    w = rng.choice(weeks)
    days, start = SLOT_KINDS[rng.choice(kinds)]
    wd = rng.choice(days)
    s = week0 + (w * 7 + wd) * DAY + start * 60
    return s, s + dur_min * 60


def make_roles(rng, spec):
    """spec: (skill, cmin, cmax, flexible) -> (skill, count, min_count)."""
    out = []
    for skill, cmin, cmax, flex in spec:
        c = rng.int(cmin, cmax)
        m = c
        if flex and c > 1:
            m = max(1, int(math.ceil(c * (0.4 + 0.4 * rng.random()))))
            m = min(m, c - 1) if rng.chance(0.8) else c
        out.append((skill, c, m))
    return out


def host_venue(b, rng, features, cap, lat, lon, max_km=None):
    """Nearest venue (to lat, lon) having the features and capacity, or None."""
    best, bd = None, None
    for u in b.venues:
        if u["capacity"] >= cap and set(features) <= set(u["features"]):
            d = dist_m(lat, lon, u["lat"], u["lon"])
            if (max_km is None or d <= max_km * 1000) and (bd is None or d < bd):
                best, bd = u, d
    return best


def venue_req(features, cap, maxd):
    return {"capacity": int(cap), "features": list(features), "max_distance_km": maxd}


def pick_town(rng, towns):
    return rng.choice(towns, p=[t.weight for t in towns])


def rating(rng):
    return rng.choice([3.0, 3.5, 4.0, 4.5, 5.0], p=[2, 3, 4, 3, 1.5])


def project_sessions(b, rng, towns, week0, weeks, projects, budget=None):
    """Sessions of volunteer projects, each held in some towns near a suitable venue."""
    out = []
    for title, cat, rspec, vspec, dur, kinds, nsess, ntowns, fund_rng, prio in projects:
        chosen = rng.sample(towns, rng.int(*ntowns))
        for t in chosen:
            for _ in range(rng.int(*nsess)):
                sub = rng.choice(t.subs) if t.subs else t
                lat, lon = sub.lat, sub.lon
                vreq = None
                if vspec is not None:
                    feats, cmin, cmax, maxd = vspec
                    cap = rng.int(cmin, cmax)
                    h = host_venue(b, rng, feats, cap, t.lat, t.lon)
                    if h is None:
                        cap = cmin
                        h = host_venue(b, rng, feats, cap, t.lat, t.lon)
                    if h is not None:
                        lat, lon = rng.near(h["lat"], h["lon"], 0.6, 1.5)
                        d = dist_m(lat, lon, h["lat"], h["lon"]) / 1000
                        maxd = max(maxd, math.ceil(d + 0.5))
                    vreq = venue_req(feats, cap, maxd)
                s, e = when(rng, week0, weeks, kinds, dur)
                funding = (
                    yuan(10 * rng.int(fund_rng[0] // 10, fund_rng[1] // 10)) if fund_rng else 0
                )
                n = b.need(
                    title,
                    cat,
                    sub.code,
                    lat,
                    lon,
                    s,
                    e,
                    rng.int(*prio),
                    make_roles(rng, rspec),
                    vreq,
                    funding,
                )
                out.append(n)
    return out


def choose_pins(b, rng, needs, k, skill, used, max_pins_per_need=1):
    """Pin up to k (need, volunteer) pairs that are individually feasible, with
    distinct volunteers and needs whose other roles have ample candidates."""
    made = 0
    for n in rng.sample(needs, min(len(needs), 6 * k + 20)):
        if made >= k:
            break
        if skill not in [r[0] for r in n["roles"]] or n["venue"] is not None:
            continue
        cands = [v for v in b.volunteers if v["id"] not in used and b.vol_ok(v, n, skill)]
        if len(cands) < 2:
            continue
        ok = True
        for s, c, m in n["roles"]:
            if s != skill and sum(1 for v in b.volunteers if b.vol_ok(v, n, s)) < 3 * m:
                ok = False
        if not ok:
            continue
        v = cands[0]
        used.add(v["id"])
        b.pin_volunteer(n, v)
        made += 1
    return made

def h_region(towns, u):
    t = min(towns, key=lambda t: dist_m(t.lat, t.lon, u["lat"], u["lon"]))
    return t.code
