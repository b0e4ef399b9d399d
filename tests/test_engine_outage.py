"""A database outage during a job does not kill the solve: progress and the final state are
kept in memory and written once the database is back (a real SQLite file whose directory
disappears and comes back)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from matcher.api.jobs import JobRunner
from matcher.api.store import Store
from matcher.model import parse_plan, parse_problem
from matcher.solver import SolveParams
from matcher.validate import validate

CONFORMANCE = Path(__file__).parent / "data" / "conformance"


def test_a_database_outage_does_not_kill_the_solve(tmp_path: Path) -> None:
    doc = json.loads((CONFORMANCE / "c01.problem.json").read_text())
    problem = parse_problem(doc)
    live, gone = tmp_path / "db", tmp_path / "gone"
    live.mkdir()
    store = Store(f"sqlite:///{live / 'api.db'}")
    runner = JobRunner(store, 1, retry_seconds=0.1)
    job = store.create_job("org", doc, 5.0).id

    # The outage: the database file's directory disappears; pooled connections are dropped,
    # so every new write fails ("unable to open database file").
    os.rename(live, gone)
    store.engine.dispose()
    runner.submit(job, problem, SolveParams(time_limit=5.0, seed=1, progress_plans=True),
                  "org")
    assert runner.wait(job, 60), "the solve did not end"
    assert runner.recorder.pending() >= 1  # its end is held in memory, not lost

    os.rename(gone, live)  # the database is back: the retry writes what was held
    end = time.monotonic() + 30
    while runner.recorder.pending() and time.monotonic() < end:
        time.sleep(0.05)
    assert runner.recorder.pending() == 0
    row = store.get(job)
    assert row is not None and row.state == "done", (row and row.state, row and row.error)
    assert row.plan is not None
    assert validate(problem, parse_plan(row.plan, problem)) == []
    assert row.plan["objective"]["coverage"] == 76  # c01's optimum: the solve finished
    runner.shutdown(5.0)
    store.close()
