"""The stubs' contract, value by value: what each returns on success and under a fault,
the errno and error it leaves.  Upstream's callers mostly test only "< 0" or NULL, so
the scenarios cannot see a stub that returns -2 or 1; these tests pin the values the
real callees return, which the stubs promise (world/stubs.py's docstring).  Written
to kill the mutants of world/stubs.py (tools/mutation.py)."""
import errno

import pytest

from conftest import faults, make_vm, make_world
from qemu_migration.world import stubs
from qemu_migration.world.constants import (NULL, VIR_DOMAIN_SHUTOFF,
                                            VIR_DOMAIN_SHUTOFF_FAILED)
from qemu_migration.world.objects import Ptr


def cases():
    """(stub, its arguments given a world and a vm, what it returns on success, under a
    fault, the errno a fault leaves (None: unchanged), the error a fault raises as
    (domain, code) or None)."""
    oom_q = ("VIR_FROM_QEMU", "VIR_ERR_NO_MEMORY")
    oom_d = ("VIR_FROM_DOMAIN", "VIR_ERR_NO_MEMORY")
    return [
        ("virTimeMs", lambda w, vm: (Ptr(),), 0, -1, errno.EFAULT,
         ("VIR_FROM_NONE", "VIR_ERR_SYSTEM_ERROR")),
        ("virDomainSaveStatus", lambda w, vm: ("caps", "/run", vm), 0, -1, None, oom_d),
        ("qemuMigrationBakeCookie", lambda w, vm: (None, w.driver, vm, Ptr(), Ptr(0), 0),
         0, -1, None, oom_q),
        ("virDomainDeleteConfig", lambda w, vm: ("/etc", "/etc/auto", vm), 0, -1, None,
         ("VIR_FROM_DOMAIN", "VIR_ERR_SYSTEM_ERROR")),
        ("qemuProcessStartCPUs", lambda w, vm: (w.driver, vm, None, 1, 0), 0, -1, None, oom_q),
        ("doNativeMigrate", lambda w, vm: (w.driver, vm, "tcp:h:1", None, 0, Ptr(), Ptr(0),
                                           0, 0), 0, -1, None, oom_q),
        ("doPeer2PeerMigrate", lambda w, vm: (w.driver, None, vm, None, "qemu://h/system",
                                              None, 0, None, 0, Ptr()), 0, -1, None, oom_q),
        ("pipe", lambda w, vm: ([-1, -1],), 0, -1, errno.EMFILE, None),
        ("virSetCloseExec", lambda w, vm: (5,), 0, -1, errno.EBADF, None),
        ("virFDStreamOpen", lambda w, vm: ("st", 5), 0, -1, errno.EBADF, None),
        ("virAsprintf", lambda w, vm: (Ptr(), "%s:%d", "h", 7), 3, -1, None, None),
        ("strdup", lambda w, vm: ("text",), "text", NULL, errno.ENOMEM, None),
        ("virGetHostname", lambda w, vm: (None,), "dst.example.net", NULL, None,
         ("VIR_FROM_NONE", "VIR_ERR_SYSTEM_ERROR")),
        ("qemuDomainDefFormatXML", lambda w, vm: (w.driver, vm.def_, 0),
         stubs.format_def, NULL, None, oom_d),
        ("qemuDomainFormatXML", lambda w, vm: (w.driver, vm, 0), stubs.format_def, NULL, None,
         oom_d),
        ("virDomainEventNewFromObj", lambda w, vm: (vm, 2, 1), "event", NULL, None,
         ("VIR_FROM_NONE", "VIR_ERR_NO_MEMORY")),
        ("qemuMigrationEatCookie", lambda w, vm: (w.driver, vm, None, 0, 0), "cookie", NULL,
         None, oom_q),
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
    elif ok == "cookie":
        assert first.lockState is None
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
    assert w.driver.autodestroy == set() and w.driver.nextvmid == 1 and w.logs == []


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
