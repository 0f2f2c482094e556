"""run --verbose: the text of an outcome names every part of it (engine/text.py), shown on
enumerated cases and a bundled scenario that reach each part."""
import io
import os
import sys

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.cli import main

ROOT = os.path.join(os.path.dirname(__file__), "..")
GONE = os.path.join(ROOT, "fixtures", "scenarios", "perform-transient-then-gone.xml")


def verbose(target):
    out, err = io.StringIO(), io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        rc = main(["run", "--verbose", "--version", "post", target], out=out)
    finally:
        sys.stderr = old
    assert err.getvalue() == ""
    return rc, out.getvalue().splitlines()


PAD = " " * 10


@pytest.mark.parametrize("case,expected", [
    # a Prepare has no domain argument, takes its XML as text and leaves a freed object
    # when the pipe cannot be made
    ("PrepareTunnel/hostdevs=none,dname=none,cookiein=none,dest=nothing/fault=pipe#1",
     ["  call 1: qemuMigrationPrepareTunnel dom_xml=<xml> st=True fault=pipe#1",
      PAD + "after   freed"]),
    # PrepareDirect's static port counter
    ("PrepareDirect/hostdevs=none,dname=none,cookiein=none,dest=nothing,uri_in=NULL,"
     "hostname=fqdn/fault=none",
     ["  call 1: qemuMigrationPrepareDirect dom_xml=<xml>",
      PAD + "statics qemuMigrationPrepareDirect.port=1"]),
])
def test_each_part_of_an_outcome_is_shown(case, expected):
    rc, lines = verbose(case)
    assert rc == 0 and lines[0] == "%s: enumerated case" % case
    for line in expected:
        assert line in lines
    # a call with no domain before it has no "before" line
    assert not any(l.startswith(PAD + "before") for l in lines)


def test_every_error_raised_is_listed_and_the_state_before():
    """A case that raises two errors (found in the enumeration: a fault, then a refusal)."""
    cases = C.enumerate_cases(["Begin"])
    case, o = next((c, o) for c, o in zip(cases, C.outcomes("post", cases))
                   if len(o["errors"]) > 1)
    rc, lines = verbose(case.id)
    assert rc == 0
    assert PAD + "raised  " + " | ".join(e["message"] for e in o["errors"]) in lines
    assert PAD + "error   %s (%d) from %s: %s" % (
        o["error"]["code"], o["error"]["code_number"], o["error"]["domain"],
        o["error"]["message"]) in lines
    before = [l for l in lines if l.startswith(PAD + "before")]
    b = o["before"]
    assert before == [PAD + "before  job=%s async=%s phase=%s refs=%d locked listed state=%s/%s "
                      "id=%d" % (b["job"], b["async_job"], b["phase"], b["refs"], b["state"],
                                 b["reason"], b["id"])
                      + ("" if b["persistent"] else " transient")]


def test_a_domain_that_is_gone_is_shown_as_none():
    rc, lines = verbose(GONE)
    assert rc == 0
    after = [l for l in lines if l.startswith(PAD + "after")]
    assert after == [PAD + "after   freed"] + [PAD + "after   (no such domain)"] * 4
    assert lines.count(PAD + "trace") == 4      # the lookup failed: nothing was called
