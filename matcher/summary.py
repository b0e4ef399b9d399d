"""A plan summarised for people: what `matcher solve` prints on stderr.

Real figures throughout: unmet needs are grouped by the kind of their reasons (a label built
from the reason's own words and names, never a placeholder), each group shows one reason in
full, and every unmet need is listed by id and title with its reasons.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from matcher.model import Plan, Problem

DEFAULT_UNMET_SHOWN = 20

# Kinds of reason (the wording of `matcher.solver.explain`), each to a label that keeps the
# names (skills) and drops the counts, which differ from need to need.
_KINDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^role '([^']*)' needs \d+ but only \d+ of its"),
     "role '{0}': too few of its candidate volunteers are left free"),
    (re.compile(r"^only \d+ volunteer\(s\) have skill '([^']*)'"),
     "too few volunteers have skill '{0}' at all"),
    (re.compile(r"^only \d+ volunteer\(s\) with skill '([^']*)' live within"),
     "too few volunteers with skill '{0}' live within reach"),
    (re.compile(r"^only \d+ volunteer\(s\) with skill '([^']*)' can reach it and are free"),
     "too few volunteers with skill '{0}' are free at its time with hours to spare"),
    (re.compile(r"^only \d+ volunteer\(s\) with skill '([^']*)' can serve it once forbids"),
     "too few volunteers with skill '{0}' once forbids are applied"),
    (re.compile(r"^no venue has "), "no venue has the features and capacity it asks for"),
    (re.compile(r"^no venue with .* is open "), "no venue near enough is open at its time"),
    (re.compile(r"^no venue with "), "no venue with the features and capacity is near enough"),
    (re.compile(r"^all \d+ venue\(s\) that could host it are taken"),
     "every venue that could host it is booked for other needs"),
    (re.compile(r"^no fund is eligible"), "no fund is eligible for its category and region"),
    (re.compile(r"^eligible funds hold only"), "its eligible funds hold less than it needs"),
    (re.compile(r"^eligible funds .* left of the"),
     "its eligible funds went to other needs"),
    (re.compile(r"^pins hold resources"), "pins hold resources it needs"),
    (re.compile(r"^its weight is \d+"),
     "meeting it would displace needs of more weight"),
    (re.compile(r"^pin of (volunteer|venue|fund) "), "a pin of a {0} cannot hold"),
    (re.compile(r"^its resources are free in this plan but the time limit ran out"),
     "the time limit ran out before it could be fitted"),
    (re.compile(r"^each of its requirements has a free candidate in this plan, but not "
                r"together with the rest of the plan; the search reached the time limit"),
     "not fitted with the rest of the plan before the time limit"),
]


def reason_kind(reason: str) -> str:
    """The group a reason belongs to: a label with names and no counts."""
    for pattern, label in _KINDS:
        m = pattern.search(reason)
        if m:
            return label.format(*m.groups())
    return reason.split(": ")[0]


def unproven_stages(plan: Plan) -> list[str]:
    """The objective stages the solver did not prove optimal, in stage order."""
    stages: list[dict[str, Any]] = plan.stats.get("stages") or []
    out: list[str] = []
    for s in stages:
        name = str(s.get("name"))
        if s.get("status") != "optimal" and name not in out:
            out.append(name)
    return out


def _money(minor: int, currency: str) -> str:
    return f"{minor / 100:,.2f} {currency}"


def _proof_line(plan: Plan) -> str:
    """What is proven and what is not: a 'feasible' plan never looks optimal."""
    if plan.status == "optimal":
        return "  proven optimal: every stage"
    if plan.status == "infeasible":
        return "  infeasible: the pins cannot all hold (see the reasons)"
    unproven = unproven_stages(plan)
    if not plan.stats.get("stages"):
        return "  not proven optimal (the plan does not say which stages are unproven)"
    proven = [str(s.get("name")) for s in plan.stats["stages"]
              if str(s.get("name")) not in unproven]
    proven = list(dict.fromkeys(proven))
    what = {"fairness": "a fairer plan may exist", "coverage": "more needs may be meetable",
            "fill": "more volunteers beyond the minimum may be placeable",
            "stability": "a plan with fewer changes may exist",
            "changes": "a plan with fewer changes may exist",
            "travel": "a plan with less travel may exist"}
    lines = "; ".join(f"{s} ({what.get(s, 'may improve')})" for s in unproven)
    head = f"proven: {', '.join(proven)}; " if proven else ""
    return f"  not proven optimal: {head}unproven: {lines}"


def summarise(problem: Problem, plan: Plan, unmet_shown: int | None = DEFAULT_UNMET_SHOWN
              ) -> str:
    """Needs met and unmet by priority, coverage against bound, what is unproven, resources
    used, travel, the kinds of reasons and the unmet needs (the first `unmet_shown`, or all
    with None)."""
    met = set(plan.met)
    by_prio_met: Counter[int] = Counter()
    by_prio_all: Counter[int] = Counter()
    for n in problem.needs:
        by_prio_all[n.priority] += 1
        if n.id in met:
            by_prio_met[n.priority] += 1
    o, b = plan.objective, plan.bound
    lines = [f"plan for {problem.name or '(unnamed)'}: {plan.status}"]
    total_w = sum(problem.weight(n) for n in problem.needs) or 1
    bound = b.coverage if b.coverage is not None else o.coverage
    gap = 0.0 if not bound else max(0.0, (bound - o.coverage) / bound)
    lines.append(
        f"  coverage {o.coverage} of bound {bound:g} (coverage gap {100 * gap:.2f}%; "
        f"{100 * o.coverage / total_w:.1f}% of all weight), fill {o.fill}"
        + (f", fairness {o.fairness:.4f}" if o.fairness is not None else "")
    )
    lines.append(_proof_line(plan))
    lines.append(f"  needs met {len(met)} of {len(problem.needs)}; by priority (met/all): "
                 + ", ".join(f"P{p} {by_prio_met[p]}/{by_prio_all[p]}"
                             for p in sorted(by_prio_all, reverse=True)))
    durations = {n.id: (n.end - n.start).total_seconds() for n in problem.needs}
    vols = {a.volunteer for a in plan.assignments}
    hours = sum(durations[a.need] for a in plan.assignments) / 3600
    lines.append(f"  volunteers used {len(vols)} of {len(problem.volunteers)}, "
                 f"{hours:,.1f} volunteer-hours in {len(plan.assignments)} assignments")
    granted = sum(g.amount for g in plan.grants)
    funds_used = {g.fund for g in plan.grants}
    total_funds = sum(f.amount for f in problem.funds)
    lines.append(f"  funds used {len(funds_used)} of {len(problem.funds)}: granted "
                 f"{_money(granted, problem.currency)} in {len(plan.grants)} grants, "
                 f"{_money(total_funds - granted, problem.currency)} left")
    venues = {bk.venue for bk in plan.bookings}
    lines.append(f"  venues booked {len(venues)} of {len(problem.venues)} "
                 f"({len(plan.bookings)} bookings); travel {o.travel_m / 1000:,.1f} km")
    if plan.unmet:
        lines += _unmet_lines(problem, plan, unmet_shown)
    seconds = plan.stats.get("seconds")
    if seconds is not None:
        lines.append(f"  solved in {seconds:.2f} s")
    return "\n".join(lines)


def _unmet_lines(problem: Problem, plan: Plan, shown: int | None) -> list[str]:
    needs = {n.id: n for n in problem.needs}
    kinds: Counter[str] = Counter()
    example: dict[str, tuple[str, str]] = {}
    for u in plan.unmet:
        for kind in dict.fromkeys(reason_kind(r) for r in u.reasons):
            kinds[kind] += 1
        for r in u.reasons:
            example.setdefault(reason_kind(r), (u.need, r))
    lines = [f"  unmet {len(plan.unmet)}; reasons by kind (a need can have several):"]
    for kind, k in kinds.most_common():
        nid, text = example[kind]
        lines.append(f"    {k} x {kind}")
        lines.append(f"        e.g. {nid}: {_cut(text, 160)}")
    # Most important first: priority, then weight, then the problem's order.
    order = {n.id: i for i, n in enumerate(problem.needs)}
    unmet = sorted(plan.unmet, key=lambda u: (-needs[u.need].priority,
                                              -problem.weight(needs[u.need]), order[u.need]))
    limit = len(unmet) if shown is None else shown
    head = "all" if limit >= len(unmet) else f"first {limit} of {len(unmet)}"
    lines.append(f"  unmet needs ({head}, most urgent first):")
    for u in unmet[:limit]:
        n = needs[u.need]
        title = f" {n.title!r}" if n.title else ""
        lines.append(f"    {n.id}{title} P{n.priority} {n.region or '-'} "
                     f"{n.start:%Y-%m-%d %H:%M}")
        for r in u.reasons or ["(no reason given)"]:
            lines.append(f"      - {r}")
    if limit < len(unmet):
        lines.append(f"    ... {len(unmet) - limit} more: run with --unmet all to list every one")
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
