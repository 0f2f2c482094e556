"""The outcome model: what is recorded of a call and of the state it leaves, in one place.

Two views of the same state, built by the same functions so that a field is
added once:

- the outcome of one call (``call_outcome``), which ``run_call`` returns,
  the goldens hold and the recorded upstream digests are taken of: return,
  out-parameters, errors, trace, logs, conditions, the called-about domain
  before and after (``domain_state``), the driver (``driver_state``), the
  statics and the invariant violations;
- the wide snapshot of a whole world (``world_state``), which the C
  comparison diffs: every field of ``domain_state`` and ``driver_state`` with
  their ``wide`` extras, for every domain object the world had, plus errno,
  open descriptors and freed objects touched.

Names are looked up defensively (a number outside its table is shown as the
number), so the C side's state can always be shown.
"""
from ..world.constants import (DOMAIN_REASON_NAMES, DOMAIN_STATE_NAMES, QEMU_ASYNC_JOB_NAMES,
                               QEMU_JOB_NAMES, QEMU_MIGRATION_PHASE_NAMES,
                               VIR_DOMAIN_JOB_NAMES)


def _name(table, i):
    return table[i] if isinstance(i, int) and 0 <= i < len(table) else i


def trace_lines(trace):
    """The trace as depth-indented labels (its entries read as (name, depth, failed))."""
    return [("  " * d + n + " !fault") if f else "  " * d + n for n, d, f in list.__iter__(trace)]


def domain_state(vm, driver, wide=False):
    """One domain's state (None for no domain); ``wide`` adds what only the C comparison shows."""
    if vm is None:
        return None
    job = vm.privateData.job
    d = {
        "exists": not vm.freed,
        "name": vm.def_.name,
        "in_list": int(driver.domains.get(vm.def_.uuid) is vm),
        "refs": vm.refs,
        "locked": vm.locked,
        "persistent": bool(vm.persistent),
        "id": vm.def_.id,
        "state": _name(DOMAIN_STATE_NAMES, vm.state),
        "reason": _name(DOMAIN_REASON_NAMES.get(vm.state, []), vm.reason),
        "job": _name(QEMU_JOB_NAMES, job.active),
        "async_job": _name(QEMU_ASYNC_JOB_NAMES, job.asyncJob),
        "phase": _name(QEMU_MIGRATION_PHASE_NAMES, job.phase),
        "mask": job.mask,
        "job_info": _name(VIR_DOMAIN_JOB_NAMES, job.info_type),
        "job_start": job.start,
        "lockState": vm.privateData.lockState,
        "autodestroy": vm.def_.uuid in driver.autodestroy,
        "snapshots": len(vm.snapshots.objs),
    }
    if wide:
        d.update({
            "uuid": vm.def_.uuid,
            "nhostdevs": vm.def_.nhostdevs,
            "newDef": None if vm.newDef is None else vm.newDef.name,
        })
    return d


def driver_state(driver, events_from=0, wide=False):
    """The driver: its lock, the domains listed, the events queued since ``events_from``."""
    d = {
        "locked": driver.locked,
        "domains": sorted(vm.def_.name for vm in driver.domains.values()),
        "events": [e.as_dict() for e in driver.events[events_from:]],
        "deleted_configs": list(driver.deleted_configs),
    }
    if wide:
        d.update({
            "uuids": sorted(driver.domains),
            "autodestroy": sorted(driver.autodestroy),
            "saved_status": list(driver.saved_status),
            "nextvmid": driver.nextvmid,
        })
    return d


def _run_record(world):
    """What a run leaves in the world besides the state: shared by both views."""
    return {
        "trace": trace_lines(world.trace),
        "logs": list(world.logs),
        "conditions": list(world.conditions),
        "statics": ({k: p.value for k, p in sorted(world.statics.items())}
                    if world.statics else {}),
    }


def call_outcome(call, world, ret, failed, out, before, after, events_from, violations):
    """The outcome dict of one call (JSON-ready)."""
    errors = world.errors
    o = {
        "function": call.function,
        "domain": call.domain,
        "faults": ["%s#%d" % p for p in call.faults.pairs()] if call.faults.faults else [],
        "return": ret,
        "failed": failed,
        "out": out,
        "error": errors[-1].as_dict() if errors else None,
        "errors": [e.message for e in errors],
        "before": before,
        "after": after,
        "driver": driver_state(world.driver, events_from),
        "violations": violations,
    }
    o.update(_run_record(world))
    return o


def world_state(world, vms=()):
    """The wide snapshot of a world: every domain object in ``vms`` or handed out by
    virDomainAssignDef during the run, in that order, each once."""
    seen, objs = set(), []
    for vm in list(vms) + list(world.assigned):
        if id(vm) not in seen:
            seen.add(id(vm))
            objs.append(vm)
    s = {
        "errors": [e.as_dict() for e in world.errors],
        "errno": world.errno,
        "driver": driver_state(world.driver, wide=True),
        "fds_open": sorted(world.fds_open),
        "touched_freed": list(world.touched_freed),
        "vms": [domain_state(vm, world.driver, wide=True) for vm in objs],
    }
    s.update(_run_record(world))
    return s
