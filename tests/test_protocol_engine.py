"""engine/protocol.py's bookkeeping, on a stand-in for the protocol ports (protocol_double):
where a refusal happened, the error the client sees, what is left behind, stranding, the
second attempt, faults on every side and on the wire, and the protocol command."""
import json

import pytest

import protocol_double as D
from conftest import cli_run, untraced
from qemu_migration.engine import protocol as P
from qemu_migration.engine import protocol_text as T
from qemu_migration.engine.invariants import INVARIANTS
from qemu_migration.loader.migration import FLOWS, HostState
from qemu_migration.world.constants import QEMU_ASYNC_JOB_MIGRATION_IN
from qemu_migration.world.objects import STARTED_ELSEWHERE, DomainDef, DomainObj, Driver
from qemu_migration.world.runtime import World


@pytest.fixture
def double(monkeypatch):
    monkeypatch.setattr(P, "entry_points", D.entries)
    monkeypatch.setattr(P, "client_migrate", lambda: D.migrate)


def row(flow, src, dst, kind, faults=()):
    return P.run_migration(P.Migration.matrix(flow, src, dst, kind, list(faults)))


def test_post_p2p_refusal_leaks_the_job_and_blocks_the_second_attempt(double):
    r = row("p2p-v3", "post", "post", "snapshots")
    assert (r["outcome"], r["refused_at"]) == ("refused", "Perform@source")
    assert r["error"]["message"] == ("Requested operation is not valid: cannot migrate "
                                     "domain with 2 snapshots")
    assert r["failed_calls"] == ["Perform@source"]
    assert {(v["invariant"], v["host"]) for v in r["violations"]} == {
        ("async-job-leaked", "source"), ("refs-unbalanced", "source")}
    src = r["left_behind"]["source"]["domains"][0]
    assert (src["async_job"], src["refs"]) == ("migration out", 2)
    s = r["second_attempt"]
    assert s["outcome"] == "refused" and s["error"]["code"] == "VIR_ERR_OPERATION_TIMEOUT"
    assert r["runs_on"] == ["source"] and not r["stranded"]
    assert r["protocol"] == "v3" and r["destination_advertises_v3"] is True
    assert r["hosts"]["source"]["trace"][0] == "qemuMigrationPerformJob"
    f = row("p2p-v3", "fixed", "post", "snapshots")
    assert f["violations"] == [] and "snapshots" in f["second_attempt"]["error"]["message"]


def test_v3_refuses_at_begin_and_pre_strands(double):
    r = row("v3", "post", "pre", "snapshots")
    assert r["refused_at"] == "Begin@source" and r["error"]["reporter"] == "qemuMigrationIsAllowed"
    m = row("v3", "pre", "post", "snapshots")
    assert (m["outcome"], m["refused_at"], m["error"]) == ("migrated", None, None)
    assert m["stranded"] is True and m["runs_on"] == ["destination"]
    dst = m["left_behind"]["destination"]
    assert [d["name"] for d in dst["domains"]] == ["shop1"]
    assert dst["events"][0]["type"] == "started"
    # the source's guest is stopped but keeps its two snapshots
    assert m["left_behind"]["source"]["domains"][0]["snapshots"] == 2
    assert row("v3", "pre", "post", "clean")["stranded"] is False


def test_the_first_failure_in_return_order_and_a_broken_wire(double):
    # pre's Begin checks host devices too
    assert row("v3", "pre", "post", "pci-hostdev")["refused_at"] == "Begin@source"
    # the RPC to Begin fails: nothing ran on the source, the client sees the RPC error
    w = row("v3", "post", "post", "clean", [("client", "remote:domainMigrateBegin3@source", 1)])
    assert w["refused_at"] == "Begin@source" and w["failed_calls"] == ["Begin@source"]
    assert w["error"]["domain"] == "VIR_FROM_RPC"      # the wire's own error
    assert w["hosts"]["source"]["trace"] == [] and w["fault"] == (
        "client:remote:domainMigrateBegin3@source#1")
    assert w["second_attempt"]["outcome"] == "migrated"
    # Finish fails on the wire after Prepare and Perform went through: the wire's failure is
    # the first, Confirm then cancels on the source
    f = row("v3", "post", "post", "clean", [("client", "remote:domainMigrateFinish3@destination",
                                              1)])
    assert f["refused_at"] == "Finish@destination"
    assert f["unfired_faults"] == []


def test_a_refusal_no_host_made_and_other_members(double, monkeypatch):
    def refuse(domain, dconn, flags, dname, uri, bandwidth):
        return None
    r = P.run_migration(P.Migration.matrix("v3", "post", "post", "clean"), migrate=refuse)
    assert r["refused_at"] == "client" and r["error"] is None and r["failed_calls"] == []
    # a v2 destination says no to v3, though its own supports_feature says yes
    r = P.run_migration(P.Migration.matrix("v2", "post", "post", "clean"))
    assert r["refused_at"] == "client"
    # then the client lets go of both connections, destination first (virsh's order)
    assert r["hosts"]["client"]["trace"] == ["remote:supports_feature@destination",
                                             "virConnectClose", "  remote:close@destination",
                                             "virConnectClose", "  remote:close@source"]
    # a driver table without supports_feature is left so
    P.run_migration(P.Migration.matrix("p2p-v2", "post", "post", "clean"), entries=lambda v: {
        k: f for k, f in D.entries(v).items() if k != "supports_feature"})

    def lookup_fails(domain, dconn, flags, dname, uri, bandwidth):
        D.migrate(domain, dconn, flags, dname, uri, bandwidth)
        return dconn.driver.domainMigrateFinish3(dconn, "nosuch", 1)
    r = P.run_migration(P.Migration.matrix("p2p-v3", "post", "post", "clean"),
                        migrate=lookup_fails)
    assert r["refused_at"] == "Finish@destination"
    assert P.where("domainLookupByName", "destination") == "LookupByName@destination"
    assert P.where("somethingNew", "source") == "somethingNew@source"


def test_faults_on_every_side_and_unfired(double):
    m = P.Migration.matrix("v3", "post", "post", "clean")
    points = P.fault_points(m)
    sides = {p[0] for p in points}
    assert sides == {"client", "source", "destination"}
    assert ("destination", "qemuProcessStart", 1) in points
    r = row("v3", "post", "post", "clean", [("destination", "qemuProcessStart", 1)])
    assert r["refused_at"] == "Prepare@destination"
    u = row("v3", "post", "post", "clean", [("source", "virGetHostname", 9)])
    assert u["unfired_faults"] == ["source:virGetHostname#9"]
    rows = P.matrix(["v3"], ["post"], ["fixed"], ["clean"], faults=True)
    # and the clean guest's wakeup: the double passes one lock-drop point, the
    # destination daemon taking Finish3
    wakeups = P.wakeup_points(m)
    assert wakeups == [("destination", "daemon:domainMigrateFinish3", 1, "qemu-quits"),
                       ("destination", "daemon:domainMigrateFinish3", 1, "remove-domain")]
    assert len(rows) == 1 + len(points) + len(wakeups) and rows[0]["fault"] is None
    assert all(x["fault"] for x in rows[1:-2]) and all(x["wakeup"] for x in rows[-2:])


def test_one_attempt_and_a_scenario_flow(double):
    m = P.Migration.matrix("v2", "post", "post", "clean")
    m.attempts = 1
    r = P.run_migration(m)
    assert r["second_attempt"] is None
    assert r["protocol"] == "v2" and r["destination_advertises_v3"] is False


def test_violations_of_a_host_left_in_a_bad_state():
    d = DomainDef("kvm", "g", "u1", id=3)
    vm = DomainObj(d, persistent=True, refs=1, state=1)
    drv = Driver(domains={"u1": vm})
    w = World(drv)
    start = P._start(w)
    vm.privateData.job.active = 2
    vm.refs = 3
    vm.locked = True
    drv.locked = True
    w.touched_freed.append("virDomainObjUnlock")
    w.fds_open.add(21)
    gone = DomainObj(DomainDef("kvm", "h", "u2"), freed=True)
    names = [v["invariant"] for v in P.violations("source", w, start + [(gone, (0, 0, 0))])]
    assert names == ["async-job-leaked", "refs-unbalanced", "lock-unbalanced",
                     "lock-unbalanced", "use-after-free", "fd-leaked"]
    assert set(names) <= set(INVARIANTS)        # the function-level invariants' names


def test_summary_tells_a_job_the_first_attempt_left_from_another_threads():
    """A second attempt timing out counts as the first attempt's doing only when that one
    left an async job; under the busy variant the job is another thread's query job."""
    rows = P.extra_rows(["post", "fixed"], variants=["busy"])
    assert rows and all(r["second_attempt"]["error"]["code"] == "VIR_ERR_OPERATION_TIMEOUT"
                        for r in rows)
    assert not any(r["violations"] for r in rows)
    assert T.summary(rows).endswith(
        "0 second attempts time out on a job the first left; %d on a job another thread "
        "holds" % len(rows))
    leaked = dict(rows[0], violations=[{"invariant": "async-job-leaked", "host": "source"}])
    assert T.summary([leaked, rows[1]]).endswith(
        "1 second attempts time out on a job the first left; 1 on a job another thread holds")


def test_text_and_markdown(double):
    rows = P.matrix(["p2p-v3"], ["post"], ["post"], ["clean", "snapshots"])
    text = T.render_text(rows)
    assert text.splitlines()[0] == P.V2_NOTE
    assert "refused at Perform@source: Timed out during operation" in text
    assert text.rstrip().endswith("1 second attempts time out on a job the first left")
    md = T.render_markdown(rows, faults=True)
    assert "| flow | source | destination | domain | fault |" in md
    assert T.cells({**rows[0], "second_attempt": None})[-1] == "-"
    assert T._second(rows[0]["second_attempt"]).startswith("refused at")


def test_the_protocol_command(double):
    rc, out, err = cli_run("protocol", "--flow", "p2p-v3", "--source", "post",
                            "--destination", "fixed", "--domain", "snapshots", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert list(data) == ["schema", "note", "rows"] and len(data["rows"]) == 1
    rc, out, _ = cli_run("protocol", "--flow", "v3", "--source", "pre",
                          "--destination", "pre", "--domain", "clean", "--markdown")
    assert rc == 0 and out.startswith("_v2 flows")
    rc, out, _ = cli_run("protocol", "--flow", "v3", "--source", "pre", "--destination",
                          "pre", "--domain", "clean", "--faults")
    assert rc == 0 and "fault" in out.splitlines()[1]


def test_the_protocol_command_runs_a_variant():
    # a variant's rows: only the flows it applies to, each row naming it
    rc, out, err = cli_run("protocol", "--variant", "tunnelled", "--source", "post",
                           "--destination", "fixed", "--domain", "clean", "--json")
    assert rc == 0, err
    rows = json.loads(out)["rows"]
    assert [r["flow"] for r in rows] == list(P.VARIANTS["tunnelled"].flows) == ["v2", "v3"]
    assert {r["variant"] for r in rows} == {"tunnelled"}
    assert {r["refused_at"] for r in rows} == {"client"}
    # the same migration as the extra rows compare records
    m = P.Migration.matrix("v2", "post", "fixed", "clean", variant="tunnelled")
    assert rows[0] == P.run_migration(m)
    # every variant, with faults: a fault row carries its variant too
    rc, out, _ = cli_run("protocol", "--variant", "all", "--flow", "v3", "--source", "pre",
                         "--destination", "pre", "--domain", "clean")
    lines = out.splitlines()
    assert lines[1].split()[4] == "variant"
    assert len(lines) == 3 + sum("v3" in v.flows for v in P.VARIANTS.values())
    rc, out, _ = cli_run("protocol", "--variant", "dname", "--flow", "v3", "--source", "pre",
                         "--destination", "pre", "--domain", "clean", "--faults", "--markdown")
    table = [l for l in out.splitlines() if l.startswith("| v3 ")]
    assert len(table) > 1 and all(l.split(" | ")[4] == "dname" for l in table)
    assert table[0].split(" | ")[5] == "-" and table[1].split(" | ")[5] != "-"
    # without a variant, no variant column
    rc, out, _ = cli_run("protocol", "--flow", "v3", "--source", "pre", "--destination",
                         "pre", "--domain", "clean")
    assert "variant" not in out.splitlines()[1]


@pytest.mark.parametrize("argv,problem", [
    (["--variant", "nosuch"], "unknown variant 'nosuch'"),
    (["--flow", "v4"], "unknown flow 'v4'"),
    (["--domain", "nosuch"], "unknown domain 'nosuch'"),
    (["--source", "mid"], "protocol: unknown version 'mid'"),
    (["--json", "--markdown"], "not allowed with argument"),
])
def test_bad_input_is_one_line(argv, problem):
    rc, out, err = cli_run("protocol", *argv)
    assert rc == 2 and out == "" and problem in err and len(err.splitlines()) == 1


def test_the_matrix_guests_load():
    for kind in P.DOMAIN_KINDS:
        s, d = P.matrix_host_states(kind, "pre", "post")
        vm = s.domains[0].vm
        assert vm.def_.name == P.MATRIX_DOMAIN and d.domains == []
        assert (len(vm.snapshots.objs) > 0) == ("snapshots" in kind)
        assert (vm.def_.nhostdevs > 0) == ("hostdev" in kind or "pci" in kind)
    ad = P.matrix_host_states("auto-destroy", "post", "post")[0].build_world()
    assert ad.driver.autodestroy == {"8c1f4e02-5b7a-4d39-9e61-2a0b7c4d9f13": STARTED_ELSEWHERE}
    w = HostState("post", "h", nextvmid=40).build_world()
    assert w.driver.nextvmid == 40 and w.driver.locked is False
    assert FLOWS["tunnelled-p2p-v2"].protocol == "v2"


def test_every_protocol_json_field_is_documented(double, tmp_path):
    from test_json_outputs import _fields, assert_portable_json
    import re
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs/json.md").read_text()
    rc, out, _ = cli_run("protocol", "--flow", "v3", "--source", "pre", "--destination",
                         "post", "--domain", "snapshots", "--json", "--faults")
    data = assert_portable_json(out, tmp_path)
    missing = {k for k in _fields(data)
               if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(k), doc)}
    assert not missing


def test_the_extra_rows_change_what_their_variant_names():
    """Each variant reaches what the matrix does not: its flags, dname and uri reach
    virDomainMigrate, the guest's state is set on the source only, the connections and the
    lock managers are as named; the rows carry the variant (the matrix's rows do not)."""
    m = P.Migration.matrix("v3", "post", "fixed", "clean", variant="persist-dest")
    assert m.flags == FLOWS["v3"].flags | P.VIR_MIGRATE_PERSIST_DEST and m.variant == "persist-dest"
    vm = P.Migration.matrix("v2", "post", "fixed", "clean", variant="shut-off").source.domains[0].vm
    assert (vm.state, vm.def_.id, vm.persistent) == (P.VIR_DOMAIN_SHUTOFF, -1, True)
    vm = P.Migration.matrix("v2", "post", "fixed", "clean", variant="transient").source.domains[0].vm
    assert vm.persistent is False and vm.state == P.VIR_DOMAIN_RUNNING
    s = P.Migration.matrix("v2", "post", "fixed", "clean", variant="sanlock-source")
    assert (s.source.lock_manager, s.destination.lock_manager) == ("sanlock", "nop")
    assert s.source.build_world().driver.lockManager == "sanlock"
    rows = {r["variant"]: r for r in P.extra_rows(["post", "fixed"], variants=[
        "paused-guest", "no-balloon", "busy", "read-only-destination", "gone", "dname"])
        if r["flow"] == "v2"}
    assert rows["paused-guest"]["flags"] & P.VIR_MIGRATE_PAUSED == 0    # libvirt.c adds it
    assert "domainMigratePrepare2" in "".join(rows["paused-guest"]["hosts"]["client"]["trace"])
    assert rows["busy"]["error"]["message"].endswith("cannot acquire state change lock")
    assert rows["read-only-destination"]["error"]["code"] == "VIR_ERR_OPERATION_DENIED"
    assert rows["read-only-destination"]["refused_at"] == "client"
    assert rows["gone"]["refused_at"] == "GetXMLDesc@source"
    assert rows["dname"]["outcome"] == "migrated" and rows["no-balloon"]["outcome"] == "migrated"
    assert "variant" not in P.matrix(["v2"], ["post"], ["fixed"], ["clean"])[0]


@untraced
def test_the_extra_rows_pairs_and_fault_rows():
    # each version once a source and once a destination: a version alone has no pair
    assert P.extra_rows(["post"]) == []
    rows = P.extra_rows(["post", "fixed"], faults=True, variants=["persist-dest", "paused"])
    assert {(r["source"], r["destination"]) for r in rows} == {("post", "fixed")}
    faulted = [r for r in rows if r["fault"]]
    assert faulted and {r["flow"] for r in faulted} == set(P.VARIANTS["persist-dest"].fault_flows)
    assert {r["variant"] for r in faulted} == {"persist-dest"}
    assert not any(r["unfired_faults"] for r in faulted)


def test_a_guest_with_a_balloon_driver_reports_its_size_to_getinfo():
    # "balloon": QEMU answers the balloon's size (qemu_driver.c:2252, :4579 @ e2fb96d9)
    m = P.Migration.matrix("v3", "post", "fixed", "clean", variant="balloon")
    assert m.source.domains[0].vm.privateData.mon.balloon == 524288
    assert P.Migration.matrix("v3", "post", "fixed", "clean").source.domains[0] \
        .vm.privateData.mon.balloon is None
    # each host's world gets a monitor of its own with the guest's balloon
    world = m.source.build_world()
    vm = next(iter(world.driver.domains.values()))
    assert vm.privateData.mon.balloon == 524288
    assert vm.privateData.mon is not m.source.domains[0].vm.privateData.mon
    # the direct flows, whose client asks GetInfo (and v2's GetXMLDesc) of the source
    rows = P.extra_rows(["post", "fixed"], variants=["balloon"])
    assert [r["flow"] for r in rows] == ["v2", "v3"]
    assert all(r["outcome"] == "migrated" for r in rows)


def test_an_offline_migration_pauses_the_guest_and_a_failed_one_resumes_it():
    m = P.Migration.matrix("v3", "post", "fixed", "clean", variant="offline")
    assert m.flags == FLOWS["v3"].flags & ~P.VIR_MIGRATE_LIVE and not m.faults
    ok = P.run_migration(m)
    assert ok["outcome"] == "migrated"
    # the pause (qemuMigrationRun :1467) queued its SUSPENDED event before the stop
    assert [e["type"] for e in ok["left_behind"]["source"]["events"]][:1] == ["suspended"]
    rows = {r["variant"]: r for r in P.extra_rows(
        ["post", "fixed"], variants=["offline-failed", "offline-failed-resume"])}
    assert set(rows) == {"offline-failed", "offline-failed-resume"}
    failed, stuck = rows["offline-failed"], rows["offline-failed-resume"]
    assert failed["fault"] == "source:doNativeMigrate#1" and not failed["unfired_faults"]
    # Perform3 found the guest paused after the failure and resumed it (L2324-2338 @ e2fb96d9)
    src = failed["left_behind"]["source"]
    assert [e["type"] for e in src["events"]] == ["suspended", "resumed"]
    assert (src["domains"][0]["state"], src["domains"][0]["reason"]) == \
        ("running", "migration canceled")
    assert failed["error"]["message"] == "operation failed: migration job: unexpectedly failed"
    # the resume failing too: the guest stays paused, its error is the last one
    assert stuck["fault"] == "source:doNativeMigrate#1, source:qemuProcessStartCPUs#1"
    src = stuck["left_behind"]["source"]
    assert (src["domains"][0]["state"], src["domains"][0]["reason"]) == ("paused", "migration")
    assert stuck["error"]["reporter"] == "qemuProcessStartCPUs"
    assert any("qemuProcessStartCPUs !fault" in line
               for line in stuck["hosts"]["source"]["trace"])


def test_a_variant_with_faults_of_its_own_gets_fault_rows_on_top_of_them():
    # protocol --variant offline-failed --faults: each further point fails on top of the
    # variant's own fault, which is not a point of its own
    m = P.Migration.matrix("v3", "post", "fixed", "clean", variant="offline-failed")
    points = P.fault_points(m)
    assert ("source", "doNativeMigrate", 1) not in points
    # the resume runs only after the variant's failure: a point of this variant alone
    assert ("source", "qemuProcessStartCPUs", 1) in points
    assert ("source", "qemuProcessStartCPUs", 1) not in P.fault_points(
        P.Migration.matrix("v3", "post", "fixed", "clean", variant="offline"))
    rows = P.matrix(["v3"], ["post"], ["fixed"], ["clean"], faults=True,
                    variant="offline-failed")
    assert rows[0]["fault"] == "source:doNativeMigrate#1"
    assert all(r["fault"].startswith("source:doNativeMigrate#1") for r in rows)
    assert len({r["fault"] for r in rows}) == len(rows) == len(points) + 1


def test_the_probe_is_the_row_its_fault_points_and_its_wait_points():
    """probe: one run gives what run_migration, fault_points and wakeup_points give of a
    migration (the real ports); a migration with faults of its own has no wait points
    (wakeup_points runs without them)."""
    m = P.Migration.matrix("p2p-v3", "post", "fixed", "clean")
    row, points, waits = P.probe(m)
    assert row == P.run_migration(m)
    assert points == P.fault_points(m) and len(points) > 20
    assert waits == P.wakeup_points(m) and waits
    off = P.Migration.matrix("v3", "pre", "post", "clean", variant="offline-failed")
    row, points, none = P.probe(off)
    assert row == P.run_migration(off) and row["fault"] == "source:doNativeMigrate#1"
    assert points == P.fault_points(off) and none is None
    woken = P.Migration.matrix("p2p-v3", "post", "fixed", "clean", wakeups=waits[:1])
    assert P.probe(woken)[2] is None


@untraced
def test_a_faulted_matrix_runs_each_plain_row_once(monkeypatch):
    """The plain row's first attempt is the probe of its fault and wait points: every
    migration's attempts are its row's two, none more (they were three runs of it)."""
    ran = []
    real = P.attempt

    def counted(*args, **kw):
        ran.append(1)
        return real(*args, **kw)
    monkeypatch.setattr(P, "attempt", counted)
    rows = P.matrix(["v3"], ["post"], ["fixed"], ["clean"], faults=True)
    assert len(ran) == 2 * len(rows) and any(r.get("wakeup") for r in rows)
    ran.clear()
    rows = P.extra_rows(["post", "fixed"], faults=True, variants=["dname"])
    assert len(ran) == 2 * len(rows) and any(r["fault"] for r in rows)


@pytest.mark.no_cover      # faulted rows of every domain: the engine's other tests trace them
def test_the_matrix_rows_share_a_prototype_no_run_changes():
    """The matrix's rows share a prototype made once per row of the matrix (its fixture
    files read once, its variant applied once), and each run builds its worlds from the
    prototype's host states (HostState.run_world, which shares with the state what no
    run changes in place): after faulted rows of every domain (and the variants'), every
    prototype is still what a fresh one is, and its states build what build_world's deep
    copies build.  Migration.matrix's rows have their own copies of the states."""
    P.matrix(["p2p-v3", "v2"], ["pre"], ["post"], faults=True)
    P.extra_rows(["post", "fixed"], faults=True, variants=["dname", "dest-defined", "gone"])
    keys = ([("p2p-v3", "pre", "post", k, None) for k in P.DOMAIN_KINDS]
            + [("v2", "post", "fixed", "clean", v) for v in ("dname", "dest-defined")]
            + [("p2p-v2", "post", "fixed", "clean", "gone")])
    for key in keys:
        proto, fresh = P._prototype(*key), P._prototype.__wrapped__(*key)
        assert (proto.source, proto.destination) == (fresh.source, fresh.destination)
        for state in (proto.source, proto.destination):
            assert state.run_world().driver == state.build_world().driver
        assert proto.source.domains
    point = ("source", "virDomainSaveStatus", 1)
    a = P.Migration.matrix("v3", "pre", "post", "clean", [point], "offline-failed")
    b = P.Migration.matrix("v3", "pre", "post", "clean", variant="offline-failed")
    proto = P._prototype("v3", "pre", "post", "clean", "offline-failed")
    assert a.source == b.source == proto.source and a.destination == proto.destination
    assert a.source is not b.source and a.source.domains[0].vm is not b.source.domains[0].vm
    assert P._row("v3", "pre", "post", "clean", [point], "offline-failed").source \
        is proto.source
    assert a.faults == [("source", "doNativeMigrate", 1), point]
    assert b.faults == [("source", "doNativeMigrate", 1)] and a.wakeups == b.wakeups == []
    assert proto.faults == [("source", "doNativeMigrate", 1)]
    # what it would catch: a run that changed its host's domain in place
    vm = proto.source.domains[0].vm
    vm.refs += 1
    try:
        assert proto.source != P._prototype.__wrapped__(*proto_key(proto)).source
    finally:        # the prototype is shared: leave it as found whatever the assert says
        vm.refs -= 1


def proto_key(m):
    return (m.flow.name, m.source.version, m.destination.version, m.kind, m.variant)


def test_a_callers_change_to_a_rows_host_states_is_that_rows_alone():
    """A caller that changes a row's host states in place (Migration.matrix's) changes
    that row's migration, which runs on them, and nothing else: the next row, the
    prototype and the matrix are as before."""
    m = P.Migration.matrix("v3", "post", "fixed", "clean")
    vm = m.source.domains[0].vm
    vm.state, vm.reason = P.VIR_DOMAIN_PAUSED, P.VIR_DOMAIN_PAUSED_USER    # paused-guest's
    vm.def_.disks.clear()
    vm.privateData.job.phase = 3
    m.source.lock_manager = "sanlock"
    m.destination.domains.append(m.source.domains[0])
    key = ("v3", "post", "fixed", "clean", None)
    fresh = P._prototype.__wrapped__(*key)
    assert P._prototype(*key).source == fresh.source
    assert P._prototype(*key).destination == fresh.destination == HostState(
        "fixed", "dest.example.org", hostuuid=fresh.destination.hostuuid)
    assert P.Migration.matrix(*key[:4]).source == fresh.source
    assert P.matrix(["v3"], ["post"], ["fixed"], ["clean"]) == [P.run_migration(
        P.Migration(fresh.source, fresh.destination, P.MATRIX_DOMAIN, fresh.flow,
                    fresh.flags, kind="clean"))]
    # setup builds the row's worlds from its states: the row runs the changed guest
    s = P.setup(m)
    assert s.source.world.driver.lockManager == "sanlock"
    assert [v.def_.disks for v in s.source.world.driver.domains.values()] == [[]]
    assert list(s.destination.world.driver.domains) == list(s.source.world.driver.domains)
    (ran,) = s.source.world.driver.domains.values()
    assert (ran.state, ran.reason, ran.privateData.job.phase) == (
        P.VIR_DOMAIN_PAUSED, P.VIR_DOMAIN_PAUSED_USER, 3)


def test_a_cached_prototype_is_what_a_fresh_one_is():
    """Every domain's and every variant's prototype, made afresh (``__wrapped__``: past
    the cache, so this runs each variant's apply whatever ran before), is the cached
    one: the same migration and host states."""
    keys = ([("v3", "pre", "post", k, None) for k in P.DOMAIN_KINDS]
            + [(v.flows[0], "post", "fixed", P.VARIANT_KIND, v.name)
               for v in P.VARIANTS.values()])
    for key in keys:
        fresh, cached = P._prototype.__wrapped__(*key), P._prototype(*key)
        assert fresh is not cached
        assert (fresh.flags, fresh.faults, fresh.dname, fresh.uri, fresh.variant,
                fresh.connect_flags, fresh.gone) == (
            cached.flags, cached.faults, cached.dname, cached.uri, cached.variant,
            cached.connect_flags, cached.gone)
        assert fresh.source == cached.source and fresh.destination == cached.destination
    assert P._prototype("v2", "post", "fixed", "clean", "incoming").source.domains[0] \
        .vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_IN
