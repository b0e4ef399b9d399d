"""Parsed problems and plans of finished jobs, kept so that repeated requests about one job
(recommendations, one need after another) do not parse and check them again."""

from __future__ import annotations

import threading
from collections import OrderedDict

from matcher.api.store import JobRow
from matcher.model import Plan, Problem, parse_plan, parse_problem
from matcher.validate import validate


class ParsedJobs:
    """A small LRU of (problem, plan, broken rules) per finished job."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], tuple[Problem, Plan, list[str]]] = (
            OrderedDict())

    def get(self, row: JobRow) -> tuple[Problem, Plan, list[str]]:
        """The job's problem, final plan and the messages of any rule its plan breaks."""
        assert row.plan_json is not None
        key = (row.id, str(row.finished_at))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        problem = parse_problem(row.problem)
        plan = parse_plan(row.plan, problem)
        broken = [str(v) for v in validate(problem, plan) if v.rule > 0]
        with self._lock:
            self._items[key] = (problem, plan, broken)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return problem, plan, broken
