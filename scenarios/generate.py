#!/usr/bin/env python3
"""Generate the named matcher scenarios (SPEC problem documents, version 1).

Each scenario is a *synthetic reconstruction* from the published figures in
shared/FIELD.md: the sizes follow the reports, every individual volunteer, venue,
fund and need is invented by a seeded random generator.

    python scenarios/generate.py                       # all five, into scenarios/
    python scenarios/generate.py --only runzhou        # one of them
    python scenarios/generate.py --only yibin --scale 10   # scenarios/large/yibin_x10.json
    python scenarios/generate.py --stats               # print size / tightness figures

Same seed -> byte-identical files.  Needs only the standard library and numpy.

Place data
----------
County-level coordinates are copied from the ``adcodes.csv`` table bundled with the
PyPI package ``cpca`` 0.5.5 (MIT licence), so no package is needed at run time.
That table has no town level: the town / street centres of Tianchang, Chengyang,
Runzhou and Zhecheng below are approximate real centres written from general
knowledge (good to a few km), and their 3-digit town codes are our own numbering,
not the official 9-digit codes.  Yibin's towns (and those of the other Sichuan
counties used by the scale series) are synthetic points scattered around the real
county seat.  Communities / villages are synthetic points around their town.
"""

# ruff: noqa: E501

from __future__ import annotations

import argparse
import os
import sys
import time

from scengen.chengyang import chengyang
from scengen.common import Rng
from scengen.runzhou import runzhou
from scengen.stats import stats
from scengen.tianchang import tianchang
from scengen.yibin import yibin
from scengen.zhecheng import zhecheng

DEFAULT_SEED = 20240521
HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["tianchang", "chengyang", "runzhou", "zhecheng", "yibin"]
BUILDERS = {"tianchang": tianchang, "chengyang": chengyang, "runzhou": runzhou,
            "zhecheng": zhecheng}


def build(name, seed, scale=1):
    idx = NAMES.index(name)
    rng = Rng([seed, idx, scale])
    if name == "yibin":
        return yibin(rng, scale)
    if scale != 1:
        raise SystemExit("--scale applies to yibin only")
    return BUILDERS[name](rng)


def out_path(name, scale, outdir=None):
    if scale == 1:
        return os.path.join(outdir or HERE, f"{name}.json")
    return os.path.join(outdir or os.path.join(HERE, "large"), f"{name}_x{scale}.json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--only", choices=NAMES, action="append", help="generate only this scenario (repeatable)"
    )
    ap.add_argument(
        "--scale",
        type=int,
        default=1,
        help="yibin only: K times the city (more Sichuan counties); writes large/yibin_xK.json",
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--out-dir",
        default=None,
        help="directory to write to (default: scenarios/ or scenarios/large/)",
    )
    ap.add_argument(
        "--stats", action="store_true", help="print tightness figures (slow for big scales)"
    )
    a = ap.parse_args(argv)
    names = a.only or NAMES
    if a.scale != 1 and names != ["yibin"]:
        ap.error("--scale needs --only yibin")
    for name in names:
        t0 = time.time()
        b = build(name, a.seed, a.scale)
        path = out_path(name, a.scale, a.out_dir)
        b.write(path)
        print(
            f"{path}: {b.summary()} [{time.time() - t0:.1f}s, {os.path.getsize(path) / 1e6:.1f} MB]"
        )
        if a.stats:
            stats(b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
