"""Recorded stand-ins for what the peer-to-peer flows (port/peer2peer.py) call and do not port.

The source daemon of a peer-to-peer migration opens a connection to the
destination itself (``virConnectOpen``, through the source host's ``Network``:
world/hosts.py), drops its locks around every call to it
(``qemuDomainObjEnterRemoteWithDriver`` / ``ExitRemoteWithDriver``), keeps the
error that must win across cleanup calls that reset it (``virSaveLastError``,
``virSetError``), makes a stream for a tunnelled migration (``virStreamNew``)
and runs the tunnelled migration itself (``doTunnelMigrate``).  The calls to
the destination are not stubs: ``dconn.driver.X(...)`` is the remote driver
(hosts.remote_call).

As in world/stubs.py, each stub is recorded in the trace, does what the real
one does to the state the ported code and the hosts can observe, and fails,
where the real one can, as it fails; the docstring of each says which failure
is modelled.
"""
import errno as _errno
import re

from .constants import NULL, VIR_ERR_SYSTEM_ERROR, VIR_FROM_NONE, VIR_FROM_RPC
from .errors import VirError, strerror
from .hosts import Stream, remote_close
from . import runtime
from .runtime import recorded
from .stubs import (_meanwhile, _migration_run, _oom, _touch, qemuDriverLock,
                    qemuDriverUnlock, virDomainObjLock, virDomainObjRef, virDomainObjUnlock,
                    virDomainObjUnref)

LIBVIRTD_TCP_PORT = "16509"       # remote_driver.h: the port of a URI that names none


# --- the source's locks around a call to the destination ---------------------------


def qemuDomainObjEnterRemoteWithDriver(driver, obj, *, fail):
    """qemuDomainObjEnterRemoteWithDriver (qemu_domain.c:1010 @ e2fb96d9): before a call to
    the remote daemon, a reference on the domain, then the domain and the driver
    unlocked.  It cannot fail."""
    virDomainObjRef(obj)
    virDomainObjUnlock(obj)
    qemuDriverUnlock(driver)


def qemuDomainObjExitRemoteWithDriver(driver, obj, *, fail):
    """qemuDomainObjExitRemoteWithDriver (qemu_domain.c:1018 @ e2fb96d9): after it, the
    driver and the domain locked again and the reference dropped (its result ignored).
    It cannot fail.  Another thread may have run meanwhile (stubs._meanwhile, a lock-drop
    point)."""
    _meanwhile(obj)
    qemuDriverLock(driver)
    virDomainObjLock(obj)
    virDomainObjUnref(obj)


# --- connections, domain handles, streams -------------------------------------------


def _server(uri):
    """The host and port a URI's authority names (the port LIBVIRTD_TCP_PORT if none)."""
    m = re.match(r"[^:/]*://([^/?#]*)", uri or "")
    hostport = m.group(1).rpartition("@")[2] if m else ""
    host, sep, port = hostport.partition(":")
    return host, port if sep else LIBVIRTD_TCP_PORT


def virConnectOpen(name, *, fail):
    """virConnectOpen (libvirt.c:1219 @ e2fb96d9): a connection to the daemon ``name`` names,
    as the daemon this world is the world of (``World.host``) reaches it: through its
    host's ``Network`` (hosts.Network.open).

    do_open resets the thread's last error first (libvirt.c:979).  A URI that no host
    of the network answers is the remote driver's refused connection: a system error
    from the RPC layer, "unable to connect to server at 'HOST:PORT': Connection
    refused" (virNetSocketNewConnectTCP, rpc/virnetsocket.c:431, whatever the URI's
    transport; the port is LIBVIRTD_TCP_PORT when the URI names none); a world that
    is no host's, or whose host is on no network, reaches no one the same way.  The
    injected failure is the allocation of the connection object (virGetConnect,
    datatypes.c:56: out of memory, VIR_FROM_NONE).  Returns a hosts.Connection or NULL.
    """
    w = runtime._world
    w.reset_last_error()
    if fail:
        _oom(VIR_FROM_NONE, "virGetConnect")
        return NULL
    host = w.host
    network = host.network if host is not None else None
    conn = network.open(name) if network is not None else NULL
    if conn is NULL:
        w.errno = _errno.ECONNREFUSED
        w.raise_error(VirError(VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC,
                               "unable to connect to server at '%s:%s': %s"
                               % (_server(name) + (strerror(_errno.ECONNREFUSED),)),
                               "virNetSocketNewConnectTCP"))
    return conn


def _release(conn):
    """virReleaseConnect (datatypes.c:93 @ e2fb96d9), the last reference gone: the drivers'
    close (for the remote driver the close RPC, whose failure it ignores, and the host's
    qemu driver's close on the daemon's side: hosts.remote_close) and the object freed."""
    remote_close(conn)
    conn.closed = True


def virConnectClose(conn, *, fail):
    """virConnectClose (libvirt.c:1336 @ e2fb96d9): resets the thread's last error, then drops
    the connection's reference (virUnrefConnect, datatypes.c:137); the last one closes it.
    Returns the references left.  It fails only on an object that is no connection
    (:1342), which no caller here passes.  The close reaches the host's qemu driver
    (hosts.remote_close: qemudClose, which destroys the domains still marked for
    auto-destroy on that connection).  Not modelled: an error the close RPC may leave
    set (doPeer2PeerMigrate restores the error it saved before the call; the client
    of a migration closes after it read its error)."""
    runtime._world.reset_last_error()
    conn.refs -= 1
    if conn.refs == 0:
        _release(conn)
    return conn.refs


def virUnrefDomain(domain, *, fail):
    """virUnrefDomain (datatypes.c:268 @ e2fb96d9): drops a domain handle.  A handle here
    (hosts.Domain) is one reference, made by one virGetDomain, which took a reference on
    its connection (datatypes.c:207); so the handle goes (virReleaseDomain, :233) and
    gives that reference back, and the connection's last one closes it.  Returns 0 (the
    references left on the handle).  It fails only on an object that is no domain
    (:271), which no caller here passes."""
    conn = domain.conn
    conn.refs -= 1
    if conn.refs == 0:
        _release(conn)
    return 0


def virStreamNew(conn, flags, *, fail):
    """virStreamNew (libvirt.c:13421 @ e2fb96d9): resets the thread's last error, then a
    stream on ``conn`` (virGetStream, datatypes.c:1081), which takes a reference on the
    connection.  The injected failure is the allocation of the stream: out of memory
    (VIR_FROM_NONE, reported by virGetStream), NULL returned, the connection untouched."""
    runtime._world.reset_last_error()
    if fail:
        _oom(VIR_FROM_NONE, "virGetStream")
        return NULL
    conn.refs += 1
    return Stream(conn, flags)


def virUnrefStream(st, *, fail):
    """virUnrefStream (datatypes.c:1122 @ e2fb96d9): drops a reference on the stream; the
    last one frees it and gives back its reference on the connection, whose last
    reference closes it (virReleaseStream, :1104).  Returns the references left; it
    cannot fail."""
    st.refs -= 1
    if st.refs == 0:
        st.conn.refs -= 1
        if st.conn.refs == 0:
            _release(st.conn)
    return st.refs


# --- the tunnelled migration -----------------------------------------------------------


def doTunnelMigrate(driver, vm, st, cookiein, cookieinlen, cookieout, cookieoutlen,
                    flags, resource, *, fail):
    """doTunnelMigrate (qemu_migration.c:1678 @ e2fb96d9) with qemuMigrationRun (:1424):
    the migration sent through ``st``, the stream whose other end the destination's
    PrepareTunnel opened.

    Models a QEMU that can migrate to a UNIX socket and not to a descriptor (as
    stubs.doNativeMigrate models one without the descriptor capability), so it
    takes the socket branch (:1722-1740); then qemuMigrationRun as the source sees it
    (stubs._migration_run: the pauses through qemuMigrationSetOffline with their
    events; the injected failure is the run failing, "migration job: unexpectedly
    failed", guest left as it was).  On success an out-cookie, when asked for, names
    the domain as doNativeMigrate's does.  Not modelled: the socket path's allocation
    and listen failures (:1728, :1735), the tunnel's I/O thread and what the stream
    carries, the capability check of a QEMU too old to tunnel (:1693).
    """
    _touch(vm)
    _meanwhile(vm)                      # qemuMigrationRun talks to the monitor unlocked
    if _migration_run(driver, vm, flags, fail) < 0:
        return -1
    if cookieout is not NULL:
        cookieout.value = "<qemu-migration name='%s'/>" % vm.def_.name
    return 0


FAULTABLE = sorted([
    'virConnectOpen',
    'virStreamNew',
    'doTunnelMigrate',
])
PLAIN = [
    'qemuDomainObjEnterRemoteWithDriver',
    'qemuDomainObjExitRemoteWithDriver',
    'virConnectClose',
    'virUnrefDomain',
    'virUnrefStream',
]
recorded(globals(), faultable=FAULTABLE, plain=PLAIN)
