"""Generated inputs beyond the case grid: random device mixes, snapshot sets, flags, faults.

Worlds are built from domain XML text (parsed as the loader parses it) with
any number of host devices and graphics, a random snapshot tree, a random
but reachable domain state, and a fault plan of up to three (stub, n) pairs.
Each entry point runs on each version and the invariants that must hold do.
"""
import uuid as _uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import cookie_xml, untraced
from qemu_migration.analysis.cases import FAULTABLE, Call
from qemu_migration.engine.runner import run_call
from qemu_migration.loader.domain import parse_domain_text
from qemu_migration.port import VERSION_NAMES
from qemu_migration.world.constants import (DEFAULT_JOB_MASK, JOB_MASK, MIGRATE_FLAG_NAMES,
                                            QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_JOB_DESTROY,
                                            QEMU_JOB_MIGRATION_OP, QEMU_JOB_MODIFY,
                                            QEMU_JOB_SUSPEND, VIR_DOMAIN_JOB_UNBOUNDED,
                                            VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_SHUTOFF)
from qemu_migration.world.objects import STARTED_ELSEWHERE, DomainObj, Driver, SnapshotDef
from qemu_migration.world.runtime import FaultPlan, World

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

PCI = ("<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' "
       "bus='0x%02x' slot='0x%02x' function='0x0'/></source></hostdev>")
USB = ("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/>"
       "<product id='0x%04x'/></source></hostdev>")
OTHER = ["<disk type='file' device='disk'><source file='/var/lib/a.img'/>"
         "<target dev='vda'/></disk>",
         "<interface type='network'><mac address='52:54:00:6a:01:02'/>"
         "<source network='default'/></interface>",
         "<graphics type='vnc' port='-1'/>", "<graphics type='spice'/>",
         "<console type='pty'/>"]


@st.composite
def devices(draw, hostdevs=True):
    """A random mix of host devices and devices the code ignores, in any order."""
    kinds = [st.sampled_from(OTHER)]
    if hostdevs:
        kinds += [st.tuples(st.just("pci"), st.integers(1, 0xFF), st.integers(0, 0x1F)),
                  st.tuples(st.just("usb"), st.integers(1, 0xFFFF))]
    items = draw(st.lists(st.one_of(*kinds), max_size=5))
    out = []
    for it in items:
        if isinstance(it, str):
            out.append(it)
        elif it[0] == "pci":
            out.append(PCI % (it[1], it[2]))
        else:
            out.append(USB % it[1])
    return "".join(out)


@st.composite
def domain_xmls(draw, name=None, uuid=None, hostdevs=True):
    name = name or draw(st.sampled_from(["guest", "web1", "db-2"]))
    uuid = uuid or str(draw(st.uuids()))
    memory = draw(st.sampled_from([131072, 524288, 1048576]))
    vcpu = draw(st.integers(1, 4))
    return ("<domain type='%s'><name>%s</name><uuid>%s</uuid><memory>%d</memory>"
            "<vcpu>%d</vcpu><devices>%s</devices></domain>"
            % (draw(st.sampled_from(["kvm", "qemu"])), name, uuid, memory, vcpu,
               draw(devices(hostdevs))))


@st.composite
def snapshot_sets(draw):
    n = draw(st.integers(0, 4))
    snaps = {}
    for i in range(n):
        parent = draw(st.sampled_from([None] + list(snaps))) if snaps else None
        snaps["s%d" % i] = SnapshotDef("s%d" % i, parent=parent, creationTime=i)
    return snaps


fault_plans = st.lists(st.tuples(st.sampled_from(FAULTABLE), st.integers(1, 3)),
                       max_size=3).map(FaultPlan.of)
flag_sets = st.sets(st.sampled_from(sorted(MIGRATE_FLAG_NAMES))).map(
    lambda names: sum(MIGRATE_FLAG_NAMES[n] for n in names))


@st.composite
def vm_worlds(draw, plain=False):
    """(world, vm name, xml) for a domain in a reachable state; ``plain``: without
    host devices, snapshots or auto-destroy (what the patch does not look at)."""
    xml = draw(domain_xmls(hostdevs=not plain))
    def_ = parse_domain_text(xml, "<generated>", inactive=True)
    state = draw(st.sampled_from(["running", "paused", "shutoff"]))
    active = state != "shutoff"
    persistent = draw(st.booleans()) if active else True
    def_.id = 1 if active else -1
    vm = DomainObj(def_=def_, persistent=persistent, refs=1, reason=1,
                   state={"running": VIR_DOMAIN_RUNNING, "paused": VIR_DOMAIN_PAUSED,
                          "shutoff": VIR_DOMAIN_SHUTOFF}[state])
    if not plain:
        vm.snapshots.objs.update(draw(snapshot_sets()))
    job = draw(st.sampled_from(["none", "modify", "migration-out"])) if active else "none"
    if job == "modify":
        vm.privateData.job.active = QEMU_JOB_MODIFY
        vm.refs += 1
    elif job == "migration-out":
        j = vm.privateData.job
        j.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT
        j.mask = (DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND)
                  | JOB_MASK(QEMU_JOB_MIGRATION_OP) | JOB_MASK(QEMU_JOB_DESTROY))
        j.info_type = VIR_DOMAIN_JOB_UNBOUNDED
        vm.refs += 1
    driver = Driver(hostname="dst.example.net", nextvmid=2)
    driver.domains[def_.uuid] = vm
    if active and not plain and draw(st.booleans()):
        driver.autodestroy[def_.uuid] = STARTED_ELSEWHERE
    return World(driver), def_.name, xml


@st.composite
def vm_calls(draw, plain=False):
    world, name, xml = draw(vm_worlds(plain))
    function = draw(st.sampled_from(["qemuMigrationIsAllowed", "qemuMigrationBegin",
                                     "qemuMigrationPerformJob"]))
    args = {}
    if function == "qemuMigrationBegin":
        args["xmlin"] = draw(st.one_of(st.none(), st.just(xml), domain_xmls()))
    elif function == "qemuMigrationPerformJob":
        args = {"flags": draw(flag_sets), "v3proto": draw(st.booleans()),
                "uri": "tcp:dst.example.net:49152", "dconnuri": "qemu+tcp://dst/system"}
    faults = draw(fault_plans) if function != "qemuMigrationIsAllowed" else FaultPlan()
    return world, Call(function, name, args, faults, peer_v3=draw(st.booleans()))

# a source host's lock state, as its Begin bakes it (qemu_migration.c:374-388)
LOCKSTATE = ("  <feature name='lockstate'/>\n  <lockstate driver='sanlock'>\n"
             "    <leases>guest-lease:1</leases>\n  </lockstate>\n")


@st.composite
def prepare_calls(draw):
    uuid = str(draw(st.uuids()))
    xml = draw(domain_xmls(name="guest", uuid=uuid))
    driver = Driver(hostname=draw(st.sampled_from(["dst.example.net",
                                                   "localhost.localdomain"])), nextvmid=2)
    existing = draw(st.sampled_from(["nothing", "inactive", "running", "name-clash"]))
    if existing != "nothing":
        running = existing != "inactive"
        other = str(_uuid.UUID(int=(_uuid.UUID(uuid).int + 1) % (1 << 128)))
        u = other if existing == "name-clash" else uuid
        d = parse_domain_text(xml, "<generated>", inactive=True)
        d.uuid, d.id = u, 1 if running else -1
        driver.domains[u] = DomainObj(def_=d, persistent=True, refs=1, reason=1,
                                      state=VIR_DOMAIN_RUNNING if running
                                      else VIR_DOMAIN_SHUTOFF)
    args = {"dom_xml": xml, "dname": draw(st.sampled_from([None, "renamed"])),
            "cookiein": draw(st.sampled_from([
                None, "not a cookie",
                cookie_xml(name="guest", uuid=uuid),
                cookie_xml(name="guest", uuid=uuid, extra=LOCKSTATE),
                cookie_xml(name="guest", uuid=uuid, hostname=driver.hostname)]))}
    function = draw(st.sampled_from(["qemuMigrationPrepareTunnel",
                                     "qemuMigrationPrepareDirect"]))
    if function == "qemuMigrationPrepareDirect":
        args["uri_in"] = draw(st.sampled_from([None, "tcp:dst", "tcp:dst:49200", "tcp:dst:4x",
                                               "tcp:a:b:1", "udp:dst", "tcp:dst:"]))
    else:
        args["st"] = True
    return World(driver), Call(function, None, args, draw(fault_plans))


def _fresh(world):
    """A copy of the generated world for each version (runs change their world)."""
    import copy
    return copy.deepcopy(world)


def _names(o):
    return {v["invariant"] for v in o["violations"]}


def _common(version, call, o):
    ret = o["return"]
    if call.function == "qemuMigrationBegin":
        assert o["failed"] == (ret is None)
    elif call.function == "qemuMigrationIsAllowed":
        assert o["failed"] == (not ret)
    else:
        assert isinstance(ret, int) and o["failed"] == (ret < 0)
    # a failure says why, except where upstream fails silently (strdup of dname)
    if o["failed"] and "strdup" not in call.faults.faults:
        assert o["error"] is not None, o["trace"]
    assert "use-after-free" not in _names(o)
    assert "fd-leaked" not in _names(o)
    assert "lock-unbalanced" not in _names(o)
    assert o["driver"]["locked"]


@untraced
@SETTINGS
@given(vm_calls())
def test_vm_entry_points(wc):
    world, call = wc
    for version in VERSION_NAMES:
        o = run_call(_fresh(world), version, call)
        _common(version, call, o)
        names = _names(o)
        if version == "fixed":
            assert "async-job-leaked" not in names
            assert "refs-unbalanced" not in names
        if call.function in ("qemuMigrationIsAllowed", "qemuMigrationBegin"):
            assert "refs-unbalanced" not in names and "async-job-leaked" not in names
        if call.function == "qemuMigrationIsAllowed":
            assert o["before"] == o["after"]
        held = o["before"]["job"] != "none" or o["before"]["async_job"] != "none"
        if call.function == "qemuMigrationPerformJob" and held:
            # someone else holds a job: the wait times out, nothing is taken
            assert o["failed"]
            assert o["after"]["job"] == o["before"]["job"]
            assert o["after"]["async_job"] == o["before"]["async_job"]
            assert "refs-unbalanced" not in names


@untraced
@SETTINGS
@given(prepare_calls())
def test_prepare_entry_points(wc):
    world, call = wc
    for version in VERSION_NAMES:
        o = run_call(_fresh(world), version, call)
        _common(version, call, o)
        after = o["after"]
        if o["failed"]:
            # on every version, a failed prepare leaves no async job behind
            assert after is None or not after["exists"] or after["async_job"] == "none"
            assert "started-event-on-failure" not in _names(o)
            assert o["out"].get("uri_out") is None
        else:
            assert after["async_job"] == "migration in" and not after["locked"]
            assert after["state"] == "paused"
            assert "async-job-leaked" not in _names(o)


@untraced
@SETTINGS
@given(vm_calls(plain=True))
def test_versions_agree_where_the_patch_does_not_reach(wc):
    """Without snapshots, auto-destroy or host devices, IsAllowed passes on every version
    and the three versions give the same outcome (apart from the trace)."""
    world, call = wc
    outs = [run_call(_fresh(world), v, call) for v in VERSION_NAMES]
    for o in outs[1:]:
        for k in ("return", "failed", "error", "after", "violations", "out"):
            assert o[k] == outs[0][k], k
