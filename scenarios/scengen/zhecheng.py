"""Zhecheng county (411424), Mar-Aug 2023: student aid and counselling, fair by town."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import math
from datetime import datetime

from scengen.builder import (
    Builder,
    choose_pins,
    h_region,
    host_venue,
    pick_town,
    rating,
    venue_req,
    when,
)
from scengen.common import (
    HOUR,
    TZ,
    Place,
    add_communities,
    dist_m,
    epoch,
    hm,
    skills_from,
    weekly,
    yuan,
)
from scengen.data import ZHECHENG


def zhecheng(rng):
    b = Builder("zhecheng", "411424")
    week0, nw = epoch(2023, 3, 6), 26  # Monday 2023-03-06 .. Sunday 2023-09-03
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    towns = []
    for i, (name, lat, lon, urban) in enumerate(ZHECHENG):
        t = Place(f"411424/{i + 1:03d}", name, lat, lon, 2.0 if urban else 1.0, urban)
        add_communities(rng, t, rng.int(6, 10) if urban else rng.int(12, 18), 1.0 if urban else 3.0)
        towns.append(t)
    rural = [t for t in towns if not t.urban]
    allw = list(range(nw))

    # 22 certified counsellors
    counsellors = []
    for i in range(22):
        t = towns[i % 4] if i < 14 else rng.choice(rural)
        lat, lon = rng.near(t.lat, t.lon, 1.5, 4)
        sk = ["counselling"] + [
            s for s, p in (("teaching", 0.4), ("general_service", 0.3)) if rng.chance(p)
        ]
        slots = [(d, hm(14), hm(18)) for d in rng.sample([0, 1, 2, 3, 4], rng.int(2, 3))]
        if rng.chance(0.7):
            slots.append((5, hm(8, 30), hm(17, 30)))
        counsellors.append(
            b.volunteer(
                lat,
                lon,
                sk,
                weekly(week0, nw, slots),
                rng.int(4, 9) * 5,
                rng.choice([15, 20, 25, 30]),
                "counsellor",
            )
        )
    # League members and other volunteers (new members owe 20 hours a year)
    summer = [(epoch(2023, 7, d, 8), epoch(2023, 7, d, 20)) for d in range(1, 32)]
    summer += [(epoch(2023, 8, d, 8), epoch(2023, 8, d, 20)) for d in range(1, 32)]
    for _ in range(480):
        t = pick_town(rng, towns)
        lat, lon = rng.near(t.lat, t.lon, 1.2 if t.urban else 2.5, 8)
        sk = skills_from(
            rng,
            [
                ("general_service", 0.8),
                ("teaching", 0.3),
                ("first_aid", 0.15),
                ("legal_aid", 0.06),
                ("photography", 0.1),
                ("sports_coaching", 0.1),
                ("logistics", 0.15),
                ("event_hosting", 0.08),
            ],
        )
        student = rng.chance(0.3)
        if student:
            win = sorted(summer + weekly(week0, nw, [(5, hm(8), hm(18))]))
        else:
            slots = [(d, hm(8), hm(18)) for d in ([5, 6] if rng.chance(0.5) else [rng.int(5, 6)])]
            if rng.chance(0.3):
                slots.append((rng.int(0, 4), hm(18, 30), hm(21)))
            win = None if rng.chance(0.05) else weekly(week0, nw, slots)
        mh = 20 if rng.chance(0.6) else rng.int(6, 16) * 5
        b.volunteer(
            lat,
            lon,
            sk,
            win,
            mh,
            rng.choice([3, 5, 5, 8, 10, 15]),
            "student_member" if student else "member",
        )

    # venues: 24 youth homes (every town), 2 counselling homes
    yh_win = weekly(week0, nw, [(d, hm(8, 30), hm(18)) for d in range(6)])
    for i, t in enumerate(towns):
        feats = ["classroom", "activity_hall"] + (["reading_room"] if rng.chance(0.5) else [])
        if i < 4 or rng.chance(0.35):
            feats.append("counselling_room")
        lat, lon = rng.near(t.lat, t.lon, 0.3, 0.8)
        b.venue(
            f"Youth Home, {t.name}",
            lat,
            lon,
            rng.int(4, 12) * 10,
            feats,
            yh_win,
            rating(rng),
            "youth_home",
        )
    for t in (towns[0], towns[4]):
        lat, lon = rng.near(t.lat, t.lon, 0.5, 1)
        b.venue(
            f"Youth Counselling Home, {t.name}",
            lat,
            lon,
            20,
            ["counselling_room", "classroom"],
            yh_win,
            4.5,
            "counselling_home",
        )

    # funds: 562,000 CNY for student aid (part earmarked by town donors)
    sa = ["student_aid"]
    exp_aug10 = epoch(2023, 8, 10, 23, 59) + 59
    b.fund("Zhecheng Charity Federation (Golden Autumn Student Aid)", yuan(100000), sa)
    b.fund("Zhecheng Youth Entrepreneurs Association", yuan(60000), sa, ["411424"])
    b.fund("Caring individuals (online student aid)", yuan(27000), sa, expires=exp_aug10)
    donor_towns = rng.sample(rural, 10)
    left = 375000
    shares = [rng.int(15, 45) for _ in donor_towns]
    earmarked = []
    for k, (t, sh) in enumerate(zip(donor_towns, shares)):
        amt = left if k == len(donor_towns) - 1 else round(375000 * sh / sum(shares), -3)
        left -= amt
        earmarked.append(b.fund(f"Native entrepreneurs of {t.name}", yuan(amt), sa, [t.code]))
    mh_cats = ["counselling_event", "counselling_session"]
    b.fund("Zhecheng Youth Mental Health Fund", yuan(83800), mh_cats, ["411424"])
    b.fund("Village Counselling Public Fund", yuan(60000), mh_cats, [t.code for t in rural])
    b.fund(
        "Zhecheng Emergency Management Bureau (safety campaigns)",
        yuan(20000),
        ["fire_safety", "drowning_prevention"],
    )
    b.fund("Zhecheng Public Security Bureau (anti-fraud)", yuan(8000), ["anti_fraud"])

    # needs --------------------------------------------------------------------------
    aid = []
    aug_days = [d for d in range(1, 26) if datetime(2023, 8, d).weekday() < 5]
    for i in range(455):
        t = pick_town(rng, towns)
        c = rng.choice(t.subs)
        d = rng.choice(aug_days)
        aid.append(
            b.need(
                f"Student aid grant #{i + 1}",
                "student_aid",
                c.code,
                c.lat,
                c.lon,
                epoch(2023, 8, d, 9),
                epoch(2023, 8, d, 11),
                rng.choice([5, 4, 3], p=[0.2, 0.4, 0.4]),
                funding=yuan(10 * rng.int(57, 123)),
            )
        )
    for i in range(88):
        t = towns[i % 24]
        c = rng.choice(t.subs)
        feats = [rng.choice(["classroom", "activity_hall"])]
        cap = rng.int(4, 8) * 10
        h = host_venue(b, rng, feats, cap, c.lat, c.lon) or host_venue(
            b, rng, feats, 40, c.lat, c.lon
        )
        cap = min(cap, h["capacity"])
        lat, lon = rng.near(h["lat"], h["lon"], 0.5, 1.5)
        s, e = when(rng, week0, allw, ["wd_pm", "sat_am"], 120)
        b.need(
            f"Group counselling event #{i + 1}, {t.name}",
            "counselling_event",
            h_region(towns, h),
            lat,
            lon,
            s,
            e,
            rng.choice([3, 4]),
            [("counselling", 2, 1), ("general_service", 2, 1)],
            venue_req(
                feats, cap, max(3, math.ceil(dist_m(lat, lon, h["lat"], h["lon"]) / 1000 + 0.5))
            ),
            yuan(100 * rng.int(4, 12)),
        )
    sessions = []
    for i in range(405):
        t = pick_town(rng, towns)
        c = rng.choice(t.subs)
        s, e = when(rng, week0, allw, ["wd_pm", "wd_pm", "sat_am", "sat_pm"], 60)
        s += rng.choice([0, 60, 90]) * 60
        e = s + HOUR
        vreq = None
        if rng.chance(0.6):
            h = host_venue(b, rng, ["counselling_room"], 2, c.lat, c.lon)
            vreq = venue_req(
                ["counselling_room"],
                2,
                max(5, math.ceil(dist_m(c.lat, c.lon, h["lat"], h["lon"]) / 1000 + 1)),
            )
        funding = 0 if t.urban else yuan(10 * rng.int(10, 20))
        sessions.append(
            b.need(
                f"Individual counselling session #{i + 1}",
                "counselling_session",
                c.code,
                c.lat,
                c.lon,
                s,
                e,
                rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]),
                [("counselling", 1, 1)],
                vreq,
                funding,
            )
        )
    holidays = [epoch(2023, 4, 5, 8), epoch(2023, 6, 22, 8)]
    for t in towns:
        for theme in ("fire_safety", "drowning_prevention", "anti_fraud", "festival_travel"):
            c = rng.choice(t.subs)
            h = next(u for u in b.venues if u["name"] == f"Youth Home, {t.name}")
            if theme == "fire_safety":
                s, e = when(rng, week0, list(range(0, 8)), ["sat_am", "sat_pm"], 120)
                roles, vreq, fund = (
                    [("first_aid", 1, 1), ("general_service", 4, 2)],
                    ["activity_hall"],
                    300,
                )
            elif theme == "drowning_prevention":
                s, e = when(rng, week0, list(range(12, 22)), ["sat_am", "sat_pm"], 120)
                roles = [("first_aid", 2, 1), ("sports_coaching", 1, 1), ("general_service", 3, 2)]
                vreq, fund = None, 300
            elif theme == "anti_fraud":
                s, e = when(rng, week0, allw, ["sat_am", "sat_pm"], 120)
                roles, vreq, fund = (
                    [("legal_aid", 1, 1), ("general_service", 3, 2)],
                    ["classroom"],
                    200,
                )
            else:
                s = rng.choice(holidays)
                e = s + 4 * HOUR
                roles, vreq, fund = [("general_service", 6, 3)], None, 0
            lat, lon = rng.near(h["lat"], h["lon"], 0.4, 1) if vreq else (c.lat, c.lon)
            b.need(
                f"{theme.replace('_', ' ').capitalize()} campaign, {t.name}",
                theme,
                c.code,
                lat,
                lon,
                s,
                e,
                rng.choice([2, 3, 4]),
                roles,
                venue_req(vreq, min(h["capacity"], rng.int(6, 12) * 10), 3) if vreq else None,
                yuan(fund * rng.int(1, 2)),
            )
    b.objective["fairness"] = {"region_depth": 2}
    # pins: follow-up sessions with the same counsellor; donors' designated students
    used = set()
    choose_pins(b, rng, sessions, 8, "counselling", used)
    for f in earmarked[:5]:
        mine = [n for n in aid if b.fund_ok(f, n)]
        if mine:
            b.pin_fund(mine[0], f, mine[0]["funding"])
    for n in rng.sample(sessions, 12):
        if len(b.forbid) >= 3:
            break
        cands = [v for v in counsellors if b.vol_ok(v, n, "counselling") and v["id"] not in used]
        if len(cands) >= 2:
            b.forbid_(n, "volunteer", cands[0])
    b.forbid_(aid[0], "fund", b.funds[0])
    return b
