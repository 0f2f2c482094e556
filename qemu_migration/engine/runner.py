"""Invoke an entry point as its upstream caller would, and record the whole outcome.

The callers in qemu_driver.c take the driver lock, look the domain up by its
uuid (virDomainFindByUUID, which returns it locked) and only then call into
qemu_migration.c; a domain that is gone (an earlier call of the same scenario
migrated a transient domain away, say) is refused there with VIR_ERR_NO_DOMAIN
and qemu_migration.c is not called at all.  The runner does the same, with what
port/registry.py says of each entry point: how it is invoked, which driver
function stands in front of it and what that returns on a failed lookup.  An
outcome is a plain dict (``run_call``), or an ``Outcome`` that builds its values
where they are read (``record_call``; engine/outcome.py).
"""
from .. import loader  # noqa: F401  (installs the world's domain XML parser: world/parsing.py)
from ..port import VERSIONS
from ..port.registry import ENTRY_NAMES, ENTRY_POINTS, Call
from ..world.constants import VIR_ERR_NO_DOMAIN
from ..world.parsing import parse_domain_xml
from ..world import runtime
from ..world.runtime import TemplateStates, in_frame
from ..world.stubs import _, qemuReportError
from .outcome import domain_state, make_outcome, state_raw, trace_lines

__all__ = ["ENTRY_NAMES", "Call", "record_call", "run_call", "run_scenario", "domain_state",
           "trace_lines"]


def _refuse(world, call, entry):
    """Report the error the driver function in front of the call reports when the lookup
    fails (the error names that function, the caller, as its reporter)."""
    uuid = call.uuid
    if uuid is None:
        # the client never had the domain: virDomainLookupByName failed before the call
        reporter, fmt, key = ("qemudDomainLookupByName",
                              _("no domain with matching name '%s'"), call.domain)
    else:
        reporter, fmt, key = (entry.driver_entry(call.args),
                              _("no domain with matching uuid '%s'"), uuid)
    in_frame(world, reporter, qemuReportError, VIR_ERR_NO_DOMAIN, fmt, key)


_UUIDS: dict = {}       # a prepare's domain XML -> the uuid it defines (``_target``)
_UUIDS_MAX = 1024       # texts kept (the case enumeration hands the prepares a few)


def _target(world, call):
    """The domain a prepare is about: the one the XML it is handed defines, if listed.
    Only the uuid is read of the definition, so each text's is kept (``_UUIDS``): a
    parse is a copy of the loader's cached definition, about 2 us a prepare's run."""
    xml = call.args.get("dom_xml")
    if xml is None:
        return None
    uuid = _UUIDS.get(xml)
    if uuid is None:
        uuid = parse_domain_xml(xml, "<dom_xml>").uuid   # (refused: raised, nothing kept)
        if len(_UUIDS) >= _UUIDS_MAX:
            _UUIDS.clear()
        _UUIDS[xml] = uuid
    return world.driver.domains.get(uuid)


# whether a state before a call read from a template's states (``TemplateStates``) is
# checked against the copy's own (the test suite's conftest sets it: a copy a setup
# changed by hand and did not mark, ``World.fresh``, fails there at once)
CHECK_CACHED_STATE = False


class StaleCopy(AssertionError):
    """A copy of a template whose domain was changed by hand before its run while it was
    still fresh with its template's states (``World.fresh``): the state before the call
    read for it is not its own.  Raised at a copy whose state differs from the one the
    template's first run took: the copy changed by hand, or, when that one ran first,
    the next untouched copy."""


_MODULES: dict = {}      # version -> its port module (``Version.module``, read once)


def _module(version):
    mod = _MODULES[version] = VERSIONS[version].module
    return mod


def record_call(world, version, call, impl=None):
    """Run one call on ``world`` (which it changes) and return its outcome as an
    ``Outcome``: recorded now, put into words where it is read.  ``world`` must not
    change afterwards (``run_call`` is for a world that will)."""
    mod = impl if impl is not None else _MODULES.get(version) or _module(version)
    entry = ENTRY_POINTS[call.function]
    states = world.fresh        # (an untouched copy's: its template's TemplateStates)
    if states is not False:
        # a fresh world (a case's copy) has its record made but for the plan and the
        # descriptors open now (World.start_run, which makes the whole record, is for
        # a world run on before): those are set here, the descriptors copied only when
        # its setup opened or closed one since the record was made (a copy's are as its
        # template's: the set compared, not made again)
        world.faults = call.faults
        if world.fds_at_start != world.fds_open:
            world.fds_at_start = world.fds_open.copy()
        world.fresh = False
    else:
        world.start_run(call.faults)
    world.peer_v3 = call.peer_v3
    if call.wakeups or world.wakeups:      # (a copy's own list, empty: kept)
        world.wakeups = [*call.wakeups]
    driver = world.driver
    events_before = len(driver.events)
    vms = [*driver.domains.values()]
    driver.locked = True
    # made current as ``with world.activate():`` does, the cell (world/runtime.py ``_world``)
    # written here without a call, the one before given back in the ``finally``
    outer = runtime._world
    runtime._world = world
    try:
        if call.domain:
            # looked up as the driver function in front of the call does: by its uuid, as
            # the client's handle holds it, or by its name when the client never had one
            # (virDomainLookupByName); None when it is not there (``_refuse``)
            uuid = call.uuid
            vm = (driver.find_by_name(call.domain) if uuid is None
                  else driver.domains.get(uuid))
            if vm is not None:
                vm.locked = True              # found: the caller holds its lock
                if states.__class__ is TemplateStates:
                    # as on every untouched copy of its template: taken on the first
                    uuid = vm.def_.uuid
                    before = states.get(uuid)
                    if before is None:
                        before = states[uuid] = state_raw(vm, driver)
                    elif CHECK_CACHED_STATE and before != state_raw(vm, driver):
                        raise StaleCopy("a fresh copy's domain %s is not as the state its "
                                        "template's first run took (this copy or that one "
                                        "was changed by hand: a setup that changes one sets "
                                        "world.fresh = True)" % vm.def_.name)
                else:
                    before = state_raw(vm, driver)
                ret, failed, out = entry.invoke(mod, version, driver, vm, call.args)
            else:
                _refuse(world, call, entry)
                before = None
                ret, failed, out = entry.lookup_failure, True, dict.fromkeys(entry.outs)
        else:
            vm = _target(world, call)
            before = None if vm is None else state_raw(vm, driver)
            ret, failed, out = entry.invoke(mod, version, driver, vm, call.args)
    finally:
        runtime._world = outer
    after_vm = vm if vm is not None else (world.assigned[-1] if world.assigned else None)
    if after_vm is None:
        after = None
    else:
        # its state after the call, taken now, with the lock the call left: what the
        # caller does next is release the domain it holds
        after = state_raw(after_vm, driver)
        if call.domain and not after_vm.freed:
            after_vm.locked = False
    return make_outcome(call, world, ret, failed, out, before, after, events_before, vms)


def run_call(world, version, call, impl=None):
    """Run one call on ``world`` (which it changes) and return its outcome dict."""
    return record_call(world, version, call, impl).as_dict()


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
