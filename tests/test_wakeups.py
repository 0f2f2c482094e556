"""Another thread acting while a host's code has the domain unlocked, in a whole migration
(world/stubs.py _meanwhile and _other_thread; engine/protocol.py's wakeup rows; the
loader's <wakeup>): each wakeup changes what the migration does, at the point named."""
import shutil
from pathlib import Path

import pytest

from conftest import cli_run
from qemu_migration.engine import protocol as P
from qemu_migration.engine.protocol_text import cells
from qemu_migration.loader import LoadError, describe, load_scenario
from qemu_migration.upstream.protocol_compare import row_id
from qemu_migration.world import stubs, stubs_driver, stubs_p2p
from qemu_migration.world.constants import (VIR_DOMAIN_EVENT_STOPPED,
                                            VIR_DOMAIN_EVENT_STOPPED_FAILED,
                                            VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF,
                                            VIR_DOMAIN_SHUTOFF_FAILED, VIR_MIGRATE_LIVE)
from qemu_migration.world.objects import DomainObj, Driver
from qemu_migration.world.runtime import World

from test_protocol_scenarios import text, tree  # noqa: F401  (the fixture)


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
    w.drop_wakeups = {(at, nth): what}
    with w.activate():
        for _ in range(times):
            w.frames.append(at)
            stubs._meanwhile(vm)
            w.frames.pop()


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


def test_only_the_nth_passage_of_the_point_named_wakes():
    w, vm = _world()
    _drop(w, vm, "doTunnelMigrate", "qemu-quits", nth=2, times=1)
    assert vm.state == VIR_DOMAIN_RUNNING and w.lock_drops == {"doTunnelMigrate": 1}
    w, vm = _world()
    _drop(w, vm, "doTunnelMigrate", "qemu-quits", nth=2, times=2)
    assert vm.state == VIR_DOMAIN_SHUTOFF
    w, vm = _world()
    w.drop_wakeups = {("doNativeMigrate", 1): "qemu-quits"}
    with w.activate():
        w.frames.append("qemuProcessStart")
        stubs._meanwhile(vm, counted=False)           # qemuProcessStart's: not a point
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
    w.drop_wakeups = {("qemuProcessStartCPUs", 1): "remove-domain"}
    with w.activate():
        stubs.qemuProcessStartCPUs(w.driver, vm, None, 0, 0)
    assert vm.def_.uuid not in w.driver.domains and vm.refs == 1


def test_the_exit_stubs_are_lock_drop_points():
    for module, name in [(stubs_driver, "qemuDomainObjExitMonitor"),
                         (stubs_driver, "qemuDomainObjExitMonitorWithDriver"),
                         (stubs_p2p, "qemuDomainObjExitRemoteWithDriver")]:
        w, vm = _world()
        vm.refs += 1
        w.drop_wakeups = {(name, 1): "qemu-quits"}
        with w.activate():
            getattr(module, name)(w.driver, vm)
        assert vm.state == VIR_DOMAIN_SHUTOFF and vm.locked, name
        assert name in stubs.DROP_POINTS


def test_a_migration_run_after_qemu_quit_fails_as_qemuMigrationRun_does():
    w, vm = _world()
    vm.def_.id = -1
    with w.activate():
        w.frames.append("doNativeMigrate")
        assert stubs._migration_run(w.driver, vm, VIR_MIGRATE_LIVE, False) == -1
        w.frames[-1] = "doPeer2PeerMigrate"
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
     "unknown lock-drop point 'strdup'"),
    ('<wakeup host="source" at="doNativeMigrate" what="reboot"/>',
     "unknown wakeup at doNativeMigrate 'reboot'"),
    ('<wakeup host="destination" at="qemuProcessStartCPUs" what="qemu-quits"/>',
     "unknown wakeup at qemuProcessStartCPUs 'qemu-quits'"),
    ('<wakeup host="source" at="doNativeMigrate" nth="0" what="qemu-quits"/>', "nth"),
    ('<wakeup host="source" at="doNativeMigrate" what="qemu-quits" when="now"/>',
     "unknown attribute 'when'"),
    ('<wakeup host="source" at="doNativeMigrate" what="qemu-quits"/><wakeup host="source" '
     'at="doNativeMigrate" nth="1" what="remove-domain"/>',
     "wakeup at source:doNativeMigrate#1 given twice"),
    ('<wakeup at="doNativeMigrate" what="qemu-quits"/>', "host"),
])
def test_bad_wakeups_are_one_line(tree, wakeup, problem):  # noqa: F811
    with pytest.raises(LoadError) as e:
        load_scenario(tree(faults=wakeup))
    assert problem in str(e.value) and "\n" not in str(e.value)


def test_the_wakeup_rows_with_a_fault_free_the_source_object_in_confirm3():
    rows = [r for r in P.extra_rows(["post", "fixed"], faults=True) if r.get("wakeup")]
    assert len(rows) == len(P.WAKEUP_ROWS)
    (row,) = rows
    assert row["fault"] and not row["unfired_faults"] and not row["unfired_wakeups"]
    (src,) = row["left_behind"]["source"]["domains"]
    assert (src["exists"], src["in_list"], src["refs"]) == (False, 0, 0)
    assert not any(r.get("wakeup") for r in P.extra_rows(["post", "fixed"], faults=True,
                                                           variants=["paused"]))
    assert P.extra_rows(["post"], faults=True) == []


def test_an_unfired_wakeup_is_warned_of_and_fails_the_plugin(tree, pytester):  # noqa: F811
    late = '<wakeup host="source" at="doNativeMigrate" nth="99" what="qemu-quits"/>'
    rc, out, err = cli_run("run", str(tree(name="late", flow="v3", faults=late)))
    assert "WARNING wakeup source:doNativeMigrate#99 qemu-quits never happened" in out
    fix = Path(__file__).resolve().parent.parent / "fixtures"
    shutil.copytree(fix / "domains", pytester.path / "domains")
    shutil.copytree(fix / "snapshots", pytester.path / "snapshots")
    pytester.makeini("[pytest]\nqemu_migration_scenarios = scen\n")
    (pytester.path / "scen").mkdir()
    (pytester.path / "scen" / "mig.xml").write_text(text("mig", up="../", flow="v3",
                                                         faults=late))
    quiet = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cov")
    r = pytester.runpytest(*quiet)
    r.assert_outcomes(failed=1)
    assert "wakeup source:doNativeMigrate#99 qemu-quits never happened" in r.stdout.str()
