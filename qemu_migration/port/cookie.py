"""The migration cookie of src/qemu/qemu_migration.c, ported line for line.

qemuMigrationCookieNew, ...Free, ...AddGraphics, ...AddLockstate, the XML
format and parse functions, qemuMigrationBakeCookie and qemuMigrationEatCookie
(qemu_migration.c:115-701).  That part of the file is the same at 19f8c980 and
at e2fb96d9, at the same lines, so ``# L<pre>/<post>`` shows one number twice.

The cookie XML is read with the helpers of world/xmlutil.py (lxml, entities,
DTDs and network off) the way upstream reads it with virXPathString and
friends; what talks to the OS or another subsystem (virGetHostname,
virGetHostUUID, the lock manager's inquiry, the TLS certificate) is a recorded
stub.  Every function here is traced when called, as the other ported ones are.

Two things upstream's code does that a reader may not expect, kept as they are:
a UUID mismatch (L498) and an unsupported mandatory feature (L558) are reported
but do not fail the parse; and nothing sets ``mig->flags`` while a cookie is
parsed, so EatCookie's lock-driver checks (L679-695) never run at this commit.
"""
from ..world.constants import (NULL, QEMU_MIGRATION_COOKIE_GRAPHICS,
                               QEMU_MIGRATION_COOKIE_LOCKSTATE, VIR_DOMAIN_PAUSED,
                               VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU)
from ..world.objects import Ptr
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import (NULLSTR, VIR_DEBUG, VIR_FREE, _, qemuDomainExtractTLSSubject,
                           qemuReportError, strdup, virDomainGraphicsListenGetAddress,
                           virDomainLockProcessInquire, virDomainObjGetState, virGetHostname,
                           virGetHostUUID, virLockManagerPluginGetName,
                           virLockManagerPluginUsesState, virReportOOMError)
from ..world.xmlutil import (virBuffer, virBufferAddLit, virBufferAsprintf,
                             virBufferContentAndReset, virBufferError, virBufferEscapeString,
                             virUUIDFormat, virUUIDParse, virXMLParseStringCtxt,
                             virXMLPropString, virXPathBoolean, virXPathInt, virXPathNodeSet,
                             virXPathString)

# enum qemuMigrationCookieFlags and its VIR_ENUM_IMPL (L62-72)
QEMU_MIGRATION_COOKIE_FLAG_GRAPHICS = 0
QEMU_MIGRATION_COOKIE_FLAG_LOCKSTATE = 1
QEMU_MIGRATION_COOKIE_FLAG_LAST = 2
_COOKIE_FLAG_NAMES = ["graphics", "lockstate"]

# enum virDomainGraphicsType (domain_conf.h) and its VIR_ENUM_IMPL
_GRAPHICS_TYPES = ["sdl", "vnc", "rdp", "desktop", "spice"]
VIR_DOMAIN_GRAPHICS_TYPE_VNC = 1
VIR_DOMAIN_GRAPHICS_TYPE_SPICE = 4


def _enum_from_string(names, s):
    return names.index(s) if s in names else -1


def qemuMigrationCookieFlagTypeToString(i):
    return _COOKIE_FLAG_NAMES[i]


def qemuMigrationCookieFlagTypeFromString(s):
    return _enum_from_string(_COOKIE_FLAG_NAMES, s)


def virDomainGraphicsTypeToString(t):
    return _GRAPHICS_TYPES[t]


def virDomainGraphicsTypeFromString(s):
    return _enum_from_string(_GRAPHICS_TYPES, s)


def VIR_ALLOC(cls):
    """VIR_ALLOC: a zeroed struct (allocation failures of the cookie's own structs are
    not modelled; strdup's and the callees' are)."""
    return cls()


class qemuMigrationCookieGraphics:
    """struct _qemuMigrationCookieGraphics (L77-84)."""

    def __init__(self):
        self.type = 0
        self.port = 0
        self.tlsPort = 0
        self.listen = NULL
        self.tlsSubject = NULL


class qemuMigrationCookie:
    """struct _qemuMigrationCookie (L86-109); a UUID is held as its text."""

    def __init__(self):
        self.flags = 0
        self.flagsMandatory = 0
        self.localHostuuid = NULL
        self.remoteHostuuid = NULL
        self.localHostname = NULL
        self.remoteHostname = NULL
        self.uuid = NULL
        self.name = NULL
        self.lockState = NULL
        self.lockDriver = NULL
        self.graphics = NULL


def qemuMigrationCookieGraphicsFree(grap):                                  # L115/115
    if grap is NULL:                                                        # L117/117
        return                                                              # L118/118
    grap.listen = VIR_FREE(grap.listen)                                     # L119/119
    grap.tlsSubject = VIR_FREE(grap.tlsSubject)                             # L120/120


def qemuMigrationCookieFree(mig):                                           # L125/125
    if mig is NULL:                                                         # L127/127
        return                                                              # L128/128

    if mig.flags & QEMU_MIGRATION_COOKIE_GRAPHICS:                          # L130/130
        qemuMigrationCookieGraphicsFree(mig.graphics)                       # L131/131

    mig.localHostname = VIR_FREE(mig.localHostname)                         # L133/133
    mig.remoteHostname = VIR_FREE(mig.remoteHostname)                       # L134/134
    mig.name = VIR_FREE(mig.name)                                           # L135/135
    mig.lockState = VIR_FREE(mig.lockState)                                 # L136/136
    mig.lockDriver = VIR_FREE(mig.lockDriver)                               # L137/137


def qemuMigrationCookieGraphicsAlloc(driver, def_):                         # L202/202
    mig = NULL                                                              # L206/206
    listenAddr = NULL                                                       # L207/207

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    mig = VIR_ALLOC(qemuMigrationCookieGraphics)            # L209/209

                    mig.type = virDomainGraphicsTypeFromString(def_.type)   # L212/212
                    if mig.type == VIR_DOMAIN_GRAPHICS_TYPE_VNC:            # L213/213
                        mig.port = def_.port                                # L214/214
                        listenAddr = virDomainGraphicsListenGetAddress(def_, 0)  # L215/215
                        if listenAddr is NULL:                               # L216/216
                            listenAddr = driver.vncListen                   # L217/217

                        if driver.vncTLS:                                   # L219/219
                            mig.tlsSubject = qemuDomainExtractTLSSubject(   # L220/220
                                driver.vncTLSx509certdir)                   # L220/220
                            if mig.tlsSubject is NULL:                      # L220/220
                                goto("error")                               # L221/221
                    else:                                                   # L222/222
                        mig.port = def_.port                                # L223/223
                        if driver.spiceTLS:                                 # L224/224
                            mig.tlsPort = def_.tlsPort                      # L225/225
                        else:                                               # L226/226
                            mig.tlsPort = -1                                # L227/227
                        listenAddr = virDomainGraphicsListenGetAddress(def_, 0)  # L228/228
                        if listenAddr is NULL:                               # L229/229
                            listenAddr = driver.spiceListen                 # L230/230

                        if driver.spiceTLS:                                 # L232/232
                            mig.tlsSubject = qemuDomainExtractTLSSubject(   # L233/233
                                driver.spiceTLSx509certdir)                 # L233/233
                            if mig.tlsSubject is NULL:                      # L233/233
                                goto("error")                               # L234/234
                    mig.listen = strdup(listenAddr)                         # L236/236
                    if mig.listen is NULL:                                  # L236/236
                        goto("no_memory")                                   # L237/237

                    return mig                                              # L239/239

                case "no_memory":                                           # L241/241
                    virReportOOMError()                                     # L242/242
                    goto("error")  # falls through
                case "error":                                               # L243/243
                    qemuMigrationCookieGraphicsFree(mig)                    # L244/244
                    return NULL                                             # L245/245
                case _:
                    raise NoSuchLabel("qemuMigrationCookieGraphicsAlloc", label)
        except Goto as g:
            label = g.label


def qemuMigrationCookieNew(dom):                                            # L249/249
    mig = NULL                                                              # L252/252

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    mig = VIR_ALLOC(qemuMigrationCookie)                    # L254/254

                    mig.name = strdup(dom.def_.name)                        # L257/257
                    if mig.name is NULL:                                    # L257/257
                        goto("no_memory")                                   # L258/258
                    mig.uuid = dom.def_.uuid                                # L259/259

                    mig.localHostname = virGetHostname(NULL)                # L261/261
                    if mig.localHostname is NULL:                           # L261/261
                        goto("error")                                       # L262/262
                    localHostuuid = Ptr()
                    if virGetHostUUID(localHostuuid) < 0:                   # L263/263
                        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",       # L264/264
                                        _("Unable to obtain host UUID"))    # L265/265
                        goto("error")                                       # L266/266
                    mig.localHostuuid = localHostuuid.value

                    return mig                                              # L269/269

                case "no_memory":                                           # L271/271
                    virReportOOMError()                                     # L272/272
                    goto("error")  # falls through
                case "error":                                               # L273/273
                    qemuMigrationCookieFree(mig)                            # L274/274
                    return NULL                                             # L275/275
                case _:
                    raise NoSuchLabel("qemuMigrationCookieNew", label)
        except Goto as g:
            label = g.label


def qemuMigrationCookieAddGraphics(mig, driver, dom):                       # L279/279
    if mig.flags & QEMU_MIGRATION_COOKIE_GRAPHICS:                          # L284/284
        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",                       # L285/285
                        _("Migration graphics data already present"))       # L286/286
        return -1                                                           # L287/287

    if (len(dom.def_.graphics) == 1 and                                     # L290/290
            (virDomainGraphicsTypeFromString(dom.def_.graphics[0].type)     # L291/291
             in (VIR_DOMAIN_GRAPHICS_TYPE_VNC, VIR_DOMAIN_GRAPHICS_TYPE_SPICE))):  # L292/292
        mig.graphics = qemuMigrationCookieGraphicsAlloc(driver,             # L293/293
                                                        dom.def_.graphics[0])  # L294/294
        if mig.graphics is NULL:                                            # L293/293
            return -1                                                       # L295/295
        mig.flags |= QEMU_MIGRATION_COOKIE_GRAPHICS                         # L296/296

    return 0                                                                # L299/299


def qemuMigrationCookieAddLockstate(mig, driver, dom):                      # L303/303
    priv = dom.privateData                                                  # L308/308

    if mig.flags & QEMU_MIGRATION_COOKIE_LOCKSTATE:                         # L310/310
        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",                       # L311/311
                        _("Migration lockstate data already present"))      # L312/312
        return -1                                                           # L313/313

    if virDomainObjGetState(dom, NULL) == VIR_DOMAIN_PAUSED:                # L316/316
        if priv.lockState is not NULL:                                      # L317/317
            mig.lockState = strdup(priv.lockState)                          # L318/318
            if mig.lockState is NULL:                                       # L318/318
                return -1                                                   # L319/319
    else:                                                                   # L320/320
        lockState = Ptr(mig.lockState)
        if virDomainLockProcessInquire(driver.lockManager, dom, lockState) < 0:  # L321/321
            mig.lockState = lockState.value
            return -1                                                       # L322/322
        mig.lockState = lockState.value

    mig.lockDriver = strdup(virLockManagerPluginGetName(driver.lockManager))  # L325/325
    if mig.lockDriver is NULL:                                              # L325/325
        mig.lockState = VIR_FREE(mig.lockState)                             # L326/326
        return -1                                                           # L327/327

    mig.flags |= QEMU_MIGRATION_COOKIE_LOCKSTATE                            # L330/330
    mig.flagsMandatory |= QEMU_MIGRATION_COOKIE_LOCKSTATE                   # L331/331

    return 0                                                                # L333/333


def qemuMigrationCookieGraphicsXMLFormat(buf, grap):                        # L338/338
    virBufferAsprintf(buf, "  <graphics type='%s' port='%d' listen='%s'",   # L341/341
                      virDomainGraphicsTypeToString(grap.type),             # L342/342
                      grap.port, grap.listen)                               # L343/343
    if grap.type == VIR_DOMAIN_GRAPHICS_TYPE_SPICE:                         # L344/344
        virBufferAsprintf(buf, " tlsPort='%d'", grap.tlsPort)               # L345/345
    if grap.tlsSubject is not NULL:                                         # L346/346
        virBufferAddLit(buf, ">\n")                                         # L347/347
        virBufferEscapeString(buf, "    <cert info='subject' value='%s'/>\n",  # L348/348
                              grap.tlsSubject)                              # L348/348
        virBufferAddLit(buf, "  </graphics>\n")                             # L349/349
    else:                                                                   # L350/350
        virBufferAddLit(buf, "/>\n")                                        # L351/351


def qemuMigrationCookieXMLFormat(buf, mig):                                 # L356/356
    uuidstr = virUUIDFormat(mig.uuid)                                       # L363/363
    hostuuidstr = virUUIDFormat(mig.localHostuuid)                          # L364/364

    virBufferAsprintf(buf, "<qemu-migration>\n")                            # L366/366
    virBufferEscapeString(buf, "  <name>%s</name>\n", mig.name)             # L367/367
    virBufferAsprintf(buf, "  <uuid>%s</uuid>\n", uuidstr)                  # L368/368
    virBufferEscapeString(buf, "  <hostname>%s</hostname>\n", mig.localHostname)  # L369/369
    virBufferAsprintf(buf, "  <hostuuid>%s</hostuuid>\n", hostuuidstr)      # L370/370

    for i in range(QEMU_MIGRATION_COOKIE_FLAG_LAST):                        # L372/372
        if mig.flagsMandatory & (1 << i):                                   # L373/373
            virBufferAsprintf(buf, "  <feature name='%s'/>\n",              # L374/374
                              qemuMigrationCookieFlagTypeToString(i))       # L375/375

    if ((mig.flags & QEMU_MIGRATION_COOKIE_GRAPHICS) and                    # L378/378
            mig.graphics is not NULL):                                      # L379/379
        qemuMigrationCookieGraphicsXMLFormat(buf, mig.graphics)             # L380/380

    if ((mig.flags & QEMU_MIGRATION_COOKIE_LOCKSTATE) and                   # L382/382
            mig.lockState is not NULL):                                     # L383/383
        virBufferAsprintf(buf, "  <lockstate driver='%s'>\n",               # L384/384
                          mig.lockDriver)                                   # L385/385
        virBufferAsprintf(buf, "    <leases>%s</leases>\n",                 # L386/386
                          mig.lockState)                                    # L387/387
        virBufferAddLit(buf, "  </lockstate>\n")                            # L388/388

    virBufferAddLit(buf, "</qemu-migration>\n")                             # L391/391


def qemuMigrationCookieXMLFormatStr(mig):                                   # L395/395
    buf = virBuffer()                                                       # L397/397

    qemuMigrationCookieXMLFormat(buf, mig)                                  # L399/399

    if virBufferError(buf):                                                 # L401/401
        virReportOOMError()                                                 # L402/402
        return NULL                                                         # L403/403

    return virBufferContentAndReset(buf)                                    # L406/406


def qemuMigrationCookieGraphicsXMLParse(ctxt):                              # L410/410
    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    grap = VIR_ALLOC(qemuMigrationCookieGraphics)           # L416/416

                    if (tmp := virXPathString("string(./graphics/@type)", ctxt)) is NULL:  # L419/419
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L420/420
                                        "%s", _("missing type attribute in migration data"))  # L421/421
                        goto("error")                                       # L422/422
                    grap.type = virDomainGraphicsTypeFromString(tmp)        # L424/424
                    if grap.type < 0:                                       # L424/424
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L425/425
                                        _("unknown graphics type %s"), tmp)  # L426/426
                        tmp = VIR_FREE(tmp)                                 # L427/427
                        goto("error")                                       # L428/428
                    port = Ptr(grap.port)
                    if virXPathInt("string(./graphics/@port)", ctxt, port) < 0:  # L430/430
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L431/431
                                        "%s", _("missing port attribute in migration data"))  # L432/432
                        goto("error")                                       # L433/433
                    grap.port = port.value
                    if grap.type == VIR_DOMAIN_GRAPHICS_TYPE_SPICE:         # L435/435
                        tlsPort = Ptr(grap.tlsPort)
                        if virXPathInt("string(./graphics/@tlsPort)", ctxt, tlsPort) < 0:  # L436/436
                            qemuReportError(VIR_ERR_INTERNAL_ERROR,         # L437/437
                                            "%s", _("missing tlsPort attribute in migration data"))  # L438/438
                            goto("error")                                   # L439/439
                        grap.tlsPort = tlsPort.value
                    grap.listen = virXPathString("string(./graphics/@listen)", ctxt)  # L442/442
                    if grap.listen is NULL:                                 # L442/442
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L443/443
                                        "%s", _("missing listen attribute in migration data"))  # L444/444
                        goto("error")                                       # L445/445
                    grap.tlsSubject = virXPathString(                       # L448/448
                        "string(./graphics/cert[@info='subject']/@value)", ctxt)  # L448/448

                    return grap                                             # L451/451

                case "error":                                               # L455/455
                    qemuMigrationCookieGraphicsFree(grap)                   # L456/456
                    return NULL                                             # L457/457
                case _:
                    raise NoSuchLabel("qemuMigrationCookieGraphicsXMLParse", label)
        except Goto as g:
            label = g.label


def qemuMigrationCookieXMLParse(mig, ctxt, flags):                          # L461/461
    tmp = NULL                                                              # L467/467
    nodes = Ptr(NULL)                                                       # L468/468

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if (tmp := virXPathString("string(./name[1])", ctxt)) is NULL:  # L477/477
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L478/478
                                        "%s", _("missing name element in migration data"))  # L479/479
                        goto("error")                                       # L480/480
                    if tmp != mig.name:                                     # L482/482
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L483/483
                                        _("Incoming cookie data had unexpected name %s vs %s"),  # L484/484
                                        tmp, mig.name)                      # L485/485
                        goto("error")                                       # L486/486
                    tmp = VIR_FREE(tmp)                                     # L488/488

                    tmp = virXPathString("string(./uuid[1])", ctxt)         # L491/491
                    if tmp is NULL:                                         # L492/492
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L493/493
                                        "%s", _("missing uuid element in migration data"))  # L494/494
                        goto("error")                                       # L495/495
                    uuidstr = virUUIDFormat(mig.uuid)                       # L497/497
                    if tmp != uuidstr:                                      # L498/498
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L499/499
                                        _("Incoming cookie data had unexpected UUID %s vs %s"),  # L500/500
                                        tmp, uuidstr)                       # L501/501
                    tmp = VIR_FREE(tmp)                                     # L503/503

                    mig.remoteHostname = virXPathString("string(./hostname[1])", ctxt)  # L506/506
                    if mig.remoteHostname is NULL:                          # L506/506
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L507/507
                                        "%s", _("missing hostname element in migration data"))  # L508/508
                        goto("error")                                       # L509/509
                    if mig.remoteHostname == mig.localHostname:             # L511/511
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L512/512
                                        _("Attempt to migrate guest to the same host %s"),  # L513/513
                                        mig.remoteHostname)                 # L514/514
                        goto("error")                                       # L515/515

                    if (tmp := virXPathString("string(./hostuuid[1])", ctxt)) is NULL:  # L518/518
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L519/519
                                        "%s", _("missing hostuuid element in migration data"))  # L520/520
                        goto("error")                                       # L521/521
                    remoteHostuuid = Ptr()
                    if virUUIDParse(tmp, remoteHostuuid) < 0:               # L523/523
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L524/524
                                        "%s", _("malformed hostuuid element in migration data"))  # L525/525
                        goto("error")                                       # L526/526
                    mig.remoteHostuuid = remoteHostuuid.value
                    if mig.remoteHostuuid == mig.localHostuuid:             # L528/528
                        qemuReportError(VIR_ERR_INTERNAL_ERROR,             # L529/529
                                        _("Attempt to migrate guest to the same host %s"),  # L530/530
                                        tmp)                                # L531/531
                        goto("error")                                       # L532/532
                    tmp = VIR_FREE(tmp)                                     # L534/534

                    n = virXPathNodeSet("./features", ctxt, nodes)          # L538/538

                    for i in range(n):                                      # L541/541
                        if (str_ := virXMLPropString(nodes.value[i], "name")) is NULL:  # L543/543
                            qemuReportError(VIR_ERR_INTERNAL_ERROR,         # L545/545
                                            "%s", _("missing feature name"))  # L546/546
                            goto("error")                                   # L547/547

                        if (val := qemuMigrationCookieFlagTypeFromString(str_)) < 0:  # L550/550
                            qemuReportError(VIR_ERR_INTERNAL_ERROR,         # L551/551
                                            _("Unknown migration cookie feature %s"),  # L552/552
                                            str_)                           # L553/553
                            str_ = VIR_FREE(str_)                           # L554/554
                            goto("error")                                   # L555/555

                        if (flags & (1 << val)) == 0:                       # L558/558
                            qemuReportError(VIR_ERR_INTERNAL_ERROR,         # L559/559
                                            _("Unsupported migration cookie feature %s"),  # L560/560
                                            str_)                           # L561/561
                            str_ = VIR_FREE(str_)                           # L562/562
                        str_ = VIR_FREE(str_)                               # L564/564
                    nodes.value = VIR_FREE(nodes.value)                     # L566/566

                    if ((flags & QEMU_MIGRATION_COOKIE_GRAPHICS) and        # L568/568
                            virXPathBoolean("count(./graphics) > 0", ctxt)):  # L569/569
                        mig.graphics = qemuMigrationCookieGraphicsXMLParse(ctxt)  # L570/570
                        if mig.graphics is NULL:                            # L570/570
                            goto("error")                                   # L571/571

                    if ((flags & QEMU_MIGRATION_COOKIE_LOCKSTATE) and       # L573/573
                            virXPathBoolean("count(./lockstate) > 0", ctxt)):  # L574/574
                        mig.lockDriver = virXPathString("string(./lockstate[1]/@driver)", ctxt)  # L575/575
                        if mig.lockDriver is NULL:                          # L576/576
                            qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",   # L577/577
                                            _("Missing lock driver name in migration cookie"))  # L578/578
                            goto("error")                                   # L579/579
                        mig.lockState = virXPathString("string(./lockstate[1]/leases[1])", ctxt)  # L581/581
                        if mig.lockState is not NULL and mig.lockState == "":  # L582/582
                            mig.lockState = VIR_FREE(mig.lockState)  # L583/583  # pragma: no cover (dead upstream too: virXPathString never gives "")

                    return 0                                                # L586/586

                case "error":                                               # L588/588
                    tmp = VIR_FREE(tmp)                                     # L589/589
                    nodes.value = VIR_FREE(nodes.value)                     # L590/590
                    return -1                                               # L591/591
                case _:
                    raise NoSuchLabel("qemuMigrationCookieXMLParse", label)
        except Goto as g:
            label = g.label


def qemuMigrationCookieXMLParseStr(mig, xml, flags):                        # L595/595
    doc = NULL                                                              # L600/600
    ctxt = Ptr(NULL)                                                        # L601/601
    ret = -1                                                                # L602/602

    VIR_DEBUG("xml=%s", NULLSTR(xml))                                       # L604/604

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if (doc := virXMLParseStringCtxt(xml, "qemumigration.xml", ctxt,  # L606/606
                                                     VIR_FROM_QEMU)) is NULL:  # L606/606
                        goto("cleanup")                                     # L607/607

                    ret = qemuMigrationCookieXMLParse(mig, ctxt.value, flags)  # L609/609
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L611/611
                    ctxt.value = NULL                                       # L612/612
                    doc = NULL                                              # L613/613

                    return ret                                              # L615/615
                case _:
                    raise NoSuchLabel("qemuMigrationCookieXMLParseStr", label)
        except Goto as g:
            label = g.label


def qemuMigrationBakeCookie(mig, driver, dom, cookieout, cookieoutlen, flags):  # L619/619
    if cookieout is NULL or cookieoutlen is NULL:                           # L627/627
        return 0                                                            # L628/628

    cookieoutlen.value = 0                                                  # L630/630

    if (flags & QEMU_MIGRATION_COOKIE_GRAPHICS and                          # L632/632
            qemuMigrationCookieAddGraphics(mig, driver, dom) < 0):          # L633/633
        return -1                                                           # L634/634

    if (flags & QEMU_MIGRATION_COOKIE_LOCKSTATE and                         # L636/636
            qemuMigrationCookieAddLockstate(mig, driver, dom) < 0):         # L637/637
        return -1                                                           # L638/638

    cookieout.value = qemuMigrationCookieXMLFormatStr(mig)                  # L640/640
    if cookieout.value is NULL:                                             # L640/640
        return -1                                                           # L641/641

    cookieoutlen.value = len(_bytes(cookieout.value)) + 1                   # L643/643

    VIR_DEBUG("cookielen=%d cookie=%s", cookieoutlen.value, cookieout.value)  # L645/645

    return 0                                                                # L647/647


def _bytes(s):
    """A string as the C code holds it: its UTF-8 bytes (a length and an index count
    those, as strlen and ``s[i]`` do)."""
    return s.encode("utf-8", "surrogateescape")


def _char_at(s, i):
    """``s[i]`` of a C string, a byte: the terminating NUL at ``strlen(s)``, past it what
    follows in memory (nothing here: NUL too)."""
    b = _bytes(s)
    return chr(b[i]) if 0 <= i < len(b) else "\0"


def qemuMigrationEatCookie(driver, dom, cookiein, cookieinlen, flags):      # L651/651
    mig = NULL                                                              # L658/658

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if (cookiein is not NULL and cookieinlen and            # L661/661
                            _char_at(cookiein, cookieinlen - 1) != "\0"):   # L662/662
                        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",       # L663/663
                                        _("Migration cookie was not NULL terminated"))  # L664/664
                        goto("error")                                       # L665/665

                    VIR_DEBUG("cookielen=%d cookie='%s'", cookieinlen, NULLSTR(cookiein))  # L668/668

                    if (mig := qemuMigrationCookieNew(dom)) is NULL:        # L670/670
                        return NULL                                         # L671/671

                    if (cookiein is not NULL and cookieinlen and            # L673/673
                            qemuMigrationCookieXMLParseStr(mig,             # L674/674
                                                           cookiein,        # L675/675
                                                           flags) < 0):     # L676/676
                        goto("error")                                       # L677/677

                    if mig.flags & QEMU_MIGRATION_COOKIE_LOCKSTATE:         # L679/679
                        if mig.lockDriver is NULL:                          # L680/680
                            if virLockManagerPluginUsesState(driver.lockManager):  # L681/681
                                qemuReportError(VIR_ERR_INTERNAL_ERROR,     # L682/682
                                                _("Missing %s lock state for migration cookie"),  # L683/683
                                                virLockManagerPluginGetName(driver.lockManager))  # L684/684
                                goto("error")                               # L685/685
                        elif mig.lockDriver != virLockManagerPluginGetName(driver.lockManager):  # L687/687
                            qemuReportError(VIR_ERR_INTERNAL_ERROR,         # L689/689
                                            _("Source host lock driver %s different from target %s"),  # L690/690
                                            mig.lockDriver,                 # L691/691
                                            virLockManagerPluginGetName(driver.lockManager))  # L692/692
                            goto("error")                                   # L693/693

                    return mig                                              # L697/697

                case "error":                                               # L699/699
                    qemuMigrationCookieFree(mig)                            # L700/700
                    return NULL                                             # L701/701
                case _:
                    raise NoSuchLabel("qemuMigrationEatCookie", label)
        except Goto as g:
            label = g.label


COOKIE_FUNCTIONS = [
    "qemuMigrationCookieGraphicsFree", "qemuMigrationCookieFree",
    "qemuMigrationCookieGraphicsAlloc", "qemuMigrationCookieNew",
    "qemuMigrationCookieAddGraphics", "qemuMigrationCookieAddLockstate",
    "qemuMigrationCookieGraphicsXMLFormat", "qemuMigrationCookieXMLFormat",
    "qemuMigrationCookieXMLFormatStr", "qemuMigrationCookieGraphicsXMLParse",
    "qemuMigrationCookieXMLParse", "qemuMigrationCookieXMLParseStr",
    "qemuMigrationBakeCookie", "qemuMigrationEatCookie",
]
traced(globals(), COOKIE_FUNCTIONS)
