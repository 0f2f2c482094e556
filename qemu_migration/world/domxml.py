"""A definition as domain XML: what the format stubs (qemuDomainDefFormatXML,
qemuDomainFormatXML) hand back, on one line.

It holds everything the definition model carries, in libvirt's element and
attribute names, so that the loader reads it back to an equal definition (the
round trip tests/test_abi.py checks): memory, the current memory (the balloon's
size, written always, as virDomainDefFormat does, domain_conf.c:10363 @
e2fb96d9), vcpus, ``<os>``, ``<features>``, the timers, and the devices (a
display's autoport='yes' too, as virDomainGraphicsDefFormat writes it).  As
virDomainDefFormat does, of the inputs only the USB ones are written, and with
graphics the implicit PS/2 mouse after them (the parser drops an explicit one
and adds it back).
"""
from .constants import (DEVICE_ADDRESS_NAMES, DISK_BUS_NAMES, DISK_DEVICE_NAMES,
                        DOMAIN_FEATURE_NAMES, INPUT_BUS_NAMES, INPUT_TYPE_NAMES,
                        MEMBALLOON_MODEL_NAMES, SMBIOS_MODE_NAMES, SOUND_MODEL_NAMES,
                        TIMER_MODE_NAMES, TIMER_NAME_NAMES, VIDEO_TYPE_NAMES,
                        VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID, VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE,
                        VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI,
                        VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL, WATCHDOG_MODEL_NAMES)

_USB_INPUT_BUS = INPUT_BUS_NAMES.index("usb")


def escape(text):
    """Text with &, > and < as entities, as ``xml.sax.saxutils.escape`` makes it (that
    module imports urllib.request, and with it http.client, email and ssl: about 20 ms
    at the start of every command)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _a(value):
    """An attribute value, quoted with ' (and ' and " as entities)."""
    return "'%s'" % escape(str(value)).replace("'", "&apos;").replace('"', "&quot;")


def _address(info):
    a = info.addr
    if info.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI:
        p = a.pci
        fields = "domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'" % (
            p.domain, p.bus, p.slot, p.function)
    elif info.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE:
        fields = "controller='%d' bus='%d' unit='%d'" % (
            a.drive.controller, a.drive.bus, a.drive.unit)
    elif info.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL:
        fields = "controller='%d' bus='%d' port='%d'" % (
            a.vioserial.controller, a.vioserial.bus, a.vioserial.port)
    elif info.type == VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID:
        fields = "controller='%d' slot='%d'" % (a.ccid.controller, a.ccid.slot)
    else:
        return ""
    return "<address type='%s' %s/>" % (DEVICE_ADDRESS_NAMES[info.type], fields)


def _hostdev_source(h):
    """The ``<source>`` of a host device, from the text HostdevDef keeps."""
    if h.type == "pci":
        dom, bus, rest = h.source.split(":")
        slot, fn = rest.split(".")
        return ("<address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/>"
                % (dom, bus, slot, fn))
    if h.source.startswith("bus "):
        _, bus, _, dev = h.source.split()
        return "<address bus='%s' device='%s'/>" % (bus, dev)
    vendor, product = h.source.split(":")
    return "<vendor id='0x%s'/><product id='0x%s'/>" % (vendor, product)


def _disk(d):
    out = "<disk type='file' device='%s'><target dev=%s bus='%s'/>" % (
        DISK_DEVICE_NAMES[d.device], _a(d.dst), DISK_BUS_NAMES[d.bus])
    if d.serial is not None:
        out += "<serial>%s</serial>" % escape(d.serial)
    if d.readonly:
        out += "<readonly/>"
    if d.shared:
        out += "<shareable/>"
    return out + _address(d.info) + "</disk>"


def _net(n):
    out = "<interface type='network'><mac address='%s'/>" % ":".join("%02x" % b for b in n.mac)
    if n.model is not None:
        out += "<model type=%s/>" % _a(n.model)
    return out + _address(n.info) + "</interface>"


def _video(v):
    accel = ""
    if v.accel is not None:
        accel = "<acceleration accel3d='%s' accel2d='%s'/>" % (
            "yes" if v.accel.support3d else "no", "yes" if v.accel.support2d else "no")
    return "<video><model type='%s' vram='%d' heads='%d'>%s</model>%s</video>" % (
        VIDEO_TYPE_NAMES[v.type], v.vram, v.heads, accel, _address(v.info))


def _timer(t):
    out = "<timer name='%s'" % TIMER_NAME_NAMES[t.name]
    if t.present != -1:
        out += " present='%s'" % ("yes" if t.present else "no")
    if t.frequency:
        out += " frequency='%d'" % t.frequency
    if t.mode != -1:
        out += " mode='%s'" % TIMER_MODE_NAMES[t.mode]
    return out + "/>"


def _graphics(g):
    out = "<graphics type='%s' port='%d' tlsPort='%d'" % (g.type, g.port, g.tlsPort)
    if g.autoport:
        out += " autoport='yes'"
    if g.listen is not None:
        out += " listen=%s" % _a(g.listen)
    return out + "/>"


def domain_children(def_):
    """The children of ``<domain>`` as text: ``(elements before <devices>, the devices)``."""
    vcpu = "<vcpu>%d</vcpu>" % def_.maxvcpus
    if def_.vcpus != def_.maxvcpus:
        vcpu = "<vcpu current='%d'>%d</vcpu>" % (def_.vcpus, def_.maxvcpus)
    head = ["<name>%s</name>" % escape(def_.name or "<null>"), "<uuid>%s</uuid>" % def_.uuid,
            "<memory>%d</memory>" % def_.memory,
            "<currentMemory>%d</currentMemory>" % def_.cur_balloon, vcpu,
            "<os><type arch=%s machine=%s>%s</type>%s</os>" % (
                _a(def_.os_arch), _a(def_.os_machine), escape(def_.os_type),
                "<smbios mode='%s'/>" % SMBIOS_MODE_NAMES[def_.os_smbios_mode]
                if def_.os_smbios_mode else "")]
    features = "".join("<%s/>" % name for bit, name in enumerate(DOMAIN_FEATURE_NAMES)
                       if def_.features & (1 << bit))
    if features:
        head.append("<features>%s</features>" % features)
    if def_.timers:
        head.append("<clock offset='utc'>%s</clock>" % "".join(_timer(t) for t in def_.timers))
    devices = [_disk(d) for d in def_.disks]
    devices += [_net(n) for n in def_.nets]
    devices += ["<input type='%s' bus='usb'/>" % INPUT_TYPE_NAMES[i.type]
                for i in def_.inputs if i.bus == _USB_INPUT_BUS]
    if def_.graphics:
        devices.append("<input type='mouse' bus='ps2'/>")
    devices += [_graphics(g) for g in def_.graphics]
    devices += ["<sound model='%s'>%s</sound>" % (SOUND_MODEL_NAMES[s.model], _address(s.info))
                for s in def_.sounds]
    devices += [_video(v) for v in def_.videos]
    devices += ["<hostdev mode='%s' type='%s'><source>%s</source>%s</hostdev>" % (
        h.mode, h.type, _hostdev_source(h), _address(h.info)) for h in def_.hostdevs]
    if def_.watchdog is not None:
        devices.append("<watchdog model='%s'>%s</watchdog>" % (
            WATCHDOG_MODEL_NAMES[def_.watchdog.model], _address(def_.watchdog.info)))
    if def_.memballoon is not None:
        devices.append("<memballoon model='%s'>%s</memballoon>" % (
            MEMBALLOON_MODEL_NAMES[def_.memballoon.model], _address(def_.memballoon.info)))
    return head, devices


def domain_xml(def_):
    """``<domain ...>...</domain>`` of a definition, on one line."""
    head, devices = domain_children(def_)
    return "<domain type='%s' id='%d'>%s<devices>%s</devices></domain>" % (
        def_.virtType, def_.id, "".join(head), "".join(devices))
