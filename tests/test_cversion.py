"""Compiled C as a version (c:DIR, c:GITDIR@COMMIT): refusals in one line, and with
LIBVIRT_SRC a tree with the fixed goto diffs from pre as fixed does."""
import json
import os
import re
import subprocess

import pytest

from qemu_migration.upstream import cversion as V
from conftest import cli_run as run




def test_specs_and_refusals_are_one_line(tmp_path):
    assert V.parse_spec("c:%s" % tmp_path) == (str(tmp_path), None)
    assert V.parse_spec("c:%s@abc123" % tmp_path) == (str(tmp_path), "abc123")
    for spec, fragment in [("c:", "expected c:DIR"), ("c:/no/such/tree", "is not a folder"),
                           ("c:%s@" % tmp_path, "expected c:GITDIR@COMMIT")]:
        with pytest.raises(V.CVersionError, match=re.escape(fragment)):
            V.parse_spec(spec)
    (tmp_path / "src/conf").mkdir(parents=True)
    (tmp_path / "src/conf/domain_conf.c").write_text("int unrelated(void) { return 0; }\n")
    for argv in (["diff", "--to", "c:%s" % tmp_path], ["check", "--version", "c:/no/such"],
                 ["run", "--version", "c:%s" % tmp_path],
                 ["diff", "--to", "c:%s@deadbeef" % tmp_path]):
        rc, out, err = run(*argv)
        assert rc == 2 and out == "" and err.count("\n") == 1 and err.startswith(
            "qemu-migration: c:"), (argv, err)
    rc, _, err = run("diff", "--to", "c:%s" % tmp_path)
    assert "virDomainSnapshotObjListCount is not defined in src/conf/domain_conf.c" in err


LIBVIRT_SRC = os.environ.get("LIBVIRT_SRC")
FIX = "bebe5122"


def _tree(tmp_path, edit=None):
    """post's tree (from LIBVIRT_SRC, at test time, outside the repository) with the
    backport applied, then ``edit`` applied to qemu_migration.c."""
    from qemu_migration.upstream import extract as X
    gd = X.git_dir(LIBVIRT_SRC)
    tree = tmp_path / "tree"
    tree.mkdir()
    arch = subprocess.run(["git", "--git-dir=" + gd, "archive", X.POST, "src/qemu", "src/conf"],
                          capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=arch, check=True)
    path = tree / "src/qemu/qemu_migration.c"
    text, _ = X._apply_fix(LIBVIRT_SRC, path.read_text())
    path.write_text(edit(text) if edit else text)
    return tree


if LIBVIRT_SRC:
    # Not measured for coverage, as test_c_candidate's runs of the whole case space through
    # compiled C (pytest-cov's no_cover; the asserts are unchanged): the smaller tests
    # reach every line these two diffs run, and traced they cost twice the time.
    @pytest.mark.no_cover
    def test_tree_with_the_fixed_goto_gives_fixed_headline(tmp_path):
        tree = _tree(tmp_path)
        rc, c_out, err = run("diff", "--from", "pre", "--to", "c:%s" % tree, "--json")
        rc2, py_out, _ = run("diff", "--from", "pre", "--to", "fixed", "--json")
        assert rc == rc2 == 0 and err == ""
        c_data, py_data = json.loads(c_out), json.loads(py_out)
        assert c_data.pop("to") == "c:.../tree" and py_data.pop("to") == "fixed"
        assert json.dumps(c_data).replace("c:.../tree", "fixed") == json.dumps(py_data)

    def test_tree_with_a_new_callee_is_refused_in_one_line(tmp_path):
        def edit(text):
            return text.replace("if (!qemuMigrationIsAllowed(driver, vm, NULL))\n        goto endjob;",
                                "if (!qemuMigrationIsAllowed(driver, vm, NULL))\n        goto endjob;"
                                "\n    qmcCandidateNewCheck(vm);", 1)
        tree = _tree(tmp_path, edit)
        rc, out, err = run("check", "--version", "c:%s" % tree)
        assert rc == 2 and err == (
            "qemu-migration: c:%s: qemuMigrationPerformJob calls qmcCandidateNewCheck, which "
            "has no stub in the stub world\n" % tree)

    def test_tree_with_a_changed_signature_is_refused_in_one_line(tmp_path):
        tree = _tree(tmp_path, lambda t: t.replace(
            "qemuMigrationJobContinue(virDomainObjPtr vm)",
            "qemuMigrationJobContinue(virDomainObjPtr vm, int extra)", 1))
        rc, out, err = run("run", "--version", "c:%s" % tree)
        assert rc == 2 and "qemuMigrationJobContinue at worktree has signature" in err
        assert err.count("\n") == 1
