"""A stand-in for the protocol ports, for the engine's own tests (engine/protocol.py).

Not libvirt's code: a small client flow and driver table with the interfaces of
port/libvirt.py (``virDomainMigrate``) and port/driver.py (``DRIVER_TABLE``
members), built on the version modules' real entry points (Begin, PrepareDirect,
PerformJob with the function-level doPeer2PeerMigrate stub), so that the engine's
bookkeeping (where a refusal happened, what is left behind, faults, the second
attempt) is tested on real refusals and real leaks whatever the ports do.
"""
from qemu_migration.port import VERSIONS
from qemu_migration.world import hosts
from qemu_migration.world.constants import (QEMU_ASYNC_JOB_NONE, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_SHUTOFF, VIR_MIGRATE_PEER2PEER)
from qemu_migration.world.objects import OutParam
from qemu_migration.world.runtime import current


def _find(domain):
    w = current()
    vm = w.driver.domains.get(domain.uuid)
    if vm is not None:
        vm.locked = True
    return w.driver, vm


def entries(version):
    mod = VERSIONS[version].module

    def supports_feature(conn, feature):
        return int(feature in conn.host.features)

    def domainMigrateBegin3(domain, xmlin, cookieout, cookieoutlen, flags, dname, resource):
        driver, vm = _find(domain)
        xml = mod.qemuMigrationBegin(driver, vm, xmlin, OutParam("cookieout"),
                                     OutParam("cookieoutlen", 0))
        vm.locked = False
        # the stub formatter leaves <memory> out, which the parser wants
        return xml and xml.replace("</uuid>", "</uuid><memory>786432</memory>")

    def domainMigratePrepare3(dconn, xml):
        driver = current().driver
        uri_out = OutParam("uri_out")
        ret = mod.qemuMigrationPrepareDirect(driver, dconn, None, 0, OutParam("cookieout"),
                                             OutParam("cookieoutlen", 0), None, uri_out,
                                             None, xml)
        driver.locked = False
        return ret

    def domainMigratePerform3(domain, dconnuri, flags):
        driver, vm = _find(domain)
        if flags & VIR_MIGRATE_PEER2PEER:
            ret = mod.qemuMigrationPerformJob(driver, "conn", vm, None, dconnuri, None, None,
                                              0, OutParam("cookieout"),
                                              OutParam("cookieoutlen", 0), flags, None, 0,
                                              True)
        else:
            vm.locked = False
            ret = 0
        driver.locked = False
        return ret

    def domainMigrateFinish3(dconn, dname, cancelled):
        driver = current().driver
        vm = driver.find_by_name(dname)
        if cancelled or vm is None:     # gone: QEMU quit before Finish (a wakeup)
            return None
        vm.state = VIR_DOMAIN_RUNNING
        vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_NONE
        vm.refs -= 1
        return hosts.Domain(dconn, vm.def_.name, vm.def_.uuid, vm.def_.id)

    def domainMigrateConfirm3(domain, cancelled):
        driver, vm = _find(domain)
        vm.def_.id = -1
        vm.state = VIR_DOMAIN_SHUTOFF
        vm.locked = False
        return 0

    return {k: v for k, v in locals().items() if k in hosts.MEMBERS}


def migrate(domain, dconn, flags, dname, uri, bandwidth):
    """virDomainMigrate, much simplified: p2p hands the whole migration to the source;
    else Begin, Prepare, Perform, Finish, Confirm (v3 only: the double has no v2)."""
    sconn = domain.conn
    if flags & VIR_MIGRATE_PEER2PEER:
        if sconn.driver.domainMigratePerform3(domain, dconn.uri, flags) < 0:
            return None
        return hosts.Domain(dconn, domain.name, domain.uuid, domain.id)
    if not dconn.driver.supports_feature(dconn, hosts.VIR_DRV_FEATURE_MIGRATION_V3):
        return None     # the double speaks v3 only: the client gives up by itself
    xml = sconn.driver.domainMigrateBegin3(domain, None, None, None, flags, None, 0)
    if xml is None:
        return None
    if dconn.driver.domainMigratePrepare3(dconn, xml) < 0:
        return None
    ret = sconn.driver.domainMigratePerform3(domain, None, flags)
    ddomain = dconn.driver.domainMigrateFinish3(dconn, domain.name, int(ret < 0))
    sconn.driver.domainMigrateConfirm3(domain, int(ddomain is None))
    return ddomain
