"""The command line of SPEC: `matcher solve`, `matcher validate`, and `matcher serve`."""

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

    srv = sub.add_parser("serve", help="start the HTTP API with uvicorn")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.set_defaults(func=_cmd_serve)
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
