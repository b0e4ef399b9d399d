"""The command line of SPEC: `matcher solve`, `matcher validate`, `matcher replan` and
`matcher serve` (and `matcher keys` for the API's keys)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from matcher.io import check_writable, dumps, load_plan, load_problem, write_text_atomic
from matcher.model import MAX_SEED, MAX_TIME_LIMIT_S, MAX_WORKERS, InputError

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT = 0, 1, 2


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


def _cmd_solve(args: argparse.Namespace) -> int:
    from matcher.solver import SolveParams, solve
    from matcher.summary import summarise

    problem = load_problem(args.problem)
    if args.out is not None:
        # Fail on an unwritable destination before spending the time limit.
        check_writable(args.out)
    params = SolveParams(time_limit=args.time_limit, seed=args.seed, workers=args.workers)
    progress = None
    if not args.quiet:
        from matcher.progress import StderrProgress

        progress = StderrProgress()
    result = solve(problem, params, progress=progress)
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
        print(summarise(problem, result.plan), file=sys.stderr)
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


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("matcher.api.app:create_app", factory=True, host=args.host, port=args.port)
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="matcher", description=__doc__)
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
        print(f"matcher: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


if __name__ == "__main__":
    sys.exit(main())
