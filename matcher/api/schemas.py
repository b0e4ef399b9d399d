"""Request and response bodies: the API's boundary, apart from the engine's data model.

Problem and plan documents inside a request are parsed by `matcher.model.parse_problem` /
`parse_plan`, so a bad document gives the same JSON path as the command line
(``problem.needs[3].roles[0].min_count``); `matcher.api.errors` turns it into a 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from matcher.model import (
    MAX_SEED,
    InputError,
    Plan,
    Problem,
    check_document,
    parse_plan,
    parse_problem,
)

# CHANGE_OPS: the API's errors strip a change's op (pydantic's union tag) from paths.
from matcher.replan import CHANGE_OPS as CHANGE_OPS
from matcher.replan import Change

INPUT_ERROR = "matcher_input"
# Keys whose values are whole documents, checked by `parse_problem` / `parse_plan` themselves.
_DOCUMENTS = frozenset(("problem", "plan"))


def input_error(path: str, message: str) -> PydanticCustomError:
    """A validation error that carries a JSON path below the field it is raised for."""
    return PydanticCustomError(INPUT_ERROR, "{message}", {"path": path, "message": message})


def _problem(data: Any) -> Problem:
    # The same limits as the command line (matcher.model: money, counts, weights, depth,
    # Unicode, finite numbers); the server adds only size and time limits (settings).
    if isinstance(data, Problem):
        return data
    try:
        return parse_problem(data)
    except InputError as err:
        raise input_error(err.path, err.message) from None


def _plan(data: Any) -> Plan:
    if isinstance(data, Plan):
        return data
    try:
        return parse_plan(data)
    except InputError as err:
        raise input_error(err.path, err.message) from None


ProblemDoc = Annotated[Problem, BeforeValidator(_problem)]
PlanDoc = Annotated[Plan, BeforeValidator(_plan)]
TimeLimit = Annotated[float, Field(gt=0, allow_inf_nan=False,
                                   description="seconds; capped by the server's limit")]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


def check_plan_references(problem: Problem, plan: Plan, prefix: str = "plan") -> None:
    """Every id the plan names exists in the problem (else a 422 naming the path)."""
    try:
        parse_plan(plan.model_dump(mode="json", exclude_none=True), problem)
    except InputError as err:
        raise input_error(f"{prefix}.{err.path}" if err.path else prefix, err.message) from None


class _Request(BaseModel):
    # Strict: "1" or true is not a time limit, 2.0 is not a seed.
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _plain_json(cls, data: Any) -> Any:
        """Depth, Unicode and finite numbers everywhere in the body, with the JSON path."""
        if isinstance(data, dict):
            try:
                check_document({k: v for k, v in data.items() if k not in _DOCUMENTS})
            except InputError as err:
                raise input_error(err.path, err.message) from None
        return data


class _Response(BaseModel):
    pass


# --- solve and jobs --------------------------------------------------------------------------


class SolveRequest(_Request):
    problem: ProblemDoc
    time_limit: TimeLimit | None = Field(
        default=None, description="seconds; default and cap: the server's max_sync_time_limit"
    )
    seed: Seed = 0


class JobRequest(_Request):
    problem: ProblemDoc
    time_limit: TimeLimit | None = Field(
        default=None, description="seconds; default: the server's default_job_time_limit, "
        "capped by max_job_time_limit"
    )
    seed: Seed = 0


JobStateName = Literal["queued", "running", "done", "stopped", "interrupted", "failed"]


class JobProgress(_Response):
    stage: str | None = Field(None, description="the stage running now (the last one "
                              "reported); `finished` once the job has ended")
    coverage: int | None = Field(None, description="coverage of the best plan so far")
    bound: int | float | None = Field(None, description="best proven upper bound on coverage "
                                      "(an integer whenever it is whole)")
    gap: float | None = Field(None, description="(bound - coverage) / bound")
    elapsed: float | None = Field(None, description="seconds since the job started (to its "
                                  "end once it has ended)")
    last_improvement: float | None = Field(None, description="seconds into the solve of the "
                                           "last improvement reported")


class StageOut(_Response):
    name: str
    status: str = Field(description="optimal (proven) or feasible")
    value: int | float | None = None
    bound: int | float | None = None


class JobResult(_Response):
    """The final plan in brief: what a client acts on without fetching the plan."""

    status: Literal["optimal", "feasible", "infeasible"]
    objective: dict[str, int | float]
    bound: dict[str, int | float]
    stages: list[StageOut]


class JobStatus(_Response):
    id: str
    state: JobStateName
    parent: str | None = Field(None, description="the job this one replans")
    time_limit: float
    seed: int
    progress: JobProgress
    result: JobResult | None = Field(None, description="once the job has ended with a plan")
    has_plan: bool
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobList(_Response):
    jobs: list[JobStatus] = Field(description="newest first")
    next: str | None = Field(None, description="pass as `cursor` for the next page; null on "
                             "the last one")


# --- validate --------------------------------------------------------------------------------


class ValidateRequest(_Request):
    problem: ProblemDoc
    plan: PlanDoc

    @model_validator(mode="after")
    def _references(self) -> ValidateRequest:
        check_plan_references(self.problem, self.plan)
        return self


class ViolationOut(_Response):
    rule: int = Field(description="SPEC rule number; 0 for a wrong objective or bound value")
    message: str
    ids: list[str]


class ValidateResponse(_Response):
    valid: bool
    violations: list[ViolationOut]


# --- recommend -------------------------------------------------------------------------------


class RecommendRequest(_Request):
    """Either `problem` and `plan` inline, or `job`: a finished job of yours (its problem and
    final plan, parsed once and kept by the server)."""

    problem: ProblemDoc | None = None
    plan: PlanDoc | None = Field(default=None, description="the current plan (valid for the "
                                 "problem)")
    job: str | None = Field(default=None, min_length=1,
                            description="instead of problem and plan: a finished job's id")
    need: str | None = Field(default=None, min_length=1, description="id of the need to "
                             "meet (or give volunteer, venue or fund for the inverse question)")
    volunteer: str | None = Field(default=None, min_length=1, description="instead of need: "
                                  "which unmet needs this volunteer could make met")
    venue: str | None = Field(default=None, min_length=1, description="... this venue")
    fund: str | None = Field(default=None, min_length=1, description="... this fund")
    mode: Literal["displace", "free"] = Field(
        default="displace", description="displace: options may unmeet other needs (never "
        "pinned ones); free: only free resources")
    k: int = Field(default=3, ge=1, description="how many options; capped by the server")

    @model_validator(mode="after")
    def _references(self) -> RecommendRequest:
        asked = [k for k in ("need", "volunteer", "venue", "fund") if getattr(self, k)]
        if len(asked) != 1:
            raise input_error("need", "give exactly one of need, volunteer, venue or fund")
        if self.job is not None:
            if self.problem is not None or self.plan is not None:
                raise input_error("job", "give either job, or problem and plan, not both")
            return self
        if self.problem is None or self.plan is None:
            raise input_error("problem" if self.problem is None else "plan",
                              "required field is missing (or give a job id)")
        check_plan_references(self.problem, self.plan)
        if self.need is not None and not any(n.id == self.need for n in self.problem.needs):
            raise input_error("need", f"no need with id {self.need!r}")
        return self


class VolunteerChoice(_Response):
    volunteer: str
    skill: str
    distance_m: int
    taken_from: str | None = Field(
        None, description="the need this volunteer is moved from, if any"
    )


class VenueChoice(_Response):
    venue: str
    distance_m: int
    taken_from: str | None = None


class GrantChoice(_Response):
    fund: str
    amount: int


class OptionOut(_Response):
    rank: int
    displaced: list[str] = Field(description="needs that would no longer be met")
    displaced_weight: int
    coverage_change: int = Field(description="the need's weight minus the displaced weight")
    travel_m: int = Field(description="travel of the new assignments and booking")
    volunteers: list[VolunteerChoice]
    venue: VenueChoice | None
    grants: list[GrantChoice]


class ReasonOut(_Response):
    requirement: str = Field(description="role 'skill', venue, funding, or together")
    reason: str


class NeedOption(_Response):
    need: str
    weight: int
    option: OptionOut


class RecommendResponse(_Response):
    need: str | None = None
    already_met: bool = False
    mode: str = "displace"
    options: list[OptionOut] = Field(default_factory=list)
    reasons: list[ReasonOut] = Field(default_factory=list, description="when there is no "
                                     "option: why, per requirement that cannot be given")
    plan_reasons: list[str] = Field(default_factory=list, description="the plan's own reasons "
                                    "for the need")
    could_meet: list[NeedOption] | None = Field(None, description="inverse question: unmet "
                                                "needs the resource could make met, heaviest "
                                                "first, each with its best option")
    seconds: float


# --- replan ----------------------------------------------------------------------------------


class ReplanRequest(_Request):
    changes: list[Change] = Field(min_length=1, description="see the README: Replanning")
    time_limit: TimeLimit | None = Field(
        default=None, description="seconds; default: the server's default_replan_time_limit; "
        "capped by max_replan_time_limit (wait) or max_job_time_limit (a job)"
    )
    seed: Seed = 0
    wait: bool = Field(default=True, description="answer with the new plan and what changed "
                       "(201); false: start a job and answer 202 at once (follow it like any "
                       "job; GET /v1/jobs/{id}/changes lists what changed)")


class AssignmentOut(_Response):
    need: str
    skill: str
    volunteer: str


class BookingOut(_Response):
    need: str
    venue: str


class GrantOut(_Response):
    need: str
    fund: str
    amount: int


class GrantChangeOut(_Response):
    need: str
    fund: str
    old_amount: int
    amount: int


class CancelledItems(_Response):
    assignments: list[AssignmentOut]
    bookings: list[BookingOut]
    grants: list[GrantOut]


class PlanChanges(_Response):
    """What differs between the previous plan and the new one (needs in both problems), and
    what the cancelled needs had."""

    newly_met: list[str]
    no_longer_met: list[str]
    added_needs_met: list[str]
    added_needs_unmet: list[str]
    removed_needs: list[str] = Field(description="needs cancelled by the changes")
    added_needs: list[str]
    assignments_added: list[AssignmentOut]
    assignments_removed: list[AssignmentOut]
    bookings_added: list[BookingOut]
    bookings_removed: list[BookingOut]
    grants_added: list[GrantOut]
    grants_removed: list[GrantOut]
    grants_changed: list[GrantChangeOut]
    cancelled: CancelledItems = Field(description="what the cancelled needs had")
    dropped_pins: int = Field(description="pins and forbids dropped with a removed entity")
    total: int = Field(description="SPEC's changes: items added, removed or (grants) changed")


class ReplanResponse(_Response):
    job: JobStatus
    plan: Plan
    changes: PlanChanges
