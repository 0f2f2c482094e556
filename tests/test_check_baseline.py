"""check --baseline V: each violation group is new or already in V, exit 1 only for new
ones; every group names the ported line (and its upstream line) where the defect sits."""
import json

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.analysis import check as K
from conftest import cli_out as _main

LEAKS = {"async-job-leaked", "refs-unbalanced"}




@pytest.fixture(scope="module")
def post_vs_pre():
    return K.check(["post", "fixed"], None, baseline="pre")


def test_post_leak_is_new_everything_else_was_in_pre(post_vs_pre):
    post = post_vs_pre["versions"]["post"]
    new = [g for g in post["groups"] if g["baseline"] == "new"]
    assert {(g["short"], g["invariant"]) for g in new} == {
        ("PerformJob", "async-job-leaked"), ("PerformJob", "refs-unbalanced")}
    assert post["new_groups"] == len(new) == 4
    assert post["new_violations"] == sum(g["cases"] for g in new)
    assert all(g["baseline"] == "present" for g in post["groups"] if g not in new)
    assert K.exit_status(post_vs_pre) == 1


def test_fixed_has_nothing_new_against_pre(post_vs_pre):
    fixed = post_vs_pre["versions"]["fixed"]
    assert fixed["violations"] > 0 and fixed["new_groups"] == 0
    assert fixed["new_violations"] == 0
    assert K.exit_status(K.check(["fixed"], None, baseline="pre")) == 0


def test_the_leak_sits_at_the_goto_cleanup_of_l2219(post_vs_pre):
    for g in post_vs_pre["versions"]["post"]["groups"]:
        if g["invariant"] in LEAKS:
            d = g["defect"]
            assert (d["function"], d["line"], d["upstream_line"], d["code"]) == (
                "qemuMigrationPerformJob", "L-/2219", 2219, 'goto("cleanup")'), g
            assert d["why"] == "the last goto on the path"


def test_error_count_under_a_fault_sits_at_the_call_that_reached_it(post_vs_pre):
    groups = post_vs_pre["versions"]["fixed"]["groups"]
    g = next(g for g in groups if g["short"] == "PrepareDirect"
             and g["fault_path"].endswith("> strdup"))
    assert (g["defect"]["line"], g["defect"]["code"]) == ("L999/1020", "def_.name = strdup(dname)")
    assert g["defect"]["why"] == "the call that reached the faulted callee"
    # fixed's endjob path: the status save at the end of the job overwrites the error
    g = next(g for g in groups if g["short"] == "PerformJob" and g["invariant"] == "error-count"
             and "qemuMigrationJobFinish" in g["fault_path"])
    assert g["defect"]["function"] == "qemuMigrationJobFinish"
    # a transient domain left behind: the goto that skipped the removal
    g = next(g for g in groups if g["invariant"] == "transient-left-behind")
    assert g["defect"]["code"] == 'goto("cleanup")'


def test_a_path_without_goto_gives_its_last_line():
    case = C.enumerate_cases(["PerformJob"])[0]      # a plain migration: it succeeds
    assert case.dims["fault"] == "none" and not C.outcomes("pre", [case])[0]["failed"]
    d = K.defect_site(case, "pre", "async-job-leaked")
    assert d["why"] == "the last line on the path" and d["code"] == "return ret"


def test_cli_baseline_text_and_exit(capsys):
    rc, text = _main(["check", "--version", "post", "--baseline", "pre",
                      "--function", "PerformJob"])
    assert rc == 1
    assert text.splitlines()[0].endswith(", against pre")
    new = [l for l in text.splitlines() if l.startswith("  NEW ")]
    assert len(new) == 4 and all("async-job-leaked" in l or "refs-unbalanced" in l for l in new)
    assert ("      at qemuMigrationPerformJob L-/2219 goto(\"cleanup\") "
            "(qemu_migration.c:2219 @ e2fb96d9)") in text
    assert "  (in pre) PerformJob error-count" in text
    rc, text = _main(["check", "--version", "fixed", "--baseline", "pre"])
    assert rc == 0 and "NEW " not in text and "new against pre: 0 groups, 0 violations" in text
    assert "(qemu_migration.c:2268 @ e2fb96d9+bebe5122)" in text or "+bebe5122)" in text
    rc, js = _main(["check", "--version", "post", "--baseline", "post", "--json",
                    "--function", "IsAllowed"])
    assert rc == 0 and json.loads(js)["baseline"] == "post"


def test_cli_bad_baseline_is_one_line(capsys):
    rc, out = _main(["check", "--version", "post", "--baseline", "nope"])
    err = capsys.readouterr().err
    assert rc == 2 and out == "" and err.count("\n") == 1 and "unknown version 'nope'" in err


def test_compiled_c_has_no_line(monkeypatch):
    monkeypatch.setitem(C.EXTRA_VERSIONS, "c:x", ("post", object()))
    assert K.defect_site(C.enumerate_cases(["IsAllowed"])[0], "c:x", "error-count") is None
    assert K.defect_text(None, "c:x") == "(compiled C: no line trace)"
    d = {"function": "f", "line": "L-/9", "upstream_line": None, "code": "x"}
    assert K.defect_text(d, "pre") == "f L-/9 x"
