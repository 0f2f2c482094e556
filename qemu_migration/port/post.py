"""The ported functions of src/qemu/qemu_migration.c, in upstream order.

Which commit this file mirrors is in its name and in ``port/__init__.py``; the
three version files differ only where upstream differs, so ``diff`` of two of
them reads like the upstream change.  ``# L<pre>/<post>`` at the end of a line
is the line it mirrors at 19f8c980 (before the patch) and at e2fb96d9 (the
patch; the fixed version has the same numbering); ``-`` means the line is not in
that commit.  A line of Python that mirrors a range of C names the first line.
Gotos work as in port/qemu_domain.py: ``goto(label)`` continues at
``case label``; a C label that code falls into is reached by a ``goto`` marked
"falls through".
"""
from ..world.constants import (NULL, QEMU_ASYNC_JOB_MIGRATION_IN,
                               QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_EXPECTED_VIRT_TYPES,
                               QEMU_JOB_NONE, QEMU_JOB_MIGRATION_OP, QEMU_JOB_SUSPEND,
                               QEMU_MIGRATION_COOKIE_GRAPHICS,
                               QEMU_MIGRATION_COOKIE_LOCKSTATE, QEMU_MIGRATION_PHASE_BEGIN3,
                               QEMU_MIGRATION_PHASE_PERFORM2, QEMU_MIGRATION_PHASE_PREPARE,
                               QEMUD_MIGRATION_FIRST_PORT, QEMUD_MIGRATION_NUM_PORTS,
                               DEFAULT_JOB_MASK, JOB_MASK, VIR_DOMAIN_EVENT_RESUMED,
                               VIR_DOMAIN_EVENT_RESUMED_MIGRATED, VIR_DOMAIN_EVENT_STARTED,
                               VIR_DOMAIN_EVENT_STARTED_MIGRATED, VIR_DOMAIN_EVENT_STOPPED,
                               VIR_DOMAIN_EVENT_STOPPED_MIGRATED, VIR_DOMAIN_JOB_UNBOUNDED,
                               VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING,
                               VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,
                               VIR_DOMAIN_SHUTOFF_FAILED, VIR_DOMAIN_SHUTOFF_MIGRATED,
                               VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE,
                               VIR_DOMAIN_XML_UPDATE_CPU, VIR_ERR_INTERNAL_ERROR,
                               VIR_ERR_INVALID_ARG, VIR_ERR_OPERATION_FAILED,
                               VIR_ERR_OPERATION_INVALID, VIR_MIGRATE_PEER2PEER,
                               VIR_MIGRATE_TUNNELLED, VIR_MIGRATE_UNDEFINE_SOURCE,
                               VIR_VM_OP_MIGRATE_IN_START, qemuMigrationJobPhaseTypeToString)
from ..world.objects import Ptr
from ..world.runtime import Goto, NoSuchLabel, goto, static, traced
from . import MIGRATION_C, traced_names
from ..world.stubs import (NULLSTR, STRPREFIX, VIR_DEBUG, VIR_ERROR, VIR_FORCE_CLOSE,
                           VIR_FREE, VIR_WARN, _, errno, pipe, qemuDomainDefFormatXML,
                           qemuDomainEventQueue, qemuDomainFormatXML,
                           qemuProcessStart, qemuProcessStartCPUs,
                           qemuProcessStop, qemuReportError, strdup, virAsprintf,
                           virDomainAssignDef, virDomainAuditStart, virDomainAuditStop,
                           virDomainDefFree,
                           virDomainDefParseString, virDomainDeleteConfig,
                           virDomainEventNewFromObj, virDomainObjGetState,
                           virDomainObjIsActive, virDomainObjIsDuplicate,
                           virDomainObjUnlock, virDomainObjUnref, virDomainRemoveInactive,
                           virFDStreamOpen, virGetHostname, virParseNumber,
                           virReportOOMError, virReportSystemError, virSetCloseExec,
                           virTimeMs, doNativeMigrate, doPeer2PeerMigrate,
                           virDomainObjRef)
from .cookie import (qemuMigrationBakeCookie, qemuMigrationCookieFree,
                     qemuMigrationEatCookie)
from .callees import qemuProcessAutoDestroyActive, virDomainSnapshotObjListNum
from .abi import virDomainDefCheckABIStability
from .qemu_domain import (qemuDomainObjBeginAsyncJobWithDriver, qemuDomainObjEndAsyncJob,
                          qemuDomainObjSetAsyncJobMask, qemuDomainObjSetJobPhase)


def qemuMigrationIsAllowed(driver, vm, def_):                               # L-/714
    nsnapshots: int                                                         # L-/717

    if vm is not NULL:                                                      # L-/719
        if qemuProcessAutoDestroyActive(driver, vm):                        # L-/720
            qemuReportError(VIR_ERR_OPERATION_INVALID,                      # L-/721
                            "%s", _("domain is marked for auto destroy"))   # L-/722
            return False                                                    # L-/723
        if (nsnapshots := virDomainSnapshotObjListNum(vm.snapshots, 0)):    # L-/725
            qemuReportError(VIR_ERR_OPERATION_INVALID,                      # L-/726
                            _("cannot migrate domain with %d snapshots"),   # L-/727
                            nsnapshots)                                     # L-/728
            return False                                                    # L-/729

        def_ = vm.def_                                                      # L-/732
    if def_.nhostdevs > 0:                                                  # L707/734
        qemuReportError(VIR_ERR_OPERATION_INVALID,                          # L708/735
            "%s", _("Domain with assigned host devices cannot be migrated"))  # L709/736
        return False                                                        # L710/737

    return True                                                             # L713/740


def qemuMigrationBegin(driver, vm, xmlin, cookieout, cookieoutlen):         # L897/924
    rv = NULL                                                               # L903/930
    mig = NULL                                                              # L904/931
    def_ = NULL                                                             # L905/932
    priv = vm.privateData                                                   # L906/933

    VIR_DEBUG("driver=%p, vm=%p, xmlin=%s, cookieout=%p, cookieoutlen=%p",  # L908/935
              driver, vm, NULLSTR(xmlin), cookieout, cookieoutlen)          # L909/936

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if priv.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_OUT:   # L915/942
                        qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_BEGIN3)  # L916/943

                    if not qemuMigrationIsAllowed(driver, vm, NULL):        # L-/945
                        goto("cleanup")                                     # L925/946

                    if (mig := qemuMigrationEatCookie(driver, vm, NULL, 0, 0)) is NULL:  # L927/948
                        goto("cleanup")                                     # L928/949

                    if qemuMigrationBakeCookie(mig, driver, vm,             # L930/951
                                               cookieout, cookieoutlen,     # L931/952
                                               QEMU_MIGRATION_COOKIE_LOCKSTATE) < 0:  # L932/953
                        goto("cleanup")                                     # L933/954

                    if xmlin is not NULL:                                   # L935/956
                        if (def_ := virDomainDefParseString(driver.caps, xmlin,  # L936/957
                                                            QEMU_EXPECTED_VIRT_TYPES,  # L937/958
                                                            VIR_DOMAIN_XML_INACTIVE)) is NULL:  # L938/959
                            goto("cleanup")                                 # L939/960

                        if not virDomainDefCheckABIStability(vm.def_, def_):  # L941/962
                            goto("cleanup")                                 # L942/963

                        rv = qemuDomainDefFormatXML(driver, def_,           # L944/965
                                                    VIR_DOMAIN_XML_SECURE |  # L945/966
                                                    VIR_DOMAIN_XML_UPDATE_CPU)  # L946/967
                    else:                                                   # L947/968
                        rv = qemuDomainFormatXML(driver, vm,                # L948/969
                                                 VIR_DOMAIN_XML_SECURE |    # L949/970
                                                 VIR_DOMAIN_XML_UPDATE_CPU)  # L950/971
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L953/974
                    qemuMigrationCookieFree(mig)                            # L954/975
                    virDomainDefFree(def_)                                  # L955/976
                    return rv                                               # L956/977

                case _:
                    raise NoSuchLabel("qemuMigrationBegin", label)
        except Goto as g:
            label = g.label


def qemuMigrationPrepareAny(driver, dconn, cookiein, cookieinlen, cookieout,  # L964/985
                            cookieoutlen, dname, dom_xml, migrateFrom, st):  # L969/990
    def_ = NULL                                                             # L975/996
    vm = NULL                                                               # L976/997
    event = NULL                                                            # L977/998
    ret = -1                                                                # L978/999
    dataFD = [-1, -1]                                                       # L979/1000
    priv = NULL                                                             # L980/1001
    now = Ptr()                                                             # L981/1002
    mig = NULL                                                              # L982/1003
    tunnel = st is not NULL                                                 # L983/1004

    if virTimeMs(now) < 0:                                                  # L985/1006
        return -1                                                           # L986/1007

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if (def_ := virDomainDefParseString(driver.caps, dom_xml,  # L988/1009
                                                        QEMU_EXPECTED_VIRT_TYPES,  # L989/1010
                                                        VIR_DOMAIN_XML_INACTIVE)) is NULL:  # L990/1011
                        goto("cleanup")                                     # L991/1012

                    if not qemuMigrationIsAllowed(driver, NULL, def_):      # L-/1014
                        goto("cleanup")                                     # L994/1015

                    if dname is not NULL:                                   # L997/1018
                        def_.name = VIR_FREE(def_.name)                     # L998/1019
                        def_.name = strdup(dname)                           # L999/1020
                        if def_.name == NULL:                               # L1000/1021
                            goto("cleanup")                                 # L1001/1022

                    if virDomainObjIsDuplicate(driver.domains, def_, 1) < 0:  # L1004/1025
                        goto("cleanup")                                     # L1005/1026

                    if (vm := virDomainAssignDef(driver.caps,               # L1007/1028
                                                 driver.domains,            # L1008/1029
                                                 def_, True)) is NULL:      # L1009/1030
                        goto("cleanup")                                     # L1011/1032
                    def_ = NULL                                             # L1013/1034
                    priv = vm.privateData                                   # L1014/1035

                    if (mig := qemuMigrationEatCookie(driver, vm, cookiein, cookieinlen,  # L1016/1037
                                                      QEMU_MIGRATION_COOKIE_LOCKSTATE)) is NULL:  # L1017/1038
                        goto("cleanup")                                     # L1018/1039

                    if qemuMigrationJobStart(driver, vm, QEMU_ASYNC_JOB_MIGRATION_IN) < 0:  # L1020/1041
                        goto("cleanup")                                     # L1021/1042
                    qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_PREPARE)  # L1022/1043

                    vm.def_.id = -1                                         # L1025/1046

                    if (tunnel and                                          # L1027/1048
                            (pipe(dataFD) < 0 or virSetCloseExec(dataFD[1]) < 0)):  # L1028/1049
                        virReportSystemError(errno(), "%s",                 # L1029/1050
                                             _("cannot create pipe for tunnelled migration"))  # L1030/1051
                        goto("endjob")                                      # L1031/1052

                    if qemuProcessStart(dconn, driver, vm, migrateFrom, True,  # L1037/1058
                                        True, dataFD[0], NULL, NULL,        # L1038/1059
                                        VIR_VM_OP_MIGRATE_IN_START) < 0:    # L1039/1060
                        virDomainAuditStart(vm, "migrated", False)          # L1040/1061
                        goto("endjob")                                      # L1044/1065

                    if tunnel:                                              # L1047/1068
                        if virFDStreamOpen(st, dataFD[1]) < 0:              # L1048/1069
                            virReportSystemError(errno(), "%s",             # L1049/1070
                                                 _("cannot pass pipe for tunnelled migration"))  # L1050/1071
                            virDomainAuditStart(vm, "migrated", False)      # L1051/1072
                            qemuProcessStop(driver, vm, 0, VIR_DOMAIN_SHUTOFF_FAILED)  # L1052/1073
                            goto("endjob")                                  # L1053/1074
                        dataFD[1] = -1                                      # L1055/1076

                    if mig.lockState is not NULL:                           # L1058/1079
                        VIR_DEBUG("Received lockstate %s", mig.lockState)   # L1059/1080
                        priv.lockState = VIR_FREE(priv.lockState)           # L1060/1081
                        priv.lockState = mig.lockState                      # L1061/1082
                        mig.lockState = NULL                                # L1062/1083
                    else:                                                   # L1063/1084
                        VIR_DEBUG("Received no lockstate")                  # L1064/1085

                    if qemuMigrationBakeCookie(mig, driver, vm, cookieout, cookieoutlen,  # L1067/1088
                                               QEMU_MIGRATION_COOKIE_GRAPHICS) < 0:  # L1068/1089
                        VIR_WARN("Unable to encode migration cookie")       # L1073/1094

                    virDomainAuditStart(vm, "migrated", True)               # L1076/1097
                    event = virDomainEventNewFromObj(vm,                    # L1077/1098
                                                     VIR_DOMAIN_EVENT_STARTED,  # L1078/1099
                                                     VIR_DOMAIN_EVENT_STARTED_MIGRATED)  # L1079/1100

                    if qemuMigrationJobContinue(vm) == 0:                   # L1085/1106
                        vm = NULL                                           # L1086/1107
                        qemuReportError(VIR_ERR_OPERATION_FAILED,           # L1087/1108
                                        "%s", _("domain disappeared"))      # L1088/1109
                        goto("cleanup")                                     # L1089/1110

                    ret = 0                                                 # L1092/1113
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L1094/1115
                    virDomainDefFree(def_)                                  # L1095/1116
                    VIR_FORCE_CLOSE(dataFD, 0)                              # L1096/1117
                    VIR_FORCE_CLOSE(dataFD, 1)                              # L1097/1118
                    if vm is not NULL:                                      # L1098/1119
                        virDomainObjUnlock(vm)                              # L1099/1120
                    if event is not NULL:                                   # L1100/1121
                        qemuDomainEventQueue(driver, event)                 # L1101/1122
                    qemuMigrationCookieFree(mig)                            # L1102/1123
                    return ret                                              # L1103/1124

                case "endjob":                                              # L1105/1126
                    if qemuMigrationJobFinish(driver, vm) == 0:             # L1106/1127
                        vm = NULL                                           # L1107/1128
                    elif not vm.persistent:                                 # L1108/1129
                        virDomainRemoveInactive(driver.domains, vm)         # L1109/1130
                        vm = NULL                                           # L1110/1131
                    goto("cleanup")                                         # L1112/1133

                case _:
                    raise NoSuchLabel("qemuMigrationPrepareAny", label)
        except Goto as g:
            label = g.label


def qemuMigrationPrepareTunnel(driver, dconn, cookiein, cookieinlen, cookieout,  # L1121/1142
                               cookieoutlen, st, dname, dom_xml):           # L1126/1147
    ret: int                                                                # L1131/1152

    VIR_DEBUG("driver=%p, dconn=%p, cookiein=%s, cookieinlen=%d, "          # L1133/1154
              "cookieout=%p, cookieoutlen=%p, st=%p, dname=%s, dom_xml=%s",  # L1134/1155
              driver, dconn, NULLSTR(cookiein), cookieinlen,                # L1135/1156
              cookieout, cookieoutlen, st, NULLSTR(dname), dom_xml)         # L1136/1157

    ret = qemuMigrationPrepareAny(driver, dconn, cookiein, cookieinlen,     # L1141/1162
                                  cookieout, cookieoutlen, dname, dom_xml,  # L1142/1163
                                  "stdio", st)                              # L1143/1164
    return ret                                                              # L1144/1165


def qemuMigrationPrepareDirect(driver, dconn, cookiein, cookieinlen, cookieout,  # L1149/1170
                               cookieoutlen, uri_in, uri_out, dname, dom_xml):  # L1154/1175
    port = static("qemuMigrationPrepareDirect.port", 0)                     # L1160/1181
    this_port: int                                                          # L1161/1182
    hostname = NULL                                                         # L1162/1183
    migrateFrom: str                                                        # L1163/1184
    p = Ptr()                                                               # L1164/1185
    ret = -1                                                                # L1165/1186

    VIR_DEBUG("driver=%p, dconn=%p, cookiein=%s, cookieinlen=%d, "          # L1167/1188
              "cookieout=%p, cookieoutlen=%p, uri_in=%s, uri_out=%p, "      # L1168/1189
              "dname=%s, dom_xml=%s",                                       # L1169/1190
              driver, dconn, NULLSTR(cookiein), cookieinlen,                # L1170/1191
              cookieout, cookieoutlen, NULLSTR(uri_in), uri_out,            # L1171/1192
              NULLSTR(dname), dom_xml)                                      # L1172/1193

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if uri_in == NULL:                                      # L1184/1205
                        this_port = QEMUD_MIGRATION_FIRST_PORT + port.value  # L1185/1206
                        port.value += 1                                     # L1185/1206
                        if port.value == QEMUD_MIGRATION_NUM_PORTS: port.value = 0  # L1186/1207

                        if (hostname := virGetHostname(NULL)) == NULL:      # L1189/1210
                            goto("cleanup")                                 # L1190/1211

                        if STRPREFIX(hostname, "localhost"):                # L1192/1213
                            qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",   # L1193/1214
                                            _("hostname on destination resolved to localhost,"  # L1194/1215
                                              " but migration requires an FQDN"))  # L1195/1216
                            goto("cleanup")                                 # L1196/1217

                        if virAsprintf(uri_out, "tcp:%s:%d", hostname, this_port) < 0:  # L1205/1226
                            virReportOOMError()                             # L1206/1227
                            goto("cleanup")                                 # L1207/1228
                    else:                                                   # L1209/1230
                        if not STRPREFIX(uri_in, "tcp:"):                   # L1214/1235
                            qemuReportError(VIR_ERR_INVALID_ARG, "%s",      # L1215/1236
                                            _("only tcp URIs are supported for KVM/QEMU"  # L1216/1237
                                              " migrations"))               # L1217/1238
                            goto("cleanup")                                 # L1218/1239

                        p.value = (uri_in, uri_in.rfind(":"))               # L1222/1243
                        if p.value[1] == uri_in.find(":"):                  # L1223/1244
                            this_port = QEMUD_MIGRATION_FIRST_PORT + port.value  # L1225/1246
                            port.value += 1                                 # L1225/1246
                            if port.value == QEMUD_MIGRATION_NUM_PORTS:     # L1226/1247
                                port.value = 0                              # L1227/1248

                            if virAsprintf(uri_out, "%s:%d", uri_in, this_port) < 0:  # L1230/1251
                                virReportOOMError()                         # L1231/1252
                                goto("cleanup")                             # L1232/1253

                        else:                                               # L1235/1256
                            p.value = (uri_in, p.value[1] + 1)              # L1236/1257
                            this_port = virParseNumber(p)                   # L1237/1258
                            if this_port == -1 or p.value[1] != len(uri_in):  # L1238/1259
                                qemuReportError(VIR_ERR_INVALID_ARG,        # L1239/1260
                                                "%s", _("URI ended with incorrect ':port'"))  # L1240/1261
                                goto("cleanup")                             # L1241/1262

                    if uri_out.value is not NULL:                           # L1246/1267
                        VIR_DEBUG("Generated uri_out=%s", uri_out.value)    # L1247/1268

                    migrateFrom = "tcp:0.0.0.0:%d" % this_port              # L1250/1271

                    ret = qemuMigrationPrepareAny(driver, dconn, cookiein, cookieinlen,  # L1252/1273
                                                  cookieout, cookieoutlen, dname, dom_xml,  # L1253/1274
                                                  migrateFrom, NULL)        # L1254/1275
                    goto("cleanup")  # falls through
                case "cleanup":                                             # L1255/1276
                    hostname = VIR_FREE(hostname)                           # L1256/1277
                    if ret != 0:                                            # L1257/1278
                        uri_out.value = VIR_FREE(uri_out.value)             # L1258/1279
                    return ret                                              # L1259/1280

                case _:
                    raise NoSuchLabel("qemuMigrationPrepareDirect", label)
        except Goto as g:
            label = g.label


def qemuMigrationPerformJob(driver, conn, vm, xmlin, dconnuri, uri, cookiein,  # L2169/2190
                            cookieinlen, cookieout, cookieoutlen, flags, dname,  # L2176/2197
                            resource, v3proto):                             # L2181/2202
    event = NULL                                                            # L2184/2205
    ret = -1                                                                # L2185/2206
    resume = 0                                                              # L2186/2207
    v3proto = Ptr(v3proto)  # the C passes &v3proto below; a Python bool needs a box

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if qemuMigrationJobStart(driver, vm, QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:  # L2188/2209
                        goto("cleanup")                                     # L2189/2210

                    if not virDomainObjIsActive(vm):                        # L2191/2212
                        qemuReportError(VIR_ERR_OPERATION_INVALID,          # L2192/2213
                                        "%s", _("domain is not running"))   # L2193/2214
                        goto("endjob")                                      # L2194/2215

                    if not qemuMigrationIsAllowed(driver, vm, NULL):        # L-/2218
                        goto("cleanup")                                     # L-/2219

                    resume = virDomainObjGetState(vm, NULL) == VIR_DOMAIN_RUNNING  # L2203/2221

                    if (flags & (VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER)):  # L2205/2223
                        ret = doPeer2PeerMigrate(driver, conn, vm, xmlin,   # L2206/2224
                                                 dconnuri, uri, flags, dname,  # L2207/2225
                                                 resource, v3proto)         # L2208/2226
                    else:                                                   # L2209/2227
                        qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_PERFORM2)  # L2210/2228
                        ret = doNativeMigrate(driver, vm, uri, cookiein, cookieinlen,  # L2211/2229
                                              cookieout, cookieoutlen,      # L2212/2230
                                              flags, resource)              # L2213/2231
                    if ret < 0:                                             # L2215/2233
                        goto("endjob")                                      # L2216/2234

                    if not v3proto.value:                                   # L2222/2240
                        qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_MIGRATED)  # L2223/2241
                        virDomainAuditStop(vm, "migrated")                  # L2224/2242
                        event = virDomainEventNewFromObj(vm,                # L2225/2243
                                                         VIR_DOMAIN_EVENT_STOPPED,  # L2226/2244
                                                         VIR_DOMAIN_EVENT_STOPPED_MIGRATED)  # L2227/2245
                    resume = 0                                              # L2229/2247
                    goto("endjob")  # falls through

                case "endjob":                                              # L2231/2249
                    if resume and virDomainObjGetState(vm, NULL) == VIR_DOMAIN_PAUSED:  # L2232/2250
                        if qemuProcessStartCPUs(driver, vm, conn,           # L2234/2252
                                                VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,  # L2235/2253
                                                QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:  # L2236/2254
                            VIR_ERROR(_("Failed to resume guest %s after failure"),  # L2241/2259
                                      vm.def_.name)                         # L2242/2260

                        event = virDomainEventNewFromObj(vm,                # L2245/2263
                                                         VIR_DOMAIN_EVENT_RESUMED,  # L2246/2264
                                                         VIR_DOMAIN_EVENT_RESUMED_MIGRATED)  # L2247/2265

                    if qemuMigrationJobFinish(driver, vm) == 0:             # L2250/2268
                        vm = NULL                                           # L2251/2269
                    elif (not virDomainObjIsActive(vm) and                  # L2252/2270
                          (not vm.persistent or                             # L2253/2271
                           (ret == 0 and (flags & VIR_MIGRATE_UNDEFINE_SOURCE)))):  # L2254/2272
                        if flags & VIR_MIGRATE_UNDEFINE_SOURCE:             # L2255/2273
                            virDomainDeleteConfig(driver.configDir, driver.autostartDir, vm)  # L2256/2274
                        virDomainRemoveInactive(driver.domains, vm)         # L2257/2275
                        vm = NULL                                           # L2258/2276
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2261/2279
                    if vm is not NULL:                                      # L2262/2280
                        virDomainObjUnlock(vm)                              # L2263/2281
                    if event is not NULL:                                   # L2264/2282
                        qemuDomainEventQueue(driver, event)                 # L2265/2283
                    return ret                                              # L2266/2284

                case _:
                    raise NoSuchLabel("qemuMigrationPerformJob", label)
        except Goto as g:
            label = g.label


def qemuMigrationJobStart(driver, vm, job):                                 # L2835/2853
    priv = vm.privateData                                                   # L2839/2857

    if qemuDomainObjBeginAsyncJobWithDriver(driver, vm, job) < 0:           # L2841/2859
        return -1                                                           # L2842/2860

    if job == QEMU_ASYNC_JOB_MIGRATION_IN:                                  # L2844/2862
        qemuDomainObjSetAsyncJobMask(vm, QEMU_JOB_NONE)                     # L2845/2863
    else:                                                                   # L2846/2864
        qemuDomainObjSetAsyncJobMask(vm, DEFAULT_JOB_MASK |                 # L2847/2865
                                     JOB_MASK(QEMU_JOB_SUSPEND) |           # L2848/2866
                                     JOB_MASK(QEMU_JOB_MIGRATION_OP))       # L2849/2867

    priv.job.info_type = VIR_DOMAIN_JOB_UNBOUNDED                           # L2852/2870

    return 0                                                                # L2854/2872


def qemuMigrationJobSetPhase(driver, vm, phase):                            # L2858/2876
    priv = vm.privateData                                                   # L2862/2880

    if phase < priv.job.phase:                                              # L2864/2882
        VIR_ERROR(_("migration protocol going backwards %s => %s"),         # L2865/2883
                  qemuMigrationJobPhaseTypeToString(priv.job.phase),        # L2866/2884
                  qemuMigrationJobPhaseTypeToString(phase))                 # L2867/2885
        return                                                              # L2868/2886

    qemuDomainObjSetJobPhase(driver, vm, phase)                             # L2871/2889


def qemuMigrationJobStartPhase(driver, vm, phase):                          # L2875/2893
    virDomainObjRef(vm)                                                     # L2879/2897
    qemuMigrationJobSetPhase(driver, vm, phase)                             # L2880/2898


def qemuMigrationJobContinue(vm):                                           # L2884/2902
    return virDomainObjUnref(vm)                                            # L2886/2904


def qemuMigrationJobIsActive(vm, job):                                      # L2890/2908
    priv = vm.privateData                                                   # L2893/2911

    if priv.job.asyncJob != job:                                            # L2895/2913
        msg: str                                                            # L2896/2914

        if job == QEMU_ASYNC_JOB_MIGRATION_IN:                              # L2898/2916
            msg = _("domain '%s' is not processing incoming migration")     # L2899/2917
        else:                                                               # L2900/2918
            msg = _("domain '%s' is not being migrated")                    # L2901/2919

        qemuReportError(VIR_ERR_OPERATION_INVALID, msg, vm.def_.name)       # L2903/2921
        return False                                                        # L2904/2922
    return True                                                             # L2906/2924


def qemuMigrationJobFinish(driver, vm):                                     # L2910/2928
    return qemuDomainObjEndAsyncJob(driver, vm)                             # L2912/2930


# The ported functions show in the trace when called (runtime.traced wraps them
# here rather than by decorator, so that mutation tools see plain functions).
traced(globals(), traced_names(MIGRATION_C))
