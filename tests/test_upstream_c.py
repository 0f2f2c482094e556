"""The C side: extraction, the cffi build, and C against Python.

Without upstream: our own small C functions (tests/c_selftest/selftest.c) go
through the same build path as the libvirt text; one test body runs against
them and against their Python twin (selftest.py), and checks which ran.
With ``LIBVIRT_SRC`` pointing at a libvirt checkout or git directory: the
three versions are built and compared with the Python port on hand-made states.

In CI (``CI=true``) a missing compiler or a failed build is an error, not a skip.
"""
import collections
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from itertools import chain

import pytest

from conftest import make_vm
from qemu_migration.upstream import build as B
from qemu_migration.upstream import extract as X
from qemu_migration.upstream.compare import compare_impls
from qemu_migration.world.constants import (QEMU_ASYNC_JOB_MIGRATION_OUT,
                                            QEMU_JOB_MODIFY, QEMU_MIGRATION_PHASE_PREPARE,
                                            VIR_DOMAIN_JOB_UNBOUNDED, VIR_DOMAIN_PAUSED,
                                            VIR_ERR_OPERATION_INVALID, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_UNDEFINE_SOURCE)
from qemu_migration.world.objects import STARTED_ELSEWHERE, Driver, Ptr
from qemu_migration.world.runtime import FaultPlan, World, current

HERE = os.path.dirname(os.path.abspath(__file__))
SELFTEST_DIR = os.path.join(HERE, "c_selftest")
SELFTEST_C = os.path.join(SELFTEST_DIR, "selftest.c")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
UUID = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
DOMAIN_XML = ("<domain type='kvm'><name>web1</name><uuid>%s</uuid><memory>524288</memory>"
              "<vcpu>1</vcpu><devices></devices></domain>" % UUID)


def _unavailable(reason):
    """Outside CI a missing toolchain skips; in CI it is an error."""
    if IN_CI:
        pytest.fail("C build unavailable in CI: " + reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path_factory):
    """Builds go to one cache per test session unless the user chose one."""
    if not os.environ.get("QEMU_MIGRATION_CACHE"):
        monkeypatch.setenv("QEMU_MIGRATION_CACHE",
                           str(tmp_path_factory.getbasetemp() / "qmc-cache"))


def _import_twin():
    sys.path.insert(0, SELFTEST_DIR)
    try:
        import selftest
    finally:
        sys.path.remove(SELFTEST_DIR)
    return selftest


def _selftest_spec():
    with open(SELFTEST_C) as f:
        text = f.read()
    return B.text_spec("selftest", text, "tests/c_selftest/selftest.c",
                       untraced=["selftestCount"])


_SELFTEST_C = {}


def selftest_c():
    if "impl" not in _SELFTEST_C:
        from qemu_migration.upstream.impl import CImpl
        try:
            built = B.build(_selftest_spec())
        except (B.BuildError, X.ExtractError) as e:
            _unavailable(str(e))
        _SELFTEST_C["impl"] = CImpl("selftest", built=built, pymodule=_import_twin())
    return _SELFTEST_C["impl"]


@pytest.fixture(params=["python", "c"])
def impl(request):
    if request.param == "python":
        return "python", _import_twin()
    return "c", selftest_c()


# --- worlds built straight from the objects ---------------------------------------------

def world_with(vm=None, faults=(), autodestroy=False, hostname="dest.example.org"):
    drv = Driver(hostname=hostname, nextvmid=2)
    if vm is not None:
        drv.domains[vm.def_.uuid] = vm
        vm.locked = True
        if autodestroy:
            drv.autodestroy[vm.def_.uuid] = STARTED_ELSEWHERE
    w = World(drv, clock_ms=1316000000000)
    w.reset_run(FaultPlan.of(faults))
    return w


def labels(w):
    return [t.label() for t in w.trace]


# --- one body, both implementations --------------------------------------------------------

def test_which_implementation_ran(impl):
    kind, mod = impl
    w = world_with()
    with w.activate():
        assert mod.selftestWhich() == kind
    assert labels(w) == ["selftestWhich"]
    assert getattr(mod, "implementation", None) == kind


def test_a_trace_deeper_than_the_buffer(impl):
    """More entries between two callbacks than C buffers (build.py's EVENTS):
    the trace is the twin's, every depth in place, the stub after all of them."""
    kind, mod = impl
    n = B.EVENTS
    w = world_with()
    with w.activate():
        assert mod.selftestDeep(n) == n
    got = [(t.name, t.depth) for t in w.trace]
    assert got == ([("selftestDeep", 0)] + [("selftestDepth", d) for d in range(1, n + 2)]
                   + [("strdup", 1)])
    assert w.depth == 0


def test_job_phase_and_error_format(impl):
    kind, mod = impl
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        assert mod.selftestJob(w.driver, vm, QEMU_MIGRATION_PHASE_PREPARE) == 0
        assert mod.selftestJob(w.driver, vm, 9) == -1
    job = vm.privateData.job
    assert (job.asyncJob, job.phase, job.start, job.info_type) == (
        QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_MIGRATION_PHASE_PREPARE, 1316000000000,
        VIR_DOMAIN_JOB_UNBOUNDED)
    assert w.logs == ["warning: phase of web1 is prepare"]
    (err,) = w.errors
    assert err.as_dict()["raw"] == "phase 9 is past prepare"
    assert (err.code, err.reporter) == (VIR_ERR_OPERATION_INVALID, "selftestJob")
    assert labels(w) == ["selftestJob", "virTimeMs", "selftestJob", "virTimeMs"]
    assert [t.depth for t in w.trace] == [0, 1, 0, 1]


def test_locks_conditions_errno(impl):
    kind, mod = impl
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        assert mod.selftestLocks(w.driver, vm, 1316000030000) == 1
    assert w.logs == ["error: waited for web1 until 1316000030000"]
    assert vm.locked and w.driver.locked and w.driver.saved_status == ["web1"]
    assert labels(w) == ["selftestLocks", "virDomainObjRef", "qemuDriverUnlock", "virCondSignal",
                         "virCondBroadcast", "virCondWaitUntil", "virDomainObjUnlock",
                         "qemuDriverLock", "virDomainObjLock", "virDomainSaveStatus",
                         "virDomainObjUnref"]
    # a failing wait (EINVAL) is a system error with strerror appended
    w = world_with(vm, faults=[("virCondWaitUntil", 1), ("virDomainSaveStatus", 1)])
    with w.activate():
        assert mod.selftestLocks(w.driver, vm, 5) == 1
    assert [e.as_dict()["raw"] for e in w.errors] == [
        "cannot wait for web1: Invalid argument", None]
    assert w.errors[0].reporter == "selftestLocks"
    assert w.logs == ["warning: no status for web1"]


def test_tables(impl):
    kind, mod = impl
    vm = make_vm(snapshots=3)
    w = world_with(vm, autodestroy=True)
    with w.activate():
        assert mod.selftestTables(w.driver, vm) == 103
    assert labels(w) == ["selftestTables", "virHashForEach", "virHashLookup"]


def test_cookie_is_baked_by_the_port_on_both_sides(impl):
    kind, mod = impl
    vm = make_vm()
    w = world_with(vm)
    out, outlen = Ptr(), Ptr(0)
    with w.activate():
        assert mod.selftestCookie(w.driver, vm, "<qemu-migration/>", out, outlen) == 0
    assert out.value.startswith("<qemu-migration>\n  <name>web1</name>\n")
    assert "<hostname>%s</hostname>" % w.driver.hostname in out.value
    assert outlen.value == len(out.value) + 1
    w = world_with(vm, faults=[("virGetHostUUID", 1)])
    with w.activate():
        assert mod.selftestCookie(w.driver, vm, None, out, outlen) == -1
    assert [e.reporter for e in w.errors] == ["qemuMigrationCookieNew"]


def test_define_start_stop_remove(impl):
    kind, mod = impl
    w = world_with()
    with w.activate():
        xml = mod.selftestDefine(w.driver, "conn", DOMAIN_XML, "renamed")
    assert xml.startswith("<!-- flags: secure --><domain type='kvm' id='2'><name>renamed</name>")
    assert w.driver.domains == {} and w.driver.deleted_configs == ["renamed"]
    assert [e.as_dict()["type"] for e in w.driver.events] == ["started"]
    assert w.logs == ["qemu: -incoming stdio", "audit: start reason=migration success=yes",
                      "qemu: stopped migrated=1",
                      "audit: stop reason=migration"]
    w = world_with(faults=[("strdup", 1)])
    with w.activate():
        assert mod.selftestDefine(w.driver, "conn", DOMAIN_XML, "renamed") is None
    assert [(e.reporter, e.raw) for e in w.errors] == [("selftestDefine", None)]


def test_string_arguments_are_shared_texts_up_to_the_cap(monkeypatch):
    """An entry point's ``const char *`` arguments are the module's shared C strings, one
    per text (and C writes into none); past TEXTS_MAX texts a new one is the call's own,
    and the call is the same."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    xml = DOMAIN_XML.replace("web1", "texts1")

    def define(name):
        w = world_with()
        with w.activate():
            return mod.selftestDefine(w.driver, "conn", xml, name)
    first = define("shared-text")
    assert xml in mod.texts and "shared-text" in mod.texts
    _texts_unchanged(mod)
    monkeypatch.setattr(I, "TEXTS_MAX", len(mod.texts))
    n = len(mod.texts)
    assert define("own-text") == first.replace("shared-text", "own-text")
    assert len(mod.texts) == n and "own-text" not in mod.texts


def test_no_prepared_image_points_at_a_text_past_the_cap(monkeypatch):
    """Past TEXTS_MAX texts a string row's C string is the call's own, freed with it: a
    definition bound then makes no prepared image (one kept for the process would hand the
    next binding with that name a pointer into freed memory); the next binding writes its
    own, and C reads the name."""
    import gc
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    _selftest_calls(mod)
    monkeypatch.setattr(I, "TEXTS_MAX", len(mod.texts))
    name = "past-the-cap-" + "q" * 40

    def bound_name():
        vm = make_vm(name=name)
        s = I.Session(mod, world_with(vm))
        c = s.c_def(vm.def_)
        return s, mod.built.ffi.string(c.name).decode()
    s, got = bound_name()
    assert got == name and name not in mod.texts
    images = mod.makers[mod.def_binding].images
    assert not [k for k in images if name in k]
    del s
    gc.collect()
    junk = [mod.built.ffi.new("char[]", b"Z" * 56) for _ in range(500)]
    assert bound_name()[1] == name
    del junk


def test_an_object_passed_again_is_bound_once():
    """The generated converter of an entry point's arguments (CImpl._converter) looks an
    object up where an argument before it may have bound it: a domain object and its own
    definition (as qemuMigrationIsAllowed(driver, vm, vm->def) is called) give C one
    definition, the one vm->def points at; one Ptr passed as two out-parameters is one
    cell; after only texts and numbers nothing is looked up, and a second domain object is
    bound apart."""
    from types import SimpleNamespace
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    vm, other = make_vm(), make_vm(name="other1")
    w = world_with(vm)
    sig = SimpleNamespace(params=["struct qemud_driver*", "virDomainObjPtr",
                                  "virDomainDefPtr", "int*", "int*", "const char*",
                                  "virDomainObjPtr"], ret="int")
    out = Ptr(7)
    s = I.Session(mod, w)
    c = mod._converter("twice", sig)(s, (w.driver, vm, vm.def_, out, out, "t", other))
    ffi = mod.built.ffi
    assert getattr(c[1], "def") == c[2]
    assert [b.kind for b in s.bindings].count("def") == 2       # vm's and other's
    assert c[3] == c[4] and len(s.cells) == 1 and c[3][0] == 7
    assert c[6] != c[1] and s.by_id[id(other)].c == c[6]
    assert ffi.string(c[5]) == b"t"


def test_tunnel_pipe_and_fds(impl):
    kind, mod = impl
    w = world_with()
    with w.activate():
        assert mod.selftestTunnel("stream") == 0
        assert mod.selftestTunnel(None) == 0
    assert w.fds_open == set()
    w = world_with(faults=[("pipe", 1)])
    with w.activate():
        assert mod.selftestTunnel("stream") == -1
    assert [e.raw for e in w.errors] == ["cannot create pipe: Too many open files"]
    w = world_with(faults=[("virFDStreamOpen", 1)])
    with w.activate():
        assert mod.selftestTunnel("stream") == -1
    assert [e.raw for e in w.errors] == ["cannot open stream: Bad file descriptor"]
    assert w.fds_open == set()


@pytest.mark.parametrize("uri_in,ret,uri_out,raw", [
    ("tcp:src:49152", 0, "tcp:dest.example.org:49153", None),
    ("tcp:src:49x", -1, None, "URI ended with no port"),
    ("udp:src:1", -1, None, "bad URI udp:src:1"),
    (None, -1, None, "bad URI <null>"),
])
def test_uri_parse_and_asprintf(impl, uri_in, ret, uri_out, raw):
    kind, mod = impl
    w = world_with()
    out = Ptr()
    with w.activate():
        assert mod.selftestUri(uri_in, out) == ret
    assert out.value == uri_out
    assert [e.raw for e in w.errors] == ([raw] if raw else [])


def test_argument_cells_are_given_back_and_taken_as_new_ones():
    """An argument's out-parameter cell goes back to its type's pool when the call returns
    (its Ptr let go of) and the next call's argument takes it: NULL, 0 or the new value in
    it, nothing of the call before (C leaving it alone leaves the Ptr as it was); its
    view is its own C cell's bytes.  A kept session's cells stay its own."""
    import gc
    mod = selftest_c()
    ffi = mod.built.ffi
    pools = mod.free_cells
    vm = make_vm()
    w = world_with(vm)
    w.peer_v3 = False
    with w.activate():
        o, ol = Ptr(), Ptr(5)
        assert mod.selftestMigrate(w.driver, "conn", vm, 0, o, ol) == 0
        assert o.value and ol.value == 5        # (the cookie written, its length left)
        strs, ints = pools["char *"], pools["int"]
        assert len(strs) == len(ints) == 1
        cells = strs[0], ints[0]
        assert all(c.ptr is None and c.value is None for c in cells)
        for before in ((None, 0), ("preset", 9), (None, 0)):      # C writes neither here
            o, ol = Ptr(before[0]), Ptr(before[1])
            assert mod.selftestMigrate(w.driver, "conn", vm, VIR_MIGRATE_PEER2PEER,
                                       o, ol) == 2
            assert (o.value, ol.value) == before
            assert (strs[0], ints[0]) == cells                    # taken and given back
        mod.kept = kept = []
        try:
            o = Ptr()
            assert mod.selftestUri("tcp:src:49152", o) == 0
        finally:
            mod.kept = None
        assert strs == [] and kept[0].cells[id(o)] is cells[0] and cells[0].ptr is o
        assert o.value == "tcp:dest.example.org:49153"
        assert mod.selftestUri("tcp:src:49152", Ptr()) == 0
        assert len(strs) == 1 and strs[0] is not cells[0]         # a new one
    gc.collect()
    cell = ints[0]
    cell.c[0] = 77
    assert cell.v[0] == 77
    cell.v[0] = -3
    assert cell.c[0] == -3 and ffi.typeof(cell.c) is ffi.typeof("int[1]")


@pytest.mark.parametrize("ctype,value", [
    ("char *", None), ("int", -5), ("bool", True), ("unsigned long long", 2 ** 63 + 7),
    ("unsigned long", 2 ** 40), ("long", -(2 ** 40))])
def test_a_cells_view_reads_what_cffi_reads(ctype, value):
    """A Cell's view of its C cell (``_cell_format``) gives the raw value a pull compares,
    as cffi reads the cell: a pointer's address, a bool as bool, an integer of its size
    and sign."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    ffi = mod.built.ffi
    s = I.Session(mod, world_with())
    if ctype == "char *":
        value = s.cstr("text")
    cell = I.Cell(s, Ptr(), ctype, ffi.new(ctype + "[1]"))
    assert cell.raw == cell.v[0] == (False if ctype == "bool" else 0)
    cell.c[0] = value
    want = s.addr(cell.c[0]) if ctype == "char *" else cell.c[0]
    assert cell.v[0] == want and type(cell.v[0]) is type(want)
    cell.pull(s)
    assert cell.ptr.value == ("text" if ctype == "char *" else value)


def test_migrate_out_params(impl):
    kind, mod = impl
    vm = make_vm()
    w = world_with(vm)
    w.peer_v3 = False
    out, outlen = Ptr(), Ptr(0)
    with w.activate():
        assert mod.selftestMigrate(w.driver, "conn", vm, VIR_MIGRATE_PEER2PEER, out, outlen) == 2
        assert mod.selftestMigrate(w.driver, "conn", vm, 0, out, outlen) == 0
    assert out.value == "<qemu-migration name='web1'/>"
    assert vm.state == VIR_DOMAIN_PAUSED


# --- compare_impls on the self-test --------------------------------------------------------

SELFTEST_CALLS = {
    "job": lambda m, w: m.selftestJob(w.driver, _vm(w), 3),
    "locks": lambda m, w: m.selftestLocks(w.driver, _vm(w), 1),
    "tables": lambda m, w: m.selftestTables(w.driver, _vm(w)),
    "cookie": lambda m, w: _with_out(lambda o, ol: m.selftestCookie(
        w.driver, _vm(w), "<qemu-migration/>", o, ol)),
    "define": lambda m, w: m.selftestDefine(w.driver, "conn", DOMAIN_XML.replace(
        UUID, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654").replace("web1", "web2"), None),
    "tunnel": lambda m, w: m.selftestTunnel("st"),
    "uri": lambda m, w: _with_out(lambda o, ol: m.selftestUri("tcp:h:10", o)),
    "migrate": lambda m, w: _with_out(lambda o, ol: m.selftestMigrate(
        w.driver, "conn", _vm(w), 0, o, ol)),
}


def _vm(w):
    return next(iter(w.driver.domains.values()))


def _with_out(fn):
    o, ol = Ptr(), Ptr(0)
    return fn(o, ol), o.value, ol.value


FAULTABLE = ["virTimeMs", "virCondWaitUntil", "virDomainSaveStatus", "virGetHostUUID",
             "virDomainLockProcessInquire", "virDomainDefParseString", "virDomainAssignDef",
             "qemuProcessStart", "qemuProcessStartCPUs", "virDomainEventNewFromObj",
             "qemuDomainFormatXML", "qemuDomainDefFormatXML", "virDomainDeleteConfig", "pipe",
             "virSetCloseExec", "virFDStreamOpen", "virGetHostname", "virAsprintf",
             "doNativeMigrate", "strdup"]


@pytest.mark.parametrize("name", sorted(SELFTEST_CALLS))
def test_compare_impls_selftest(name):
    c = selftest_c()
    py = _import_twin()
    for fault in [None] + FAULTABLE:
        faults = [(fault, 1)] if fault else []

        def make_world():
            return world_with(make_vm(snapshots=2), faults=faults, autodestroy=True)

        cmp = compare_impls(py, c, make_world, SELFTEST_CALLS[name])
        assert cmp.same, "%s with fault %s:\n%s" % (name, fault, cmp.report())


def test_compare_impls_sees_a_difference():
    cmp = compare_impls(_import_twin(), selftest_c(), world_with, lambda m, w: m.selftestWhich())
    assert not cmp.same
    assert [d[0] for d in cmp.diffs] == ["value"]


# --- the build itself -------------------------------------------------------------------------

def test_second_build_does_not_recompile(tmp_path):
    selftest_c()   # skips (or fails in CI) when there is no toolchain
    script = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, %r)
        import test_upstream_c as T
        from qemu_migration.upstream import build as B
        b = B.build(T._selftest_spec())
        print(json.dumps({"compiled": b.compiled, "path": b.path}))
    """ % HERE)
    env = dict(os.environ, QEMU_MIGRATION_CACHE=str(tmp_path / "cache"))
    runs = []
    for _ in range(2):
        p = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, cwd=os.path.dirname(HERE))
        assert p.returncode == 0, p.stderr
        runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    assert runs[0]["compiled"] is True
    assert runs[1]["compiled"] is False
    assert runs[0]["path"] == runs[1]["path"]
    assert runs[0]["path"].startswith(str(tmp_path / "cache"))


def test_build_artifacts_stay_out_of_the_repo():
    built = selftest_c().built
    repo = os.path.dirname(HERE)
    assert not os.path.abspath(built.path).startswith(repo + os.sep)


def test_no_compiler_is_one_line(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(B.BuildError) as e:
        B.find_compiler()
    msg = str(e.value)
    assert msg.startswith("qemu-migration: no C compiler found (tried cc/gcc): ")
    assert "\n" not in msg


def test_compile_error_names_first_error_and_build_dir():
    try:
        B.find_compiler()
    except B.BuildError as e:
        _unavailable(str(e))
    text = "int\nselftestBroken(int a)\n{\n    return a + no_such_thing;\n}\n"
    with pytest.raises(B.BuildError) as e:
        B.build(B.text_spec("broken", text, "broken.c"))
    msg = str(e.value)
    assert "no_such_thing" in msg and "error" in msg and "build dir: " in msg
    assert "\n" not in msg
    assert os.path.isdir(msg.rsplit("build dir: ", 1)[1].rstrip(")"))


# --- extraction, on our own text ----------------------------------------------------------------

def test_extract_is_verbatim_and_finds_statics():
    with open(SELFTEST_C) as f:
        text = f.read()
    funcs = X.parse_functions(text, "selftest.c")
    assert funcs["selftestJob"].text in text
    assert funcs["selftestJob"].is_static and not funcs["selftestWhich"].is_static
    assert funcs["selftestCount"].params == ["void *payload", "const void *name ATTRIBUTE_UNUSED",
                                             "void *opaque"] or \
        funcs["selftestCount"].params[0] == "void *payload"
    assert str(B.signature_of(funcs["selftestLocks"])) == \
        "int (struct qemud_driver*, virDomainObjPtr, unsigned long long)"


def test_extract_missing_function_names_function_and_commit():
    with pytest.raises(X.ExtractError) as e:
        X.extract_functions("int f(void) { return 0; }\n", ["qemuMigrationNope"], "a.c", "abc123")
    assert str(e.value) == "qemu-migration: function qemuMigrationNope not found in a.c at abc123"


def test_signature_mismatch_is_reported():
    (f,) = X.extract_functions("bool\nqemuMigrationIsAllowed(virDomainDefPtr def)\n{ return 1; }\n",
                               ["qemuMigrationIsAllowed"])
    with pytest.raises(B.BuildError) as e:
        B.check_signature(f, B.expected_signatures("post")["qemuMigrationIsAllowed"], "c0ffee")
    assert "qemuMigrationIsAllowed at c0ffee has signature bool (virDomainDefPtr)" in str(e.value)
    assert "the build expects bool (struct qemud_driver*, virDomainObjPtr, virDomainDefPtr)" \
        in str(e.value)


def test_hunk_applies_by_context_and_skips_what_is_not_there():
    func = "int f(void)\n{\n    int x = 0;\n\n\n    if (a())\n        goto out;\n\n    x++;\nout:\n    return x;\n}"
    hunk = [(" ", "    if (a())"), ("-", "        goto out;"), ("+", "        goto done;"),
            (" ", ""), (" ", "    if (b())"), ("-", "        goto out;"),
            ("+", "        goto done;"), (" ", "")]
    text, n = X.apply_hunk_in_function(func, hunk)
    assert n == 1
    assert "goto done;" in text and text.count("goto") == 1


# --- against live upstream ------------------------------------------------------------------------

LIBVIRT_SRC = os.environ.get("LIBVIRT_SRC")
# Without LIBVIRT_SRC these tests are not defined at all (rather than skipped: under
# CI a skip is an error, and CI has no libvirt source).


def _upstream(version):
    from qemu_migration.upstream.impl import load
    try:
        return load(version, LIBVIRT_SRC)
    except (B.BuildError, X.ExtractError) as e:
        _unavailable(str(e))


def _perform(flags=0, v3=False):
    def call(m, w):
        vm = w.driver.find_by_name("web1")
        o, ol = Ptr(), Ptr(0)
        r = m.qemuMigrationPerformJob(w.driver, "conn", vm, None, "qemu+tcp://dest/system",
                                      "tcp:dest:49152", None, 0, o, ol, flags, None, 0, v3)
        return r, o.value, ol.value
    return call


def _begin(m, w):
    o, ol = Ptr(), Ptr(0)
    return m.qemuMigrationBegin(w.driver, w.driver.find_by_name("web1"), None, o, ol), o.value


def _prepare_direct(uri_in):
    def call(m, w):
        o, ol, uo = Ptr(), Ptr(0), Ptr()
        r = m.qemuMigrationPrepareDirect(w.driver, "dconn", None, 0, o, ol, uri_in,
                                         uo, None, DOMAIN_XML)
        return r, o.value, uo.value
    return call


def _prepare_tunnel(m, w):
    o, ol = Ptr(), Ptr(0)
    return m.qemuMigrationPrepareTunnel(w.driver, "dconn", None, 0, o, ol, "st", "renamed",
                                        DOMAIN_XML), o.value


def _is_allowed(version):
    def call(m, w):
        vm = w.driver.find_by_name("web1")
        if version == "pre":
            return m.qemuMigrationIsAllowed(vm.def_)
        return m.qemuMigrationIsAllowed(w.driver, vm, None)
    return call


UPSTREAM_CASES = {
    "perform-ok": (lambda: world_with(make_vm()), _perform),
    "perform-p2p-v2": (lambda: world_with(make_vm()), lambda: _perform(VIR_MIGRATE_PEER2PEER)),
    "perform-snapshots": (lambda: world_with(make_vm(snapshots=2)), _perform),
    "perform-autodestroy": (lambda: world_with(make_vm(), autodestroy=True), _perform),
    "perform-hostdev-transient": (lambda: world_with(make_vm(hostdev="pci", persistent=False)),
                                  _perform),
    "perform-inactive": (lambda: world_with(make_vm(state="shutoff")), _perform),
    "perform-job-held": (lambda: world_with(make_vm(job=QEMU_JOB_MODIFY)), _perform),
    "perform-native-fails": (lambda: world_with(make_vm(), faults=[("doNativeMigrate", 1)]),
                             _perform),
    "perform-undefine": (lambda: world_with(make_vm()),
                         lambda: _perform(VIR_MIGRATE_UNDEFINE_SOURCE)),
    "begin": (lambda: world_with(make_vm(async_out=True)), lambda: _begin),
    "begin-snapshots": (lambda: world_with(make_vm(snapshots=1, async_out=True)),
                        lambda: _begin),
    "prepare-direct": (lambda: world_with(), lambda: _prepare_direct(None)),
    "prepare-direct-port": (lambda: world_with(), lambda: _prepare_direct("tcp:h:4000")),
    "prepare-direct-localhost": (lambda: world_with(hostname="localhost.localdomain"),
                                 lambda: _prepare_direct(None)),
    "prepare-tunnel": (lambda: world_with(), lambda: _prepare_tunnel),
    "prepare-tunnel-pipe-fails": (lambda: world_with(faults=[("pipe", 1)]),
                                  lambda: _prepare_tunnel),
}


if LIBVIRT_SRC:
    @pytest.mark.parametrize("version", ["pre", "post", "fixed"])
    @pytest.mark.parametrize("case", sorted(UPSTREAM_CASES) + ["is-allowed"])
    def test_upstream_matches_port(version, case):
        from qemu_migration.port import VERSIONS
        c = _upstream(version)
        assert c.built.spec.name == version
        if case == "is-allowed":
            make_world, call = (lambda: world_with(make_vm(snapshots=1))), _is_allowed(version)
        else:
            make_world, mk_call = UPSTREAM_CASES[case]
            call = mk_call()
        cmp = compare_impls(VERSIONS[version].module, c, make_world, call)
        assert cmp.same, cmp.report()
        assert cmp.c["trace"], "the C side recorded no trace"


    def test_upstream_static_port_carries_over_in_a_world():
        from qemu_migration.port import post
        c = _upstream("post")
        outs = {}
        for name, impl in (("py", post), ("c", c)):
            w = world_with()
            res = []
            for _ in range(3):
                with w.activate():
                    uo = Ptr()
                    impl.qemuMigrationPrepareDirect(w.driver, "dconn", None, 0, Ptr(), Ptr(0),
                                                    None, uo, "g%d" % len(res), DOMAIN_XML.replace(
                                                        "web1", "g%d" % len(res)).replace(
                                                        UUID, UUID[:-1] + str(len(res))))
                    res.append(uo.value)
            outs[name] = (res, w.statics["qemuMigrationPrepareDirect.port"].value)
        assert outs["py"] == outs["c"]
        assert outs["c"][1] == 3


    def test_a_deferred_stub_raising_after_the_call_still_restores_the_port(monkeypatch):
        """A deferred stub that raises in the catch-up after C returned (as a deferred save
        under another name does): the exception goes to the caller, and yet the module's
        port static is the outer value again, the world keeps C's, and C's out-parameters
        are pulled into Python's."""
        c = _upstream("post")
        real = c.built.installed["catch_up"]
        calls = []

        def raising():
            real()
            calls.append(1)
            if len(calls) == 2:         # the first is before the call, the second after it
                raise RuntimeError("a deferred stub failed")
        monkeypatch.setitem(c.built.installed, "catch_up", raising)
        w = world_with()
        w.statics["qemuMigrationPrepareDirect.port"] = Ptr(41)
        outer = c._port[0] = 7
        uo = Ptr()
        try:
            with w.activate(), pytest.raises(RuntimeError, match="a deferred stub failed"):
                c.qemuMigrationPrepareDirect(w.driver, "dconn", None, 0, Ptr(), Ptr(0), None,
                                             uo, "web1", DOMAIN_XML)
            assert c._port[0] == outer
            assert w.statics["qemuMigrationPrepareDirect.port"].value == 42
            assert uo.value and uo.value.endswith(":%d" % (49152 + 41))   # port++ after use
        finally:
            c._port[0] = 0

    def test_a_returned_session_no_longer_says_c_entered_prepare_direct():
        """A call that entered qemuMigrationPrepareDirect gives its session back emptied
        down to that flag (``Session.reset``): the next call to take it, which may never
        enter it, must not write its world's port static back as if it had."""
        c = _upstream("post")
        w = world_with()
        with w.activate():
            assert c.qemuMigrationPrepareDirect(w.driver, "dconn", None, 0, Ptr(), Ptr(0),
                                                None, Ptr(), "web1", DOMAIN_XML) == 0
        assert "qemuMigrationPrepareDirect.port" in w.statics
        assert c._sessions and not any(s.entered for s in c._sessions)

    def test_upstream_fixed_is_post_plus_one_line():
        post = X.extract_version("post", LIBVIRT_SRC).by_name()["qemuMigrationPerformJob"].text
        ex = X.extract_version("fixed", LIBVIRT_SRC)
        fixed = ex.by_name()["qemuMigrationPerformJob"].text
        a, b = post.splitlines(), fixed.splitlines()
        assert len(a) == len(b)
        changed = [(x.strip(), y.strip()) for x, y in zip(a, b) if x != y]
        assert changed == [("goto cleanup;", "goto endjob;")]
        assert ex.patched_with in (X.FIX_BACKPORT, X.FIX_UPSTREAM)


    def test_upstream_compare_sees_the_fix():
        """post's C and fixed's Python differ where the fix matters: the job is cleared."""
        from qemu_migration.port import fixed
        cmp = compare_impls(fixed, _upstream("post"), lambda: world_with(make_vm(snapshots=1)),
                            _perform())
        assert not cmp.same
        assert cmp.py["domains"][0]["async_job"] == "none"
        assert cmp.c["domains"][0]["async_job"] == "migration out"


class _Spy:
    """An object standing in for another, noting every attribute read or written."""

    def __init__(self, target):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "seen", set())

    def __getattr__(self, name):
        self.seen.add(name)
        return getattr(self._target, name)

    def __setattr__(self, name, value):
        self.seen.add(name)
        setattr(self._target, name, value)


def _bound_names(*bindings):
    return {row[0].split(".")[0] for b in bindings for row in b.ROWS}


@pytest.mark.parametrize("fail", [False, True])
def test_unsynced_stubs_touch_no_field_a_binding_carries(fail):
    """upstream/impl.py runs the stubs of UNSYNCED without syncing C and Python around
    them: each must read and write none of the fields the bindings carry (the world's
    driver and domain object here are spies; the clock's cell is a C local)."""
    from qemu_migration.upstream import impl as I
    from qemu_migration.upstream.cookiecheck import CookieDriverB
    from qemu_migration.world import stubs as S
    from qemu_migration.world import constants as K
    assert I.UNSYNCED == {"qemuDriverLock", "qemuDriverUnlock", "virDomainObjLock",
                          "virDomainObjUnlock", "virTimeMs", "_report", "qemuReportError",
                          "virReportSystemError", "virReportOOMError", "VIR_ERROR", "VIR_WARN",
                          "VIR_FORCE_CLOSE", "qemuMigrationJobPhaseTypeToString",
                          "virCondSignal", "virCondBroadcast", "virHashLookup", "virHashForEach",
                          "virDomainDefParseString", "virDomainObjGetState",
                          "virDomainAuditStart", "virDomainAuditStop", "virGetHostname",
                          "virAsprintf", "virParseNumber"}
    assert not I.PULL_ONLY & I.UNSYNCED
    # the deferred stubs besides the locks: test_deferred_stubs_answer_as_python_would
    assert set(I.DEFERRED) - I.UNSYNCED == {"virDomainObjIsActive", "virDomainObjRef",
                                            "virDomainObjUnref", "virDomainDefFree",
                                            "qemuMigrationCookieFree", "virDomainSaveStatus"}
    vm = make_vm(snapshots=2)
    w = world_with(vm, faults=[("virTimeMs", 1)] if fail else (), autodestroy=True)
    drv, spy_vm = _Spy(w.driver), _Spy(vm)
    w.driver = drv
    w.driver._target.domains[vm.def_.uuid] = spy_vm
    cell = Ptr(0)
    with w.activate():
        w.frame = "qemuMigrationPerformJob"
        S.qemuDriverLock(drv)
        S.virDomainObjLock(spy_vm)
        S.virDomainObjUnlock(spy_vm)
        S.qemuDriverUnlock(drv)
        got = S.virTimeMs(cell)
        seen = (set(drv.seen), set(spy_vm.seen))
        # the reporters, the closer and the phase's name: texts and numbers in, the
        # world's errors, logs and descriptors changed, no domain or driver field read
        S._report(K.VIR_FROM_DOMAIN, K.VIR_ERR_INTERNAL_ERROR, "raw", "virDomainSaveStatus")
        S.qemuReportError(K.VIR_ERR_OPERATION_INVALID, "%s", "no")
        S.virReportSystemError(5, "%s", "failed")
        S.virReportOOMError()
        S.VIR_ERROR("%s", "bad")
        S.VIR_WARN("%s", "odd")
        fds = [-1]
        S.VIR_FORCE_CLOSE(fds, 0)
        phase = K.qemuMigrationJobPhaseTypeToString(1)
        # the conditions: a name; the tables: the dicts C holds handles of (the driver's
        # and the domain's, taken from the objects behind the spies)
        S.virCondSignal("cond")
        S.virCondBroadcast("asyncCond")
        found = S.virHashLookup(drv._target.autodestroy, vm.def_.uuid)
        walked = []
        S.virHashForEach(vm.snapshots.objs, lambda obj, name, data: walked.append(name), None)
        # the parser: a text in, a definition of its own out
        parsed = S.virDomainDefParseString(None, DOMAIN_XML, 6, 0)
        # a wait without wakeups (impl.py's callback syncs it only with them): the clock,
        # errno and the record of conditions
        waited = S.virCondWaitUntil("cond", spy_vm, 1316000000000 + 5)
        # a domain's state, the audit, the host's name (fields no binding carries); texts
        # into cells
        state = S.virDomainObjGetState(spy_vm, None)
        S.virDomainAuditStart(spy_vm, "migration", True)
        S.virDomainAuditStop(spy_vm, "migration")
        host = S.virGetHostname(None)
        uri, num = Ptr(), Ptr(("49152", 0))
        S.virAsprintf(uri, "%s", "tcp:dest:49152")
        port = S.virParseNumber(num)
    assert found is STARTED_ELSEWHERE and walked == ["snap0", "snap1"]
    assert parsed.name == "web1" and parsed is not vm.def_
    assert waited == -1 and w.clock_ms == 1316000000000 + 5
    assert (state, host, uri.value, port) == (vm.state, "dest.example.org", "tcp:dest:49152",
                                              49152)
    assert w.conditions == ["signal cond", "broadcast asyncCond",
                            "wait cond until %d" % (1316000000000 + 5)]
    assert got == (-1 if fail else 0) and cell.value == (0 if fail else 1316000000000)
    assert [t[0] for t in w.trace][:5] == ["qemuDriverLock", "virDomainObjLock",
                                           "virDomainObjUnlock", "qemuDriverUnlock", "virTimeMs"]
    assert len(w.errors) == (5 if fail else 4) and fds == [-1] and phase
    assert seen == ({"locked"}, {"freed", "locked"})
    assert drv.seen == {"locked", "hostname"} and spy_vm.seen == {"freed", "locked", "state"}
    assert not drv.seen & _bound_names(I.DriverB, CookieDriverB)
    assert not spy_vm.seen & _bound_names(I.VmB, I.DefB, I.PrivB)


def _checking_unpushed(monkeypatch):
    """Session.unpushed (after each stub of PULL_ONLY, where nothing is pushed) made a
    check that the stub changed no bound Python value; the list of checks made."""
    from operator import is_
    from qemu_migration.upstream import impl as I
    made = []

    def unpushed(s):
        assert all(all(map(is_, b._py_values(b.py), b.py_shadow)) for b in s.bindings), \
            "a stub of PULL_ONLY changed a field a binding carries"
        made.append(len(s.bindings))
    monkeypatch.setattr(I.Session, "unpushed", unpushed)
    return made


def test_pull_only_stubs_write_no_bound_field_selftest(monkeypatch):
    """The selftest's C calls virDomainSaveStatus and virDomainObjIsActive (crossing when
    wakeups are scripted), the duplicate check, the event, the formatter, the ABI check
    and strdup (PULL_ONLY): after each, every bound Python value is the one of the last
    sync."""
    made = _checking_unpushed(monkeypatch)
    mod = selftest_c()
    for scripted in (False, True):
        vm = make_vm()
        w = world_with(vm)
        if scripted:
            w.drop_wakeups = dict(_SCRIPTED)
        with w.activate():
            assert mod.selftestLocks(w.driver, vm, 1316000030000) == 1
    assert len(made) == 0 + 2       # both deferred in the first
    w = world_with()
    with w.activate():
        assert mod.selftestDefine(w.driver, "conn", DOMAIN_XML, "renamed")
    assert len(made) == 2 + 6
    _texts_unchanged(mod)


def _texts_unchanged(impl):
    """The C strings of push-only rows, and of every string row at a binding's first push,
    are shared by every call (Session.const_str), and so are the first pushes'
    memballoon devices: C wrote into none of them."""
    ffi = impl.built.ffi
    assert impl.texts and all(ffi.string(buf).decode() == t for t, buf in impl.texts.items())
    assert all(m.model == model for model, m in impl.balloons.items())
    # so are the drivers' event states (Session.c_event_state): each still holds its own
    # object's callback list
    assert impl.event_states
    for c, h, st in impl.event_states.values():
        assert c.callbacks == h and ffi.from_handle(ffi.cast("void *", c.callbacks)) is st.callbacks


def test_event_states_past_the_cap_are_the_calls_own(monkeypatch):
    """Session.c_event_state keeps one struct per event state and module up to IMAGES_MAX
    of them; past that, a new world's is made for its call alone (and still read right)."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    _selftest_calls(mod)
    states = mod.event_states
    n = len(states)
    assert n >= 1
    monkeypatch.setattr(I, "IMAGES_MAX", n)
    mod.kept = kept = []
    try:
        assert _selftest_calls(mod) == (0, 1, 0, "c")
    finally:
        mod.kept = None
    assert len(states) == n
    ffi = mod.built.ffi
    t = ffi.typeof("struct qmc_event_state *")
    own = [s for s in kept
           if any(isinstance(k, ffi.CData) and ffi.typeof(k) is t for k in s.keep)]
    assert own, "no call made its own event state past the cap"
    _texts_unchanged(mod)


def _checking_images(monkeypatch, impl):
    """Every binding of a kind with IMAGE (its pure rows copied from a prepared image,
    impl._maker) checked as it is made: its struct cleared and made again in place, the
    kind's set-up then the object's rows written one by one in their order (each with its
    first push's writer, in the same call: the same handles and bindings), has the same
    bytes, and its pulled rows the same raw C values.  Returns what was checked: the
    count and the kinds' images."""
    from qemu_migration.upstream import impl as I
    seen = {"made": 0, "images": []}
    real = I._maker

    def maker(cls, ffi, ctype, init, inner=None):
        make = real(cls, ffi, ctype, init, inner)
        if not cls.IMAGE:
            return make
        seen["images"].append(make.images)
        seen.setdefault("makes", []).append(make)

        def checked(s, py):
            c = make(s, py)
            b = s.by_id[id(py)]
            made = ffi.buffer(c)[:]
            # the same struct made again in place (the set-up may point it at itself)
            ffi.memmove(c, bytes(len(made)), len(made))
            if init is not None:
                init(c)
            vals = cls._py_values(py)
            for r, v in zip(cls.ROWS, vals):
                I._first_write(r)(s, c, v)
            raw = [r[3](s, c) if r[2] is not None else None for r in cls.ROWS]
            assert made == ffi.buffer(c)[:], cls.kind
            # (the bytes a pull compares with, kept where the kind has pulled rows)
            assert (b.c_bytes == made) if b._pulled else (b not in s.pulled), cls.kind
            assert raw == b.c_shadow and vals == b.py_shadow, cls.kind
            assert s.by_addr[b.addr] is b and b.addr == s.addr(c), cls.kind
            seen.setdefault("bindings", []).append(b)
            seen["made"] += 1
            seen[cls.kind] = seen.get(cls.kind, 0) + 1
            return c
        return checked
    monkeypatch.setattr(I, "_maker", maker)
    monkeypatch.setattr(impl, "makers", {})
    monkeypatch.setattr(impl, "_convs", {})     # (they hold the table of makes)
    return seen


def _images_used(seen):
    """Most bindings checked came from an image made for an earlier one."""
    kept = sum(len(images) for images in seen["images"])
    assert len(seen["images"]) >= 4 and 0 < kept < seen["made"] / 2, (kept, seen["made"])
    # every kind checked (a domain object's definition and private data too, which its
    # make makes by theirs directly)
    assert all(seen.get(k) for k in ("driver", "vm", "def", "priv")), seen


def _selftest_calls(mod):
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        return (mod.selftestJob(w.driver, vm, 1), mod.selftestLocks(w.driver, vm, 1316000030000),
                mod.selftestTables(w.driver, vm), mod.selftestWhich())


def test_prepared_images_are_what_the_rows_write_selftest(monkeypatch):
    """The selftest's calls, each on a new world: every driver, domain object, definition
    and private data bound is byte for byte what its rows write (most from an image)."""
    mod = selftest_c()
    seen = _checking_images(monkeypatch, mod)
    for _ in range(8):
        assert _selftest_calls(mod) == (0, 1, 0, "c")
    _images_used(seen)
    _texts_unchanged(mod)


def _scribbled_pools(seen, ffi):
    """Every binding given back so far (its make's ``free``) with its struct's bytes
    overwritten, as a call might have left them: a make that reuses it and leaves any of
    them is seen by _checking_images's check."""
    n = 0
    for make in seen["makes"]:
        for b in make.free:
            ffi.memmove(b.c, b"\xa5" * len(b.cbuf), len(b.cbuf))
            n += 1
    return n


def test_a_calls_bindings_are_made_again_for_the_next_call_as_new_ones(monkeypatch):
    """A call gives its bindings back when it returns (_maker's ``free``), and the next
    call's bindings of a kind with an image are those, each made again byte for byte as a
    new one (the check of every binding made, each given back with its bytes scribbled
    over), holding no object of the call that gave it back; the others are new."""
    mod = selftest_c()
    seen = _checking_images(monkeypatch, mod)
    scribbled = 0
    for _ in range(4):
        assert _selftest_calls(mod) == (0, 1, 0, "c")
        given = [b for make in seen["makes"] for b in make.free]
        assert given and all(b.py is None and b.py_shadow is None for b in given)
        scribbled += _scribbled_pools(seen, mod.built.ffi)
    assert scribbled
    made = seen["bindings"]
    again = [b for i, b in enumerate(made) if any(b is x for x in made[:i])]
    assert again and {b.kind for b in again} >= {"driver", "vm", "def", "priv"}
    _images_used(seen)


def test_with_no_image_kept_a_make_takes_a_given_back_binding_zeroed(monkeypatch):
    """Past IMAGES_MAX images, or once the module's table of texts is full
    (``_texts_kept``), no image is kept, and every make of an imaged kind writes all its
    rows: it too takes a binding a call gave back, its struct zeroed as a new one is (the
    check of every binding made, each given back scribbled over), and the pools stay as
    large as one call's bindings, where before they grew by every binding of every call."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    # (as past either limit for the makes, the texts and event states kept as they are,
    # so that the check's writes give the same bytes)
    monkeypatch.setattr(I, "_texts_kept", lambda s: False)
    seen = _checking_images(monkeypatch, mod)
    sizes = []
    for _ in range(6):
        assert _selftest_calls(mod) == (0, 1, 0, "c")
        sizes.append(sum(len(make.free) for make in seen["makes"]))
        _scribbled_pools(seen, mod.built.ffi)
    assert not any(seen["images"]) and seen["made"] > 6 * 4
    assert sizes[0] and sizes == sizes[:1] * 6, sizes
    made = seen["bindings"]
    assert len({id(b) for b in made}) == sizes[0] < len(made)


def test_a_trace_left_outside_any_call_is_let_go_at_the_next_callback():
    """C code entered outside any call (a helper run through the module directly) leaves
    the trace's dirty flag up with no call's trace to take it: the next callback's
    catch-up lowers it, and a call after that has its own trace."""
    mod = selftest_c()
    built = mod.built
    assert not built.installed["sessions"]
    built.lib.qmc_io[0] = 1
    built.installed["catch_up"]()
    assert built.lib.qmc_io[0] == 0
    assert _selftest_calls(mod) == (0, 1, 0, "c")


def _kept_calls(mod):
    """The selftest's calls with their sessions kept (``CImpl.kept``); returns those."""
    mod.kept = kept = []
    try:
        _selftest_calls(mod)
    finally:
        mod.kept = None
    return kept


def _a_call_that_raises(mod, made=None):
    """A selftest call whose deferred driver unlock raises (planted) in the drain; its
    world.  ``made``: a list each raise appends (the caller, the world's depth) to."""
    from qemu_migration.upstream import impl as I
    deferred = mod.built.installed["deferred"]
    k = I.DEFERRED.index("qemuDriverUnlock")
    unlock = deferred[k]

    def raising(s, w, caller, p):
        if made is not None:
            made.append((caller, w.depth))
        raise RuntimeError("planted in the deferred unlock")
    deferred[k] = raising
    try:
        vm = make_vm()
        w = world_with(vm)
        with w.activate(), pytest.raises(RuntimeError, match="planted"):
            mod.selftestLocks(w.driver, vm, 1316000030000)
    finally:
        deferred[k] = unlock
    return w


def test_a_returned_calls_session_is_emptied_and_taken_by_the_next_call(monkeypatch):
    """A call that returns leaves its session emptied (no table of it holds anything of
    the call, nor its world) for the next call, which takes it; a kept one, or a raising
    call's, is not given back."""
    from qemu_migration.world import stubs as S
    mod = selftest_c()
    _selftest_calls(mod)
    w = world_with()
    with w.activate():                  # (a call with an out-parameter: its cell too)
        assert mod.selftestUri("tcp:src:49152", Ptr()) == 0
    pool = mod._sessions
    assert len(pool) == 1
    s = pool[0]
    tables = ("keep", "by_addr", "by_id", "bindings", "cbufs", "handles", "ptrs",
              "structs", "cells")
    assert all(len(getattr(s, t)) == 0 for t in tables)
    assert (s.world, s.c_all, s.py_all, s.domlists, s.exc, s.entered) == (
        None, None, None, None, None, False)
    running = []
    real = S.virCondWaitUntil

    def waits(*args):
        running.append(mod.built.installed["sessions"][-1])
        return real(*args)
    monkeypatch.setattr(S, "virCondWaitUntil", waits)
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        mod.selftestLocks(w.driver, vm, 1316000030000)
    assert running == [s] and pool == [s] and s.world is None and not s.bindings
    kept = _kept_calls(mod)
    assert pool == [] and kept[0] is s and kept[0].world is not None
    _a_call_that_raises(mod)
    assert pool == []
    _selftest_calls(mod)
    assert len(pool) == 1 and pool[0] is not s


def test_kept_sessions_and_a_call_that_raised_give_no_binding_back():
    """The bindings of a call whose sessions are kept (``CImpl.kept``: C memory of theirs
    may be read after) or that raised stay the call's own; a call that returns gives its
    back."""
    mod = selftest_c()
    _selftest_calls(mod)

    def given():
        return [b for m in mod.makers.values() if m.free for b in m.free]

    def emptied():
        for m in mod.makers.values():
            if m.free:
                del m.free[:]
    emptied()
    kept = _kept_calls(mod)
    assert given() == [] and kept and all(b.py is not None for b in kept[0].bindings)
    _a_call_that_raises(mod)
    assert given() == []
    _selftest_calls(mod)
    assert given()


def test_a_prepared_image_that_differs_from_the_rows_fails_the_check(monkeypatch):
    """The check above sees an image that is not what the rows write (here: every
    definition's image has another vcpus than its rows say)."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    real = I._maker

    def wrong(cls, ffi, ctype, init, inner=None):
        make = real(cls, ffi, ctype, init, inner)
        if cls.kind == "def":
            def make_wrong(s, py):
                c = make(s, py)
                c.vcpus += 1
                s.bindings[-1].c_bytes = s.cbufs[-1][:]
                return c
            make_wrong.images = make.images
            return make_wrong
        return make
    monkeypatch.setattr(I, "_maker", wrong)
    _checking_images(monkeypatch, mod)
    with pytest.raises(AssertionError, match="def"):
        _selftest_calls(mod)


def _watching_cells(monkeypatch):
    """impl.Cell syncs an out-parameter only around the stubs it is handed and when the call
    returns: that holds while, during a C call, its Ptr's value is read or written only by
    its Cell or by a stub it was handed (from Session.py_cell to the stub's write-back).
    Every Ptr made a cell is watched (its class swapped for a spying subclass until the
    call returns); returns what was seen: accesses allowed, and those that were not."""
    from qemu_migration.upstream import impl as I
    seen = {"allowed": 0, "outside": [], "depth": 0}
    open_ids, spies = set(), {}

    def spy_class(cls):
        if cls not in spies:
            slot = Ptr.value

            def get(self):
                note(self)
                return slot.__get__(self)

            def set_(self, v):
                note(self)
                slot.__set__(self, v)
            spies[cls] = type("Watched" + cls.__name__, (cls,),
                              {"__slots__": (), "value": property(get, set_)})
        return spies[cls]

    def note(ptr):
        if not seen["depth"]:
            return
        if id(ptr) in open_ids:
            seen["allowed"] += 1
        else:
            seen["outside"].append(ptr)

    def opened(fn):
        def wrapped(cell, *args):
            open_ids.add(id(cell.ptr))
            try:
                return fn(cell, *args)
            finally:
                open_ids.discard(id(cell.ptr))
        return wrapped
    watched = []
    real_take = I.Cell.take

    def take(cell, s, ptr):         # (a new cell's, or one given back by a call)
        watched.append((ptr, type(ptr)))
        ptr.__class__ = spy_class(type(ptr))
        open_ids.add(id(ptr))
        try:
            return real_take(cell, s, ptr)
        finally:
            open_ids.discard(id(ptr))
    monkeypatch.setattr(I.Cell, "take", take)
    monkeypatch.setattr(I.Cell, "pull", opened(I.Cell.pull))
    monkeypatch.setattr(I.Cell, "push", opened(I.Cell.push))
    real_py_cell = I.Session.py_cell

    def py_cell(s, p, ctype):
        got, back = real_py_cell(s, p, ctype)
        if got is not None and id(got) in {id(c.ptr) for c in s.cells.values()}:
            open_ids.add(id(got))           # the stub it is handed runs now

            def back_and_close():
                back()
                open_ids.discard(id(got))
            return got, back_and_close
        return got, back
    monkeypatch.setattr(I.Session, "py_cell", py_cell)
    real_call = I.CImpl._call

    def call(impl, name, sig, args):
        seen["depth"] += 1
        try:
            return real_call(impl, name, sig, args)
        finally:
            seen["depth"] -= 1
            if not seen["depth"]:
                for ptr, cls in watched:
                    ptr.__class__ = cls
                watched.clear()
    monkeypatch.setattr(I.CImpl, "_call", call)
    return seen


def test_out_parameters_are_touched_only_by_their_cell_and_the_stubs_handed_them(monkeypatch):
    """The selftest's calls with out-parameters (cookie, URI, migration): C's values reach
    Python and back only where the Cell syncs them, and they are what the twin gives."""
    seen = _watching_cells(monkeypatch)
    mod, py = selftest_c(), _import_twin()
    for name in ("cookie", "uri", "migrate"):
        got = []
        for m in (py, mod):
            w = world_with(make_vm())
            with w.activate():
                got.append(SELFTEST_CALLS[name](m, w))
        assert got[0] == got[1] and got[1][1], name
    assert seen["allowed"] > 10 and not seen["outside"]


def test_a_stub_touching_an_out_parameter_it_was_not_handed_is_seen(monkeypatch):
    """The watch above sees an access outside the stubs a Ptr is handed (here: every sync
    reads every cell's Ptr)."""
    from qemu_migration.upstream import impl as I
    seen = _watching_cells(monkeypatch)
    real_pull = I.Session.pull

    def pull(s):
        for cell in s.cells.values():
            cell.ptr.value
        real_pull(s)
    monkeypatch.setattr(I.Session, "pull", pull)
    w = world_with(make_vm())
    with w.activate():
        SELFTEST_CALLS["cookie"](selftest_c(), w)
    assert seen["outside"]


@contextlib.contextmanager
def _crossings(impl, names):
    """The crossings from C into Python of the callbacks ``names`` made inside the block,
    in order (each re-attached with a counter around it, the original again after)."""
    ffi, st = impl.built.ffi, impl.built.installed
    seen = []

    def counted(name, cb):
        def spy(*args):
            seen.append(name)
            return cb(*args)
        return spy
    try:
        for n in names:
            ffi.def_extern(name=n, onerror=st["onerror"])(counted(n, st["callbacks"][n]))
        yield seen
    finally:
        for n in names:
            ffi.def_extern(name=n, onerror=st["onerror"])(st["callbacks"][n])


_DEFERRED_CALLBACKS = ["qmc_py_" + n for n in ("qemuDriverLock", "qemuDriverUnlock",
                                               "virDomainObjLock", "virDomainObjUnlock",
                                               "virDomainObjIsActive", "virDomainObjRef",
                                               "virDomainObjUnref", "virDomainDefFree",
                                               "virTimeMs", "report", "report_system",
                                               "report_oom", "log", "force_close",
                                               "qemuMigrationCookieFree",
                                               "virDomainSaveStatus", "virCondSignal",
                                               "virCondBroadcast", "virHashLookup")]
# a run that scripts wakeups (here at a point these calls never pass): nothing deferred
_SCRIPTED = {("qemuMigrationPrepareAny", 99): ("remove-domain",)}


def _run_deferring(m, fn, scripted=False, faults=(), **vm_kw):
    """``fn(m, world, vm)`` run on ``m`` in a fresh world: what a deferral could change
    (its result, the trace with depths, the freed domains touched and by whom, the
    references and locks, the errors and logs, errno, the clock and the record of
    conditions), and the crossings of the deferred stubs' callbacks."""
    vm = make_vm(**vm_kw)
    w = world_with(vm, faults=faults)
    if scripted:
        w.drop_wakeups = dict(_SCRIPTED)
    names = _DEFERRED_CALLBACKS if getattr(m, "implementation", "") == "c" else []
    with w.activate(), (_crossings(m, names) if names else contextlib.nullcontext([])) as seen:
        r = fn(m, w, vm)
    return ((r, [t[:2] for t in w.trace], list(w.touched_freed), vm.refs, vm.freed,
             vm.locked, w.driver.locked,
             [(e.reporter, e.raw, e.code, e.domain, str(e)) for e in w.errors], w.logs,
             w.errno, w.clock_ms, list(w.conditions)), list(seen))


def test_lock_stubs_are_deferred_only_inside_a_call():
    """The lock stubs and the signals are buffered (DEFERRED) while a call runs, none
    crossing into Python then, and the trace and the record of conditions still have them
    in place (before the wait that follows them); in a run that scripts wakeups each
    crosses, in order; outside a call the module's flag is clear again."""
    mod = selftest_c()

    def locks(m, w, vm):
        return m.selftestLocks(w.driver, vm, 1316000030000)
    (py, _), (c, seen), (c_scripted, seen_scripted) = (
        _run_deferring(_import_twin(), locks), _run_deferring(mod, locks),
        _run_deferring(mod, locks, scripted=True))
    assert py == c == c_scripted
    assert [n for n, _ in py[1] if "Lock" in n or "Unlock" in n]
    assert py[11][:2] == ["signal cond", "broadcast asyncCond"]
    assert py[11][2].startswith("wait asyncCond")
    assert seen == []
    assert seen_scripted == ["qmc_py_" + n for n in (
        "virDomainObjRef", "qemuDriverUnlock", "virCondSignal", "virCondBroadcast", "log",
        "virDomainObjUnlock", "qemuDriverLock",
        "virDomainObjLock", "virDomainObjIsActive", "virDomainSaveStatus", "virDomainObjUnref")]
    assert mod.built.lib.qmc_defer == 0


def test_deferred_stubs_answer_as_python_would():
    """virDomainObjIsActive, virDomainObjRef, virDomainObjUnref and virDomainDefFree,
    deferred, as the twin makes them: C's answers (the references counted in C, read
    back by C), the trace with its depths, and the freed domain touched under the name
    of the function that touched it (the one C was in for virDomainObjIsActive), as when
    each crosses into Python at once (a run that scripts wakeups)."""
    mod = selftest_c()

    def freed(m, w, vm):
        return m.selftestFreed(vm)
    for state in ("running", "shutoff"):
        (py, _), (c, seen), (c_scripted, seen_scripted) = (
            _run_deferring(_import_twin(), freed, state=state),
            _run_deferring(mod, freed, state=state),
            _run_deferring(mod, freed, scripted=True, state=state))
        assert py == c == c_scripted
        assert py[:5] == (110 if state == "running" else 100,
                          [("selftestFreed", 0), ("virDomainObjUnref", 1),
                           ("selftestActive", 1), ("virDomainObjRef", 1)],
                          ["selftestActive", "virDomainObjRef"], 1, True)
        assert seen == []
        assert seen_scripted == ["qmc_py_virDomainObjUnref", "qmc_py_virDomainObjIsActive",
                                 "qmc_py_virDomainObjRef", "qmc_py_virDomainDefFree"]


def test_deferred_autodestroy_lookup_answers_as_python_would(monkeypatch):
    """virHashLookup in driver->autodestroy, deferred: C answers from the keys Python told
    it (at the call's start; after each stub that syncs both ways), with the trace, the
    answer and the world as the twin's, and no crossing but in a run that scripts wakeups;
    a table of more keys than C holds, or a key too long for it, crosses; a key removed
    behind C's back (by a stub that does not sync) makes the deferred call an error,
    never a wrong answer."""
    from qemu_migration.world import stubs as S
    mod = selftest_c()
    held = mod.built.lib.QMC_AD_MAX
    for present, others, crossings in ((True, 0, 0), (False, 0, 0), (True, held - 1, 0),
                                       (False, held, 0), (True, held, 1), (False, held + 1, 1),
                                       (True, ["x" * 80], 1), (False, ["x" * 79], 0)):
        keys = others if isinstance(others, list) else ["other-%d" % i for i in range(others)]

        def tables(m, w, vm):
            for k in keys:
                w.driver.autodestroy[k] = STARTED_ELSEWHERE
            if present:
                w.driver.autodestroy[vm.def_.uuid] = STARTED_ELSEWHERE
            return m.selftestTables(w.driver, vm), sorted(w.driver.autodestroy)
        (py, _), (c, seen), (c_scripted, seen_scripted) = (
            _run_deferring(_import_twin(), tables, snapshots=2),
            _run_deferring(mod, tables, snapshots=2),
            _run_deferring(mod, tables, scripted=True, snapshots=2))
        assert py == c == c_scripted
        assert py[0][0] == (102 if present else 2)
        assert py[1] == [("selftestTables", 0), ("virHashForEach", 1), ("virHashLookup", 1)]
        assert seen.count("qmc_py_virHashLookup") == crossings, (present, others)
        assert seen_scripted.count("qmc_py_virHashLookup") == 1
        # after a call C holds no table: its handle goes with the call, and an outer call
        # (a host's unit entered again) crosses until its own keys are told again
        assert mod.built.lib.qmc_ad_table == mod.built.ffi.NULL

    def present(m, w, vm):
        w.driver.autodestroy[vm.def_.uuid] = STARTED_ELSEWHERE
        return m.selftestTables(w.driver, vm)
    real = S.virHashForEach

    def foreach(table, it, data):       # (UNSYNCED: no keys told after it)
        current().driver.autodestroy.clear()
        return real(table, it, data)
    monkeypatch.setattr(S, "virHashForEach", foreach)      # (the callback's, not the twin's)
    assert _run_deferring(mod, present, scripted=True)[0][0] == 0       # crossing: 0
    with pytest.raises(RuntimeError, match="virHashLookup deferred with C's answer 1 for "):
        _run_deferring(mod, present)


def test_autodestroy_keys_are_told_again_after_a_stub_that_syncs_both_ways(monkeypatch):
    """A stub that syncs both ways may change driver->autodestroy: C is told its keys
    again after it, so a lookup later in the same call answers from the table as the stub
    left it, in C (no crossing), as the Python twin does; without that C's answer would
    be the stale one, and the run an error."""
    from qemu_migration.world import stubs as S
    mod = selftest_c()
    real, uuid = S.virHashForEach, []

    def foreach(table, it, data):       # the key appears during the call
        current().driver.autodestroy[uuid[-1]] = STARTED_ELSEWHERE
        return real(table, it, data)

    def tables(m, w, vm):
        uuid.append(vm.def_.uuid)
        return m.selftestTables(w.driver, vm), sorted(w.driver.autodestroy)
    twin = _import_twin()
    for m in (S, twin):                 # the C's callback's and the twin's
        monkeypatch.setattr(m, "virHashForEach", foreach)
    monkeypatch.setitem(mod.built.installed["sync"], "virHashForEach", True)
    (py, _), (c, seen) = (_run_deferring(twin, tables, snapshots=2),
                          _run_deferring(mod, tables, snapshots=2))
    assert py == c
    assert py[0][0] == 102
    assert seen.count("qmc_py_virHashLookup") == 0


def test_the_drains_views_are_the_modules_own_arrays():
    """The drain and the callbacks read C's counts and buffer (qmc_io, qmc_ev) through
    views of their bytes: each is the module's array itself, both ways, item for item,
    and stays so while the module is loaded (a view holds its buffer, which holds the
    array's cdata: nothing else need)."""
    import gc
    mod = selftest_c()
    io_v, events_v = mod.built.installed["views"]
    gc.collect()
    lib = mod.built.lib
    assert (len(io_v), len(events_v)) == (5, B.EVENTS)
    saved = io_v.tolist(), events_v.tolist()
    try:
        lib.qmc_io[4] = 123456
        lib.qmc_ev[B.EVENTS - 1] = -(2 ** 40) - 3
        assert io_v[4] == 123456 and events_v[B.EVENTS - 1] == -(2 ** 40) - 3
        io_v[3] = -7
        events_v[0] = 2 ** 50
        assert lib.qmc_io[3] == -7 and lib.qmc_ev[0] == 2 ** 50
    finally:
        for i, v in enumerate(saved[0]):
            io_v[i] = v
        for i, v in enumerate(saved[1]):
            events_v[i] = v
    # (and a call's view of qmc_defer, which it sets for its run and gives back after)
    defer_v, defer_p = mod.built.installed["defer_v"], mod.built.installed["defer"]
    assert len(defer_v) == 1 and defer_v[0] == defer_p[0] == lib.qmc_defer == 0
    defer_v[0] = 5
    try:
        assert defer_p[0] == lib.qmc_defer == 5
    finally:
        defer_v[0] = 0


def test_a_c_string_is_none_only_where_its_pointer_is_null():
    """Session.pystr (and the callbacks' text) tells NULL by the pointer's truth: an empty
    C string is "", not None."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    ffi = mod.built.ffi
    s = I.Session(mod, world_with())
    empty = ffi.new("char[]", b"")
    assert s.pystr(ffi.NULL) is None and s.pystr(ffi.cast("char *", 0)) is None
    assert s.pystr(empty) == "" and s.pystr(ffi.cast("const char *", empty)) == ""
    assert s.pystr(ffi.new("char[]", "d\u00e9j\u00e0".encode())) == "d\u00e9j\u00e0"


def test_a_deferred_call_that_raises_drops_the_rest_of_its_drain():
    """A deferred call that raises ends its drain: the entries and deferred calls C
    buffered after it are dropped, the callback that read them is not made, and the run
    ends in that error; what C buffers after that drain goes in as ever, at the depths C
    kept (its depth and functions entered are C's own, not replayed from the events)."""
    mod = selftest_c()
    made = []
    w = _a_call_that_raises(mod, made)
    assert made == [("selftestLocks", 1)]
    # virCondSignal and virCondBroadcast, buffered after the unlock, are dropped, and the
    # wait whose callback read them never ran; the rest comes from the next drain
    assert [(t.name, t.depth) for t in w.trace] == [
        ("selftestLocks", 0), ("virDomainObjRef", 1), ("virDomainObjUnlock", 1),
        ("qemuDriverLock", 1), ("virDomainObjLock", 1), ("virDomainSaveStatus", 1),
        ("virDomainObjUnref", 1)]
    assert w.conditions == []
    assert w.depth == 0


def test_a_call_made_while_another_runs_in_c_gives_it_back_its_depth(monkeypatch):
    """A C call made from a Python stub while another C call of the module runs (as a
    host's unit is entered again): C's depth is the inner world's in the inner call, and
    the outer call's again after it (C keeps the depth; its entry wrapper sets it, the
    call gives the outer's back), so the outer trace goes on at its own depths."""
    from qemu_migration.upstream import impl as I
    from qemu_migration.world import stubs as S
    mod = selftest_c()
    inner = world_with()
    inner.depth = 5
    seen = []

    outer_bound = []

    def waits(cond, vm, then):          # in place of the wait: a call into the module
        outer = mod.built.installed["sessions"][-1]
        with inner.activate():
            seen.append(mod.selftestDeep(2))
        # the inner call gave back its own bindings, none of the outer's (still running)
        pools = [b for m in mod.makers.values() if m.free for b in m.free]
        outer_bound.append(outer.bindings and not any(
            b is x for b in outer.bindings for x in pools))
        return 0
    monkeypatch.setattr(S, "virCondWaitUntil", waits)
    # the caller C hands a deferred call after the inner one: the outer's (C's count of
    # the functions its callers entered, the call's base, given back too)
    deferred = mod.built.installed["deferred"]
    k = I.DEFERRED.index("virDomainSaveStatus")
    real, callers = deferred[k], []

    def noted(s, w, caller, p):
        callers.append(caller)
        return real(s, w, caller, p)
    deferred[k] = noted
    vm = make_vm()
    w = world_with(vm)
    try:
        with w.activate():
            mod.selftestLocks(w.driver, vm, 1316000030000)
    finally:
        deferred[k] = real
    assert seen == [2] and outer_bound == [True]
    assert callers == ["selftestLocks"]
    assert [(t.name, t.depth) for t in inner.trace] == [
        ("selftestDeep", 5), ("selftestDepth", 6), ("selftestDepth", 7),
        ("selftestDepth", 8), ("strdup", 6)]
    assert [(t.name, t.depth) for t in w.trace] == [("selftestLocks", 0)] + [
        (n, 1) for n in ("virDomainObjRef", "qemuDriverUnlock", "virCondSignal",
                         "virCondBroadcast", "virDomainObjUnlock", "qemuDriverLock",
                         "virDomainObjLock", "virDomainSaveStatus", "virDomainObjUnref")]
    assert (w.depth, inner.depth) == (0, 5)


def test_the_trace_deeper_than_c_keeps_the_functions_entered():
    """Deeper than C keeps the functions entered (build.py's NSTACK): every entry still
    in the trace at its depth (C counts the depth apart from the stack it keeps), and
    the stub after them named under its caller."""
    mod = selftest_c()
    n = B.NSTACK + 5
    w = world_with()
    with w.activate():
        assert mod.selftestDeep(n) == n
    assert [(t.name, t.depth) for t in w.trace] == (
        [("selftestDeep", 0)] + [("selftestDepth", d) for d in range(1, n + 2)]
        + [("strdup", 1)])
    assert w.depth == 0


@pytest.mark.parametrize("n", range(B.EVENTS - 6, B.EVENTS))
def test_a_record_at_the_end_of_the_trace_buffer(n):
    """Entries up to the end of C's trace buffer (build.py's EVENTS), then deferred calls,
    each a record of two slots: the one that would not fit goes after Python read the
    buffer (stubs.c's room check; one slot past the buffer would end the run in the
    drain's error), and the trace is every entry at its depth, then the two calls."""
    mod = selftest_c()
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        assert mod.selftestFill(vm, n) == n
    assert [(t.name, t.depth) for t in w.trace] == (
        [("selftestFill", 0)] + [("selftestDepth", d) for d in range(1, n + 2)]
        + [("virDomainObjRef", 1), ("virDomainObjUnref", 1)])
    assert vm.refs == make_vm().refs


@pytest.mark.parametrize("crossing", [False, True])
def test_a_stub_asked_deeper_than_c_keeps_the_functions_entered_ends_the_run(crossing):
    """virDomainObjIsActive asked deeper than C keeps the functions entered (build.py's
    NSTACK): deferred (the caller C hands is none) or crossing (a run that scripts
    wakeups, where nothing is deferred: stub_call's caller=True reads C's stack), the
    run ends in an error naming the limit, never in a frame guessed; shallower, the
    stub is made in its caller's frame."""
    mod = selftest_c()
    vm = make_vm()

    def run(n):
        w = world_with(vm)
        if crossing:
            w.drop_wakeups = dict(_SCRIPTED)
        with w.activate():
            return mod.selftestDeepActive(vm, n)
    assert run(3) == 1
    with pytest.raises(RuntimeError, match="NSTACK"):
        run(B.NSTACK + 5)


def test_a_call_whose_catch_up_raises_before_the_c_gives_everything_back(monkeypatch):
    """The catch-up at a call's start runs the caller's deferred stubs, and one may raise
    before the C runs: the call then leaves no table with C, no session on the stack and
    the deferral flag as it found them."""
    mod = selftest_c()
    lib, ffi, installed = mod.built.lib, mod.built.ffi, mod.built.installed
    calls = []

    def catch_up():
        calls.append(len(installed["sessions"]))
        raise RuntimeError("a deferred stub of the caller failed")
    monkeypatch.setitem(installed, "catch_up", catch_up)
    vm = make_vm()
    w = world_with(vm, autodestroy=True)
    sessions, flag = list(installed["sessions"]), installed["defer"][0]
    with w.activate(), pytest.raises(RuntimeError, match="deferred stub of the caller"):
        mod.selftestTables(w.driver, vm)
    assert calls == [len(sessions)]             # raised before the C ran
    assert lib.qmc_ad_table == ffi.NULL
    assert installed["sessions"] == sessions
    assert installed["defer"][0] == flag


def test_deferred_clock_reads_the_worlds_clock_unless_the_plan_faults_it():
    """virTimeMs, deferred, reads the world's clock as the stub does, also after a wait
    moved it; in a call whose fault plan names virTimeMs (or that scripts wakeups) each
    call crosses into Python, and the named one fails there."""
    from qemu_migration.upstream import impl as I
    # its cell is C's local (the deferred call makes one of its own): no entry point has
    # an out-parameter of its type
    assert not {k for k in chain(I._ARG_KINDS.values(), I._PROTOCOL_KINDS.values())
                if k.startswith("cell:") and "long" in k}
    mod = selftest_c()
    then = 1316000000000 + 30000

    def clock(m, w, vm):
        return m.selftestClock(vm, then)
    for faults, scripted, crossings, result in (
            ((), False, 0, 30000), ((), True, 2, 30000),
            ([("virTimeMs", 2)], False, 2, -2), ([("virTimeMs", 1)], False, 1, -1)):
        (py, _), (c, seen) = (_run_deferring(_import_twin(), clock, scripted, faults),
                              _run_deferring(mod, clock, scripted, faults))
        assert py == c
        assert py[0] == result and py[10] == (then if result != -1 else then - 30000)
        assert seen == ["qmc_py_virTimeMs"] * crossings


@contextlib.contextmanager
def _deferred_write_only_refs(impl):
    """Each deferred call (impl.DEFERRED, made by Python at the next callback, with no
    push after it) wrapped with a check that it changed no bound Python value but the
    ones C keeps in step itself: a domain object's references (virDomainObjRef/Unref,
    counted by C as by the stub) and what qemuMigrationCookieFree clears of the cookie
    it frees, which C reads no more.  The number of deferred calls checked, by name."""
    from qemu_migration.upstream import impl as I
    deferred = impl.built.installed["deferred"]
    kept = list(deferred)
    made = collections.Counter()

    def checked(name, fn):
        def call(s, w, caller, p):
            before = [(b, b._py_values(b.py)) for b in s.bindings]
            fn(s, w, caller, p)
            for b, was in before:
                changed = [r[0] for r, v, old in zip(b.ROWS, b._py_values(b.py), was)
                           if v is not old]
                allowed = ({"refs"} if name in ("virDomainObjRef", "virDomainObjUnref")
                           and isinstance(b, I.VmB) else
                           {r[0] for r in b.ROWS} if name == "qemuMigrationCookieFree"
                           and isinstance(b, I.CookieB) else set())
                assert set(changed) <= allowed, \
                    "deferred %s changed %s of a %s" % (name, changed, type(b).__name__)
            made[name] += 1
        return call
    try:
        deferred[:] = [checked(n, f) for n, f in zip(I.DEFERRED, kept)]
        yield made
    finally:
        deferred[:] = kept


def test_deferred_calls_write_only_what_c_keeps_in_step():
    """The selftest's deferred calls (locks, references, the clock, reports, the status,
    the signals) change no bound value but the references; a planted write is seen."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    with _deferred_write_only_refs(mod) as made:
        vm = make_vm()
        w = world_with(vm)
        with w.activate():
            assert mod.selftestLocks(w.driver, vm, 1316000030000) == 1
            mod.selftestFreed(vm)
    assert made["virDomainObjRef"] and made["virDomainSaveStatus"] and made["qemuDriverLock"]
    deferred = mod.built.installed["deferred"]
    k = I.DEFERRED.index("virDomainObjLock")
    lock = deferred[k]

    def writes(s, w, caller, p):
        lock(s, w, caller, p)
        s.py_of(p).persistent = not s.py_of(p).persistent      # a bound field
    deferred[k] = writes
    try:
        with _deferred_write_only_refs(mod), pytest.raises(AssertionError, match="persistent"):
            vm = make_vm()
            w = world_with(vm)
            with w.activate():
                mod.selftestLocks(w.driver, vm, 1316000030000)
    finally:
        deferred[k] = lock


if LIBVIRT_SRC:
    @pytest.mark.parametrize("version", ["pre", "post", "fixed"])
    def test_pull_only_stubs_write_no_bound_field(monkeypatch, version):
        """Every 4th enumerated case on the compiled upstream: after each stub of
        PULL_ONLY, no bound Python value changed (so skipping the push loses nothing);
        after each deferred call, none but what C keeps in step (_deferred_write_only_refs:
        no push follows them either)."""
        from qemu_migration.analysis import cases as C
        from qemu_migration.engine import run_call
        made = _checking_unpushed(monkeypatch)
        impl = _upstream(version)
        with _deferred_write_only_refs(impl) as deferred:
            for c in C.enumerate_cases()[::4]:
                run_call(c.make_world(), version, c.call, impl)
        assert len(made) > 500 and sum(deferred.values()) > 10000
        _texts_unchanged(impl)

    @pytest.mark.parametrize("version", ["pre", "post", "fixed"])
    def test_out_parameters_are_touched_only_by_their_cell_and_stubs(monkeypatch, version):
        """Every 6th enumerated case on the compiled upstream (from the 3rd): an entry
        point's out-parameters are read and written, while the C runs, only by their Cell
        and by the stubs they are handed."""
        from qemu_migration.analysis import cases as C
        from qemu_migration.engine import run_call
        impl = _upstream(version)
        seen = _watching_cells(monkeypatch)
        for c in C.enumerate_cases()[2::6]:
            run_call(c.make_world(), version, c.call, impl)
        assert seen["allowed"] > 1000 and not seen["outside"]

    @pytest.mark.parametrize("version", ["pre", "post", "fixed"])
    def test_prepared_images_are_what_the_rows_write(monkeypatch, version):
        """Every 6th enumerated case on the compiled upstream: every driver, domain object,
        definition and private data bound is byte for byte what its rows write, most from
        an image."""
        from qemu_migration.analysis import cases as C
        from qemu_migration.engine import run_call
        impl = _upstream(version)
        seen = _checking_images(monkeypatch, impl)
        for c in C.enumerate_cases()[1::6]:
            run_call(c.make_world(), version, c.call, impl)
        _images_used(seen)
        _texts_unchanged(impl)


def _unpacked_rows_checked(impl, run):
    """``run()`` with every session kept; then per binding of a kind whose pull reads rows
    from its struct's bytes at once (Binding._unpacked), those values against what each
    row's reader reads. Returns the kinds checked and their rows' raw values seen."""
    impl.kept = []
    try:
        run()
        sessions = impl.kept
    finally:
        impl.kept = None
    kinds, seen = set(), set()
    for s in sessions:
        for b in s.bindings:
            unpack, where = b._unpacked(s.ffi, b._field_ranges(s.ffi))
            if unpack is None:
                continue
            raws = unpack.unpack_from(b.cbuf[:])
            for i, _, read_c, _ in b._pulled:
                if i in where:
                    assert raws[where[i]] == read_c(s, b.c), (b.kind, b.ROWS[i][0])
                    seen.add((b.kind, b.ROWS[i][0], raws[where[i]]))
            kinds.add(b.kind)
    return kinds, seen


def test_rows_read_at_once_are_what_their_readers_read():
    """A pull reads a binding's plain number and pointer rows from its struct's bytes at
    once (struct.unpack): each value is what the row's reader reads, a negative number
    (a shut-off domain's id) and a pointer included."""
    mod = selftest_c()

    def run():
        for state in ("running", "shutoff"):
            for name in ("job", "locks", "tables"):
                w = world_with(make_vm(state=state))
                with w.activate():
                    SELFTEST_CALLS[name](mod, w)
    kinds, seen = _unpacked_rows_checked(mod, run)
    assert {"vm", "def", "priv"} <= kinds
    assert ("def", "id", -1) in seen
    assert any(k == "vm" and row == "privateData" and v for k, row, v in seen)


def test_rows_sharing_bytes_are_not_read_at_once():
    """A row whose field overlaps the one before it (as in a union) is left to its own
    reader, and the others keep their places in what is unpacked."""
    mod = selftest_c()
    mod.kept = []
    try:
        w = world_with(make_vm())
        with w.activate():
            SELFTEST_CALLS["locks"](mod, w)
        s = mod.kept[0]
    finally:
        mod.kept = None
    b = next(b for b in s.bindings if b.kind == "vm")
    ranges = b._field_ranges(s.ffi)
    unpack, where = b._unpacked(s.ffi, ranges)
    pos = {p[0]: k for k, p in enumerate(b._pulled)}     # row index -> its range's place
    first, second = sorted(where, key=lambda i: ranges[pos[i]][0])[:2]
    lo, hi, t = ranges[pos[second]]
    shared = list(ranges)
    shared[pos[second]] = (ranges[pos[first]][0], ranges[pos[first]][0] + hi - lo, t)
    unpack2, where2 = b._unpacked(s.ffi, shared)
    assert second not in where2 and first in where2
    assert len(where2) == len(where) - 1 and sorted(where2.values()) == list(range(len(where2)))
    raws = unpack2.unpack_from(b.cbuf[:])
    for i, _, read_c, _ in b._pulled:
        if i in where2:
            assert raws[where2[i]] == read_c(s, b.c)


def test_binding_classes_take_no_arguments_and_read_their_rows_attributes():
    """A binding is made by calling its class with nothing (impl._maker): no kind has an
    __init__ of its own; and its values are its rows' (dotted) attributes, in order, as
    attrgetter reads them (Binding._set_rows makes the reader)."""
    from operator import attrgetter
    from qemu_migration.upstream import abicheck, cookiecheck, impl as I
    kinds, todo = [], [I.Binding]
    while todo:
        k = todo.pop()
        kinds.append(k)
        todo += k.__subclasses__()
    assert {abicheck.AbiDefB, cookiecheck.CookieDriverB, I.VmB, I.PrivB} <= set(kinds)
    for k in kinds:
        assert k.__init__ is object.__init__, k

    class Obj:
        pass
    for k in kinds:
        if not k.ROWS:
            continue
        py = Obj()
        for r in k.ROWS:        # each path to a fresh object of its own
            head, *rest = r[0].split(".")
            at = py
            for part in [head] + rest[:-1]:
                if not hasattr(at, part):
                    setattr(at, part, Obj())
                at = getattr(at, part)
            if rest:
                setattr(at, rest[-1], object())
            elif not hasattr(py, head):
                setattr(py, head, object())
        want = attrgetter(*(r[0] for r in k.ROWS))(py)
        want = want if len(k.ROWS) > 1 else (want,)
        got = k._py_values(py)
        assert type(got) is tuple and len(got) == len(want), k
        assert all(a is b for a, b in zip(got, want)), k


if LIBVIRT_SRC:
    def test_copies_of_a_world_share_their_drivers_event_state_struct():
        """World.copy shares the driver's event state with the template: every case of one
        starting state hands C one struct for it (Session.c_event_state), made once per
        module, which still holds the list's handle after the calls."""
        from qemu_migration.analysis import cases as C
        from qemu_migration.engine import run_call
        impl = _upstream("post")
        impl.kept = kept = []
        try:
            by_state = {}
            for c in C.enumerate_cases():
                by_state.setdefault(c.state_id, []).append(c)
            states = [cs[:3] for cs in by_state.values() if len(cs) >= 3][::40][:8]
            cases = [c for cs in states for c in cs]
            for c in cases:
                run_call(c.make_world(), "post", c.call, impl)
            addrs = {}
            for s in kept:
                drv = next(b for b in s.bindings if b.kind == "driver")
                addrs.setdefault(id(drv.py.domainEventState), set()).add(
                    s.addr(drv.c.domainEventState))
        finally:
            impl.kept = None
        assert len(cases) == 24 and len(kept) >= 24 and len(addrs) == 8
        assert all(len(a) == 1 for a in addrs.values()), addrs
        _texts_unchanged(impl)

    @pytest.mark.parametrize("version", ["pre", "post", "fixed"])
    def test_rows_read_at_once_are_what_their_readers_read_upstream(version):
        """Every 12th enumerated case on the compiled upstream: the rows a pull reads from
        a struct's bytes at once are what their readers read, in every binding left."""
        from qemu_migration.analysis import cases as C
        from qemu_migration.engine import run_call
        impl = _upstream(version)

        def run():
            for c in C.enumerate_cases()[5::12]:
                run_call(c.make_world(), version, c.call, impl)
        kinds, seen = _unpacked_rows_checked(impl, run)
        assert {"vm", "def", "priv"} <= kinds
        assert ("def", "id", -1) in seen and len(seen) > 20


def test_deferred_reports_and_logs_as_python_makes_them():
    """The reporters and the log, deferred with their texts: more of them between two
    callbacks than C buffers events or texts, each in the world as the twin makes it
    (the reporter's name, the text, the order), and none crossing into Python but in a
    run that scripts wakeups."""
    mod = selftest_c()
    # short texts: the events fill first; long ones: the texts do
    for n, wide in ((B.EVENTS * 3, 1), (20, 3000)):
        def reports(m, w, vm):
            return m.selftestReports(n, wide)
        (py, _), (c, seen), (c_scripted, seen_scripted) = (
            _run_deferring(_import_twin(), reports), _run_deferring(mod, reports),
            _run_deferring(mod, reports, scripted=True))
        assert py == c == c_scripted
        errors, logs = py[7], py[8]
        assert len(logs) == n + 1 and logs[-1] == "error: last of %d" % n
        assert logs[n - 1].endswith(" %d" % (n - 1)) and len(logs[n - 1]) >= wide
        assert [e[0] for e in errors] == ["selftestReports"] * 4
        assert seen == []
        assert seen_scripted == ["qmc_py_log"] * n + [
            "qmc_py_report", "qmc_py_report", "qmc_py_report_system", "qmc_py_report_oom",
            "qmc_py_log"]


def test_deferred_cookie_free_as_python_makes_it():
    """qemuMigrationCookieFree (the port's), deferred: the trace and the cookie baked as
    the twin has them, and no crossing but in a run that scripts wakeups."""
    mod = selftest_c()

    def cookie(m, w, vm):
        out, outlen = Ptr(), Ptr(0)
        r = m.selftestCookie(w.driver, vm, "<qemu-migration/>", out, outlen)
        return r, out.value, outlen.value, vm.privateData.lockState
    (py, _), (c, seen), (c_scripted, seen_scripted) = (
        _run_deferring(_import_twin(), cookie), _run_deferring(mod, cookie),
        _run_deferring(mod, cookie, scripted=True))
    assert py == c == c_scripted
    assert py[0][0] == 0 and "<name>web1</name>" in py[0][1]
    assert ("qemuMigrationCookieFree", 1) in py[1]
    assert seen == [] and seen_scripted == ["qmc_py_qemuMigrationCookieFree"]


def test_deferred_status_save_records_the_name_c_has():
    """virDomainSaveStatus, deferred where the fault plan names it not: the name saved and
    the trace as the twin has them; faulted (or with wakeups scripted) it crosses and
    fails there as the twin's, and so does a name too long for C's buffer of texts; a
    definition renamed by C since the last sync makes the
    deferred call an error, never a save under the old name."""
    mod = selftest_c()

    def save(m, w, vm):
        return m.selftestLocks(w.driver, vm, 1316000030000), list(w.driver.saved_status)
    for faults, scripted, crossings in (((), False, 0), ((), True, 1),
                                        ([("virDomainSaveStatus", 1)], False, 1)):
        (py, _), (c, seen) = (_run_deferring(_import_twin(), save, scripted, faults),
                              _run_deferring(mod, save, scripted, faults))
        assert py == c
        assert py[0][1] == ([] if faults else ["web1"])
        assert seen.count("qmc_py_virDomainSaveStatus") == crossings

    # a name longer than C's text buffer (16384 bytes) crosses as the twin runs it,
    # after what C had buffered before it, instead of being written past the buffer
    # (the logs aside: C formats a log line into 4096 bytes, and this one has the name)
    for n, crossings in ((100, 0), (20000, 1), (60000, 1)):
        (py, _), (c, seen) = (_run_deferring(_import_twin(), save, name="x" * n),
                              _run_deferring(mod, save, name="x" * n))
        assert py[:8] + py[9:] == c[:8] + c[9:] and py[0][1] == ["x" * n]
        assert len(py[8]) == len(c[8]) and all(
            a.startswith(b) and (a == b or len(b) > 4000) for a, b in zip(py[8], c[8]))
        assert seen.count("qmc_py_virDomainSaveStatus") == crossings

    def renamed(m, w, vm):
        return m.selftestRename(w.driver, vm), list(w.driver.saved_status)
    py, _ = _run_deferring(_import_twin(), renamed)
    assert py[0] == (0, ["other"])
    assert _run_deferring(mod, renamed, scripted=True)[0] == py
    with pytest.raises(RuntimeError, match="deferred with the name 'other'"):
        _run_deferring(mod, renamed)


def test_a_pull_after_a_sync_with_no_c_write_since_reads_no_binding():
    """Session.pull keeps the bytes of every bound struct together (``c_all``): a pull
    with no C write since the last sync looks at no binding's own bytes, and one after a
    write still finds it (the kept bytes were once the last binding's alone, so every
    pull read each binding's)."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        s = I.Session(mod, w)
        c = s.c_vm(vm)
        assert len(s.bindings) >= 2         # the domain object, its definition, ...
        s.pull()
        assert s.c_all == b"".join(s.cbufs)

        class Unread:
            def __getitem__(self, k):
                raise AssertionError("a binding's bytes were read")
        views = [b.cbuf for b in s.bindings]
        for b in s.bindings:
            b.cbuf = Unread()
        s.pull()                            # nothing changed: no binding read
        for b, v in zip(s.bindings, views):
            b.cbuf = v
        c.refs += 5
        s.pull()
        assert vm.refs == c.refs
        assert s.c_all == b"".join(s.cbufs)


def test_a_kind_with_no_pulled_row_is_never_pulled():
    """The driver's rows are all C's to read (none pulled): its binding is not among the
    session's pulled ones, no pull reads its struct, and a C write there leaves Python
    as it was; a pulled kind's write is still seen."""
    from qemu_migration.upstream import impl as I
    mod = selftest_c()
    vm = make_vm()
    w = world_with(vm)
    with w.activate():
        s = I.Session(mod, w)
        d = s.c_driver(w.driver)
        c = s.c_vm(vm)
        drv = next(b for b in s.bindings if b.kind == "driver")
        assert not drv._pulled and drv not in s.pulled and len(s.cbufs) == len(s.pulled)
        assert {b.kind for b in s.pulled} >= {"vm", "def", "priv"}

        class Unread:
            def __getitem__(self, k):
                raise AssertionError("the driver's bytes were read")
        drv.cbuf = Unread()
        before = w.driver.configDir
        d.configDir = s.cstr("elsewhere")
        c.refs += 3
        s.pull()
        assert vm.refs == c.refs and w.driver.configDir == before


def test_the_functions_that_may_run_a_function_are_those_naming_it_or_one_that_does():
    """build.reaching: a function's callers, and theirs, by the names in their texts (a
    call or an address taken); every function where the module's other C names one of
    them (a driver table's pointer, which no caller's text names)."""
    text = textwrap.dedent("""
        static int rchTarget(int a) { return a; }
        static int rchDirect(int a) { return rchTarget(a) + 1; }
        static void *rchPtr(void) { return (void *)rchTarget; }
        static int rchOuter(int a) { return rchDirect(a); }
        static int rchApart(int a) { return a - 1; }
        """)
    spec = B.text_spec("reach", text, "reach.c")
    assert B.reaching(spec, "rchTarget") == {"rchTarget", "rchDirect", "rchPtr", "rchOuter"}
    assert B.reaching(spec, "rchApart") == {"rchApart"}
    assert B.reaching(spec, "rchNowhere") == set()
    spec.extra_source = "static int (*table[])(int) = { rchOuter };"
    assert B.reaching(spec, "rchTarget") == {"rchTarget", "rchDirect", "rchPtr", "rchOuter",
                                             "rchApart"}
    assert B.reaching(spec, "rchApart") == {"rchApart"}


if LIBVIRT_SRC:
    def test_a_call_that_cannot_run_prepare_direct_leaves_its_port_static_alone():
        """Only a function that may run qemuMigrationPrepareDirect sets the module's port
        static from the world's and gives it back: another's call neither reads nor writes
        the world's value, and leaves the one C holds (here a stray 99)."""
        c = _upstream("post")
        assert c._port_fns == {"qemuMigrationPrepareDirect"}
        key = "qemuMigrationPrepareDirect.port"
        seen = []

        class Statics(dict):
            def get(self, k, default=None):
                seen.append(k)
                return super().get(k, default)
        w = world_with(make_vm())
        w.statics = Statics({key: Ptr(41)})
        vm = next(iter(w.driver.domains.values()))
        c._port[0] = 99
        try:
            with w.activate():
                c.qemuMigrationIsAllowed(w.driver, vm, None)
                assert key not in seen and c._port[0] == 99
                c.qemuMigrationPrepareDirect(w.driver, "dconn", None, 0, Ptr(), Ptr(0), None,
                                             Ptr(), "web1", DOMAIN_XML)
            assert key in seen and c._port[0] == 99
        finally:
            c._port[0] = 0
