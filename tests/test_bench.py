"""How fast the runs are (pytest-benchmark; figures, never timed asserts).

``python -m pytest tests/test_bench.py --benchmark-only -s`` prints them; the
README's Speed section quotes them.  Every benchmark also checks what it ran,
so a broken run cannot pass as a fast one.

  * the port, per case: a fixed slice of the enumerated cases on every version;
  * the C through cffi, per call, on the project's own C functions
    (tests/c_selftest, built through the same path as libvirt's text), against
    their Python twin; with LIBVIRT_SRC set, also libvirt's functions per case;
  * the full runs: every case on all versions (``cases``), and ``diff``;
  * what the callers reach: probed, against read back from the cache folder.

The full runs are one round each: their results are cached per process, so a
second round would measure the cache.  Timed, they start from an empty cache;
in the default run (untimed, see conftest.py) they run once on the process's
warm cache and check their results, as the other benchmarks check theirs.
"""
import os
import resource
import time

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.analysis import diff as D
from qemu_migration.analysis.reach import cached
from qemu_migration.engine import record_call, run_call, runner
from qemu_migration.engine.batch import collector_off
from qemu_migration.port import VERSION_NAMES
from test_upstream_c import _import_twin, make_vm, selftest_c, world_with

# Not measured for coverage (pytest-cov's no_cover; every check stays): a benchmark times
# the code as it runs untraced, and the functional tests reach every line it runs (the
# gate proves it).  Traced, these runs were a large share of the suite's time.
pytestmark = pytest.mark.no_cover

SLICE = 7          # every 7th enumerated case in the per-case benchmarks


@pytest.fixture(autouse=True)
def _as_outside_the_suite(monkeypatch):
    """The runs timed as they run outside the suite: without the suite's check of each
    state before a call read from a template's first run (conftest, CHECK_CACHED_STATE),
    which takes that state again."""
    monkeypatch.setattr(runner, "CHECK_CACHED_STATE", False)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path_factory):
    if not os.environ.get("QEMU_MIGRATION_CACHE"):
        monkeypatch.setenv("QEMU_MIGRATION_CACHE",
                           str(tmp_path_factory.getbasetemp() / "qmc-cache"))


def _per_case(benchmark, cases, runs_per_round, impl=None, versions=VERSION_NAMES,
              between=None, run_one=run_call):
    """CPU per run, the minimum over the rounds (collector off, as the batches run);
    ``between``: something else to time in each round, after this; ``run_one``: how a
    run is made and recorded (``run_call``: the whole outcome dict)."""
    def run():
        for v in versions:
            for c in cases:
                run_one(c.make_world(), v, c.call, impl)
    cpu = []

    def timed():
        with collector_off():
            t0 = time.process_time()
            run()
            cpu.append(time.process_time() - t0)
            if between is not None:
                between()
    benchmark.pedantic(timed, rounds=3, iterations=1, warmup_rounds=1)
    us = min(cpu) / runs_per_round * 1e6
    benchmark.extra_info.update({"runs_per_round": runs_per_round,
                                 "cpu_us_per_run_min": round(us, 1)})
    return us


def _recorded(world, version, call, impl=None):
    """``record_call`` and the state after the call read, as ``diff`` reads it of every
    run (the outcome takes it when the call returns; it was taken at its first read, and
    the figures before that counted it here)."""
    o = record_call(world, version, call, impl)
    o.after_raw
    return o


def test_port_per_case(benchmark):
    """A run as the case enumeration makes it (``C.outcomes``' batches): a copy of the
    state's template world, the call, and its outcome recorded (``record_call``: put into
    words where it is read), with the state after it (``_recorded``)."""
    cases = C.enumerate_cases()[::SLICE]
    runs = len(cases) * len(VERSION_NAMES)
    us = _per_case(benchmark, cases, runs, run_one=_recorded)
    print("\nport: %d runs per round, %.1f us CPU per run (min of 3)" % (runs, us))
    out = record_call(cases[0].make_world(), "post", cases[0].call)
    assert out == C.outcomes("post", cases[:1])[0] == run_call(cases[0].make_world(), "post",
                                                                cases[0].call)


def test_port_per_case_full_enumeration(benchmark):
    """The figure issue 11 sets its port target on (<= 20 us): the same runs over every
    enumerated case, in the enumeration's order (consecutive cases share templates).
    Untimed (the default run) it takes the slice, to keep the suite's time."""
    cases = C.enumerate_cases()
    if not benchmark.enabled:
        cases = cases[::SLICE]
    runs = len(cases) * len(VERSION_NAMES)
    us = _per_case(benchmark, cases, runs, run_one=_recorded)
    print("\nport, full enumeration: %d runs per round, %.1f us CPU per run (min of 3)"
          % (runs, us))
    assert len(cases) == (C.case_count()["total"] if benchmark.enabled
                          else -(-C.case_count()["total"] // SLICE))
    last = cases[-1]            # what was timed is the enumeration's run of a case
    assert record_call(last.make_world(), "fixed", last.call) == C.outcomes("fixed", [last])[0]


def test_port_per_case_whole_outcome(benchmark):
    """The same runs with each whole outcome dict built (``run_call``: what a reader of
    every key, a golden or a recorded digest, pays)."""
    cases = C.enumerate_cases()[::SLICE]
    runs = len(cases) * len(VERSION_NAMES)
    us = _per_case(benchmark, cases, runs)
    print("\nport, whole outcomes: %d runs per round, %.1f us CPU per run (min of 3)"
          % (runs, us))
    out = run_call(cases[0].make_world(), "post", cases[0].call)
    assert out == C.outcomes("post", cases[:1])[0]


SELFTEST_CALLS = 4


def _selftest_body(mod):
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        r = (mod.selftestJob(w.driver, vm, 1), mod.selftestLocks(w.driver, vm, 1316000030000),
             mod.selftestTables(w.driver, vm), mod.selftestWhich())
    return r, len(w.trace)


@pytest.mark.parametrize("kind", ["python", "c"])
def test_c_path_per_call_on_selftest(benchmark, kind):
    """The C side's cost per call (bindings, callbacks, trace), on our own C functions,
    side by side with their Python twin: CI has no libvirt tree, and needs none here."""
    mod = _import_twin() if kind == "python" else selftest_c()
    rounds = 200

    def run():
        for _ in range(rounds):
            got = _selftest_body(mod)
        return got
    cpu = []

    def timed():
        t0 = time.process_time()
        got = run()
        cpu.append(time.process_time() - t0)
        return got
    got = benchmark.pedantic(timed, rounds=3, iterations=1, warmup_rounds=1)
    us = min(cpu) / (rounds * SELFTEST_CALLS) * 1e6
    benchmark.extra_info.update({"implementation": kind, "cpu_us_per_call_min": round(us, 1)})
    print("\nselftest through %s: %.1f us CPU per call" % (kind, us))
    assert got == ((0, 1, 0, kind), 17)


if os.environ.get("LIBVIRT_SRC"):
    # Defined only where libvirt sources are at hand (CI has none by design: the
    # selftest benchmark above measures the same C path there).
    @pytest.mark.parametrize("version", VERSION_NAMES)
    def test_c_per_case_libvirt(benchmark, version):
        """The C's CPU per case and, on the same cases in the same rounds (interleaved,
        so that a load that varies hits both alike), the port's: their ratio is the
        figure the README's Speed section holds to its target (<= 2x)."""
        from qemu_migration.upstream.impl import load
        impl = load(version)
        cases = C.enumerate_cases()[::SLICE * 3]
        port_cpu = []

        def port_round():
            t0 = time.process_time()
            for c in cases:
                run_call(c.make_world(), version, c.call)
            port_cpu.append(time.process_time() - t0)
        us = _per_case(benchmark, cases, len(cases), impl, versions=[version],
                       between=port_round)
        port_us = min(port_cpu) / len(cases) * 1e6
        benchmark.extra_info.update({"port_cpu_us_per_run_min": round(port_us, 1),
                                     "c_over_port": round(us / port_us, 2)})
        print("\nC %s: %d cases per round, %.1f us CPU per case; the port %.1f us: %.2fx"
              % (version, len(cases), us, port_us, us / port_us))
        assert run_call(cases[1].make_world(), version, cases[1].call, impl) == \
            C.outcomes(version, cases[1:2])[0]


def _full_run(cold):
    if cold:
        C.clear_cache()
    cases = C.enumerate_cases()
    C.prefetch(VERSION_NAMES, cases)
    return len(cases)


def test_full_enumeration_all_versions(benchmark):
    t0, c0 = time.perf_counter(), time.process_time()
    n = benchmark.pedantic(_full_run, args=(benchmark.enabled,), rounds=1, iterations=1,
                           warmup_rounds=0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    runs = n * len(VERSION_NAMES)
    benchmark.extra_info.update({"cases": n, "runs": runs, "seconds": round(seconds, 2),
                                 "cpu_seconds": round(cpu, 2),
                                 "cases_per_second": round(runs / seconds),
                                 "workers": C.jobs()})
    print("\n%d cases x %d versions = %d runs in %.2fs (%.2fs CPU here): %d runs/s (%d workers)"
          % (n, len(VERSION_NAMES), runs, seconds, cpu, runs / seconds, C.jobs()))
    assert n == C.case_count()["total"] > 10000


def _children_cpu():
    """The CPU time of this process's ended children (the forked workers), user + system."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def test_full_diff_pre_post(benchmark):
    def run():
        if benchmark.enabled:
            C.clear_cache()
        return D.diff("pre", "post")
    t0, c0, w0 = time.perf_counter(), time.process_time(), _children_cpu()
    d = benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    workers = _children_cpu() - w0
    benchmark.extra_info.update({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                                 "worker_cpu_seconds": round(workers, 2),
                                 "processes": C.read_jobs()})
    print("\ndiff pre -> post: %.2fs (%.2fs CPU here, %.2fs in forked workers; %d processes)"
          % (seconds, cpu, workers, C.read_jobs()))
    assert d["cases"] == C.case_count()["total"]


def test_reach_probed_and_read_back(benchmark, tmp_path):
    """What the callers reach: the probes' CPU time (timed runs only; a cold cache) and
    the read of the kept result (a warm one), which every later command pays instead."""
    key, path = C.source_digest(), tmp_path / "reach.marshal"

    def probe():
        return C.run_probes(VERSION_NAMES, C.PROBES, C.REACH_TARGETS)
    c0 = time.process_time()
    first = cached(path, key, probe if benchmark.enabled else C.reach)
    cold = time.process_time() - c0
    back = benchmark.pedantic(cached, args=(path, key, lambda: pytest.fail("probed again")),
                              rounds=5 if benchmark.enabled else 1, iterations=1,
                              warmup_rounds=0)
    benchmark.extra_info.update({"probes_cpu_seconds": round(cold, 3)})
    print("\nreach: probed in %.2fs CPU, read back in about %.3fs"
          % (cold, benchmark.stats.stats.min if benchmark.enabled else 0.0))
    assert back == first == C.reach()


if os.environ.get("LIBVIRT_SRC"):
    def test_full_compare_all_versions(benchmark):
        """``qemu-migration compare --version all`` as the command runs it (forked workers,
        one per core unless QEMU_MIGRATION_JOBS says), wall and CPU, this process's and its
        workers'.  Timed, the builds are made once first: issue 11's figure is with a warm
        build cache."""
        from qemu_migration.upstream.cli import compare
        src = os.environ["LIBVIRT_SRC"]
        if benchmark.enabled:
            compare(src, VERSION_NAMES, protocol=False)
        t0, c0, w0 = time.perf_counter(), time.process_time(), _children_cpu()
        report = benchmark.pedantic(compare, args=(src, VERSION_NAMES), rounds=1,
                                    iterations=1, warmup_rounds=0)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        workers = _children_cpu() - w0
        benchmark.extra_info.update({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                                     "worker_cpu_seconds": round(workers, 2)})
        print("\ncompare, every version: %.2fs (%.2fs CPU here, %.2fs in forked workers)"
              % (seconds, cpu, workers))
        assert report["disagree"] == 0
        assert sorted(report["versions"]) == sorted(VERSION_NAMES)
