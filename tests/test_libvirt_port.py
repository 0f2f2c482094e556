"""port/libvirt.py: the client side of a migration (libvirt.c's virDomainMigrate and the
flows it picks), run between two test-double hosts.

Each host's ``entry`` table is filled here: every virDriver member records its call
(member, host, arguments) and does what the test scripts (fill out-parameters,
return a value, or fail with an error raised in the host's world, which the wire
carries back to the client).  The port of the hosts' real entry points
(port/driver.py) is not used: these tests pin down the client's own decisions --
which flow, which calls in which order with which arguments, which error the user
sees.
"""
import os
from types import SimpleNamespace

import pytest

from conftest import misspelt_gotos
from qemu_migration.port import libvirt
from qemu_migration.world import stubs_client
from qemu_migration.world.constants import (NULL, VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING,
                                            VIR_ERR_OPERATION_FAILED, VIR_ERR_OPERATION_INVALID,
                                            VIR_FROM_QEMU, VIR_MIGRATE_CHANGE_PROTECTION,
                                            VIR_MIGRATE_LIVE, VIR_MIGRATE_PAUSED,
                                            VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_TUNNELLED,
                                            VIR_CONNECT_RO)
from qemu_migration.world.errors import VirError
from qemu_migration.world.hosts import (MEMBERS, VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION,
                                        VIR_DRV_FEATURE_MIGRATION_P2P,
                                        VIR_DRV_FEATURE_MIGRATION_V1,
                                        VIR_DRV_FEATURE_MIGRATION_V2,
                                        VIR_DRV_FEATURE_MIGRATION_V3, Domain, Host, Network)
from qemu_migration.world.runtime import FaultPlan, NoSuchLabel, World, current

SRC_URI = "qemu+ssh://src.example.org/system"
DST_URI = "qemu+ssh://dest.example.org/system"
UUID = "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a"
XML = "<domain type='kvm'><name>web1</name></domain>"
MIG_URI = "tcp:dest.example.org:49152"
QEMU_ALL = frozenset((VIR_DRV_FEATURE_MIGRATION_V2, VIR_DRV_FEATURE_MIGRATION_P2P,
                      VIR_DRV_FEATURE_MIGRATION_V3, VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION))
OLD = frozenset((VIR_DRV_FEATURE_MIGRATION_V2, VIR_DRV_FEATURE_MIGRATION_P2P))


def fails(code, msg, ret, reporter="qemuMigrationX"):
    """A scripted entry point that fails: the error raised in the host's world."""
    def entry(*args):
        current().raise_error(VirError(code, VIR_FROM_QEMU, msg, reporter))
        return ret
    return entry


def _set(ptr, value):
    if ptr is not NULL:
        ptr.value = value


def defaults(host):
    """What a host that lets the migration through answers."""
    def info(dom, inf):
        inf.state = VIR_DOMAIN_RUNNING
        return 0

    def out(cookie, ret):
        def entry(*args):
            # the cookie out-parameters sit at the same places in every member that has them
            for a in args:
                if getattr(a, "role", None) == "cookieout" or getattr(a, "role", None) == "cookie":
                    a.value = cookie
                if getattr(a, "role", None) in ("cookieoutlen", "cookielen"):
                    a.value = len(cookie)
                if getattr(a, "role", None) == "uri_out":
                    a.value = MIG_URI
            return ret(args) if callable(ret) else ret
        return entry

    def dom(args):
        return Domain(args[0], args[1], UUID, 8)

    return {
        "supports_feature": lambda conn, f: int(f in host.features),
        "getURI": lambda conn: host.uri,
        "domainLookupByName": lambda conn, name: Domain(conn, name, UUID, 8),
        "domainGetInfo": info,
        "domainGetXMLDesc": lambda d, flags: XML,
        "domainMigratePrepare": out("c-prep1", 0),
        "domainMigrateFinish": lambda *a: Domain(a[0], a[1], UUID, 8),
        "domainMigratePrepare2": out("c-prep2", 0),
        "domainMigratePrepareTunnel": lambda *a: 0,
        "domainMigratePerform": lambda *a: 0,
        "domainMigrateFinish2": lambda *a: Domain(a[0], a[1], UUID, 8),
        "domainMigrateBegin3": out("c-begin", XML),
        "domainMigratePrepare3": out("c-prep3", 0),
        "domainMigratePrepareTunnel3": lambda *a: 0,
        "domainMigratePerform3": out("c-perf3", 0),
        "domainMigrateFinish3": out("c-fin3", dom),
        "domainMigrateConfirm3": lambda *a: 0,
    }


class Rig:
    """Two test-double hosts on one network, the client's world and its connections."""

    def __init__(self, src_features=QEMU_ALL, dst_features=QEMU_ALL, script=None,
                 faults=None):
        self.net = Network()
        self.calls = []
        self.src = self.net.add(Host("source", "post", World(), SRC_URI, features=src_features))
        self.dst = self.net.add(Host("destination", "post", World(), DST_URI,
                                     features=dst_features))
        script = script or {}
        for host in (self.src, self.dst):
            table = defaults(host)
            for member in MEMBERS:
                table[member] = script.get((member, host.name), table[member])
                table[member] = self._recording(host, member, table[member])
            host.entry = table
        self.client = World(faults=FaultPlan.of(faults or []))
        self.sconn = self.net.open(SRC_URI)
        self.dconn = self.net.open(DST_URI)
        self.dom = Domain(self.sconn, "web1", UUID, 7)

    def _recording(self, host, member, fn):
        def entry(*args):
            self.calls.append((member, host.name, args))
            return fn(*args)
        return entry

    def migrate(self, flags=VIR_MIGRATE_LIVE, dname=None, uri=None, bandwidth=0, fn=None,
                args=None):
        with self.client.activate():
            if fn is None:
                self.ret = libvirt.virDomainMigrate(self.dom, self.dconn, flags, dname, uri,
                                                    bandwidth)
            else:
                self.ret = fn(*args)
            self.error = stubs_client.virGetLastError()
        return self.ret

    # what a test reads
    def members(self):
        """The calls that reached a host, as 'member@host', supports_feature left out."""
        return ["%s@%s" % (m, h) for m, h, _ in self.calls if m != "supports_feature"]

    def args(self, member):
        found = [a for m, _, a in self.calls if m == member]
        assert len(found) == 1, (member, found)
        return found[0]

    def seen(self):
        """The error the user of the API sees: (code, domain, message)."""
        e = self.error
        return None if e is None else (e.code, e.domain, e.message)


def qemu_error(msg, code=VIR_ERR_OPERATION_INVALID):
    return (code, VIR_FROM_QEMU, VirError(code, VIR_FROM_QEMU, msg, "x").message)


V3_CALLS = ["domainMigrateBegin3@source", "domainGetInfo@source",
            "domainMigratePrepare3@destination", "domainMigratePerform3@source",
            "domainMigrateFinish3@destination", "domainMigrateConfirm3@source"]
V2_CALLS = ["domainGetXMLDesc@source", "domainGetInfo@source",
            "domainMigratePrepare2@destination", "domainMigratePerform@source",
            "domainMigrateFinish2@destination"]


# --- which flow ----------------------------------------------------------------------


def test_v3_when_both_hosts_speak_it():
    r = Rig()
    ddomain = r.migrate()
    assert r.members() == V3_CALLS
    assert ddomain == Domain(r.dconn, "web1", UUID, 8)
    assert r.seen() is None
    # the features asked, in order: protection (v3) after the flow's choice
    feats = [(h, a[1]) for m, h, a in r.calls if m == "supports_feature"]
    assert feats == [("source", VIR_DRV_FEATURE_MIGRATION_V3),
                     ("destination", VIR_DRV_FEATURE_MIGRATION_V3),
                     ("source", VIR_DRV_FEATURE_MIGRATE_CHANGE_PROTECTION)]


@pytest.mark.parametrize("src,dst", [(OLD, QEMU_ALL), (QEMU_ALL, OLD), (OLD, OLD)])
def test_v2_when_either_host_lacks_v3(src, dst):
    r = Rig(src, dst)
    ddomain = r.migrate()
    assert r.members() == V2_CALLS
    assert ddomain == Domain(r.dconn, "web1", UUID, 8)
    assert r.seen() is None


def test_v1_only_when_both_lack_v2_and_v3():
    v1 = frozenset((VIR_DRV_FEATURE_MIGRATION_V1,))
    r = Rig(v1 | {VIR_DRV_FEATURE_MIGRATION_V3}, v1 | {VIR_DRV_FEATURE_MIGRATION_V2})
    assert r.migrate() == Domain(r.dconn, "web1", UUID, 8)
    assert r.members() == ["domainGetInfo@source", "domainMigratePrepare@destination",
                           "domainMigratePerform@source", "domainMigrateFinish@destination"]
    # the cookie Prepare gave reaches Perform and Finish, and Prepare's URI replaces none
    assert r.args("domainMigratePerform")[1:4] == ("c-prep1", 7, MIG_URI)
    assert r.args("domainMigrateFinish")[1:5] == ("web1", "c-prep1", 7, MIG_URI)
    # the guest runs: the flags go as given, not paused (L3987-3989)
    assert not r.args("domainMigratePrepare")[5] & VIR_MIGRATE_PAUSED


@pytest.mark.parametrize("src,dst", [
    (frozenset((VIR_DRV_FEATURE_MIGRATION_V3,)), frozenset((VIR_DRV_FEATURE_MIGRATION_V2,))),
    # v1 too needs both hosts (L4695-4698)
    (frozenset((VIR_DRV_FEATURE_MIGRATION_V1,)), frozenset((VIR_DRV_FEATURE_MIGRATION_V3,)))])
def test_no_common_protocol_is_refused(src, dst):
    r = Rig(src, dst)
    assert r.migrate() is None
    assert r.members() == []
    assert r.seen() == (3, 0, "this function is not supported by the connection driver: "
                              "virDomainMigrate")
    assert r.error.reporter == "virDomainMigrate"
    # dispatched on the source connection, printed by the default handler
    assert r.sconn.err == r.error
    assert r.client.logs == ["stderr: libvir: error : this function is not supported by the "
                             "connection driver: virDomainMigrate\n"]


def test_p2p_with_the_feature_hands_everything_to_the_source():
    r = Rig()
    ddomain = r.migrate(VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER)
    assert r.members() == ["domainMigratePerform3@source", "domainLookupByName@destination"]
    # Perform3 gets the destination's URI from the client's connection, nothing else
    assert r.args("domainMigratePerform3") == (
        r.dom, NULL, NULL, 0, NULL, NULL, DST_URI, NULL,
        VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, NULL, 0)
    assert r.args("domainLookupByName") == (r.dconn, "web1")
    assert ddomain == Domain(r.dconn, "web1", UUID, 8)
    assert "virConnectGetURI" in [e.name for e in r.client.trace]


def test_p2p_with_a_uri_and_a_new_name():
    r = Rig()
    r.migrate(VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED, dname="web2",
              uri="qemu+tls://other.example.org/system", bandwidth=30)
    assert r.args("domainMigratePerform3")[6:] == (
        "qemu+tls://other.example.org/system", NULL,
        VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED, "web2", 30)
    assert r.args("domainLookupByName") == (r.dconn, "web2")
    assert "virConnectGetURI" not in [e.name for e in r.client.trace]


def test_p2p_to_a_source_without_v3_uses_perform():
    r = Rig(OLD)
    assert r.migrate(VIR_MIGRATE_PEER2PEER) is not None
    assert r.members() == ["domainMigratePerform@source", "domainLookupByName@destination"]
    assert r.args("domainMigratePerform") == (r.dom, NULL, 0, DST_URI, VIR_MIGRATE_PEER2PEER,
                                              NULL, 0)


def test_p2p_without_the_feature_is_refused():
    r = Rig(frozenset((VIR_DRV_FEATURE_MIGRATION_V3,)))
    assert r.migrate(VIR_MIGRATE_PEER2PEER) is None
    assert r.members() == []
    assert r.seen() == (3, 0, "this function is not supported by the connection driver: "
                              "virDomainMigrate")


def test_p2p_refused_by_the_source_gives_its_error():
    r = Rig(script={("domainMigratePerform3", "source"): fails(
        VIR_ERR_OPERATION_INVALID, "cannot migrate domain with 3 snapshots", -1)})
    assert r.migrate(VIR_MIGRATE_PEER2PEER) is None
    assert r.members() == ["domainMigratePerform3@source"]
    assert r.seen() == qemu_error("cannot migrate domain with 3 snapshots")
    assert r.error.reporter == "qemuMigrationX"


def test_p2p_whose_domain_is_not_found_on_the_destination():
    r = Rig(script={("domainLookupByName", "destination"): fails(
        42, "no domain with matching name 'web1'", NULL)})
    assert r.migrate(VIR_MIGRATE_PEER2PEER) is None
    assert r.seen() == (42, VIR_FROM_QEMU, "Domain not found: no domain with matching name 'web1'")
    # dispatched twice: by virDomainLookupByName on dconn, by virDomainMigrate on the source
    assert r.dconn.err == r.error and r.sconn.err == r.error
    assert len(r.client.logs) == 2


def test_p2p_when_the_destination_uri_cannot_be_formatted():
    r = Rig(faults=[("virConnectGetURI", 1)])
    assert r.migrate(VIR_MIGRATE_PEER2PEER) is None
    assert r.members() == []
    assert r.seen() == (2, 0, "out of memory")
    # returned at once: dispatched on dconn by virConnectGetURI, not again on the source
    assert r.dconn.err == r.error and r.sconn.err is None
    assert len(r.client.logs) == 1


def test_tunnelled_without_p2p_is_refused():
    r = Rig()
    assert r.migrate(VIR_MIGRATE_TUNNELLED) is None
    assert r.members() == []
    assert r.seen() == (55, 0, "Requested operation is not valid: cannot perform tunnelled "
                               "migration without using peer2peer flag")


def test_change_protection_unsupported_is_refused():
    r = Rig(OLD)
    assert r.migrate(VIR_MIGRATE_CHANGE_PROTECTION) is None
    assert r.members() == []
    assert r.seen() == (74, 0, "argument unsupported: cannot enforce change protection")


def test_change_protection_goes_to_the_source_only():
    r = Rig()
    assert r.migrate(VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION) is not None
    prot = VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION
    assert r.args("domainMigrateBegin3")[4] == prot
    assert r.args("domainMigratePrepare3")[7] == VIR_MIGRATE_LIVE
    assert r.args("domainMigratePerform3")[8] == prot
    assert r.args("domainMigrateFinish3")[8] == VIR_MIGRATE_LIVE
    assert r.args("domainMigrateConfirm3")[3] == prot


def test_change_protection_masked_for_v2_to_an_older_destination():
    r = Rig(QEMU_ALL, OLD)
    assert r.migrate(VIR_MIGRATE_CHANGE_PROTECTION) is not None
    assert r.members() == V2_CALLS
    assert r.args("domainMigratePrepare2")[5] == 0
    assert r.args("domainMigratePerform")[4] == 0


@pytest.mark.parametrize("which", ["source", "destination"])
def test_a_read_only_connection_is_refused_against_the_source(which):
    r = Rig()
    (r.sconn if which == "source" else r.dconn).flags = VIR_CONNECT_RO
    assert r.migrate() is None
    assert r.members() == []
    assert r.seen() == (29, 6, "operation virDomainMigrate forbidden for read only access")
    assert r.sconn.err == r.error


def test_a_released_destination_connection_is_refused():
    r = Rig()
    r.dconn.refs = 0
    assert r.migrate() is None
    assert r.seen() == (6, 0, "invalid connection pointer in virDomainMigrate")


def test_no_domain_is_refused_and_dispatched_on_no_connection():
    r = Rig()
    assert r.migrate(fn=libvirt.virDomainMigrate, args=(None, r.dconn, 0, None, None, 0)) is None
    assert r.seen() == (7, 6, "invalid domain pointer in virDomainMigrate")
    assert r.sconn.err is None and r.dconn.err is None
    assert r.client.logs == ["stderr: libvir: Domain error : invalid domain pointer in "
                             "virDomainMigrate\n"]


def test_an_earlier_error_of_the_client_is_reset():
    r = Rig()
    with r.client.activate():
        stubs_client.virLibConnError(1, "stale")
    r.migrate()
    assert r.seen() is None and len(r.client.errors) == 1


# --- v3 -------------------------------------------------------------------------------


def test_v3_passes_cookies_and_uri_along():
    r = Rig()
    r.migrate(VIR_MIGRATE_LIVE, bandwidth=50)
    assert r.args("domainMigrateBegin3")[:2] == (r.dom, NULL)
    assert r.args("domainMigrateBegin3")[4:] == (VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION,
                                                  NULL, 50)
    prep = r.args("domainMigratePrepare3")
    assert prep[:3] == (r.dconn, "c-begin", 7)
    assert (prep[5], prep[7:]) == (NULL, (VIR_MIGRATE_LIVE, NULL, 50, XML))
    perf = r.args("domainMigratePerform3")
    assert perf[1:4] == (NULL, "c-prep3", 7) and perf[6:8] == (NULL, MIG_URI)
    fin = r.args("domainMigrateFinish3")
    assert fin[1:4] == ("web1", "c-perf3", 7) and fin[6:] == (NULL, MIG_URI,
                                                              VIR_MIGRATE_LIVE, 0)
    conf = r.args("domainMigrateConfirm3")
    assert conf == (r.dom, "c-fin3", 6, VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION, 0)


def test_v3_a_paused_guest_stays_paused():
    def paused(dom, info):
        info.state = VIR_DOMAIN_PAUSED
        return 0
    r = Rig(script={("domainGetInfo", "source"): paused})
    r.migrate(VIR_MIGRATE_LIVE)
    assert r.args("domainMigratePrepare3")[7] == VIR_MIGRATE_LIVE | VIR_MIGRATE_PAUSED
    # Begin3 was asked before the state was known
    assert r.args("domainMigrateBegin3")[4] == VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION


def test_v3_a_failed_info_is_ignored_but_its_error_stays():
    r = Rig(script={("domainGetInfo", "source"): fails(VIR_ERR_OPERATION_FAILED, "no info", -1)})
    assert r.migrate() is not None
    assert r.members() == V3_CALLS
    # virDomainMigrate returns the domain; the thread error is still GetInfo's
    assert r.seen() == qemu_error("no info", VIR_ERR_OPERATION_FAILED)


def test_v3_begin_fails():
    r = Rig(script={("domainMigrateBegin3", "source"): fails(
        VIR_ERR_OPERATION_INVALID, "cannot migrate domain with 3 snapshots", NULL)})
    assert r.migrate() is None
    assert r.members() == ["domainMigrateBegin3@source"]
    assert r.seen() == qemu_error("cannot migrate domain with 3 snapshots")


@pytest.mark.parametrize("confirm_fails", [False, True])
def test_v3_prepare_fails_with_protection_confirms_and_keeps_its_error(confirm_fails):
    script = {("domainMigratePrepare3", "destination"): fails(
        VIR_ERR_OPERATION_INVALID, "Domain with assigned host devices cannot be migrated", -1)}
    if confirm_fails:
        script[("domainMigrateConfirm3", "source")] = fails(VIR_ERR_OPERATION_FAILED,
                                                            "confirm broke", -1)
    r = Rig(script=script)
    assert r.migrate() is None
    assert r.members() == V3_CALLS[:3] + ["domainMigrateConfirm3@source"]
    # cancelled, with the cookie Begin gave (nothing came back from Prepare)
    assert r.args("domainMigrateConfirm3") == (r.dom, NULL, 0, VIR_MIGRATE_LIVE |
                                               VIR_MIGRATE_CHANGE_PROTECTION, 1)
    assert r.seen() == qemu_error("Domain with assigned host devices cannot be migrated")
    assert r.client.logs[-2:-1] == (["warning: Guest web1 probably left in 'paused' state on "
                                     "source"] if confirm_fails else [])


def test_v3_prepare_fails_without_protection_does_not_confirm():
    r = Rig(OLD | {VIR_DRV_FEATURE_MIGRATION_V3}, script={
        ("domainMigratePrepare3", "destination"): fails(VIR_ERR_OPERATION_INVALID, "refused", -1)})
    assert r.migrate() is None
    assert r.members() == V3_CALLS[:3]
    assert r.args("domainMigrateBegin3")[4] == VIR_MIGRATE_LIVE
    assert r.seen() == qemu_error("refused")


def test_v3_prepare_returning_other_than_minus_one_is_not_a_failure():
    r = Rig(script={("domainMigratePrepare3", "destination"): lambda *a: -2})
    assert r.migrate(uri=MIG_URI) is not None
    assert r.members() == V3_CALLS
    # the daemon saw a failure with no error set and sent its own; nothing cleared it
    assert r.seen() == (1, 7, "Library function returned error but did not set virError")


def test_v3_perform_fails_finish_cancels_and_no_confirm():
    r = Rig(script={
        ("domainMigratePerform3", "source"): fails(VIR_ERR_OPERATION_FAILED, "migration job: "
                                                   "unexpectedly failed", -1),
        ("domainMigrateFinish3", "destination"): fails(VIR_ERR_OPERATION_FAILED,
                                                       "domain did not arrive", NULL)})
    assert r.migrate() is None
    assert r.members() == V3_CALLS[:5]
    assert r.args("domainMigrateFinish3")[9] == 1
    # Perform3 handed back no cookie: Finish3 gets none, its length reset to 0 (L4284-4285)
    assert r.args("domainMigrateFinish3")[2:4] == (NULL, 0)
    # Perform's error, not Finish's
    assert r.seen() == qemu_error("migration job: unexpectedly failed", VIR_ERR_OPERATION_FAILED)


def test_v3_perform_fails_and_its_error_cannot_be_saved():
    r = Rig(script={
        ("domainMigratePerform3", "source"): fails(VIR_ERR_OPERATION_FAILED, "perform", -1),
        ("domainMigrateFinish3", "destination"): fails(VIR_ERR_OPERATION_FAILED, "finish",
                                                       NULL)},
        faults=[("virSaveLastError", 1)])
    assert r.migrate() is None
    # the save after Finish3 is tried again and keeps Finish's error
    assert r.seen() == qemu_error("finish", VIR_ERR_OPERATION_FAILED)
    assert r.client.errno == 12


@pytest.mark.parametrize("confirm_fails", [False, True])
def test_v3_finish_null_confirms_cancelled_and_keeps_its_error(confirm_fails):
    script = {("domainMigrateFinish3", "destination"): fails(VIR_ERR_OPERATION_FAILED,
                                                             "guest did not start", NULL)}
    if confirm_fails:
        script[("domainMigrateConfirm3", "source")] = fails(VIR_ERR_OPERATION_FAILED,
                                                            "confirm", -1)
    r = Rig(script=script)
    assert r.migrate() is None
    assert r.members() == V3_CALLS
    # cancelled, with what Finish gave back: no cookie (Perform's is not sent again)
    assert r.args("domainMigrateConfirm3")[1:] == (NULL, 0, VIR_MIGRATE_LIVE |
                                                   VIR_MIGRATE_CHANGE_PROTECTION, 1)
    assert r.seen() == qemu_error("guest did not start", VIR_ERR_OPERATION_FAILED)


def test_v3_confirm_fails_after_success():
    r = Rig(script={("domainMigrateConfirm3", "source"): fails(VIR_ERR_OPERATION_FAILED,
                                                               "confirm", -1)})
    ddomain = r.migrate()
    assert ddomain == Domain(r.dconn, "web1", UUID, 8)
    assert r.args("domainMigrateConfirm3")[4] == 0
    assert r.client.logs == ["warning: Guest web1 probably left in 'paused' state on source"]
    # the error saved after Finish was none: restoring it clears Confirm's
    assert r.seen() is None
    assert [e.raw for e in r.client.errors] == ["confirm"]


def test_v3_prepare_that_sets_no_uri():
    r = Rig(script={("domainMigratePrepare3", "destination"): lambda *a: 0,
                    ("domainMigrateFinish3", "destination"): fails(
                        VIR_ERR_OPERATION_FAILED, "finish", NULL)})
    assert r.migrate() is None
    assert r.members() == V3_CALLS[:3] + V3_CALLS[4:]
    # Finish cancels with no URI; Confirm is told too
    assert r.args("domainMigrateFinish3")[7:] == (NULL, VIR_MIGRATE_LIVE, 1)
    assert r.args("domainMigrateConfirm3")[4] == 1
    assert r.client.logs[0] == ("stderr: libvir: error : internal error domainMigratePrepare3 "
                                "did not set uri\n")
    assert r.seen() == qemu_error("finish", VIR_ERR_OPERATION_FAILED)


def test_v3_with_a_uri_the_destination_does_not_change():
    r = Rig(script={("domainMigratePrepare3", "destination"): lambda *a: 0})
    r.migrate(uri="tcp:10.0.0.2")
    assert r.args("domainMigratePerform3")[7] == "tcp:10.0.0.2"
    assert r.args("domainMigrateFinish3")[7] == "tcp:10.0.0.2"


@pytest.mark.parametrize("missing", ["domainMigrateBegin3", "domainMigratePerform3",
                                     "domainMigrateConfirm3", "domainMigratePrepare3",
                                     "domainMigrateFinish3"])
def test_v3_a_driver_without_a_member(missing):
    r = Rig()
    members = dict.fromkeys(["domainMigrateBegin3", "domainMigratePerform3",
                             "domainMigrateConfirm3", "domainMigratePrepare3",
                             "domainMigrateFinish3"], lambda *a: pytest.fail("called"))
    members[missing] = NULL
    fake = SimpleNamespace(driver=SimpleNamespace(**members), flags=0, refs=1, err=None)
    dom = Domain(fake, "web1", UUID, 7)
    assert r.migrate(fn=libvirt.virDomainMigrateVersion3,
                     args=(dom, fake, NULL, 0, NULL, NULL, 0)) is None
    assert r.seen() == (1, 0, "internal error virDomainMigrateVersion3")
    assert fake.err == r.error


# --- v2 -------------------------------------------------------------------------------


def test_v2_passes_xml_cookie_and_uri_along():
    r = Rig(OLD, OLD)
    r.migrate(VIR_MIGRATE_LIVE, bandwidth=10)
    assert r.args("domainGetXMLDesc") == (r.dom, 1 | 4)
    prep = r.args("domainMigratePrepare2")
    assert (prep[0], prep[3], prep[5:]) == (r.dconn, NULL, (VIR_MIGRATE_LIVE, NULL, 10, XML))
    assert r.args("domainMigratePerform") == (r.dom, "c-prep2", 7, MIG_URI, VIR_MIGRATE_LIVE,
                                              NULL, 10)
    assert r.args("domainMigrateFinish2") == (r.dconn, "web1", "c-prep2", 7, MIG_URI,
                                              VIR_MIGRATE_LIVE, 0)


def test_v2_a_paused_guest_stays_paused():
    def paused(dom, info):
        info.state = VIR_DOMAIN_PAUSED
        return 0
    r = Rig(OLD, OLD, script={("domainGetInfo", "source"): paused})
    r.migrate(0, dname="web2")
    assert r.args("domainMigratePrepare2")[5:7] == (VIR_MIGRATE_PAUSED, "web2")
    assert r.args("domainMigrateFinish2")[1] == "web2"


def test_v2_xml_fails():
    r = Rig(OLD, OLD, script={("domainGetXMLDesc", "source"): fails(
        VIR_ERR_OPERATION_FAILED, "no xml", NULL)})
    assert r.migrate() is None
    assert r.members() == ["domainGetXMLDesc@source"]
    assert r.seen() == qemu_error("no xml", VIR_ERR_OPERATION_FAILED)


def test_v2_prepare_fails():
    r = Rig(OLD, OLD, script={("domainMigratePrepare2", "destination"): fails(
        VIR_ERR_OPERATION_INVALID, "Domain with assigned host devices cannot be migrated", -1)})
    assert r.migrate() is None
    assert r.members() == V2_CALLS[:3]
    assert r.seen() == qemu_error("Domain with assigned host devices cannot be migrated")


def test_v2_perform_fails_finish_cancels_and_perform_error_wins():
    r = Rig(OLD, OLD, script={
        ("domainMigratePerform", "source"): fails(VIR_ERR_OPERATION_INVALID,
                                                  "cannot migrate domain with 3 snapshots", -1),
        ("domainMigrateFinish2", "destination"): fails(VIR_ERR_OPERATION_FAILED,
                                                       "domain did not arrive", NULL)})
    assert r.migrate() is None
    assert r.members() == V2_CALLS
    assert r.args("domainMigrateFinish2")[6] == 1
    assert r.seen() == qemu_error("cannot migrate domain with 3 snapshots")


def test_v2_finish_fails_after_perform():
    r = Rig(OLD, OLD, script={("domainMigrateFinish2", "destination"): fails(
        VIR_ERR_OPERATION_FAILED, "finish", NULL)})
    assert r.migrate() is None
    assert r.args("domainMigrateFinish2")[6] == 0
    assert r.seen() == qemu_error("finish", VIR_ERR_OPERATION_FAILED)


def test_v2_prepare_that_sets_no_uri():
    r = Rig(OLD, OLD, script={("domainMigratePrepare2", "destination"): lambda *a: 0})
    assert r.migrate() == Domain(r.dconn, "web1", UUID, 8)
    assert r.members() == V2_CALLS[:3] + V2_CALLS[4:]
    assert r.args("domainMigrateFinish2")[2:] == (NULL, 0, NULL, VIR_MIGRATE_LIVE, 1)
    # the error was dispatched; nothing cleared it, and the domain is returned
    assert r.seen() == (1, 0, "internal error domainMigratePrepare2 did not set uri")


def test_v2_with_a_uri_the_destination_does_not_change():
    r = Rig(OLD, OLD, script={("domainMigratePrepare2", "destination"): lambda *a: 0})
    r.migrate(uri="tcp:10.0.0.2")
    assert r.args("domainMigratePerform")[3] == "tcp:10.0.0.2"


def test_v2_a_driver_without_xml():
    r = Rig()
    fake = SimpleNamespace(driver=SimpleNamespace(domainGetXMLDesc=NULL), flags=0, refs=1,
                           err=None)
    dom = Domain(fake, "web1", UUID, 7)
    assert r.migrate(fn=libvirt.virDomainMigrateVersion2,
                     args=(dom, r.dconn, 0, NULL, NULL, 0)) is None
    assert r.seen() == (1, 0, "internal error virDomainMigrateVersion2")
    assert r.members() == []


# --- v1 -------------------------------------------------------------------------------


V1 = frozenset((VIR_DRV_FEATURE_MIGRATION_V1,))


def test_v1_paused_and_renamed():
    def paused(dom, info):
        info.state = VIR_DOMAIN_PAUSED
        return 0
    r = Rig(V1, V1, script={("domainGetInfo", "source"): paused})
    r.migrate(0, dname="web2", uri="tcp:10.0.0.2")
    assert r.args("domainMigratePrepare")[3:] == ("tcp:10.0.0.2", r.args(
        "domainMigratePrepare")[4], VIR_MIGRATE_PAUSED, "web2", 0)
    assert r.args("domainMigratePerform")[3] == MIG_URI


@pytest.mark.parametrize("member,ret", [("domainMigratePrepare", -1),
                                        ("domainMigratePerform", -1)])
def test_v1_a_failure_ends_it(member, ret):
    host = "destination" if member == "domainMigratePrepare" else "source"
    r = Rig(V1, V1, script={(member, host): fails(VIR_ERR_OPERATION_FAILED, "v1", ret)})
    assert r.migrate() is None
    assert r.members()[-1] == member + "@" + host
    assert r.seen() == qemu_error("v1", VIR_ERR_OPERATION_FAILED)


def test_v1_prepare_that_sets_no_uri():
    r = Rig(V1, V1, script={("domainMigratePrepare", "destination"): lambda *a: 0})
    assert r.migrate() is None
    assert r.members() == ["domainGetInfo@source", "domainMigratePrepare@destination"]
    assert r.seen() == (1, 0, "internal error domainMigratePrepare did not set uri")


def test_v1_without_finish_looks_the_domain_up():
    r = Rig()
    prepare = []

    def prep(*args):
        prepare.append(args)
        args[4].value = MIG_URI
        return 0
    driver = SimpleNamespace(domainMigratePrepare=prep, domainMigrateFinish=NULL,
                             domainLookupByName=lambda conn, name: Domain(conn, name, UUID, 9))
    fake = SimpleNamespace(driver=driver, flags=0, refs=1, err=None)
    ddomain = r.migrate(fn=libvirt.virDomainMigrateVersion1,
                        args=(r.dom, fake, 0, NULL, NULL, 0))
    assert ddomain == Domain(fake, "web1", UUID, 9)
    assert r.members() == ["domainGetInfo@source", "domainMigratePerform@source"]


# --- virDomainMigratePeer2Peer, called as virDomainMigrate cannot ---------------------


@pytest.mark.parametrize("dconnuri", [None, "qemu+ssh://dest.example.org:port/system"])
def test_p2p_refuses_what_is_no_uri(dconnuri):
    r = Rig()
    assert r.migrate(fn=libvirt.virDomainMigratePeer2Peer,
                     args=(r.dom, NULL, VIR_MIGRATE_PEER2PEER, NULL, dconnuri, NULL, 0)) == -1
    assert r.seen() == (8, 0, "invalid argument: virDomainMigratePeer2Peer")
    assert r.members() == []


@pytest.mark.parametrize("dconnuri", ["qemu:///system", "qemu+ssh://localhost/system",
                                      "qemu+ssh://localhost.localdomain/system", "qemu:system"])
def test_p2p_refuses_a_local_destination(dconnuri):
    r = Rig()
    assert r.migrate(VIR_MIGRATE_PEER2PEER, uri=dconnuri) is None
    assert r.seen() == (8, 0, "invalid argument: virDomainMigratePeer2Peer")
    assert r.members() == []
    # dispatched twice: by Peer2Peer and by virDomainMigrate, both on the source
    assert len(r.client.logs) == 2
    # Peer2Peer itself returns -1 (L4405-4419)
    r = Rig()
    assert r.migrate(fn=libvirt.virDomainMigratePeer2Peer,
                     args=(r.dom, NULL, VIR_MIGRATE_PEER2PEER, NULL, dconnuri, NULL, 0)) == -1


@pytest.mark.parametrize("xmlin,uri,message", [
    ("<domain/>", NULL, "Unable to change target guest XML during migration"),
    (NULL, "tcp:10.0.0.2", "Unable to override peer2peer migration URI")])
def test_p2p_v2_refuses_xml_and_uri(xmlin, uri, message):
    r = Rig(OLD)
    assert r.migrate(fn=libvirt.virDomainMigratePeer2Peer,
                     args=(r.dom, xmlin, VIR_MIGRATE_PEER2PEER, NULL, DST_URI, uri, 0)) == -1
    assert r.seen() == (1, 0, "internal error " + message)
    assert r.members() == []
    assert r.client.logs == []      # not dispatched here


def test_p2p_v3_passes_xml_and_uri():
    r = Rig()
    assert r.migrate(fn=libvirt.virDomainMigratePeer2Peer,
                     args=(r.dom, "<domain/>", 2, "web2", DST_URI, "tcp:10.0.0.2", 5)) == 0
    assert r.args("domainMigratePerform3") == (r.dom, "<domain/>", NULL, 0, NULL, NULL,
                                               DST_URI, "tcp:10.0.0.2", 2, "web2", 5)


def test_p2p_a_driver_without_perform():
    r = Rig()
    fake = SimpleNamespace(driver=SimpleNamespace(domainMigratePerform=NULL), flags=0, refs=1,
                           err=None)
    assert r.migrate(fn=libvirt.virDomainMigratePeer2Peer,
                     args=(Domain(fake, "web1", UUID, 7), NULL, 2, NULL, DST_URI, NULL, 0)) == -1
    assert r.seen() == (3, 0, "this function is not supported by the connection driver: "
                              "virDomainMigratePeer2Peer")


# --- the wire: an RPC that fails -----------------------------------------------------


def test_a_broken_feature_query_reads_as_unsupported_and_leaves_its_error():
    # the first supports_feature crossing (v3 on the source) breaks: v2 is used
    r = Rig(faults=[("remote:supports_feature@source", 1)])
    assert r.migrate() is not None
    assert r.members() == V2_CALLS
    # its error was raised (the remote driver's read finding the connection closed:
    # VIR_ERR_SYSTEM_ERROR from VIR_FROM_RPC), and virDomainGetInfo's reset cleared it
    assert [(e.code, e.domain, e.message) for e in r.client.errors] == [
        (38, 7, "End of file while reading data: Input/output error")]
    assert r.seen() is None


def test_a_broken_confirm_rpc():
    r = Rig(faults=[("remote:domainMigrateConfirm3@source", 1)])
    assert r.migrate() is not None
    assert r.members() == V3_CALLS[:-1]
    assert r.client.logs == ["warning: Guest web1 probably left in 'paused' state on source"]


def test_the_client_trace_shows_the_flow_and_the_crossings():
    r = Rig()
    r.migrate()
    names = [e.name for e in r.client.trace if e.depth <= 1]
    assert names[:4] == ["virDomainMigrate", "virResetLastError",
                         "remote:supports_feature@source", "remote:supports_feature@destination"]
    assert names[4] == "virDomainMigrateVersion3"
    assert [e.name for e in r.client.trace if e.depth == 2] == [
        "remote:supports_feature@source", "remote:domainMigrateBegin3@source",
        "virDomainGetInfo", "remote:domainMigratePrepare3@destination",
        "remote:domainMigratePerform3@source", "remote:domainMigrateFinish3@destination",
        "virSaveLastError", "remote:domainMigrateConfirm3@source", "virSetError",
        "virFreeError"]


# --- the label dispatch loops --------------------------------------------------------


@pytest.mark.parametrize("function,features,flags,failing,label", [
    ("virDomainMigrateVersion1", V1, 0, ("domainMigratePrepare", "destination"), "done"),
    ("virDomainMigrateVersion2", OLD, 0, ("domainMigratePrepare2", "destination"), "done"),
    ("virDomainMigrateVersion3", QEMU_ALL, 0, ("domainMigrateBegin3", "source"), "done"),
    ("virDomainMigrate", QEMU_ALL, VIR_MIGRATE_TUNNELLED, None, "error"),
])
def test_dispatch_loop_refuses_unknown_label(monkeypatch, function, features, flags, failing,
                                             label):
    misspelt_gotos(monkeypatch, libvirt, function)
    script = {failing: fails(VIR_ERR_OPERATION_FAILED, "x", None if "Begin" in failing[0]
                             else -1)} if failing else {}
    r = Rig(features, features, script=script)
    with pytest.raises(NoSuchLabel) as e:
        r.migrate(flags)
    assert (e.value.function, e.value.label) == (function, label + "_misspelt")


def test_v1_with_a_uri_the_destination_does_not_change():
    r = Rig(V1, V1, script={("domainMigratePrepare", "destination"): lambda *a: 0})
    assert r.migrate(uri="tcp:10.0.0.2") is not None
    assert r.args("domainMigratePerform")[1:4] == (NULL, 0, "tcp:10.0.0.2")


# --- hosts.py, as the client meets it ------------------------------------------------


def test_a_connection_has_only_the_driver_members():
    r = Rig()
    with pytest.raises(AttributeError):
        r.sconn.driver.domainMigrateUnknown
    assert repr(r.dconn) == "Connection(destination)"


def test_a_host_off_the_network_is_still_called():
    r = Rig()
    r.dst.network = None
    assert r.migrate() is not None
    assert not any(c.endswith("@destination") for c in r.net.crossings)
    assert any(c.endswith("@source") for c in r.net.crossings)


# --- the line marks, against libvirt.c itself (where sources are at hand) ------------

TRIVIAL = {"is", "not", "None", "value", "and", "or", "if", "return", "else", "NULL", "goto",
           "case", "_", "OutParam"}


def mark_problems(py_lines, c_lines, skip_below=0):
    """(line, code, C line) for every ``# L<n>`` whose code's longest word is not a word
    of line n of the C: a mark that points at the wrong line.  Words that carry no
    meaning or are Python's own (``is``, ``return``, ``NULL``, ``OutParam`` ...) count
    only on lines that have nothing else, and the text of strings not at all; a word
    of the mark's comment (``# memset(...) L3665``) counts too.  A line with no word
    (an argument such as ``0,``, the rest of a string) is found as it is; a label
    (``case "done":``) is the C label."""
    import re
    ident = re.compile(r"[A-Za-z_]\w*")
    problems = []
    for i, line in enumerate(py_lines, 1):
        m = re.search(r"#(.*)\bL(\d+)\s*$", line)
        if not m or int(m.group(2)) < skip_below:
            continue
        code = line[:line.index("#")]
        c_line = c_lines[int(m.group(2)) - 1]
        c_words = set(ident.findall(c_line))
        words = set(ident.findall(re.sub(r'"[^"]*"', "", code)))
        label = re.match(r'\s*case "(\w+)":', code)
        if label:                   # a label: the C label itself
            ok = c_line.strip() == label.group(1) + ":"
        elif not words:             # "0," or the rest of a string: the same text
            texts = re.findall(r'"([^"]*)"', code) or [code.strip()]
            ok = all(t in c_line for t in texts)
        else:                       # the longest word, or a word the comment names
            key = max(sorted(words - TRIVIAL or words), key=len)
            ok = key in c_words or bool(set(ident.findall(m.group(1))) & c_words - TRIVIAL)
        if not ok:
            problems.append((i, code.strip(), c_line.strip()))
    return problems


def test_the_mark_checker_catches_a_wrong_line():
    c = ["int x;", "    virFoo(a);", "    return -1;", "    0,  /* len */"]
    assert mark_problems(["    virFoo(a)  # L2", "    return -1  # L3"], c) == []
    assert mark_problems(["    virFoo(a)  # L3"], c) == [(1, "virFoo(a)", "return -1;")]
    assert mark_problems(["    0,  # L4", "    0,  # L2"], c) == [(2, "0,", "virFoo(a);")]
    c += ["done:", '    _("a message"));']
    assert mark_problems(['    case "done":  # L5', '    case "error":  # L5',
                          '    "message"))  # L6', '    "other"))  # L6'], c) == [
        (2, 'case "error":', "done:"), (4, '"other"))', '_("a message"));')]
    # the longest word decides: "ret" alone would be found on the wrong line
    assert mark_problems(["    ret = virFoo(a)  # L3"], c + ["    if (ret < 0)"]) == [
        (1, "ret = virFoo(a)", "return -1;")]


if os.environ.get("LIBVIRT_SRC"):
    from qemu_migration.port import VERSIONS
    from qemu_migration.upstream.extract import read_source

    @pytest.mark.parametrize("module,skip_below", [(libvirt, 0), (stubs_client, 1000)])
    def test_every_line_mark_points_at_its_line_of_libvirt_c(module, skip_below):
        # stubs_client's marks below 1000 are datatypes.h's and driver.h's
        c = read_source(os.environ["LIBVIRT_SRC"], VERSIONS["post"].commit,
                        "src/libvirt.c").split("\n")
        py = open(module.__file__).read().split("\n")
        assert mark_problems(py, c, skip_below) == []

    @pytest.mark.parametrize("commit", ["19f8c980efbbb7cf01e7f5059c9521c8dc5799ec"])
    def test_libvirt_c_is_the_same_before_the_patch(commit):
        read = lambda c: read_source(os.environ["LIBVIRT_SRC"], c, "src/libvirt.c")  # noqa: E731
        assert read(commit) == read(VERSIONS["post"].commit)
