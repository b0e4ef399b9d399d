"""The LP relaxation of a subproblem's coverage stage: a proven bound for big components.

The rules' blocks of `formulation` (the ones CP-SAT gets too), with every variable continuous
in [0, 1] (grants in [0, cap]); the optimum of the LP is an upper bound on the coverage any
valid plan reaches. Built with scipy sparse matrices and solved by HiGHS through
`scipy.optimize.linprog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import LinearConstraint, linprog
from scipy.sparse import coo_matrix, diags, hstack, vstack

from matcher.solver.cpsat import SubProblem
from matcher.solver.formulation import Block, Formulation, columns, fairness_rows, formulate

I64 = NDArray[np.int64]
# HiGHS's presolve costs more time and memory than it saves on these LPs (Yibin's year of
# activities: 2.7 s and 0.7 GB without it, 6.5 s and 1.3 GB with it).
PRESOLVE = False


@dataclass
class Matrices:
    """The subproblem as `A_ub x <= b_ub`, `A_eq x == b_eq`, 0 <= x <= upper, with columns
    [met (n) | volunteer pairs | venue pairs | grants]."""

    n: int
    o_x: int
    o_y: int
    o_g: int
    total: int
    a_ub: Any
    b_ub: Any
    a_eq: Any
    b_eq: Any
    upper: NDArray[np.float64]

    def holds(self, x: NDArray[np.float64]) -> bool:
        """Does the point satisfy every bound and row exactly (integer data)?"""
        if np.any(x < 0) or np.any(x > self.upper):
            return False
        if self.a_ub is not None and np.any(self.a_ub @ x > self.b_ub + 1e-9):
            return False
        return not (self.a_eq is not None and np.any(np.abs(self.a_eq @ x - self.b_eq) > 1e-9))

    def constraints(self) -> list[LinearConstraint]:
        """The rows as scipy's `milp` takes them (the MIP stages and the floors MIP)."""
        cons = []
        if self.a_ub is not None:
            cons.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        if self.a_eq is not None:
            cons.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        return cons


def matrices(sp: SubProblem, link_pairs: bool = True) -> Matrices:
    """The blocks of `formulation.formulate` stacked in their order (the same rules CP-SAT
    gets); with `link_pairs`, the implied rows x <= met that tighten the relaxation too."""
    return stack(formulate(sp, implied=link_pairs))


def _by_volunteer(blocks: list[Block]) -> list[Block]:
    """Consecutive blocks about volunteers' time merged into one whose rows go volunteer by
    volunteer (each volunteer's rows in block order): the row order HiGHS has always had,
    which decides which of several optimal plans it returns."""
    out: list[Block] = []
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and block.volunteer is not None:
            run.append(block)
            continue
        if len(run) > 1:
            vol = np.concatenate([b.volunteer for b in run if b.volunteer is not None])
            order = np.argsort(vol, kind="stable")
            out.append(Block("+".join(b.name for b in run), ", ".join(b.rules for b in run),
                             vstack([b.a for b in run], format="csr")[order],
                             np.concatenate([b.lo for b in run])[order],
                             np.concatenate([b.hi for b in run])[order]))
        else:
            out.extend(run)
        run = []
        if block is not None:
            out.append(block)
    return out


def stack(form: Formulation) -> Matrices:
    """The blocks as `A_ub x <= b_ub` (a row `lo <= a x` becomes `-a x <= -lo`) and
    `A_eq x == b_eq`, each in block order (volunteers' time rows by volunteer)."""
    ub: list[Any] = []
    b_ub: list[NDArray[np.float64]] = []
    eq: list[Any] = []
    b_eq: list[NDArray[np.float64]] = []
    for block in _by_volunteer(form.blocks):
        lo, hi = block.lo, block.hi
        same = lo == hi
        upper = np.isfinite(hi) & ~same
        lower = np.isfinite(lo) & ~same
        if upper.any() and lower.any():
            # Both kinds in one block (the staffing rows): one row each, in the block's order.
            sign = np.where(upper, 1.0, -1.0)
            keep = upper | lower
            ub.append((diags(sign[keep]) @ block.a[keep]).tocsr())
            b_ub.append(np.where(upper, hi, 0.0 - lo)[keep])
            if (upper & lower).any():
                raise ValueError(f"ranged rows in block {block.name!r}")
        elif upper.any():
            ub.append(block.a[upper])
            b_ub.append(hi[upper])
        elif lower.any():
            ub.append(-block.a[lower])
            b_ub.append(0.0 - lo[lower])
        if same.any():
            eq.append(block.a[same])
            b_eq.append(lo[same])
    c = form.cols
    a_ub = vstack(ub, format="csr") if ub else None
    a_eq = vstack(eq, format="csr") if eq else None
    for a in (a_ub, a_eq):
        if a is not None:
            a.sort_indices()
    return Matrices(c.n, c.o_x, c.o_y, c.o_g, c.total, a_ub,
                    np.concatenate(b_ub) if ub else None, a_eq,
                    np.concatenate(b_eq) if eq else None, c.upper)


def coverage_bound(
    sp: SubProblem, time_limit: float, mx: Matrices | None = None
) -> tuple[float, NDArray[np.float64]] | None:
    """The LP bound on coverage with the LP's `met` values, or None when HiGHS does not
    finish in `time_limit`."""
    # Without the pair-to-need rows: a fifth of the memory on city-size components, and
    # the roles' count rows already tie pairs to their need.
    mx = mx if mx is not None else matrices(sp, link_pairs=False)
    n = mx.n
    c = np.zeros(mx.total)
    c[:n] = -sp.weight.astype(np.float64)
    res = linprog(c, A_ub=mx.a_ub, b_ub=mx.b_ub, A_eq=mx.a_eq, b_eq=mx.b_eq,
                  bounds=np.stack([np.zeros(mx.total), mx.upper], axis=1), method="highs-ds",
                  options={"time_limit": max(0.1, time_limit), "presolve": PRESOLVE})
    if res.status != 0:
        return None
    # The dual bound of a solved LP equals its optimum; round down only past float noise.
    return float(np.floor(-res.fun + 1e-6)), res.x[:n]


def fairness_bound(sp: SubProblem, time_limit: float, mx: Matrices | None = None
                   ) -> float | None:
    """The LP bound on fairness: the largest t with every group's met weight at least
    t times its total, over the relaxation; None when HiGHS does not finish in time."""
    assert sp.group is not None and sp.group_total is not None
    mx = mx if mx is not None else matrices(sp, link_pairs=False)
    gids, weights = fairness_rows(sp, columns(sp))
    a_met = -weights
    a_t = coo_matrix(np.array([[float(sp.group_total[g])] for g in gids]))
    a_fair = hstack([a_met, a_t])
    blocks = [a_fair]
    b = [np.zeros(len(gids))]
    if mx.a_ub is not None:
        blocks.insert(0, hstack([mx.a_ub, coo_matrix((mx.a_ub.shape[0], 1))]))
        b.insert(0, mx.b_ub)
    a_ub = vstack(blocks).tocsr()
    a_eq = None
    if mx.a_eq is not None:
        a_eq = hstack([mx.a_eq, coo_matrix((mx.a_eq.shape[0], 1))]).tocsr()
    c = np.zeros(mx.total + 1)
    c[-1] = -1.0
    bounds = np.stack([np.zeros(mx.total + 1), np.r_[mx.upper, 1.0]], axis=1)
    res = linprog(c, A_ub=a_ub, b_ub=np.concatenate(b), A_eq=a_eq, b_eq=mx.b_eq,
                  bounds=bounds, method="highs-ds",
                  options={"time_limit": max(0.1, time_limit), "presolve": PRESOLVE})
    if res.status != 0:
        return None
    # Above the LP optimum by more than float noise: still a proven bound.
    return min(1.0, float(-res.fun) + 1e-7)
