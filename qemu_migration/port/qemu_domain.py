"""Port of the job functions of src/qemu/qemu_domain.c.

The file is the same at all three commits this project ports (19f8c980,
e2fb96d9, and e2fb96d9 with bebe5122), so the three versions share this port.
The trailing ``# L<n>`` of each line is the upstream line it mirrors.

Gotos: a function with labels runs as a loop over ``match label``; ``goto(x)``
raises, the loop catches it and continues at ``case x``.  A C label that code
falls into is reached by an explicit ``goto`` marked "falls through".  The
loop ends in ``case _:``, which raises ``NoSuchLabel`` naming the function and
the label, so a misspelt label fails at once instead of looping.  These lines
of scaffolding (the label variable, the loop, the ``match`` and its last case)
mirror no upstream line and carry no line number.
"""
from ..world.constants import (DEFAULT_JOB_MASK, JOB_MASK, QEMU_ASYNC_JOB_NONE,
                               QEMU_JOB_ASYNC, QEMU_JOB_ASYNC_NESTED, QEMU_JOB_DESTROY,
                               QEMU_JOB_NONE, VIR_DOMAIN_JOB_NONE, VIR_ERR_INTERNAL_ERROR,
                               VIR_ERR_OPERATION_TIMEOUT)
from ..world.objects import Ptr
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from . import DOMAIN_C, traced_names
from ..world.stubs import (VIR_WARN, _, errno, qemuDriverLock, qemuDriverUnlock,
                           qemuReportError, virCondBroadcast, virCondSignal,
                           virCondWaitUntil, virDomainObjIsActive, virDomainObjLock,
                           virDomainObjRef, virDomainObjUnlock, virDomainObjUnref,
                           register_port_functions, virDomainSaveStatus,
                           virReportSystemError, virTimeMs)
import errno as _errno

ETIMEDOUT = _errno.ETIMEDOUT
QEMU_JOB_WAIT_TIME = 1000 * 30                                             # L698


def qemuDomainObjResetJob(priv):                                           # L166
    job = priv.job                                                         # L168
    job.active = QEMU_JOB_NONE                                             # L170


def qemuDomainObjResetAsyncJob(priv):                                      # L174
    job = priv.job                                                         # L176
    job.asyncJob = QEMU_ASYNC_JOB_NONE                                     # L178
    job.phase = 0                                                          # L179
    job.mask = DEFAULT_JOB_MASK                                            # L180
    job.start = 0                                                          # L181
    job.info_type = VIR_DOMAIN_JOB_NONE                                    # L182


def qemuDomainObjSaveJob(driver, obj):                                     # L642
    if not virDomainObjIsActive(obj):                                      # L644
        return                                                             # L647

    if virDomainSaveStatus(driver.caps, driver.stateDir, obj) < 0:         # L650
        VIR_WARN("Failed to save status on vm %s", obj.def_.name)          # L651


def qemuDomainObjSetJobPhase(driver, obj, phase):                          # L655
    priv = obj.privateData                                                 # L659

    if not priv.job.asyncJob:                                              # L661
        return                                                             # L662

    priv.job.phase = phase                                                 # L664
    qemuDomainObjSaveJob(driver, obj)                                      # L665


def qemuDomainObjSetAsyncJobMask(obj, allowedJobs):                        # L669
    priv = obj.privateData                                                 # L672

    if not priv.job.asyncJob:                                              # L674
        return                                                             # L675

    priv.job.mask = allowedJobs | JOB_MASK(QEMU_JOB_DESTROY)               # L677


def qemuDomainObjDiscardAsyncJob(driver, obj):                             # L681
    priv = obj.privateData                                                 # L683

    if priv.job.active == QEMU_JOB_ASYNC_NESTED:                           # L685
        qemuDomainObjResetJob(priv)                                        # L686
    qemuDomainObjResetAsyncJob(priv)                                       # L687
    qemuDomainObjSaveJob(driver, obj)                                      # L688


def qemuDomainJobAllowed(priv, job):                                       # L692
    return not priv.job.asyncJob or (priv.job.mask & JOB_MASK(job)) != 0   # L694


def qemuDomainObjBeginJobInternal(driver, driver_locked, obj, job, asyncJob):  # L705
    priv = obj.privateData                                                 # L711
    now = Ptr()                                                            # L712
    then: int                                                               # L713
    nested = job == QEMU_JOB_ASYNC_NESTED                                  # L714

    if virTimeMs(now) < 0:                                                 # L716
        return -1                                                          # L717
    then = now.value + QEMU_JOB_WAIT_TIME                                  # L718

    virDomainObjRef(obj)                                                   # L720
    if driver_locked:                                                      # L721
        qemuDriverUnlock(driver)                                           # L722

    label = "retry"
    while True:
        try:
            match label:
                case "retry":                                              # L724
                    while not nested and not qemuDomainJobAllowed(priv, job):  # L725
                        if virCondWaitUntil("asyncCond", obj, then) < 0:   # L726
                            goto("error")                                  # L727

                    while priv.job.active:                                 # L730
                        if virCondWaitUntil("cond", obj, then) < 0:        # L731
                            goto("error")                                  # L732

                    if not nested and not qemuDomainJobAllowed(priv, job):  # L737
                        goto("retry")                                      # L738

                    qemuDomainObjResetJob(priv)                            # L740

                    if job != QEMU_JOB_ASYNC:                              # L742
                        priv.job.active = job                              # L743
                    else:                                                  # L744
                        qemuDomainObjResetAsyncJob(priv)                   # L745
                        priv.job.asyncJob = asyncJob                       # L746
                        priv.job.start = now.value                         # L747

                    if driver_locked:                                      # L750
                        virDomainObjUnlock(obj)                            # L751
                        qemuDriverLock(driver)                             # L752
                        virDomainObjLock(obj)                              # L753

                    qemuDomainObjSaveJob(driver, obj)                      # L756

                    return 0                                               # L758

                case "error":                                              # L760
                    if errno() == ETIMEDOUT:                               # L761
                        qemuReportError(VIR_ERR_OPERATION_TIMEOUT,         # L762
                                        "%s", _("cannot acquire state change lock"))  # L763
                    else:                                                  # L764
                        virReportSystemError(errno(),                      # L765
                                             "%s", _("cannot acquire job mutex"))  # L766
                    if driver_locked:                                      # L767
                        virDomainObjUnlock(obj)                            # L768
                        qemuDriverLock(driver)                             # L769
                        virDomainObjLock(obj)                              # L770
                    virDomainObjUnref(obj)                                 # L773
                    return -1                                              # L774

                case _:
                    raise NoSuchLabel("qemuDomainObjBeginJobInternal", label)
        except Goto as g:
            label = g.label


def qemuDomainObjBeginJob(driver, obj, job):                               # L786
    return qemuDomainObjBeginJobInternal(driver, False, obj, job,          # L790
                                         QEMU_ASYNC_JOB_NONE)              # L791


def qemuDomainObjBeginJobWithDriver(driver, obj, job):                     # L812
    if job <= QEMU_JOB_NONE or job >= QEMU_JOB_ASYNC:                      # L816
        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",                      # L817
                        _("Attempt to start invalid job"))                 # L818
        return -1                                                          # L819

    return qemuDomainObjBeginJobInternal(driver, True, obj, job,           # L822
                                         QEMU_ASYNC_JOB_NONE)              # L823


def qemuDomainObjBeginAsyncJobWithDriver(driver, obj, asyncJob):           # L826
    return qemuDomainObjBeginJobInternal(driver, True, obj, QEMU_JOB_ASYNC,  # L830
                                         asyncJob)                         # L831


def qemuDomainObjEndJob(driver, obj):                                      # L843
    priv = obj.privateData                                                 # L845

    qemuDomainObjResetJob(priv)                                            # L847
    qemuDomainObjSaveJob(driver, obj)                                      # L848
    virCondSignal("cond")                                                  # L849

    return virDomainObjUnref(obj)                                          # L851


def qemuDomainObjEndAsyncJob(driver, obj):                                 # L855
    priv = obj.privateData                                                 # L857

    qemuDomainObjResetAsyncJob(priv)                                       # L859
    qemuDomainObjSaveJob(driver, obj)                                      # L860
    virCondBroadcast("asyncCond")                                          # L861

    return virDomainObjUnref(obj)                                          # L863


# The ported functions show in the trace when called (runtime.traced wraps them
# here rather than by decorator, so that mutation tools see plain functions).
traced(globals(), traced_names(DOMAIN_C))
# and those only qemu_driver.c's entry points call (port/driver.py; whole migrations)
DRIVER_ONLY = ["qemuDomainObjBeginJob", "qemuDomainObjBeginJobWithDriver"]
traced(globals(), DRIVER_ONLY)
# the job functions the world's other threads run (world/stubs.py PORT_FUNCTIONS), untraced
register_port_functions(qemuDomainObjResetAsyncJob.__wrapped__, qemuDomainJobAllowed.__wrapped__)
