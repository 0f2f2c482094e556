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
selftestJob(struct qemud_driver *driver ATTRIBUTE_UNUSED,
            virDomainObjPtr vm,
            int phase)
{
    qemuDomainObjPrivatePtr priv = vm->privateData;
    unsigned long long now;

    if (virTimeMs(&now) < 0)
        return -1;
    priv->job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT;
    priv->job.mask = DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND);
    priv->job.start = now;
    priv->job.info.type = VIR_DOMAIN_JOB_UNBOUNDED;
    if (phase > QEMU_MIGRATION_PHASE_PREPARE) {
        qemuReportError(VIR_ERR_OPERATION_INVALID, _("phase %d is past %s"), phase,
                        NULLSTR(qemuMigrationJobPhaseTypeToString(QEMU_MIGRATION_PHASE_PREPARE)));
        return -1;
    }
    priv->job.phase = phase;
    VIR_WARN("phase of %s is %s", vm->def->name,
             NULLSTR(qemuMigrationJobPhaseTypeToString(phase)));
    return 0;
}

static int
selftestLocks(struct qemud_driver *driver, virDomainObjPtr vm, unsigned long long then)
{
    qemuDomainObjPrivatePtr priv = vm->privateData;

    virDomainObjRef(vm);
    qemuDriverUnlock(driver);
    virCondSignal(&priv->job.cond);
    virCondBroadcast(&priv->job.asyncCond);
    if (virCondWaitUntil(&priv->job.asyncCond, &vm->lock, then) < 0) {
        if (errno == ETIMEDOUT)
            VIR_ERROR(_("waited for %s until %llu"), vm->def->name, then);
        else
            virReportSystemError(errno, _("cannot wait for %s"), vm->def->name);
    }
    virDomainObjUnlock(vm);
    qemuDriverLock(driver);
    virDomainObjLock(vm);
    if (virDomainObjIsActive(vm) &&
        virDomainSaveStatus(driver->caps, driver->stateDir, vm) < 0)
        VIR_WARN("no status for %s", vm->def->name);
    return virDomainObjUnref(vm);
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
selftestTables(struct qemud_driver *driver, virDomainObjPtr vm)
{
    char uuidstr[VIR_UUID_STRING_BUFLEN];
    int count = 0;

    virUUIDFormat(vm->def->uuid, uuidstr);
    ignore_value(virHashForEach(vm->snapshots.objs, selftestCount, &count));
    if (virHashLookup(driver->autodestroy, uuidstr) != NULL)
        count += 100;
    return count;
}

static int
selftestCookie(struct qemud_driver *driver,
               virDomainObjPtr vm,
               const char *cookiein,
               char **cookieout,
               int *cookieoutlen)
{
    qemuDomainObjPrivatePtr priv = vm->privateData;
    qemuMigrationCookiePtr mig;
    int ret;

    if (!(mig = qemuMigrationEatCookie(driver, vm, cookiein, 0,
                                       QEMU_MIGRATION_COOKIE_LOCKSTATE)))
        return -1;
    if (mig->lockState) {
        VIR_FREE(priv->lockState);
        priv->lockState = mig->lockState;
        mig->lockState = NULL;
    }
    ret = qemuMigrationBakeCookie(mig, driver, vm, cookieout, cookieoutlen,
                                  QEMU_MIGRATION_COOKIE_LOCKSTATE);
    qemuMigrationCookieFree(mig);
    return ret;
}

static char *
selftestDefine(struct qemud_driver *driver,
               virConnectPtr conn,
               const char *xml,
               const char *dname)
{
    virDomainDefPtr def;
    virDomainObjPtr vm = NULL;
    virDomainEventPtr event = NULL;
    char *out = NULL;
    int reason = -1;

    if (!(def = virDomainDefParseString(driver->caps, xml, QEMU_EXPECTED_VIRT_TYPES,
                                        VIR_DOMAIN_XML_INACTIVE)))
        return NULL;
    if (dname) {
        VIR_FREE(def->name);
        if (!(def->name = strdup(dname))) {
            virReportOOMError();
            goto cleanup;
        }
    }
    if (virDomainObjIsDuplicate(&driver->domains, def, 1) < 0)
        goto cleanup;
    if (!(vm = virDomainAssignDef(driver->caps, &driver->domains, def, true)))
        goto cleanup;
    def = NULL;
    if (!virDomainDefCheckABIStability(vm->def, vm->def))
        goto cleanup;
    if (qemuProcessStart(conn, driver, vm, "stdio", true, true, -1, NULL, NULL,
                         VIR_VM_OP_MIGRATE_IN_START) < 0) {
        virDomainAuditStart(vm, "migrated", false);
        goto cleanup;
    }
    virDomainAuditStart(vm, "migrated", true);
    if (virDomainObjGetState(vm, &reason) == VIR_DOMAIN_PAUSED &&
        qemuProcessStartCPUs(driver, vm, conn, VIR_DOMAIN_RUNNING_MIGRATED,
                             QEMU_ASYNC_JOB_MIGRATION_IN) < 0)
        VIR_ERROR(_("cannot resume %s (reason %d)"), vm->def->name, reason);
    event = virDomainEventNewFromObj(vm, VIR_DOMAIN_EVENT_STARTED,
                                     VIR_DOMAIN_EVENT_STARTED_MIGRATED);
    out = qemuDomainFormatXML(driver, vm, VIR_DOMAIN_XML_SECURE);
    if (out && STRPREFIX(out, "<domain"))
        out = qemuDomainDefFormatXML(driver, vm->def, VIR_DOMAIN_XML_SECURE);
    qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_MIGRATED);
    virDomainAuditStop(vm, "migrated");
    if (virDomainDeleteConfig(driver->configDir, driver->autostartDir, vm) < 0)
        VIR_WARN("config of %s stays", vm->def->name);
    virDomainRemoveInactive(&driver->domains, vm);
    vm = NULL;

cleanup:
    virDomainDefFree(def);
    if (vm)
        virDomainObjUnlock(vm);
    if (event)
        qemuDomainEventQueue(driver, event);
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
selftestMigrate(struct qemud_driver *driver,
                virConnectPtr conn,
                virDomainObjPtr vm,
                unsigned long flags,
                char **cookieout,
                int *cookieoutlen)
{
    bool v3proto = false;
    int ret;

    if (flags & VIR_MIGRATE_PEER2PEER) {
        ret = doPeer2PeerMigrate(driver, conn, vm, NULL, "qemu://dest/system", NULL,
                                 flags, NULL, 0, &v3proto);
        if (ret == 0)
            ret = v3proto ? 3 : 2;
    } else {
        ret = doNativeMigrate(driver, vm, "tcp:dest:49152", NULL, 0, cookieout,
                              cookieoutlen, flags, 0);
    }
    return ret;
}
