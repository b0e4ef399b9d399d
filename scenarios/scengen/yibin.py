"""Yibin city (10 counties/districts), 2018, and its scale series."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import math
from datetime import datetime

from scengen.builder import Builder, make_roles, pick_town, rating, venue_req, when
from scengen.common import (
    DAY,
    TZ,
    Place,
    add_communities,
    dist_m,
    epoch,
    fits,
    hm,
    skills_from,
    weekly,
    yuan,
)
from scengen.data import (
    CODE_FIX,
    YB_ACTIVITIES,
    YB_VENUE_KINDS,
    YIBIN_COUNTIES,
    YIBIN_SKILL_SHARES,
    sichuan_table,
)


def yibin(rng, scale=1):
    K = int(scale)
    if K < 1 or len(sichuan_table()) < 10 * K:
        raise SystemExit(f"--scale must be 1..{len(sichuan_table()) // 10}")
    b = Builder("yibin" if K == 1 else f"yibin_x{K}", "511500")
    week0, nw = epoch(2018, 1, 1), 52  # Monday 2018-01-01 .. Sunday 2018-12-30
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    table = {c: (lat, lon, name) for c, lat, lon, name in sichuan_table()}
    specs = []
    for code, name, w, ntown, rad in YIBIN_COUNTIES:
        lat, lon, _ = table[code]
        specs.append((CODE_FIX.get(code, code), name, lat, lon, w, ntown, rad))
    mine = {c for c, *_ in YIBIN_COUNTIES}
    for code, lat, lon, name in sichuan_table():
        if len(specs) >= 10 * K:
            break
        if code not in mine:
            specs.append((code, name, lat, lon, 3.5, 14, 18.0))
    counties = []  # (Place, [towns])
    for code, name, lat, lon, w, ntown, rad in specs:
        cp = Place(code, name, lat, lon, w)
        towns = []
        for i in range(ntown):
            if i == 0:
                tl, tn = lat, lon
            else:
                tl, tn = rng.disc(lat, lon, rad, 3.0)
            t = Place(
                f"{code}/{i + 1:03d}",
                f"{name} town {i + 1}",
                tl,
                tn,
                4.0 if i == 0 else 1.0,
                i == 0,
            )
            add_communities(rng, t, rng.int(6, 12), 1.0 if i == 0 else 2.5)
            towns.append(t)
        counties.append((cp, towns))
    cw = [cp.weight for cp, _ in counties]

    def county_town(seat_weight=None):
        cp, towns = rng.choice(counties, p=cw)
        return cp, pick_town(rng, towns)

    # volunteers ---------------------------------------------------------------------
    probs = YIBIN_SKILL_SHARES
    travel = [3, 5, 5, 8, 8, 10, 10, 12, 15]
    winter = (epoch(2018, 1, 20, 8), epoch(2018, 2, 25, 21))
    summer = (epoch(2018, 7, 1, 8), epoch(2018, 8, 31, 21))
    for _ in range(111 * K):  # year-long university volunteers, at the county seats
        cp, towns = rng.choice(counties, p=cw)
        lat, lon = rng.near(towns[0].lat, towns[0].lon, 1.0, 3)
        sk = ["teaching"] + [
            s
            for s, p in (
                ("arts", 0.3),
                ("sports_coaching", 0.3),
                ("photography", 0.2),
                ("general_service", 0.6),
            )
            if rng.chance(p)
        ]
        b.volunteer(lat, lon, sk, None, 600, 15, "western_plan")
    for team in range(11 * K):  # graduate teaching teams, summer care
        cp, towns = rng.choice(counties, p=cw)
        t = rng.choice(towns)
        for _ in range(8):
            lat, lon = rng.near(t.lat, t.lon, 0.5, 2)
            sk = (
                ["teaching"]
                + (["arts"] if rng.chance(0.3) else [])
                + (["sports_coaching"] if rng.chance(0.3) else [])
            )
            b.volunteer(
                lat,
                lon,
                sk,
                [(epoch(2018, 7, 9, 8), epoch(2018, 8, 24, 18))],
                120,
                20,
                f"grad_team{team + 1}",
            )
    for _ in range(10000 * K - 199 * K):
        cp, t = county_town()
        lat, lon = rng.near(t.lat, t.lon, 1.2 if t.urban else 2.0, 8)
        r = rng.random()
        if r < 0.55:
            tag = "working_youth"
            sk = skills_from(rng, probs)
            w0 = rng.int(0, nw - 8)
            span = rng.int(8, 20)
            slots = [(5, hm(8), hm(24 + 20))]
            if rng.chance(0.3):
                slots.append((rng.int(0, 4), hm(18, 30), hm(21, 30)))
            win = weekly(week0 + w0 * 7 * DAY, min(span, nw - w0), slots)
            mh = rng.int(2, 15) * 4
        elif r < 0.80:
            tag = "college_student"
            sk = skills_from(rng, probs)
            win = [winter, summer]
            if rng.chance(0.2):
                w0 = rng.int(9, 40)
                win = sorted(win + weekly(week0 + w0 * 7 * DAY, 10, [(5, hm(8), hm(24 + 20))]))
            mh = rng.int(5, 20) * 4
        elif r < 0.92:
            tag = "teacher"
            sk = ["teaching"] + [s for s, p in probs if s != "teaching" and rng.chance(p / 2)]
            w0 = rng.int(0, nw - 10)
            win = sorted(
                [summer]
                + [
                    w
                    for w in weekly(
                        week0 + w0 * 7 * DAY, min(12, nw - w0), [(5, hm(8), hm(24 + 20))]
                    )
                    if w[1] <= summer[0] or w[0] >= summer[1]
                ]
            )
            mh = rng.int(5, 15) * 4
        else:
            tag = "retiree"
            sk = skills_from(rng, probs)
            if rng.chance(0.25):
                win = None
            else:
                w0 = rng.int(0, nw - 10)
                win = weekly(
                    week0 + w0 * 7 * DAY,
                    min(rng.int(10, 30), nw - w0),
                    [(0, hm(8), hm(24 * 4 + 18))],
                )
            mh = rng.int(10, 38) * 4
        b.volunteer(
            lat, lon, sk, win, mh, rng.choice(travel if tag != "retiree" else [3, 5, 8]), tag
        )

    # venues: 164 youth homes per city, star-rated ------------------------------------
    kinds = list(YB_VENUE_KINDS)
    kind_p = [YB_VENUE_KINDS[k][0] for k in kinds]
    kind_win = {k: weekly(week0, nw, YB_VENUE_KINDS[k][4]) for k in kinds}
    by_county = {}
    nven = 164 * K
    tot_w = sum(cw)
    alloc = [max(8, int(164 * K * w / tot_w)) for w in cw]
    i = 0
    while sum(alloc) < nven:
        alloc[i % len(alloc)] += 1
        i += 1
    while sum(alloc) > nven:
        j = alloc.index(max(alloc))
        alloc[j] -= 1
    for (cp, towns), na in zip(counties, alloc):
        lst = by_county.setdefault(cp.code, [])
        for j in range(na):
            kind = kinds[j] if j < len(kinds) else rng.choice(kinds, p=kind_p)
            _, base, opt, (cmin, cmax), _slots = YB_VENUE_KINDS[kind]
            t = towns[0] if rng.chance(0.45) else rng.choice(towns)
            lat, lon = rng.near(t.lat, t.lon, 0.8 if t.urban else 0.5, 2)
            feats = base + [f for f, p in opt if rng.chance(p)]
            label = kind.replace("_", " ").title()
            u = b.venue(
                f"Youth Home ({label}), {t.name}",
                lat,
                lon,
                rng.int(cmin // 5, cmax // 5) * 5,
                feats,
                kind_win[kind],
                rating(rng),
                kind,
            )
            u["town"] = t
            lst.append(u)

    # funds (2,496,000 CNY per city block) ---------------------------------------------
    cc_cats = ["winter_warmth", "summer_care", "companionship"]
    town_funds = []
    for blk in range(K):
        blk_counties = counties[10 * blk : 10 * blk + 10]
        label = "Yibin" if blk == 0 else f"Sichuan block {blk + 1}"
        b.fund(
            f"{label} Youth Development Foundation (student aid)",
            yuan(400000),
            ["student_aid"],
            expires=epoch(2018, 9, 30, 23, 59) + 59,
        )
        b.fund(f"{label} child-care project chain", yuan(300000), cc_cats)
        bw = sum(cp.weight for cp, _ in blk_counties)
        left = 1000000
        for k, (cp, _towns) in enumerate(blk_counties):
            amt = left if k == len(blk_counties) - 1 else round(1000000 * cp.weight / bw, -3)
            left -= amt
            b.fund(
                f"{cp.name} League committee project funds", yuan(amt), ["student_aid"], [cp.code]
            )
        left = 796000
        picks = [(cp, t) for cp, towns in blk_counties for t in rng.sample(towns[1:], 3)]
        shares = [rng.int(15, 38) for _ in picks]
        for k, (cp, t) in enumerate(picks):
            amt = left if k == len(picks) - 1 else round(796000 * shares[k] / sum(shares), -3)
            left -= amt
            f = b.fund(
                f"Social donations, {t.name}",
                yuan(amt),
                ["student_aid"],
                [t.code],
                expires=epoch(2018, 6, 30, 23, 59) + 59 if rng.chance(0.2) else None,
            )
            town_funds.append(f)
        assert left >= 0

    # needs: 3,200 activities published weekly, 4,379 aid grants ------------------------
    films = []
    for cat, cnt, hosts, feats, (
        cmin,
        cmax,
    ), rspec, slot_kinds, weeks, dur, prio, p_novenue, frange, p_fund in YB_ACTIVITIES:
        for _ in range(cnt * K):
            cp, towns = rng.choice(counties, p=cw)
            cands = [
                u
                for u in by_county[cp.code]
                if u["tag"] in hosts and set(feats) <= set(u["features"])
            ]
            if not cands:
                cands = [
                    u for u in by_county[cp.code] if set(feats) <= set(u["features"])
                ] or by_county[cp.code]
            h = rng.choice(cands)
            for _try in range(6):
                s, e = when(rng, week0, weeks or list(range(nw)), slot_kinds, dur)
                if fits(h["windows"], s, e):
                    break
            t = h["town"]
            c = rng.choice(t.subs)
            if rng.chance(p_novenue) or not feats:
                lat, lon, vreq = c.lat, c.lon, None
            else:
                lat, lon = rng.near(h["lat"], h["lon"], 0.7, 1.5)
                d = dist_m(lat, lon, h["lat"], h["lon"]) / 1000
                cap = min(h["capacity"], rng.int(cmin, cmax))
                vreq = venue_req(feats, cap, max(rng.choice([3, 5, 5, 8]), math.ceil(d + 0.5)))
            funding = (
                yuan(50 * rng.int(frange[0] // 50, frange[1] // 50))
                if frange and rng.chance(p_fund)
                else 0
            )
            title = f"{cat.replace('_', ' ').capitalize()}, {t.name} (week {(s - week0) // (7 * DAY) + 1})"
            n = b.need(
                title,
                cat,
                c.code,
                lat,
                lon,
                s,
                e,
                rng.int(*prio),
                make_roles(rng, rspec),
                vreq,
                funding,
            )
            if cat == "film_screening":
                films.append((n, h))
    rounds = [(3, 5, 16, 0.4), (8, 27, 31, 0.3), (9, 3, 7, 0.15), (12, 10, 21, 0.15)]
    aid_amounts = [300, 400, 500, 500, 600, 600, 700, 800, 1000]
    aid_p = [2, 3, 4, 4, 3, 3, 2, 1.5, 1]
    aid = []
    for i in range(4379 * K):
        cp, towns = rng.choice(counties, p=cw)
        t = rng.choice(towns)
        c = rng.choice(t.subs)
        m, d0, d1, _ = rng.choice(rounds, p=[r[3] for r in rounds])
        while True:
            d = rng.int(d0, d1)
            if datetime(2018, m, d).weekday() < 5:
                break
        aid.append(
            b.need(
                f"Student aid grant #{i + 1}",
                "student_aid",
                c.code,
                c.lat,
                c.lon,
                epoch(2018, m, d, 9),
                epoch(2018, m, d, 11),
                rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]),
                funding=yuan(rng.choice(aid_amounts, p=aid_p)),
            )
        )
    # pins: designated sponsorships and screenings held at their host cinema
    for f in town_funds[: 10 * K]:
        mine = [n for n in aid if n["region"].startswith(f["regions"][0] + "/") and b.fund_ok(f, n)]
        if mine:
            b.pin_fund(mine[0], f, mine[0]["funding"])
    seen = set()
    for n, h in films:
        if len([p for p in b.pins if "venue" in p]) >= 5 * K:
            break
        if (h["id"] not in seen and n["venue"] is not None and b.venue_ok(h, n)
                and b.staffable(n)):
            seen.add(h["id"])
            b.pin_venue(n, h)
    for n in rng.sample([n for n, _ in films], 5 * K):
        for v in b.volunteers:
            if b.vol_ok(v, n, "event_hosting"):
                b.forbid_(n, "volunteer", v)
                break
    for u in b.venues:
        u.pop("town", None)
    return b
