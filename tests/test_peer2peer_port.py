"""port/peer2peer.py: doPeer2PeerMigrate, ...2 and ...3 as a source host's unit runs them.

The source is a host built from the bundled scenarios (its world, its
PerformJob call); the destination is a host on the same Network, reached only
through the Connection the source opens.  The destination's entry points and
port/protocol.py's qemuMigrationConfirm are ported by other branches: until
they land, the destination here is a test double (``Dest``: each entry point
does what the real one leaves observable, as far as these flows look at it) and
Confirm a stand-in with upstream's effect on the source (``confirm``).  Both are
named in the traces as the real ones, so what is asserted of the p2p functions
(the calls they make, in order, with what; the return; the error that wins; the
state left on both hosts) holds with the real ones too.
"""
import dataclasses
import re
from pathlib import Path

import pytest

from conftest import misspelt_gotos
from qemu_migration.engine import run_call
from qemu_migration.loader import load_scenario
from qemu_migration.port import VERSION_NAMES, VERSIONS
from qemu_migration.port import peer2peer
from qemu_migration.port.unit import unit
from qemu_migration.world import stubs, stubs_p2p
from qemu_migration.world.constants import (VIR_DOMAIN_XML_SECURE, VIR_DOMAIN_XML_UPDATE_CPU,
                                            QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_MIGRATION_PHASE_CONFIRM3,
                                            QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED,
                                            VIR_DOMAIN_EVENT_RESUMED,
                                            VIR_DOMAIN_EVENT_RESUMED_MIGRATED,
                                            VIR_DOMAIN_EVENT_STOPPED,
                                            VIR_DOMAIN_EVENT_STOPPED_MIGRATED, VIR_DOMAIN_PAUSED,
                                            VIR_DOMAIN_PAUSED_MIGRATION, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_RUNNING_MIGRATED,
                                            VIR_DOMAIN_SHUTOFF_MIGRATED,
                                            VIR_ERR_OPERATION_FAILED, VIR_ERR_OPERATION_INVALID,
                                            VIR_MIGRATE_CHANGE_PROTECTION, VIR_MIGRATE_LIVE,
                                            VIR_MIGRATE_PAUSED, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_TUNNELLED, QEMU_ASYNC_JOB_MIGRATION_OUT)
from qemu_migration.world.hosts import (VIR_DRV_FEATURE_MIGRATION_P2P,
                                        VIR_DRV_FEATURE_MIGRATION_V2,
                                        VIR_DRV_FEATURE_MIGRATION_V3, Domain, Host,
                                        Network, Stream)
from qemu_migration.world.objects import DomainDef, DomainObj, Driver
from qemu_migration.world.runtime import FaultPlan, NoSuchLabel, World, current, ported

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
DEST_URI = "qemu+ssh://dest.example.org/system"
URI_OUT = "tcp:dest.example.org:49152"
V2_ONLY = frozenset((VIR_DRV_FEATURE_MIGRATION_V2, VIR_DRV_FEATURE_MIGRATION_P2P))
NO_P2P = frozenset((VIR_DRV_FEATURE_MIGRATION_V2, VIR_DRV_FEATURE_MIGRATION_V3))


# --- the destination: a test double behind the wire --------------------------------------


class Dest:
    """The destination host's entry points, as far as the p2p flows see them: Prepare
    defines the incoming domain (paused, async job migration in) and hands back a URI
    and a cookie, Finish starts it (or, cancelled, removes it).  ``refuse`` makes the
    named member report an error and fail; ``silent`` makes it fail reporting none;
    ``no_uri`` makes Prepare succeed without a URI; ``meanwhile`` runs when the named
    member is called (another thread on the source, say)."""

    def __init__(self, version, features=None, refuse=(), silent=(), no_uri=False,
                 meanwhile=None):
        self.host = Host("destination", version, World(Driver(hostname="dest.example.org")),
                         DEST_URI)
        if features is not None:
            self.host.features = features
        self.refuse, self.silent, self.no_uri = set(refuse), set(silent), no_uri
        self.meanwhile = meanwhile or {}
        self.calls = []
        self.host.entry = {m: self._member(m) for m in (
            "supports_feature", "domainMigratePrepare2", "domainMigratePrepareTunnel",
            "domainMigrateFinish2", "domainMigratePrepare3", "domainMigratePrepareTunnel3",
            "domainMigrateFinish3")}

    @property
    def driver(self):
        return self.host.world.driver

    def _member(self, member):
        impl = getattr(self, member)

        def entry(*args):
            assert current() is self.host.world        # it runs in the destination's world
            self.calls.append((member, args))
            if member in self.meanwhile:
                self.meanwhile[member]()
            if member in self.refuse:
                stubs.qemuReportError(VIR_ERR_OPERATION_INVALID, "%s refused" % member)
                return None if member.startswith("domainMigrateFinish") else -1
            if member in self.silent:
                return None if member.startswith("domainMigrateFinish") else -1
            return impl(*args)
        return entry

    def supports_feature(self, conn, feature):
        return int(feature in self.host.features)

    def _prepare(self, dname, dom_xml, cookieout, uri_out):
        # what the format stubs write is for people, not the loader: name and uuid
        name, uuid = re.search(r"<name>(.*?)</name><uuid>(.*?)</uuid>", dom_xml).groups()
        def_ = DomainDef("kvm", name, uuid)
        if dname is not None:
            def_.name = dname
        def_.id = 1
        vm = DomainObj(def_=def_, state=VIR_DOMAIN_PAUSED, reason=VIR_DOMAIN_PAUSED_MIGRATION)
        vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
        self.driver.domains[def_.uuid] = vm
        if cookieout is not None:
            cookieout.value = "<qemu-migration><name>%s</name></qemu-migration>" % def_.name
        if uri_out is not None and not self.no_uri:
            uri_out.value = URI_OUT
        return 0

    def domainMigratePrepare2(self, dconn, cookie, cookielen, uri_in, uri_out, flags, dname,
                              resource, dom_xml):
        return self._prepare(dname, dom_xml, cookie, uri_out)

    def domainMigratePrepareTunnel(self, dconn, st, flags, dname, resource, dom_xml):
        return self._prepare(dname, dom_xml, None, None)

    def domainMigratePrepare3(self, dconn, cookiein, cookieinlen, cookieout, cookieoutlen,
                              uri_in, uri_out, flags, dname, resource, dom_xml):
        return self._prepare(dname, dom_xml, cookieout, uri_out)

    def domainMigratePrepareTunnel3(self, dconn, st, cookiein, cookieinlen, cookieout,
                                    cookieoutlen, flags, dname, resource, dom_xml):
        return self._prepare(dname, dom_xml, cookieout, None)

    def _finish(self, dconn, dname, cancelled):
        vm = self.driver.find_by_name(dname)
        if cancelled:
            del self.driver.domains[vm.def_.uuid]
            return None
        vm.state, vm.reason = VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATED
        vm.privateData.job.asyncJob = 0
        dconn.refs += 1                 # the handle's reference, as virGetDomain takes it
        return Domain(dconn, dname, vm.def_.uuid, vm.def_.id)

    def domainMigrateFinish2(self, dconn, dname, cookie, cookielen, uri, flags, retcode):
        return self._finish(dconn, dname, retcode)

    def domainMigrateFinish3(self, dconn, dname, cookiein, cookieinlen, cookieout,
                             cookieoutlen, dconnuri, uri, flags, cancelled):
        dom = self._finish(dconn, dname, cancelled)
        if dom is not None:
            cookieout.value = "<qemu-migration><name>%s</name></qemu-migration>" % dname
        return dom

    def args_of(self, member):
        return [a for m, a in self.calls if m == member]


# --- the source ------------------------------------------------------------------------


def confirm_standin(u, fails=False):
    """qemuMigrationConfirm (qemu_migration.c:2636 @ e2fb96d9) as the source sees it, until
    port/protocol.py's lands: the phase, then on success the guest stopped (migrated)
    with its STOPPED event, cancelled the guest resumed with its RESUMED event.
    ``fails``: it reports an error and returns -1 (say its status save failed)."""
    def qemuMigrationConfirm(driver, conn, vm, cookiein, cookieinlen, flags, retcode):
        u.qemuMigrationJobSetPhase(driver, vm, QEMU_MIGRATION_PHASE_CONFIRM3 if retcode == 0
                                   else QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED)
        if fails:
            stubs.qemuReportError(VIR_ERR_OPERATION_FAILED, "confirm failed")
            return -1
        if retcode == 0:
            stubs.qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_MIGRATED)
            event = stubs.virDomainEventNewFromObj(vm, VIR_DOMAIN_EVENT_STOPPED,
                                                   VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
        else:
            stubs.qemuProcessStartCPUs(driver, vm, conn, VIR_DOMAIN_RUNNING_MIGRATED,
                                       QEMU_ASYNC_JOB_MIGRATION_OUT)
            event = stubs.virDomainEventNewFromObj(vm, VIR_DOMAIN_EVENT_RESUMED,
                                                   VIR_DOMAIN_EVENT_RESUMED_MIGRATED)
        stubs.qemuDomainEventQueue(driver, event)
        return 0
    return ported(qemuMigrationConfirm)


def source_unit(version, confirm_fails=False):
    """A fresh unit of ``version`` (not the cached one) whose p2p functions call the
    Confirm stand-in."""
    u = unit.__wrapped__(version)
    scope = u.doPeer2PeerMigrate3.__wrapped__.__globals__
    scope["qemuMigrationConfirm"] = confirm_standin(u, confirm_fails)
    return u


@dataclasses.dataclass
class Run:
    outcome: dict
    world: World
    vm: DomainObj
    dest: Dest
    conns: list


def run(version, scenario="perform-p2p", dest=None, faults=(), args=None, confirm_fails=False,
        on_network=True, src_state=None, setup=None):
    sc = load_scenario(SCENARIOS / (scenario + ".xml"))
    call = sc.calls[0]
    call = dataclasses.replace(call, faults=FaultPlan.of(faults),
                               args=dict(call.args, **(args or {})))
    world = sc.build_world()
    vm = next(iter(world.driver.domains.values()))
    if src_state is not None:
        vm.state = src_state
    if setup is not None:
        setup(vm)
    dest = dest or Dest(version)
    src = Host("source", version, world, "qemu:///system")
    if on_network:
        net = Network()
        net.add(src)
        net.add(dest.host)
    o = run_call(world, version, call, impl=source_unit(version, confirm_fails))
    # the connections the source opened: what the destination was called through
    conns = list({id(a[0]): a[0] for _, a in dest.calls}.values())
    return Run(o, world, vm, dest, conns)


def below(trace, name, nth=1):
    """The names of the calls made directly by the nth call of ``name``."""
    entries = list(trace)
    starts = [i for i, e in enumerate(entries) if e.name == name]
    i = starts[nth - 1]
    depth = entries[i].depth
    out = []
    for e in entries[i + 1:]:
        if e.depth <= depth:
            break
        if e.depth == depth + 1:
            out.append(e.label())
    return out


def err(o):
    e = o["error"]
    return (e["code"], e["domain"], e["message"]) if e else None


def messages(o):
    """The errors raised, in order; one the wire made itself (the RPC layer's or the
    daemon's own, whose texts are world/hosts.py's to say) as "<rpc>"."""
    return ["<rpc>" if e["domain"] == "VIR_FROM_RPC" else e["message"] for e in o["errors"]]


ENTER, EXIT = "qemuDomainObjEnterRemoteWithDriver", "qemuDomainObjExitRemoteWithDriver"
OPEN_AND_ASK = [ENTER, "virConnectOpen", EXIT, ENTER, "remote:supports_feature@destination",
                "remote:supports_feature@destination", EXIT]
CLOSE = ["virSaveLastError", ENTER, "virConnectClose", EXIT, "virSetError", "virFreeError"]
V3_OK = ["qemuMigrationBegin", "virDomainObjGetState", ENTER,
         "remote:domainMigratePrepare3@destination", EXIT, "qemuMigrationJobSetPhase",
         "doNativeMigrate", "qemuMigrationJobSetPhase", ENTER,
         "remote:domainMigrateFinish3@destination", EXIT, "virSaveLastError",
         "qemuMigrationConfirm", "virUnrefDomain", "virSetError", "virFreeError"]
V2_OK = ["qemuDomainFormatXML", "virDomainObjGetState", ENTER,
         "remote:domainMigratePrepare2@destination", EXIT,
         "qemuMigrationJobSetPhase", "doNativeMigrate", ENTER,
         "remote:domainMigrateFinish2@destination", EXIT, "virUnrefDomain"]


def assert_source_released(r):
    """Whatever happened, PerformJob ended its job and the remote sections their
    references and locks: the source domain is as a finished call leaves it."""
    a = r.outcome["after"]
    assert a["async_job"] == "none" and a["job"] == "none" and a["refs"] == 1
    assert a["locked"] is False and r.world.driver.locked is True
    assert all(c.closed and c.refs == 0 for c in r.conns)


# --- v3 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_migrates_and_confirm_stops_the_source(version):
    r = run(version)
    o = r.outcome
    assert o["return"] == 0 and o["error"] is None and o["errors"] == []
    assert below(r.world.trace, "doPeer2PeerMigrate") == OPEN_AND_ASK + [
        "doPeer2PeerMigrate3"] + CLOSE
    assert below(r.world.trace, "doPeer2PeerMigrate3") == V3_OK
    # the source: stopped by Confirm, job ended; PerformJob (v3proto) did not stop it again
    assert o["after"]["state"] == "shutoff" and o["after"]["reason"] == "migrated"
    assert [e["type"] for e in o["driver"]["events"]] == ["suspended", "stopped"]
    assert_source_released(r)
    # the destination: asked twice, prepared with the source's XML, finished with its URI
    assert r.dest.args_of("supports_feature") == [(r.conns[0], VIR_DRV_FEATURE_MIGRATION_P2P),
                                                  (r.conns[0], VIR_DRV_FEATURE_MIGRATION_V3)]
    (prep,) = r.dest.args_of("domainMigratePrepare3")
    assert "<name>web1</name>" in prep[-1] and prep[8] is None       # dname NULL
    assert prep[1] is not None and "<name>web1</name>" in prep[1]    # Begin's cookie
    (fin,) = r.dest.args_of("domainMigrateFinish3")
    assert fin[1] == "web1" and fin[6:8] == (DEST_URI, URI_OUT) and fin[9] == 0
    assert fin[2] == "<qemu-migration name='web1'/>"                 # Perform's cookie
    (dvm,) = r.dest.driver.domains.values()
    assert dvm.def_.name == "web1" and dvm.state == VIR_DOMAIN_RUNNING
    # Confirm succeeded: no warning that the guest was left paused (L2050-2052)
    assert not any("probably left in 'paused'" in line for line in o["logs"])


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_with_xmlin_dname_and_change_protection(version):
    flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_CHANGE_PROTECTION
    r = run(version, "perform-p2p-xmlin-dname", args={"flags": flags})
    assert r.outcome["return"] == 0
    (prep,) = r.dest.args_of("domainMigratePrepare3")
    assert prep[7] == VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER   # change protection cleared
    assert prep[8:10] == ("web1-dr", 32)
    (fin,) = r.dest.args_of("domainMigrateFinish3")
    assert fin[1] == "web1-dr"
    assert r.dest.driver.find_by_name("web1-dr") is not None


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_of_a_paused_guest_asks_for_a_paused_destination(version):
    r = run(version, src_state=VIR_DOMAIN_PAUSED)
    (prep,) = r.dest.args_of("domainMigratePrepare3")
    assert prep[7] & VIR_MIGRATE_PAUSED


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_prepare_refused_by_the_destination(version):
    r = run(version, dest=Dest(version, refuse={"domainMigratePrepare3"}))
    o = r.outcome
    assert o["return"] == -1
    assert err(o) == ("VIR_ERR_OPERATION_INVALID", "VIR_FROM_QEMU",
                      "Requested operation is not valid: domainMigratePrepare3 refused")
    assert below(r.world.trace, "doPeer2PeerMigrate3") == V3_OK[:5]
    # no Finish, no Confirm: the source still runs, the destination has nothing
    assert o["after"]["state"] == "running" and r.dest.driver.domains == {}
    assert o["after"]["phase"] == "none"
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_finish_fails_and_confirm_resumes_with_finish_error_kept(version):
    r = run(version, dest=Dest(version, refuse={"domainMigrateFinish3"}))
    o = r.outcome
    assert o["return"] == -1
    assert err(o)[2] == "Requested operation is not valid: domainMigrateFinish3 refused"
    assert below(r.world.trace, "doPeer2PeerMigrate3") == V3_OK[:13] + [
        "virSetError", "virFreeError"]
    # Confirm got cancelled=1: the source runs again
    assert o["after"]["state"] == "running"
    assert [e["type"] for e in o["driver"]["events"]] == ["suspended", "resumed"]
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_perform_failure_wins_over_finish_error(version):
    r = run(version, dest=Dest(version, refuse={"domainMigrateFinish3"}),
            faults=[("doNativeMigrate", 1)])
    o = r.outcome
    assert o["return"] == -1
    assert messages(o) == ["operation failed: migration job: unexpectedly failed",
                           "Requested operation is not valid: domainMigrateFinish3 refused"]
    assert err(o)[2] == "operation failed: migration job: unexpectedly failed"
    assert below(r.world.trace, "doPeer2PeerMigrate3") == [
        "qemuMigrationBegin", "virDomainObjGetState", ENTER,
        "remote:domainMigratePrepare3@destination", EXIT, "qemuMigrationJobSetPhase",
        "doNativeMigrate !fault", "virSaveLastError", ENTER,
        "remote:domainMigrateFinish3@destination", EXIT, "qemuMigrationConfirm",
        "virSetError", "virFreeError"]
    (fin,) = r.dest.args_of("domainMigrateFinish3")
    assert fin[9] == 1                      # cancelled
    # Perform left no cookie: Finish3 gets none, its length reset to 0 (L1971-1972)
    assert fin[2:4] == (None, 0)
    assert o["after"]["state"] == "running"


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_confirm_error_is_wiped_by_the_saved_no_error(version):
    """Finish3 succeeded with no error set, so the error saved after it is "none", and
    cleanup puts it back over what Confirm reported: 0 returned, no error left."""
    r = run(version, confirm_fails=True)
    o = r.outcome
    assert o["return"] == 0 and o["error"] is None
    assert messages(o) == ["operation failed: confirm failed"]
    assert "warning: Guest web1 probably left in 'paused' state on source" in o["logs"]
    assert o["after"]["state"] == "paused"


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_prepare_without_uri(version):
    """No URI: "did not set uri", then Finish3 cancelled; Finish3's error (here the
    daemon's "did not set virError", as the double reports none) is the one kept."""
    r = run(version, dest=Dest(version, no_uri=True, silent={"domainMigrateFinish3"}))
    o = r.outcome
    assert o["return"] == -1
    assert messages(o) == ["internal error domainMigratePrepare3 did not set uri", "<rpc>"]
    assert err(o)[1] == "VIR_FROM_RPC"
    assert below(r.world.trace, "doPeer2PeerMigrate3")[5:8] == [
        ENTER, "remote:domainMigrateFinish3@destination", EXIT]
    (fin,) = r.dest.args_of("domainMigrateFinish3")
    assert fin[7] is None and fin[9] == 1          # uri_out NULL and uri NULL; cancelled


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_begin_fails_on_the_source(version):
    r = run(version, faults=[("qemuDomainFormatXML", 1)])
    o = r.outcome
    assert o["return"] == -1 and err(o)[2] == "out of memory"
    assert below(r.world.trace, "doPeer2PeerMigrate3") == ["qemuMigrationBegin"]
    assert r.dest.calls == [("supports_feature", r.dest.calls[0][1]),
                            ("supports_feature", r.dest.calls[1][1])]
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v3_rpc_failure_of_prepare(version):
    r = run(version, faults=[("remote:domainMigratePrepare3@destination", 1)])
    o = r.outcome
    assert o["return"] == -1
    assert messages(o) == ["<rpc>"] and err(o)[1] == "VIR_FROM_RPC"
    assert r.dest.args_of("domainMigratePrepare3") == []


# --- v2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_destination_migrates_and_performjob_stops_the_source(version):
    r = run(version, dest=Dest(version, features=V2_ONLY))
    o = r.outcome
    assert o["return"] == 0 and o["error"] is None
    assert below(r.world.trace, "doPeer2PeerMigrate") == OPEN_AND_ASK + [
        "doPeer2PeerMigrate2"] + CLOSE
    assert below(r.world.trace, "doPeer2PeerMigrate2") == V2_OK
    assert o["after"]["state"] == "shutoff" and o["after"]["reason"] == "migrated"
    assert_source_released(r)
    (prep,) = r.dest.args_of("domainMigratePrepare2")
    assert "<name>web1</name>" in prep[-1]
    (fin,) = r.dest.args_of("domainMigrateFinish2")
    # the cookie Prepare2 handed back, its URI, not cancelled; v2 asks Perform for no cookie
    assert fin[1:] == ("web1", "<qemu-migration><name>web1</name></qemu-migration>", 0,
                       URI_OUT, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, 0)
    assert [e for e in r.world.trace if e.name == "doNativeMigrate"][0].args[5:7] == (None, None)
    # the definition is formatted secure, with the host CPU (L1773-1775)
    assert [e for e in r.world.trace if e.name == "qemuDomainFormatXML"][0].args[2] == (
        VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_UPDATE_CPU)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_of_a_paused_guest_asks_for_a_paused_destination(version):
    r = run(version, dest=Dest(version, features=V2_ONLY), src_state=VIR_DOMAIN_PAUSED)
    (prep,) = r.dest.args_of("domainMigratePrepare2")
    assert prep[5] & VIR_MIGRATE_PAUSED


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_prepare_refused(version):
    r = run(version, dest=Dest(version, features=V2_ONLY, refuse={"domainMigratePrepare2"}))
    o = r.outcome
    assert o["return"] == -1
    assert err(o)[2] == "Requested operation is not valid: domainMigratePrepare2 refused"
    assert below(r.world.trace, "doPeer2PeerMigrate2") == V2_OK[:5]
    assert o["after"]["state"] == "running"
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_finish_fails_and_performjob_resumes(version):
    r = run(version, dest=Dest(version, features=V2_ONLY, refuse={"domainMigrateFinish2"}))
    o = r.outcome
    assert o["return"] == -1
    assert err(o)[2] == "Requested operation is not valid: domainMigrateFinish2 refused"
    # PerformJob's endjob resumes the guest doNativeMigrate paused
    assert o["after"]["state"] == "running"
    assert [e["type"] for e in o["driver"]["events"]] == ["suspended", "resumed"]


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_perform_failure_wins_and_finish_is_cancelled(version):
    r = run(version, dest=Dest(version, features=V2_ONLY), faults=[("doNativeMigrate", 1)])
    o = r.outcome
    assert o["return"] == -1
    assert messages(o) == ["operation failed: migration job: unexpectedly failed", "<rpc>"]
    assert err(o)[2] == "operation failed: migration job: unexpectedly failed"
    (fin,) = r.dest.args_of("domainMigrateFinish2")
    assert fin[-1] == 1 and r.dest.driver.domains == {}
    assert below(r.world.trace, "doPeer2PeerMigrate2")[-4:] == [
        "remote:domainMigrateFinish2@destination", EXIT, "virSetError", "virFreeError"]


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_prepare_without_uri_finishes_cancelled_with_dconnuri(version):
    r = run(version, dest=Dest(version, features=V2_ONLY, no_uri=True))
    o = r.outcome
    assert o["return"] == -1
    # the double's cancelled Finish2 reports nothing: the daemon's error comes last
    assert messages(o)[0] == "internal error domainMigratePrepare2 did not set uri"
    (fin,) = r.dest.args_of("domainMigrateFinish2")
    assert fin[4] == DEST_URI and fin[-1] == 1
    assert "doNativeMigrate" not in below(r.world.trace, "doPeer2PeerMigrate2")


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_guest_quits_while_the_destination_prepares(version):
    holder = {}
    dest = Dest(version, features=V2_ONLY,
                meanwhile={"domainMigratePrepare2": lambda: setattr(holder["vm"].def_, "id", -1)})
    r = run(version, dest=dest, setup=lambda vm: holder.update(vm=vm))
    o = r.outcome
    assert o["return"] == -1
    assert err(o) == ("VIR_ERR_INTERNAL_ERROR", "VIR_FROM_QEMU",
                      "internal error guest unexpectedly quit")
    assert r.dest.args_of("domainMigrateFinish2") == []
    # upstream leaves the prepared domain on the destination (its close would destroy it)
    assert list(d.def_.name for d in r.dest.driver.domains.values()) == ["web1"]


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_v2_format_fails(version):
    r = run(version, dest=Dest(version, features=V2_ONLY), faults=[("qemuDomainFormatXML", 1)])
    assert r.outcome["return"] == -1 and err(r.outcome)[2] == "out of memory"
    assert below(r.world.trace, "doPeer2PeerMigrate2") == ["qemuDomainFormatXML !fault"]


# --- tunnelled -----------------------------------------------------------------------------

TUNNEL = VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_tunnelled_v3(version):
    r = run(version, "perform-tunnelled")
    o = r.outcome
    assert o["return"] == 0 and o["error"] is None
    assert below(r.world.trace, "doPeer2PeerMigrate3") == [
        "qemuMigrationBegin", "virDomainObjGetState", "virStreamNew", ENTER,
        "remote:domainMigratePrepareTunnel3@destination", EXIT, "qemuMigrationJobSetPhase",
        "doTunnelMigrate", "qemuMigrationJobSetPhase", ENTER,
        "remote:domainMigrateFinish3@destination", EXIT, "virSaveLastError",
        "qemuMigrationConfirm", "virUnrefDomain", "virUnrefStream", "virSetError",
        "virFreeError"]
    (prep,) = r.dest.args_of("domainMigratePrepareTunnel3")
    st = prep[1]
    assert isinstance(st, Stream) and st.conn is r.conns[0] and st.refs == 0
    assert [e.args for e in r.world.trace if e.name == "virStreamNew"] == [(r.conns[0], 0)]
    (fin,) = r.dest.args_of("domainMigrateFinish3")
    assert fin[7] is None                         # no uri_out, no uri
    # the stream's reference on the connection went with it; the close was the last
    assert r.conns[0].closed and r.conns[0].refs == 0
    assert o["after"]["state"] == "shutoff"


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_tunnelled_v2(version):
    r = run(version, "perform-tunnelled", dest=Dest(version, features=V2_ONLY))
    o = r.outcome
    assert o["return"] == 0
    assert below(r.world.trace, "doPeer2PeerMigrate2") == [
        "qemuDomainFormatXML", "virDomainObjGetState", "virStreamNew", ENTER,
        "remote:domainMigratePrepareTunnel@destination", EXIT,
        "qemuMigrationJobSetPhase", "doTunnelMigrate", ENTER,
        "remote:domainMigrateFinish2@destination", EXIT, "virUnrefDomain", "virUnrefStream"]
    (fin,) = r.dest.args_of("domainMigrateFinish2")
    assert fin[2] is None and fin[4] == DEST_URI   # no cookie; dconnuri
    assert o["after"]["state"] == "shutoff"
    assert [e.args for e in r.world.trace if e.name == "virStreamNew"] == [(r.conns[0], 0)]
    # v2 tunnels with no cookie either way (L1829-1831)
    assert [e for e in r.world.trace if e.name == "doTunnelMigrate"][0].args[3:7] == (
        None, 0, None, None)
    assert r.conns[0].closed


@pytest.mark.parametrize("version", VERSION_NAMES)
@pytest.mark.parametrize("features", [None, V2_ONLY])
def test_tunnelled_stream_cannot_be_made(version, features):
    r = run(version, "perform-tunnelled", dest=Dest(version, features=features),
            faults=[("virStreamNew", 1)])
    o = r.outcome
    assert o["return"] == -1
    assert err(o) == ("VIR_ERR_NO_MEMORY", "VIR_FROM_NONE", "out of memory")
    assert o["errors"][0]["reporter"] == "virGetStream"
    fn = "doPeer2PeerMigrate3" if features is None else "doPeer2PeerMigrate2"
    assert below(r.world.trace, fn)[-1] == "virStreamNew !fault"
    assert [m for m, _ in r.dest.calls] == ["supports_feature", "supports_feature"]
    assert r.conns[0].closed and r.conns[0].refs == 0
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_tunnelled_migration_fails(version):
    r = run(version, "perform-tunnelled", faults=[("doTunnelMigrate", 1)])
    o = r.outcome
    assert o["return"] == -1
    assert err(o)[2] == "operation failed: migration job: unexpectedly failed"
    assert o["after"]["state"] == "running"


# --- the connection ----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_unknown_destination_uri(version):
    uri = "qemu+tcp://root@nowhere.example.org:16510/system"
    r = run(version, args={"dconnuri": uri})
    o = r.outcome
    assert o["return"] == -1
    assert o["errors"][0]["raw"] == ("unable to connect to server at "
                                     "'nowhere.example.org:16510': Connection refused")
    assert o["errors"][0]["domain"] == "VIR_FROM_RPC"
    assert err(o) == ("VIR_ERR_OPERATION_FAILED", "VIR_FROM_QEMU",
                      "operation failed: Failed to connect to remote libvirt URI " + uri)
    assert below(r.world.trace, "doPeer2PeerMigrate") == [ENTER, "virConnectOpen", EXIT]
    assert r.dest.calls == []
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_connection_cannot_be_allocated(version):
    r = run(version, faults=[("virConnectOpen", 1)])
    o = r.outcome
    assert o["return"] == -1
    assert messages(o) == ["out of memory", "operation failed: Failed to connect to remote "
                           "libvirt URI " + DEST_URI]
    assert o["errors"][0]["reporter"] == "virGetConnect"


def test_a_world_on_no_network_reaches_no_one():
    r = run("post", on_network=False)
    assert r.outcome["errors"][0]["raw"] == ("unable to connect to server at "
                                             "'dest.example.org:16509': Connection refused")
    assert r.outcome["return"] == -1


def test_a_world_that_is_no_hosts_reaches_no_one():
    with World().activate() as w:
        assert stubs_p2p.virConnectOpen("qemu:///system") is None
        assert w.errors[0].raw == "unable to connect to server at ':16509': Connection refused"


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_destination_without_p2p(version):
    r = run(version, dest=Dest(version, features=NO_P2P))
    o = r.outcome
    assert o["return"] == -1
    assert err(o) == ("VIR_ERR_OPERATION_FAILED", "VIR_FROM_QEMU",
                      "operation failed: Destination libvirt does not support peer-to-peer "
                      "migration protocol")
    assert below(r.world.trace, "doPeer2PeerMigrate") == OPEN_AND_ASK + CLOSE
    assert_source_released(r)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_rpc_failure_of_the_feature_question_counts_as_no(version):
    r = run(version, faults=[("remote:supports_feature@destination", 1)])
    o = r.outcome
    assert messages(o) == ["<rpc>", "operation failed: Destination libvirt does not support "
                           "peer-to-peer migration protocol"]
    assert o["return"] == -1


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_rpc_failure_of_the_v3_question_falls_back_to_v2(version):
    r = run(version, faults=[("remote:supports_feature@destination", 2)])
    o = r.outcome
    # v2 ran and nothing on its way reset the RPC error: it is left set on success
    assert o["return"] == 0 and err(o)[1] == "VIR_FROM_RPC"
    assert messages(o) == ["<rpc>"]
    assert "doPeer2PeerMigrate2" in below(r.world.trace, "doPeer2PeerMigrate")
    # v3proto false: PerformJob stopped the source itself
    assert o["after"]["state"] == "shutoff"


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_guest_quits_while_the_features_are_asked(version):
    holder = {}
    dest = Dest(version, meanwhile={"supports_feature": lambda: setattr(
        holder["vm"].def_, "id", -1)})
    r = run(version, dest=dest, setup=lambda vm: holder.update(vm=vm))
    o = r.outcome
    assert err(o)[2] == "internal error guest unexpectedly quit"
    assert below(r.world.trace, "doPeer2PeerMigrate") == OPEN_AND_ASK + CLOSE
    assert r.dest.args_of("domainMigratePrepare3") == []


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_error_not_saved_is_reset_by_the_close(version):
    """virSaveLastError failing (allocation) at doPeer2PeerMigrate's cleanup: the close
    resets the last error and nothing restores it -- -1 with no error set."""
    r = run(version, dest=Dest(version, features=NO_P2P), faults=[("virSaveLastError", 1)])
    o = r.outcome
    assert o["return"] == -1 and o["error"] is None
    assert messages(o) == ["operation failed: Destination libvirt does not support "
                           "peer-to-peer migration protocol"]
    assert "virSetError" not in below(r.world.trace, "doPeer2PeerMigrate")


# --- the unit ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_the_units_performjob_calls_the_port(version):
    u = unit(version)
    assert u.qemuMigrationPerformJob.__wrapped__.__globals__["doPeer2PeerMigrate"] \
        is u.doPeer2PeerMigrate
    scope = u.doPeer2PeerMigrate3.__wrapped__.__globals__
    assert scope["qemuMigrationBegin"] is u.qemuMigrationBegin
    assert scope["doPeer2PeerMigrate3"] is u.doPeer2PeerMigrate3
    # the function-level version module keeps the stub
    assert VERSIONS[version].module.doPeer2PeerMigrate is stubs.doPeer2PeerMigrate


@pytest.mark.parametrize("function,label", [("doPeer2PeerMigrate", "cleanup"),
                                            ("doPeer2PeerMigrate2", "finish"),
                                            ("doPeer2PeerMigrate3", "finish")])
def test_each_dispatch_loop_ends_in_a_raise(monkeypatch, function, label):
    """Each of the three dispatch loops ends in a ``case _:`` that raises, naming the
    function and the label, instead of looping."""
    misspelt_gotos(monkeypatch, peer2peer, function)
    dest = Dest("post", features=V2_ONLY if function == "doPeer2PeerMigrate2" else None)
    with pytest.raises(NoSuchLabel) as e:
        run("post", dest=dest)
    assert (e.value.function, e.value.label) == (function, label + "_misspelt")
