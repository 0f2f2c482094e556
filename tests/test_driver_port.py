"""port/driver.py: qemu_driver.c's migration entry points and what the client asks of a host.

Each entry point runs in a host's unit (port/unit.py) on a host's world.  The
functions of qemu_migration.c that port/protocol.py will hold (qemuMigrationPerform,
qemuMigrationFinish, qemuMigrationConfirm) are not on main yet: the tests bind the
driver with local test doubles for those (``Recorder``), which record what the
entry point hands them; the rest (qemuMigrationBegin, the prepares, the job helpers)
are the version's real ports.
"""
import inspect
import types

import pytest

import qemu_migration.loader  # noqa: F401  (installs the domain parser the prepares use)
from conftest import (SOURCE_HOSTUUID, UUID1, UUID2, domain_xml, faults, make_vm,
                      make_world, misspelt_gotos)
from qemu_migration.port import VERSION_NAMES, driver
from qemu_migration.port.driver import DRIVER_TABLE, UNIT, NotInUnit, qemudSupportsFeature
from qemu_migration.port.unit import entry_points, unit
from qemu_migration.world import hosts
from qemu_migration.world.objects import MemballoonDef, QemuMonitor
from qemu_migration.engine.outcome import trace_args
from qemu_migration.world.constants import (VIR_DOMAIN_MEMBALLOON_MODEL_NONE,
                                            QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_NONE,
                                            QEMU_JOB_ASYNC, QEMU_JOB_MODIFY, QEMU_JOB_NONE,
                                            QEMU_JOB_QUERY, QEMU_MIGRATION_PHASE_BEGIN3,
                                            QEMU_MIGRATION_PHASE_CONFIRM3,
                                            QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED,
                                            VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_SHUTOFF, VIR_MIGRATE_CHANGE_PROTECTION,
                                            VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_TUNNELLED, VIR_MIGRATE_UNDEFINE_SOURCE)
from qemu_migration.world.hosts import Connection, Domain, DomainInfo, Host
from qemu_migration.world.objects import OutParam
from qemu_migration.world.constants import NULL
from qemu_migration.world.runtime import NoSuchLabel, ported
from qemu_migration.world import stubs_driver
from qemu_migration.world.stubs_driver import CPU_TIME_NS, FieldPtr

LOCK = "Timed out during operation: cannot acquire state change lock"
CP = VIR_MIGRATE_CHANGE_PROTECTION
STREAM = "stream"


class Recorder:
    """A test double for a qemu_migration.c function not yet on main: records each call's
    arguments and answers ``ret`` (or what ``act`` returns, given the arguments)."""

    def __init__(self, name, ret=0, act=None):
        self.name = name
        self.ret = ret
        self.act = act
        self.calls = []

        def double(*args):
            self.calls.append(args)
            return self.act(*args) if self.act else self.ret
        double.__name__ = name
        self.fn = ported(double)


def bound(version, **doubles):
    """The driver's functions of ``version``'s unit, with ``doubles`` (name -> function)
    in their scope as well: what the unit gives once protocol.py is there."""
    u = unit(version)
    scope = dict(vars(driver))
    scope.update(vars(u))
    scope.update(doubles)
    out = {}
    for name in UNIT:
        fn = inspect.unwrap(getattr(driver, name))
        out[name] = ported(types.FunctionType(fn.__code__, scope, name))
    scope.update(out)
    return out


class Rig:
    """One host (its world, its unit's driver functions bound with doubles) and a
    connection to it."""

    def __init__(self, version="post", vms=(), name="source", **doubles):
        self.perform = Recorder("qemuMigrationPerform", 0)
        self.finish = Recorder("qemuMigrationFinish", None)
        self.confirm = Recorder("qemuMigrationConfirm", 0)
        given = {"qemuMigrationPerform": self.perform.fn, "qemuMigrationFinish": self.finish.fn,
                 "qemuMigrationConfirm": self.confirm.fn}
        given.update(doubles)
        self.world = make_world(*vms)
        self.world.driver.locked = False        # no one holds it between calls
        if name == "source":                    # two hosts, told apart by the cookies
            self.world.driver.hostname = "src.example.net"
            self.world.driver.hostuuid = SOURCE_HOSTUUID
        self.fn = bound(version, **given)
        self.host = Host(name, version, self.world, "qemu+tcp://%s/system" % name)
        self.host.entry = {m: self.fn[f] for m, f in DRIVER_TABLE.items()}
        self.conn = Connection(self.host)

    def dom(self, name="web1", uuid=UUID1):
        return Domain(self.conn, name, uuid)

    def call(self, fname, *args, faults_=None):
        self.world.reset_run(faults_)
        with self.world.activate():
            return self.fn[fname](*args)

    @property
    def errors(self):
        return [e.message for e in self.world.errors]

    def names(self):
        return [t.name for t in self.world.trace]


def vm_of(rig, uuid=UUID1):
    return rig.world.driver.domains.get(uuid)


# --- the table ----------------------------------------------------------------------------

def test_the_table_names_functions_of_the_unit_and_members_the_wire_knows():
    assert set(DRIVER_TABLE.values()) == set(UNIT)
    # the qemu driver has every member a migration uses but v1's (qemuDriver leaves them NULL)
    assert set(hosts.MEMBERS) - set(DRIVER_TABLE) == {"domainMigratePrepare",
                                                      "domainMigrateFinish"}
    # and close, which only a connection's release calls (hosts.remote_close)
    assert set(DRIVER_TABLE) - set(hosts.MEMBERS) == {"close"}
    for version in VERSION_NAMES:
        table = entry_points(version)
        assert table["domainMigrateBegin3"].__name__ == "qemuDomainMigrateBegin3"


def test_module_level_callees_refuse_outside_a_unit():
    with pytest.raises(NotInUnit, match="qemuMigrationPerform resolves in a host's unit"):
        driver.qemuMigrationPerform(1, 2)


def test_the_unit_binds_the_versions_begin():
    for version in VERSION_NAMES:
        u = unit(version)
        scope = inspect.unwrap(u.qemuDomainMigrateBegin3).__globals__
        assert scope["qemuMigrationBegin"] is u.qemuMigrationBegin


# --- qemudSupportsFeature ------------------------------------------------------------------

@pytest.mark.parametrize("feature,answer", [
    (hosts.VIR_DRV_FEATURE_MIGRATION_V1, 0), (hosts.VIR_DRV_FEATURE_REMOTE, 0),
    (hosts.VIR_DRV_FEATURE_MIGRATION_V2, 1), (hosts.VIR_DRV_FEATURE_MIGRATION_P2P, 1),
    (hosts.VIR_DRV_FEATURE_MIGRATION_DIRECT, 0), (hosts.VIR_DRV_FEATURE_MIGRATION_V3, 1),
    (hosts.VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION, 1), (99, 0)])
def test_supports_feature(feature, answer):
    r = Rig()
    assert r.call("qemudSupportsFeature", r.conn, feature) == answer
    # a host's declared features are what its qemu driver answers yes to
    assert (feature in r.host.features) == bool(answer)
    assert r.names() == ["qemudSupportsFeature"]
    assert qemudSupportsFeature.__wrapped__(None, feature) == answer


# --- qemudDomainLookupByName ------------------------------------------------------------------

def test_lookup_by_name_gives_a_handle_with_the_id():
    r = Rig(vms=[make_vm()])
    dom = r.call("qemudDomainLookupByName", r.conn, "web1")
    assert dom == Domain(r.conn, "web1", UUID1, 7)
    assert not vm_of(r).locked and not r.world.driver.locked
    assert r.names() == ["qemudDomainLookupByName", "qemuDriverLock", "virDomainFindByName",
                         "qemuDriverUnlock", "virGetDomain", "virDomainObjUnlock"]


def test_lookup_by_name_of_an_unknown_domain():
    r = Rig(vms=[make_vm()])
    assert r.call("qemudDomainLookupByName", r.conn, "db9") is None
    assert r.errors == ["Domain not found: no domain with matching name 'db9'"]
    assert r.world.errors[0].reporter == "qemudDomainLookupByName"


def test_lookup_by_name_when_the_handle_cannot_be_made():
    r = Rig(vms=[make_vm()])
    assert r.call("qemudDomainLookupByName", r.conn, "web1",
                  faults_=faults(("virGetDomain", 1))) is None
    assert r.errors == ["out of memory"] and r.world.errors[0].domain == 0
    assert not vm_of(r).locked


# --- qemudDomainGetInfo ---------------------------------------------------------------------

def info_of(r, uuid=UUID1, faults_=None):
    info = DomainInfo()
    ret = r.call("qemudDomainGetInfo", r.dom(uuid=uuid), info, faults_=faults_)
    return ret, info


def test_get_info_of_a_running_guest_asks_the_monitor_under_a_query_job():
    r = Rig(vms=[make_vm()])
    ret, info = info_of(r)
    assert ret == 0
    assert info == DomainInfo(VIR_DOMAIN_RUNNING, 524288, 524288, 1, CPU_TIME_NS)
    vm = vm_of(r)
    # the CPU time of the whole process: tid 0 (L2216)
    assert [e.args[2:] for e in r.world.trace if e.name == "qemudGetProcessInfo"] == [
        (vm.pid, 0)]
    assert vm.refs == 1 and vm.privateData.job.active == QEMU_JOB_NONE and not vm.locked
    assert r.names() == [
        "qemudDomainGetInfo", "qemuDriverLock", "virDomainFindByUUID", "qemuDriverUnlock",
        "virDomainObjGetState", "qemudGetProcessInfo", "qemuDomainObjBeginJob",
        "qemuDomainObjBeginJobInternal", "virTimeMs", "virDomainObjRef",
        "qemuDomainJobAllowed", "qemuDomainJobAllowed", "qemuDomainObjResetJob",
        "qemuDomainObjSaveJob", "virDomainSaveStatus", "qemuDomainObjEnterMonitor",
        "qemuMonitorGetBalloonInfo", "qemuDomainObjExitMonitor", "qemuDomainObjEndJob",
        "qemuDomainObjResetJob", "qemuDomainObjSaveJob", "virDomainSaveStatus",
        "virCondSignal", "virDomainObjUnref", "virDomainObjUnlock"]


def test_get_info_of_a_paused_guest_during_an_outgoing_migration():
    # v3: the client asks after Begin3 left the migration job: a query job is admitted
    r = Rig(vms=[make_vm(state="paused", async_out=True)])
    ret, info = info_of(r)
    assert ret == 0 and info.state == VIR_DOMAIN_PAUSED
    assert vm_of(r).privateData.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_OUT
    assert "qemuMonitorGetBalloonInfo" in r.names()


def test_get_info_of_a_shut_off_guest():
    vm = make_vm(state="shutoff")
    vm.def_.cur_balloon = 262144
    r = Rig(vms=[vm])
    ret, info = info_of(r)
    assert ret == 0
    assert info == DomainInfo(VIR_DOMAIN_SHUTOFF, 524288, 262144, 1, 0)
    assert "qemudGetProcessInfo" not in r.names() and "qemuDomainObjBeginJob" not in r.names()


def test_get_info_without_a_balloon_device():
    vm = make_vm()
    vm.def_.memballoon = MemballoonDef(VIR_DOMAIN_MEMBALLOON_MODEL_NONE)
    vm.def_.cur_balloon = 1
    r = Rig(vms=[vm])
    ret, info = info_of(r)
    assert ret == 0 and info.memory == 524288 and "qemuDomainObjBeginJob" not in r.names()


def test_get_info_while_a_job_is_active_uses_the_last_figure():
    vm = make_vm(job=QEMU_JOB_MODIFY)
    vm.def_.cur_balloon = 300000
    r = Rig(vms=[vm])
    ret, info = info_of(r)
    assert ret == 0 and info.memory == 300000 and "qemuDomainObjBeginJob" not in r.names()


def test_get_info_with_a_balloon_the_monitor_reports():
    def balloon_driver_loaded(mon, currmem):
        currmem.value = 400000
        return 1
    r = Rig(vms=[make_vm()], qemuMonitorGetBalloonInfo=ported(balloon_driver_loaded))
    ret, info = info_of(r)
    assert ret == 0 and info.memory == 400000


def test_the_monitor_stub_answers_the_size_a_loaded_balloon_driver_reports():
    # the stub itself (no stand-in): the guest's balloon driver reports 400000 KiB, which
    # qemuMonitorGetBalloonInfo answers with 1 and GetInfo shows (L2248-2252)
    vm = make_vm()
    vm.privateData.mon.balloon = 400000
    r = Rig(vms=[vm])
    ret, info = info_of(r)
    assert ret == 0 and info.memory == 400000 and info.maxMem == 524288
    # the same guest without a balloon driver: 0, and GetInfo shows the maximum (L2250)
    r = Rig(vms=[make_vm()])
    assert info_of(r)[1].memory == 524288


def test_get_info_of_an_unknown_domain():
    r = Rig(vms=[make_vm()])
    ret, _ = info_of(r, uuid=UUID2)
    assert ret == -1
    assert r.errors == ["Domain not found: no domain with matching uuid '%s'" % UUID2]


def test_get_info_when_cpu_time_cannot_be_read():
    r = Rig(vms=[make_vm()])
    ret, _ = info_of(r, faults_=faults(("qemudGetProcessInfo", 1)))
    assert ret == -1 and r.errors == ["operation failed: cannot read cputime for domain"]
    assert not vm_of(r).locked


def test_get_info_when_the_monitor_fails():
    r = Rig(vms=[make_vm()])
    ret, _ = info_of(r, faults_=faults(("qemuMonitorGetBalloonInfo", 1)))
    assert ret == -1 and r.errors == ["internal error End of file from monitor"]
    vm = vm_of(r)
    assert vm.refs == 1 and vm.privateData.job.active == QEMU_JOB_NONE and not vm.locked


def test_get_info_when_the_query_job_cannot_start():
    r = Rig(vms=[make_vm()])
    ret, _ = info_of(r, faults_=faults(("virTimeMs", 1)))
    assert ret == -1 and not vm_of(r).locked and vm_of(r).refs == 1


def test_get_info_when_the_guest_stops_while_the_job_starts():
    from qemu_migration.port.qemu_domain import qemuDomainObjBeginJob as real

    def begin_then_guest_quits(drv, vm, job):
        ret = real(drv, vm, job)
        vm.def_.id = -1                    # the guest went away while we waited
        return ret
    r = Rig(vms=[make_vm()], qemuDomainObjBeginJob=ported(begin_then_guest_quits))
    ret, info = info_of(r)
    assert ret == 0 and info.memory == 524288
    assert "qemuMonitorGetBalloonInfo" not in r.names()


def test_get_info_when_the_domain_goes_away_under_the_monitor():
    def gone(mon, currmem):
        vm = vm_of(r)
        del r.world.driver.domains[UUID1]     # undefined meanwhile: the list's reference goes
        vm.refs -= 1
        return 0
    r = Rig(vms=[make_vm()], qemuMonitorGetBalloonInfo=ported(gone))
    vm = vm_of(r)
    ret, _ = info_of(r)
    assert ret == -1 and r.world.errors == [] and vm.freed
    assert r.names()[-1] == "virDomainObjUnref"     # nothing unlocks a freed object


# --- qemuDomainGetXMLDesc ------------------------------------------------------------------------

def xml_of(r, uuid=UUID1, faults_=None, flags=1):
    return r.call("qemuDomainGetXMLDesc", r.dom(uuid=uuid), flags, faults_=faults_)


def test_get_xml_desc_of_a_running_guest_refreshes_the_balloon_under_a_job():
    r = Rig(vms=[make_vm()])
    before = vm_of(r).def_.cur_balloon
    xml = xml_of(r)
    assert "web1" in xml
    vm = vm_of(r)
    # no balloon active: the monitor answers 0 and the figure stays (L4578-4579)
    assert vm.def_.cur_balloon == before is not None
    assert vm.refs == 1 and not vm.locked and not r.world.driver.locked
    names = r.names()
    assert names[:4] == ["qemuDomainGetXMLDesc", "qemuDriverLock", "virDomainFindByUUID",
                         "virDomainObjIsActive"][:3] + ["qemuDomainObjBeginJobWithDriver"]
    assert names.index("qemuDomainObjEnterMonitorWithDriver") < \
        names.index("qemuMonitorGetBalloonInfo") < \
        names.index("qemuDomainObjExitMonitorWithDriver") < names.index("qemuDomainObjEndJob") \
        < names.index("qemuDomainFormatXML")


def test_get_xml_desc_takes_the_size_the_guests_balloon_driver_reports():
    # the stub itself: currentMemory becomes what QEMU reports (L4578-4579)
    vm = make_vm()
    vm.privateData.mon.balloon = 300000
    r = Rig(vms=[vm])
    assert xml_of(r) is not None and vm_of(r).def_.cur_balloon == 300000


def test_get_xml_desc_takes_the_balloon_figure_the_monitor_gives():
    def balloon(mon, currmem):
        currmem.value = 333333
        return 1
    r = Rig(vms=[make_vm()], qemuMonitorGetBalloonInfo=ported(balloon))
    assert xml_of(r) is not None and vm_of(r).def_.cur_balloon == 333333


@pytest.mark.parametrize("how", ["shutoff", "no-balloon", "job-active"])
def test_get_xml_desc_without_asking_the_monitor(how):
    vm = make_vm(state="shutoff" if how == "shutoff" else "running",
                 job=QEMU_JOB_MODIFY if how == "job-active" else 0)
    if how == "no-balloon":
        vm.def_.memballoon = MemballoonDef(VIR_DOMAIN_MEMBALLOON_MODEL_NONE)
    r = Rig(vms=[vm])
    assert xml_of(r) is not None
    assert "qemuDomainObjBeginJobWithDriver" not in r.names()


def test_get_xml_desc_with_no_balloon_device_at_all():
    vm = make_vm()
    vm.def_.memballoon = None
    r = Rig(vms=[vm])
    assert xml_of(r) is not None and "qemuDomainObjBeginJobWithDriver" not in r.names()


def test_get_xml_desc_of_an_unknown_domain():
    r = Rig(vms=[make_vm()])
    assert xml_of(r, uuid=UUID2) is None
    assert r.errors == ["Domain not found: no domain with matching uuid '%s'" % UUID2]
    assert not r.world.driver.locked


@pytest.mark.parametrize("stub", ["virTimeMs", "qemuMonitorGetBalloonInfo",
                                  "qemuDomainFormatXML"])
def test_get_xml_desc_failures(stub):
    r = Rig(vms=[make_vm()])
    assert xml_of(r, faults_=faults((stub, 1))) is None
    vm = vm_of(r)
    assert vm.refs == 1 and not vm.locked and not r.world.driver.locked
    assert vm.privateData.job.active == QEMU_JOB_NONE


def test_get_xml_desc_when_the_domain_goes_away_under_the_monitor():
    def gone(mon, currmem):
        vm = vm_of(r)
        del r.world.driver.domains[UUID1]
        vm.refs -= 1
        return 0
    r = Rig(vms=[make_vm()], qemuMonitorGetBalloonInfo=ported(gone))
    vm = vm_of(r)
    assert xml_of(r) is None and vm.freed and not r.world.driver.locked


def test_begin_job_with_driver_refuses_an_invalid_job():
    from qemu_migration.port.qemu_domain import qemuDomainObjBeginJobWithDriver
    r = Rig(vms=[make_vm()])
    for job in (QEMU_JOB_NONE, QEMU_JOB_ASYNC):
        r.world.reset_run()
        with r.world.activate():
            assert qemuDomainObjBeginJobWithDriver(r.world.driver, vm_of(r), job) == -1
        assert r.errors == ["internal error Attempt to start invalid job"]
    r.world.reset_run()
    with r.world.activate():
        assert qemuDomainObjBeginJobWithDriver(r.world.driver, vm_of(r), QEMU_JOB_QUERY) == 0
    assert vm_of(r).privateData.job.active == QEMU_JOB_QUERY


# --- virCheckFlags, shared by the ten ----------------------------------------------------------

BAD = 1 << 12
TEN = [
    ("qemudDomainMigratePrepareTunnel", lambda r: (r.conn, STREAM, BAD, None, 0, "x"), -1),
    ("qemudDomainMigratePrepare2",
     lambda r: (r.conn, None, None, None, OutParam("uri_out", "stale"), BAD, None, 0, "x"), -1),
    ("qemudDomainMigratePerform", lambda r: (r.dom(), None, 0, None, BAD, None, 0), -1),
    ("qemudDomainMigrateFinish2", lambda r: (r.conn, "web1", None, 0, None, BAD, 0), None),
    ("qemuDomainMigrateBegin3", lambda r: (r.dom(), None, OutParam("cookieout"),
                                           OutParam("cookieoutlen", 0), BAD, None, 0), None),
    ("qemuDomainMigratePrepare3",
     lambda r: (r.conn, None, 0, OutParam("cookieout"), OutParam("cookieoutlen", 0), None,
                OutParam("uri_out", "stale"), BAD, None, 0, "x"), -1),
    ("qemuDomainMigratePrepareTunnel3",
     lambda r: (r.conn, STREAM, None, 0, OutParam("cookieout"), OutParam("cookieoutlen", 0),
                BAD, None, 0, "x"), -1),
    ("qemuDomainMigratePerform3",
     lambda r: (r.dom(), None, None, 0, OutParam("cookieout"), OutParam("cookieoutlen", 0),
                None, None, BAD, None, 0), -1),
    ("qemuDomainMigrateFinish3",
     lambda r: (r.conn, "web1", None, 0, OutParam("cookieout"), OutParam("cookieoutlen", 0),
                None, None, BAD, 0), None),
    ("qemuDomainMigrateConfirm3", lambda r: (r.dom(), None, 0, BAD, 0), -1),
]


@pytest.mark.parametrize("fname,args,fails", TEN, ids=[t[0] for t in TEN])
def test_unsupported_flags_are_refused_before_anything_else(fname, args, fails):
    r = Rig(vms=[make_vm()])
    a = args(r)
    assert r.call(fname, *a) == fails
    assert r.errors == ["invalid argument: %s: unsupported flags (0x1000)" % fname]
    assert r.names() == [fname]
    for x in a:       # the out-parameters are left as they were
        if isinstance(x, OutParam) and x.role == "uri_out":
            assert x.value == "stale"


# --- the v2 prepares ---------------------------------------------------------------------

def prepare_tunnel(r, st=STREAM, flags=VIR_MIGRATE_TUNNELLED, dom_xml=None, dname=None,
                   faults_=None):
    return r.call("qemudDomainMigratePrepareTunnel", r.conn, st, flags, dname, 0,
                  domain_xml() if dom_xml is None else dom_xml, faults_=faults_)


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_prepare_tunnel_v2_defines_the_incoming_domain_without_cookies(version):
    r = Rig(version, name="destination")
    assert prepare_tunnel(r) == 0
    vm = vm_of(r)
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_IN
    assert not r.world.driver.locked
    names = r.names()
    assert names[:3] == ["qemudDomainMigratePrepareTunnel", "qemuDriverLock",
                         "qemuMigrationPrepareTunnel"]
    assert names[-1] == "qemuDriverUnlock"


@pytest.mark.parametrize("case,message", [
    ("no-xml", "internal error no domain XML passed"),
    ("no-flag", "internal error PrepareTunnel called but no TUNNELLED flag set"),
    ("no-stream", "internal error tunnelled migration requested but NULL stream passed"),
    ("sanlock", "internal error Cannot use migrate v2 protocol with lock manager sanlock")])
def test_prepare_tunnel_v2_refusals(case, message):
    r = Rig(name="destination")
    if case == "sanlock":
        r.world.driver.lockManager = "sanlock"
    ret = r.call("qemudDomainMigratePrepareTunnel", r.conn,
                 None if case == "no-stream" else STREAM,
                 0 if case == "no-flag" else VIR_MIGRATE_TUNNELLED, None, 0,
                 None if case == "no-xml" else domain_xml())
    assert ret == -1 and r.errors == [message]
    assert r.world.driver.domains == {} and not r.world.driver.locked


def test_prepare_tunnel_v2_an_empty_xml_is_not_null():
    # C's !dom_xml is a NULL test: "" goes on and is refused by the parser
    r = Rig(name="destination")
    assert prepare_tunnel(r, dom_xml="") == -1
    assert "no domain XML passed" not in r.errors[0]


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_prepare2_hands_back_a_uri_and_takes_no_cookie(version):
    r = Rig(version, name="destination")
    uri_out = OutParam("uri_out", "stale")
    ret = r.call("qemudDomainMigratePrepare2", r.conn, OutParam("cookie"),
                 OutParam("cookielen", 0), None, uri_out, VIR_MIGRATE_LIVE, None, 0,
                 domain_xml())
    assert ret == 0
    assert uri_out.value == "tcp:dst.example.net:49152"
    assert vm_of(r).privateData.job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_IN
    assert r.names()[:3] == ["qemudDomainMigratePrepare2", "qemuDriverLock",
                             "qemuMigrationPrepareDirect"]


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_prepare2_refuses_a_host_device_the_xml_shows(version):
    r = Rig(version, name="destination")
    uri_out = OutParam("uri_out")
    ret = r.call("qemudDomainMigratePrepare2", r.conn, None, None, None, uri_out, 0, None, 0,
                 domain_xml(hostdev="pci"))
    assert ret == -1 and uri_out.value is None
    assert r.errors == ["Requested operation is not valid: Domain with assigned host "
                        "devices cannot be migrated"]


@pytest.mark.parametrize("case,message", [
    ("sanlock", "internal error Cannot use migrate v2 protocol with lock manager sanlock"),
    ("tunnelled", "internal error Tunnelled migration requested but invalid RPC method called"),
    ("no-xml", "internal error no domain XML passed")])
def test_prepare2_refusals(case, message):
    r = Rig(name="destination")
    if case == "sanlock":
        r.world.driver.lockManager = "sanlock"
    uri_out = OutParam("uri_out", "stale")
    ret = r.call("qemudDomainMigratePrepare2", r.conn, None, None, None, uri_out,
                 VIR_MIGRATE_TUNNELLED if case == "tunnelled" else 0, None, 0,
                 None if case == "no-xml" else domain_xml())
    assert ret == -1 and r.errors == [message]
    assert uri_out.value is None          # set to NULL before anything is checked
    assert not r.world.driver.locked


# --- Perform (v2) --------------------------------------------------------------------------

def test_perform_v2_hands_qemuMigrationPerform_the_domain_and_no_output_cookie():
    r = Rig(vms=[make_vm()])
    ret = r.call("qemudDomainMigratePerform", r.dom(), "cookie", 7, "tcp:dst:49152",
                 VIR_MIGRATE_LIVE, "web2", 100)
    assert ret == 0
    (args,) = r.perform.calls
    assert args == (r.world.driver, r.conn, vm_of(r), None, None, "tcp:dst:49152", "cookie",
                    7, None, None, VIR_MIGRATE_LIVE, "web2", 100, False)
    assert r.names() == ["qemudDomainMigratePerform", "qemuDriverLock", "virDomainFindByUUID",
                         "qemuMigrationPerform", "qemuDriverUnlock"]


def test_perform_v2_peer_to_peer_takes_the_uri_as_the_destinations_connection():
    r = Rig(vms=[make_vm()])
    r.perform.ret = -1
    flags = VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE
    assert r.call("qemudDomainMigratePerform", r.dom(), None, 0, "qemu+tcp://dst/system",
                  flags, None, 0) == -1
    (args,) = r.perform.calls
    assert args[4:6] == ("qemu+tcp://dst/system", None)


def test_perform_v2_refusals():
    r = Rig(vms=[make_vm()])
    r.world.driver.lockManager = "sanlock"
    assert r.call("qemudDomainMigratePerform", r.dom(), None, 0, None, 0, None, 0) == -1
    assert r.errors == ["internal error Cannot use migrate v2 protocol with lock manager "
                        "sanlock"]
    r = Rig(vms=[make_vm()])
    assert r.call("qemudDomainMigratePerform", r.dom(uuid=UUID2), None, 0, None, 0, None,
                  0) == -1
    assert r.errors == ["Domain not found: no domain with matching uuid '%s'" % UUID2]
    assert r.perform.calls == [] and not r.world.driver.locked


# --- Finish2 ---------------------------------------------------------------------------------

def test_finish2_finds_the_domain_by_name_and_passes_the_return_code():
    r = Rig(vms=[make_vm()], name="destination")
    r.finish.ret = "ddomain"
    assert r.call("qemudDomainMigrateFinish2", r.conn, "web1", "ignored", 8, "tcp:x",
                  VIR_MIGRATE_LIVE, 1) == "ddomain"
    (args,) = r.finish.calls
    assert args == (r.world.driver, r.conn, vm_of(r), None, 0, None, None, VIR_MIGRATE_LIVE,
                    1, False)
    assert not r.world.driver.locked


def test_finish2_of_an_unknown_name():
    r = Rig(vms=[make_vm()], name="destination")
    assert r.call("qemudDomainMigrateFinish2", r.conn, "db9", None, 0, None, 0, 0) is None
    assert r.errors == ["Domain not found: no domain with matching name 'db9'"]
    assert r.finish.calls == []


# --- Begin3 ------------------------------------------------------------------------------------

def begin3(r, flags=CP, uuid=UUID1, xmlin=None, faults_=None):
    cookieout, cookieoutlen = OutParam("cookieout"), OutParam("cookieoutlen", 0)
    ret = r.call("qemuDomainMigrateBegin3", r.dom(uuid=uuid), xmlin, cookieout, cookieoutlen,
                 flags, None, 0, faults_=faults_)
    return ret, cookieout.value


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_begin3_with_change_protection_keeps_the_migration_job(version):
    r = Rig(version, vms=[make_vm()])
    xml, cookie = begin3(r)
    assert "web1" in xml and "<qemu-migration>" in cookie
    vm = vm_of(r)
    job = vm.privateData.job
    assert job.asyncJob == QEMU_ASYNC_JOB_MIGRATION_OUT and job.phase == QEMU_MIGRATION_PHASE_BEGIN3
    assert vm.refs == 1 and not vm.locked and not r.world.driver.locked
    assert r.names()[:4] == ["qemuDomainMigrateBegin3", "qemuDriverLock",
                             "virDomainFindByUUID", "qemuMigrationJobStart"]
    assert "qemuMigrationJobContinue" in r.names()


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_begin3_without_change_protection_ends_its_modify_job(version):
    r = Rig(version, vms=[make_vm()])
    xml, _ = begin3(r, flags=VIR_MIGRATE_LIVE)
    assert xml is not None
    vm = vm_of(r)
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE
    assert vm.privateData.job.active == QEMU_JOB_NONE and vm.refs == 1 and not vm.locked
    names = r.names()
    assert "qemuDomainObjBeginJob" in names and names[-3:-2] == ["virDomainObjUnref"]


@pytest.mark.parametrize("version", VERSION_NAMES)
@pytest.mark.parametrize("flags", [CP, 0])
def test_begin3_refuses_a_domain_that_is_not_running(version, flags):
    r = Rig(version, vms=[make_vm(state="shutoff")])
    xml, _ = begin3(r, flags=flags)
    assert xml is None and r.errors == ["Requested operation is not valid: domain is not "
                                        "running"]
    vm = vm_of(r)
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE
    assert vm.privateData.job.active == QEMU_JOB_NONE and vm.refs == 1 and not vm.locked


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_begin3_with_snapshots_is_refused_at_begin_on_post_and_fixed(version):
    r = Rig(version, vms=[make_vm(snapshots=2)])
    xml, _ = begin3(r)
    if version == "pre":
        assert xml is not None
    else:
        assert xml is None
        assert r.errors == ["Requested operation is not valid: cannot migrate domain with 2 "
                            "snapshots"]
        assert vm_of(r).privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE
        assert vm_of(r).refs == 1


@pytest.mark.parametrize("flags", [CP, 0])
def test_begin3_when_the_job_cannot_start(flags):
    # a migration job left behind (the leak of post's PerformJob): the wait times out
    r = Rig(vms=[make_vm(async_out=True)])
    xml, _ = begin3(r, flags=flags)
    assert xml is None and r.errors == [LOCK]
    assert vm_of(r).refs == 2 and not vm_of(r).locked


def test_begin3_of_an_unknown_domain():
    r = Rig(vms=[make_vm()])
    assert begin3(r, uuid=UUID2) == (None, None)
    assert r.errors == ["Domain not found: no domain with matching uuid '%s'" % UUID2]


def gone_meanwhile(r):
    """qemuMigrationBegin as the version has it, while another thread undefines the
    domain: the list lets go of its reference."""
    real = unit(r.host.version).qemuMigrationBegin

    def begin(drv, vm, xmlin, cookieout, cookieoutlen):
        del r.world.driver.domains[vm.def_.uuid]
        vm.refs -= 1
        return real(drv, vm, xmlin, cookieout, cookieoutlen)
    return ported(begin)


def test_begin3_when_the_domain_disappears_under_the_continued_job():
    r = Rig(vms=[make_vm()])
    vm = vm_of(r)
    r.fn.update(bound("post", qemuMigrationBegin=gone_meanwhile(r)))
    xml, cookie = begin3(r)
    assert xml is None and cookie is None
    assert r.errors == ["operation failed: domain disappeared"]
    assert vm.freed and r.names()[-3:] == ["qemuMigrationJobContinue", "virDomainObjUnref",
                                           "qemuDriverUnlock"]


@pytest.mark.parametrize("flags", [CP, 0])
def test_begin3_endjob_when_the_job_held_the_last_reference(flags):
    # a shut-off domain, whose list reference another thread has already let go of:
    # the job's reference is the only one, and ending the job frees the object
    r = Rig(vms=[make_vm(state="shutoff")])
    vm = vm_of(r)
    vm.refs = 0
    xml, _ = begin3(r, flags=flags)
    assert xml is None and vm.freed
    assert r.names()[-2:] == ["virDomainObjUnref", "qemuDriverUnlock"]


# --- Prepare3 / PrepareTunnel3 ---------------------------------------------------------------

@pytest.mark.parametrize("version", VERSION_NAMES)
def test_prepare3_hands_cookies_through(version):
    src = Rig(version, vms=[make_vm()])
    _, cookie = begin3(src)
    r = Rig(version, name="destination")
    cookieout, cookieoutlen = OutParam("cookieout"), OutParam("cookieoutlen", 0)
    uri_out = OutParam("uri_out", "stale")
    ret = r.call("qemuDomainMigratePrepare3", r.conn, cookie, len(cookie) + 1, cookieout,
                 cookieoutlen, None, uri_out, CP, None, 0, domain_xml())
    assert ret == 0 and uri_out.value == "tcp:dst.example.net:49152"
    assert "<qemu-migration>" in cookieout.value
    assert r.names()[:3] == ["qemuDomainMigratePrepare3", "qemuDriverLock",
                             "qemuMigrationPrepareDirect"]
    assert not r.world.driver.locked


@pytest.mark.parametrize("case,message", [
    ("tunnelled", "internal error Tunnelled migration requested but invalid RPC method called"),
    ("no-xml", "internal error no domain XML passed")])
def test_prepare3_refusals(case, message):
    r = Rig(name="destination")
    uri_out = OutParam("uri_out", "stale")
    ret = r.call("qemuDomainMigratePrepare3", r.conn, None, 0, OutParam("cookieout"),
                 OutParam("cookieoutlen", 0), None, uri_out,
                 VIR_MIGRATE_TUNNELLED if case == "tunnelled" else 0, None, 0,
                 None if case == "no-xml" else domain_xml())
    assert ret == -1 and r.errors == [message] and uri_out.value is None
    assert not r.world.driver.locked


def test_prepare_tunnel3_defines_the_incoming_domain():
    r = Rig(name="destination")
    cookieout = OutParam("cookieout")
    ret = r.call("qemuDomainMigratePrepareTunnel3", r.conn, STREAM, None, 0, cookieout,
                 OutParam("cookieoutlen", 0), VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER,
                 "web2", 0, domain_xml())
    assert ret == 0 and r.world.driver.find_by_name("web2") is not None
    assert r.names()[:3] == ["qemuDomainMigratePrepareTunnel3", "qemuDriverLock",
                             "qemuMigrationPrepareTunnel"]
    assert r.names()[-1] == "qemuDriverUnlock" and not r.world.driver.locked


@pytest.mark.parametrize("case,message", [
    ("no-xml", "internal error no domain XML passed"),
    ("no-flag", "internal error PrepareTunnel called but no TUNNELLED flag set"),
    ("no-stream", "internal error tunnelled migration requested but NULL stream passed")])
def test_prepare_tunnel3_refusals_take_no_driver_lock(case, message):
    r = Rig(name="destination")
    ret = r.call("qemuDomainMigratePrepareTunnel3", r.conn,
                 None if case == "no-stream" else STREAM, None, 0, OutParam("cookieout"),
                 OutParam("cookieoutlen", 0), 0 if case == "no-flag" else VIR_MIGRATE_TUNNELLED,
                 None, 0, None if case == "no-xml" else domain_xml())
    assert ret == -1 and r.errors == [message]
    assert r.names() == ["qemuDomainMigratePrepareTunnel3"]


# --- Perform3 / Finish3 --------------------------------------------------------------------------

def test_perform3_hands_qemuMigrationPerform_everything_with_v3proto():
    r = Rig(vms=[make_vm()])
    cookieout, cookieoutlen = OutParam("cookieout"), OutParam("cookieoutlen", 0)
    ret = r.call("qemuDomainMigratePerform3", r.dom(), "<xml/>", "ck", 3, cookieout,
                 cookieoutlen, "qemu+tcp://dst/system", "tcp:dst:1", CP, "web2", 5)
    assert ret == 0
    (args,) = r.perform.calls
    assert args == (r.world.driver, r.conn, vm_of(r), "<xml/>", "qemu+tcp://dst/system",
                    "tcp:dst:1", "ck", 3, cookieout, cookieoutlen, CP, "web2", 5, True)


def test_perform3_of_an_unknown_domain():
    r = Rig(vms=[make_vm()])
    assert r.call("qemuDomainMigratePerform3", r.dom(uuid=UUID2), None, None, 0, None, None,
                  None, None, 0, None, 0) == -1
    assert r.errors == ["Domain not found: no domain with matching uuid '%s'" % UUID2]
    assert r.perform.calls == [] and not r.world.driver.locked


def test_finish3_passes_cancelled_and_the_cookies():
    r = Rig(vms=[make_vm()], name="destination")
    r.finish.ret = "ddomain"
    cookieout, cookieoutlen = OutParam("cookieout"), OutParam("cookieoutlen", 0)
    assert r.call("qemuDomainMigrateFinish3", r.conn, "web1", "ck", 3, cookieout, cookieoutlen,
                  None, "tcp:x", CP, 1) == "ddomain"
    (args,) = r.finish.calls
    assert args == (r.world.driver, r.conn, vm_of(r), "ck", 3, cookieout, cookieoutlen, CP, 1,
                    True)


def test_finish3_of_an_unknown_name():
    r = Rig(vms=[make_vm()], name="destination")
    assert r.call("qemuDomainMigrateFinish3", r.conn, "db9", None, 0, None, None, None, None,
                  0, 0) is None
    assert r.errors == ["Domain not found: no domain with matching name 'db9'"]


# --- Confirm3 ------------------------------------------------------------------------------------

def begun(**kw):
    """A domain as Begin3 with change protection leaves it: the migration job held, in
    phase begin3, without a reference of its own (qemuMigrationJobContinue dropped it)."""
    vm = make_vm(async_out=True, **kw)
    vm.refs -= 1
    vm.privateData.job.phase = QEMU_MIGRATION_PHASE_BEGIN3
    return vm


def confirm3(r, cancelled=0, flags=CP, uuid=UUID1):
    return r.call("qemuDomainMigrateConfirm3", r.dom(uuid=uuid), "ck", 3, flags, cancelled)


@pytest.mark.parametrize("cancelled,phase", [(0, QEMU_MIGRATION_PHASE_CONFIRM3),
                                             (1, QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED)])
def test_confirm3_runs_qemuMigrationConfirm_in_its_phase_and_ends_the_job(cancelled, phase):
    seen = []
    r = Rig(vms=[begun()])
    r.confirm.act = lambda drv, conn, vm, ck, ckl, flags, canc: seen.append(
        vm.privateData.job.phase) or 0
    assert confirm3(r, cancelled) == 0
    assert seen == [phase]
    (args,) = r.confirm.calls
    assert args[1:] == (r.conn, vm_of(r), "ck", 3, CP, cancelled)
    vm = vm_of(r)
    assert vm.privateData.job.asyncJob == QEMU_ASYNC_JOB_NONE and vm.refs == 1
    assert not vm.locked and not r.world.driver.locked
    # JobStartPhase took a reference for the job, which JobFinish gives back
    names = r.names()
    assert names.index("qemuMigrationJobStartPhase") < names.index("qemuMigrationConfirm") \
        < names.index("qemuMigrationJobFinish")


def test_confirm3_without_the_migration_job():
    r = Rig(vms=[make_vm()])
    assert confirm3(r) == -1
    assert r.errors == ["Requested operation is not valid: domain 'web1' is not being migrated"]
    assert r.confirm.calls == [] and not vm_of(r).locked


def test_confirm3_of_an_unknown_domain():
    r = Rig(vms=[make_vm()])
    assert confirm3(r, uuid=UUID2) == -1
    assert r.errors == ["Domain not found: no domain with matching uuid '%s'" % UUID2]


def stops_the_guest(drv, conn, vm, ck, ckl, flags, cancelled):
    vm.def_.id = -1                       # qemuMigrationConfirm stopped it (migrated away)
    return 0


@pytest.mark.parametrize("persistent,flags,removed,deleted", [
    (False, CP, True, False),
    (True, CP, False, False),
    (True, CP | VIR_MIGRATE_UNDEFINE_SOURCE, True, True)])
def test_confirm3_removes_a_stopped_source_as_upstream_says(persistent, flags, removed,
                                                            deleted):
    r = Rig(vms=[begun(persistent=persistent)])
    r.confirm.act = stops_the_guest
    vm = vm_of(r)
    assert confirm3(r, flags=flags) == 0
    assert (UUID1 not in r.world.driver.domains) == removed
    assert bool(r.world.driver.deleted_configs) == deleted
    assert vm.locked is False


def test_confirm3_when_the_job_held_the_last_reference():
    r = Rig(vms=[begun()])
    vm = vm_of(r)
    vm.refs = 0          # the list let go meanwhile: the job's phase reference is the last
    assert confirm3(r) == 0
    assert vm.freed and r.names()[-1] == "qemuDriverUnlock"
    assert "virDomainObjUnlock" not in r.names()[r.names().index("qemuMigrationJobFinish"):]


# --- across the wire ----------------------------------------------------------------------------

def test_an_error_crosses_the_wire_whole():
    r = Rig(vms=[make_vm(state="shutoff")])
    client = make_world()
    cookieout = OutParam("cookieout")
    with client.activate():
        ret = r.conn.driver.domainMigrateBegin3(r.dom(), None, cookieout,
                                                OutParam("cookieoutlen", 0), CP, None, 0)
    assert ret is None
    (err,) = client.errors
    assert err.message == "Requested operation is not valid: domain is not running"
    assert err.reporter == "qemuDomainMigrateBegin3"
    assert [t.name for t in client.trace] == ["remote:domainMigrateBegin3@source"]


# --- the label loops refuse a misspelt goto ------------------------------------------------------

GOOD = [(f, (lambda a: lambda r: tuple(0 if x == BAD else x for x in a(r)))(a))
        for f, a, _ in TEN] + [
    ("qemudDomainLookupByName", lambda r: (r.conn, "web1")),
    ("qemudDomainGetInfo", lambda r: (r.dom(), DomainInfo())),
    ("qemuDomainGetXMLDesc", lambda r: (r.dom(), 0))]


@pytest.mark.parametrize("fname,args", GOOD, ids=[g[0] for g in GOOD])
def test_a_misspelt_goto_fails_loudly(monkeypatch, fname, args):
    misspelt_gotos(monkeypatch, driver, fname)
    r = Rig(vms=[make_vm()])
    with pytest.raises(NoSuchLabel) as e:
        r.call(fname, *args(r))
    assert e.value.function == fname and e.value.label.endswith("_misspelt")


def test_begin3_when_the_domain_disappears_and_no_cookie_was_asked_for():
    r = Rig(vms=[make_vm()])
    r.fn.update(bound("post", qemuMigrationBegin=gone_meanwhile(r)))
    assert r.call("qemuDomainMigrateBegin3", r.dom(), None, NULL, NULL, CP, None, 0) is None
    assert r.errors == ["operation failed: domain disappeared"]


def test_a_field_pointer_reads_and_writes_the_field():
    info = DomainInfo()
    p = FieldPtr(info, "cpuTime")
    p.value = 5
    assert info.cpuTime == 5 == p.value and repr(p) == "&cpuTime"


# --- the stubs of world/stubs_driver.py, one at a time ------------------------------------

def test_check_flags_names_the_innermost_function_running():
    w = make_world()
    with w.activate():
        w.frame = "qemuDomainMigratePerform3"
        assert stubs_driver.virCheckFlags(0x1001, supported=0x1) is True
        assert stubs_driver.virCheckFlags(0x1, supported=0x1) is False
    (e,) = w.errors
    assert e.raw == "qemuDomainMigratePerform3: unsupported flags (0x1000)"
    assert e.reporter == "qemuDomainMigratePerform3"


def test_find_by_uuid_or_name_gives_the_domain_locked():
    vm = make_vm()
    w = make_world(vm)
    with w.activate():
        assert stubs_driver.virDomainFindByUUID(w.driver.domains, vm.def_.uuid) is vm
        assert vm.locked
        vm.locked = False
        assert stubs_driver.virDomainFindByName(w.driver.domains, vm.def_.name) is vm
        assert vm.locked
        assert stubs_driver.virDomainFindByUUID(w.driver.domains, UUID2) is None
        assert stubs_driver.virDomainFindByName(w.driver.domains, "nosuch") is None


@pytest.mark.parametrize("enter,exit_,driver_too", [
    ("qemuDomainObjEnterMonitor", "qemuDomainObjExitMonitor", False),
    ("qemuDomainObjEnterMonitorWithDriver", "qemuDomainObjExitMonitorWithDriver", True),
])
def test_the_monitor_lets_go_of_the_domain_lock_and_takes_it_again(enter, exit_, driver_too):
    vm = make_vm()
    vm.locked = True
    w = make_world(vm)
    w.driver.locked = True
    with w.activate():
        getattr(stubs_driver, enter)(w.driver, vm)
        assert (vm.locked, w.driver.locked) == (False, not driver_too)
        getattr(stubs_driver, exit_)(w.driver, vm)
        assert (vm.locked, w.driver.locked) == (True, True)


def test_process_info_and_balloon_info_return_exactly_0_or_minus_1():
    # the callers test only "< 0"; qemu_driver.c and qemu_monitor.c return these values
    w = make_world()
    w.faults = faults(("qemudGetProcessInfo", 2), ("qemuMonitorGetBalloonInfo", 2))
    info = DomainInfo()
    mem = OutParam("currmem", 7)
    with w.activate():
        assert stubs_driver.qemudGetProcessInfo(FieldPtr(info, "cpuTime"), NULL, 42, 0) == 0
        assert stubs_driver.qemudGetProcessInfo(FieldPtr(info, "cpuTime"), NULL, 42, 0) == -1
        assert stubs_driver.qemuMonitorGetBalloonInfo(QemuMonitor(), mem) == 0
        assert stubs_driver.qemuMonitorGetBalloonInfo(QemuMonitor(), mem) == -1
    assert info.cpuTime == CPU_TIME_NS and mem.value == 7
    # a guest whose balloon driver is loaded: 1 and its size (qemu_monitor_json.c:1178-1179)
    with w.activate():
        assert stubs_driver.qemuMonitorGetBalloonInfo(QemuMonitor(balloon=4096), mem) == 1
    assert mem.value == 4096
    assert [e.raw for e in w.errors] == ["End of file from monitor"]


def test_a_monitor_argument_is_named_as_the_monitor():
    # the trace's words for qemuMonitorGetBalloonInfo's monitor: its name, as before it
    # carried a balloon (the recorded observations' digests hold it)
    trace = [("qemuMonitorGetBalloonInfo", 0, False, (QemuMonitor(balloon=5), OutParam("m", 0)))]
    assert trace_args(trace, make_world().driver)[0][0] == '"qemuMonitor"'
