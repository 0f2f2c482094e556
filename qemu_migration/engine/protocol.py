"""Whole migrations between two hosts, and what they leave behind (issue 9).

A migration runs on three worlds: the client's, where libvirt.c's
``virDomainMigrate`` runs (port/libvirt.py) and whose last error is what its
user sees, and one per host (world/hosts.py), each a libvirtd of one version
running its own unit of code (port/unit.py) on its own domains, loaded from
fixture XML as a scenario's host is (loader/migration.py).  Only the wire joins
them.

``run_migration`` sets the hosts up, runs the migration, and runs it a second
time on the state the first left (``second_attempt``), and returns one row.
Each attempt ends as ``virsh migrate`` does: the client drops the new domain's
handle and closes its connections, so each host's qemudClose destroys what is
still marked for auto-destroy on them (a failed migration's incoming guest);
what follows is the state after that:

- ``outcome``: ``migrated`` (virDomainMigrate returned the new domain) or
  ``refused`` (it returned NULL);
- ``refused_at``: the phase and host of the first migration entry point that
  failed, ``Perform@source``, in the order the calls returned (so a
  destination's Prepare refused inside a peer-to-peer source's Perform is
  ``Prepare@destination``); a failed crossing of the wire counts as a failure
  of the entry point it was to reach.  Another member that failed (a lookup,
  GetXMLDesc) is named by itself (``LookupByName@destination``); ``client``
  when no host failed (libvirt.c refused by itself); null when migrated;
- ``error``: the client's last error (code, domain, message), null if none;
- ``failed_calls``: every entry point that failed, in that order;
- ``runs_on``: the hosts where the domain runs afterwards (active, in the
  running state: a paused incoming guest a failed Finish left is not running,
  and shows in ``left_behind``);
- ``stranded``: the domain runs on the destination while the source still
  holds snapshot metadata for it (its domain object, listed or not, has
  snapshots: libvirt keeps them on disk);
- ``left_behind``: per host, each domain object (its job, async job, phase,
  references, lock, state, ...: engine/outcome.py's ``domain_state``) and the
  driver's events; ``violations``: the invariants of engine/invariants.py that
  apply to a whole migration, per host;
- ``second_attempt``: the same migration again, without faults.
"""
import concurrent.futures
import copy
import marshal
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import List, Optional, Tuple

from ..loader.migration import (FEATURES_V2_ONLY, FLOW_NAMES, FLOWS, SIDES, Flow, HostState,
                                MigrationScenario, faultable_stub_names, host_state)
from ..paths import fixtures_dir
from ..port import VERSION_NAMES
from ..port.libvirt import virDomainMigrate
from ..port.unit import entry_points
from ..world import hosts
from ..world.constants import (ERROR_CODE_NAMES, ERROR_DOMAIN_NAMES, QEMU_JOB_QUERY,
                               QEMU_ASYNC_JOB_MIGRATION_IN, QEMU_JOB_ASYNC_NESTED,
                               QEMU_MIGRATION_PHASE_PREPARE, VIR_DOMAIN_PAUSED_MIGRATION,
                               migration_job_mask,
                               VIR_CONNECT_RO, VIR_DOMAIN_MEMBALLOON_MODEL_NONE,
                               VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER, VIR_DOMAIN_RUNNING,
                               VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN,
                               VIR_MIGRATE_CHANGE_PROTECTION, VIR_MIGRATE_LIVE,
                               VIR_MIGRATE_NON_SHARED_DISK,
                               VIR_MIGRATE_PAUSED, VIR_MIGRATE_PERSIST_DEST,
                               VIR_MIGRATE_TUNNELLED, VIR_MIGRATE_UNDEFINE_SOURCE)
from ..world.objects import MemballoonDef
from ..world.runtime import FaultPlan, World
from ..world.stubs import DROP_POINTS
from ..world.stubs_client import virGetLastError
from ..world.stubs_p2p import virConnectClose, virUnrefDomain
from .batch import (collector_off, cores, env_jobs, fork_context, quiet_worker, settle,
                    sigint_held, sigint_ignored)
from .invariants import world_checks
from .outcome import domain_state, driver_state, trace_lines

# the phase each virDriver member belongs to (the others are named by themselves)
PHASES = {
    "domainMigrateBegin3": "Begin",
    "domainMigratePrepare2": "Prepare", "domainMigratePrepareTunnel": "Prepare",
    "domainMigratePrepare3": "Prepare", "domainMigratePrepareTunnel3": "Prepare",
    "domainMigratePerform": "Perform", "domainMigratePerform3": "Perform",
    "domainMigrateFinish2": "Finish", "domainMigrateFinish3": "Finish",
    "domainMigrateConfirm3": "Confirm",
}
OTHER = {"getURI": "GetURI", "domainLookupByName": "LookupByName",
         "domainGetInfo": "GetInfo", "domainGetXMLDesc": "GetXMLDesc",
         "supports_feature": "SupportsFeature"}

CLIENT_HOSTNAME = "client.example.org"
V2_NOTE = ("v2 flows: the destination does not advertise VIR_DRV_FEATURE_MIGRATION_V3 "
           "(it stands for an older daemon), so the client or the peer-to-peer source "
           "speaks protocol v2 to it")

# --- the matrix's domains: fixture files ----------------------------------------------

_DOM = "domains/"
_SNAPS = ["snapshots/shop1-before-sale.xml", "snapshots/shop1-after-sale.xml"]
DOMAINS = {    # kind -> (status file, snapshot files, auto-destroy)
    "clean": (_DOM + "shop1.status.xml", [], False),
    "pci-hostdev": (_DOM + "shop1-pci.status.xml", [], False),
    "usb-hostdev": (_DOM + "shop1-usb.status.xml", [], False),
    "snapshots": (_DOM + "shop1.status.xml", _SNAPS, False),
    "auto-destroy": (_DOM + "shop1.status.xml", [], True),
    "snapshots+pci": (_DOM + "shop1-pci.status.xml", _SNAPS, False),
}
DOMAIN_KINDS = list(DOMAINS)
MATRIX_DOMAIN = "shop1"


def matrix_host_states(kind, source_version, destination_version):
    """The source (holding the ``kind`` guest) and the empty destination."""
    status, snaps, autodestroy = DOMAINS[kind]
    root = fixtures_dir()
    source = host_state("source", source_version, "src.example.org",
                        [(root / status, [root / s for s in snaps], autodestroy)])
    return source, host_state("destination", destination_version, "dest.example.org", [])


# --- the extra rows: inputs the matrix's flows and domains do not give ------------------


@dataclass(frozen=True)
class Variant:
    """A change to a matrix row's migration: flags added to the flow's, virDomainMigrate's
    dname and uri, and the guest's state on the source; ``flows``: where it applies;
    ``fault_flows``: where its fault rows run (the lines only a failure reaches; the
    others' failures are the matrix's own)."""
    name: str
    flags: int = 0
    dname: Optional[str] = None
    uri: Optional[str] = None
    paused: bool = False                # the guest paused by its user
    transient: bool = False             # the guest has no persistent definition
    lock_managers: Tuple[str, str] = ("nop", "nop")   # the source's and the destination's
    shut_off: bool = False              # the guest defined and not running
    no_balloon: bool = False            # <memballoon model='none'/>
    balloon: Optional[int] = None       # the guest's balloon driver reports this size (KiB)
    live: bool = True                   # False: the flow's VIR_MIGRATE_LIVE cleared
    faults: Tuple[Tuple[str, str, int], ...] = ()   # calls that fail in each of its rows
    busy: bool = False                  # another thread holds a query job on the guest
    incoming: bool = False              # the guest is still coming in (migration in held)
    read_only: Tuple[bool, bool] = (False, False)   # the client's connections to each host
    gone: bool = False                  # the client's handle names a domain the source lost
    dest_defined: bool = False          # the destination holds a shut-off definition of it
    flows: Tuple[str, ...] = tuple(FLOW_NAMES)
    fault_flows: Tuple[str, ...] = ()

    def apply(self, m):
        m.flags |= self.flags
        if not self.live:
            m.flags &= ~VIR_MIGRATE_LIVE
        m.dname, m.uri, m.variant = self.dname, self.uri, self.name
        m.faults = list(self.faults) + m.faults
        if self.dest_defined:
            m.destination.domains += host_state(
                "destination", m.destination.version, m.destination.hostname,
                [(fixtures_dir() / DEST_DEFINITION, [], False)]).domains
        m.source.lock_manager, m.destination.lock_manager = self.lock_managers
        m.connect_flags = tuple(VIR_CONNECT_RO if ro else 0 for ro in self.read_only)
        m.gone = self.gone
        for hd in m.source.domains:
            if self.paused:
                hd.vm.state, hd.vm.reason = VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER
            if self.transient:
                hd.vm.persistent = False
            if self.shut_off:
                hd.vm.state, hd.vm.reason = VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN
                hd.vm.def_.id = -1
            if self.no_balloon:
                hd.vm.def_.memballoon = MemballoonDef(VIR_DOMAIN_MEMBALLOON_MODEL_NONE)
            if self.balloon is not None:
                hd.vm.privateData.mon.balloon = self.balloon
            if self.busy:               # with the reference its job took (qemu_domain.c:720)
                hd.vm.privateData.job.active = QEMU_JOB_QUERY
                hd.vm.refs += 1
            if self.incoming:
                _incoming(hd.vm)


def _incoming(vm):
    """A guest still coming in from another host: paused as PrepareAny left it, under the
    migration-in async job with its mask (qemu_migration.c:2859-2863 @ e2fb96d9) and
    phase, no reference of it held across calls (qemuMigrationJobContinue), and the
    thread of that migration's Finish inside a monitor call ('cont'), with its nested job
    and the job's reference (qemu_domain.c:720, :880-883)."""
    job = vm.privateData.job
    vm.state, vm.reason = VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION
    vm.persistent = False
    job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    job.mask = migration_job_mask(QEMU_ASYNC_JOB_MIGRATION_IN)
    job.phase = QEMU_MIGRATION_PHASE_PREPARE
    job.active = QEMU_JOB_ASYNC_NESTED
    vm.refs += 1


_DIRECT = ("v2", "v3")
# the guest's own definition on the destination (the dest-defined variants)
DEST_DEFINITION = _DOM + "shop1.xml"
VARIANTS = {v.name: v for v in [
    Variant("paused-guest", paused=True),
    Variant("transient", transient=True),
    Variant("persist-dest", VIR_MIGRATE_PERSIST_DEST, fault_flows=_DIRECT),
    Variant("persist-dest+transient", VIR_MIGRATE_PERSIST_DEST, transient=True),
    Variant("undefine-source", VIR_MIGRATE_UNDEFINE_SOURCE),
    Variant("paused", VIR_MIGRATE_PAUSED),
    Variant("non-shared-disk", VIR_MIGRATE_NON_SHARED_DISK),
    Variant("change-protection", VIR_MIGRATE_CHANGE_PROTECTION, fault_flows=_DIRECT),
    Variant("tunnelled", VIR_MIGRATE_TUNNELLED, flows=_DIRECT),
    Variant("dname", dname="shop1-moved", fault_flows=_DIRECT),
    Variant("uri", uri="tcp:dest.example.org:49160"),
    Variant("bad-uri", uri="tcp://dest example.org:49160"),
    Variant("sanlock", lock_managers=("sanlock", "sanlock")),
    Variant("sanlock-source", lock_managers=("sanlock", "nop")),
    Variant("shut-off", shut_off=True),
    Variant("no-balloon", no_balloon=True),
    # the guest's balloon driver reports 512 MiB of its 768: GetInfo's memory and the
    # currentMemory of GetXMLDesc's XML are QEMU's answer
    Variant("balloon", balloon=524288, flows=_DIRECT),
    # a migration that pauses the guest first (qemuMigrationRun :1465-1468)
    Variant("offline", live=False),
    # ... and fails after the pause: Perform3 finds the guest paused and resumes it
    # (qemu_migration.c:2324-2338 @ e2fb96d9), and with the resume failing too, logs that
    Variant("offline-failed", live=False, faults=(("source", "doNativeMigrate", 1),),
            flows=("v3",)),
    Variant("offline-failed-resume", live=False, flows=("v3",),
            faults=(("source", "doNativeMigrate", 1), ("source", "qemuProcessStartCPUs", 1))),
    Variant("busy", busy=True, fault_flows=("v3",)),
    # ... on a transient guest (WAKEUP_ROWS: QEMU quits while Begin3 waits for the job)
    Variant("busy+transient", busy=True, transient=True, flows=("v3",)),
    # a transient guest still coming in from a third host, its Finish in a monitor call:
    # the client asks GetInfo of it while it waits (WAKEUP_ROWS)
    Variant("incoming", incoming=True, flows=("v2",)),
    Variant("read-only-source", read_only=(True, False), flows=_DIRECT),
    Variant("read-only-destination", read_only=(False, True), flows=_DIRECT),
    Variant("gone", gone=True, fault_flows=("p2p-v2",)),
    # the destination holds a shut-off definition of the guest: Prepare gives the incoming
    # guest that definition as its saved one (virDomainAssignDef), so it stays listed
    # when it stops (WAKEUP_ROWS: QEMU quitting before Finish)
    Variant("dest-defined", dest_defined=True, flows=_DIRECT),
]}
VARIANT_NAMES = list(VARIANTS)
# each version once as the source and once as the destination: a unit's lines run
# where its version is either
VARIANT_PAIRS = [("pre", "post"), ("post", "fixed"), ("fixed", "pre")]
VARIANT_KIND = "clean"


# --- one migration --------------------------------------------------------------------


@dataclass
class Migration:
    """What to run: the hosts' starting states, the domain, the flow, flags and faults."""
    source: HostState
    destination: HostState
    domain: str
    flow: Flow
    flags: int
    faults: List[Tuple[str, str, int]] = field(default_factory=list)
    attempts: int = 2
    kind: Optional[str] = None          # the matrix's name of the domain, if from the matrix
    dname: Optional[str] = None         # virDomainMigrate's dname and uri
    uri: Optional[str] = None
    variant: Optional[str] = None       # the name of the extra row's variant (VARIANTS)
    connect_flags: Tuple[int, int] = (0, 0)     # how the client opens the source, the dest
    gone: bool = False                  # the domain is gone from the source once the client
                                        # holds its handle (undefined by another client)
    # what another thread of a host does at a lock-drop point (world/stubs.py _meanwhile):
    # (host, point, nth, what), during the first attempt
    wakeups: List[Tuple[str, str, int, str]] = field(default_factory=list)

    @classmethod
    def from_scenario(cls, sc: MigrationScenario):
        return cls(sc.source, sc.destination, sc.domain, sc.flow, sc.flags, list(sc.faults),
                   sc.attempts, dname=sc.dname, uri=sc.uri, wakeups=list(sc.wakeups))

    @classmethod
    def matrix(cls, flow, source, destination, kind, faults=(), variant=None, wakeups=()):
        """A row of the matrix, the caller's own: its prototype's migration with its own
        faults (after the variant's) and wakeups, and its own deep copies of the host
        states, which setup builds the worlds from: a change the caller makes to them
        is this row's, never the prototype's (the matrix's own rows, which no caller
        sees, share them: ``_row``)."""
        m = _row(flow, source, destination, kind, faults, variant, wakeups)
        m.source, m.destination = copy.deepcopy((m.source, m.destination))
        return m


def _row(flow, source, destination, kind, faults=(), variant=None, wakeups=()):
    """A row the matrix runs at once and hands to no caller: Migration.matrix's, sharing
    its prototype's host states (a run builds its worlds from them, and changes only
    those: HostState.run_world)."""
    proto = _prototype(flow, source, destination, kind, variant)
    return replace(proto, faults=proto.faults + list(faults), wakeups=list(wakeups))


@lru_cache(maxsize=None)
def _prototype(flow, source, destination, kind, variant):
    """The migration of a matrix row without faults or wakeups, its fixture files read
    and its variant applied once (a faulted matrix runs tens of rows of each).  Nothing
    changes it once made: the matrix's rows run on worlds built from its host states
    (setup: HostState.run_world), and Migration.matrix hands a caller copies of them
    (tests/test_protocol_engine.py holds both to fresh prototypes)."""
    s, d = matrix_host_states(kind, source, destination)
    f = FLOWS[flow]
    m = Migration(s, d, MATRIX_DOMAIN, f, f.flags, [], kind=kind)
    if variant is not None:
        VARIANTS[variant].apply(m)
    return m


def client_migrate():
    """libvirt.c's virDomainMigrate (port/libvirt.py)."""
    return virDomainMigrate


@dataclass
class Setup:
    """The parties of one migration: the network, its hosts, the client's handle."""
    network: hosts.Network
    source: hosts.Host
    destination: hosts.Host
    handle: Tuple[str, str, int]        # the domain's name, uuid and id, as the client holds it
    log: list                           # per entry point that returned: (crossings when it
                                        # returned, -crossings when called, member, host, failed)

    def worlds(self, client):
        return {"client": client, "source": self.source.world,
                "destination": self.destination.world}


def _observed(fn, member, host, network, log):
    """A host's entry point, recording when it returns and whether it failed."""
    def entry(*args):
        called = len(network.crossings)
        ret = fn(*args)
        log.append((len(network.crossings), -called, member, host.name,
                    hosts.failed(member, ret)))
        return ret
    entry.__name__ = getattr(fn, "__name__", member)
    return entry


def _advertised(fn, host):
    """A daemon's supports_feature as an older one answers: no to what it lacks
    (``Host.features``); its own code still runs, as the trace shows."""
    def supports_feature(conn, feature):
        ret = fn(conn, feature)
        return ret if feature in host.features else 0
    return supports_feature


def setup(m: Migration, entries=None):
    entries = entries or entry_points
    network = hosts.Network()
    log = []
    made = {}
    for name, state in (("source", m.source), ("destination", m.destination)):
        host = hosts.Host(name, state.version, state.run_world(),
                          "qemu+ssh://%s/system" % state.hostname)
        table = dict(entries(state.version))
        if name == "destination" and not m.flow.dest_v3:
            host.features = FEATURES_V2_ONLY
            if "supports_feature" in table:
                table["supports_feature"] = _advertised(table["supports_feature"], host)
        host.entry = {member: _observed(fn, member, host, network, log)
                      for member, fn in table.items()}
        network.add(host)
        made[name] = host
    vm = made["source"].world.driver.find_by_name(m.domain)
    if m.gone:
        del made["source"].world.driver.domains[vm.def_.uuid]
    return Setup(network, made["source"], made["destination"],
                 (vm.def_.name, vm.def_.uuid, vm.def_.id), log)


def error_dict(e):
    """An error as the client sees it (names looked up defensively: the wire's own
    errors come from domains the port's tables may not name)."""
    return {"code": ERROR_CODE_NAMES.get(e.code, str(e.code)), "code_number": e.code,
            "domain": ERROR_DOMAIN_NAMES.get(e.domain, str(e.domain)),
            "domain_number": e.domain, "message": e.message, "reporter": e.reporter}


def where(member, host):
    return "%s@%s" % (PHASES.get(member) or OTHER.get(member, member), host)


def _failures(s: Setup, worlds, faults):
    """The entry points that failed, in the order they returned; a crossing made to fail
    counts as a failure of the entry point it was to reach."""
    events = [(r, c, member, host) for r, c, member, host, failed in s.log if failed]
    for side, callee, nth in faults:
        if callee.startswith("remote:") and worlds[side].calls.get(callee, 0) >= nth:
            k = [i for i, name in enumerate(s.network.crossings) if name == callee][nth - 1]
            member, _, host = callee[len("remote:"):].partition("@")
            events.append((k + 1, -k, member, host))
    events.sort()
    return [where(member, host) for _, _, member, host in events]


def _runs(vm):
    """Active (virDomainObjIsActive: an id) and running."""
    return (vm is not None and not vm.freed and vm.def_.id != -1
            and vm.state == VIR_DOMAIN_RUNNING)


def _objects(world, start):
    seen, objs = set(), []
    for vm in list(start) + list(world.driver.domains.values()):
        if id(vm) not in seen:
            seen.add(id(vm))
            objs.append(vm)
    return objs


def _held(vm, driver):
    return vm.refs - int(driver.domains.get(vm.def_.uuid) is vm)


def violations(side, world, start):
    """The invariants of engine/invariants.py that hold for a whole migration, on one
    host: no job or async job left that was not held at the start, references given
    back, nothing left locked (a daemon's driver lock is free at rest), nothing freed
    touched, no descriptor left open.  What another thread of the host holds at the end
    (a scripted wakeup's job and references: World.others_held, others_job) is not this
    migration's.
    ``start``: [(domain object, (job, async job, held references) at the start)]."""
    out = []
    driver = world.driver

    def v(name, detail):
        out.append({"invariant": name, "host": side, "detail": detail})
    before = {id(vm): b for vm, b in start}
    for vm in _objects(world, [vm for vm, _ in start]):
        if vm.freed:
            continue
        job = vm.privateData.job
        b_job, b_async, b_held = before.get(id(vm), (0, 0, 0))
        name = vm.def_.name
        st = domain_state(vm, driver)
        if job.asyncJob != b_async:
            v("async-job-leaked", "%s: async job '%s' (phase %s) left active"
              % (name, st["async_job"], st["phase"]))
        if job.active != b_job and job.active != world.others_job.get(id(vm), b_job):
            v("async-job-leaked", "%s: job '%s' left active" % (name, st["job"]))
        if _held(vm, driver) - world.others_held.get(id(vm), 0) != b_held:
            v("refs-unbalanced", "%s: references not owned by the domain list went from %d "
              "to %d" % (name, b_held, _held(vm, driver)))
        if vm.locked:
            v("lock-unbalanced", "%s: domain left locked" % name)
    if driver.locked:
        v("lock-unbalanced", "driver left locked")
    world_checks(world, v)
    return out


def _start(world):
    driver = world.driver
    return [(vm, (vm.privateData.job.active, vm.privateData.job.asyncJob, _held(vm, driver)))
            for vm in driver.domains.values()]


def wakeup_label(wakeup):
    return "%s:%s#%d %s" % wakeup


def attempt(s: Setup, m: Migration, faults=(), migrate=None, wakeups=()):
    """Run the migration once on the hosts as they are; the attempt's record.  With
    ``wakeups`` the record says which did not happen (``unfired_wakeups``)."""
    migrate = migrate or client_migrate()
    client = World()
    client.driver.hostname = CLIENT_HOSTNAME
    worlds = s.worlds(client)
    for side, w in worlds.items():
        w.reset_run(FaultPlan.of([(callee, nth) for sd, callee, nth in faults if sd == side]))
        w.drop_wakeups = {}
        for sd, point, nth, what in wakeups:
            if sd == side:
                w.drop_wakeups[(point, nth)] = w.drop_wakeups.get((point, nth), ()) + (what,)
    starts = {side: _start(worlds[side]) for side in ("source", "destination")}
    events = {side: len(worlds[side].driver.events) for side in ("source", "destination")}
    del s.log[:]
    del s.network.crossings[:]
    name, uuid, id_ = s.handle
    with client.activate():
        sconn = s.network.open(s.source.uri, m.connect_flags[0])
        dconn = s.network.open(s.destination.uri, m.connect_flags[1])
        ddomain = migrate(hosts.Domain(sconn, name, uuid, id_), dconn, m.flags, m.dname, m.uri,
                          0)
        seen = virGetLastError()        # what the user of virDomainMigrate asks next
        # then it lets go, as virsh's migrate does (virsh.c's cmdMigrate, then its exit):
        # the new domain's handle, the destination's connection, the source's; a
        # connection's last reference closes it, and its host's qemu driver destroys
        # what is still marked for auto-destroy on it (a failed migration's incoming guest)
        if ddomain is not None:
            virUnrefDomain(ddomain)
        virConnectClose(dconn)
        virConnectClose(sconn)
    failed = _failures(s, worlds, faults)
    migrated = ddomain is not None
    refused_at = None
    if not migrated:
        phase = [f for f in failed if f.split("@")[0] in PHASES.values()]
        refused_at = (phase or failed or ["client"])[0]
    src_vm = s.source.world.driver.domains.get(uuid) or next(
        (vm for vm, _ in starts["source"] if vm.def_.uuid == uuid), None)
    dst_vm = s.destination.world.driver.domains.get(uuid)
    runs_on = [side for side, vm in (("source", s.source.world.driver.domains.get(uuid)),
                                     ("destination", dst_vm)) if _runs(vm)]
    rec = {
        "outcome": "migrated" if migrated else "refused",
        "refused_at": refused_at,
        "error": error_dict(seen) if seen is not None else None,
        "failed_calls": failed,
        "runs_on": runs_on,
        "stranded": bool(_runs(dst_vm) and src_vm is not None
                         and len(src_vm.snapshots.objs) > 0),
        "left_behind": {side: {
            "domains": [domain_state(vm, worlds[side].driver)
                        for vm in _objects(worlds[side], [vm for vm, _ in starts[side]])],
            "events": driver_state(worlds[side].driver, events[side])["events"]}
            for side in ("source", "destination")},
        "violations": [x for side in ("source", "destination")
                       for x in violations(side, worlds[side], starts[side])],
        "hosts": {side: {"trace": trace_lines(w.trace),
                         "errors": [error_dict(e) for e in w.errors]}
                  for side, w in worlds.items()},
        "unfired_faults": ["%s:%s#%d" % f for f in faults
                           if worlds[f[0]].calls.get(f[1], 0) < f[2]],
        "_calls": {side: dict(w.calls) for side, w in worlds.items()},
        "_drops": {side: dict(w.lock_drops) for side, w in worlds.items()},
    }
    if wakeups:
        rec["unfired_wakeups"] = [wakeup_label(k) for k in wakeups
                                  if (k[1], k[2]) not in worlds[k[0]].drop_wakeups_fired]
    return rec


def run_migration(m: Migration, migrate=None, entries=None):
    """The row of one migration: its first attempt whole, the second in short."""
    return _run(m, migrate, entries)[0]


def _run(m: Migration, migrate, entries):
    """The row of one migration, and what its first attempt called and passed: (row,
    faultable calls per side, lock-drop passages per side)."""
    s = setup(m, entries)
    first = attempt(s, m, m.faults, migrate, m.wakeups)
    calls = first.pop("_calls")
    drops = first.pop("_drops")
    row = {"flow": m.flow.name, "protocol": m.flow.protocol,
           "destination_advertises_v3": m.flow.dest_v3,
           "source": m.source.version, "destination": m.destination.version,
           "domain": m.kind if m.kind is not None else m.domain,
           "flags": m.flags,
           "fault": ", ".join("%s:%s#%d" % f for f in m.faults) or None}
    if m.wakeups:                   # the wakeup rows only: the others are unchanged
        row["wakeup"] = ", ".join(wakeup_label(k) for k in m.wakeups)
    if m.variant is not None:       # the extra rows only: the matrix's rows are unchanged
        row["variant"] = m.variant
    row.update(first)
    if m.attempts > 1:
        second = attempt(s, m, (), migrate)
        row["second_attempt"] = {k: second[k] for k in ("outcome", "refused_at", "error",
                                                        "failed_calls", "runs_on", "stranded",
                                                        "violations")}
    else:
        row["second_attempt"] = None
    return row, calls, drops


def probe(m: Migration, migrate=None, entries=None):
    """One run of a migration for all the matrix wants of its row: (its row, as
    run_migration gives it; its fault points, as fault_points gives them; its wait
    points, as wakeup_points gives them, or None when the first attempt had faults or
    wakeups of its own, which wakeup_points runs without).  The three read the same
    first attempt (with the migration's own faults), which ran three times before."""
    row, calls, drops = _run(m, migrate, entries)
    waits = None if m.faults or m.wakeups else _wait_points(drops)
    return row, _fault_points(m, calls), waits


def fault_points(m: Migration, migrate=None, entries=None):
    """Every faultable call the migration makes with only its own faults (a variant's:
    none in the matrix), on any side, in order, but those faults: [(side, callee, nth)]
    (stubs, and the crossings of the wire)."""
    s = setup(m, entries)
    return _fault_points(m, attempt(s, m, m.faults, migrate)["_calls"])


def _fault_points(m: Migration, calls):
    stubs = faultable_stub_names()
    return [(side, name, n) for side in SIDES for name in sorted(calls[side])
            if name.startswith("remote:") or name in stubs
            for n in range(1, calls[side][name] + 1) if (side, name, n) not in m.faults]


def wakeup_points(m: Migration, migrate=None, entries=None):
    """Every lock-drop point the migration passes without faults or wakeups, on either
    host, in order, with each wakeup another thread can do there:
    [(side, point, nth, what)] (world/stubs.py DROP_POINTS)."""
    s = setup(m, entries)
    return _wait_points(attempt(s, m, (), migrate)["_drops"])


def _wait_points(drops):
    return [(side, point, n, what) for side in ("source", "destination")
            for point in sorted(drops[side]) if point in DROP_POINTS
            for n in range(1, drops[side][point] + 1) for what in DROP_POINTS[point]]


def matrix(flows=None, sources=None, destinations=None, kinds=None, faults=False,
           migrate=None, entries=None, variant=None, jobs=1):
    """The rows of the matrix: flow x source x destination x domain, and with ``faults``
    each of those again with every faultable call failing in turn, and (the
    ``VARIANT_KIND`` domain's, the one the variants change, without ``variant``) with
    each wakeup at each lock-drop point in turn.  With ``variant`` (a name of VARIANTS),
    each migration changed by it, on the flows it applies to.  With ``jobs`` > 1, the
    cells (flow, source, destination, domain) run in that many forked processes, the
    same rows in the same order (``_forked``)."""
    cells = [(flow, src, dst, kind) for flow in flows or FLOW_NAMES
             if variant is None or flow in VARIANTS[variant].flows
             for src in sources or VERSION_NAMES for dst in destinations or VERSION_NAMES
             for kind in kinds or DOMAIN_KINDS]
    args = (faults, migrate, entries, variant)
    if jobs > 1 and len(cells) > 1:
        rows = _forked(cells, args, jobs)
        if rows is not None:
            return rows
    return _rows(cells, args)


@collector_off()
def _rows(cells, args):
    """The rows of the cells, the collector off: after each cell, the cyclic garbage it
    left (a migration's hosts and worlds name each other) is collected and what is left
    frozen (``settle``), so no collection scans the settled rows again."""
    rows = []
    for cell in cells:
        rows.extend(_cell_rows(cell, *args))
        settle()
    return rows


def _cell_rows(cell, faults, migrate, entries, variant):
    """The rows of one cell of the matrix: its migration's, and with ``faults`` its fault
    rows and (the VARIANT_KIND domain's, without a variant) its wakeup rows."""
    flow, src, dst, kind = cell
    m = _row(flow, src, dst, kind, variant=variant)
    if not faults:
        return [run_migration(m, migrate, entries)]
    row, points, waits = probe(m, migrate, entries)
    rows = [row]
    for point in points:
        rows.append(run_migration(_row(flow, src, dst, kind, [point], variant),
                                  migrate, entries))
    if kind == VARIANT_KIND and variant is None:
        for k in waits:
            rows.append(run_migration(_row(flow, src, dst, kind, wakeups=[k]),
                                      migrate, entries))
    return rows


# --- the matrix over processes (protocol --faults with QEMU_MIGRATION_JOBS) -------------


def jobs():
    """Processes for ``protocol --faults``: QEMU_MIGRATION_JOBS, else one per core.

    Measured on 2 cores shared with other jobs (README, Speed): two workers took
    0.82-0.93x the wall time of one process on average for 1.0-1.2x its CPU (the rows sent
    back, about 0.4 s of 6.5); the cells are independent, so on free cores the
    share of the work each worker does is what it saves."""
    return env_jobs() or cores()


_JOB: tuple = ()        # (cells, args) of the forked matrix in progress, read by workers


def _in_worker(span):
    """The rows of _JOB's cells[start:stop] (a forked worker has the parent's _JOB),
    sent back compactly (marshal: a row is plain JSON-ready data)."""
    cells, args = _JOB
    start, stop = span
    return marshal.dumps(_rows(cells[start:stop], args))


def _forked(cells, args, n):
    """The rows of ``cells`` from ``n`` forked workers, each given spans of indices into
    the cells (not the cells), in order; None where no process can be had."""
    global _JOB
    context = fork_context()
    if context is None:
        return None
    size = -(-len(cells) // (n * 4))
    spans = [(i, min(i + size, len(cells))) for i in range(0, len(cells), size)]
    pool = None
    try:
        _JOB = (cells, args)
        with sigint_held():     # the workers are forked in map()
            pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=n, mp_context=context, initializer=quiet_worker)
            blobs = pool.map(_in_worker, spans)
        return [r for blob in blobs for r in marshal.loads(blob)]
    except (OSError, RuntimeError):     # no processes to be had (or a worker lost): here
        return None
    except KeyboardInterrupt:
        if pool is not None:            # the workers finish the span in hand and leave
            with sigint_ignored():      # a second Ctrl-C must not break the shutdown
                pool.shutdown(cancel_futures=True)
        raise
    finally:
        if pool is not None:
            pool.shutdown()
        _JOB = ()



# the wakeups a line needs a fault, a variant or a wait point in the same migration for
# (extra_rows runs them with ``faults``, on the clean guest, for VARIANT_PAIRS):
# (flow, faults, wakeups, variant)
WAKEUP_ROWS = [
    # the client's Finish3 is lost on the wire, so Confirm3 cancels and resumes the paused
    # guest; another thread drops the domain's list reference while 'cont' runs, and
    # Confirm3's qemuMigrationJobFinish gives back the last one
    ("v3", (("client", "remote:domainMigrateFinish3@destination", 1),),
     (("source", "qemuProcessStartCPUs", 1, "remove-domain"),), None),
    # Finish3 lost again: the close of the client's connection destroys the paused
    # incoming guest while another connection's thread of its migration-in job is inside
    # a monitor call: qemuDomainObjDiscardAsyncJob resets that nested job
    # (qemu_domain.c:685-686), and that thread's reference keeps the object
    ("v3", (("client", "remote:domainMigrateFinish3@destination", 1),),
     (("destination", "virDomainFindByUUID", 1, "nested-job"),), None),
    # Finish3 fails to save the resumed guest's status (the 4th save: the start saves twice,
    # Finish's phase once), so the close would destroy it;
    # another thread's query job outlasts the destroy job's wait: the guest survives
    # (qemu_process.c:3505-3507)
    ("v3", (("destination", "virDomainSaveStatus", 4),),
     (("destination", "virDomainFindByUUID", 1, "hold-job"),), None),
    # a transient guest: another thread starts waiting for a job while QEMU migrates it,
    # and QEMU quits; the waiter's reference outlives Perform3's job, so PerformPhase
    # removes the inactive guest itself (qemu_migration.c:2353-2355)
    ("v3", (), (("source", "doNativeMigrate", 1, "waits-for-job"),
                ("source", "doNativeMigrate", 1, "qemu-quits")), "transient"),
    # while Begin3's job start re-takes the locks (qemu_domain.c:751-753), another thread's
    # qemudDomainDefine of the running guest fails to save its config and drops it from the
    # list (qemu_driver.c:5028-5040 @ e2fb96d9): Begin3 succeeds, then
    # qemuMigrationJobContinue gives back the last reference, "domain disappeared"
    ("v3", (), (("source", "virDomainObjLock", 1, "remove-domain"),), None),
    # QEMU quits while Begin3's job start re-takes the locks (qemu_domain.c:751-753):
    # "domain is not running", and qemuMigrationJobFinish gives back the last reference
    ("v3", (), (("source", "virDomainObjLock", 1, "qemu-quits"),), "transient"),
    # ... and without change protection (the client's question about it fails), while
    # Begin3's plain job waits for another thread's query job, which ends
    ("v3", (("client", "remote:supports_feature@source", 2),),
     (("source", "virCondWaitUntil", 1, "end-job"),
      ("source", "virCondWaitUntil", 1, "qemu-quits")), "busy+transient"),
    # the client asks GetInfo of a guest still coming in: its Finish's monitor call is over
    # when GetInfo looks it up, GetInfo's query job waits under the migration-in mask, and
    # the incoming migration is cancelled meanwhile: the query finds it inactive
    # (qemu_driver.c:2234-2235) and EndJob gives back the last reference
    ("v2", (), (("source", "virDomainFindByUUID", 2, "end-job"),
                ("source", "virCondWaitUntil", 1, "incoming-cancelled")), "incoming"),
    # the destination keeps a definition of the guest, and its QEMU quits before Finish
    # (the monitor's end-of-file handler, while no call holds the guest): the guest stays
    # listed, and Finish finds it inactive (qemu_migration.c:2500-2503 @ e2fb96d9: "guest
    # unexpectedly quit"); on v2 and v3 (Finish2, Finish3)
    ("v2", (), (("destination", "daemon:domainMigrateFinish2", 1, "qemu-quits"),),
     "dest-defined"),
    ("v3", (), (("destination", "daemon:domainMigrateFinish3", 1, "qemu-quits"),),
     "dest-defined"),
]


def extra_rows(versions=None, faults=False, migrate=None, entries=None, variants=None):
    """The extra rows (compare and the benchmark run them, the record holds them): each
    variant on the ``clean`` guest, on each flow it applies to, for VARIANT_PAIRS (of
    ``versions`` only), and with ``faults``, on its ``fault_flows``, each faultable call
    failing in turn, and (all variants) the WAKEUP_ROWS."""
    rows = []
    pairs = [(src, dst) for src, dst in VARIANT_PAIRS
             if versions is None or (src in versions and dst in versions)]
    if faults and variants is None:
        for flow, fl, wk, variant in WAKEUP_ROWS:
            for src, dst in pairs:
                rows.append(run_migration(_row(flow, src, dst, VARIANT_KIND, fl, variant, wk),
                                          migrate, entries))
    for name in variants or VARIANT_NAMES:
        for flow in VARIANTS[name].flows:
            for src, dst in pairs:
                m = _row(flow, src, dst, VARIANT_KIND, variant=name)
                if not (faults and flow in VARIANTS[name].fault_flows):
                    rows.append(run_migration(m, migrate, entries))
                    continue
                row, points, _ = probe(m, migrate, entries)
                rows.append(row)
                for point in points:
                    rows.append(run_migration(_row(flow, src, dst, VARIANT_KIND, [point], name),
                                              migrate, entries))
    return rows
