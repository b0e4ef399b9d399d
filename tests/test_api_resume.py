"""A resumed job's clock: its recorded `elapsed` counts the seconds earlier runs used, so a
job cut off again resumes only for what is really left of its time limit (a real SQLite
store and job runner)."""

from __future__ import annotations

import json
from pathlib import Path

from matcher.api.jobs import JobRunner
from matcher.api.store import Store
from matcher.model import parse_problem
from matcher.solver import SolveParams

CONFORMANCE = Path(__file__).parent / "data" / "conformance"


def test_a_resumed_job_counts_the_time_earlier_runs_used(tmp_path: Path) -> None:
    doc = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    store = Store(f"sqlite:///{tmp_path / 'api.db'}")
    runner = JobRunner(store, 1)
    job = store.create_job("org", doc, 20.0).id
    runner.submit(job, parse_problem(doc), SolveParams(time_limit=5.0, progress_plans=True),
                  "org", used=12.5)
    assert runner.wait(job, 60)
    row = store.get(job)
    assert row is not None and row.state == "done" and row.elapsed is not None
    assert 12.5 < row.elapsed < 12.5 + 5.0 + 5.0  # this run's seconds on top of the 12.5
    events = store.events_after(job, 0)
    assert events and all(ev["elapsed"] >= 12.5 for ev in events)
    runner.shutdown(5.0)
    store.close()
