"""Each ported function, on small hand-built worlds, for all three versions.

One test body runs against every version; where upstream differs between
versions the expectation says so, by version name.
"""

import pytest

from conftest import UUID1, UUID2, Call, domain_xml, faults, make_vm, make_world, misspelt_gotos
from qemu_migration.engine import run_call
from qemu_migration.port import VERSIONS, qemu_domain
from qemu_migration.world.constants import (QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_NONE,
                                            QEMU_JOB_ASYNC_NESTED, QEMU_JOB_MODIFY,
                                            QEMU_JOB_NONE, QEMU_MIGRATION_PHASE_BEGIN3,
                                            QEMU_MIGRATION_PHASE_PERFORM2,
                                            QEMU_MIGRATION_PHASE_PREPARE, VIR_ERR_SYSTEM_ERROR,
                                            VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_TUNNELLED,
                                            VIR_MIGRATE_UNDEFINE_SOURCE)
from qemu_migration.world.objects import Ptr
from qemu_migration.world.runtime import NoSuchLabel

ALL = list(VERSIONS)
SNAP = "Requested operation is not valid: cannot migrate domain with %d snapshots"
HOSTDEV = "Requested operation is not valid: Domain with assigned host devices cannot be migrated"
AUTODESTROY = "Requested operation is not valid: domain is marked for auto destroy"
LOCK = "Timed out during operation: cannot acquire state change lock"


def msg(o):
    return o["error"]["message"] if o["error"] else None


def names(o):
    return [v["invariant"] for v in o["violations"]]


# --- qemuMigrationIsAllowed -------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("snapshots,hostdev,autodestroy", [
    (0, None, False), (1, None, False), (3, None, False), (0, "pci", False),
    (0, "usb", False), (2, "pci", False), (0, None, True), (1, "pci", True)])
def test_is_allowed_with_vm(version, snapshots, hostdev, autodestroy):
    vm = make_vm(snapshots=snapshots, hostdev=hostdev)
    w = make_world(vm, autodestroy=[UUID1] if autodestroy else [])
    o = run_call(w, version, Call("qemuMigrationIsAllowed", "web1"))
    if version == "pre":      # pre looks at the definition only
        expect = HOSTDEV if hostdev else None
    elif autodestroy:
        expect = AUTODESTROY
    elif snapshots:
        expect = SNAP % snapshots
    else:
        expect = HOSTDEV if hostdev else None
    assert o["return"] is (expect is None)
    assert msg(o) == expect
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("hostdev", [None, "pci", "usb"])
def test_is_allowed_with_def_only(version, hostdev):
    vm = make_vm(snapshots=2, hostdev=hostdev)
    w = make_world()
    o = run_call(w, version, Call("qemuMigrationIsAllowed", None, {"def": vm.def_}))
    assert o["return"] is (hostdev is None)
    assert msg(o) == (HOSTDEV if hostdev else None)


def test_snapshot_count_is_int_truthiness():
    """Any non-zero count refuses, and the count is the one in the message."""
    from qemu_migration.port.callees import virDomainSnapshotObjListNum
    from qemu_migration.world.objects import SnapshotDef
    vm = make_vm(snapshots=0)
    vm.snapshots.objs["a"] = SnapshotDef("a")
    vm.snapshots.objs["b"] = SnapshotDef("b", parent="a")
    with make_world(vm).activate():
        assert virDomainSnapshotObjListNum(vm.snapshots, 0) == 2
        assert virDomainSnapshotObjListNum(vm.snapshots, 1) == 1   # roots only


# --- qemuMigrationBegin ---------------------------------------------------------------

@pytest.mark.parametrize("version", ALL)
def test_begin_formats_xml_and_cookie(version):
    w = make_world(make_vm())
    o = run_call(w, version, Call("qemuMigrationBegin", "web1"))
    assert o["return"].startswith("<!-- flags: secure,update-cpu --><domain type='kvm' id='7'><name>web1</name>")
    # the nop lock manager has no lock state: the feature is mandatory, no <lockstate>
    assert o["out"]["cookieout"] == (
        "<qemu-migration>\n  <name>web1</name>\n  <uuid>%s</uuid>\n"
        "  <hostname>%s</hostname>\n  <hostuuid>%s</hostuuid>\n"
        "  <feature name='lockstate'/>\n</qemu-migration>\n"
        % (UUID1, w.driver.hostname, w.driver.hostuuid))
    assert o["after"]["locked"] is True          # Begin leaves the vm locked for its caller
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
def test_begin_with_snapshots(version):
    w = make_world(make_vm(snapshots=1, async_out=True))
    o = run_call(w, version, Call("qemuMigrationBegin", "web1"))
    # the phase is set before the check, and stays set when the check refuses
    assert o["after"]["phase"] == "begin3"
    if version == "pre":
        assert o["failed"] is False
    else:
        assert o["return"] is None and msg(o) == SNAP % 1
    assert o["after"]["async_job"] == "migration out"   # the caller's job, untouched
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
def test_begin_autodestroy_refused_on_all_versions(version):
    w = make_world(make_vm(), autodestroy=[UUID1])
    o = run_call(w, version, Call("qemuMigrationBegin", "web1"))
    assert o["return"] is None and msg(o) == AUTODESTROY


@pytest.mark.parametrize("version", ALL)
def test_begin_xmlin(version):
    w = make_world(make_vm())
    o = run_call(w, version, Call("qemuMigrationBegin", "web1", {"xmlin": domain_xml()}))
    assert o["return"].startswith("<!-- flags: secure,update-cpu --><domain type='kvm' id='-1'>")
    # upstream's ABI check never compares memory
    w = make_world(make_vm())
    o = run_call(w, version, Call("qemuMigrationBegin", "web1",
                                  {"xmlin": domain_xml(memory=1024)}))
    assert o["return"] is not None and o["errors"] == []


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("vcpu,message", [
    ("<vcpu>2</vcpu>", "Target domain vpu count 2 does not match source 1"),
    ("<vcpu current='1'>3</vcpu>", "Target domain vpu max 3 does not match source 1"),
    ("<vcpu current='2'>3</vcpu>", "Target domain vpu count 2 does not match source 1")])
def test_begin_xmlin_vcpus_differ(version, vcpu, message):
    xml = domain_xml().replace("<vcpu>1</vcpu>", vcpu)
    o = run_call(make_world(make_vm()), version, Call("qemuMigrationBegin", "web1",
                                                      {"xmlin": xml}))
    assert o["return"] is None and o["error"]["code"] == "VIR_ERR_CONFIG_UNSUPPORTED"
    assert o["error"]["domain"] == "VIR_FROM_DOMAIN"
    assert msg(o) == "unsupported configuration: " + message


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("callee,message", [
    ("virGetHostUUID", "internal error Unable to obtain host UUID"),
    ("virDomainLockProcessInquire", "out of memory"), ("strdup", "out of memory"),
    ("qemuDomainFormatXML", "out of memory")])
def test_begin_faults(version, callee, message):
    w = make_world(make_vm())
    o = run_call(w, version, Call("qemuMigrationBegin", "web1", faults=faults((callee, 1))))
    assert o["return"] is None and msg(o) == message
    assert o["violations"] == []


# --- qemuMigrationPrepareAny through its wrappers ----------------------------------------

def src_cookie(leases="held-by-src", host="src.example.org"):
    """The cookie a source host's Begin sends for web1, with a lock state."""
    return ("<qemu-migration>\n  <name>web1</name>\n  <uuid>%s</uuid>\n"
            "  <hostname>%s</hostname>\n"
            "  <hostuuid>6d5c4b3a-2918-4a7b-8c6d-5e4f3a2b1c0d</hostuuid>\n"
            "  <lockstate driver='sanlock'>\n    <leases>%s</leases>\n  </lockstate>\n"
            "</qemu-migration>\n" % (UUID1, host, leases))


def prepare(version, w, function="qemuMigrationPrepareTunnel", **args):
    args.setdefault("dom_xml", domain_xml())
    c = Call(function, None, args, faults(*args.pop("faults", ())))
    return run_call(w, version, c)


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("function", ["qemuMigrationPrepareTunnel", "qemuMigrationPrepareDirect"])
def test_prepare_success_keeps_incoming_job(version, function):
    w = make_world()
    o = prepare(version, w, function, cookiein=src_cookie())
    assert o["return"] == 0
    a = o["after"]
    assert (a["async_job"], a["phase"], a["refs"], a["locked"]) == ("migration in", "prepare", 1,
                                                                    False)
    assert a["lockState"] == "held-by-src"
    assert a["state"] == "paused" and a["id"] == 1
    assert o["driver"]["events"] == [{"type": "started", "detail": 1, "domain": "web1"}]
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
def test_prepare_refuses_hostdev_on_every_version(version):
    o = prepare(version, make_world(), dom_xml=domain_xml(hostdev="usb"))
    assert o["return"] == -1 and msg(o) == HOSTDEV
    assert o["after"] is None


@pytest.mark.parametrize("version", ALL)
def test_prepare_dname_renames(version):
    w = make_world()
    o = prepare(version, w, dname="web1-moved")
    assert o["after"]["name"] == "web1-moved"
    assert o["driver"]["domains"] == ["web1-moved"]


@pytest.mark.parametrize("version", ALL)
def test_prepare_strdup_failure_raises_no_error(version):
    """Upstream: a failed strdup of dname returns -1 with no error set."""
    o = prepare(version, make_world(), dname="x", faults=[("strdup", 1)])
    assert o["return"] == -1 and o["error"] is None
    assert names(o) == ["error-count"]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("other,expect", [
    (dict(name="web1", uuid=UUID1, state="running"),
     "Requested operation is not valid: domain is already active as 'web1'"),
    (dict(name="web1", uuid=UUID2, state="shutoff"),
     "operation failed: domain 'web1' already exists with uuid " + UUID2),
    (dict(name="other", uuid=UUID1, state="shutoff"),
     "operation failed: domain 'other' is already defined with uuid " + UUID1)])
def test_prepare_duplicates(version, other, expect):
    o = prepare(version, make_world(make_vm(**other)))
    assert o["return"] == -1 and msg(o) == expect


@pytest.mark.parametrize("version", ALL)
def test_prepare_onto_defined_domain_keeps_it_on_failure(version):
    existing = make_vm(state="shutoff", persistent=True)
    w = make_world(existing)
    o = prepare(version, w, faults=[("qemuProcessStart", 1)])
    assert o["return"] == -1 and msg(o) == "out of memory"
    assert o["driver"]["domains"] == ["web1"]          # persistent: not removed
    assert o["after"]["async_job"] == "none" and o["after"]["refs"] == 1
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("callee,message", [
    ("pipe", "cannot create pipe for tunnelled migration: Too many open files"),
    ("virSetCloseExec", "cannot create pipe for tunnelled migration: Bad file descriptor"),
    ("virFDStreamOpen", "cannot pass pipe for tunnelled migration: Bad file descriptor"),
    ("qemuProcessStart", "out of memory")])
def test_prepare_tunnel_failures_remove_transient(version, callee, message):
    o = prepare(version, make_world(), faults=[(callee, 1)])
    assert o["return"] == -1 and msg(o) == message
    assert o["driver"]["domains"] == [] and o["after"]["exists"] is False
    assert o["driver"]["events"] == []
    if callee in ("pipe", "virSetCloseExec", "virFDStreamOpen"):
        assert o["error"]["code_number"] == VIR_ERR_SYSTEM_ERROR
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
def test_prepare_cookie_failure_leaves_transient_behind(version):
    """Upstream: failing to eat the cookie skips the job and leaves the new domain listed."""
    o = prepare(version, make_world(), faults=[("virGetHostUUID", 1)])
    assert o["return"] == -1
    assert o["driver"]["domains"] == ["web1"]
    assert names(o) == ["transient-left-behind"]


@pytest.mark.parametrize("version", ALL)
def test_prepare_bake_failure_only_warns(version):
    """PrepareAny bakes the reply cookie with the graphics (L1067/1088): for a domain with
    one VNC device GraphicsAlloc copies its listen address (qemu_migration.c:236; strdup
    #1 is the cookie's name, :257).  That failing is reported as out of memory (:241-242),
    and PrepareAny only warns (L1073/1094): the call succeeds, the error stays set."""
    o = prepare(version, make_world(), dom_xml=domain_xml(graphics="vnc"),
                faults=[("strdup", 2)])
    assert o["return"] == 0 and msg(o) == "out of memory"
    assert "warning: Unable to encode migration cookie" in o["logs"]
    assert o["out"]["cookieout"] is None
    assert names(o) == ["error-count"]          # the out-of-memory error stays set


@pytest.mark.parametrize("version", ALL)
def test_prepare_without_graphics_bakes_no_graphics(version):
    """Without a VNC or SPICE device AddGraphics adds nothing (qemu_migration.c:290-297):
    the cookie's name is the only strdup, and a second one has nothing to fail."""
    o = prepare(version, make_world(), faults=[("strdup", 2)])
    assert o["return"] == 0 and o["error"] is None
    assert not any("!fault" in line for line in o["trace"])
    assert "<graphics" not in o["out"]["cookieout"]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("uri_in,hostname,ret,uri_out,message", [
    (None, "dst.example.net", 0, "tcp:dst.example.net:49152", None),
    (None, "localhost.localdomain", -1, None,
     "internal error hostname on destination resolved to localhost, but migration requires an FQDN"),
    ("tcp:dst.example.net", "x", 0, "tcp:dst.example.net:49152", None),
    ("tcp:dst.example.net:49200", "x", 0, None, None),
    ("tcp:dst.example.net:49x", "x", -1, None, "invalid argument: URI ended with incorrect ':port'"),
    ("tcp:dst.example.net:", "x", -1, None, "invalid argument: URI ended with incorrect ':port'"),
    ("udp:dst.example.net", "x", -1, None,
     "invalid argument: only tcp URIs are supported for KVM/QEMU migrations")])
def test_prepare_direct_uris(version, uri_in, hostname, ret, uri_out, message):
    w = make_world(hostname=hostname)
    o = prepare(version, w, "qemuMigrationPrepareDirect", uri_in=uri_in)
    assert o["return"] == ret and o["out"]["uri_out"] == uri_out and msg(o) == message


@pytest.mark.parametrize("version", ALL)
def test_prepare_direct_port_is_static_per_world_and_wraps(version):
    w = make_world()
    ports = []
    for i in range(66):
        o = prepare(version, w, "qemuMigrationPrepareDirect", dom_xml=domain_xml(
            name="vm%d" % i, uuid="%08d-0000-4000-8000-000000000000" % i))
        ports.append(int(o["out"]["uri_out"].rsplit(":", 1)[1]))
    assert ports[:2] == [49152, 49153] and ports[63] == 49215 and ports[64:] == [49152, 49153]
    # a new world starts again at the first port: runs do not share the static
    o = prepare(version, make_world(), "qemuMigrationPrepareDirect")
    assert o["out"]["uri_out"].endswith(":49152")


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("callee,message", [
    ("virGetHostname", "out of memory"),
    ("virAsprintf", "out of memory")])
def test_prepare_direct_faults(version, callee, message):
    """Without uri_in PrepareDirect asks for the host name itself (L1189/1210) and builds
    the URI (L1205/1226) before PrepareAny; the first call of either failing ends it."""
    o = prepare(version, make_world(), "qemuMigrationPrepareDirect", faults=[(callee, 1)])
    assert o["return"] == -1 and msg(o) == message and o["out"]["uri_out"] is None
    assert o["driver"]["domains"] == []                   # before PrepareAny defines it


@pytest.mark.parametrize("version", ALL)
def test_prepare_direct_with_uri_meets_the_host_name_only_in_the_cookie(version):
    """With a uri_in lacking a port PrepareDirect appends one with virAsprintf and never
    asks for the host name; the first virGetHostname is then the one of the cookie
    EatCookie makes (qemuMigrationCookieNew, qemu_migration.c:261).  Its failure makes
    PrepareAny go to cleanup before the job (L1016-1017/1037-1039): the transient domain
    stays defined."""
    o = prepare(version, make_world(), "qemuMigrationPrepareDirect",
                uri_in="tcp:dst.example.net", faults=[("virAsprintf", 1)])
    assert o["return"] == -1 and msg(o) == "out of memory"
    assert o["driver"]["domains"] == []
    o = prepare(version, make_world(), "qemuMigrationPrepareDirect",
                uri_in="tcp:dst.example.net", faults=[("virGetHostname", 1)])
    assert o["return"] == -1 and msg(o) == "out of memory"
    assert o["error"]["reporter"] == "virGetHostname"
    assert "        virGetHostname !fault" in o["trace"]   # under EatCookie's CookieNew
    assert o["out"]["uri_out"] is None                   # freed on failure (L1257-1258/1278-1279)
    assert o["driver"]["domains"] == ["web1"]
    assert names(o) == ["transient-left-behind"]


@pytest.mark.parametrize("version", ALL)
def test_prepare_time_failure_returns_before_anything(version):
    o = prepare(version, make_world(), faults=[("virTimeMs", 1)])
    assert o["return"] == -1 and msg(o) == "cannot get time of day: Bad address"
    assert o["error"]["domain"] == "VIR_FROM_NONE"
    assert o["trace"] == ["qemuMigrationPrepareTunnel", "  qemuMigrationPrepareAny", "    virTimeMs !fault"]


# --- qemuMigrationPerformJob ---------------------------------------------------------------

def perform(version, w, flags=0, v3proto=False, fault=(), peer_v3=True,
            uri="tcp:dst.example.net:49152"):
    c = Call("qemuMigrationPerformJob", "web1", {"flags": flags, "v3proto": v3proto,
                                                 "uri": uri},
             faults(*fault), peer_v3)
    return run_call(w, version, c)


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("flags", [0, VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED])
def test_perform_snapshots_leak_on_post_only(version, flags):
    w = make_world(make_vm(snapshots=2))
    first = perform(version, w, flags)
    second = perform(version, w, flags)
    if version == "pre":
        assert first["return"] == 0 and first["violations"] == []
        return
    assert msg(first) == SNAP % 2
    if version == "post":
        assert first["after"]["async_job"] == "migration out" and first["after"]["refs"] == 2
        assert names(first) == ["async-job-leaked", "refs-unbalanced"]
        assert msg(second) == LOCK
    else:
        assert first["after"]["async_job"] == "none" and first["after"]["refs"] == 1
        assert first["violations"] == []
        assert msg(second) == SNAP % 2


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("what", ["hostdev", "autodestroy"])
def test_perform_refusals(version, what):
    vm = make_vm(hostdev="pci" if what == "hostdev" else None)
    w = make_world(vm, autodestroy=[UUID1] if what == "autodestroy" else [])
    o = perform(version, w)
    if what == "hostdev" and version == "pre":
        assert o["return"] == 0            # pre's PerformJob never looked at host devices
        return
    assert msg(o) == (HOSTDEV if what == "hostdev" else AUTODESTROY)
    leaked = version == "post"
    assert ("async-job-leaked" in names(o)) is leaked
    assert (o["after"]["async_job"] == "migration out") is leaked


@pytest.mark.parametrize("version", ALL)
def test_perform_not_running_ends_job(version):
    w = make_world(make_vm(state="shutoff"))
    o = perform(version, w)
    assert msg(o) == "Requested operation is not valid: domain is not running"
    assert o["after"]["async_job"] == "none" and o["violations"] == []


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("held", ["async", "job"])
def test_perform_waits_for_held_job_then_times_out(version, held):
    vm = make_vm(async_out=held == "async", job=QEMU_JOB_MODIFY if held == "job" else 0)
    w = make_world(vm)
    o = perform(version, w)
    assert msg(o) == LOCK and o["error"]["code"] == "VIR_ERR_OPERATION_TIMEOUT"
    assert o["after"]["refs"] == 2 and o["violations"] == []
    assert "    virCondWaitUntil" in "\n".join(o["trace"])


@pytest.mark.parametrize("version", ALL)
def test_perform_wait_failure_other_errno(version):
    w = make_world(make_vm(async_out=True))
    o = perform(version, w, fault=[("virCondWaitUntil", 1)])
    assert msg(o) == "cannot acquire job mutex: Invalid argument"


@pytest.mark.parametrize("version", ALL)
def test_perform_native_v2_success_stops_source(version):
    w = make_world(make_vm(persistent=False))
    o = perform(version, w)
    assert o["return"] == 0
    assert o["after"]["exists"] is False and o["driver"]["domains"] == []
    # non-live: qemuMigrationSetOffline paused the guest first, then PerformJob stopped it
    assert [e["type"] for e in o["driver"]["events"]] == ["suspended", "stopped"]
    assert any("qemuMigrationJobSetPhase" in t for t in o["trace"])
    assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
def test_perform_p2p_stops_source_in_confirm_or_in_perform(version):
    # v3: doPeer2PeerMigrate3 ends in qemuMigrationConfirm, which stops the source
    w = make_world(make_vm())
    o = perform(version, w, VIR_MIGRATE_PEER2PEER, peer_v3=True)
    assert o["return"] == 0 and o["after"]["id"] == -1
    assert (o["after"]["state"], o["after"]["reason"]) == ("shutoff", "migrated")
    assert [e["type"] for e in o["driver"]["events"]] == ["suspended", "stopped"]
    assert "    qemuProcessStop" in o["trace"] and o["logs"][0] == "qemu: stopped migrated=1"
    # v2: PerformJob itself stops it (the stub leaves it paused)
    o = perform(version, make_world(make_vm()), VIR_MIGRATE_PEER2PEER, peer_v3=False)
    assert o["after"]["id"] == -1 and o["after"]["state"] == "shutoff"
    assert "    qemuProcessStop" not in o["trace"] and "  qemuProcessStop" in o["trace"]


@pytest.mark.parametrize("version", ALL)
def test_perform_p2p_confirm_without_its_stopped_event_queues_none(version):
    # qemuMigrationConfirm's STOPPED/MIGRATED event not allocated (the second event of the
    # run, after the pause's): the source is stopped all the same, nothing more is queued
    o = perform(version, make_world(make_vm()), VIR_MIGRATE_PEER2PEER,
                fault=[("virDomainEventNewFromObj", 2)], peer_v3=True)
    assert o["return"] == 0 and (o["after"]["state"], o["after"]["reason"]) == ("shutoff",
                                                                               "migrated")
    assert [e["type"] for e in o["driver"]["events"]] == ["suspended"]
    i = o["trace"].index("    virDomainEventNewFromObj !fault")
    assert o["trace"][i - 2:i + 2] == ["    qemuProcessStop", "    virDomainAuditStop",
                                       "    virDomainEventNewFromObj !fault",
                                       "  qemuMigrationJobFinish"]
    assert msg(o) == "out of memory" and names(o) == ["error-count"]


@pytest.mark.parametrize("version", ALL)
def test_perform_undefine_source(version):
    w = make_world(make_vm())
    o = perform(version, w, VIR_MIGRATE_UNDEFINE_SOURCE)
    assert o["driver"]["deleted_configs"] == ["web1"] and o["driver"]["domains"] == []
    w = make_world(make_vm())
    o = perform(version, w, VIR_MIGRATE_UNDEFINE_SOURCE, fault=[("virDomainDeleteConfig", 1)])
    assert o["return"] == 0 and names(o) == ["error-count"]


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("resume_fails", [False, True])
def test_perform_failure_resumes_guest(version, resume_fails):
    w = make_world(make_vm())
    fault = [("doNativeMigrate", 1)] + ([("qemuProcessStartCPUs", 1)] if resume_fails else [])
    o = perform(version, w, fault=fault)
    assert o["return"] == -1
    assert o["driver"]["events"] == [{"type": "suspended", "detail": 1, "domain": "web1"},
                                     {"type": "resumed", "detail": 1, "domain": "web1"}]
    if resume_fails:
        assert o["logs"] == ["error: Failed to resume guest web1 after failure"]
        assert o["after"]["state"] == "paused"
        assert names(o) == ["error-count"]     # the resume error overwrites the first one
    else:
        assert o["after"]["state"] == "running"
        assert o["after"]["reason"] == "migration canceled"
        assert o["violations"] == []


@pytest.mark.parametrize("version", ALL)
def test_perform_paused_guest_is_not_resumed(version):
    w = make_world(make_vm(state="paused"))
    o = perform(version, w, VIR_MIGRATE_PEER2PEER, fault=[("doPeer2PeerMigrate", 1)],
                peer_v3=False)
    assert o["return"] == -1 and o["driver"]["events"] == []
    assert o["after"]["state"] == "paused"
    # with a v3 peer, qemuMigrationConfirm (cancelled) runs 'cont' whatever the state was
    w = make_world(make_vm(state="paused"))
    o = perform(version, w, VIR_MIGRATE_PEER2PEER, fault=[("doPeer2PeerMigrate", 1)])
    assert o["return"] == -1 and o["after"]["state"] == "running"
    assert o["driver"]["events"] == [{"type": "resumed", "detail": 1, "domain": "web1"}]
    assert w.driver.saved_status[-1] == "web1"


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("uri,message", [
    ("tcp:dst.example.net:49x", "internal error cannot parse URI tcp:dst.example.net:49x"),
    ("tcp://dst example", "internal error cannot parse URI tcp://dst example"),
    (None, "internal error cannot parse URI (null)")])
def test_perform_native_unparseable_uri_leaves_guest_running(version, uri, message):
    o = perform(version, make_world(make_vm()), uri=uri)
    assert o["return"] == -1 and msg(o) == message
    assert o["after"]["state"] == "running" and o["driver"]["events"] == []


@pytest.mark.parametrize("version", ALL)
def test_perform_native_uri_allocation_failure_leaves_guest_running(version):
    o = perform(version, make_world(make_vm()), fault=[("virAsprintf", 1)])
    assert o["return"] == -1 and msg(o) == "out of memory"
    assert o["error"]["reporter"] == "doNativeMigrate"
    assert o["after"]["state"] == "running" and o["driver"]["events"] == []


@pytest.mark.parametrize("version", ALL)
def test_perform_live_failure_leaves_guest_running(version):
    o = perform(version, make_world(make_vm()), VIR_MIGRATE_LIVE, fault=[("doNativeMigrate", 1)])
    assert o["return"] == -1
    assert msg(o) == "operation failed: migration job: unexpectedly failed"
    assert o["after"]["state"] == "running" and o["driver"]["events"] == []


@pytest.mark.parametrize("version", ALL)
def test_perform_job_start_time_failure(version):
    o = perform(version, make_world(make_vm()), fault=[("virTimeMs", 1)])
    assert o["return"] == -1 and o["after"]["refs"] == 1 and o["violations"] == []


# --- the job helpers ---------------------------------------------------------------------

def _ported(version, name):
    return getattr(VERSIONS[version].module, name)


@pytest.mark.parametrize("version", ALL)
def test_job_start_masks(version):
    vm = make_vm()
    with make_world(vm).activate():
        drv = make_world().driver
        assert _ported(version, "qemuMigrationJobStart")(drv, vm, QEMU_ASYNC_JOB_MIGRATION_IN) == 0
        assert vm.privateData.job.mask == 2          # only destroy
        qemu_domain.qemuDomainObjDiscardAsyncJob(drv, vm)
        assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE
        assert _ported(version, "qemuMigrationJobStart")(drv, vm, QEMU_ASYNC_JOB_MIGRATION_OUT) == 0
        assert vm.privateData.job.mask == 0b111111 & ~0b1000   # query destroy suspend abort migop


@pytest.mark.parametrize("version", ALL)
def test_job_set_phase_backwards_is_logged_and_ignored(version):
    vm = make_vm(async_out=True)
    w = make_world(vm)
    with w.activate():
        set_phase = _ported(version, "qemuMigrationJobSetPhase")
        set_phase(w.driver, vm, QEMU_MIGRATION_PHASE_PREPARE)
        set_phase(w.driver, vm, QEMU_MIGRATION_PHASE_PERFORM2)
    assert vm.privateData.job.phase == QEMU_MIGRATION_PHASE_PREPARE
    assert w.logs == ["error: migration protocol going backwards prepare => perform2"]


@pytest.mark.parametrize("version", ALL)
def test_job_set_phase_without_async_job_does_nothing(version):
    vm = make_vm()
    w = make_world(vm)
    with w.activate():
        _ported(version, "qemuMigrationJobSetPhase")(w.driver, vm, QEMU_MIGRATION_PHASE_BEGIN3)
        qemu_domain.qemuDomainObjSetAsyncJobMask(vm, 0)
    assert vm.privateData.job.phase == 0 and vm.privateData.job.mask == 0b10011


@pytest.mark.parametrize("version", ALL)
def test_job_start_phase_takes_a_reference(version):
    vm = make_vm(async_out=True)
    w = make_world(vm)
    with w.activate():
        _ported(version, "qemuMigrationJobStartPhase")(w.driver, vm, QEMU_MIGRATION_PHASE_BEGIN3)
    assert vm.refs == 3 and vm.privateData.job.phase == QEMU_MIGRATION_PHASE_BEGIN3


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("job,held,expect", [
    (QEMU_ASYNC_JOB_MIGRATION_OUT, True, None),
    (QEMU_ASYNC_JOB_MIGRATION_OUT, False, "domain 'web1' is not being migrated"),
    (QEMU_ASYNC_JOB_MIGRATION_IN, False, "domain 'web1' is not processing incoming migration")])
def test_job_is_active(version, job, held, expect):
    vm = make_vm(async_out=held)
    w = make_world(vm)
    with w.activate():
        assert _ported(version, "qemuMigrationJobIsActive")(vm, job) is (expect is None)
    assert [e.raw for e in w.errors] == ([expect] if expect else [])


def test_end_job_and_discard_nested():
    vm = make_vm(job=QEMU_JOB_ASYNC_NESTED, async_out=True)
    w = make_world(vm)
    with w.activate():
        qemu_domain.qemuDomainObjDiscardAsyncJob(w.driver, vm)
        assert vm.privateData.job.active == QEMU_JOB_NONE
        assert qemu_domain.qemuDomainObjEndJob(w.driver, vm) == 2
    assert w.driver.saved_status == ["web1", "web1"]


def test_save_status_failure_warns():
    vm = make_vm(async_out=True)
    w = make_world(vm)
    w.reset_run(faults(("virDomainSaveStatus", 1)))
    with w.activate():
        qemu_domain.qemuDomainObjSetJobPhase(w.driver, vm, QEMU_MIGRATION_PHASE_BEGIN3)
    assert w.logs == ["warning: Failed to save status on vm web1"]


def test_nested_job_skips_async_wait():
    vm = make_vm(async_out=True)
    w = make_world(vm)
    with w.activate():
        assert qemu_domain.qemuDomainObjBeginJobInternal(w.driver, False, vm,
                                                         QEMU_JOB_ASYNC_NESTED, 0) == 0
    assert vm.privateData.job.active == QEMU_JOB_ASYNC_NESTED and vm.refs == 3


def test_ptr_repr():
    assert repr(Ptr(3)) == "Ptr(3)"


# --- paths that need a domain whose references run out --------------------------------------
# Upstream guards these with "== 0" checks; a domain left with no reference of its own
# (refs=0 in the list) reaches them.

@pytest.mark.parametrize("version", ALL)
def test_prepare_domain_disappeared(version):
    ghost = make_vm(state="shutoff")
    ghost.refs = 0
    o = prepare(version, make_world(ghost))
    assert o["return"] == -1
    assert msg(o) == "operation failed: domain disappeared"
    assert o["after"]["exists"] is False


@pytest.mark.parametrize("version", ALL)
def test_prepare_endjob_frees_domain(version):
    ghost = make_vm(state="shutoff")
    ghost.refs = 0
    o = prepare(version, make_world(ghost), faults=[("qemuProcessStart", 1)])
    assert o["return"] == -1 and o["after"]["exists"] is False


@pytest.mark.parametrize("version", ALL)
def test_perform_job_finish_frees_domain(version):
    vm = make_vm()
    vm.refs = 0
    o = perform(version, make_world(vm))
    assert o["return"] == 0 and o["after"]["exists"] is False


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("callee,nth", [("virDomainDefParseString", 1), ("virTimeMs", 2),
                                        ("virDomainAssignDef", 1)])
def test_prepare_early_faults(version, callee, nth):
    o = prepare(version, make_world(), faults=[(callee, nth)])
    assert o["return"] == -1 and msg(o) == (
        "cannot get time of day: Bad address" if callee == "virTimeMs" else "out of memory")
    assert o["after"] is None or o["after"]["async_job"] == "none"


@pytest.mark.parametrize("version", ALL)
def test_begin_xmlin_parse_fault(version):
    o = run_call(make_world(make_vm()), version,
                 Call("qemuMigrationBegin", "web1", {"xmlin": domain_xml()},
                      faults(("virDomainDefParseString", 1))))
    assert o["return"] is None and msg(o) == "out of memory"


@pytest.mark.parametrize("version", ALL)
def test_prepare_direct_port_wraps_on_tcp_host_uri(version):
    from qemu_migration.world.objects import Ptr as P
    w = make_world()
    w.statics["qemuMigrationPrepareDirect.port"] = P(63)
    o = prepare(version, w, "qemuMigrationPrepareDirect", uri_in="tcp:dst.example.net")
    assert o["out"]["uri_out"] == "tcp:dst.example.net:49215"
    assert o["statics"] == {"qemuMigrationPrepareDirect.port": 0}


@pytest.mark.parametrize("version", ALL)
@pytest.mark.parametrize("held,wakeups,ret", [
    ("async", ["end-async"], 0),
    ("job", ["end-job"], 0),
    ("job", ["end-job+start-async"], -1),           # goes round the retry, then times out
    ("job", ["end-job+start-async", "end-async"], 0)])
def test_perform_job_wait_woken_by_other_thread(version, held, wakeups, ret):
    vm = make_vm(async_out=held == "async", job=QEMU_JOB_MODIFY if held == "job" else 0)
    w = make_world(vm)
    c = Call("qemuMigrationPerformJob", "web1", {"uri": "tcp:dst.example.net:49152"},
             wakeups=list(wakeups))
    o = run_call(w, version, c)
    assert o["violations"] == []
    assert o["return"] == ret
    if ret == 0:
        assert o["after"]["refs"] == 1 and o["after"]["async_job"] == "none"
    else:
        assert msg(o) == LOCK


@pytest.mark.parametrize("version", ALL)
def test_begin_hostdev_refused_on_every_version(version):
    o = run_call(make_world(make_vm(hostdev="pci")), version, Call("qemuMigrationBegin", "web1"))
    assert o["return"] is None and msg(o) == HOSTDEV


@pytest.mark.parametrize("version", ALL)
def test_begin_xmlin_hostdev_count_differs(version):
    o = run_call(make_world(make_vm()), version,
                 Call("qemuMigrationBegin", "web1", {"xmlin": domain_xml(hostdev="usb")}))
    assert "host device count 1 does not match source 0" in msg(o)


@pytest.mark.parametrize("version", ALL)
def test_begin_xmlin_format_fault(version):
    o = run_call(make_world(make_vm()), version,
                 Call("qemuMigrationBegin", "web1", {"xmlin": domain_xml()},
                      faults(("qemuDomainDefFormatXML", 1))))
    assert o["return"] is None and o["error"]["domain"] == "VIR_FROM_DOMAIN"


@pytest.mark.parametrize("version", ALL)
def test_prepare_onto_defined_domain_restores_its_definition(version):
    existing = make_vm(state="shutoff")
    existing.def_.memory = 1
    o = prepare(version, make_world(existing), faults=[("virFDStreamOpen", 1)])
    assert o["return"] == -1 and existing.def_.memory == 1 and existing.newDef is None


@pytest.mark.parametrize("version", ALL)
def test_prepare_event_allocation_failure(version):
    o = prepare(version, make_world(), faults=[("virDomainEventNewFromObj", 1)])
    assert o["return"] == 0 and o["driver"]["events"] == []
    assert names(o) == ["error-count"]


@pytest.mark.parametrize("version", ALL)
def test_prepare_direct_port_overflow(version):
    o = prepare(version, make_world(), "qemuMigrationPrepareDirect",
                uri_in="tcp:dst.example.net:99999999999")
    assert msg(o) == "invalid argument: URI ended with incorrect ':port'"


def test_phase_names_out_of_range():
    from qemu_migration.world.constants import qemuMigrationJobPhaseTypeToString as name
    assert name(2) == "begin3" and name(10) is None and name(-1) is None


def test_begin_job_without_driver_lock_times_out():
    vm = make_vm(async_out=True)
    w = make_world(vm)
    with w.activate():
        assert qemu_domain.qemuDomainObjBeginJobInternal(w.driver, False, vm, QEMU_JOB_MODIFY,
                                                         0) == -1
    assert w.errors[0].message == LOCK and vm.refs == 2


# --- NULL is not empty: C tests pointers, not string contents ------------------------------

@pytest.mark.parametrize("version", ALL)
def test_empty_dname_renames_to_empty(version):
    o = prepare(version, make_world(), dname="")
    assert o["return"] == 0 and o["after"]["name"] == ""
    assert "    strdup" in o["trace"]


@pytest.mark.parametrize("version", ALL)
def test_empty_leases_carry_no_lockstate(version):
    o = prepare(version, make_world(), cookiein=src_cookie(leases=""))
    assert o["return"] == 0 and o["after"]["lockState"] is None


@pytest.mark.parametrize("version", ALL)
def test_empty_xmlin_is_parsed_not_skipped(version):
    o = run_call(make_world(make_vm()), version, Call("qemuMigrationBegin", "web1", {"xmlin": ""}))
    assert o["return"] is None
    assert msg(o) == "XML error: failed to parse xml document"


@pytest.mark.parametrize("version", ALL)
def test_any_non_null_stream_means_tunnel(version):
    from qemu_migration.world.constants import NULL
    w = make_world()
    with w.activate():
        mod = VERSIONS[version].module
        ret = mod.qemuMigrationPrepareTunnel(w.driver, "dconn", NULL, 0, Ptr(), Ptr(0), "",
                                             NULL, domain_xml())
    assert ret == 0 and any(t.name == "pipe" for t in w.trace)


# --- the label dispatch loops: a label a function does not have fails at once -------

PERFORM = Call("qemuMigrationPerformJob", "web1", {"uri": "tcp:dst.example.net:49152"})
PREPARED = {"dom_xml": domain_xml(name="in1", uuid=UUID2)}
LOOPS = [(v, f, c, label) for v in ALL for f, c, label in [
    ("qemuMigrationBegin", Call("qemuMigrationBegin", "web1"), "cleanup"),
    ("qemuMigrationPrepareAny", Call("qemuMigrationPrepareTunnel", None, PREPARED), "cleanup"),
    ("qemuMigrationPrepareDirect", Call("qemuMigrationPrepareDirect", None, PREPARED), "cleanup"),
    ("qemuMigrationPerformJob", PERFORM, "endjob")]]
# the held async job makes the job wait time out: BeginJobInternal goes to its error path
LOOPS.append(("qemu_domain", "qemuDomainObjBeginJobInternal", PERFORM, "error"))


@pytest.mark.parametrize("where,function,call,label", LOOPS)
def test_dispatch_loop_refuses_unknown_label(monkeypatch, where, function, call, label):
    """Each of the 13 dispatch loops (4 per version file, 1 in qemu_domain.py) ends in a
    ``case _:`` that raises, naming the function and the label, instead of looping."""
    module = qemu_domain if where == "qemu_domain" else VERSIONS[where].module
    misspelt_gotos(monkeypatch, module, function)
    w = make_world(make_vm(async_out=where == "qemu_domain"))
    with pytest.raises(NoSuchLabel) as e:
        run_call(w, "post" if where == "qemu_domain" else where, call)
    assert (e.value.function, e.value.label) == (function, label + "_misspelt")
    assert str(e.value) == "%s: no label '%s_misspelt'" % (function, label)
