"""POST /v1/recommend: the best few ways to meet one need in a current plan."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, status

from matcher.api import limits
from matcher.api.cache import ParsedJobs
from matcher.api.deps import OrgDep, ParsedJobsDep, SettingsDep, StoreDep
from matcher.api.errors import raise_input_error
from matcher.api.responses import JOB_ERRORS, Message
from matcher.api.schemas import (
    GrantChoice,
    NeedOption,
    OptionOut,
    ReasonOut,
    RecommendRequest,
    RecommendResponse,
    VenueChoice,
    VolunteerChoice,
)
from matcher.api.store import FINAL_STATES, Store
from matcher.model import Plan, Problem
from matcher.recommend import Option
from matcher.recommend_why import could_meet, recommend_or_explain
from matcher.validate import validate

router = APIRouter(tags=["recommend"])
RESPONSES = {**JOB_ERRORS, 409: {"model": Message, "description": "the job has no final plan"}}


def _option_out(rank: int, o: Option) -> OptionOut:
    return OptionOut(
        rank=rank, displaced=list(o.displaced), displaced_weight=o.displaced_weight,
        coverage_change=o.coverage_change, travel_m=o.travel_m,
        volunteers=[VolunteerChoice(volunteer=p.volunteer, skill=p.skill,
                                    distance_m=p.distance_m, taken_from=p.taken_from)
                    for p in o.volunteers],
        venue=None if o.venue is None else VenueChoice(
            venue=o.venue.venue, distance_m=o.venue.distance_m, taken_from=o.venue.taken_from),
        grants=[GrantChoice(fund=g.fund, amount=g.amount) for g in o.grants],
    )


@router.post("/recommend", response_model=RecommendResponse, responses=RESPONSES,
             summary="Ways to meet one need (or why not); needs a resource could meet")
def recommend_for_need(body: RecommendRequest, settings: SettingsDep, org: OrgDep,
                       store: StoreDep, cache: ParsedJobsDep) -> RecommendResponse:
    """Up to `k` options (volunteers per role, a venue, grants), fewest displaced weight
    first, then least travel; where there is none, a reason per requirement that cannot be
    given (`reasons`, beside the plan's own). `mode`: `displace` (default) or `free`
    (free resources only). Give `volunteer`, `venue` or `fund` instead of `need` for the
    inverse: the unmet needs it could make met (`could_meet`). The plan must obey SPEC's
    rules (its objective values may be stale). Give `job` instead of `problem` and `plan` to
    ask about a finished job's plan: the server keeps it parsed, so one need after another
    is answered fast."""
    t0 = time.perf_counter()
    if body.job is not None:
        problem, plan = _from_job(body.job, org, store, cache)
    else:
        assert body.problem is not None and body.plan is not None
        problem, plan = body.problem, body.plan
        broken = [v for v in validate(problem, plan) if v.rule > 0]
        if broken:
            raise_input_error("plan", f"the plan breaks {broken[0]}"
                              + (f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""))
    limits.check_entities(problem, settings)
    k = min(body.k, settings.max_recommendations)
    if body.need is None:
        kind = next(x for x in ("volunteer", "venue", "fund") if getattr(body, x))
        ident = getattr(body, kind)
        try:
            found = could_meet(problem, plan, kind, ident, k, mode=body.mode)
        except ValueError as err:
            raise_input_error(kind, str(err))
        return RecommendResponse(
            mode=body.mode, could_meet=[NeedOption(need=n, weight=w, option=_option_out(1, o))
                                        for n, w, o in found],
            seconds=round(time.perf_counter() - t0, 6))
    if not any(n.id == body.need for n in problem.needs):
        raise_input_error("need", f"no need with id {body.need!r}")
    ans = recommend_or_explain(problem, plan, body.need, k, mode=body.mode)
    return RecommendResponse(
        need=body.need, already_met=ans.already_met, mode=body.mode,
        options=[_option_out(i + 1, o) for i, o in enumerate(ans.options)],
        reasons=[ReasonOut(requirement=r.requirement, reason=r.reason) for r in ans.reasons],
        plan_reasons=ans.plan_reasons, could_meet=None,
        seconds=round(time.perf_counter() - t0, 6),
    )


def _from_job(job_id: str, org: str, store: Store, cache: ParsedJobs) -> tuple[Problem, Plan]:
    row = store.get(job_id, org)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    if row.state not in FINAL_STATES or row.plan_json is None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job_id} is {row.state} without a final plan; recommendations "
                            "need a finished job with a plan")
    problem, plan, broken = cache.get(row)
    if broken:
        raise_input_error("job", f"the job's plan breaks {broken[0]}")
    return problem, plan
