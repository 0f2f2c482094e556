"""src/qemu/qemu_process.c's auto-destroy on connection close, the same at all three commits.

``qemuProcessAutoDestroyRun`` runs when a connection to the qemu driver closes
(qemudClose, port/driver.py); it walks ``driver->autodestroy`` (uuid -> the
connection that started the domain: qemuProcessStart's qemuProcessAutoDestroyAdd)
and ``qemuProcessAutoDestroyDom`` kills each domain started on the closing
connection: its async job discarded (qemuDomainObjDiscardAsyncJob), a destroy
job taken, QEMU stopped, the "stopped, destroyed" event queued, a transient
domain dropped from the list.  The destination of every migration is such a
domain (qemuMigrationPrepareAny starts it with auto-destroy bound to the
connection the Prepare came on), so a migration that fails before Finish
leaves a paused incoming guest that the close of that connection destroys.

The text is the same at 19f8c980 and e2fb96d9 (lines 3465-3538 at both); the
"fixed" version is e2fb96d9 with bebe5122's change to qemu_migration.c, so its
qemu_process.c is e2fb96d9's.  (The tree at bebe5122 itself calls
qemuDomainRemoveInactive instead of virDomainRemoveInactive at :3712, a later
refactoring that is not part of the backported fix.)  ``# L<n>`` is the line of
qemu_process.c.  Gotos as in port/qemu_domain.py.
"""
from ..world.constants import (NULL, QEMU_JOB_DESTROY, VIR_DOMAIN_EVENT_STOPPED,
                               VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
                               VIR_DOMAIN_SHUTOFF_DESTROYED)
from ..world.objects import Ptr
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import (VIR_DEBUG, VIR_WARN, qemuDomainEventQueue, qemuProcessStop,
                           virDomainAuditStop, virDomainEventNewFromObj, virDomainObjUnlock,
                           virDomainRemoveInactive, virHashForEach)
from ..world.stubs_close import virHashRemoveEntry, virUUIDParse
from ..world.stubs_driver import virDomainFindByUUID
from .qemu_domain import (qemuDomainObjBeginJobWithDriver, qemuDomainObjDiscardAsyncJob,
                          qemuDomainObjEndJob)


class qemuProcessAutoDestroyData:                                           # L3465
    """struct qemuProcessAutoDestroyData: the driver and the closing connection."""
    __slots__ = ("driver", "conn")

    def __init__(self, driver, conn):
        self.driver = driver                                                # L3466
        self.conn = conn                                                    # L3467


def qemuProcessAutoDestroyDom(payload, name, opaque):                       # L3470-3472
    data = opaque                                                           # L3474
    conn = payload                                                          # L3475
    uuidstr = name                                                          # L3476
    uuid = Ptr()                                                            # L3477
    dom: object                                                             # L3478
    priv: object                                                            # L3479
    event = NULL                                                            # L3480

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    VIR_DEBUG("conn=%p uuidstr=%s thisconn=%p", conn, uuidstr,  # L3482
                              data.conn)

                    if data.conn is not conn:                               # L3484
                        return                                              # L3485

                    if virUUIDParse(uuidstr, uuid) < 0:                     # L3487
                        VIR_WARN("Failed to parse %s", uuidstr)             # L3488
                        return                                              # L3489

                    dom = virDomainFindByUUID(data.driver.domains,          # L3492
                                              uuid.value)                   # L3493
                    if dom is NULL:                                         # L3492
                        VIR_DEBUG("No domain object to kill")               # L3494
                        return                                              # L3495

                    priv = dom.privateData                                  # L3498
                    if priv.job.asyncJob:                                   # L3499
                        VIR_DEBUG("vm=%s has long-term job active, cancelling",  # L3500
                                  dom.def_.name)                            # L3501
                        qemuDomainObjDiscardAsyncJob(data.driver, dom)      # L3502

                    if qemuDomainObjBeginJobWithDriver(data.driver, dom,    # L3505
                                                       QEMU_JOB_DESTROY) < 0:  # L3506
                        goto("cleanup")                                     # L3507

                    VIR_DEBUG("Killing domain")                             # L3509
                    qemuProcessStop(data.driver, dom, 1, VIR_DOMAIN_SHUTOFF_DESTROYED)  # L3510
                    virDomainAuditStop(dom, "destroyed")                    # L3511
                    event = virDomainEventNewFromObj(dom,                   # L3512
                                                     VIR_DOMAIN_EVENT_STOPPED,  # L3513
                                                     VIR_DOMAIN_EVENT_STOPPED_DESTROYED)  # L3514
                    if qemuDomainObjEndJob(data.driver, dom) == 0:          # L3515
                        dom = NULL                                          # L3516
                    if dom is not NULL and not dom.persistent:              # L3517
                        virDomainRemoveInactive(data.driver.domains, dom)   # L3518
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L3520
                    if dom is not NULL:                                     # L3521
                        virDomainObjUnlock(dom)                             # L3522
                    if event is not NULL:                                   # L3523
                        qemuDomainEventQueue(data.driver, event)            # L3524
                    virHashRemoveEntry(data.driver.autodestroy, uuidstr)    # L3525
                    return                                                  # L3526

                case _:
                    raise NoSuchLabel("qemuProcessAutoDestroyDom", label)
        except Goto as g:
            label = g.label


def qemuProcessAutoDestroyRun(driver, conn):                                # L3531
    data = qemuProcessAutoDestroyData(driver, conn)                         # L3533-3535
    VIR_DEBUG("conn=%p", conn)                                              # L3536
    virHashForEach(driver.autodestroy, qemuProcessAutoDestroyDom, data)     # L3537


# the functions this module adds to a host's unit, in upstream order
UNIT: list = ["qemuProcessAutoDestroyDom", "qemuProcessAutoDestroyRun"]

# The ported functions show in the trace when called (runtime.traced wraps them
# here rather than by decorator, so that mutation tools see plain functions).
traced(globals(), UNIT)
