"""Recorded stand-ins for what qemu_driver.c's migration entry points call and do not port.

The entry points (port/driver.py) look their domain up (virDomainFindByUUID,
virDomainFindByName), hand back domain handles (virGetDomain), read the guest's
CPU time from /proc and its balloon from the QEMU monitor.  Each stub does to the
world what the real function does to the state the ported code can observe, and
fails, where the real one can, the way it fails (see ``stubs.py``).
"""
from .constants import (NULL, QEMU_MIGRATION_FLAGS, VIR_ERR_INTERNAL_ERROR,
                        VIR_ERR_INVALID_ARG, VIR_FROM_QEMU)
from . import runtime
from .runtime import recorded
from .stubs import (_meanwhile, _report, _waited, cfmt, qemuDriverLock, qemuDriverUnlock,
                    _touch)

# glibc /proc/<pid>/stat: what the stub reads as the guest's CPU time (ns), a fixed figure
CPU_TIME_NS = 4200000000


# --- macros and helpers (not traced) ---------------------------------------------------


def virCheckFlags(flags, supported=QEMU_MIGRATION_FLAGS):
    """internal.h's virCheckFlags macro: reports flags outside ``supported`` as
    VIR_ERR_INVALID_ARG "<function>: unsupported flags (0x<bits>)" and says whether it did;
    the caller returns its failure value then (the macro's ``return retval``)."""
    unsupported = flags & ~supported
    if unsupported:
        w = runtime._world
        _report(VIR_FROM_QEMU, VIR_ERR_INVALID_ARG,
                cfmt("%s: unsupported flags (0x%x)", (w.frame, unsupported)),
                w.frame)
        return True
    return False


class FieldPtr:
    """``&(info->cpuTime)``: a pointer to a field of a struct, for a callee that writes
    through it (its ``value`` is the field)."""
    __slots__ = ("obj", "field")

    def __init__(self, obj, field):
        self.obj = obj
        self.field = field

    @property
    def value(self):
        return getattr(self.obj, self.field)

    @value.setter
    def value(self, v):
        setattr(self.obj, self.field, v)

    def __repr__(self):
        return "&%s" % self.field


def virUUIDFormat(uuid):
    """uuid.c's virUUIDFormat: the text form of a uuid (kept as text here already)."""
    return uuid


# --- recorded stubs ----------------------------------------------------------------------


def virDomainFindByUUID(doms, uuid, *, fail):
    """virDomainFindByUUID (domain_conf.c:597 @ e2fb96d9): the domain object with that uuid
    in the driver's list, locked; NULL (nothing reported) when there is none.  Taking the
    lock waits while another thread holds it: a wait point of a whole migration's host
    (stubs.WAIT_POINTS), where a wakeup scripted for this passage happens first."""
    vm = doms.get(uuid)
    if vm is not None:
        _touch(vm)
        _waited(vm)
        vm.locked = True
    return vm


def virDomainFindByName(doms, name, *, fail):
    """virDomainFindByName (domain_conf.c:625 @ e2fb96d9): the domain object of that name in
    the driver's list, locked; NULL (nothing reported) when there is none."""
    for vm in doms.values():
        if vm.def_.name == name:
            _touch(vm)
            vm.locked = True
            return vm
    return NULL


def qemudGetProcessInfo(cpuTime, lastCpu, pid, tid, *, fail):
    """qemudGetProcessInfo (qemu_driver.c:1017 @ e2fb96d9): the guest's CPU time from
    /proc/<pid>/stat into ``cpuTime``; 0.  An injected failure is its path's allocation
    (virAsprintf) failing: -1, reporting nothing (the caller reports)."""
    if fail:
        return -1
    cpuTime.value = CPU_TIME_NS
    return 0


def qemuDomainObjEnterMonitor(driver, vm, *, fail):
    """qemuDomainObjEnterMonitor (qemu_domain.c:945 @ e2fb96d9): takes the monitor and lets
    go of the domain lock (no async job: it cannot fail)."""
    _touch(vm)
    vm.locked = False


def qemuDomainObjExitMonitor(driver, vm, *, fail):
    """qemuDomainObjExitMonitor (qemu_domain.c:956 @ e2fb96d9): gives the monitor back and
    takes the domain lock again.  Another thread may have run meanwhile (stubs._meanwhile,
    a lock-drop point)."""
    _meanwhile(vm)
    _touch(vm)
    vm.locked = True


def qemuDomainObjEnterMonitorWithDriver(driver, vm, *, fail):
    """qemuDomainObjEnterMonitorWithDriver (qemu_domain.c:971 @ e2fb96d9): as
    qemuDomainObjEnterMonitor, and lets go of the driver lock too."""
    _touch(vm)
    vm.locked = False
    qemuDriverUnlock(driver)


def qemuDomainObjExitMonitorWithDriver(driver, vm, *, fail):
    """qemuDomainObjExitMonitorWithDriver (qemu_domain.c:1004 @ e2fb96d9): takes the driver
    lock, then the domain lock, again.  Another thread may have run meanwhile
    (stubs._meanwhile, a lock-drop point)."""
    _meanwhile(vm)
    qemuDriverLock(driver)
    _touch(vm)
    vm.locked = True


def qemuMonitorGetBalloonInfo(mon, currmem, *, fail):
    """qemuMonitorGetBalloonInfo (qemu_monitor.c:1159 @ e2fb96d9): asks QEMU for the balloon
    (qemuMonitorJSONGetBalloonInfo, qemu_monitor_json.c:1135; qemuMonitorTextGetBalloonInfo,
    qemu_monitor_text.c:640).  A guest whose balloon driver is loaded (``mon.balloon``, its
    size in KiB) gets that size in ``currmem`` and 1 (json :1178-1179, text :669-670);
    without one QEMU answers that no balloon is active (the JSON monitor's DeviceNotActive
    error, :1152; a text reply with no "balloon: actual=", :671-675): 0, and the callers
    leave ``currmem`` unread (the JSON one zeroes it, the text one leaves it: untouched
    here).  An injected failure
    is the monitor closing under the call: -1 with VIR_ERR_INTERNAL_ERROR "End of file from
    monitor" (qemu_monitor.c:577).
    """
    if fail:
        _report(VIR_FROM_QEMU, VIR_ERR_INTERNAL_ERROR, "End of file from monitor",
                "qemuMonitorIO")
        return -1
    if mon.balloon is None:
        return 0
    currmem.value = mon.balloon
    return 1


FAULTABLE = sorted(['qemudGetProcessInfo', 'qemuMonitorGetBalloonInfo'])
PLAIN = ['virDomainFindByUUID', 'virDomainFindByName', 'qemuDomainObjEnterMonitor',
         'qemuDomainObjExitMonitor', 'qemuDomainObjEnterMonitorWithDriver',
         'qemuDomainObjExitMonitorWithDriver']
recorded(globals(), faultable=FAULTABLE, plain=PLAIN)
