"""The Python port against what the upstream C did, case by case.

fixtures/upstream/<version>.json holds observations recorded by
``qemu-migration compare --record`` from the real functions compiled against our
stubs.  Without libvirt sources (CI) the port must reproduce every one of them;
with LIBVIRT_SRC set, test_live_compare also runs a slice of the cases through
the C build right now.
"""
import os

import pytest

from qemu_migration.port import VERSION_NAMES
from qemu_migration.upstream import record


# Not measured for coverage (pytest-cov's no_cover; the assert is unchanged): every case's
# whole outcome on the version, built from the runs the cases group keeps, and every bundled
# scenario run again; the tests of analysis/cases.py, engine/outcome.py and the scenarios
# reach every line it runs (the gate checks it).
@pytest.mark.no_cover
@pytest.mark.parametrize("version", VERSION_NAMES)
def test_port_reproduces_recorded_upstream_observations(version):
    problems = record.check_against_record(version, record.python_outcomes(version))
    assert problems == [], "\n".join(problems[:20]) + (
        "\n(%d problems in all)" % len(problems) if len(problems) > 20 else "")


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_record_names_its_commit_and_functions(version):
    rec = record.load(version)
    assert rec["version"] == version and rec["format"] == record.FORMAT
    assert rec["commit"].startswith({"pre": "19f8c980", "post": "e2fb96d9",
                                     "fixed": "e2fb96d9"}[version])
    assert "qemuMigrationPerformJob" in rec["functions"]
    assert all(len(h) == 64 for h in rec["functions"].values())


def test_check_reports_missing_stale_and_different(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "RECORD_DIR", tmp_path)
    out = {"error": None, "return": 0, "violations": []}
    assert "missing" in record.check_against_record("post", {"a": out})[0]
    (tmp_path / "post.json").write_text(
        '{"cases": {"b": "%s x", "c": "0000000000000000 ret=0 no error"}}'
        % record.digest(out))
    problems = record.check_against_record("post", {"a": out, "c": out})
    assert "1 case(s) on 'post' have no recorded upstream observation, e.g. a" in problems[0]
    assert "match no current case, e.g. b" in problems[1]
    assert problems[2].startswith("c on 'post': the port gives %s (ret=0 no error), upstream "
                                  "gave 0000000000000000" % record.digest(out))


def test_summary_and_digest():
    o = {"error": {"code": "VIR_ERR_NO_MEMORY"}, "return": None, "violations": [1]}
    assert record.summary(o) == "ret=NULL VIR_ERR_NO_MEMORY +1 violations"
    assert record.summary([o, o]).count(";") == 1
    assert record.digest({"a": 1, "b": 2}) == record.digest({"b": 2, "a": 1})


if os.environ.get("LIBVIRT_SRC"):
    # Defined only where sources are at hand: CI has none by design and checks the
    # recorded observations above instead (a skip would be an error there).
    @pytest.mark.parametrize("version", VERSION_NAMES)
    def test_live_compare(version):
        from qemu_migration.upstream.impl import CImpl
        impl = CImpl(version, os.environ["LIBVIRT_SRC"])
        py = record.python_outcomes(version)
        items = record.case_ids_and_runners()
        for cid, runner in items[::37]:
            assert record.digest(runner(version, impl)) == record.digest(py[cid]), cid


def test_compare_without_sources_is_a_one_line_error(tmp_path, capsys):
    from qemu_migration.cli import main
    rc = main(["compare", "--libvirt-src", str(tmp_path / "none"), "--version", "post"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "neither a libvirt checkout nor a git directory" in err


def test_compare_report_text_lists_field_differences():
    from qemu_migration.upstream.cli import _field_diffs, render_text
    a = {"return": 0, "trace": ["x"], "error": None}
    b = {"return": -1, "trace": ["x"], "error": None}
    fields = _field_diffs([a, a], [a, b])
    assert fields == ["call 2 return: python=0 c=-1"]
    assert _field_diffs(a, dict(a)) == []
    assert _field_diffs([a], [a, a]) == ["number of calls: python=1 c=2"]
    many = _field_diffs({k: 1 for k in "abcdef"}, {k: 2 for k in "abcdef"})
    assert many[-1] == "(2 more fields)" and len(many) == 5
    text = render_text({"versions": {"post": {"commit": "e2fb96d9", "cases": 2, "disagree": [
        {"case": "c1", "fields": fields}]}}, "cases": 2, "disagree": 1})
    assert text.splitlines() == ["post (e2fb96d9): 2 cases, 1 disagree", "  DISAGREE c1",
                                 "    call 2 return: python=0 c=-1", "2 cases, 1 disagree"]


def test_compare_names_a_list_fields_first_differing_item():
    from qemu_migration.upstream.cli import _calls_differ, _field_diffs
    a = {"trace_args": [None, ["vm web1"]], "logs": ["x"]}
    b = {"trace_args": [None, ["vm db1"]], "logs": ["x", "y"]}
    assert _field_diffs(a, b) == ['trace_args[1]: python=["vm web1"] c=["vm db1"]',
                                  "logs (length): python=1 c=2"]
    assert _calls_differ([], ["pipe#1", "pipe#2"]) == [
        "faultable calls made by python only: none; by c only: pipe#1, pipe#2"]
