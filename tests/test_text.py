"""run --verbose: the text of an outcome names every part of it (engine/text.py), shown on
enumerated cases and a bundled scenario that reach each part."""
import io
import os
import sys

import pytest

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
    # two errors raised: the last is the error, both are listed
    ("Begin/autodestroy=no,snapshots=0,hostdevs=none,state=running,persistent=yes,"
     "job=migration-out,xmlin=memory-differs/fault=virDomainSaveStatus#1",
     ["  call 1: qemuMigrationBegin domain=guest xmlin=<xml> fault=virDomainSaveStatus#1",
      PAD + "raised  out of memory | unsupported configuration: Target domain memory "
      "1048576 does not match source 524288",
      PAD + "before  job=none async=migration out phase=none refs=2 locked listed "
      "state=running/booted id=1"]),
])
def test_each_part_of_an_outcome_is_shown(case, expected):
    rc, lines = verbose(case)
    assert rc == 0 and lines[0] == "%s: enumerated case" % case
    for line in expected:
        assert line in lines
    # a call with no domain before it has no "before" line
    if not case.startswith("Begin/"):
        assert not any(l.startswith(PAD + "before") for l in lines)


def test_a_domain_that_is_gone_is_shown_as_none():
    rc, lines = verbose(GONE)
    assert rc == 0
    after = [l for l in lines if l.startswith(PAD + "after")]
    assert after == [PAD + "after   freed"] + [PAD + "after   (no such domain)"] * 4
    assert lines.count(PAD + "trace") == 4      # the lookup failed: nothing was called
