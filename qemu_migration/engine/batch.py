"""Running many calls in a row: without the cyclic garbage collector.

A run makes no cyclic garbage (its objects are freed by reference counting), so
during a batch of thousands of runs the collector would only scan, again and
again, the growing store of outcomes the batch keeps.  ``collector_off()`` turns
it off for the batch, then freezes what the batch made (``gc.freeze``: settled
outcomes are no longer scanned), and turns it back on if it was on.
"""
import contextlib
import gc
import multiprocessing
import os
import signal
import threading

JOBS_VARIABLE = "QEMU_MIGRATION_JOBS"


def env_jobs():
    """How many processes QEMU_MIGRATION_JOBS asks for (0 means 1), None when it is unset
    or empty; a value that is no whole number is a ValueError naming the variable (the
    command line reports it in one line, exit status 2).  The one reading of the variable
    for every batch that forks (the case batches and readings, ``protocol --faults``,
    ``compare``)."""
    value = os.environ.get(JOBS_VARIABLE)
    if not value:
        return None
    try:
        return max(1, int(value))
    except ValueError:
        raise ValueError("%s=%r is not a number of processes" % (JOBS_VARIABLE, value)) \
            from None


def cores():
    """The cores this process may run on: its CPU affinity (a container's or a
    ``taskset``'s limit, not the host's count), at least 1."""
    return len(os.sched_getaffinity(0)) or 1


@contextlib.contextmanager
def collector_off():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def settle():
    """Within ``collector_off``, between parts of a batch whose runs do make cyclic
    garbage (a whole migration: its hosts, worlds and connections name each other):
    collect what the part left, then freeze what is still alive (the part's results), so
    that the next collection scans the next part only."""
    gc.collect()
    gc.freeze()


# --- forked workers: whether to fork, who answers a Ctrl-C (analysis/cases.py,
# engine/protocol.py, upstream/cli.py) ---


def fork_context():
    """The "fork" start method's context for a batch's workers, or None, and the batch
    runs in this process: where fork is not to be had, and where this process runs
    threads besides the one forking (``threading.active_count() > 1``: a library
    caller's, or a test runner's).  A forked child has only the thread that forked, and
    a lock another thread held at the fork stays held in the child for ever (a deadlock
    when the child takes it); Python 3.12 and later warn of such a fork
    (DeprecationWarning).  The command line starts no thread of its own, so its batches
    fork as QEMU_MIGRATION_JOBS and the cores say."""
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


@contextlib.contextmanager
def sigint_ignored():
    """SIGINT ignored meanwhile (the pool's shutdown after a first Ctrl-C: a second one
    must not break it); the workers start under ``sigint_held`` instead."""
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:          # not the main thread, which alone gets KeyboardInterrupt
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextlib.contextmanager
def sigint_held():
    """SIGINT blocked meanwhile, not ignored: a Ctrl-C that lands while the workers are
    being forked is held and delivered, as KeyboardInterrupt, when the block ends (an
    ignored one would be lost).  The workers inherit the block and, first thing, ignore
    SIGINT and drop what is pending (``quiet_worker``): a terminal's Ctrl-C reaches the
    whole process group, and only the parent answers it (one line, see cli.main)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def quiet_worker():
    """A forked worker's initializer: SIGINT ignored, then unblocked (see sigint_held)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
