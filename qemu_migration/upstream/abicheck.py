"""Upstream's virDomainDefCheckABIStability, compiled on its own, for the differential test.

The migration builds (build.py) call back into the Python port of the check
(port/abi.py), as they do for the cookie: compiling the real one there would
put its ~300 lines under ``compare --coverage``, whose case space does not
reach most of them.  Instead this builds the 19 functions of domain_conf.c
(port.ABI_CHECK, at e2fb96d9) against the same stub headers, with
``QMC_ABI_CHECK_COMPILED`` so that stubs.h leaves its forwarder out, and
``load(src)`` gives them with the port's interface: ``impl.virDomainDefCheckABIStability(src, dst)``
inside ``world.activate()`` runs the C on C copies of two definitions, the
whole device model of world/objects.py copied in (``AbiDefB``).  Its errors,
trace (the 19 functions by -finstrument-functions, virCPUDefIsEqual and
virSysinfoIsEqual as recorded stubs) and return are the world's, as the port's
are; tests/test_abi_c.py runs both on generated definitions and compares them.
"""
from typing import Dict

from ..loader.domain import HOSTDEV_MODES, VIRT_TYPES
from ..port import ABI_CHECK, CONF_C
from ..port import abi as port_abi
from . import build as B
from . import extract as X
from . import impl as I

HOSTDEV_SUBSYS = ["usb", "pci"]          # virDomainHostdevSubsys, upstream's order
ABI_FLAGS = ["-DQMC_ABI_CHECK_COMPILED"]
ENTRY = "virDomainDefCheckABIStability"


def abi_spec(src: str, commit: str = X.POST) -> B.BuildSpec:
    text = X.read_source(src, commit, CONF_C)
    funcs = X.extract_functions(text, ABI_CHECK, CONF_C, commit)
    return B.BuildSpec("abi", funcs, {ENTRY: B.Signature.of("bool(virDomainDefPtr, "
                                                            "virDomainDefPtr)")},
                       list(ABI_CHECK), commit=commit, extra_flags=ABI_FLAGS)


# --- a definition's devices into C ---------------------------------------------------------

_ADDRESS_MEMBERS = {1: ("pci", ("domain", "bus", "slot", "function")),
                    2: ("drive", ("controller", "bus", "unit")),
                    3: ("vioserial", ("controller", "bus", "port")),
                    4: ("ccid", ("controller", "slot"))}


def _info(c, info):
    """virDomainDeviceInfo: the type and the union member it names."""
    c.type = info.type
    if info.type in _ADDRESS_MEMBERS:
        member, fields = _ADDRESS_MEMBERS[info.type]
        for f in fields:
            setattr(getattr(c.addr, member), f, getattr(getattr(info.addr, member), f))


def _new(s, ctype):
    p = s.ffi.new(ctype)
    s.keep.append(p)
    return p


def _timer(s, t):
    c = _new(s, "virDomainTimerDef *")
    c.name, c.present, c.frequency, c.mode = t.name, t.present, t.frequency, t.mode
    return c


def _disk(s, d):
    c = _new(s, "virDomainDiskDef *")
    c.device, c.bus, c.dst, c.serial = d.device, d.bus, s.cstr(d.dst), s.cstr(d.serial)
    c.readonly, c.shared = d.readonly, d.shared
    _info(c.info, d.info)
    return c


def _controller(s, d):
    c = _new(s, "virDomainControllerDef *")
    c.type, c.idx, c.model = d.type, d.idx, d.model
    c.opts.vioserial.ports, c.opts.vioserial.vectors = d.ports, d.vectors
    _info(c.info, d.info)
    return c


def _fs(s, d):
    c = _new(s, "virDomainFSDef *")
    c.dst, c.readonly = s.cstr(d.dst), d.readonly
    _info(c.info, d.info)
    return c


def _net(s, d):
    c = _new(s, "virDomainNetDef *")
    s.ffi.memmove(c.mac, d.mac, 6)
    c.model = s.cstr(d.model)
    _info(c.info, d.info)
    return c


def _input(s, d):
    c = _new(s, "virDomainInputDef *")
    c.type, c.bus = d.type, d.bus
    _info(c.info, d.info)
    return c


def _model_only(ctype):
    def make(s, d):
        c = _new(s, ctype)
        c.model = d.model
        _info(c.info, d.info)
        return c
    return make


def _video(s, d):
    c = _new(s, "virDomainVideoDef *")
    c.type, c.vram, c.heads = d.type, d.vram, d.heads
    if d.accel is not None:
        c.accel = _new(s, "virDomainVideoAccelDef *")
        c.accel.support2d, c.accel.support3d = d.accel.support2d, d.accel.support3d
    _info(c.info, d.info)
    return c


def _hostdev(s, d):
    c = _new(s, "virDomainHostdevDef *")
    c.mode = HOSTDEV_MODES.index(d.mode)
    c.source.subsys.type = HOSTDEV_SUBSYS.index(d.type)
    _info(c.info, d.info)
    return c


def _smartcard(s, d):
    c = _new(s, "virDomainSmartcardDef *")
    _info(c.info, d.info)
    return c


def _chr(role):
    """A serial or parallel port (target.port), a channel (target.name or target.addr,
    by its target type) or the console (none of them)."""
    def make(s, d):
        c = _new(s, "virDomainChrDef *")
        c.targetType = d.targetType
        if role == "port":
            c.target.port = d.port
        elif role == "channel" and d.targetType == 1:
            c.target.name = s.cstr(d.name)
        elif role == "channel" and d.targetType == 0 and d.addr is not None:
            c.target.addr = _new(s, "virSocketAddr *")
            text = d.addr.encode()[:63]
            s.ffi.memmove(c.target.addr.text, text + b"\0", len(text) + 1)
        _info(c.info, d.info)
        return c
    return make


def _hub(s, d):
    c = _new(s, "virDomainHubDef *")
    c.type = d.type
    _info(c.info, d.info)
    return c


def _list(name, cname, ctype, make, count=None):
    """A row writing a device list: the C array of pointers and its count."""
    def write_c(s, c, v):
        arr = _new(s, "%s *[%d]" % (ctype, max(len(v), 1)))
        for i, d in enumerate(v):
            arr[i] = make(s, d)
        setattr(c, cname, arr)
        if count:
            setattr(c, count, len(v))
    return I._row(name, lambda s, c: s.addr(getattr(c, cname)), write_c)


def _single(name, make):
    def write_c(s, c, v):
        setattr(c, name, s.ffi.NULL if v is None else make(s, v))
    return I._row(name, lambda s, c: s.addr(getattr(c, name)), write_c)


def _set(name):
    return lambda s, c, v: setattr(c, name, v)


def _os_str(field):
    def write_c(s, c, v):
        setattr(c.os, field, s.cstr(v))
    return write_c


def _read0(s, c):
    return 0


class AbiDefB(I.DefB):
    """A definition with everything the ABI check reads (pushed only: C changes none)."""
    kind = "def"
    ROWS = I.DefB.ROWS + (
        I._row("virtType", _read0, lambda s, c, v: setattr(c, "virtType", VIRT_TYPES.index(v))),
        I._row("vcpus", _read0, _set("vcpus")),
        I._row("maxvcpus", _read0, _set("maxvcpus")),
        I._row("os_type", _read0, _os_str("type")),
        I._row("os_arch", _read0, _os_str("arch")),
        I._row("os_machine", _read0, _os_str("machine")),
        I._row("os_smbios_mode", _read0, lambda s, c, v: setattr(c.os, "smbios_mode", v)),
        I._row("features", _read0, _set("features")),
        I._row("timers", _read0, lambda s, c, v: (
            setattr(c.clock, "ntimers", len(v)),
            setattr(c.clock, "timers", _array(s, "virDomainTimerDef", v, _timer)))),
        I._row("cpu", _read0, lambda s, c, v: setattr(c, "cpu", s.handle(v, "virCPUDefPtr"))),
        I._row("sysinfo", _read0,
               lambda s, c, v: setattr(c, "sysinfo", s.handle(v, "virSysinfoDefPtr"))),
        _list("disks", "disks", "virDomainDiskDef", _disk, "ndisks"),
        _list("controllers", "controllers", "virDomainControllerDef", _controller,
              "ncontrollers"),
        _list("fss", "fss", "virDomainFSDef", _fs, "nfss"),
        _list("nets", "nets", "virDomainNetDef", _net, "nnets"),
        _list("inputs", "inputs", "virDomainInputDef", _input, "ninputs"),
        _list("sounds", "sounds", "virDomainSoundDef", _model_only("virDomainSoundDef *"),
              "nsounds"),
        _list("videos", "videos", "virDomainVideoDef", _video, "nvideos"),
        _list("hostdevs", "hostdevs", "virDomainHostdevDef", _hostdev),   # nhostdevs: DefB
        _list("smartcards", "smartcards", "virDomainSmartcardDef", _smartcard, "nsmartcards"),
        _list("serials", "serials", "virDomainChrDef", _chr("port"), "nserials"),
        _list("parallels", "parallels", "virDomainChrDef", _chr("port"), "nparallels"),
        _list("channels", "channels", "virDomainChrDef", _chr("channel"), "nchannels"),
        _single("console", _chr("console")),
        _list("hubs", "hubs", "virDomainHubDef", _hub, "nhubs"),
        _single("watchdog", _model_only("virDomainWatchdogDef *")),
        _single("memballoon", _model_only("virDomainMemballoonDef *")),
    )


def _array(s, ctype, items, make):
    arr = _new(s, "%s *[%d]" % (ctype, max(len(items), 1)))
    for i, d in enumerate(items):
        arr[i] = make(s, d)
    return arr


class AbiCImpl(I.CImpl):
    """The compiled check with the port's interface (port/abi.py)."""
    def_binding = AbiDefB


_LOADED: Dict[str, AbiCImpl] = {}


def load(src: str) -> AbiCImpl:
    """The compiled upstream ABI check (one per source per process)."""
    if src not in _LOADED:
        _LOADED[src] = AbiCImpl("abi", built=B.build(abi_spec(src)), pymodule=port_abi)
    return _LOADED[src]
