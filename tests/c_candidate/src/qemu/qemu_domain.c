/*
 * qemu-migration test tree (not libvirt): the domain job functions, written
 * for this project from the behaviour of qemu_migration/port/qemu_domain.py.
 */

static void
qemuDomainObjResetJob(qemuDomainObjPrivatePtr pd)
{
    pd->job.active = QEMU_JOB_NONE;
}

static void
qemuDomainObjResetAsyncJob(qemuDomainObjPrivatePtr pd)
{
    struct qemuDomainJobObj *j = &pd->job;

    j->asyncJob = QEMU_ASYNC_JOB_NONE;
    j->phase = 0;
    j->mask = DEFAULT_JOB_MASK;
    j->start = 0;
    j->info.type = VIR_DOMAIN_JOB_NONE;
}

static void
qemuDomainObjSaveJob(struct qemud_driver *drv, virDomainObjPtr dom)
{
    /* only a running domain has a status file */
    if (!virDomainObjIsActive(dom))
        return;
    if (virDomainSaveStatus(drv->caps, drv->stateDir, dom) < 0)
        VIR_WARN("Failed to save status on vm %s", dom->def->name);
}

void
qemuDomainObjSetJobPhase(struct qemud_driver *drv, virDomainObjPtr dom, int step)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    if (pd->job.asyncJob == QEMU_ASYNC_JOB_NONE)
        return;
    pd->job.phase = step;
    qemuDomainObjSaveJob(drv, dom);
}

void
qemuDomainObjSetAsyncJobMask(virDomainObjPtr dom, unsigned long long allowed)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    if (pd->job.asyncJob == QEMU_ASYNC_JOB_NONE)
        return;
    /* destroying stays possible whatever the caller allows */
    pd->job.mask = allowed | JOB_MASK(QEMU_JOB_DESTROY);
}

void
qemuDomainObjDiscardAsyncJob(struct qemud_driver *drv, virDomainObjPtr dom)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    if (pd->job.active == QEMU_JOB_ASYNC_NESTED)
        qemuDomainObjResetJob(pd);
    qemuDomainObjResetAsyncJob(pd);
    qemuDomainObjSaveJob(drv, dom);
}

static bool
qemuDomainJobAllowed(qemuDomainObjPrivatePtr pd, enum qemuDomainJob want)
{
    if (!pd->job.asyncJob)
        return true;
    return (pd->job.mask & JOB_MASK(want)) != 0;
}

static int
qemuDomainObjBeginJobInternal(struct qemud_driver *drv,
                              bool drvLocked,
                              virDomainObjPtr dom,
                              enum qemuDomainJob want,
                              enum qemuDomainAsyncJob wantAsync)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;
    unsigned long long started;
    unsigned long long deadline;
    bool inner = (want == QEMU_JOB_ASYNC_NESTED);

    if (virTimeMs(&started) < 0)
        return -1;
    deadline = started + QEMU_JOB_WAIT_TIME;

    /* hold the domain while its lock is given up to wait */
    virDomainObjRef(dom);
    if (drvLocked)
        qemuDriverUnlock(drv);

again:
    while (!inner && !qemuDomainJobAllowed(pd, want)) {
        if (virCondWaitUntil(&pd->job.asyncCond, &dom->lock, deadline) < 0)
            goto failed;
    }
    while (pd->job.active) {
        if (virCondWaitUntil(&pd->job.cond, &dom->lock, deadline) < 0)
            goto failed;
    }
    /* an async job may have started while we waited for the plain one */
    if (!inner && !qemuDomainJobAllowed(pd, want))
        goto again;

    qemuDomainObjResetJob(pd);
    if (want == QEMU_JOB_ASYNC) {
        qemuDomainObjResetAsyncJob(pd);
        pd->job.asyncJob = wantAsync;
        pd->job.start = started;
    } else {
        pd->job.active = want;
    }

    if (drvLocked) {
        /* lock order: driver first, then domain */
        virDomainObjUnlock(dom);
        qemuDriverLock(drv);
        virDomainObjLock(dom);
    }
    qemuDomainObjSaveJob(drv, dom);
    return 0;

failed:
    if (errno != ETIMEDOUT)
        virReportSystemError(errno, "%s", _("cannot acquire job mutex"));
    else
        qemuReportError(VIR_ERR_OPERATION_TIMEOUT, "%s",
                        _("cannot acquire state change lock"));
    if (drvLocked) {
        virDomainObjUnlock(dom);
        qemuDriverLock(drv);
        virDomainObjLock(dom);
    }
    virDomainObjUnref(dom);
    return -1;
}

int
qemuDomainObjBeginAsyncJobWithDriver(struct qemud_driver *drv,
                                     virDomainObjPtr dom,
                                     enum qemuDomainAsyncJob wantAsync)
{
    return qemuDomainObjBeginJobInternal(drv, true, dom, QEMU_JOB_ASYNC, wantAsync);
}

int
qemuDomainObjEndJob(struct qemud_driver *drv, virDomainObjPtr dom)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    qemuDomainObjResetJob(pd);
    qemuDomainObjSaveJob(drv, dom);
    virCondSignal(&pd->job.cond);
    return virDomainObjUnref(dom);
}

int
qemuDomainObjEndAsyncJob(struct qemud_driver *drv, virDomainObjPtr dom)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    qemuDomainObjResetAsyncJob(pd);
    qemuDomainObjSaveJob(drv, dom);
    virCondBroadcast(&pd->job.asyncCond);
    return virDomainObjUnref(dom);
}
