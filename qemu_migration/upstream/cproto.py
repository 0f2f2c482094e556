"""Whole migrations in C (issue 9, item 6): a host's unit and the client, compiled.

A host runs, per version, one C "unit": the version's qemu_migration.c
functions the function-level build compiles (upstream/extract.py), the rest of
the protocol from qemu_migration.c (``UNIT_FUNCTIONS``), qemu_driver.c's
migration entry points and qemudSupportsFeature, and the qemu_domain.c helpers
they call.  The client compiles libvirt.c's virDomainMigrate and its flows
(``CLIENT_FUNCTIONS``).  Both are read from the libvirt tree at run time, as
the function-level build is; nothing of libvirt is stored here.

What the extracted code calls and does not have is a stub.  The ones of the
function-level build (stubs.h, stubs.c) stay as they are; the ones whole
migrations add are declared here, one row each (``STUBS``: the C prototype),
and generated: each packs its arguments into ``qmc_val``s and hands them,
with its name, to one callback, ``qmc_py_stub``, which impl.py turns into the
Python stub of that name (``python_stub``) with the arguments converted by
their C types.  So the C code and the Python port share the one stub world.

``conn->driver->member(...)`` in the C is a call through ``qmc_remote_driver``,
a virDriver whose every member (world/hosts.py's ``MEMBERS``) is generated the
same way, under the name ``remote:<member>``: impl.py calls it on the Python
connection (``conn.driver.<member>(...)``, hosts.remote_call), so a C host or
client reaches a Python or a C peer alike, and a Python one reaches a C host
through its entry points (``entry_points``).
"""
import os
import re
from importlib import import_module
from typing import Dict, List

from ..port import DOMAIN_C, MIGRATION_C, PROCESS_C, STATICS, UNTRACED
from ..port import driver as driver_port
from ..port import libvirt as client_port
from ..port import peer2peer, process, protocol, qemu_domain
from ..world import constants as K
from ..world import hosts as H
from . import build as B
from . import extract as X

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER_C = "src/qemu/qemu_driver.c"
LIBVIRT_C = client_port.LIBVIRT_C

# what a host's unit compiles beyond the version's function-level functions, per file:
# what the Python ports add to a unit (port/unit.py), so that both sides run the same
# functions (all of them are the same at 19f8c980 and e2fb96d9)
UNIT_FUNCTIONS: Dict[str, List[str]] = {
    DOMAIN_C: qemu_domain.DRIVER_ONLY,
    MIGRATION_C: peer2peer.UNIT + protocol.UNIT,
    DRIVER_C: driver_port.UNIT,
    PROCESS_C: process.UNIT,
}
CLIENT_FUNCTIONS: Dict[str, List[str]] = {client_port.LIBVIRT_C: client_port.CLIENT}
CLIENT_COMMIT = X.POST      # libvirt.c is the same at both commits

# the qemuDriver table (qemu_driver.c:9824 @ e2fb96d9): virDriver member -> function
DRIVER_TABLE: Dict[str, str] = driver_port.DRIVER_TABLE

# the virDriver members a migration uses (world/hosts.py's MEMBERS; driver.h @ e2fb96d9):
# return type and parameter types
MEMBER_PROTOS: Dict[str, tuple] = {
    "supports_feature": ("int", ["virConnectPtr", "int"]),
    "domainLookupByName": ("virDomainPtr", ["virConnectPtr", "const char *"]),
    "domainGetInfo": ("int", ["virDomainPtr", "virDomainInfoPtr"]),
    "domainGetXMLDesc": ("char *", ["virDomainPtr", "unsigned int"]),
    "domainMigratePrepare": ("int", ["virConnectPtr", "char **", "int *", "const char *",
                                     "char **", "unsigned long", "const char *",
                                     "unsigned long"]),
    "domainMigrateFinish": ("virDomainPtr", ["virConnectPtr", "const char *", "const char *",
                                             "int", "const char *", "unsigned long"]),
    "domainMigratePrepare2": ("int", ["virConnectPtr", "char **", "int *", "const char *",
                                      "char **", "unsigned long", "const char *",
                                      "unsigned long", "const char *"]),
    "domainMigratePrepareTunnel": ("int", ["virConnectPtr", "virStreamPtr", "unsigned long",
                                           "const char *", "unsigned long", "const char *"]),
    "domainMigratePerform": ("int", ["virDomainPtr", "const char *", "int", "const char *",
                                     "unsigned long", "const char *", "unsigned long"]),
    "domainMigrateFinish2": ("virDomainPtr", ["virConnectPtr", "const char *",
                                              "const char *", "int", "const char *",
                                              "unsigned long", "int"]),
    "domainMigrateBegin3": ("char *", ["virDomainPtr", "const char *", "char **", "int *",
                                       "unsigned long", "const char *", "unsigned long"]),
    "domainMigratePrepare3": ("int", ["virConnectPtr", "const char *", "int", "char **",
                                      "int *", "const char *", "char **", "unsigned long",
                                      "const char *", "unsigned long", "const char *"]),
    "domainMigratePrepareTunnel3": ("int", ["virConnectPtr", "virStreamPtr", "const char *",
                                            "int", "char **", "int *", "unsigned long",
                                            "const char *", "unsigned long",
                                            "const char *"]),
    "domainMigratePerform3": ("int", ["virDomainPtr", "const char *", "const char *", "int",
                                      "char **", "int *", "const char *", "const char *",
                                      "unsigned long", "const char *", "unsigned long"]),
    "domainMigrateFinish3": ("virDomainPtr", ["virConnectPtr", "const char *",
                                              "const char *", "int", "char **", "int *",
                                              "const char *", "const char *",
                                              "unsigned long", "int"]),
    "domainMigrateConfirm3": ("int", ["virDomainPtr", "const char *", "int",
                                      "unsigned long", "int"]),
}

# The stubs whole migrations add: name -> (return type, parameter types).  Each is the
# Python stub of the same name (python_stub); upstream file and line in that stub's
# docstring.
STUBS: Dict[str, tuple] = {
    # domain_conf.c / qemu_process.c / qemu_migration.c callees on a host
    "virDomainFindByUUID": ("virDomainObjPtr", ["virDomainObjListPtr",
                                                "const unsigned char *"]),
    "virDomainFindByName": ("virDomainObjPtr", ["virDomainObjListPtr", "const char *"]),
    "virDomainObjSetState": ("void", ["virDomainObjPtr", "int", "int"]),
    "virDomainObjGetPersistentDef": ("virDomainDefPtr", ["virCapsPtr", "virDomainObjPtr"]),
    "virDomainSaveConfig": ("int", ["const char *", "virDomainDefPtr"]),
    "qemuProcessAutoDestroyRemove": ("int", ["struct qemud_driver *", "virDomainObjPtr"]),
    "doTunnelMigrate": ("int", ["struct qemud_driver *", "virDomainObjPtr", "virStreamPtr",
                                "const char *", "int", "char **", "int *", "unsigned long",
                                "unsigned long"]),
    "qemuMigrationVPAssociatePortProfiles": ("void", ["virDomainDefPtr"]),
    "virLockManagerPluginUsesState": ("bool", ["virLockManagerPluginPtr"]),
    "virLockManagerPluginGetName": ("const char *", ["virLockManagerPluginPtr"]),
    "qemuDomainObjEnterRemoteWithDriver": ("void", ["struct qemud_driver *",
                                                    "virDomainObjPtr"]),
    "qemuDomainObjExitRemoteWithDriver": ("void", ["struct qemud_driver *", "virDomainObjPtr"]),
    "qemuDomainObjEnterMonitor": ("void", ["struct qemud_driver *", "virDomainObjPtr"]),
    "qemuDomainObjExitMonitor": ("void", ["struct qemud_driver *", "virDomainObjPtr"]),
    "qemuDomainObjEnterMonitorWithDriver": ("int", ["struct qemud_driver *",
                                                    "virDomainObjPtr"]),
    "qemuDomainObjExitMonitorWithDriver": ("void", ["struct qemud_driver *",
                                                   "virDomainObjPtr"]),
    "qemudGetProcessInfo": ("int", ["unsigned long long *", "int *", "int", "int"]),
    "qemuMonitorGetBalloonInfo": ("int", ["qemuMonitorPtr", "unsigned long *"]),
    # connection close (qemudClose, qemuProcessAutoDestroyDom)
    "virDomainEventCallbackListRemoveConn": ("int", ["virConnectPtr",
                                                     "virDomainEventCallbackListPtr"]),
    "virHashRemoveEntry": ("int", ["virHashTablePtr", "const char *"]),
    # datatypes.c / libvirt.c / virterror.c
    "virGetDomain": ("virDomainPtr", ["virConnectPtr", "const char *",
                                      "const unsigned char *"]),
    "virUnrefDomain": ("int", ["virDomainPtr"]),
    "virConnectOpen": ("virConnectPtr", ["const char *"]),
    "virConnectClose": ("int", ["virConnectPtr"]),
    "virConnectGetURI": ("char *", ["virConnectPtr"]),
    "virStreamNew": ("virStreamPtr", ["virConnectPtr", "unsigned int"]),
    "virUnrefStream": ("int", ["virStreamPtr"]),
    "virDomainGetInfo": ("int", ["virDomainPtr", "virDomainInfoPtr"]),
    "virDomainLookupByName": ("virDomainPtr", ["virConnectPtr", "const char *"]),
    "xmlParseURI": ("xmlURIPtr", ["const char *"]),
    "xmlFreeURI": ("void", ["xmlURIPtr"]),
    "virGetLastError": ("virErrorPtr", []),
    "virSaveLastError": ("virErrorPtr", []),
    "virSetError": ("int", ["virErrorPtr"]),
    "virFreeError": ("void", ["virErrorPtr"]),
    "virResetLastError": ("void", []),
    "virDispatchError": ("void", ["virConnectPtr"]),
}

# where the Python stubs live: the modules whole migrations add, then world/stubs.py
STUB_MODULES = ("qemu_migration.world.stubs_migration", "qemu_migration.world.stubs_p2p",
                "qemu_migration.world.stubs_close",
                "qemu_migration.world.stubs_driver", "qemu_migration.world.stubs_client",
                "qemu_migration.world.stubs")


class MissingStub(RuntimeError):
    """A C stub whose Python stub no stub module defines (yet)."""


# Where a C function's callees are first looked for: the Python port of that function,
# whose module has the very stub it calls under that name (a name such as
# virSaveLastError is defined by more than one stub module)
PORT_OF: Dict[str, str] = dict(
    [(f, peer2peer.__name__) for f in peer2peer.UNIT]
    + [(f, protocol.__name__) for f in protocol.UNIT]
    + [(f, driver_port.__name__) for f in driver_port.UNIT]
    + [(f, process.__name__) for f in process.UNIT]
    + [(f, client_port.__name__) for f in client_port.CLIENT])

_PY_STUBS: Dict[tuple, object] = {}
# stand-ins by name, consulted first (the tests' own doubles for the C self-test)
OVERRIDES: Dict[str, object] = {}


def python_stub(name, caller=None):
    """The Python stub a C stub of whole migrations forwards to, when called from the C
    function ``caller``."""
    home = PORT_OF.get(caller)
    fn = OVERRIDES.get(name) or _PY_STUBS.get((name, home))
    if fn is None:
        for modname in ((home,) if home else ()) + STUB_MODULES:
            try:
                mod = import_module(modname)
            except ImportError:
                continue
            fn = getattr(mod, name, None)
            if fn is not None:
                break
        if fn is None:
            raise MissingStub("qemu-migration: no Python stub %s in %s"
                              % (name, ", ".join(STUB_MODULES)))
        _PY_STUBS[(name, home)] = fn
    return fn


# --- the C text -------------------------------------------------------------------------

# numbers the extracted code names that stubs.h does not define: constants.py's, the
# driver features of world/hosts.py, and these (virterror.h, libvirt.h.in @ e2fb96d9)
_MORE_NUMBERS = {
    "VIR_ERR_NO_DOMAIN": 42, "VIR_ERR_INVALID_DOMAIN": 7, "VIR_ERR_INVALID_CONN": 6,
    "VIR_ERR_OPERATION_DENIED": 29, "VIR_ERR_NO_SUPPORT": 3,
    "VIR_ERR_ARGUMENT_UNSUPPORTED": 74, "VIR_FROM_DOM": 6, "VIR_CONNECT_RO": 1,
    "VIR_DOMAIN_EVENT_DEFINED": 0, "VIR_DOMAIN_EVENT_DEFINED_ADDED": 0,
    "VIR_DOMAIN_EVENT_DEFINED_UPDATED": 1, "VIR_DOMAIN_EVENT_SUSPENDED_PAUSED": 0,
    "VIR_DOMAIN_EVENT_STOPPED_FAILED": 5, "VIR_DOMAIN_PAUSED_USER": 1,
    "VIR_DOMAIN_MEMBALLOON_MODEL_NONE": 2,
}


def _numbers(defined_text):
    """``#define`` lines for the int constants of the world (and hosts.py's features)
    that ``defined_text`` (stubs.h) does not name already."""
    have = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", defined_text))
    vals = {}
    for mod in (K, H):
        for k, v in vars(mod).items():
            if re.fullmatch(r"(VIR|QEMU)_[A-Z0-9_]+", k) and type(v) is int:
                vals[k] = v
    for k, v in _MORE_NUMBERS.items():
        vals.setdefault(k, v)
    return "\n".join("#define %s %d" % (k, v) for k, v in sorted(vals.items())
                     if k not in have)


def _is_ptr(t):
    return "*" in t or t.endswith("Ptr")


def _params(types):
    return ", ".join("%s a%d" % (t, i) for i, t in enumerate(types)) or "void"


def _forwarder(cname, pyname, ret, types):
    """A C function of that prototype handing its arguments to qmc_py_stub."""
    n = len(types)
    lines = ["QMC_STUB %s %s(%s)" % (ret, cname, _params(types)), "{",
             "    qmc_val a_[%d];" % max(n, 1), "    qmc_val r_ = { 0, NULL };"]
    for i, t in enumerate(types):
        if _is_ptr(t):
            lines.append("    a_[%d].p = (void *)a%d; a_[%d].i = 0;" % (i, i, i))
        else:
            lines.append("    a_[%d].i = (long long)a%d; a_[%d].p = NULL;" % (i, i, i))
    lines.append('    qmc_py_stub("%s", %d, a_, &r_);' % (pyname, n))
    lines.append("    QMC_ERRNO();")
    if ret != "void":
        lines.append("    return (%s)%s;" % (ret, "r_.p" if _is_ptr(ret) else "r_.i"))
    lines.append("}")
    return "\n".join(lines)


PRELUDE_EXTRA = r"""
/* ---- macros of libvirt's headers the extracted code uses ---- */
#define VIR_DOMAIN_DEBUG(...) ((void)0)
#define virReportErrorHelper(dom, code, file, func, line, ...) \
    qmc_report((dom), (code), (func), __VA_ARGS__)
#define virCheckFlags(supported, retval)                                   \
    do {                                                                   \
        unsigned long __unsuppflags = flags & ~(supported);                \
        if (__unsuppflags) {                                               \
            virReportErrorHelper(VIR_FROM_THIS, VIR_ERR_INVALID_ARG,       \
                                 __FILE__, __FUNCTION__, __LINE__,         \
                                 _("%s: unsupported flags (0x%lx)"),       \
                                 __FUNCTION__, __unsuppflags);             \
            return retval;                                                 \
        }                                                                  \
    } while (0)
#define virLibConnError(code, ...) \
    virReportErrorHelper(VIR_FROM_NONE, code, __FILE__, __FUNCTION__, __LINE__, __VA_ARGS__)
#define virLibDomainError(code, ...) \
    virReportErrorHelper(VIR_FROM_DOM, code, __FILE__, __FUNCTION__, __LINE__, __VA_ARGS__)
#define VIR_IS_CONNECT(obj) ((obj) != NULL && (obj)->py != NULL)
#define VIR_IS_CONNECTED_DOMAIN(obj) ((obj) != NULL && VIR_IS_CONNECT((obj)->conn))
#define VIR_DRV_SUPPORTS_FEATURE(drv, conn, feature) \
    ((drv)->supports_feature ? (drv)->supports_feature((conn), (feature)) > 0 : 0)
#define QEMU_MIGRATION_FLAGS                                               \
    (VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED |    \
     VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE |              \
     VIR_MIGRATE_PAUSED | VIR_MIGRATE_NON_SHARED_DISK |                    \
     VIR_MIGRATE_NON_SHARED_INC | VIR_MIGRATE_CHANGE_PROTECTION)
typedef char *virLockManagerPluginPtr;   /* the plugin's name, as world/stubs.py has it */
/* qemu_process.c's walk over driver->autodestroy: what it hands each entry */
struct qemuProcessAutoDestroyData { struct qemud_driver *driver; virConnectPtr conn; };
/* uuid.c's parse: a uuid is its text here (as stubs.c's virUUIDFormat has it); the
   keys parsed here were formatted by virUUIDFormat, so it cannot fail on them */
QMC_NOINST static int virUUIDParse(const char *uuidstr, unsigned char *uuid)
{
    snprintf((char *)uuid, VIR_UUID_BUFLEN, "%s", uuidstr);
    return 0;
}
"""


def _driver_struct():
    rows = ["struct _virDriver {"]
    for m, (ret, types) in MEMBER_PROTOS.items():
        rows.append("    %s (*%s)(%s);" % (ret, m, ", ".join(types)))
    rows.append("};")
    return "\n".join(rows)


def prelude():
    with open(os.path.join(HERE, "protocol.h"), encoding="utf-8") as f:
        text = f.read()
    return text + "\n" + _driver_struct() + "\n"


def extra_source(stubs_h: str, omit=()) -> str:
    """What goes after stubs.c: numbers, macros, the stubs, the remote driver."""
    out = ["/* ---- whole migrations (cproto.py) ---- */", _numbers(stubs_h), PRELUDE_EXTRA]
    for name, (ret, types) in STUBS.items():
        if name in omit:
            continue
        out.append(_forwarder(name, name, ret, types))
    for m, (ret, types) in MEMBER_PROTOS.items():
        out.append(_forwarder("qmc_remote_" + m, "remote:" + m, ret, types))
    out.append("static virDriver qmc_remote_driver = {\n%s\n};" % ",\n".join(
        "    .%s = qmc_remote_%s" % (m, m) for m in MEMBER_PROTOS))
    out.append("QMC_NOINST virDriverPtr qmc_remote_driver_ptr(void) "
               "{ return &qmc_remote_driver; }")
    return "\n".join(out)


CALLBACKS = ["void qmc_py_stub(const char *name, int n, qmc_val *args, qmc_val *ret);"]

EXTRA_CDEF = """
typedef struct _virDriver virDriver;
typedef struct _virConnect { void *py; virDriver *driver; void *privateData;
                             unsigned int flags; ...; } virConnect;
typedef virConnect *virConnectPtr;
typedef struct _virDomain { void *py; virConnectPtr conn; char *name;
                            unsigned char uuid[...]; int id; ...; } virDomain;
typedef virDomain *virDomainPtr;
typedef struct _virStream { void *py; virConnectPtr conn; ...; } virStream;
typedef virStream *virStreamPtr;
typedef struct qmc_opaque_error *virErrorPtr;
typedef struct _virDomainInfo { unsigned char state; unsigned long maxMem;
    unsigned long memory; unsigned short nrVirtCpu; unsigned long long cpuTime; ...; }
    virDomainInfo;
typedef virDomainInfo *virDomainInfoPtr;
typedef struct _xmlURI { void *py; char *scheme; char *server; int port; char *path; ...; }
    xmlURI;
typedef xmlURI *xmlURIPtr;
typedef struct qmc_val { long long i; void *p; } qmc_val;
virDriver *qmc_remote_driver_ptr(void);
"""

FILE_FROM = {MIGRATION_C: "VIR_FROM_QEMU", DRIVER_C: "VIR_FROM_QEMU", DOMAIN_C: "VIR_FROM_QEMU",
             PROCESS_C: "VIR_FROM_QEMU", LIBVIRT_C: "VIR_FROM_NONE"}


def _file_prefix():
    return {p: "#undef VIR_FROM_THIS\n#define VIR_FROM_THIS %s" % v for p, v in FILE_FROM.items()}


# --- extraction and the build ---------------------------------------------------------------

def extract_unit(version: str, src: str) -> X.Extracted:
    """A version's function-level functions and the unit's, from the tree at its commit."""
    ex = X.extract_version(version, src)
    commit = X.VERSION_COMMITS[version]
    have = {f.name for f in ex.functions}
    for path, names in UNIT_FUNCTIONS.items():
        text = X.read_source(src, commit, path)
        if version == "fixed" and path == MIGRATION_C:
            text, _ = X._apply_fix(src, text)
        ex.functions.extend(f for f in X.extract_functions(text, names, path, commit)
                            if f.name not in have)
    return ex


def extract_client(src: str) -> X.Extracted:
    ex = X.Extracted("client", CLIENT_COMMIT)
    for path, names in CLIENT_FUNCTIONS.items():
        ex.functions.extend(X.extract_functions(X.read_source(src, CLIENT_COMMIT, path),
                                                names, path, CLIENT_COMMIT))
    return ex


def _read(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def _spec(name, ex: X.Extracted, signatures, unit: bool, coverage=False) -> B.BuildSpec:
    names = {f.name for f in ex.functions}
    omit = names     # a function extracted is never also a stub
    return B.BuildSpec(
        name, ex.functions, signatures,
        [f.name for f in ex.functions if f.name not in UNTRACED],
        dict(STATICS) if unit and any(f.name == "qemuMigrationPrepareDirect"
                                      for f in ex.functions) else {},
        commit=ex.commit + ("+" + ex.patched_with if ex.patched_with else ""),
        extra_flags=["-DQMC_UNIT"] if unit else [], coverage=coverage,
        prelude=prelude(), extra_source=extra_source(_read("stubs.h"), omit),
        extra_cdef=EXTRA_CDEF, extra_callbacks=CALLBACKS, file_prefix=_file_prefix())


def unit_spec(ex: X.Extracted, coverage=False) -> B.BuildSpec:
    sigs = B.expected_signatures(ex.version)
    for path, names in UNIT_FUNCTIONS.items():
        for f in ex.functions:
            if f.name in names:
                sigs[f.name] = B.signature_of(f)
    return _spec("unit_" + ex.version, ex, sigs, True, coverage)


def client_spec(ex: X.Extracted, coverage=False) -> B.BuildSpec:
    return _spec("client", ex, {f.name: B.signature_of(f) for f in ex.functions}, False,
                 coverage)


def text_spec(name: str, text: str, path: str, unit: bool = True,
              coverage=False) -> B.BuildSpec:
    """A spec for a C text of one's own built as a unit (or the client) is: the
    protocol's prelude, stubs and remote driver, signatures from the text."""
    funcs = list(X.parse_functions(text, path).values())
    if not funcs:
        raise B.BuildError("qemu-migration: no function definitions in %s" % path)
    ex = X.Extracted(name, path, funcs)
    spec = _spec(name, ex, {f.name: B.signature_of(f) for f in funcs}, unit, coverage)
    spec.file_prefix[path] = "#undef VIR_FROM_THIS\n#define VIR_FROM_THIS VIR_FROM_QEMU"
    return spec


def build_unit(version: str, src: str, coverage=False) -> B.Built:
    return B.build(unit_spec(extract_unit(version, src), coverage))


def build_client(src: str, coverage=False) -> B.Built:
    return B.build(client_spec(extract_client(src), coverage))

