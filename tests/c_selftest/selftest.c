/*
 * qemu-migration self-test: small functions of our own that go through the
 * same build path as the extracted libvirt text (stubs.h, stubs.c, forward
 * declarations, wrappers, instrumentation) and between them use every stub
 * and macro.  selftest.py beside this file is their Python twin.
 */

const char *
selftestWhich(void)
{
    return "c";
}

static int
selftestJob(struct qemud_driver *drv ATTRIBUTE_UNUSED,
            virDomainObjPtr dom,
            int phase)
{
    qemuDomainObjPrivatePtr jp = dom->privateData;
    unsigned long long now;

    if (virTimeMs(&now) < 0)
        return -1;
    jp->job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT;
    jp->job.mask = DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND);
    jp->job.start = now;
    jp->job.info.type = VIR_DOMAIN_JOB_UNBOUNDED;
    if (phase > QEMU_MIGRATION_PHASE_PREPARE) {
        qemuReportError(VIR_ERR_OPERATION_INVALID, _("phase %d is past %s"), phase,
                        NULLSTR(qemuMigrationJobPhaseTypeToString(QEMU_MIGRATION_PHASE_PREPARE)));
        return -1;
    }
    jp->job.phase = phase;
    VIR_WARN("phase of %s is %s", dom->def->name,
             NULLSTR(qemuMigrationJobPhaseTypeToString(phase)));
    return 0;
}

static int
selftestLocks(struct qemud_driver *drv, virDomainObjPtr dom, unsigned long long then)
{
    qemuDomainObjPrivatePtr jp = dom->privateData;

    virDomainObjRef(dom);
    qemuDriverUnlock(drv);
    virCondSignal(&jp->job.cond);
    virCondBroadcast(&jp->job.asyncCond);
    if (virCondWaitUntil(&jp->job.asyncCond, &dom->lock, then) < 0) {
        if (errno == ETIMEDOUT)
            VIR_ERROR(_("waited for %s until %llu"), dom->def->name, then);
        else
            virReportSystemError(errno, _("cannot wait for %s"), dom->def->name);
    }
    virDomainObjUnlock(dom);
    qemuDriverLock(drv);
    virDomainObjLock(dom);
    if (virDomainObjIsActive(dom) &&
        virDomainSaveStatus(drv->caps, drv->stateDir, dom) < 0)
        VIR_WARN("no status for %s", dom->def->name);
    return virDomainObjUnref(dom);
}

static void
selftestCount(void *payload ATTRIBUTE_UNUSED,
              const void *name ATTRIBUTE_UNUSED,
              void *opaque)
{
    int *count = opaque;
    (*count)++;
}

static int
selftestTables(struct qemud_driver *drv, virDomainObjPtr dom)
{
    char uuidstr[VIR_UUID_STRING_BUFLEN];
    int count = 0;

    virUUIDFormat(dom->def->uuid, uuidstr);
    ignore_value(virHashForEach(dom->snapshots.objs, selftestCount, &count));
    if (virHashLookup(drv->autodestroy, uuidstr) != NULL)
        count += 100;
    return count;
}

static int
selftestCookie(struct qemud_driver *drv,
               virDomainObjPtr dom,
               const char *cookiein,
               char **cookieout,
               int *cookieoutlen)
{
    qemuDomainObjPrivatePtr jp = dom->privateData;
    qemuMigrationCookiePtr mig;
    int ret;

    if (!(mig = qemuMigrationEatCookie(drv, dom, cookiein, 0,
                                       QEMU_MIGRATION_COOKIE_LOCKSTATE)))
        return -1;
    if (mig->lockState) {
        VIR_FREE(jp->lockState);
        jp->lockState = mig->lockState;
        mig->lockState = NULL;
    }
    ret = qemuMigrationBakeCookie(mig, drv, dom, cookieout, cookieoutlen,
                                  QEMU_MIGRATION_COOKIE_LOCKSTATE);
    qemuMigrationCookieFree(mig);
    return ret;
}

static char *
selftestDefine(struct qemud_driver *drv,
               virConnectPtr conn,
               const char *xml,
               const char *dname)
{
    virDomainDefPtr dd;
    virDomainObjPtr dom = NULL;
    virDomainEventPtr ev = NULL;
    char *out = NULL;
    int reason = -1;

    if (!(dd = virDomainDefParseString(drv->caps, xml, QEMU_EXPECTED_VIRT_TYPES,
                                        VIR_DOMAIN_XML_INACTIVE)))
        return NULL;
    if (dname) {
        VIR_FREE(dd->name);
        if (!(dd->name = strdup(dname))) {
            virReportOOMError();
            goto cleanup;
        }
    }
    if (virDomainObjIsDuplicate(&drv->domains, dd, 1) < 0)
        goto cleanup;
    if (!(dom = virDomainAssignDef(drv->caps, &drv->domains, dd, true)))
        goto cleanup;
    dd = NULL;
    if (!virDomainDefCheckABIStability(dom->def, dom->def))
        goto cleanup;
    if (qemuProcessStart(conn, drv, dom, "stdio", true, true, -1, NULL, NULL,
                         VIR_VM_OP_MIGRATE_IN_START) < 0) {
        virDomainAuditStart(dom, "migration", false);
        goto cleanup;
    }
    virDomainAuditStart(dom, "migration", true);
    if (virDomainObjGetState(dom, &reason) == VIR_DOMAIN_PAUSED &&
        qemuProcessStartCPUs(drv, dom, conn, VIR_DOMAIN_RUNNING_MIGRATED,
                             QEMU_ASYNC_JOB_MIGRATION_IN) < 0)
        VIR_ERROR(_("cannot resume %s (reason %d)"), dom->def->name, reason);
    ev = virDomainEventNewFromObj(dom, VIR_DOMAIN_EVENT_STARTED,
                                     VIR_DOMAIN_EVENT_STARTED_MIGRATED);
    out = qemuDomainFormatXML(drv, dom, VIR_DOMAIN_XML_SECURE);
    if (out && STRPREFIX(out, "<domain"))
        out = qemuDomainDefFormatXML(drv, dom->def, VIR_DOMAIN_XML_SECURE);
    qemuProcessStop(drv, dom, 1, VIR_DOMAIN_SHUTOFF_MIGRATED);
    virDomainAuditStop(dom, "migration");
    if (virDomainDeleteConfig(drv->configDir, drv->autostartDir, dom) < 0)
        VIR_WARN("config of %s stays", dom->def->name);
    virDomainRemoveInactive(&drv->domains, dom);
    dom = NULL;

cleanup:
    virDomainDefFree(dd);
    if (dom)
        virDomainObjUnlock(dom);
    if (ev)
        qemuDomainEventQueue(drv, ev);
    return out;
}

static int
selftestTunnel(virStreamPtr st)
{
    int fds[2] = { -1, -1 };
    int ret = -1;

    if (pipe(fds) < 0 || virSetCloseExec(fds[1]) < 0) {
        virReportSystemError(errno, "%s", _("cannot create pipe"));
        goto cleanup;
    }
    if (virFDStreamOpen(st, fds[1]) < 0) {
        virReportSystemError(errno, "%s", _("cannot open stream"));
        goto cleanup;
    }
    fds[1] = -1;
    ret = 0;

cleanup:
    VIR_FORCE_CLOSE(fds[0]);
    VIR_FORCE_CLOSE(fds[1]);
    return ret;
}

static int
selftestUri(const char *uri_in, char **uri_out)
{
    char *hostname = NULL;
    const char *p;
    int port;
    int ret = -1;

    if (!(hostname = virGetHostname(NULL)))
        goto cleanup;
    if (!uri_in || !STRPREFIX(uri_in, "tcp:")) {
        qemuReportError(VIR_ERR_INVALID_ARG, _("bad URI %s"), NULLSTR(uri_in));
        goto cleanup;
    }
    p = strrchr(uri_in, ':') + 1;
    port = virParseNumber(&p);
    if (port == -1 || *p != '\0') {
        qemuReportError(VIR_ERR_INVALID_ARG, "%s", _("URI ended with no port"));
        goto cleanup;
    }
    if (virAsprintf(uri_out, "tcp:%s:%d", hostname, port + 1) < 0) {
        virReportOOMError();
        goto cleanup;
    }
    ret = 0;

cleanup:
    VIR_FREE(hostname);
    if (ret != 0)
        VIR_FREE(*uri_out);
    return ret;
}

static int
selftestMigrate(struct qemud_driver *drv,
                virConnectPtr conn,
                virDomainObjPtr dom,
                unsigned long flags,
                char **cookieout,
                int *cookieoutlen)
{
    bool v3proto = false;
    int ret;

    if (flags & VIR_MIGRATE_PEER2PEER) {
        ret = doPeer2PeerMigrate(drv, conn, dom, NULL, "qemu://dest/system", NULL,
                                 flags, NULL, 0, &v3proto);
        if (ret == 0)
            ret = v3proto ? 3 : 2;
    } else {
        ret = doNativeMigrate(drv, dom, "tcp:dest:49152", NULL, 0, cookieout,
                              cookieoutlen, flags, 0);
    }
    return ret;
}

static bool
selftestActive(virDomainObjPtr dom)
{
    return virDomainObjIsActive(dom);
}

/* n + 2 entries, then two deferred calls (records of two slots each): at the n that
 * leaves one slot free in the trace's buffer (build.py's EVENTS), the first record must
 * go to a buffer Python has read first. */
int
selftestFill(virDomainObjPtr dom, int n)
{
    int r = selftestDepth(n);

    virDomainObjRef(dom);
    virDomainObjUnref(dom);
    return r;
}

/* virDomainObjIsActive asked n calls down: deeper than C keeps the functions entered
 * (build.py's NSTACK), neither the deferred call nor the crossing can name its caller. */
static bool
selftestActiveBelow(virDomainObjPtr dom, int n)
{
    return n > 0 ? selftestActiveBelow(dom, n - 1) : selftestActive(dom);
}

int
selftestDeepActive(virDomainObjPtr dom, int n)
{
    return selftestActiveBelow(dom, n) ? 1 : 0;
}

/* The last reference dropped, then the domain touched: each touch is noted under the
 * function that made it; the references are counted on both sides alike. */
static int
selftestFreed(virDomainObjPtr dom)
{
    int left = virDomainObjUnref(dom);

    if (selftestActive(dom))
        left += 10;
    virDomainObjRef(dom);
    virDomainDefFree(NULL);
    return left + dom->refs * 100;
}

/* The clock read, a wait that moves it on, the clock read again. */
static int
selftestClock(virDomainObjPtr dom, unsigned long long then)
{
    qemuDomainObjPrivatePtr jp = dom->privateData;
    unsigned long long a = 0, b = 0;

    if (virTimeMs(&a) < 0)
        return -1;
    if (virCondWaitUntil(&jp->job.cond, &dom->lock, then) < 0 && virTimeMs(&b) < 0)
        return -2;
    return (int)(b - a);
}

/* Reports and logs, more between two callbacks than C buffers (build.py's EVENTS
 * events, stubs.c's QMC_NTEXT bytes of their texts). */
static int
selftestReports(int n, int wide)
{
    int i;

    for (i = 0; i < n; i++)
        VIR_WARN("%*d", wide, i);
    virDomainReportError(VIR_ERR_INTERNAL_ERROR, _("domain error %d"), n);
    qemuReportError(VIR_ERR_OPERATION_INVALID, "%s", _("qemu error"));
    virReportSystemError(EIO, _("system error %d"), n);
    virReportOOMError();
    VIR_ERROR(_("last of %d"), n);
    return n;
}

/* The definition renamed by C itself, then the status saved with no callback between
 * (the migration code renames only before a call that syncs). */
static int
selftestRename(struct qemud_driver *drv, virDomainObjPtr dom)
{
    static char other[] = "other";

    dom->def->name = other;
    return virDomainSaveStatus(drv->caps, drv->stateDir, dom);
}

static int
selftestDepth(int n)
{
    return n > 0 ? selftestDepth(n - 1) + 1 : 0;
}

/* Deeper than the trace's buffer (build.py's EVENTS) between two callbacks: the
 * entries and exits of selftestDepth fill it before strdup reads it. */
int
selftestDeep(int n)
{
    int r = selftestDepth(n);
    char *s = strdup("deep");
    VIR_FREE(s);
    return r;
}
