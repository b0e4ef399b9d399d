"""The solver: candidates, CP-SAT model, lexicographic stages and reasons for unmet needs.

Solver code does no I/O. Its one entry point is `solve(problem, params, progress, stop)`.
"""

from matcher.solver.params import Progress, ProgressCallback, SolveParams, SolveResult, StopFlag

__all__ = ["Progress", "ProgressCallback", "SolveParams", "SolveResult", "StopFlag", "solve"]

from matcher.solver.core import solve  # noqa: E402
