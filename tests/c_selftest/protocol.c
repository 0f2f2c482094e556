/*
 * Our own small functions (not libvirt's), built the way a host's unit and the
 * client are built for whole migrations (upstream/cproto.py): the protocol's
 * prelude, the generated stubs, and the remote virDriver behind conn->driver.
 * tests/test_cproto.py runs them with Python parties and with each other.
 */

/* a destination's Prepare: the driver is the connection's privateData */
static int
selftestPrepare(virConnectPtr dconn,
                const char *cookiein,
                int cookieinlen,
                char **cookieout,
                int *cookieoutlen,
                const char *uri_in,
                char **uri_out,
                unsigned long flags,
                const char *dname,
                unsigned long bw ATTRIBUTE_UNUSED,
                const char *dom_xml)
{
    struct qemud_driver *qd = dconn->privateData;
    int ret = -1;

    virCheckFlags(VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, -1);

    *uri_out = NULL;
    qemuDriverLock(qd);
    if (!dom_xml) {
        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", _("no domain XML passed"));
        goto cleanup;
    }
    if (cookieout) {
        if (virAsprintf(cookieout, "%s+%s", NULLSTR(cookiein), dname ? dname : "-") < 0)
            goto cleanup;
        *cookieoutlen = cookieinlen + 1;
    }
    if (!(*uri_out = strdup(uri_in ? uri_in : qd->stateDir)))
        goto cleanup;
    ret = 0;

cleanup:
    qemuDriverUnlock(qd);
    return ret;
}

/* a destination's Finish: a domain handle made on the connection */
static virDomainPtr
selftestFinish(virConnectPtr dconn,
               const char *dname,
               const char *cookiein,
               int cookieinlen ATTRIBUTE_UNUSED,
               char **cookieout,
               int *cookieoutlen,
               const char *dconnuri ATTRIBUTE_UNUSED,
               const char *uri ATTRIBUTE_UNUSED,
               unsigned long flags ATTRIBUTE_UNUSED,
               int cancelled)
{
    if (cancelled) {
        qemuReportError(VIR_ERR_OPERATION_FAILED, _("%s was cancelled"), dname);
        return NULL;
    }
    if (cookieout) {
        *cookieout = strdup(cookiein ? cookiein : "none");
        *cookieoutlen = 4;
    }
    return virGetDomain(dconn, dname, (const unsigned char *)"0a1b2c3d");
}

/* a source's peer-to-peer Perform: it opens the destination and calls it itself */
static int
selftestPerform(virDomainPtr dom,
                const char *xmlin,
                const char *cookiein ATTRIBUTE_UNUSED,
                int cookieinlen ATTRIBUTE_UNUSED,
                char **cookieout ATTRIBUTE_UNUSED,
                int *cookieoutlen ATTRIBUTE_UNUSED,
                const char *dconnuri,
                const char *uri,
                unsigned long flags,
                const char *dname,
                unsigned long bw)
{
    struct qemud_driver *qd = dom->conn->privateData;
    virConnectPtr dconn;
    char *cookie = NULL;
    int cookielen = 0;
    char *uri_out = NULL;
    virDomainPtr ddomain;
    int ret = -1;

    qemuDriverLock(qd);
    qemuDriverUnlock(qd);
    dconn = virConnectOpen(dconnuri);
    if (dconn == NULL) {
        qemuReportError(VIR_ERR_OPERATION_FAILED, _("selftest source cannot reach %s"),
                        dconnuri);
        return -1;
    }
    if (!VIR_DRV_SUPPORTS_FEATURE(dconn->driver, dconn, VIR_DRV_FEATURE_MIGRATION_P2P)) {
        qemuReportError(VIR_ERR_OPERATION_FAILED, "%s", _("no p2p"));
        goto cleanup;
    }
    if (dconn->driver->domainMigratePrepare3(dconn, dom->name, 5, &cookie, &cookielen,
                                             uri, &uri_out, flags, dname, bw,
                                             xmlin) < 0)
        goto cleanup;
    ddomain = dconn->driver->domainMigrateFinish3(dconn, dom->name, cookie, cookielen,
                                                  NULL, NULL, dconnuri, uri_out,
                                                  flags, 0);
    if (ddomain) {
        virUnrefDomain(ddomain);
        ret = 0;
    }

cleanup:
    virConnectClose(dconn);
    return ret;
}

/* a client: v3 without Begin, or the source's own peer-to-peer Perform */
virDomainPtr
selftestMigrate(virDomainPtr domain,
                virConnectPtr dconn,
                unsigned long flags,
                const char *xml)
{
    char *cookie = NULL;
    int cookielen = 0;
    char *cookie2 = NULL;
    int cookielen2 = 0;
    char *uri_out = NULL;
    virDomainPtr ddomain = NULL;

    if (flags & VIR_MIGRATE_PEER2PEER) {
        char *dstURI = virConnectGetURI(dconn);
        if (!dstURI)
            return NULL;
        if (domain->conn->driver->domainMigratePerform3(domain, xml, NULL, 0, NULL, NULL,
                                                        dstURI, NULL, flags, NULL, 0) < 0)
            goto error;
        return virDomainLookupByName(dconn, domain->name);
    }
    if (dconn->driver->domainMigratePrepare3(dconn, "c0", 2, &cookie, &cookielen, NULL,
                                             &uri_out, flags, NULL, 0, xml) < 0)
        goto error;
    ddomain = dconn->driver->domainMigrateFinish3(dconn, domain->name, cookie, cookielen,
                                                  &cookie2, &cookielen2, NULL, uri_out,
                                                  flags, 0);
    if (ddomain == NULL)
        goto error;
    return ddomain;

error:
    virDispatchError(domain->conn);
    return NULL;
}
