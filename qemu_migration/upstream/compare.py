"""Run one call on the Python port and on the C build, each on its own fresh world,
and say where the outcomes differ.

``compare_impls(py_module, c_impl, make_world, call)``:
  * ``make_world()`` returns a fresh ``World`` (the same state each time);
  * ``call(impl, world)`` makes the call through ``impl`` (a port module or a
    ``CImpl``) while the world is active, and returns what the caller sees
    (the return value, out-parameter values: anything comparable).
The outcome of each side holds that value, the errors (as_dict), the trace
(depth-indented labels), the logs, and the state of the driver and of every
domain object the world had at the start or that virDomainAssignDef handed out.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

from ..engine.runner import trace_lines
from ..world.constants import (DOMAIN_STATE_NAMES, QEMU_ASYNC_JOB_NAMES, QEMU_JOB_NAMES)


def _name(table, i):
    return table[i] if isinstance(i, int) and 0 <= i < len(table) else i


def vm_state(vm) -> Dict[str, Any]:
    job = vm.privateData.job
    d = vm.def_
    return {
        "name": d.name, "uuid": d.uuid, "id": d.id, "nhostdevs": d.nhostdevs,
        "refs": vm.refs, "locked": vm.locked, "freed": vm.freed,
        "persistent": bool(vm.persistent),
        "state": _name(DOMAIN_STATE_NAMES, vm.state), "reason": vm.reason,
        "newDef": None if vm.newDef is None else vm.newDef.name,
        "job": {"active": _name(QEMU_JOB_NAMES, job.active),
                "asyncJob": _name(QEMU_ASYNC_JOB_NAMES, job.asyncJob),
                "phase": job.phase, "mask": job.mask, "start": job.start,
                "info_type": job.info_type},
        "lockState": vm.privateData.lockState,
    }


def outcome(world, value, exception, vms) -> Dict[str, Any]:
    drv = world.driver
    seen, objs = set(), []
    for vm in list(vms) + list(getattr(world, "assigned", [])):
        if id(vm) not in seen:
            seen.add(id(vm))
            objs.append(vm)
    return {
        "value": value,
        "exception": exception,
        "errors": [e.as_dict() for e in world.errors],
        "trace": trace_lines(world.trace),
        "logs": list(world.logs),
        "errno": world.errno,
        "statics": {k: getattr(p, "value", p) for k, p in sorted(world.statics.items())},
        "driver": {
            "locked": drv.locked,
            "domains": sorted((u, vm.def_.name) for u, vm in drv.domains.items()),
            "events": [e.as_dict() for e in drv.events],
            "autodestroy": sorted(drv.autodestroy),
            "deleted_configs": list(drv.deleted_configs),
            "saved_status": list(drv.saved_status),
            "nextvmid": drv.nextvmid,
        },
        "fds_open": sorted(world.fds_open),
        "touched_freed": list(world.touched_freed),
        "vms": [vm_state(vm) for vm in objs],
    }


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
