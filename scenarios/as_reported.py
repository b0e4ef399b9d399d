#!/usr/bin/env python3
""""As reported" variants of three scenarios: the same people, venues and needs, with the
money (and its earmarks) made to match what the committees report they achieved.

    python scenarios/as_reported.py [--out-dir scenarios/reported]

writes `tianchang_reported.json`, `zhecheng_reported.json` and `yibin_reported.json` (not
committed; a few seconds). The committed scenarios stay the tight versions for benchmarking.

What each report says, and what changes (see `scenarios/README.md` for the comparison):

- Tianchang: 430 micro-wishes from 58,000 CNY. The 430 wishes are rescaled to ask 58,000
  CNY in all (the reconstruction asks 58,265), and the micro-wish funds (58,000 CNY) are made
  usable for them (see "usable" below).
- Zhecheng: 455 students aided from 560,000 CNY; 88 counselling events and 405 sessions.
  The 455 grants are rescaled to ask 560,000 CNY in all (the reconstruction asks 410,280);
  the student-aid funds (562,000 CNY) and the counselling funds (143,800 CNY) are made usable;
  the 22 counsellors get twice the reconstruction's hours (20-45 h each over six months),
  and each town's youth home two more rooms (up to three needs at one time in one town want
  the one youth home of the reconstruction).
- Yibin: 4,379 students aided from 2,496,000 CNY. The student-aid funds (2,196,000 CNY in the
  reconstruction, where 300,000 of the 2,496,000 go to child-care projects) are scaled up to
  2,496,000 CNY and made usable; the 4,379 grants are left as they are (2,420,900 CNY).

"Usable": for one group of categories, earmarked funds (regions or expiry) keep only as much
as the needs they may serve can take (finest earmarks first, pinned grants first, so the
earmarked money can all be given at once); the rest moves to the group's largest fund, whose
region limit (if any) is lifted; expiry dates in the group are dropped. Total money in the
group is unchanged. Everything else (volunteers, venues, other funds, pins, forbids, the
objective) is unchanged, apart from pinned grant amounts that follow their need's funding.
Only the standard library is used; the output is deterministic.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str) -> dict:
    with open(os.path.join(HERE, f"{name}.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _lies_in(region: str, r: str) -> bool:
    return region == r or region.startswith(r + "/")


def rescale(doc: dict, category: str, total_fen: int) -> None:
    """Scale the funding of every need of `category` so they sum to `total_fen` exactly (whole
    yuan each; the rounding remainder goes one yuan at a time to the first needs)."""
    needs = [n for n in doc["needs"] if n.get("category") == category and n.get("funding", 0)]
    old_total = sum(n["funding"] for n in needs)
    old = {n["id"]: n["funding"] for n in needs}
    for n in needs:
        n["funding"] = max(100, n["funding"] * total_fen // old_total // 100 * 100)
    rest = (total_fen - sum(n["funding"] for n in needs)) // 100
    k = 0
    while rest != 0:
        step = 1 if rest > 0 else -1
        n = needs[k % len(needs)]
        if n["funding"] + 100 * step >= 100:
            n["funding"] += 100 * step
            rest -= step
        k += 1
    for p in doc["pins"]:
        if p.get("fund") and p["need"] in old and p["amount"] == old[p["need"]]:
            p["amount"] = next(n["funding"] for n in needs if n["id"] == p["need"])


def scale_funds(doc: dict, categories: set[str], total_fen: int) -> None:
    """Scale the funds of `categories` so they hold `total_fen` in all (whole yuan)."""
    funds = [f for f in doc["funds"] if f.get("categories") and set(f["categories"]) <= categories]
    old = sum(f["amount"] for f in funds)
    for f in funds:
        f["amount"] = f["amount"] * total_fen // old // 100 * 100
    biggest = max(funds, key=lambda f: f["amount"])
    biggest["amount"] += total_fen - sum(f["amount"] for f in funds)


def make_usable(doc: dict, categories: set[str]) -> dict[str, int]:
    """Make the money of a category group usable (module docstring); returns the amounts
    moved to the hub fund, by fund id."""
    funds = [f for f in doc["funds"] if f.get("categories") and set(f["categories"]) <= categories]
    needs = {n["id"]: n for n in doc["needs"]
             if n.get("category") in categories and n.get("funding", 0) > 0}
    forbid = {(x["need"], x["fund"]) for x in doc["forbid"] if x.get("fund")}
    left = {i: n["funding"] for i, n in needs.items()}
    hub = max(funds, key=lambda f: (f["amount"], f["id"]))
    for f in funds:
        f.pop("expires", None)
    hub.pop("regions", None)
    room: dict[str, int] = {f["id"]: f["amount"] for f in funds}
    for p in doc["pins"]:  # pinned grants first
        if p.get("fund") in room and p["need"] in left:
            left[p["need"]] -= p["amount"]
            room[p["fund"]] -= p["amount"]

    def depth(f: dict) -> int:
        return -max((r.count("/") for r in f.get("regions") or [""]), default=0)

    moved: dict[str, int] = {}
    for f in sorted((f for f in funds if f is not hub and f.get("regions")),
                    key=lambda f: (depth(f), f["id"])):
        can = room[f["id"]]
        for i, n in needs.items():
            if can <= 0:
                break
            if left[i] <= 0 or (i, f["id"]) in forbid or n["category"] not in f["categories"]:
                continue
            if any(_lies_in(n.get("region", ""), r) for r in f["regions"]):
                take = min(can, left[i])
                left[i] -= take
                can -= take
        if can > 0:  # more than the needs it may serve can take: the rest goes to the hub
            f["amount"] -= can
            hub["amount"] += can
            moved[f["id"]] = can
    return moved


def tianchang() -> dict:
    d = _load("tianchang")
    d["name"] = "tianchang_reported"
    rescale(d, "micro_wish", 58_000 * 100)
    make_usable(d, {"micro_wish"})
    return d


def zhecheng() -> dict:
    d = _load("zhecheng")
    d["name"] = "zhecheng_reported"
    rescale(d, "student_aid", 560_000 * 100)
    make_usable(d, {"student_aid"})
    make_usable(d, {"counselling_event", "counselling_session"})
    # 22 counsellors gave 88 events and 405 sessions: twice the reconstruction's hours
    # (20 to 45 h each over six months: less than those sessions and events take).
    for v in d["volunteers"]:
        if "counselling" in v["skills"] and "max_hours" in v:
            v["max_hours"] = 2 * v["max_hours"]
    # ... and they had rooms for them: up to three needs at one time in one town want the
    # town's one youth home in the reconstruction, so each youth home gets two more rooms
    # (hall, classroom and counselling room) with the same opening hours.
    for u in list(d["venues"]):
        if u["name"].startswith("Youth Home, "):
            for k in ("b", "c"):
                d["venues"].append({
                    **u, "id": u["id"] + k,
                    "name": f"Room {k.upper()} of the youth home, " + u["name"].split(", ", 1)[1]
                    + " (as reported)",
                    "features": sorted(set(u["features"])
                                       | {"classroom", "activity_hall", "counselling_room"})})
    return d


def yibin() -> dict:
    d = _load("yibin")
    d["name"] = "yibin_reported"
    scale_funds(d, {"student_aid"}, 2_496_000 * 100)
    make_usable(d, {"student_aid"})
    return d


VARIANTS = {"tianchang": tianchang, "zhecheng": zhecheng, "yibin": yibin}
# What each committee reports it achieved: category -> needs met.
REPORTED = {"tianchang": {"micro_wish": 430},
            "zhecheng": {"student_aid": 455, "counselling_event": 88, "counselling_session": 405},
            "yibin": {"student_aid": 4379}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(HERE, "reported"))
    ap.add_argument("--only", action="append", choices=sorted(VARIANTS))
    a = ap.parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    for name in a.only or list(VARIANTS):
        doc = VARIANTS[name]()
        path = os.path.join(a.out_dir, f"{name}_reported.json")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
