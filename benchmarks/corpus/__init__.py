"""Benchmark corpus not tuned to matcher: the public PTSP set (`ptsp.py`) and an independent
generator of volunteer-matching problems (`family.py`). See `benchmarks/corpus/README.md`."""
