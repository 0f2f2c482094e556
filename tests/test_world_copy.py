"""Copies of worlds (the case enumeration runs every case on a copy of a template)
and the trace the wrappers write as plain tuples."""
import dataclasses

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.engine import record_call, runner
from qemu_migration.engine.batch import collector_off
from qemu_migration.port import VERSION_NAMES
from qemu_migration.world import stubs
from qemu_migration.world.errors import VirError
from qemu_migration.world.objects import (DEVICE_LISTS, STARTED_ELSEWHERE, DomainDef,
                                          DomainEventState, DomainObj, DomainObjPrivate,
                                          Driver, Event, GraphicsDef, HostdevDef, JobObj, Ptr,
                                          QemuMonitor, SnapshotDef, SnapshotObjList)
from qemu_migration.world.runtime import (FaultPlan, TemplateStates, Trace, TraceEntry, World,
                                          current)


def _distinct(cls, **given):
    """An instance with every field set to a value unlike its default, so that a copy
    that leaves a field out (it would get the default) is caught."""
    kwargs = {}
    for i, f in enumerate(dataclasses.fields(cls)):
        if f.name in given:
            kwargs[f.name] = given[f.name]
        elif f.type in (bool, "bool"):
            kwargs[f.name] = not (f.default if f.default is not dataclasses.MISSING else False)
        elif f.type in (int, "int"):
            kwargs[f.name] = 1000 + i
        else:
            kwargs[f.name] = "%s-%d" % (f.name, i)
    return cls(**kwargs)


def _def(name="d"):
    # every device list holds something (a list field left out of copy() would be caught)
    lists = {f.name: ["%s-item" % f.name] for f in dataclasses.fields(DomainDef)
             if getattr(f.type, "__origin__", None) is list}
    return _distinct(DomainDef, **dict(lists, name=name,
                                       hostdevs=[HostdevDef("subsystem", "pci", "x")],
                                       graphics=[GraphicsDef("vnc", 5901, 0, "0.0.0.0")]))


def _vm():
    job = _distinct(JobObj)
    priv = DomainObjPrivate(job, "lock-held", QemuMonitor(balloon=4321))
    snaps = SnapshotObjList({"s1": SnapshotDef("s1")})
    return _distinct(DomainObj, def_=_def(), privateData=priv, snapshots=snaps,
                     newDef=_def("new"))


# what a run's copy shares with its template, besides a definition's device lists: the
# snapshot list and the driver's event state (test_no_run_changes_what_a_copy_shares)
SHARED_OBJECTS = (SnapshotObjList, DomainEventState)


def _containers(obj, shared=()):
    """Every list, dict and set reachable through the dataclass fields of obj, but a
    definition's fields named in ``shared`` (and, with them, ``SHARED_OBJECTS``)."""
    out = []
    for f in dataclasses.fields(obj):
        if isinstance(obj, DomainDef) and f.name in shared:
            continue
        if shared and isinstance(getattr(obj, f.name), SHARED_OBJECTS):
            continue
        v = getattr(obj, f.name)
        if isinstance(v, (list, dict, set)):
            out.append(v)
            if isinstance(v, dict):
                out.extend(c for x in v.values() if dataclasses.is_dataclass(x)
                           and not isinstance(x, (SnapshotDef,))
                           for c in _containers(x, shared))
        elif dataclasses.is_dataclass(v):
            out.extend(_containers(v, shared))
    return out


def _driver():
    vm = _vm()
    return _distinct(Driver, domains={vm.def_.uuid: vm}, autodestroy={"u1": STARTED_ELSEWHERE},
                     events=[Event(1, 2, "d")], deleted_configs=["a"], saved_status=["b"],
                     saved_configs=["c"], reservedVNCPorts={5901},
                     domainEventState=DomainEventState(["cb"]))


@pytest.mark.parametrize("make", [_def, _vm, _driver], ids=["def", "vm", "driver"])
def test_copy_keeps_every_field_and_shares_no_container(make):
    # a definition's own copy copies its device lists; a domain object's copy (a world's)
    # shares them, its snapshot list and the driver's event state: no run changes them
    # (test_no_run_changes_what_a_copy_shares)
    orig = make()
    dup = orig.copy()
    assert dup == orig and dup is not orig
    shared = () if make is _def else DEVICE_LISTS
    ids = {id(c) for c in _containers(orig, shared)}
    # (a domain object has no container of its own that its copy does not share)
    assert bool(ids) == (make is not _vm) and not ids & {id(c) for c in _containers(dup, shared)}
    if make is _driver:
        assert dup.domainEventState is orig.domainEventState
        assert all(dup.domains[u].snapshots is vm.snapshots for u, vm in orig.domains.items())


def test_a_copied_domain_shares_its_definitions_device_lists_only():
    vm = _vm()
    dup = vm.copy()
    for d, o in ((dup.def_, vm.def_), (dup.newDef, vm.newDef)):
        assert d is not o and d == o
        assert DEVICE_LISTS and all(getattr(d, n) is getattr(o, n) for n in DEVICE_LISTS)
        assert all(getattr(o.copy(), n) is not getattr(o, n) for n in DEVICE_LISTS)
    assert set(DEVICE_LISTS) == {f.name for f in dataclasses.fields(DomainDef)
                                 if isinstance(getattr(vm.def_, f.name), list)}


def _device_lists(world):
    """What a world's copies share with it: the device lists of its definitions, its
    domains' snapshot lists and its driver's event callbacks, as values."""
    return ({uuid: [None if d is None else [list(getattr(d, n)) for n in DEVICE_LISTS]
                    for d in (vm.def_, vm.newDef)] + [dict(vm.snapshots.objs)]
             for uuid, vm in world.driver.domains.items()},
            list(world.driver.domainEventState.callbacks))


@pytest.mark.no_cover      # the runs are the suite's other tests' to cover; here only checked
def test_no_run_changes_what_a_copy_shares():
    """The device lists, snapshot lists and event callbacks a case's world shares with its
    template are as they were built after every case ran on every version: no stub or
    ported function changes one in place."""
    cases = C.enumerate_cases()
    before = {c.state_id: _device_lists(c.make_world()) for c in cases}
    with collector_off():
        for version in VERSION_NAMES:
            for c in cases:
                record_call(c.make_world(), version, c.call)
    assert {c.state_id: _device_lists(c.make_world()) for c in cases} == before
    # what it would catch: a list changed in place in one world shows in the next copy
    w = cases[0].make_world()
    vm = next(iter(w.driver.domains.values()))
    for change, undo in [(lambda: vm.def_.disks.append("a disk"), vm.def_.disks.pop),
                         (lambda: vm.snapshots.objs.update(s=SnapshotDef("s")),
                          lambda: vm.snapshots.objs.pop("s")),
                         (lambda: w.driver.domainEventState.callbacks.append("cb"),
                          w.driver.domainEventState.callbacks.pop)]:
        change()
        try:
            assert _device_lists(cases[0].make_world()) != before[cases[0].state_id]
        finally:   # the template is shared: leave it as found whatever the assert says
            undo()
    assert _device_lists(cases[0].make_world()) == before[cases[0].state_id]


def test_a_copied_domain_is_a_new_object_all_the_way_down():
    vm = _vm()
    dup = vm.copy()
    assert dup.def_ is not vm.def_ and dup.newDef is not vm.newDef
    assert dup.privateData is not vm.privateData and dup.privateData.job is not vm.privateData.job
    assert dup.snapshots is vm.snapshots         # shared (test_no_run_changes_what_...)
    # the guest's monitor and its balloon: the copy's own, the same size
    assert dup.privateData.mon is not vm.privateData.mon
    dup.privateData.mon.balloon = 1
    assert vm.privateData.mon.balloon == 4321
    dup.privateData.job.active = 7
    dup.def_.id = 9
    assert vm.privateData.job.active != 7 and vm.def_.id != 9
    vm.newDef = None
    assert vm.copy().newDef is None


def test_world_copy_keeps_the_state_and_starts_a_fresh_record():
    w = World(_driver(), FaultPlan.of([("virTimeMs", 1)]), clock_ms=5)
    w.statics["p"] = Ptr(3)
    w.fds_open.add(21)
    w.next_fd = 30
    w.peer_v3 = False
    w.wakeups = ["end-job"]
    with w.activate():
        stubs.virTimeMs(Ptr())
    dup = w.copy()
    for name in World.STATE:
        if name == "statics":
            assert {k: p.value for k, p in dup.statics.items()} == {"p": 3}
        else:
            assert getattr(dup, name) == getattr(w, name), name
    assert dup.driver is not w.driver
    assert dup.statics["p"] is not w.statics["p"]
    assert dup.fds_open is not w.fds_open and dup.wakeups is not w.wakeups
    assert dup.faults is w.faults
    assert (dup.trace, dup.calls, dup.errors, dup.depth, dup.frame) == ([], {}, [], 0, "caller")
    assert isinstance(dup.trace, Trace)


def test_every_world_attribute_is_either_state_or_the_record_of_a_run():
    """A new attribute must be placed: copied as state (World.STATE), reset per run, or
    the world's identity (``host``: whose world it is; a copy is no host's)."""
    record = set(vars(World()))
    per_run = {"faults", "calls", "trace", "errors", "last_error", "logs", "errno",
               "touched_freed", "assigned", "others_refs", "others_async", "conditions",
               "fds_at_start", "depth", "frame", "drop_wakeups", "drop_wakeups_fired",
               "lock_drops", "others_held", "others_job", "fresh"}
    identity = {"host"}
    assert record == set(World.STATE) | per_run | identity


def test_a_copy_has_every_attribute_a_new_world_has_with_the_same_record():
    # World.copy sets the attributes itself (no __init__): none left out, none added,
    # and the record of runs as a new world starts it
    w = World(_driver(), clock_ms=5)
    w.statics["p"] = Ptr(3)
    with w.activate():
        stubs.virTimeMs(Ptr())
    dup, new = w.copy(), World()
    assert set(vars(dup)) == set(vars(new)) and dup.fresh is True is new.fresh
    for name in set(vars(new)) - set(World.STATE) - {"faults"}:
        assert getattr(dup, name) == getattr(new, name), name
        assert type(getattr(dup, name)) is type(getattr(new, name)), name
        if not isinstance(getattr(new, name), (type(None), bool, int, str, tuple, frozenset)):
            # a container of the record is the copy's own: a run on it writes none of
            # the template's (a fresh copy's run does not reset the record again)
            assert getattr(dup, name) is not getattr(w, name), name


def test_a_copy_is_no_hosts_world_and_starts_with_no_last_error():
    w = World()
    w.host = "a host"
    w.raise_error(VirError(1, 0, "x", "f"))
    dup = w.copy()
    assert dup.host is None and dup.last_error is None
    w.reset_run()
    assert w.last_error is None and w.host == "a host"


def test_trace_holds_tuples_and_reads_as_entries():
    t = Trace()
    t.append(("virTimeMs", 0, False, (None,)))
    t.append(TraceEntry("pipe", 1, True, ([-1, -1],)))
    assert list(t.raw()) == [("virTimeMs", 0, False, (None,)), ("pipe", 1, True, ([-1, -1],))]
    assert [e.label() for e in t] == ["virTimeMs", "pipe !fault"]
    assert t[0] == TraceEntry("virTimeMs", 0, args=(None,)) and t[0].depth == 0 and t[-1].failed
    assert t[0:1] == [TraceEntry("virTimeMs", 0, False, (None,))] and t[0:1][0].args == (None,)


def test_activation_nests_and_restores():
    a, b = World(), World()
    before = current()
    with a.activate() as got:
        assert got is a and current() is a
        with b.activate():
            assert current() is b
        assert current() is a
    assert current() is before


def test_a_fresh_worlds_run_records_what_a_reset_worlds_does():
    """``start_run`` on a fresh world (a copy nothing ran on) only sets the call's plan and
    the descriptors open: the outcome of every 40th case on every version is the one of the
    same run on a world whose record is made again (``reset_run``, as before)."""
    cases = C.enumerate_cases()[::40]
    assert any(c.call.faults for c in cases) and not all(c.call.faults for c in cases)
    for version in VERSION_NAMES:
        for c in cases:
            fresh, stale = c.make_world(), c.make_world()
            assert fresh.fresh and stale.fresh
            stale.fresh = False
            got = record_call(fresh, version, c.call)
            assert not fresh.fresh and fresh.faults is c.call.faults
            assert got.as_dict() == record_call(stale, version, c.call).as_dict()


@pytest.mark.parametrize("setup", ["none", "opens", "closes"])
def test_a_fresh_copys_run_starts_with_the_descriptors_open_after_its_setup(setup):
    """The runner on a fresh copy (``start_run`` written out) takes the descriptors open
    when the run begins: the copy's own set when its setup changed none, a copy of the
    open ones when it opened or closed one (no leak then, nor one missed)."""
    c = next(c for c in C.enumerate_cases() if c.function == "qemuMigrationBegin")
    w = c.make_world()
    w.fds_open.add(30)          # (as the copy's template had it open)
    w.fds_at_start = {30}
    kept = w.fds_at_start
    if setup == "opens":
        w.fds_open.add(21)
    elif setup == "closes":
        w.fds_open.discard(30)
    o = record_call(w, "post", c.call)
    assert w.fds_at_start == w.fds_open and w.fds_at_start is not w.fds_open
    assert (w.fds_at_start is kept) == (setup == "none")
    assert not [v for v in o["violations"] if v["invariant"] == "fd-leaked"]


def test_start_run_on_a_fresh_world_takes_the_plan_and_the_descriptors_open_now():
    plan = FaultPlan.of([("virTimeMs", 1)])
    w = World().copy()
    w.fds_open.add(21)          # a setup between the copy and the run
    w.start_run(plan)
    assert (w.faults, w.fds_at_start, w.fresh) == (plan, {21}, False)
    w = World()
    w.start_run(None)
    assert w.faults == FaultPlan() and w.faults is not None


@pytest.mark.parametrize("how", ["activate", "run"])
def test_a_world_run_on_is_no_longer_fresh_and_its_record_is_made_again(how):
    w = World(_driver())
    if how == "activate":
        with w.activate():
            stubs.virTimeMs(Ptr())
    else:
        w.start_run(FaultPlan())
        w.raise_error(VirError(1, 0, "x", "f"))
        w.log("warning", "w")
        w.fds_open.add(21)
    assert not w.fresh and w.trace or w.errors
    plan = FaultPlan.of([("virTimeMs", 1)])
    w.start_run(plan)
    assert (w.faults, list(w.trace), w.errors, w.calls, w.last_error) == (plan, [], [], {}, None)
    assert w.fds_at_start == set(w.fds_open) and not w.fresh
    assert w.copy().fresh and World().fresh


def test_a_templates_untouched_copies_share_its_states_until_it_runs():
    t = World(_driver())
    assert t.copy().fresh is True           # no template: fresh as any copy
    t.seal()
    dup = t.copy()
    assert type(t.fresh) is TemplateStates and dup.fresh is t.fresh == {} and dup.fresh
    assert dup.copy().fresh is t.fresh      # (an untouched copy's copy is one too)
    dup.start_run(FaultPlan())
    assert dup.fresh is False and dup.faults == FaultPlan()
    t.start_run(FaultPlan())                # a template's own record is fresh as well
    assert t.fresh is False and t.copy().fresh is True  # ... and it is no template now
    t.seal()
    with t.activate():
        pass
    assert t.fresh is False and t.copy().fresh is True


def test_a_copys_state_before_is_its_templates_first_runs_and_the_same_as_its_own():
    """The state before the call of a case's copy is read from the first run on a copy
    of the same template (``TemplateStates``): the same tuple, equal to the one a copy
    not fresh with it takes, on every 30th case and version (a call about a domain)."""
    cases = C.enumerate_cases()[::30]
    read = 0
    for version in VERSION_NAMES:
        for c in cases:
            fresh, own = c.make_world(), c.make_world()
            own.fresh = True        # (as a setup that changed it marks it)
            got, want = record_call(fresh, version, c.call), record_call(own, version, c.call)
            assert got.before_raw == want.before_raw and got.as_dict() == want.as_dict()
            again = record_call(c.make_world(), version, c.call).before_raw
            assert again == got.before_raw
            if c.call.domain and again is not None:     # (a prepare's is taken each run)
                assert again is got.before_raw
                read += 1
    assert read > len(cases)


def test_a_fresh_copy_changed_by_hand_is_caught_unless_marked(monkeypatch):
    case = next(c for c in C.enumerate_cases() if c.short == "PerformJob")
    record_call(case.make_world(), "post", case.call)       # the template's first run
    w = case.make_world()
    vm = next(iter(w.driver.domains.values()))
    vm.refs += 3                                            # a setup, unmarked
    with pytest.raises(runner.StaleCopy, match="sets world.fresh = True"):
        record_call(w, "post", case.call)
    w = case.make_world()
    next(iter(w.driver.domains.values())).refs += 3
    w.fresh = True                                          # marked: its own state
    assert record_call(w, "post", case.call).before_raw[4] == vm.refs
    monkeypatch.setattr(runner, "CHECK_CACHED_STATE", False)
    w = case.make_world()
    next(iter(w.driver.domains.values())).refs += 3         # unmarked, unchecked: the
    assert record_call(w, "post", case.call).before_raw[4] == vm.refs - 3   # template's
