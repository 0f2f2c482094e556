"""Whole migrations held to what the compiled upstream C did, row by row.

fixtures/upstream/protocol.json holds, per row of the protocol matrix, a digest
of the row the compiled C parties gave (each host's unit, the client's
libvirt.c: upstream/protocol_compare.py), recorded by ``qemu-migration compare
--libvirt-src DIR --record``.  Without libvirt sources (CI) the Python port must
give every one of them; with LIBVIRT_SRC set, a slice of the matrix also runs
through the C right now.
"""
import os

import pytest

from conftest import fault_extra_rows, fault_matrix, untraced
from qemu_migration.port import VERSION_NAMES
from qemu_migration.upstream import cproto as CP
from qemu_migration.upstream import protocol_compare as PC
from qemu_migration.upstream.record import digest

LIBVIRT_SRC = os.environ.get("LIBVIRT_SRC")


# Not measured for coverage (pytest-cov's no_cover; the assert is unchanged): the replay of
# every recorded row, faults included, is the suite's longest test; the tests of
# engine/protocol.py and test_claims.py reach every line it runs (the gate checks it).
@pytest.mark.no_cover
def test_python_protocol_reproduces_recorded_upstream_observations():
    # PC.python_rows(VERSION_NAMES, faults=True), from the rows the session builds once
    # (conftest; test_fault_figures counts them too)
    rows = {PC.row_id(r): r for r in fault_matrix() + fault_extra_rows()}
    problems = PC.check_against_record(rows)
    assert problems == [], "\n".join(problems[:20]) + (
        "\n(%d problems in all)" % len(problems) if len(problems) > 20 else "")


@untraced
def test_python_rows_of_two_versions_are_the_sessions_and_the_recorded_ones(protocol_rows):
    """python_rows, what compare runs on the Python side (the replay above reads the
    session's rows instead), on post and fixed without faults: the matrix's rows of those
    four pairs, equal to the session's, and the extra rows of those versions; each has
    the digest recorded from the C."""
    rows = PC.python_rows(["post", "fixed"])
    pairs = {PC.row_id(r): r for r in protocol_rows
             if {r["source"], r["destination"]} <= {"post", "fixed"}}
    assert len(pairs) == 6 * 4 * 6 and {k: rows[k] for k in pairs} == pairs
    extra = set(rows) - set(pairs)
    assert extra and all("~" in k for k in extra)          # a variant's rows
    recorded = PC.load()["rows"]
    assert {k: digest(r) for k, r in rows.items()} == {
        k: recorded[k].split(" ", 1)[0] for k in rows}


def test_record_names_every_build_and_function():
    rec = PC.load()
    assert rec["format"] == PC.FORMAT
    builds = rec["builds"]
    assert set(builds) == {"unit_pre", "unit_post", "unit_fixed", "client"}
    assert builds["unit_pre"]["commit"].startswith("19f8c980")
    assert builds["unit_fixed"]["commit"].startswith("e2fb96d9") and "+" in \
        builds["unit_fixed"]["commit"]
    extra = {n for names in CP.UNIT_FUNCTIONS.values() for n in names}
    for v in VERSION_NAMES:
        assert set(builds["unit_" + v]["functions"]) == extra
    # the protocol's functions are the same text at every version
    assert builds["unit_pre"]["functions"] == builds["unit_post"]["functions"]
    assert set(builds["client"]["functions"]) == set(CP.CLIENT_FUNCTIONS[CP.LIBVIRT_C])


def test_row_ids_and_summaries():
    row = {"flow": "v3", "source": "pre", "destination": "post", "domain": "clean",
           "fault": None, "outcome": "refused", "refused_at": "Begin@source",
           "error": {"code": "VIR_ERR_OPERATION_INVALID"}}
    assert PC.row_id(row) == "v3/pre/post/clean"
    assert PC.row_id(dict(row, fault="source:virTimeMs#1")) == "v3/pre/post/clean/source:virTimeMs#1"
    assert PC.summary(row) == "refused at Begin@source VIR_ERR_OPERATION_INVALID"
    assert PC.summary(dict(row, outcome="migrated", refused_at=None, error=None)) == \
        "migrated no error"


def test_check_reports_missing_stale_and_different(tmp_path):
    path = tmp_path / "protocol.json"
    row = {"outcome": "migrated", "refused_at": None, "error": None}
    assert "protocol.json missing" in PC.check_against_record({"a": row}, path)[0]
    path.write_text('{"rows": {"b": "%s x", "c": "0000000000000000 migrated no error"}}'
                    % digest(row))
    problems = PC.check_against_record({"a": row, "c": row}, path)
    assert "1 protocol row(s) have no recorded upstream observation, e.g. a" in problems[0]
    assert "match no current row, e.g. b" in problems[1]
    assert problems[2].startswith("protocol/c: the port gives %s (migrated no error), "
                                  "upstream gave 0000000000000000" % digest(row))


if LIBVIRT_SRC:
    # Defined only where sources are at hand (CI checks the record above instead).

    def test_live_protocol_compare_on_a_slice():
        from qemu_migration.engine import protocol as P
        migrate, entries = PC.c_parties(LIBVIRT_SRC)
        for flow in P.FLOW_NAMES:
            for src, dst in (("pre", "post"), ("post", "fixed")):
                m = P.Migration.matrix(flow, src, dst, "snapshots")
                py = P.run_migration(m)
                c = P.run_migration(P.Migration.matrix(flow, src, dst, "snapshots"),
                                    migrate, entries)
                assert digest(c) == digest(py), (flow, src, dst)

    @pytest.mark.parametrize("version", VERSION_NAMES)
    def test_recorded_builds_are_those_of_the_source(version):
        rec = PC.load()
        assert PC.functions(LIBVIRT_SRC)["unit_" + version] == rec["builds"]["unit_" + version]


def test_an_extra_rows_id_names_its_variant():
    row = {"flow": "v2", "source": "pre", "destination": "post", "domain": "clean",
           "variant": "persist-dest", "fault": "destination:virDomainSaveConfig#1"}
    assert PC.row_id(row) == "v2/pre/post/clean~persist-dest/destination:virDomainSaveConfig#1"


def test_the_record_keeps_the_protocol_coverage_one_line_per_function(tmp_path, monkeypatch):
    monkeypatch.setattr(PC, "functions", lambda src: {"client": {"commit": "c", "functions": {}}})
    row = {"outcome": "migrated", "refused_at": None, "error": None}
    cover = {"unit_post": {"f": {"executed": 2, "total": 3, "unexecuted": [9]},
                           "g": {"executed": 1, "total": 1, "unexecuted": []}},
             "client": {"h": {"executed": 0, "total": 1, "unexecuted": [4]}}}
    path = PC.write("src", {"r": row}, "cc", tmp_path / "p.json", cover)
    text = path.read_text()
    assert '  "unit_post": {\n   "f": {"executed": 2, "total": 3, "unexecuted": [9]},\n' in text
    assert PC.load(path)["coverage"] == cover and PC.load(path)["rows"]["r"]


def test_compare_text_shows_the_protocol_coverage_with_its_list():
    from qemu_migration.upstream import coverage as cov
    from qemu_migration.upstream.extract import CFunction
    f = CFunction("f", "int\nf(int a)\n{\n    if (a)\n        return  1;\n    return 2;\n}",
                  "int\nf(int a)", ["int a"], False, "src/x.c", 10)
    rep = cov.report([f], {"f": {11: 1, 14: 0, 15: 0}}, cov.Unreachable({"f": {15: "why"}}))
    assert PC.render_coverage({"client": rep}) == [
        "  client:",
        "    coverage: 1 of 3 lines executed; 2 unexecuted, 1 of them listed unreachable, "
        "1 reachable and never run",
        "      f   1/3",
        "        L14    return 1;  [NEVER RUN]",
        "        L15    return 2;  [unreachable: why]"]


def test_a_slice_of_the_protocol_run_is_shown_without_the_list():
    from qemu_migration.upstream import coverage as cov
    from qemu_migration.upstream.extract import CFunction
    f = CFunction("f", "int\nf(void)\n{\n    return 2;\n}", "int\nf(void)", ["void"], False,
                  "src/x.c", 10)
    text = PC.render_coverage({"unit_post": cov.report([f], {"f": {13: 0}}, None)})
    assert text[1] == ("    coverage: 0 of 1 lines executed; 1 unexecuted, not held to the "
                       "unreachable list (it holds what --faults over all three versions "
                       "leaves unrun)")
