"""Running many calls in a row: without the cyclic garbage collector.

A run makes no cyclic garbage (its objects are freed by reference counting), so
during a batch of thousands of runs the collector would only scan, again and
again, the growing store of outcomes the batch keeps.  ``collector_off()`` turns
it off for the batch, then freezes what the batch made (``gc.freeze``: settled
outcomes are no longer scanned), and turns it back on if it was on.
"""
import contextlib
import gc


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
