"""Run one call on the Python port and on the C build, each on its own fresh world,
and say where the outcomes differ.

``compare_impls(py_module, c_impl, make_world, call)``:
  * ``make_world()`` returns a fresh ``World`` (the same state each time);
  * ``call(impl, world)`` makes the call through ``impl`` (a port module or a
    ``CImpl``) while the world is active, and returns what the caller sees
    (the return value, out-parameter values: anything comparable).
The outcome of each side is the engine's one outcome model for what a run leaves
in its world (``engine.outcome.world_state``: every error, the trace with
arguments, logs, errno, statics, the driver, every domain object the world had
at the start or that virDomainAssignDef handed out) plus the value and any
exception raised.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

from ..engine.outcome import world_state


def outcome(world, value, exception, vms) -> Dict[str, Any]:
    o = world_state(world, vms)
    o.update({"value": value, "exception": exception})
    return o


@dataclass
class Comparison:
    py: Dict[str, Any]
    c: Dict[str, Any]
    diffs: List[Tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def same(self):
        return not self.diffs

    def report(self):
        if self.same:
            return "same"
        return "\n".join("%s:\n  python: %r\n  c:      %r" % d for d in self.diffs)


def run_one(impl, make_world: Callable, call: Callable) -> Dict[str, Any]:
    world = make_world()
    vms = list(world.driver.domains.values())
    value, exc = None, None
    with world.activate():
        try:
            value = call(impl, world)
        except Exception as e:  # the outcome says what was raised; the other side may not
            exc = "%s: %s" % (type(e).__name__, e)
    return outcome(world, value, exc, vms)


def compare_impls(py_module, c_impl, make_world: Callable, call: Callable) -> Comparison:
    a = run_one(py_module, make_world, call)
    b = run_one(c_impl, make_world, call)
    diffs = [(k, a.get(k), b.get(k)) for k in a if a.get(k) != b.get(k)]
    return Comparison(a, b, diffs)
