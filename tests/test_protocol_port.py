"""port/protocol.py: qemuMigrationPerform, qemuMigrationPerformPhase, qemuMigrationFinish and
qemuMigrationConfirm, called through a host's unit (port/unit.py) on worlds loaded from the
fixtures, as the driver entry points call them: the domain locked, the driver locked.

The same code serves the three versions; the tests that do not depend on a version's own
functions run on all three, so that the unit's binding is checked for each.  Where a branch
needs a callee to do what no stub of this world does (QEMU quitting in the middle of a
migration, a resume that fails without an error, a cookie that cannot be encoded), the
test puts a double in the unit's scope for that test only, and says what it stands for.
"""
import os

import pytest

from conftest import SOURCE_HOSTUUID, cookie_xml
from qemu_migration.loader import load_domain, load_status
from qemu_migration.paths import fixtures_dir
from qemu_migration.port import VERSION_NAMES, protocol
from qemu_migration.port.unit import unit
from qemu_migration.world import stubs
from qemu_migration.world.constants import (QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_NONE,
                                            QEMU_MIGRATION_PHASE_BEGIN3,
                                            QEMU_MIGRATION_PHASE_CONFIRM3,
                                            QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED,
                                            QEMU_MIGRATION_PHASE_FINISH2,
                                            QEMU_MIGRATION_PHASE_FINISH3,
                                            QEMU_MIGRATION_PHASE_NONE,
                                            QEMU_MIGRATION_PHASE_PERFORM3_DONE,
                                            VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION,
                                            VIR_DOMAIN_PAUSED_USER, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_RUNNING_MIGRATED,
                                            VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,
                                            VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED,
                                            VIR_DOMAIN_SHUTOFF_MIGRATED,
                                            VIR_MIGRATE_CHANGE_PROTECTION, VIR_MIGRATE_LIVE,
                                            VIR_MIGRATE_PAUSED, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_PERSIST_DEST, VIR_MIGRATE_TUNNELLED)
from qemu_migration.world.hosts import Connection, Domain, Host
from qemu_migration.world.objects import STARTED_ELSEWHERE, Driver, Ptr
from qemu_migration.world.runtime import FaultPlan, NoSuchLabel, World

ALL = VERSION_NAMES
DOMAINS = fixtures_dir() / "domains"
WEB1 = "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a"
FILES1 = "7cc77d38-6d29-4833-ba8a-dfd01470e4a3"
DEST_URI = "qemu+tcp://dest.example.org/system"
NATIVE_URI = "tcp:dest.example.org:49152"
MIGRATION_FAILED = "operation failed: migration job: unexpectedly failed"
OOM = "out of memory"


# --- worlds --------------------------------------------------------------------------

def source(*files, refs=None, persistent=True):
    """The source host: its domains loaded from fixtures/domains, its own host name and
    UUID (a destination's cookie must name another host)."""
    return _host(Driver(hostname="src.example.org", hostuuid=SOURCE_HOSTUUID), files, refs,
                 persistent)


def destination(*files, refs=None, persistent=True):
    return _host(Driver(hostname="dest.example.org"), files, refs, persistent)


def _host(driver, files, refs, persistent):
    for f in files:
        path = DOMAINS / f
        vm = load_status(path) if f.endswith(".status.xml") else _defined(path)
        vm.persistent = persistent
        if refs is not None:
            vm.refs = refs
        driver.domains[vm.def_.uuid] = vm
    driver.nextvmid = max([vm.def_.id for vm in driver.domains.values()] + [0]) + 1
    return World(driver)


def _defined(path):
    from qemu_migration.world.objects import DomainObj
    return DomainObj(def_=load_domain(path), persistent=True, refs=1)


def vm_of(w, uuid=WEB1):
    vm = w.driver.domains[uuid]
    vm.locked = True          # the entry points hand the domain over locked
    return vm


def dest_cookie(name="web1", uuid=WEB1):
    """What the destination's Finish bakes for the source's Confirm (flags 0)."""
    text = cookie_xml(name, uuid, hostname="dest.example.org",
                      hostuuid="3f6c2b1a-7d8e-4c90-b1a2-c3d4e5f60718")
    return text, len(text) + 1


def source_cookie(name="web1", uuid=WEB1):
    """What the source's Perform bakes for the destination's Finish."""
    text = cookie_xml(name, uuid, hostname="src.example.org", hostuuid=SOURCE_HOSTUUID)
    return text, len(text) + 1


def dconn(version, w):
    return Connection(Host("destination", version, w, DEST_URI))


def called(w, depth=1):
    """The names called at ``depth`` (1: what the function under test called), in order."""
    return [e.name for e in w.trace if e.depth == depth]


def errors(w):
    return [e.message for e in w.errors]


def run(w, fn, *args, fault=()):
    w.reset_run(FaultPlan.of(fault))
    with w.activate():
        return fn(*args)


def double(monkeypatch, version, name, fn):
    """Put ``fn`` in place of ``name`` in the scope of the version's unit's protocol.py
    functions, for this test only."""
    scope = unit(version).qemuMigrationFinish.__wrapped__.__globals__
    monkeypatch.setitem(scope, name, fn)


# --- the module and the unit ---------------------------------------------------------

def test_unit_lists_the_four_functions_in_upstream_order():
    assert protocol.UNIT == ["qemuMigrationPerformPhase", "qemuMigrationPerform",
                             "qemuMigrationFinish", "qemuMigrationConfirm"]


@pytest.mark.parametrize("version", ALL)
def test_the_unit_binds_them_to_the_version(version):
    u = unit(version)
    scope = u.qemuMigrationPerform.__wrapped__.__globals__
    assert scope["qemuMigrationPerformJob"] is u.qemuMigrationPerformJob
    assert scope["qemuMigrationPerformPhase"] is u.qemuMigrationPerformPhase
    assert scope["qemuMigrationJobFinish"] is u.qemuMigrationJobFinish
    assert u.qemuMigrationConfirm.__wrapped__.__code__ is \
        protocol.qemuMigrationConfirm.__wrapped__.__code__


# --- qemuMigrationPerform: which perform ---------------------------------------------

@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("flags", [VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_TUNNELLED,
                                   VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED])
def test_perform_refuses_a_cookie_with_p2p(version, flags):
    w = source("web1.status.xml")
    vm = vm_of(w)
    text, n = source_cookie()
    ret = run(w, unit(version).qemuMigrationPerform, w.driver, None, vm, None, DEST_URI, None,
              text, n, Ptr(), Ptr(), flags, None, 0, True)
    assert ret == -1
    assert errors(w) == ["Requested operation is not valid: "
                         "received unexpected cookie with P2P migration"]
    assert called(w, 0) == ["qemuMigrationPerform"] and called(w) == []
    # nothing touched: no job, still locked (the caller unlocks)
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE and vm.locked and vm.refs == 1


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("flags,v3proto", [(VIR_MIGRATE_PEER2PEER, True),
                                           (VIR_MIGRATE_TUNNELLED, False),
                                           (VIR_MIGRATE_PEER2PEER, False)])
def test_perform_p2p_goes_to_perform_job(version, flags, v3proto):
    """Peer-to-peer or tunnelled, whatever v3proto: PerformJob (which finds the domain shut
    off here, on every version, before anything peer-to-peer)."""
    w = source("mail1.xml")
    vm = w.driver.find_by_name("mail1")
    vm.locked = True
    ret = run(w, unit(version).qemuMigrationPerform, w.driver, None, vm, None, DEST_URI, None,
              None, 0, Ptr(), Ptr(), flags, None, 0, v3proto)
    assert ret == -1
    assert errors(w) == ["Requested operation is not valid: domain is not running"]
    assert called(w) == ["qemuMigrationPerformJob"]
    assert "qemuMigrationJobFinish" in called(w, 2)
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE and not vm.locked


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("v3proto", [True, False])
@pytest.mark.parametrize("dconnuri", [DEST_URI, ""])
def test_perform_refuses_dconnuri_without_p2p(version, v3proto, dconnuri):
    """An empty dconnuri is a pointer all the same: refused."""
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = run(w, unit(version).qemuMigrationPerform, w.driver, None, vm, None, dconnuri,
              NATIVE_URI, None, 0, Ptr(), Ptr(), VIR_MIGRATE_LIVE, None, 0, v3proto)
    assert ret == -1
    assert errors(w) == ["internal error Unexpected dconnuri parameter with non-peer2peer "
                         "migration"]
    assert called(w) == [] and vm.locked and vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE


@pytest.mark.parametrize("version", ALL)
def test_perform_v2_native_is_perform_job(version):
    w = source("web1.status.xml")
    vm = vm_of(w)
    cookieout = Ptr()
    ret = run(w, unit(version).qemuMigrationPerform, w.driver, None, vm, None, None,
              NATIVE_URI, None, 0, cookieout, Ptr(), VIR_MIGRATE_LIVE, None, 0, False)
    assert ret == 0 and w.errors == []
    assert called(w) == ["qemuMigrationPerformJob"]
    # v2: PerformJob stops the source itself
    assert "doNativeMigrate" in called(w, 2) and "qemuProcessStop" in called(w, 2)
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_MIGRATED,
                                                 -1)


@pytest.mark.parametrize("version", ALL)
def test_perform_v3_native_is_perform_phase(version):
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = run(w, unit(version).qemuMigrationPerform, w.driver, None, vm, None, None,
              NATIVE_URI, None, 0, Ptr(), Ptr(), VIR_MIGRATE_LIVE, None, 0, True)
    assert ret == 0
    assert called(w) == ["qemuMigrationPerformPhase"]
    assert "qemuMigrationPerformJob" not in called(w, 2)


# --- qemuMigrationPerformPhase -------------------------------------------------------

PERFORM_PHASE_OK = ["qemuMigrationJobStart", "qemuMigrationJobStartPhase", "virDomainObjGetState",
                    "doNativeMigrate", "qemuMigrationJobSetPhase", "qemuMigrationJobContinue",
                    "virDomainObjUnlock"]


def perform_phase(version, w, vm, flags=VIR_MIGRATE_LIVE, fault=(), cookieout=None):
    return run(w, unit(version).qemuMigrationPerformPhase, w.driver, None, vm, NATIVE_URI,
               None, 0, cookieout or Ptr(), Ptr(), flags, 0, fault=fault)


@pytest.mark.parametrize("version", ALL)
def test_perform_phase_starts_the_job_and_keeps_it_for_confirm(version):
    w = source("web1.status.xml")
    vm = vm_of(w)
    cookieout = Ptr()
    ret = perform_phase(version, w, vm, cookieout=cookieout)
    assert ret == 0 and w.errors == []
    assert called(w) == PERFORM_PHASE_OK
    job = vm.privateData.job
    assert (job.asyncJob, job.phase) == (QEMU_ASYNC_JOB_MIGRATION_OUT,
                                         QEMU_MIGRATION_PHASE_PERFORM3_DONE)
    # JobStart's and StartPhase's references, Continue gives one back: the job keeps one
    assert vm.refs == 2 and not vm.locked
    # the migration completed: the source guest is paused, not stopped (Confirm stops it)
    assert (vm.state, vm.reason) == (VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION)
    assert [e.type for e in w.driver.events] == [3]           # suspended (migrated)
    assert cookieout.value == "<qemu-migration name='web1'/>"
    assert w.driver.domains[WEB1] is vm


@pytest.mark.parametrize("version", ALL)
def test_perform_phase_with_change_protection_uses_begins_job(version):
    """Begin3 started the job (and JobContinue dropped its reference): PerformPhase checks
    it is there and starts no other."""
    w = source("files1.begin3.status.xml", refs=1)
    vm = vm_of(w, FILES1)
    ret = perform_phase(version, w, vm, VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION)
    assert ret == 0
    assert called(w) == ["qemuMigrationJobIsActive"] + PERFORM_PHASE_OK[1:]
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_PERFORM3_DONE
    assert vm.refs == 1


@pytest.mark.parametrize("version", ALL)
def test_perform_phase_with_change_protection_and_no_job(version):
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = perform_phase(version, w, vm, VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION)
    assert ret == -1
    assert errors(w) == ["Requested operation is not valid: domain 'web1' is not being migrated"]
    assert called(w) == ["qemuMigrationJobIsActive", "virDomainObjUnlock"]
    assert vm.refs == 1 and not vm.locked and vm.state == VIR_DOMAIN_RUNNING


@pytest.mark.parametrize("version", ALL)
def test_perform_phase_when_the_job_cannot_start(version):
    w = source("backup1.modify.status.xml")
    vm = vm_of(w, "cdeef8e6-8376-48b5-94c3-e4c1044f8e15")
    ret = perform_phase(version, w, vm)
    assert ret == -1
    assert errors(w) == ["Timed out during operation: cannot acquire state change lock"]
    assert called(w) == ["qemuMigrationJobStart", "virDomainObjUnlock"]
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE and vm.refs == 2


@pytest.mark.parametrize("version", ALL)
def test_perform_phase_failure_resumes_a_guest_it_paused(version):
    """A non-live migration pauses the guest first; when it then fails, the guest that was
    running is resumed and the job ended."""
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = perform_phase(version, w, vm, 0, fault=[("doNativeMigrate", 1)])
    assert ret == -1
    assert errors(w) == [MIGRATION_FAILED]
    assert called(w) == ["qemuMigrationJobStart", "qemuMigrationJobStartPhase",
                         "virDomainObjGetState", "doNativeMigrate", "virDomainObjGetState",
                         "qemuProcessStartCPUs", "virDomainEventNewFromObj",
                         "qemuMigrationJobFinish", "virDomainObjUnlock",
                         "qemuDomainEventQueue"]
    assert (vm.state, vm.reason) == (VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATION_CANCELED)
    assert [(e.type, e.detail) for e in w.driver.events] == [(3, 1), (4, 1)]  # suspended, resumed
    job = vm.privateData.job
    assert (job.asyncJob, job.phase) == (QEMU_ASYNC_JOB_NONE, QEMU_MIGRATION_PHASE_NONE)
    # JobFinish drops one of the two references JobStart and StartPhase took (upstream)
    assert vm.refs == 2 and not vm.locked
    assert w.logs == []          # the resume succeeded: nothing logged (L2307-2315)


def test_perform_phase_failure_of_a_live_migration_leaves_the_guest_running():
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = perform_phase("post", w, vm, VIR_MIGRATE_LIVE, fault=[("doNativeMigrate", 1)])
    assert ret == -1 and errors(w) == [MIGRATION_FAILED]
    assert "qemuProcessStartCPUs" not in called(w)
    assert vm.state == VIR_DOMAIN_RUNNING and w.driver.events == []


def test_perform_phase_failure_of_a_paused_guest_does_not_resume_it():
    w = source("report1.status.xml")
    vm = vm_of(w, next(iter(w.driver.domains)))
    ret = perform_phase("fixed", w, vm, 0, fault=[("doNativeMigrate", 1)])
    assert ret == -1 and "qemuProcessStartCPUs" not in called(w)
    assert (vm.state, vm.reason) == (VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER)


def test_perform_phase_resume_failure_is_logged_and_its_error_wins():
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = perform_phase("pre", w, vm, 0, fault=[("doNativeMigrate", 1),
                                                ("qemuProcessStartCPUs", 1)])
    assert ret == -1
    # StartCPUs reports its own error over the migration's (upstream's comment hopes not)
    assert errors(w) == [MIGRATION_FAILED, OOM]
    assert w.logs[-1] == "error: Failed to resume guest web1 after failure"
    assert vm.state == VIR_DOMAIN_PAUSED
    assert [(e.type, e.detail) for e in w.driver.events] == [(3, 1), (4, 1)]


def test_perform_phase_without_an_event():
    w = source("web1.status.xml")
    vm = vm_of(w)
    ret = perform_phase("post", w, vm, 0, fault=[("doNativeMigrate", 1),
                                                 ("virDomainEventNewFromObj", 2)])
    assert ret == -1 and "qemuDomainEventQueue" not in called(w)
    assert [(e.type, e.detail) for e in w.driver.events] == [(3, 1)]


@pytest.mark.parametrize("fail", [False, True])
def test_perform_phase_when_the_domain_goes_away_meanwhile(fail):
    """Another thread removes the domain from the list while QEMU migrates it (Begin3 held
    the job without a reference): the last reference goes at the end, nothing unlocks it."""
    w = source("files1.begin3.status.xml", refs=1)
    vm = vm_of(w, FILES1)
    w.wakeups = ["remove-domain"]
    ret = perform_phase("post", w, vm, VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION,
                        fault=[("doNativeMigrate", 1)] if fail else [])
    assert ret == (-1 if fail else 0)
    assert called(w)[-1] == ("qemuMigrationJobFinish" if fail else "qemuMigrationJobContinue")
    assert vm.refs == 0 and vm.freed and FILES1 not in w.driver.domains
    assert w.touched_freed == []


def test_perform_phase_removes_a_transient_guest_that_quit(monkeypatch):
    """QEMU quits during the migration (double: the monitor's end-of-file handler stops the
    guest, and the migration fails as QEMU reports it): PerformPhase drops the transient
    domain from the list."""
    def quits(driver, vm, *args):
        stubs.qemuProcessStop(driver, vm, 0, VIR_DOMAIN_SHUTOFF_FAILED)
        stubs.qemuReportError(1, "%s", "guest unexpectedly quit")
        return -1
    double(monkeypatch, "post", "doNativeMigrate", quits)
    w = source("web1.status.xml", persistent=False)
    vm = vm_of(w)
    ret = perform_phase("post", w, vm)
    assert ret == -1 and errors(w) == ["internal error guest unexpectedly quit"]
    assert called(w)[-2:] == ["qemuMigrationJobFinish", "virDomainRemoveInactive"]
    assert WEB1 not in w.driver.domains and not vm.locked and vm.refs == 1


def test_perform_phase_keeps_an_inactive_persistent_domain(monkeypatch):
    def quits(driver, vm, *args):
        stubs.qemuProcessStop(driver, vm, 0, VIR_DOMAIN_SHUTOFF_FAILED)
        return -1
    double(monkeypatch, "fixed", "doNativeMigrate", quits)
    w = source("web1.status.xml")
    vm = vm_of(w)
    assert perform_phase("fixed", w, vm) == -1
    assert called(w)[-1] == "virDomainObjUnlock" and w.driver.domains[WEB1] is vm


# --- qemuMigrationFinish -------------------------------------------------------------

def incoming(persistent=False, refs=1):
    """The destination after Prepare: web1 paused for the incoming migration, the
    'migration in' job held (PrepareAny's JobContinue dropped its reference)."""
    w = destination("web1.incoming.status.xml", refs=refs, persistent=persistent)
    return w, vm_of(w)


def finish(version, w, vm, flags=0, retcode=0, v3proto=True, fault=(), cookie=None,
           conn=None, cookieout=None):
    text, n = cookie or source_cookie()
    conn = conn if conn is not None else dconn(version, w)
    return run(w, unit(version).qemuMigrationFinish, w.driver, conn, vm, text, n,
               cookieout if cookieout is not None else Ptr(), Ptr(), flags, retcode, v3proto,
               fault=fault)


FINISH_OK = ["qemuMigrationJobIsActive", "qemuMigrationJobStartPhase", "qemuMigrationEatCookie",
             "qemuMigrationVPAssociatePortProfiles",
             "qemuProcessStartCPUs", "virGetDomain", "virDomainEventNewFromObj",
             "virDomainObjGetState", "virDomainSaveStatus", "qemuProcessAutoDestroyRemove",
             "qemuMigrationBakeCookie", "qemuMigrationJobFinish",
             "virDomainObjUnlock", "qemuDomainEventQueue", "qemuMigrationCookieFree"]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("v3proto", [True, False])
def test_finish_success_runs_the_guest_and_hands_back_a_domain(version, v3proto):
    w, vm = incoming()
    w.driver.autodestroy[WEB1] = STARTED_ELSEWHERE
    conn = dconn(version, w)
    cookieout = Ptr()
    dom = finish(version, w, vm, v3proto=v3proto, conn=conn, cookieout=cookieout)
    assert dom == Domain(conn, "web1", WEB1, -1) and conn.refs == 2
    assert w.errors == []
    assert called(w) == FINISH_OK
    assert (vm.state, vm.reason) == (VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATED)
    job = vm.privateData.job
    assert (job.asyncJob, job.phase) == (QEMU_ASYNC_JOB_NONE, QEMU_MIGRATION_PHASE_NONE)
    assert vm.refs == 1 and not vm.locked and w.driver.domains[WEB1] is vm
    assert [(e.type, e.detail) for e in w.driver.events] == [(4, 1)]   # resumed (migrated)
    assert w.driver.saved_status[-1] == "web1" and w.driver.autodestroy == {}
    assert w.driver.saved_configs == [] and not vm.persistent
    assert "<name>web1</name>" in cookieout.value and "dest.example.org" in cookieout.value
    assert w.logs == []          # the cookie was baked: no warning (L2593-2594)
    assert "<graphics" not in cookieout.value    # baked with no flags (L2593): web1 has vnc


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("v3proto,phase", [(True, QEMU_MIGRATION_PHASE_FINISH3),
                                           (False, QEMU_MIGRATION_PHASE_FINISH2)])
def test_finish_runs_in_phase_finish3_or_finish2(monkeypatch, version, v3proto, phase):
    """The phase Finish starts, as the cookie's reader sees it (a spy in EatCookie's place
    that refuses the cookie, so the job ends right after)."""
    seen = []

    def spy(driver, vm, *args):
        seen.append(vm.privateData.job.phase)
        return None
    double(monkeypatch, version, "qemuMigrationEatCookie", spy)
    w, vm = incoming()
    assert finish(version, w, vm, v3proto=v3proto) is None
    assert seen == [phase]
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_NONE


@pytest.mark.parametrize("persistent,detail", [(False, 0), (True, 1)])
def test_finish_persist_dest_defines_the_domain(persistent, detail):
    """PERSIST_DEST: the domain becomes persistent, its config is saved, and a DEFINED event
    says added (it was transient) or updated (it was already defined here)."""
    w, vm = incoming(persistent=persistent)
    dom = finish("post", w, vm, VIR_MIGRATE_PERSIST_DEST)
    assert dom is not None and w.errors == []
    assert vm.persistent and w.driver.saved_configs == ["web1"]
    assert [(e.type, e.detail) for e in w.driver.events] == [(0, detail), (4, 1)]
    assert vm.newDef is not None and vm.newDef.id == -1 and vm.newDef is not vm.def_
    assert called(w)[4:9] == ["virDomainObjGetPersistentDef", "virDomainSaveConfig",
                               "virDomainEventNewFromObj", "qemuDomainEventQueue",
                               "qemuProcessStartCPUs"]


def test_finish_persist_dest_event_that_cannot_be_built():
    w, vm = incoming()
    dom = finish("pre", w, vm, VIR_MIGRATE_PERSIST_DEST,
                 fault=[("virDomainEventNewFromObj", 1)])
    assert dom is not None
    assert [(e.type, e.detail) for e in w.driver.events] == [(4, 1)]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("persistent", [False, True])
def test_finish_v3_config_save_failure_kills_the_guest(version, persistent):
    """v3: the source can still resume, so the destination stops its guest; a domain that
    was transient is transient again, and goes."""
    w, vm = incoming(persistent=persistent)
    dom = finish(version, w, vm, VIR_MIGRATE_PERSIST_DEST, fault=[("virDomainSaveConfig", 1)])
    assert dom is None
    assert errors(w) == [OOM] and w.errors[0].reporter == "virDomainSaveConfig"
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED,
                                                 -1)
    assert vm.persistent == persistent
    assert (WEB1 in w.driver.domains) == persistent
    assert "qemuProcessStartCPUs" not in called(w) and "virGetDomain" not in called(w)
    assert w.driver.events == [] and w.logs[-1] == "audit: stop reason=failed"
    assert [e.args[2:] for e in w.trace if e.name == "qemuProcessStop"] == [
        (1, VIR_DOMAIN_SHUTOFF_FAILED)]                  # migrated=1 (L2512)


def test_finish_v2_config_save_failure_leaves_the_guest_paused_and_persistent():
    """v2: the source is gone; the guest stays, paused, and the domain is marked
    persistent although its config was not saved (upstream's "Hmpf")."""
    w, vm = incoming()
    dom = finish("post", w, vm, VIR_MIGRATE_PERSIST_DEST, v3proto=False,
                 fault=[("virDomainSaveConfig", 1)])
    assert dom is None and errors(w) == [OOM]
    assert (vm.state, vm.reason) == (VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION)
    assert vm.persistent == 1 and w.driver.domains[WEB1] is vm and not vm.locked
    assert "qemuProcessStop" not in called(w)


@pytest.mark.parametrize("version", ALL)
def test_finish_paused_flag_keeps_the_guest_paused(version):
    w, vm = incoming()
    dom = finish(version, w, vm, VIR_MIGRATE_PAUSED)
    assert dom is not None and w.errors == []
    assert "qemuProcessStartCPUs" not in called(w)
    assert (vm.state, vm.reason) == (VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER)
    # resumed, then suspended (paused): both queued
    assert [(e.type, e.detail) for e in w.driver.events] == [(4, 1), (3, 0)]
    assert called(w)[6:10] == ["virDomainObjGetState", "virDomainObjSetState",
                               "qemuDomainEventQueue", "virDomainEventNewFromObj"]


def test_finish_paused_flag_without_events():
    w, vm = incoming()
    dom = finish("fixed", w, vm, VIR_MIGRATE_PAUSED,
                 fault=[("virDomainEventNewFromObj", 1), ("virDomainEventNewFromObj", 2)])
    assert dom is not None and w.driver.events == []
    assert "qemuDomainEventQueue" not in called(w)


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("v3proto", [True, False])
def test_finish_resume_failure(version, v3proto):
    """The guest does not resume: v3 stops it (the source resumes in Confirm), v2 leaves it
    paused for an administrator; the error is saved and set again at the end."""
    w, vm = incoming()
    dom = finish(version, w, vm, v3proto=v3proto, fault=[("qemuProcessStartCPUs", 1)])
    assert dom is None
    assert errors(w) == [OOM] and w.errors[-1].reporter == "qemuProcessStartCPUs"
    assert called(w)[-3:] == (["qemuMigrationCookieFree", "virSetError", "virFreeError"])
    assert "virGetDomain" not in called(w)
    assert w.last_error is w.errors[0]
    if v3proto:
        assert (vm.state, vm.reason) == (VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED)
        assert [(e.type, e.detail) for e in w.driver.events] == [(5, 5)]  # stopped (failed)
        assert WEB1 not in w.driver.domains
        assert [e.args[2:] for e in w.trace if e.name == "qemuProcessStop"] == [
            (1, VIR_DOMAIN_SHUTOFF_FAILED)]                  # migrated=1 (L2555)
    else:
        assert vm.state == VIR_DOMAIN_PAUSED and w.driver.events == []
        assert w.driver.domains[WEB1] is vm and not vm.locked


@pytest.mark.parametrize("save_fails", [False, True])
def test_finish_puts_back_the_resume_error(save_fails):
    """What upstream saves the error for: a later report (here the STOPPED event that cannot
    be built) overwrites it, and virSetError makes the resume's error the last one again
    (unless it could not be saved)."""
    w, vm = incoming()
    fault = [("qemuProcessStartCPUs", 1), ("virDomainEventNewFromObj", 1)]
    if save_fails:
        fault.append(("virSaveLastError", 1))
    assert finish("post", w, vm, fault=fault) is None
    assert [e.reporter for e in w.errors] == ["qemuProcessStartCPUs",
                                              "virDomainEventNewFromObj"]
    assert w.last_error is w.errors[1 if save_fails else 0]
    assert ("virSetError" in called(w)) is not save_fails
    assert w.errno == (12 if save_fails else 0)      # ENOMEM


def test_finish_resume_failure_without_an_error(monkeypatch):
    """A resume that fails and reports nothing (double) gets upstream's own error."""
    double(monkeypatch, "post", "qemuProcessStartCPUs", lambda *args: -1)
    w, vm = incoming()
    assert finish("post", w, vm) is None
    assert errors(w) == ["internal error resume operation failed"]
    assert w.errors[0].reporter == "qemuMigrationFinish"


def test_finish_domain_handle_that_cannot_be_made():
    """virGetDomain fails: the guest runs here all the same, and Finish returns NULL."""
    w, vm = incoming()
    conn = dconn("fixed", w)
    dom = finish("fixed", w, vm, fault=[("virGetDomain", 1)], conn=conn)
    assert dom is None and errors(w) == [OOM] and w.errors[0].domain == 0
    assert vm.state == VIR_DOMAIN_RUNNING and conn.refs == 1
    assert called(w) == FINISH_OK


def test_finish_without_a_connection():
    w, vm = incoming()
    dom = run(w, unit("pre").qemuMigrationFinish, w.driver, None, vm, *source_cookie(),
              Ptr(), Ptr(), 0, 0, True)
    assert dom is None
    assert errors(w) == ["invalid argument: no connection"]


def test_finish_status_save_failure_still_returns_the_domain():
    """The status is not saved: a warning, the job ends, and the domain handle made before
    is returned all the same; auto-destroy stays registered."""
    w, vm = incoming()
    w.driver.autodestroy[WEB1] = STARTED_ELSEWHERE
    dom = finish("post", w, vm, fault=[("virDomainSaveStatus", 2)])
    assert dom is not None and dom.name == "web1"
    assert errors(w) == [OOM] and w.logs[-1] == "warning: Failed to save status on vm web1"
    assert "qemuProcessAutoDestroyRemove" not in called(w)
    assert "qemuMigrationBakeCookie" not in called(w)
    assert w.driver.autodestroy == {WEB1: STARTED_ELSEWHERE}
    assert [(e.type, e.detail) for e in w.driver.events] == [(4, 1)]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("persistent", [False, True])
def test_finish_after_a_failed_perform_cleans_up(version, persistent):
    """retcode != 0: the incoming guest is stopped; a transient domain goes.  No error is
    raised: Finish returns NULL with none set."""
    w, vm = incoming(persistent=persistent)
    cookieout = Ptr()
    dom = finish(version, w, vm, retcode=-1, cookieout=cookieout)
    assert dom is None and w.errors == []
    assert called(w)[:6] == ["qemuMigrationJobIsActive", "qemuMigrationJobStartPhase",
                             "qemuMigrationEatCookie", "qemuProcessStop", "virDomainAuditStop",
                             "virDomainEventNewFromObj"]
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED,
                                                 -1)
    assert [(e.type, e.detail) for e in w.driver.events] == [(5, 5)]
    assert (WEB1 in w.driver.domains) == persistent
    assert cookieout.value is not None          # baked all the same
    assert [e.args[2:] for e in w.trace if e.name == "qemuProcessStop"] == [
        (1, VIR_DOMAIN_SHUTOFF_FAILED)]                  # migrated=1 (L2586)


def test_finish_without_the_incoming_job():
    w = destination("web1.status.xml")
    vm = vm_of(w)
    dom = finish("post", w, vm)
    assert dom is None
    assert errors(w) == ["Requested operation is not valid: domain 'web1' is not processing "
                         "incoming migration"]
    assert called(w) == ["qemuMigrationJobIsActive", "virDomainObjUnlock",
                         "qemuMigrationCookieFree"]
    assert vm.state == VIR_DOMAIN_RUNNING and vm.refs == 1


def test_finish_with_a_cookie_from_itself():
    """The cookie names this very host: refused, the job ends, the transient guest
    (still paused, still active) stays."""
    w, vm = incoming()
    text = cookie_xml("web1", WEB1, hostname="dest.example.org",
                      hostuuid=w.driver.hostuuid)
    dom = finish("pre", w, vm, cookie=(text, len(text) + 1))
    assert dom is None and len(w.errors) == 1
    assert called(w) == ["qemuMigrationJobIsActive", "qemuMigrationJobStartPhase",
                         "qemuMigrationEatCookie", "qemuMigrationJobFinish",
                         "virDomainObjUnlock", "qemuMigrationCookieFree"]
    assert w.driver.domains[WEB1] is vm and vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE


def test_finish_reads_no_graphics_from_the_cookie():
    """L2475: Finish eats the cookie with no flags, so graphics it carries are not parsed
    (a malformed element included) and the migration finishes."""
    w, vm = incoming()
    text = source_cookie()[0].replace("</qemu-migration>",
                                      "<graphics type='x11' port='1' listen='h'/>\n"
                                      "</qemu-migration>")
    dom = finish("post", w, vm, cookie=(text, len(text) + 1))
    assert dom is not None and w.errors == []
    assert "qemuMigrationCookieGraphicsXMLParse" not in [e.name for e in w.trace]


def test_finish_when_the_guest_quit():
    w, vm = incoming()
    with w.activate():
        stubs.qemuProcessStop(w.driver, vm, 0, VIR_DOMAIN_SHUTOFF_FAILED)
    dom = finish("post", w, vm)
    assert dom is None and errors(w) == ["internal error guest unexpectedly quit"]
    assert called(w)[3:] == ["qemuMigrationJobFinish",
                             "virDomainRemoveInactive",
                             "qemuMigrationCookieFree"]
    assert WEB1 not in w.driver.domains


def test_finish_cookie_that_cannot_be_encoded(monkeypatch):
    """BakeCookie fails (double: the buffer's allocation, which this world does not
    fail): only a warning."""
    double(monkeypatch, "post", "qemuMigrationBakeCookie", lambda *args: -1)
    w, vm = incoming()
    assert finish("post", w, vm) is not None
    assert w.errors == [] and w.logs[-1] == "warning: Unable to encode migration cookie"


def test_finish_when_the_last_reference_goes():
    """JobFinish gives back the last reference (a bare object no list holds: no caller,
    which found the domain in the list, can get here): nothing touches it after."""
    w, vm = incoming(refs=0)
    del w.driver.domains[WEB1]
    dom = finish("post", w, vm)
    assert dom is not None and vm.freed and vm.refs == 0
    assert called(w)[-3:] == ["qemuMigrationJobFinish", "qemuDomainEventQueue",
                              "qemuMigrationCookieFree"]
    assert w.touched_freed == []


# --- qemuMigrationConfirm ------------------------------------------------------------

def performed(version):
    """The source after Perform3: files1's Begin3 job (change protection), migrated."""
    w = source("files1.begin3.status.xml", refs=1)
    vm = vm_of(w, FILES1)
    assert perform_phase(version, w, vm, VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION) == 0
    vm.locked = True         # Confirm3's lookup locks it again
    return w, vm


def confirm(version, w, vm, retcode=0, flags=VIR_MIGRATE_LIVE, fault=(), cookie=None):
    text, n = cookie or dest_cookie("files1", FILES1)
    return run(w, unit(version).qemuMigrationConfirm, w.driver, None, vm, text, n, flags,
               retcode, fault=fault)


@pytest.mark.parametrize("version", ALL)
def test_confirm_success_stops_the_source(version):
    w, vm = performed(version)
    events = len(w.driver.events)
    assert confirm(version, w, vm) == 0 and w.errors == []
    assert called(w) == ["qemuMigrationJobSetPhase", "qemuMigrationEatCookie", "qemuProcessStop",
                         "virDomainAuditStop", "virDomainEventNewFromObj",
                         "qemuMigrationCookieFree", "qemuDomainEventQueue"]
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF,
                                                 VIR_DOMAIN_SHUTOFF_MIGRATED, -1)
    # stopped as migrated (L2648: migrated=1)
    assert [e.args[2:] for e in w.trace if e.name == "qemuProcessStop"] == [
        (1, VIR_DOMAIN_SHUTOFF_MIGRATED)]
    assert [(e.type, e.detail) for e in w.driver.events[events:]] == [(5, 3)]  # stopped
    # the job is the driver's to end (qemuDomainMigrateConfirm3): still there, phase confirm3
    job = vm.privateData.job
    assert (job.asyncJob, job.phase) == (QEMU_ASYNC_JOB_MIGRATION_OUT,
                                         QEMU_MIGRATION_PHASE_CONFIRM3)
    assert vm.locked and w.driver.domains[FILES1] is vm


@pytest.mark.parametrize("version", ALL)
def test_confirm_cancelled_resumes_the_source(version):
    w, vm = performed(version)
    events = len(w.driver.events)
    saved = len(w.driver.saved_status)
    assert confirm(version, w, vm, retcode=-1) == 0 and w.errors == []
    assert called(w) == ["qemuMigrationJobSetPhase", "qemuMigrationEatCookie",
                         "qemuProcessStartCPUs", "virDomainEventNewFromObj",
                         "virDomainSaveStatus", "qemuMigrationCookieFree",
                         "qemuDomainEventQueue"]
    assert (vm.state, vm.reason) == (VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATED)
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED
    assert [(e.type, e.detail) for e in w.driver.events[events:]] == [(4, 1)]
    assert len(w.driver.saved_status) > saved


def test_confirm_resume_failure():
    """The cookie is not freed on this path (upstream leaks it), and no event is queued."""
    w, vm = performed("post")
    events = len(w.driver.events)
    assert confirm("post", w, vm, retcode=-1, fault=[("qemuProcessStartCPUs", 1)]) == -1
    assert errors(w) == [OOM]
    assert called(w) == ["qemuMigrationJobSetPhase", "qemuMigrationEatCookie",
                         "qemuProcessStartCPUs"]
    assert vm.state == VIR_DOMAIN_PAUSED and len(w.driver.events) == events


def test_confirm_resume_failure_without_an_error(monkeypatch):
    double(monkeypatch, "fixed", "qemuProcessStartCPUs", lambda *args: -1)
    w, vm = performed("fixed")
    assert confirm("fixed", w, vm, retcode=1) == -1
    assert errors(w) == ["internal error resume operation failed"]


def test_confirm_status_save_failure():
    w, vm = performed("pre")
    events = len(w.driver.events)
    assert confirm("pre", w, vm, retcode=-1, fault=[("virDomainSaveStatus", 2)]) == -1
    assert errors(w) == [OOM] and w.logs[-1] == "warning: Failed to save status on vm files1"
    assert "qemuMigrationCookieFree" not in called(w)
    # the guest runs again, and its event is queued all the same
    assert vm.state == VIR_DOMAIN_RUNNING
    assert [(e.type, e.detail) for e in w.driver.events[events:]] == [(4, 1)]


def test_confirm_without_an_event():
    w, vm = performed("post")
    events = len(w.driver.events)
    assert confirm("post", w, vm, fault=[("virDomainEventNewFromObj", 1)]) == 0
    assert "qemuDomainEventQueue" not in called(w) and len(w.driver.events) == events


@pytest.mark.parametrize("version", ALL)
def test_confirm_refuses_unknown_flags(version):
    """virCheckFlags: a flag outside QEMU_MIGRATION_FLAGS is refused before anything."""
    w, vm = performed(version)
    assert confirm(version, w, vm, flags=VIR_MIGRATE_LIVE | (1 << 9) | (1 << 12)) == -1
    assert errors(w) == ["invalid argument: qemuMigrationConfirm: unsupported flags (0x1200)"]
    assert w.errors[0].reporter == "qemuMigrationConfirm"
    assert called(w) == [] and vm.privateData.job.phase == QEMU_MIGRATION_PHASE_PERFORM3_DONE


def test_confirm_reads_no_graphics_from_the_cookie():
    """L2641: Confirm eats the cookie with no flags, so graphics it carries are not parsed
    (a malformed element included) and the source is stopped."""
    w, vm = performed("post")
    text = dest_cookie("files1", FILES1)[0].replace(
        "</qemu-migration>", "<graphics type='x11' port='1' listen='h'/>\n</qemu-migration>")
    assert confirm("post", w, vm, cookie=(text, len(text) + 1)) == 0 and w.errors == []
    assert "qemuMigrationCookieGraphicsXMLParse" not in [e.name for e in w.trace]
    assert vm.state == VIR_DOMAIN_SHUTOFF


def test_confirm_with_a_bad_cookie():
    """The cookie names another domain: -1, the phase already set, the guest untouched."""
    w, vm = performed("post")
    assert confirm("post", w, vm, cookie=dest_cookie("web1", FILES1)) == -1
    assert len(w.errors) == 1 and "unexpected name web1 vs files1" in errors(w)[0]
    assert called(w) == ["qemuMigrationJobSetPhase", "qemuMigrationEatCookie"]
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_CONFIRM3
    assert vm.state == VIR_DOMAIN_PAUSED


def test_confirm_after_begin_only_sets_the_phase_forward():
    """Confirm straight after Begin3 (phase begin3): the phase moves on to confirm3."""
    w = source("files1.begin3.status.xml", refs=1)
    vm = vm_of(w, FILES1)
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_BEGIN3
    assert confirm("post", w, vm) == 0
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_CONFIRM3


# --- labels ---------------------------------------------------------------------------

@pytest.mark.parametrize("function", ["qemuMigrationPerformPhase", "qemuMigrationFinish",
                                      "qemuMigrationConfirm"])
def test_a_misspelt_goto_is_caught(monkeypatch, function):
    real = protocol.goto

    def goto(label):
        real(label + "_misspelt")
    monkeypatch.setitem(unit("post").qemuMigrationFinish.__wrapped__.__globals__, "goto", goto)
    w, vm = incoming()
    args = {"qemuMigrationPerformPhase": lambda: perform_phase("post", w, vm),
            "qemuMigrationFinish": lambda: finish("post", w, vm, retcode=-1),
            "qemuMigrationConfirm": lambda: confirm("post", w, vm, retcode=-1,
                                                    cookie=source_cookie())}
    with pytest.raises(NoSuchLabel) as exc:
        args[function]()
    assert exc.value.function == function


# --- the stubs of world/stubs_migration.py that the paths above leave a branch of -------

def test_persistent_def_of_a_domain_that_has_one_or_is_inactive():
    from qemu_migration.world import stubs_migration
    w, vm = incoming(persistent=True)
    kept = vm.def_.copy()
    vm.newDef = kept
    with w.activate():
        assert stubs_migration.virDomainObjGetPersistentDef(w.driver.caps, vm) is kept
        vm.newDef = None
        stubs.qemuProcessStop(w.driver, vm, 0, VIR_DOMAIN_SHUTOFF_FAILED)
        assert stubs_migration.virDomainObjGetPersistentDef(w.driver.caps, vm) is vm.def_
    assert vm.newDef is None


def test_save_config_and_autodestroy_remove_return_exactly_0_or_minus_1():
    # upstream's callers test only "< 0"; the values are domain_conf.c's and
    # qemu_process.c's own (ret = 0 / -1; "return -1" when the hash has no entry)
    from qemu_migration.world import stubs_migration
    w, vm = incoming(persistent=True)
    w.driver.autodestroy[vm.def_.uuid] = STARTED_ELSEWHERE
    w.faults = FaultPlan.of([("virDomainSaveConfig", 2)])
    with w.activate():
        assert stubs_migration.virDomainSaveConfig("/etc/libvirt/qemu", vm.def_) == 0
        assert stubs_migration.virDomainSaveConfig("/etc/libvirt/qemu", vm.def_) == -1
        assert stubs_migration.qemuProcessAutoDestroyRemove(w.driver, vm) == 0
        assert stubs_migration.qemuProcessAutoDestroyRemove(w.driver, vm) == -1
    assert w.driver.saved_configs == [vm.def_.name] and vm.def_.uuid not in w.driver.autodestroy


# --- the line marks, against qemu_migration.c itself (where sources are at hand) -------

def protocol_mark_problems(py_lines, pre_lines, post_lines):
    """The marks ``# L<pre>/<post>`` of ``py_lines`` that point at the wrong C: the two lines
    differ (the functions are the same text at both commits, 18 lines apart), or the
    post line does not hold the code (test_libvirt_port's mark_problems: its longest
    word; ``def_`` is C's ``def``, ``object`` an annotation's stand-in for a C type).  A
    continuation of a ``def`` line packs several parameters, one per C line: it is held
    to its first."""
    import re
    from test_libvirt_port import mark_problems
    problems, post_view = [], []
    in_def = False
    for i, line in enumerate(py_lines, 1):
        m = re.search(r"\bL(\d+)/(\d+)\s*$", line)
        continued = in_def and not line.startswith("def ")
        in_def = (line.startswith("def ") or in_def) and not line.split("#")[0].rstrip().endswith(":")
        if m:
            pre, post = int(m.group(1)), int(m.group(2))
            if post - pre != 18 or pre_lines[pre - 1] != post_lines[post - 1]:
                problems.append((i, "pre/post", line.strip()))
            if continued:
                first = line.split(",")[0].strip()
                if not re.search(r"\b%s\b" % first, post_lines[post - 1]):
                    problems.append((i, "parameter", line.strip()))
                line = ""
        line = re.sub(r"L(\d+)/(\d+)", lambda m: "L" + m.group(2), line)
        post_view.append(line.replace("def_", "def").replace(": object", ""))
    problems += [(i, "line", code) for i, code, _ in mark_problems(post_view, post_lines)]
    return problems


def test_the_protocol_mark_checker_catches_wrong_marks():
    pre = ["x"] * 20 + ["    virFoo(a);", "    return -1;"]
    post = ["x"] * 38 + ["    virFoo(a);", "    return -1;"]
    assert protocol_mark_problems(["    virFoo(a)  # L21/39", "    return -1  # L22/40"],
                                  pre, post) == []
    assert protocol_mark_problems(["    virFoo(a)  # L22/40"], pre, post) == [
        (1, "line", "virFoo(a)")]
    assert protocol_mark_problems(["    virFoo(a)  # L21/40"], pre, post) == [
        (1, "pre/post", "virFoo(a)  # L21/40"), (1, "line", "virFoo(a)")]
    assert protocol_mark_problems(["def f(virFoo, a,  # L21/39", "      b, c):  # L22/40"],
                                  pre, post) == [(2, "parameter", "b, c):  # L22/40")]


if os.environ.get("LIBVIRT_SRC"):
    from qemu_migration.port import VERSIONS
    from qemu_migration.upstream.extract import read_source

    def _c(commit):
        return read_source(os.environ["LIBVIRT_SRC"], commit,
                           "src/qemu/qemu_migration.c").split("\n")

    def test_every_line_mark_points_at_its_line_of_qemu_migration_c():
        py = open(protocol.__file__).read().split("\n")
        pre, post = _c(VERSIONS["pre"].commit), _c(VERSIONS["post"].commit)
        assert protocol_mark_problems(py, pre, post) == []

    def test_the_four_functions_are_one_text_at_both_commits():
        pre, post = _c(VERSIONS["pre"].commit), _c(VERSIONS["post"].commit)
        assert post[2286:2703] == pre[2268:2685]      # PerformPhase .. Confirm's end
        assert post[2290].startswith("qemuMigrationPerformPhase(")
        assert post[2635].startswith("int qemuMigrationConfirm(")
