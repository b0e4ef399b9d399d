"""The rules that tie pairs together, written once for every backend.

Candidates already enforce the per-pair rules (1-3, 6-7, the fit part of 8, 10 and `forbid`).
What is left ties pairs together, and is linear over one column per decision:

    [met (one per need) | x (volunteer pairs) | y (venue pairs) | g (grants)]

with met, x, y in {0, 1} and 0 <= g <= the pair's cap. `formulate` turns a subproblem into a
list of `Block`s, each the rows of one rule of SPEC.md as sparse data, `lo <= A @ col <= hi`.
The CP-SAT model (`cpsat.MatchModel`) and the HiGHS matrices (`lp.matrices`, used by the LP
bounds and the MIP) are both written from these blocks and from the objective vectors here, so
the two backends see one set of rules. What each backend adds is only how it encodes a row
(see `cpsat.MatchModel`), never which rows there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix

if TYPE_CHECKING:
    from matcher.solver.cpsat import Solution, SubProblem

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
INF = np.inf


@dataclass(frozen=True)
class Columns:
    """Where each kind of decision starts in the column vector, and every column's upper
    bound (1 for the 0/1 columns, the pair's cap for a grant)."""

    n: int
    o_x: int
    o_y: int
    o_g: int
    total: int
    upper: F64

    def vector(self, sol: Solution) -> F64:
        """A solution as a column vector."""
        return np.concatenate([sol.met, sol.v, sol.u, sol.g]).astype(np.float64)


@dataclass(frozen=True)
class Block:
    """The rows of one rule: `lo <= a @ col <= hi` (lo or hi may be infinite).

    `implied` rows hold for every integer point of the other blocks: they only tighten a
    relaxation, and a backend that works with integers may leave them out.
    """

    name: str
    rules: str  # the SPEC rules the rows encode, e.g. "4" or "5, 12"
    a: csr_matrix
    lo: F64
    hi: F64
    implied: bool = False
    # The volunteer each row is about, for the blocks of one volunteer's time: stacked,
    # their rows go volunteer by volunteer (see `lp.stack`).
    volunteer: I64 | None = None

    @property
    def rows(self) -> int:
        return len(self.lo)

    def violated(self, col: F64, tol: float = 1e-9) -> NDArray[np.bool_]:
        """Which rows the column vector breaks."""
        act = self.a @ col
        return (act < self.lo - tol) | (act > self.hi + tol)


@dataclass(frozen=True)
class Formulation:
    """A subproblem's rules as blocks, with the grouping CP-SAT needs to name sums.

    `item` gives each volunteer pair its (volunteer, need) item: the rows of "no overlap" and
    "hours" contain either all of an item's pairs, with one coefficient, or none of them.
    """

    cols: Columns
    blocks: list[Block]
    item: I64  # per volunteer pair: its (volunteer, need) item, items sorted by (volunteer, need)
    items: int

    def block(self, name: str) -> Block:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(name)

    def broken(self, sol: Solution) -> dict[str, int]:
        """How many rows of each block a solution breaks (only blocks it breaks)."""
        col = self.cols.vector(sol)
        out = {b.name: int(b.violated(col).sum()) for b in self.blocks}
        return {k: v for k, v in out.items() if v}


def columns(sp: SubProblem) -> Columns:
    n = len(sp.needs)
    nv, nu, nf = len(sp.v_vol), len(sp.u_venue), len(sp.f_fund)
    o_x, o_y, o_g = n, n + nv, n + nv + nu
    upper = np.ones(o_g + nf)
    upper[o_g:] = sp.f_cap.astype(np.float64)
    return Columns(n, o_x, o_y, o_g, o_g + nf, upper)


def formulate(sp: SubProblem, implied: bool = True) -> Formulation:
    """The subproblem's rules as blocks, in a fixed order (the order of the stacked rows).

    Without `implied`, the blocks that only tighten a relaxation are left out (a fifth of
    the memory of the LP bound on city-size components).
    """
    cols = columns(sp)
    item, items, item_vol, item_need = _items(sp)
    blocks = [_staffing(sp, cols)]
    if implied:
        blocks.append(_pair_needs_met(sp, cols))
    blocks += [
        _no_overlap(sp, cols, item, item_vol, item_need),
        _one_role(cols, item, items, item_vol),
        _hours(sp, cols, item, item_vol, item_need),
        _booking(sp, cols),
        _venue_overlap(sp, cols),
        _funding(sp, cols),
        _fund_amount(sp, cols),
        _pins(sp, cols),
    ]
    return Formulation(cols, blocks, item, items)


# --- the blocks, one function per rule ------------------------------------------------------

def _block(name: str, rules: str, cols: Columns, rows: I64, col: I64, val: F64 | float,
           lo: F64, hi: F64, implied: bool = False, volunteer: I64 | None = None) -> Block:
    vals = np.broadcast_to(np.asarray(val, dtype=np.float64), col.shape)
    a = coo_matrix((vals, (rows, col)), shape=(len(lo), cols.total)).tocsr()
    return Block(name, rules, a, np.asarray(lo, dtype=np.float64),
                 np.asarray(hi, dtype=np.float64), implied, volunteer)


def _staffing(sp: SubProblem, cols: Columns) -> Block:
    """Rules 5 and 12 for roles: a met need's role gets min_count..count volunteers, an unmet
    need's none. Two rows per role, in need and role order: sum x - min*met >= 0, then
    sum x - count*met <= 0."""
    lens = np.array([len(r) for r in sp.role_min], dtype=np.int64)
    first = np.r_[0, np.cumsum(lens)[:-1]] if len(lens) else lens
    lo_c = np.array([c for r in sp.role_min for c in r], dtype=np.float64)
    hi_c = np.array([c for r in sp.role_count for c in r], dtype=np.float64)
    roles = len(lo_c)
    role_need = np.repeat(np.arange(len(lens)), lens)
    pair_role = first[sp.v_need] + sp.v_role if len(sp.v_need) else sp.v_need
    r = np.arange(roles)
    kx = cols.o_x + np.arange(len(sp.v_need))
    rows = np.r_[2 * pair_role, 2 * pair_role + 1, 2 * r, 2 * r + 1]
    col = np.r_[kx, kx, role_need, role_need]
    val = np.r_[np.ones(2 * len(sp.v_need)), -lo_c, -hi_c]
    lo = np.zeros(2 * roles)
    lo[1::2] = -INF
    hi = np.zeros(2 * roles)
    hi[0::2] = INF
    return _block("staffing", "5, 12", cols, rows, col, val, lo, hi)


def _pair_needs_met(sp: SubProblem, cols: Columns) -> Block:
    """Rule 13 pair by pair: x <= met. Implied by the staffing rows for 0/1 values."""
    k = np.arange(len(sp.v_vol))
    return _block("pair needs met", "13", cols, np.r_[k, k], np.r_[k + cols.o_x, sp.v_need],
                  np.r_[np.ones(len(k)), -np.ones(len(k))], np.full(len(k), -INF),
                  np.zeros(len(k)), implied=True)


def _items(sp: SubProblem) -> tuple[I64, int, I64, I64]:
    """Each volunteer pair's (volunteer, need) item; items sorted by volunteer, then need."""
    if len(sp.v_vol) == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, 0, e, e
    key = sp.v_vol.astype(np.int64) * max(1, len(sp.needs)) + sp.v_need
    uniq, item = np.unique(key, return_inverse=True)
    n = max(1, len(sp.needs))
    return item.astype(np.int64), len(uniq), uniq // n, uniq % n


def _one_role(cols: Columns, item: I64, items: int, item_vol: I64) -> Block:
    """Rule 5: a volunteer fills at most one role of a need (items with several pairs)."""
    size = np.bincount(item, minlength=items)
    multi = np.flatnonzero(size > 1)
    row_of = np.full(items, -1, dtype=np.int64)
    row_of[multi] = np.arange(len(multi))
    k = np.flatnonzero(row_of[item] >= 0)
    return _block("one role per need", "5", cols, row_of[item[k]], k + cols.o_x, 1.0,
                  np.full(len(multi), -INF), np.ones(len(multi)), volunteer=item_vol[multi])


def _expand(members_item: I64, clique_of: I64, item: I64, o_x: int) -> tuple[I64, I64]:
    """Item-level rows to pair-level (row, column) entries."""
    order = np.argsort(item, kind="stable")
    first = np.searchsorted(item[order], np.arange(item.max() + 1 if len(item) else 0))
    size = np.bincount(item, minlength=len(first))
    counts = size[members_item]
    rows = np.repeat(clique_of, counts)
    starts = np.repeat(first[members_item], counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, order[starts + offs] + o_x


def _no_overlap(sp: SubProblem, cols: Columns, item: I64, item_vol: I64,
                item_need: I64) -> Block:
    """Rule 4: per volunteer, at most one need in every maximal clique of overlapping
    intervals (cliques over the volunteer's needs; each row holds all their pairs). A
    clique of one need with several pairs is kept: its row is also that need's "one role"
    row, which an LP over pairs has always had twice (kept so its matrices stay as they
    were); CP-SAT skips it."""
    size = np.bincount(item, minlength=len(item_vol))
    rows, members = interval_cliques(item_vol, sp.start[item_need], sp.end[item_need],
                                     size=size)
    r, c = _expand(members, rows, item, cols.o_x)
    m = int(rows.max()) + 1 if len(rows) else 0
    first = np.zeros(m, dtype=np.int64)
    first[rows[::-1]] = members[::-1]
    return _block("no overlap", "4", cols, r, c, 1.0, np.full(m, -INF), np.ones(m),
                  volunteer=item_vol[first])


def _hours(sp: SubProblem, cols: Columns, item: I64, item_vol: I64, item_need: I64) -> Block:
    """Rule 4: a volunteer's needs last at most max_hours in all (rows only for volunteers
    whose candidate pairs could exceed it)."""
    vols = np.array(sorted(sp.vol_max_s), dtype=np.int64)
    if len(vols) == 0 or len(item_vol) == 0:
        return _block("hours", "4", cols, np.zeros(0, np.int64), np.zeros(0, np.int64), 1.0,
                      np.zeros(0), np.zeros(0), volunteer=np.zeros(0, np.int64))
    caps = np.array([sp.vol_max_s[v] for v in vols.tolist()], dtype=np.float64)
    dur = (sp.end - sp.start).astype(np.float64)
    pos = np.minimum(np.searchsorted(vols, item_vol), len(vols) - 1)
    limited = vols[pos] == item_vol  # per item: its volunteer has a limit
    # Whether to write a volunteer's row is judged over pairs (a need counted once per role
    # the volunteer could fill): a few rows no plan can break, which the LP has always had.
    pairs = np.bincount(item, minlength=len(item_vol))
    total = np.bincount(pos[limited], weights=(dur[item_need] * pairs)[limited],
                        minlength=len(vols))
    tight = total > caps
    row_of = np.cumsum(tight) - 1
    k = np.flatnonzero(limited[item] & tight[pos[item]])
    return _block("hours", "4", cols, row_of[pos[item[k]]], k + cols.o_x, dur[sp.v_need[k]],
                  np.full(int(tight.sum()), -INF), caps[tight], volunteer=vols[tight])


def _booking(sp: SubProblem, cols: Columns) -> Block:
    """Rules 9 and 12: a met need that asks for a venue has exactly one booking, an unmet
    need none: sum y - met = 0."""
    asks = np.flatnonzero(sp.asks_venue)
    row_of = np.full(len(sp.needs), -1, dtype=np.int64)
    row_of[asks] = np.arange(len(asks))
    k = np.flatnonzero(row_of[sp.u_need] >= 0) if len(sp.u_need) else sp.u_need
    rows = np.r_[row_of[sp.u_need[k]], np.arange(len(asks))]
    col = np.r_[k + cols.o_y, asks]
    val = np.r_[np.ones(len(k)), -np.ones(len(asks))]
    z = np.zeros(len(asks))
    return _block("booking", "9, 12", cols, rows, col, val, z, z)


def _venue_overlap(sp: SubProblem, cols: Columns) -> Block:
    """Rule 8: no two bookings of one venue overlap (one row per maximal clique)."""
    rows, members = interval_cliques(sp.u_venue, sp.start[sp.u_need], sp.end[sp.u_need])
    m = int(rows.max()) + 1 if len(rows) else 0
    return _block("venue no overlap", "8", cols, rows, members + cols.o_y, 1.0,
                  np.full(m, -INF), np.ones(m))


def _funding(sp: SubProblem, cols: Columns) -> Block:
    """Rules 11 and 12: a met need's grants sum to its funding, an unmet need has none:
    sum g - funding*met = 0."""
    funded = np.flatnonzero(sp.funding > 0)
    row_of = np.full(len(sp.needs), -1, dtype=np.int64)
    row_of[funded] = np.arange(len(funded))
    k = np.flatnonzero(row_of[sp.f_need] >= 0) if len(sp.f_need) else sp.f_need
    rows = np.r_[row_of[sp.f_need[k]], np.arange(len(funded))]
    col = np.r_[k + cols.o_g, funded]
    val = np.r_[np.ones(len(k)), -sp.funding[funded].astype(np.float64)]
    z = np.zeros(len(funded))
    return _block("funding", "11, 12", cols, rows, col, val, z, z)


def _fund_amount(sp: SubProblem, cols: Columns) -> Block:
    """Rule 11: a fund's grants sum to at most its amount (rows only for funds whose pairs'
    caps could exceed it)."""
    funds = list(sp.fund_amount)
    fid = np.array(funds, dtype=np.int64)
    amount = np.array([sp.fund_amount[f] for f in funds], dtype=np.float64)
    order = np.argsort(fid, kind="stable")
    pos = order[np.searchsorted(fid[order], sp.f_fund)] if len(sp.f_fund) else sp.f_fund
    caps = np.bincount(pos, weights=sp.f_cap.astype(np.float64), minlength=len(funds))
    tight = np.flatnonzero(caps > amount)
    row_of = np.full(len(funds), -1, dtype=np.int64)
    row_of[tight] = np.arange(len(tight))
    k = np.flatnonzero(row_of[pos] >= 0) if len(pos) else pos
    return _block("fund amount", "11", cols, row_of[pos[k]], k + cols.o_g, 1.0,
                  np.full(len(tight), -INF), amount[tight])


def _pins(sp: SubProblem, cols: Columns) -> Block:
    """Rule 14: every pin in the plan (forbids were dropped with the candidates). Rows in
    the order of `pin_v`, `pin_u`, `pin_f`: the volunteer fills one of the need's roles,
    whichever (rule 5: only one); the venue is booked; the grant is the pinned amount."""
    rows: list[int] = []
    col: list[int] = []
    val: list[float] = []
    rhs: list[float] = []
    for ks in sp.pin_v:
        rows += [len(rhs)] * len(ks)
        col += [k + cols.o_x for k in ks]
        val += [1.0] * len(ks)
        rhs.append(1.0)
    for k in sp.pin_u:
        rows.append(len(rhs))
        col.append(k + cols.o_y)
        val.append(1.0)
        rhs.append(1.0)
    for k, amount in sp.pin_f:
        rows.append(len(rhs))
        col.append(k + cols.o_g)
        val.append(1.0)
        rhs.append(float(amount))
    b = np.array(rhs, dtype=np.float64)
    return _block("pins", "14", cols, np.array(rows, dtype=np.int64),
                  np.array(col, dtype=np.int64), np.array(val), b, b)


# --- intervals ------------------------------------------------------------------------------

def interval_cliques(key: I64, start: I64, end: I64, size: I64 | None = None
                     ) -> tuple[I64, I64]:
    """Maximal sets of pairwise-overlapping half-open intervals among those sharing a key,
    of total `size` (1 per interval by default) at least two: (clique id per entry,
    interval index per entry). Cliques are numbered by key, then time.

    A sweep over each key's events sorted by time, ends before starts at equal times
    ([s, e) does not meet [e, ...)): a maximal clique closes at an end event that directly
    follows a start event, and holds every interval started before that event and not yet
    ended. Vectorised: each interval joins the cliques closing between its start and end
    events.
    """
    m = len(key)
    if m == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    idx = np.arange(m)
    ev_key = np.r_[key, key]
    ev_time = np.r_[end, start]
    ev_kind = np.r_[np.zeros(m, dtype=np.int64), np.ones(m, dtype=np.int64)]  # 0 end, 1 start
    ev_idx = np.r_[idx, idx]
    order = np.lexsort((ev_idx, ev_kind, ev_time, ev_key))
    k_s, kind_s = ev_key[order], ev_kind[order]
    closes = np.flatnonzero((kind_s[1:] == 0) & (kind_s[:-1] == 1) & (k_s[1:] == k_s[:-1])) + 1
    pos = np.empty(2 * m, dtype=np.int64)
    pos[order] = np.arange(2 * m)
    pos_end, pos_start = pos[:m], pos[m:]
    lo = np.searchsorted(closes, pos_start, side="right")
    hi = np.searchsorted(closes, pos_end, side="right")
    counts = hi - lo
    member = np.repeat(idx, counts)
    clique = np.repeat(lo, counts) + (np.arange(counts.sum())
                                      - np.repeat(np.cumsum(counts) - counts, counts))
    total = np.bincount(clique, weights=None if size is None else size[member],
                        minlength=len(closes))
    keep = total > 1
    renum = np.cumsum(keep) - 1
    sel = keep[clique]
    order2 = np.lexsort((member[sel], clique[sel]))
    return renum[clique[sel]][order2].astype(np.int64), member[sel][order2].astype(np.int64)


# --- objectives -----------------------------------------------------------------------------

def objective(sp: SubProblem, cols: Columns, name: str) -> I64:
    """A stage's integer coefficients over the columns: coverage and fill are maximised,
    travel minimised (their values for a solution are `SubProblem.stage_value`)."""
    c = np.zeros(cols.total, dtype=np.int64)
    if name == "coverage":
        c[:cols.n] = sp.weight
    elif name == "fill":
        c[cols.o_x:cols.o_y] = sp.weight[sp.v_need]
        mins = np.array([sum(r) for r in sp.role_min], dtype=np.int64)
        c[:cols.n] -= sp.weight * mins
    elif name == "travel":
        c[cols.o_x:cols.o_y] = sp.v_dist
        c[cols.o_y:cols.o_g] = sp.u_dist
    else:
        raise ValueError(f"no linear stage {name!r}")
    return c


def fairness_rows(sp: SubProblem, cols: Columns) -> tuple[list[int], csr_matrix]:
    """Fairness: one row per group (ids sorted), its met weight over the columns."""
    assert sp.group is not None and sp.group_total is not None
    gids = sorted(sp.group_total)
    row_of = {g: k for k, g in enumerate(gids)}
    rows = np.array([row_of[int(g)] for g in sp.group], dtype=np.int64)
    a = coo_matrix((sp.weight.astype(np.float64), (rows, np.arange(cols.n))),
                   shape=(len(gids), cols.total)).tocsr()
    return gids, a
