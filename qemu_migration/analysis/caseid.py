"""Case ids: the name of one enumerated case, and the way back from a name to the case.

An id is three parts joined by ``/``::

    PerformJob/autodestroy=no,snapshots=1,hostdevs=none,state=running,persistent=yes,job=none,flags=0,v3proto=no/fault=virDomainSaveStatus#2

1. the entry point's short name (``IsAllowed``, ``Begin``, ``PrepareTunnel``,
   ``PrepareDirect``, ``PerformJob``);
2. every dimension of that entry point that applies to the case, ``name=value``,
   in the order ``qemu-migration cases`` enumerates them (a dimension that does
   not apply, such as ``peer_v3`` without peer-to-peer, is left out);
3. ``fault=none``, or ``fault=STUB#N``: the N-th call of the faultable stub
   STUB fails.

These are the ids the recorded observations in ``fixtures/upstream/*.json``
are keyed by, so they stay as they are: only characters a shell leaves alone
(no quoting needed), one case per id, one id per case.  ``parse`` checks
every part (the function, each dimension's name and value, that the state is
one a running libvirtd can be in, the stub and its call number) and raises
``CaseIdError`` with a one-line reason.
"""
import functools

from . import cases as C


class CaseIdError(ValueError):
    """Why a text is not a case id (one line)."""


def format_id(function, dims):
    """The id of a case of ``function`` with dimension values ``dims`` ("fault" included)."""
    body = ",".join("%s=%s" % kv for kv in dims.items() if kv[0] != "fault" and kv[1] != C.NA)
    return "%s/%s/fault=%s" % (C.SHORT[function], body, dims["fault"])


def looks_like_id(text):
    """Whether a command-line argument is meant as a case id (not a path)."""
    return "/fault=" in text or C.resolve_function(text.split("/", 1)[0]) is not None


@functools.lru_cache(maxsize=None)
def _index(function):
    """{the applying (dimension, value) pairs: state} over the function's reachable states."""
    return {frozenset((k, v) for k, v in st.items() if v != C.NA): st
            for st in C.SPACES[function].states()}


@functools.lru_cache(maxsize=None)
def _values(function):
    """{dimension: the values it takes} over the function's reachable states."""
    out = {}
    for st in C.SPACES[function].states():
        for k, v in st.items():
            if v != C.NA:
                out.setdefault(k, [])
                if v not in out[k]:
                    out[k].append(v)
    return out


def _parse_fault(text, function, state):
    if text == C.NO_FAULT:
        return None
    stub, sep, nth = text.partition("#")
    if not sep or not nth.isdigit() or not nth.isascii() or int(nth) < 1:
        raise CaseIdError("fault '%s' is not 'none' or STUB#N (N a call number from 1)" % text)
    if stub not in C.FAULTABLE:
        raise CaseIdError("'%s' is not a faultable stub (expected one of %s)"
                          % (stub, ", ".join(C.FAULTABLE)))
    base = C.enumerate_state(function, state)
    points = C.fault_points(base)
    if (stub, int(nth)) not in points:
        calls = [n for s, n in points if s == stub]
        raise CaseIdError("this case calls %s %s, so fault %s never fires" % (
            stub, "%d time%s" % (max(calls), "" if max(calls) == 1 else "s") if calls
            else "never", text))
    return (stub, int(nth))


def parse(text):
    """The Case an id names; CaseIdError (one line) when it names none."""
    parts = text.split("/")
    if len(parts) != 3:
        raise CaseIdError("a case id is FUNCTION/DIM=VALUE,.../fault=F, got %d part%s "
                          "separated by '/'" % (len(parts), "" if len(parts) == 1 else "s"))
    short, body, fault = parts
    function = C.resolve_function(short)
    if function is None:
        raise CaseIdError("unknown function '%s' (expected one of %s)"
                          % (short, ", ".join(C.SHORT.values())))
    values = _values(function)
    names = C.dimension_names(function)[:-1]
    given = {}
    for item in (body.split(",") if body else []):
        name, sep, value = item.partition("=")
        if not sep:
            raise CaseIdError("'%s' is not DIMENSION=VALUE" % item)
        if name not in values:
            raise CaseIdError("%s has no dimension '%s' (its dimensions: %s)"
                              % (C.SHORT[function], name, ", ".join(names)))
        if name in given:
            raise CaseIdError("dimension '%s' given twice" % name)
        if value not in values[name]:
            raise CaseIdError("'%s' is not a value of %s (expected %s)"
                              % (value, name, ", ".join(values[name])))
        given[name] = value
    if not fault.startswith("fault="):
        raise CaseIdError("the last part must be fault=none or fault=STUB#N, got '%s'" % fault)
    state = _index(function).get(frozenset(given.items()))
    if state is None:
        missing = [n for n in names if n not in given]
        fits = [st for st in C.SPACES[function].states()
                if all(st.get(k) == v for k, v in given.items())]
        if fits and missing:
            need = [n for n in missing if fits[0][n] != C.NA]
            raise CaseIdError("missing dimension%s %s" % ("" if len(need) == 1 else "s",
                                                           ", ".join(need)))
        raise CaseIdError("no reachable %s state has %s (a transient domain is never shut "
                          "off; auto-destroy and held jobs need an active domain; a "
                          "dimension that does not apply must be left out)"
                          % (C.SHORT[function], body))
    point = _parse_fault(fault[len("fault="):], function, state)
    case = C.make_case(function, state, point)
    if case.id != text:
        raise CaseIdError("not written as the case's id, which is %s" % case.id)
    return case


class CaseScenario:
    """One case as a scenario of one call, for what runs and shows scenarios."""

    def __init__(self, case):
        self.case = case
        self.name = case.id
        self.path = case.id
        self.description = "enumerated case"
        self.calls = [case.call]

    def build_world(self):
        return self.case.make_world()

