"""Tightness figures of a generated scenario (`generate.py --stats`)."""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import sys

import numpy as np

from scengen.common import HOUR, hav_km


def stats(b, out=sys.stdout):
    V = b.volunteers
    nv = len(V)
    lat = np.array([v["lat"] for v in V])
    lon = np.array([v["lon"] for v in V])
    trav = np.array([round(1000 * v["travel"]) for v in V])
    maxh = np.array([np.inf if v["max_hours"] is None else v["max_hours"] * HOUR for v in V])
    skills = sorted(
        {s for v in V for s in v["skills"]} | {r[0] for n in b.needs for r in n["roles"]}
    )
    sidx = {s: i for i, s in enumerate(skills)}
    S = np.zeros((nv, len(skills)), dtype=bool)
    for i, v in enumerate(V):
        for s in v["skills"]:
            S[i, sidx[s]] = True
    always = np.array([v["windows"] is None for v in V])
    wo, ws, we = [], [], []
    for i, v in enumerate(V):
        if v["windows"]:
            for s, e in v["windows"]:
                wo.append(i)
                ws.append(s)
                we.append(e)
    wo, ws, we = np.array(wo, dtype=np.int64), np.array(ws), np.array(we)
    pairs = 0
    starved = {p: 0 for p in range(1, 6)}
    with_roles = {p: 0 for p in range(1, 6)}
    demand_h, supply_h = {}, {}
    for n in b.needs:
        if not n["roles"]:
            continue
        dur = n["end"] - n["start"]
        d = np.rint(1000 * hav_km(lat, lon, n["lat"], n["lon"]))
        ok = (d <= trav) & (maxh >= dur)
        fit = always.copy()
        if len(ws):
            fit[wo[(ws <= n["start"]) & (we >= n["end"])]] = True
        ok &= fit
        cols = [sidx[r[0]] for r in n["roles"]]
        cand = ok & S[:, cols].any(axis=1)
        pairs += int(cand.sum())
        with_roles[n["priority"]] += 1
        if any(int((ok & S[:, sidx[s]]).sum()) < m for s, c, m in n["roles"]):
            starved[n["priority"]] += 1
        for s, c, m in n["roles"]:
            demand_h[s] = demand_h.get(s, 0) + m * dur / HOUR
    for v in V:
        for s in v["skills"]:
            supply_h[s] = supply_h.get(s, 0) + (v["max_hours"] or 0) / len(v["skills"])
    print(f"== {b.name}: {b.summary()}", file=out)
    print(f"   candidate volunteer-need pairs: {pairs:,}", file=out)
    print(
        f"   needs with roles by priority: {with_roles}; with a role short of candidates: {starved}",
        file=out,
    )
    print("   skill  min-demand h / supply h (max_hours split evenly over skills):", file=out)
    for s in skills:
        print(f"     {s:18s} {demand_h.get(s, 0):9.0f} / {supply_h.get(s, 0):9.0f}", file=out)
    # venues: needs without any venue candidate
    vneeds = [n for n in b.needs if n["venue"] is not None]
    nocand = (
        sum(1 for n in vneeds if not any(b.venue_ok(u, n) for u in b.venues))
        if len(vneeds) < 20000
        else -1
    )
    print(f"   venue needs {len(vneeds)}, without any venue candidate {nocand}", file=out)
    # funds by category
    fcat, dcat = {}, {}
    for f in b.funds:
        k = ",".join(f["categories"]) or "*"
        fcat[k] = fcat.get(k, 0) + f["amount"] // 100
    for n in b.needs:
        if n["funding"]:
            dcat[n["category"]] = dcat.get(n["category"], 0) + n["funding"] // 100
    print(f"   funds (CNY) by categories: {fcat}", file=out)
    print(f"   funding demand (CNY) by category: {dcat}", file=out)
