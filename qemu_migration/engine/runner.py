"""Invoke an entry point as its upstream caller would, and record the whole outcome.

The callers in qemu_driver.c hold the driver lock and, for a domain they
looked up, the domain lock, when they call into qemu_migration.c; the runner
does the same.  An outcome is a plain dict (JSON-ready): what the call
returned, the out-parameters, every error raised and the one that won, the
trace of callees, the log lines, the state the domain and driver are left in,
the events queued, and the invariant violations.
"""
from dataclasses import dataclass, field
from typing import List, Optional

from ..port import VERSIONS
from ..world.constants import (DOMAIN_REASON_NAMES, DOMAIN_STATE_NAMES, MIGRATE_FLAG_NAMES,
                               NULL, QEMU_ASYNC_JOB_NAMES, QEMU_JOB_NAMES,
                               QEMU_MIGRATION_PHASE_NAMES, VIR_DOMAIN_JOB_NAMES)
from ..world.objects import Ptr
from ..world.runtime import FaultPlan
from . import invariants


@dataclass
class Call:
    """One call to make: the entry point, the domain it is about (by name), its
    arguments, the fault plan, what a peer-to-peer destination speaks, and what
    other threads do while it waits for a job (see stubs._wake)."""
    function: str
    domain: Optional[str] = None
    args: dict = field(default_factory=dict)
    faults: FaultPlan = field(default_factory=FaultPlan)
    peer_v3: bool = True
    wakeups: List[str] = field(default_factory=list)

ENTRY_POINTS = [
    "qemuMigrationIsAllowed",
    "qemuMigrationBegin",
    "qemuMigrationPrepareTunnel",
    "qemuMigrationPrepareDirect",
    "qemuMigrationPerformJob",
]

STREAM = "stream"   # stands for a virStreamPtr: only whether it is NULL matters


def flags_value(flags):
    if isinstance(flags, int):
        return flags
    value = 0
    for name in (flags or "").split():
        value |= MIGRATE_FLAG_NAMES[name]
    return value


def flags_names(value):
    return [n for n, bit in MIGRATE_FLAG_NAMES.items() if value & bit]


def _len(cookie):
    return len(cookie) + 1 if cookie else 0


def _invoke(mod, version, function, world, call):
    """Call ``function`` of implementation ``mod``; return (ret, failed, out-params, target)."""
    driver = world.driver
    a = call.args
    vm = driver.find_by_name(call.domain) if call.domain else None
    if function == "qemuMigrationIsAllowed":
        def_ = vm.def_ if vm is not None else a["def"]
        if version == "pre":
            ret = mod.qemuMigrationIsAllowed(def_)
        else:
            ret = mod.qemuMigrationIsAllowed(driver, vm, NULL if vm is not None else def_)
        return ret, not ret, {}
    if function == "qemuMigrationBegin":
        cookieout, cookieoutlen = Ptr(), Ptr(0)
        ret = mod.qemuMigrationBegin(driver, vm, a.get("xmlin"), cookieout, cookieoutlen)
        return ret, ret is None, {"cookieout": cookieout.value}
    if function in ("qemuMigrationPrepareTunnel", "qemuMigrationPrepareDirect"):
        cookiein = a.get("cookiein")
        cookieout, cookieoutlen = Ptr(), Ptr(0)
        if function == "qemuMigrationPrepareTunnel":
            st = STREAM if a.get("st", True) else NULL
            ret = mod.qemuMigrationPrepareTunnel(driver, "dconn", cookiein, _len(cookiein),
                                                 cookieout, cookieoutlen, st, a.get("dname"),
                                                 a["dom_xml"])
            return ret, ret < 0, {"cookieout": cookieout.value}
        uri_out = Ptr()
        ret = mod.qemuMigrationPrepareDirect(driver, "dconn", cookiein, _len(cookiein),
                                             cookieout, cookieoutlen, a.get("uri_in"), uri_out,
                                             a.get("dname"), a["dom_xml"])
        return ret, ret < 0, {"cookieout": cookieout.value, "uri_out": uri_out.value}
    if function == "qemuMigrationPerformJob":
        cookiein = a.get("cookiein")
        cookieout, cookieoutlen = Ptr(), Ptr(0)
        ret = mod.qemuMigrationPerformJob(driver, "conn", vm, a.get("xmlin"), a.get("dconnuri"),
                                          a.get("uri"), cookiein, _len(cookiein), cookieout,
                                          cookieoutlen, flags_value(a.get("flags", 0)),
                                          a.get("dname"), a.get("resource", 0),
                                          bool(a.get("v3proto", False)))
        return ret, ret < 0, {"cookieout": cookieout.value}
    raise KeyError(function)


def _target(world, call):
    """The domain the call is about: the named one, or the one the prepared XML defines."""
    if call.domain:
        return world.driver.find_by_name(call.domain)
    xml = call.args.get("dom_xml")
    if xml is None:
        return None
    from ..loader.domain import parse_domain_text
    uuid = parse_domain_text(xml, "<dom_xml>").uuid
    return world.driver.domains.get(uuid)


def domain_state(vm, driver):
    if vm is None:
        return None
    job = vm.privateData.job
    return {
        "exists": not vm.freed,
        "name": vm.def_.name,
        "in_list": int(driver.domains.get(vm.def_.uuid) is vm),
        "refs": vm.refs,
        "locked": vm.locked,
        "persistent": bool(vm.persistent),
        "id": vm.def_.id,
        "state": DOMAIN_STATE_NAMES[vm.state],
        "reason": DOMAIN_REASON_NAMES[vm.state][vm.reason],
        "job": QEMU_JOB_NAMES[job.active],
        "async_job": QEMU_ASYNC_JOB_NAMES[job.asyncJob],
        "phase": QEMU_MIGRATION_PHASE_NAMES[job.phase],
        "mask": job.mask,
        "job_info": VIR_DOMAIN_JOB_NAMES[job.info_type],
        "job_start": job.start,
        "lockState": vm.privateData.lockState,
        "autodestroy": vm.def_.uuid in driver.autodestroy,
        "snapshots": len(vm.snapshots.objs),
    }


def trace_lines(trace):
    return ["  " * t.depth + t.label() for t in trace]


def run_call(world, version, call, impl=None):
    """Run one call on ``world`` (which it changes) and return its outcome dict."""
    mod = impl if impl is not None else VERSIONS[version].module
    world.reset_run(call.faults)
    world.peer_v3 = call.peer_v3
    world.wakeups = list(call.wakeups)
    driver = world.driver
    events_before = len(driver.events)
    vm = _target(world, call)
    if vm is not None and call.domain:
        vm.locked = True                      # the caller looked it up: it holds the lock
    driver.locked = True
    before = domain_state(vm, driver)
    with world.activate():
        ret, failed, out = _invoke(mod, version, call.function, world, call)
    after_vm = vm if vm is not None else (world.assigned[-1] if world.assigned else None)
    after = domain_state(after_vm, driver)
    new_events = driver.events[events_before:]
    violations = invariants.check(call.function, failed, before, after, world, new_events)
    # what the caller does next: release the domain it still holds
    if after_vm is not None and call.domain and not after_vm.freed:
        after_vm.locked = False
    return {
        "function": call.function,
        "domain": call.domain,
        "faults": ["%s#%d" % p for p in call.faults.pairs()],
        "return": ret,
        "failed": failed,
        "out": out,
        "error": world.last_error.as_dict() if world.last_error else None,
        "errors": [e.message for e in world.errors],
        "trace": trace_lines(world.trace),
        "logs": list(world.logs),
        "conditions": list(world.conditions),
        "before": before,
        "after": after,
        "driver": {
            "locked": driver.locked,
            "domains": sorted(d.def_.name for d in driver.domains.values()),
            "events": [e.as_dict() for e in new_events],
            "deleted_configs": list(driver.deleted_configs),
        },
        "statics": {k: p.value for k, p in sorted(world.statics.items())},
        "violations": violations,
    }


def unfired_faults(world, call):
    """The faults of ``call``'s plan that its run on ``world`` never reached, as "callee#nth".

    Read right after ``run_call``: ``world.calls`` then counts the calls of each
    faultable stub in that run.  Kept out of the outcome dict, whose digest is
    what the recorded upstream observations and the goldens hold.
    """
    return ["%s#%d" % (callee, nth) for callee, nth in call.faults.pairs()
            if world.calls.get(callee, 0) < nth]


def run_scenario_unfired(scenario, version, impl=None):
    """``run_scenario``, and per call the faults that never fired: (outcomes, unfired)."""
    world = scenario.build_world()
    outcomes, unfired = [], []
    for call in scenario.calls:
        outcomes.append(run_call(world, version, call, impl))
        unfired.append(unfired_faults(world, call))
    return outcomes, unfired


def run_scenario(scenario, version, impl=None):
    """Run every call of a scenario, in order, on one fresh world; return the outcomes."""
    return run_scenario_unfired(scenario, version, impl)[0]
