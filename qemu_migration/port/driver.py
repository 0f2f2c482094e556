"""src/qemu/qemu_driver.c's migration entry points, the same at all three commits.

Ported once and bound to each version by port/unit.py (see there).  qemu_driver.c
is the same at 19f8c980 and e2fb96d9 (bebe5122 changes only qemu_migration.c), so
``# L<n>`` is the one line of qemu_driver.c a line mirrors.  Besides the ten
migration entry points, the members a whole migration asks of a host are here:
qemudSupportsFeature (the client and a peer-to-peer source choose the protocol by
it), qemudDomainLookupByName (the domain handle a peer-to-peer migration returns),
qemudDomainGetInfo (the client adds VIR_MIGRATE_PAUSED when the source is paused)
and qemuDomainGetXMLDesc (the XML a v2 migration hands the destination); each
takes a job or the driver lock, so each can change what a migration finds.
Gotos as in port/qemu_domain.py.

An entry point receives what crossed the wire: a connection (``hosts.Connection``,
whose ``privateData`` is the host's driver) or a domain handle (``hosts.Domain``,
looked up by uuid or name in the host's driver, as upstream does).  The
qemu_migration.c functions an entry point calls (the version's qemuMigrationBegin,
port/protocol.py's qemuMigrationPerform, ...) resolve in the host's unit; the
module-level names below stand for them and refuse to run outside a unit.
"""
from ..world.constants import (NULL, QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_JOB_MODIFY,
                               QEMU_JOB_QUERY, QEMU_MIGRATION_FLAGS,
                               QEMU_MIGRATION_PHASE_CONFIRM3,
                               QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED,
                               VIR_DOMAIN_MEMBALLOON_MODEL_NONE, VIR_ERR_INTERNAL_ERROR,
                               VIR_ERR_NO_DOMAIN, VIR_ERR_OPERATION_FAILED,
                               VIR_ERR_OPERATION_INVALID, VIR_MIGRATE_CHANGE_PROTECTION,
                               VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_TUNNELLED,
                               VIR_MIGRATE_UNDEFINE_SOURCE)
from ..world.hosts import (VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION,
                           VIR_DRV_FEATURE_MIGRATION_P2P, VIR_DRV_FEATURE_MIGRATION_V2,
                           VIR_DRV_FEATURE_MIGRATION_V3)
from ..world.objects import Ptr
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import (VIR_FREE, _, qemuDomainFormatXML, qemuDriverLock, qemuDriverUnlock,
                           qemuReportError, virDomainDeleteConfig, virDomainObjGetState,
                           virDomainObjIsActive, virDomainObjUnlock, virDomainRemoveInactive,
                           virLockManagerPluginGetName, virLockManagerPluginUsesState)
from ..world.stubs_driver import (FieldPtr, qemuDomainObjEnterMonitor,
                                  qemuDomainObjEnterMonitorWithDriver,
                                  qemuDomainObjExitMonitor, qemuDomainObjExitMonitorWithDriver,
                                  qemuMonitorGetBalloonInfo, qemudGetProcessInfo,
                                  virCheckFlags, virDomainFindByName, virDomainFindByUUID,
                                  virUUIDFormat)
from ..world.stubs_close import virDomainEventCallbackListRemoveConn
from ..world.stubs_migration import virGetDomain
from .qemu_domain import (qemuDomainObjBeginJob, qemuDomainObjBeginJobWithDriver,
                          qemuDomainObjEndJob)


class NotInUnit(AssertionError):
    """A function of another file called from this module outside a host's unit."""


def _in_unit(name):
    def stand_in(*args):
        raise NotInUnit("%s resolves in a host's unit (port/unit.py), not in port/driver.py"
                        % name)
    stand_in.__name__ = name
    return stand_in


# qemu_migration.c, resolved in the host's unit: the version's functions, protocol.py's
qemuMigrationBegin = _in_unit("qemuMigrationBegin")
qemuMigrationPrepareTunnel = _in_unit("qemuMigrationPrepareTunnel")
qemuMigrationPrepareDirect = _in_unit("qemuMigrationPrepareDirect")
qemuMigrationPerform = _in_unit("qemuMigrationPerform")
qemuMigrationFinish = _in_unit("qemuMigrationFinish")
qemuMigrationConfirm = _in_unit("qemuMigrationConfirm")
qemuMigrationJobStart = _in_unit("qemuMigrationJobStart")
qemuMigrationJobContinue = _in_unit("qemuMigrationJobContinue")
qemuMigrationJobFinish = _in_unit("qemuMigrationJobFinish")
qemuMigrationJobIsActive = _in_unit("qemuMigrationJobIsActive")
qemuMigrationJobStartPhase = _in_unit("qemuMigrationJobStartPhase")
# qemu_process.c, resolved in the host's unit: port/process.py's
qemuProcessAutoDestroyRun = _in_unit("qemuProcessAutoDestroyRun")


def qemudClose(conn):                                                       # L887
    driver = conn.privateData                                               # L888

    qemuDriverLock(driver)                                                  # L891
    virDomainEventCallbackListRemoveConn(conn,                              # L892
                                         driver.domainEventState.callbacks)  # L893
    qemuProcessAutoDestroyRun(driver, conn)                                 # L894
    qemuDriverUnlock(driver)                                                # L895

    conn.privateData = NULL                                                 # L897

    return 0                                                                # L899


def qemudSupportsFeature(conn, feature):                                    # L904
    if feature in (VIR_DRV_FEATURE_MIGRATION_V2,                            # L906-907
                   VIR_DRV_FEATURE_MIGRATION_V3,                            # L908
                   VIR_DRV_FEATURE_MIGRATION_P2P,                           # L909
                   VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION):              # L910
        return 1                                                            # L911
    return 0                                                                # L912-913


def qemudDomainLookupByName(conn, name):                                    # L1132
    driver = conn.privateData                                               # L1134
    vm: object                                                              # L1135
    dom = NULL                                                              # L1136

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L1138
                    vm = virDomainFindByName(driver.domains, name)          # L1139
                    qemuDriverUnlock(driver)                                # L1140

                    if vm is NULL:                                          # L1142
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L1143
                                        _("no domain with matching name '%s'"), name)  # L1144
                        goto("cleanup")                                     # L1145

                    dom = virGetDomain(conn, vm.def_.name, vm.def_.uuid)    # L1148
                    if dom is not NULL: dom.id = vm.def_.id                 # L1149
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L1151
                    if vm is not NULL:                                      # L1152
                        virDomainObjUnlock(vm)                              # L1153
                    return dom                                              # L1154

                case _:
                    raise NoSuchLabel("qemudDomainLookupByName", label)
        except Goto as g:
            label = g.label


def qemudDomainGetInfo(dom, info):                                          # L2191
    driver = dom.conn.privateData                                           # L2194
    vm: object                                                              # L2195
    ret = -1                                                                # L2196
    err: int                                                                # L2197
    balloon = Ptr()                                                         # L2198

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L2200
                    vm = virDomainFindByUUID(driver.domains, dom.uuid)      # L2201
                    qemuDriverUnlock(driver)                                # L2202
                    if vm is NULL:                                          # L2203
                        uuidstr = virUUIDFormat(dom.uuid)                   # L2204
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L2206
                                        _("no domain with matching uuid '%s'"), uuidstr)  # L2207
                        goto("cleanup")                                     # L2208

                    info.state = virDomainObjGetState(vm, NULL)             # L2211

                    if not virDomainObjIsActive(vm):                        # L2213
                        info.cpuTime = 0                                    # L2214
                    else:                                                   # L2215
                        if qemudGetProcessInfo(FieldPtr(info, "cpuTime"), NULL,  # L2216
                                               vm.pid, 0) < 0:              # L2216
                            qemuReportError(VIR_ERR_OPERATION_FAILED, "%s",  # L2217
                                            _("cannot read cputime for domain"))  # L2218
                            goto("cleanup")                                 # L2219

                    info.maxMem = vm.def_.max_balloon                       # L2223

                    if virDomainObjIsActive(vm):                            # L2225
                        priv = vm.privateData                               # L2226

                        if ((vm.def_.memballoon is not NULL) and            # L2228
                                (vm.def_.memballoon.model == VIR_DOMAIN_MEMBALLOON_MODEL_NONE)):  # L2229
                            info.memory = vm.def_.max_balloon               # L2230
                        elif not priv.job.active:                           # L2231
                            if qemuDomainObjBeginJob(driver, vm, QEMU_JOB_QUERY) < 0:  # L2232
                                goto("cleanup")                             # L2233
                            if not virDomainObjIsActive(vm):                # L2234
                                err = 0                                     # L2235
                            else:                                           # L2236
                                qemuDomainObjEnterMonitor(driver, vm)       # L2237
                                err = qemuMonitorGetBalloonInfo(priv.mon, balloon)  # L2238
                                qemuDomainObjExitMonitor(driver, vm)        # L2239
                            if qemuDomainObjEndJob(driver, vm) == 0:        # L2241
                                vm = NULL                                   # L2242
                                goto("cleanup")                             # L2243

                            if err < 0:                                     # L2246
                                goto("cleanup")                             # L2247
                            if err == 0:                                    # L2248
                                info.memory = vm.def_.max_balloon           # L2250
                            else:                                           # L2251
                                info.memory = balloon.value                 # L2252
                        else:                                               # L2253
                            info.memory = vm.def_.cur_balloon               # L2254
                    else:                                                   # L2256
                        info.memory = vm.def_.cur_balloon                   # L2257

                    info.nrVirtCpu = vm.def_.vcpus                          # L2260
                    ret = 0                                                 # L2261
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2263
                    if vm is not NULL:                                      # L2264
                        virDomainObjUnlock(vm)                              # L2265
                    return ret                                              # L2266

                case _:
                    raise NoSuchLabel("qemudDomainGetInfo", label)
        except Goto as g:
            label = g.label


def qemuDomainGetXMLDesc(dom, flags):                                       # L4536
    driver = dom.conn.privateData                                           # L4539
    vm: object                                                              # L4540
    ret = NULL                                                              # L4541
    balloon = Ptr()                                                         # L4542
    err: int                                                                # L4543

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L4547
                    vm = virDomainFindByUUID(driver.domains, dom.uuid)      # L4548

                    if vm is NULL:                                          # L4550
                        uuidstr = virUUIDFormat(dom.uuid)                   # L4551
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L4553
                                        _("no domain with matching uuid '%s'"), uuidstr)  # L4554
                        goto("cleanup")                                     # L4555

                    if ((vm.def_.memballoon is not NULL) and                # L4559
                            (vm.def_.memballoon.model != VIR_DOMAIN_MEMBALLOON_MODEL_NONE) and  # L4560
                            (virDomainObjIsActive(vm))):                    # L4561
                        priv = vm.privateData                               # L4562
                        if not priv.job.active:                             # L4565
                            if qemuDomainObjBeginJobWithDriver(driver, vm, QEMU_JOB_QUERY) < 0:  # L4566
                                goto("cleanup")                             # L4567

                            qemuDomainObjEnterMonitorWithDriver(driver, vm)  # L4569
                            err = qemuMonitorGetBalloonInfo(priv.mon, balloon)  # L4570
                            qemuDomainObjExitMonitorWithDriver(driver, vm)  # L4571
                            if qemuDomainObjEndJob(driver, vm) == 0:        # L4572
                                vm = NULL                                   # L4573
                                goto("cleanup")                             # L4574
                            if err < 0:                                     # L4576
                                goto("cleanup")                             # L4577
                            if err > 0:                                     # L4578
                                vm.def_.cur_balloon = balloon.value         # L4579

                    ret = qemuDomainFormatXML(driver, vm, flags)            # L4584
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L4586
                    if vm is not NULL:                                      # L4587
                        virDomainObjUnlock(vm)                              # L4588
                    qemuDriverUnlock(driver)                                # L4589
                    return ret                                              # L4590

                case _:
                    raise NoSuchLabel("qemuDomainGetXMLDesc", label)
        except Goto as g:
            label = g.label


def qemudDomainMigratePrepareTunnel(dconn, st, flags, dname, resource, dom_xml):  # L7755
    driver = dconn.privateData                                              # L7762
    ret = -1                                                                # L7763

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L7765
        return -1                                                           # L7765

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L7767

                    if dom_xml is NULL:                                     # L7769
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7770
                                        "%s", _("no domain XML passed"))    # L7771
                        goto("cleanup")                                     # L7772
                    if not (flags & VIR_MIGRATE_TUNNELLED):                 # L7774
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7775
                                        "%s", _("PrepareTunnel called but no TUNNELLED flag set"))  # L7776
                        goto("cleanup")                                     # L7777
                    if st == NULL:                                          # L7779
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7780
                                        "%s", _("tunnelled migration requested but NULL stream passed"))  # L7781
                        goto("cleanup")                                     # L7782

                    if virLockManagerPluginUsesState(driver.lockManager):   # L7785
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7786
                                        _("Cannot use migrate v2 protocol with lock manager %s"),  # L7787
                                        virLockManagerPluginGetName(driver.lockManager))  # L7788
                        goto("cleanup")                                     # L7789

                    ret = qemuMigrationPrepareTunnel(driver, dconn,         # L7792
                                                     NULL, 0, NULL, NULL,   # L7793
                                                     st, dname, dom_xml)    # L7794
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L7796
                    qemuDriverUnlock(driver)                                # L7797
                    return ret                                              # L7798

                case _:
                    raise NoSuchLabel("qemudDomainMigratePrepareTunnel", label)
        except Goto as g:
            label = g.label


def qemudDomainMigratePrepare2(dconn, cookie, cookielen, uri_in, uri_out,   # L7806
                               flags, dname, resource, dom_xml):            # L7811
    driver = dconn.privateData                                              # L7816
    ret = -1                                                                # L7817

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L7819
        return -1                                                           # L7819

    uri_out.value = NULL                                                    # L7821

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L7823

                    if virLockManagerPluginUsesState(driver.lockManager):   # L7825
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7826
                                        _("Cannot use migrate v2 protocol with lock manager %s"),  # L7827
                                        virLockManagerPluginGetName(driver.lockManager))  # L7828
                        goto("cleanup")                                     # L7829

                    if flags & VIR_MIGRATE_TUNNELLED:                       # L7832
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7836
                                        "%s", _("Tunnelled migration requested but invalid RPC method called"))  # L7837
                        goto("cleanup")                                     # L7838

                    if dom_xml is NULL:                                     # L7841
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7842
                                        "%s", _("no domain XML passed"))    # L7843
                        goto("cleanup")                                     # L7844

                    ret = qemuMigrationPrepareDirect(driver, dconn,         # L7851
                                                     NULL, 0, NULL, NULL,   # L7852
                                                     uri_in, uri_out,       # L7853
                                                     dname, dom_xml)        # L7854
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L7856
                    qemuDriverUnlock(driver)                                # L7857
                    return ret                                              # L7858

                case _:
                    raise NoSuchLabel("qemudDomainMigratePrepare2", label)
        except Goto as g:
            label = g.label


def qemudDomainMigratePerform(dom, cookie, cookielen, uri, flags, dname,    # L7864
                              resource):                                    # L7870
    driver = dom.conn.privateData                                           # L7872
    vm: object                                                              # L7873
    ret = -1                                                                # L7874
    dconnuri = NULL                                                         # L7875

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L7877
        return -1                                                           # L7877

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L7879
                    if virLockManagerPluginUsesState(driver.lockManager):   # L7880
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L7881
                                        _("Cannot use migrate v2 protocol with lock manager %s"),  # L7882
                                        virLockManagerPluginGetName(driver.lockManager))  # L7883
                        goto("cleanup")                                     # L7884

                    vm = virDomainFindByUUID(driver.domains, dom.uuid)      # L7887
                    if vm is NULL:                                          # L7888
                        uuidstr = virUUIDFormat(dom.uuid)                   # L7889
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L7891
                                        _("no domain with matching uuid '%s'"), uuidstr)  # L7892
                        goto("cleanup")                                     # L7893

                    if flags & VIR_MIGRATE_PEER2PEER:                       # L7896
                        dconnuri = uri                                      # L7897
                        uri = NULL                                          # L7898

                    ret = qemuMigrationPerform(driver, dom.conn, vm,        # L7907
                                               NULL, dconnuri, uri, cookie, cookielen,  # L7908
                                               NULL, NULL,                  # L7909
                                               flags, dname, resource, False)  # L7910
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L7912
                    qemuDriverUnlock(driver)                                # L7913
                    return ret                                              # L7914

                case _:
                    raise NoSuchLabel("qemudDomainMigratePerform", label)
        except Goto as g:
            label = g.label


def qemudDomainMigrateFinish2(dconn, dname, cookie, cookielen, uri, flags,  # L7920
                              retcode):                                     # L7926
    driver = dconn.privateData                                              # L7928
    vm: object                                                              # L7929
    dom = NULL                                                              # L7930

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L7932
        return NULL                                                         # L7932

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L7934
                    vm = virDomainFindByName(driver.domains, dname)         # L7935
                    if vm is NULL:                                          # L7936
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L7937
                                        _("no domain with matching name '%s'"), dname)  # L7938
                        goto("cleanup")                                     # L7939

                    dom = qemuMigrationFinish(driver, dconn, vm,            # L7946
                                              NULL, 0, NULL, NULL,          # L7947
                                              flags, retcode, False)        # L7948
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L7950
                    qemuDriverUnlock(driver)                                # L7951
                    return dom                                              # L7952

                case _:
                    raise NoSuchLabel("qemudDomainMigrateFinish2", label)
        except Goto as g:
            label = g.label


def qemuDomainMigrateBegin3(domain, xmlin, cookieout, cookieoutlen, flags,  # L7961
                            dname, resource):                               # L7966
    driver = domain.conn.privateData                                        # L7969
    vm: object                                                              # L7970
    xml = NULL                                                              # L7971

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L7973
        return NULL                                                         # L7973

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L7975
                    vm = virDomainFindByUUID(driver.domains, domain.uuid)   # L7976
                    if vm is NULL:                                          # L7977
                        uuidstr = virUUIDFormat(domain.uuid)                # L7978
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L7980
                                        _("no domain with matching uuid '%s'"), uuidstr)  # L7981
                        goto("cleanup")                                     # L7982

                    if (flags & VIR_MIGRATE_CHANGE_PROTECTION):             # L7985
                        if qemuMigrationJobStart(driver, vm, QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:  # L7986
                            goto("cleanup")                                 # L7987
                    else:                                                   # L7988
                        if qemuDomainObjBeginJob(driver, vm, QEMU_JOB_MODIFY) < 0:  # L7989
                            goto("cleanup")                                 # L7990

                    if not virDomainObjIsActive(vm):                        # L7993
                        qemuReportError(VIR_ERR_OPERATION_INVALID,          # L7994
                                        "%s", _("domain is not running"))   # L7995
                        goto("endjob")                                      # L7996

                    if (xml := qemuMigrationBegin(driver, vm, xmlin,        # L7999
                                                  cookieout, cookieoutlen)) is NULL:  # L8000
                        goto("endjob")                                      # L8001

                    if (flags & VIR_MIGRATE_CHANGE_PROTECTION):             # L8003
                        if qemuMigrationJobContinue(vm) == 0:               # L8008
                            vm = NULL                                       # L8009
                            qemuReportError(VIR_ERR_OPERATION_FAILED,       # L8010
                                            "%s", _("domain disappeared"))  # L8011
                            xml = VIR_FREE(xml)                             # L8012
                            if cookieout is not NULL:                       # L8013
                                cookieout.value = VIR_FREE(cookieout.value)  # L8014
                    else:                                                   # L8016
                        goto("endjob")                                      # L8017
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L8020
                    if vm is not NULL:                                      # L8021
                        virDomainObjUnlock(vm)                              # L8022
                    qemuDriverUnlock(driver)                                # L8023
                    return xml                                              # L8024

                case "endjob":                                              # L8026
                    if (flags & VIR_MIGRATE_CHANGE_PROTECTION):             # L8027
                        if qemuMigrationJobFinish(driver, vm) == 0:         # L8028
                            vm = NULL                                       # L8029
                    else:                                                   # L8030
                        if qemuDomainObjEndJob(driver, vm) == 0:            # L8031
                            vm = NULL                                       # L8032
                    goto("cleanup")                                         # L8034

                case _:
                    raise NoSuchLabel("qemuDomainMigrateBegin3", label)
        except Goto as g:
            label = g.label


def qemuDomainMigratePrepare3(dconn, cookiein, cookieinlen, cookieout,      # L8038
                              cookieoutlen, uri_in, uri_out, flags, dname,  # L8042
                              resource, dom_xml):                           # L8047
    driver = dconn.privateData                                              # L8050
    ret = -1                                                                # L8051

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L8053
        return -1                                                           # L8053

    uri_out.value = NULL                                                    # L8055

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L8057
                    if flags & VIR_MIGRATE_TUNNELLED:                       # L8058
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L8062
                                        "%s", _("Tunnelled migration requested but invalid RPC method called"))  # L8063
                        goto("cleanup")                                     # L8064

                    if dom_xml is NULL:                                     # L8067
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L8068
                                        "%s", _("no domain XML passed"))    # L8069
                        goto("cleanup")                                     # L8070

                    ret = qemuMigrationPrepareDirect(driver, dconn,         # L8073
                                                     cookiein, cookieinlen,  # L8074
                                                     cookieout, cookieoutlen,  # L8075
                                                     uri_in, uri_out,       # L8076
                                                     dname, dom_xml)        # L8077
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L8079
                    qemuDriverUnlock(driver)                                # L8080
                    return ret                                              # L8081

                case _:
                    raise NoSuchLabel("qemuDomainMigratePrepare3", label)
        except Goto as g:
            label = g.label


def qemuDomainMigratePrepareTunnel3(dconn, st, cookiein, cookieinlen,       # L8086
                                    cookieout, cookieoutlen, flags, dname,  # L8090
                                    resource, dom_xml):                     # L8094
    driver = dconn.privateData                                              # L8097
    ret = -1                                                                # L8098

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L8100
        return -1                                                           # L8100

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if dom_xml is NULL:                                     # L8102
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L8103
                                        "%s", _("no domain XML passed"))    # L8104
                        goto("cleanup")                                     # L8105
                    if not (flags & VIR_MIGRATE_TUNNELLED):                 # L8107
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L8108
                                        "%s", _("PrepareTunnel called but no TUNNELLED flag set"))  # L8109
                        goto("cleanup")                                     # L8110
                    if st == NULL:                                          # L8112
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L8113
                                        "%s", _("tunnelled migration requested but NULL stream passed"))  # L8114
                        goto("cleanup")                                     # L8115

                    qemuDriverLock(driver)                                  # L8118
                    ret = qemuMigrationPrepareTunnel(driver, dconn,         # L8119
                                                     cookiein, cookieinlen,  # L8120
                                                     cookieout, cookieoutlen,  # L8121
                                                     st, dname, dom_xml)    # L8122
                    qemuDriverUnlock(driver)                                # L8123
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L8125
                    return ret                                              # L8126

                case _:
                    raise NoSuchLabel("qemuDomainMigratePrepareTunnel3", label)
        except Goto as g:
            label = g.label


def qemuDomainMigratePerform3(dom, xmlin, cookiein, cookieinlen, cookieout,  # L8131
                              cookieoutlen, dconnuri, uri, flags, dname,    # L8136
                              resource):                                    # L8141
    driver = dom.conn.privateData                                           # L8143
    vm: object                                                              # L8144
    ret = -1                                                                # L8145

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L8147
        return -1                                                           # L8147

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L8149
                    vm = virDomainFindByUUID(driver.domains, dom.uuid)      # L8150
                    if vm is NULL:                                          # L8151
                        uuidstr = virUUIDFormat(dom.uuid)                   # L8152
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L8154
                                        _("no domain with matching uuid '%s'"), uuidstr)  # L8155
                        goto("cleanup")                                     # L8156

                    ret = qemuMigrationPerform(driver, dom.conn, vm, xmlin,  # L8159
                                               dconnuri, uri, cookiein, cookieinlen,  # L8160
                                               cookieout, cookieoutlen,     # L8161
                                               flags, dname, resource, True)  # L8162
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L8164
                    qemuDriverUnlock(driver)                                # L8165
                    return ret                                              # L8166

                case _:
                    raise NoSuchLabel("qemuDomainMigratePerform3", label)
        except Goto as g:
            label = g.label


def qemuDomainMigrateFinish3(dconn, dname, cookiein, cookieinlen, cookieout,  # L8171
                             cookieoutlen, dconnuri, uri, flags, cancelled):  # L8176
    driver = dconn.privateData                                              # L8182
    vm: object                                                              # L8183
    dom = NULL                                                              # L8184

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L8186
        return NULL                                                         # L8186

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L8188
                    vm = virDomainFindByName(driver.domains, dname)         # L8189
                    if vm is NULL:                                          # L8190
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L8191
                                        _("no domain with matching name '%s'"), dname)  # L8192
                        goto("cleanup")                                     # L8193

                    dom = qemuMigrationFinish(driver, dconn, vm,            # L8196
                                              cookiein, cookieinlen,        # L8197
                                              cookieout, cookieoutlen,      # L8198
                                              flags, cancelled, True)       # L8199
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L8201
                    qemuDriverUnlock(driver)                                # L8202
                    return dom                                              # L8203

                case _:
                    raise NoSuchLabel("qemuDomainMigrateFinish3", label)
        except Goto as g:
            label = g.label


def qemuDomainMigrateConfirm3(domain, cookiein, cookieinlen, flags,         # L8207
                              cancelled):                                   # L8211
    driver = domain.conn.privateData                                        # L8213
    vm: object                                                              # L8214
    ret = -1                                                                # L8215
    phase: int                                                              # L8216

    if virCheckFlags(flags, QEMU_MIGRATION_FLAGS):                          # L8218
        return -1                                                           # L8218

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    qemuDriverLock(driver)                                  # L8220
                    vm = virDomainFindByUUID(driver.domains, domain.uuid)   # L8221
                    if vm is NULL:                                          # L8222
                        uuidstr = virUUIDFormat(domain.uuid)                # L8223
                        qemuReportError(VIR_ERR_NO_DOMAIN,                  # L8225
                                        _("no domain with matching uuid '%s'"), uuidstr)  # L8226
                        goto("cleanup")                                     # L8227

                    if not qemuMigrationJobIsActive(vm, QEMU_ASYNC_JOB_MIGRATION_OUT):  # L8230
                        goto("cleanup")                                     # L8231

                    if cancelled:                                           # L8233
                        phase = QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED     # L8234
                    else:                                                   # L8235
                        phase = QEMU_MIGRATION_PHASE_CONFIRM3               # L8236

                    qemuMigrationJobStartPhase(driver, vm, phase)           # L8238

                    ret = qemuMigrationConfirm(driver, domain.conn, vm,     # L8240
                                               cookiein, cookieinlen,       # L8241
                                               flags, cancelled)            # L8242

                    if qemuMigrationJobFinish(driver, vm) == 0:             # L8244
                        vm = NULL                                           # L8245
                    elif (not virDomainObjIsActive(vm) and                  # L8246
                          (not vm.persistent or (flags & VIR_MIGRATE_UNDEFINE_SOURCE))):  # L8247
                        if flags & VIR_MIGRATE_UNDEFINE_SOURCE:             # L8248
                            virDomainDeleteConfig(driver.configDir, driver.autostartDir, vm)  # L8249
                        virDomainRemoveInactive(driver.domains, vm)         # L8250
                        vm = NULL                                           # L8251
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L8254
                    if vm is not NULL:                                      # L8255
                        virDomainObjUnlock(vm)                              # L8256
                    qemuDriverUnlock(driver)                                # L8257
                    return ret                                              # L8258

                case _:
                    raise NoSuchLabel("qemuDomainMigrateConfirm3", label)
        except Goto as g:
            label = g.label


# the functions this module adds to a host's unit, in upstream order
UNIT: list = ["qemudClose", "qemudSupportsFeature", "qemudDomainLookupByName", "qemudDomainGetInfo",
              "qemuDomainGetXMLDesc",
              "qemudDomainMigratePrepareTunnel", "qemudDomainMigratePrepare2",
              "qemudDomainMigratePerform", "qemudDomainMigrateFinish2",
              "qemuDomainMigrateBegin3", "qemuDomainMigratePrepare3",
              "qemuDomainMigratePrepareTunnel3", "qemuDomainMigratePerform3",
              "qemuDomainMigrateFinish3", "qemuDomainMigrateConfirm3"]

# virDriver member -> the function of UNIT behind it (qemuDriver, qemu_driver.c:9824)
DRIVER_TABLE: dict = {
    "close": "qemudClose",                                                  # L9828
    "supports_feature": "qemudSupportsFeature",                             # L9829
    "domainLookupByName": "qemudDomainLookupByName",                        # L9842
    "domainGetInfo": "qemudDomainGetInfo",                                  # L9858
    "domainGetXMLDesc": "qemuDomainGetXMLDesc",                             # L9879
    "domainMigratePerform": "qemudDomainMigratePerform",                    # L9901
    "domainMigratePrepare2": "qemudDomainMigratePrepare2",                  # L9914
    "domainMigrateFinish2": "qemudDomainMigrateFinish2",                    # L9915
    "domainMigratePrepareTunnel": "qemudDomainMigratePrepareTunnel",        # L9919
    "domainMigrateBegin3": "qemuDomainMigrateBegin3",                       # L9949
    "domainMigratePrepare3": "qemuDomainMigratePrepare3",                   # L9950
    "domainMigratePrepareTunnel3": "qemuDomainMigratePrepareTunnel3",       # L9951
    "domainMigratePerform3": "qemuDomainMigratePerform3",                   # L9952
    "domainMigrateFinish3": "qemuDomainMigrateFinish3",                     # L9953
    "domainMigrateConfirm3": "qemuDomainMigrateConfirm3",                   # L9954
}

# The ported functions show in the trace when called (runtime.traced wraps them
# here rather than by decorator, so that mutation tools see plain functions).
traced(globals(), UNIT)
