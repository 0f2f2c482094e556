"""The faulted protocol matrix over forked processes (engine/protocol.py: jobs, _forked):
one per core, or as many as QEMU_MIGRATION_JOBS asks for; the workers get spans of cell
indices and send back the rows, the same rows in the same order as one process; where no
process can be had it runs here, and Ctrl-C stops the workers."""
import json
import os
import marshal
import multiprocessing
import signal
import threading

import pytest

from conftest import cli_run, untraced
from qemu_migration.engine import batch as B
from qemu_migration.engine import protocol as P

SLICE = (["v3"], ["post"], ["fixed"], ["clean", "snapshots", "pci-hostdev"])


@pytest.fixture(scope="module")
def serial():
    return P.matrix(*SLICE, faults=True)


def test_jobs_come_from_the_environment_else_the_cores(monkeypatch):
    monkeypatch.delenv("QEMU_MIGRATION_JOBS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert P.jobs() == 4
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set())   # not known: one
    assert P.jobs() == 1
    for value, n in (("3", 3), ("0", 1), ("", 1)):
        monkeypatch.setenv("QEMU_MIGRATION_JOBS", value)
        assert P.jobs() == n
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "many")
    with pytest.raises(ValueError, match="QEMU_MIGRATION_JOBS='many' is not a number"):
        P.jobs()


@pytest.mark.parametrize("argv", [["diff"], ["protocol", "--faults"], ["cases"]])
def test_a_bad_jobs_value_is_one_line_and_status_2(monkeypatch, argv):
    """Every command that may fork reads the variable through engine/batch.env_jobs; a
    value that is no number is refused before the command runs, in one line."""
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "two")
    rc, out, err = cli_run(*argv)
    assert (rc, out) == (2, "")
    assert err == ("qemu-migration: QEMU_MIGRATION_JOBS='two' is not a number of "
                   "processes\n")


@untraced
def test_forked_workers_give_the_rows_of_one_process(serial):
    rows = P.matrix(*SLICE, faults=True, jobs=2)
    assert rows == serial and len(rows) > 3 * 20
    assert json.dumps(rows) == json.dumps(serial)
    assert P._JOB == ()         # nothing of the batch kept once it is done


def test_a_worker_runs_the_cells_of_its_span_in_process(serial, monkeypatch):
    cells = [("v3", "post", "fixed", k) for k in SLICE[3]]
    monkeypatch.setattr(P, "_JOB", (cells, (True, None, None, None)))
    first = marshal.loads(P._in_worker((0, 1)))
    assert first == serial[:len(first)] and first[0]["domain"] == "clean"
    rest = marshal.loads(P._in_worker((1, 3)))
    assert first + rest == serial and rest[0]["domain"] == "snapshots"


def test_a_worker_ignores_sigint_and_unblocks_it():
    old_handler = signal.getsignal(signal.SIGINT)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        B.quiet_worker()       # as a forked worker does first
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    finally:
        signal.signal(signal.SIGINT, old_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def test_one_cell_or_one_job_runs_here(monkeypatch):
    def no_fork(*args):
        raise AssertionError("forked")
    monkeypatch.setattr(P, "_forked", no_fork)
    assert P.matrix(["v3"], ["post"], ["fixed"], ["clean"], faults=True, jobs=2)
    assert P.matrix(*SLICE[:3], ["clean", "snapshots"], jobs=1)


def test_without_fork_or_processes_it_runs_here(serial, monkeypatch):
    monkeypatch.setattr(B.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert P.matrix(*SLICE, faults=True, jobs=2) == serial
    monkeypatch.undo()

    def no_processes(**kw):
        raise OSError("no processes")
    monkeypatch.setattr(P.concurrent.futures, "ProcessPoolExecutor", no_processes)
    assert P.matrix(*SLICE, faults=True, jobs=2) == serial
    assert P._JOB == ()


def test_beside_another_thread_it_runs_here_and_forks_again_once_alone(serial, monkeypatch):
    """No fork from a process that runs other threads (engine/batch.py, fork_context):
    a forked child would keep a lock another thread held for ever (Python 3.12+ warns);
    the cells run here instead, the same rows; alone again, the process forks."""
    pools = []
    real = P.concurrent.futures.ProcessPoolExecutor

    def pool(**kw):
        pools.append(kw["mp_context"])
        return real(**kw)
    monkeypatch.setattr(P.concurrent.futures, "ProcessPoolExecutor", pool)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert threading.active_count() > 1 and B.fork_context() is None
        assert P.matrix(*SLICE, faults=True, jobs=2) == serial
        assert pools == []
    finally:
        stop.set()
        t.join()
    assert threading.active_count() == 1
    assert B.fork_context() is multiprocessing.get_context("fork")
    assert P.matrix(*SLICE, faults=True, jobs=2) == serial
    assert pools == [multiprocessing.get_context("fork")]


class _Interrupted:
    """A pool whose map is interrupted by Ctrl-C: what the parent does with its workers."""
    made = []

    def __init__(self, **kw):
        self.shutdowns = []
        _Interrupted.made.append(self)

    def map(self, fn, spans):
        raise KeyboardInterrupt

    def shutdown(self, **kw):
        self.shutdowns.append(kw)


def test_ctrl_c_cancels_what_the_workers_have_not_begun(monkeypatch):
    monkeypatch.setattr(P.concurrent.futures, "ProcessPoolExecutor", _Interrupted)
    with pytest.raises(KeyboardInterrupt):
        P.matrix(*SLICE, faults=True, jobs=2)
    (pool,) = _Interrupted.made
    assert pool.shutdowns == [{"cancel_futures": True}, {}]
    assert P._JOB == ()
    # ... and one that lands before there is a pool: nothing to shut down

    def interrupted(**kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(P.concurrent.futures, "ProcessPoolExecutor", interrupted)
    with pytest.raises(KeyboardInterrupt):
        P.matrix(*SLICE, faults=True, jobs=2)


@untraced
def test_the_command_forks_the_faulted_matrix_only(monkeypatch):
    asked = []
    real = P.matrix

    def matrix(*args, **kw):
        asked.append((kw["faults"], kw["jobs"]))
        return real(*args, **kw)
    monkeypatch.setattr(P, "matrix", matrix)
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    argv = ["protocol", "--flow", "v3", "--source", "post", "--destination", "fixed",
            "--domain", "clean"]
    rc, out, _ = cli_run(*argv, "--faults", "--json")
    assert rc == 0 and json.loads(out)["rows"] == real(*SLICE[:3], ["clean"], faults=True)
    assert cli_run(*argv)[0] == 0
    assert cli_run(*argv, "--faults", "--variant", "dname")[0] == 0
    assert asked == [(True, 2), (False, 1), (True, 2)]
