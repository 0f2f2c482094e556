"""The entry points, one row each: what every other part of the project knows of them.

A row (``EntryPoint``) holds, for one function of qemu_migration.c that a
scenario or a case may call:

- its full and short name (``qemuMigrationPerformJob``, ``PerformJob``);
- its arguments as a scenario gives them (``Arg``: kind, default, and for a
  number the C type it fills, so that the loader can check its range);
- whether the call names a domain (``domain``: "required", "none", or
  "either" the domain or a definition file);
- how its caller invokes it (``invoke``): from the implementation module (a
  port module or the compiled C, same names), the version, the driver, the
  domain the caller holds and the call's arguments, it makes the call and
  returns (return value, failed, out-parameters);
- how the qemu_driver.c function in front of it looks the domain up, and
  what it returns when the domain is gone (``driver_entry``,
  ``lookup_failure``);
- the domain lock state the call leaves (``lock_after``: "same" as before or
  "unlocked") and the async job it keeps on success (``keeps_async``);
- the faultable stubs on its path (``faultable``: every recorded stub that
  the ported code below it can call, on any version, under any fault);
- its C signature, per version (``c_signature``), for the C build.

The loader (loader/scenario.py), the engine (runner, invariants), the analyses
(cases) and the C build (upstream/build.py) read these rows; adding an entry
point means its port, one row here, and fixtures.  ``Call`` (one call to
make) lives here too, below both the loader that reads it from a scenario and
the engine that runs it.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..world.constants import (MIGRATE_FLAG_NAMES, NULL, QEMU_ASYNC_JOB_MIGRATION_IN)
from ..world.objects import OutParam
from ..world.runtime import FaultPlan

REQUIRED = object()     # an argument without a default
STREAM = "stream"       # stands for a virStreamPtr: only whether it is NULL matters

@dataclass(frozen=True)
class Arg:
    kind: str            # text, bool, int, flags, xmlfile (text of a domain XML), deffile
    default: object = None
    ctype: Optional[str] = None   # for int and flags: the C type it fills (the loader checks
                                  # the range: loader/cint.py C_TYPES)


@dataclass
class Call:
    """One call to make: the entry point, the domain it is about (by name), its
    arguments, the fault plan, what a peer-to-peer destination speaks, what other
    threads do while it waits for a job (see stubs._wake), and, when loaded from a
    scenario, the files its arguments were read from."""
    function: str
    domain: Optional[str] = None
    args: dict = field(default_factory=dict)
    faults: FaultPlan = field(default_factory=FaultPlan)
    peer_v3: bool = True
    wakeups: List[str] = field(default_factory=list)
    arg_files: Dict[str, str] = field(default_factory=dict)   # arg name -> file it came from
    uuid: Optional[str] = None   # the uuid of ``domain``, as the client's handle holds it


def flags_value(flags):
    """A flags argument as a number: a number already, or space-separated flag names."""
    if isinstance(flags, int):
        return flags
    value = 0
    for name in (flags or "").split():
        value |= MIGRATE_FLAG_NAMES[name]
    return value


def _len(cookie):
    """A caller's cookie length: strlen + 1, in bytes (qemu_migration.c:643)."""
    return len(cookie.encode("utf-8", "surrogateescape")) + 1 if cookie else 0


# --- how each caller invokes its entry point --------------------------------------------
# invoke(mod, version, driver, vm, args) -> (return value, failed, out-parameters)

_new = object.__new__


def _cookie_outs():
    """The caller's ``char *cookieout`` and ``int cookieoutlen``, handed by address to every
    entry point but IsAllowed: ``OutParam("cookieout"), OutParam("cookieoutlen", 0)``, made
    without a call of OutParam's constructor each (a class's Python-level ``__init__`` is
    the dearest call there is: about 2 a run)."""
    cookieout, cookieoutlen = _new(OutParam), _new(OutParam)
    cookieout.role, cookieout.value = "cookieout", None
    cookieoutlen.role, cookieoutlen.value = "cookieoutlen", 0
    return cookieout, cookieoutlen


def _invoke_isallowed(mod, version, driver, vm, a):
    def_ = vm.def_ if vm is not None else a["def"]
    if version == "pre":
        ret = mod.qemuMigrationIsAllowed(def_)
    else:
        ret = mod.qemuMigrationIsAllowed(driver, vm, NULL if vm is not None else def_)
    return ret, not ret, {}


def _invoke_begin(mod, version, driver, vm, a):
    cookieout, cookieoutlen = _cookie_outs()
    ret = mod.qemuMigrationBegin(driver, vm, a.get("xmlin"), cookieout, cookieoutlen)
    return ret, ret is None, {"cookieout": cookieout.value}


def _invoke_tunnel(mod, version, driver, vm, a):
    cookiein = a.get("cookiein")
    cookieout, cookieoutlen = _cookie_outs()
    st = STREAM if a.get("st", True) else NULL
    ret = mod.qemuMigrationPrepareTunnel(driver, "dconn", cookiein, _len(cookiein),
                                         cookieout, cookieoutlen, st, a.get("dname"),
                                         a["dom_xml"])
    return ret, ret < 0, {"cookieout": cookieout.value}


def _invoke_direct(mod, version, driver, vm, a):
    cookiein = a.get("cookiein")
    cookieout, cookieoutlen = _cookie_outs()
    uri_out = OutParam("uri_out")
    ret = mod.qemuMigrationPrepareDirect(driver, "dconn", cookiein, _len(cookiein),
                                         cookieout, cookieoutlen, a.get("uri_in"), uri_out,
                                         a.get("dname"), a["dom_xml"])
    return ret, ret < 0, {"cookieout": cookieout.value, "uri_out": uri_out.value}


def _invoke_perform(mod, version, driver, vm, a):
    # (two thirds of the runs: the commonest arguments, no cookie and a number of flags,
    # read without a call of _len and flags_value)
    cookiein = a.get("cookiein")
    flags = a.get("flags", 0)
    cookieout, cookieoutlen = _cookie_outs()
    ret = mod.qemuMigrationPerformJob(driver, "conn", vm, a.get("xmlin"), a.get("dconnuri"),
                                      a.get("uri"), cookiein,
                                      _len(cookiein) if cookiein else 0, cookieout,
                                      cookieoutlen,
                                      flags if flags.__class__ is int else flags_value(flags),
                                      a.get("dname"), a.get("resource", 0),
                                      True if a.get("v3proto") else False)
    return ret, ret < 0, {"cookieout": cookieout.value}


def _perform_driver_entry(args):
    # qemu_driver.c: v3 goes through qemuDomainMigratePerform3, v2 through
    # qemudDomainMigratePerform; both look the domain up by uuid first
    return "qemuDomainMigratePerform3" if args.get("v3proto") else "qemudDomainMigratePerform"


# --- the rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryPoint:
    name: str
    domain: str                          # "required", "none" or "either"
    args: Dict[str, Arg]
    invoke: Callable
    outs: Tuple[str, ...]                # the out-parameters ``invoke`` returns, by name
    lock_after: str                      # "same" or "unlocked"
    faultable: Tuple[str, ...]
    c_signature: str                     # "ret(type, ...)", as upstream/build.Signature reads it
    c_signature_by_version: Dict[str, str] = field(default_factory=dict)
    keeps_async: Optional[int] = None    # the async job a success leaves for the next step
    driver_entry: Callable = None        # args -> the qemu_driver.c function that looks the
                                         # domain up (None: the call names no domain)
    lookup_failure: object = None        # what the call returns when that lookup fails

    @property
    def short(self):
        return self.name[len("qemuMigration"):]

    @property
    def defines_domain(self):
        """The call names no domain: it defines one from the XML it is handed (a prepare)."""
        return self.domain == "none"

    def signature(self, version):
        return self.c_signature_by_version.get(version, self.c_signature)


# the cookie's own (port/cookie.py): what making, reading and baking it asks of the host
# (Begin bakes the lock state, the prepares the graphics, both through BakeCookie)
_COOKIE_PATH = ("strdup", "virGetHostname", "virGetHostUUID", "virDomainLockProcessInquire",
                "virBufferGrow")
_BEGIN_PATH = _COOKIE_PATH + ("qemuDomainDefFormatXML", "qemuDomainFormatXML",
                              "virDomainDefParseString", "virDomainSaveStatus")
# (qemuProcessStart resumes a guest started without a migration source through
# qemuProcessStartCPUs; the prepares always pass one, so no case of theirs calls it;
# it saves the status twice, and its failure and PrepareAny's stop the guest)
_PREPARE_PATH = _COOKIE_PATH + ("qemuProcessStart", "qemuProcessStartCPUs", "qemuProcessStop",
                                "virDomainAssignDef", "virDomainDefParseString",
                                "virDomainEventNewFromObj", "virDomainSaveStatus", "virTimeMs",
                                "virCondWaitUntil")

ENTRY_POINTS: Dict[str, EntryPoint] = {e.name: e for e in [
    EntryPoint(
        "qemuMigrationIsAllowed", "either",
        {"def": Arg("deffile", None)},
        _invoke_isallowed, (), "same", (),
        "bool(struct qemud_driver *, virDomainObjPtr, virDomainDefPtr)",
        {"pre": "bool(virDomainDefPtr)"},
        # no driver entry calls it alone; a domain is looked up as Begin's caller does
        driver_entry=lambda args: "qemuDomainMigrateBegin3", lookup_failure=False),
    EntryPoint(
        "qemuMigrationBegin", "required",
        {"xmlin": Arg("xmlfile", None)},
        _invoke_begin, ("cookieout",), "same", tuple(sorted(_BEGIN_PATH)),
        "char *(struct qemud_driver *, virDomainObjPtr, const char *, char **, int *)",
        driver_entry=lambda args: "qemuDomainMigrateBegin3", lookup_failure=NULL),
    EntryPoint(
        "qemuMigrationPrepareTunnel", "none",
        {"dom_xml": Arg("xmlfile", REQUIRED),
         "dname": Arg("text", None),
         "cookiein": Arg("text", None),
         "st": Arg("bool", True)},
        _invoke_tunnel, ("cookieout",), "unlocked",
        tuple(sorted(_PREPARE_PATH + ("pipe", "virSetCloseExec", "virFDStreamOpen"))),
        "int(struct qemud_driver *, virConnectPtr, const char *, int, char **, int *, "
        "virStreamPtr, const char *, const char *)",
        keeps_async=QEMU_ASYNC_JOB_MIGRATION_IN),
    EntryPoint(
        "qemuMigrationPrepareDirect", "none",
        {"dom_xml": Arg("xmlfile", REQUIRED),
         "dname": Arg("text", None),
         "cookiein": Arg("text", None),
         "uri_in": Arg("text", None)},
        _invoke_direct, ("cookieout", "uri_out"), "unlocked",
        tuple(sorted(_PREPARE_PATH + ("virAsprintf",))),
        "int(struct qemud_driver *, virConnectPtr, const char *, int, char **, int *, "
        "const char *, char **, const char *, const char *)",
        keeps_async=QEMU_ASYNC_JOB_MIGRATION_IN),
    EntryPoint(
        "qemuMigrationPerformJob", "required",
        {"flags": Arg("flags", 0, "unsigned long"),
         "v3proto": Arg("bool", False),
         "uri": Arg("text", None),
         "dconnuri": Arg("text", None),
         "xmlin": Arg("xmlfile", None),
         "dname": Arg("text", None),
         "resource": Arg("int", 0, "unsigned long"),
         "cookiein": Arg("text", None),
         "peer-v3": Arg("bool", True)},     # Call.peer_v3, not passed to the function
        _invoke_perform, ("cookieout",), "unlocked",
        ("doNativeMigrate", "doPeer2PeerMigrate", "qemuProcessStartCPUs", "qemuProcessStop",
         "virAsprintf",
         "virCondWaitUntil",
         "virDomainDeleteConfig", "virDomainEventNewFromObj", "virDomainSaveStatus",
         "virTimeMs"),
        "int(struct qemud_driver *, virConnectPtr, virDomainObjPtr, const char *, "
        "const char *, const char *, const char *, int, char **, int *, unsigned long, "
        "const char *, unsigned long, bool)",
        driver_entry=_perform_driver_entry, lookup_failure=-1),
]}
ENTRY_NAMES = list(ENTRY_POINTS)
SHORT = {e.name: e.short for e in ENTRY_POINTS.values()}     # PerformJob, ...
LONG = {s: f for f, s in SHORT.items()}


def resolve(name):
    """An entry point's full name from its full or short name, any case; None if unknown."""
    if name in ENTRY_POINTS:
        return name
    if name in LONG:
        return LONG[name]
    low = {k.lower(): v for k, v in list(LONG.items()) + [(f, f) for f in ENTRY_POINTS]}
    return low.get(name.lower())
