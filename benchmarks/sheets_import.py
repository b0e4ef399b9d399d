"""Spreadsheet import at city scale: the Yibin problem (10,000 volunteers, 7,579 needs) as a
workbook and as a zip of CSV files, imported back with its full validation.

Run under the benchmark lock (the machine is shared):

    flock /tmp/matcher-bench.lock .venv/bin/python benchmarks/sheets_import.py

It writes the files under benchmarks/out/sheets/ (not committed), then times, each in a fresh
`matcher import` process (what a coordinator runs): the workbook, the CSV zip, and a copy of
the workbook with 50 bad cells (the time to the full error report). Peak memory is the child's
maximum resident set (`os.wait4`).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matcher import sheets  # noqa: E402
from matcher.io import load_problem  # noqa: E402


def _run(args: list[str]) -> tuple[float, float, int, int, str]:
    """Wall seconds, CPU seconds (user + system: less sensitive to a busy machine), exit
    code, peak RSS in MB, last stderr line of one CLI run."""
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    lines = err.strip().splitlines()
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, code, usage.ru_maxrss // 1024, (lines[-1] if lines else "")


def _with_bad_cells(data: bytes, count: int) -> bytes:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb["volunteers 志愿者"]
    for r in range(2, 2 + count):
        ws.cell(row=2 + r * 197 % (ws.max_row - 1), column=3, value="north")  # lat: no number
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    # Load average before and after: the machine is shared, and the figures move with it.
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="yibin")
    args = ap.parse_args()
    out = REPO / "benchmarks" / "out" / "sheets"
    out.mkdir(parents=True, exist_ok=True)
    problem = load_problem(REPO / "scenarios" / f"{args.scenario}.json")
    xlsx, zipped, bad = (out / f"{args.scenario}.xlsx", out / f"{args.scenario}-csv.zip",
                         out / f"{args.scenario}-bad.xlsx")
    t0 = time.monotonic()
    xlsx.write_bytes(sheets.problem_xlsx(problem))
    t_write = time.monotonic() - t0
    zipped.write_bytes(sheets.problem_zip(problem))
    bad.write_bytes(_with_bad_cells(xlsx.read_bytes(), 50))
    rows = sum(len(v.availability or ()) for v in problem.volunteers) + sum(
        len(u.availability or ()) for u in problem.venues) + len(problem.volunteers) + len(
        problem.venues) + len(problem.funds) + len(problem.needs) + sum(
        len(n.roles) for n in problem.needs)
    print(f"{args.scenario}: {len(problem.volunteers)} volunteers, {len(problem.needs)} needs, "
          f"{rows} rows; workbook {xlsx.stat().st_size / 1e6:.1f} MB written in {t_write:.1f} s "
          f"(export), CSV zip {zipped.stat().st_size / 1e6:.1f} MB")
    matcher = str(REPO / ".venv" / "bin" / "matcher")
    back = out / "imported.json"
    print("| input | command | wall s | CPU s | exit | peak MB | report |")
    print("|---|---|---|---|---|---|---|")
    for label, src in (("workbook", xlsx), ("CSV zip", zipped), ("workbook, 50 bad cells", bad)):
        cmd = [matcher, "import", str(src.relative_to(REPO)), "--out",
               str(back.relative_to(REPO))]
        back.unlink(missing_ok=True)
        seconds, cpu, code, mb, last = _run(cmd)
        if code == 0:
            assert load_problem(back) == problem, "the import differs from the problem"
        print(f"| {label} | `{' '.join(cmd[1:])}` | {seconds:.2f} | {cpu:.2f} | {code} | {mb} "
              f"| {last[:90]} |", flush=True)


if __name__ == "__main__":
    os.chdir(REPO)
    main()
