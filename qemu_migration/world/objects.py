"""The driver and domain state the ported functions read and write.

These mirror the upstream structs field for field where the ported code touches
them (``struct qemud_driver``, ``virDomainObj``, ``virDomainDef``,
``qemuDomainObjPrivate`` with its ``struct qemuDomainJobObj``), and no further.
Field names follow upstream so that ``vm.privateData.job.asyncJob`` reads like
``vm->privateData->job.asyncJob``; ``def`` is a Python keyword, so it is
``def_``.  What C would free is marked, not destroyed: a ``virDomainObj`` whose
last reference went away has ``freed`` set, and touching it is recorded.

``copy()`` on the driver, a domain object or a definition gives an object in the
same state that shares nothing a run can change with the original: the case
enumeration builds each starting state once and runs every case on a copy.
Host device and snapshot definitions and events are shared (nothing changes
them); so are a copied domain object's device lists (no run changes one in place:
``DEVICE_LISTS``), while a definition's own ``copy`` copies them, and its snapshot
list and the driver's event state (no run changes either).  Each ``copy`` is made from the class's fields (``_copier``): a new object
whose fields are set one by one, in the order the constructor sets them (so that
the copies keep CPython's compact attribute storage), a list, dict or set field
copied, another field shared unless ``_copier`` is told how to copy it (a definition,
whose 34 fields give it a dict of its own anyway, copies that dict: ``_dict_copier``).  That is
cheaper than calling the constructor (a run copies a driver, a domain object and
a definition: 3.3 µs instead of 5.3), and a field added later is copied by the
same rule; tests/test_world_copy.py fails if a field is left out or a container
shared.  A domain object's private data, its job and its monitor, and the driver, keep
their fields in slots (a run makes one of each; the loader adds attributes of its own
to a domain object, which therefore has none).
"""
from dataclasses import dataclass, field, fields
from typing import List, Optional

from .constants import (DEFAULT_JOB_MASK, EVENT_NAMES, QEMU_ASYNC_JOB_NONE, QEMU_JOB_NONE,
                        VIR_DOMAIN_JOB_NONE, VIR_DOMAIN_SHUTOFF)


# --- devices, as virDomainDefCheckABIStability (domain_conf.c:7477-8111 @ e2fb96d9)
# reads them.  Each is frozen: nothing changes a device once parsed, so copies of a
# definition share them.  Enums are upstream's numbers (world/constants.py's tables).

@dataclass(frozen=True)
class PCIAddress:
    domain: int = 0
    bus: int = 0
    slot: int = 0
    function: int = 0


@dataclass(frozen=True)
class DriveAddress:
    controller: int = 0
    bus: int = 0
    unit: int = 0


@dataclass(frozen=True)
class VioserialAddress:
    controller: int = 0
    bus: int = 0
    port: int = 0


@dataclass(frozen=True)
class CcidAddress:
    controller: int = 0
    slot: int = 0


@dataclass(frozen=True)
class DeviceAddr:
    """The union ``virDomainDeviceInfo.addr``: only the member ``type`` names is set."""
    pci: PCIAddress = PCIAddress()
    drive: DriveAddress = DriveAddress()
    vioserial: VioserialAddress = VioserialAddress()
    ccid: CcidAddress = CcidAddress()


@dataclass(frozen=True)
class DeviceInfo:
    """virDomainDeviceInfo: the address type (VIR_DOMAIN_DEVICE_ADDRESS_TYPE_*) and address."""
    type: int = 0
    addr: DeviceAddr = DeviceAddr()


NO_INFO = DeviceInfo()


@dataclass(frozen=True)
class HostdevDef:
    mode: str          # "subsystem" (the only mode of that era), by name
    type: str          # "pci" or "usb" (source.subsys.type), by name
    source: str        # the address or vendor:product, for people to read
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class TimerDef:
    """virDomainTimerDef: name, present (-1 unspecified, 0 no, 1 yes), TSC frequency and
    mode (-1 unspecified)."""
    name: int
    present: int = -1
    frequency: int = 0
    mode: int = -1


@dataclass(frozen=True)
class DiskDef:
    device: int
    bus: int
    dst: str
    serial: Optional[str] = None
    readonly: int = 0
    shared: int = 0
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class ControllerDef:
    type: int
    idx: int = 0
    model: int = -1
    ports: int = -1    # opts.vioserial.ports
    vectors: int = -1  # opts.vioserial.vectors
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class FSDef:
    dst: str
    readonly: int = 0
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class NetDef:
    mac: bytes         # VIR_MAC_BUFLEN (6) bytes
    model: Optional[str] = None
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class InputDef:
    type: int
    bus: int
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class SoundDef:
    model: int
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class VideoAccelDef:
    support2d: int = 0
    support3d: int = 0


@dataclass(frozen=True)
class VideoDef:
    type: int
    vram: int = 0
    heads: int = 1
    accel: Optional[VideoAccelDef] = None
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class SmartcardDef:
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class ChrDef:
    """virDomainChrDef as the serial, parallel, channel and console checks read it:
    ``targetType``, ``target.port`` / ``target.name`` / ``target.addr`` (a guestfwd
    address, kept as the bytes of its sockaddr) and the device info."""
    targetType: int = 0
    port: int = 0
    name: Optional[str] = None
    addr: Optional[bytes] = None
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class HubDef:
    type: int = 0
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class WatchdogDef:
    model: int
    info: DeviceInfo = NO_INFO


@dataclass(frozen=True)
class MemballoonDef:
    model: int
    info: DeviceInfo = NO_INFO


@dataclass
class GraphicsDef:
    """virDomainGraphicsDef: the type, and for VNC and SPICE what a migration cookie
    carries (``data.vnc.port`` / ``data.spice.port``, ``tlsPort``, the first listen
    address) and whether qemuProcessStart picks the port (``autoport``)."""
    type: str          # "sdl", "vnc", "rdp", "desktop", "spice"
    port: int = 0
    tlsPort: int = 0
    listen: Optional[str] = None
    autoport: bool = False

    def __str__(self):
        return self.type


@dataclass
class DomainDef:
    """virDomainDef: the parts the ported code and its stubs look at."""
    virtType: str
    name: Optional[str]
    uuid: str
    id: int = -1
    memory: int = 0
    vcpus: int = 1
    maxvcpus: int = 1  # <vcpu>'s value; vcpus is its current attribute (or the same)
    hostdevs: List[HostdevDef] = field(default_factory=list)
    graphics: List[GraphicsDef] = field(default_factory=list)
    source: str = ""   # the file it was loaded from, for messages
    # what virDomainDefCheckABIStability reads besides the above (port/abi.py)
    os_type: str = "hvm"
    os_arch: str = "x86_64"
    os_machine: Optional[str] = "pc"
    os_smbios_mode: int = 0
    features: int = 0
    timers: List[TimerDef] = field(default_factory=list)      # clock.timers
    cpu: Optional[object] = None       # <cpu> and <sysinfo> are not modelled: always NULL
    sysinfo: Optional[object] = None
    disks: List[DiskDef] = field(default_factory=list)
    controllers: List[ControllerDef] = field(default_factory=list)
    fss: List[FSDef] = field(default_factory=list)
    nets: List[NetDef] = field(default_factory=list)
    inputs: List[InputDef] = field(default_factory=list)
    sounds: List[SoundDef] = field(default_factory=list)
    videos: List[VideoDef] = field(default_factory=list)
    smartcards: List[SmartcardDef] = field(default_factory=list)
    serials: List[ChrDef] = field(default_factory=list)
    parallels: List[ChrDef] = field(default_factory=list)
    channels: List[ChrDef] = field(default_factory=list)
    console: Optional[ChrDef] = None
    hubs: List[HubDef] = field(default_factory=list)
    watchdog: Optional[WatchdogDef] = None
    # the virtio balloon virDomainDefParseXML gives every qemu and kvm guest without one
    memballoon: Optional[MemballoonDef] = MemballoonDef(0)
    cur_balloon: Optional[int] = None   # def->mem.cur_balloon (KiB); None: as ``memory``

    def __post_init__(self):
        if self.cur_balloon is None:
            self.cur_balloon = self.memory

    @property
    def nhostdevs(self):
        return len(self.hostdevs)

    @property
    def max_balloon(self):
        """def->mem.max_balloon: ``<memory>``."""
        return self.memory


@dataclass
class SnapshotDef:
    name: str
    parent: Optional[str] = None
    state: str = "running"
    creationTime: int = 0
    source: str = ""


@dataclass
class SnapshotObjList:
    """virDomainSnapshotObjList: a hash of snapshots keyed by name."""
    objs: dict = field(default_factory=dict)


@dataclass(slots=True)
class JobObj:
    """struct qemuDomainJobObj, less the condition variables."""
    active: int = QEMU_JOB_NONE
    asyncJob: int = QEMU_ASYNC_JOB_NONE
    phase: int = 0
    mask: int = DEFAULT_JOB_MASK
    start: int = 0
    info_type: int = VIR_DOMAIN_JOB_NONE   # job.info.type; the rest of info is unused


@dataclass(slots=True)
class QemuMonitor:
    """qemuMonitor: the monitor of a running guest's QEMU, as the monitor stubs are handed
    it (``priv->mon``), named "qemuMonitor" in a trace.  ``balloon``: the balloon's size
    (KiB) QEMU reports ("info balloon" / query-balloon "actual") when the guest's balloon
    driver is loaded; None when it is not, and QEMU answers that no balloon is active."""
    balloon: Optional[int] = None


@dataclass(slots=True)
class DomainObjPrivate:
    """qemuDomainObjPrivate: the job and the lock state the ported code touches, and the
    monitor the monitor stubs are handed."""
    job: JobObj = field(default_factory=JobObj)
    lockState: Optional[str] = None
    mon: QemuMonitor = field(default_factory=QemuMonitor)


@dataclass
class DomainObj:
    """virDomainObj."""
    def_: DomainDef
    persistent: bool = False
    refs: int = 1
    locked: bool = False
    state: int = VIR_DOMAIN_SHUTOFF
    reason: int = 0
    privateData: DomainObjPrivate = field(default_factory=DomainObjPrivate)
    snapshots: SnapshotObjList = field(default_factory=SnapshotObjList)
    newDef: Optional[DomainDef] = None
    freed: bool = False
    autodestroy: bool = False   # for the loader's report only; the driver holds the truth
    pid: int = 0                # vm->pid, what qemudGetProcessInfo is handed


@dataclass
class Event:
    type: int
    detail: int
    domain: str

    def as_dict(self):
        return {"type": EVENT_NAMES.get(self.type, str(self.type)), "detail": self.detail,
                "domain": self.domain}


class StartedElsewhere:
    """The connection that started a domain loaded from a fixture (or made by a case) with
    auto-destroy: a client's connection the run does not model, so no close of a
    connection of the run matches it (qemuProcessAutoDestroyDom compares the pointers)."""
    __slots__ = ()

    def __repr__(self):
        return "<connection of another client>"


STARTED_ELSEWHERE = StartedElsewhere()


@dataclass
class DomainEventState:
    """virDomainEventState (domain_event.h): here only its ``callbacks`` list, which no
    party of this world registers to (virDomainEventCallbackListRemoveConn reads it)."""
    callbacks: list = field(default_factory=list)


@dataclass(slots=True)
class Driver:
    """struct qemud_driver: the domain list, the auto-destroy table, the event queue."""
    domains: dict = field(default_factory=dict)       # uuid -> DomainObj (driver->domains)
    # driver->autodestroy (virHashTable): uuid -> the connection that started the domain
    # (qemuProcessAutoDestroyAdd's payload; STARTED_ELSEWHERE for a loaded domain)
    autodestroy: dict = field(default_factory=dict)
    events: List[Event] = field(default_factory=list)  # queued by qemuDomainEventQueue
    locked: bool = True
    hostname: str = "dest.example.org"
    hostuuid: str = "3f6c2b1a-7d8e-4c90-b1a2-c3d4e5f60718"   # what virGetHostUUID gives
    lockManager: str = "nop"          # the lock manager plugin's name (lock_manager.c)
    vncListen: str = "127.0.0.1"
    spiceListen: str = "127.0.0.1"
    vncTLS: bool = False
    spiceTLS: bool = False
    vncTLSx509certdir: str = "/etc/pki/libvirt-vnc"
    spiceTLSx509certdir: str = "/etc/pki/libvirt-spice"
    nextvmid: int = 1
    caps: object = "caps"
    configDir: str = "/etc/libvirt/qemu"
    autostartDir: str = "/etc/libvirt/qemu/autostart"
    stateDir: str = "/var/run/libvirt/qemu"
    deleted_configs: List[str] = field(default_factory=list)
    saved_status: List[str] = field(default_factory=list)
    saved_configs: List[str] = field(default_factory=list)   # virDomainSaveConfig's
    # driver->reservedVNCPorts: the display ports qemuProcessStart took and Stop gave back
    reservedVNCPorts: set = field(default_factory=set)
    domainEventState: DomainEventState = field(default_factory=DomainEventState)

    def find_by_name(self, name):
        for vm in self.domains.values():
            if vm.def_.name == name:
                return vm
        return None


class Ptr:
    """An out-parameter: ``char **cookieout`` becomes a Ptr whose ``value`` the callee sets."""
    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value

    def __repr__(self):
        return "Ptr(%r)" % (self.value,)


class OutParam(Ptr):
    """An entry point's out-parameter, named: a trace shows a stub handed it as
    ``&cookieout``, and any other Ptr (a local of the ported code) as ``&local``."""
    __slots__ = ("role",)

    def __init__(self, role, value=None):
        self.value = value      # Ptr's, set here: a run makes about two (no super() call)
        self.role = role


# --- copies ---------------------------------------------------------------------------------

def _container(annotation):
    kind = getattr(annotation, "__origin__", annotation)
    return kind.__name__ if kind in (list, dict, set) else None


# how a copy copies a container field: the cheapest spelling of a shallow copy of each
# (no global's lookup and call of the type; the same plain container as ``list(x)``,
# ``dict(x)``, ``set(x)`` give)
_COPY_CONTAINER = {"list": "[*%s]", "dict": "%s.copy()", "set": "%s.copy()"}


def _copy_lines(cls, src, dst, special, inline, scope):
    """The lines that make ``dst`` a copy of ``src`` (a ``cls``): every field set in
    order; a list, dict or set copied (shallow), a field of ``special`` as its expression
    (on ``self``) says, a field of ``inline`` (name -> its class and that class's own
    ``inline``) made here by the same rule, field by field, instead of by a call of its
    class's ``copy``; any other shared.  An expression may be preceded by statements,
    one per line, that compute it."""
    scope["_cls_" + cls.__name__] = cls
    lines = ["    %s = _new(_cls_%s)" % (dst, cls.__name__)]
    for f in fields(cls):
        how = special.get(f.name)
        if f.name in inline:
            sub, sub_inline = inline[f.name]
            sub_src, how = "%s_%s" % (src, f.name), "%s_%s" % (dst, f.name)
            lines.append("    %s = %s.%s" % (sub_src, src, f.name))
            lines += _copy_lines(sub, sub_src, how, {}, sub_inline, scope)
        elif how is None:
            kind = _container(f.type)
            how = _COPY_CONTAINER[kind] % (src + "." + f.name) if kind else src + "." + f.name
        *before, how = how.split("\n")
        lines.extend("    " + line for line in before)
        lines.append("    %s.%s = %s" % (dst, f.name, how))
    return lines


def _copier(cls, special=None, inline=None, names=None):
    """``cls.copy``: a new ``cls`` with every field of ``self``, as ``_copy_lines`` says
    (``names``: what else its expressions name)."""
    scope = dict(names or {}, _new=object.__new__)
    lines = (["def copy(self):"] + _copy_lines(cls, "self", "n", special or {}, inline or {},
                                                scope) + ["    return n"])
    exec(compile("\n".join(lines) + "\n", "<%s.copy>" % cls.__name__, "exec"), scope)
    return scope["copy"]


# (a domain object's private data, with its job and monitor, made in the domain object's
# own copy: they have no copy of their own, as nothing else copies them)
_PRIVATE_INLINE = {"job": (JobObj, {}), "mon": (QemuMonitor, {})}


def _dict_copier(cls, shared=()):
    """``cls.copy`` for a class whose instances hold their attributes in a dict of their
    own (``__dict__``): a new ``cls`` given a copy of that dict, each list, dict or set
    field copied (shallow) but those named in ``shared``, every other value shared.

    For ``DomainDef`` only.  CPython (3.11) keeps an instance's attributes inline, without
    a dict, up to 30 of them per class; ``DomainDef`` has more (34 fields), so every
    definition, however made, puts its attributes in a dict of its own as the 31st is
    set, and the ported code reads them from that dict either way.  Copying the dict
    whole (``dict.copy`` of a dict of strings is a copy of its table) is then about
    half the cost of setting each field, which made that dict one key at a time (with
    its resizes); the copy reads as the original does.  (For a class whose instances
    keep their attributes inline, the field-by-field ``_copier`` is the one: a dict set
    on them would slow every read of them, as the second speed round found.)
    """
    lines = ["def copy(self):", "    n = _new(_cls)", "    d = self.__dict__.copy()"]
    for f in fields(cls):
        kind = _container(f.type)
        if kind and f.name not in shared:
            item = "d[%r]" % f.name
            lines.append("    %s = %s" % (item, _COPY_CONTAINER[kind] % item))
    lines += ["    n.__dict__ = d", "    return n"]
    scope = {"_new": object.__new__, "_cls": cls}
    exec(compile("\n".join(lines) + "\n", "<%s.copy>" % cls.__name__, "exec"), scope)
    return scope["copy"]


# the device lists are copied, the (frozen) devices shared (a balloon size is never None
# once made: __post_init__ sets it, and a copy takes it from a made definition)
DomainDef.copy = _dict_copier(DomainDef)
# A domain object's copy (a world's copy: a run's) shares its definitions' device lists:
# no run changes one in place (a stub that changes the devices sets a new list:
# qemuProcessStart's display port, stubs.py), so only ``DomainDef.copy``, which the
# loader and the stubs use and whose callers may append, copies them.
# tests/test_world_copy.py holds the runs of every case to it.
DEVICE_LISTS = tuple(f.name for f in fields(DomainDef) if _container(f.type) == "list")
DomainDef.run_copy = _dict_copier(DomainDef, DEVICE_LISTS)
# So does it share its snapshot list, and a driver's copy its event state (their dict and
# list): no stub or ported function changes either (the snapshots are counted, the event
# callbacks never registered); tests/test_world_copy.py holds the runs to that too.
DomainObj.copy = _copier(DomainObj, {
    # (its definition's run_copy, written out: a call the less)
    "def_": "d = _new(_DomainDef)\nd.__dict__ = self.def_.__dict__.copy()\nd",
    "snapshots": "self.snapshots",
    "newDef": "None if self.newDef is None else self.newDef.run_copy()"},
    inline={"privateData": (DomainObjPrivate, _PRIVATE_INLINE)}, names={"_DomainDef": DomainDef})
Driver.copy = _copier(Driver, {
    # (a loop, not a comprehension: that would be a function made and called per copy)
    "domains": "domains = {}\nfor uuid, vm in self.domains.items(): domains[uuid] = vm.copy()\n"
               "domains",
    "domainEventState": "self.domainEventState"})
