"""src/libvirt.c's client side of a migration: virDomainMigrate and the flows it picks.

``# L<n>`` is the line of src/libvirt.c at e2fb96d9 (the same at 19f8c980 and
with bebe5122: none of them touches libvirt.c), in upstream order:
virDomainMigrateVersion1 (L3971), virDomainMigrateVersion2 (L4061),
virDomainMigrateVersion3 (L4192), virDomainMigratePeer2Peer (L4388),
virDomainMigrate (L4599).  Gotos as in port/post.py.

These run in the client's world (its driver is unused: the client has no qemu
driver) and reach the hosts only through connections (``hosts.Connection``):
``dconn.driver.domainMigratePrepare3(...)`` is the remote driver's call to the
destination, and ``domain`` is a ``hosts.Domain`` handle of the source
connection.  The client's last error (world/stubs_client.py's virGetLastError)
is what the user of virDomainMigrate sees.

Pointers passed for the callee to fill (``&cookie``, ``&uri_out``, ...) are
``OutParam`` boxes; ``virDomainInfo`` is stubs_client's struct.  C's
``if (!ptr)`` is ``is NULL``: an empty string is not NULL.

virDomainMigrateVersion1 is ported although no qemu host reaches it: the qemu
driver of all three versions advertises VIR_DRV_FEATURE_MIGRATION_V2 (and not
V1), so virDomainMigrate picks v3 or v2 first.  It runs only between hosts
built to advertise v1 and not v2.
"""
from ..world.constants import (NULL, VIR_CONNECT_RO, VIR_DOMAIN_PAUSED, VIR_DOMAIN_XML_SECURE,
                               VIR_DOMAIN_XML_UPDATE_CPU, VIR_ERR_ARGUMENT_UNSUPPORTED,
                               VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG,
                               VIR_ERR_INVALID_CONN, VIR_ERR_INVALID_DOMAIN,
                               VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_DENIED,
                               VIR_ERR_OPERATION_INVALID, VIR_MIGRATE_CHANGE_PROTECTION,
                               VIR_MIGRATE_PAUSED, VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_TUNNELLED)
from ..world.hosts import (VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION,
                           VIR_DRV_FEATURE_MIGRATION_P2P, VIR_DRV_FEATURE_MIGRATION_V1,
                           VIR_DRV_FEATURE_MIGRATION_V2, VIR_DRV_FEATURE_MIGRATION_V3)
from ..world.objects import OutParam
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import NULLSTR, STRPREFIX, VIR_DEBUG, VIR_FREE, VIR_WARN, _
from ..world.stubs_client import (VIR_DOMAIN_DEBUG, VIR_DRV_SUPPORTS_FEATURE, VIR_IS_CONNECT,
                                  VIR_IS_CONNECTED_DOMAIN, virConnectGetURI, virDispatchError,
                                  virDomainGetInfo, virDomainInfo, virDomainLookupByName,
                                  virFreeError, virLibConnError, virLibDomainError,
                                  virResetLastError, virSaveLastError, virSetError,
                                  xmlFreeURI, xmlParseURI)

LIBVIRT_C = "src/libvirt.c"


def virDomainMigrateVersion1(domain, dconn, flags, dname, uri, bandwidth):  # L3971
    ddomain = NULL                                                          # L3978
    uri_out = OutParam("uri_out")                                           # L3979
    cookie = OutParam("cookie")                                             # L3980
    cookielen = OutParam("cookielen", 0)                                    # L3981
    info = virDomainInfo()                                                  # L3982
    VIR_DOMAIN_DEBUG(domain,                                                # L3983
                     "dconn=%p, flags=%lx, dname=%s, uri=%s, bandwidth=%lu",  # L3984
                     dconn, flags, NULLSTR(dname), NULLSTR(uri), bandwidth)  # L3985

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    ret = virDomainGetInfo(domain, info)                    # L3987
                    if ret == 0 and info.state == VIR_DOMAIN_PAUSED:        # L3988
                        flags |= VIR_MIGRATE_PAUSED                         # L3989

                    if dconn.driver.domainMigratePrepare(                   # L4003
                            dconn, cookie, cookielen, uri, uri_out, flags, dname,  # L4004
                            bandwidth) == -1:                               # L4005
                        goto("done")                                        # L4006

                    if uri is NULL and uri_out.value is NULL:               # L4008
                        virLibConnError(VIR_ERR_INTERNAL_ERROR,             # L4009
                                        _("domainMigratePrepare did not set uri"))  # L4010
                        goto("done")                                        # L4011
                    if uri_out.value is not NULL:                           # L4013
                        uri = uri_out.value                                 # L4014

                    if domain.conn.driver.domainMigratePerform(             # L4019
                            domain, cookie.value, cookielen.value, uri, flags, dname,  # L4020
                            bandwidth) == -1:
                        goto("done")                                        # L4021

                    dname = dname if dname is not NULL else domain.name     # L4028
                    if dconn.driver.domainMigrateFinish is not NULL:        # L4029
                        ddomain = dconn.driver.domainMigrateFinish(         # L4030
                            dconn, dname, cookie.value, cookielen.value, uri, flags)  # L4031
                    else:                                                   # L4032
                        ddomain = virDomainLookupByName(dconn, dname)       # L4033
                    goto("done")  # falls through

                case "done":                                                # L4035
                    uri_out.value = VIR_FREE(uri_out.value)                 # L4036
                    cookie.value = VIR_FREE(cookie.value)                   # L4037
                    return ddomain                                          # L4038

                case _:
                    raise NoSuchLabel("virDomainMigrateVersion1", label)
        except Goto as g:
            label = g.label


def virDomainMigrateVersion2(domain, dconn, flags, dname, uri, bandwidth):  # L4061
    ddomain = NULL                                                          # L4068
    uri_out = OutParam("uri_out")                                           # L4069
    cookie = OutParam("cookie")                                             # L4070
    dom_xml = NULL                                                          # L4071
    cookielen = OutParam("cookielen", 0)                                    # L4072
    info = virDomainInfo()                                                  # L4073
    orig_err = NULL                                                         # L4074
    cancelled: int                                                          # L4075
    VIR_DOMAIN_DEBUG(domain,                                                # L4076
                     "dconn=%p, flags=%lx, dname=%s, uri=%s, bandwidth=%lu",  # L4077
                     dconn, flags, NULLSTR(dname), NULLSTR(uri), bandwidth)  # L4078

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if domain.conn.driver.domainGetXMLDesc is NULL:         # L4096
                        virLibConnError(VIR_ERR_INTERNAL_ERROR, "virDomainMigrateVersion2")  # L4097
                        virDispatchError(domain.conn)                       # L4098
                        return NULL                                         # L4099
                    dom_xml = domain.conn.driver.domainGetXMLDesc(domain,   # L4101
                                                                  VIR_DOMAIN_XML_SECURE |  # L4102
                                                                  VIR_DOMAIN_XML_UPDATE_CPU)  # L4103
                    if dom_xml is NULL:                                     # L4104
                        return NULL                                         # L4105

                    ret = virDomainGetInfo(domain, info)                    # L4107
                    if ret == 0 and info.state == VIR_DOMAIN_PAUSED:        # L4108
                        flags |= VIR_MIGRATE_PAUSED                         # L4109

                    VIR_DEBUG("Prepare2 %p flags=%lx", dconn, flags)        # L4112
                    ret = dconn.driver.domainMigratePrepare2(               # L4113
                        dconn, cookie, cookielen, uri, uri_out, flags, dname,  # L4114
                        bandwidth, dom_xml)                                 # L4115
                    dom_xml = VIR_FREE(dom_xml)                             # L4116
                    if ret == -1:                                           # L4117
                        goto("done")                                        # L4118

                    if uri is NULL and uri_out.value is NULL:               # L4120
                        virLibConnError(VIR_ERR_INTERNAL_ERROR,             # L4121
                                        _("domainMigratePrepare2 did not set uri"))  # L4122
                        virDispatchError(domain.conn)                       # L4123
                        cancelled = 1                                       # L4124
                        goto("finish")                                      # L4125
                    if uri_out.value is not NULL:                           # L4127
                        uri = uri_out.value                                 # L4128

                    VIR_DEBUG("Perform %p", domain.conn)                    # L4133
                    ret = domain.conn.driver.domainMigratePerform(          # L4134
                        domain, cookie.value, cookielen.value, uri, flags, dname,  # L4135
                        bandwidth)

                    if ret < 0:                                             # L4138
                        orig_err = virSaveLastError()                       # L4139

                    cancelled = 1 if ret < 0 else 0                         # L4144
                    goto("finish")  # falls through

                case "finish":                                              # L4146
                    dname = dname if dname is not NULL else domain.name     # L4151
                    VIR_DEBUG("Finish2 %p ret=%d", dconn, ret)              # L4152
                    ddomain = dconn.driver.domainMigrateFinish2(            # L4153
                        dconn, dname, cookie.value, cookielen.value, uri, flags,  # L4154
                        cancelled)
                    goto("done")  # falls through

                case "done":                                                # L4156
                    if orig_err is not NULL:                                # L4157
                        virSetError(orig_err)                               # L4158
                        virFreeError(orig_err)                              # L4159
                    uri_out.value = VIR_FREE(uri_out.value)                 # L4161
                    cookie.value = VIR_FREE(cookie.value)                   # L4162
                    return ddomain                                          # L4163

                case _:
                    raise NoSuchLabel("virDomainMigrateVersion2", label)
        except Goto as g:
            label = g.label


def virDomainMigrateVersion3(domain, dconn, xmlin, flags, dname, uri,     # L4192
                             bandwidth):                                    # L4198
    ddomain = NULL                                                          # L4200
    uri_out = OutParam("uri_out")                                           # L4201
    cookiein = NULL                                                         # L4202
    cookieout = OutParam("cookieout")                                       # L4203
    dom_xml = NULL                                                          # L4204
    cookieinlen = 0                                                         # L4205
    cookieoutlen = OutParam("cookieoutlen", 0)                              # L4206
    ret: int                                                                # L4207
    info = virDomainInfo()                                                  # L4208
    orig_err = NULL                                                         # L4209
    cancelled = 1                                                           # L4210
    protection = 0                                                          # L4211
    notify_source = True                                                    # L4212

    VIR_DOMAIN_DEBUG(domain, "dconn=%p xmlin=%s, flags=%lx, "               # L4214
                     "dname=%s, uri=%s, bandwidth=%lu",                     # L4215
                     dconn, NULLSTR(xmlin), flags,                          # L4216
                     NULLSTR(dname), NULLSTR(uri), bandwidth)               # L4217

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if (domain.conn.driver.domainMigrateBegin3 is NULL or   # L4219
                            domain.conn.driver.domainMigratePerform3 is NULL or  # L4220
                            domain.conn.driver.domainMigrateConfirm3 is NULL or  # L4221
                            dconn.driver.domainMigratePrepare3 is NULL or   # L4222
                            dconn.driver.domainMigrateFinish3 is NULL):     # L4223
                        virLibConnError(VIR_ERR_INTERNAL_ERROR, "virDomainMigrateVersion3")  # L4224
                        virDispatchError(domain.conn)                       # L4225
                        return NULL                                         # L4226

                    if VIR_DRV_SUPPORTS_FEATURE(domain.conn.driver, domain.conn,  # L4229
                                                VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION):  # L4230
                        protection = VIR_MIGRATE_CHANGE_PROTECTION          # L4231

                    VIR_DEBUG("Begin3 %p", domain.conn)                     # L4233
                    dom_xml = domain.conn.driver.domainMigrateBegin3(       # L4234
                        domain, xmlin, cookieout, cookieoutlen,             # L4235
                        flags | protection, dname, bandwidth)               # L4236
                    if dom_xml is NULL:                                     # L4237
                        goto("done")                                        # L4238

                    ret = virDomainGetInfo(domain, info)                    # L4240
                    if ret == 0 and info.state == VIR_DOMAIN_PAUSED:        # L4241
                        flags |= VIR_MIGRATE_PAUSED                         # L4242

                    VIR_DEBUG("Prepare3 %p flags=%lx", dconn, flags)        # L4245
                    cookiein = cookieout.value                              # L4246
                    cookieinlen = cookieoutlen.value                        # L4247
                    cookieout.value = NULL                                  # L4248
                    cookieoutlen.value = 0                                  # L4249
                    ret = dconn.driver.domainMigratePrepare3(               # L4250
                        dconn, cookiein, cookieinlen, cookieout, cookieoutlen,  # L4251
                        uri, uri_out, flags, dname, bandwidth, dom_xml)     # L4252
                    dom_xml = VIR_FREE(dom_xml)                             # L4253
                    if ret == -1:                                           # L4254
                        if protection:                                      # L4255
                            orig_err = virSaveLastError()                   # L4259
                            goto("confirm")                                 # L4260
                        else:                                               # L4261
                            goto("done")                                    # L4262

                    if uri is NULL and uri_out.value is NULL:               # L4266
                        virLibConnError(VIR_ERR_INTERNAL_ERROR,             # L4267
                                        _("domainMigratePrepare3 did not set uri"))  # L4268
                        virDispatchError(domain.conn)                       # L4269
                        goto("finish")                                      # L4270
                    if uri_out.value is not NULL:                           # L4272
                        uri = uri_out.value                                 # L4273

                    VIR_DEBUG("Perform3 %p uri=%s", domain.conn, uri)       # L4280
                    cookiein = VIR_FREE(cookiein)                           # L4281
                    cookiein = cookieout.value                              # L4282
                    cookieinlen = cookieoutlen.value                        # L4283
                    cookieout.value = NULL                                  # L4284
                    cookieoutlen.value = 0                                  # L4285
                    ret = domain.conn.driver.domainMigratePerform3(         # L4287
                        domain, NULL, cookiein, cookieinlen,                # L4288
                        cookieout, cookieoutlen, NULL,                      # L4289
                        uri, flags | protection, dname, bandwidth)          # L4290

                    if ret < 0:                                             # L4293
                        orig_err = virSaveLastError()                       # L4294
                        notify_source = False                               # L4298

                    cancelled = 1 if ret < 0 else 0                         # L4304
                    goto("finish")  # falls through

                case "finish":                                              # L4306
                    VIR_DEBUG("Finish3 %p ret=%d", dconn, ret)              # L4313
                    cookiein = VIR_FREE(cookiein)                           # L4314
                    cookiein = cookieout.value                              # L4315
                    cookieinlen = cookieoutlen.value                        # L4316
                    cookieout.value = NULL                                  # L4317
                    cookieoutlen.value = 0                                  # L4318
                    dname = dname if dname is not NULL else domain.name     # L4319
                    ddomain = dconn.driver.domainMigrateFinish3(            # L4320
                        dconn, dname, cookiein, cookieinlen, cookieout, cookieoutlen,  # L4321
                        NULL, uri, flags, cancelled)                        # L4322

                    cancelled = 1 if ddomain is NULL else 0                 # L4332

                    if orig_err is NULL:                                    # L4337
                        orig_err = virSaveLastError()                       # L4338
                    goto("confirm")  # falls through

                case "confirm":                                             # L4340
                    if notify_source:                                       # L4346
                        VIR_DEBUG("Confirm3 %p ret=%d domain=%p", domain.conn, ret,  # L4347
                                  domain)
                        cookiein = VIR_FREE(cookiein)                       # L4348
                        cookiein = cookieout.value                          # L4349
                        cookieinlen = cookieoutlen.value                    # L4350
                        cookieout.value = NULL                              # L4351
                        cookieoutlen.value = 0                              # L4352
                        ret = domain.conn.driver.domainMigrateConfirm3(     # L4353
                            domain, cookiein, cookieinlen,                  # L4354
                            flags | protection, cancelled)                  # L4355
                        if ret < 0:                                         # L4360
                            VIR_WARN("Guest %s probably left in 'paused' state on source",  # L4361
                                     domain.name)                           # L4362
                    goto("done")  # falls through

                case "done":                                                # L4366
                    if orig_err is not NULL:                                # L4367
                        virSetError(orig_err)                               # L4368
                        virFreeError(orig_err)                              # L4369
                    uri_out.value = VIR_FREE(uri_out.value)                 # L4371
                    cookiein = VIR_FREE(cookiein)                           # L4372
                    cookieout.value = VIR_FREE(cookieout.value)             # L4373
                    return ddomain                                          # L4374

                case _:
                    raise NoSuchLabel("virDomainMigrateVersion3", label)
        except Goto as g:
            label = g.label


def virDomainMigratePeer2Peer(domain, xmlin, flags, dname, dconnuri, uri,  # L4388
                              bandwidth):                                   # L4394
    tempuri = NULL                                                          # L4396
    VIR_DOMAIN_DEBUG(domain, "xmlin=%s, flags=%lx, dname=%s, "              # L4397
                     "dconnuri=%s, uri=%s, bandwidth=%lu",                  # L4398
                     NULLSTR(xmlin), flags, NULLSTR(dname),                 # L4399
                     NULLSTR(dconnuri), NULLSTR(uri), bandwidth)            # L4400

    if domain.conn.driver.domainMigratePerform is NULL:                     # L4402
        virLibConnError(VIR_ERR_NO_SUPPORT, "virDomainMigratePeer2Peer")    # L4403
        virDispatchError(domain.conn)                                       # L4404
        return -1                                                           # L4405

    tempuri = xmlParseURI(dconnuri)                                         # L4408
    if tempuri is NULL:                                                     # L4409
        virLibConnError(VIR_ERR_INVALID_ARG, "virDomainMigratePeer2Peer")   # L4410
        virDispatchError(domain.conn)                                       # L4411
        return -1                                                           # L4412

    if tempuri.server is NULL or STRPREFIX(tempuri.server, "localhost"):   # L4415
        virLibConnError(VIR_ERR_INVALID_ARG, "virDomainMigratePeer2Peer")   # L4416
        virDispatchError(domain.conn)                                       # L4417
        xmlFreeURI(tempuri)                                                 # L4418
        return -1                                                           # L4419
    xmlFreeURI(tempuri)                                                     # L4421

    if VIR_DRV_SUPPORTS_FEATURE(domain.conn.driver, domain.conn,            # L4426
                                VIR_DRV_FEATURE_MIGRATION_V3):              # L4427
        VIR_DEBUG("Using migration protocol 3")                             # L4428
        return domain.conn.driver.domainMigratePerform3(domain,             # L4429
                                                        xmlin,              # L4430
                                                        NULL,  # cookiein      L4431
                                                        0,     # cookieinlen   L4432
                                                        NULL,  # cookieout     L4433
                                                        NULL,  # cookieoutlen  L4434
                                                        dconnuri,           # L4435
                                                        uri,                # L4436
                                                        flags,              # L4437
                                                        dname,              # L4438
                                                        bandwidth)          # L4439
    else:                                                                   # L4440
        VIR_DEBUG("Using migration protocol 2")                             # L4441
        if xmlin is not NULL:                                               # L4442
            virLibConnError(VIR_ERR_INTERNAL_ERROR, "%s",                   # L4443
                            _("Unable to change target guest XML during migration"))  # L4444
            return -1                                                       # L4445
        if uri is not NULL:                                                 # L4447
            virLibConnError(VIR_ERR_INTERNAL_ERROR, "%s",                   # L4448
                            _("Unable to override peer2peer migration URI"))  # L4449
            return -1                                                       # L4450
        return domain.conn.driver.domainMigratePerform(domain,              # L4452
                                                       NULL,  # cookie         L4453
                                                       0,     # cookielen      L4454
                                                       dconnuri,            # L4455
                                                       flags,               # L4456
                                                       dname,               # L4457
                                                       bandwidth)           # L4458


def virDomainMigrate(domain, dconn, flags, dname, uri, bandwidth):         # L4599
    ddomain = NULL                                                          # L4606

    VIR_DOMAIN_DEBUG(domain,                                                # L4608
                     "dconn=%p, flags=%lx, dname=%s, uri=%s, bandwidth=%lu",  # L4609
                     dconn, flags, NULLSTR(dname), NULLSTR(uri), bandwidth)  # L4610

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    virResetLastError()                                     # L4612

                    if not VIR_IS_CONNECTED_DOMAIN(domain):                 # L4615
                        virLibDomainError(VIR_ERR_INVALID_DOMAIN, "virDomainMigrate")  # L4616
                        virDispatchError(NULL)                              # L4617
                        return NULL                                         # L4618
                    if domain.conn.flags & VIR_CONNECT_RO:                  # L4620
                        virLibDomainError(VIR_ERR_OPERATION_DENIED, "virDomainMigrate")  # L4621
                        goto("error")                                       # L4622

                    if not VIR_IS_CONNECT(dconn):                           # L4626
                        virLibConnError(VIR_ERR_INVALID_CONN, "virDomainMigrate")  # L4627
                        goto("error")                                       # L4628
                    if dconn.flags & VIR_CONNECT_RO:                        # L4630
                        # the error is against the source object, not the destination
                        virLibDomainError(VIR_ERR_OPERATION_DENIED, "virDomainMigrate")  # L4632
                        goto("error")                                       # L4633

                    if flags & VIR_MIGRATE_PEER2PEER:                       # L4636
                        if VIR_DRV_SUPPORTS_FEATURE(domain.conn.driver, domain.conn,  # L4637
                                                    VIR_DRV_FEATURE_MIGRATION_P2P):  # L4638
                            dstURI = NULL                                   # L4639
                            if uri is NULL:                                 # L4640
                                dstURI = virConnectGetURI(dconn)            # L4641
                                if dstURI is NULL:                          # L4642
                                    return NULL                             # L4643

                            VIR_DEBUG("Using peer2peer migration")          # L4646
                            if virDomainMigratePeer2Peer(                   # L4647
                                    domain, NULL, flags, dname,
                                    uri if uri is not NULL else dstURI, NULL,  # L4648
                                    bandwidth) < 0:
                                dstURI = VIR_FREE(dstURI)                   # L4649
                                goto("error")                               # L4650
                            dstURI = VIR_FREE(dstURI)                       # L4652

                            ddomain = virDomainLookupByName(                # L4654
                                dconn, dname if dname is not NULL else domain.name)
                        else:                                               # L4655
                            virLibConnError(VIR_ERR_NO_SUPPORT, "virDomainMigrate")  # L4657
                            goto("error")                                   # L4658
                    else:                                                   # L4660
                        if (flags & VIR_MIGRATE_CHANGE_PROTECTION and       # L4666
                                not VIR_DRV_SUPPORTS_FEATURE(               # L4667
                                    domain.conn.driver, domain.conn,
                                    VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION)):  # L4668
                            virLibConnError(VIR_ERR_ARGUMENT_UNSUPPORTED, "%s",  # L4669
                                            _("cannot enforce change protection"))  # L4670
                            goto("error")                                   # L4671
                        flags &= ~VIR_MIGRATE_CHANGE_PROTECTION             # L4673
                        if flags & VIR_MIGRATE_TUNNELLED:                   # L4674
                            virLibConnError(VIR_ERR_OPERATION_INVALID,      # L4675
                                            _("cannot perform tunnelled migration without "
                                              "using peer2peer flag"))      # L4676
                            goto("error")                                   # L4677

                        if (VIR_DRV_SUPPORTS_FEATURE(domain.conn.driver, domain.conn,  # L4681
                                                     VIR_DRV_FEATURE_MIGRATION_V3) and  # L4682
                                VIR_DRV_SUPPORTS_FEATURE(dconn.driver, dconn,  # L4683
                                                         VIR_DRV_FEATURE_MIGRATION_V3)):  # L4684
                            VIR_DEBUG("Using migration protocol 3")         # L4685
                            ddomain = virDomainMigrateVersion3(domain, dconn, NULL,  # L4686
                                                               flags, dname, uri, bandwidth)  # L4687
                        elif (VIR_DRV_SUPPORTS_FEATURE(domain.conn.driver, domain.conn,  # L4688
                                                       VIR_DRV_FEATURE_MIGRATION_V2) and  # L4689
                              VIR_DRV_SUPPORTS_FEATURE(dconn.driver, dconn,  # L4690
                                                       VIR_DRV_FEATURE_MIGRATION_V2)):  # L4691
                            VIR_DEBUG("Using migration protocol 2")         # L4692
                            ddomain = virDomainMigrateVersion2(domain, dconn, flags,  # L4693
                                                               dname, uri, bandwidth)  # L4694
                        elif (VIR_DRV_SUPPORTS_FEATURE(domain.conn.driver, domain.conn,  # L4695
                                                       VIR_DRV_FEATURE_MIGRATION_V1) and  # L4696
                              VIR_DRV_SUPPORTS_FEATURE(dconn.driver, dconn,  # L4697
                                                       VIR_DRV_FEATURE_MIGRATION_V1)):  # L4698
                            VIR_DEBUG("Using migration protocol 1")         # L4699
                            ddomain = virDomainMigrateVersion1(domain, dconn, flags,  # L4700
                                                               dname, uri, bandwidth)  # L4701
                        else:                                               # L4702
                            virLibConnError(VIR_ERR_NO_SUPPORT, "virDomainMigrate")  # L4704
                            goto("error")                                   # L4705

                    if ddomain is NULL:                                     # L4709
                        goto("error")                                       # L4710

                    return ddomain                                          # L4712

                case "error":                                               # L4714
                    virDispatchError(domain.conn)                           # L4715
                    return NULL                                             # L4716

                case _:
                    raise NoSuchLabel("virDomainMigrate", label)
        except Goto as g:
            label = g.label


CLIENT = ["virDomainMigrateVersion1", "virDomainMigrateVersion2", "virDomainMigrateVersion3",
          "virDomainMigratePeer2Peer", "virDomainMigrate"]   # upstream order
# The ported functions show in the client's trace when called (as in port/post.py).
traced(globals(), CLIENT)
