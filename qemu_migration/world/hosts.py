"""Two hosts and the wire between them: what a whole migration runs on.

A whole migration (issue 9) involves three parties, each with a world of its
own (``runtime.World``: its errors, trace, errno and statics are that party's
thread, its driver that party's ``struct qemud_driver``):

- the **client**, where libvirt.c's ``virDomainMigrate`` runs (port/libvirt.py);
  its world's driver is unused, its errors are what the user of the API sees;
- the **source** and the **destination** hosts (``Host``), each a libvirtd with
  the qemu driver of one version (``pre``, ``post`` or ``fixed``).

A party reaches a host only through a ``Connection`` (``virConnectPtr``), whose
``driver`` is the table of the host's driver entry points by their ``virDriver``
member names (``conn.driver.domainMigratePrepare3(...)`` reads like
``conn->driver->domainMigratePrepare3(...)``).  A call through it is the remote
driver and the daemon in one step (remote_driver.c's call, then daemon/remote.c's
dispatch): the host's world is made current for the call, the call runs on the
host's own code (its translation unit: port/unit.py), and when it fails the
host's last error crosses back and is raised in the caller's world, as the
remote driver raises the error the daemon sent.  Only what crosses the wire
passes: strings (domain XML, cookies, URIs), numbers, the return code, and a
domain handle (``Domain``: name, uuid, id; ``virDomainPtr``), never an object of
the host's.

The caller's trace shows the crossing as one entry, ``remote:<member>@<host>``
(a faultable stub: ``Network.faults`` can make the RPC itself fail); the host's
trace shows what ran there.

Which host a URI names is the ``Network``'s to say (``virConnectOpen``): the
source of a peer-to-peer migration opens the destination's URI itself.

The world package knows nothing of the port: what code a host runs is handed to
it (``Host.entry``, filled by port/unit.py's ``host_entry_points``).
"""
import copy
from errno import EIO
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from .constants import VIR_ERR_INTERNAL_ERROR, VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC
from .errors import UndressedError, VirError, strerror
from .objects import Ptr
from .runtime import World, current, in_frame
from .stubs import daemon_dispatch

# remote_protocol / libvirt_internal.h feature numbers (VIR_DRV_FEATURE_*), by name
VIR_DRV_FEATURE_MIGRATION_V1 = 1
VIR_DRV_FEATURE_REMOTE = 2
VIR_DRV_FEATURE_MIGRATION_V2 = 3
VIR_DRV_FEATURE_MIGRATION_P2P = 4
VIR_DRV_FEATURE_MIGRATION_DIRECT = 5
VIR_DRV_FEATURE_MIGRATION_V3 = 6
VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION = 7

# The virDriver members a migration uses (driver.h's struct _virDriver @ e2fb96d9),
# and how each one says it failed: "null" (a pointer: NULL) or "negative" (an int:
# < 0).  supports_feature answers 0/1 (the daemon's virDrvSupportsFeature passes a
# negative answer on as a failure; the qemu driver gives none).  There is no getURI
# member: virConnectGetURI (libvirt.c:1596) formats the connection's own URI.  The
# qemu driver has no v1 members (domainMigratePrepare, domainMigrateFinish).
MEMBERS: Dict[str, str] = {
    "supports_feature": "negative",
    "domainMigratePrepare": "negative",     # v1 (libvirt.c's virDomainMigrateVersion1)
    "domainMigrateFinish": "null",
    "domainLookupByName": "null",
    "domainGetInfo": "negative",
    "domainGetXMLDesc": "null",
    "domainMigratePrepare2": "negative",
    "domainMigratePrepareTunnel": "negative",
    "domainMigratePerform": "negative",
    "domainMigrateFinish2": "null",
    "domainMigrateBegin3": "null",
    "domainMigratePrepare3": "negative",
    "domainMigratePrepareTunnel3": "negative",
    "domainMigratePerform3": "negative",
    "domainMigrateFinish3": "null",
    "domainMigrateConfirm3": "negative",
}


def failed(member, ret):
    if MEMBERS.get(member) == "null":       # close (remote_close) returns an int
        return ret is None
    return ret < 0


@dataclass
class Domain:
    """virDomainPtr: the handle a connection gives for a domain (datatypes.h): the
    connection it came from, the name, the uuid and the id.  Only these cross the
    wire; the host looks its own object up by the uuid.  ``virGetDomain`` makes one
    (the id is set after, as upstream does)."""
    conn: "Connection"
    name: str
    uuid: str
    id: int = -1


@dataclass
class DomainInfo:
    """virDomainInfo (libvirt.h): what domainGetInfo fills in and the wire carries back."""
    state: int = 0
    maxMem: int = 0
    memory: int = 0
    nrVirtCpu: int = 0
    cpuTime: int = 0


@dataclass
class Host:
    """One libvirtd with the qemu driver, of one version, in a world of its own.

    ``entry`` maps a virDriver member name to the host's driver entry point (the
    qemu_driver.c function of its version, from port/unit.py).  ``features`` is
    what its ``supports_feature`` answers yes to: the qemu driver of all three
    versions advertises v2, v3, p2p and change protection; a host built to stand
    for an older daemon advertises less (the matrix's v2 flows).
    """
    name: str                      # "source" or "destination"
    version: str
    world: World
    uri: str
    entry: Dict[str, Callable] = field(default_factory=dict)
    features: frozenset = frozenset((VIR_DRV_FEATURE_MIGRATION_V2,
                                     VIR_DRV_FEATURE_MIGRATION_P2P,
                                     VIR_DRV_FEATURE_MIGRATION_V3,
                                     VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION))
    network: Optional["Network"] = None

    def __post_init__(self):
        self.world.host = self      # the world knows whose it is (virConnectOpen asks it)


class RemoteDriver:
    """``conn->driver`` as the remote driver is: every member a call to the host."""
    __slots__ = ("conn",)

    def __init__(self, conn):
        self.conn = conn

    def __getattr__(self, member):
        if member not in MEMBERS:
            raise AttributeError(member)
        conn = self.conn

        def call(*args):
            return remote_call(conn, member, args)
        call.__name__ = member
        return call


class Connection:
    """virConnectPtr to a host: opened by a party (the client, or a source host for
    a peer-to-peer migration) with ``Network.open``."""

    def __init__(self, host: Host, flags: int = 0):
        self.host = host
        self.flags = flags          # VIR_CONNECT_RO and the like
        self.refs = 1
        self.closed = False
        self.driver = RemoteDriver(self)
        self.err = None             # conn->err: the last error dispatched on it (virDispatchError)
        self.released = False       # the host's driver closed it (qemudClose: privateData NULL)

    @property
    def uri(self):
        return self.host.uri

    @property
    def privateData(self):
        """``conn->privateData`` as a host's driver entry point reads it: the host's
        ``struct qemud_driver`` (the daemon's own connection to its qemu driver), NULL
        once the driver's close ran."""
        return None if self.released else self.host.world.driver

    @privateData.setter
    def privateData(self, value):
        # qemudClose's ``conn->privateData = NULL`` (the only store into it)
        self.released = value is None

    def __repr__(self):
        return "Connection(%s)" % self.host.name


class Stream:
    """virStreamPtr (datatypes.h): made on a connection by virStreamNew, which takes a
    reference on the connection (virGetStream); the last virUnrefStream gives it back."""

    def __init__(self, conn: Connection, flags: int = 0):
        self.conn = conn
        self.flags = flags
        self.refs = 1

    def __repr__(self):
        return "Stream(%s)" % self.conn.host.name


@dataclass
class Network:
    """The hosts a party can reach, by URI, and the faults of the wire itself.

    ``faults`` works as a world's fault plan over the calls of the wire: the
    nth ``remote:<member>@<host>`` crossing fails as an RPC failure would, with
    the error the remote driver raises when the connection breaks.
    """
    hosts: Dict[str, Host] = field(default_factory=dict)      # uri -> host
    crossings: List[str] = field(default_factory=list)       # every crossing, in order

    def add(self, host: Host):
        host.network = self
        self.hosts[host.uri] = host
        return host

    def lookup(self, uri) -> Optional[Host]:
        return self.hosts.get(uri)

    def open(self, uri, flags=0) -> Optional[Connection]:
        host = self.lookup(uri)
        return Connection(host, flags) if host is not None else None


# What the remote driver raises when the daemon's connection is gone mid-call: the
# socket read finds the end of the stream (virNetSocketReadWire, virnetsocket.c:906).
EOF_DETAIL = "End of file while reading data"
# daemon: virNetMessageSaveError (virnetmessage.c:374) when the call left no error
NO_ERROR_SET = "Library function returned error but did not set virError"


def remote_close(conn: Connection):
    """The close of a connection whose last reference went (virReleaseConnect,
    datatypes.c:93 @ e2fb96d9: ``conn->driver->close(conn)``), as the remote driver and
    the daemon make it; the caller's world is the current one.

    The remote driver's close (doRemoteClose, remote_driver.c) sends REMOTE_PROC_CLOSE
    and shuts the socket whatever the answer (virReleaseConnect ignores the result), so
    the crossing shows in the caller's trace as ``remote:close@<host>`` and cannot fail
    in a way anyone sees.  On the host, the client going makes the daemon close its own
    connection (remoteClientFreeFunc, daemon/remote.c:416: virConnectClose(priv->conn)
    at :433), whose last reference runs the qemu driver's close (``entry["close"]``:
    qemudClose) in the host's world, with the thread's last error reset first
    (virConnectClose is the public API).  The daemon's connection is, here, the
    connection object itself (as in remote_call).  ``close`` is no member of
    ``MEMBERS``: nothing calls it through ``conn->driver`` but this.  A host whose table
    has no close (a test's stand-in driver) closes nothing."""
    caller = current()
    host = conn.host
    name = "remote:close@%s" % host.name
    caller.trace.append((name, caller.depth, False, (conn,)))
    if host.network is not None:
        host.network.crossings.append(name)
    close = host.entry.get("close")
    if close is None:
        return
    w = host.world
    with w.activate():
        w.reset_last_error()
        in_frame(w, "daemon", close, conn)


def _dispatched(host, w, member, wire):
    """The daemon's dispatch of ``member`` and the host's entry point it calls."""
    daemon_dispatch(w, member, wire)
    return host.entry[member](*wire)


def remote_call(conn: Connection, member: str, args: tuple):
    """One call of ``member`` on the host behind ``conn``, as the remote driver and the
    daemon make it; the caller's world is the current one."""
    caller = current()
    host = conn.host
    name = "remote:%s@%s" % (member, host.name)
    depth = caller.depth
    n = caller.calls.get(name, 0) + 1
    caller.calls[name] = n
    rpc_fails = n in caller.faults.faults.get(name, ())
    caller.trace.append((name, depth, rpc_fails, args))
    if host.network is not None:
        host.network.crossings.append(name)
    if rpc_fails:
        # the connection broke: the client's read of the reply finds the end of the
        # stream (virNetSocketReadWire, EIO); nothing ran on the host
        caller.raise_error(VirError(VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC,
                                    "%s: %s" % (EOF_DETAIL, strerror(EIO)),
                                    "virNetSocketReadWire"))
        return None if MEMBERS[member] == "null" else -1
    w = host.world
    # what crosses: the values; an out-parameter is filled from the reply, which
    # only a call that succeeded sends (remote_driver.c copies nothing on failure);
    # a copy keeps what kind of box it is (an OutParam its role)
    wire = tuple(copy.copy(a) if isinstance(a, Ptr) else a for a in args)
    with w.activate():
        # the daemon calls the public API (libvirt.c), which resets the thread's
        # last error first
        w.reset_last_error()
        ret = in_frame(w, "daemon", _dispatched, host, w, member, wire)
    if failed(member, ret):
        # daemon/remote.c: the error the call left (or, when it left none, the
        # "did not set virError" one) goes back and the remote driver raises it
        if w.last_error is not None:
            err = w.last_error
        else:
            # (virNetMessageSaveError, virnetmessage.c:374 @ e2fb96d9: the text is sent
            # as the message, and the client raises it as it is)
            err = UndressedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC, NO_ERROR_SET,
                                 "virNetMessageSaveError")
        caller.raise_error(err)
        return ret
    for a, b in zip(args, wire):
        if b is not a:
            a.value = b.value
    return ret
