"""The stubs' contract, value by value: what each returns on success and under a fault,
the errno and error it leaves.  Upstream's callers mostly test only "< 0" or NULL, so
the scenarios cannot see a stub that returns -2 or 1; these tests pin the values the
real callees return, which the stubs promise (world/stubs.py's docstring).  Written
to kill the mutants of world/stubs.py (tools/mutation.py)."""
import errno

import pytest

from conftest import faults, make_vm, make_world
from qemu_migration.world import stubs
from qemu_migration.world.constants import (DEFAULT_JOB_MASK, NULL, VIR_DOMAIN_SHUTOFF,
                                            VIR_DOMAIN_SHUTOFF_FAILED)
from qemu_migration.world.objects import Ptr


def cases():
    """(stub, its arguments given a world and a vm, what it returns on success, under a
    fault, the errno a fault leaves (None: unchanged), the error a fault raises as
    (domain, code) or None)."""
    oom_q = ("VIR_FROM_QEMU", "VIR_ERR_NO_MEMORY")
    oom_d = ("VIR_FROM_DOMAIN", "VIR_ERR_NO_MEMORY")
    mig_failed = ("VIR_FROM_QEMU", "VIR_ERR_OPERATION_FAILED")   # QEMU's migration job failed
    return [
        ("virTimeMs", lambda w, vm: (Ptr(),), 0, -1, errno.EFAULT,
         ("VIR_FROM_NONE", "VIR_ERR_SYSTEM_ERROR")),
        ("virDomainSaveStatus", lambda w, vm: ("caps", "/run", vm), 0, -1, None, oom_d),
        ("virGetHostUUID", lambda w, vm: (Ptr(),), 0, -1, None, None),
        ("virDomainLockProcessInquire", lambda w, vm: ("sanlock", vm, Ptr()), 0, -1, None,
         ("VIR_FROM_LOCKING", "VIR_ERR_NO_MEMORY")),
        ("virDomainDeleteConfig", lambda w, vm: ("/etc", "/etc/auto", vm), 0, -1, None,
         ("VIR_FROM_DOMAIN", "VIR_ERR_SYSTEM_ERROR")),
        ("qemuProcessStartCPUs", lambda w, vm: (w.driver, vm, None, 1, 0), 0, -1, None, oom_q),
        ("doNativeMigrate", lambda w, vm: (w.driver, vm, "tcp:h:1", None, 0, Ptr(), Ptr(0),
                                           0, 0), 0, -1, None, mig_failed),
        ("doPeer2PeerMigrate", lambda w, vm: (w.driver, None, vm, None, "qemu://h/system",
                                              None, 0, None, 0, Ptr()), 0, -1, None,
         mig_failed),
        ("pipe", lambda w, vm: ([-1, -1],), 0, -1, errno.EMFILE, None),
        ("virSetCloseExec", lambda w, vm: (5,), 0, -1, errno.EBADF, None),
        ("virFDStreamOpen", lambda w, vm: ("st", 5), 0, -1, errno.EBADF, None),
        ("virAsprintf", lambda w, vm: (Ptr(), "%s:%d", "h", 7), 3, -1, None, None),
        ("strdup", lambda w, vm: ("text",), "text", NULL, errno.ENOMEM, None),
        ("virGetHostname", lambda w, vm: (None,), "dst.example.net", NULL, None,
         ("VIR_FROM_NONE", "VIR_ERR_NO_MEMORY")),
        ("qemuDomainDefFormatXML", lambda w, vm: (w.driver, vm.def_, 0),
         stubs.format_def, NULL, None, oom_d),
        ("qemuDomainFormatXML", lambda w, vm: (w.driver, vm, 0), stubs.format_def, NULL, None,
         oom_d),
        ("virDomainEventNewFromObj", lambda w, vm: (vm, 2, 1), "event", NULL, None,
         ("VIR_FROM_NONE", "VIR_ERR_NO_MEMORY")),
    ]


@pytest.mark.parametrize("name,args,ok,failed,err_no,error", cases(),
                         ids=[c[0] for c in cases()])
def test_a_stub_returns_what_the_real_callee_returns(name, args, ok, failed, err_no, error):
    vm = make_vm()
    w = make_world(vm)
    w.errno = 0
    w.reset_run(faults((name, 2)))
    with w.activate():
        first = getattr(stubs, name)(*args(w, vm))
        errno_after_first = w.errno
        second = getattr(stubs, name)(*args(w, vm))
    if ok is stubs.format_def:
        assert first == stubs.format_def(vm.def_, 0)
    elif ok == "event":
        assert (first.type, first.detail, first.domain) == (2, 1, "web1")
    else:
        assert first == ok and type(first) is type(ok)
    assert errno_after_first == 0
    assert second is failed if failed is NULL else (second == failed and type(second) is int)
    assert w.errno == (err_no or 0)
    if error is None:
        assert w.errors == []
    else:
        assert [(e.as_dict()["domain"], e.as_dict()["code"]) for e in w.errors] == [error]


def test_a_woken_wait_returns_zero_and_a_failed_one_minus_one():
    vm = make_vm(async_out=True)
    w = make_world(vm)
    w.wakeups = ["end-async"]
    w.reset_run(faults(("virCondWaitUntil", 2)))
    with w.activate():
        assert stubs.virCondWaitUntil("asyncCond", vm, w.clock_ms + 5) == 0
        assert stubs.virCondWaitUntil("asyncCond", vm, w.clock_ms + 5) == -1
    assert w.errno == errno.EINVAL and w.errors == []


def test_process_start_under_a_fault_leaves_the_domain_shut_off():
    vm = make_vm(state="shutoff")
    w = make_world(vm)
    w.reset_run(faults(("qemuProcessStart", 1)))
    with w.activate():
        assert stubs.qemuProcessStart("conn", w.driver, vm, "stdio", True, True, -1, None,
                                      None, 2) == -1
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED,
                                                 -1)
    # the real one had assigned an id (used up) and ran qemuProcessStop
    assert w.driver.autodestroy == {} and w.driver.nextvmid == 2
    assert w.logs == ["qemu: stopped migrated=0"]


def test_process_start_gives_each_domain_the_next_id():
    a, b = make_vm(state="shutoff"), make_vm(name="b", uuid="u-b", state="shutoff")
    w = make_world(a, b)
    with w.activate():
        for vm in (a, b):
            assert stubs.qemuProcessStart("conn", w.driver, vm, "stdio", False, False, -1,
                                          None, None, 2) == 0
    assert (a.def_.id, b.def_.id, w.driver.nextvmid) == (1, 2, 3)


def test_each_pipe_gives_two_new_consecutive_descriptors():
    w = make_world()
    first, second = [-1, -1], [-1, -1]
    with w.activate():
        stubs.pipe(first)
        stubs.pipe(second)
    start = first[0]
    assert first == [start, start + 1] and second == [start + 2, start + 3]
    assert w.fds_open == {start, start + 1, start + 2, start + 3}


def test_duplicate_check_tells_a_defined_domain_from_a_new_one():
    vm = make_vm(state="shutoff")
    w = make_world(vm)
    same = make_vm(state="shutoff").def_
    new = make_vm(name="other", uuid="u-other", state="shutoff").def_
    with w.activate():
        assert stubs.virDomainObjIsDuplicate(w.driver.domains, same, 1) == 1
        assert stubs.virDomainObjIsDuplicate(w.driver.domains, new, 1) == 0
    assert w.errors == []


def test_assign_def_of_a_new_domain_returns_it_locked_in_the_list():
    w = make_world()
    d = make_vm(state="shutoff").def_
    with w.activate():
        vm = stubs.virDomainAssignDef("caps", w.driver.domains, d, True)
    assert vm.locked is True and vm.refs == 1 and vm.persistent is False
    assert vm.def_ is d and w.driver.domains == {d.uuid: vm} and w.assigned == [vm]


@pytest.mark.parametrize("other", ["name", "active"])
def test_duplicate_check_refusals_return_minus_one(other):
    vm = make_vm(state="running")
    w = make_world(vm)
    if other == "name":
        d = make_vm(name="renamed", state="shutoff").def_           # same uuid, other name
    else:
        d = make_vm(state="shutoff").def_                            # same uuid, running
    clash = make_vm(uuid="u-clash", state="shutoff").def_            # same name, other uuid
    with w.activate():
        assert stubs.virDomainObjIsDuplicate(w.driver.domains, d, 1) == -1
        assert stubs.virDomainObjIsDuplicate(w.driver.domains, clash, 1) == -1
    assert len(w.errors) == 2


def test_errors_name_the_innermost_frame_as_reporter():
    w = make_world()
    with w.activate():
        w.frame = "qemuMigrationPrepareDirect"
        stubs.virReportOOMError()
        stubs.qemuReportError(1, "%s", "x")
        stubs.virReportSystemError(errno.EBADF, "%s", "y")
    assert [e.as_dict()["reporter"] for e in w.errors] == ["qemuMigrationPrepareDirect"] * 3


def test_a_lock_state_is_asked_of_the_plugin_that_holds_it():
    """The "nop" plugin holds no lock state (NULL), another one names the domain's lease;
    a failed inquiry leaves the output as it was."""
    vm = make_vm()
    w = make_world(vm)
    w.reset_run(faults(("virDomainLockProcessInquire", 3)))
    st = Ptr("before")
    with w.activate():
        assert stubs.virDomainLockProcessInquire("nop", vm, st) == 0 and st.value is NULL
        assert stubs.virDomainLockProcessInquire("sanlock", vm, st) == 0
        assert st.value == "web1-lease"
        assert stubs.virDomainLockProcessInquire("sanlock", vm, st) == -1
    assert st.value == "web1-lease"


def test_host_uuid_fault_leaves_the_output_alone():
    w = make_world()
    w.driver.hostuuid = "00112233-4455-4677-8899-aabbccddeeff"
    w.reset_run(faults(("virGetHostUUID", 2)))
    out = Ptr("unset")
    with w.activate():
        assert stubs.virGetHostUUID(out) == 0
        assert out.value == "00112233-4455-4677-8899-aabbccddeeff"
        out.value = "unset"
        assert stubs.virGetHostUUID(out) == -1
    assert out.value == "unset" and w.errors == []


def test_descriptor_zero_is_a_descriptor():
    w = make_world()
    w.fds_open.update({0, 1})
    fds = [0, 1]
    with w.activate():
        stubs.VIR_FORCE_CLOSE(fds, 0)
        stubs.qemuProcessStart("conn", w.driver, make_vm(state="shutoff"), "stdio", True, False,
                               0, None, None, 2)
    assert fds == [-1, 1] and w.fds_open == {1}
    assert w.logs == ["qemu: -incoming stdio (stdin fd 0)"]


def test_closing_a_descriptor_nothing_opened_names_the_innermost_frame():
    w = make_world()
    with w.activate():
        w.frame = "qemuMigrationPrepareAny"
        with pytest.raises(stubs.StrayClose) as e:
            stubs.VIR_FORCE_CLOSE([1], 0)
    assert str(e.value) == "qemuMigrationPrepareAny: closes descriptor 1, which nothing opened"
    assert e.value.fd == 1


def test_object_lock_takes_the_lock():
    vm = make_vm()
    vm.locked = False
    w = make_world(vm)
    with w.activate():
        stubs.virDomainObjLock(vm)
        assert vm.locked is True
        stubs.virDomainObjUnlock(vm)
    assert vm.locked is False


def test_another_thread_ending_its_async_job_restores_the_default_mask():
    vm = make_vm(async_out=True)
    w = make_world(vm)
    w.wakeups = ["end-async"]
    with w.activate():
        assert stubs.virCondWaitUntil("asyncCond", vm, w.clock_ms + 5) == 0
    job = vm.privateData.job
    assert (job.asyncJob, job.mask, vm.refs, w.others_refs) == (0, DEFAULT_JOB_MASK, 1, -1)


