/*
 * qemu-migration test tree (not libvirt): the migration entry points as the
 * `post` port behaves, written for this project from the behaviour of
 * qemu_migration/port/post.py (own layout, names and comments).  The tests
 * build it as the version c:tests/c_candidate and edit copies of it.
 */

static int qemuMigrationJobStart(struct qemud_driver *drv, virDomainObjPtr dom,
                                 enum qemuDomainAsyncJob kind);
static void qemuMigrationJobSetPhase(struct qemud_driver *drv, virDomainObjPtr dom,
                                     enum qemuMigrationJobPhase step);
static int qemuMigrationJobContinue(virDomainObjPtr dom);
static int qemuMigrationJobFinish(struct qemud_driver *drv, virDomainObjPtr dom);

/* The three reasons a domain may not migrate; with a domain object all three
 * are checked, with only a definition (an incoming domain) the last one. */
bool
qemuMigrationIsAllowed(struct qemud_driver *drv, virDomainObjPtr dom,
                       virDomainDefPtr dd)
{
    const char *why;
    int snaps;

    if (dom) {
        if (qemuProcessAutoDestroyActive(drv, dom)) {
            why = _("domain is marked for auto destroy");
            goto refuse;
        }
        snaps = virDomainSnapshotObjListNum(&dom->snapshots, 0);
        if (snaps) {
            /* the message counts them */
            qemuReportError(VIR_ERR_OPERATION_INVALID, _("cannot migrate domain "
                            "with %d snapshots"), snaps);
            return false;
        }
        dd = dom->def;
    }
    if (dd->nhostdevs <= 0)
        return true;
    why = _("Domain with assigned host devices cannot be migrated");

refuse:
    qemuReportError(VIR_ERR_OPERATION_INVALID, "%s", why);
    return false;
}

char *
qemuMigrationBegin(struct qemud_driver *drv,
                   virDomainObjPtr dom,
                   const char *xmlin,
                   char **cookieout,
                   int *cookieoutlen)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;
    qemuMigrationCookiePtr ck = NULL;
    virDomainDefPtr wanted = NULL;
    char *xml = NULL;

    if (pd->job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_OUT)
        qemuMigrationJobSetPhase(drv, dom, QEMU_MIGRATION_PHASE_BEGIN3);

    if (!qemuMigrationIsAllowed(drv, dom, NULL))
        goto cleanup;

    ck = qemuMigrationEatCookie(drv, dom, NULL, 0, 0);
    if (ck == NULL)
        goto cleanup;
    if (qemuMigrationBakeCookie(ck, drv, dom, cookieout, cookieoutlen,
                                QEMU_MIGRATION_COOKIE_LOCKSTATE) < 0)
        goto cleanup;

    if (xmlin == NULL) {
        xml = qemuDomainFormatXML(drv, dom,
                                  VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_UPDATE_CPU);
    } else {
        /* the caller's XML must describe the same guest ABI */
        wanted = virDomainDefParseString(drv->caps, xmlin, QEMU_EXPECTED_VIRT_TYPES,
                                         VIR_DOMAIN_XML_INACTIVE);
        if (wanted == NULL)
            goto cleanup;
        if (!virDomainDefCheckABIStability(dom->def, wanted))
            goto cleanup;
        xml = qemuDomainDefFormatXML(drv, wanted,
                                     VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_UPDATE_CPU);
    }

cleanup:
    qemuMigrationCookieFree(ck);
    virDomainDefFree(wanted);
    return xml;
}

static int
qemuMigrationPrepareAny(struct qemud_driver *drv,
                        virConnectPtr dconn,
                        const char *cookiein,
                        int cookieinlen,
                        char **cookieout,
                        int *cookieoutlen,
                        const char *dname,
                        const char *dom_xml,
                        const char *migrateFrom,
                        virStreamPtr st)
{
    virDomainDefPtr dd = NULL;
    virDomainObjPtr dom = NULL;
    virDomainEventPtr ev = NULL;
    qemuDomainObjPrivatePtr pd = NULL;
    qemuMigrationCookiePtr ck = NULL;
    int fds[2] = { -1, -1 };
    unsigned long long clock_ms;
    bool viaStream = (st != NULL);
    int rc = -1;

    if (virTimeMs(&clock_ms) < 0)
        return -1;

    dd = virDomainDefParseString(drv->caps, dom_xml, QEMU_EXPECTED_VIRT_TYPES,
                                 VIR_DOMAIN_XML_INACTIVE);
    if (!dd)
        goto cleanup;
    if (!qemuMigrationIsAllowed(drv, NULL, dd))
        goto cleanup;

    if (dname) {
        /* the guest arrives under the name the caller chose */
        VIR_FREE(dd->name);
        dd->name = strdup(dname);
        if (!dd->name)
            goto cleanup;
    }

    if (virDomainObjIsDuplicate(&drv->domains, dd, 1) < 0)
        goto cleanup;
    dom = virDomainAssignDef(drv->caps, &drv->domains, dd, true);
    if (!dom)
        goto cleanup;
    dd = NULL;                  /* the domain object owns it now */
    pd = dom->privateData;

    ck = qemuMigrationEatCookie(drv, dom, cookiein, cookieinlen,
                                QEMU_MIGRATION_COOKIE_LOCKSTATE);
    if (!ck)
        goto cleanup;

    if (qemuMigrationJobStart(drv, dom, QEMU_ASYNC_JOB_MIGRATION_IN) < 0)
        goto cleanup;
    qemuMigrationJobSetPhase(drv, dom, QEMU_MIGRATION_PHASE_PREPARE);

    dom->def->id = -1;

    if (viaStream) {
        if (pipe(fds) < 0 || virSetCloseExec(fds[1]) < 0) {
            const char *why = _("cannot create pipe for tunnelled migration");
            virReportSystemError(errno, "%s", why);
            goto endjob;
        }
    }

    if (qemuProcessStart(dconn, drv, dom, migrateFrom, true, true, fds[0], NULL,
                         NULL, VIR_VM_OP_MIGRATE_IN_START) < 0) {
        virDomainAuditStart(dom, "migrated", false);
        goto endjob;
    }

    if (viaStream) {
        if (virFDStreamOpen(st, fds[1]) < 0) {
            const char *why = _("cannot pass pipe for tunnelled migration");
            virReportSystemError(errno, "%s", why);
            virDomainAuditStart(dom, "migrated", false);
            qemuProcessStop(drv, dom, 0, VIR_DOMAIN_SHUTOFF_FAILED);
            goto endjob;
        }
        fds[1] = -1;            /* the stream has it */
    }

    if (ck->lockState) {
        /* take the lock state the source sent */
        VIR_FREE(pd->lockState);
        pd->lockState = ck->lockState;
        ck->lockState = NULL;
    }

    if (qemuMigrationBakeCookie(ck, drv, dom, cookieout, cookieoutlen,
                                QEMU_MIGRATION_COOKIE_GRAPHICS) < 0)
        VIR_WARN("%s", _("Unable to encode migration cookie"));

    virDomainAuditStart(dom, "migrated", true);
    ev = virDomainEventNewFromObj(dom, VIR_DOMAIN_EVENT_STARTED,
                                  VIR_DOMAIN_EVENT_STARTED_MIGRATED);

    /* the async job stays for Finish; this call gives back its reference */
    if (qemuMigrationJobContinue(dom) == 0) {
        dom = NULL;
        qemuReportError(VIR_ERR_OPERATION_FAILED, "%s", _("domain disappeared"));
        goto cleanup;
    }
    rc = 0;

cleanup:
    virDomainDefFree(dd);
    VIR_FORCE_CLOSE(fds[0]);
    VIR_FORCE_CLOSE(fds[1]);
    if (dom)
        virDomainObjUnlock(dom);
    if (ev)
        qemuDomainEventQueue(drv, ev);
    qemuMigrationCookieFree(ck);
    return rc;

endjob:
    if (qemuMigrationJobFinish(drv, dom) == 0) {
        dom = NULL;
    } else if (!dom->persistent) {
        virDomainRemoveInactive(&drv->domains, dom);
        dom = NULL;
    }
    goto cleanup;
}

int
qemuMigrationPrepareTunnel(struct qemud_driver *drv,
                           virConnectPtr dconn,
                           const char *cookiein,
                           int cookieinlen,
                           char **cookieout,
                           int *cookieoutlen,
                           virStreamPtr st,
                           const char *dname,
                           const char *dom_xml)
{
    return qemuMigrationPrepareAny(drv, dconn, cookiein, cookieinlen, cookieout,
                                   cookieoutlen, dname, dom_xml, "stdio", st);
}

int
qemuMigrationPrepareDirect(struct qemud_driver *drv,
                           virConnectPtr dconn,
                           const char *cookiein,
                           int cookieinlen,
                           char **cookieout,
                           int *cookieoutlen,
                           const char *uri_in,
                           char **uri_out,
                           const char *dname,
                           const char *dom_xml)
{
    static int port = 0;        /* the next port offered, shared by all calls */
    char listen[64];
    char *host = NULL;
    const char *colon;
    const char *why;
    int chosen;
    int rc = -1;

    if (uri_in == NULL) {
        chosen = QEMUD_MIGRATION_FIRST_PORT + port++;
        if (port == QEMUD_MIGRATION_NUM_PORTS)
            port = 0;

        if (!(host = virGetHostname(NULL)))
            goto cleanup;
        if (STRPREFIX(host, "localhost")) {
            why = _("hostname on destination resolved to localhost, but migration "
                    "requires an FQDN");
            qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", why);
            goto cleanup;
        }
        if (virAsprintf(uri_out, "tcp:%s:%d", host, chosen) < 0) {
            virReportOOMError();
            goto cleanup;
        }
    } else {
        if (!STRPREFIX(uri_in, "tcp:")) {
            why = _("only tcp URIs are supported for KVM/QEMU migrations");
            qemuReportError(VIR_ERR_INVALID_ARG, "%s", why);
            goto cleanup;
        }
        colon = strrchr(uri_in, ':');
        if (colon == strchr(uri_in, ':')) {
            /* "tcp:host": we pick the port */
            chosen = QEMUD_MIGRATION_FIRST_PORT + port++;
            if (port == QEMUD_MIGRATION_NUM_PORTS)
                port = 0;
            if (virAsprintf(uri_out, "%s:%d", uri_in, chosen) < 0) {
                virReportOOMError();
                goto cleanup;
            }
        } else {
            /* "tcp:host:port": the port must be a number and end the URI */
            colon++;
            chosen = virParseNumber(&colon);
            if (chosen == -1 || *colon != '\0') {
                why = _("URI ended with incorrect ':port'");
                qemuReportError(VIR_ERR_INVALID_ARG, "%s", why);
                goto cleanup;
            }
        }
    }

    snprintf(listen, sizeof(listen), "tcp:0.0.0.0:%d", chosen);
    rc = qemuMigrationPrepareAny(drv, dconn, cookiein, cookieinlen, cookieout,
                                 cookieoutlen, dname, dom_xml, listen, NULL);

cleanup:
    VIR_FREE(host);
    if (rc != 0)
        VIR_FREE(*uri_out);
    return rc;
}

static int
qemuMigrationPerformJob(struct qemud_driver *drv,
                        virConnectPtr conn,
                        virDomainObjPtr dom,
                        const char *xmlin,
                        const char *dconnuri,
                        const char *uri,
                        const char *cookiein,
                        int cookieinlen,
                        char **cookieout,
                        int *cookieoutlen,
                        unsigned long flags,
                        const char *dname,
                        unsigned long resource,
                        bool v3proto)
{
    virDomainEventPtr ev = NULL;
    bool wasRunning = false;
    int rc = -1;

    if (qemuMigrationJobStart(drv, dom, QEMU_ASYNC_JOB_MIGRATION_OUT) < 0)
        goto cleanup;

    if (!virDomainObjIsActive(dom)) {
        qemuReportError(VIR_ERR_OPERATION_INVALID, "%s", _("domain is not running"));
        goto endjob;
    }

    if (!qemuMigrationIsAllowed(drv, dom, NULL))
        goto cleanup;

    wasRunning = virDomainObjGetState(dom, NULL) == VIR_DOMAIN_RUNNING;

    if (flags & (VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER)) {
        rc = doPeer2PeerMigrate(drv, conn, dom, xmlin, dconnuri, uri, flags, dname,
                                resource, &v3proto);
    } else {
        qemuMigrationJobSetPhase(drv, dom, QEMU_MIGRATION_PHASE_PERFORM2);
        rc = doNativeMigrate(drv, dom, uri, cookiein, cookieinlen, cookieout,
                             cookieoutlen, flags, resource);
    }
    if (rc < 0)
        goto endjob;

    /* with the v2 protocol the source is done once Perform succeeds */
    if (!v3proto) {
        qemuProcessStop(drv, dom, 1, VIR_DOMAIN_SHUTOFF_MIGRATED);
        virDomainAuditStop(dom, "migrated");
        ev = virDomainEventNewFromObj(dom, VIR_DOMAIN_EVENT_STOPPED,
                                      VIR_DOMAIN_EVENT_STOPPED_MIGRATED);
    }
    wasRunning = false;

endjob:
    /* a failed migration left the guest paused: start it again */
    if (wasRunning && virDomainObjGetState(dom, NULL) == VIR_DOMAIN_PAUSED) {
        if (qemuProcessStartCPUs(drv, dom, conn, VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,
                                 QEMU_ASYNC_JOB_MIGRATION_OUT) < 0)
            VIR_ERROR(_("Failed to resume guest %s after failure"), dom->def->name);
        ev = virDomainEventNewFromObj(dom, VIR_DOMAIN_EVENT_RESUMED,
                                      VIR_DOMAIN_EVENT_RESUMED_MIGRATED);
    }

    if (qemuMigrationJobFinish(drv, dom) == 0) {
        dom = NULL;
    } else if (!virDomainObjIsActive(dom) &&
               (!dom->persistent ||
                (rc == 0 && (flags & VIR_MIGRATE_UNDEFINE_SOURCE)))) {
        if ((flags & VIR_MIGRATE_UNDEFINE_SOURCE) != 0)
            virDomainDeleteConfig(drv->configDir, drv->autostartDir, dom);
        virDomainRemoveInactive(&drv->domains, dom);
        dom = NULL;
    }

cleanup:
    if (dom)
        virDomainObjUnlock(dom);
    if (ev)
        qemuDomainEventQueue(drv, ev);
    return rc;
}

static int
qemuMigrationJobStart(struct qemud_driver *drv, virDomainObjPtr dom,
                      enum qemuDomainAsyncJob kind)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    if (qemuDomainObjBeginAsyncJobWithDriver(drv, dom, kind) < 0)
        return -1;

    /* an incoming migration allows nothing else; an outgoing one a few jobs */
    if (kind == QEMU_ASYNC_JOB_MIGRATION_IN)
        qemuDomainObjSetAsyncJobMask(dom, QEMU_JOB_NONE);
    else
        qemuDomainObjSetAsyncJobMask(dom, DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND) |
                                          JOB_MASK(QEMU_JOB_MIGRATION_OP));
    pd->job.info.type = VIR_DOMAIN_JOB_UNBOUNDED;
    return 0;
}

static void
qemuMigrationJobSetPhase(struct qemud_driver *drv, virDomainObjPtr dom,
                         enum qemuMigrationJobPhase step)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;

    if (step < pd->job.phase) {
        const char *was = qemuMigrationJobPhaseTypeToString(pd->job.phase);
        const char *now = qemuMigrationJobPhaseTypeToString(step);

        VIR_ERROR(_("migration protocol going backwards %s => %s"), was, now);
        return;
    }
    qemuDomainObjSetJobPhase(drv, dom, step);
}

static void
qemuMigrationJobStartPhase(struct qemud_driver *drv, virDomainObjPtr dom,
                           enum qemuMigrationJobPhase step)
{
    virDomainObjRef(dom);
    qemuMigrationJobSetPhase(drv, dom, step);
}

static int
qemuMigrationJobContinue(virDomainObjPtr dom)
{
    return virDomainObjUnref(dom);
}

static bool
qemuMigrationJobIsActive(virDomainObjPtr dom, enum qemuDomainAsyncJob kind)
{
    qemuDomainObjPrivatePtr pd = dom->privateData;
    const char *why;

    if (pd->job.asyncJob == kind)
        return true;
    if (kind == QEMU_ASYNC_JOB_MIGRATION_IN)
        why = _("domain '%s' is not processing incoming migration");
    else
        why = _("domain '%s' is not being migrated");
    qemuReportError(VIR_ERR_OPERATION_INVALID, why, dom->def->name);
    return false;
}

static int
qemuMigrationJobFinish(struct qemud_driver *drv, virDomainObjPtr dom)
{
    return qemuDomainObjEndAsyncJob(drv, dom);
}
