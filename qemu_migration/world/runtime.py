"""The world a run happens in: the driver, the fault plan, the trace, the errors.

C's globals (the thread's last error, errno, a function's ``static`` variables,
the clock) live here, one ``World`` per run, so that no run sees another's.
The ported functions and the stubs reach the current world through
``current()``; ``World.activate()`` makes a world current for a block.
"""
import contextlib
import functools
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .errors import VirError
from .objects import Driver, Ptr

_CURRENT: List["World"] = []


def current() -> "World":
    return _CURRENT[-1]


@dataclass
class TraceEntry:
    name: str
    depth: int
    failed: bool = False      # a stub that was made to fail here

    def label(self):
        return self.name + (" !fault" if self.failed else "")


class Goto(Exception):
    """``goto label;``: raised by goto(), caught by the function's label dispatch loop."""

    def __init__(self, label):
        super().__init__(label)
        self.label = label


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


class World:
    def __init__(self, driver: Optional[Driver] = None, faults: Optional[FaultPlan] = None,
                 clock_ms: int = 1316000000000):
        self.driver = driver if driver is not None else Driver()
        self.faults = faults or FaultPlan()
        self.calls: Dict[str, int] = {}
        self.trace: List[TraceEntry] = []
        self.errors: List[VirError] = []
        self.logs: List[str] = []
        self.errno = 0
        self.statics: Dict[str, object] = {}
        self.clock_ms = clock_ms
        self.depth = 0
        self.frames: List[str] = ["caller"]   # the ported function or stub running now
        self.touched_freed: List[str] = []
        self.assigned: list = []        # domain objects virDomainAssignDef handed out
        self.fds_open: set = set()
        self.fds_at_start: set = set()  # those already open when the call began
        self.next_fd = 20
        self.peer_v3 = True
        self.wakeups: List[str] = []    # what other threads do while a job waits
        self.conditions: List[str] = []
        self.others_refs = 0
        self.others_async: List[str] = []

    @contextlib.contextmanager
    def activate(self):
        _CURRENT.append(self)
        try:
            yield self
        finally:
            _CURRENT.pop()

    # --- per-run bookkeeping -------------------------------------------------
    def reset_run(self, faults: Optional[FaultPlan] = None):
        """Start a new call on the same state: fresh trace, errors, counters and faults."""
        self.faults = faults or FaultPlan()
        self.calls = {}
        self.trace = []
        self.errors = []
        self.logs = []
        self.errno = 0
        self.touched_freed = []
        self.assigned = []
        self.fds_at_start = set(self.fds_open)
        self.others_refs = 0             # references other threads took (+) or gave back (-)
        self.others_async = []           # async jobs other threads "ended" or "started", in order
        self.conditions = []             # condition variables waited on, signalled, broadcast

    def should_fail(self, name):
        n = self.calls.get(name, 0) + 1
        self.calls[name] = n
        return n in self.faults.faults.get(name, ())

    def raise_error(self, error: VirError):
        self.errors.append(error)

    @property
    def last_error(self):
        return self.errors[-1] if self.errors else None

    def log(self, level, msg):
        self.logs.append("%s: %s" % (level, msg))


def ported(fn):
    """Mark a ported upstream function: its calls show in the trace, nested."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        w = current()
        w.trace.append(TraceEntry(name, w.depth))
        w.depth += 1
        w.frames.append(name)
        try:
            return fn(*args, **kwargs)
        finally:
            w.frames.pop()
            w.depth -= 1

    wrapper.ported = True
    return wrapper


def stub(faultable=True):
    """Mark a stubbed callee: recorded in the trace; ``fail`` says whether to fail now.

    A faultable stub receives ``fail=True`` at the calls the fault plan names.
    """
    def decorate(fn):
        name = fn.__name__

        @functools.wraps(fn)
        def wrapper(*args):
            w = current()
            fail = faultable and w.should_fail(name)
            if not faultable:
                w.calls[name] = w.calls.get(name, 0) + 1
            w.trace.append(TraceEntry(name, w.depth, fail))
            w.depth += 1
            w.frames.append(name)
            try:
                return fn(*args, fail=fail)
            finally:
                w.frames.pop()
                w.depth -= 1

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
    w = current()
    if name not in w.statics:
        w.statics[name] = Ptr(initial)
    return w.statics[name]
