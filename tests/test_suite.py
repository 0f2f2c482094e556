"""The suite's own machinery (tests/conftest.py): untraced tests run with no tracer, and
the pytest-xdist groups."""
import sys
from pathlib import Path

import coverage
import pytest

from conftest import LONGEST_FIRST, SHARED_GROUPS, coverage_paused, xdist_group


@pytest.mark.no_cover
def test_a_no_cover_test_runs_with_no_tracer():
    # under pytest-xdist a worker has a second measurement that pytest-cov's pause
    # started again (conftest.pytest_runtest_call): a tracer here doubled the CPU time
    assert sys.gettrace() is None
    assert coverage.Coverage.current() is None


def test_coverage_paused_stops_every_measurement_and_starts_them_again():
    measuring = coverage.Coverage.current()
    assert (sys.gettrace() is None) == (measuring is None)
    with coverage_paused():
        assert sys.gettrace() is None and coverage.Coverage.current() is None
    assert coverage.Coverage.current() is measuring
    assert (sys.gettrace() is None) == (measuring is None)


def test_a_module_is_its_own_group_unless_it_shares_one(request):
    assert xdist_group(request.node.nodeid) == "tests/test_suite.py"
    assert (xdist_group("tests/test_fault_figures.py::test_rows_per_side_and_in_all")
            == xdist_group("tests/test_upstream_protocol.py::test_row_ids_and_summaries")
            == xdist_group("tests/test_claims.py::test_v3_never_leaks") == "protocol-matrix")
    assert set(SHARED_GROUPS.values()) <= set(LONGEST_FIRST)


def test_the_groups_take_longest_first(request):
    ids = [item.nodeid for item in request.session.items]
    groups = [xdist_group(i) for i in ids]
    ranks = [LONGEST_FIRST.index(g) if g in LONGEST_FIRST else len(LONGEST_FIRST)
             for g in groups]
    assert ranks == sorted(ranks)


def test_a_worker_schedules_a_group_whole():
    from conftest import GroupScheduling
    assert GroupScheduling._split_scope(None, "tests/test_claims.py::test_x[v2]") == \
        "protocol-matrix"
    assert GroupScheduling._split_scope(None, "tests/test_port.py::test_y") == "tests/test_port.py"


# --- the rows kept between runs (conftest.kept_rows: the fault matrix) -----------------------

def _fixture_tree(tmp_path):
    root = tmp_path / "fixtures"
    (root / "domains").mkdir(parents=True)
    (root / "domains" / "a.status.xml").write_text("<domstatus/>")
    (root / "snapshots").mkdir()
    (root / "snapshots" / "s.xml").write_text("<domainsnapshot/>")
    (root / "upstream").mkdir()
    (root / "upstream" / "post.json").write_text("{}")
    return root


def test_the_kept_rows_key_changes_with_each_input(tmp_path):
    from conftest import kept_key
    root = _fixture_tree(tmp_path)
    key = kept_key("rows", "src", root)
    assert key == kept_key("rows", "src", root)
    assert kept_key("other", "src", root) != key                  # another result
    assert kept_key("rows", "src2", root) != key                  # the package's source
    (root / "domains" / "a.status.xml").write_text("<domstatus state='paused'/>")
    changed = kept_key("rows", "src", root)
    assert changed != key                                         # a fixture's content
    (root / "snapshots" / "s.xml").rename(root / "snapshots" / "t.xml")
    assert kept_key("rows", "src", root) != changed               # a fixture's name
    renamed = kept_key("rows", "src", root)
    (root / "domains" / "b.xml").write_text("<domain/>")
    assert kept_key("rows", "src", root) != renamed               # a new fixture
    added = kept_key("rows", "src", root)
    (root / "upstream" / "post.json").write_text("[]")            # not XML: not an input
    assert kept_key("rows", "src", root) == added


def test_the_kept_rows_key_is_of_the_package_and_the_fixtures_by_default(monkeypatch):
    import pathlib

    import conftest
    from qemu_migration import paths
    assert conftest.kept_key("rows") == conftest.kept_key("rows", paths.source_digest(),
                                                         paths.fixtures_dir())
    before = conftest.kept_key("rows", "src")
    real = pathlib.Path.read_bytes

    def edited(path):
        def read_bytes(self):
            return real(self) + (b"#" if self.resolve() == path.resolve() else b"")
        monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    # the package's source: a change to a module the matrix runs gives another digest
    edited(Path(paths.__file__).parent / "engine" / "protocol.py")
    assert paths.source_digest.__wrapped__() != paths.source_digest()
    # and this conftest.py, where what computes the rows is written
    edited(Path(conftest.__file__))
    assert conftest.kept_key("rows", "src") != before


def test_kept_rows_are_computed_once_and_read_back_under_their_key(tmp_path, monkeypatch):
    from conftest import kept_path, kept_rows
    monkeypatch.setenv("QEMU_MIGRATION_CACHE", str(tmp_path))
    runs = []

    def compute():
        runs.append(1)
        return [{"fault": None, "trace": ("a", "b")}, {"fault": "source:x#1"}]
    first = kept_rows("rows", compute, key="k1")
    assert kept_path("rows").parent == tmp_path.resolve()
    assert kept_path("rows").read_bytes()[:1] == b"\x78"                   # compressed
    assert kept_rows("rows", compute, key="k1") == first and len(runs) == 1
    assert kept_rows("rows", compute, key="k1")[0]["trace"] == ("a", "b")   # tuples stay
    assert kept_rows("rows", compute, key="k2") == first and len(runs) == 2  # another key
    assert kept_rows("rows", compute, key="k2") == first and len(runs) == 2
    kept_path("rows").write_bytes(b"damaged")
    assert kept_rows("rows", compute, key="k2") == first and len(runs) == 3
    assert kept_rows("rows", compute, key="k2") == first and len(runs) == 3


def test_the_suite_s_bytecode_is_kept_in_the_cache_folder_and_only_while_it_is_imported():
    """With PYTHONDONTWRITEBYTECODE=1 the suite's compiled modules (this one's rewritten
    asserts among them) are in the cache folder's pycache, and once the collection is
    over this process writes none and reads none from there (the environment's setting
    again), while the processes the tests start keep theirs there; else nothing is
    changed."""
    import os
    import conftest
    if conftest.BYTECODE_PREFIX is None:
        assert "PYTHONPYCACHEPREFIX" not in os.environ or sys.pycache_prefix is not None
        return
    assert sys.dont_write_bytecode and sys.pycache_prefix is None
    assert os.environ["PYTHONPYCACHEPREFIX"] == conftest.BYTECODE_PREFIX
    assert "PYTHONDONTWRITEBYTECODE" not in os.environ
    here = Path(__file__).resolve()
    kept = Path(conftest.BYTECODE_PREFIX, *here.parent.parts[1:])
    assert list(kept.glob(here.stem + ".*pytest*.pyc"))         # pytest's rewritten module
