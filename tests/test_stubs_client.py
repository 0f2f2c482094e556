"""world/stubs_client.py: the client-side functions libvirt.c's flows call, on their own."""
from types import SimpleNamespace

import pytest

from conftest import misspelt_gotos
from qemu_migration.world import stubs_client as sc
from qemu_migration.world.constants import (ERROR_DOMAIN_NAMES, NULL, VIR_ERR_OPERATION_FAILED,
                                            VIR_FROM_QEMU)
from qemu_migration.world.errors import VirError
from qemu_migration.world.hosts import Domain
from qemu_migration.world.runtime import FaultPlan, NoSuchLabel, World

UUID = "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a"


def conn(**members):
    return SimpleNamespace(driver=SimpleNamespace(**members), flags=0, refs=1, err=None,
                           uri="qemu+ssh://dest.example.org/system")


def run(fn, *args, faults=()):
    w = World(faults=FaultPlan.of(faults))
    with w.activate():
        ret = fn(*args)
        err = sc.virGetLastError()
    return w, ret, err


def seen(err):
    return None if err is None else (err.code, err.domain, err.message, err.reporter)


def test_supports_feature_is_asked_only_when_the_driver_has_it():
    assert sc.VIR_DRV_SUPPORTS_FEATURE(SimpleNamespace(supports_feature=NULL), None, 6) == 0
    answers = {6: 1, 7: 0, 3: -1}
    drv = SimpleNamespace(supports_feature=lambda c, f: answers[f])
    assert [sc.VIR_DRV_SUPPORTS_FEATURE(drv, None, f) for f in (6, 7, 3)] == [True, False, False]


def test_the_last_error_follows_reports_resets_and_restores():
    w = World()
    with w.activate():
        assert sc.virGetLastError() is None
        sc.virLibDomainError(7, "virX")
        first = sc.virGetLastError()
        assert seen(first) == (7, 6, "invalid domain pointer in virX", "caller")
        saved = sc.virSaveLastError()
        sc.virResetLastError()
        assert sc.virGetLastError() is None
        none_saved = sc.virSaveLastError()
        sc.virLibConnError(1, "%s", "later")
        assert sc.virGetLastError().message == "internal error later"
        assert sc.virSetError(saved) == 0
        assert sc.virGetLastError() is first
        sc.virFreeError(saved)
        sc.virSetError(none_saved)
        assert sc.virGetLastError() is None
        # an empty detail is no detail
        sc.virLibConnError(3, "")
        assert sc.virGetLastError().message == \
            "this function is not supported by the connection driver"
        sc.virLibConnError(3, NULL)
        assert sc.virGetLastError().raw is None
    assert len(w.errors) == 4


def test_a_save_that_cannot_allocate():
    w, ret, err = run(sc.virSaveLastError, faults=[("virSaveLastError", 1)])
    assert ret is None and w.errno == 12 and w.errors == []


def test_dispatch_with_no_error_sets_the_generic_one():
    c = conn()
    w, ret, err = run(sc.virDispatchError, c)
    assert seen(err) == (1, 0, "An error occurred, but the cause is unknown",
                         "virErrorGenericFailure")
    assert c.err is err and w.errors == [sc.GENERIC_FAILURE]
    assert err.as_dict()["message"] == "An error occurred, but the cause is unknown"
    assert w.logs == ["stderr: libvir: error : An error occurred, but the cause is unknown\n"]


def test_dispatch_prints_as_the_default_handler():
    w = World()
    with w.activate():
        w.raise_error(VirError(VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU, "broke\n", "x"))
        sc.virDispatchError(NULL)
        sc.virDefaultErrorFunc(NULL)
    # a message that ends in a newline gets none added
    assert w.logs == ["stderr: libvir: QEMU error : operation failed: broke\n"]


def test_every_error_domain_has_its_prefix():
    assert set(sc.DOMAIN_PREFIX) == set(ERROR_DOMAIN_NAMES)


@pytest.mark.parametrize("text,server", [
    ("qemu+ssh://dest.example.org/system", "dest.example.org"),
    ("qemu+ssh://root@dest.example.org:22/system?no_tty=1", "dest.example.org"),
    ("qemu+tcp://[fe80::1]:16509/system", "[fe80::1]"),
    ("qemu+ssh://d%65st/system", "dest"),
    ("qemu+ssh://dest#frag", "dest"),
    ("qemu:///system", None),
    ("qemu:system", None),
    ("//dest.example.org/system", "dest.example.org"),
    ("/system", None),
    ("a/b:c", None),
    ("a/b://dest/x", None),          # a relative path: "a/b" is no scheme, no authority
    ("a?b://dest/x", None),          # a path and a query
    ("a#b://dest/x", None),          # a path and a fragment
])
def test_xml_parse_uri_finds_the_server(text, server):
    uri = sc.xmlParseURI(text)
    assert (uri.uri, uri.server) == (text, server)
    sc.xmlFreeURI(uri)


@pytest.mark.parametrize("text", [None, "qemu+ssh://a b/system", "qemu+ssh://dest:x/system"])
def test_xml_parse_uri_refuses(text):
    assert sc.xmlParseURI(text) is None


def test_get_uri():
    c = conn()
    w, ret, err = run(sc.virConnectGetURI, c)
    assert ret == c.uri and err is None


def test_get_uri_on_a_released_connection():
    c = conn()
    c.refs = 0
    w, ret, err = run(sc.virConnectGetURI, c)
    assert ret is None and c.err is None
    assert seen(err) == (6, 0, "invalid connection pointer in virConnectGetURI",
                         "virConnectGetURI")


def test_lookup():
    c = conn(domainLookupByName=lambda cn, name: Domain(cn, name, UUID, 3))
    w, ret, err = run(sc.virDomainLookupByName, c, "web1")
    assert ret == Domain(c, "web1", UUID, 3) and err is None


@pytest.mark.parametrize("case,message", [
    ("released", "invalid connection pointer in virDomainLookupByName"),
    ("no name", "invalid argument: virDomainLookupByName"),
    ("no member", "this function is not supported by the connection driver: "
                  "virDomainLookupByName"),
])
def test_lookup_refuses(case, message):
    c = conn(domainLookupByName=NULL if case == "no member" else lambda *a: pytest.fail())
    if case == "released":
        c.refs = 0
    w, ret, err = run(sc.virDomainLookupByName, c, NULL if case == "no name" else "web1")
    assert ret is None and err.message == message
    assert c.err is (None if case == "released" else err)


def test_get_info_clears_the_struct_first():
    seen_state = []

    def get(dom, info):
        seen_state.append((info.state, info.memory, info.cpuTime))
        info.state = 3
        return 0
    c = conn(domainGetInfo=get)
    info = sc.virDomainInfo(state=1, maxMem=2, memory=3, nrVirtCpu=4, cpuTime=5)
    w, ret, err = run(sc.virDomainGetInfo, Domain(c, "web1", UUID, 3), info)
    assert ret == 0 and seen_state == [(0, 0, 0)]
    assert info == sc.virDomainInfo(state=3)


@pytest.mark.parametrize("case,message", [
    ("no domain", "invalid domain pointer in virDomainGetInfo"),
    ("released", "invalid domain pointer in virDomainGetInfo"),
    ("no info", "invalid argument: virDomainGetInfo"),
    ("no member", "this function is not supported by the connection driver: virDomainGetInfo"),
    ("fails", "operation failed: no info"),
])
def test_get_info_refuses(case, message):
    def failing(dom, info):
        sc.current().raise_error(VirError(VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU, "no info",
                                          "qemudDomainGetInfo"))
        return -1
    c = conn(domainGetInfo=NULL if case == "no member" else failing)
    if case == "released":
        c.refs = 0
    dom = None if case == "no domain" else Domain(c, "web1", UUID, 3)
    info = NULL if case == "no info" else sc.virDomainInfo()
    w, ret, err = run(sc.virDomainGetInfo, dom, info)
    assert ret == -1 and err.message == message
    assert c.err is (None if case in ("no domain", "released") else err)


@pytest.mark.parametrize("function,args,label", [
    ("virConnectGetURI", lambda: (conn(),), "error"),
    ("virDomainLookupByName", lambda: (conn(domainLookupByName=NULL), "web1"), "error"),
    ("virDomainGetInfo", lambda: (Domain(conn(domainGetInfo=NULL), "w", UUID, 1),
                                  sc.virDomainInfo()), "error"),
])
def test_dispatch_loop_refuses_unknown_label(monkeypatch, function, args, label):
    misspelt_gotos(monkeypatch, sc, function)
    faults = [("virConnectGetURI", 1)] if function == "virConnectGetURI" else []
    with pytest.raises(NoSuchLabel) as e:
        run(getattr(sc, function), *args(), faults=faults)
    assert (e.value.function, e.value.label) == (function, label + "_misspelt")


def test_out_of_memory_names_the_innermost_frame():
    """virReportOOMError's error is reported by the function running now (the last
    frame), not by one of its callers."""
    w = World()
    w.frame = "virDomainMigrateVersion3"
    with w.activate():
        sc.virReportOOMError()
    assert w.errors[-1].reporter == "virDomainMigrateVersion3"
