"""world/hosts.py: hosts, connections, and a call across the wire as the remote driver and
the daemon make it (remote_driver.c, daemon/remote.c, rpc/virnet*.c @ e2fb96d9)."""
import pytest

from conftest import make_world
from qemu_migration.world import hosts
from qemu_migration.world.constants import (VIR_ERR_INTERNAL_ERROR, VIR_ERR_NO_DOMAIN,
                                            VIR_ERR_OPERATION_INVALID, VIR_ERR_SYSTEM_ERROR,
                                            VIR_FROM_QEMU, VIR_FROM_RPC)
from qemu_migration.world.errors import UndressedError
from qemu_migration.world.hosts import (Connection, Domain, DomainInfo, Host, Network, failed,
                                        remote_call)
from qemu_migration.world.runtime import FaultPlan, current
from qemu_migration.world.stubs import qemuReportError


def host(name="destination", entry=None, network=True):
    h = Host(name, "post", make_world(), "qemu+tcp://%s.example.net/system" % name,
             entry=dict(entry or {}))
    if network:
        Network().add(h)
    return h


def client(faults=None):
    w = make_world()
    w.faults = faults or FaultPlan()
    return w


def test_virFROM_RPC_is_the_number_virterror_h_gives_it():
    assert VIR_FROM_RPC == 7


@pytest.mark.parametrize("member,ret,fails", [
    ("domainMigrateBegin3", None, True), ("domainMigrateBegin3", "<domain/>", False),
    ("domainMigratePrepare3", -1, True), ("domainMigratePrepare3", 0, False),
    ("supports_feature", 0, False), ("supports_feature", -1, True)])
def test_failed_reads_each_members_return_as_its_c_type_says(member, ret, fails):
    assert failed(member, ret) is fails


def test_every_member_says_how_it_fails_and_there_is_no_getURI():
    assert set(hosts.MEMBERS.values()) == {"null", "negative"}
    assert "getURI" not in hosts.MEMBERS
    # the qemu driver's table has every member but v1's
    from qemu_migration.port.driver import DRIVER_TABLE
    assert set(hosts.MEMBERS) - set(DRIVER_TABLE) == {"domainMigratePrepare",
                                                      "domainMigrateFinish"}


def test_a_connection_reads_like_a_virConnectPtr():
    h = host()
    c = Connection(h)
    assert c.uri == h.uri and c.privateData is h.world.driver
    assert repr(c) == "Connection(destination)" and c.refs == 1 and not c.closed
    with pytest.raises(AttributeError):
        c.driver.domainCreateXML           # not a member a migration uses
    assert c.driver.domainMigratePrepare3.__name__ == "domainMigratePrepare3"


def test_the_network_opens_the_host_a_uri_names():
    net = Network()
    h = net.add(host(network=False))
    assert h.network is net and net.lookup(h.uri) is h
    conn = net.open(h.uri, flags=1)
    assert conn.host is h and conn.flags == 1
    assert net.open("qemu+tcp://nowhere/system") is None


def test_domain_handles_and_infos_are_plain_values():
    c = Connection(host())
    d = Domain(c, "web1", "u-1")
    assert d.id == -1
    d.id = 7                               # virGetDomain's caller sets the id after
    assert d == Domain(c, "web1", "u-1", 7)
    assert DomainInfo() == DomainInfo(0, 0, 0, 0, 0)


# --- a call across the wire ---------------------------------------------------------------

def test_a_successful_call_runs_on_the_host_and_sends_no_error():
    seen = []

    def prepare(*args):
        w = current()
        seen.append((w, w.frame, args))
        return 0
    h = host(entry={"domainMigratePrepare3": prepare})
    c = client()
    with c.activate():
        assert Connection(h).driver.domainMigratePrepare3("a", 1) == 0
        assert current() is c               # the caller's world again
    (w, frame, args), = seen
    assert w is h.world and frame == "daemon" and args == ("a", 1)
    assert h.world.frame == "caller"
    assert c.errors == [] and list(c.trace) == [
        ("remote:domainMigratePrepare3@destination", 0, False, ("a", 1))]
    assert h.network.crossings == ["remote:domainMigratePrepare3@destination"]


def test_a_failure_sends_the_hosts_last_error_whole():
    def begin(*args):
        qemuReportError(VIR_ERR_NO_DOMAIN, "first %s", "one")
        qemuReportError(VIR_ERR_OPERATION_INVALID, "%s", "domain is not running")
        return None
    h = host("source", entry={"domainMigrateBegin3": begin})
    c = client()
    with c.activate():
        assert remote_call(Connection(h), "domainMigrateBegin3", ()) is None
    (err,) = c.errors
    # virNetClientProgramDispatchError raises code, domain and the message as sent: the
    # host's last error, already dressed there, not dressed again
    assert err is h.world.last_error and c.last_error is err
    assert (err.code, err.domain) == (VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU)
    assert err.message == "Requested operation is not valid: domain is not running"


def test_a_failure_that_set_no_error_crosses_as_the_daemons_own():
    def perform(*args):
        return -1
    h = host("source", entry={"domainMigratePerform3": perform})
    c = client()
    with c.activate():
        assert remote_call(Connection(h), "domainMigratePerform3", ()) == -1
    (err,) = c.errors
    assert isinstance(err, UndressedError)
    assert (err.code, err.domain) == (VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC)
    # virNetMessageSaveError's text, not dressed as "internal error ..."
    assert err.message == hosts.NO_ERROR_SET == \
        "Library function returned error but did not set virError"
    assert err.as_dict()["domain"] == "VIR_FROM_RPC"


def test_an_error_left_by_an_earlier_call_is_not_sent_again():
    calls = []

    def finish(*args):
        calls.append(1)
        if len(calls) == 1:
            qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "warned but went on")
            return "ddomain"
        return None
    h = host(entry={"domainMigrateFinish3": finish})
    c = client()
    with c.activate():
        assert remote_call(Connection(h), "domainMigrateFinish3", ()) == "ddomain"
        assert c.errors == []
        assert remote_call(Connection(h), "domainMigrateFinish3", ()) is None
    assert [e.message for e in c.errors] == [hosts.NO_ERROR_SET]


@pytest.mark.parametrize("member,ret", [("domainMigrateFinish3", None),
                                        ("domainMigratePrepare3", -1)])
def test_a_broken_connection_fails_the_call_without_running_it(member, ret):
    ran = []
    h = host(entry={member: lambda *a: ran.append(a) or 0})
    c = client(FaultPlan.of([("remote:%s@destination" % member, 2)]))
    with c.activate():
        assert remote_call(Connection(h), member, ()) == 0
        assert remote_call(Connection(h), member, ()) == ret
    assert len(ran) == 1
    (err,) = c.errors
    assert (err.code, err.domain) == (VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC)
    assert err.message == "End of file while reading data: Input/output error"
    assert err.reporter == "virNetSocketReadWire"
    assert [t.failed for t in c.trace] == [False, True]


def test_a_host_outside_a_network_still_answers():
    h = host(entry={"supports_feature": lambda conn, f: 1}, network=False)
    c = client()
    with c.activate():
        assert Connection(h).driver.supports_feature(None, 6) == 1
    assert h.network is None


def test_a_connection_opened_without_flags_is_read_write():
    # virConnectOpen (stubs_p2p) and analysis/cases.py open with no flags: read-write,
    # not VIR_CONNECT_RO (1)
    net = Network()
    h = net.add(host(network=False))
    assert net.open(h.uri).flags == 0 and Connection(h).flags == 0


def test_the_feature_numbers_are_the_wires():
    # the numbers cross the wire to the other daemon's supports_feature, so they must be
    # libvirt_internal.h's enum (@ e2fb96d9, lines 49-81)
    assert [hosts.VIR_DRV_FEATURE_MIGRATION_V1, hosts.VIR_DRV_FEATURE_REMOTE,
            hosts.VIR_DRV_FEATURE_MIGRATION_V2, hosts.VIR_DRV_FEATURE_MIGRATION_P2P,
            hosts.VIR_DRV_FEATURE_MIGRATION_DIRECT, hosts.VIR_DRV_FEATURE_MIGRATION_V3,
            hosts.VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION] == [1, 2, 3, 4, 5, 6, 7]
