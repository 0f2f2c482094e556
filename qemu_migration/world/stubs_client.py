"""What libvirt.c's migration flows call on the client that is not migration logic.

The client's public API functions around virDomainMigrate (virConnectGetURI,
virDomainLookupByName, virDomainGetInfo), libvirt.c's error macros, the
thread's last error as virterror.c keeps it, and the macros of datatypes.h and
driver.h the flows test.  They run in the client's world (``runtime.World``);
they reach a host only through a ``hosts.Connection`` (``conn.driver.X(...)`` is
the remote driver's call, ``hosts.remote_call``).

Where one decides an outcome it is ported line for line (``# L<n>``, the file
named in its docstring, at e2fb96d9; libvirt.c, virterror.c, datatypes.h and
driver.h are the same at 19f8c980).

**The thread's last error.**  virterror.c keeps one ``virError`` per thread
(``virLastErr``), which every report overwrites, ``virResetLastError`` clears and
``virSetError`` sets from a saved copy.  It is the world's ``last_error``
(runtime.World: every report also stays in ``World.errors``, in order), the
same slot the hosts' stubs and the wire use.  ``virGetLastError`` reads it:
what the user of virDomainMigrate sees.
"""
import errno as _errno
from dataclasses import dataclass
from typing import Optional
from urllib.parse import unquote

from .constants import (NULL, VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG, VIR_ERR_INVALID_CONN,
                        VIR_ERR_INVALID_DOMAIN, VIR_ERR_NO_MEMORY, VIR_ERR_NO_SUPPORT,
                        VIR_FROM_DOM, VIR_FROM_DOMAIN, VIR_FROM_LOCKING, VIR_FROM_NONE,
                        VIR_FROM_QEMU, VIR_FROM_RPC, VIR_FROM_STREAMS)
from .errors import UndressedError, VirError
from .objects import Ptr
from .runtime import Goto, NoSuchLabel, current, goto, recorded
from .stubs import cfmt
from .stubs import xmlParseURI as _uri_is_valid

# --- datatypes.h, driver.h: the macros the flows test ----------------------------------


def VIR_IS_CONNECT(obj):
    """datatypes.h:37 @ e2fb96d9: a connection whose magic is intact.  The magic goes
    when the last reference does (datatypes.c's virReleaseConnect), so: a reference
    is held."""
    return obj is not NULL and obj.refs > 0                                 # L37


def VIR_IS_DOMAIN(obj):
    """datatypes.h:47 @ e2fb96d9: a domain handle (a ``hosts.Domain`` is never released
    while a flow holds it)."""
    return obj is not NULL                                                  # L47


def VIR_IS_CONNECTED_DOMAIN(obj):
    """datatypes.h:48 @ e2fb96d9."""
    return VIR_IS_DOMAIN(obj) and VIR_IS_CONNECT(obj.conn)                  # L48


def VIR_DRV_SUPPORTS_FEATURE(drv, conn, feature):
    """driver.h:63 @ e2fb96d9: asks the driver's ``supports_feature`` (on a remote
    connection: an RPC to the host, whose qemu driver answers); a driver without it,
    or an answer that is not positive (the RPC failed: -1), is "not supported"."""
    return (drv.supports_feature(conn, feature) > 0                         # L63
            if drv.supports_feature is not NULL else 0)                     # L64


def VIR_DOMAIN_DEBUG(dom, fmt="", *args):
    """libvirt.c:369 @ e2fb96d9: debug logging of a domain and the arguments; no
    behaviour."""


# --- virterror.c: the thread's last error ---------------------------------------------


# what virErrorGenericFailure (virterror.c:218 @ e2fb96d9) writes into the thread's
# error: code and domain, and the message as it is (not dressed by virErrorMsg)
GENERIC_FAILURE = UndressedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE,
                                 "An error occurred, but the cause is unknown",
                                 "virErrorGenericFailure")

# virErrorDomainName (virterror.c:43 @ e2fb96d9), for every domain this world raises
# errors from (constants.ERROR_DOMAIN_NAMES)
DOMAIN_PREFIX = {VIR_FROM_NONE: "", VIR_FROM_DOM: "Domain ", VIR_FROM_RPC: "RPC ",
                 VIR_FROM_QEMU: "QEMU ", VIR_FROM_DOMAIN: "Domain Config ",
                 VIR_FROM_STREAMS: "Streams ", VIR_FROM_LOCKING: "Locking "}


def virGetLastError():
    """virGetLastError (virterror.c:284 @ e2fb96d9): the thread's last error, NULL when
    there is none (code VIR_ERR_OK).  Not recorded: it is what the user of the API
    calls afterwards, not part of a flow."""
    return current().last_error


def virReportErrorHelper(domcode, errcode, fmt, *args):
    """virReportErrorHelper (virterror.c:1225 @ e2fb96d9), the body of libvirt.c's
    virLibConnError/virLibDomainError: the detail formatted (an empty one is NULL:
    the bare text of virErrorMsg), raised from the function running now."""
    w = current()
    message = cfmt(fmt, args) if fmt is not NULL else ""
    w.raise_error(VirError(errcode, domcode, message if message else NULL, w.frame))


def virReportOOMError():
    """virReportOOMError (virterror.h; virReportOOMErrorFull, virterror.c:1338 @
    e2fb96d9) in libvirt.c, whose VIR_FROM_THIS is VIR_FROM_NONE: no detail."""
    w = current()
    w.raise_error(VirError(VIR_ERR_NO_MEMORY, VIR_FROM_NONE, NULL, w.frame))


def virLibConnError(code, fmt, *args):
    """libvirt.c:538 @ e2fb96d9: an error about a connection, VIR_FROM_NONE."""
    virReportErrorHelper(VIR_FROM_NONE, code, fmt, *args)


def virLibDomainError(code, fmt, *args):
    """libvirt.c:541 @ e2fb96d9: an error about a domain, VIR_FROM_DOM."""
    virReportErrorHelper(VIR_FROM_DOM, code, fmt, *args)


def virResetLastError(*, fail):
    """virResetLastError (virterror.c:413 @ e2fb96d9): the thread's error is cleared
    (code VIR_ERR_OK); earlier reports stay in the world's record."""
    current().reset_last_error()


def virSaveLastError(*, fail):
    """virSaveLastError (virterror.c:359 @ e2fb96d9): a copy of the thread's error (its
    code may be VIR_ERR_OK: a copy of no error), a ``Ptr`` the caller frees.  Fails as
    its VIR_ALLOC would: NULL, errno ENOMEM, no error reported."""
    if fail:
        current().errno = _errno.ENOMEM
        return NULL
    return Ptr(virGetLastError())


def virSetError(newerr, *, fail):
    """virSetError (virterror.c:304 @ e2fb96d9): the thread's error becomes a copy of
    ``newerr`` (a saved one: possibly no error at all)."""
    current().set_last_error(newerr.value)
    return 0


def virFreeError(err, *, fail):
    """virFreeError (virterror.c:397 @ e2fb96d9): frees a saved copy; nothing a flow can
    observe."""


def virDefaultErrorFunc(err):
    """virDefaultErrorFunc (virterror.c:557 @ e2fb96d9): the error on stderr, logged as
    the world's "stderr" line.  Errors of libvirt.c and of the hosts carry no domain
    or network object (virRaiseErrorFull does not set them), so those parts are empty."""
    if err is NULL:
        return
    dom = DOMAIN_PREFIX[err.domain]
    message = err.message
    end = "" if message.endswith("\n") else "\n"
    current().log("stderr", "libvir: %s%s %s%s: %s%s" % (dom, "error", "", "", message, end))


def virDispatchError(conn, *, fail):
    """virDispatchError (virterror.c:606 @ e2fb96d9): the last public API step of a
    failure.  No error set: the generic one (virErrorGenericFailure) is; the error is
    copied to ``conn->err``; no handler is registered, so the default one prints it."""
    w = current()
    err = virGetLastError()
    if err is NULL:
        w.raise_error(GENERIC_FAILURE)
        err = GENERIC_FAILURE
    if conn is not NULL:
        conn.err = err
    virDefaultErrorFunc(err)


# --- libxml2: the URI of a peer-to-peer destination -----------------------------------


@dataclass
class xmlURI:
    """libxml2's ``struct _xmlURI``, the field libvirt.c reads: the server (the host part
    of the authority, unescaped; NULL when the URI has no authority or an empty host)."""
    uri: str
    server: Optional[str]


def xmlParseURI(text):
    """libxml2's xmlParseURI (uri.c) as virDomainMigratePeer2Peer uses it: NULL for text
    that is no URI reference (world/stubs.py's check), else the parsed URI with its
    server."""
    if _uri_is_valid(text) is NULL:
        return NULL
    server = NULL
    scheme, sep, rest = text.partition(":")
    if not sep or "/" in scheme or "?" in scheme or "#" in scheme:
        rest = text
    if rest.startswith("//"):
        authority = rest[2:]
        for stop in "/?#":
            authority = authority.split(stop, 1)[0]
        host = authority.rpartition("@")[2]
        if host.startswith("["):
            host = host[:host.index("]") + 1]
        else:
            host = host.partition(":")[0]
        server = unquote(host) if host else NULL
    return xmlURI(text, server)


def xmlFreeURI(uri):
    """libxml2's xmlFreeURI: nothing a flow can observe."""


# --- libvirt.c: the public API functions the flows call -------------------------------


@dataclass
class virDomainInfo:
    """libvirt.h's ``struct _virDomainInfo``, filled by the driver's domainGetInfo."""
    state: int = 0
    maxMem: int = 0
    memory: int = 0
    nrVirtCpu: int = 0
    cpuTime: int = 0


def virConnectGetURI(conn, *, fail):
    """virConnectGetURI (libvirt.c:1596 @ e2fb96d9): the connection's URI as the client
    holds it (xmlSaveUri of ``conn->uri``: no call to the host).  Fails as xmlSaveUri
    does when it cannot allocate: VIR_ERR_NO_MEMORY, dispatched on ``conn``."""
    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    virResetLastError()                                     # L1601

                    if not VIR_IS_CONNECT(conn):                            # L1603
                        virLibConnError(VIR_ERR_INVALID_CONN, "virConnectGetURI")  # L1604
                        virDispatchError(NULL)                              # L1605
                        return NULL                                         # L1606

                    name = conn.uri if not fail else NULL                   # L1609
                    if name is NULL:                                        # L1610
                        virReportOOMError()                                 # L1611
                        goto("error")                                       # L1612
                    return name                                             # L1614

                case "error":                                               # L1616
                    virDispatchError(conn)                                  # L1617
                    return NULL                                             # L1618

                case _:
                    raise NoSuchLabel("virConnectGetURI", label)
        except Goto as g:
            label = g.label


def virDomainLookupByName(conn, name, *, fail):
    """virDomainLookupByName (libvirt.c:2021 @ e2fb96d9): the host's domainLookupByName
    through the connection; its error, or the lack of the member, dispatched on ``conn``."""
    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    virResetLastError()                                     # L2025

                    if not VIR_IS_CONNECT(conn):                            # L2027
                        virLibConnError(VIR_ERR_INVALID_CONN, "virDomainLookupByName")  # L2028
                        virDispatchError(NULL)                              # L2029
                        return NULL                                         # L2030
                    if name is NULL:                                        # L2032
                        virLibConnError(VIR_ERR_INVALID_ARG, "virDomainLookupByName")  # L2033
                        goto("error")                                       # L2034

                    if conn.driver.domainLookupByName is not NULL:          # L2037
                        dom = conn.driver.domainLookupByName(conn, name)    # L2039
                        if dom is NULL:                                     # L2040
                            goto("error")                                   # L2041
                        return dom                                          # L2042

                    virLibConnError(VIR_ERR_NO_SUPPORT, "virDomainLookupByName")  # L2045
                    goto("error")  # falls through

                case "error":                                               # L2047
                    virDispatchError(conn)                                  # L2048
                    return NULL                                             # L2049

                case _:
                    raise NoSuchLabel("virDomainLookupByName", label)
        except Goto as g:
            label = g.label


def virDomainGetInfo(domain, info, *, fail):
    """virDomainGetInfo (libvirt.c:3647 @ e2fb96d9): the host's domainGetInfo through
    the domain's connection, into ``info`` (cleared first); its error dispatched on the
    domain's connection."""
    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    virResetLastError()                                     # L3653

                    if not VIR_IS_CONNECTED_DOMAIN(domain):                 # L3655
                        virLibDomainError(VIR_ERR_INVALID_DOMAIN, "virDomainGetInfo")  # L3656
                        virDispatchError(NULL)                              # L3657
                        return -1                                           # L3658
                    if info is NULL:                                        # L3660
                        virLibDomainError(VIR_ERR_INVALID_ARG, "virDomainGetInfo")  # L3661
                        goto("error")                                       # L3662

                    info.state = info.maxMem = info.memory = 0  # memset(info...) L3665
                    info.nrVirtCpu = info.cpuTime = 0

                    conn = domain.conn                                      # L3667

                    if conn.driver.domainGetInfo is not NULL:               # L3669
                        ret = conn.driver.domainGetInfo(domain, info)       # L3671
                        if ret < 0:                                         # L3672
                            goto("error")                                   # L3673
                        return ret                                          # L3674

                    virLibConnError(VIR_ERR_NO_SUPPORT, "virDomainGetInfo")  # L3677
                    goto("error")  # falls through

                case "error":                                               # L3679
                    virDispatchError(domain.conn)                           # L3680
                    return -1                                               # L3681

                case _:
                    raise NoSuchLabel("virDomainGetInfo", label)
        except Goto as g:
            label = g.label


# Recorded in the trace when called; FAULTABLE may be named by a fault plan.
FAULTABLE = ["virSaveLastError", "virConnectGetURI"]
PLAIN = ["virResetLastError", "virSetError", "virFreeError", "virDispatchError",
         "virDomainLookupByName", "virDomainGetInfo"]
recorded(globals(), faultable=FAULTABLE, plain=PLAIN)
