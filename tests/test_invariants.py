"""Every invariant of engine/invariants.py, made to fire.

Most fire through a real run: the upstream code at some version breaks them
(the leak in post, the error-count defects, the transient domain PrepareAny
leaves behind), or a deliberately broken port does: the version's own source
with one line changed, run through ``run_call(..., impl=...)``, or a stub
monkeypatched to do the wrong thing.  Each test asserts the exact violations,
name and detail.  A few branches a run cannot reach (the runner always locks a
domain it looked up) are checked on ``invariants.check`` directly.
"""
import importlib.util

import pytest

from conftest import UUID2, Call, cookie_xml, domain_xml, faults, make_vm, make_world
from qemu_migration.engine import invariants, run_call
from qemu_migration.engine.runner import domain_state
from qemu_migration.port import VERSIONS, qemu_domain
from qemu_migration.world.constants import (QEMU_JOB_MODIFY, VIR_DOMAIN_EVENT_STARTED,
                                            VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_UNDEFINE_SOURCE)
from qemu_migration.world.objects import Event
from qemu_migration.world.stubs import StrayClose

ALL = list(VERSIONS)
URI = {"uri": "tcp:dst.example.net:49152"}
LEAKED_OUT = "the call started async job 'migration out' and failed with it still active"


def broken(version, line, instead):
    """The port of ``version`` with its one source line ``line`` replaced: a mistake
    made on purpose, loaded as a module of its own (the real one is untouched)."""
    path = VERSIONS[version].module.__file__
    with open(path) as f:
        text = f.read()
    assert text.count(line) == 1, line
    name = "qemu_migration.port.broken_" + version
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    mod.__package__ = "qemu_migration.port"
    # a "<...>" file name: not a file coverage.py would try to read
    exec(compile(text.replace(line, instead), "<broken %s.py>" % version, "exec"), mod.__dict__)
    return mod


def v(name, detail):
    return {"invariant": name, "detail": detail}


def perform(version, vm, flags=0, fault=(), impl=None, wakeups=(), **args):
    c = Call("qemuMigrationPerformJob", "web1", dict(URI, flags=flags, **args), faults(*fault),
             wakeups=list(wakeups))
    return run_call(make_world(vm), version, c, impl)


def prepare(version, impl=None, fault=(), **args):
    c = Call("qemuMigrationPrepareTunnel", None, dict({"dom_xml": domain_xml()}, **args),
             faults(*fault))
    return run_call(make_world(), version, c, impl)


# --- async-job-leaked ----------------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_async_job_leaked_by_the_refusal_that_goes_to_cleanup(version):
    o = perform(version, make_vm(snapshots=1), VIR_MIGRATE_PEER2PEER)
    if version == "pre":       # pre never looks at snapshots: it migrates
        assert o["return"] == 0 and o["violations"] == []
    elif version == "post":
        assert o["violations"] == [
            v("async-job-leaked", LEAKED_OUT),
            v("refs-unbalanced", "references not owned by the domain list went from 0 to 1")]
    else:
        assert o["return"] == -1 and o["violations"] == []


def test_async_job_leaked_by_a_call_that_returns():
    """A port that never finishes its job on success leaves it behind too."""
    m = broken("fixed", "if qemuMigrationJobFinish(driver, vm) == 0:             # L2250/2268",
               "if False:")
    o = perform("fixed", make_vm(), VIR_MIGRATE_PEER2PEER, impl=m, v3proto=True)
    assert o["return"] == 0
    assert o["violations"] == [
        v("async-job-leaked",
          "the call started async job 'migration out' and returned with it still active"),
        v("refs-unbalanced", "references not owned by the domain list went from 0 to 1")]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("held,wakeups,own", [
    # another thread's migration ends while the call waits; the call starts its own
    ("async", ["end-async"], True),
    # a modify job ends and another thread starts a migration at once; that one ends
    # as well, then the call starts its own
    ("job", ["end-job+start-async", "end-async"], True),
    ("job", ["end-job"], True),
])
def test_async_job_leaked_whatever_the_call_began_with(version, held, wakeups, own):
    """The job left behind is the call's own even when the domain held another thread's
    async job when the call began, or another thread started one while it waited."""
    vm = make_vm(snapshots=1, async_out=held == "async",
                 job=QEMU_JOB_MODIFY if held == "job" else 0)
    o = perform(version, vm, VIR_MIGRATE_PEER2PEER, wakeups=wakeups)
    before_refs = 1 if held else 0
    if version == "post":
        assert o["return"] == -1 and o["after"]["async_job"] == "migration out"
        assert o["violations"] == [
            v("async-job-leaked", LEAKED_OUT),
            v("refs-unbalanced", "references not owned by the domain list went from %d to %d"
              % (before_refs, before_refs + 1))]
    else:
        assert o["after"]["async_job"] == "none" and o["violations"] == []


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("held,wakeups", [
    ("async", []),                          # the job held before is still held: not the call's
    ("job", ["end-job+start-async"]),       # another thread started it while the call waited
])
def test_async_job_of_another_thread_is_not_the_calls(version, held, wakeups):
    vm = make_vm(snapshots=1, async_out=held == "async",
                 job=QEMU_JOB_MODIFY if held == "job" else 0)
    o = perform(version, vm, VIR_MIGRATE_PEER2PEER, wakeups=wakeups)
    assert o["error"]["message"] == ("Timed out during operation: cannot acquire state "
                                     "change lock")
    assert o["after"]["async_job"] == "migration out" and o["violations"] == []


@pytest.mark.parametrize("held_before,others,own", [
    ("none", [], True),
    ("none", ["started"], False),
    ("none", ["started", "ended"], True),
    ("migration out", [], False),
    ("migration out", ["ended"], True),
    ("migration out", ["ended", "started"], False),
])
def test_own_async_job(held_before, others, own):
    assert invariants._own_async(held_before, others) is own


def test_prepare_keeps_its_incoming_job_only_on_success():
    o = prepare("post")
    assert o["return"] == 0 and o["after"]["async_job"] == "migration in"
    assert o["violations"] == []


# --- refs-unbalanced -----------------------------------------------------------------

def test_refs_unbalanced_by_a_stub_that_takes_a_reference(monkeypatch):
    """A ported function that keeps a reference it took: here qemuMigrationIsAllowed's
    auto-destroy lookup made to take one."""
    m = VERSIONS["post"].module
    real = m.qemuProcessAutoDestroyActive

    def takes_a_ref(driver, vm):
        vm.refs += 1
        return real(driver, vm)

    monkeypatch.setattr(m, "qemuProcessAutoDestroyActive", takes_a_ref)
    o = run_call(make_world(make_vm()), "post", Call("qemuMigrationIsAllowed", "web1"))
    assert o["return"] is True
    assert o["violations"] == [
        v("refs-unbalanced", "references not owned by the domain list went from 0 to 1")]


# --- lock-unbalanced -----------------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_lock_unbalanced_when_begin_unlocks_its_callers_domain(version):
    """Begin leaves the domain locked for its caller; a Begin that unlocks it breaks that."""
    m = broken(version, "qemuMigrationCookieFree(mig)                            # L954/975",
               "virDomainObjUnlock(vm)")
    o = run_call(make_world(make_vm()), version, Call("qemuMigrationBegin", "web1"), m)
    assert o["return"] is not None
    assert o["violations"] == [
        v("lock-unbalanced", "domain lock was locked before and is unlocked after")]


@pytest.mark.parametrize("version", ALL)
def test_lock_unbalanced_when_perform_leaves_the_domain_locked(version):
    m = broken(version, "virDomainObjUnlock(vm)                              # L2263/2281",
               "pass")
    o = perform(version, make_vm(), impl=m)
    assert o["return"] == 0
    assert o["violations"] == [v("lock-unbalanced", "domain is left locked")]


@pytest.mark.parametrize("version", ALL)
def test_lock_unbalanced_when_the_driver_lock_is_not_taken_back(monkeypatch, version):
    """qemuDomainObjBeginJobInternal drops the driver lock to wait and takes it back;
    a driver lock stub that does nothing leaves the driver unlocked."""
    monkeypatch.setattr(qemu_domain, "qemuDriverLock", lambda driver: None)
    o = perform(version, make_vm())
    assert o["return"] == 0
    assert o["driver"]["locked"] is False
    assert o["violations"] == [v("lock-unbalanced", "driver lock is not held after the call")]


def _check(function, failed, vm_before, vm_after, world=None, events=()):
    world = world or make_world()
    return invariants.check(function, failed, vm_before and domain_state(vm_before, world.driver),
                            vm_after and domain_state(vm_after, world.driver), world,
                            list(events))


def test_lock_unbalanced_when_begin_locks_a_domain_that_was_not():
    before, after = make_vm(), make_vm()
    before.locked, after.locked = False, True
    assert _check("qemuMigrationBegin", False, before, after) == [
        v("lock-unbalanced", "domain lock was unlocked before and is locked after")]


def test_lock_not_compared_without_a_state_before():
    """IsAllowed on a definition alone has no domain before; one found after (as a
    stand-in) has nothing to be compared with."""
    after = make_vm()
    after.locked = True
    assert _check("qemuMigrationIsAllowed", False, None, after, make_world(after)) == []


# --- error-count ---------------------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("run,ret,detail", [
    # PrepareAny: strdup(dname) failing returns -1 without reporting
    (lambda ver: prepare(ver, dname="web2", fault=[("strdup", 1)]), -1,
     "failed with 0 errors raised"),
    # PerformJob: a failed resume after a failed migration overwrites its error
    (lambda ver: perform(ver, make_vm(), fault=[("doNativeMigrate", 1),
                                               ("qemuProcessStartCPUs", 1)]), -1,
     "failed with 2 errors raised (operation failed: migration job: unexpectedly failed; "
     "out of memory)"),
    # PrepareAny only warns when the cookie cannot be baked (L1067-1073/1088-1094): the
    # reply cookie's copy of the VNC listen address (strdup #2; #1 is the cookie's name,
    # qemu_migration.c:257) runs out of memory, GraphicsAlloc reports it (L236-242)
    (lambda ver: prepare(ver, fault=[("strdup", 2)], dom_xml=domain_xml(graphics="vnc")), 0,
     "succeeded with 1 error raised (out of memory)"),
    # PerformJob ignores a failed event and a failed config removal
    (lambda ver: perform(ver, make_vm(), VIR_MIGRATE_UNDEFINE_SOURCE,
                         fault=[("virDomainDeleteConfig", 1), ("virDomainEventNewFromObj", 1)]),
     0, "succeeded with 2 errors raised (out of memory; cannot remove config "
        "/etc/libvirt/qemu/web1.xml: Permission denied)"),
])
def test_error_count(version, run, ret, detail):
    o = run(version)
    assert o["return"] == ret
    assert o["violations"] == [v("error-count", detail)]


# --- started-event-on-failure --------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_started_event_on_failure(version):
    """A PrepareAny that forgets ``ret = 0`` fails after queueing the 'started' event
    (and, failing, also keeps its incoming job and reports no error)."""
    m = broken(version, "ret = 0                                                 # L1092/1113",
               "pass")
    o = prepare(version, impl=m)
    assert o["return"] == -1
    assert o["driver"]["events"] == [{"type": "started", "detail": 1, "domain": "web1"}]
    assert o["violations"] == [
        v("async-job-leaked",
          "the call started async job 'migration in' and failed with it still active"),
        v("error-count", "failed with 0 errors raised"),
        v("started-event-on-failure", "a 'started' event was queued although the call failed")]


def test_started_event_counts_only_on_failure():
    events = [Event(VIR_DOMAIN_EVENT_STARTED, 1, "web1")]
    w = make_world()
    w.errors.append(object())
    assert _check("qemuMigrationPrepareTunnel", True, None, None, w, events) == [
        v("started-event-on-failure", "a 'started' event was queued although the call failed")]
    assert _check("qemuMigrationPrepareTunnel", False, None, None, make_world(), events) == []


# --- transient-left-behind -----------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_transient_left_behind(version):
    """EatCookie fails (its cookie cannot learn the host UUID, qemu_migration.c:263-266)
    after virDomainAssignDef and before the job starts: PrepareAny's ``goto cleanup``
    (L1016-1017/1037-1039) never removes the new transient domain."""
    o = prepare(version, fault=[("virGetHostUUID", 1)])
    assert o["return"] == -1
    assert o["violations"] == [
        v("transient-left-behind",
          "failed prepare left inactive transient domain 'web1' in the domain list")]


@pytest.mark.parametrize("version", ALL)
def test_transient_left_behind_with_no_fault(version):
    """The same defect reached by input alone: a renamed prepare whose source cookie still
    names the old domain is refused by the cookie's name check (qemu_migration.c:482-486)
    on that same path."""
    o = prepare(version, dname="web2", cookiein=cookie_xml(name="web1"))
    assert o["return"] == -1 and o["faults"] == []
    assert o["error"]["message"] == ("internal error Incoming cookie data had unexpected "
                                     "name web1 vs web2")
    assert o["violations"] == [
        v("transient-left-behind",
          "failed prepare left inactive transient domain 'web2' in the domain list")]


# --- use-after-free ------------------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_use_after_free(version):
    """A PerformJob that forgets ``vm = NULL`` after removing the migrated transient
    domain (whose last reference that dropped) unlocks the freed domain in cleanup."""
    m = broken(version, "vm = NULL                                           # L2258/2276",
               "pass")
    o = perform(version, make_vm(persistent=False), impl=m)
    assert o["return"] == 0 and o["after"]["exists"] is False
    assert o["violations"] == [v("use-after-free", "freed domain touched by virDomainObjUnlock")]


# --- fd-leaked -----------------------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_fd_leaked(version):
    """A tunnelled PrepareAny that does not close the read end of its pipe."""
    m = broken(version, "VIR_FORCE_CLOSE(dataFD, 0)                              # L1096/1117",
               "pass")
    o = prepare(version, impl=m)
    assert o["return"] == 0
    assert o["violations"] == [v("fd-leaked", "descriptors left open: 20")]


def test_fd_leaked_only_by_the_call_that_opened_it():
    """A descriptor an earlier call left open is that call's leak, not the next one's."""
    m = broken("post", "VIR_FORCE_CLOSE(dataFD, 0)                              # L1096/1117",
               "pass")
    w = make_world()
    first = run_call(w, "post", Call("qemuMigrationPrepareTunnel", None,
                                     {"dom_xml": domain_xml()}), m)
    second = run_call(w, "post", Call("qemuMigrationPrepareTunnel", None,
                                      {"dom_xml": domain_xml(name="web2", uuid=UUID2)}))
    assert first["violations"] == [v("fd-leaked", "descriptors left open: 20")]
    assert second["return"] == 0 and second["violations"] == []


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("line, instead", [
    ("dataFD = [-1, -1]", "dataFD = [-1, +1]"),     # never opened: stdout in C
    ("dataFD[1] = -1   ", "dataFD[1] = +1   "),     # the stream owns it now
])
def test_closing_a_descriptor_nothing_opened_is_a_porting_mistake(version, line, instead):
    """Not an outcome but a broken port: VIR_FORCE_CLOSE of fd 1 closes stdout in C."""
    text = open(VERSIONS[version].module.__file__).read()
    [full] = [l.strip() for l in text.splitlines() if l.strip().startswith(line.strip())]
    m = broken(version, full, full.replace(line.strip(), instead.strip()))
    # the initial value is closed only when pipe() fails and leaves it as it was
    fault = (("pipe", 1),) if line.startswith("dataFD =") else ()
    with pytest.raises(StrayClose, match=r"qemuMigrationPrepareAny: closes descriptor 1, "
                                         r"which nothing opened"):
        prepare(version, impl=m, fault=fault)
    prepare(version, fault=fault)      # the port as it is closes only what it opened


def test_every_invariant_has_a_firing_test():
    """The list of invariants is the one this file makes fire, no more."""
    assert invariants.INVARIANTS == [
        "async-job-leaked", "refs-unbalanced", "lock-unbalanced", "error-count",
        "started-event-on-failure", "transient-left-behind", "use-after-free", "fd-leaked"]

