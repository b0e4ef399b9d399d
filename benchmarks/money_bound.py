"""How many needs of one category any plan could fund, from the money and its earmarks alone
(every other rule ignored, so an upper bound): a small exact MIP over needs x funds (HiGHS
through scipy). Used for the "why the tight versions meet fewer" table of
`scenarios/README.md`.

    .venv/bin/python benchmarks/money_bound.py scenarios/zhecheng.json student_aid
"""

from __future__ import annotations

import json
import sys

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix


def _lies_in(region: str, r: str) -> bool:
    return region == r or region.startswith(r + "/")


def most_fundable(doc: dict, category: str) -> tuple[int, int, float]:
    """(needs of the category asking money, most of them fundable at once, CNY asked)."""
    needs = [n for n in doc["needs"] if n.get("category") == category and n.get("funding", 0)]
    funds = doc["funds"]
    forbid = {(x["need"], x["fund"]) for x in doc.get("forbid", []) if x.get("fund")}
    pairs = [(i, j) for i, n in enumerate(needs) for j, f in enumerate(funds)
             if (not f.get("categories") or category in f["categories"])
             and (not f.get("regions") or any(_lies_in(n.get("region", ""), r)
                                              for r in f["regions"]))
             and ("expires" not in f or n["start"] <= f["expires"])
             and (n["id"], f["id"]) not in forbid]
    n_n, n_p = len(needs), len(pairs)
    a = lil_matrix((n_n + len(funds), n_n + n_p))
    lo = np.zeros(n_n + len(funds))
    hi = np.zeros(n_n + len(funds))
    for k, (i, j) in enumerate(pairs):
        a[i, n_n + k] = 1  # grants to need i sum to its funding when it is funded
        a[n_n + j, n_n + k] = 1  # grants from fund j within its amount
    for i, n in enumerate(needs):
        a[i, i] = -n["funding"]
    for j, f in enumerate(funds):
        lo[n_n + j], hi[n_n + j] = -np.inf, f["amount"]
    ub = np.r_[np.ones(n_n), [min(needs[i]["funding"], funds[j]["amount"]) for i, j in pairs]]
    res = milp(np.r_[-np.ones(n_n), np.zeros(n_p)],
               constraints=LinearConstraint(a.tocsr(), lo, hi),
               integrality=np.r_[np.ones(n_n), np.zeros(n_p)], bounds=Bounds(0, ub),
               options={"time_limit": 120})
    if res.status != 0:
        raise SystemExit(f"not proven: {res.message}")
    return n_n, round(-res.fun), sum(n["funding"] for n in needs) / 100


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        doc = json.load(fh)
    n, best, asked = most_fundable(doc, args[1])
    print(f"{args[0]}: {args[1]}: {n} needs ask {asked:,.0f} CNY; at most {best} fundable at once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
