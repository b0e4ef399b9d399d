"""The command line of SPEC: `matcher solve`, `matcher validate`, `matcher replan`,
`matcher serve` (and `matcher keys` for the API's keys), and the spreadsheet commands
`matcher import` and `matcher export`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from matcher.io import check_writable, dumps, load_plan, load_problem, write_text_atomic
from matcher.model import MAX_SEED, MAX_TIME_LIMIT_S, MAX_WORKERS, InputError

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT, EXIT_ENGINE = 0, 1, 2, 3


def _cmd_validate(args: argparse.Namespace) -> int:
    from matcher.validate import validate

    problem = load_problem(args.problem)
    plan = load_plan(args.plan, problem)
    violations = validate(problem, plan)
    for v in violations:
        print(v, file=sys.stdout)
    if violations:
        print(f"{args.plan}: {len(violations)} violation(s)", file=sys.stderr)
        return EXIT_INVALID
    print(f"{args.plan}: valid ({plan.status}, coverage {plan.objective.coverage})",
          file=sys.stderr)
    return EXIT_OK


def _seconds_since_start() -> float:
    """Seconds since this process started (Linux /proc; 0 where that cannot be read)."""
    import os

    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def _cmd_solve(args: argparse.Namespace) -> int:
    from matcher.solver import SolveParams, solve
    from matcher.summary import summarise

    problem = load_problem(args.problem)
    if args.out is not None:
        # Fail on an unwritable destination before spending the time limit.
        check_writable(args.out)
    # The limit holds for the whole command: start-up and reading the problem came out of
    # it, writing the plan still will (about 1 s per 10,000 needs).
    budget = args.time_limit - _seconds_since_start() - (0.03 * args.time_limit
                                                          + len(problem.needs) / 10_000)
    params = SolveParams(time_limit=max(0.5 * args.time_limit, budget), seed=args.seed,
                         workers=args.workers)
    progress = None
    if not args.quiet:
        from matcher.progress import StderrProgress

        progress = StderrProgress(time_limit=params.time_limit)
    try:
        if args.scheduler:
            # Subproblems as tasks on an existing Dask cluster; everything else stays here.
            from dataclasses import replace

            from matcher.engine import Engine, EngineError

            try:
                engine = Engine.connect(args.scheduler, timeout=5.0)
            except EngineError as err:
                raise InputError("", str(err), "--scheduler") from None
            try:
                result = solve(problem, replace(params, executor=engine.executor()),
                               progress=progress)
            except EngineError as err:
                print(f"matcher: error: {err}", file=sys.stderr)
                return EXIT_ENGINE
            finally:
                engine.close()
        else:
            result = solve(problem, params, progress=progress)
    finally:
        # Also on an error: the display's heartbeat thread must not outlive the command.
        if progress is not None:
            progress.close()
    text = dumps(result.plan.to_json_dict())
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            write_text_atomic(args.out, text)
        except OSError as err:  # the disk filled up or the directory went away meanwhile
            raise InputError("--out", f"cannot write the plan: {err.strerror or err}",
                             args.out) from None
    if not args.quiet:
        shown = None if args.unmet == "all" else int(args.unmet)
        print(summarise(problem, result.plan, unmet_shown=shown), file=sys.stderr)
    return EXIT_OK


def _cmd_replan(args: argparse.Namespace) -> int:
    from matcher.io import read_json
    from matcher.model import parse_plan, parse_problem
    from matcher.replan import apply_changes, changed_ids, describe, diff_plans, parse_changes
    from matcher.solver import SolveParams, solve

    doc = read_json(args.problem)
    old_problem = parse_problem(doc, args.problem)
    old_plan = load_plan(args.plan, old_problem)
    if old_plan.status == "infeasible":
        raise InputError("status", "an infeasible plan cannot be replanned; fix the pins and "
                         "solve again", args.plan)
    changes = parse_changes(read_json(args.changes), args.changes)
    try:
        new_doc, dropped = apply_changes(doc, changes)
        problem = parse_problem(new_doc)
    except InputError as err:
        msg = err.message if err.path.startswith("changes") else f"after the changes: {err}"
        raise InputError(err.path if err.path.startswith("changes") else "changes", msg,
                         args.changes) from None
    for path in (args.out, args.problem_out, args.diff):
        if path is not None:
            check_writable(path)
    params = SolveParams(time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                         reference=old_plan, reference_problem=old_problem,
                         changed=changed_ids(changes))
    result = solve(problem, params)
    plan = result.plan
    diff = diff_plans(old_plan, parse_plan(plan.to_json_dict(), problem), old_problem, problem,
                      dropped)
    if args.problem_out is not None:
        write_text_atomic(args.problem_out, dumps(new_doc))
    if args.diff is not None:
        write_text_atomic(args.diff, dumps(diff))
    text = dumps(plan.to_json_dict())
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.out, text)
    if not args.quiet:
        o = plan.objective
        print(f"replan: {plan.status}, coverage {o.coverage} (was "
              f"{old_plan.objective.coverage}), {diff['total']} change(s), fill {o.fill}, "
              f"travel {o.travel_m / 1000:.1f} km, {result.seconds:.2f} s", file=sys.stderr)
        for line in describe(diff):
            print(line, file=sys.stderr)
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from matcher.sheets import import_path

    if args.out is not None:
        check_writable(args.out)
    imported = import_path(args.source)
    p = imported.problem
    # A city's problem is tens of MB: compact JSON writes in a third of the time.
    big = len(p.volunteers) + len(p.venues) + len(p.funds) + len(p.needs) > 5000
    text = dumps(imported.doc, indent=None if big else 1)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.out, text)
    print(f"{args.source}: imported {len(p.volunteers)} volunteers, {len(p.venues)} venues, "
          f"{len(p.funds)} funds, {len(p.needs)} needs, {len(p.pins)} pins, "
          f"{len(p.forbid)} forbids; no errors", file=sys.stderr)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from matcher.sheets import write_tables
    from matcher.sheets.plan_tables import plan_tables
    from matcher.sheets.problem_tables import problem_tables, readme_text, template_tables

    problem = load_problem(args.problem)
    plan = load_plan(args.plan, problem) if args.plan is not None else None
    out = str(args.out)
    if out.lower().endswith((".xlsx", ".zip")):
        check_writable(out)
    elif Path(out).exists() and not Path(out).is_dir():
        raise InputError("--out", "not a folder: give a folder for CSV files, or a name "
                         "ending in .xlsx or .zip", out)
    if plan is None:
        # The problem itself in the import layout, to edit in a spreadsheet.
        tables = problem_tables(problem)
        if out.lower().endswith(".xlsx"):
            tables = template_tables()[:1] + tables
        kind = write_tables(tables, out, {"README.txt": readme_text()})
    else:
        kind = write_tables(plan_tables(problem, plan), out)
    what = "problem" if plan is None else "plan"
    print(f"{out}: wrote the {what} as {'a workbook' if kind == 'xlsx' else kind + ' files'}",
          file=sys.stderr)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    # The server starts its synchronous-solve processes at once (settings.sync_warm).
    os.environ.setdefault("MATCHER_SYNC_WARM", "1")
    # A connection still open 5 s after SIGTERM is cut, so that the server exits within 10 s
    # (jobs are stopped and event streams end before that: matcher.api.app).
    uvicorn.run("matcher.api.app:create_app", factory=True, host=args.host, port=args.port,
                timeout_graceful_shutdown=5)
    return EXIT_OK


def _time_limit(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < v <= MAX_TIME_LIMIT_S:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be in (0, {MAX_TIME_LIMIT_S:g}] seconds, "
                                         f"not {text}")
    return v


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be in [{lo}, {hi}], not {text}")
        return v

    return parse


def _unmet(text: str) -> str:
    if text != "all" and not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a number or 'all', not {text!r}")
    return text


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matcher")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="matcher", description=__doc__)
    p.add_argument("--version", action="version", version=f"matcher {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="solve a problem document and write the plan")
    s.add_argument("problem", help="problem document (SPEC JSON)")
    s.add_argument("--time-limit", type=_time_limit, default=60.0,
                   help="seconds for all stages together (default 60)")
    s.add_argument("--out", help="write the plan here instead of standard output")
    s.add_argument("--seed", type=_int_in(0, MAX_SEED), default=0,
                   help="solver random seed (default 0)")
    s.add_argument("--workers", type=_int_in(1, MAX_WORKERS), default=2,
                   help="CP-SAT worker threads (default 2)")
    s.add_argument("--quiet", action="store_true", help="no progress line or summary")
    s.add_argument("--unmet", type=_unmet, default="20", metavar="N|all",
                   help="unmet needs listed in the summary (default 20; 'all' for every one)")
    s.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="solve the subproblems as tasks on this Dask scheduler's cluster "
                        "(default: in this process)")
    s.set_defaults(func=_cmd_solve)

    v = sub.add_parser("validate", help="check a plan against a problem, rule by rule")
    v.add_argument("problem")
    v.add_argument("plan")
    v.set_defaults(func=_cmd_validate)

    r = sub.add_parser("replan", help="re-solve after changes, changing the plan as little "
                       "as possible (SPEC: Replanning)")
    r.add_argument("problem", help="the problem the plan was made for")
    r.add_argument("plan", help="the plan that is out (the reference)")
    r.add_argument("changes", help='changes document: {"changes": [...]} (see README)')
    r.add_argument("--out", help="write the new plan here instead of standard output")
    r.add_argument("--time-limit", type=_time_limit, default=10.0,
                   help="seconds at most (default 10); a small change ends much sooner")
    r.add_argument("--problem-out", help="also write the changed problem here")
    r.add_argument("--diff", help="also write what changed (JSON) here")
    r.add_argument("--seed", type=_int_in(0, MAX_SEED), default=0)
    r.add_argument("--workers", type=_int_in(1, MAX_WORKERS), default=2)
    r.add_argument("--quiet", action="store_true", help="no summary of what changed")
    r.set_defaults(func=_cmd_replan)

    im = sub.add_parser("import", help="read a problem from a workbook or CSV files",
                        description="Read a problem from an .xlsx workbook, a folder or .zip "
                        "of CSV files (the layout of the templates), or JSON; write SPEC's "
                        "JSON. Every error is listed with its sheet, row and column; exit 2 "
                        "and nothing written on any error.")
    im.add_argument("source", metavar="DIR_OR_XLSX",
                    help=".xlsx workbook, folder of .csv files, .zip of .csv files, or .json")
    im.add_argument("--out", help="write the problem here instead of standard output")
    im.set_defaults(func=_cmd_import)

    ex = sub.add_parser("export", help="write a plan (or a problem) as a workbook or CSV files",
                        description="With PLAN: the plan by need, by volunteer, by venue and "
                        "by fund, with names, titles, times and distances. Without PLAN: the "
                        "problem in the import layout, to edit in a spreadsheet.")
    ex.add_argument("problem", help="problem document (SPEC JSON)")
    ex.add_argument("plan", nargs="?", help="plan document (SPEC JSON)")
    ex.add_argument("--out", required=True, metavar="OUT.xlsx|OUT.zip|DIR",
                    help="a workbook (.xlsx), a zip of CSV files (.zip) or a folder of CSV "
                    "files")
    ex.set_defaults(func=_cmd_export)

    srv = sub.add_parser("serve", help="start the HTTP API with uvicorn")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=_int_in(0, 65535), default=8000)
    srv.set_defaults(func=_cmd_serve)

    from matcher.api.keys_cli import add_arguments as add_keys_command

    add_keys_command(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except InputError as err:
        report = getattr(err, "report", None)
        text = report() if callable(report) else str(err)
        print("\n".join(f"matcher: error: {line}" for line in text.splitlines()),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


if __name__ == "__main__":
    sys.exit(main())
