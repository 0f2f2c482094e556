"""The Python twin of selftest.c, written the way the port is written: the same
stubs of qemu_migration/world/stubs.py, ``@ported`` for what C traces."""
import errno as _errno

from qemu_migration.world.constants import (DEFAULT_JOB_MASK, JOB_MASK, NULL,
                                            QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_ASYNC_JOB_MIGRATION_OUT,
                                            QEMU_EXPECTED_VIRT_TYPES, QEMU_JOB_SUSPEND,
                                            QEMU_MIGRATION_COOKIE_LOCKSTATE,
                                            QEMU_MIGRATION_PHASE_PREPARE,
                                            VIR_DOMAIN_EVENT_STARTED,
                                            VIR_DOMAIN_EVENT_STARTED_MIGRATED,
                                            VIR_DOMAIN_JOB_UNBOUNDED, VIR_DOMAIN_PAUSED,
                                            VIR_DOMAIN_RUNNING_MIGRATED,
                                            VIR_DOMAIN_SHUTOFF_MIGRATED, VIR_DOMAIN_XML_INACTIVE,
                                            VIR_DOMAIN_XML_SECURE, VIR_ERR_INTERNAL_ERROR,
                                            VIR_ERR_INVALID_ARG,
                                            VIR_ERR_OPERATION_INVALID, VIR_MIGRATE_PEER2PEER,
                                            VIR_VM_OP_MIGRATE_IN_START,
                                            qemuMigrationJobPhaseTypeToString)
from qemu_migration.port.cookie import (qemuMigrationBakeCookie, qemuMigrationCookieFree,
                                        qemuMigrationEatCookie)
from qemu_migration.world.objects import Ptr
from qemu_migration.world.runtime import ported
from qemu_migration.port.abi import virDomainDefCheckABIStability
from qemu_migration.world.stubs import (NULLSTR, STRPREFIX, VIR_ERROR, VIR_FORCE_CLOSE, VIR_FREE,
                                        VIR_WARN, _, doNativeMigrate, doPeer2PeerMigrate, errno,
                                        pipe, qemuDomainDefFormatXML, qemuDomainEventQueue,
                                        qemuDomainFormatXML, qemuDriverLock, qemuDriverUnlock,
                                        qemuProcessStart,
                                        qemuProcessStartCPUs, qemuProcessStop, qemuReportError,
                                        strdup, virAsprintf, virCondBroadcast, virCondSignal,
                                        virCondWaitUntil, virDomainAssignDef,
                                        virDomainAuditStart, virDomainAuditStop,
                                        virDomainDefFree,
                                        virDomainDefParseString, virDomainDeleteConfig,
                                        virDomainEventNewFromObj, virDomainObjGetState,
                                        virDomainObjIsActive, virDomainObjIsDuplicate,
                                        virDomainReportError,
                                        virDomainObjLock, virDomainObjRef, virDomainObjUnlock,
                                        virDomainObjUnref, virDomainRemoveInactive,
                                        virDomainSaveStatus, virFDStreamOpen, virGetHostname,
                                        virHashForEach, virHashLookup, virParseNumber,
                                        virReportOOMError, virReportSystemError, virSetCloseExec,
                                        virTimeMs)

implementation = "python"


@ported
def selftestWhich():
    return "python"


@ported
def selftestJob(drv, dom, phase):
    priv = dom.privateData
    now = Ptr()
    if virTimeMs(now) < 0:
        return -1
    priv.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT
    priv.job.mask = DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND)
    priv.job.start = now.value
    priv.job.info_type = VIR_DOMAIN_JOB_UNBOUNDED
    if phase > QEMU_MIGRATION_PHASE_PREPARE:
        qemuReportError(VIR_ERR_OPERATION_INVALID, _("phase %d is past %s"), phase,
                        NULLSTR(qemuMigrationJobPhaseTypeToString(QEMU_MIGRATION_PHASE_PREPARE)))
        return -1
    priv.job.phase = phase
    VIR_WARN("phase of %s is %s", dom.def_.name, NULLSTR(qemuMigrationJobPhaseTypeToString(phase)))
    return 0


@ported
def selftestLocks(drv, dom, then):
    virDomainObjRef(dom)
    qemuDriverUnlock(drv)
    virCondSignal("cond")
    virCondBroadcast("asyncCond")
    if virCondWaitUntil("asyncCond", dom, then) < 0:
        if errno() == _errno.ETIMEDOUT:
            VIR_ERROR(_("waited for %s until %d"), dom.def_.name, then)
        else:
            virReportSystemError(errno(), _("cannot wait for %s"), dom.def_.name)
    virDomainObjUnlock(dom)
    qemuDriverLock(drv)
    virDomainObjLock(dom)
    if virDomainObjIsActive(dom) and virDomainSaveStatus(drv.caps, drv.stateDir, dom) < 0:
        VIR_WARN("no status for %s", dom.def_.name)
    return virDomainObjUnref(dom)


def selftestCount(payload, name, opaque):
    opaque.value += 1


@ported
def selftestTables(drv, dom):
    uuidstr = dom.def_.uuid
    count = Ptr(0)
    virHashForEach(dom.snapshots.objs, selftestCount, count)
    if virHashLookup(drv.autodestroy, uuidstr) != NULL:
        count.value += 100
    return count.value


@ported
def selftestCookie(drv, dom, cookiein, cookieout, cookieoutlen):
    priv = dom.privateData
    if not (mig := qemuMigrationEatCookie(drv, dom, cookiein, 0,
                                          QEMU_MIGRATION_COOKIE_LOCKSTATE)):
        return -1
    if mig.lockState:
        priv.lockState = VIR_FREE(priv.lockState)
        priv.lockState = mig.lockState
        mig.lockState = NULL
    ret = qemuMigrationBakeCookie(mig, drv, dom, cookieout, cookieoutlen,
                                  QEMU_MIGRATION_COOKIE_LOCKSTATE)
    qemuMigrationCookieFree(mig)
    return ret


@ported
def selftestDefine(drv, conn, xml, dname):
    dom = NULL
    ev = NULL
    out = NULL
    reason = Ptr(-1)

    def cleanup():
        virDomainDefFree(def_)
        if dom:
            virDomainObjUnlock(dom)
        if ev:
            qemuDomainEventQueue(drv, ev)
        return out

    if not (def_ := virDomainDefParseString(drv.caps, xml, QEMU_EXPECTED_VIRT_TYPES,
                                            VIR_DOMAIN_XML_INACTIVE)):
        return NULL
    if dname:
        def_.name = VIR_FREE(def_.name)
        if not (name := strdup(dname)):
            def_.name = name
            virReportOOMError()
            return cleanup()
        def_.name = name
    if virDomainObjIsDuplicate(drv.domains, def_, 1) < 0:
        return cleanup()
    if not (dom := virDomainAssignDef(drv.caps, drv.domains, def_, True)):
        return cleanup()
    def_ = NULL
    if not virDomainDefCheckABIStability(dom.def_, dom.def_):
        return cleanup()
    if qemuProcessStart(conn, drv, dom, "stdio", True, True, -1, NULL, NULL,
                        VIR_VM_OP_MIGRATE_IN_START) < 0:
        virDomainAuditStart(dom, "migration", False)
        return cleanup()
    virDomainAuditStart(dom, "migration", True)
    if (virDomainObjGetState(dom, reason) == VIR_DOMAIN_PAUSED and
            qemuProcessStartCPUs(drv, dom, conn, VIR_DOMAIN_RUNNING_MIGRATED,
                                 QEMU_ASYNC_JOB_MIGRATION_IN) < 0):
        VIR_ERROR(_("cannot resume %s (reason %d)"), dom.def_.name, reason.value)
    ev = virDomainEventNewFromObj(dom, VIR_DOMAIN_EVENT_STARTED,
                                     VIR_DOMAIN_EVENT_STARTED_MIGRATED)
    out = qemuDomainFormatXML(drv, dom, VIR_DOMAIN_XML_SECURE)
    if out and STRPREFIX(out, "<domain"):
        out = qemuDomainDefFormatXML(drv, dom.def_, VIR_DOMAIN_XML_SECURE)
    qemuProcessStop(drv, dom, 1, VIR_DOMAIN_SHUTOFF_MIGRATED)
    virDomainAuditStop(dom, "migration")
    if virDomainDeleteConfig(drv.configDir, drv.autostartDir, dom) < 0:
        VIR_WARN("config of %s stays", dom.def_.name)
    virDomainRemoveInactive(drv.domains, dom)
    dom = NULL
    return cleanup()


@ported
def selftestTunnel(st):
    fds = [-1, -1]
    ret = -1
    if pipe(fds) < 0 or virSetCloseExec(fds[1]) < 0:
        virReportSystemError(errno(), "%s", _("cannot create pipe"))
    elif virFDStreamOpen(st, fds[1]) < 0:
        virReportSystemError(errno(), "%s", _("cannot open stream"))
    else:
        fds[1] = -1
        ret = 0
    VIR_FORCE_CLOSE(fds, 0)
    VIR_FORCE_CLOSE(fds, 1)
    return ret


@ported
def selftestUri(uri_in, uri_out):
    ret = -1
    hostname = virGetHostname(NULL)
    if hostname:
        if not uri_in or not STRPREFIX(uri_in, "tcp:"):
            qemuReportError(VIR_ERR_INVALID_ARG, _("bad URI %s"), NULLSTR(uri_in))
        else:
            p = Ptr((uri_in, uri_in.rfind(":") + 1))
            port = virParseNumber(p)
            if port == -1 or p.value[1] != len(uri_in):
                qemuReportError(VIR_ERR_INVALID_ARG, "%s", _("URI ended with no port"))
            elif virAsprintf(uri_out, "tcp:%s:%d", hostname, port + 1) < 0:
                virReportOOMError()
            else:
                ret = 0
    if ret != 0:
        uri_out.value = VIR_FREE(uri_out.value)
    return ret


@ported
def selftestMigrate(drv, conn, dom, flags, cookieout, cookieoutlen):
    v3proto = Ptr(False)
    if flags & VIR_MIGRATE_PEER2PEER:
        ret = doPeer2PeerMigrate(drv, conn, dom, NULL, "qemu://dest/system", NULL, flags,
                                 NULL, 0, v3proto)
        if ret == 0:
            ret = 3 if v3proto.value else 2
    else:
        ret = doNativeMigrate(drv, dom, "tcp:dest:49152", NULL, 0, cookieout, cookieoutlen,
                              flags, 0)
    return ret


@ported
def selftestActive(dom):
    return virDomainObjIsActive(dom)


@ported
def selftestFreed(dom):
    left = virDomainObjUnref(dom)
    if selftestActive(dom):
        left += 10
    virDomainObjRef(dom)
    virDomainDefFree(NULL)
    return left + dom.refs * 100


@ported
def selftestClock(dom, then):
    a, b = Ptr(0), Ptr(0)
    if virTimeMs(a) < 0:
        return -1
    if virCondWaitUntil("cond", dom, then) < 0 and virTimeMs(b) < 0:
        return -2
    return b.value - a.value


@ported
def selftestReports(n, wide):
    for i in range(n):
        VIR_WARN("%*d", wide, i)
    virDomainReportError(VIR_ERR_INTERNAL_ERROR, _("domain error %d"), n)
    qemuReportError(VIR_ERR_OPERATION_INVALID, "%s", _("qemu error"))
    virReportSystemError(_errno.EIO, _("system error %d"), n)
    virReportOOMError()
    VIR_ERROR(_("last of %d"), n)
    return n


@ported
def selftestRename(drv, dom):
    dom.def_.name = "other"
    return virDomainSaveStatus(drv.caps, drv.stateDir, dom)


@ported
def selftestDepth(n):
    return selftestDepth(n - 1) + 1 if n > 0 else 0


@ported
def selftestDeep(n):
    r = selftestDepth(n)
    s = strdup("deep")
    VIR_FREE(s)
    return r
