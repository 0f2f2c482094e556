"""The world a run happens in: the driver, the fault plan, the trace, the errors.

C's globals (the thread's last error, errno, a function's ``static`` variables,
the clock) live here, one ``World`` per run, so that no run sees another's.
The ported functions and the stubs reach the current world through
``current()``; ``World.activate()`` makes a world current for a block.

The world that is current lives in one module-level cell (``_world``), which
the tracing wrappers read directly: they run around every ported call and
every stub, so they look nothing else up.
"""
import functools
import inspect
import types
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Tuple

from .errors import VirError
from .objects import Driver, Ptr

# the current world; World.activate() sets it, and the runner (engine/runner.py) writes it
# itself around a run, as ``runtime._world`` (a run makes one: no call to swap it)
_world: Optional["World"] = None


def current() -> "World":
    return _world


def in_frame(w, name, fn, *args):
    """``fn(*args)`` with ``name`` as ``w``'s current frame (``World.frame``: what an error
    reported meanwhile names as its reporter), the one before given back however it ends."""
    frame, w.frame = w.frame, name
    try:
        return fn(*args)
    finally:
        w.frame = frame


class TraceEntry(NamedTuple):
    """One call in the trace: the callee's name, its nesting depth, whether it was a
    stub made to fail there, and a stub's arguments as it received them (the raw
    tuple: engine/outcome.py formats them when the outcome is built; None for a
    ported function, whose arguments are not recorded)."""
    name: str
    depth: int
    failed: bool = False      # a stub that was made to fail here
    args: Optional[tuple] = None

    def label(self):
        return self.name + (" !fault" if self.failed else "")


_entry = TraceEntry._make


class Trace(list):
    """The calls of a run, in order.  The wrappers append plain ``(name, depth,
    failed, args)`` tuples, the cheapest thing to make; reading the trace gives each as
    a ``TraceEntry``.  ``raw()`` gives the tuples themselves."""
    __slots__ = ()

    def __iter__(self):
        return map(_entry, list.__iter__(self))

    def __getitem__(self, i):
        item = list.__getitem__(self, i)
        return list(map(_entry, item)) if isinstance(i, slice) else _entry(item)

    def raw(self):
        return list.__iter__(self)


class _Activation:
    """``with world.activate():`` makes the world current and restores the one before."""
    __slots__ = ("world", "before")

    def __init__(self, world):
        self.world = world

    def __enter__(self):
        global _world
        self.before = _world
        _world = world = self.world
        world.fresh = False     # code may run on it now: its record is no longer fresh
        return world

    def __exit__(self, *exc):
        global _world
        _world = self.before


class Goto(ImportError):
    """``goto label;``: raised by goto(), caught by the function's label dispatch loop.

    No ``__init__`` of its own (a run raises a few; a Python-level constructor doubled
    their cost): the label is the exception's one argument.  ``ImportError`` is its base
    only for the C-level field its constructor fills with that one argument (``msg``),
    which ``label`` reads: a read of it is no call (a property was, 1.6 a run, about 330
    instructions each).  Nothing catches an ImportError around ported code, and a Goto
    never leaves the function whose dispatch loop catches it.  (``StopIteration.value``
    would do the same at a little less cost, but a StopIteration that escaped through
    ``map`` or an iterator would end the iteration silently.)"""

    label = ImportError.msg


def goto(label):
    raise Goto(label)


class NoSuchLabel(AssertionError):
    """A ``goto`` to a label its function does not have: a porting mistake (C would not
    compile it).  Raised by the ``case _:`` that ends every label dispatch loop, so a
    misspelt label fails at once, naming the function and the label, instead of looping.
    """

    def __init__(self, function, label):
        super().__init__("%s: no label %r" % (function, label))
        self.function = function
        self.label = label


@dataclass
class FaultPlan:
    """Which stubbed callee fails, at which of its calls (1-based), within one run."""
    faults: Dict[str, List[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs):
        plan = cls()
        for callee, nth in pairs:
            plan.faults.setdefault(callee, []).append(int(nth))
        return plan

    def pairs(self):
        return sorted((c, n) for c, ns in self.faults.items() for n in ns)

    def __bool__(self):
        return bool(self.faults)


_new_world = object.__new__


class TemplateStates(dict):
    """A template's (``World.seal``) and its untouched copies' ``fresh``: uuid -> the state
    of that domain (engine/outcome.py ``state_raw``) before a call about it, as the runner
    takes it on the first copy's run (locked: the caller holds it) and reads it on the
    others (engine/runner.py): the same on every untouched copy, and about 2% of a run.
    True, as a ``fresh`` is, even while no run has taken one."""
    __slots__ = ()

    def __bool__(self):
        return True


class World:
    def __init__(self, driver: Optional[Driver] = None, faults: Optional[FaultPlan] = None,
                 clock_ms: int = 1316000000000):
        self.driver = driver if driver is not None else Driver()
        self.statics: Dict[str, object] = {}
        self.clock_ms = clock_ms
        self.depth = 0
        # the ported function or stub running now (each wrapper sets it, and gives the
        # one before back when it returns): what a reported error names as its reporter
        self.frame = "caller"
        self.fds_open: set = set()
        self.next_fd = 20
        self.peer_v3 = True
        self.wakeups: List[str] = []    # what other threads do while a job waits
        self.host = None                # the hosts.Host this world is the world of, if any
        self.reset_run(faults)

    def activate(self):
        return _Activation(self)

    # what a world is in, as opposed to the record of one run (reset_run)
    STATE = ("driver", "statics", "clock_ms", "fds_open", "next_fd", "peer_v3", "wakeups")

    def copy(self) -> "World":
        """A world at the start of a run in the same ``STATE`` as this one, sharing
        nothing a run changes with it (the driver and its domains are copied, the
        statics by value); the record of runs starts empty (``reset_run``, with this
        world's fault plan).  The case enumeration builds a template world per starting
        state and runs each case on a copy.

        The attributes are set here, in ``__init__``'s order, without calling it (a run
        copies a world: its constructor's defaults would be made only to be replaced).
        """
        w = _new_world(World)
        w.driver = self.driver.copy()
        w.statics = {k: Ptr(p.value) for k, p in self.statics.items()} if self.statics else {}
        w.clock_ms = self.clock_ms
        w.depth = 0
        w.frame = "caller"
        w.fds_open = self.fds_open.copy()
        w.next_fd = self.next_fd
        w.peer_v3 = self.peer_v3
        w.wakeups = [*self.wakeups]
        w.host = None
        # the record of runs, as reset_run(self.faults) makes it (written out: a call the
        # less a run; tests/test_world_copy.py holds the two to the same attributes)
        w.faults = self.faults
        w.calls = {}
        w.trace = Trace()
        w.errors = []
        w.last_error = None
        w.logs = []
        w.errno = 0
        w.touched_freed = []
        w.assigned = []
        w.fds_at_start = w.fds_open.copy()
        w.others_refs = 0
        w.others_async = []
        w.conditions = []
        w.lock_drops = {}
        w.drop_wakeups = {}
        w.drop_wakeups_fired = []
        w.others_held = {}
        w.others_job = {}
        # (an untouched copy of a template shares its states: ``reset_run``'s ``fresh``)
        fresh = self.fresh
        w.fresh = fresh if fresh.__class__ is TemplateStates else True
        return w

    def seal(self):
        """Make this world a template: from now on it is only copied, and its untouched
        copies share its ``TemplateStates`` (``reset_run``'s ``fresh``).  A run on it, or
        its activation, makes it no template again (its copies are then fresh as any copy
        is); nothing may change it by hand."""
        self.fresh = TemplateStates()

    # --- per-run bookkeeping -------------------------------------------------
    def reset_run(self, faults: Optional[FaultPlan] = None):
        """Start a new call on the same state: fresh trace, errors, counters and faults.
        The one list of the record of a run: a new world and a copy start theirs here."""
        # the plan given (an empty one too: nothing changes a plan), else an empty one
        self.faults = faults if faults is not None else FaultPlan()
        self.calls: Dict[str, int] = {}   # calls so far of each faultable stub (and wire call)
        self.trace = Trace()
        self.errors: List[VirError] = []
        self.last_error: Optional[VirError] = None   # the thread's last error (virterror.c)
        self.logs: List[str] = []
        self.errno = 0
        self.touched_freed: List[str] = []
        self.assigned: list = []         # domain objects virDomainAssignDef handed out
        self.fds_at_start = set(self.fds_open)   # those already open when the call began
        self.others_refs = 0             # references other threads took (+) or gave back (-)
        self.others_async: List[str] = []   # async jobs other threads "ended" or "started"
        self.conditions: List[str] = []  # condition variables waited on, signalled, broadcast
        self.lock_drops: Dict[str, int] = {}    # passages of each lock-drop point so far
        # a whole migration's scripted wakeups: (lock-drop or wait point, nth) -> what
        # other threads do there, in order (stubs._meanwhile, _other_thread); the run's
        # plan, as ``faults`` (set after this)
        self.drop_wakeups: Dict[Tuple[str, int], Tuple[str, ...]] = {}
        self.drop_wakeups_fired: List[Tuple[str, int]] = []
        # per domain object (its id()): references other threads of a whole migration's
        # host hold at the end of the attempt, and the job one holds (stubs._job_thread)
        self.others_held: Dict[int, int] = {}
        self.others_job: Dict[int, int] = {}
        # nothing has run on the world since: the runner (engine/runner.py, record_call)
        # then only hands the record its call's plan instead of making it again (a case's
        # run is on a world just copied, whose record the copy made); made False when the
        # world is made current (``activate``) or run on by the runner.  An untouched copy
        # of a template (``seal``) has the template's ``TemplateStates`` as its ``fresh``
        # (fresh as well: anything but False is): its domains are the template's as they
        # were copied.  A setup that changes such a copy's domains by hand before its run
        # sets ``fresh`` to True.
        self.fresh = True

    def start_run(self, faults: Optional[FaultPlan] = None):
        """What the runner does before it runs a call on a world that is not fresh:
        ``reset_run(faults)``, and the world is no longer fresh.  (A fresh world, as a
        case's copy, already has the record ``reset_run`` would make but for the plan and
        the descriptors open at the start: the runner sets only those, engine/runner.py
        ``record_call``.)"""
        self.reset_run(faults)
        self.fresh = False

    def raise_error(self, error: VirError):
        """A report: kept in ``errors`` and made the thread's last error (virRaiseErrorFull)."""
        self.errors.append(error)
        self.last_error = error

    def reset_last_error(self):
        """virResetLastError (virterror.c:413 @ e2fb96d9): no last error any more; the
        record of reports (``errors``) keeps them."""
        self.last_error = None

    def set_last_error(self, error: Optional[VirError]):
        """virSetError (virterror.c:304 @ e2fb96d9): the last error is a saved one again
        (None: a saved "no error"); not a report, so ``errors`` is unchanged."""
        self.last_error = error

    def log(self, level, msg):
        self.logs.append("%s: %s" % (level, msg))


# --- the tracing wrappers ----------------------------------------------------------------
#
# A wrapper runs around every ported call and every stub call (about 15 per run), so it is
# made per function with that function's own positional parameters: a call of it, and its
# call of the function, are then plain calls with exact arguments, which CPython makes
# cheaply, where ``*args`` would pack a tuple and call through the generic path.  A
# function with ``*args``, ``**kwargs`` or keyword-only parameters gets the generic wrapper
# (virAsprintf).  Every wrapper is made from the one body below, filled in for its kind;
# it reads the current world from the module-level cell ``_world``.

_BODY = """
def _make(_qm_fn, _qm_name, _qm_entries):
    def wrapper({params}):
        _qm_w = _world
{count}        _qm_depth = _qm_w.depth
{record}        _qm_w.depth = _qm_depth + 1
        _qm_frame = _qm_w.frame
        _qm_w.frame = _qm_name
        try:
            return _qm_fn({call})
        finally:
            _qm_w.frame = _qm_frame
            _qm_w.depth = _qm_depth
    return wrapper
"""

# a stub's entry in the trace holds its arguments: made at each call
_RECORD = """\
        _qm_w.trace.append((_qm_name, _qm_depth, {failed}, {recorded}))
"""
# a ported function's is the same at each call at one depth: made once per depth (the tuple
# and its freeing with the world were about 250 instructions a call, some 2,000 a run)
_RECORD_PORTED = """\
        try:
            _qm_w.trace.append(_qm_entries[_qm_depth])
        except IndexError:      # (deeper than PORTED_DEPTHS)
            _qm_w.trace.append((_qm_name, _qm_depth, False, None))
"""
PORTED_DEPTHS = 32      # the depths a ported function's wrapper has its entry made for

# a faultable stub's calls are counted, and the plan says whether this one fails; a plain
# stub is not counted: no fault plan can name it (the loader refuses)
_COUNT = """\
        _qm_calls = _qm_w.calls
        _qm_n = _qm_calls.get(_qm_name, 0) + 1
        _qm_calls[_qm_name] = _qm_n
        _qm_fail = _qm_n in _qm_w.faults.faults.get(_qm_name, ())
"""


def _positional(fn, stub):
    """The names of ``fn``'s parameters a wrapper takes, or None where the generic wrapper
    must do: plain positional-or-keyword parameters only, none ``_qm_``-prefixed; a stub's
    ``fail`` (keyword-only) is the wrapper's to pass, and no other parameter of a stub has
    a default (the trace holds the arguments the stub was handed)."""
    code = fn.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    names = list(code.co_varnames[:code.co_argcount])
    kwonly = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    if (kwonly != (("fail",) if stub else ()) or (stub and fn.__defaults__)
            or any(n.startswith("_qm_") for n in names)):
        return None
    return names


def _wrapper(kind, fn, name, names):
    """The wrapper of ``fn``, a ``kind`` ("ported", "faulted" or "plain" stub), taking the
    parameters ``names`` (see _positional), or ``*args`` (and a ported function's
    ``**kwargs``) where ``names`` is None."""
    if names is None:
        params = "*_qm_args, **_qm_kwargs" if kind == "ported" else "*_qm_args"
        args, recorded = params + ", ", "_qm_args"
    else:
        params = ", ".join(names)
        args = "".join(n + ", " for n in names)
        recorded = "(%s)" % args
    callee = fn
    if kind == "ported":
        fill = dict(count="", record=_RECORD_PORTED, call=params)
        entries = [(name, depth, False, None) for depth in range(PORTED_DEPTHS)]
    else:
        faulted = kind == "faulted"
        fail = "_qm_fail" if faulted else "False"
        if names is None:
            fail = "fail=" + fail
        else:
            # an exact wrapper hands ``fail`` by position, to the stub's own code with its
            # keyword-only ``fail`` counted as its last positional parameter (the same
            # variables in the same order: only the counts differ), as a function the
            # wrapper alone calls; a call with a keyword cost some 50 instructions more
            code = fn.__code__
            callee = types.FunctionType(
                code.replace(co_argcount=code.co_argcount + 1, co_kwonlyargcount=0),
                fn.__globals__, fn.__name__, None, fn.__closure__)
        fill = dict(count=_COUNT if faulted else "", call=args + fail,
                    record=_RECORD.format(failed="_qm_fail" if faulted else "False",
                                          recorded=recorded))
        entries = None
    scope: dict = {}
    exec(compile(_BODY.format(params=params, **fill), "<%s wrapper>" % name, "exec"),
         globals(), scope)
    wrapper = scope["_make"](callee, name, entries)
    if kind == "ported" and names is not None:
        wrapper.__defaults__ = fn.__defaults__
    return functools.wraps(fn)(wrapper)


def ported(fn):
    """Mark a ported upstream function: its calls show in the trace, nested."""
    wrapper = _wrapper("ported", fn, fn.__name__, _positional(fn, False))
    wrapper.ported = True
    return wrapper


def stub(faultable=True):
    """Mark a stubbed callee: recorded in the trace; ``fail`` says whether to fail now.

    A faultable stub receives ``fail=True`` at the calls the fault plan names.
    """
    def decorate(fn):
        name = fn.__name__
        wrapper = _wrapper("faulted" if faultable else "plain", fn, name, _positional(fn, True))
        wrapper.faultable = faultable
        wrapper.stub_name = name
        return wrapper
    return decorate


def traced(namespace, names):
    """Wrap the named functions of a module as ``ported`` (in place)."""
    for name in names:
        namespace[name] = ported(namespace[name])


def recorded(namespace, faultable, plain):
    """Wrap the named stub functions of a module as ``stub`` (in place)."""
    for name in faultable:
        namespace[name] = stub(faultable=True)(namespace[name])
    for name in plain:
        namespace[name] = stub(faultable=False)(namespace[name])


def static(name, initial):
    """A C function's ``static`` variable, kept per world so runs do not share it."""
    statics = _world.statics
    p = statics.get(name)
    if p is None:
        p = statics[name] = Ptr(initial)
    return p
