"""What ``diff`` keeps of a run (``diff.reading``) is the signature of its whole outcome,
and the batch that reads runs (``cases.readings``) computes what one process does, here,
in a forked worker, or from the outcomes the process already knows."""
import marshal

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.analysis import diff as D
from qemu_migration.engine.runner import record_call, run_call
from qemu_migration.port import VERSION_NAMES


def _sample():
    """Every 11th case of every entry point (faults and fault-free, each function)."""
    return C.enumerate_cases()[::11]


@pytest.fixture(scope="module")
def sample():
    return _sample()


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
    for name in ("_WORDS", "_RELATIVE", "_MASKED"):
        monkeypatch.setattr(D, name, {})
    kept = [D.reading(record_call(c.make_world(), "post", c.call)) for c in cases]
    assert D._WORDS and D._RELATIVE and D._MASKED
    again = [D.reading(record_call(c.make_world(), "post", c.call)) for c in cases]
    assert again == kept
    monkeypatch.setattr(D, "_MEMO_MAX", 0)
    for name in ("_WORDS", "_RELATIVE", "_MASKED"):
        monkeypatch.setattr(D, name, {})
    assert [D.reading(record_call(c.make_world(), "post", c.call)) for c in cases] == kept
    assert (D._WORDS, D._RELATIVE, D._MASKED) == ({}, {}, {})


@pytest.fixture
def empty_caches(monkeypatch):
    """The module's caches replaced by empty ones for one test (the suite's stay warm)."""
    for name in ("_TEMPLATES", "_OUTCOMES", "_CALLS", "_CASES"):
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


def test_forked_workers_read_what_one_process_reads(batch, monkeypatch):
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "1")
    alone = C._run_batch(batch, D.reading)
    assert alone == [D.signature(run_call(c.make_world(), v, c.call)) for v, c in batch]
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "PARALLEL_MIN", 10)
    assert C._run_batch(batch, D.reading) == alone
    assert C._BATCH == [] and C._READ is None       # nothing of the batch is kept
    assert C._run_batch(batch) == [C._run(v, c) for v, c in batch]   # and whole again
