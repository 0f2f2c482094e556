"""Two-host scenarios (loader/migration.py): what loads, what is refused in one line, and
that `show`, `run` and the pytest plugin know them (on the stand-in for the protocol
ports, protocol_double; the bundled ones run on the real ports in fixtures/scenarios)."""
import json
import shutil
import sys
from pathlib import Path

import pytest

import protocol_double as D
from conftest import cli_run, untraced
from qemu_migration import pytest_plugin as PP
from qemu_migration.engine import protocol as P
from qemu_migration.loader import LoadError, describe, load_any, load_scenario
from qemu_migration.loader import migration as M
from qemu_migration.world.constants import VIR_MIGRATE_LIVE, VIR_MIGRATE_PAUSED

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"

TEMPLATE = """<scenario name="{name}">
  <description>  A post source,
     snapshots </description>
  <source version="post" {srcattrs}>
    <domain file="{up}domains/shop1.status.xml">
      <snapshot file="{up}snapshots/shop1-before-sale.xml"/>
    </domain>
    {more}
  </source>
  <destination version="{dst}" {dstattrs}/>
  <migrate domain="shop1" flow="{flow}" {migattrs}>{faults}</migrate>
</scenario>
"""


def text(name="s", up="", dst="post", flow="p2p-v3", faults="", migattrs="", srcattrs="",
         dstattrs="", more=""):
    return TEMPLATE.format(name=name, up=up, dst=dst, flow=flow, faults=faults,
                           migattrs=migattrs, srcattrs=srcattrs, dstattrs=dstattrs, more=more)


@pytest.fixture
def tree(tmp_path):
    shutil.copytree(FIX / "domains", tmp_path / "domains")
    shutil.copytree(FIX / "snapshots", tmp_path / "snapshots")

    def write(name="s", **kw):
        p = tmp_path / (name + ".xml")
        p.write_text(text(name, **kw))
        return p
    return write


@pytest.fixture
def double(monkeypatch):
    monkeypatch.setattr(P, "entry_points", D.entries)
    monkeypatch.setattr(P, "client_migrate", lambda: D.migrate)


def test_a_two_host_scenario_loads(tree):
    sc = load_scenario(tree(faults='<fault host="source" callee="virGetHostname" nth="2"/>'
                                   '<fault host="client" callee="remote:domainMigratePerform3'
                                   '@source"/>',
                            migattrs='flags="live paused" attempts="1"',
                            srcattrs='hostname="a.example.org" nextvmid="30" '
                                     'hostuuid="11111111-2222-4333-8444-555555555555"'))
    assert isinstance(sc, M.MigrationScenario) and sc.description == "A post source, snapshots"
    assert (sc.source.hostname, sc.destination.hostname) == ("a.example.org", "dest.example.org")
    assert sc.flags == VIR_MIGRATE_LIVE | VIR_MIGRATE_PAUSED and sc.attempts == 1
    assert sc.faults == [("source", "virGetHostname", 2),
                         ("client", "remote:domainMigratePerform3@source", 1)]
    assert sc.source.build_world().driver.nextvmid == 30
    assert sc.source.hostuuid == "11111111-2222-4333-8444-555555555555"
    assert sc.destination.hostuuid == M.DEFAULT_HOSTUUIDS["destination"]
    assert load_any(tree("t")).flow is M.FLOWS["p2p-v3"]
    shown = describe(load_any(tree("u", flow="v2")))
    assert "flow v2 (protocol v2: the destination does not advertise" in shown
    assert "2 attempts" in shown and "faults" not in shown
    assert "1 attempt," not in shown
    quiet = tree("q", migattrs='attempts="1"')
    quiet.write_text(quiet.read_text().replace("<description>", "<!-- none -->").replace(
        "</description>", "<!-- -->").replace("A post source,", "").replace("snapshots <", "<"))
    assert describe(load_scenario(quiet)).splitlines()[1].startswith("source ")
    shown = describe(sc)
    assert "1 attempt" in shown and "faults (first attempt): source:virGetHostname#2" in shown
    assert (sc.dname, sc.uri, sc.source.lock_manager) == (None, None, "nop")
    assert "dname" not in shown and "uri" not in shown and "lock manager" not in shown


def test_dname_uri_and_lock_manager_reach_the_migration(tree):
    p = tree("n", flow="v3", migattrs='dname="shop1-moved" uri="tcp:d:49160"',
             srcattrs='lockmanager="sanlock"')
    # a guest without snapshots, so that the source's Begin lets it go
    p.write_text(p.read_text().replace('<snapshot file="snapshots/shop1-before-sale.xml"/>', ""))
    sc = load_scenario(p)
    assert (sc.dname, sc.uri) == ("shop1-moved", "tcp:d:49160")
    assert (sc.source.lock_manager, sc.destination.lock_manager) == ("sanlock", "nop")
    assert sc.source.build_world().driver.lockManager == "sanlock"
    m = P.Migration.from_scenario(sc)
    assert (m.dname, m.uri) == ("shop1-moved", "tcp:d:49160")
    shown = describe(sc)
    assert "version post, lock manager sanlock" in shown and "  dname shop1-moved" in shown
    assert "  uri tcp:d:49160" in shown
    # the destination's Prepare3 gets the new name: the cookie's old one is refused there
    r = P.run_migration(m)
    assert r["refused_at"] == "Prepare@destination"
    assert "unexpected name shop1 vs shop1-moved" in r["error"]["message"]
    dst = r["hosts"]["destination"]["trace"]
    assert dst[:2] == ["qemudSupportsFeature", "qemuDomainMigratePrepare3"]


@pytest.mark.parametrize("kw,problem", [
    ({"dst": "mid"}, "unknown version 'mid'"),
    ({"dstattrs": 'hostname=""'}, "empty hostname"),
    ({"srcattrs": 'nextvmid="0"'}, "nextvmid"),
    ({"dstattrs": 'hostuuid="not-a-uuid"'}, "hostuuid"),
    ({"more": "<call/>"}, "unknown element <call> in <source>"),
    ({"more": '<domain file="domains/shop1-pci.status.xml"/>'}, "already on the source"),
    ({"flow": "v4"}, "unknown flow 'v4'"),
    ({"migattrs": 'flags="live warp"'}, "unknown migration flag 'warp'"),
    ({"migattrs": 'attempts="3"'}, "attempts is 1 or 2"),
    ({"migattrs": 'attempts="0"'}, "attempts"),
    ({"migattrs": 'colour="red"'}, "unknown attribute 'colour'"),
    ({"migattrs": 'dname=""'}, "empty dname"),
    ({"migattrs": 'uri=""'}, "empty uri"),
    ({"srcattrs": 'lockmanager="lockd"'}, "unknown lock manager 'lockd'"),
    ({"faults": "<arg/>"}, "unknown element <arg> in <migrate>"),
    ({"faults": '<fault host="moon" callee="strdup"/>'},
     "unknown host 'moon' (expected client, source, destination)"),
    ({"faults": '<fault host="source" callee="qemuMigrationBegin"/>'}, "neither a faultable"),
    ({"faults": '<fault host="source" callee="remote:domainNope@source"/>'}, "neither"),
    ({"faults": '<fault host="source" callee="remote:domainMigratePrepare3@moon"/>'},
     "neither"),
    ({"faults": '<fault host="source" callee="strdup" nth="0"/>'},
     "fault/@nth: nth must be at least 1, not 0"),
    ({"faults": '<fault host="source" callee="strdup"/><fault host="source" '
                'callee="strdup" nth="1"/>'}, "fault source:strdup#1 given twice"),
])
def test_bad_two_host_scenarios_are_one_line(tree, kw, problem):
    with pytest.raises(LoadError) as e:
        load_scenario(tree(**kw))
    assert problem in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("body,problem", [
    ('<source version="post"/><destination version="post"/><migrate domain="shop1" '
     'flow="v3"/><host/>', "unknown element <host> in a two-host"),
    ('<source version="post"/><source version="post"/>', "has one <source>"),
    ('<source version="post"/><destination version="post"/>', "needs a <migrate>"),
    ('<source version="post"/><destination version="post"/><migrate domain="nope" '
     'flow="v3"/>', "no domain named 'nope' on the source"),
    ('<source/><destination version="post"/><migrate domain="a" flow="v3"/>',
     "missing required attribute 'version'"),
    ('<description a="1"/><source version="post"/><destination version="post"/>'
     '<migrate domain="a" flow="v3"/>', "unknown attribute 'a'"),
])
def test_bad_shapes(tmp_path, body, problem):
    p = tmp_path / "x.xml"
    p.write_text('<scenario name="x">%s</scenario>' % body)
    with pytest.raises(LoadError) as e:
        load_scenario(p)
    assert problem in str(e.value)


def test_faultable_names_skip_modules_that_are_not_there(monkeypatch):
    monkeypatch.setitem(sys.modules, "qemu_migration.world.not_there", None)
    assert "strdup" in M.faultable_stub_names()


def test_show_and_run(tree, double):
    p = tree(name="post-p2p")
    rc, out, err = cli_run("show", str(p))
    assert rc == 0 and out.startswith("two-host scenario post-p2p")
    rc, out, err = cli_run("run", str(p))
    assert rc == 0, err
    assert out.splitlines()[1].startswith("    post->post p2p-v3  refused at Perform@source")
    assert "again: refused at Perform@source: Timed out" in out
    assert "VIOLATES async-job-leaked@source, refs-unbalanced@source" in out
    assert out.splitlines()[-1] == "1 migrations; invariant violations: 2"
    rc, out, err = cli_run("run", str(p), "--json")
    data = json.loads(out)
    assert data["scenarios"][0]["migration"]["refused_at"] == "Perform@source"
    assert data["scenarios"][0]["file"] == "post-p2p.xml"
    # beside a one-host scenario: both run, each as it does
    one = ROOT / "fixtures/scenarios/begin-plain.xml"
    rc, out, err = cli_run("run", str(p), str(one))
    assert rc == 0 and out.splitlines()[-1] == "1 migrations; invariant violations: 2"
    assert "1 scenarios, 1 calls" in out
    rc, out, err = cli_run("run", str(p), str(one), "--json")
    assert [s["name"] for s in json.loads(out)["scenarios"]] == ["begin-plain", "post-p2p"]
    # a fault that never fires is said so; a one-line refusal from explain
    q = tree(name="late", flow="v3", faults='<fault host="source" callee="strdup" nth="99"/>')
    rc, out, err = cli_run("run", str(q))
    assert "WARNING fault source:strdup#99 never fired" in out
    rc, out, err = cli_run("run", str(tree(name="clean", flow="v3", migattrs='attempts="1"')))
    assert "again" not in out and "VIOLATES" not in out
    rc, out, err = cli_run("explain", str(p))
    assert rc == 2 and "a two-host scenario" in err


# the plugin run in a pytester project, without the plugins a nested run does not need
QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cov")


def plugin_project(pytester, **kw):
    """A project the plugin runs (pytester's): the bundled domains and snapshots, and the
    scenario folder ``scen`` holding one two-host scenario, ``mig.xml`` (``text(**kw)``),
    whose path is returned."""
    shutil.copytree(FIX / "domains", pytester.path / "domains")
    shutil.copytree(FIX / "snapshots", pytester.path / "snapshots")
    pytester.makeini("[pytest]\nqemu_migration_scenarios = scen\n")
    (pytester.path / "scen").mkdir()
    p = pytester.path / "scen" / "mig.xml"
    p.write_text(text("mig", up="../", **kw))
    return p


@untraced
def test_the_plugin_checks_two_host_goldens(pytester, double, monkeypatch):
    p = plugin_project(pytester)
    pytester.runpytest(*QUIET).assert_outcomes(failed=1)       # no golden yet
    monkeypatch.setenv(PP.REGENERATE_ENV, "1")
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)
    monkeypatch.delenv(PP.REGENERATE_ENV)
    golden = json.loads((pytester.path / "scen" / "mig.expected.json").read_text())
    assert golden["migration"]["refused_at"] == "Perform@source"
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)
    golden["migration"]["refused_at"] = "Begin@source"
    (pytester.path / "scen" / "mig.expected.json").write_text(PP.dumps(golden))
    r = pytester.runpytest(*QUIET)
    r.assert_outcomes(failed=1)
    assert "migration: refused_at differs" in r.stdout.str()
    # a fault that never fires fails the item
    p.write_text(text("mig", up="../", faults='<fault host="source" callee="strdup" '
                                              'nth="99"/>'))
    r = pytester.runpytest(*QUIET)
    r.assert_outcomes(failed=1)
    assert "fault source:strdup#99 never fired" in r.stdout.str()
    assert PP.golden_differences({"scenario": "x"}, {"scenario": "x", "migration": {}}) == [
        "migration: the value differs"]
