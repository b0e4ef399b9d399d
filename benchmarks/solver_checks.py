"""Issue 9, solver side: whole `matcher solve` commands on problems the solver was not tuned
to, each plan checked by `matcher validate`, with the wall time of the whole command against
the limit and the peak memory.

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/solver_checks.py \
        --out-dir /tmp/checks [--code DIR] [--ptsp-every 10] [--time-limit 60] [--only a,b]

Problems: the public PTSP set converted (`benchmarks/corpus/ptsp.py`, every k-th instance,
at 30 s, coverage against the number of tasks, all doable) and instances of
`tests/solver_instances.py` with seeds not used while developing (a 10,000-volunteer
14-day city with 10% pins, a 5,000-volunteer city with fairness by town, PTSP-like days).
`--code DIR` runs another checkout's `matcher` package (PYTHONPATH=DIR) for a before/after
comparison; the validator is always this checkout's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

GENERATED = {
    "city10000_14d_pins": lambda si: si.pinned_city(10_000, 3_200, days=14, seed=11),
    "city3000_3d_pins": lambda si: si.pinned_city(3_000, 1_000, days=3, seed=13),
    "fair5000_7d_town": lambda si: si.pinned_city(5_000, 1_600, days=7, fairness=True,
                                                  pin_share=0.05, seed=12),
    "fair2000_7d_town": lambda si: si.pinned_city(2_000, 700, days=7, fairness=True,
                                                  pin_share=0.0, seed=14),
    "ptsplike_600": lambda si: si.ptsp_like(600, 80, seed=21, extra_quals=0.3),
    "ptsplike_1000": lambda si: si.ptsp_like(1_000, 120, seed=22, extra_quals=0.3),
}


def _problems(out: Path, every: int, only: list[str]) -> list[tuple[str, Path, float]]:
    import solver_instances as si

    from benchmarks.corpus import ptsp

    probs: list[tuple[str, Path, float]] = []
    for name, make in GENERATED.items():
        if only and name not in only:
            continue
        path = out / f"{name}.json"
        if not path.exists():
            path.write_text(json.dumps(make(si)), encoding="utf-8")
        probs.append((name, path, 60.0))
    if every > 0:
        pdir = out / "ptsp"
        if not pdir.exists():
            subprocess.run([sys.executable, "-m", "benchmarks.corpus.ptsp", "--out-dir",
                            str(pdir)], cwd=REPO, check=True, capture_output=True)
        files = sorted(pdir.glob("*.json"), key=lambda p: int(p.stem.split("_")[2]))
        for p in files[::every]:
            if not only or p.stem in only:
                probs.append((p.stem, p, 30.0))
    del ptsp
    return probs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--code", default=None, help="run this checkout's matcher instead")
    ap.add_argument("--ptsp-every", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=None, help="override every limit")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    only = [x for x in args.only.split(",") if x]
    env = dict(os.environ)
    tag = "this"
    if args.code:
        env["PYTHONPATH"] = args.code
        tag = Path(args.code).name
    for name, path, limit in _problems(out, args.ptsp_every, only):
        limit = args.time_limit or limit
        plan = out / f"{name}.{tag}.plan.json"
        cmd = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-c",
               "import sys; from matcher.cli import main; sys.exit(main())", "solve",
               str(path), "--time-limit", f"{limit:g}", "--out", str(plan)]
        t0 = time.monotonic()
        run = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=out)
        wall = time.monotonic() - t0
        tail = run.stderr.strip().splitlines()[-1:] or ["? 0"]
        try:
            peak_mb = int(tail[0].split()[-1]) / 1024
        except ValueError:
            peak_mb = float("nan")
        if run.returncode != 0 or not plan.exists():
            print(f"{name} [{tag}]: exit {run.returncode} after {wall:.1f} s: "
                  f"{run.stderr.strip()[-300:]}", flush=True)
            continue
        check = subprocess.run([sys.executable, "-m", "matcher.cli", "validate", str(path),
                                str(plan)], capture_output=True, text=True, cwd=REPO)
        doc = json.loads(plan.read_text(encoding="utf-8"))
        prob = json.loads(path.read_text(encoding="utf-8"))
        o, b = doc["objective"], doc["bound"]
        fair = "" if o.get("fairness") is None else (
            f", fairness {o['fairness']:.4f} (bound {b.get('fairness') or 0:.4f})")
        print(f"{name} [{tag}]: {doc['status']}, {'valid' if check.returncode == 0 else 'INVALID'}"
              f", coverage {o['coverage']} / bound {b['coverage']} ({len(doc['met'])} of "
              f"{len(prob['needs'])} needs met){fair}, fill {o['fill']}, travel "
              f"{o['travel_m'] / 1000:.1f} km; command {wall:.1f} s for a {limit:g} s limit "
              f"({100 * (wall / limit - 1):+.1f}%), peak {peak_mb:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
