"""libvirt's error record and the way virErrorMsg() dresses a message.

The ported code reports errors through ``qemuReportError`` (a code plus a
printf-style format), ``virReportSystemError`` (an errno plus a format) and
``virReportOOMError``.  Each report overwrites the thread's last error, as
virRaiseErrorFull() does; the world also keeps every report in order so that
an outcome can say how many errors a call raised and which one won.
"""
import os
from operator import attrgetter

from .constants import (ERROR_CODE_NAMES, ERROR_DOMAIN_NAMES, VIR_ERR_ARGUMENT_UNSUPPORTED,
                        VIR_ERR_CONFIG_UNSUPPORTED, VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG,
                        VIR_ERR_INVALID_CONN, VIR_ERR_INVALID_DOMAIN, VIR_ERR_NO_DOMAIN,
                        VIR_ERR_NO_MEMORY, VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_DENIED,
                        VIR_ERR_OPERATION_FAILED, VIR_ERR_OPERATION_INVALID,
                        VIR_ERR_OPERATION_TIMEOUT, VIR_ERR_SYSTEM_ERROR, VIR_ERR_XML_DETAIL,
                        VIR_ERR_XML_ERROR)

# virErrorMsg() (virterror.c:756 @ e2fb96d9): (format without detail, format with
# detail), per code.
_DRESS = {
    VIR_ERR_INTERNAL_ERROR: ("internal error", "internal error %s"),
    VIR_ERR_NO_MEMORY: ("out of memory", "out of memory: %s"),
    VIR_ERR_NO_SUPPORT: ("this function is not supported by the connection driver",
                         "this function is not supported by the connection driver: %s"),
    VIR_ERR_INVALID_CONN: ("invalid connection pointer in", "invalid connection pointer in %s"),
    VIR_ERR_INVALID_DOMAIN: ("invalid domain pointer in", "invalid domain pointer in %s"),
    VIR_ERR_INVALID_ARG: ("invalid argument", "invalid argument: %s"),
    VIR_ERR_OPERATION_FAILED: ("operation failed", "operation failed: %s"),
    VIR_ERR_SYSTEM_ERROR: ("system call error", "%s"),
    VIR_ERR_NO_DOMAIN: ("Domain not found", "Domain not found: %s"),
    VIR_ERR_XML_ERROR: ("XML description is invalid or not well formed", "XML error: %s"),
    VIR_ERR_OPERATION_DENIED: ("operation forbidden for read only access",
                               "operation %s forbidden for read only access"),
    VIR_ERR_XML_DETAIL: ("parser error", "%s"),
    VIR_ERR_OPERATION_INVALID: ("Requested operation is not valid",
                                "Requested operation is not valid: %s"),
    VIR_ERR_CONFIG_UNSUPPORTED: ("unsupported configuration",
                                 "unsupported configuration: %s"),
    VIR_ERR_OPERATION_TIMEOUT: ("Timed out during operation",
                                "Timed out during operation: %s"),
    VIR_ERR_ARGUMENT_UNSUPPORTED: ("argument unsupported", "argument unsupported: %s"),
}


def dress(code, raw):
    """The message as libvirt shows it (virErrorMsg with the detail filled in)."""
    bare, with_detail = _DRESS[code]
    if raw is None:
        return bare
    return with_detail % raw


# glibc's strerror text, which virStrerror() returns (the C function itself: no Python frame)
strerror = os.strerror


class VirError:
    """An error as virRaiseErrorFull records it: the code, the domain (VIR_FROM_*), the
    detail the reporter formatted (``raw``: NULL for a bare OOM) and the function that
    raised it (__FUNCTION__ upstream).

    A value, as a frozen dataclass would be (equal to an error of the same class with
    the same four fields, hashed by them, its fields read-only), written out: a run
    reports about one, and a frozen dataclass's constructor (``object.__setattr__`` per
    field) cost about 7,400 instructions, a quarter of which this one costs.  The fields
    are kept in slots of their own and read through properties."""
    __slots__ = ("_code", "_domain", "_raw", "_reporter")
    _FIELDS = ("code", "domain", "raw", "reporter")

    def __init__(self, code, domain, raw, reporter):
        self._code = code
        self._domain = domain
        self._raw = raw
        self._reporter = reporter

    code = property(attrgetter("_code"))
    domain = property(attrgetter("_domain"))
    raw = property(attrgetter("_raw"))
    reporter = property(attrgetter("_reporter"))

    def _key(self):
        return (self._code, self._domain, self._raw, self._reporter)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "%s(%s)" % (type(self).__qualname__, ", ".join(
            "%s=%r" % (f, getattr(self, f)) for f in self._FIELDS))

    @property
    def message(self):
        return dress(self._code, self._raw)

    def as_dict(self):
        # (the slots read directly: a property's read is a call)
        code, domain = self._code, self._domain
        return {
            "code": ERROR_CODE_NAMES[code],
            "code_number": code,
            "domain": ERROR_DOMAIN_NAMES[domain],
            "domain_number": domain,
            "raw": self._raw,
            "message": self.message,
            "reporter": self._reporter,
        }


_new_error = object.__new__


def new_error(code, domain, raw, reporter):
    """``VirError(code, domain, raw, reporter)``, made by a function, not the class's
    constructor (a Python-level ``__init__`` runs inside a C-level call, dearer than a
    function's): for the stubs that report the error of about half the runs."""
    error = _new_error(VirError)
    error._code, error._domain, error._raw, error._reporter = code, domain, raw, reporter
    return error


class UndressedError(VirError):
    """An error whose message was set as it is, not dressed by virErrorMsg: the
    generic failure virDispatchError sets (virterror.c:218 @ e2fb96d9), the error
    the daemon sends when a call failed without one (virNetMessageSaveError,
    virnetmessage.c:374), which the client raises with that message
    (virnetclientprogram.c:170)."""
    __slots__ = ()

    @property
    def message(self):
        return self._raw
