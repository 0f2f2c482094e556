"""Ports of the two checks qemuMigrationIsAllowed leans on.

``qemuProcessAutoDestroyActive`` (src/qemu/qemu_process.c) and
``virDomainSnapshotObjListNum`` with its iterator (src/conf/domain_conf.c) are
the same at all three commits and at the same lines; ``# L<n>`` is that line.
"""
from ..world.runtime import traced
from . import ABI_CHECK, CONF_C, PROCESS_C, traced_names
from ..world.stubs import NULL, VIR_DEBUG, virHashForEach, virHashLookup

VIR_DOMAIN_SNAPSHOT_LIST_ROOTS = 1 << 0


def qemuProcessAutoDestroyActive(driver, vm):                       # qemu_process.c L3568
    uuidstr = vm.def_.uuid                                          # L3571-3572
    VIR_DEBUG("vm=%s uuid=%s", vm.def_.name, uuidstr)               # L3573
    if virHashLookup(driver.autodestroy, uuidstr) != NULL:          # L3574
        return True                                                 # L3575
    return False                                                    # L3576


class _NumData:
    def __init__(self, count, flags):
        self.count = count
        self.flags = flags


def virDomainSnapshotObjListCount(payload, name, opaque):           # domain_conf.c L11642
    obj = payload                                                   # L11646
    data = opaque                                                   # L11647

    if (data.flags & VIR_DOMAIN_SNAPSHOT_LIST_ROOTS) and obj.parent:  # L11649
        return                                                      # L11650
    data.count += 1                                                 # L11651


def virDomainSnapshotObjListNum(snapshots, flags):                  # domain_conf.c L11654
    data = _NumData(0, flags)                                       # L11657

    virHashForEach(snapshots.objs, virDomainSnapshotObjListCount, data)  # L11659

    return data.count                                               # L11661


# The ported functions show in the trace when called (runtime.traced wraps them
# here rather than by decorator, so that mutation tools see plain functions).
traced(globals(), [n for n in traced_names(CONF_C, PROCESS_C) if n not in ABI_CHECK])
