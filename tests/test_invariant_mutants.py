"""engine/invariants.check on hand-made states: each condition of each invariant on
both sides of its boundary, and the detail text.  Written to kill the mutants of
engine/invariants.py (tools/mutation.py), so each test pins one condition."""
from types import SimpleNamespace

import pytest

from qemu_migration.engine.invariants import check
from qemu_migration.world.constants import VIR_DOMAIN_EVENT_STARTED

BEGIN = "qemuMigrationBegin"
PERFORM = "qemuMigrationPerformJob"
TUNNEL = "qemuMigrationPrepareTunnel"
DIRECT = "qemuMigrationPrepareDirect"


def state(**kw):
    s = {"exists": True, "async_job": "none", "refs": 1, "in_list": 1, "locked": False,
         "persistent": True, "id": 1, "name": "dom"}
    s.update(kw)
    return s


def world(errors=(), **kw):
    w = SimpleNamespace(others_async=[], others_refs=0,
                        driver=SimpleNamespace(locked=True),
                        errors=[SimpleNamespace(message=m) for m in errors],
                        touched_freed=[], fds_open=set(), fds_at_start=set())
    for k, v in kw.items():
        setattr(w, k, v)
    return w


def found(function=BEGIN, failed=False, before=None, after=None, w=None, events=()):
    """{invariant: detail} of the violations."""
    out = check(function, failed, state() if before is None else before,
                state() if after is None else after, w or world(["x"] if failed else []),
                list(events))
    names = [v["invariant"] for v in out]
    assert len(names) == len(set(names)), out
    return {v["invariant"]: v["detail"] for v in out}


def test_a_clean_call_has_no_violation():
    assert found() == {}
    assert found(failed=True) == {}
    assert check(BEGIN, False, None, state(), world(), []) == []


# async-job-leaked

def test_an_async_job_started_and_left_is_leaked():
    after = state(async_job="migration out")
    assert found(after=after) == {"async-job-leaked": "the call started async job "
                                  "'migration out' and returned with it still active"}
    assert found(failed=True, after=after)["async-job-leaked"].endswith(
        "and failed with it still active")
    assert "async-job-leaked" in check(PERFORM, False, None, after, world(), [])[0]["invariant"]


def test_no_leak_when_the_domain_is_gone_or_another_thread_started_it():
    gone = state(exists=False, async_job="migration out", refs=9, locked=True)
    assert found(function=DIRECT, after=gone) == {}
    assert found(after=state(async_job="migration out"),
                 w=world(others_async=["started"])) == {}
    assert found(after=state(async_job="migration out"),
                 w=world(others_async=["started", "ended"]))["async-job-leaked"]


def test_the_async_job_held_before_is_the_calls_only_once_another_thread_ended_it():
    out = state(async_job="migration out")
    assert found(before=out, after=out) == {}
    assert found(before=out, after=out, w=world(others_async=["ended"])) == {
        "async-job-leaked": "the call started async job 'migration out' and returned "
                            "with it still active"}
    assert found(before=out, after=state(async_job="migration in"),
                 w=world(others_async=["ended", "started"])) == {}


def test_a_successful_prepare_keeps_migration_in_on_purpose():
    after = state(async_job="migration in")
    for prepare in (TUNNEL, DIRECT):
        assert found(function=prepare, after=after) == {}
        assert "async-job-leaked" in found(function=prepare, failed=True, after=after)
        assert "async-job-leaked" in found(function=prepare,
                                           after=state(async_job="migration out"))
    assert "async-job-leaked" in found(function=BEGIN, after=after)


# refs-unbalanced

def test_a_reference_taken_and_kept_is_unbalanced():
    assert found(after=state(refs=2)) == {
        "refs-unbalanced": "references not owned by the domain list went from 0 to 1"}
    assert found(before=state(refs=3), after=state(refs=2))["refs-unbalanced"].endswith(
        "from 2 to 1")
    assert found(before=state(refs=1, in_list=0), after=state(refs=1))[
        "refs-unbalanced"].endswith("from 1 to 0")
    # with no state before, the call held none
    assert check(BEGIN, False, None, state(refs=2), world(), [])[0]["detail"].endswith(
        "from 0 to 1")
    assert check(BEGIN, False, None, state(refs=1), world(), []) == []


def test_references_other_threads_hold_are_not_the_calls():
    assert found(after=state(refs=3), w=world(others_refs=2)) == {}
    assert found(after=state(refs=3), w=world(others_refs=1))["refs-unbalanced"].endswith(
        "from 0 to 1")


# lock-unbalanced

def test_begin_leaves_the_domain_lock_as_it_was():
    assert found(before=state(locked=True), after=state(locked=False)) == {
        "lock-unbalanced": "domain lock was locked before and is unlocked after"}
    assert found(before=state(locked=False), after=state(locked=True)) == {
        "lock-unbalanced": "domain lock was unlocked before and is locked after"}
    assert found(before=state(locked=True), after=state(locked=True)) == {}
    # nothing to compare with when there was no domain before
    assert check(BEGIN, False, None, state(locked=True), world(), []) == []


@pytest.mark.parametrize("function", [PERFORM, TUNNEL, DIRECT])
def test_perform_and_prepare_leave_the_domain_unlocked(function):
    assert found(function, before=state(locked=False), after=state(locked=True)) == {
        "lock-unbalanced": "domain is left locked"}
    assert found(function, before=state(locked=True), after=state(locked=False)) == {}


def test_the_driver_lock_is_held_after_every_call():
    for locked in (False, None):
        assert found(w=world(driver=SimpleNamespace(locked=locked))) == {
            "lock-unbalanced": "driver lock is not held after the call"}
    gone = state(exists=False)
    assert "lock-unbalanced" in found(after=gone, w=world(driver=SimpleNamespace(locked=0)))


# error-count

def test_a_failure_raises_exactly_one_error():
    assert found(failed=True, w=world()) == {"error-count": "failed with 0 errors raised"}
    assert found(failed=True, w=world(["a"])) == {}
    assert found(failed=True, w=world(["a", "b"])) == {
        "error-count": "failed with 2 errors raised (a; b)"}


def test_a_success_raises_none():
    assert found(w=world(["a"])) == {"error-count": "succeeded with 1 error raised (a)"}
    assert found(w=world(["a", "b"])) == {"error-count": "succeeded with 2 errors raised (a; b)"}


# started-event-on-failure

def test_no_started_event_for_a_failed_call():
    started = SimpleNamespace(type=VIR_DOMAIN_EVENT_STARTED)
    other = SimpleNamespace(type=VIR_DOMAIN_EVENT_STARTED + 1)
    assert found(failed=True, events=[other, started]) == {
        "started-event-on-failure": "a 'started' event was queued although the call failed"}
    assert found(failed=True, events=[other]) == {}
    assert found(failed=False, events=[started]) == {}


# transient-left-behind

def transient(**kw):
    return state(**{"persistent": False, "in_list": 1, "refs": 1, "id": -1, "name": "t", **kw})


@pytest.mark.parametrize("function", [TUNNEL, DIRECT])
def test_a_failed_prepare_leaves_no_new_inactive_transient(function):
    detail = "failed prepare left inactive transient domain 't' in the domain list"
    assert found(function, True, before=state(in_list=0, refs=0), after=transient()) == {
        "transient-left-behind": detail}
    assert check(function, True, None, transient(), world(["x"]), []) == [
        {"invariant": "transient-left-behind", "detail": detail}]


@pytest.mark.parametrize("before, after, failed, function", [
    (state(in_list=0, refs=0), transient(), False, TUNNEL),          # it succeeded
    (state(in_list=0, refs=0), transient(), True, PERFORM),          # not a prepare
    (state(in_list=0, refs=0), state(id=-1, name="t"), True, DIRECT),  # persistent
    (transient(), transient(), True, DIRECT),                        # was there before
    (state(in_list=0, refs=0), transient(id=3), True, DIRECT),       # running
    (state(in_list=0, refs=0), transient(id=0), True, DIRECT),
    (state(in_list=0, refs=0), transient(id=-2), True, DIRECT),
])
def test_what_is_not_a_transient_left_behind(before, after, failed, function):
    assert "transient-left-behind" not in found(function, failed, before=before, after=after)


def test_a_transient_out_of_the_list_is_not_left_behind():
    after = transient()
    after["in_list"] = 0
    after["refs"] = 0
    assert found(DIRECT, True, before=state(in_list=0, refs=0), after=after) == {}


# use-after-free, fd-leaked

def test_a_freed_domain_touched():
    assert found(w=world(touched_freed=["virDomainObjUnlock", "virDomainObjUnref"])) == {
        "use-after-free": "freed domain touched by virDomainObjUnlock, virDomainObjUnref"}


def test_descriptors_left_open():
    assert found(w=world(fds_open={12, 3})) == {"fd-leaked": "descriptors left open: 3, 12"}
    # one that was open when the call began is an earlier call's leak
    assert found(w=world(fds_open={12, 3}, fds_at_start={3})) == {
        "fd-leaked": "descriptors left open: 12"}
    assert found(w=world(fds_open={3}, fds_at_start={3, 4})) == {}


def test_violations_come_in_the_documented_order():
    out = check(TUNNEL, True, None, state(async_job="migration in", refs=5, locked=True,
                                          persistent=False, id=-1, name="t"),
                world(driver=SimpleNamespace(locked=False), touched_freed=["f"],
                      fds_open={4}),
                [SimpleNamespace(type=VIR_DOMAIN_EVENT_STARTED)])
    assert [v["invariant"] for v in out] == [
        "async-job-leaked", "refs-unbalanced", "lock-unbalanced", "transient-left-behind",
        "lock-unbalanced", "error-count", "started-event-on-failure", "use-after-free",
        "fd-leaked"]
