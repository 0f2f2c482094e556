"""The world's qemuProcessStart and qemuProcessStop stubs against upstream's, compiled
(deccheck's way: the same inputs to both, every difference shown).

upstream/processcheck.py builds qemuProcessStart and qemuProcessStop from
qemu_process.c at e2fb96d9, every callee that talks to QEMU or the OS a C stub of
this project that records its call and fails at the N-th fault point.  Here the
stubs of world/stubs.py and the compiled functions run on the same inputs (a
migration source or none, paused or not, auto-destroy or not, a persistent or
transient domain with or without a saved definition, active or not, a lock state,
hooks, a VNC or SPICE display, the emulator's capabilities), fault-free and failing at every
fault point the compiled run passes, and must leave what the migration code can
observe the same (processcheck.OBSERVED: the return, the errors, the last error,
the id and ``nextvmid``, which definition is current and which is saved, the
state and reason, the auto-destroy registration, the lock state, the job, the
display's port, the statuses saved).  The three differences once asserted as
such (the autoport display's port, the status saved twice, Stop's own failures
replacing the caller's error) are agreements now.

Defined only with LIBVIRT_SRC (as test_abi_c.py: CI has no libvirt source, and
under CI a skip is an error).
"""
import itertools
import os
from dataclasses import replace

import pytest

from conftest import UUID1, make_world
from qemu_migration.upstream import processcheck as P
from qemu_migration.upstream.processcheck import error_key
from qemu_migration.world import stubs
from qemu_migration.world.objects import DomainDef, DomainObj, GraphicsDef
from qemu_migration.world.runtime import FaultPlan

LIBVIRT_SRC = os.environ.get("LIBVIRT_SRC")

# what a failure of the stub (fail=True) stands for: upstream's VIR_ALLOC(priv->monConfig)
STUB_FAULT = "VIR_ALLOC"


def stub_run(inp, faults=()):
    """The world's stub on ``inp``, with the fault plan ``faults``: the observation."""
    def make_def():
        return DomainDef("kvm", "web1", UUID1, id=-1, memory=524288, vcpus=1,
                         graphics=[] if inp.vnc_autoport is None
                         else [GraphicsDef("spice" if inp.spice else "vnc",
                                           autoport=inp.vnc_autoport)])

    orig = make_def()
    orig.id = 3 if inp.active else -1
    saved = make_def() if inp.new_def else None
    vm = DomainObj(def_=orig, persistent=inp.persistent, state=inp.state, reason=inp.reason,
                   newDef=saved)
    vm.privateData.lockState = inp.lock_state
    w = make_world(vm)
    w.driver.nextvmid = inp.nextvmid
    w.driver.spiceTLS = inp.spice_tls
    w.faults = FaultPlan.of(list(faults))
    with w.activate():
        if inp.stop is None:
            ret = stubs.qemuProcessStart("conn", w.driver, vm, inp.migrate_from,
                                         inp.start_paused, inp.autodestroy, inp.stdin_fd,
                                         None, None, 2)
        else:
            stubs.qemuProcessStop(w.driver, vm, inp.stop, 6)
            ret = None

    def which(d):
        if d is None:
            return None
        return "orig" if d is orig else "saved" if d is saved else "copy"

    job = vm.privateData.job
    return dict(ret=ret, errors=[error_key(e) for e in w.errors],
                last_error=error_key(w.last_error), id=vm.def_.id,
                nextvmid=w.driver.nextvmid, **{"def": which(vm.def_)},
                newDef=which(vm.newDef), state=vm.state, reason=vm.reason,
                autodestroy=vm.def_.uuid in w.driver.autodestroy,
                lockState=vm.privateData.lockState,
                job=(job.active, job.asyncJob, job.phase),
                graphics_port=vm.def_.graphics[0].port if vm.def_.graphics else None,
                graphics_tls_port=vm.def_.graphics[0].tlsPort if vm.def_.graphics else None,
                events=[e.as_dict() for e in w.driver.events],
                saved_status=list(w.driver.saved_status))


if LIBVIRT_SRC:
    def domains():
        """Every kind of domain object a start is handed: transient, or persistent with
        or without a saved definition; inactive, or active (refused)."""
        for persistent, new_def, active in itertools.product((False, True), repeat=3):
            yield P.Inputs(persistent=persistent, new_def=new_def, active=active)

    def starts():
        """The generated starts: every domain kind by every argument the function
        reads, plus the callees' inputs (hooks, graphics, -device, a pipe or a file)."""
        for base in domains():
            for migrate_from, paused, autodestroy, fd in itertools.product(
                    ("stdio", "tcp:[::]:49152", None), (True, False), (True, False), (-1, 20)):
                yield replace(base, migrate_from=migrate_from, start_paused=paused,
                              autodestroy=autodestroy, stdin_fd=fd, lock_state="lease",
                              nextvmid=5)
        for hooks, caps_device, vnc, fifo in itertools.product(
                (True, False), (True, False), (None, True, False), (True, False)):
            yield P.Inputs(persistent=True, new_def=True, hooks=hooks, caps_device=caps_device,
                           vnc_autoport=vnc, stdin_fd=20, stdin_fifo=fifo, start_paused=False,
                           migrate_from=None, lock_state="lease")
        # a SPICE display, autoport or not, with a TLS port or not; on a transient domain
        # too, whose definition keeps the ports after a failed start
        for persistent, autoport, tls in itertools.product((True, False), repeat=3):
            yield P.Inputs(persistent=persistent, new_def=persistent, vnc_autoport=autoport,
                           spice=True, spice_tls=tls, lock_state="lease")

    STARTS = list(starts())

    def reachable(inp):
        """Its one caller (qemuMigrationPrepareAny) starts an inactive domain that
        virDomainAssignDef made: transient, or given a saved definition."""
        return not inp.active and (not inp.persistent or inp.new_def)

    @pytest.fixture(scope="module")
    def upstream():
        return P.load(LIBVIRT_SRC)

    def test_the_compiled_functions_are_upstreams_own_text():
        spec = P.process_spec(LIBVIRT_SRC)
        funcs = [f for f in spec.functions if f.path == P.PROCESS_C]
        assert [(f.name, f.line) for f in funcs] == [("qemuProcessStart", 2615),
                                                    ("qemuProcessStop", 3078)]

    @pytest.mark.parametrize("inp", STARTS, ids=str)
    def test_a_fault_free_start_agrees_with_upstream(upstream, inp):
        """Fault-free: the same in every observed field.  A VNC display with autoport
        gets its port at start (qemu_process.c:2702-2712, the first free one from 5900;
        the C stub of qemuProcessNextFreePort finds 5900 free, as the world does on a
        host with no other display), and the status is saved twice (:2909, :3020)."""
        got = upstream.run(inp)[0]
        assert (got["graphics_port"] == 5900) == bool(inp.vnc_autoport and got["ret"] == 0)
        if inp.spice and inp.vnc_autoport and got["ret"] == 0:
            assert got["graphics_tls_port"] == (5901 if inp.spice_tls else -1)
        assert got["saved_status"] == (["web1", "web1"] if got["ret"] == 0 else [])
        assert stub_run(inp) == got

    @pytest.mark.parametrize("inp", STARTS, ids=str)
    def test_every_failure_of_the_start_agrees_with_upstream(upstream, inp):
        """Each fault point of the compiled run against the stub's failures: at the
        fault the stub stands for (VIR_ALLOC), at either status save, and at
        qemuProcessStartCPUs, the stub's failure there, all the same; at any other
        the state the stub's failure at the same stage leaves (its own, before the
        early status save; the second save's, after it), with one error of its own.
        Three differences are asserted as such, all out of what its one caller can
        observe (qemuMigrationPrepareAny starts a transient domain, or one with a
        saved definition, with a migration source, and removes a transient one
        whose start failed): the copy of the definition, which fails before the id
        is taken; a failure between the early save and the resume of a running
        start (no migration source, not paused), where the stub's second save fails
        after the lock state is given up; and a failure before an autoport
        display's ports are stored, where a transient domain's definition keeps 0
        and the stub's (after them) has the ports.  The hook's XML
        failing to format is no failure: the start goes on, that error left set
        (the world has no hook scripts)."""
        _, calls, points = upstream.run(inp)
        if inp.active:
            assert points == 0          # refused before any callee
        failed = []
        for n in range(1, points + 1):
            got, calls, _ = upstream.run(inp, n)
            at = [c for c in calls if c.endswith("!")]
            assert len(at) == 1
            at = at[0][:-1]
            before = calls[:calls.index(at + "!")]
            if at == "virDomainDefFormat":
                # the XML a hook script is given: without it the script still runs
                # and the start goes on, its error left set (the world has no hooks)
                assert inp.hooks and got["ret"] == 0
                assert got["last_error"] == (2, 10, None, "virDomainDefFormatInternal")
                assert dict(got, errors=[], last_error=None) == stub_run(inp)
                continue
            failed.append(at)
            assert got["ret"] == -1 and got["last_error"] is not None, at
            if at == "virDomainDefCopy":
                assert not reachable(inp)
                assert (got["id"], got["nextvmid"], got["def"], got["newDef"],
                        got["state"], got["reason"]) == (-1, inp.nextvmid, "orig", None,
                                                         inp.state, inp.reason)
                continue
            if at == "qemuProcessStartCPUs":
                assert stub_run(inp, [("qemuProcessStartCPUs", 1)]) == got
                continue
            if at == "virDomainSaveStatus":
                nth = before.count("virDomainSaveStatus") + 1
                assert stub_run(inp, [("virDomainSaveStatus", nth)]) == got, nth
                continue
            # the early save comes after the command ran, even when it failed (its
            # failure goes to cleanup only after the handshake, :2953-2954)
            saved = got["saved_status"] == ["web1"]
            mine = stub_run(inp, [("virDomainSaveStatus", 2)] if saved
                            else [("qemuProcessStart", 1)])
            if saved and mine["lockState"] is None and "qemuProcessStartCPUs" not in before:
                # failing before the guest was resumed, where the stub's second save
                # fails after: the lock state is kept upstream, given up in the stub
                assert inp.migrate_from is None and not inp.start_paused
                assert got["lockState"] == "lease"
                mine["lockState"] = "lease"
            if inp.vnc_autoport and "virFileMakePath" not in before + [at]:
                # failing before the display's ports are stored (:2702-2735), where the
                # stub fails after: a transient domain's definition keeps 0 here (a
                # persistent one's is the saved one again on both sides).  Nothing
                # reads it: PrepareAny removes the transient domain its start failed on
                assert (got["graphics_port"], got["graphics_tls_port"]) == (0, 0)
                mine["graphics_port"], mine["graphics_tls_port"] = 0, 0
            if at == STUB_FAULT:
                assert mine == got
            else:
                assert len(got["errors"]) == 1, at
                assert {k: v for k, v in mine.items() if k not in ("errors", "last_error")} \
                    == {k: v for k, v in got.items() if k not in ("errors", "last_error")}, at
        if not inp.active:
            assert STUB_FAULT in failed
            assert failed.count("virDomainSaveStatus") == 2
            assert ("qemuProcessStartCPUs" in failed) == (
                inp.migrate_from is None and not inp.start_paused)

    STOPS = [replace(base, stop=migrated, lock_state="lease", hooks=hooks)
             for base in domains() for migrated in (0, 1) for hooks in (False, True)]

    @pytest.mark.parametrize("inp", STOPS, ids=str)
    def test_a_stop_agrees_with_upstream(upstream, inp):
        """Fault-free, and at each of its fault points.  The timestamp's allocation
        (:3107-3108) is the stub's own failure: reported before the caller's last
        error is saved (:3127), so it stays the last error, and the stop goes on; all
        the same.  Opening the log (:3101) fails the same way with its own error.  A
        hook's error is raised and then the caller's last error put back."""
        assert stub_run(inp) == upstream.run(inp)[0]
        _, calls, points = upstream.run(inp)
        assert points == (0 if not inp.active else 2 + 4 * inp.hooks)
        for n in range(1, points + 1):
            got, calls, _ = upstream.run(inp, n)
            at = [c[:-1] for c in calls if c.endswith("!")][0]
            if at == "virTimestamp":
                assert got["last_error"] == (2, 10, None, "qemuProcessStop")
                assert stub_run(inp, [("qemuProcessStop", 1)]) == got
            elif at == "qemuDomainCreateLog(append)":
                assert got["errors"] == [got["last_error"]] == [(
                    38, 10, "cannot open logfile /var/log/libvirt/qemu/web1.log: "
                    "Permission denied", "qemuDomainOpenLogHelper")]
                mine = stub_run(inp, [("qemuProcessStop", 1)])
                assert dict(mine, errors=None, last_error=None) \
                    == dict(got, errors=None, last_error=None)
            else:
                assert got["last_error"] is None and len(got["errors"]) == 1, at
                assert stub_run(inp) == dict(got, errors=[]), at

    def test_a_stub_bug_is_a_disagreement(upstream, monkeypatch):
        """The harness can fail: a stub whose failing start no longer restores the saved
        persistent definition (its Stop drops newDef) disagrees, and agrees once mended."""
        inp = P.Inputs(persistent=True, new_def=True)
        assert stub_run(inp) == upstream.run(inp)[0]
        real = stubs.qemuProcessStop

        def stop_restoring_nothing(driver, vm, migrated, reason):
            vm.newDef = None
            return real(driver, vm, migrated, reason)
        monkeypatch.setattr(stubs, "qemuProcessStop", stop_restoring_nothing)
        got = upstream.run(inp, 8)[0]       # VIR_ALLOC
        assert stub_run(inp, [("qemuProcessStart", 1)]) != got
        monkeypatch.undo()
        assert stub_run(inp, [("qemuProcessStart", 1)]) == got
