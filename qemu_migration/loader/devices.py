"""What of a ``<domain>`` virDomainDefCheckABIStability compares, read as virDomainDefParseXML
reads it (domain_conf.c @ e2fb96d9), with the defaults and implicit devices it adds.

Read: ``<os>`` (type, arch, machine, ``<smbios mode=>``), ``<features>``, the
``<clock>``'s ``<timer>`` elements, and the devices ``<disk>``, ``<interface>``,
``<input>``, ``<sound>``, ``<video>``, ``<watchdog>``, ``<memballoon>`` (each with
its ``<address>``; a host device's is read in domain.py).  Not read, so absent
on both sides of every comparison: controllers, filesystems, serial and
parallel ports, channels, the console, hubs, smartcards, ``<cpu>``,
``<sysinfo>``.

Defaults, as upstream's parser and the stub host's capabilities give them: no
``<os><type>`` reads as hvm (upstream refuses it: "no OS type"; this project's
small fixtures may leave ``<os>`` out), arch x86_64, machine pc; a disk's bus
from its target's prefix and, on ide, fdc and scsi, its drive address from the
target's index (virDomainDiskDefAssignAddress, narrow SCSI); an input's bus
(mouse ps2, tablet usb); a video's model (cirrus), vram and heads; with
graphics, the implicit PS/2 mouse (an explicit one is dropped) and one video
when none is given; a virtio memory balloon when none is given.
"""
import re

from ..world.constants import (DEVICE_ADDRESS_NAMES, DISK_BUS_NAMES, DISK_DEVICE_NAMES,
                               DOMAIN_FEATURE_NAMES, INPUT_BUS_NAMES, INPUT_TYPE_NAMES,
                               MEMBALLOON_MODEL_NAMES, SMBIOS_MODE_NAMES, SOUND_MODEL_NAMES,
                               TIMER_MODE_NAMES, TIMER_NAME_NAMES, VIDEO_TYPE_NAMES,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI,
                               VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL,
                               VIR_DOMAIN_DISK_BUS_FDC, VIR_DOMAIN_DISK_BUS_IDE,
                               VIR_DOMAIN_DISK_BUS_SCSI, VIR_DOMAIN_INPUT_BUS_PS2,
                               VIR_DOMAIN_INPUT_TYPE_MOUSE, VIR_DOMAIN_MEMBALLOON_MODEL_VIRTIO,
                               VIR_DOMAIN_TIMER_NAME_TSC, VIR_DOMAIN_VIDEO_TYPE_CIRRUS,
                               WATCHDOG_MODEL_NAMES)
from ..world.objects import (CcidAddress, DeviceAddr, DeviceInfo, DiskDef, DriveAddress,
                             InputDef, MemballoonDef, NetDef, NO_INFO, PCIAddress, SoundDef,
                             TimerDef, VideoAccelDef, VideoDef, VioserialAddress, WatchdogDef)
from .cint import C_UINT, C_ULONG
from .errors import LoadError
from .xmlutil import parse_enum, parse_int, shown, where, xnodes, xstring

OS_TYPES = ["hvm"]                      # what the qemu driver's capabilities offer
OS_ARCHES = ["i686", "x86_64"]          # the stub host's (an x86_64 host runs both)
DEFAULT_ARCH, DEFAULT_MACHINE = "x86_64", "pc"
PCI_SLOTS, PCI_FUNCTIONS = 32, 8        # "PCI bus has 32 slots and 8 functions per slot"
DISK_PREFIXES = ["hd", "sd", "vd", "xvd", "ubd"]       # a <disk device='disk'>'s target
# the target's prefix -> the default bus (virDomainDiskDefParseXML, domain_conf.c:2446-2461)
DISK_BUS_BY_PREFIX = [("hd", "ide"), ("sd", "scsi"), ("vd", "virtio"), ("xvd", "xen"),
                      ("ubd", "uml")]
DRIVE_PREFIXES = ["fd", "hd", "vd", "sd", "xvd", "ubd"]  # virDiskNameToIndex (util.c:1781)
_MAC = re.compile(r"[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}")
_ADDRESS_FIELDS = {
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI: ("domain", "bus", "slot", "function"),
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE: ("controller", "bus", "unit"),
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL: ("controller", "bus", "port"),
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID: ("controller", "slot"),
}
_ADDRESS_CLASSES = {
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI: ("pci", PCIAddress),
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE: ("drive", DriveAddress),
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL: ("vioserial", VioserialAddress),
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID: ("ccid", CcidAddress),
}


def check_pci_address(fields, addr, path):
    """virDomainDevicePCIAddressIsValid (domain_conf.c:1451 @ e2fb96d9), one message per cause."""
    for attr, count in (("slot", PCI_SLOTS), ("function", PCI_FUNCTIONS)):
        if fields[attr] >= count:
            raise LoadError(path, where(addr, attr),
                            "pci address %s 0x%x is out of range (at most 0x%x)"
                            % (attr, fields[attr], count - 1))
    if not (fields["domain"] or fields["bus"] or fields["slot"]):
        raise LoadError(path, where(addr), "Insufficient specification for PCI address "
                        "(domain, bus and slot are all 0)")


def parse_device_info(node, path):
    """virDomainDeviceInfoParseXML: the device's first ``<address>`` child, if any."""
    addr = node.find("address")
    if addr is None:
        return NO_INFO
    text = addr.get("type")
    if text is None:
        raise LoadError(path, where(addr, "type"), "No type specified for device address")
    atype = parse_enum(text, DEVICE_ADDRESS_NAMES, path, where(addr, "type"),
                       "address type")
    if atype not in _ADDRESS_FIELDS:
        raise LoadError(path, where(addr, "type"),
                        "address type '%s' is not supported here" % text)
    fields = {}
    for attr in _ADDRESS_FIELDS[atype]:
        value = addr.get(attr)
        fields[attr] = 0 if value is None else parse_int(
            value, path, where(addr, attr), "%s address %s" % (text, attr), C_UINT, base=0)
    if atype == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI:
        check_pci_address(fields, addr, path)
    member, cls = _ADDRESS_CLASSES[atype]
    return DeviceInfo(atype, DeviceAddr(**{member: cls(**fields)}))


def parse_os(node, path):
    """``(os type, arch, machine, smbios mode)``."""
    os_type = xstring(node, "string(./os/type[1])")
    if os_type is None:
        os_type = "hvm"
    elif os_type not in OS_TYPES:
        raise LoadError(path, where(node) + "/os/type",
                        "no guest options available for OS type '%s' (the qemu driver "
                        "offers hvm)" % shown(os_type))
    arch = xstring(node, "string(./os/type[1]/@arch)")
    if arch is None:
        arch = DEFAULT_ARCH
    elif arch not in OS_ARCHES:
        raise LoadError(path, where(node) + "/os/type/@arch",
                        "os type '%s' & arch '%s' combination is not supported"
                        % (os_type, shown(arch)))
    machine = xstring(node, "string(./os/type[1]/@machine)")
    if machine is None:
        machine = DEFAULT_MACHINE
    mode = 0
    text = xstring(node, "string(./os/smbios/@mode)")
    if text is not None:
        mode = parse_enum(text, SMBIOS_MODE_NAMES, path, where(node) + "/os/smbios/@mode",
                          "smbios mode")
    return os_type, arch, machine, mode


def parse_features(node, path):
    """The bits of ``./features/*`` (1 << virDomainFeatureTypeFromString(name))."""
    features = 0
    for f in xnodes(node, "./features/*"):
        if f.tag not in DOMAIN_FEATURE_NAMES:
            raise LoadError(path, where(f), "unexpected feature %s" % shown(str(f.tag)))
        features |= 1 << DOMAIN_FEATURE_NAMES.index(f.tag)
    return features


def parse_timer(t, path):
    """virDomainTimerDefParseXML: name, present, and a TSC's frequency and mode."""
    name = t.get("name")
    if name is None:
        raise LoadError(path, where(t, "name"), "missing timer name")
    tname = parse_enum(name, TIMER_NAME_NAMES, path, where(t, "name"), "timer name")
    present = -1
    text = t.get("present")
    if text is not None:
        if text not in ("yes", "no"):
            raise LoadError(path, where(t, "present"),
                            "unknown timer present value '%s'" % shown(text))
        present = 1 if text == "yes" else 0
    frequency, mode = 0, -1
    if tname == VIR_DOMAIN_TIMER_NAME_TSC:
        text = t.get("frequency")
        if text is not None:
            frequency = parse_int(text, path, where(t, "frequency"), "timer frequency",
                                  C_ULONG)
        text = t.get("mode")
        if text is not None:
            mode = parse_enum(text, TIMER_MODE_NAMES, path, where(t, "mode"), "timer mode")
    return TimerDef(tname, present, frequency, mode)


def disk_name_to_index(name):
    """virDiskNameToIndex (util.c:1778 @ e2fb96d9): the index of ``hdb``, ``sdaa``, ... or -1."""
    for prefix in DRIVE_PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix):]
            break
    else:
        return -1
    idx, i = 0, 0
    while i < len(rest):                          # for (i = 0; *ptr; i++)
        idx = (idx + (0 if i < 1 else 1)) * 26
        if not "a" <= rest[i] <= "z":
            break
        idx += ord(rest[i]) - ord("a")
        i += 1
    digits = rest[i:]                             # only digits may follow
    if digits and not (digits.isdigit() and digits.isascii()):
        return -1
    return idx


def assign_drive_address(bus, target):
    """virDomainDiskDefAssignAddress (domain_conf.c:2089 @ e2fb96d9), narrow SCSI; None
    when the target has no index (upstream then fails the parse)."""
    idx = disk_name_to_index(target)
    if idx < 0:
        return None
    if bus == VIR_DOMAIN_DISK_BUS_SCSI:
        addr = DriveAddress(idx // 7, 0, idx % 7)
    elif bus == VIR_DOMAIN_DISK_BUS_IDE:
        addr = DriveAddress(idx // 4, (idx % 4) // 2, idx % 2)
    elif bus == VIR_DOMAIN_DISK_BUS_FDC:
        addr = DriveAddress(idx // 2, 0, idx % 2)
    else:
        return NO_INFO
    return DeviceInfo(VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE, DeviceAddr(drive=addr))


def parse_disk(d, path):
    """virDomainDiskDefParseXML: device, bus, target, serial, access mode, address."""
    device = parse_enum(d.get("device", "disk"), DISK_DEVICE_NAMES, path, where(d, "device"),
                        "disk device")
    target_node = d.find("target")
    target = None if target_node is None else target_node.get("dev")
    if not target:
        raise LoadError(path, where(d) + "/target/@dev", "disk has no target (<target dev=>)")
    if device == DISK_DEVICE_NAMES.index("floppy") and not target.startswith("fd"):
        raise LoadError(path, where(target_node, "dev"),
                        "Invalid floppy device name: %s" % shown(target))
    if device == DISK_DEVICE_NAMES.index("disk") and not target.startswith(
            tuple(DISK_PREFIXES)):
        raise LoadError(path, where(target_node, "dev"),
                        "Invalid harddisk device name: %s" % shown(target))
    bus_text = target_node.get("bus")
    if bus_text is not None:
        bus = parse_enum(bus_text, DISK_BUS_NAMES, path, where(target_node, "bus"),
                         "disk bus type")
    elif device == DISK_DEVICE_NAMES.index("floppy"):
        bus = VIR_DOMAIN_DISK_BUS_FDC
    else:
        bus = DISK_BUS_NAMES.index(next((b for p, b in DISK_BUS_BY_PREFIX
                                         if target.startswith(p)), "ide"))
    if (device == DISK_DEVICE_NAMES.index("floppy")) != (bus == VIR_DOMAIN_DISK_BUS_FDC):
        raise LoadError(path, where(target_node, "bus"),
                        "Invalid bus type '%s' for %s" % (
                            DISK_BUS_NAMES[bus],
                            "floppy disk" if bus != VIR_DOMAIN_DISK_BUS_FDC else "disk"))
    serial = xstring(d, "string(./serial[1])")
    readonly = int(d.find("readonly") is not None or device == DISK_DEVICE_NAMES.index("cdrom"))
    shared = int(d.find("shareable") is not None)
    info = parse_device_info(d, path)
    if info is NO_INFO:
        info = assign_drive_address(bus, target)
        if info is None:
            raise LoadError(path, where(target_node, "dev"),
                            "cannot give disk '%s' a drive address (its name has no index)"
                            % shown(target))
    return DiskDef(device, bus, target, serial, readonly, shared, info)


def parse_mac(text, path, loc):
    """virParseMacAddr: six hexadecimal bytes separated by ':'."""
    if text is None:
        raise LoadError(path, loc, "interface has no <mac address=> (libvirt would make one "
                        "up at random; a fixture must say which)")
    if not _MAC.fullmatch(text):
        raise LoadError(path, loc, "unable to parse mac address '%s'" % shown(text))
    return bytes(int(b, 16) for b in text.split(":"))


def parse_net(n, path):
    mac = n.find("mac")
    loc = where(n) + "/mac/@address" if mac is None else where(mac, "address")
    model = n.find("model")
    return NetDef(parse_mac(None if mac is None else mac.get("address"), path, loc),
                  None if model is None else model.get("type"), parse_device_info(n, path))


def parse_input(i, path):
    """virDomainInputDefParseXML on an hvm guest."""
    text = i.get("type")
    if text is None:
        raise LoadError(path, where(i, "type"), "missing input device type")
    itype = parse_enum(text, INPUT_TYPE_NAMES, path, where(i, "type"), "input device type")
    bus_text = i.get("bus")
    if bus_text is None:
        bus = VIR_DOMAIN_INPUT_BUS_PS2 if itype == VIR_DOMAIN_INPUT_TYPE_MOUSE else \
            INPUT_BUS_NAMES.index("usb")
    else:
        bus = parse_enum(bus_text, INPUT_BUS_NAMES, path, where(i, "bus"), "input bus type")
        if bus == VIR_DOMAIN_INPUT_BUS_PS2 and itype != VIR_DOMAIN_INPUT_TYPE_MOUSE:
            raise LoadError(path, where(i, "bus"), "ps2 bus does not support %s input device"
                            % text)
        if bus == INPUT_BUS_NAMES.index("xen"):
            raise LoadError(path, where(i, "bus"), "unsupported input bus %s" % bus_text)
    return InputDef(itype, bus, parse_device_info(i, path))


def default_video_ram(vtype):
    """virDomainVideoDefaultRAM (domain_conf.c:5007) for a qemu or kvm guest, in KiB."""
    return {0: 9 * 1024, 1: 9 * 1024, 2: 9 * 1024, 3: 4 * 1024, 5: 64 * 1024}.get(vtype, 0)


def parse_video(v, path):
    """virDomainVideoDefParseXML: the first <model>'s type, vram, heads and acceleration."""
    model = v.find("model")
    vtype, vram, heads, accel = VIR_DOMAIN_VIDEO_TYPE_CIRRUS, None, None, None
    if model is not None:
        text = model.get("type")
        if text is not None:
            vtype = parse_enum(text, VIDEO_TYPE_NAMES, path, where(model, "type"),
                               "video model")
        for attr in ("vram", "heads"):
            text = model.get(attr)
            if text is not None:
                value = parse_int(text, path, where(model, attr), "video " + attr, C_UINT)
                vram, heads = (value, heads) if attr == "vram" else (vram, value)
        acc = model.find("acceleration")
        if acc is not None and (acc.get("accel2d") is not None
                                or acc.get("accel3d") is not None):
            accel = VideoAccelDef(int(acc.get("accel2d") == "yes"),
                                  int(acc.get("accel3d") == "yes"))
    return VideoDef(vtype, default_video_ram(vtype) if vram is None else vram,
                    1 if heads is None else heads, accel, parse_device_info(v, path))


def _only_one(node, expr, what, path):
    found = xnodes(node, expr)
    if len(found) > 1:
        raise LoadError(path, where(found[1]), "only a single %s device is supported" % what)
    return found[0] if found else None


def _model(n, names, path, what):
    text = n.get("model")
    if text is None:
        raise LoadError(path, where(n, "model"), "missing %s model" % what)
    return parse_enum(text, names, path, where(n, "model"), what + " model")


def parse_abi_fields(node, path, ngraphics):
    """The DomainDef keyword arguments of what the ABI check reads (besides what domain.py
    reads: virt type, uuid, vcpus, host devices)."""
    os_type, arch, machine, smbios = parse_os(node, path)
    inputs = []
    for i in xnodes(node, "./devices/input"):
        inp = parse_input(i, path)
        # with graphics on hvm, the PS/2 mouse is implicit: an explicit one is not stored
        if not (inp.bus == VIR_DOMAIN_INPUT_BUS_PS2 and inp.type == VIR_DOMAIN_INPUT_TYPE_MOUSE):
            inputs.append(inp)
    if ngraphics:
        inputs.append(InputDef(VIR_DOMAIN_INPUT_TYPE_MOUSE, VIR_DOMAIN_INPUT_BUS_PS2))
    videos = [parse_video(v, path) for v in xnodes(node, "./devices/video")]
    if ngraphics and not videos:
        videos.append(VideoDef(VIR_DOMAIN_VIDEO_TYPE_CIRRUS,
                               default_video_ram(VIR_DOMAIN_VIDEO_TYPE_CIRRUS), 1))
    watchdog = _only_one(node, "./devices/watchdog", "watchdog", path)
    balloon = _only_one(node, "./devices/memballoon", "memory balloon", path)
    return dict(
        os_type=os_type, os_arch=arch, os_machine=machine, os_smbios_mode=smbios,
        features=parse_features(node, path),
        timers=[parse_timer(t, path) for t in xnodes(node, "./clock/timer")],
        disks=[parse_disk(d, path) for d in xnodes(node, "./devices/disk")],
        nets=[parse_net(n, path) for n in xnodes(node, "./devices/interface")],
        inputs=inputs,
        sounds=[SoundDef(_model(s, SOUND_MODEL_NAMES, path, "sound"), parse_device_info(s, path))
                for s in xnodes(node, "./devices/sound")],
        videos=videos,
        watchdog=None if watchdog is None else WatchdogDef(
            _model(watchdog, WATCHDOG_MODEL_NAMES, path, "watchdog"),
            parse_device_info(watchdog, path)),
        memballoon=MemballoonDef(VIR_DOMAIN_MEMBALLOON_MODEL_VIRTIO) if balloon is None else
        MemballoonDef(_model(balloon, MEMBALLOON_MODEL_NAMES, path, "memballoon"),
                      parse_device_info(balloon, path)),
    )


__all__ = ["parse_abi_fields", "parse_device_info", "check_pci_address", "disk_name_to_index"]
