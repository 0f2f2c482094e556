"""Connection close: qemudClose (port/driver.py), qemuProcessAutoDestroyRun/Dom
(port/process.py), its stubs (world/stubs_close.py), the wire's close
(hosts.remote_close) and what a whole migration leaves once its connections close."""
import pytest

from conftest import UUID1, UUID2, faults, make_vm, make_world, misspelt_gotos
from qemu_migration.engine import protocol as P
from qemu_migration.port import process
from qemu_migration.port.unit import entry_points, unit
from qemu_migration.world import hosts, stubs, stubs_close
from qemu_migration.world.constants import (QEMU_ASYNC_JOB_MIGRATION_IN, QEMU_ASYNC_JOB_NONE,
                                            QEMU_JOB_ASYNC_NESTED, QEMU_JOB_MODIFY, QEMU_JOB_NONE,
                                            QEMU_MIGRATION_PHASE_PREPARE,
                                            VIR_DOMAIN_EVENT_STOPPED,
                                            VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
                                            VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED,
                                            VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU)
from qemu_migration.world.errors import VirError
from qemu_migration.world.hosts import Connection, Host, Network
from qemu_migration.world.objects import STARTED_ELSEWHERE, DomainEventState, Driver, Ptr
from qemu_migration.world.runtime import NoSuchLabel, World
from qemu_migration.world.stubs_p2p import virConnectClose

LOCK = "Timed out during operation: cannot acquire state change lock"


class Rig:
    """One host of ``version`` with its unit's close, and a connection to it."""

    def __init__(self, *vms, version="post"):
        self.world = make_world(*vms)
        self.world.driver.locked = False
        self.host = Host("destination", version, self.world, "qemu+ssh://dst/system",
                         entry=entry_points(version))
        self.conn = Connection(self.host)
        self.u = unit(version)

    def mark(self, vm, conn):
        self.world.driver.autodestroy[vm.def_.uuid] = conn

    def run(self, fname, *args, faults_=None):
        self.world.reset_run(faults_)
        with self.world.activate():
            return getattr(self.u, fname)(*args)

    def names(self):
        return [t.name for t in self.world.trace]


def incoming(refs=1, persistent=False, uuid=UUID1, name="web1"):
    """A paused incoming guest in the migration-in async job, as Prepare leaves it."""
    vm = make_vm(name=name, uuid=uuid, state="paused", persistent=persistent, refs=refs)
    vm.locked = False
    job = vm.privateData.job
    job.asyncJob, job.phase = QEMU_ASYNC_JOB_MIGRATION_IN, QEMU_MIGRATION_PHASE_PREPARE
    return vm


# --- qemudClose ------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["pre", "post", "fixed"])
def test_close_destroys_what_the_connection_started_and_drops_privatedata(version):
    vm = incoming()
    r = Rig(vm, version=version)
    r.mark(vm, r.conn)
    assert r.conn.privateData is r.world.driver
    assert r.run("qemudClose", r.conn) == 0
    assert r.conn.privateData is None and r.conn.released
    assert r.names()[:3] == ["qemudClose", "qemuDriverLock",
                             "virDomainEventCallbackListRemoveConn"]
    assert "qemuProcessAutoDestroyRun" in r.names() and r.names()[-1] == "qemuDriverUnlock"
    assert r.world.driver.autodestroy == {} and not r.world.driver.locked
    assert UUID1 not in r.world.driver.domains


def test_close_leaves_what_another_connection_started():
    mine, other = incoming(), incoming(uuid=UUID2, name="web2")
    r = Rig(mine, other)
    r.mark(mine, STARTED_ELSEWHERE)
    r.mark(other, r.conn)
    r.run("qemudClose", r.conn)
    assert r.world.driver.autodestroy == {UUID1: STARTED_ELSEWHERE}
    assert list(r.world.driver.domains) == [UUID1]
    # the walk visits both entries, in the table's order, and kills one
    assert [n for n in r.names() if n == "qemuProcessAutoDestroyDom"] == [
        "qemuProcessAutoDestroyDom"] * 2
    assert r.names().count("qemuProcessStop") == 1


# --- qemuProcessAutoDestroyDom, line by line -------------------------------------------------

def data(r):
    return process.qemuProcessAutoDestroyData(r.world.driver, r.conn)


def test_a_transient_incoming_guest_is_destroyed_and_its_async_job_discarded():
    vm = incoming()
    r = Rig(vm)
    r.mark(vm, r.conn)
    r.run("qemuProcessAutoDestroyDom", r.conn, UUID1, data(r))
    names = r.names()
    assert names[:6] == ["qemuProcessAutoDestroyDom", "virDomainFindByUUID",
                         "qemuDomainObjDiscardAsyncJob", "qemuDomainObjResetAsyncJob",
                         "qemuDomainObjSaveJob", "virDomainSaveStatus"]
    assert names[6] == "qemuDomainObjBeginJobWithDriver"
    stop = names.index("qemuProcessStop")
    assert names[stop:] == [
        "qemuProcessStop", "virDomainAuditStop", "virDomainEventNewFromObj",
        "qemuDomainObjEndJob", "qemuDomainObjResetJob", "qemuDomainObjSaveJob",
        "virCondSignal", "virDomainObjUnref", "virDomainRemoveInactive",
        "virDomainObjUnlock", "qemuDomainEventQueue", "virHashRemoveEntry"]
    job = vm.privateData.job
    assert (job.asyncJob, job.active) == (QEMU_ASYNC_JOB_NONE, QEMU_JOB_NONE)
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF,
                                                 VIR_DOMAIN_SHUTOFF_DESTROYED, -1)
    # stopped as after a migration (migrated=1: shared disks' labels left alone)
    assert "qemu: stopped migrated=1" in r.world.logs
    assert [(e.type, e.detail) for e in r.world.driver.events] == [
        (VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED)]
    # removed from the list, its last reference gone: freed, and then unlocked at cleanup
    # (upstream at these commits unlocks the domain virDomainRemoveInactive freed; libvirt
    # fixed it in 7ccad0b16d, 2013)
    assert vm.freed and UUID1 not in r.world.driver.domains
    assert r.world.touched_freed == ["virDomainObjUnlock"]
    assert r.world.driver.autodestroy == {}


def destroy_persistent(**job):
    """qemuProcessAutoDestroyDom on a persistent incoming guest with the job fields given."""
    vm = incoming(persistent=True)
    for name, value in job.items():
        setattr(vm.privateData.job, name, value)
    r = Rig(vm)
    r.mark(vm, r.conn)
    r.run("qemuProcessAutoDestroyDom", r.conn, UUID1, data(r))
    return vm, r


def test_a_persistent_guest_is_stopped_kept_and_unlocked():
    vm, r = destroy_persistent(asyncJob=QEMU_ASYNC_JOB_NONE)
    assert "qemuDomainObjDiscardAsyncJob" not in r.names()
    assert "virDomainRemoveInactive" not in r.names()
    assert r.world.driver.domains[UUID1] is vm and not vm.locked and not vm.freed
    assert vm.state == VIR_DOMAIN_SHUTOFF and r.world.touched_freed == []
    # qemuProcessStop already dropped the entry, so the walk's own removal finds none
    assert r.world.driver.autodestroy == {}


def test_a_nested_job_is_reset_with_the_async_one():
    vm, r = destroy_persistent(active=QEMU_JOB_ASYNC_NESTED)
    assert r.names()[2:5] == ["qemuDomainObjDiscardAsyncJob", "qemuDomainObjResetJob",
                              "qemuDomainObjResetAsyncJob"]
    assert vm.state == VIR_DOMAIN_SHUTOFF


def test_the_last_reference_gone_at_endjob_skips_removal_and_unlock():
    vm = incoming(refs=0)       # no list reference: EndJob gives back the last one
    r = Rig(vm)
    r.mark(vm, r.conn)
    r.run("qemuProcessAutoDestroyDom", r.conn, UUID1, data(r))
    names = r.names()
    assert vm.freed and "virDomainRemoveInactive" not in names
    assert names[-4:] == ["virCondSignal", "virDomainObjUnref", "qemuDomainEventQueue",
                          "virHashRemoveEntry"]


def test_a_held_job_keeps_the_guest_and_drops_the_entry():
    vm = incoming(persistent=True)
    vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_NONE
    vm.privateData.job.active = QEMU_JOB_MODIFY
    r = Rig(vm)
    r.mark(vm, r.conn)
    r.run("qemuProcessAutoDestroyDom", r.conn, UUID1, data(r))
    assert [e.message for e in r.world.errors] == [LOCK]
    assert "qemuProcessStop" not in r.names() and "qemuDomainEventQueue" not in r.names()
    assert r.names()[-2:] == ["virDomainObjUnlock", "virHashRemoveEntry"]
    assert vm.state != VIR_DOMAIN_SHUTOFF and r.world.driver.domains[UUID1] is vm
    assert r.world.driver.autodestroy == {} and not vm.locked


def test_no_event_when_it_cannot_be_made():
    vm = incoming(persistent=True)
    r = Rig(vm)
    r.mark(vm, r.conn)
    r.run("qemuProcessAutoDestroyDom", r.conn, UUID1, data(r),
          faults_=faults(("virDomainEventNewFromObj", 1)))
    assert "qemuDomainEventQueue" not in r.names() and r.world.driver.events == []
    assert vm.state == VIR_DOMAIN_SHUTOFF


def test_another_connections_entry_is_left_alone():
    vm = incoming()
    r = Rig(vm)
    r.mark(vm, STARTED_ELSEWHERE)
    r.run("qemuProcessAutoDestroyDom", STARTED_ELSEWHERE, UUID1, data(r))
    assert r.names() == ["qemuProcessAutoDestroyDom"]
    assert r.world.driver.autodestroy == {UUID1: STARTED_ELSEWHERE}


def test_an_entry_without_a_domain_is_left_in_the_table():
    r = Rig()
    r.world.driver.autodestroy[UUID1] = r.conn
    r.run("qemuProcessAutoDestroyDom", r.conn, UUID1, data(r))
    assert r.names() == ["qemuProcessAutoDestroyDom", "virDomainFindByUUID"]
    assert r.world.driver.autodestroy == {UUID1: r.conn}


def test_an_unparsable_uuid_is_warned_about_and_left(monkeypatch):
    r = Rig()
    r.world.driver.autodestroy["not-a-uuid"] = r.conn
    monkeypatch.setitem(r.u.qemuProcessAutoDestroyDom.__wrapped__.__globals__,
                        "virUUIDParse", lambda s, u: -1)
    r.run("qemuProcessAutoDestroyDom", r.conn, "not-a-uuid", data(r))
    assert r.names() == ["qemuProcessAutoDestroyDom"]
    assert "warning: Failed to parse not-a-uuid" in r.world.logs
    assert r.world.driver.autodestroy == {"not-a-uuid": r.conn}


def test_the_dispatch_loop_refuses_an_unknown_label(monkeypatch):
    # the module's own function (the unit's copy has its own scope)
    misspelt_gotos(monkeypatch, process, "qemuProcessAutoDestroyDom")
    vm = incoming()
    r = Rig(vm)
    r.mark(vm, r.conn)
    with r.world.activate(), pytest.raises(NoSuchLabel):
        process.qemuProcessAutoDestroyDom(r.conn, UUID1, data(r))


# --- the stubs ---------------------------------------------------------------------------------

def test_stubs_close():
    w = World(Driver())
    with w.activate():
        table = {"a": 1}
        assert stubs_close.virHashRemoveEntry(table, "b") == -1 and table == {"a": 1}
        assert stubs_close.virHashRemoveEntry(table, "a") == 0 and table == {}
        assert stubs_close.virDomainEventCallbackListRemoveConn(None, []) == 0
        u = Ptr()
        assert stubs_close.virUUIDParse(UUID1, u) == 0 and u.value == UUID1
        # virHashLookup hands the payload; virHashForEach counts the entries it visited,
        # even those the walk removed
        assert stubs.virHashLookup({"k": "conn"}, "k") == "conn"
        assert stubs.virHashLookup({}, "k") is None
        t = {"x": 1, "y": 2}
        seen = []
        assert stubs.virHashForEach(t, lambda v, k, d: (seen.append(k), t.pop(k)), None) == 2
        assert seen == ["x", "y"] and t == {}
    assert repr(STARTED_ELSEWHERE) == "<connection of another client>"
    assert Driver().domainEventState == DomainEventState([])


# --- the wire --------------------------------------------------------------------------------

def test_remote_close_runs_the_hosts_close_in_its_world_after_resetting_its_error():
    vm = incoming()
    r = Rig(vm)
    r.mark(vm, r.conn)
    net = Network()
    net.add(r.host)
    r.world.last_error = VirError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU, "old", "x")
    client = World()
    r.world.reset_run(None)
    frame = r.world.frame
    with client.activate():
        assert virConnectClose(r.conn) == 0
    assert [t.name for t in client.trace] == ["virConnectClose", "remote:close@destination"]
    assert [t.depth for t in client.trace] == [0, 1]
    assert net.crossings == ["remote:close@destination"]
    assert r.conn.closed and r.world.last_error is None
    assert r.names()[0] == "qemudClose" and UUID1 not in r.world.driver.domains
    assert r.world.frame == frame


def test_a_connection_with_references_left_is_not_closed():
    r = Rig()
    r.conn.refs = 2
    client = World()
    with client.activate():
        assert virConnectClose(r.conn) == 1
    assert not r.conn.closed and [t.name for t in client.trace] == ["virConnectClose"]


def test_a_host_without_close_closes_nothing():
    w = World(Driver())
    host = Host("destination", "post", w, "qemu+ssh://dst/system", entry={})
    conn = Connection(host)
    client = World()
    with client.activate():
        hosts.remote_close(conn)
    assert [t.name for t in client.trace] == ["remote:close@destination"]
    assert w.trace == [] and not conn.released
    assert hosts.failed("close", 0) is False and hosts.failed("close", -1) is True


# --- whole migrations: what the close leaves ---------------------------------------------------

FINISH_RPC = ("client", "remote:domainMigrateFinish3@destination", 1)


def test_a_failed_migrations_incoming_guest_is_destroyed_when_the_client_closes():
    """v3, Finish's RPC broken: the destination's paused incoming guest, in its migration-in
    job, was started on the client's connection; the client's close destroys it, with
    the async job discarded, and the second attempt is not refused by it."""
    m = P.Migration.matrix("v3", "post", "fixed", "clean", [FINISH_RPC])
    row = P.run_migration(m)
    dest = row["hosts"]["destination"]["trace"]
    assert row["refused_at"] == "Finish@destination"
    close = dest.index("qemudClose")
    assert [n.strip() for n in dest[close:]][:6] == [
        "qemudClose", "qemuDriverLock", "virDomainEventCallbackListRemoveConn",
        "qemuProcessAutoDestroyRun", "virHashForEach", "qemuProcessAutoDestroyDom"]
    assert "qemuDomainObjDiscardAsyncJob" in [n.strip() for n in dest[close:]]
    assert row["left_behind"]["destination"]["domains"] == []       # transient: removed
    assert {"type": "stopped", "detail": VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
            "domain": "shop1"} in row["left_behind"]["destination"]["events"]
    # no async job left on the destination; the freed guest's unlock is upstream's own
    assert [v["invariant"] for v in row["violations"] if v["host"] == "destination"] == [
        "use-after-free"]
    assert row["second_attempt"]["refused_at"] != "Prepare@destination"


def test_without_the_close_the_incoming_guest_stays(monkeypatch):
    """The same row with the wire's close made a no-op: the guest and its job stay, and
    the second attempt is refused at Prepare by the first's leftover."""
    monkeypatch.setattr(hosts, "remote_close", lambda conn: None)
    monkeypatch.setattr("qemu_migration.world.stubs_p2p.remote_close", lambda conn: None)
    row = P.run_migration(P.Migration.matrix("v3", "post", "fixed", "clean", [FINISH_RPC]))
    assert "qemudClose" not in [n.strip() for n in row["hosts"]["destination"]["trace"]]
    left = row["left_behind"]["destination"]["domains"]
    assert [d["async_job"] for d in left] == ["migration in"]
    assert row["second_attempt"]["refused_at"] == "Prepare@destination"


def test_p2p_source_closes_its_destination_connection():
    """p2p-v3 with Finish's RPC broken (on the source's own connection to the destination):
    doPeer2PeerMigrate's virConnectClose(dconn) destroys the incoming guest."""
    fault = ("source", "remote:domainMigrateFinish3@destination", 1)
    row = P.run_migration(P.Migration.matrix("p2p-v3", "post", "post", "clean", [fault]))
    src = [n.strip() for n in row["hosts"]["source"]["trace"]]
    assert "remote:close@destination" in src
    dest = [n.strip() for n in row["hosts"]["destination"]["trace"]]
    assert "qemuDomainObjDiscardAsyncJob" in dest
    assert all(d["async_job"] == "none" for d in row["left_behind"]["destination"]["domains"])


def test_a_migrated_guest_is_not_destroyed_by_the_close():
    row = P.run_migration(P.Migration.matrix("v3", "post", "post", "clean"))
    assert row["outcome"] == "migrated" and row["runs_on"] == ["destination"]
    dest = [n.strip() for n in row["hosts"]["destination"]["trace"]]
    assert "qemudClose" in dest and "qemuProcessStop" not in dest
