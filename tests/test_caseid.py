"""Case ids: every enumerated case is named by its id, and the id leads back to it."""
import json
import re

import pytest

from qemu_migration.analysis import caseid
from qemu_migration.analysis import cases as C
from conftest import cli_run as run

LEAK = ("PerformJob/autodestroy=no,snapshots=1,hostdevs=none,state=running,persistent=yes,"
        "job=none,flags=0,v3proto=no/fault=none")




def test_every_enumerated_id_parses_back_to_its_case():
    cases = C.enumerate_cases()
    for c in cases:
        back = caseid.parse(c.id)
        assert (back.id, back.function, back.dims, back.faults.pairs()) == \
            (c.id, c.function, c.dims, c.faults.pairs())
        assert caseid.format_id(c.function, c.dims) == c.id


def test_parsed_case_runs_as_the_enumerated_one():
    c = caseid.parse(LEAK)
    i = [x.id for x in C.enumerate_cases(["PerformJob"])].index(LEAK)
    assert C.run_call(c.make_world(), "post", c.call) == C.outcomes(
        "post", C.enumerate_cases(["PerformJob"]))[i]


@pytest.mark.parametrize("bad,fragment", [
    ("PerformJob", "got 1 part"),
    ("Migrate/a=b/fault=none", "unknown function 'Migrate'"),
    ("PerformJob/colour=red/fault=none", "PerformJob has no dimension 'colour'"),
    ("PerformJob/autodestroy=maybe/fault=none", "'maybe' is not a value of autodestroy"),
    ("PerformJob/autodestroy/fault=none", "'autodestroy' is not DIMENSION=VALUE"),
    ("PerformJob/autodestroy=no,autodestroy=no/fault=none", "given twice"),
    ("PerformJob/autodestroy=no/fault=none", "missing dimensions snapshots"),
    (LEAK.replace("state=running,persistent=yes", "state=shutoff,persistent=no"),
     "no reachable PerformJob state"),
    (LEAK.replace("v3proto=no", "v3proto=no,peer_v3=yes"), "no reachable PerformJob state"),
    (LEAK.replace("fault=none", "nofault"), "the last part must be fault="),
    (LEAK.replace("fault=none", "fault=virTimeMs"), "is not 'none' or STUB#N"),
    (LEAK.replace("fault=none", "fault=virTimeMs#0"), "is not 'none' or STUB#N"),
    (LEAK.replace("fault=none", "fault=malloc#1"), "'malloc' is not a faultable stub"),
    (LEAK.replace("fault=none", "fault=virTimeMs#2"), "calls virTimeMs 1 time, so"),
    (LEAK.replace("fault=none", "fault=virFDStreamOpen#1"), "calls virFDStreamOpen never"),
    (LEAK.replace("autodestroy=no,snapshots=1", "snapshots=1,autodestroy=no"),
     "not written as the case's id, which is " + LEAK),
])
def test_bad_ids_one_line_exit_2(bad, fragment):
    with pytest.raises(caseid.CaseIdError) as e:
        caseid.parse(bad)
    assert fragment in str(e.value)
    rc, out, err = run("run", bad)
    assert rc == 2 and out == ""
    assert err == "qemu-migration: %s: %s\n" % (bad, e.value)


def test_looks_like_id():
    assert caseid.looks_like_id(LEAK)
    assert not caseid.looks_like_id("fixtures/scenarios/x.xml")
    assert not caseid.looks_like_id("PerformJob.xml")
    assert caseid.looks_like_id("Migrate/x/fault=none") and caseid.looks_like_id("performjob")


def test_run_a_case_by_id():
    rc, out, err = run("run", LEAK)
    assert rc == 0 and err == ""
    assert out.splitlines() == [
        LEAK,
        "    pre          ok",
        "    post         -1 cannot migrate domain with 1 snapshots"
        "  VIOLATES async-job-leaked, refs-unbalanced",
        "    fixed        -1 cannot migrate domain with 1 snapshots",
        "1 scenarios, 1 calls; invariant violations: pre 0, post 2, fixed 0"]
    rc, out, _ = run("run", LEAK, "--version", "fixed", "--json")
    data = json.loads(out)
    assert data["schema"] == 1
    sc = data["scenarios"][0]
    assert sc["case"] == LEAK and sc["file"] is None
    assert sc["versions"]["fixed"][0]["error"]["raw"] == "cannot migrate domain with 1 snapshots"
    rc, out, _ = run("run", LEAK, "--version", "post", "--verbose")
    assert "VIOLATION async-job-leaked" in out and "    post  -> -1  (failed)" in out


def test_diff_and_check_show_example_ids_that_parse():
    from qemu_migration.analysis import check as K
    from qemu_migration.analysis import diff as D
    d = D.diff("post", "fixed", ["PerformJob"])
    # a case id longer than a mail line is cut after ',' or '/': join such lines back
    text = re.sub(r"([,/])\n +", r"\1", D.render_text(d))
    md = D.render_markdown(d)
    for c in d["classes"] + d["changes"] + d["refusals"]:
        caseid.parse(c["example"])
        assert "e.g. " + c["example"] in text
    for c in d["changes"]:
        assert "`%s`" % c["example"] in md
    r = K.check(["post"], ["PerformJob"])
    for g in r["versions"]["post"]["groups"]:
        caseid.parse(g["example"])
        assert "e.g. " + g["example"] in K.render_text(r)
