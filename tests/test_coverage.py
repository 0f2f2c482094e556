"""compare --coverage: the gcov build, the unreachable list, and the recorded coverage.

The record test runs everywhere (CI has no libvirt tree): every line of a compiled
upstream function that the recorded run left unexecuted must be in
fixtures/upstream/unreachable.txt, and every listed line must be one it left
unexecuted.  The build tests use the project's own C (tests/c_selftest,
tests/c_candidate), as the other C-side tests do."""
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest

from qemu_migration import cli
from qemu_migration.port import VERSION_NAMES
from qemu_migration.upstream import build as B
from qemu_migration.upstream import coverage as cov
from qemu_migration.upstream import record
from qemu_migration.upstream.extract import CFunction
from qemu_migration.world.runtime import World
from qemu_migration.world.objects import Driver, Ptr

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# --- the recorded coverage (CI holds it) --------------------------------------------------

def _protocol_record():
    from qemu_migration.upstream import protocol_compare as PC
    return PC.load()


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_recorded_coverage_runs_every_reachable_line(version):
    """A compiled function's coverage counts the function-level cases and the protocol
    rows (compare --faults) together: every line either ran or is listed."""
    rec = record.load(version)
    assert rec.get("coverage"), ("%s.json has no coverage: record with qemu-migration compare "
                                 "--libvirt-src DIR --record" % version)
    assert set(rec["coverage"]) == set(rec["functions"])
    listed = cov.load_unreachable(version).only(rec["functions"])
    assert cov.missed_in_record(rec["coverage"], listed) == []
    # the job helpers only whole migrations call run (DiscardAsyncJob when a connection
    # closes on a failed migration's incoming guest); what stays whole-function
    # unreachable is what no compiled function calls
    ran = {n for n, r in rec["coverage"].items() if r["executed"]}
    assert {"qemuMigrationJobStartPhase", "qemuMigrationJobIsActive",
            "qemuDomainObjEndJob", "qemuDomainObjDiscardAsyncJob"} <= ran
    assert sorted(n for n, r in rec["coverage"].items() if r["executed"] == 0) == (
        ["virDomainSnapshotObjListCount", "virDomainSnapshotObjListNum"] if version == "pre"
        else [])


@pytest.mark.parametrize("build", ["unit_pre", "unit_post", "unit_fixed", "client"])
def test_recorded_protocol_coverage_runs_every_reachable_line(build):
    """The functions the units and the client add: every line the protocol rows (the
    matrix, its extra rows, their faults) left unrun is listed, and every listed line
    is one they left unrun."""
    rec = _protocol_record()
    assert rec.get("coverage"), "protocol.json has no coverage: record with --record"
    got = rec["coverage"][build]
    assert set(got) == set(rec["builds"][build]["functions"])
    version = build[len("unit_"):] if build.startswith("unit_") else build
    assert cov.missed_in_record(got, cov.load_unreachable(version).only(got)) == []
    assert sum(r["executed"] for r in got.values()) > 0


def test_every_listed_function_is_measured_by_a_record():
    measured = set(record.load("post")["coverage"]) | set(record.load("pre")["coverage"])
    for build in _protocol_record()["coverage"].values():
        measured |= set(build)
    for v in ("pre", "post", "client"):
        assert set(cov.load_unreachable(v)) <= measured


def test_missed_in_record_names_each_problem():
    listed = cov.Unreachable({"f": {3: "why"}, "g": {cov.ALL: "never"}, "h": {1: "x"}})
    rec = {"f": {"executed": 2, "total": 5, "unexecuted": [4, 5]},
           "g": {"executed": 0, "total": 2, "unexecuted": [1, 2]}}
    assert cov.missed_in_record(rec, listed) == [
        "f L4 never ran and is not in unreachable.txt",
        "f L5 never ran and is not in unreachable.txt",
        "f L3 is listed unreachable but is not among its unexecuted lines",
        "f: 2 executed and 2 unexecuted of 5 lines",
        "h is listed unreachable but was not measured"]
    assert cov.missed_in_record({"g": rec["g"]}, cov.Unreachable({"g": {cov.ALL: "n"}})) == []


def test_the_unreachable_list_parses_per_version(tmp_path):
    pre, post, fixed = (cov.load_unreachable(v) for v in ("pre", "post", "fixed"))
    assert post == fixed
    assert pre.reason("qemuMigrationJobSetPhase", 2865).startswith("going backwards")
    assert post.reason("qemuMigrationJobSetPhase", 2883).startswith("going backwards")
    assert post.reason("qemuMigrationJobSetPhase", 2865) is None
    assert post.reason("qemuDomainObjEndJob", 843) is None
    assert post.reason("qemuDomainObjDiscardAsyncJob", 686) is None     # a nested-job wakeup
    assert post.reason("qemuDomainObjSetAsyncJobMask", 675).startswith("no async job")
    # a row of several lines: the same lines, numbered at each version
    assert pre.reason("doPeer2PeerMigrate2", 1810) == post.reason("doPeer2PeerMigrate2", 1831)
    assert post.reason("doPeer2PeerMigrate2", 1810) is None
    client = cov.load_unreachable("client")
    assert client.reason("virDomainMigrateVersion1", 4000).startswith("virDomainMigrate picks")
    assert client.only(["virDomainMigrate"]).keys() == {"virDomainMigrate"}
    assert pre.reason("virDomainSnapshotObjListNum", 1) and not post.get(
        "virDomainSnapshotObjListNum")
    bad = tmp_path / "u.txt"
    bad.write_text("# a comment\n\nf 1 2 fine\nf one 2 not a number\n")
    with pytest.raises(ValueError, match=r"u.txt:4: expected FUNCTION PRE POST REASON"):
        cov.load_unreachable("post", bad)
    bad.write_text("f 1 2\n")
    with pytest.raises(ValueError, match=r"u.txt:1:"):
        cov.load_unreachable("pre", bad)
    bad.write_text("f 1,x 2 a list with no number\n")
    with pytest.raises(ValueError, match=r"u.txt:1:"):
        cov.load_unreachable("pre", bad)
    bad.write_text("f 1,3 - gone at post\n")
    assert cov.load_unreachable("pre", bad) == {"f": {1: "gone at post", 3: "gone at post"}}
    assert cov.load_unreachable("post", bad) == {}


def test_the_list_holds_no_upstream_text():
    """Reasons are ours: no C statement (a ';' or a call with a '(' after a name and
    an argument list ending the line) is copied into them."""
    for line in cov.UNREACHABLE.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        reason = line.split(None, 3)[3]
        assert ";" not in reason and not re.search(r"\w\([^)]*\);", reason), line


# --- the report, from made-up counts ----------------------------------------------------------

F = CFunction("f", "int\nf(int a)\n{\n    if (a)\n        return  1;\n    return 2;\n}",
              "int\nf(int a)", ["int a"], False, "src/x.c", 10)
G = CFunction("g", "void\ng(void)\n{\n}", "void\ng(void)", ["void"], True, "src/x.c", 20)


def test_lines_of_keeps_the_extracted_functions_only():
    data = {"files": [
        {"file": "src/x.c", "lines": [
            {"line_number": 11, "count": 2, "function_name": "f"},
            {"line_number": 14, "count": 0, "function_name": "f"},
            {"line_number": 99, "count": 1, "function_name": "other"}]},
        {"file": "gen.c", "lines": [{"line_number": 1, "count": 1, "function_name": "g"}]}]}
    assert cov.lines_of(data, [F, G]) == {"f": {11: 2, 14: 0}, "g": {}}


def test_report_render_and_record():
    lines = {"f": {11: 3, 13: 3, 14: 0, 15: 0}, "g": {21: 0, 23: 0}}
    listed = cov.Unreachable({"f": {15: "why not"}, "g": {cov.ALL: "nobody calls it"}})
    rep = cov.report([F, G], lines, listed)
    assert (rep["executed"], rep["total"], rep["unreachable"], rep["missed"]) == (2, 6, 3, 1)
    assert rep["functions"]["f"]["unexecuted"] == [
        {"line": 14, "text": "return 1;", "unreachable": None},
        {"line": 15, "text": "return 2;", "unreachable": "why not"}]
    assert rep["functions"]["g"]["unexecuted"][0]["text"] == "g(void)"
    assert cov.render(rep) == [
        "  coverage: 2 of 6 lines executed; 4 unexecuted, 3 of them listed unreachable, "
        "1 reachable and never run",
        "    f   2/4",
        "      L14    return 1;  [NEVER RUN]",
        "      L15    return 2;  [unreachable: why not]",
        "    g   0/2  unreachable: nobody calls it",
        "      L21    g(void)",
        "      L23    }"]
    assert cov.recorded(rep) == {"f": {"executed": 2, "total": 4, "unexecuted": [14, 15]},
                                 "g": {"executed": 0, "total": 2, "unexecuted": [21, 23]}}
    tree = cov.report([F], {"f": {11: 1, 14: 0}}, None)
    assert (tree["missed"], tree["list_applied"]) == (0, False)
    assert cov.render(tree)[0].endswith("the unreachable list not applied (a working tree's "
                                        "own line numbers)")
    assert cov.render(tree)[-1] == "      L14    return 1;"


def test_merged_adds_up_the_builds_counts():
    assert cov.merged({"f": {1: 0, 2: 3}}, {"f": {1: 2, 4: 0}, "g": {7: 1}}) == {
        "f": {1: 2, 2: 3, 4: 0}, "g": {7: 1}}
    assert cov.merged() == {}


def test_line_text_is_shortened_and_out_of_range_empty():
    long = CFunction("h", "x\n" + "y" * 100, "x", [], False, "p", 1)
    assert cov.line_text(long, 2) == "y" * 69 + "..."
    assert cov.line_text(long, 5) == "" and cov.line_text(long, 0) == ""


# --- the coverage build, on our own C -------------------------------------------------------

@pytest.fixture
def toolchain(monkeypatch, tmp_path_factory):
    try:
        B.find_compiler()
        cov._gcov()
    except B.BuildError as e:      # pragma: no cover - depends on the machine
        if IN_CI:
            pytest.fail("C build unavailable in CI: %s" % e, pytrace=False)
        pytest.skip(str(e))
    if not os.environ.get("QEMU_MIGRATION_CACHE"):
        monkeypatch.setenv("QEMU_MIGRATION_CACHE",
                           str(tmp_path_factory.getbasetemp() / "qmc-cache"))


def _selftest(coverage):
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import test_upstream_c as T
    finally:
        sys.path.remove(str(ROOT / "tests"))
    text = (ROOT / "tests/c_selftest/selftest.c").read_text()
    return B.build(B.text_spec("selftest", text, "tests/c_selftest/selftest.c",
                               untraced=["selftestCount"], coverage=coverage)), T


def test_a_coverage_build_counts_what_ran(toolchain):
    from qemu_migration.upstream.impl import CImpl
    built, T = _selftest(True)
    plain, _ = _selftest(False)
    assert "_gcov_" in built.module_name and built.path != plain.path
    impl = CImpl("selftest", built=built, pymodule=T._import_twin())
    w = World(Driver())
    for runs in (2, 1):             # each measure starts from zero
        with cov.measure(built) as m, w.activate():
            for _ in range(runs):
                assert impl.selftestWhich() == "c"
        which = m.lines["selftestWhich"]
        assert which and set(which.values()) == {runs}
        assert set(m.lines["selftestJob"].values()) == {0}
    with pytest.raises(B.BuildError, match="was not built for coverage"):
        cov.measure(plain)


def test_a_failing_block_still_writes_its_counts_away(toolchain, tmp_path):
    built, _ = _selftest(True)
    with pytest.raises(KeyError):
        with cov.measure(built) as m:
            raise KeyError("x")
    assert m.lines == {} and "GCOV_PREFIX" not in os.environ


def test_gcov_missing_or_failing_is_one_line(toolchain, monkeypatch, tmp_path):
    built, _ = _selftest(True)
    monkeypatch.setattr(cov.shutil, "which", lambda name: None)
    with pytest.raises(B.BuildError, match=r"gcov \(gcc's\) is needed for --coverage"):
        cov.measure(built)
    monkeypatch.undo()
    m = cov.measure(built)
    m.gcov = "false"
    with pytest.raises(B.BuildError, match="gcov failed: no output"):
        with m:
            pass
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(B.BuildError, match="libgcov wrote 0 .gcda files"):
        cov.measure(built)._read(str(empty))
    (empty / "x.gcda").write_text("")
    with pytest.raises(B.BuildError, match="no .gcno beside"):
        cov.measure(built)._read(str(empty))


@pytest.mark.no_cover   # a compare: fault points from both sides run every state
def test_compare_coverage_on_our_tree_is_documented(toolchain, monkeypatch):
    """compare --coverage --worktree on tests/c_candidate (a sample of the cases): per
    function counts and lines, the list not applied to a tree's own numbers, every
    field in docs/json.md, no machine path."""
    items = record.case_ids_and_runners()
    monkeypatch.setattr(record, "case_ids_and_runners", lambda: items[:30])
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    rc = cli.main(["compare", "--libvirt-src", "tests/c_candidate", "--worktree", "--version",
                   "post", "--coverage", "--json"], out=out)
    data = json.loads(out.getvalue())
    assert rc == 0 and data["disagree"] == 0 and data["missed"] == 0
    c = data["versions"]["post"]["coverage"]
    assert c["list_applied"] is False and 0 < c["executed"] < c["total"]
    # compare runs every fault-free state on the C (fault points from both sides), so
    # the entry points run whole; a job helper that no entry point calls never runs
    f = c["functions"]["qemuMigrationJobIsActive"]
    assert f["total"] == f["executed"] + len(f["unexecuted"]) and f["unexecuted"][0]["text"]
    assert f["executed"] == 0 and c["functions"]["qemuMigrationPerformJob"]["unexecuted"] == []
    doc = (ROOT / "docs/json.md").read_text()
    keys = {"missed", "coverage", "executed", "total", "unreachable", "list_applied",
            "unexecuted", "line", "text"}
    assert {k for k in keys if not re.search(r"`[.*\w\[\]]*\b%s\b" % k, doc)} == set()
    assert str(ROOT) not in out.getvalue()
    text = io.StringIO()
    assert cli.main(["compare", "--libvirt-src", "tests/c_candidate", "--worktree",
                     "--version", "post", "--coverage"], out=text) == 0
    lines = text.getvalue().splitlines()
    assert lines[2].startswith("  coverage: %d of %d lines executed" % (c["executed"],
                                                                        c["total"]))
    assert lines[-1] == "30 cases, 0 disagree; 0 reachable lines never ran"


def test_compare_exit_status_counts_missed_lines(monkeypatch):
    from qemu_migration.upstream import cli as ucli
    monkeypatch.setattr(ucli, "compare", lambda *a, **k: {"versions": {}, "cases": 0,
                                                     "disagree": 0, "missed": 2})
    out = io.StringIO()
    assert cli.main(["compare", "--libvirt-src", "x", "--coverage"], out=out) == 1
    assert out.getvalue() == "0 cases, 0 disagree; 2 reachable lines never ran\n"


# --- the remove-domain wakeup: what the new cases need from the stub world ---------------------

def _stub_world(wakeups, **vm_args):
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from conftest import make_vm, make_world
    finally:
        sys.path.remove(str(ROOT / "tests"))
    vm = make_vm(**vm_args)
    w = make_world(vm)
    w.wakeups = list(wakeups)
    return w, vm


def test_remove_domain_happens_where_the_callee_lets_go_of_the_domain():
    from qemu_migration.world import stubs
    w, vm = _stub_world(["remove-domain", "end-job"], persistent=False, refs=2)
    with w.activate():
        assert stubs.doNativeMigrate(w.driver, vm, "tcp:x:1", None, 0, Ptr(None), Ptr(0), 0,
                                     0) == 0
    assert w.driver.domains == {} and vm.refs == 1 and not vm.freed
    assert w.wakeups == ["end-job"] and w.others_refs == 0
    with w.activate():             # the job wakeup stays for a job wait
        stubs.doPeer2PeerMigrate(w.driver, None, vm, None, "u", None, 0, None, 0, Ptr(False))
        stubs.qemuProcessStart(None, w.driver, vm, "stdio", True, False, -1, None, None, 0)
    assert w.wakeups == ["end-job"]


def test_remove_domain_during_a_job_wait_wakes_the_waiter():
    from qemu_migration.world import stubs
    w, vm = _stub_world(["remove-domain"], refs=2)
    with w.activate():
        assert stubs.virCondWaitUntil("cond", vm, 5) == 0
    assert w.driver.domains == {} and vm.refs == 1 and w.wakeups == []


def test_a_scenario_takes_the_remove_domain_wakeup(tmp_path):
    from qemu_migration.loader import load_scenario
    dom = tmp_path / "d.xml"
    dom.write_text("<domain type='kvm'><name>web1</name><uuid>6f1c2d3e-4a5b-4c6d-8e7f-"
                   "0123456789ab</uuid><memory>524288</memory><vcpu>1</vcpu></domain>")
    sc = tmp_path / "s.xml"
    sc.write_text("<scenario name='s'><call function='qemuMigrationPrepareDirect'>"
                  "<arg name='dom_xml' file='d.xml'/><arg name='uri_in'>tcp:h:49152</arg>"
                  "<wakeup what='remove-domain'/></call></scenario>")
    from qemu_migration.engine import run_scenario
    out = run_scenario(load_scenario(str(sc)), "post")
    assert out[0]["error"]["message"] == "operation failed: domain disappeared"


def test_the_new_states_stay_reachable_ones():
    """remove-domain only on a transient domain (a persistent one stays listed when its
    QEMU goes away), the port counter only where a port is generated."""
    from qemu_migration.analysis import cases as C
    for f in ("qemuMigrationPrepareTunnel", "qemuMigrationPrepareDirect",
              "qemuMigrationPerformJob"):
        states = C.SPACES[f].states()
        extra = [s for s in states if any(s[k] != C.NA for k in C.EXTRA_DIMS)]
        assert extra and all(list(s)[-2:] == C.EXTRA_DIMS for s in states)
        for s in extra:
            if s["meanwhile"] != C.NA:
                assert s.get("persistent", "no") == "no" and s.get("dest", "nothing") == "nothing"
            if s["port"] != C.NA:
                assert s["uri_in"] in ("NULL", "tcp:host")
    case = C.make_case("qemuMigrationPrepareDirect", {
        "hostdevs": "none", "dname": "none", "cookiein": "none", "dest": "nothing",
        "uri_in": "tcp:host", "hostname": C.NA, "meanwhile": C.NA, "port": "last"})
    assert case.id == ("PrepareDirect/hostdevs=none,dname=none,cookiein=none,dest=nothing,"
                       "uri_in=tcp:host,port=last/fault=none")
    assert case.make_world().statics[C.PORT_STATIC].value == 63 and case.call.wakeups == []
    from qemu_migration.engine import run_call
    w = case.make_world()
    out = run_call(w, "post", case.call)
    assert out["out"]["uri_out"] == "tcp:dst.example.net:49215"
    assert w.statics[C.PORT_STATIC].value == 0          # wrapped round


def test_the_record_keeps_the_coverage_one_line_per_function(tmp_path, monkeypatch):
    from types import SimpleNamespace
    monkeypatch.setattr(record, "RECORD_DIR", tmp_path)
    built = SimpleNamespace(spec=SimpleNamespace(commit="abc", functions=[F, G]))
    out = {"error": None, "return": 0, "violations": []}
    cover = {"f": {"executed": 2, "total": 3, "unexecuted": [14]},
             "g": {"executed": 0, "total": 0, "unexecuted": []}}
    path = record.write("post", built, {"c1": out}, "cc", cover)
    text = path.read_text()
    assert ' "coverage": {\n  "f": {"executed": 2, "total": 3, "unexecuted": [14]},\n' in text
    assert record.load("post")["coverage"] == cover
    record.write("post", built, {"c1": out}, "cc")
    assert "coverage" not in record.load("post") and record.load("post")["cases"]["c1"]
