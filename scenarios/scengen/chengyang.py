"""Chengyang district (370214): the epidemic-surge fortnight of April 2022."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

from datetime import datetime

from scengen.builder import Builder, choose_pins, rating, venue_req
from scengen.common import DAY, TZ, Place, add_communities, dist_m, epoch, hm, skills_from, yuan
from scengen.data import CHENGYANG


def chengyang(rng):
    b = Builder("chengyang", "370214")
    week0, nw = epoch(2022, 4, 4), 2  # Monday 2022-04-04 .. Sunday 2022-04-17
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    towns, comms = [], []
    for i, (name, lat, lon, nc) in enumerate(CHENGYANG):
        t = Place(f"370214/{i + 1:03d}", name, lat, lon, float(nc), i == 0)
        add_communities(rng, t, nc, 1.6)
        towns.append(t)
        comms += t.subs
    days = [week0 + d * DAY for d in range(14)]

    # 3,284 volunteers in 131 youth teams, each team based in one community
    bases = [rng.choice(comms) for _ in range(131)]
    sizes = [25] * 131
    for _ in range(3284 - 25 * 131):
        sizes[rng.int(0, 130)] += 1
    for team, (base, size) in enumerate(zip(bases, sizes)):
        for _ in range(size):
            lat, lon = rng.near(base.lat, base.lon, 1.2, 5)
            sk = skills_from(
                rng,
                [
                    ("general_service", 0.85),
                    ("logistics", 0.3),
                    ("data_entry", 0.2),
                    ("disinfection", 0.12),
                    ("first_aid", 0.12),
                    ("medical", 0.05),
                    ("teaching", 0.1),
                    ("counselling", 0.02),
                    ("photography", 0.03),
                ],
            )
            r = rng.random()
            if r < 0.12:
                win = None
            else:
                on = sorted(rng.sample(list(range(14)), rng.int(5, 14)))
                a, z = rng.choice(
                    [
                        (hm(6), hm(13)),
                        (hm(12), hm(21)),
                        (hm(6), hm(21)),
                        (hm(6), hm(21)),
                        (hm(16), hm(23)),
                    ]
                )
                win = [(days[d] + a * 60, days[d] + z * 60) for d in on]
            b.volunteer(
                lat,
                lon,
                sk,
                win,
                rng.int(4, 12) * 4,
                rng.choice([2, 3, 3, 5, 5, 8]),
                f"team{team + 1}",
            )

    # venues: flagship youth home, 4 youth stations, park enterprise sites, 9 hope cabins
    b.venue(
        "Chengyang Youth Home (flagship)",
        towns[0].lat + 0.003,
        towns[0].lon - 0.002,
        60,
        ["classroom", "meeting_room", "livestream_room", "shared_desks"],
        None,
        5.0,
        "youth_home",
    )
    for i, t in enumerate(rng.sample(towns, 4)):
        lat, lon = rng.near(t.lat, t.lon, 0.8, 2)
        b.venue(
            f"Youth Station {i + 1}, {t.name}",
            lat,
            lon,
            rng.int(2, 3) * 10,
            ["classroom", "meeting_room"],
            None,
            rating(rng),
            "youth_station",
        )
    for i, t in enumerate(rng.sample(towns, 3)):
        lat, lon = rng.near(t.lat, t.lon, 1.5, 3)
        b.venue(
            f"Industrial Park Site {i + 1}, {t.name}",
            lat,
            lon,
            150,
            ["activity_hall", "open_land"],
            [(d + hm(8) * 60, d + hm(20) * 60) for d in days],
            rating(rng),
            "park_site",
        )
    cabins = []
    for i, c in enumerate(rng.sample(comms, 9)):
        lat, lon = rng.near(c.lat, c.lon, 0.2, 0.5)
        cabins.append(
            (
                c,
                b.venue(
                    f"Hope Cabin {i + 1}, {c.name}",
                    lat,
                    lon,
                    rng.int(2, 3) * 10,
                    ["classroom", "reading_room"],
                    [(d + hm(14) * 60, d + hm(20) * 60) for d in days],
                    rating(rng),
                    "hope_cabin",
                ),
            )
        )

    # funds
    ss = ["surge_supplies"]
    b.fund("Qingdao Youth Entrepreneurs Association (surge)", yuan(50000), ss)
    b.fund("Chengyang Chamber of Commerce (surge)", yuan(40000), ss, ["370214"])
    for i, t in enumerate(rng.sample(towns, 4)):
        b.fund(f"Street enterprise donor {i + 1} ({t.name})", yuan(12000), ss, [t.code])
    b.fund(
        "Caring individuals (surge, online)",
        yuan(12000),
        ss,
        expires=epoch(2022, 4, 10, 23, 59) + 59,
    )
    b.fund("Hope Cabin Fund", yuan(351000), ["hope_cabin"], ["370214"])

    # needs --------------------------------------------------------------------------
    sealed = rng.sample(comms, 40)
    sealed_set = {c.code for c in sealed}
    shifts = [(hm(7), hm(11)), (hm(11), hm(15)), (hm(15), hm(19)), (hm(19), hm(23))]
    checkpoint = []
    for c in sealed:
        gate_lat, gate_lon = rng.near(c.lat, c.lon, 0.2, 0.4)
        for d in days:
            for a, z in shifts:
                checkpoint.append(
                    b.need(
                        f"Checkpoint shift, {c.name}",
                        "checkpoint",
                        c.code,
                        gate_lat,
                        gate_lon,
                        d + a * 60,
                        d + z * 60,
                        4,
                        [("general_service", 2, 2)],
                    )
                )
    rounds = [0, 2, 4, 6, 9, 12]
    for c in comms:
        for r in rounds:
            d = days[r]
            roles = [("data_entry", rng.int(1, 2), 1), ("general_service", rng.int(3, 6), 2)]
            if rng.chance(0.3):
                roles.append(("medical", 1, 1))
            b.need(
                f"Mass testing support, {c.name}",
                "testing_support",
                c.code,
                c.lat,
                c.lon,
                d + hm(6, 30) * 60,
                d + hm(11, 30) * 60,
                5,
                roles,
            )
    around = [c for c in comms if c.code in sealed_set or rng.chance(0.2)]
    for c in around:
        for k in range(7):
            d = days[2 * k]
            b.need(
                f"Disinfection round, {c.name}",
                "disinfection",
                c.code,
                c.lat,
                c.lon,
                d + hm(14) * 60,
                d + hm(16) * 60,
                3,
                [("disinfection", 2, 1), ("logistics", 1, 1)],
            )
    for c in sealed:
        for d in days:
            b.need(
                f"Doorstep supply delivery, {c.name}",
                "supply_delivery",
                c.code,
                c.lat,
                c.lon,
                d + hm(17) * 60,
                d + hm(20) * 60,
                4,
                [("logistics", 3, 2)],
            )
    # 4:30 classes at the youth home, stations and hope cabins on school days
    class_sites = [u for u in b.venues if "classroom" in u["features"]]
    for u in class_sites:
        for d in days:
            if datetime.fromtimestamp(d, TZ).weekday() >= 5:
                continue
            lat, lon = rng.near(u["lat"], u["lon"], 0.5, 1.2)
            b.need(
                f"4:30 after-school class near {u['name']}",
                "after_school_class",
                towns[0].code if u["tag"] == "youth_home" else "370214",
                lat,
                lon,
                d + hm(16, 30) * 60,
                d + hm(18) * 60,
                rng.choice([2, 3]),
                [("teaching", 2, 1)],
                venue_req(["classroom"], rng.int(15, 20), 2),
            )
    # fix regions of classes: nearest community
    for n in b.needs:
        if n["category"] == "after_school_class":
            c = min(comms, key=lambda c: dist_m(c.lat, c.lon, n["lat"], n["lon"]))
            n["region"] = c.code
    visits = []
    for i in range(60):
        c = rng.choice(comms)
        d = rng.choice(days)
        a = rng.choice([hm(9), hm(14), hm(15, 30)])
        visits.append(
            b.need(
                f"Visit to a child in difficulty #{i + 1}",
                "counselling_visit",
                c.code,
                c.lat,
                c.lon,
                d + a * 60,
                d + a * 60 + 90 * 60,
                rng.choice([3, 4]),
                [("counselling", 1, 1)],
            )
        )
    for i, c in enumerate(rng.sample(comms, 60)):
        d = rng.choice(days[:12])
        b.need(
            f"Emergency supply packages, {c.name}",
            "surge_supplies",
            c.code,
            c.lat,
            c.lon,
            d + hm(9) * 60,
            d + hm(12) * 60,
            4 if c.code in sealed_set else 3,
            [("logistics", 2, 1)],
            funding=yuan(500 * rng.int(3, 10)),
        )
    for i, (c, u) in enumerate(cabins):
        d = days[rng.int(5, 13)]
        b.need(
            f"Furnish {u['name']}",
            "hope_cabin",
            c.code,
            u["lat"],
            u["lon"],
            d + hm(10) * 60,
            d + hm(11) * 60,
            rng.choice([3, 4]),
            funding=yuan(1000 * rng.int(36, 46)),
        )
    # pins: team leaders on checkpoint shifts; forbids: a few volunteers off testing
    used = set()
    choose_pins(b, rng, checkpoint, 6, "general_service", used)
    for n in rng.sample(visits, 3):
        c = [v for v in b.volunteers if b.vol_ok(v, n, "counselling")]
        if c:
            b.forbid_(n, "volunteer", c[-1])
    return b
