"""Compiled C as a version, in CI: tests/c_candidate is a tree of our own, laid out as a
libvirt tree (README.md there), that behaves as the `post` port.  Variants are made at
test time by a small textual edit of a copy: the changed goto of the fix, a callee the
stub world lacks, a changed signature.  These run wherever a C compiler is (under CI=true
a missing compiler fails them; they never skip there)."""
import json
import os
import shutil
from pathlib import Path

import pytest

from qemu_migration.analysis import cases as C

from qemu_migration.analysis.cases import enumerate_cases
from qemu_migration.upstream import build as B
from conftest import cli_run as run

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "tests" / "c_candidate"
MIGRATION_C = "src/qemu/qemu_migration.c"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need_compiler():
    try:
        B.find_compiler()
    except B.BuildError as e:       # pragma: no cover - depends on the machine
        if IN_CI:
            pytest.fail("C build unavailable in CI: %s" % e, pytrace=False)
        pytest.skip(str(e))


@pytest.fixture(autouse=True)
def toolchain(monkeypatch):
    _need_compiler()
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def wrong_argument(request):
    """compare of the tree against a port handing virDomainSaveStatus driver.configDir
    where the C hands it driver->stateDir, on the first 60 cases: (port, cases, report).
    Computed once (about 6 s): two tests below assert on it."""
    from conftest import config_dir_for_state_dir, coverage_paused
    from qemu_migration.upstream import record as rec
    from qemu_migration.upstream import cli as UC
    from qemu_migration.upstream.cli import compare
    _need_compiler()
    items = rec.case_ids_and_runners()[:60]
    port = config_dir_for_state_dir()
    with pytest.MonkeyPatch.context() as mp, coverage_paused(request.config):
        mp.setattr(rec, "case_ids_and_runners", lambda: items)
        # in this process: the forked worker's test compares its result with this one
        mp.setattr(UC, "_in_workers", lambda *a: pytest.fail("compared in workers"))
        report = compare(str(TREE), ["post"], worktree=True, port=port)
    return port, items, report




def variant(tmp_path, edit):
    """A copy of the tree with ``edit(text) -> text`` applied to qemu_migration.c."""
    tree = tmp_path / "cand"
    shutil.copytree(TREE, tree)
    path = tree / MIGRATION_C
    text = path.read_text()
    new = edit(text)
    assert new != text, "the edit did not apply"
    path.write_text(new)
    return tree


def in_perform_job(old, new):
    """Replace the first ``old`` inside qemuMigrationPerformJob's body only."""
    def edit(text):
        start = text.index("\nqemuMigrationPerformJob(")
        end = text.index("\n}\n", start)
        body = text[start:end]
        assert old in body
        return text[:start] + body.replace(old, new, 1) + text[end:]
    return edit


def headline(out):
    lines = out.splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith("headline"))
    return [l for l in lines[i + 1:] if l.startswith("  ")][:5]


# The two runs of the whole case space through compiled C below, and the compares (of
# the tree, and of broken ports: their fault points from both sides run every state),
# are not measured for
# coverage (pytest-cov's no_cover; their asserts are unchanged): traced, the stubs' and the
# analyses' Python called back from C cost twice the time, and the smaller tests around
# them reach every line they do.  Leaving a test out of the measurement can only lower the
# figure the gate checks.
@pytest.mark.no_cover
def test_the_tree_behaves_as_post_on_every_case():
    rc, out, err = run("diff", "--from", "post", "--to", "c:tests/c_candidate")
    assert rc == 0 and err == ""
    assert out.startswith("%d cases, post -> c:tests/c_candidate\n" % len(enumerate_cases()))
    assert len(headline(out)) == 5 and all(" unchanged (" in l for l in headline(out))
    assert "what changed" not in out and "==" not in out


@pytest.mark.no_cover
def test_compare_json_against_the_tree(monkeypatch):
    """compare --worktree on the tree: the full outcome of each case (trace included) is
    post's; the JSON has its schema and no machine path (a sample of the cases)."""
    from qemu_migration.upstream import record as rec
    items = rec.case_ids_and_runners()
    sample = items[:40] + items[-40:]
    monkeypatch.setattr(rec, "case_ids_and_runners", lambda: sample)
    rc, out, err = run("compare", "--libvirt-src", str(TREE), "--worktree", "--version",
                       "post", "--json")
    data = json.loads(out)
    assert rc == 0 and err == "" and list(data)[:1] == ["schema"] and data["schema"] == 1
    assert data["cases"] == 80 and data["disagree"] == 0
    assert str(ROOT) not in out and str(Path.home()) not in out


@pytest.mark.no_cover
def test_the_changed_goto_gives_fixed_headline(tmp_path):
    tree = variant(tmp_path, in_perform_job(
        "if (!qemuMigrationIsAllowed(drv, dom, NULL))\n        goto cleanup;",
        "if (!qemuMigrationIsAllowed(drv, dom, NULL))\n        goto endjob;"))
    rc, c_out, err = run("diff", "--from", "post", "--to", "c:%s" % tree)
    assert rc == 0 and err == ""
    rc, py_out, _ = run("diff", "--from", "post", "--to", "fixed")
    assert headline(c_out) == headline(py_out)
    assert headline(c_out)[-1].startswith("  PerformJob     9 classes changed (3 without faults)")
    # named without the machine's temporary folder
    assert "c:.../cand" in c_out.splitlines()[0] and str(tmp_path) not in c_out


def test_a_new_callee_is_refused_in_one_line(tmp_path):
    tree = variant(tmp_path, in_perform_job(
        "    wasRunning = virDomainObjGetState",
        "    qmcCandidateNewCheck(dom);\n    wasRunning = virDomainObjGetState"))
    rc, out, err = run("check", "--version", "c:%s" % tree)
    assert rc == 2 and out == ""
    assert err == ("qemu-migration: c:%s: qemuMigrationPerformJob calls qmcCandidateNewCheck, "
                   "which has no stub in the stub world\n" % tree)


def test_a_changed_signature_is_refused_in_one_line(tmp_path):
    tree = variant(tmp_path, lambda t: t.replace(
        "qemuMigrationJobContinue(virDomainObjPtr dom)\n{",
        "qemuMigrationJobContinue(virDomainObjPtr dom, int extra)\n{", 1))
    rc, out, err = run("run", "--version", "c:%s" % tree)
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert ("qemuMigrationJobContinue at worktree has signature int (virDomainObjPtr, int); "
            "the build expects int (virDomainObjPtr)") in err


# Not measured for coverage either (its asserts unchanged): every PerformJob case through the
# C, the stubs called back from it traced, was the group's longest test; check.py's lines for a
# compiled version (no line trace) are reached by test_check_baseline.py.
@pytest.mark.no_cover
def test_check_of_the_tree_names_no_line_and_finds_the_leak():
    rc, out, err = run("check", "--version", "c:tests/c_candidate", "--baseline", "pre",
                       "--function", "PerformJob")
    assert rc == 1 and err == ""
    # the count is of the reachable PerformJob states (see test_reach): all of them while
    # the derivation waits for port/protocol.py, those qemuMigrationPerform sends after
    leaked = 2752 if C.reach().pending else 2576
    assert "  NEW PerformJob async-job-leaked, fault at none: %d cases" % leaked in out
    assert "      at (compiled C: no line trace)" in out


def test_compare_finds_a_wrong_argument_in_the_port(wrong_argument):
    """The port handing virDomainSaveStatus driver.configDir where the C hands it
    driver->stateDir: every case that saves a status disagrees, on the argument."""
    report = wrong_argument[2]
    found = report["versions"]["post"]["disagree"]
    assert report["disagree"] == len(found) > 0
    assert all(any("trace_args[" in f and 'python=["driver.caps", "/etc/libvirt/qemu", '
                   in f.replace('\\"', "") for f in d["fields"]) for d in found), found[:2]


@pytest.mark.no_cover
def test_compare_reports_a_stub_call_the_port_drops(monkeypatch):
    """A port that no longer saves the status (the C still calls virDomainSaveStatus):
    the faultable calls of each state where that happens differ, reported as such."""
    from conftest import STATE_DIR_LINE, broken_port
    from qemu_migration.upstream import record as rec
    from qemu_migration.upstream.cli import compare
    dropped = broken_port("post", "if " + STATE_DIR_LINE, "if False:", in_module="qemu_domain")
    items = rec.case_ids_and_runners()
    monkeypatch.setattr(rec, "case_ids_and_runners", lambda: items[:10])
    report = compare(str(TREE), ["post"], worktree=True, port=dropped)
    calls = [d for d in report["versions"]["post"]["disagree"]
             if d["fields"][0].startswith("faultable calls")]
    assert len(calls) > 100
    assert all(d["case"].endswith("/fault=none") for d in calls)
    assert ("faultable calls made by python only: none; by c only: virDomainSaveStatus#1"
            in [d["fields"][0] for d in calls])


@pytest.mark.no_cover
def test_compare_in_a_forked_worker_reports_what_it_does_here(monkeypatch, wrong_argument):
    """compare's workers (upstream/cli.py: _in_workers, used without coverage when more
    than one core and task are there) send back the very entry this process makes (the
    one version of a working tree is compared here, in this process): the disagreements
    of a broken port (configDir for stateDir) included."""
    from qemu_migration.upstream import cli as UC
    port, items, report = wrong_argument
    here = dict(report["versions"]["post"])
    monkeypatch.setattr(UC, "_JOB", {"src": str(TREE), "worktree": True, "port": port,
                                     "items": items})
    entries, proto = UC._in_workers(2, ["post"], None)
    for e in (here, entries["post"]):
        e.pop("seconds")
    assert proto is None and entries["post"] == here
    assert here["cases"] >= 60 and len(here["disagree"]) > 0


def test_compare_jobs(monkeypatch):
    from qemu_migration.upstream.cli import compare_jobs
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "3")
    assert compare_jobs() == 3
    monkeypatch.delenv("QEMU_MIGRATION_JOBS")
    assert compare_jobs() == len(os.sched_getaffinity(0))
