"""The stubs on their own: what each does to the world, and how it fails."""
import errno

import pytest

from conftest import UUID2, Call, make_vm, make_world
from qemu_migration.world import stubs
from qemu_migration.world.constants import (DEFAULT_JOB_MASK, JOB_MASK, QEMU_ASYNC_JOB_NONE,
                                            QEMU_JOB_ASYNC_NESTED, QEMU_MIGRATION_PHASE_PERFORM2,
                                            VIR_DOMAIN_JOB_NONE, VIR_DOMAIN_JOB_UNBOUNDED)
from qemu_migration.world.errors import VirError
from qemu_migration.world.objects import GraphicsDef, Ptr
from qemu_migration.world.runtime import FaultPlan


def test_driver_lock_stubs_release_and_take():
    w = make_world()
    with w.activate():
        stubs.qemuDriverUnlock(w.driver)
        assert w.driver.locked is False
        stubs.qemuDriverLock(w.driver)
        assert w.driver.locked is True


def test_driver_is_unlocked_while_a_job_waits():
    """BeginJobInternal gives up the driver lock around the wait, as upstream does."""
    seen = []
    vm = make_vm(async_out=True)
    w = make_world(vm)
    real = stubs._wake

    def spy(world, obj, what):
        seen.append(world.driver.locked)
        real(world, obj, what)
    stubs._wake = spy
    try:
        w.wakeups = ["end-async"]
        from qemu_migration.port import qemu_domain
        with w.activate():
            assert qemu_domain.qemuDomainObjBeginAsyncJobWithDriver(w.driver, vm, 1) == 0
    finally:
        stubs._wake = real
    assert seen == [False] and w.driver.locked is True


def test_the_end_of_another_threads_async_job_resets_all_of_it():
    """"end-async": the other thread's qemuDomainObjEndAsyncJob (qemu_domain.c:855-863 @
    e2fb96d9) runs qemuDomainObjResetAsyncJob (:174-183): the async job, its phase,
    mask, start time and job info reset, not the async job and mask alone; and the
    reference its job took given back."""
    vm = make_vm(async_out=True)
    w = make_world(vm)
    job = vm.privateData.job
    job.phase, job.start, job.info_type = QEMU_MIGRATION_PHASE_PERFORM2, 1234, \
        VIR_DOMAIN_JOB_UNBOUNDED
    vm.refs = 2
    stubs._wake(w, vm, "end-async")
    assert (job.asyncJob, job.phase, job.mask, job.start, job.info_type) == (
        QEMU_ASYNC_JOB_NONE, 0, DEFAULT_JOB_MASK, 0, VIR_DOMAIN_JOB_NONE)
    assert vm.refs == 1 and w.others_async == ["ended"] and w.others_refs == -1


def test_printf_null_string():
    assert stubs.cfmt("guest %s, %d snapshots", (None, 2)) == "guest (null), 2 snapshots"
    assert stubs.NULLSTR(None) == "<null>" and stubs.NULLSTR("x") == "x"


def test_log_levels():
    w = make_world()
    with w.activate():
        stubs.VIR_WARN("a %s", "b")
        stubs.VIR_ERROR("c %d", 1)
        stubs.VIR_DEBUG("not kept %s", "x")
    assert w.logs == ["warning: a b", "error: c 1"]


def test_unref_to_zero_frees_and_unlocks():
    vm = make_vm()
    vm.locked = True
    w = make_world(vm)
    with w.activate():
        stubs.virDomainObjRef(vm)
        assert stubs.virDomainObjUnref(vm) == 1 and not vm.freed
        assert stubs.virDomainObjUnref(vm) == 0
    assert vm.freed and vm.locked is False


def test_remove_inactive_drops_the_list_reference():
    vm = make_vm(state="shutoff")
    vm.refs = 2
    w = make_world(vm)
    with w.activate():
        stubs.virDomainRemoveInactive(w.driver.domains, vm)
    assert w.driver.domains == {} and vm.refs == 1 and not vm.freed and not vm.locked


def test_fault_plan_counts_calls_per_callee():
    w = make_world()
    w.reset_run(FaultPlan.of([("virTimeMs", 2)]))
    with w.activate():
        a, b, c = Ptr(), Ptr(), Ptr()
        assert stubs.virTimeMs(a) == 0 and stubs.virTimeMs(b) == -1 and stubs.virTimeMs(c) == 0
    assert a.value == w.clock_ms and b.value is None
    assert w.errno == errno.EFAULT
    assert [t.label() for t in w.trace] == ["virTimeMs", "virTimeMs !fault", "virTimeMs"]
    assert w.errors[0].as_dict()["domain"] == "VIR_FROM_NONE"


def test_unfired_faults_are_those_past_the_calls_made():
    from qemu_migration.engine import unfired_faults
    w = make_world()
    call = Call("qemuMigrationBegin", faults=FaultPlan.of([("virTimeMs", 2), ("virTimeMs", 3),
                                                           ("pipe", 1)]))
    w.reset_run(call.faults)
    with w.activate():
        stubs.virTimeMs(Ptr())
        stubs.virTimeMs(Ptr())
    assert unfired_faults(w, call) == ["pipe#1", "virTimeMs#3"]


def test_wait_times_out_at_the_deadline():
    w = make_world()
    with w.activate():
        assert stubs.virCondWaitUntil("cond", None, w.clock_ms + 30000) == -1
    assert w.errno == errno.ETIMEDOUT and w.clock_ms == 1316000030000


def test_pipe_and_close():
    w = make_world()
    fds = [-1, -1]
    with w.activate():
        assert stubs.pipe(fds) == 0
        assert w.fds_open == set(fds)
        stubs.VIR_FORCE_CLOSE(fds, 0)
        stubs.VIR_FORCE_CLOSE(fds, 0)
        assert fds[0] == -1 and w.fds_open == {fds[1]}
        assert stubs.virFDStreamOpen("st", fds[1]) == 0
    assert w.fds_open == set()


def test_host_uuid_and_lock_manager_stubs():
    """What the cookie asks of the host (its own parsing and formatting is ported:
    tests/test_cookie.py): the host UUID (uuid.c:302), the lock plugin's name and whether
    it carries state (lock_manager.c), and a running domain's lock state, which the
    "nop" plugin has none of (domain_lock.c:208)."""
    vm = make_vm()
    w = make_world(vm)
    w.driver.hostuuid = "0f0e0d0c-0b0a-4908-8706-050403020100"
    uuid, state = Ptr(), Ptr("left")
    with w.activate():
        assert stubs.virGetHostUUID(uuid) == 0
        assert stubs.virLockManagerPluginGetName("sanlock") == "sanlock"
        assert stubs.virLockManagerPluginUsesState("sanlock") is True
        assert stubs.virLockManagerPluginUsesState("nop") is False
        assert stubs.virDomainLockProcessInquire("nop", vm, state) == 0
        assert state.value is None
        assert stubs.virDomainLockProcessInquire("sanlock", vm, state) == 0
    assert uuid.value == "0f0e0d0c-0b0a-4908-8706-050403020100"
    assert state.value == "web1-lease"
    assert [e.name for e in w.trace] == ["virGetHostUUID", "virDomainLockProcessInquire",
                                         "virDomainLockProcessInquire"]


def test_graphics_listen_and_tls_subject():
    """A graphics device's listen address (NULL when it has none) and the subject of the
    driver's certificate, which names this host."""
    w = make_world(hostname="h.example")
    with w.activate():
        assert stubs.virDomainGraphicsListenGetAddress(GraphicsDef("vnc", listen="::1"), 0) == "::1"
        assert stubs.virDomainGraphicsListenGetAddress(GraphicsDef("vnc"), 0) is None
        assert stubs.virDomainGraphicsListenGetAddress(GraphicsDef("vnc", listen="::1"), 1) is None
        assert stubs.qemuDomainExtractTLSSubject("/etc/pki") == "C=GB,O=Example,CN=h.example"
    assert [e.name for e in w.trace] == ["qemuDomainExtractTLSSubject"]


def test_virasprintf_and_hostname():
    w = make_world(hostname="h.example")
    p = Ptr()
    with w.activate():
        assert stubs.virAsprintf(p, "tcp:%s:%d", "h", 5) == len("tcp:h:5")
        assert stubs.virGetHostname(None) == "h.example"
    assert p.value == "tcp:h:5"


@pytest.mark.parametrize("text,value,end", [("49200", 49200, 5), ("12x", 12, 2), ("x", -1, 0),
                                            ("2147483647", 2147483647, 10),
                                            ("2147483648", -1, 0)])
def test_parse_number(text, value, end):
    p = Ptr((text, 0))
    assert stubs.virParseNumber(p) == value and p.value[1] == end


@pytest.mark.parametrize("live,newdef_before,newdef_after", [
    (True, None, "old"), (True, "older", "older"), (False, None, None)])
def test_assign_def_to_a_defined_domain(live, newdef_before, newdef_after):
    vm = make_vm(state="shutoff")
    old = vm.def_
    older = make_vm(state="shutoff").def_
    vm.newDef = {"older": older, None: None}[newdef_before]
    w = make_world(vm)
    incoming = make_vm(state="shutoff").def_
    with w.activate():
        assert stubs.virDomainAssignDef("caps", w.driver.domains, incoming, live) is vm
    assert vm.def_ is incoming and vm.locked and w.assigned == [vm]
    assert vm.newDef is {"old": old, "older": older, None: None}[newdef_after]


def _start(w, vm, migrate_from="stdio", paused=True, autodestroy=False, fd=-1):
    """stubs.qemuProcessStart as these tests call it: on ``w``'s driver, from the
    connection "conn", no snapshot or pid file, the operation an incoming migration's
    (2) when migrated in, else a create's (0)."""
    return stubs.qemuProcessStart("conn", w.driver, vm, migrate_from, paused, autodestroy, fd,
                                  None, None, 0 if migrate_from is None else 2)


@pytest.mark.parametrize("paused,autodestroy,fd", [(True, True, 20), (False, False, -1)])
def test_process_start_flags(paused, autodestroy, fd):
    """Migrated in (migrateFrom set), the guest stays paused whatever start_paused says
    (qemu_process.c:2948): PAUSED/migration."""
    vm = make_vm(state="shutoff")
    w = make_world(vm)
    with w.activate():
        assert _start(w, vm, paused=paused, autodestroy=autodestroy, fd=fd) == 0
    assert (vm.state, vm.reason) == (3, 2) and vm.def_.id == 1
    assert (vm.def_.uuid in w.driver.autodestroy) is autodestroy
    assert w.logs == ["qemu: -incoming stdio" + (" (stdin fd 20)" if fd >= 0 else "")]
    # the early status (:2909) and the final one (:3020)
    assert [t.label() for t in w.trace] == ["qemuProcessStart", "virDomainSaveStatus",
                                            "virDomainSaveStatus"]
    assert w.driver.saved_status == ["web1", "web1"]


def test_process_start_without_migration_source():
    """No migrateFrom: paused is PAUSED/user; running is qemuProcessStartCPUs with
    RUNNING/booted, which gives up the lock state."""
    def start(paused, autodestroy):
        vm = make_vm(state="shutoff")
        vm.privateData.lockState = "lease"
        w = make_world(vm)
        with w.activate():
            assert _start(w, vm, migrate_from=None, paused=paused, autodestroy=autodestroy) == 0
        return vm, w
    vm, w = start(True, False)
    assert (vm.state, vm.reason, vm.privateData.lockState) == (3, 1, "lease")
    vm, w = start(False, True)
    assert (vm.state, vm.reason, vm.privateData.lockState) == (1, 1, None)
    assert [(t.label(), t.depth) for t in w.trace] == [
        ("qemuProcessStart", 0), ("virDomainSaveStatus", 1), ("qemuProcessStartCPUs", 1),
        ("virDomainSaveStatus", 1)]
    assert vm.def_.uuid in w.driver.autodestroy


def test_process_start_fails_when_resuming_fails():
    """qemuProcessStartCPUs failing: its error stays (no "resume operation failed" over
    it), the domain is stopped and not registered for auto-destroy."""
    vm = make_vm(state="shutoff")
    vm.privateData.lockState = "lease"
    w = make_world(vm)
    w.faults = FaultPlan.of([("qemuProcessStartCPUs", 1)])
    with w.activate():
        assert _start(w, vm, migrate_from=None, paused=False, autodestroy=True) == -1
    assert [(e.code, e.reporter) for e in w.errors] == [(2, "qemuProcessStartCPUs")]
    assert (vm.state, vm.reason, vm.def_.id, w.driver.nextvmid) == (5, 6, -1, 2)
    assert vm.privateData.lockState == "lease" and not w.driver.autodestroy
    assert [t.label() for t in w.trace] == ["qemuProcessStart", "virDomainSaveStatus",
                                            "qemuProcessStartCPUs !fault", "qemuProcessStop"]
    assert w.driver.saved_status == ["web1"]


@pytest.mark.parametrize("nth", [1, 2])
def test_process_start_fails_when_a_status_save_fails(nth):
    """Either save failing (:2909, :3020) goes to cleanup: the id used up, the stop, the
    auto-destroy registration the second found dropped, the save's own error."""
    vm = make_vm(state="shutoff")
    w = make_world(vm)
    w.faults = FaultPlan.of([("virDomainSaveStatus", nth)])
    with w.activate():
        assert _start(w, vm, autodestroy=True) == -1
    assert [(e.code, e.domain, e.reporter) for e in w.errors] == [(2, 20, "virDomainSaveStatus")]
    assert (vm.state, vm.reason, vm.def_.id, w.driver.nextvmid) == (5, 6, -1, 2)
    assert not w.driver.autodestroy and w.driver.saved_status == ["web1"] * (nth - 1)
    assert [t.label() for t in w.trace][-2:] == ["virDomainSaveStatus !fault", "qemuProcessStop"]


def _graphics_vm(*graphics):
    vm = make_vm(state="shutoff", persistent=False)
    vm.def_.graphics = list(graphics)
    return vm


@pytest.mark.parametrize("graphics,tls,port,tlsPort", [
    (GraphicsDef("vnc", autoport=True), False, 5901, 0),
    (GraphicsDef("vnc", 5955), False, 5955, 0),               # a port of its own
    (GraphicsDef("spice", autoport=True), False, 5901, -1),    # no TLS: tlsPort -1 (:2716)
    (GraphicsDef("spice", autoport=True), True, 5901, 5903),   # the TLS port after it
    (GraphicsDef("sdl", autoport=True), True, 0, 0)])          # neither VNC nor SPICE
def test_process_start_picks_an_autoport_display_port(graphics, tls, port, tlsPort):
    """qemu_process.c:2702-2735: a lone autoport display gets the first port from 5900
    that is neither reserved by the driver nor listened on by an active guest's QEMU;
    the live definition takes it, the saved one keeps 0; Stop gives the ports back and
    the definition (a transient guest's) keeps them."""
    vm = _graphics_vm(graphics)
    other = make_vm("db1", UUID2, state="running")
    other.def_.graphics = [GraphicsDef("vnc", 5900)]
    w = make_world(vm, other)
    w.driver.spiceTLS = tls
    w.driver.reservedVNCPorts = {5902}
    with w.activate():
        assert _start(w, vm) == 0
        assert (vm.def_.graphics[0].port, vm.def_.graphics[0].tlsPort) == (port, tlsPort)
        assert graphics.port in (0, 5955)          # the definition's own object is unchanged
        assert w.driver.reservedVNCPorts == {5902} | ({port, tlsPort} - {0, -1, 5955})
        stubs.qemuProcessStop(w.driver, vm, 0, 6)
    assert w.driver.reservedVNCPorts == {5902}
    assert vm.def_.graphics[0].port == port


def test_process_start_gives_the_saved_definition_no_port():
    vm = make_vm(state="shutoff")
    vm.def_.graphics = [GraphicsDef("vnc", autoport=True)]
    w = make_world(vm)
    with w.activate():
        assert _start(w, vm) == 0
        assert vm.def_.graphics[0].port == 5900 and vm.newDef.graphics[0].port == 0
        stubs.qemuProcessStop(w.driver, vm, 0, 6)
    assert vm.def_.graphics[0].port == 0 and not w.driver.reservedVNCPorts


def test_process_start_two_displays_get_no_port():
    vm = _graphics_vm(GraphicsDef("vnc", autoport=True), GraphicsDef("vnc", autoport=True))
    w = make_world(vm)
    with w.activate():
        assert _start(w, vm) == 0
        stubs.qemuProcessStop(w.driver, vm, 0, 6)
    assert [g.port for g in vm.def_.graphics] == [0, 0] and not w.driver.reservedVNCPorts


def test_process_stop_fault_replaces_the_callers_error():
    """The log's timestamp failing to allocate (:3107-3108) is reported before the
    caller's error is saved, so it is the last error afterwards; the stop goes on.  An
    inactive domain's stop returns first (:3095) and cannot fail."""
    vm = make_vm(state="paused")
    w = make_world(vm)
    w.faults = FaultPlan.of([("qemuProcessStop", 1), ("qemuProcessStop", 2)])
    with w.activate():
        w.raise_error(VirError(1, 10, "the caller's", "qemuProcessStart"))
        stubs.qemuProcessStop(w.driver, vm, 1, 6)
        assert (vm.def_.id, vm.state, vm.reason) == (-1, 5, 6)
        stubs.qemuProcessStop(w.driver, vm, 1, 6)
    assert [(e.code, e.domain, e.raw, e.reporter) for e in w.errors] == [
        (1, 10, "the caller's", "qemuProcessStart"),
        (2, 10, None, "qemuProcessStop")]
    assert w.last_error is w.errors[-1]


def test_process_start_reports_a_silent_resume_failure(monkeypatch):
    """A resume that failed without an error gets upstream's own (:3005)."""
    monkeypatch.setattr(stubs, "qemuProcessStartCPUs", lambda *a: -1)
    vm = make_vm(state="shutoff")
    w = make_world(vm)
    with w.activate():
        assert _start(w, vm, migrate_from=None, paused=False) == -1
    assert [(e.code, e.domain, e.raw, e.reporter) for e in w.errors] == [
        (1, 10, "resume operation failed", "qemuProcessStart")]
    assert (vm.state, vm.reason, vm.def_.id) == (5, 6, -1)


def test_process_start_refuses_an_active_domain():
    """Before anything changes: no id used, no state set, no stop (:2642)."""
    vm = make_vm(state="paused")
    w = make_world(vm)
    with w.activate():
        assert _start(w, vm, autodestroy=True) == -1
    assert [(e.code, e.domain, e.raw, e.reporter) for e in w.errors] == [
        (55, 10, "VM is already active", "qemuProcessStart")]
    assert (vm.state, vm.reason, vm.def_.id, w.driver.nextvmid) == (3, 1, 7, 1)
    assert vm.newDef is None and not w.driver.autodestroy
    assert [t.label() for t in w.trace] == ["qemuProcessStart"]


def test_format_names_its_flags():
    vm = make_vm()
    assert stubs.format_def(vm.def_, 5).startswith("<!-- flags: secure,update-cpu --><domain")
    assert stubs.format_def(vm.def_, 0).startswith("<!-- flags: none -->")


def test_condition_variables_are_recorded():
    vm = make_vm(async_out=True)
    w = make_world(vm)
    from qemu_migration.port import qemu_domain
    with w.activate():
        assert qemu_domain.qemuDomainObjBeginAsyncJobWithDriver(w.driver, vm, 1) == -1
        qemu_domain.qemuDomainObjEndJob(w.driver, vm)
        qemu_domain.qemuDomainObjEndAsyncJob(w.driver, vm)
    # the wait's deadline is QEMU_JOB_WAIT_TIME (30 s) after the clock read
    assert w.conditions == ["wait asyncCond until 1316000030000", "signal cond",
                            "broadcast asyncCond"]


def test_touching_a_freed_domain_is_recorded():
    vm = make_vm()
    vm.freed = True
    w = make_world(vm)
    with w.activate():
        stubs.virDomainObjIsActive(vm)
        stubs.virDomainObjLock(vm)
    assert w.touched_freed == ["caller", "virDomainObjLock"]


# the stubs that spell the freed-domain check out (stubs._touch): each records a freed
# domain it is handed, by its own name, and nothing for a live one
_TOUCHING = {
    "virDomainObjIsActive": lambda w, vm: stubs.virDomainObjIsActive(vm),
    "virDomainObjLock": lambda w, vm: stubs.virDomainObjLock(vm),
    "virDomainObjUnlock": lambda w, vm: stubs.virDomainObjUnlock(vm),
    "virDomainObjRef": lambda w, vm: stubs.virDomainObjRef(vm),
    "virDomainObjUnref": lambda w, vm: stubs.virDomainObjUnref(vm),
    "virDomainSaveStatus": lambda w, vm: stubs.virDomainSaveStatus(w.driver.caps, "dir", vm),
}


@pytest.mark.parametrize("name", sorted(_TOUCHING))
@pytest.mark.parametrize("freed", [True, False], ids=["freed", "live"])
def test_each_stub_that_checks_inline_records_a_freed_domain(name, freed):
    vm = make_vm()
    vm.freed = freed
    w = make_world(vm)
    with w.activate():
        _TOUCHING[name](w, vm)
    assert w.touched_freed == ([name] if freed and name != "virDomainObjIsActive"
                               else ["caller"] if freed else [])


def test_virasprintf_nulls_its_output_on_failure_and_hostname_fails_on_allocation():
    w = make_world(hostname="h.example")
    w.faults = FaultPlan.of([("virAsprintf", 1), ("virGetHostname", 1)])
    p = Ptr("left over")
    with w.activate():
        assert stubs.virAsprintf(p, "tcp:%s", "h") == -1
        assert stubs.virGetHostname(None) is None
    assert p.value is None
    assert [(e.code, e.domain, e.reporter) for e in w.errors] == [(2, 0, "virGetHostname")]


def test_process_start_failure_uses_an_id_and_stop_restores_the_definition():
    vm = make_vm(state="shutoff")
    saved = make_vm(name="saved", state="shutoff").def_
    vm.newDef = saved
    w = make_world(vm)
    w.faults = FaultPlan.of([("qemuProcessStart", 1)])
    with w.activate():
        assert _start(w, vm) == -1
    assert w.driver.nextvmid == 2                      # id 1 was assigned and is used up
    assert vm.def_ is saved and vm.def_.id == -1 and vm.newDef is None
    assert (vm.state, vm.reason) == (5, 6)             # shutoff, failed
    assert [t.label() for t in w.trace] == ["qemuProcessStart !fault", "qemuProcessStop"]
    assert w.logs == ["qemu: stopped migrated=0"] and w.errors[-1].reporter == "qemuProcessStart"


def test_process_start_keeps_a_copy_of_a_persistent_definition():
    vm = make_vm(state="shutoff")
    transient = make_vm(state="shutoff", persistent=False)
    w = make_world(vm, transient)
    with w.activate():
        _start(w, vm)
        _start(w, transient)
    assert vm.def_.id == 1 and vm.newDef is not vm.def_
    assert (vm.newDef.name, vm.newDef.uuid, vm.newDef.id) == (vm.def_.name, vm.def_.uuid, -1)
    assert transient.newDef is None


def test_process_stop_of_an_inactive_domain_changes_nothing():
    vm = make_vm(state="shutoff")
    vm.newDef = make_vm(name="saved", state="shutoff").def_
    w = make_world(vm)
    with w.activate():
        stubs.qemuProcessStop(w.driver, vm, 0, 2)
    assert vm.def_.name == "web1" and vm.newDef is not None and vm.reason == 1


@pytest.mark.parametrize("fail", [False, True])
def test_start_cpus_frees_the_lock_state_on_success_only(fail):
    vm = make_vm(state="paused")
    vm.privateData.lockState = "lease"
    w = make_world(vm)
    if fail:
        w.faults = FaultPlan.of([("qemuProcessStartCPUs", 1)])
    with w.activate():
        assert stubs.qemuProcessStartCPUs(w.driver, vm, "conn", 2, 2) == (-1 if fail else 0)
    assert vm.privateData.lockState == ("lease" if fail else None)
    assert vm.state == (3 if fail else 1)


@pytest.mark.parametrize("uri,ok", [
    ("tcp://dst.example.net:49152", True), ("tcp://user@dst.example.net:49152/x", True),
    ("tcp://[::1]:49152", True), ("tcp://dst.example.net:/", True), ("relative/path", True),
    ("tcp://dst.example.net", True), ("tcp://[::1]", True), ("tcp://a@b@dst:49152", True),
    ("tcp://a:b@dst:49152?x:y", True), ("tcp://dst:49x/p:1", False), ("tcp://a@dst:x", False),
    ("tcp://dst.example.net:49x", False), ("tcp://dst example", False), ("%zz", False),
    (None, False)])
def test_xml_parse_uri(uri, ok):
    assert stubs.xmlParseURI(uri) == (uri if ok else None)


def test_p2p_v3_failure_whose_resume_fails_queues_nothing():
    vm = make_vm()
    w = make_world(vm)
    w.faults = FaultPlan.of([("doPeer2PeerMigrate", 1), ("qemuProcessStartCPUs", 1)])
    v3 = Ptr(False)
    with w.activate():
        assert stubs.doPeer2PeerMigrate(w.driver, "conn", vm, None, "qemu+tcp://d/system",
                                        None, 0, None, 0, v3) == -1
    assert v3.value is True and vm.state == 3
    # only qemuMigrationSetOffline's event: Confirm gave up before its RESUMED event
    assert [(e.type, e.detail) for e in w.driver.events] == [(3, 1)]


def test_the_daemon_taking_finish_is_a_point_where_qemu_may_have_quit():
    """world/hosts.py's dispatch of a Finish call (daemon_dispatch): a lock-drop point
    counted per passage; the wakeup scripted for it stops the guest the call names
    (qemuProcessHandleMonitorEOF's work); another call, a guest the host does not list,
    or a wakeup the point does not allow, does nothing (a job wakeup scripted there
    happens as at any point of WAKEUP_POINTS)."""
    vm = make_vm("shop1", state="paused")
    w = make_world(vm)
    w.drop_wakeups = {("daemon:domainMigrateFinish3", 2): ("qemu-quits",),
                      ("daemon:domainMigrateFinish3", 3): ("qemu-quits",),
                      ("daemon:domainMigrateFinish2", 1): ("hold-job", "not-a-wakeup")}
    with w.activate():
        stubs.daemon_dispatch(w, "domainMigratePrepare3", ("conn", "shop1"))
        stubs.daemon_dispatch(w, "domainMigrateFinish3", ("conn", "shop1"))
        stubs.daemon_dispatch(w, "domainMigrateFinish3", ("conn", "nosuch"))
        assert vm.def_.id != -1 and w.drop_wakeups_fired == []
        stubs.daemon_dispatch(w, "domainMigrateFinish2", ("conn", "shop1"))
        assert vm.privateData.job.active == 1 and vm.def_.id != -1      # query job held
        w.drop_wakeups_fired.clear()
        stubs.daemon_dispatch(w, "domainMigrateFinish3", ("conn", "shop1"))
    assert w.lock_drops == {"daemon:domainMigrateFinish3": 3, "daemon:domainMigrateFinish2": 1}
    assert w.drop_wakeups_fired == [("daemon:domainMigrateFinish3", 3)]
    assert (vm.def_.id, vm.state, vm.reason) == (-1, 5, 6)    # SHUTOFF/failed, still listed
    assert w.driver.domains[vm.def_.uuid] is vm and vm.persistent


def test_job_mask_is_the_macros_shift_for_every_number():
    """JOB_MASK looks the job kinds' masks up (a table's ``__getitem__``) and shifts any
    other number as qemu_domain.h's macro does (a negative shift refused as before)."""
    assert [JOB_MASK(j) for j in range(1, 40)] == [1 << (j - 1) for j in range(1, 40)]
    assert JOB_MASK(QEMU_JOB_ASYNC_NESTED) == 128 and DEFAULT_JOB_MASK == 0b10011
    with pytest.raises(ValueError):
        JOB_MASK(0)
