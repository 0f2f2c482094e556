"""The outcome model: what is recorded of a call and of the state it leaves, in one place.

One model.  ``world_state`` is what a run leaves in its world: every error raised
(code, domain, message, reporter), the trace with each stub's arguments, logs,
condition waits, statics, errno, open descriptors, freed objects touched, the
driver (lock, domain list, auto-destroy table, events, deleted configs, saved
statuses, ``nextvmid``) and every domain object (``domain_state``: list
membership, references, lock, job, async job, phase, mask, lock state,
``newDef``, ...).  A call's outcome (``Outcome``, keys ``OUTCOME_KEYS``) is that
plus what a call adds: its function, domain and faults, return value,
out-parameters, the error left set, the called-about domain before and after,
and the invariants broken.  ``record_call`` returns it as an ``Outcome``, which
builds each value where it is read; ``run_call`` returns its whole dict
(``as_dict``); the goldens hold that dict; ``compare`` and the recorded upstream
observations compare it whole; ``upstream/compare.py`` uses ``world_state``.

Names are looked up defensively (a number outside its table is shown as the
number), so the C side's state can always be shown.
"""
import inspect
import json
from collections.abc import Mapping
from types import FunctionType

from ..port.cookie import qemuMigrationCookie
from ..world import stubs
from ..world.constants import (DOMAIN_REASON_NAMES, DOMAIN_STATE_NAMES,
                               EVENT_NAMES, MIGRATE_FLAG_NAMES, QEMU_ASYNC_JOB_NAMES,
                               QEMU_JOB_NAMES, QEMU_MIGRATION_PHASE_NAMES, VIR_DOMAIN_JOB_NAMES,
                               VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF, XML_FLAG_NAMES)
from ..world.objects import DomainDef, DomainObj, Event, Ptr, QemuMonitor
from . import invariants


def _name(table, i):
    return table[i] if isinstance(i, int) and 0 <= i < len(table) else i


def trace_lines(trace):
    """The trace as depth-indented labels (its entries read as (name, depth, failed, args))."""
    return [("  " * d + n + " !fault") if f else "  " * d + n
            for n, d, f, _ in list.__iter__(trace)]


# --- the arguments of stub calls -------------------------------------------------------
#
# A stub's wrapper keeps the tuple of arguments it was called with; they are put into
# words here, when the outcome is built.  Strings show as JSON strings, numbers as
# numbers (a C bool is a number), NULL as NULL; flags, reasons, jobs and event types
# by name (the tables of world/constants.py); objects by what they are: ``driver``,
# ``driver.caps``, ``driver.domains``, ``driver.autodestroy``, ``vm web1``, ``vm web1
# def``, ``vm web1 newDef``, ``vm web1 snapshots``, ``def web1`` (a definition no domain
# object holds), ``cookie``, ``event started/1 web1``; an entry point's out-parameter as
# ``&cookieout``, any other pointer to the caller's own storage (a local, an array) as
# ``&local``; a function as ``function``.  An object's role is the one it has when the
# outcome is built (a definition virDomainAssignDef took shows as that domain's def).


def _flags(table):
    items = list(table.items())

    def fmt(v):
        names = [n for n, bit in items if v & bit]
        rest = v & ~sum(bit for _, bit in items)
        if rest:
            names.append(str(rest))
        return "|".join(names) or "0"
    return fmt


def _named(table):
    return lambda v: str(_name(table, v))


# (stub, parameter) -> how the value is named, where a number stands for names
_ARG_NAMES = {
    ("virDomainDefParseString", "flags"): _flags(XML_FLAG_NAMES),
    ("qemuDomainDefFormatXML", "flags"): _flags(XML_FLAG_NAMES),
    ("qemuDomainFormatXML", "flags"): _flags(XML_FLAG_NAMES),
    ("doNativeMigrate", "flags"): _flags(MIGRATE_FLAG_NAMES),
    ("doPeer2PeerMigrate", "flags"): _flags(MIGRATE_FLAG_NAMES),
    ("qemuProcessStop", "reason"): _named(DOMAIN_REASON_NAMES[VIR_DOMAIN_SHUTOFF]),
    ("qemuProcessStartCPUs", "reason"): _named(DOMAIN_REASON_NAMES[VIR_DOMAIN_RUNNING]),
    ("qemuProcessStartCPUs", "asyncJob"): _named(QEMU_ASYNC_JOB_NAMES),
    ("virDomainEventNewFromObj", "type_"): lambda v: str(EVENT_NAMES.get(v, v)),
}


def _stub_namers():
    """stub name -> a tuple with, per positional parameter, its namer or None; only the
    stubs that have a parameter with a namer."""
    out = {}
    for name in stubs.FAULTABLE + stubs.PLAIN:
        params = [p.name for p in inspect.signature(getattr(stubs, name)).parameters.values()
                  if p.kind == p.POSITIONAL_OR_KEYWORD]
        namers = tuple(_ARG_NAMES.get((name, p)) for p in params)
        if any(namers):
            out[name] = namers
    return out


_NAMERS = _stub_namers()
_QUOTED: dict = {}      # string -> its JSON form, for the strings seen most (a few thousand)


def _quote(s):
    q = _QUOTED.get(s)
    if q is None:
        q = json.dumps(s)
        if len(_QUOTED) < 4096:
            _QUOTED[s] = q
    return q


_ROLE_NAMES: dict = {}   # domain name -> the names of it and of what hangs off it


def _role_names(name):
    r = _ROLE_NAMES.get(name)
    if r is None:
        vm = "vm %s" % name
        r = (vm, vm + " def", vm + " snapshots", vm + " privateData", vm + " newDef")
        if len(_ROLE_NAMES) < 4096:
            _ROLE_NAMES[name] = r
    return r


def _roles(driver, vms):
    """id -> the name of every object a stub argument is named by: the driver, its tables,
    the domain objects and what hangs off them."""
    roles = {id(driver): "driver", id(driver.domains): "driver.domains",
             id(driver.autodestroy): "driver.autodestroy", id(driver.caps): "driver.caps"}
    for vm in vms:
        n = _role_names(vm.def_.name)
        roles[id(vm)] = n[0]
        roles[id(vm.def_)] = n[1]
        roles[id(vm.snapshots.objs)] = n[2]
        roles[id(vm.privateData)] = n[3]
        if vm.newDef is not None:
            roles[id(vm.newDef)] = n[4]
    return roles


def _arg(v):
    """An argument that is no object of ``_roles``, in words."""
    t = type(v)
    if v is None:
        return "NULL"
    if t is str:
        return _quote(v)
    if t is int or t is bool:
        return str(int(v))
    if t is DomainObj:
        return "vm %s" % v.def_.name
    if t is DomainDef:
        return "def %s" % v.name
    if t is QemuMonitor:
        return '"qemuMonitor"'
    if isinstance(v, Ptr):
        return "&" + getattr(v, "role", "local")
    if t is Event:
        return "event %s/%d %s" % (EVENT_NAMES.get(v.type, v.type), v.detail, v.domain)
    if t is qemuMigrationCookie:
        return "cookie"
    if t is FunctionType:
        return "function"
    return "&local"


def _virAsprintf_args(args, rget):
    # the C formats the text itself and hands the stub "%s" and the result: both sides
    # record what is printed
    return [rget(id(args[0])) or _arg(args[0]), _quote(stubs.cfmt(args[1], args[2:]))]


def trace_args(trace, driver, vms=()):
    """Per trace entry, None for a ported function, the stub's arguments in words: an
    object of ``_roles`` by its role, else as ``_arg`` says (the commonest kinds,
    strings, NULL and numbers, without calling it)."""
    rget = _roles(driver, vms).get
    namers_of = _NAMERS.get
    quoted = _QUOTED.get
    out = []
    append = out.append
    for name, _, _, args in list.__iter__(trace):
        if args is None:
            append(None)
            continue
        namers = namers_of(name)
        if namers is not None:
            append([namers[i](a) if (i < len(namers) and namers[i] is not None
                                     and a is not None)
                    else rget(id(a)) or _arg(a) for i, a in enumerate(args)])
        elif name == "virAsprintf":
            append(_virAsprintf_args(args, rget))
        else:
            words = []
            for a in args:
                w = rget(id(a))
                if w is None:
                    t = type(a)
                    if t is str:
                        w = quoted(a) or _quote(a)
                    elif a is None:
                        w = "NULL"
                    elif t is int:
                        w = str(a)
                    else:
                        w = _arg(a)
                words.append(w)
            append(words)
    return out


# the tables domain_state names numbers by, as {number: name}: a lookup, not a call per
# field (``_name`` still names what is not an int, as it always did)
_STATES = dict(enumerate(DOMAIN_STATE_NAMES))
_REASONS = {state: dict(enumerate(names)) for state, names in DOMAIN_REASON_NAMES.items()}
_JOBS = dict(enumerate(QEMU_JOB_NAMES))
_ASYNC_JOBS = dict(enumerate(QEMU_ASYNC_JOB_NAMES))
_PHASES = dict(enumerate(QEMU_MIGRATION_PHASE_NAMES))
_JOB_INFOS = dict(enumerate(VIR_DOMAIN_JOB_NAMES))
_NONE: dict = {}


def domain_state(vm, driver):
    """One domain object's state (None for no domain)."""
    if vm is None:
        return None
    return state_words(state_raw(vm, driver))


def state_raw(vm, driver):
    """What ``domain_state`` reads of a domain object now, unnamed (a tuple: cheap to take
    at a moment and put into words later with ``state_words``)."""
    priv = vm.privateData
    job = priv.job
    def_ = vm.def_
    uuid = def_.uuid
    new_def = vm.newDef
    # (the values as they are: ``state_words`` makes "exists", "in_list" and "persistent"
    # of them, so that taking them costs no calls)
    return (vm.freed, def_.name, uuid, driver.domains.get(uuid) is vm, vm.refs,
            vm.locked, vm.persistent, def_.id, vm.state, vm.reason, job.active,
            job.asyncJob, job.phase, job.mask, job.info_type, job.start, priv.lockState,
            uuid in driver.autodestroy, len(vm.snapshots.objs), len(def_.hostdevs),
            None if new_def is None else new_def.name)


def state_words(raw):
    """``state_raw``'s tuple as ``domain_state``'s dict."""
    (freed, name, uuid, in_list, refs, locked, persistent, id_, state, reason, active,
     async_job, phase, mask, info, start, lock_state, autodestroy, snapshots, nhostdevs,
     new_def) = raw
    return {
        "exists": not freed,
        "name": name,
        "uuid": uuid,
        "in_list": int(in_list),
        "refs": refs,
        "locked": locked,
        "persistent": bool(persistent),
        "id": id_,
        "state": (_STATES.get(state, state) if type(state) is int
                  else _name(DOMAIN_STATE_NAMES, state)),
        "reason": (_REASONS.get(state, _NONE).get(reason, reason)
                   if type(state) is int and type(reason) is int
                   else _name(DOMAIN_REASON_NAMES.get(state, []), reason)),
        "job": _JOBS.get(active, active) if type(active) is int else _name(QEMU_JOB_NAMES, active),
        "async_job": (_ASYNC_JOBS.get(async_job, async_job) if type(async_job) is int
                      else _name(QEMU_ASYNC_JOB_NAMES, async_job)),
        "phase": (_PHASES.get(phase, phase) if type(phase) is int
                  else _name(QEMU_MIGRATION_PHASE_NAMES, phase)),
        "mask": mask,
        "job_info": (_JOB_INFOS.get(info, info) if type(info) is int
                     else _name(VIR_DOMAIN_JOB_NAMES, info)),
        "job_start": start,
        "lockState": lock_state,
        "autodestroy": autodestroy,
        "snapshots": snapshots,
        "nhostdevs": nhostdevs,
        "newDef": new_def,
    }


def driver_state(driver, events_from=0):
    """The driver: its lock, the domains listed (by name and by uuid), the auto-destroy
    table, the events queued since ``events_from``, the configs deleted and statuses
    saved, and the next domain id."""
    return {
        "locked": driver.locked,
        "domains": sorted(vm.def_.name for vm in driver.domains.values()),
        "uuids": sorted(driver.domains),
        "autodestroy": sorted(driver.autodestroy),
        "events": [e.as_dict() for e in driver.events[events_from:]],
        "deleted_configs": list(driver.deleted_configs),
        "saved_status": list(driver.saved_status),
        "nextvmid": driver.nextvmid,
    }


def _objects(world, vms):
    """The domain objects in ``vms`` or handed out by virDomainAssignDef during the run,
    in that order, each once."""
    seen, objs = set(), []
    for vm in list(vms) + list(world.assigned):
        if id(vm) not in seen:
            seen.add(id(vm))
            objs.append(vm)
    return objs


def world_state(world, vms=(), events_from=0):
    """What a run leaves in the world, whatever was called: every error raised, whole;
    the trace with the stubs' arguments; logs, condition waits and statics; errno, the
    descriptors open, the freed objects touched; the driver (events since
    ``events_from``); and every domain object in ``vms`` (those the world had when the
    run began) or that virDomainAssignDef handed out, in that order, each once."""
    objs = _objects(world, vms)
    driver = world.driver
    return {
        "errors": [e.as_dict() for e in world.errors],
        "trace": trace_lines(world.trace),
        "trace_args": trace_args(world.trace, driver, objs),
        "logs": list(world.logs),
        "conditions": list(world.conditions),
        "statics": ({k: p.value for k, p in sorted(world.statics.items())}
                    if world.statics else {}),
        "errno": world.errno,
        "fds_open": sorted(world.fds_open),
        "touched_freed": list(world.touched_freed),
        "driver": driver_state(driver, events_from),
        "domains": [domain_state(vm, driver) for vm in objs],
    }


# the keys of a call's outcome, in the order its dict has them
OUTCOME_KEYS = ("function", "domain", "faults", "return", "failed", "out", "error", "before",
                "after", "violations", "errors", "trace", "trace_args", "logs", "conditions",
                "statics", "errno", "fds_open", "touched_freed", "driver", "domains")
_OUTCOME_KEY_SET = frozenset(OUTCOME_KEYS)


def _objects_of(o):
    objs = o._objs
    if objs is None:
        objs = o._objs = _objects(o.world, o.vms)
    return objs


def _errors(o):
    return [e.as_dict() for e in o.world.errors]


def _error(o):
    last = o.world.last_error
    return None if last is None else last.as_dict()


def _statics(o):
    statics = o.world.statics
    return {k: p.value for k, p in sorted(statics.items())} if statics else {}


def _violations(o):
    w = o.world
    return invariants.check(o.call.function, o.failed, o["before"], o["after"], w,
                            w.driver.events[o.events_from:])


# key -> how a recorded call builds its value (from the world the run left)
_BUILD = {
    "function": lambda o: o.call.function,
    "domain": lambda o: o.call.domain,
    "faults": lambda o: (["%s#%d" % p for p in o.call.faults.pairs()]
                         if o.call.faults.faults else []),
    "return": lambda o: o.ret,
    "failed": lambda o: o.failed,
    "out": lambda o: o.out,
    "error": _error,
    "before": lambda o: None if o.before_raw is None else state_words(o.before_raw),
    "after": lambda o: None if o.after_raw is None else state_words(o.after_raw),
    "violations": _violations,
    "errors": _errors,
    "trace": lambda o: trace_lines(o.world.trace),
    "trace_args": lambda o: trace_args(o.world.trace, o.world.driver, _objects_of(o)),
    "logs": lambda o: list(o.world.logs),
    "conditions": lambda o: list(o.world.conditions),
    "statics": _statics,
    "errno": lambda o: o.world.errno,
    "fds_open": lambda o: sorted(o.world.fds_open),
    "touched_freed": lambda o: list(o.world.touched_freed),
    "driver": lambda o: driver_state(o.world.driver, o.events_from),
    "domains": lambda o: [domain_state(vm, o.world.driver) for vm in _objects_of(o)],
}
_BUILD_ORDER = tuple((k, _BUILD[k]) for k in OUTCOME_KEYS)
_MISSING = object()
_NO_VALUES: dict = {}


class Outcome(Mapping):
    """A call's outcome, recorded cheaply and put into words only where it is read.

    The run leaves its world as the call left it; this keeps that world, the call, what
    the caller got back (return value, failed, out-parameters) and the called-about
    domain's state before and after the call as ``state_raw`` tuples (taken at those
    moments: the caller unlocks the domain after ``after``).  Reading a key builds its
    value, as the whole dict has it, once; ``as_dict()`` gives the whole dict, keys
    in ``OUTCOME_KEYS`` order, and lets the world go.  So an analysis that reads a few
    keys of each of thousands of outcomes (``diff`` reads the return, the errors, the
    violations, the domain's state and the driver's events) builds only those.

    Its world must not change after the run: the case enumeration runs each case on a
    world of its own; ``run_call``, whose world a scenario's next call changes, builds
    the dict at once.  An outcome equals its dict (and another outcome with the same
    dict); it is not a dict, so what writes outcomes (JSON, marshal) writes
    ``as_dict()`` (``plain``).
    """
    __slots__ = ("call", "world", "ret", "failed", "out", "before_raw", "after_raw",
                 "events_from", "vms", "_objs", "_values", "_whole")

    # (made by ``make_outcome``: no constructor of its own)

    def __getitem__(self, key):
        values = self._values
        if values is None:
            values = self._values = {}
        value = values.get(key, _MISSING)
        if value is _MISSING:
            value = values[key] = _BUILD[key](self)
        return value

    def __contains__(self, key):
        return key in _OUTCOME_KEY_SET

    def __iter__(self):
        return iter(OUTCOME_KEYS)

    def __len__(self):
        return len(OUTCOME_KEYS)

    def as_dict(self):
        """The whole outcome as a plain dict, keys in ``OUTCOME_KEYS`` order (built once)."""
        whole = self._whole
        if whole is None:
            get = (self._values or _NO_VALUES).get
            whole = self._whole = {}
            for k, build in _BUILD_ORDER:
                v = get(k, _MISSING)
                whole[k] = build(self) if v is _MISSING else v
            self._values = whole
            self.world = self.vms = self._objs = self.call = None   # all in ``whole`` now
        return whole

    def __eq__(self, other):
        if isinstance(other, Outcome):
            other = other.as_dict()
        elif type(other) is not dict:
            return NotImplemented
        return self.as_dict() == other

    __hash__ = None

    def __repr__(self):
        return "Outcome(%r)" % (self.as_dict(),)


_new_outcome = object.__new__


def make_outcome(call, world, ret, failed, out, before_raw, after_raw, events_from, vms):
    """A run's ``Outcome``: made here, a function, not by a constructor of the class (a
    Python-level ``__init__`` runs inside a C-level call, dearer than a function's; a run
    makes one)."""
    o = _new_outcome(Outcome)
    o.call, o.world, o.ret, o.failed, o.out = call, world, ret, failed, out
    # the called-about domain's states before and after the call, as ``state_raw`` (None
    # for no domain); the one after with the domain's lock as the call left it (the caller
    # released it after: ``record_call``), a plain field (every reader of a batch,
    # ``diff``, reads it: taken at a first read, it cost a property's call)
    o.before_raw, o.after_raw = before_raw, after_raw
    o.events_from, o.vms = events_from, vms
    o._objs = o._whole = o._values = None   # (the values: made at a first read)
    return o


def plain(outcome):
    """An outcome as a plain dict: an ``Outcome``'s ``as_dict()``, a dict as it is."""
    return outcome.as_dict() if type(outcome) is Outcome else outcome
