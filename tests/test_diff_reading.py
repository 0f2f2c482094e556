"""What ``diff`` keeps of a run (``diff.reading``) is the signature of its whole outcome,
and the batch that reads runs (``cases.readings``) computes what one process does, here,
in a forked worker, or from the outcomes the process already knows."""
import marshal
import os

import pytest

from conftest import untraced

from qemu_migration.analysis import cases as C
from qemu_migration.analysis import diff as D
from qemu_migration.engine import batch as B
from qemu_migration.engine.runner import record_call, run_call
from qemu_migration.port import VERSION_NAMES


def _sample():
    """Every 11th case of every entry point (faults and fault-free, each function)."""
    return C.enumerate_cases()[::11]


@pytest.fixture(scope="module")
def sample():
    return _sample()


@untraced
def test_reading_a_recorded_run_is_the_signature_of_its_whole_outcome(sample):
    sigs = []
    for v in VERSION_NAMES:
        for c in sample:
            got = D.reading(record_call(c.make_world(), v, c.call))
            assert got == D.signature(run_call(c.make_world(), v, c.call)), (v, c.id)
            sigs.append(got)
    # the sample reaches every part of a signature with and without a value
    assert {s[1] for s in sigs} == {True, False}
    assert any(s[2] is None for s in sigs) and any(s[2] for s in sigs)      # error set
    assert any(s[4] > 1 for s in sigs)                                      # errors raised
    assert any(s[5] for s in sigs) and any(not s[5] for s in sigs)          # violations
    assert {"(no domain)", "freed"} <= {s[6] for s in sigs if isinstance(s[6], str)}
    assert any(not isinstance(s[6], str) for s in sigs)
    assert any(s[7] for s in sigs) and any(s[8] for s in sigs) and any(s[9] for s in sigs)
    assert any(not s[9] for s in sigs)


def test_reading_an_outcome_dict_or_one_built_whole_reads_the_dict(sample):
    c = next(c for c in sample if c.function == "qemuMigrationPerformJob")
    recorded = record_call(c.make_world(), "post", c.call)
    whole = recorded.as_dict()          # the recorded outcome lets its world go
    assert recorded.world is None
    assert D.reading(recorded) == D.reading(whole) == D.signature(whole)


def test_reading_memos_what_it_put_into_words_up_to_a_bound(sample, monkeypatch):
    """The states, relative states and masked messages a reading makes are kept for the
    next one (a few hundred in a whole diff), never more than the bound: with no room
    nothing is kept and every reading is what it was."""
    cases = [c for c in sample if c.function == "qemuMigrationBegin"][:40]
    for name in ("_STATES", "_MASKED"):
        monkeypatch.setattr(D, name, {})
    kept = [D.reading(record_call(c.make_world(), "post", c.call)) for c in cases]
    assert D._STATES and D._MASKED
    again = [D.reading(record_call(c.make_world(), "post", c.call)) for c in cases]
    assert again == kept
    monkeypatch.setattr(D, "_MEMO_MAX", 0)
    for name in ("_STATES", "_MASKED"):
        monkeypatch.setattr(D, name, {})
    assert [D.reading(record_call(c.make_world(), "post", c.call)) for c in cases] == kept
    assert (D._STATES, D._MASKED) == ({}, {})


@pytest.fixture
def empty_caches(monkeypatch):
    """The module's caches replaced by empty ones for one test (the suite's stay warm)."""
    for name in ("_TEMPLATES", "_OUTCOMES", "_CALLS", "_CASES", "_READINGS"):
        monkeypatch.setattr(C, name, {})


def test_readings_read_known_outcomes_and_let_the_others_go(empty_caches):
    cases = C.enumerate_cases(["IsAllowed"])[:12]
    C._OUTCOMES.clear()                 # the enumeration's fault-free runs forgotten
    known = C.outcomes("post", cases[::3])          # dicts, read as they are
    before = dict(C._OUTCOMES)
    got = C.readings(["pre", "post"], cases, D.reading)
    assert C._OUTCOMES == before        # the runs it made are not kept
    assert got == [[D.signature(run_call(c.make_world(), v, c.call)) for c in cases]
                   for v in ("pre", "post")]
    assert got[1][::3] == [D.signature(o) for o in known]
    with pytest.raises(KeyError):
        C.readings(["later"], cases, D.reading)


@pytest.fixture
def batch():
    cases = C.enumerate_cases(["IsAllowed", "PrepareTunnel"])
    return [(v, c) for v in ("pre", "post") for c in cases[::3]]


def test_a_worker_reads_its_span_of_the_batch_and_sends_that(batch, monkeypatch):
    """What a forked worker does with a reader, here in the process (coverage sees no
    forked child): only the readings go back, marshalled."""
    monkeypatch.setattr(C, "_BATCH", batch)
    monkeypatch.setattr(C, "_READ", D.reading)
    got = marshal.loads(C._worker((2, 7)))
    assert got == [D.reading(record_call(c.make_world(), v, c.call)) for v, c in batch[2:7]]


def test_read_jobs_default_to_two_on_two_cores_and_follow_the_environment(monkeypatch):
    monkeypatch.delenv("QEMU_MIGRATION_JOBS", raising=False)
    for cores, n in ((0, 1), (1, 1), (2, 2), (16, 2)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
        assert C.read_jobs() == n
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "3")
    assert C.read_jobs() == 3 and C.jobs() == 3
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "0")
    assert C.read_jobs() == 1 and C.jobs() == 1
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "many")
    with pytest.raises(ValueError, match="QEMU_MIGRATION_JOBS='many'"):
        C.read_jobs()


@pytest.mark.parametrize("count,n", [(0, 2), (1, 2), (64, 2), (200, 2), (200, 3), (130, 1)])
def test_shares_deal_out_every_index_once_in_chunks_in_turn(count, n):
    shares = C._shares(count, n)
    assert len(shares) == n
    assert sorted(i for share in shares for i in share) == list(range(count))
    for k, start in enumerate(range(0, count, C.READ_CHUNK)):
        chunk = list(range(start, min(start + C.READ_CHUNK, count)))
        share = shares[k % n]
        assert share[share.index(start):share.index(start) + len(chunk)] == chunk


@pytest.mark.parametrize("n", [2, 3])
def test_forked_workers_read_what_one_process_reads(batch, monkeypatch, n):
    alone = [D.signature(run_call(c.make_world(), v, c.call)) for v, c in batch]
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "1")
    monkeypatch.setattr(C, "_pool", lambda n: pytest.fail("forked for one process"))
    assert C._read_batch(batch, D.reading) == alone
    monkeypatch.undo()
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", str(n))
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    monkeypatch.setattr(C, "READ_CHUNK", 7)
    assert C._read_batch(batch, D.reading) == alone
    assert C._BATCH == [] and C._READ is None and C._POOL is None   # nothing of it kept


def test_no_fork_or_no_processes_reads_the_batch_here(batch, monkeypatch):
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    alone = [D.signature(run_call(c.make_world(), v, c.call)) for v, c in batch]
    monkeypatch.setattr(B.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert C._read_batch(batch, D.reading) == alone

    def no_processes(n):
        raise OSError("no processes")
    monkeypatch.setattr(C, "_pool", no_processes)
    assert C._read_batch(batch, D.reading) == alone
    assert C._BATCH == [] and C._READ is None


def test_a_registered_version_is_read_here(batch, monkeypatch):
    """A version of compiled C is read in this process (its build is this process's)."""
    from qemu_migration.port import VERSIONS
    monkeypatch.setattr(C, "EXTRA_VERSIONS", {})
    C.register_version("c:same-as-post", "post", VERSIONS["post"].module)
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 1)
    monkeypatch.setattr(C, "_pool", lambda n: pytest.fail("forked for compiled C"))
    pairs = [("c:same-as-post", c) for _, c in batch[:5]]
    assert C._read_batch(pairs, D.reading) == [D.reading(record_call(c.make_world(), "post",
                                                                     c.call))
                                                for _, c in pairs]


def test_ctrl_c_while_reading_stops_the_workers(batch, monkeypatch):
    """A Ctrl-C while this process reads its share (or waits for a worker's): the workers
    are shut down with a second Ctrl-C ignored meanwhile, and nothing of the batch kept."""
    import signal
    calls = []

    class Future:
        def result(self):
            raise KeyboardInterrupt

    class Pool:
        def submit(self, fn, span):
            calls.append(("submit", span,
                          signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
            return Future()

        def shutdown(self, cancel_futures):
            calls.append(("shutdown", cancel_futures, signal.getsignal(signal.SIGINT)))
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    monkeypatch.setattr(C, "_POOL", (1, Pool()))
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        C._read_batch(batch, D.reading)
    theirs = len(C._shares(len(batch), 2)[1])
    assert calls == [("submit", (0, theirs), True), ("shutdown", True, signal.SIG_IGN)]
    assert C._POOL is None and C._BATCH == [] and C._READ is None
    assert signal.getsignal(signal.SIGINT) is before


def test_readings_are_computed_once_per_process(empty_caches, monkeypatch):
    cases = C.enumerate_cases(["IsAllowed"])[:6]
    C._OUTCOMES.clear()
    ran = []
    real = C._read_batch

    def counted(pairs, read):
        ran.append([(v, c.id) for v, c in pairs])
        return real(pairs, read)
    monkeypatch.setattr(C, "_read_batch", counted)
    first = C.readings(["pre", "post"], cases, D.reading)
    # case by case, both versions together
    assert ran == [[(v, c.id) for c in cases for v in ("pre", "post")]]
    assert C.readings(["post", "pre"], cases, D.reading) == first[::-1]
    assert C.readings(["post", "fixed"], cases, D.reading)[0] == first[1]
    assert ran[1:] == [[("fixed", c.id) for c in cases]]
    C.clear_cache()
    assert C._READINGS == {}


@pytest.mark.parametrize("values", [1, 3, 255, 256, 400])
def test_space_masks_of_few_and_of_many_values(values):
    """A dimension's masks, made from a byte per case (fewer than 256 values) or from each
    value's indices (more): the cases that have each value, the values in first-seen
    order."""
    import random
    from qemu_migration.analysis.minimise import Space
    rnd = random.Random(values)
    pts = [{"a": "v%d" % rnd.randrange(values), "b": rnd.choice("xy")} for _ in range(900)]
    pts[-1] = {"b": "x"}            # a case without "a": its value is "-"
    sp = Space(pts)
    for d in ("a", "b"):
        seen = list(dict.fromkeys(p.get(d, "-") for p in pts))
        assert list(sp.order[d]) == seen
        assert sp.masks[d] == {v: sum(1 << i for i, p in enumerate(pts) if p.get(d, "-") == v)
                               for v in seen}
    assert Space([]).masks == {} and Space([], ["a"]).masks == {"a": {}}


def test_every_enumerated_case_is_the_case_make_case_makes():
    """The enumeration makes a fault case from its fault-free base (its id the base's
    with the fault in place of "none"): the very case ``make_case`` makes."""
    for c in C.enumerate_cases():
        state = {k: v for k, v in c.dims.items() if k != "fault"}
        fault = None
        if c.dims["fault"] != C.NO_FAULT:
            stub, n = c.dims["fault"].split("#")
            fault = (stub, int(n))
        made = C.make_case(c.function, state, fault)
        assert (c.id, c.function, c.dims, c.faults.pairs()) == \
            (made.id, made.function, made.dims, made.faults.pairs())
        assert list(c.dims) == list(made.dims)
