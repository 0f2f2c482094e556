"""The pytest plugin as a regression suite elsewhere meets it, run with pytester.

Each test lays out a small tree of scenario, domain and snapshot files in
pytester's folder and runs pytest there; the plugin comes in through its
``pytest11`` entry point, as in any project that installs qemu-migration.
"""
import json
import shutil
from pathlib import Path

import pytest

from conftest import untraced

from qemu_migration import pytest_plugin as P
from qemu_migration.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"

PERFORM = """<scenario name="{name}">
  <description>PerformJob, peer to peer, on a domain with snapshots</description>
  <host hostname="src.example.org">
    <domain file="{up}domains/web1.status.xml">
      <snapshot file="{up}snapshots/web1-before-upgrade.xml"/>
    </domain>
  </host>
  <call function="qemuMigrationPerformJob" domain="web1">
    <arg name="flags">live peer2peer</arg>
    <arg name="dconnuri">qemu+ssh://dest.example.org/system</arg>
    {faults}
  </call>
</scenario>
"""

BEGIN = """<scenario name="{name}">
  <description>Begin on a running domain</description>
  <host><domain file="{up}domains/web1.status.xml"/></host>
  <call function="qemuMigrationBegin" domain="web1">{faults}</call>
</scenario>
"""


@pytest.fixture
def tree(pytester):
    """pytester's folder with the bundled domains and snapshots, and a scenario writer."""
    shutil.copytree(FIX / "domains", pytester.path / "domains")
    shutil.copytree(FIX / "snapshots", pytester.path / "snapshots")
    pytester.makeini("[pytest]\nqemu_migration_scenarios = scen\n")

    def write(rel, template=PERFORM, faults="", text=None):
        p = pytester.path / "scen" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        up = "../" * len(Path("scen", rel).parent.parts)
        p.write_text(text if text is not None else
                     template.format(name=p.stem, up=up, faults=faults))
        return p
    return write


# the inner runs need none of the other plugins installed beside this one
QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cov")


def run(pytester, *args):
    return pytester.runpytest(*QUIET, *args)


def regenerate(pytester, monkeypatch, *args):
    monkeypatch.setenv(P.REGENERATE_ENV, "1")
    r = run(pytester, *args)
    monkeypatch.delenv(P.REGENERATE_ENV)
    return r


def test_collects_scenarios_recursively_and_nothing_else(pytester, tree, monkeypatch):
    tree("top.xml")
    tree("deeper/still/nested.xml", BEGIN)
    # a domain and a snapshot beside the scenarios are not items
    shutil.copy(FIX / "domains" / "web1.xml", pytester.path / "scen" / "deeper" / "web1.xml")
    shutil.copy(FIX / "snapshots" / "web1-nightly.xml", pytester.path / "scen" / "snap.xml")
    # nor is a scenario outside the folders named
    (pytester.path / "elsewhere").mkdir()
    tree("x.xml").rename(pytester.path / "elsewhere" / "x.xml")
    r = regenerate(pytester, monkeypatch)
    r.assert_outcomes(passed=2)
    assert (pytester.path / "scen/deeper/still/nested.expected.json").exists()
    r = run(pytester, "--collect-only", "-q")
    assert sorted(l for l in r.outlines if "::" in l) == [
        "scen/deeper/still/nested.xml::nested", "scen/top.xml::top"]
    run(pytester).assert_outcomes(passed=2)


def test_the_command_line_option_names_a_folder_too(pytester, tree, monkeypatch):
    tree("a.xml")
    pytester.makeini("[pytest]\n")
    r = regenerate(pytester, monkeypatch, "--qemu-migration-scenarios", "scen")
    r.assert_outcomes(passed=1)
    # without it, nothing is collected
    run(pytester).assert_outcomes()


@untraced
def test_named_folders_are_visited_even_outside_the_run_s_paths(pytester, tree, monkeypatch):
    tree("a.xml")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_one.py").write_text("def test_one():\n    pass\n")
    # testpaths does not reach the ini folder: it is visited all the same
    pytester.makeini("[pytest]\ntestpaths = tests\nqemu_migration_scenarios = scen\n")
    regenerate(pytester, monkeypatch).assert_outcomes(passed=2)
    # paths given on the command line: the ini folder is left out, as asked ...
    run(pytester, "tests").assert_outcomes(passed=1)
    # ... but a folder named on the command line is visited with them
    pytester.makeini("[pytest]\n")
    run(pytester, "tests", "--qemu-migration-scenarios", "scen").assert_outcomes(passed=2)
    # a folder already under the paths given is not collected twice
    run(pytester, ".", "--qemu-migration-scenarios", "scen").assert_outcomes(passed=2)


@pytest.mark.parametrize("how", ["ini", "option", "file"])
def test_a_missing_folder_is_a_usage_error(pytester, how):
    if how == "ini":
        pytester.makeini("[pytest]\nqemu_migration_scenarios = nowhere\n")
        args, origin = (), "from qemu_migration_scenarios in tox.ini) does not exist"
    elif how == "option":
        args, origin = ("--qemu-migration-scenarios", "nowhere"), \
            "from --qemu-migration-scenarios) does not exist"
    else:
        pytester.path.joinpath("nowhere").write_text("")
        args, origin = ("--qemu-migration-scenarios", "nowhere"), \
            "from --qemu-migration-scenarios) is not a folder"
    r = run(pytester, *args)
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    errors = [l for l in r.errlines if l.strip()]
    assert len(errors) == 1
    assert errors[0].startswith("ERROR: qemu-migration: scenario folder ")
    assert "nowhere (" + origin in errors[0]
    assert "no tests ran" not in r.stdout.str()


def test_a_broken_scenario_is_one_line(pytester, tree):
    tree("broken.xml", text='<scenario name="broken"><call function="qemuMigrationNope"/>'
                            '</scenario>\n')
    tree("missing-domain.xml", text='<scenario name="missing-domain"><host>'
                                    '<domain file="../domains/nobody.xml"/></host></scenario>\n')
    tree("malformed.xml", text="<scenario name='x'><call")
    r = run(pytester, "-rA")
    r.assert_outcomes(failed=3)
    out = r.stdout.str()
    assert "Traceback" not in out and "_pytest" not in out and "LoadError" not in out
    reasons = {
        "broken": "scenario does not load: /scenario/call/@function: unknown function "
                  "'qemuMigrationNope' (expected one of qemuMigrationIsAllowed, ",
        "missing-domain": "scenario does not load: /scenario/host/domain/@file: referenced "
                          "file '../domains/nobody.xml' does not exist",
        "malformed": "scenario does not load: line 1, column 25: malformed XML:",
    }
    for name, reason in reasons.items():
        # the failure section shows the reason, and nothing else, in one line
        section = out.split("_ scenario %s _" % name)[1].split("\n", 2)[1]
        assert section.startswith(reason)
        # the plugin's summary repeats it whole
        assert any(l.startswith("scen/%s.xml::%s: %s" % (name, name, reason))
                   for l in r.outlines)


def test_summary_lines_are_whole_however_narrow_the_terminal(pytester, tree, monkeypatch):
    long_name = "a-scenario-with-a-rather-long-name-" + "x" * 40
    tree(long_name + ".xml", faults='<fault callee="doPeer2PeerMigrate" nth="2"/>')
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    for args in (["-q"], ["-rA"], ["-q", "-rA"]):
        r = run(pytester, *args)
        r.assert_outcomes(failed=1)
        reason = ("scenario %s: call 1 qemuMigrationPerformJob: fault doPeer2PeerMigrate#2 "
                  "never fired on pre, post, fixed (the call never reaches it)" % long_name)
        assert "scen/%s.xml::%s: %s" % (long_name, long_name, reason) in r.outlines


def test_a_fault_that_fires_on_no_version_fails(pytester, tree, monkeypatch):
    # (a stub off Begin's path altogether is refused when the scenario loads; these two
    # are on it, but this Begin, given no xmlin, reaches neither)
    tree("dead.xml", BEGIN, faults='<fault callee="qemuDomainDefFormatXML"/>'
                                   '<fault callee="qemuDomainFormatXML" nth="5"/>')
    # fires on some versions only, which is a fine test: doPeer2PeerMigrate on pre alone
    # (post and fixed refuse the snapshot first), the second call's wait on post alone
    # (the job the first call leaked)
    first, second, rest = (FIX / "scenarios" / "perform-p2p-snapshots-twice.xml").read_text() \
        .split("</call>")
    tree("partial.xml", text=first + '<fault callee="doPeer2PeerMigrate"/></call>' + second
         + '<fault callee="virCondWaitUntil"/></call>' + rest)
    r = regenerate(pytester, monkeypatch)      # goldens are written, the dead fault still fails
    r.assert_outcomes(passed=1, failed=1)
    assert (pytester.path / "scen/dead.expected.json").exists()
    r = run(pytester)
    r.assert_outcomes(passed=1, failed=1)
    out = r.stdout.str()
    first = ("scenario dead: call 1 qemuMigrationBegin: fault qemuDomainDefFormatXML#1 never fired "
             "on pre, post, fixed (the call never reaches it) (and 1 more)")
    assert first in r.outlines
    assert ("call 1 qemuMigrationBegin: fault qemuDomainFormatXML#5 never fired on pre, post, "
            "fixed (the call never reaches it)") in r.outlines
    assert "Traceback" not in out


def _golden_failure(pytester, tree, monkeypatch, edit):
    p = tree("g.xml")
    golden = p.with_name("g.expected.json")
    golden.write_text(edit(P.dumps(P.compute(load_scenario(p)))))
    r = run(pytester)
    r.assert_outcomes(failed=1)
    return r, r.stdout.str().split("_ scenario g _")[1]


def test_a_golden_mismatch_names_version_call_and_field_first(pytester, tree, monkeypatch):
    def edit(text):
        data = json.loads(text)
        data["versions"]["post"][0]["error"]["message"] = "something else"
        data["versions"]["post"][0]["trace"][2] = "elsewhere"
        return P.dumps(data)
    r, section = _golden_failure(pytester, tree, monkeypatch, edit)
    lines = section.split("\n")
    assert lines[1] == "post call 1 qemuMigrationPerformJob: error.message differs (and 1 more)"
    assert lines[2] == "post call 1 qemuMigrationPerformJob: trace[2] differs"
    assert lines[3] == "outcome differs from g.expected.json (QEMU_MIGRATION_REGENERATE=1 " \
                       "rewrites it):"
    assert any(l.startswith("-") and l.endswith('"message": "something else",')
               for l in lines)
    assert "scen/g.xml::g: post call 1 qemuMigrationPerformJob: error.message differs " \
           "(and 1 more)" in r.outlines


@pytest.mark.parametrize("edit,first", [
    (lambda t: t.replace('"scenario": "g"', '"scenario": "h"'), "scenario name differs"),
    (lambda t: P.dumps(dict(json.loads(t), versions={
        k: v for k, v in json.loads(t)["versions"].items() if k != "fixed"})),
     "fixed: not in the golden file"),
    (lambda t: P.dumps(dict(json.loads(t), versions=dict(
        json.loads(t)["versions"], later=[], pre=[]))),
     "pre: 1 calls, the golden file has 0 (and 1 more)"),
    (lambda t: t.replace('"exists": true', '"exists": true, "new_field": 1', 1),
     "fixed call 1 qemuMigrationPerformJob: after.new_field is gone"),
    (lambda t: t.replace('"exists": true,', '', 1),
     "fixed call 1 qemuMigrationPerformJob: after.exists is new"),
    (lambda t: t.replace('"errors": [\n', '"errors": [\n    "more",\n', 1),
     "fixed call 1 qemuMigrationPerformJob: errors differs"),
    (lambda t: t.replace('"before": {', '"before": 0, "x": {', 1),
     "fixed call 1 qemuMigrationPerformJob: before differs (and 1 more)"),
    (lambda t: json.dumps(json.loads(t)), "g.expected.json holds the same outcomes, "
                                           "written differently"),
    (lambda t: t[:-3], "g.expected.json is not a golden file (Expecting"),
    (lambda t: "[]", "g.expected.json is not a golden file ('list' object has no attribute"),
])
def test_golden_mismatch_kinds(pytester, tree, monkeypatch, edit, first):
    r, section = _golden_failure(pytester, tree, monkeypatch, edit)
    assert section.split("\n")[1].startswith(first)


def test_no_golden_file(pytester, tree):
    tree("g.xml")
    r = run(pytester)
    r.assert_outcomes(failed=1)
    assert ("scen/g.xml::g: no golden file g.expected.json; create it with "
            "QEMU_MIGRATION_REGENERATE=1 and review it") in r.outlines


def test_other_exceptions_keep_pytest_s_report(pytester, tree, monkeypatch):
    """A bug in the code under test (not a scenario's fault) keeps its traceback."""
    tree("g.xml")

    def boom(scenario):
        raise RuntimeError("engine bug")
    monkeypatch.setattr(P, "compute_with_unfired", boom)    # the inner run is in-process
    r = run(pytester)
    r.assert_outcomes(failed=1)
    assert "RuntimeError: engine bug" in r.stdout.str()
    assert "qemu-migration scenarios that failed" not in r.stdout.str()


def test_compute_is_the_golden_data():
    sc = load_scenario(FIX / "scenarios" / "perform-p2p-snapshots-twice.xml")
    golden = (FIX / "scenarios" / "perform-p2p-snapshots-twice.expected.json").read_text()
    assert P.dumps(P.compute(sc)) == golden


def test_relative_paths_outside_the_root(pytester, tree):
    item_path = tree("g.xml")
    items, _ = pytester.inline_genitems(*QUIET)
    assert items[0]._relative(item_path) == "scen/g.xml"
    assert items[0]._relative("/") == "/"
