"""How long the full case run takes: every case of every entry point on all three versions.

One round (the run is seconds long and its result is cached per process, so a
second round would measure the cache).  The case count and cases per second
land in the benchmark's extra_info; ``pytest --benchmark-only -s`` prints them.
"""
import time

from qemu_migration.analysis import cases as C
from qemu_migration.port import VERSION_NAMES


def _full_run():
    C.clear_cache()
    cases = C.enumerate_cases()
    C.prefetch(VERSION_NAMES, cases)
    return len(cases)


def test_full_enumeration_all_versions(benchmark):
    t0 = time.perf_counter()
    n = benchmark.pedantic(_full_run, rounds=1, iterations=1, warmup_rounds=0)
    seconds = time.perf_counter() - t0
    runs = n * len(VERSION_NAMES)
    benchmark.extra_info.update({"cases": n, "runs": runs, "seconds": round(seconds, 2),
                                 "cases_per_second": round(runs / seconds),
                                 "workers": C.jobs()})
    print("\n%d cases x %d versions = %d runs in %.2fs: %d runs/s (%d workers)"
          % (n, len(VERSION_NAMES), runs, seconds, runs / seconds, C.jobs()))
    assert n == C.case_count()["total"] > 10000
