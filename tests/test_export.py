"""export: a case written as a scenario runs to the case's own outcome on every version."""
from pathlib import Path

import pytest

from qemu_migration.analysis import caseid
from qemu_migration.analysis import cases as C
from qemu_migration.analysis import diff as D
from qemu_migration.analysis import export as E
from qemu_migration.engine import run_scenario
from qemu_migration.loader import LoadError, load_scenario
from qemu_migration.port import VERSION_NAMES
from qemu_migration.world.constants import DEFAULT_JOB_MASK
from conftest import cli_run as run, coverage_paused




def _examples():
    """The example case of every class of the two diffs, computed untraced (the diffs'
    lines are test_analysis's and test_diff_formats's to cover, as there)."""
    ids = []
    with coverage_paused():
        for a, b in (("pre", "post"), ("post", "fixed")):
            d = D.diff(a, b)
            ids += [c["example"] for c in d["classes"]]
    return sorted(set(ids))


def test_every_diff_class_example_round_trips(tmp_path):
    ids = _examples()
    assert len(ids) > 60
    for n, cid in enumerate(ids):
        case = caseid.parse(cid)
        path = E.export(case, tmp_path / str(n), E.default_stem(case))
        sc = load_scenario(path)
        for v in VERSION_NAMES:
            assert run_scenario(sc, v) == [C.run_call(case.make_world(), v, case.call)], (cid, v)


@pytest.mark.parametrize("cid", [
    # shut off (reason kept), an xmlin, a held modify job, a def argument, a prepare with
    # a destination domain, the host name, the next id, a URI, a cookie, a stream
    "PerformJob/autodestroy=no,snapshots=3,hostdevs=usb,state=shutoff,persistent=yes,job=none,"
    "flags=0,v3proto=no/fault=none",
    "Begin/autodestroy=no,snapshots=3,hostdevs=usb,state=paused,persistent=yes,"
    "job=migration-out,xmlin=memory-differs/fault=none",
    "PerformJob/autodestroy=yes,snapshots=0,hostdevs=pci,state=paused,persistent=no,job=modify,"
    "flags=peer2peer|tunnelled,v3proto=yes,peer_v3=no/fault=none",
    "IsAllowed/arg=def,hostdevs=pci/fault=none",
    "PrepareDirect/hostdevs=usb,dname=renamed,cookiein=other-host-lockstate,dest=same-uuid-inactive,"
    "uri_in=NULL,hostname=localhost/fault=none",
    "PrepareTunnel/hostdevs=none,dname=none,cookiein=none,dest=nothing/fault=none",
])
def test_export_cli_then_run(cid, tmp_path):
    rc, out, err = run("export", cid, str(tmp_path / "x"))
    assert rc == 0 and err == ""
    path = tmp_path / "x" / (E.default_stem(caseid.parse(cid)) + ".xml")
    assert out == "%s\n" % path     # outside the working directory: as given
    case = caseid.parse(cid)
    sc = load_scenario(path)
    for v in VERSION_NAMES:
        assert run_scenario(sc, v) == [C.run_call(case.make_world(), v, case.call)]


def test_export_errors(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    cid = "IsAllowed/arg=def,hostdevs=none/fault=none"
    rc, out, err = run("export", cid, str(f))
    assert rc == 2 and err == "qemu-migration: %s: exists and is not a folder\n" % f
    rc, out, err = run("export", "IsAllowed/arg=x/fault=none", str(tmp_path))
    assert rc == 2 and "'x' is not a value of arg" in err and err.count("\n") == 1


def test_world_the_files_cannot_carry_is_refused():
    case = caseid.parse("IsAllowed/autodestroy=no,snapshots=0,hostdevs=none,state=running,"
                        "persistent=yes,job=modify,arg=vm/fault=none".replace(
                            "autodestroy", "arg=vm,autodestroy").replace(",arg=vm/", "/"))
    w = case.make_world()
    vm = next(iter(w.driver.domains.values()))
    vm.privateData.job.mask = 1
    with pytest.raises(E.ExportError, match="job mask 0x1"):
        E.check_world(w)
    vm.privateData.job.mask = DEFAULT_JOB_MASK
    vm.refs = 5
    with pytest.raises(E.ExportError, match="has 5 references"):
        E.check_world(w)
    w.statics["x"] = 1
    with pytest.raises(E.ExportError, match="statics"):
        E.check_world(w)


def test_scenario_nextvmid_and_job_start(tmp_path):
    case = caseid.parse("PerformJob/autodestroy=no,snapshots=0,hostdevs=none,state=running,"
                        "persistent=yes,job=migration-out,flags=0,v3proto=no/fault=none")
    path = E.export(case, tmp_path, "s")
    sc = load_scenario(path)
    assert sc.nextvmid == 2 and sc.build_world().driver.nextvmid == 2
    vm = sc.build_world().driver.find_by_name("guest")
    assert vm.privateData.job.start == C.CLOCK_MS - 1000
    text = path.read_text()
    path.write_text(text.replace("nextvmid='2'", "nextvmid='0'"))
    with pytest.raises(LoadError, match="nextvmid"):
        load_scenario(path)
    (tmp_path / "s.guest.status.xml").write_text(
        (tmp_path / "s.guest.status.xml").read_text().replace(
            "<job type='none' async='migration out' phase='none'/>", ""))
    path.write_text(text)
    with pytest.raises(LoadError, match="job-start is the start of a held job"):
        load_scenario(path)


class _FirstCall:
    """A bundled scenario's world and first call, in the shape export takes a case in."""

    def __init__(self, path):
        self.sc = load_scenario(path)
        self.call = self.sc.calls[0]
        self.id = "%s, call 1" % path.name

    def make_world(self):
        return self.sc.build_world()


@pytest.mark.parametrize("name,written", [
    # a domain whose private data holds a lock state (a migration began with a lock)
    ("begin-v3-job-held.xml", "<lockstate>"),
    # a call that wakes a waiter while it waits for a job
    ("perform-modify-job-held-woken.xml", "<wakeup what="),
])
def test_export_keeps_lock_states_and_wakeups(name, written, tmp_path):
    first = _FirstCall(Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / name)
    path = E.export(first, tmp_path, "x")
    assert written in "".join(p.read_text() for p in sorted(tmp_path.iterdir()))
    sc = load_scenario(path)
    assert len(sc.calls) == 1 and sc.description == "exported case %s, call 1" % name
    for v in VERSION_NAMES:
        assert run_scenario(sc, v) == [C.run_call(first.make_world(), v, first.call)], v
