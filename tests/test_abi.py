"""virDomainDefCheckABIStability, ported (port/abi.py): every refusal of it and of its
per-device helpers with upstream's message, the order they are checked in, what it never
compares, the trace, and the definitions the loader and the format stubs make for it."""
import dataclasses
from dataclasses import replace

import pytest

from conftest import make_world, misspelt_gotos
from qemu_migration.loader.domain import load_domain, parse_domain_text
from qemu_migration.loader.devices import disk_name_to_index
from qemu_migration.loader.errors import LoadError
from qemu_migration.port import ABI_CHECK
from qemu_migration.port import abi as A
from qemu_migration.world import stubs
from qemu_migration.world.objects import (CcidAddress, ChrDef, ControllerDef, DeviceAddr,
                                          DeviceInfo, DiskDef, DomainDef, DriveAddress, FSDef,
                                          GraphicsDef, HostdevDef, HubDef, InputDef,
                                          MemballoonDef, NetDef, PCIAddress, SmartcardDef,
                                          SoundDef, TimerDef, VideoAccelDef, VideoDef,
                                          VioserialAddress, WatchdogDef)
from qemu_migration.world.runtime import NoSuchLabel

UUID = "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a"
MAC = b"\x52\x54\x00\x3a\x10\x01"


def pci(slot):
    return DeviceInfo(1, DeviceAddr(pci=PCIAddress(0, 0, slot, 0)))


def drive(unit):
    return DeviceInfo(2, DeviceAddr(drive=DriveAddress(0, 0, unit)))


def vioserial(port):
    return DeviceInfo(3, DeviceAddr(vioserial=VioserialAddress(0, 0, port)))


def ccid(slot):
    return DeviceInfo(4, DeviceAddr(ccid=CcidAddress(0, slot)))


def full_def():
    """A definition with one of everything the check reads, each device addressed."""
    return DomainDef(
        "kvm", "web1", UUID, vcpus=2, maxvcpus=4, os_machine="pc-0.14", os_smbios_mode=1,
        features=3, timers=[TimerDef(2, 1), TimerDef(4, 1, 1000000, 1)],
        disks=[DiskDef(0, 0, "hda", "SER1", 0, 0, drive(0))],
        controllers=[ControllerDef(4, 0, -1, 8, 4, pci(5))],
        fss=[FSDef("/export", 0, pci(6))],
        nets=[NetDef(MAC, "virtio", pci(3))],
        inputs=[InputDef(1, 1)],
        sounds=[SoundDef(3, pci(7))],
        videos=[VideoDef(0, 16384, 1, VideoAccelDef(1, 0), pci(2))],
        hostdevs=[HostdevDef("subsystem", "pci", "0000:06:00.0", pci(8))],
        smartcards=[SmartcardDef(ccid(0))],
        serials=[ChrDef(port=0)], parallels=[ChrDef(port=0)],
        channels=[ChrDef(1, name="org.example.agent", info=vioserial(1)),
                  ChrDef(0, addr="10.0.2.1:4600")],
        console=ChrDef(0), hubs=[HubDef(0)], watchdog=WatchdogDef(0, pci(9)),
        memballoon=MemballoonDef(0, pci(4)))


def check(src, dst):
    w = make_world()
    with w.activate():
        ok = A.virDomainDefCheckABIStability(src, dst)
    return ok, w


def refusal(src, dst):
    ok, w = check(src, dst)
    assert ok is False and len(w.errors) == 1
    e = w.errors[0].as_dict()
    assert (e["code"], e["domain"]) == ("VIR_ERR_CONFIG_UNSUPPORTED", "VIR_FROM_DOMAIN")
    return e["message"].removeprefix("unsupported configuration: "), e["reporter"]


def first(attr, **kw):
    """dst with the first device of list ``attr`` changed."""
    def change(d):
        items = list(getattr(d, attr))
        items[0] = replace(items[0], **kw)
        return replace(d, **{attr: items})
    return change


def info(attr, new, index=0):
    def change(d):
        items = list(getattr(d, attr))
        items[index] = replace(items[index], info=new)
        return replace(d, **{attr: items})
    return change


def single(attr, **kw):
    return lambda d: replace(d, **{attr: replace(getattr(d, attr), **kw)})


def field(**kw):
    return lambda d: replace(d, **kw)


def grow(attr, item):
    return lambda d: replace(d, **{attr: list(getattr(d, attr)) + [item]})


V = "virDomain%sDefCheckABIStability"
DI = "virDomainDeviceInfoCheckABIStability"
# (id, change to dst, message, reporter), in the order upstream checks
REFUSALS = [
    ("virt", field(virtType="qemu"), "Target domain virt type qemu does not match source kvm",
     None),
    ("uuid", field(uuid="6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"),
     "Target domain uuid 6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab does not match source " + UUID,
     None),
    ("vcpus", field(vcpus=3), "Target domain vpu count 3 does not match source 2", None),
    ("maxvcpus", field(maxvcpus=8), "Target domain vpu max 8 does not match source 4", None),
    ("os-type", field(os_type="xen"), "Target domain OS type xen does not match source hvm",
     None),
    ("arch", field(os_arch="i686"),
     "Target domain architecture i686 does not match source x86_64", None),
    # upstream's message calls the machine the OS type
    ("machine", field(os_machine="pc-0.15"),
     "Target domain OS type pc-0.15 does not match source pc-0.14", None),
    ("smbios", field(os_smbios_mode=2),
     "Target domain SMBIOS mode host does not match source emulate", None),
    ("features", field(features=1), "Target domain features 1 does not match source 3", None),
    ("timer-count", field(timers=[]), "Target domain timers do not match source", None),
    ("timer-name", first("timers", name=1), "Target timer pit does not match source rtc",
     V % "Timer"),
    ("timer-present", first("timers", present=0),
     "Target timer presence 0 does not match source 1", V % "Timer"),
    ("tsc-frequency", lambda d: replace(d, timers=[d.timers[0], replace(d.timers[1],
                                                                         frequency=5)]),
     "Target TSC frequency 5 does not match source 1000000", V % "Timer"),
    ("tsc-mode", lambda d: replace(d, timers=[d.timers[0], replace(d.timers[1], mode=-1)]),
     "Target TSC mode (null) does not match source native", V % "Timer"),
    ("disk-count", field(disks=[]), "Target domain disk count 0 does not match source 1", None),
    ("disk-device", first("disks", device=1),
     "Target disk device cdrom does not match source disk", V % "Disk"),
    ("disk-bus", first("disks", bus=3), "Target disk bus virtio does not match source ide",
     V % "Disk"),
    ("disk-dst", first("disks", dst="hdb"), "Target disk hdb does not match source hda",
     V % "Disk"),
    ("disk-serial", first("disks", serial=None),
     "Target disk serial <null> does not match source SER1", V % "Disk"),
    ("disk-readonly", first("disks", readonly=1),
     "Target disk access mode does not match source", V % "Disk"),
    ("disk-shared", first("disks", shared=1),
     "Target disk access mode does not match source", V % "Disk"),
    ("address-type", info("disks", pci(1)),
     "Target device address type pci does not match source drive", DI),
    ("drive-address", info("disks", drive(1)),
     "Target device drive address 0:0:1 does not match source 0:0:0", DI),
    ("controller-count", field(controllers=[]),
     "Target domain disk controller count 0 does not match source 1", None),
    ("controller-type", first("controllers", type=2),
     "Target controller type scsi does not match source virtio-serial", V % "Controller"),
    ("controller-index", first("controllers", idx=1),
     "Target controller index 1 does not match source 0", V % "Controller"),
    ("controller-model", first("controllers", model=2),
     "Target controller model 2 does not match source -1", V % "Controller"),
    ("controller-ports", first("controllers", ports=16),
     "Target controller ports 16 does not match source 8", V % "Controller"),
    ("controller-vectors", first("controllers", vectors=2),
     "Target controller vectors 2 does not match source 4", V % "Controller"),
    ("controller-address", info("controllers", pci(15)),
     "Target device PCI address 0000:00:0f.00 does not match source 0000:00:05.00", DI),
    ("fs-count", grow("fss", FSDef("/b")),
     "Target domain filesystem count 2 does not match source 1", None),
    ("fs-dst", first("fss", dst="/other"),
     "Target filesystem guest target /other does not match source /export", V % "Fs"),
    ("fs-readonly", first("fss", readonly=1),
     "Target filesystem access mode does not match source", V % "Fs"),
    ("fs-address", info("fss", pci(16)),
     "Target device PCI address 0000:00:10.00 does not match source 0000:00:06.00", DI),
    ("net-count", field(nets=[]), "Target domain net card count 0 does not match source 1",
     None),
    # upstream's message has no blank before "does"
    ("net-mac", first("nets", mac=b"\x52\x54\x00\x3a\x10\xff"),
     "Target network card mac 52:54:00:3a:10:ffdoes not match source 52:54:00:3a:10:01",
     V % "Net"),
    ("net-model", first("nets", model=None),
     "Target network card model <null> does not match source virtio", V % "Net"),
    ("net-address", info("nets", pci(17)),
     "Target device PCI address 0000:00:11.00 does not match source 0000:00:03.00", DI),
    ("input-count", field(inputs=[]),
     "Target domain input device count 0 does not match source 1", None),
    ("input-type", first("inputs", type=0),
     "Target input device type mouse does not match source tablet", V % "Input"),
    ("input-bus", first("inputs", bus=0),
     "Target input device bus ps2 does not match source usb", V % "Input"),
    ("input-address", info("inputs", pci(18)),
     "Target device address type pci does not match source none", DI),
    ("sound-count", field(sounds=[]),
     "Target domain sound card count 0 does not match source 1", None),
    ("sound-model", first("sounds", model=4),
     "Target sound card model ich6 does not match source ac97", V % "Sound"),
    ("sound-address", info("sounds", pci(19)),
     "Target device PCI address 0000:00:13.00 does not match source 0000:00:07.00", DI),
    ("video-count", field(videos=[]),
     "Target domain video card count 0 does not match source 1", None),
    ("video-type", first("videos", type=5),
     "Target video card model qxl does not match source vga", V % "Video"),
    ("video-vram", first("videos", vram=9216),
     "Target video card vram 9216 does not match source 16384", V % "Video"),
    ("video-heads", first("videos", heads=2),
     "Target video card heads 2 does not match source 1", V % "Video"),
    ("video-accel-gone", first("videos", accel=None),
     "Target video card acceleration does not match source", V % "Video"),
    ("video-2d", first("videos", accel=VideoAccelDef(0, 0)),
     "Target video card 2d accel 0 does not match source 1", V % "Video"),
    ("video-3d", first("videos", accel=VideoAccelDef(1, 1)),
     "Target video card 3d accel 1 does not match source 0", V % "Video"),
    ("video-address", info("videos", pci(20)),
     "Target device PCI address 0000:00:14.00 does not match source 0000:00:02.00", DI),
    ("hostdev-count", field(hostdevs=[]),
     "Target domain host device count 0 does not match source 1", None),
    ("hostdev-mode", first("hostdevs", mode="capabilities"),
     "Target host device mode capabilities does not match source subsystem", V % "Hostdev"),
    ("hostdev-type", first("hostdevs", type="usb"),
     "Target host device subsystem usb does not match source pci", V % "Hostdev"),
    ("hostdev-address", info("hostdevs", pci(21)),
     "Target device PCI address 0000:00:15.00 does not match source 0000:00:08.00", DI),
    ("smartcard-count", field(smartcards=[]),
     "Target domain smartcard count 0 does not match source 1", None),
    ("ccid-address", info("smartcards", ccid(1)),
     "Target device ccid address 0:1 does not match source 0:0", DI),
    ("serial-count", field(serials=[]),
     "Target domain serial port count 0 does not match source 1", None),
    ("serial-port", first("serials", port=1), "Target serial port 1 does not match source 0",
     V % "Serial"),
    ("serial-address", info("serials", pci(22)),
     "Target device address type pci does not match source none", DI),
    ("parallel-count", field(parallels=[]),
     "Target domain parallel port count 0 does not match source 1", None),
    # upstream's message for a parallel port says serial
    ("parallel-port", first("parallels", port=1), "Target serial port 1 does not match source 0",
     V % "Parallel"),
    ("parallel-address", info("parallels", pci(23)),
     "Target device address type pci does not match source none", DI),
    ("channel-count", field(channels=[]),
     "Target domain channel count 0 does not match source 2", None),
    ("channel-type", first("channels", targetType=0),
     "Target channel type guestfwd does not match source virtio", V % "Channel"),
    ("channel-name", first("channels", name="org.example.other"),
     "Target channel name org.example.other does not match source org.example.agent",
     V % "Channel"),
    ("vioserial-address", info("channels", vioserial(2)),
     "Target device virtio serial address 0:0:2 does not match source 0:0:1", DI),
    ("channel-addr", lambda d: replace(d, channels=[d.channels[0], replace(
        d.channels[1], addr="10.0.2.9:4600")]),
     "Target channel addr 10.0.2.9:4600 does not match source 10.0.2.1:4600", V % "Channel"),
    ("channel-address", info("channels", pci(24), 1),
     "Target device address type pci does not match source none", DI),
    ("console-gone", field(console=None),
     "Target domain console count 0 does not match source 1", None),
    ("hub-count", field(hubs=[]), "Target domain hub device count 0 does not match source 1",
     None),
    ("hub-type", first("hubs", type=1), "Target hub device type (null) does not match source usb",
     V % "Hub"),
    ("hub-address", info("hubs", pci(25)),
     "Target device address type pci does not match source none", DI),
    ("console-type", single("console", targetType=3),
     "Target console type virtio does not match source serial", V % "Console"),
    ("console-address", single("console", info=pci(26)),
     "Target device address type pci does not match source none", DI),
    ("watchdog-gone", field(watchdog=None),
     "Target domain watchdog count 0 does not match source 1", None),
    ("watchdog-model", single("watchdog", model=1),
     "Target watchdog model ib700 does not match source i6300esb", V % "Watchdog"),
    ("watchdog-address", single("watchdog", info=pci(27)),
     "Target device PCI address 0000:00:1b.00 does not match source 0000:00:09.00", DI),
    ("balloon-gone", field(memballoon=None),
     "Target domain memory balloon count 0 does not match source 1", None),
    ("balloon-model", single("memballoon", model=2),
     "Target balloon model none does not match source virtio", V % "Memballoon"),
    ("balloon-address", single("memballoon", info=pci(28)),
     "Target device PCI address 0000:00:1c.00 does not match source 0000:00:04.00", DI),
]


@pytest.mark.parametrize("change,message,reporter", [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])
def test_each_difference_is_refused_with_upstreams_message(change, message, reporter):
    src = full_def()
    assert refusal(src, change(full_def())) == (message, reporter or
                                                "virDomainDefCheckABIStability")


def test_identical_definitions_pass_and_every_helper_runs_in_order():
    ok, w = check(full_def(), full_def())
    assert ok is True and w.errors == []
    called = [e.name for e in w.trace if e.depth == 1]
    assert called == (["virDomainTimerDefCheckABIStability"] * 2
                      + ["virCPUDefIsEqual", "virSysinfoIsEqual"]
                      + [V % k for k in ("Disk", "Controller", "Fs", "Net", "Input", "Sound",
                                         "Video", "Hostdev", "Smartcard", "Serial", "Parallel",
                                         "Channel", "Channel", "Hub", "Console", "Watchdog",
                                         "Memballoon")])
    # every device's own check ends in the address check
    assert sum(e.name == DI for e in w.trace) == 17


def test_a_source_without_the_optional_devices_matches_an_equal_target():
    d = replace(full_def(), console=None, watchdog=None, memballoon=None,
                videos=[VideoDef(1, 9216)], timers=[TimerDef(1)])
    assert check(d, replace(d))[0] is True


def test_the_first_difference_wins():
    # the vcpu maximum and a disk differ: the vcpus are checked first
    dst = replace(full_def(), maxvcpus=8, disks=[])
    assert refusal(full_def(), dst)[0] == "Target domain vpu max 8 does not match source 4"


def test_never_compared_memory_name_graphics_id():
    dst = replace(full_def(), memory=1 << 30, name="other", id=9,
                  graphics=[GraphicsDef("spice", 5930)])
    assert check(full_def(), dst)[0] is True


def test_a_non_tsc_timer_ignores_frequency_and_mode():
    src = replace(full_def(), timers=[TimerDef(3, 1, 10, 2)])
    assert check(src, replace(src, timers=[TimerDef(3, 1, 99, 4)]))[0] is True


def test_a_usb_address_is_compared_by_type_only():
    usb = DeviceInfo(5)
    src = replace(full_def(), inputs=[InputDef(1, 1, usb)])
    assert check(src, replace(src))[0] is True


def test_the_cpu_and_sysinfo_stubs_refuse_what_the_model_never_has():
    """Both NULL is all the model makes; a CPU or sysinfo on one side only ends the check
    (upstream reports its own error there, which the model never reaches)."""
    w = make_world()
    with w.activate():
        assert stubs.virCPUDefIsEqual(None, None) is True
        assert stubs.virSysinfoIsEqual(None, None) is True
        assert stubs.virCPUDefIsEqual("cpu", None) is False
        assert stubs.virSysinfoIsEqual(None, "sysinfo") is False
        assert A.virDomainDefCheckABIStability(full_def(), replace(full_def(), cpu="c")) is False
        assert A.virDomainDefCheckABIStability(full_def(),
                                               replace(full_def(), sysinfo="s")) is False
    assert w.errors == []


def test_enum_names_out_of_range_are_null():
    assert A.virDomainDiskBusTypeToString(8) is None and A.virDomainDiskBusTypeToString(-1) is None
    assert A.virDomainDiskBusTypeToString(7) == "sata"


@pytest.mark.parametrize("function", ABI_CHECK)
def test_dispatch_loop_refuses_unknown_label(monkeypatch, function):
    misspelt_gotos(monkeypatch, A, function)
    with pytest.raises(NoSuchLabel) as e:
        check(full_def(), full_def())
    assert (e.value.function, e.value.label) == (function, "cleanup_misspelt")


# --- what the loader and the format stubs make of it ---------------------------------------

DOMAIN = """<domain type='kvm'><name>w</name><uuid>%s</uuid><memory>1</memory>
<vcpu current='1'>2</vcpu>
<os><type arch='i686' machine='pc-0.13'>hvm</type><smbios mode='sysinfo'/></os>
<features><pae/><acpi/></features>
<clock offset='utc'><timer name='rtc' present='no'/><timer name='tsc' present='yes'
 frequency='3000000' mode='paravirt'/><timer name='hpet'/></clock>
<devices>
 <disk type='file' device='cdrom'><target dev='hdc'/><serial>CD&amp;1</serial></disk>
 <disk type='file' device='floppy'><target dev='fdb'/></disk>
 <disk type='block' device='disk'><target dev='sdj'/><shareable/><readonly/></disk>
 <disk type='file'><target dev='vda' bus='virtio'/>
  <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></disk>
 <disk type='file'><target dev='xvda'/></disk>
 <disk type='file'><target dev='hdb' bus='sata'/><address type='drive' controller='0'
  bus='0' unit='1'/></disk>
 <interface type='user'><mac address='52:54:00:00:00:0a'/><model type='rtl8139'/>
  <address type='pci' bus='0x01' slot='0x02'/></interface>
 <input type='tablet'/><input type='mouse' bus='usb'/><input type='mouse' bus='ps2'/>
 <input type='mouse'/>
 <graphics type='spice' port='5930' tlsPort='5931' listen='10.0.0.1'/>
 <sound model='es1370'><address type='pci' bus='0x00' slot='0x06'/></sound>
 <video><model type='qxl' heads='2'><acceleration accel3d='yes'/></model></video>
 <video><model vram='4096'/></video><video/>
 <hostdev mode='subsystem' type='usb'><source><address bus='2' device='3'/></source>
  <address type='virtio-serial' controller='0' bus='0' port='2'/></hostdev>
 <hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/><product id='0x2'/>
  </source><address type='ccid' controller='1' slot='2'/></hostdev>
 <hostdev type='pci'><source><address bus='0x06' slot='0x00'/></source></hostdev>
 <watchdog model='ib700'/>
 <memballoon model='none'/>
</devices></domain>""" % UUID


def test_loader_reads_what_the_check_compares(tmp_path):
    p = tmp_path / "d.xml"
    p.write_text(DOMAIN)
    d = load_domain(p)
    assert (d.os_type, d.os_arch, d.os_machine, d.os_smbios_mode, d.features) == \
        ("hvm", "i686", "pc-0.13", 3, 0b101)
    assert d.timers == [TimerDef(2, 0), TimerDef(4, 1, 3000000, 3), TimerDef(3)]
    assert [(k.device, k.bus, k.dst, k.serial, k.readonly, k.shared) for k in d.disks] == [
        (1, 0, "hdc", "CD&1", 1, 0), (2, 1, "fdb", None, 0, 0), (0, 2, "sdj", None, 1, 1),
        (0, 3, "vda", None, 0, 0), (0, 4, "xvda", None, 0, 0), (0, 7, "hdb", None, 0, 0)]
    assert [k.info for k in d.disks] == [
        DeviceInfo(2, DeviceAddr(drive=DriveAddress(0, 1, 0))),
        DeviceInfo(2, DeviceAddr(drive=DriveAddress(0, 0, 1))),
        DeviceInfo(2, DeviceAddr(drive=DriveAddress(1, 0, 2))), pci(5), DeviceInfo(),
        drive(1)]
    assert d.nets == [NetDef(b"\x52\x54\x00\x00\x00\x0a", "rtl8139",
                             DeviceInfo(1, DeviceAddr(pci=PCIAddress(0, 1, 2, 0))))]
    # the explicit PS/2 mouse goes, the implicit one (graphics) comes last
    assert d.inputs == [InputDef(1, 1), InputDef(0, 1), InputDef(0, 0)]
    assert d.sounds == [SoundDef(1, pci(6))]
    assert d.videos == [VideoDef(5, 65536, 2, VideoAccelDef(0, 1)), VideoDef(1, 4096, 1),
                        VideoDef(1, 9216, 1)]
    assert [h.info for h in d.hostdevs] == [vioserial(2), DeviceInfo(4, DeviceAddr(
        ccid=CcidAddress(1, 2))), DeviceInfo()]
    assert d.watchdog == WatchdogDef(1) and d.memballoon == MemballoonDef(2)


def test_with_graphics_and_no_video_a_cirrus_is_added():
    d = parse_domain_text("<domain type='qemu'><name>g</name><uuid>%s</uuid><memory>1</memory>"
                          "<devices><graphics type='vnc'/></devices></domain>" % UUID, "<x>")
    assert d.videos == [VideoDef(1, 9216, 1)] and d.inputs == [InputDef(0, 0)]


def test_format_stub_output_reads_back_to_the_same_definition(tmp_path):
    p = tmp_path / "d.xml"
    p.write_text(DOMAIN)
    d = load_domain(p, inactive=True)
    text = stubs.format_def(d, 0).split("-->", 1)[1]
    again = parse_domain_text(text, "<again>")
    assert dataclasses.replace(again, source=d.source) == d
    # a name with markup in it is escaped
    d.name = "a<b"
    assert "<name>a&lt;b</name>" in stubs.format_def(d, 0)


def test_the_balloon_size_and_autoport_cross_in_the_xml():
    """<currentMemory> (domain_conf.c:6355-6357, :10363 @ e2fb96d9): written always, read
    back, the memory when absent; a bad one refused in one line.  autoport: a VNC display
    without a port, or with -1, is autoport (:4464-4493), and it is written back."""
    head = "<domain type='qemu'><name>g</name><uuid>%s</uuid><memory>1024</memory>" % UUID
    d = parse_domain_text(head + "<currentMemory>512</currentMemory>"
                          "<devices><graphics type='vnc'/><graphics type='vnc' port='5905'/>"
                          "<graphics type='spice' autoport='yes'/>"
                          "<graphics type='vnc' port='-1'/></devices></domain>", "<x>")
    assert d.cur_balloon == 512 and [g.autoport for g in d.graphics] == [True, False, True, True]
    text = stubs.format_def(d, 0).split("-->", 1)[1]
    assert "<currentMemory>512</currentMemory>" in text and text.count("autoport='yes'") == 3
    again = parse_domain_text(text, "<again>")
    assert again.cur_balloon == 512 and again.graphics == d.graphics
    assert parse_domain_text(head + "</domain>", "<x>").cur_balloon == 1024
    with pytest.raises(LoadError) as e:
        parse_domain_text(head + "<currentMemory>lots</currentMemory></domain>", "<x>")
    assert "current memory (KiB) must be an integer, not 'lots'" in str(e.value)


@pytest.mark.parametrize("name,index", [
    ("hda", 0), ("hdz", 25), ("sdaa", 26), ("vdab", 27), ("hda1", 26), ("fd0", 0), ("ubd", 0),
    ("xvdc", 2), ("hdA", -1), ("nvme0", -1), ("hda1x", -1), ("hd", 0)])
def test_disk_name_to_index(name, index):
    assert disk_name_to_index(name) == index


BAD = [
    ("<os><type>linux</type></os>", "/domain/os/type",
     "no guest options available for OS type 'linux'"),
    ("<os><type arch='armv7l'>hvm</type></os>", "/domain/os/type/@arch",
     "os type 'hvm' & arch 'armv7l' combination is not supported"),
    ("<os><type>hvm</type><smbios mode='x'/></os>", "/domain/os/smbios/@mode",
     "unknown smbios mode 'x'"),
    ("<features><acpi/><nx/></features>", "/domain/features/nx", "unexpected feature nx"),
    ("<clock><timer/></clock>", "/domain/clock/timer/@name", "missing timer name"),
    ("<clock><timer name='x'/></clock>", "/domain/clock/timer/@name", "unknown timer name"),
    ("<clock><timer name='pit' present='maybe'/></clock>", "/domain/clock/timer/@present",
     "unknown timer present value 'maybe'"),
    ("<clock><timer name='tsc' frequency='-1'/></clock>", "/domain/clock/timer/@frequency",
     "timer frequency"),
    ("<clock><timer name='tsc' mode='x'/></clock>", "/domain/clock/timer/@mode",
     "unknown timer mode"),
    ("<devices><disk device='tape'><target dev='hda'/></disk></devices>",
     "/domain/devices/disk/@device", "unknown disk device 'tape'"),
    ("<devices><disk/></devices>", "/domain/devices/disk/target/@dev", "disk has no target"),
    ("<devices><disk><target/></disk></devices>", "/domain/devices/disk/target/@dev",
     "disk has no target"),
    ("<devices><disk device='floppy'><target dev='hda'/></disk></devices>",
     "/domain/devices/disk/target/@dev", "Invalid floppy device name: hda"),
    ("<devices><disk><target dev='nvme0n1'/></disk></devices>",
     "/domain/devices/disk/target/@dev", "Invalid harddisk device name: nvme0n1"),
    ("<devices><disk><target dev='hda' bus='pata'/></disk></devices>",
     "/domain/devices/disk/target/@bus", "unknown disk bus type 'pata'"),
    ("<devices><disk device='floppy'><target dev='fda' bus='ide'/></disk></devices>",
     "/domain/devices/disk/target/@bus", "Invalid bus type 'ide' for floppy disk"),
    ("<devices><disk><target dev='hda' bus='fdc'/></disk></devices>",
     "/domain/devices/disk/target/@bus", "Invalid bus type 'fdc' for disk"),
    ("<devices><disk><target dev='hdA'/></disk></devices>", "/domain/devices/disk/target/@dev",
     "cannot give disk 'hdA' a drive address"),
    ("<devices><disk><target dev='vda'/><address/></disk></devices>",
     "/domain/devices/disk/address/@type", "No type specified for device address"),
    ("<devices><disk><target dev='vda'/><address type='isa'/></disk></devices>",
     "/domain/devices/disk/address/@type", "unknown address type 'isa'"),
    ("<devices><disk><target dev='vda'/><address type='usb'/></disk></devices>",
     "/domain/devices/disk/address/@type", "address type 'usb' is not supported here"),
    ("<devices><disk><target dev='vda'/><address type='pci' slot='0x20'/></disk></devices>",
     "/domain/devices/disk/address/@slot", "pci address slot 0x20 is out of range"),
    ("<devices><disk><target dev='vda'/><address type='pci' function='1'/></disk></devices>",
     "/domain/devices/disk/address", "Insufficient specification for PCI address"),
    ("<devices><disk><target dev='hda'/><address type='drive' unit='x'/></disk></devices>",
     "/domain/devices/disk/address/@unit", "drive address unit"),
    ("<devices><interface type='user'/></devices>", "/domain/devices/interface/mac/@address",
     "interface has no <mac address=>"),
    ("<devices><interface type='user'><mac/></interface></devices>",
     "/domain/devices/interface/mac/@address", "interface has no <mac address=>"),
    ("<devices><interface type='user'><mac address='52:54:00:00:00'/></interface></devices>",
     "/domain/devices/interface/mac/@address", "unable to parse mac address"),
    ("<devices><input/></devices>", "/domain/devices/input/@type", "missing input device type"),
    ("<devices><input type='pen'/></devices>", "/domain/devices/input/@type",
     "unknown input device type 'pen'"),
    ("<devices><input type='mouse' bus='serial'/></devices>", "/domain/devices/input/@bus",
     "unknown input bus type 'serial'"),
    ("<devices><input type='tablet' bus='ps2'/></devices>", "/domain/devices/input/@bus",
     "ps2 bus does not support tablet input device"),
    ("<devices><input type='mouse' bus='xen'/></devices>", "/domain/devices/input/@bus",
     "unsupported input bus xen"),
    ("<devices><sound/></devices>", "/domain/devices/sound/@model", "missing sound model"),
    ("<devices><sound model='gus'/></devices>", "/domain/devices/sound/@model",
     "unknown sound model 'gus'"),
    ("<devices><video><model type='svga'/></video></devices>",
     "/domain/devices/video/model/@type", "unknown video model 'svga'"),
    ("<devices><video><model heads='-1'/></video></devices>",
     "/domain/devices/video/model/@heads", "video heads"),
    ("<devices><watchdog model='i6300esb'/><watchdog model='ib700'/></devices>",
     "/domain/devices/watchdog[2]", "only a single watchdog device is supported"),
    ("<devices><watchdog/></devices>", "/domain/devices/watchdog/@model",
     "missing watchdog model"),
    ("<devices><memballoon model='virtio'/><memballoon model='none'/></devices>",
     "/domain/devices/memballoon[2]", "only a single memory balloon device is supported"),
    ("<devices><hostdev type='pci'><source><address bus='1'/></source>"
     "<address type='pci'/></hostdev></devices>", "/domain/devices/hostdev/address",
     "Insufficient specification for PCI address"),
]


@pytest.mark.parametrize("inner,element,problem", BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_loader_refuses_what_upstream_refuses(tmp_path, inner, element, problem):
    p = tmp_path / "bad.xml"
    p.write_text("<domain type='kvm'><name>b</name><uuid>%s</uuid><memory>1</memory>%s"
                 "</domain>" % (UUID, inner))
    with pytest.raises(LoadError) as e:
        load_domain(p)
    assert e.value.element == element and problem in e.value.problem


def test_video_acceleration_with_neither_attribute_is_none():
    d = parse_domain_text("<domain type='kvm'><name>v</name><uuid>%s</uuid><memory>1</memory>"
                          "<devices><video><model type='vga'><acceleration/></model></video>"
                          "</devices></domain>" % UUID, "<x>")
    assert d.videos == [VideoDef(0, 9216, 1)]


def test_checks_that_only_some_kinds_have():
    """Only a virtio-serial controller has ports and vectors, only a subsystem host device
    a subsystem type, only a virtio or guestfwd channel a name or address to compare."""
    src = replace(full_def(), controllers=[ControllerDef(0, 0, -1, 8, 4)],
                  hostdevs=[HostdevDef("capabilities", "pci", "x")],
                  channels=[ChrDef(5, name="a", addr="b")])
    dst = replace(src, controllers=[ControllerDef(0, 0, -1, 16, 2)],
                  hostdevs=[HostdevDef("capabilities", "usb", "y")],
                  channels=[ChrDef(5, name="c", addr="d")])
    assert check(src, dst)[0] is True


def test_format_without_listen_or_balloon_and_a_bare_tsc():
    d = parse_domain_text("<domain type='kvm'><name>t</name><uuid>%s</uuid><memory>1</memory>"
                          "<clock><timer name='tsc'/></clock><devices><graphics type='sdl'/>"
                          "</devices></domain>" % UUID, "<x>")
    assert d.timers == [TimerDef(4)]
    d.memballoon = None
    text = stubs.format_def(d, 0)
    assert "<graphics type='sdl' port='0' tlsPort='0'/>" in text and "memballoon" not in text
    assert "<timer name='tsc'/>" in text


def test_format_of_a_bare_definition():
    text = stubs.format_def(DomainDef("kvm", "m", UUID, nets=[NetDef(MAC)]), 0)
    assert "<clock" not in text and "<input" not in text and "<features" not in text
    assert "<interface type='network'><mac address='52:54:00:3a:10:01'/></interface>" in text


@pytest.mark.parametrize("info,message", [
    (DeviceInfo(1, DeviceAddr(pci=PCIAddress(1, 0, 3, 0))),
     "Target device PCI address 0001:00:03.00 does not match source 0000:00:03.00"),
    (DeviceInfo(2, DeviceAddr(drive=DriveAddress(1, 0, 0))),
     "Target device drive address 1:0:0 does not match source 0:0:0"),
    (DeviceInfo(3, DeviceAddr(vioserial=VioserialAddress(1, 0, 1))),
     "Target device virtio serial address 1:0:1 does not match source 0:0:1"),
], ids=["pci-domain", "drive-controller", "vioserial-controller"])
def test_an_address_differing_in_its_first_part_alone_is_refused(info, message):
    """Each part of an address is compared on its own (L7536, L7551, L7565): the first
    one differing alone is enough."""
    src = full_def()
    dst = full_def()
    where = {1: "nets", 2: "disks", 3: "channels"}[info.type]
    getattr(dst, where)[0] = replace(getattr(dst, where)[0], info=info)
    assert refusal(src, dst) == (message, DI)


@pytest.mark.parametrize("attr,what", [("console", "console"), ("watchdog", "watchdog"),
                                       ("memballoon", "memory balloon")])
def test_an_optional_device_only_the_target_has_is_refused(attr, what):
    """The counts printed are the target's 1 and the source's 0 (L8338, L8361, L8373)."""
    src = replace(full_def(), **{attr: None})
    assert refusal(src, full_def()) == (
        "Target domain %s count 1 does not match source 0" % what,
        "virDomainDefCheckABIStability")


def test_a_socket_address_is_formatted_with_or_without_its_port():
    """virSocketFormatAddrFull: the service (port) only when asked for (util/network.c)."""
    assert A.virSocketFormatAddrFull("10.0.2.1:4600", True, ":") == "10.0.2.1:4600"
    assert A.virSocketFormatAddrFull("10.0.2.1:4600", False, ":") == "10.0.2.1"
