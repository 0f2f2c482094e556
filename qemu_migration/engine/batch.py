"""Running many calls in a row: without the cyclic garbage collector.

A run makes no cyclic garbage (its objects are freed by reference counting), so
during a batch of thousands of runs the collector would only scan, again and
again, the growing store of outcomes the batch keeps.  ``collector_off()`` turns
it off for the batch, then freezes what the batch made (``gc.freeze``: settled
outcomes are no longer scanned), and turns it back on if it was on.
"""
import contextlib
import gc
import os
import signal

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


# --- forked workers: who answers a Ctrl-C (analysis/cases.py, engine/protocol.py) ---


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
