"""The rest of src/qemu/qemu_migration.c that a whole migration runs, the same at all three commits.

Ported once and bound to each version by port/unit.py (see there).  Names this
module calls that the version defines (qemuMigrationBegin, qemuMigrationPerformJob,
the job helpers) resolve in the unit.  ``# L<pre>/<post>`` as in port/post.py.

qemuMigrationPerformPhase, qemuMigrationPerform, qemuMigrationFinish and
qemuMigrationConfirm are the same text at 19f8c980 (lines 2269-2685) and at
e2fb96d9 (2287-2703), 18 lines apart, and the project's ``fixed`` (e2fb96d9 plus
bebe5122's one-line change to PerformJob) leaves them alone.  (bebe5122's own tree,
the 0.9.6 maintenance branch, calls qemuDomainRemoveInactive instead of
virDomainRemoveInactive in PerformPhase and Finish, from e485dcc9, a later commit
that is not part of the patch studied here.)
"""
from ..world.constants import (NULL, QEMU_ASYNC_JOB_MIGRATION_IN, QEMU_ASYNC_JOB_MIGRATION_OUT,
                               QEMU_MIGRATION_FLAGS, QEMU_MIGRATION_PHASE_CONFIRM3,
                               QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED,
                               QEMU_MIGRATION_PHASE_FINISH2, QEMU_MIGRATION_PHASE_FINISH3,
                               QEMU_MIGRATION_PHASE_PERFORM3,
                               QEMU_MIGRATION_PHASE_PERFORM3_DONE, VIR_DOMAIN_EVENT_DEFINED,
                               VIR_DOMAIN_EVENT_DEFINED_ADDED, VIR_DOMAIN_EVENT_DEFINED_UPDATED,
                               VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_MIGRATED,
                               VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED,
                               VIR_DOMAIN_EVENT_STOPPED_MIGRATED, VIR_DOMAIN_EVENT_SUSPENDED,
                               VIR_DOMAIN_EVENT_SUSPENDED_PAUSED, VIR_DOMAIN_PAUSED,
                               VIR_DOMAIN_PAUSED_USER, VIR_DOMAIN_RUNNING,
                               VIR_DOMAIN_RUNNING_MIGRATED,
                               VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,
                               VIR_DOMAIN_SHUTOFF_FAILED, VIR_DOMAIN_SHUTOFF_MIGRATED,
                               VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG,
                               VIR_ERR_OPERATION_INVALID, VIR_MIGRATE_CHANGE_PROTECTION,
                               VIR_MIGRATE_PAUSED, VIR_MIGRATE_PEER2PEER,
                               VIR_MIGRATE_PERSIST_DEST, VIR_MIGRATE_TUNNELLED)
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import (NULLSTR, VIR_DEBUG, VIR_ERROR, VIR_WARN, _, doNativeMigrate,
                           qemuDomainEventQueue, qemuProcessStartCPUs, qemuProcessStop,
                           qemuReportError, virDomainAuditStop, virDomainEventNewFromObj,
                           virDomainObjGetState, virDomainObjIsActive, virDomainObjUnlock,
                           virDomainRemoveInactive, virDomainSaveStatus)
from ..world.stubs_client import virFreeError, virGetLastError, virSaveLastError, virSetError
from ..world.stubs_migration import (qemuMigrationVPAssociatePortProfiles,
                                     qemuProcessAutoDestroyRemove, virDomainObjGetPersistentDef,
                                     virDomainObjSetState, virDomainSaveConfig, virGetDomain)
from .cookie import qemuMigrationBakeCookie, qemuMigrationCookieFree, qemuMigrationEatCookie

# qemuMigrationJobStart, qemuMigrationJobIsActive, qemuMigrationJobStartPhase,
# qemuMigrationJobSetPhase, qemuMigrationJobContinue, qemuMigrationJobFinish and
# qemuMigrationPerformJob are the version's (port/pre.py, post.py, fixed.py): they
# resolve in the unit (port/unit.py), as the C linker resolves them in the daemon.


def qemuMigrationPerformPhase(driver, conn, vm, uri,                         # L2273/2291
                              cookiein, cookieinlen,                        # L2277/2295
                              cookieout, cookieoutlen,                      # L2279/2297
                              flags, resource):                             # L2281/2299
    event = NULL                                                            # L2284/2302
    ret = -1                                                                # L2285/2303
    resume: bool                                                            # L2286/2304
    refs: int                                                               # L2287/2305

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if not (flags & VIR_MIGRATE_CHANGE_PROTECTION):         # L2290/2308
                        if qemuMigrationJobStart(driver, vm, QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:  # L2291/2309
                            goto("cleanup")                                 # L2292/2310
                    elif not qemuMigrationJobIsActive(vm, QEMU_ASYNC_JOB_MIGRATION_OUT):  # L2293/2311
                        goto("cleanup")                                     # L2294/2312

                    qemuMigrationJobStartPhase(driver, vm, QEMU_MIGRATION_PHASE_PERFORM3)  # L2297/2315

                    resume = virDomainObjGetState(vm, NULL) == VIR_DOMAIN_RUNNING  # L2299/2317
                    ret = doNativeMigrate(driver, vm, uri, cookiein, cookieinlen,  # L2300/2318
                                          cookieout, cookieoutlen,          # L2301/2319
                                          flags, resource)                  # L2302/2320

                    if (ret < 0 and resume and                              # L2304/2322
                            virDomainObjGetState(vm, NULL) == VIR_DOMAIN_PAUSED):  # L2305/2323
                        if qemuProcessStartCPUs(driver, vm, conn,           # L2307/2325
                                                VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,  # L2308/2326
                                                QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:  # L2309/2327
                            VIR_ERROR(_("Failed to resume guest %s after failure"),  # L2314/2332
                                      vm.def_.name)                         # L2315/2333

                        event = virDomainEventNewFromObj(vm,                # L2318/2336
                                                         VIR_DOMAIN_EVENT_RESUMED,  # L2319/2337
                                                         VIR_DOMAIN_EVENT_RESUMED_MIGRATED)  # L2320/2338

                    if ret < 0:                                             # L2323/2341
                        goto("endjob")                                      # L2324/2342

                    qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_PERFORM3_DONE)  # L2326/2344
                    goto("endjob")  # falls through

                case "endjob":                                              # L2328/2346
                    if ret < 0:                                             # L2329/2347
                        refs = qemuMigrationJobFinish(driver, vm)           # L2330/2348
                    else:                                                   # L2331/2349
                        refs = qemuMigrationJobContinue(vm)                 # L2332/2350
                    if refs == 0:                                           # L2333/2351
                        vm = NULL                                           # L2334/2352
                    elif not virDomainObjIsActive(vm) and not vm.persistent:  # L2335/2353
                        virDomainRemoveInactive(driver.domains, vm)         # L2336/2354
                        vm = NULL                                           # L2337/2355
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2340/2358
                    if vm is not NULL:                                      # L2341/2359
                        virDomainObjUnlock(vm)                              # L2342/2360
                    if event is not NULL:                                   # L2343/2361
                        qemuDomainEventQueue(driver, event)                 # L2344/2362
                    return ret                                              # L2345/2363

                case _:
                    raise NoSuchLabel("qemuMigrationPerformPhase", label)
        except Goto as g:
            label = g.label


def qemuMigrationPerform(driver, conn, vm, xmlin, dconnuri, uri,            # L2349/2367
                         cookiein, cookieinlen, cookieout, cookieoutlen,    # L2355/2373
                         flags, dname, resource, v3proto):                  # L2359/2377
    VIR_DEBUG("driver=%p, conn=%p, vm=%p, xmlin=%s, dconnuri=%s, "          # L2364/2382
              "uri=%s, cookiein=%s, cookieinlen=%d, cookieout=%p, "         # L2365/2383
              "cookieoutlen=%p, flags=%lx, dname=%s, resource=%lu, v3proto=%d",  # L2366/2384
              driver, conn, vm, NULLSTR(xmlin), NULLSTR(dconnuri),          # L2367/2385
              NULLSTR(uri), NULLSTR(cookiein), cookieinlen,                 # L2368/2386
              cookieout, cookieoutlen, flags, NULLSTR(dname),               # L2369/2387
              resource, v3proto)                                            # L2370/2388

    if (flags & (VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER)):           # L2372/2390
        if cookieinlen:                                                     # L2373/2391
            qemuReportError(VIR_ERR_OPERATION_INVALID,                      # L2374/2392
                            "%s", _("received unexpected cookie with P2P migration"))  # L2375/2393
            return -1                                                       # L2376/2394

        return qemuMigrationPerformJob(driver, conn, vm, xmlin, dconnuri, uri,  # L2379/2397
                                       cookiein, cookieinlen, cookieout,    # L2380/2398
                                       cookieoutlen, flags, dname, resource,  # L2381/2399
                                       v3proto)                             # L2382/2400
    else:                                                                   # L2383/2401
        if dconnuri is not NULL:                                            # L2384/2402
            qemuReportError(VIR_ERR_INTERNAL_ERROR,                         # L2385/2403
                            "%s", _("Unexpected dconnuri parameter with non-peer2peer migration"))  # L2386/2404
            return -1                                                       # L2387/2405

        if v3proto:                                                         # L2390/2408
            return qemuMigrationPerformPhase(driver, conn, vm, uri,         # L2391/2409
                                             cookiein, cookieinlen,         # L2392/2410
                                             cookieout, cookieoutlen,       # L2393/2411
                                             flags, resource)               # L2394/2412
        else:                                                               # L2395/2413
            return qemuMigrationPerformJob(driver, conn, vm, xmlin, dconnuri,  # L2396/2414
                                           uri, cookiein, cookieinlen,      # L2397/2415
                                           cookieout, cookieoutlen, flags,  # L2398/2416
                                           dname, resource, v3proto)        # L2399/2417


def qemuMigrationFinish(driver, dconn, vm,                                  # L2446/2464
                        cookiein, cookieinlen,                              # L2449/2467
                        cookieout, cookieoutlen,                            # L2451/2469
                        flags, retcode, v3proto):                           # L2453/2471
    dom = NULL                                                              # L2457/2475
    event = NULL                                                            # L2458/2476
    newVM = 1                                                               # L2459/2477
    mig = NULL                                                              # L2460/2478
    orig_err = NULL                                                         # L2461/2479

    VIR_DEBUG("driver=%p, dconn=%p, vm=%p, cookiein=%s, cookieinlen=%d, "   # L2463/2481
              "cookieout=%p, cookieoutlen=%p, flags=%lx, retcode=%d",       # L2464/2482
              driver, dconn, vm, NULLSTR(cookiein), cookieinlen,            # L2465/2483
              cookieout, cookieoutlen, flags, retcode)                      # L2466/2484

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if not qemuMigrationJobIsActive(vm, QEMU_ASYNC_JOB_MIGRATION_IN):  # L2468/2486
                        goto("cleanup")                                     # L2469/2487

                    qemuMigrationJobStartPhase(driver, vm,                  # L2471/2489
                                               QEMU_MIGRATION_PHASE_FINISH3 if v3proto  # L2472/2490
                                               else QEMU_MIGRATION_PHASE_FINISH2)  # L2473/2491

                    if (mig := qemuMigrationEatCookie(driver, vm, cookiein, cookieinlen, 0)) is NULL:  # L2475/2493
                        goto("endjob")                                      # L2476/2494

                    if retcode == 0:                                        # L2481/2499
                        if not virDomainObjIsActive(vm):                    # L2482/2500
                            qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s",   # L2483/2501
                                            _("guest unexpectedly quit"))   # L2484/2502
                            goto("endjob")                                  # L2485/2503

                        qemuMigrationVPAssociatePortProfiles(vm.def_)       # L2488/2506

                        if flags & VIR_MIGRATE_PERSIST_DEST:                # L2490/2508
                            vmdef: object                                   # L2491/2509
                            if vm.persistent:                               # L2492/2510
                                newVM = 0                                   # L2493/2511
                            vm.persistent = 1                               # L2494/2512
                            vmdef = virDomainObjGetPersistentDef(driver.caps, vm)  # L2495/2513
                            if virDomainSaveConfig(driver.configDir, vmdef) < 0:  # L2496/2514
                                if v3proto:                                 # L2511/2529
                                    qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_FAILED)  # L2512/2530
                                    virDomainAuditStop(vm, "failed")        # L2513/2531
                                    if newVM:                               # L2514/2532
                                        vm.persistent = 0                   # L2515/2533
                                goto("endjob")                              # L2517/2535

                            event = virDomainEventNewFromObj(vm,            # L2520/2538
                                                             VIR_DOMAIN_EVENT_DEFINED,  # L2521/2539
                                                             VIR_DOMAIN_EVENT_DEFINED_ADDED if newVM  # L2523/2541
                                                             else VIR_DOMAIN_EVENT_DEFINED_UPDATED)  # L2524/2542
                            if event is not NULL:                           # L2525/2543
                                qemuDomainEventQueue(driver, event)         # L2526/2544
                            event = NULL                                    # L2527/2545

                        if not (flags & VIR_MIGRATE_PAUSED):                # L2530/2548
                            if qemuProcessStartCPUs(driver, vm, dconn,      # L2535/2553
                                                    VIR_DOMAIN_RUNNING_MIGRATED,  # L2536/2554
                                                    QEMU_ASYNC_JOB_MIGRATION_IN) < 0:  # L2537/2555
                                if virGetLastError() is NULL:               # L2538/2556
                                    qemuReportError(VIR_ERR_INTERNAL_ERROR,  # L2539/2557
                                                    "%s", _("resume operation failed"))  # L2540/2558
                                orig_err = virSaveLastError()               # L2544/2562

                                if v3proto:                                 # L2554/2572
                                    qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_FAILED)  # L2555/2573
                                    virDomainAuditStop(vm, "failed")        # L2556/2574
                                    event = virDomainEventNewFromObj(vm,    # L2557/2575
                                                                     VIR_DOMAIN_EVENT_STOPPED,  # L2558/2576
                                                                     VIR_DOMAIN_EVENT_STOPPED_FAILED)  # L2559/2577
                                goto("endjob")                              # L2561/2579

                        dom = virGetDomain(dconn, vm.def_.name, vm.def_.uuid)  # L2565/2583

                        event = virDomainEventNewFromObj(vm,                # L2567/2585
                                                         VIR_DOMAIN_EVENT_RESUMED,  # L2568/2586
                                                         VIR_DOMAIN_EVENT_RESUMED_MIGRATED)  # L2569/2587
                        if virDomainObjGetState(vm, NULL) == VIR_DOMAIN_PAUSED:  # L2570/2588
                            virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER)  # L2571/2589
                            if event is not NULL:                           # L2572/2590
                                qemuDomainEventQueue(driver, event)         # L2573/2591
                            event = virDomainEventNewFromObj(vm,            # L2574/2592
                                                             VIR_DOMAIN_EVENT_SUSPENDED,  # L2575/2593
                                                             VIR_DOMAIN_EVENT_SUSPENDED_PAUSED)  # L2576/2594
                        if virDomainSaveStatus(driver.caps, driver.stateDir, vm) < 0:  # L2578/2596
                            VIR_WARN("Failed to save status on vm %s", vm.def_.name)  # L2579/2597
                            goto("endjob")                                  # L2580/2598

                        qemuProcessAutoDestroyRemove(driver, vm)            # L2584/2602
                    else:                                                   # L2585/2603
                        qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_FAILED)  # L2586/2604
                        virDomainAuditStop(vm, "failed")                    # L2587/2605
                        event = virDomainEventNewFromObj(vm,                # L2588/2606
                                                         VIR_DOMAIN_EVENT_STOPPED,  # L2589/2607
                                                         VIR_DOMAIN_EVENT_STOPPED_FAILED)  # L2590/2608

                    if qemuMigrationBakeCookie(mig, driver, vm, cookieout, cookieoutlen, 0) < 0:  # L2593/2611
                        VIR_WARN("Unable to encode migration cookie")       # L2594/2612
                    goto("endjob")  # falls through

                case "endjob":                                              # L2596/2614
                    if qemuMigrationJobFinish(driver, vm) == 0:             # L2597/2615
                        vm = NULL                                           # L2598/2616
                    elif not vm.persistent and not virDomainObjIsActive(vm):  # L2599/2617
                        virDomainRemoveInactive(driver.domains, vm)         # L2600/2618
                        vm = NULL                                           # L2601/2619
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2604/2622
                    if vm is not NULL:                                      # L2605/2623
                        virDomainObjUnlock(vm)                              # L2606/2624
                    if event is not NULL:                                   # L2607/2625
                        qemuDomainEventQueue(driver, event)                 # L2608/2626
                    qemuMigrationCookieFree(mig)                            # L2609/2627
                    if orig_err is not NULL:                                # L2610/2628
                        virSetError(orig_err)                               # L2611/2629
                        virFreeError(orig_err)                              # L2612/2630
                    return dom                                              # L2614/2632

                case _:
                    raise NoSuchLabel("qemuMigrationFinish", label)
        except Goto as g:
            label = g.label


def qemuMigrationConfirm(driver, conn, vm,                                  # L2618/2636
                         cookiein, cookieinlen,                             # L2621/2639
                         flags, retcode):                                   # L2623/2641
    mig: object                                                             # L2626/2644
    event = NULL                                                            # L2627/2645
    rv = -1                                                                 # L2628/2646
    VIR_DEBUG("driver=%p, conn=%p, vm=%p, cookiein=%s, cookieinlen=%d, "    # L2629/2647
              "flags=%x, retcode=%d",                                       # L2630/2648
              driver, conn, vm, NULLSTR(cookiein), cookieinlen,             # L2631/2649
              flags, retcode)                                               # L2632/2650

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    # virCheckFlags(QEMU_MIGRATION_FLAGS, -1), the macro of internal.h:227
                    if (unsuppflags := flags & ~QEMU_MIGRATION_FLAGS):      # L2634/2652
                        qemuReportError(VIR_ERR_INVALID_ARG,                # virCheckFlags L2634/2652
                                        _("%s: unsupported flags (0x%x)"),  # virCheckFlags (C: %lx) L2634/2652
                                        "qemuMigrationConfirm", unsuppflags)  # virCheckFlags L2634/2652
                        return -1                                           # virCheckFlags L2634/2652

                    qemuMigrationJobSetPhase(driver, vm,                    # L2636/2654
                                             QEMU_MIGRATION_PHASE_CONFIRM3 if retcode == 0  # L2638/2656
                                             else QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED)  # L2639/2657

                    if (mig := qemuMigrationEatCookie(driver, vm, cookiein, cookieinlen, 0)) is NULL:  # L2641/2659
                        return -1                                           # L2642/2660

                    if retcode == 0:                                        # L2647/2665
                        qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_MIGRATED)  # L2648/2666
                        virDomainAuditStop(vm, "migrated")                  # L2649/2667

                        event = virDomainEventNewFromObj(vm,                # L2651/2669
                                                         VIR_DOMAIN_EVENT_STOPPED,  # L2652/2670
                                                         VIR_DOMAIN_EVENT_STOPPED_MIGRATED)  # L2653/2671
                    else:                                                   # L2654/2672
                        if qemuProcessStartCPUs(driver, vm, conn,           # L2660/2678
                                                VIR_DOMAIN_RUNNING_MIGRATED,  # L2661/2679
                                                QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:  # L2662/2680
                            if virGetLastError() is NULL:                   # L2663/2681
                                qemuReportError(VIR_ERR_INTERNAL_ERROR,     # L2664/2682
                                                "%s", _("resume operation failed"))  # L2665/2683
                            goto("cleanup")                                 # L2666/2684

                        event = virDomainEventNewFromObj(vm,                # L2669/2687
                                                         VIR_DOMAIN_EVENT_RESUMED,  # L2670/2688
                                                         VIR_DOMAIN_EVENT_RESUMED_MIGRATED)  # L2671/2689
                        if virDomainSaveStatus(driver.caps, driver.stateDir, vm) < 0:  # L2672/2690
                            VIR_WARN("Failed to save status on vm %s", vm.def_.name)  # L2673/2691
                            goto("cleanup")                                 # L2674/2692

                    qemuMigrationCookieFree(mig)                            # L2678/2696
                    rv = 0                                                  # L2679/2697
                    goto("cleanup")  # falls through

                case "cleanup":                                             # L2681/2699
                    if event is not NULL:                                   # L2682/2700
                        qemuDomainEventQueue(driver, event)                 # L2683/2701
                    return rv                                               # L2684/2702

                case _:
                    raise NoSuchLabel("qemuMigrationConfirm", label)
        except Goto as g:
            label = g.label


UNIT: list = ["qemuMigrationPerformPhase", "qemuMigrationPerform",   # the functions this module
              "qemuMigrationFinish", "qemuMigrationConfirm"]         # adds to a unit, upstream order

# The ported functions show in the trace when called (as in the version modules).
traced(globals(), UNIT)
