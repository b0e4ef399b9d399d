"""Tianchang county-level city (341181), Aug-Dec 2022."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

from datetime import datetime

from scengen.builder import (
    Builder,
    choose_pins,
    pick_town,
    project_sessions,
    rating,
    venue_req,
    when,
)
from scengen.common import DAY, TZ, Place, add_communities, epoch, hm, skills_from, weekly, yuan
from scengen.data import TIANCHANG, TIANCHANG_PROJECTS


def tianchang(rng):
    b = Builder("tianchang", "341181")
    week0, nw = epoch(2022, 8, 1), 22  # Monday 2022-08-01 .. Sunday 2023-01-01
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    end_all = week0 + nw * 7 * DAY
    towns = []
    for i, (name, lat, lon, w, urban) in enumerate(TIANCHANG):
        t = Place(f"341181/{i + 1:03d}", name, lat, lon, w, urban)
        add_communities(rng, t, rng.int(8, 12) if urban else rng.int(10, 16), 1.2 if urban else 3.0)
        towns.append(t)
    rural = [t for t in towns if not t.urban]

    def home():
        t = pick_town(rng, towns)
        return rng.near(t.lat, t.lon, 1.5 if t.urban else 2.5, 8), t

    # volunteers: 305 regular, 68 project social workers, 148 youth-affairs social
    # workers, 82 college students serving as part-time deputy secretaries.
    for _ in range(305):
        (lat, lon), _t = home()
        sk = skills_from(
            rng,
            [
                ("general_service", 0.75),
                ("teaching", 0.3),
                ("first_aid", 0.15),
                ("photography", 0.1),
                ("sports_coaching", 0.12),
                ("arts", 0.1),
                ("logistics", 0.2),
                ("event_hosting", 0.08),
                ("livestream", 0.05),
                ("legal_aid", 0.03),
                ("medical", 0.04),
            ],
        )
        r = rng.random()
        days = [5, 6] if r < 0.5 else ([5] if r < 0.75 else [6])
        slots = [(d, hm(8, 30), hm(17, 30)) for d in days]
        for d in rng.sample([0, 1, 2, 3, 4], rng.int(0, 2)):
            slots.append((d, hm(18), hm(21)))
        if rng.chance(0.06):
            win = None
        else:
            win = weekly(week0, nw, slots)
        b.volunteer(
            lat, lon, sk, win, rng.int(2, 12) * 5, rng.choice([3, 5, 5, 8, 10, 10, 15]), "regular"
        )
    for tag, n, probs, ndays, mh, trav in (
        (
            "project_social_worker",
            68,
            [
                ("counselling", 0.2),
                ("teaching", 0.4),
                ("legal_aid", 0.1),
                ("general_service", 0.5),
                ("event_hosting", 0.2),
            ],
            (3, 5),
            (40, 120),
            [10, 15, 20],
        ),
        (
            "youth_affairs_social_worker",
            148,
            [
                ("counselling", 0.06),
                ("legal_aid", 0.08),
                ("teaching", 0.3),
                ("event_hosting", 0.25),
                ("general_service", 0.6),
                ("photography", 0.1),
            ],
            (2, 4),
            (30, 80),
            [5, 8, 10, 15],
        ),
    ):
        for _ in range(n):
            (lat, lon), _t = home()
            sk = skills_from(rng, probs)
            slots = [
                (d, hm(8, 30), hm(17, 30)) for d in rng.sample([0, 1, 2, 3, 4], rng.int(*ndays))
            ]
            if rng.chance(0.3):
                slots.append((5, hm(8, 30), hm(12)))
            b.volunteer(
                lat,
                lon,
                sk,
                weekly(week0, nw, slots),
                rng.int(mh[0] // 5, mh[1] // 5) * 5,
                rng.choice(trav),
                tag,
            )
    for _ in range(82):
        (lat, lon), _t = home()
        sk = skills_from(
            rng,
            [
                ("teaching", 0.7),
                ("arts", 0.2),
                ("sports_coaching", 0.2),
                ("photography", 0.2),
                ("livestream", 0.2),
                ("general_service", 0.5),
            ],
        )
        win = [(epoch(2022, 8, d, 8), epoch(2022, 8, d, 21)) for d in range(1, 32)]
        win += [(epoch(2022, 10, d, 8), epoch(2022, 10, d, 21)) for d in range(1, 8)]
        b.volunteer(lat, lon, sk, win, rng.int(6, 16) * 5, rng.choice([5, 8, 10]), "college_deputy")

    # venues: 22 youth homes (one per town/park + 5 city sites), 5 enterprise model rooms,
    # the League school.
    yh_win = weekly(week0, nw, [(d, hm(8, 30), hm(21)) for d in range(1, 7)])
    for t in towns:
        feats = ["classroom"] + [
            f
            for f, p in (
                ("reading_room", 0.5),
                ("counselling_room", 0.4),
                ("activity_hall", 0.35),
                ("court", 0.2),
            )
            if rng.chance(p)
        ]
        lat, lon = rng.near(t.lat, t.lon, 0.4, 1)
        b.venue(
            f"Youth Home, {t.name}",
            lat,
            lon,
            rng.int(3, 8) * 10,
            feats,
            yh_win,
            rating(rng),
            "youth_home",
        )
    for site, feats, cap in (
        ("Youth Home, Civic Plaza", ["activity_hall", "open_land", "court"], 200),
        ("Youth Home, City Reading Room (North)", ["reading_room", "classroom"], 40),
        ("Youth Home, City Reading Room (South)", ["reading_room", "classroom"], 40),
        ("Youth Home, Tianchang Academy", ["classroom", "livestream_room", "counselling_room"], 50),
        ("Youth Home, Enterprise Park", ["meeting_room", "classroom"], 30),
    ):
        t = towns[rng.int(0, 2)] if "Park" not in site else towns[16]
        lat, lon = rng.near(t.lat, t.lon, 1.0, 2)
        b.venue(site, lat, lon, cap, feats, yh_win, rating(rng), "youth_home")
    ent_win = weekly(week0, nw, [(d, hm(9), hm(17, 30)) for d in range(0, 6)])
    for i in range(5):
        t = towns[16] if i < 3 else towns[rng.int(0, 2)]
        lat, lon = rng.near(t.lat, t.lon, 1.0, 2.5)
        b.venue(
            f"Enterprise Youth Model Room {i + 1}",
            lat,
            lon,
            rng.int(2, 4) * 10,
            ["meeting_room", "livestream_room", "classroom"],
            ent_win,
            rating(rng),
            "enterprise",
        )
    lat, lon = rng.near(towns[0].lat, towns[0].lon, 0.5, 1)
    b.venue(
        "Tianchang League School",
        lat,
        lon,
        120,
        ["classroom", "activity_hall", "meeting_room", "livestream_room"],
        None,
        4.5,
        "school",
    )

    # funds
    exp_year = epoch(2022, 12, 31, 23, 59) + 59
    sa = ["student_aid"]
    b.fund("Tianchang Youth Entrepreneurs Association", yuan(40000), sa, ["341181"])
    b.fund(
        "Tianchang Rural Commercial Bank", yuan(25000), sa, [t.code for t in rng.sample(rural, 5)]
    )
    alumni = b.fund(
        "Alumni of Tianchang Middle School",
        yuan(20000),
        sa,
        expires=epoch(2022, 8, 15, 23, 59) + 59,
    )
    b.fund("Caring individuals (online donations)", yuan(14000), sa)
    mw = ["micro_wish"]
    b.fund("Tianchang Women Entrepreneurs' Club", yuan(12000), mw)
    b.fund("Caring individuals (micro-wish wall)", yuan(10000), mw, ["341181"])
    for i, t in enumerate(rng.sample(rural, 10)[:5]):
        b.fund(f"Town enterprise donor {i + 1} ({t.name})", yuan(6000), mw, [t.code])
    b.fund(
        "Tianchang Electronics Chamber of Commerce",
        yuan(6000),
        mw,
        expires=epoch(2022, 12, 25, 23, 59) + 59,
    )
    b.fund(
        "Donated stationery and books",
        yuan(60000),
        ["after_school_class", "reading_club", "science_camp", "arts"],
    )
    b.fund("Donated sports equipment", yuan(30000), ["sports"])
    b.fund("Donated winter clothing", yuan(80000), ["winter_warmth"])
    b.fund(
        "Tianchang Youth League budget, 2nd half 2022",
        yuan(120000),
        [],
        ["341181"],
        expires=exp_year,
    )

    # needs ------------------------------------------------------------------------
    def village(pool=None):
        t = pick_town(rng, pool or towns)
        return t, rng.choice(t.subs)

    aid = []
    for i in range(88):
        t, c = village()
        day = rng.choice([8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 22, 23, 24, 25, 26])
        p = rng.choice([5, 4, 3], p=[0.2, 0.4, 0.4])
        aid.append(
            b.need(
                f"Needy college student grant #{i + 1}",
                "student_aid",
                c.code,
                c.lat,
                c.lon,
                epoch(2022, 8, day, 9),
                epoch(2022, 8, day, 11),
                p,
                funding=yuan(100 * rng.int(10, 15)),
            )
        )
    for i in range(430):
        t, c = village(rural if rng.chance(0.85) else towns)
        day = rng.int(12, 30)
        amt = rng.choice(
            [60, 80, 100, 120, 135, 150, 180, 200, 260], p=[1, 2, 3, 3, 3, 3, 2, 1.5, 0.7]
        )
        b.need(
            f"Micro-wish of a left-behind child #{i + 1}",
            "micro_wish",
            c.code,
            c.lat,
            c.lon,
            epoch(2022, 12, day, 9),
            epoch(2022, 12, day, 17),
            rng.choice([2, 3, 4], p=[0.3, 0.5, 0.2]),
            funding=yuan(amt),
        )
    sats = [w for w in range(nw) if week0 + (w * 7 + 5) * DAY < end_all]
    for i in range(50):
        t, c = village(rural)
        s, e = when(rng, week0, [19, 20], ["sat_am", "sun_am"], 180)
        b.need(
            f"Winter warmth package delivery #{i + 1}",
            "winter_warmth",
            c.code,
            c.lat,
            c.lon,
            s,
            e,
            3,
            [("logistics", 1, 1)],
            funding=yuan(100 * rng.int(15, 20)),
        )
    visits = []
    for i in range(258):
        t, c = village(rural)
        if rng.chance(0.7):
            s, e = when(rng, week0, list(range(1, nw - 1)), ["wd_pm"], 120)
        else:
            s, e = when(rng, week0, list(range(1, nw - 1)), ["sat_am"], 120)
        visits.append(
            b.need(
                f"Counselling visit to a left-behind child #{i + 1}",
                "counselling_visit",
                c.code,
                c.lat,
                c.lon,
                s,
                e,
                rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]),
                [("counselling", 1, 1)],
            )
        )
    allw = list(range(nw))
    projects = TIANCHANG_PROJECTS
    summer_only = {"Summer safety: drowning prevention", "Summer science camp"}
    for p in projects:
        weeks = [0, 1, 2, 3, 4] if p[0] in summer_only else allw
        project_sessions(b, rng, towns, week0, weeks, [p])
    for i in range(8):
        s, e = when(rng, week0, allw, ["sat_pm"], 180)
        n = b.need(
            f"Youth social event #{i + 1}",
            "social_event",
            "341181/001",
            towns[0].lat + 0.002,
            towns[0].lon + 0.003,
            s,
            e,
            rng.choice([1, 2]),
            [("event_hosting", 2, 1), ("general_service", 8, 5), ("photography", 1, 1)],
            venue_req(["activity_hall"], rng.int(8, 12) * 10, 8),
            yuan(500 * rng.int(4, 10)),
        )
        if i == 0:
            b.pin_venue(n, b.venues[-1])  # held at the League school
    # pins and forbids
    used = set()
    choose_pins(b, rng, visits, 4, "counselling", used)
    early = [n for n in aid if b.fund_ok(alumni, n)]
    for n in early[:2]:
        b.pin_fund(n, alumni, n["funding"])
    for n in rng.sample(visits, 2):
        cands = [v for v in b.volunteers if b.vol_ok(v, n, "counselling") and v["id"] not in used]
        if cands:
            b.forbid_(n, "volunteer", cands[0])
    b.forbid_(aid[-1], "fund", b.funds[0])
    return b
