"""Which inputs a ported caller can give a function: found by running the callers.

The function-level case space (analysis/cases.py) enumerates the inputs each entry
point branches on.  Not every combination can happen: qemuMigrationBegin is only
called under a job its caller took on a running domain, qemuMigrationPerform calls
qemuMigrationPerformJob only for peer-to-peer or tunnelled migrations or v2 ones.
Rather than a hand-written list of such rules, the callers themselves say so
(issue 9, item 4): a *probe* runs a caller (a qemu_driver.c entry point, port/driver.py)
on a host's unit (port/unit.py) over the caller's own inputs, with the target
function wrapped so that every call of it is *abstracted* into the dimensions of
the target's case space (what the world and the arguments are at that moment),
and then runs on as it would.  A state of the case space is reachable when some
call seen matches it on every dimension both give a value (``admits``).

A probe whose run needs a function the unit does not have yet (port/driver.py's
stand-ins raise ``NotInUnit``) leaves its targets *pending*: their states are not
filtered until the unit is whole, and ``Reach.pending`` says which.

What the probes see depends on the code alone, so ``cached`` keeps it in a file
between processes, under a key (the digest of the package's source): a command
pays for the probes once per change of the code, not on every run.
"""
import inspect
import types
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Set

from ..paths import keep, load_kept
from ..port.driver import DRIVER_TABLE, NotInUnit
from ..port.unit import unit
from ..world.runtime import ported

NA = "-"       # a dimension that does not apply to a state (cases.NA)


@dataclass(frozen=True)
class Probe:
    """A caller run over its inputs: ``inputs()`` gives (world, args) pairs, a fresh
    world each; the caller is the unit's function ``caller`` called with ``args``."""
    caller: str
    inputs: Callable[[], Iterable[tuple]]


@dataclass
class Reach:
    """What the probes saw: per target, the set of abstracted calls (each a frozenset of
    (dimension, value) pairs), and the targets whose probes could not all run."""
    seen: Dict[str, Set[FrozenSet]] = field(default_factory=dict)
    pending: Set[str] = field(default_factory=set)

    # per target: (how many calls it was built from, the calls grouped by the dimensions
    # they give, {(dimensions, those the state leaves NA): the calls' values on the rest})
    _index: Dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)

    def admits(self, target, state):
        """Whether ``state`` (a dict of dimension values) is a call of ``target`` some
        caller makes: equal on every dimension that both the state and the call give.

        Answered from an index of the calls (a set lookup per group of calls giving the
        same dimensions), not by walking every call: the case space asks per state."""
        if target in self.pending:
            return True
        calls = self.seen.get(target, ())
        index = self._index.get(target)
        if index is None or index[0] != len(calls):
            groups: Dict[tuple, List[dict]] = {}
            for call in calls:
                c = dict(call)
                groups.setdefault(tuple(sorted(c)), []).append(c)
            index = self._index[target] = (len(calls), groups, {})
        _, groups, projected = index
        for dims, group in groups.items():
            given = tuple(d for d in dims if state.get(d, NA) != NA)
            key = (dims, given)
            values = projected.get(key)
            if values is None:
                values = projected[key] = {tuple(c[d] for d in given) for c in group}
            if tuple(state[d] for d in given) in values:
                return True
        return False


def rebind(version, wrap, provide=None):
    """``version``'s unit with each function named in ``wrap`` (name -> maker) replaced,
    everywhere in the unit, by ``maker(the unit's function)``: {name: function}.
    ``provide`` (name -> function) adds functions the unit lacks, bound in it as well
    (a test's stand-in for a port not there yet)."""
    funcs = {}
    scopes = {}
    members = dict(vars(unit(version)))
    members.update(provide or {})
    for name, fn in members.items():
        raw = inspect.unwrap(fn)
        g = raw.__globals__
        scope = scopes.get(id(g))
        if scope is None:
            scope = scopes[id(g)] = dict(g)
        clone = types.FunctionType(raw.__code__, scope, raw.__name__, raw.__defaults__,
                                   raw.__closure__)
        clone.__kwdefaults__ = raw.__kwdefaults__
        funcs[name] = ported(clone)
    for name, maker in wrap.items():
        funcs[name] = maker(funcs[name])
    for scope in scopes.values():
        scope.update(funcs)
    return funcs


def _watcher(name, abstract, seen):
    """A maker for ``rebind``: the function with each call abstracted into ``seen``
    first (the abstraction reads the arguments and the current world)."""
    def make(real):
        def watched(*args):
            seen.add(frozenset(abstract(args).items()))
            return real(*args)
        watched.__name__ = name
        watched.__wrapped__ = real
        return watched
    return make


def _serve(world, entry):
    """The hosts of the probe's network (a peer-to-peer source opens its destination) run
    the probed unit (``entry``: its driver table, which they only read), so that their
    calls are watched as well."""
    host = world.host
    if host is not None and host.network is not None:
        for h in host.network.hosts.values():
            h.entry = entry


def run_probes(versions, probes: List[Probe], targets: Dict[str, Callable],
               provide=None) -> Reach:
    """Run every probe on every version with every target watched.

    ``targets``: target name -> abstract(args) giving the dimensions of one call (read
    while the run's world is the current one).  A probe that cannot run (the unit lacks
    a function on its path, whose calls nobody can know) leaves every target pending."""
    reach = Reach({t: set() for t in targets})
    for version in versions:
        funcs = rebind(version, {t: _watcher(t, a, reach.seen[t]) for t, a in targets.items()},
                       provide)
        entry = {m: funcs[f] for m, f in DRIVER_TABLE.items()}
        for probe in probes:
            caller = funcs[probe.caller]
            for world, args in probe.inputs():
                _serve(world, entry)
                world.reset_run()
                try:
                    with world.activate():
                        caller(*args)
                except NotInUnit:
                    reach.pending.update(targets)    # nothing can be ruled out: stop
                    return reach
    return reach


def _decode(value) -> Reach:
    seen, pending = value
    return Reach({t: {frozenset((d, v) for d, v in call) for call in calls}
                  for t, calls in seen.items()}, set(pending))


def cached(path, key, compute: Callable[[], Reach]) -> Reach:
    """The Reach kept in the file ``path`` under ``key`` (paths.load_kept), else
    ``compute()``, kept there (paths.keep)."""
    reach = load_kept(path, key, _decode)
    if reach is None:
        reach = compute()
        keep(path, key, (reach.seen, reach.pending))
    return reach
