"""Runzhou district (321111), 2023: member units sharing venues."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import math
from datetime import datetime

from scengen.builder import Builder, host_venue, rating, venue_req
from scengen.common import DAY, HOUR, TZ, Place, dist_m, epoch, hm, skills_from, weekly, yuan
from scengen.data import (
    RUNZHOU,
    RUNZHOU_REGULAR,
    RUNZHOU_ROOM_KINDS,
    RUNZHOU_UNIT_ACTIVITIES,
    RUNZHOU_UNITS,
)


def runzhou(rng):
    b = Builder("runzhou", "321111")
    week0, nw = epoch(2023, 1, 2), 52  # Monday 2023-01-02 .. Sunday 2023-12-31
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    towns = [Place(f"321111/{i + 1:03d}", n, lat, lon) for i, (n, lat, lon) in enumerate(RUNZHOU)]
    units = []
    for i, name in enumerate(RUNZHOU_UNITS):
        t = towns[0] if i == 0 else rng.choice(towns[:7])
        lat, lon = rng.near(t.lat, t.lon, 0.8, 2)
        units.append((name, t, lat, lon))

    # volunteers: staff of the member units (leaders first)
    leaders = []
    for ui, (name, t, ulat, ulon) in enumerate(units):
        for k in range(rng.int(6, 11)):
            lat, lon = rng.near(ulat, ulon, 2.5, 8)
            if k == 0:  # the unit's youth-work liaison, who leads its activity
                sk = ["event_hosting", "general_service"] + (
                    ["photography"] if rng.chance(0.3) else []
                )
                leaders.append(b.volunteer(lat, lon, sk, None, 60, 15, f"unit{ui + 1}-leader"))
                continue
            sk = skills_from(
                rng,
                [
                    ("general_service", 0.8),
                    ("sports_coaching", 0.1),
                    ("first_aid", 0.1),
                    ("photography", 0.1),
                    ("event_hosting", 0.08),
                    ("teaching", 0.12),
                    ("legal_aid", 0.04 if "Court" in name or "Procur" in name else 0.01),
                    ("medical", 0.5 if "Hospital" in name or "Health" in name else 0.01),
                ],
            )
            slots = [(5, hm(8), hm(24 + 20))] if rng.chance(0.8) else [(6, hm(8), hm(20))]
            if rng.chance(0.4):
                slots.append((rng.int(0, 4), hm(18), hm(21, 30)))
            win = None if rng.chance(0.1) else weekly(week0, nw, slots)
            b.volunteer(
                lat,
                lon,
                sk,
                win,
                rng.int(4, 16) * 5,
                rng.choice([5, 8, 10, 10, 15]),
                f"unit{ui + 1}",
            )

    # venues: unit 1 has 3 badminton courts, 2 table-tennis rooms, a gym and a yoga room
    _, t0, ulat, ulon = units[0]
    eve = [(d, hm(18), hm(21, 30)) for d in range(5)] + [(d, hm(8), hm(21)) for d in (5, 6)]
    sport_win = weekly(week0, nw, eve)
    courts = [
        b.venue(
            f"Badminton court {k}, {units[0][0]}",
            ulat,
            ulon,
            12,
            ["court", "badminton"],
            sport_win,
            4.5,
            "court",
        )
        for k in (1, 2, 3)
    ]
    tt = [
        b.venue(
            f"Table-tennis room {k}, {units[0][0]}",
            ulat,
            ulon,
            16,
            ["table_tennis"],
            sport_win,
            4.0,
            "tt",
        )
        for k in (1, 2)
    ]
    gym = b.venue(f"Gym, {units[0][0]}", ulat, ulon, 30, ["gym"], sport_win, 4.0, "gym")
    yoga = b.venue(
        f"Yoga room, {units[0][0]}", ulat, ulon, 25, ["yoga_room"], sport_win, 4.5, "yoga"
    )
    room_win = weekly(
        week0, nw, [(d, hm(18), hm(21)) for d in range(5)] + [(5, hm(8, 30), hm(17, 30))]
    )
    kinds = RUNZHOU_ROOM_KINDS
    for ui in rng.sample(list(range(1, 30)), 20):
        name, t, ulat2, ulon2 = units[ui]
        feats, cmin, cmax = rng.choice(kinds)
        b.venue(
            f"{feats[0].replace('_', ' ').capitalize()}, {name}",
            ulat2,
            ulon2,
            rng.int(cmin, cmax),
            feats,
            room_win,
            rating(rng),
            "unit_room",
        )
    plot = b.venue(
        "Green plot, Nanshan (2,000 m2 planted)",
        32.155,
        119.420,
        150,
        ["open_land"],
        None,
        None,
        "open_land",
    )
    b.venue(
        "Green plot, Nanshan extension (10,000 m2, from October)",
        32.150,
        119.426,
        500,
        ["open_land"],
        [(epoch(2023, 10, 1), epoch(2024, 1, 1))],
        None,
        "open_land",
    )

    # funds: each member unit's own budget for shared activities
    funds = [
        b.fund(
            f"{name} (unit budget)",
            yuan(500 * rng.int(2, 10)),
            [],
            ["321111"],
            epoch(2023, 12, 31, 23, 59) + 59,
        )
        for name, *_ in units
    ]

    # needs --------------------------------------------------------------------------
    tree = b.need(
        "Tree-planting day, Nanshan green plot",
        "tree_planting",
        "321111/007",
        32.156,
        119.419,
        epoch(2023, 3, 11, 8, 30),
        epoch(2023, 3, 11, 11, 30),
        5,
        [("general_service", 120, 100), ("first_aid", 2, 1), ("photography", 1, 1)],
        venue_req(["open_land"], 100, 3),
    )
    b.pin_venue(tree, plot)
    b.need(
        "Autumn tree-planting, Nanshan extension",
        "tree_planting",
        "321111/007",
        32.151,
        119.425,
        epoch(2023, 11, 11, 8, 30),
        epoch(2023, 11, 11, 11, 30),
        4,
        [("general_service", 80, 50), ("first_aid", 1, 1)],
        venue_req(["open_land"], 60, 3),
    )
    # staff badminton tournament: 4 blocks x 4 matches, only 3 courts
    for blk in range(4):
        s = epoch(2023, 5, 20, 9 + 2 * blk)
        for m in range(4):
            roles = [("sports_coaching", 1, 1)] if m < 2 else []
            b.need(
                f"Staff badminton tournament, block {blk + 1} match {m + 1}",
                "sports_tournament",
                towns[0].code,
                ulat + 0.001,
                ulon + 0.001,
                s,
                s + 2 * HOUR,
                3 if m < 3 else 2,
                roles,
                venue_req(["court", "badminton"], 10, 2),
            )
    # yearly activity list: each unit leads one activity
    acts = RUNZHOU_UNIT_ACTIVITIES
    led = []
    for ui, (name, t, ulat2, ulon2) in enumerate(units):
        title, cat, feats, roles = rng.choice(acts)
        month = 1 + (ui * 11) // 29
        while True:
            day = rng.int(1, 28)
            d = datetime(2023, month + 1 if month < 12 else 12, day, tzinfo=TZ)
            if d.weekday() == 5:
                break
        s = int(d.timestamp()) + hm(9, 30) * 60
        cap = rng.int(15, 40) if "activity_hall" not in feats else rng.int(60, 120)
        h = host_venue(b, rng, feats, cap, ulat2, ulon2)
        if h is None:
            cap = 10
            h = host_venue(b, rng, feats, cap, ulat2, ulon2)
        lat, lon = rng.near(h["lat"], h["lon"], 0.3, 0.8)
        maxd = max(5, math.ceil(dist_m(lat, lon, h["lat"], h["lon"]) / 1000 + 1))
        n = b.need(
            f"{title} (led by {name})",
            cat,
            t.code,
            lat,
            lon,
            s,
            s + 150 * 60,
            rng.int(3, 4),
            [("event_hosting", 1, 1)] + roles,
            venue_req(feats, cap, maxd),
            yuan(500 * rng.int(2, 12)),
        )
        led.append(n)
        leader = leaders[ui]
        if ui % 5 in (0, 2) and b.vol_ok(leader, n, "event_hosting"):
            b.pin_volunteer(n, leader)
    # regular shared-venue use by units: weekly evening sessions, venue only
    regular = RUNZHOU_REGULAR
    for ui in rng.sample(list(range(30)), 14):
        title, cat, feats, cap = rng.choice(regular, p=[4, 2, 1, 1.5])
        wd = rng.int(0, 4)
        start = rng.choice([hm(18), hm(19, 30)])
        first = rng.int(0, 20)
        for w in range(first, min(nw, first + 26), 2):
            s = week0 + (w * 7 + wd) * DAY + start * 60
            b.need(
                f"{title}, {units[ui][0]}",
                cat,
                units[ui][1].code,
                units[ui][2],
                units[ui][3],
                s,
                s + 90 * 60,
                rng.choice([1, 2], p=[0.7, 0.3]),
                [],
                venue_req(feats, cap, 12),
            )
    # forbids: a unit's budget may not pay for another unit's social events
    socials = [n for n in led if n["category"] == "social_event"]
    for n, f in zip(socials, rng.sample(funds, len(socials))):
        b.forbid_(n, "fund", f)
    b.forbid_(tree, "volunteer", leaders[0])
    return b
