"""What makes runs fast must not change what they compute: batches without the
collector, forked workers, outcome comparison without hashing, linear bitsets."""
import gc
import marshal
import random
import threading
import weakref

import pytest

from conftest import untraced

from qemu_migration.analysis import cases as C
from qemu_migration.analysis.minimise import Space, bitset
from qemu_migration.engine import batch as B
from qemu_migration.engine.batch import collector_off, settle
from qemu_migration.engine.outcome import plain
from qemu_migration.upstream import record


@pytest.mark.parametrize("was_on", [True, False])
def test_collector_is_off_in_a_batch_and_as_it_was_after(was_on):
    (gc.enable if was_on else gc.disable)()
    try:
        with collector_off():
            assert not gc.isenabled()
        assert gc.isenabled() is was_on
    finally:
        gc.enable()


class _Node:
    pass


def test_settle_collects_a_parts_cycles_and_freezes_what_lives():
    """Between the parts of a batch (the protocol matrix's cells): the cyclic garbage a
    part left is gone, and what it keeps no longer waits for a collection's scan."""
    with collector_off():
        dead, kept = _Node(), _Node()
        dead.me = kept.me = None
        dead.me, kept.me = dead, kept      # two cycles, one of them still held
        gone = weakref.ref(dead)
        del dead
        frozen = gc.get_freeze_count()
        assert gone() is not None          # with the collector off, nothing collects it
        settle()
        assert gone() is None
        assert gc.get_freeze_count() > frozen and gc.is_tracked(kept)
        assert not any(o is kept for o in gc.get_objects())     # frozen: never scanned


def test_jobs_default_to_one_and_follow_the_environment(monkeypatch):
    monkeypatch.delenv("QEMU_MIGRATION_JOBS", raising=False)
    assert C.jobs() == 1
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "3")
    assert C.jobs() == 3
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "0")
    assert C.jobs() == 1
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "many")     # refused (the command: one line)
    with pytest.raises(ValueError, match="QEMU_MIGRATION_JOBS='many'"):
        C.jobs()


@pytest.fixture
def batch():
    cases = C.enumerate_cases(["IsAllowed", "PrepareTunnel"])
    return [(v, c) for v in ("pre", "post") for c in cases[::3]]


def test_forked_workers_compute_what_one_process_does(batch, monkeypatch):
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "1")
    alone = C._run_batch(batch)
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    forked = C._run_batch(batch)
    assert forked == alone and len(forked) == len(batch)
    assert [o["function"] for o, _ in forked] == [c.function for _, c in batch]
    assert C._BATCH == []          # the batch is not kept after it ran


def test_a_batch_run_here_builds_its_templates_before_its_first_run(batch, monkeypatch):
    """Its templates built one after another, not between runs whose outcomes it keeps
    (where they lay scattered among those, and the later runs on copies of them read
    them from there: about 2% a run, README "Speed"); each built once, and the runs'
    outcomes as before."""
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "1")
    alone = C._run_batch(batch)
    states = {c.state_id for _, c in batch}
    assert len(states) < len(batch)        # (cases of a state share its template)
    monkeypatch.setattr(C, "_TEMPLATES", {})
    built = []
    run = C._run

    def first_sees_them_all(v, c):
        built.append(set(C._TEMPLATES))
        return run(v, c)
    monkeypatch.setattr(C, "_run", first_sees_them_all)
    assert C._run_batch(batch) == alone
    assert built[0] == set(C._TEMPLATES) == states
    for _, c in batch:
        assert c.template() is C._TEMPLATES[c.state_id] is c.template()


def test_no_fork_or_no_processes_runs_the_batch_here(batch, monkeypatch):
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    alone = [C._run(v, c) for v, c in batch]
    monkeypatch.setattr(B.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert C._pool(2) is None
    assert C._run_batch(batch) == alone

    def no_processes(n):
        raise OSError("no processes")
    monkeypatch.setattr(C, "_pool", no_processes)
    assert C._run_batch(batch) == alone


@untraced
def test_beside_another_thread_the_batches_run_here(batch, monkeypatch):
    """A process running other threads forks no worker (engine/batch.py, fork_context):
    the case batches and the readings run here, and a pool kept from before is let go."""
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    alone = [C._run(v, c) for v, c in batch]
    reading = [C._read(v, c, plain) for v, c in batch]
    made = []
    monkeypatch.setattr(C.concurrent.futures, "ProcessPoolExecutor",
                        lambda **kw: made.append(kw) or pytest.fail("forked beside a thread"))

    class Kept:
        def shutdown(self, cancel_futures):
            made.append("shut down")
    monkeypatch.setattr(C, "_POOL", (3, Kept()))
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert C._pool(2) is None and C._POOL is None and made == ["shut down"]
        assert C._run_batch(batch) == alone
        assert C._read_batch(batch, plain) == reading
    finally:
        stop.set()
        t.join()
    assert made == ["shut down"]


def test_same_is_the_digest_comparison_made_cheap():
    a = {"return": 0, "failed": False, "trace": ["x"], "out": {"uri": None}}
    b = {"return": 0, "failed": False, "trace": ["x"], "out": {"uri": None}}
    assert record.same(a, b) and record.digest(a) == record.digest(b)
    # equal in Python, different in JSON: the digest decides
    assert not record.same(dict(a, failed=0), a)
    assert record.digest(dict(a, failed=0)) != record.digest(a)
    # different in Python, the same in JSON: so the digest says, so says same()
    assert record.same(dict(a, trace=("x",)), a)
    assert not record.same(dict(a, trace=["y"]), a)

    class Odd:          # not marshallable: left to the digest, which refuses it as before
        def __eq__(self, other):
            return True
    with pytest.raises(TypeError):
        record.same(dict(a, out=Odd()), dict(a, out=Odd()))


def test_bitset_sets_exactly_the_given_bits():
    assert bitset([], 0) == 0 and bitset([], 7) == 0
    assert bitset([0], 1) == 1 and bitset([4, 0, 4], 5) == 0b10001
    rnd = random.Random(7)
    idx = rnd.sample(range(5000), 1200)
    naive = 0
    for i in idx:
        naive |= 1 << i
    assert bitset(idx, 5000) == naive


def test_space_masks_are_the_cases_of_each_value():
    rnd = random.Random(3)
    pts = [{"a": rnd.choice("xyz"), "b": rnd.choice("01"), "fault": rnd.choice(["none", "f#1"])}
           for _ in range(300)]
    sp = Space(pts)
    for d in ("a", "b", "fault"):
        for v, m in sp.masks[d].items():
            assert m == sum(1 << i for i, p in enumerate(pts) if p[d] == v)
        assert list(sp.order[d]) == list(dict.fromkeys(p[d] for p in pts))
    assert sp.mask([0, 2]) == 0b101 and sp.all == (1 << 300) - 1


def test_a_worker_runs_its_span_of_the_batch_and_sends_it_marshalled(batch, monkeypatch):
    import marshal
    monkeypatch.setattr(C, "_BATCH", batch)
    got = marshal.loads(C._worker((2, 6)))
    assert got == [C._run(v, c) for v, c in batch[2:6]]


# --- the per-process caches -------------------------------------------------------------------


@pytest.fixture
def empty_caches(monkeypatch):
    """The module's caches replaced by empty ones for one test (the suite's stay warm)."""
    for name in ("_TEMPLATES", "_OUTCOMES", "_CALLS", "_CASES"):
        monkeypatch.setattr(C, name, {})


def test_a_state_is_run_on_every_port_when_first_asked_for(empty_caches):
    state = C.SPACES["qemuMigrationPrepareTunnel"].states()[0]
    base = C.enumerate_state("qemuMigrationPrepareTunnel", state)
    assert base.dims["fault"] == "none"
    assert sorted(C._CALLS) == sorted(C._OUTCOMES) == sorted((v, base.id)
                                                               for v in C.VERSION_NAMES)
    # a fault at every call of every faultable stub the state makes on any version
    points = C.fault_points(base)
    assert len(points) == len(set(points)) and ("virTimeMs", 2) in points
    assert set(points) == {(s, n) for v in C.VERSION_NAMES
                           for s, count in C._CALLS[(v, base.id)].items()
                           for n in range(1, count + 1)}
    assert C.enumerate_state("qemuMigrationPrepareTunnel", state) == base     # now cached
    assert len(C._CALLS) == len(C.VERSION_NAMES)


def test_a_worker_runs_its_span_of_the_batch_and_marshals_it(batch, monkeypatch):
    """What a forked worker does, here in the process (coverage sees no forked child)."""
    monkeypatch.setattr(C, "_BATCH", batch)
    got = marshal.loads(C._worker((2, 7)))
    assert [tuple(r) for r in got] == [C._run(v, c) for v, c in batch[2:7]]


def test_clear_cache_empties_every_cache(empty_caches):
    C.outcomes("post", C.enumerate_cases(["IsAllowed"]))
    C.enumerate_cases(["IsAllowed"])[0].make_world()
    assert C._TEMPLATES and C._OUTCOMES and C._CALLS and C._CASES
    C.clear_cache()
    assert (C._TEMPLATES, C._OUTCOMES, C._CALLS, C._CASES) == ({}, {}, {}, {})


def test_unknown_versions_and_functions_are_key_errors():
    with pytest.raises(KeyError):
        C.version_impl("later")
    with pytest.raises(KeyError):
        C.enumerate_cases(["IsAllowed", "Migrate"])
    assert C.version_impl("post") == ("post", None)


def test_a_registered_version_runs_with_its_convention(monkeypatch):
    monkeypatch.setattr(C, "EXTRA_VERSIONS", {})
    impl = object()
    C.register_version("c:tree", "post", impl)
    assert C.version_impl("c:tree") == ("post", impl)
    with pytest.raises(KeyError):
        C.version_impl("c:other")


# --- the faultable calls of the fault-free runs, kept in the cache folder ----------------------

@pytest.fixture
def calls_cache(empty_caches, monkeypatch, tmp_path):
    """An empty cache folder and empty module caches; the runs of a batch are counted."""
    monkeypatch.setenv("QEMU_MIGRATION_CACHE", str(tmp_path))
    ran = []
    real = C._run_batch

    def counted(pairs):
        ran.append(len(pairs))
        return real(pairs)
    monkeypatch.setattr(C, "_run_batch", counted)
    return ran


def test_a_second_process_reads_the_calls_and_runs_only_what_it_is_asked(calls_cache,
                                                                         monkeypatch):
    first = C.enumerate_cases(["IsAllowed"])
    states = C.state_count("qemuMigrationIsAllowed")
    assert calls_cache == [states * len(C.VERSION_NAMES)]
    calls, outcomes = dict(C._CALLS), dict(C._OUTCOMES)
    for name in ("_TEMPLATES", "_OUTCOMES", "_CALLS", "_CASES"):   # as a new process
        monkeypatch.setattr(C, name, {})
    assert C.enumerate_cases(["IsAllowed"]) == first and C._CALLS == calls
    assert calls_cache == [states * len(C.VERSION_NAMES)] and C._OUTCOMES == {}
    assert C.outcomes("post", first) == [C._run("post", c)[0] for c in first]
    assert all(C._OUTCOMES[("post", c.id)] == o for (v, c_id), o in outcomes.items()
               for c in first if v == "post" and c.id == c_id)
    assert calls_cache[1:] == [len(first)]          # post's outcomes only, fault-free too
    C.enumerate_cases(["IsAllowed"])                # known in the process: nothing read
    assert calls_cache[1:] == [len(first)]


def test_the_kept_calls_grow_with_each_function_enumerated(calls_cache):
    C.enumerate_cases(["IsAllowed"])
    C.enumerate_cases(["Begin"])
    kept = C._load_calls(C.source_digest())
    assert set(kept) == set(C._CALLS)


def test_calls_kept_under_another_key_or_unreadable_are_run_again(calls_cache, tmp_path):
    path = C._calls_path()
    assert path.parent == tmp_path
    for bad in (b"", b"\x00garbage", marshal.dumps(("other key", {})),
                marshal.dumps([C.source_digest(), {}]), marshal.dumps((C.source_digest(), []))):
        path.write_bytes(bad)
        assert C._load_calls(C.source_digest()) == {}
    C.enumerate_cases(["IsAllowed"])
    assert calls_cache and C._load_calls(C.source_digest())


def test_calls_that_cannot_be_kept_are_no_error(calls_cache, tmp_path, monkeypatch):
    C._calls_path().mkdir()             # the rename onto it fails: the temp file goes
    C.enumerate_cases(["IsAllowed"])
    assert sorted(p for p in tmp_path.iterdir()) == [C._calls_path()]
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("QEMU_MIGRATION_CACHE", str(blocker))   # its folder is a file
    C._save_calls("k", {})
    assert C._load_calls("k") == {}
