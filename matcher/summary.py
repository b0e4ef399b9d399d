"""A plan summarised for people: what `matcher solve` prints on stderr."""

from __future__ import annotations

import re
from collections import Counter

from matcher.model import Plan, Problem


def _money(minor: int, currency: str) -> str:
    return f"{minor / 100:,.2f} {currency}"


def summarise(problem: Problem, plan: Plan) -> str:
    """Needs met and unmet by priority, coverage against bound, resources used, travel."""
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
        f"  coverage {o.coverage} of bound {bound:g} (gap {100 * gap:.2f}%; "
        f"{100 * o.coverage / total_w:.1f}% of all weight), fill {o.fill}"
        + (f", fairness {o.fairness:.4f}" if o.fairness is not None else "")
    )
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
        kinds: Counter[str] = Counter()
        for u in plan.unmet:
            # Group by the reason's wording, numbers and dates left out, names kept.
            head = re.split(r": |; ", u.reasons[0])[0] if u.reasons else "?"
            head = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(-\d\d:\d\d)?", "<time>", head)
            head = re.sub(r"(?<![\w.])\d[\d,.]*", "N", head)
            kinds[head if len(head) <= 110 else head[:107] + "..."] += 1
        lines.append(f"  unmet {len(plan.unmet)}; most common first reasons:")
        for text, k in kinds.most_common(3):
            lines.append(f"    {k} x {text}")
    seconds = plan.stats.get("seconds")
    if seconds is not None:
        lines.append(f"  solved in {seconds:.2f} s")
    return "\n".join(lines)
