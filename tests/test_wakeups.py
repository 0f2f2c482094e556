"""Another thread acting while a host's code has the domain unlocked, in a whole migration
(world/stubs.py _meanwhile and _other_thread; engine/protocol.py's wakeup rows; the
loader's <wakeup>): each wakeup changes what the migration does, at the point named."""
import dataclasses
import errno
import inspect
import sys

import pytest

from conftest import broken_port, cli_run, make_vm, untraced
from qemu_migration.engine import protocol as P
from qemu_migration.engine.protocol_text import cells
from qemu_migration.loader import LoadError, describe, load_scenario
from qemu_migration.port import qemu_domain
from qemu_migration.upstream.protocol_compare import row_id
from qemu_migration.world import stubs, stubs_driver, stubs_p2p
from qemu_migration.world.constants import (DEFAULT_JOB_MASK, QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_NONE,
                                            QEMU_JOB_ASYNC_NESTED, QEMU_JOB_NONE,
                                            QEMU_JOB_QUERY, QEMU_MIGRATION_PHASE_PREPARE,
                                            VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION,
                                            migration_job_mask,
                                            VIR_DOMAIN_EVENT_STOPPED,
                                            VIR_DOMAIN_EVENT_STOPPED_FAILED,
                                            VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF,
                                            VIR_DOMAIN_SHUTOFF_FAILED, VIR_MIGRATE_LIVE)
from qemu_migration.loader.domain import parse_domain_text
from qemu_migration.world.domxml import domain_xml
from qemu_migration.world.objects import DomainObj, GraphicsDef

from test_protocol_scenarios import QUIET, plugin_project, tree  # noqa: F401  (the fixture)


def _world(persistent=True, active=True):
    m = P.Migration.matrix("v3", "post", "post", "clean")
    w = m.source.build_world()
    vm = w.driver.find_by_name("shop1")
    vm.persistent = persistent
    if not active:
        vm.def_.id = -1
    return w, vm


def _drop(w, vm, at, what, nth=1, times=1):
    """Pass the lock-drop point ``at`` ``times`` times with ``what`` scripted at ``nth``."""
    w.drop_wakeups = {(at, nth): (what,)}
    with w.activate():
        for _ in range(times):
            w.frame = at
            stubs._meanwhile(vm)
            w.frame = "caller"


def test_qemu_quitting_stops_a_persistent_guest_as_the_eof_handler_does():
    w, vm = _world()
    refs = vm.refs
    _drop(w, vm, "doNativeMigrate", "qemu-quits")
    assert (vm.def_.id, vm.state, vm.reason) == (-1, VIR_DOMAIN_SHUTOFF,
                                                VIR_DOMAIN_SHUTOFF_FAILED)
    assert [(e.type, e.detail) for e in w.driver.events] == [
        (VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED)]
    assert "stop reason=failed" in " ".join(w.logs)
    assert w.driver.domains.get(vm.def_.uuid) is vm and vm.refs == refs    # still defined
    assert w.trace == [] and w.drop_wakeups_fired == [("doNativeMigrate", 1)]


def test_qemu_quitting_removes_a_transient_guest_and_ignores_an_inactive_one():
    w, vm = _world(persistent=False)
    vm.refs += 1                                    # a job's reference keeps the object
    _drop(w, vm, "qemuDomainObjExitMonitor", "qemu-quits")
    assert vm.def_.uuid not in w.driver.domains and vm.refs == 1 and not vm.freed
    w, vm = _world(active=False)
    _drop(w, vm, "qemuDomainObjExitMonitor", "qemu-quits")
    assert w.driver.events == [] and w.driver.domains.get(vm.def_.uuid) is vm


def test_remove_domain_drops_the_list_reference_once():
    w, vm = _world()
    vm.refs += 1
    _drop(w, vm, "doNativeMigrate", "remove-domain")
    assert vm.def_.uuid not in w.driver.domains and vm.refs == 1
    _drop(w, vm, "doNativeMigrate", "remove-domain", nth=2)   # no longer listed: nothing
    assert vm.refs == 1 and w.drop_wakeups_fired == [("doNativeMigrate", 1),
                                                     ("doNativeMigrate", 2)]


def _inactive(d):
    """``d`` as an inactive parse reads it: no id, no port a display had picked."""
    return dataclasses.replace(d, id=-1, graphics=[
        dataclasses.replace(g, port=0, tlsPort=0) if g.autoport else g for g in d.graphics])


def test_remove_domain_is_a_define_whose_config_save_fails():
    """Another connection's qemudDomainDefine (qemu_driver.c:5028-5040 @ e2fb96d9) of the
    listed guest before it drops it: a running transient guest is given the definition
    as its next one (newDef: its own, inactive, no id) and made persistent; a running
    one with a saved definition has it replaced by the new one (the old freed); a
    shut-off one has its definition replaced.  Then it leaves the list."""
    w, vm = _world(persistent=False)
    live = vm.def_
    vm.refs += 1
    _drop(w, vm, "doNativeMigrate", "remove-domain")
    assert vm.persistent is True and vm.def_ is live and vm.def_.id != -1
    assert vm.newDef is not live and vm.newDef.id == -1
    assert vm.newDef.graphics[0].port == 0 != live.graphics[0].port     # picked at start
    assert vm.newDef == _inactive(live)
    assert vm.def_.uuid not in w.driver.domains and vm.refs == 1
    w, vm = _world()
    saved = vm.newDef = dataclasses.replace(vm.def_, id=-1, memory=524288)
    _drop(w, vm, "doNativeMigrate", "remove-domain")
    assert vm.newDef == _inactive(saved) and vm.newDef is not saved
    assert vm.def_.memory != 524288
    w, vm = _world(persistent=False, active=False)
    before = vm.def_
    _drop(w, vm, "doNativeMigrate", "remove-domain")
    assert vm.persistent is True and vm.newDef is None
    assert vm.def_ == _inactive(before) and vm.def_ is not before


def test_the_definition_define_gives_has_no_picked_ports():
    """Define's definition is the client's inactive XML parsed inactive: a display whose
    port was picked at start comes without it (and its TLS port), a fixed one keeps its
    own; as the loader reads the guest's XML inactive."""
    w, vm = _world(persistent=False)
    vm.def_.graphics = [GraphicsDef("vnc", 5901, 0, None, True),
                        GraphicsDef("spice", 5930, 5931, "127.0.0.1", True),
                        GraphicsDef("vnc", 5999, 0, None, False)]
    live = list(vm.def_.graphics)
    vm.refs += 1
    _drop(w, vm, "doNativeMigrate", "remove-domain")
    assert [(g.type, g.port, g.tlsPort, g.autoport) for g in vm.newDef.graphics] == [
        ("vnc", 0, 0, True), ("spice", 0, 0, True), ("vnc", 5999, 0, False)]
    assert vm.newDef.graphics == parse_domain_text(domain_xml(vm.def_), "define").graphics
    assert vm.def_.graphics == live                     # the running definition keeps them


def test_only_the_nth_passage_of_the_point_named_wakes():
    w, vm = _world()
    _drop(w, vm, "doTunnelMigrate", "qemu-quits", nth=2, times=1)
    assert vm.state == VIR_DOMAIN_RUNNING and w.lock_drops == {"doTunnelMigrate": 1}
    w, vm = _world()
    _drop(w, vm, "doTunnelMigrate", "qemu-quits", nth=2, times=2)
    assert vm.state == VIR_DOMAIN_SHUTOFF
    w, vm = _world()
    w.drop_wakeups = {("doNativeMigrate", 1): ("qemu-quits",)}
    with w.activate():
        w.frame = "qemuProcessStart"
        stubs._meanwhile(vm)                          # qemuProcessStart's: not a point
    assert vm.state == VIR_DOMAIN_RUNNING and w.lock_drops == {}


def test_the_function_level_peer2peer_stub_is_no_point():
    w, vm = _world()
    _drop(w, vm, "doPeer2PeerMigrate", "qemu-quits")
    assert vm.state == VIR_DOMAIN_RUNNING and w.lock_drops == {}


def test_a_point_fires_only_what_it_allows():
    w, vm = _world()
    _drop(w, vm, "qemuProcessStartCPUs", "qemu-quits")
    assert vm.state == VIR_DOMAIN_RUNNING and w.drop_wakeups_fired == []
    w, vm = _world()
    vm.refs += 1
    w.drop_wakeups = {("qemuProcessStartCPUs", 1): ("remove-domain",)}
    with w.activate():
        stubs.qemuProcessStartCPUs(w.driver, vm, None, 0, 0)
    assert vm.def_.uuid not in w.driver.domains and vm.refs == 1


def test_the_exit_stubs_are_lock_drop_points():
    for module, name in [(stubs_driver, "qemuDomainObjExitMonitor"),
                         (stubs_driver, "qemuDomainObjExitMonitorWithDriver"),
                         (stubs_p2p, "qemuDomainObjExitRemoteWithDriver")]:
        w, vm = _world()
        vm.refs += 1
        w.drop_wakeups = {(name, 1): ("qemu-quits",)}
        with w.activate():
            getattr(module, name)(w.driver, vm)
        assert vm.state == VIR_DOMAIN_SHUTOFF and vm.locked, name
        assert name in stubs.DROP_POINTS


def test_a_migration_run_after_qemu_quit_fails_as_qemuMigrationRun_does():
    w, vm = _world()
    vm.def_.id = -1
    with w.activate():
        w.frame = "doNativeMigrate"
        assert stubs._migration_run(w.driver, vm, VIR_MIGRATE_LIVE, False) == -1
        w.frame = "doPeer2PeerMigrate"
        assert stubs._migration_run(w.driver, vm, VIR_MIGRATE_LIVE, False) == 0
    assert [e.message for e in w.errors] == ["internal error guest unexpectedly quit"]


def test_wakeup_points_and_rows():
    m = P.Migration.matrix("p2p-v3", "post", "post", "clean")
    points = P.wakeup_points(m)
    assert ("source", "qemuDomainObjExitRemoteWithDriver", 1, "qemu-quits") in points
    assert {p[3] for p in points} == set(stubs.DROP_WAKEUPS)
    assert ("destination", "qemuProcessStartCPUs", 1, "remove-domain") in points
    assert ("destination", "qemuProcessStartCPUs", 1, "qemu-quits") not in points
    assert all(p[1] in stubs.DROP_POINTS for p in points)
    k = ("source", "qemuDomainObjExitRemoteWithDriver", 1, "qemu-quits")
    row = P.run_migration(P.Migration.matrix("p2p-v3", "post", "post", "clean", wakeups=[k]))
    assert row["wakeup"] == "source:qemuDomainObjExitRemoteWithDriver#1 qemu-quits"
    assert row["unfired_wakeups"] == [] and row["outcome"] == "refused"
    assert row["error"]["message"] == "internal error guest unexpectedly quit"
    assert row["left_behind"]["source"]["events"][-1]["type"] == "stopped"
    assert row["second_attempt"]["error"]["code"] == "VIR_ERR_OPERATION_INVALID"
    assert row_id(row).endswith("/clean/wakeup source:qemuDomainObjExitRemoteWithDriver#1 "
                                "qemu-quits")
    assert cells(row)[5] == "wakeup " + row["wakeup"]
    never = ("destination", "doNativeMigrate", 1, "remove-domain")
    row = P.run_migration(P.Migration.matrix("p2p-v3", "post", "post", "clean",
                                             wakeups=[never]))
    assert row["unfired_wakeups"] == ["destination:doNativeMigrate#1 remove-domain"]
    assert row["outcome"] == "migrated"


def test_remove_domain_while_perform3_migrates_frees_the_source_object():
    k = ("source", "doNativeMigrate", 1, "remove-domain")
    row = P.run_migration(P.Migration.matrix("v3", "post", "post", "clean", wakeups=[k]))
    assert row["outcome"] == "migrated" and row["failed_calls"] == ["Confirm@source"]
    assert row["hosts"]["client"]["errors"][-1]["reporter"] == "qemuDomainMigrateConfirm3"
    plain = P.run_migration(P.Migration.matrix("v3", "post", "post", "clean"))
    assert plain["failed_calls"] == [] and "wakeup" not in plain
    assert "unfired_wakeups" not in plain


@untraced
def test_the_matrix_runs_wakeups_on_the_clean_guest_only():
    rows = P.matrix(["v3"], ["post"], ["post"], ["clean", "snapshots"], faults=True)
    woken = [r for r in rows if r.get("wakeup")]
    assert woken and {r["domain"] for r in woken} == {"clean"}
    assert not any(r["fault"] for r in woken) and not any(r["unfired_wakeups"] for r in woken)
    plain = P.matrix(["v3"], ["post"], ["post"], ["clean"])
    assert not any("wakeup" in r for r in plain)
    varied = P.matrix(["v3"], ["post"], ["post"], ["clean"], faults=True, variant="paused")
    assert varied and not any("wakeup" in r for r in varied)


def test_a_scenario_scripts_wakeups(tree):  # noqa: F811
    sc = load_scenario(tree(faults='<wakeup host="source" at="doNativeMigrate" '
                                   'what="remove-domain"/><wakeup host="destination" '
                                   'at="qemuDomainObjExitMonitor" nth="2" what="qemu-quits"/>'))
    assert sc.wakeups == [("source", "doNativeMigrate", 1, "remove-domain"),
                          ("destination", "qemuDomainObjExitMonitor", 2, "qemu-quits")]
    assert P.Migration.from_scenario(sc).wakeups == sc.wakeups
    assert ("wakeups (first attempt): source:doNativeMigrate#1 remove-domain, "
            "destination:qemuDomainObjExitMonitor#2 qemu-quits") in describe(sc)
    assert "wakeups" not in describe(load_scenario(tree("plain")))


@pytest.mark.parametrize("wakeup,problem", [
    ('<wakeup host="client" at="doNativeMigrate" what="qemu-quits"/>', "unknown host 'client'"),
    ('<wakeup host="source" at="strdup" what="qemu-quits"/>',
     "unknown wakeup point 'strdup'"),
    ('<wakeup host="source" at="doNativeMigrate" what="reboot"/>',
     "unknown wakeup at doNativeMigrate 'reboot'"),
    ('<wakeup host="destination" at="qemuProcessStartCPUs" what="qemu-quits"/>',
     "unknown wakeup at qemuProcessStartCPUs 'qemu-quits'"),
    ('<wakeup host="source" at="doNativeMigrate" nth="0" what="qemu-quits"/>',
     "wakeup/@nth: nth must be at least 1, not 0"),
    ('<wakeup host="source" at="doNativeMigrate" what="qemu-quits" when="now"/>',
     "unknown attribute 'when'"),
    ('<wakeup host="source" at="doNativeMigrate" what="qemu-quits"/><wakeup host="source" '
     'at="doNativeMigrate" nth="1" what="qemu-quits"/>',
     "wakeup qemu-quits at source:doNativeMigrate#1 given twice"),
    ('<wakeup host="source" at="virDomainFindByUUID" what="qemu-quits"/>',
     "unknown wakeup at virDomainFindByUUID 'qemu-quits'"),
    ('<wakeup at="doNativeMigrate" what="qemu-quits"/>', "host"),
])
def test_bad_wakeups_are_one_line(tree, wakeup, problem):  # noqa: F811
    with pytest.raises(LoadError) as e:
        load_scenario(tree(faults=wakeup))
    assert problem in str(e.value) and "\n" not in str(e.value)


@untraced
def test_the_wakeup_rows_with_a_fault_free_the_source_object_in_confirm3():
    rows = [r for r in P.extra_rows(["post", "fixed"], faults=True) if r.get("wakeup")]
    assert len(rows) == len(P.WAKEUP_ROWS)
    assert not any(r["unfired_faults"] or r["unfired_wakeups"] for r in rows)
    row = rows[0]
    assert row["fault"] and "variant" not in row
    (src,) = row["left_behind"]["source"]["domains"]
    assert (src["exists"], src["in_list"], src["refs"]) == (False, 0, 0)
    assert not any(r.get("wakeup") for r in P.extra_rows(["post", "fixed"], faults=True,
                                                           variants=["paused"]))
    assert P.extra_rows(["post"], faults=True) == []


def test_qemu_quitting_before_finish_on_a_destination_that_keeps_the_guest():
    """The dest-defined WAKEUP_ROWS: QEMU quits as the destination's daemon takes
    Finish; the guest stays listed (persistent), so Finish finds it inactive:
    "guest unexpectedly quit" (qemu_migration.c:2500-2503 @ e2fb96d9)."""
    rows = [r for r in P.extra_rows(["post", "fixed"], faults=True)
            if r.get("wakeup", "").startswith("destination:daemon:")]
    assert [(r["flow"], r["variant"], r["wakeup"]) for r in rows] == [
        ("v2", "dest-defined", "destination:daemon:domainMigrateFinish2#1 qemu-quits"),
        ("v3", "dest-defined", "destination:daemon:domainMigrateFinish3#1 qemu-quits")]
    for r in rows:
        assert not r["unfired_wakeups"] and r["refused_at"] == "Finish@destination"
        assert r["error"]["message"] == "internal error guest unexpectedly quit"
        (dst,) = r["left_behind"]["destination"]["domains"]
        assert (dst["in_list"], dst["persistent"], dst["state"]) == (1, True, "shutoff")


def test_a_define_failing_before_finish_makes_finish_find_no_guest(tree):  # noqa: F811
    """remove-domain where the destination's daemon takes Finish: another connection's
    qemudDomainDefine of the incoming guest fails to save its config and drops it from the
    list (qemu_driver.c:5011-5040 @ e2fb96d9), so Finish's lookup by name fails; the
    matrix enumerates it there as at every lock-drop point, and a scenario may script it."""
    for flow, member in (("v2", "Finish2"), ("v3", "Finish3")):
        m = P.Migration.matrix(flow, "post", "post", "clean")
        k = ("destination", "daemon:domainMigrate" + member, 1, "remove-domain")
        assert k in P.wakeup_points(m)
        row = P.run_migration(P.Migration.matrix(flow, "post", "post", "clean", wakeups=[k]))
        assert not row["unfired_wakeups"] and row["refused_at"] == "Finish@destination"
        assert row["error"]["message"] == ("Domain not found: no domain with matching "
                                           "name 'shop1'")
        assert row["left_behind"]["destination"]["domains"] == []
    sc = load_scenario(tree(faults='<wakeup host="destination" '
                                   'at="daemon:domainMigrateFinish3" what="remove-domain"/>'))
    assert sc.wakeups == [("destination", "daemon:domainMigrateFinish3", 1, "remove-domain")]


def test_every_lock_drop_point_takes_what_the_matrix_enumerates_there_and_the_job_wakeups():
    for point, whats in stubs.DROP_POINTS.items():
        assert stubs.WAKEUP_POINTS[point] == whats + stubs.JOB_WAKEUPS, point
    assert set(stubs.WAKEUP_POINTS) == set(stubs.DROP_POINTS) | set(stubs.WAIT_POINTS)


def test_an_unfired_wakeup_is_warned_of_and_fails_the_plugin(tree, pytester):  # noqa: F811
    late = '<wakeup host="source" at="doNativeMigrate" nth="99" what="qemu-quits"/>'
    rc, out, err = cli_run("run", str(tree(name="late", flow="v3", faults=late)))
    assert "WARNING wakeup source:doNativeMigrate#99 qemu-quits never happened" in out
    plugin_project(pytester, flow="v3", faults=late)
    r = pytester.runpytest(*QUIET)
    r.assert_outcomes(failed=1)
    assert "wakeup source:doNativeMigrate#99 qemu-quits never happened" in r.stdout.str()


# --- another thread's jobs and references, and the points where this one waits ----------


def _thread(vm, *whats, w=None):
    w = w or _world()[0]
    with w.activate():
        for what in whats:
            stubs._other_thread(w, vm, what)
    return w


def test_job_wakeups_take_and_give_back_jobs_and_references():
    w, vm = _world()
    refs = vm.refs
    _thread(vm, "waits-for-job", "hold-job", w=w)
    job = vm.privateData.job
    assert (job.active, vm.refs) == (QEMU_JOB_QUERY, refs + 2)
    assert w.others_held == {id(vm): 2} and w.others_job == {id(vm): QEMU_JOB_QUERY}
    _thread(vm, "hold-job", "nested-job", w=w)          # a job is held: neither takes one
    assert (job.active, vm.refs) == (QEMU_JOB_QUERY, refs + 2)
    _thread(vm, "end-job", "end-job", w=w)              # the second finds no job
    assert (job.active, vm.refs, vm.freed) == (QEMU_JOB_NONE, refs + 1, False)
    assert w.others_held == {id(vm): 1} and w.others_job == {id(vm): QEMU_JOB_NONE}


def test_a_nested_job_needs_the_async_job_and_a_query_its_mask():
    w, vm = _world()
    job = vm.privateData.job
    _thread(vm, "nested-job", w=w)                      # no async job: no nested one
    assert job.active == QEMU_JOB_NONE and vm.refs == 1
    job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    job.mask = migration_job_mask(QEMU_ASYNC_JOB_MIGRATION_IN)
    _thread(vm, "hold-job", w=w)                        # migration in refuses a query
    assert job.active == QEMU_JOB_NONE
    _thread(vm, "nested-job", w=w)
    assert job.active == QEMU_JOB_ASYNC_NESTED and vm.refs == 2
    w, vm = _world()
    vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT
    vm.privateData.job.mask = migration_job_mask(QEMU_ASYNC_JOB_MIGRATION_OUT)
    _thread(vm, "hold-job", w=w)                        # migration out allows one
    assert vm.privateData.job.active == QEMU_JOB_QUERY


def test_the_other_threads_run_the_ports_job_functions_untraced(monkeypatch):
    """The port registers qemuDomainObjResetAsyncJob and qemuDomainJobAllowed into the
    world (stubs.PORT_FUNCTIONS), plain; hold-job and incoming-cancelled ask them."""
    assert stubs.PORT_FUNCTIONS == {
        "qemuDomainObjResetAsyncJob": inspect.unwrap(qemu_domain.qemuDomainObjResetAsyncJob),
        "qemuDomainJobAllowed": inspect.unwrap(qemu_domain.qemuDomainJobAllowed)}
    w, vm = _world()
    vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    vm.privateData.job.phase = QEMU_MIGRATION_PHASE_PREPARE
    _thread(vm, "incoming-cancelled", w=w)
    assert (vm.privateData.job.asyncJob, vm.privateData.job.phase) == (QEMU_ASYNC_JOB_NONE, 0)
    assert w.trace == []
    asked = []
    monkeypatch.setitem(stubs.PORT_FUNCTIONS, "qemuDomainJobAllowed",
                        lambda priv, job: asked.append((priv, job)))
    monkeypatch.setitem(stubs.PORT_FUNCTIONS, "qemuDomainObjResetAsyncJob", asked.append)
    w, vm = _world()
    vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    _thread(vm, "hold-job", "incoming-cancelled", w=w)
    assert asked == [(vm.privateData, QEMU_JOB_QUERY), vm.privateData]
    assert vm.privateData.job.active == QEMU_JOB_NONE          # the job was not allowed
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_IN      # nor reset


def test_a_copy_of_the_job_functions_with_a_mistake_leaves_the_other_threads_alone(
        monkeypatch):
    """Only port/qemu_domain.py registers (stubs.PORT_MODULE): a port whose qemu_domain.py
    copy has a mistake planted (conftest.broken_port) registers nothing, whether it comes
    before the real module's registration or after it; the real module's registering
    again changes nothing."""
    before = dict(stubs.PORT_FUNCTIONS)
    allowed = "return not priv.job.asyncJob or (priv.job.mask & JOB_MASK(job)) != 0"
    broken_port("post", allowed, "return False", in_module="qemu_domain")
    copy = [m for n, m in sys.modules.items() if n.startswith(
        "qemu_migration.port.broken_qemu_domain_")][-1]
    assert inspect.unwrap(copy.qemuDomainJobAllowed)(make_vm().privateData, 1) is False
    assert stubs.PORT_FUNCTIONS == before
    real = [inspect.unwrap(qemu_domain.qemuDomainObjResetAsyncJob),
            inspect.unwrap(qemu_domain.qemuDomainJobAllowed)]
    stubs.register_port_functions(*real)
    assert stubs.PORT_FUNCTIONS == before
    # the copy first, into a world no port registered into yet
    monkeypatch.setattr(stubs, "PORT_FUNCTIONS", {})
    stubs.register_port_functions(inspect.unwrap(copy.qemuDomainJobAllowed))
    assert stubs.PORT_FUNCTIONS == {}
    stubs.register_port_functions(*real)
    assert stubs.PORT_FUNCTIONS == before


@pytest.mark.parametrize("what, needs", [("hold-job", "qemuDomainJobAllowed"),
                                         ("incoming-cancelled", "qemuDomainObjResetAsyncJob")])
def test_a_world_without_the_port_says_what_to_import(monkeypatch, what, needs):
    """A wakeup that runs a port function in a world no port registered into (the world
    used without qemu_migration.port) is PortNotLoaded, in one line naming the function
    and the module to import, not a KeyError."""
    monkeypatch.setattr(stubs, "PORT_FUNCTIONS", {})
    w, vm = _world()
    vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    with pytest.raises(stubs.PortNotLoaded) as e:
        _thread(vm, what, w=w)
    assert str(e.value) == (
        "another thread's wakeup runs the port's %s, which is not registered: import "
        "qemu_migration.port.qemu_domain (or qemu_migration.port), which registers it"
        % needs)
    assert not isinstance(e.value, KeyError)


def test_the_last_reference_an_ending_job_gives_back_frees_the_object():
    w, vm = _world()
    vm.privateData.job.active = QEMU_JOB_QUERY
    _thread(vm, "end-job", w=w)
    assert vm.refs == 0 and vm.freed


def test_an_incoming_migration_cancelled_stops_ends_and_removes_a_transient_guest():
    w, vm = _world(persistent=False)
    P._incoming(vm)
    vm.refs += 1                                        # a waiter's reference
    _thread(vm, "incoming-cancelled", w=w)
    job = vm.privateData.job
    assert (job.asyncJob, job.phase, job.mask) == (QEMU_ASYNC_JOB_NONE, 0, DEFAULT_JOB_MASK)
    assert job.active == QEMU_JOB_ASYNC_NESTED          # its Finish's monitor call is not it
    assert (vm.def_.id, vm.state) == (-1, VIR_DOMAIN_SHUTOFF)
    assert vm.def_.uuid not in w.driver.domains and not vm.freed
    assert [(e.type, e.detail) for e in w.driver.events] == [
        (VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED)]
    assert w.others_async == ["ended"] and "stopped migrated=1" in " ".join(w.logs)
    w, vm = _world()
    _thread(vm, "incoming-cancelled", w=w)              # no incoming migration: nothing
    assert vm.state == VIR_DOMAIN_RUNNING and w.others_async == []


def test_the_incoming_and_busy_variants_hold_what_their_threads_took():
    m = P.Migration.matrix("v2", "post", "fixed", "clean", variant="incoming")
    (hd,) = m.source.domains
    job = hd.vm.privateData.job
    assert (job.asyncJob, job.active, job.phase) == (
        QEMU_ASYNC_JOB_MIGRATION_IN, QEMU_JOB_ASYNC_NESTED, QEMU_MIGRATION_PHASE_PREPARE)
    assert (hd.vm.state, hd.vm.reason, hd.vm.persistent) == (
        VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION, False)
    plain = P.Migration.matrix("v2", "post", "fixed", "clean")
    assert hd.vm.refs == plain.source.domains[0].vm.refs + 1
    busy = P.Migration.matrix("v3", "post", "fixed", "clean", variant="busy")
    assert busy.source.domains[0].vm.refs == hd.vm.refs
    assert P.VARIANTS["busy+transient"].flows == ("v3",)


def test_wait_points_are_counted_only_in_a_run_that_scripts_wakeups():
    w, vm = _world()
    vm.locked = False
    with w.activate():
        assert stubs_driver.virDomainFindByUUID(w.driver.domains, vm.def_.uuid) is vm
    assert w.lock_drops == {} and vm.locked
    w, vm = _world()
    vm.locked = False
    w.drop_wakeups = {("virDomainFindByUUID", 2): ("hold-job",)}
    with w.activate():
        stubs_driver.virDomainFindByUUID(w.driver.domains, vm.def_.uuid)
        assert vm.privateData.job.active == QEMU_JOB_NONE
        stubs_driver.virDomainFindByUUID(w.driver.domains, vm.def_.uuid)
    assert vm.privateData.job.active == QEMU_JOB_QUERY and vm.locked
    assert w.lock_drops == {"virDomainFindByUUID": 2}
    assert w.drop_wakeups_fired == [("virDomainFindByUUID", 2)]


def test_a_lookup_lets_no_thread_that_needs_the_driver_lock_run():
    assert not set(stubs.DROP_WAKEUPS) & set(stubs.WAKEUP_POINTS["virDomainFindByUUID"])
    w, vm = _world()
    w.drop_wakeups = {("virDomainFindByUUID", 1): ("qemu-quits", "remove-domain")}
    with w.activate():
        stubs_driver.virDomainFindByUUID(w.driver.domains, vm.def_.uuid)
    assert vm.state == VIR_DOMAIN_RUNNING and w.drop_wakeups_fired == []


def test_the_relock_is_a_wait_point():
    w, vm = _world(persistent=False)
    vm.refs += 1
    vm.locked = False
    w.drop_wakeups = {("virDomainObjLock", 1): ("qemu-quits",)}
    with w.activate():
        stubs.virDomainObjLock(vm)
    assert vm.locked and vm.def_.uuid not in w.driver.domains and vm.refs == 1
    assert "virDomainObjLock" not in stubs.DROP_POINTS


def test_a_scripted_job_wait_is_woken_and_an_unscripted_one_times_out():
    w, vm = _world()
    vm.privateData.job.active = QEMU_JOB_QUERY
    vm.refs += 1
    w.drop_wakeups = {("virCondWaitUntil", 1): ("end-job", "qemu-quits")}
    with w.activate():
        clock = w.clock_ms
        assert stubs.virCondWaitUntil("job.cond", vm, clock + 30000) == 0
        assert w.clock_ms == clock and vm.privateData.job.active == QEMU_JOB_NONE
        assert vm.state == VIR_DOMAIN_SHUTOFF
        assert stubs.virCondWaitUntil("job.cond", vm, clock + 30000) == -1
    assert w.clock_ms == clock + 30000 and w.errno == errno.ETIMEDOUT


def test_wakeup_points_enumerate_the_lock_drop_points_only(monkeypatch):
    m = P.Migration.matrix("v3", "post", "post", "clean")
    original = P.attempt

    def counting(*a, **k):
        rec = original(*a, **k)
        rec["_drops"]["source"]["virCondWaitUntil"] = 1
        return rec
    monkeypatch.setattr(P, "attempt", counting)
    points = P.wakeup_points(m)
    assert points and all(p[1] in stubs.DROP_POINTS for p in points)


def test_removing_an_unlisted_domain_drops_no_reference():
    w, vm = _world(persistent=False)
    del w.driver.domains[vm.def_.uuid]
    vm.refs = 1
    with w.activate():
        stubs.virDomainRemoveInactive(w.driver.domains, vm)
    assert (vm.refs, vm.freed, vm.locked) == (1, False, False)
    w, vm = _world()
    other = DomainObj(def_=vm.def_, refs=1)            # the uuid's entry is another object
    w.driver.domains[vm.def_.uuid] = other
    with w.activate():
        stubs.virDomainRemoveInactive(w.driver.domains, vm)
    assert other.freed and vm.def_.uuid not in w.driver.domains and not vm.freed


def test_violations_leave_out_what_other_threads_hold():
    w, vm = _world()
    start = P._start(w)
    _thread(vm, "hold-job", "waits-for-job", w=w)
    vm.locked = False
    assert P.violations("destination", w, start) == []
    w.others_held, w.others_job = {}, {}
    assert {v["invariant"] for v in P.violations("destination", w, start)} == {
        "async-job-leaked", "refs-unbalanced"}


# --- the WAKEUP_ROWS: each reaches its upstream lines ------------------------------------


def _wakeup_row(index, src="post", dst="fixed"):
    flow, faults, wakeups, variant = P.WAKEUP_ROWS[index]
    row = P.run_migration(P.Migration.matrix(flow, src, dst, "clean", faults, variant,
                                             wakeups))
    assert row["unfired_wakeups"] == [] and row["unfired_faults"] == []
    return row


def _row_of(what, variant=None):
    return next(i for i, r in enumerate(P.WAKEUP_ROWS)
                if r[3] == variant and any(k[3] == what for k in r[2]))


def _after(trace, name):
    """The calls nested under the first call of ``name`` in ``trace``, stripped."""
    i = next(k for k, line in enumerate(trace) if line.strip() == name)
    depth = len(trace[i]) - len(trace[i].lstrip())
    out = []
    for line in trace[i + 1:]:
        if len(line) - len(line.lstrip()) <= depth:
            break
        out.append(line.strip())
    return out


def test_a_close_resets_another_threads_nested_job_and_its_reference_keeps_the_guest():
    row = _wakeup_row(_row_of("nested-job"))
    dest = row["hosts"]["destination"]["trace"]
    assert _after(dest, "qemuDomainObjDiscardAsyncJob")[0] == "qemuDomainObjResetJob"
    assert row["left_behind"]["destination"]["domains"] == []
    assert [e["type"] for e in row["left_behind"]["destination"]["events"]] == [
        "started", "stopped"]
    assert row["violations"] == []
    # without it, the close's unlock touches the freed guest (the known upstream defect)
    plain = P.run_migration(P.Migration.matrix(
        "v3", "post", "fixed", "clean",
        (("client", "remote:domainMigrateFinish3@destination", 1),)))
    assert [v["invariant"] for v in plain["violations"]] == ["use-after-free"]
    assert "qemuDomainObjResetJob" not in _after(plain["hosts"]["destination"]["trace"],
                                                 "qemuDomainObjDiscardAsyncJob")


def test_a_query_job_held_past_the_wait_saves_the_guest_from_the_close():
    row = _wakeup_row(_row_of("hold-job"))
    assert row["outcome"] == "migrated" and row["runs_on"] == ["destination"]
    errs = row["hosts"]["destination"]["errors"]
    assert (errs[-1]["message"], errs[-1]["reporter"]) == (
        "Timed out during operation: cannot acquire state change lock",
        "qemuDomainObjBeginJobInternal")
    (dom,) = row["left_behind"]["destination"]["domains"]
    assert (dom["job"], dom["refs"], dom["state"]) == ("query", 2, "running")
    close = _after(row["hosts"]["destination"]["trace"], "qemuProcessAutoDestroyDom")
    assert "qemuProcessStop" not in close
    assert close[-2:] == ["virDomainObjUnlock", "virHashRemoveEntry"]
    assert row["violations"] == []
    plain = P.run_migration(P.Migration.matrix(
        "v3", "post", "fixed", "clean", (("destination", "virDomainSaveStatus", 4),)))
    assert plain["runs_on"] == []                       # the close kills it


def test_a_waiters_reference_makes_perform3_remove_the_guest_qemu_left():
    row = _wakeup_row(_row_of("waits-for-job", "transient"))
    assert row["error"]["message"] == "internal error guest unexpectedly quit"
    perform = _after(row["hosts"]["source"]["trace"], "qemuMigrationPerformPhase")
    assert perform[-1] == "virDomainRemoveInactive"
    (src,) = row["left_behind"]["source"]["domains"]
    assert (src["exists"], src["in_list"], src["refs"], src["locked"]) == (True, 0, 1, False)
    assert row["violations"] == []


def test_a_define_failing_meanwhile_makes_begin3_find_the_domain_gone():
    row = _wakeup_row(next(i for i, r in enumerate(P.WAKEUP_ROWS)
                           if r[2] == (("source", "virDomainObjLock", 1, "remove-domain"),)))
    assert row["refused_at"] == "Begin@source"
    assert (row["error"]["message"], row["error"]["reporter"]) == (
        "operation failed: domain disappeared", "qemuDomainMigrateBegin3")
    assert row["violations"] == []


def test_qemu_quitting_while_begin3_relocks_or_waits_gives_back_the_last_reference():
    row = _wakeup_row(next(i for i, r in enumerate(P.WAKEUP_ROWS)
                           if r[2] == (("source", "virDomainObjLock", 1, "qemu-quits"),)))
    assert row["error"]["message"] == "Requested operation is not valid: domain is not running"
    begin = _after(row["hosts"]["source"]["trace"], "qemuDomainMigrateBegin3")
    assert "qemuMigrationJobFinish" in begin and "qemuMigrationBegin" not in begin
    (src,) = row["left_behind"]["source"]["domains"]
    assert not src["exists"] and row["violations"] == []
    row = _wakeup_row(_row_of("end-job", "busy+transient"))
    begin = _after(row["hosts"]["source"]["trace"], "qemuDomainMigrateBegin3")
    assert "qemuDomainObjBeginJob" in begin and "virCondWaitUntil" in begin
    assert "qemuDomainObjEndJob" in begin and "qemuMigrationJobStart" not in begin
    assert row["refused_at"] == "Begin@source" and row["violations"] == []
    assert not row["left_behind"]["source"]["domains"][0]["exists"]


def test_getinfo_of_a_guest_whose_incoming_migration_is_cancelled_fails_without_an_error():
    row = _wakeup_row(_row_of("incoming-cancelled", "incoming"), "pre", "post")
    info = _after(row["hosts"]["source"]["trace"], "qemudDomainGetInfo")
    assert "virCondWaitUntil" in info and "qemuDomainObjEnterMonitor" not in info
    assert info[-1] == "virDomainObjUnref"              # EndJob gave back the last one
    # qemudDomainGetInfo returned -1 and set no error: the RPC layer says so
    first = row["hosts"]["client"]["errors"][0]
    assert first["reporter"] == "virNetMessageSaveError"
    assert "did not set virError" in first["message"]
    assert row["refused_at"] == "Perform@source" and row["violations"] == []
    plain = P.run_migration(P.Migration.matrix("v2", "pre", "post", "clean",
                                               variant="incoming"))
    assert plain["error"]["message"] == ("Timed out during operation: cannot acquire state "
                                         "change lock")


@pytest.mark.parametrize("active", [True, False])
def test_another_threads_job_begun_or_ended_saves_an_active_domains_status(active):
    """qemuDomainObjSaveJob after BeginJob, EndJob and EndAsyncJob (qemu_domain.c:756,
    :848, :860 @ e2fb96d9): the status of an active domain is saved each time; an
    inactive one's is not (it is written when the domain starts)."""
    w, vm = _world(active=active)
    saved = 1 if active else 0
    _thread(vm, "waits-for-job", w=w)                   # waits: begins nothing yet
    assert w.driver.saved_status == []
    _thread(vm, "hold-job", "end-job", w=w)             # a query job begun, then ended
    assert w.driver.saved_status == ["shop1"] * 2 * saved
    job = vm.privateData.job
    job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    job.mask = migration_job_mask(QEMU_ASYNC_JOB_MIGRATION_IN)
    _thread(vm, "nested-job", w=w)                      # the async job's nested one
    assert w.driver.saved_status == ["shop1"] * 3 * saved
    w.driver.saved_status.clear()
    vm.refs += 2
    with w.activate():
        stubs._wake(w, vm, "end-async")                 # EndAsyncJob: one save
        assert w.driver.saved_status == ["shop1"] * saved
        job.active = QEMU_JOB_QUERY
        stubs._wake(w, vm, "end-job+start-async")       # EndJob, then a BeginJob: two more
    assert w.driver.saved_status == ["shop1"] * 3 * saved
