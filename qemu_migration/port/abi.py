"""virDomainDefCheckABIStability and its per-device helpers, ported line for line.

src/conf/domain_conf.c:7477-8384 @ e2fb96d9 (the same text at the same lines at
19f8c980, so ``# L<n>`` is one number): whether a definition handed in for a
migration (Begin's xmlin) can replace the running one without the guest seeing
a change.  Upstream never compares memory, the name or the graphics.

The model holds every enum the checks read as upstream's number, but for the
three it held before (the virt type, a host device's mode and subsystem type),
which it keeps by name: their ``...TypeToString`` here is given the name and
gives it back.  The uuid is held as its canonical text, so ``memcmp`` of the
bytes is ``!=`` of the texts.  What the model does not carry is always absent
on both sides: ``cpu`` and ``sysinfo`` are NULL (their comparisons, in
cpu_conf.c and sysinfo.c, are recorded stubs), and a guestfwd channel's address
is its text.

Every function here is traced when called, as the other ported ones are; the C
build compiles upstream's text of the same functions (port.ABI_CHECK).
"""
from ..world.constants import (CHR_CHANNEL_TARGET_NAMES, CHR_CONSOLE_TARGET_NAMES,
                               DEVICE_ADDRESS_NAMES, DISK_BUS_NAMES, DISK_DEVICE_NAMES,
                               CONTROLLER_TYPE_NAMES, HUB_TYPE_NAMES, INPUT_BUS_NAMES,
                               INPUT_TYPE_NAMES, MEMBALLOON_MODEL_NAMES, SMBIOS_MODE_NAMES,
                               SOUND_MODEL_NAMES, TIMER_MODE_NAMES, TIMER_NAME_NAMES,
                               VIDEO_TYPE_NAMES, VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_GUESTFWD,
                               VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_VIRTIO,
                               VIR_DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL,
                               VIR_DOMAIN_TIMER_NAME_TSC, VIR_ERR_CONFIG_UNSUPPORTED,
                               WATCHDOG_MODEL_NAMES)
from ..world.runtime import Goto, NoSuchLabel, goto, traced
from ..world.stubs import (NULLSTR, VIR_FREE, _, virCPUDefIsEqual, virDomainReportError,
                           virSysinfoIsEqual)
from ..world.xmlutil import virUUIDFormat
from . import ABI_CHECK

VIR_DOMAIN_HOSTDEV_MODE_SUBSYS = "subsystem"     # held by name (HostdevDef.mode)


def _enum_to_string(names):
    """VIR_ENUM_IMPL's ...TypeToString: the name, or NULL out of range."""
    def to_string(value):
        return names[value] if 0 <= value < len(names) else None
    return to_string


def _held_by_name(value):
    return value


virDomainVirtTypeToString = _held_by_name
virDomainHostdevModeTypeToString = _held_by_name
virDomainHostdevSubsysTypeToString = _held_by_name
virDomainTimerNameTypeToString = _enum_to_string(TIMER_NAME_NAMES)
virDomainTimerModeTypeToString = _enum_to_string(TIMER_MODE_NAMES)
virDomainDeviceAddressTypeToString = _enum_to_string(DEVICE_ADDRESS_NAMES)
virDomainDiskDeviceTypeToString = _enum_to_string(DISK_DEVICE_NAMES)
virDomainDiskBusTypeToString = _enum_to_string(DISK_BUS_NAMES)
virDomainControllerTypeToString = _enum_to_string(CONTROLLER_TYPE_NAMES)
virDomainInputTypeToString = _enum_to_string(INPUT_TYPE_NAMES)
virDomainInputBusTypeToString = _enum_to_string(INPUT_BUS_NAMES)
virDomainSoundModelTypeToString = _enum_to_string(SOUND_MODEL_NAMES)
virDomainVideoTypeToString = _enum_to_string(VIDEO_TYPE_NAMES)
virDomainChrChannelTargetTypeToString = _enum_to_string(CHR_CHANNEL_TARGET_NAMES)
virDomainChrConsoleTargetTypeToString = _enum_to_string(CHR_CONSOLE_TARGET_NAMES)
virDomainWatchdogModelTypeToString = _enum_to_string(WATCHDOG_MODEL_NAMES)
virDomainMemballoonModelTypeToString = _enum_to_string(MEMBALLOON_MODEL_NAMES)
virDomainHubTypeToString = _enum_to_string(HUB_TYPE_NAMES)
virDomainSmbiosModeTypeToString = _enum_to_string(SMBIOS_MODE_NAMES)


def virSocketFormatAddrFull(addr, withService, separator):
    """virSocketFormatAddrFull (util/network.c @ e2fb96d9): the model keeps a guestfwd
    address as its text "address:port", which is what this call makes of the sockaddr
    with its service; without it, the address alone."""
    return addr if withService else addr.rpartition(separator)[0]


def virDomainTimerDefCheckABIStability(src, dst):                   # L7477
    identical = False                                               # L7480

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.name != dst.name:                        # L7482
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7483
                                             _("Target timer %s does not match source %s"),  # L7484
                                             virDomainTimerNameTypeToString(dst.name),  # L7485
                                             virDomainTimerNameTypeToString(src.name))  # L7486
                        goto("cleanup")                             # L7487

                    if src.present != dst.present:                  # L7490
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7491
                                             _("Target timer presence %d does not match source %d"),  # L7492
                                             dst.present, src.present)  # L7493
                        goto("cleanup")                             # L7494

                    if src.name == VIR_DOMAIN_TIMER_NAME_TSC:       # L7497
                        if src.frequency != dst.frequency:          # L7498
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7499
                                                 _("Target TSC frequency %lu does not match source %lu"),  # L7500
                                                 dst.frequency, src.frequency)  # L7501
                            goto("cleanup")                         # L7502

                        if src.mode != dst.mode:                    # L7505
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7506
                                                 _("Target TSC mode %s does not match source %s"),  # L7507
                                                 virDomainTimerModeTypeToString(dst.mode),  # L7508
                                                 virDomainTimerModeTypeToString(src.mode))  # L7509
                            goto("cleanup")                         # L7510

                    identical = True                                # L7514
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7516
                    return identical                                # L7517
                case _:
                    raise NoSuchLabel("virDomainTimerDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainDeviceInfoCheckABIStability(src, dst):                 # L7521
    identical = False                                               # L7524

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.type != dst.type:                        # L7526
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7527
                                             _("Target device address type %s does not match source %s"),  # L7528
                                             virDomainDeviceAddressTypeToString(dst.type),  # L7529
                                             virDomainDeviceAddressTypeToString(src.type))  # L7530
                        goto("cleanup")                             # L7531

                    if src.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI:  # L7534-7535
                        s, d = src.addr.pci, dst.addr.pci
                        if (s.domain != d.domain or                 # L7536
                                s.bus != d.bus or                   # L7537
                                s.slot != d.slot or                 # L7538
                                s.function != d.function):          # L7539
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7540
                                                 _("Target device PCI address %04x:%02x:%02x.%02x does not match source %04x:%02x:%02x.%02x"),  # L7541
                                                 d.domain, d.bus,   # L7542
                                                 d.slot, d.function,  # L7543
                                                 s.domain, s.bus,   # L7544
                                                 s.slot, s.function)  # L7545
                            goto("cleanup")                         # L7546
                        # break                                     # L7548
                    elif src.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE:  # L7550
                        s, d = src.addr.drive, dst.addr.drive
                        if (s.controller != d.controller or         # L7551
                                s.bus != d.bus or                   # L7552
                                s.unit != d.unit):                  # L7553
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7554
                                                 _("Target device drive address %d:%d:%d does not match source %d:%d:%d"),  # L7555
                                                 d.controller, d.bus,  # L7556
                                                 d.unit,            # L7557
                                                 s.controller, s.bus,  # L7558
                                                 s.unit)            # L7559
                            goto("cleanup")                         # L7560
                        # break                                     # L7562
                    elif src.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL:  # L7564
                        s, d = src.addr.vioserial, dst.addr.vioserial
                        if (s.controller != d.controller or         # L7565
                                s.bus != d.bus or                   # L7566
                                s.port != d.port):                  # L7567
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7568
                                                 _("Target device virtio serial address %d:%d:%d does not match source %d:%d:%d"),  # L7569
                                                 d.controller, d.bus,  # L7570
                                                 d.port,            # L7571
                                                 s.controller, s.bus,  # L7572
                                                 s.port)            # L7573
                            goto("cleanup")                         # L7574
                        # break                                     # L7576
                    elif src.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID:  # L7578
                        s, d = src.addr.ccid, dst.addr.ccid
                        if (s.controller != d.controller or         # L7579
                                s.slot != d.slot):                  # L7580
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7581
                                                 _("Target device ccid address %d:%d does not match source %d:%d"),  # L7582
                                                 d.controller,      # L7583
                                                 d.slot,            # L7584
                                                 s.controller,      # L7585
                                                 s.slot)            # L7586
                            goto("cleanup")                         # L7587
                        # break                                     # L7589

                    identical = True                                # L7592
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7594
                    return identical                                # L7595
                case _:
                    raise NoSuchLabel("virDomainDeviceInfoCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainDiskDefCheckABIStability(src, dst):                    # L7599
    identical = False                                               # L7602

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.device != dst.device:                    # L7604
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7605
                                             _("Target disk device %s does not match source %s"),  # L7606
                                             virDomainDiskDeviceTypeToString(dst.device),  # L7607
                                             virDomainDiskDeviceTypeToString(src.device))  # L7608
                        goto("cleanup")                             # L7609

                    if src.bus != dst.bus:                          # L7612
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7613
                                             _("Target disk bus %s does not match source %s"),  # L7614
                                             virDomainDiskBusTypeToString(dst.bus),  # L7615
                                             virDomainDiskBusTypeToString(src.bus))  # L7616
                        goto("cleanup")                             # L7617

                    if src.dst != dst.dst:                          # L7620 STRNEQ
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7621
                                             _("Target disk %s does not match source %s"),  # L7622
                                             dst.dst, src.dst)      # L7623
                        goto("cleanup")                             # L7624

                    if src.serial != dst.serial:                    # L7627 STRNEQ_NULLABLE
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7628
                                             _("Target disk serial %s does not match source %s"),  # L7629
                                             NULLSTR(dst.serial), NULLSTR(src.serial))  # L7630
                        goto("cleanup")                             # L7631

                    if src.readonly != dst.readonly or src.shared != dst.shared:  # L7634
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",  # L7635
                                             _("Target disk access mode does not match source"))  # L7636
                        goto("cleanup")                             # L7637

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7640
                        goto("cleanup")                             # L7641

                    identical = True                                # L7643
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7645
                    return identical                                # L7646
                case _:
                    raise NoSuchLabel("virDomainDiskDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainControllerDefCheckABIStability(src, dst):              # L7650
    identical = False                                               # L7653

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.type != dst.type:                        # L7655
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7656
                                             _("Target controller type %s does not match source %s"),  # L7657
                                             virDomainControllerTypeToString(dst.type),  # L7658
                                             virDomainControllerTypeToString(src.type))  # L7659
                        goto("cleanup")                             # L7660

                    if src.idx != dst.idx:                          # L7663
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7664
                                             _("Target controller index %d does not match source %d"),  # L7665
                                             dst.idx, src.idx)      # L7666
                        goto("cleanup")                             # L7667

                    if src.model != dst.model:                      # L7670
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7671
                                             _("Target controller model %d does not match source %d"),  # L7672
                                             dst.model, src.model)  # L7673
                        goto("cleanup")                             # L7674

                    if src.type == VIR_DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL:  # L7677
                        if src.ports != dst.ports:                  # L7678
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7679
                                                 _("Target controller ports %d does not match source %d"),  # L7680
                                                 dst.ports, src.ports)  # L7681
                            goto("cleanup")                         # L7682

                        if src.vectors != dst.vectors:              # L7685
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7686
                                                 _("Target controller vectors %d does not match source %d"),  # L7687
                                                 dst.vectors, src.vectors)  # L7688
                            goto("cleanup")                         # L7689

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7693
                        goto("cleanup")                             # L7694

                    identical = True                                # L7696
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7698
                    return identical                                # L7699
                case _:
                    raise NoSuchLabel("virDomainControllerDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainFsDefCheckABIStability(src, dst):                      # L7703
    identical = False                                               # L7706

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.dst != dst.dst:                          # L7708 STRNEQ
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7709
                                             _("Target filesystem guest target %s does not match source %s"),  # L7710
                                             dst.dst, src.dst)      # L7711
                        goto("cleanup")                             # L7712

                    if src.readonly != dst.readonly:                # L7715
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",  # L7716
                                             _("Target filesystem access mode does not match source"))  # L7717
                        goto("cleanup")                             # L7718

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7721
                        goto("cleanup")                             # L7722

                    identical = True                                # L7724
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7726
                    return identical                                # L7727
                case _:
                    raise NoSuchLabel("virDomainFsDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainNetDefCheckABIStability(src, dst):                     # L7731
    identical = False                                               # L7734

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.mac != dst.mac:                          # L7736 memcmp
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7737
                                             _("Target network card mac %02x:%02x:%02x:%02x:%02x:%02x"  # L7738
                                               "does not match source %02x:%02x:%02x:%02x:%02x:%02x"),  # L7739
                                             dst.mac[0], dst.mac[1], dst.mac[2],  # L7740
                                             dst.mac[3], dst.mac[4], dst.mac[5],  # L7741
                                             src.mac[0], src.mac[1], src.mac[2],  # L7742
                                             src.mac[3], src.mac[4], src.mac[5])  # L7743
                        goto("cleanup")                             # L7744

                    if src.model != dst.model:                      # L7747 STRNEQ_NULLABLE
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7748
                                             _("Target network card model %s does not match source %s"),  # L7749
                                             NULLSTR(dst.model), NULLSTR(src.model))  # L7750
                        goto("cleanup")                             # L7751

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7754
                        goto("cleanup")                             # L7755

                    identical = True                                # L7757
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7759
                    return identical                                # L7760
                case _:
                    raise NoSuchLabel("virDomainNetDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainInputDefCheckABIStability(src, dst):                   # L7764
    identical = False                                               # L7767

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.type != dst.type:                        # L7769
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7770
                                             _("Target input device type %s does not match source %s"),  # L7771
                                             virDomainInputTypeToString(dst.type),  # L7772
                                             virDomainInputTypeToString(src.type))  # L7773
                        goto("cleanup")                             # L7774

                    if src.bus != dst.bus:                          # L7777
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7778
                                             _("Target input device bus %s does not match source %s"),  # L7779
                                             virDomainInputBusTypeToString(dst.bus),  # L7780
                                             virDomainInputBusTypeToString(src.bus))  # L7781
                        goto("cleanup")                             # L7782

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7785
                        goto("cleanup")                             # L7786

                    identical = True                                # L7788
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7790
                    return identical                                # L7791
                case _:
                    raise NoSuchLabel("virDomainInputDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainSoundDefCheckABIStability(src, dst):                   # L7795
    identical = False                                               # L7798

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.model != dst.model:                      # L7800
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7801
                                             _("Target sound card model %s does not match source %s"),  # L7802
                                             virDomainSoundModelTypeToString(dst.model),  # L7803
                                             virDomainSoundModelTypeToString(src.model))  # L7804
                        goto("cleanup")                             # L7805

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7808
                        goto("cleanup")                             # L7809

                    identical = True                                # L7811
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7813
                    return identical                                # L7814
                case _:
                    raise NoSuchLabel("virDomainSoundDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainVideoDefCheckABIStability(src, dst):                   # L7818
    identical = False                                               # L7821

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.type != dst.type:                        # L7823
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7824
                                             _("Target video card model %s does not match source %s"),  # L7825
                                             virDomainVideoTypeToString(dst.type),  # L7826
                                             virDomainVideoTypeToString(src.type))  # L7827
                        goto("cleanup")                             # L7828

                    if src.vram != dst.vram:                        # L7831
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7832
                                             _("Target video card vram %u does not match source %u"),  # L7833
                                             dst.vram, src.vram)    # L7834
                        goto("cleanup")                             # L7835

                    if src.heads != dst.heads:                      # L7838
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7839
                                             _("Target video card heads %u does not match source %u"),  # L7840
                                             dst.heads, src.heads)  # L7841
                        goto("cleanup")                             # L7842

                    if ((src.accel and not dst.accel) or            # L7845
                            (not src.accel and dst.accel)):         # L7846
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",  # L7847
                                             _("Target video card acceleration does not match source"))  # L7848
                        goto("cleanup")                             # L7849

                    if src.accel:                                   # L7852
                        if src.accel.support2d != dst.accel.support2d:  # L7853
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7854
                                                 _("Target video card 2d accel %u does not match source %u"),  # L7855
                                                 dst.accel.support2d, src.accel.support2d)  # L7856
                            goto("cleanup")                         # L7857

                        if src.accel.support3d != dst.accel.support3d:  # L7860
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7861
                                                 _("Target video card 3d accel %u does not match source %u"),  # L7862
                                                 dst.accel.support3d, src.accel.support3d)  # L7863
                            goto("cleanup")                         # L7864

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7868
                        goto("cleanup")                             # L7869

                    identical = True                                # L7871
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7873
                    return identical                                # L7874
                case _:
                    raise NoSuchLabel("virDomainVideoDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainHostdevDefCheckABIStability(src, dst):                 # L7878
    identical = False                                               # L7881

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.mode != dst.mode:                        # L7883
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7884
                                             _("Target host device mode %s does not match source %s"),  # L7885
                                             virDomainHostdevModeTypeToString(dst.mode),  # L7886
                                             virDomainHostdevModeTypeToString(src.mode))  # L7887
                        goto("cleanup")                             # L7888

                    if src.mode == VIR_DOMAIN_HOSTDEV_MODE_SUBSYS:  # L7891
                        if src.type != dst.type:                    # L7892 source.subsys.type
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7893
                                                 _("Target host device subsystem %s does not match source %s"),  # L7894
                                                 virDomainHostdevSubsysTypeToString(dst.type),  # L7895
                                                 virDomainHostdevSubsysTypeToString(src.type))  # L7896
                            goto("cleanup")                         # L7897

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7901
                        goto("cleanup")                             # L7902

                    identical = True                                # L7904
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7906
                    return identical                                # L7907
                case _:
                    raise NoSuchLabel("virDomainHostdevDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainSmartcardDefCheckABIStability(src, dst):               # L7911
    identical = False                                               # L7914

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7916
                        goto("cleanup")                             # L7917

                    identical = True                                # L7919
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7921
                    return identical                                # L7922
                case _:
                    raise NoSuchLabel("virDomainSmartcardDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainSerialDefCheckABIStability(src, dst):                  # L7926
    identical = False                                               # L7929

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.port != dst.port:                        # L7931 target.port
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7932
                                             _("Target serial port %d does not match source %d"),  # L7933
                                             dst.port, src.port)    # L7934
                        goto("cleanup")                             # L7935

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7938
                        goto("cleanup")                             # L7939

                    identical = True                                # L7941
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7943
                    return identical                                # L7944
                case _:
                    raise NoSuchLabel("virDomainSerialDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainParallelDefCheckABIStability(src, dst):                # L7948
    identical = False                                               # L7951

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.port != dst.port:                        # L7953 target.port
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7954
                                             _("Target serial port %d does not match source %d"),  # L7955
                                             dst.port, src.port)    # L7956
                        goto("cleanup")                             # L7957

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L7960
                        goto("cleanup")                             # L7961

                    identical = True                                # L7963
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L7965
                    return identical                                # L7966
                case _:
                    raise NoSuchLabel("virDomainParallelDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainChannelDefCheckABIStability(src, dst):                 # L7970
    identical = False                                               # L7973

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.targetType != dst.targetType:            # L7975
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7976
                                             _("Target channel type %s does not match source %s"),  # L7977
                                             virDomainChrChannelTargetTypeToString(dst.targetType),  # L7978
                                             virDomainChrChannelTargetTypeToString(src.targetType))  # L7979
                        goto("cleanup")                             # L7980

                    if src.targetType == VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_VIRTIO:  # L7983-7984
                        if src.name != dst.name:                    # L7985 STRNEQ target.name
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7986
                                                 _("Target channel name %s does not match source %s"),  # L7987
                                                 dst.name, src.name)  # L7988
                            goto("cleanup")                         # L7989
                        # break                                     # L7991
                    elif src.targetType == VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_GUESTFWD:  # L7992
                        if src.addr != dst.addr:                    # L7993-7994 memcmp
                            saddr = virSocketFormatAddrFull(src.addr, True, ":")  # L7995
                            daddr = virSocketFormatAddrFull(dst.addr, True, ":")  # L7996
                            virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L7997
                                                 _("Target channel addr %s does not match source %s"),  # L7998
                                                 NULLSTR(daddr), NULLSTR(saddr))  # L7999
                            saddr = VIR_FREE(saddr)                 # L8000
                            daddr = VIR_FREE(daddr)                 # L8001
                            goto("cleanup")                         # L8002
                        # break                                     # L8004

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L8007
                        goto("cleanup")                             # L8008

                    identical = True                                # L8010
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L8012
                    return identical                                # L8013
                case _:
                    raise NoSuchLabel("virDomainChannelDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainConsoleDefCheckABIStability(src, dst):                 # L8017
    identical = False                                               # L8020

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.targetType != dst.targetType:            # L8022
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8023
                                             _("Target console type %s does not match source %s"),  # L8024
                                             virDomainChrConsoleTargetTypeToString(dst.targetType),  # L8025
                                             virDomainChrConsoleTargetTypeToString(src.targetType))  # L8026
                        goto("cleanup")                             # L8027

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L8030
                        goto("cleanup")                             # L8031

                    identical = True                                # L8033
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L8035
                    return identical                                # L8036
                case _:
                    raise NoSuchLabel("virDomainConsoleDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainWatchdogDefCheckABIStability(src, dst):                # L8040
    identical = False                                               # L8043

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.model != dst.model:                      # L8045
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8046
                                             _("Target watchdog model %s does not match source %s"),  # L8047
                                             virDomainWatchdogModelTypeToString(dst.model),  # L8048
                                             virDomainWatchdogModelTypeToString(src.model))  # L8049
                        goto("cleanup")                             # L8050

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L8053
                        goto("cleanup")                             # L8054

                    identical = True                                # L8056
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L8058
                    return identical                                # L8059
                case _:
                    raise NoSuchLabel("virDomainWatchdogDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainMemballoonDefCheckABIStability(src, dst):              # L8063
    identical = False                                               # L8066

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.model != dst.model:                      # L8068
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8069
                                             _("Target balloon model %s does not match source %s"),  # L8070
                                             virDomainMemballoonModelTypeToString(dst.model),  # L8071
                                             virDomainMemballoonModelTypeToString(src.model))  # L8072
                        goto("cleanup")                             # L8073

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L8076
                        goto("cleanup")                             # L8077

                    identical = True                                # L8079
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L8081
                    return identical                                # L8082
                case _:
                    raise NoSuchLabel("virDomainMemballoonDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainHubDefCheckABIStability(src, dst):                     # L8086
    identical = False                                               # L8089

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.type != dst.type:                        # L8091
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8092
                                             _("Target hub device type %s does not match source %s"),  # L8093
                                             virDomainHubTypeToString(dst.type),  # L8094
                                             virDomainHubTypeToString(src.type))  # L8095
                        goto("cleanup")                             # L8096

                    if not virDomainDeviceInfoCheckABIStability(src.info, dst.info):  # L8099
                        goto("cleanup")                             # L8100

                    identical = True                                # L8102
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L8104
                    return identical                                # L8105
                case _:
                    raise NoSuchLabel("virDomainHubDefCheckABIStability", label)
        except Goto as g:
            label = g.label


def virDomainDefCheckABIStability(src, dst):                        # L8113
    identical = False                                               # L8116

    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if src.virtType != dst.virtType:                # L8119
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8120
                                             _("Target domain virt type %s does not match source %s"),  # L8121
                                             virDomainVirtTypeToString(dst.virtType),  # L8122
                                             virDomainVirtTypeToString(src.virtType))  # L8123
                        goto("cleanup")                             # L8124

                    if src.uuid != dst.uuid:                        # L8127 memcmp
                        uuidsrc = virUUIDFormat(src.uuid)           # L8128-8130
                        uuiddst = virUUIDFormat(dst.uuid)           # L8131
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8132
                                             _("Target domain uuid %s does not match source %s"),  # L8133
                                             uuiddst, uuidsrc)      # L8134
                        goto("cleanup")                             # L8135

                    if src.vcpus != dst.vcpus:                      # L8138
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8139
                                             _("Target domain vpu count %d does not match source %d"),  # L8140
                                             dst.vcpus, src.vcpus)  # L8141
                        goto("cleanup")                             # L8142
                    if src.maxvcpus != dst.maxvcpus:                # L8144
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8145
                                             _("Target domain vpu max %d does not match source %d"),  # L8146
                                             dst.maxvcpus, src.maxvcpus)  # L8147
                        goto("cleanup")                             # L8148

                    if src.os_type != dst.os_type:                  # L8151 STRNEQ
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8152
                                             _("Target domain OS type %s does not match source %s"),  # L8153
                                             dst.os_type, src.os_type)  # L8154
                        goto("cleanup")                             # L8155
                    if src.os_arch != dst.os_arch:                  # L8157 STRNEQ
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8158
                                             _("Target domain architecture %s does not match source %s"),  # L8159
                                             dst.os_arch, src.os_arch)  # L8160
                        goto("cleanup")                             # L8161
                    if src.os_machine != dst.os_machine:            # L8163 STRNEQ
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8164
                                             _("Target domain OS type %s does not match source %s"),  # L8165
                                             dst.os_machine, src.os_machine)  # L8166
                        goto("cleanup")                             # L8167

                    if src.os_smbios_mode != dst.os_smbios_mode:    # L8170
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8171
                                             _("Target domain SMBIOS mode %s does not match source %s"),  # L8172
                                             virDomainSmbiosModeTypeToString(dst.os_smbios_mode),  # L8173
                                             virDomainSmbiosModeTypeToString(src.os_smbios_mode))  # L8174
                        goto("cleanup")                             # L8175

                    if src.features != dst.features:                # L8178
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8179
                                             _("Target domain features %d does not match source %d"),  # L8180
                                             dst.features, src.features)  # L8181
                        goto("cleanup")                             # L8182

                    if len(src.timers) != len(dst.timers):          # L8185 clock.ntimers
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",  # L8186
                                             _("Target domain timers do not match source"))  # L8187
                        goto("cleanup")                             # L8188

                    for i in range(len(src.timers)):                # L8191
                        if not virDomainTimerDefCheckABIStability(src.timers[i], dst.timers[i]):  # L8192
                            goto("cleanup")                         # L8193

                    if not virCPUDefIsEqual(src.cpu, dst.cpu):      # L8196
                        goto("cleanup")                             # L8197

                    if not virSysinfoIsEqual(src.sysinfo, dst.sysinfo):  # L8199
                        goto("cleanup")                             # L8200

                    if len(src.disks) != len(dst.disks):            # L8202
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8203
                                             _("Target domain disk count %d does not match source %d"),  # L8204
                                             len(dst.disks), len(src.disks))  # L8205
                        goto("cleanup")                             # L8206

                    for i in range(len(src.disks)):                 # L8209
                        if not virDomainDiskDefCheckABIStability(src.disks[i], dst.disks[i]):  # L8210
                            goto("cleanup")                         # L8211

                    if len(src.controllers) != len(dst.controllers):  # L8213
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8214
                                             _("Target domain disk controller count %d does not match source %d"),  # L8215
                                             len(dst.controllers), len(src.controllers))  # L8216
                        goto("cleanup")                             # L8217

                    for i in range(len(src.controllers)):           # L8220
                        if not virDomainControllerDefCheckABIStability(src.controllers[i], dst.controllers[i]):  # L8221
                            goto("cleanup")                         # L8222

                    if len(src.fss) != len(dst.fss):                # L8224
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8225
                                             _("Target domain filesystem count %d does not match source %d"),  # L8226
                                             len(dst.fss), len(src.fss))  # L8227
                        goto("cleanup")                             # L8228

                    for i in range(len(src.fss)):                   # L8231
                        if not virDomainFsDefCheckABIStability(src.fss[i], dst.fss[i]):  # L8232
                            goto("cleanup")                         # L8233

                    if len(src.nets) != len(dst.nets):              # L8235
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8236
                                             _("Target domain net card count %d does not match source %d"),  # L8237
                                             len(dst.nets), len(src.nets))  # L8238
                        goto("cleanup")                             # L8239

                    for i in range(len(src.nets)):                  # L8242
                        if not virDomainNetDefCheckABIStability(src.nets[i], dst.nets[i]):  # L8243
                            goto("cleanup")                         # L8244

                    if len(src.inputs) != len(dst.inputs):          # L8246
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8247
                                             _("Target domain input device count %d does not match source %d"),  # L8248
                                             len(dst.inputs), len(src.inputs))  # L8249
                        goto("cleanup")                             # L8250

                    for i in range(len(src.inputs)):                # L8253
                        if not virDomainInputDefCheckABIStability(src.inputs[i], dst.inputs[i]):  # L8254
                            goto("cleanup")                         # L8255

                    if len(src.sounds) != len(dst.sounds):          # L8257
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8258
                                             _("Target domain sound card count %d does not match source %d"),  # L8259
                                             len(dst.sounds), len(src.sounds))  # L8260
                        goto("cleanup")                             # L8261

                    for i in range(len(src.sounds)):                # L8264
                        if not virDomainSoundDefCheckABIStability(src.sounds[i], dst.sounds[i]):  # L8265
                            goto("cleanup")                         # L8266

                    if len(src.videos) != len(dst.videos):          # L8268
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8269
                                             _("Target domain video card count %d does not match source %d"),  # L8270
                                             len(dst.videos), len(src.videos))  # L8271
                        goto("cleanup")                             # L8272

                    for i in range(len(src.videos)):                # L8275
                        if not virDomainVideoDefCheckABIStability(src.videos[i], dst.videos[i]):  # L8276
                            goto("cleanup")                         # L8277

                    if len(src.hostdevs) != len(dst.hostdevs):      # L8279
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8280
                                             _("Target domain host device count %d does not match source %d"),  # L8281
                                             len(dst.hostdevs), len(src.hostdevs))  # L8282
                        goto("cleanup")                             # L8283

                    for i in range(len(src.hostdevs)):              # L8286
                        if not virDomainHostdevDefCheckABIStability(src.hostdevs[i], dst.hostdevs[i]):  # L8287
                            goto("cleanup")                         # L8288

                    if len(src.smartcards) != len(dst.smartcards):  # L8290
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8291
                                             _("Target domain smartcard count %d does not match source %d"),  # L8292
                                             len(dst.smartcards), len(src.smartcards))  # L8293
                        goto("cleanup")                             # L8294

                    for i in range(len(src.smartcards)):            # L8297
                        if not virDomainSmartcardDefCheckABIStability(src.smartcards[i], dst.smartcards[i]):  # L8298
                            goto("cleanup")                         # L8299

                    if len(src.serials) != len(dst.serials):        # L8301
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8302
                                             _("Target domain serial port count %d does not match source %d"),  # L8303
                                             len(dst.serials), len(src.serials))  # L8304
                        goto("cleanup")                             # L8305

                    for i in range(len(src.serials)):               # L8308
                        if not virDomainSerialDefCheckABIStability(src.serials[i], dst.serials[i]):  # L8309
                            goto("cleanup")                         # L8310

                    if len(src.parallels) != len(dst.parallels):    # L8312
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8313
                                             _("Target domain parallel port count %d does not match source %d"),  # L8314
                                             len(dst.parallels), len(src.parallels))  # L8315
                        goto("cleanup")                             # L8316

                    for i in range(len(src.parallels)):             # L8319
                        if not virDomainParallelDefCheckABIStability(src.parallels[i], dst.parallels[i]):  # L8320
                            goto("cleanup")                         # L8321

                    if len(src.channels) != len(dst.channels):      # L8323
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8324
                                             _("Target domain channel count %d does not match source %d"),  # L8325
                                             len(dst.channels), len(src.channels))  # L8326
                        goto("cleanup")                             # L8327

                    for i in range(len(src.channels)):              # L8330
                        if not virDomainChannelDefCheckABIStability(src.channels[i], dst.channels[i]):  # L8331
                            goto("cleanup")                         # L8332

                    if ((not src.console and dst.console) or        # L8334
                            (src.console and not dst.console)):     # L8335
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8336
                                             _("Target domain console count %d does not match source %d"),  # L8337
                                             1 if dst.console else 0, 1 if src.console else 0)  # L8338
                        goto("cleanup")                             # L8339

                    if len(src.hubs) != len(dst.hubs):              # L8342
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8343
                                             _("Target domain hub device count %d does not match source %d"),  # L8344
                                             len(dst.hubs), len(src.hubs))  # L8345
                        goto("cleanup")                             # L8346

                    for i in range(len(src.hubs)):                  # L8349
                        if not virDomainHubDefCheckABIStability(src.hubs[i], dst.hubs[i]):  # L8350
                            goto("cleanup")                         # L8351

                    if (src.console and                             # L8353
                            not virDomainConsoleDefCheckABIStability(src.console, dst.console)):  # L8354
                        goto("cleanup")                             # L8355

                    if ((not src.watchdog and dst.watchdog) or      # L8357
                            (src.watchdog and not dst.watchdog)):   # L8358
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8359
                                             _("Target domain watchdog count %d does not match source %d"),  # L8360
                                             1 if dst.watchdog else 0, 1 if src.watchdog else 0)  # L8361
                        goto("cleanup")                             # L8362

                    if (src.watchdog and                            # L8365
                            not virDomainWatchdogDefCheckABIStability(src.watchdog, dst.watchdog)):  # L8366
                        goto("cleanup")                             # L8367

                    if ((not src.memballoon and dst.memballoon) or  # L8369
                            (src.memballoon and not dst.memballoon)):  # L8370
                        virDomainReportError(VIR_ERR_CONFIG_UNSUPPORTED,  # L8371
                                             _("Target domain memory balloon count %d does not match source %d"),  # L8372
                                             1 if dst.memballoon else 0, 1 if src.memballoon else 0)  # L8373
                        goto("cleanup")                             # L8374

                    if (src.memballoon and                          # L8377
                            not virDomainMemballoonDefCheckABIStability(src.memballoon, dst.memballoon)):  # L8378
                        goto("cleanup")                             # L8379

                    identical = True                                # L8381
                    goto("cleanup")  # falls through

                case "cleanup":                                     # L8383
                    return identical                                # L8384
                case _:
                    raise NoSuchLabel("virDomainDefCheckABIStability", label)
        except Goto as g:
            label = g.label


# The ported functions show in the trace when called (runtime.traced wraps them
# here rather than by decorator, so that mutation tools see plain functions).
traced(globals(), ABI_CHECK)
