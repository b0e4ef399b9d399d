"""The public Personnel Task Scheduling set (Krishnamoorthy, Ernst & Baatar 2012), converted
to SPEC problems.

The 137 original `.dat` files are kept byte-identical in
`benchmarks/data/ptsp/Data_137.tar.xz` (see `benchmarks/data/ptsp/SOURCE.md`) and read from
the archive directly. File format (`info/readmePTSP.md` of andreas-ernst/Mathprog-ORlib):
comment lines `#`, `Type = 1`, `Jobs = J`, J lines `start end`, `Qualifications = W`, then W
lines `k: j1 ... jk`, the tasks worker w is qualified for (0-based task indices).

Conversion: each task is a need with one role (count 1) whose skill only its qualified workers
have; tasks with the same set of qualified workers share one skill, so the skill lists stay
short. Each worker is a volunteer with no hours limit, always available. Everybody is at one
place (distance 0), so coverage is the only stage that matters (no fill, no travel). Times
are minutes from 2026-12-07 00:00 +08:00. SPEC's intervals are half-open, so two tasks
that only touch (one ends when the other starts) may share a worker, as in the public ASP
model of the set. Every task is doable in the originals, so the reference coverage is the
number of tasks (all weights 1).

    python -m benchmarks.corpus.ptsp --out-dir benchmarks/corpus/out/ptsp   # writes 137 JSON
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ARCHIVE = Path(__file__).resolve().parents[1] / "data" / "ptsp" / "Data_137.tar.xz"
BASE = datetime(2026, 12, 7, tzinfo=timezone(timedelta(hours=8)))
PLACE = {"lat": 28.7513, "lon": 104.6417}  # one place for everybody (distance 0)


@dataclass(frozen=True)
class Instance:
    """One PTSP instance: task intervals (minutes) and each worker's qualified tasks."""

    name: str
    tasks: list[tuple[int, int]]
    quals: list[list[int]]


def parse(name: str, text: str) -> Instance:
    """Parse one `.dat` file; raises ValueError naming the file and line on bad input."""
    lines = [ln.strip() for ln in text.splitlines()]
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln and not ln.startswith("#")]
    pos = 0

    def header(key: str) -> int:
        nonlocal pos
        lineno, ln = body[pos]
        m = re.fullmatch(rf"{key}\s*=\s*(\d+)", ln)
        if not m:
            raise ValueError(f"{name}: line {lineno}: expected '{key} = N', got {ln!r}")
        pos += 1
        return int(m.group(1))

    header("Type")
    n_jobs = header("Jobs")
    tasks = []
    for _ in range(n_jobs):
        lineno, ln = body[pos]
        s, e = (int(x) for x in ln.split())
        if e <= s:
            raise ValueError(f"{name}: line {lineno}: task ends at {e} before it starts at {s}")
        tasks.append((s, e))
        pos += 1
    n_w = header("Qualifications")
    quals = []
    for _ in range(n_w):
        lineno, ln = body[pos]
        head, _, rest = ln.partition(":")
        ids = [int(x) for x in rest.split()]
        if int(head) != len(ids) or any(not 0 <= j < n_jobs for j in ids):
            raise ValueError(f"{name}: line {lineno}: bad qualification list")
        quals.append(ids)
        pos += 1
    return Instance(name.removesuffix(".dat"), tasks, quals)


def instances(archive: Path = ARCHIVE) -> list[Instance]:
    """Every instance in the archive, ordered by task count then name."""
    out = []
    with tarfile.open(archive, "r:xz") as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.endswith(".dat"):
                fh = tar.extractfile(m)
                assert fh is not None
                out.append(parse(Path(m.name).name, fh.read().decode("ascii")))
    out.sort(key=lambda i: (len(i.tasks), i.name))
    return out


def _iso(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


def to_problem(inst: Instance) -> dict[str, Any]:
    """The SPEC problem document of one instance (see the module docstring)."""
    qualified: list[list[int]] = [[] for _ in inst.tasks]
    for w, ids in enumerate(inst.quals):
        for j in ids:
            qualified[j].append(w)
    skill_of: dict[tuple[int, ...], str] = {}
    task_skill = []
    for ws in qualified:
        key = tuple(sorted(ws))
        if key not in skill_of:
            skill_of[key] = f"q{len(skill_of)}"
        task_skill.append(skill_of[key])
    skills: list[set[str]] = [set() for _ in inst.quals]
    for j, ws in enumerate(qualified):
        for w in ws:
            skills[w].add(task_skill[j])
    volunteers = [{"id": f"w{w}", "location": PLACE,
                   "skills": sorted(s, key=lambda x: int(x[1:]))}
                  for w, s in enumerate(skills)]
    needs = [{"id": f"t{j}", "title": f"Task {j}", "category": "task", "region": "ptsp",
              "location": PLACE, "start": _iso(s), "end": _iso(e), "priority": 1,
              "roles": [{"skill": task_skill[j], "count": 1}]}
             for j, (s, e) in enumerate(inst.tasks)]
    return {"version": 1, "name": f"ptsp_{inst.name}", "currency": "CNY",
            "volunteers": volunteers, "venues": [], "funds": [], "needs": needs,
            "pins": [], "forbid": [],
            "objective": {"priority_weights": [1, 2, 4, 8, 16], "fairness": None}}


def undoable(inst: Instance) -> list[int]:
    """Tasks no worker is qualified for (the originals have none)."""
    seen = {j for ids in inst.quals for j in ids}
    return [j for j in range(len(inst.tasks)) if j not in seen]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Convert the PTSP set to SPEC problems.")
    ap.add_argument("--out-dir", default="benchmarks/corpus/out/ptsp")
    ap.add_argument("--only", default="", help="comma-separated instance names")
    args = ap.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    only = {x for x in args.only.split(",") if x}
    for inst in instances():
        if only and inst.name not in only:
            continue
        path = out / f"ptsp_{inst.name}.json"
        path.write_text(json.dumps(to_problem(inst), separators=(",", ":")), encoding="utf-8")
        print(f"{path}: {len(inst.tasks)} tasks, {len(inst.quals)} workers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
