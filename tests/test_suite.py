"""The suite's own machinery (tests/conftest.py): untraced tests run with no tracer, and
the pytest-xdist groups."""
import sys

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
            == "fault-matrix")
    assert set(SHARED_GROUPS.values()) <= set(LONGEST_FIRST)


def test_the_groups_take_longest_first(request):
    ids = [item.nodeid for item in request.session.items]
    groups = [xdist_group(i) for i in ids]
    ranks = [LONGEST_FIRST.index(g) if g in LONGEST_FIRST else len(LONGEST_FIRST)
             for g in groups]
    assert ranks == sorted(ranks)


def test_a_worker_schedules_a_group_whole():
    from conftest import GroupScheduling
    assert GroupScheduling._split_scope(None, "tests/test_claims.py::test_x[v2]") == "protocol-rows"
    assert GroupScheduling._split_scope(None, "tests/test_port.py::test_y") == "tests/test_port.py"
