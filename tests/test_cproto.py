"""The C side of whole migrations (upstream/cproto.py, chost.py, impl.py's sessions).

Without upstream: our own C (tests/c_selftest/protocol.c) is built the way a
host's unit and the client are (the protocol prelude, the generated stubs,
conn->driver as the remote virDriver) and run with Python parties and with
itself, across world/hosts.py's wire.  With ``LIBVIRT_SRC``: the real units and
client are extracted and built, and a real entry point runs behind the wire.

In CI (``CI=true``) a missing compiler or a failed build is an error, not a skip.
"""
import os

import pytest

from conftest import domain_xml
from qemu_migration.upstream import build as B
from qemu_migration.upstream import cproto as CP
from qemu_migration.upstream import extract as X
from qemu_migration.world import hosts as H
from qemu_migration.world.constants import (VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG,
                                            VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU,
                                            VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_TUNNELLED)
from qemu_migration.world.objects import Driver, Ptr
from qemu_migration.world.runtime import World

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOL_C = os.path.join(HERE, "c_selftest", "protocol.c")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LIBVIRT_SRC = os.environ.get("LIBVIRT_SRC")
SRC_URI = "qemu+ssh://src.example.org/system"
DST_URI = "qemu+ssh://dst.example.org/system"
UUID = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path_factory):
    if not os.environ.get("QEMU_MIGRATION_CACHE"):
        monkeypatch.setenv("QEMU_MIGRATION_CACHE",
                           str(tmp_path_factory.getbasetemp() / "qmc-cache"))


_BUILT = {}


def selftest():
    if "impl" not in _BUILT:
        from qemu_migration.upstream.impl import CImpl
        with open(PROTOCOL_C) as f:
            text = f.read()
        try:
            built = B.build(CP.text_spec("protoself", text, "tests/c_selftest/protocol.c"))
        except B.BuildError as e:
            if IN_CI:
                pytest.fail("C build unavailable in CI: %s" % e, pytrace=False)
            pytest.skip(str(e))
        _BUILT["impl"] = CImpl("protoself", built=built, pymodule=None)
    return _BUILT["impl"]


# --- two hosts and a client, with doubles for the stubs the self-test calls --------------

class Parties:
    def __init__(self, monkeypatch, source_entry=None, dest_entry=None):
        c = selftest()
        self.net = H.Network()
        self.client = World()
        self.src = self.net.add(H.Host("source", "post", World(Driver(stateDir="/run/src")),
                                       SRC_URI))
        self.dst = self.net.add(H.Host("destination", "post",
                                       World(Driver(stateDir="/run/dst")), DST_URI))

        def supports(conn, feature):
            return int(feature in conn.host.features)

        def lookup(conn, name):
            return H.Domain(conn, name, UUID, 9)
        self.src.entry = {"supports_feature": supports,
                          "domainMigratePerform3": c.selftestPerform}
        self.src.entry.update(source_entry or {})
        self.dst.entry = {"supports_feature": supports, "domainLookupByName": lookup,
                          "domainMigratePrepare3": c.selftestPrepare,
                          "domainMigrateFinish3": c.selftestFinish}
        self.dst.entry.update(dest_entry or {})
        self.seen = []
        doubles = {
            "virConnectOpen": lambda uri: self.net.open(uri),
            "virConnectClose": lambda conn: self.seen.append(("close", conn.host.name)) or 0,
            "virConnectGetURI": lambda conn: conn.uri,
            "virGetDomain": lambda conn, name, uuid: H.Domain(conn, name, uuid),
            "virUnrefDomain": lambda dom: self.seen.append(("unref", dom.name)) or 0,
            "virDispatchError": lambda conn: self.seen.append(("dispatch", conn.host.name)),
            "virDomainLookupByName": lambda conn, name: conn.driver.domainLookupByName(conn,
                                                                                      name),
        }
        for k, v in doubles.items():
            monkeypatch.setitem(CP.OVERRIDES, k, v)

    def open(self, uri):
        with self.client.activate():
            return self.net.open(uri)


def labels(world):
    return [(t.label(), t.depth) for t in world.trace]


def test_a_python_caller_reaches_a_c_host_through_the_wire(monkeypatch):
    p = Parties(monkeypatch)
    dconn = p.open(DST_URI)
    co, col, uo = Ptr(None), Ptr(0), Ptr(None)
    with p.client.activate():
        ret = dconn.driver.domainMigratePrepare3(dconn, "abc", 3, co, col, None, uo,
                                                 VIR_MIGRATE_LIVE, "web2", 0, domain_xml())
    assert (ret, co.value, col.value, uo.value) == (0, "abc+web2", 4, "/run/dst")
    assert labels(p.client) == [("remote:domainMigratePrepare3@destination", 0)]
    # the host's own driver (conn->privateData) was locked and unlocked there
    assert labels(p.dst.world) == [("selftestPrepare", 0), ("qemuDriverLock", 1),
                                   ("virAsprintf", 1), ("strdup", 1), ("qemuDriverUnlock", 1)]
    assert p.dst.world.trace[1].args == (p.dst.world.driver,)
    assert p.src.world.trace == [] and p.client.errors == [] and p.dst.world.errors == []


def test_a_c_hosts_error_is_the_callers_error(monkeypatch):
    p = Parties(monkeypatch)
    dconn = p.open(DST_URI)
    with p.client.activate():
        r1 = dconn.driver.domainMigratePrepare3(dconn, None, 0, None, None, None, Ptr(None),
                                                VIR_MIGRATE_LIVE, None, 0, None)
        r2 = dconn.driver.domainMigratePrepare3(dconn, None, 0, None, None, None, Ptr(None),
                                                VIR_MIGRATE_TUNNELLED, None, 0, "<x/>")
    assert (r1, r2) == (-1, -1)
    no_xml, flags = p.dst.world.errors
    assert (no_xml.code, no_xml.domain, no_xml.raw, no_xml.reporter) == (
        VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU, "no domain XML passed", "selftestPrepare")
    # virCheckFlags, with the file's VIR_FROM_THIS, before anything else ran
    assert (flags.code, flags.domain, flags.raw, flags.reporter) == (
        VIR_ERR_INVALID_ARG, VIR_FROM_QEMU, "selftestPrepare: unsupported flags (0x4)",
        "selftestPrepare")
    # each came back over the wire (hosts.remote_call dresses it as the remote driver does)
    assert [(e.code, e.domain, e.raw) for e in p.client.errors] == [
        (e.code, e.domain, e.raw) for e in (no_xml, flags)]
    assert labels(p.dst.world)[-1] == ("selftestPrepare", 0)


def test_a_c_client_drives_a_c_destination(monkeypatch):
    p = Parties(monkeypatch)
    c = selftest()
    sconn, dconn = p.open(SRC_URI), p.open(DST_URI)
    dom = H.Domain(sconn, "web1", UUID, 7)
    with p.client.activate():
        ddom = c.selftestMigrate(dom, dconn, VIR_MIGRATE_LIVE, domain_xml())
    # the handle made on the destination crossed back as the Python object it is
    assert isinstance(ddom, H.Domain)
    assert (ddom.conn, ddom.name, ddom.uuid) == (dconn, "web1", "0a1b2c3d")
    assert labels(p.client) == [("selftestMigrate", 0),
                                ("remote:domainMigratePrepare3@destination", 1),
                                ("remote:domainMigrateFinish3@destination", 1)]
    # Prepare's cookie went to Finish, which handed it back
    finish = [t for t in p.client.trace if t.name.endswith("Finish3@destination")][0]
    assert finish.args[2:4] == ("c0+-", 3)
    assert [t.name for t in p.dst.world.trace if t.depth == 0] == ["selftestPrepare",
                                                                   "selftestFinish"]


def test_a_failed_call_makes_the_c_client_dispatch_the_error(monkeypatch):
    p = Parties(monkeypatch)
    c = selftest()
    sconn, dconn = p.open(SRC_URI), p.open(DST_URI)
    with p.client.activate():
        assert c.selftestMigrate(H.Domain(sconn, "web1", UUID), dconn, 0, None) is None
    assert p.seen == [("dispatch", "source")]
    assert p.client.errors[-1].raw == "no domain XML passed"


def test_a_c_source_calls_a_c_destination_of_the_same_module(monkeypatch):
    """Peer to peer: the source's C opens the destination and calls its entry points, which
    run in the same compiled module, in the destination's world, while the source's call
    is still running; each side sees its own driver and trace."""
    p = Parties(monkeypatch)
    c = selftest()
    sconn, dconn = p.open(SRC_URI), p.open(DST_URI)
    with p.client.activate():
        ddom = c.selftestMigrate(H.Domain(sconn, "web1", UUID, 7), dconn,
                                 VIR_MIGRATE_PEER2PEER, domain_xml())
    assert (ddom.name, ddom.id, ddom.conn) == ("web1", 9, dconn)
    assert labels(p.client) == [("selftestMigrate", 0),
                                ("remote:domainMigratePerform3@source", 1),
                                ("remote:domainLookupByName@destination", 1)]
    src = labels(p.src.world)
    assert src == [("selftestPerform", 0), ("qemuDriverLock", 1), ("qemuDriverUnlock", 1),
                   ("remote:supports_feature@destination", 1),
                   ("remote:domainMigratePrepare3@destination", 1),
                   ("remote:domainMigrateFinish3@destination", 1)]
    assert p.src.world.trace[1].args == (p.src.world.driver,)
    dst = [t for t in p.dst.world.trace]
    assert [(t.name, t.depth) for t in dst if t.depth == 0] == [("selftestPrepare", 0),
                                                               ("selftestFinish", 0)]
    assert [t.args for t in dst if t.name == "qemuDriverLock"] == [(p.dst.world.driver,)]
    # the source named the domain by its handle; the destination's uri came from its driver
    prep = [t for t in p.src.world.trace if "Prepare3" in t.name][0]
    assert prep.args[1:3] == ("web1", 5)
    fin = [t for t in p.src.world.trace if "Finish3" in t.name][0]
    assert fin.args[1:4] == ("web1", "web1+-", 6) and fin.args[7] == "/run/dst"
    assert p.seen == [("unref", "web1"), ("close", "destination")]
    assert p.client.errors == p.src.world.errors == p.dst.world.errors == []


def test_a_destinations_refusal_crosses_two_wires(monkeypatch):
    p = Parties(monkeypatch)
    c = selftest()
    sconn, dconn = p.open(SRC_URI), p.open(DST_URI)
    with p.client.activate():
        assert c.selftestMigrate(H.Domain(sconn, "web1", UUID), dconn,
                                 VIR_MIGRATE_PEER2PEER, None) is None
    (dst_err,) = p.dst.world.errors
    assert dst_err.reporter == "selftestPrepare"
    (src_err,) = p.src.world.errors
    (client_err,) = p.client.errors
    assert {(e.code, e.domain, e.raw) for e in (dst_err, src_err, client_err)} == {
        (VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU, "no domain XML passed")}
    assert p.seen == [("close", "destination"), ("dispatch", "source")]


def test_a_python_destination_behind_a_c_source(monkeypatch):
    got = []

    def prepare(dconn, cookiein, cookieinlen, cookieout, cookieoutlen, uri_in, uri_out,
                flags, dname, resource, dom_xml):
        got.append((cookiein, cookieinlen, uri_in, flags, dom_xml))
        cookieout.value, cookieoutlen.value, uri_out.value = "py-cookie", 9, "tcp:py:1"
        return 0

    def finish(dconn, dname, cookiein, cookieinlen, cookieout, cookieoutlen, dconnuri, uri,
               flags, cancelled):
        got.append((cookiein, cookieinlen, cookieout, uri, cancelled))
        return None if dname == "gone" else H.Domain(dconn, dname, UUID)
    p = Parties(monkeypatch, dest_entry={"domainMigratePrepare3": prepare,
                                         "domainMigrateFinish3": finish})
    sconn = p.open(SRC_URI)
    with p.client.activate():
        r = sconn.driver.domainMigratePerform3(H.Domain(sconn, "web1", UUID), "<x/>", None, 0,
                                               None, None, DST_URI, None,
                                               VIR_MIGRATE_PEER2PEER, None, 0)
        gone = sconn.driver.domainMigratePerform3(H.Domain(sconn, "gone", UUID), "<x/>",
                                                  None, 0, None, None, DST_URI, None,
                                                  VIR_MIGRATE_PEER2PEER, None, 0)
    assert (r, gone) == (0, -1)
    assert got[:2] == [("web1", 5, None, VIR_MIGRATE_PEER2PEER, "<x/>"),
                       ("py-cookie", 9, None, "tcp:py:1", 0)]


def test_no_peer_to_peer_and_no_connection(monkeypatch):
    p = Parties(monkeypatch)
    p.dst.features = frozenset()
    sconn = p.open(SRC_URI)
    with p.client.activate():
        r1 = sconn.driver.domainMigratePerform3(H.Domain(sconn, "web1", UUID), "<x/>", None,
                                                0, None, None, DST_URI, None,
                                                VIR_MIGRATE_PEER2PEER, None, 0)
        r2 = sconn.driver.domainMigratePerform3(H.Domain(sconn, "web1", UUID), "<x/>", None,
                                                0, None, None, "qemu+ssh://nowhere/system",
                                                None, VIR_MIGRATE_PEER2PEER, None, 0)
    assert (r1, r2) == (-1, -1)
    assert [(e.code, e.raw) for e in p.client.errors] == [
        (VIR_ERR_OPERATION_FAILED, "no p2p"),
        (VIR_ERR_OPERATION_FAILED,
         "selftest source cannot reach qemu+ssh://nowhere/system")]


def test_a_stub_no_module_defines_is_an_error_naming_it(monkeypatch):
    p = Parties(monkeypatch)
    monkeypatch.delitem(CP.OVERRIDES, "virGetDomain")
    monkeypatch.setattr(CP, "STUB_MODULES", ("qemu_migration.world.no_such_module",))
    monkeypatch.setattr(CP, "_PY_STUBS", {})
    dconn = p.open(DST_URI)
    with p.client.activate(), pytest.raises(CP.MissingStub, match="no Python stub virGetDomain"):
        dconn.driver.domainMigrateFinish3(dconn, "web1", None, 0, None, None, None, None, 0, 0)


def test_the_c_side_has_what_the_python_side_has():
    """The unit compiles what the ports add to a host's unit (port/unit.py), the remote
    driver has every member the wire knows, the client is libvirt.c's ported flows."""
    from qemu_migration.port import driver, libvirt, peer2peer, process, protocol, qemu_domain
    from qemu_migration.port.unit import SHARED
    assert set(CP.MEMBER_PROTOS) == set(H.MEMBERS)
    assert CP.DRIVER_TABLE == driver.DRIVER_TABLE
    unit = [n for names in CP.UNIT_FUNCTIONS.values() for n in names]
    assert sorted(unit) == sorted(qemu_domain.DRIVER_ONLY + [n for m in SHARED for n in m.UNIT])
    assert CP.CLIENT_FUNCTIONS == {libvirt.LIBVIRT_C: libvirt.CLIENT}
    # every C function of the unit and the client finds its Python port's stubs first
    assert set(CP.PORT_OF) == set(peer2peer.UNIT + protocol.UNIT + driver.UNIT + process.UNIT
                                  + libvirt.CLIENT)
    # nothing is both compiled and stubbed
    assert not set(CP.STUBS) & set(unit + libvirt.CLIENT)


def test_generated_stub_and_numbers():
    text = CP._forwarder("virFoo", "virFoo", "virDomainPtr", ["virConnectPtr", "int"])
    assert "a_[0].p = (void *)a0;" in text and "a_[1].i = (long long)a1;" in text
    assert 'qmc_py_stub("virFoo", 2, a_, &r_);' in text
    assert text.rstrip().endswith("return (virDomainPtr)r_.p;\n}".rstrip())
    nums = CP._numbers("#define VIR_MIGRATE_LIVE 1")
    assert "#define VIR_MIGRATE_LIVE" not in nums
    assert "#define VIR_DRV_FEATURE_MIGRATION_V3 6" in nums
    assert "#define VIR_ERR_OPERATION_DENIED 29" in nums


# --- the real units and client ------------------------------------------------------------

if LIBVIRT_SRC:
    # Defined only where libvirt sources are at hand (CI has none by design and holds the
    # Python protocol to the recorded observations instead).

    @pytest.mark.parametrize("version", ["pre", "post", "fixed"])
    def test_a_versions_unit_builds_and_answers(version):
        from qemu_migration.upstream import chost
        entry = chost.entry_points(version, LIBVIRT_SRC)
        assert set(entry) == set(CP.DRIVER_TABLE)
        w = World(Driver())
        with w.activate():
            assert [entry["supports_feature"](None, f) for f in range(1, 9)] == [
                0, 0, 1, 1, 0, 1, 1, 0]
        assert [t.name for t in w.trace] == ["qemudSupportsFeature"] * 8

    def test_the_unit_functions_are_the_same_at_both_commits():
        for path, names in CP.UNIT_FUNCTIONS.items():
            texts = [X.parse_functions(X.read_source(LIBVIRT_SRC, c, path), path)
                     for c in (X.PRE, X.POST)]
            for n in names:
                assert texts[0][n].text == texts[1][n].text, n

    def test_the_client_builds():
        from qemu_migration.upstream import chost
        c = chost.client(LIBVIRT_SRC)
        assert {"virDomainMigrate", "virDomainMigrateVersion2", "virDomainMigrateVersion3",
                "virDomainMigratePeer2Peer"} <= set(c.names)

    def test_a_real_prepare3_behind_the_wire_keeps_each_hosts_port():
        from qemu_migration.upstream import chost
        net = H.Network()
        hs = [net.add(H.Host(n, "post", World(Driver(hostname=n + ".example.org")),
                             "qemu+ssh://%s/system" % n,
                             entry=chost.entry_points("post", LIBVIRT_SRC)))
              for n in ("a", "b")]
        client = World()
        outs = []
        with client.activate():
            for h in (hs[0], hs[0], hs[1]):
                conn = net.open(h.uri)
                uo = Ptr(None)
                xml = domain_xml(name="web%d" % len(outs), uuid=UUID[:-1] + str(len(outs)))
                assert conn.driver.domainMigratePrepare3(conn, None, 0, Ptr(None), Ptr(0),
                                                         None, uo, 0, None, 0, xml) == 0
                outs.append(uo.value)
        # PrepareDirect's static port is per host: b starts at the first port again
        assert outs == ["tcp:a.example.org:49152", "tcp:a.example.org:49153",
                        "tcp:b.example.org:49152"]


def test_compare_text_shows_the_protocol_rows():
    from qemu_migration.upstream.cli import render_text
    text = render_text({"versions": {}, "cases": 3, "disagree": 1, "protocol": {
        "rows": 3, "faults": True, "seconds": 1.5, "recorded": "fixtures/upstream/protocol.json",
        "disagree": [{"case": "protocol/v3/pre/post/clean",
                      "fields": ['outcome: python="migrated" c="refused"']}]}})
    assert text.splitlines() == [
        "protocol with faults: 3 rows, 1 disagree; recorded in fixtures/upstream/protocol.json "
        "(1.50s)",
        "  DISAGREE protocol/v3/pre/post/clean",
        '    outcome: python="migrated" c="refused"',
        "3 cases, 1 disagree"]
