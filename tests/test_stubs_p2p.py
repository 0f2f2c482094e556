"""world/stubs_p2p.py and the parts of world/hosts.py the p2p flows use, one stub at a time."""
import errno

import pytest

from qemu_migration.world import stubs_client, stubs_p2p
from qemu_migration.world.constants import VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU
from qemu_migration.world.errors import VirError
from qemu_migration.world.hosts import Connection, Domain, Host, Network, Stream, remote_call
from qemu_migration.world.objects import Driver, OutParam, Ptr
from qemu_migration.world.runtime import FaultPlan, World

from conftest import make_vm, make_world


def host(name="destination", uri="qemu+ssh://dest.example.org/system", **entry):
    h = Host(name, "post", World(Driver()), uri)
    h.entry = entry
    return h


def test_a_host_makes_its_world_know_it():
    h = host()
    assert h.world.host is h and World().host is None


def test_enter_and_exit_remote_unlock_and_relock_around_a_reference():
    vm = make_vm()
    vm.locked = True
    w = make_world(vm)
    with w.activate():
        stubs_p2p.qemuDomainObjEnterRemoteWithDriver(w.driver, vm)
        assert (vm.refs, vm.locked, w.driver.locked) == (2, False, False)
        stubs_p2p.qemuDomainObjExitRemoteWithDriver(w.driver, vm)
        assert (vm.refs, vm.locked, w.driver.locked) == (1, True, True)
    assert [(e.name, e.depth) for e in w.trace] == [
        ("qemuDomainObjEnterRemoteWithDriver", 0), ("virDomainObjRef", 1),
        ("virDomainObjUnlock", 1), ("qemuDriverUnlock", 1),
        ("qemuDomainObjExitRemoteWithDriver", 0), ("qemuDriverLock", 1),
        ("virDomainObjLock", 1), ("virDomainObjUnref", 1)]


def test_connect_open_resets_the_last_error_and_opens_through_the_network():
    dest = host()
    src = host("source", "qemu:///system")
    net = Network()
    net.add(src)
    net.add(dest)
    w = src.world
    w.raise_error(VirError(VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU, "before", "f"))
    with w.activate():
        conn = stubs_p2p.virConnectOpen(dest.uri)
    assert isinstance(conn, Connection) and conn.host is dest and conn.uri == dest.uri
    assert repr(conn) == "Connection(destination)" and conn.refs == 1
    assert w.last_error is None and len(w.errors) == 1


@pytest.mark.parametrize("uri,where", [
    ("qemu+ssh://root@far.example.org:2222/system", "far.example.org:2222"),
    ("qemu+tcp://far.example.org/system", "far.example.org:16509"),
    ("qemu:///system", ":16509"),
    ("not a uri", ":16509"),
    (None, ":16509"),
])
def test_connect_open_refused(uri, where):
    src = host("source", "qemu+unix:///system?socket=/run/src")
    Network().add(src)
    with src.world.activate():
        assert stubs_p2p.virConnectOpen(uri) is None
    (e,) = src.world.errors
    assert e.raw == "unable to connect to server at '%s': Connection refused" % where
    assert e.message == e.raw and e.reporter == "virNetSocketNewConnectTCP"
    assert src.world.errno == errno.ECONNREFUSED


def test_close_with_a_stream_outstanding_leaves_the_connection_to_the_stream():
    conn = Connection(host())
    w = World(Driver())
    with w.activate():
        w.raise_error(VirError(VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU, "set", "f"))
        st = stubs_p2p.virStreamNew(conn, 0)
        assert w.last_error is None                      # virStreamNew resets it
        assert isinstance(st, Stream) and repr(st) == "Stream(destination)"
        assert conn.refs == 2
        assert stubs_p2p.virConnectClose(conn) == 1 and not conn.closed
        st.refs = 2                                      # someone else holds it too
        assert stubs_p2p.virUnrefStream(st) == 1 and conn.refs == 1
        assert stubs_p2p.virUnrefStream(st) == 0
    assert conn.refs == 0 and conn.closed


def test_stream_allocation_failure_leaves_the_connection():
    conn = Connection(host())
    w = World(Driver(), FaultPlan.of([("virStreamNew", 1)]))
    with w.activate():
        assert stubs_p2p.virStreamNew(conn, 0) is None
    assert conn.refs == 1 and w.last_error.reporter == "virGetStream"


def test_saved_errors_come_back_and_a_saved_none_clears():
    w = World(Driver(), FaultPlan.of([("virSaveLastError", 2)]))
    e = VirError(VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU, "kept", "f")
    with w.activate():
        none = stubs_client.virSaveLastError()
        assert none is not None and none.value is None      # non-NULL: a copy of "none"
        w.raise_error(e)
        assert stubs_client.virSaveLastError() is None and w.errno == errno.ENOMEM
        saved = stubs_client.virSaveLastError()
        w.raise_error(VirError(VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU, "later", "f"))
        assert stubs_client.virSetError(saved) == 0 and w.last_error is e
        stubs_client.virSetError(none)
        stubs_client.virFreeError(none)
    assert w.last_error is None and [x.raw for x in w.errors] == ["kept", "later"]


def test_unref_domain_gives_back_its_reference_on_the_connection():
    conn = Connection(host())
    conn.refs = 2                                        # the open, and the handle's
    with World().activate():
        assert stubs_p2p.virUnrefDomain(Domain(conn, "web1", "u")) == 0
        assert (conn.refs, conn.closed) == (1, False)
        conn.refs = 1                                    # a handle that outlives the close
        assert stubs_p2p.virUnrefDomain(Domain(conn, "web1", "u")) == 0
    assert (conn.refs, conn.closed) == (0, True)


def test_supports_feature_macro_counts_an_error_as_no():
    class Drv:
        def __init__(self, answer):
            self.answer = answer

        def supports_feature(self, conn, feature):
            return self.answer
    assert [stubs_client.VIR_DRV_SUPPORTS_FEATURE(Drv(a), None, 4) for a in (1, 0, -1, 2)] == \
        [1, 0, 0, 1]


def test_the_remote_driver_has_only_the_members_it_lists():
    conn = Connection(host())
    with pytest.raises(AttributeError):
        conn.driver.domainMigrateNoSuch


def test_out_parameters_cross_only_on_success():
    seen = []

    def prepare(conn, cookiein, cookieinlen, cookieout, cookieoutlen, uri_in, uri_out, *rest):
        seen.append(cookieout)
        cookieout.value, uri_out.value = "<cookie/>", "tcp:x:1"
        return rest[-1]
    dest = host(domainMigratePrepare3=prepare)
    conn = Connection(dest)
    w = World(Driver())
    for ret, expect in ((-1, (None, None)), (0, ("<cookie/>", "tcp:x:1"))):
        cookie, uri = OutParam("cookieout"), Ptr()
        with w.activate():
            assert conn.driver.domainMigratePrepare3(conn, None, 0, cookie, Ptr(0), None, uri,
                                                     0, None, 0, ret) == ret
        assert (cookie.value, uri.value) == expect
        # the daemon's own storage, of the same kind (an OutParam keeps its role)
        assert seen[-1] is not cookie and seen[-1].role == "cookieout"
    # a failure that left no error: the daemon's own
    assert w.errors[0].raw == "Library function returned error but did not set virError"
    assert dest.network is None                          # off any network: no crossing kept


def test_a_host_on_a_network_counts_its_crossings():
    dest = host(supports_feature=lambda conn, f: 1)
    net = Network()
    net.add(dest)
    assert net.lookup(dest.uri) is dest and net.open("qemu:///nowhere") is None
    with World().activate():
        assert remote_call(net.open(dest.uri), "supports_feature", (None, 4)) == 1
    assert net.crossings == ["remote:supports_feature@destination"]


def test_tunnel_migrate_without_a_cookie_asked():
    vm = make_vm()
    w = make_world(vm)
    with w.activate():
        assert stubs_p2p.doTunnelMigrate(w.driver, vm, None, None, 0, None, None, 1, 0) == 0
        out = Ptr()
        assert stubs_p2p.doTunnelMigrate(w.driver, vm, None, None, 0, out, Ptr(0), 1, 0) == 0
    assert out.value == "<qemu-migration name='web1'/>"


def test_tunnel_migrate_failing_returns_minus_one_and_leaves_the_cookie():
    vm = make_vm()
    w = make_world(vm)
    w.faults = FaultPlan.of([("doTunnelMigrate", 1)])
    out = Ptr()
    with w.activate():
        # live (flags 1): the guest is not paused before the run fails
        assert stubs_p2p.doTunnelMigrate(w.driver, vm, None, None, 0, out, Ptr(0), 1, 0) == -1
    assert out.value is None and vm.state == make_vm().state
    assert w.last_error.raw == "migration job: unexpectedly failed"
