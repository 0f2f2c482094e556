"""The loader: each format into the right state objects, field by field."""
import copy
import os
from pathlib import Path

import pytest

from qemu_migration.loader import (Call, LoadedSnapshotDef, Scenario,
                                   bundled_scenarios, bundled_scenarios_dir, describe,
                                   load_any, load_domain, load_scenario,
                                   load_snapshot, load_status, parse_domain_text)
from qemu_migration.port.registry import ENTRY_POINTS
from qemu_migration.world import stubs
from qemu_migration.world.constants import (DEFAULT_JOB_MASK, JOB_MASK,
                                            QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_NONE,
                                            QEMU_JOB_DESTROY, QEMU_JOB_MIGRATION_OP,
                                            QEMU_JOB_MODIFY, QEMU_JOB_NONE, QEMU_JOB_SUSPEND,
                                            QEMU_MIGRATION_PHASE_BEGIN3,
                                            QEMU_MIGRATION_PHASE_PERFORM2,
                                            QEMU_MIGRATION_PHASE_PREPARE, VIR_DOMAIN_JOB_NONE,
                                            VIR_DOMAIN_JOB_UNBOUNDED, VIR_DOMAIN_PAUSED,
                                            VIR_DOMAIN_PAUSED_MIGRATION, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_SHUTOFF, VIR_MIGRATE_LIVE,
                                            VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_PERSIST_DEST,
                                            VIR_MIGRATE_TUNNELLED)
from qemu_migration.world.objects import (DeviceAddr, DeviceInfo, DiskDef, DomainDef, DomainObj,
                                          DriveAddress, HostdevDef, MemballoonDef, NetDef,
                                          Ptr, SnapshotDef, STARTED_ELSEWHERE)
from qemu_migration.world.runtime import FaultPlan, World

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"
DOM = FIX / "domains"
SNAP = FIX / "snapshots"
SCEN = FIX / "scenarios"

WEB1 = "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a"
DB1 = "f0f703fb-1a16-4e98-807c-8f05b1815bd3"
KIOSK1 = "f8b82bb8-6c51-47cd-ad29-52368e25dce3"
CI1 = "f225fe26-36c3-4e67-8f58-7d2f39a9bdad"
MAIL1 = "ae855be9-3590-4edc-9282-4a752d2874a7"
MIGRATION_OUT_MASK = (DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND)
                      | JOB_MASK(QEMU_JOB_MIGRATION_OP) | JOB_MASK(QEMU_JOB_DESTROY))


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# --- domain XML -----------------------------------------------------------------------


def test_domain_definition_every_field():
    d = load_domain(DOM / "web1.xml")
    assert isinstance(d, DomainDef)
    assert (d.virtType, d.name, d.uuid, d.id) == ("kvm", "web1", WEB1, -1)
    assert (d.memory, d.vcpus) == (1048576, 2)
    assert d.hostdevs == [] and d.nhostdevs == 0
    assert [str(g) for g in d.graphics] == ["vnc"]
    assert d.source == str(DOM / "web1.xml")


def test_domain_pci_hostdev():
    d = load_domain(DOM / "db1.xml")
    assert d.hostdevs == [HostdevDef("subsystem", "pci", "0000:04:00.1")]
    assert (d.memory, d.vcpus) == (4194304, 4)


def test_domain_usb_hostdevs_by_id_and_by_address():
    d = load_domain(DOM / "kiosk1.xml")
    assert d.virtType == "qemu"
    assert d.hostdevs == [HostdevDef("subsystem", "usb", "0bda:0129"),
                          HostdevDef("subsystem", "usb", "bus 2 device 7")]
    assert [str(g) for g in d.graphics] == ["spice"]


def test_domain_vcpu_current_is_the_count():
    ci1 = load_status(DOM / "ci1.status.xml")
    assert ci1.def_.vcpus == 2      # <vcpu current='2'>4</vcpu>


def test_domain_id_kept_unless_inactive(tmp_path):
    text = ("<domain type='kvm' id='9'><name>a</name><uuid>%s</uuid><memory>1</memory>"
            "</domain>" % WEB1)
    p = write(tmp_path, "a.xml", text)
    assert load_domain(p).id == 9
    assert load_domain(p, inactive=True).id == -1
    # the stubs parse as upstream's callers do, with VIR_DOMAIN_XML_INACTIVE
    assert parse_domain_text(text, "<xml>").id == -1
    assert parse_domain_text(text, "<xml>", inactive=False).id == 9


def test_parse_domain_text_matches_file_and_takes_source():
    text = (DOM / "db1.xml").read_text()
    d = parse_domain_text(text, "<xml>")
    f = load_domain(DOM / "db1.xml")
    assert d.source == "<xml>"
    assert (d.name, d.uuid, d.memory, d.vcpus, d.hostdevs, [str(g) for g in d.graphics]) == \
        (f.name, f.uuid, f.memory, f.vcpus, f.hostdevs, [str(g) for g in f.graphics])
    # bytes work too
    assert parse_domain_text(text.encode(), "<xml>").name == "db1"


def test_domain_defaults_and_uuid_normalised(tmp_path):
    p = write(tmp_path, "d.xml", "<domain type='qemu'><name> spaced </name>"
              "<uuid>3379D1AD4AA1496BBA7D755CC61C5B8A</uuid><memory> 2048 </memory>"
              "<devices><disk type='file'><target dev='hdc'/></disk><interface type='network'>"
              "<mac address='52:54:00:0A:0b:0c'/></interface></devices></domain>")
    d = load_domain(p)
    assert (d.name, d.uuid, d.vcpus, d.memory) == ("spaced", WEB1, 1, 2048)
    assert d.hostdevs == [] and d.graphics == []
    # what the parser and the host's capabilities fill in
    assert (d.os_type, d.os_arch, d.os_machine, d.os_smbios_mode, d.features) == \
        ("hvm", "x86_64", "pc", 0, 0)
    assert d.memballoon == MemballoonDef(0) and d.inputs == [] and d.videos == []
    # hdc: ide (from the name), drive address controller 0, bus 1, unit 0
    assert d.disks == [DiskDef(0, 0, "hdc", info=DeviceInfo(2, DeviceAddr(
        drive=DriveAddress(0, 1, 0))))]
    assert d.nets == [NetDef(b"\x52\x54\x00\x0a\x0b\x0c")]


def test_hostdev_numbers_in_c_bases(tmp_path):
    p = write(tmp_path, "h.xml", "<domain type='kvm'><name>h</name><uuid>%s</uuid>"
              "<memory>1</memory><devices>"
              "<hostdev type='pci' managed='yes'><source><address bus='010' slot='0x1f' "
              "function='7'/></source></hostdev>"
              "<hostdev mode='subsystem' type='usb'><source><address bus='0x2' device='10'/>"
              "</source></hostdev></devices></domain>" % WEB1)
    d = load_domain(p)
    assert d.hostdevs == [HostdevDef("subsystem", "pci", "0000:08:1f.7"),
                          HostdevDef("subsystem", "usb", "bus 2 device 10")]


# --- status XML -----------------------------------------------------------------------------


def test_status_running_no_job():
    vm = load_status(DOM / "web1.status.xml")
    assert isinstance(vm, DomainObj)
    assert (vm.state, vm.reason) == (VIR_DOMAIN_RUNNING, 1)     # running (booted)
    assert vm.def_.id == 7 and vm.def_.name == "web1" and vm.def_.uuid == WEB1
    assert (vm.persistent, vm.refs, vm.locked, vm.freed, vm.autodestroy) == \
        (True, 1, False, False, False)
    job = vm.privateData.job
    assert (job.active, job.asyncJob, job.phase, job.mask, job.info_type) == \
        (QEMU_JOB_NONE, QEMU_ASYNC_JOB_NONE, 0, DEFAULT_JOB_MASK, VIR_DOMAIN_JOB_NONE)
    assert vm.privateData.lockState is None
    assert vm.snapshots.objs == {}
    assert vm.newDef is None
    assert vm.pid == 4242 and vm.vcpupids == [4251, 4252]
    assert vm.monitor == "/var/lib/libvirt/qemu/web1.monitor"


def test_status_paused_user():
    vm = load_status(DOM / "kiosk1.status.xml")
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_PAUSED, 1, 5)
    assert len(vm.def_.hostdevs) == 2


def test_status_migration_out_held_in_begin3():
    vm = load_status(DOM / "files1.begin3.status.xml")
    job = vm.privateData.job
    assert (job.active, job.asyncJob, job.phase) == \
        (QEMU_JOB_NONE, QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_MIGRATION_PHASE_BEGIN3)
    assert job.mask == MIGRATION_OUT_MASK
    assert job.info_type == VIR_DOMAIN_JOB_UNBOUNDED
    assert vm.privateData.lockState == "sanlock:files1-lease:3"
    assert vm.refs == 2


def test_status_migration_out_held_in_perform2():
    vm = load_status(DOM / "archive1.perform2.status.xml")
    job = vm.privateData.job
    assert (job.asyncJob, job.phase) == (QEMU_ASYNC_JOB_MIGRATION_OUT,
                                         QEMU_MIGRATION_PHASE_PERFORM2)
    assert (vm.state, vm.reason) == (VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION)


def test_status_migration_in():
    vm = load_status(DOM / "web1.incoming.status.xml")
    job = vm.privateData.job
    assert (job.asyncJob, job.phase) == (QEMU_ASYNC_JOB_MIGRATION_IN,
                                         QEMU_MIGRATION_PHASE_PREPARE)
    assert job.mask == JOB_MASK(QEMU_JOB_DESTROY)
    assert job.info_type == VIR_DOMAIN_JOB_UNBOUNDED


def test_status_modify_job_held():
    vm = load_status(DOM / "backup1.modify.status.xml")
    job = vm.privateData.job
    assert (job.active, job.asyncJob, job.mask, job.info_type) == \
        (QEMU_JOB_MODIFY, QEMU_ASYNC_JOB_NONE, DEFAULT_JOB_MASK, VIR_DOMAIN_JOB_NONE)
    assert vm.refs == 2


STATUS = ("<domstatus state='%s'%s pid='1'><monitor path='/m'/>%s"
          "<domain type='kvm'%s><name>s</name><uuid>" + WEB1 + "</uuid><memory>1</memory>"
          "</domain></domstatus>")


def test_status_job_name_none_reads_as_none_and_save_phase_none(tmp_path):
    p = write(tmp_path, "s.xml", STATUS % ("running", "", "<job type='none' async='save' "
                                           "phase='none'/>", " id='3'"))
    vm = load_status(p)
    job = vm.privateData.job
    assert (job.active, job.asyncJob, job.phase, job.mask) == (0, 3, 0, DEFAULT_JOB_MASK)
    assert vm.reason == 0 and vm.refs == 2


def test_status_shutoff_without_id(tmp_path):
    p = write(tmp_path, "s.xml", STATUS % ("shutoff", " reason='migrated'", "", ""))
    vm = load_status(p)
    assert (vm.state, vm.reason, vm.def_.id) == (VIR_DOMAIN_SHUTOFF, 4, -1)


# --- snapshots --------------------------------------------------------------------------------


def test_snapshot_every_field():
    s = load_snapshot(SNAP / "web1-after-upgrade.xml")
    assert isinstance(s, SnapshotDef) and isinstance(s, LoadedSnapshotDef)
    assert (s.name, s.parent, s.state, s.creationTime) == \
        ("after-upgrade", "before-upgrade", "running", 1314957600)
    assert s.description == "Site running on the new release"
    assert s.domain_uuid == WEB1
    assert s.source == str(SNAP / "web1-after-upgrade.xml")


def test_snapshot_root_and_shutoff():
    assert load_snapshot(SNAP / "web1-before-upgrade.xml").parent is None
    assert load_snapshot(SNAP / "web1-nightly.xml").state == "shutoff"
    assert load_snapshot(SNAP / "db1-schema-v2.xml").domain_uuid == DB1


def test_snapshot_minimal(tmp_path):
    p = write(tmp_path, "s.xml", "<domainsnapshot><name>x</name><state>paused</state>"
              "<creationTime>5</creationTime></domainsnapshot>")
    s = load_snapshot(p)
    assert (s.name, s.parent, s.state, s.creationTime, s.description, s.domain_uuid) == \
        ("x", None, "paused", 5, None, None)


# --- load_any and describe --------------------------------------------------------------------


@pytest.mark.parametrize("path,kind", [
    (DOM / "web1.xml", DomainDef), (DOM / "web1.status.xml", DomainObj),
    (SNAP / "web1-nightly.xml", SnapshotDef), (SCEN / "begin-plain.xml", Scenario)])
def test_load_any_by_root(path, kind):
    obj = load_any(path)
    assert isinstance(obj, kind)
    text = describe(obj)
    assert text.count("\n") >= 1 and str(path) in text


def test_load_any_keeps_domain_id():
    assert load_any(DOM / "web1.status.xml").def_.id == 7


def test_describe_texts():
    assert "hostdev subsystem pci 0000:04:00.1" in describe(load_any(DOM / "db1.xml"))
    st = describe(load_any(DOM / "files1.begin3.status.xml"))
    assert "async job migration out" in st and "phase begin3" in st
    assert "lockstate sanlock:files1-lease:3" in st
    assert "parent before-upgrade" in describe(load_any(SNAP / "web1-after-upgrade.xml"))
    sc = describe(load_scenario(SCEN / "perform-p2p-snapshots-twice.xml"))
    assert "call 2: qemuMigrationPerformJob on web1" in sc
    assert "flags=live peer2peer" in sc and "snapshot nightly-2011-09-10" in sc
    assert "peer-v3=yes" in sc
    sc = describe(load_scenario(SCEN / "perform-fault-doNativeMigrate-qemuProcessStartCPUs.xml"))
    assert "faults: doNativeMigrate#1, qemuProcessStartCPUs#1" in sc
    assert "static qemuMigrationPrepareDirect.port = 63" in describe(
        load_scenario(SCEN / "prepare-direct-port-wrap.xml"))
    assert "no domains" in describe(load_scenario(SCEN / "prepare-tunnel-new.xml"))
    with pytest.raises(TypeError):
        describe(object())


# --- scenarios --------------------------------------------------------------------------------


def test_bundled_dir_and_every_bundled_scenario_loads_and_builds():
    assert bundled_scenarios_dir() == SCEN
    paths = bundled_scenarios()
    assert len(paths) >= 40
    names = set()
    for p in paths:
        sc = load_scenario(p)
        assert sc.name == p.stem, p
        assert sc.description, p
        assert sc.calls, p
        names.add(sc.name)
        world = sc.build_world()
        assert isinstance(world, World)
        for call in sc.calls:
            assert isinstance(call, Call)
            assert set(call.args) == set(ENTRY_POINTS[call.function].args) - {"peer-v3"}
            if call.domain:
                assert world.driver.find_by_name(call.domain) is not None
    assert len(names) == len(paths)


def test_scenario_fields_and_world():
    sc = load_scenario(SCEN / "perform-p2p-snapshots-twice.xml")
    assert sc.name == "perform-p2p-snapshots-twice"
    assert sc.path == str(SCEN / "perform-p2p-snapshots-twice.xml")
    assert "leaks the async job" in sc.description
    assert len(sc.calls) == 2
    c = sc.calls[0]
    assert c.function == "qemuMigrationPerformJob" and c.domain == "web1"
    assert c.args == {"flags": VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, "v3proto": False,
                      "uri": None, "dconnuri": "qemu+ssh://dest.example.org/system",
                      "xmlin": None, "dname": None, "resource": 0, "cookiein": None}
    assert c.peer_v3 is True and not c.faults and c.wakeups == []
    w = sc.build_world()
    drv = w.driver
    assert drv.hostname == "src.example.org"
    assert list(drv.domains) == [WEB1]
    vm = drv.domains[WEB1]
    assert (vm.refs, vm.locked, vm.persistent) == (1, False, True)
    assert sorted(vm.snapshots.objs) == ["after-upgrade", "before-upgrade",
                                         "nightly-2011-09-10"]
    assert vm.snapshots.objs["nightly-2011-09-10"].parent == "after-upgrade"
    assert drv.autodestroy == {}
    assert drv.nextvmid == 8
    assert w.statics == {}


def test_build_world_is_fresh_each_time():
    sc = load_scenario(SCEN / "begin-snapshots-3.xml")
    w1, w2 = sc.build_world(), sc.build_world()
    vm1, vm2 = w1.driver.domains[WEB1], w2.driver.domains[WEB1]
    assert vm1 is not vm2 and vm1.def_ is not vm2.def_
    assert vm1.privateData.job is not vm2.privateData.job
    vm1.refs = 99
    vm1.snapshots.objs.clear()
    vm1.def_.id = -1
    vm3 = sc.build_world().driver.domains[WEB1]
    assert (vm3.refs, len(vm3.snapshots.objs), vm3.def_.id) == (1, 3, 7)


def test_scenario_autodestroy_transient():
    w = load_scenario(SCEN / "isallowed-autodestroy.xml").build_world()
    vm = w.driver.domains[CI1]
    assert w.driver.autodestroy == {CI1: STARTED_ELSEWHERE}
    assert vm.autodestroy and not vm.persistent
    assert w.driver.nextvmid == 22


def test_scenario_defined_domain_is_shut_off_and_persistent():
    w = load_scenario(SCEN / "prepare-tunnel-already-defined.xml").build_world()
    assert w.driver.hostname == "dest.example.org"
    vm = w.driver.domains[WEB1]
    assert (vm.state, vm.reason, vm.def_.id, vm.persistent, vm.refs) == \
        (VIR_DOMAIN_SHUTOFF, 0, -1, True, 1)
    assert MAIL1 in w.driver.domains
    assert w.driver.nextvmid == 1


def test_scenario_job_held_refs():
    w = load_scenario(SCEN / "begin-v3-job-held.xml").build_world()
    vm = w.driver.find_by_name("files1")
    assert vm.refs == 2 and vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_OUT


def test_scenario_statics_are_ptrs():
    sc = load_scenario(SCEN / "prepare-direct-port-wrap.xml")
    assert sc.statics == {"qemuMigrationPrepareDirect.port": 63}
    w = sc.build_world()
    p = w.statics["qemuMigrationPrepareDirect.port"]
    assert isinstance(p, Ptr) and p.value == 63
    p.value = 0
    assert sc.build_world().statics["qemuMigrationPrepareDirect.port"].value == 63


def test_scenario_prepare_args_and_localhost():
    sc = load_scenario(SCEN / "prepare-direct-localhost.xml")
    c = sc.calls[0]
    assert c.domain is None
    assert c.args["dom_xml"] == (DOM / "web1.xml").read_text()
    assert c.arg_files == {"dom_xml": str(DOM / "web1.xml")}
    assert (c.args["dname"], c.args["cookiein"], c.args["uri_in"]) == (None, None, None)
    assert sc.build_world().driver.hostname == "localhost.localdomain"
    assert load_scenario(SCEN / "prepare-direct-uri-bad-port.xml").calls[0].args["uri_in"] \
        == "tcp:dest.example.org:12x"


def test_scenario_tunnel_args():
    c = load_scenario(SCEN / "prepare-tunnel-dname.xml").calls[0]
    assert c.args["dname"] == "web1-dr"
    assert c.args["cookiein"].startswith("<qemu-migration>\n  <name>web1</name>\n")
    assert c.args["st"] is True
    assert load_scenario(SCEN / "prepare-tunnel-no-stream.xml").calls[0].args["st"] is False


def test_scenario_begin_args():
    c = load_scenario(SCEN / "begin-plain.xml").calls[0]
    assert c.args == {"xmlin": None}
    c = load_scenario(SCEN / "begin-xmlin-abi-mismatch.xml").calls[0]
    d = parse_domain_text(c.args["xmlin"], "<xml>")
    assert (d.vcpus, d.maxvcpus, d.memory) == (2, 4, 1048576)
    c = load_scenario(SCEN / "begin-xmlin-memory-differs.xml").calls[0]
    d = parse_domain_text(c.args["xmlin"], "<xml>")
    assert (d.vcpus, d.maxvcpus, d.memory) == (2, 2, 2097152)


def test_scenario_isallowed_def_and_domain():
    c = load_scenario(SCEN / "isallowed-def-pci-hostdev.xml").calls[0]
    assert c.domain is None and isinstance(c.args["def"], DomainDef)
    assert c.args["def"].nhostdevs == 1
    c = load_scenario(SCEN / "isallowed-plain.xml").calls[0]
    assert c.domain == "web1" and c.args == {"def": None}


def test_scenario_perform_args():
    c = load_scenario(SCEN / "perform-p2p-xmlin-dname.xml").calls[0]
    assert c.args["flags"] == VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST
    assert (c.args["dname"], c.args["resource"]) == ("web1-dr", 32)
    assert c.args["xmlin"].startswith("<domain type='kvm'>")
    c = load_scenario(SCEN / "perform-tunnelled.xml").calls[0]
    assert c.args["flags"] == VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED
    assert load_scenario(SCEN / "perform-native-v3.xml").calls[0].args["v3proto"] is True
    assert load_scenario(SCEN / "perform-p2p-peer-v2.xml").calls[0].peer_v3 is False
    assert load_scenario(SCEN / "perform-native-v2.xml").calls[0].args["flags"] == 0


def test_scenario_faults():
    c = load_scenario(SCEN / "perform-fault-virDomainSaveStatus.xml").calls[0]
    assert isinstance(c.faults, FaultPlan)
    assert c.faults.pairs() == [("virDomainSaveStatus", 2)]


def test_every_faultable_stub_has_a_bundled_fault_scenario():
    faulted = set()
    for p in bundled_scenarios():
        for c in load_scenario(p).calls:
            faulted.update(name for name, _ in c.faults.pairs())
    assert faulted == set(stubs.FAULTABLE)


def test_faultable_stubs_are_the_faultable_wrappers():
    names = stubs.FAULTABLE
    assert "virTimeMs" in names and "qemuDriverLock" not in names
    assert names == sorted(n for n, f in vars(stubs).items()
                           if getattr(f, "faultable", None) is True)


SCENARIO_HEAD = "<scenario name='t'><host>%s</host>%s</scenario>"


def test_scenario_written_by_hand(tmp_path):
    dom = str(DOM / "web1.status.xml")
    p = write(tmp_path, "t.xml", SCENARIO_HEAD % (
        "<domain file='%s' persistent='no' autodestroy='yes' refs='3'>"
        "<snapshot file='%s'/></domain>" % (dom, SNAP / "web1-before-upgrade.xml"),
        "<call function='qemuMigrationPerformJob' domain='web1'>"
        "<arg name='flags'></arg><arg name='uri'></arg><arg name='resource'>7</arg>"
        "<arg name='peer-v3'>no</arg><fault callee='virTimeMs'/>"
        "<fault callee='virTimeMs' nth='3'/><wakeup what='end-job'/>"
        "<wakeup what='end-async'/></call>"))
    sc = load_scenario(p)
    assert sc.description == "" and sc.hostname == "dest.example.org"
    c = sc.calls[0]
    assert (c.args["flags"], c.args["uri"], c.args["resource"], c.peer_v3) == (0, "", 7, False)
    assert c.faults.pairs() == [("virTimeMs", 1), ("virTimeMs", 3)]
    assert c.wakeups == ["end-job", "end-async"]
    vm = sc.build_world().driver.domains[WEB1]
    assert (vm.refs, vm.persistent, vm.autodestroy) == (3, False, True)
    assert "while waiting, other threads: end-job, end-async" in describe(sc)


def test_scenario_relative_paths_resolve_against_the_scenario(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "doms").mkdir()
    (tmp_path / "doms" / "w.xml").write_text((DOM / "web1.xml").read_text())
    p = write(tmp_path / "sub", "t.xml", SCENARIO_HEAD % (
        "<domain file='../doms/w.xml'/>",
        "<call function='qemuMigrationIsAllowed' domain='web1'/>"))
    sc = load_scenario(p)
    assert sc.domains[0].file == str(tmp_path / "doms" / "w.xml")
    assert sc.domains[0].kind == "domain"


def test_call_is_a_plain_dataclass():
    c = Call("qemuMigrationBegin", "web1", {"xmlin": None})
    assert c.faults.pairs() == [] and c.peer_v3 is True and c.wakeups == []
    assert copy.deepcopy(c) == c


def test_less_common_shapes(tmp_path):
    d = write(tmp_path, "d.xml", "<domain type='kvm'><name>p</name><uuid>%s</uuid>"
              "<memory>1</memory><devices><hostdev type='pci'><source>"
              "<address bus='1' slot='2'/><state devaddr='00:02.0'/></source></hostdev>"
              "</devices></domain>" % WEB1)
    assert load_domain(d).hostdevs[0].source == "0000:01:02.0"
    s = write(tmp_path, "s.xml", "<domainsnapshot><name>n</name><state>running</state>"
              "<creationTime>3</creationTime><domain/></domainsnapshot>")
    assert load_snapshot(s).domain_uuid is None
    assert describe(load_snapshot(s)).count("\n") == 0
    st = write(tmp_path, "st.xml", STATUS % ("running", "", "<job async='migration out'/>",
                                            " id='2'"))
    job = load_status(st).privateData.job
    assert (job.active, job.asyncJob, job.phase) == (QEMU_JOB_NONE, QEMU_ASYNC_JOB_MIGRATION_OUT,
                                                     0)
    text = describe(load_any(DOM / "report1.status.xml"))
    assert "graphics" not in text
    sc = write(tmp_path, "sc.xml", "<scenario name='n'><call function='qemuMigrationIsAllowed'>"
               "<arg name='def' file='%s'/></call></scenario>" % (DOM / "web1.xml"))
    text = describe(load_scenario(sc))
    assert text.splitlines()[1] == "host dest.example.org"
    assert "def=<file %s>" % (DOM / "web1.xml") in text


# --- finding scenario files in a folder -----------------------------------------------------

def test_scenario_files_by_root_element(tmp_path):
    from qemu_migration.loader import is_scenario_file, scenario_files
    from qemu_migration.loader.discover import root_tag
    fx = Path(__file__).resolve().parent.parent / "fixtures"
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    scen = tmp_path / "sub" / "deeper" / os.fsdecode(b"odd\xff.xml")
    scen.write_bytes((fx / "scenarios" / "begin-plain.xml").read_bytes())
    (tmp_path / "web1.xml").write_bytes((fx / "domains" / "web1.xml").read_bytes())
    (tmp_path / "snap.xml").write_bytes((fx / "snapshots" / "web1-nightly.xml").read_bytes())
    (tmp_path / "notes.txt").write_text("<scenario/>")
    broken = tmp_path / "broken.xml"
    broken.write_text("no XML at all")
    # a DTD is not read, nor its entities expanded, to learn the root
    dtd = tmp_path / "dtd.xml"
    dtd.write_text('<!DOCTYPE scenario [<!ENTITY a "b">]><scenario>&a;</scenario>')
    (tmp_path / "folder.xml").mkdir()
    os.mkfifo(tmp_path / "fifo.xml")        # never opened: it would block
    assert scenario_files(tmp_path) == [broken, dtd, scen]
    assert root_tag(tmp_path / "web1.xml") == "domain"
    assert root_tag(broken) is None
    assert root_tag(tmp_path / "folder.xml") is None
    assert not is_scenario_file(tmp_path / "notes.txt")
    assert scenario_files(tmp_path / "sub" / "deeper") == [scen]
