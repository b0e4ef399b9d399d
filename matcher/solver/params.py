"""Solver parameters, progress reports and results: the solver's public types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from matcher.model import MAX_SEED, MAX_TIME_LIMIT_S, MAX_WORKERS, Plan, Problem


class SubproblemExecutor(Protocol):
    """Solves one subproblem like `stages.solve_subproblem(sp, seconds, settings, report,
    stop, with_solutions)` and returns its `SubOutcome`, wherever it runs."""

    def __call__(self, sp: Any, seconds: float, settings: Any, report: Any, stop: Any,
                 with_solutions: bool) -> Any: ...


@dataclass(frozen=True)
class SolveParams:
    """How to solve. Nothing here comes from globals or the environment.

    - `time_limit`: seconds for all stages together (one budget, shared);
    - `seed`, `workers`: CP-SAT's random seed and worker count; the same problem, seed and
      worker count give the same plan;
    - `decompose`: solve independent components of the candidate graph separately;
    - `parallel`: solve big independent subproblems in `workers` processes at once (one
      CP-SAT worker each);
    - `reference`: a previous plan; when given, the solve is a replan (SPEC "Replanning",
      `matcher.solver.replan`): fairness, coverage, fewest changes from it, fill, travel,
      searched outward from what changed;
    - `reference_problem`: the problem `reference` was made for; with it the replan sees
      which needs, resources, pins and forbids changed (without it, only what no longer fits);
    - `changed`: ids of the needs, volunteers, venues and funds the change added or changed,
      when the caller knows them (saves comparing every entity of the two problems);
    - `progress_plans`: attach the incumbent plan to progress reports (costs time on big
      problems; the API's job store wants it);
    - `strict`: a plan that fails the final check raises instead of falling back to the
      best valid plan held (for tests).
    - `start`: a plan of this same problem to start from (a resumed job's best plan): each
      subproblem starts from its part of it (what no longer fits dropped, the rest topped up
      by the greedy) when that is ahead of its greedy start, so the plan returned is never
      lexicographically behind it; CP-SAT gets it as its hint;
    - `executor`: runs one subproblem in place of `stages.solve_subproblem` (same arguments,
      same result), e.g. as a task on a Dask cluster (`matcher.engine`); None: in-process;
    - `split`: a component of a million pairs or more (a province) is split into nearly
      independent parts by region, solved side by side or as tasks (`solver.split`).
    """

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 2
    decompose: bool = True
    parallel: bool = True
    reference: Plan | None = None
    reference_problem: Problem | None = None
    changed: frozenset[str] | None = None
    progress_plans: bool = False
    log_search: bool = False
    strict: bool = False
    executor: SubproblemExecutor | None = None
    start: Plan | None = None
    split: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.time_limit <= MAX_TIME_LIMIT_S:
            raise ValueError(f"time_limit must be in (0, {MAX_TIME_LIMIT_S:g}] seconds")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"workers must be in [1, {MAX_WORKERS}]")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be in [0, {MAX_SEED}]")


@dataclass(frozen=True)
class Progress:
    """One report of a solve in progress: an improving solution or a better bound."""

    elapsed: float
    stage: str
    coverage: int | None
    bound: float | None
    plan: Plan | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap of coverage to its bound (0 when proven)."""
        if self.coverage is None or self.bound is None:
            return None
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.coverage) / self.bound)


ProgressCallback = Callable[[Progress], None]


class StopFlag(Protocol):
    """Anything with `is_set()`, e.g. `threading.Event`: set it to stop the solve early."""

    def is_set(self) -> bool: ...


@dataclass
class SolveResult:
    """The plan and what the solve went through."""

    plan: Plan
    history: list[Progress] = field(default_factory=list)
    seconds: float = 0.0
    first_solution_seconds: float | None = None

    def summary(self) -> str:
        o, b = self.plan.objective, self.plan.bound
        return (
            f"{self.plan.status}: coverage {o.coverage} (bound {b.coverage}), fill {o.fill}, "
            f"travel {o.travel_m / 1000:.1f} km in {self.seconds:.2f} s"
        )
