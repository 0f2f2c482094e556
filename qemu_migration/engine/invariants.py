"""The invariants every call must keep, checked on the state before and after it.

Each check looks at one thing the upstream code promises its callers:
  async-job-leaked   an async job the call started is ended, or kept on purpose
                     (PrepareAny keeps "migration in" for Finish on success),
                     whatever async job the domain had before: the job held
                     after the call is the call's own unless it is the one held
                     before (no other thread ended it) or another thread started
                     it while the call waited
  refs-unbalanced    references taken are given back: the references not owned
                     by the domain list are the same before and after, once the
                     references other threads took or gave back are counted
  lock-unbalanced    the domain is left locked or unlocked as the caller expects
                     (Begin and IsAllowed: as it was; PerformJob and Prepare:
                     unlocked), the driver lock as it was
  error-count        a failure raises exactly one error; a success raises none
  started-event-on-failure   no "started" event is queued for a failed start
  transient-left-behind      a failed prepare leaves no new inactive transient domain
  use-after-free     nothing touches a domain whose last reference is gone
  fd-leaked          no descriptor the call opened is left open (one an earlier
                     call left open is that call's leak)
"""
from ..port.registry import ENTRY_POINTS
from ..world.constants import QEMU_ASYNC_JOB_NAMES, VIR_DOMAIN_EVENT_STARTED

INVARIANTS = ["async-job-leaked", "refs-unbalanced", "lock-unbalanced", "error-count",
              "started-event-on-failure", "transient-left-behind", "use-after-free",
              "fd-leaked"]

# What each entry point promises (the lock it leaves, the async job it keeps, whether
# it defines its domain) is in its row of port/registry.py.


def check(function, failed, before, after, world, new_events):
    """Return the list of violations, each {"invariant": name, "detail": text}."""
    out = []
    entry = ENTRY_POINTS[function]

    def v(name, detail):
        out.append({"invariant": name, "detail": detail})

    b_async = before["async_job"] if before else "none"
    a_async = after["async_job"] if after and after["exists"] else "none"
    if a_async != "none" and _own_async(b_async, world.others_async):
        kept = (entry.keeps_async is not None and not failed
                and a_async == QEMU_ASYNC_JOB_NAMES[entry.keeps_async])
        if not kept:
            v("async-job-leaked", "the call started async job '%s' and %s with it still active"
              % (a_async, "failed" if failed else "returned"))

    if after and after["exists"]:
        held_before = (before["refs"] - before["in_list"]) if before else 0
        held_after = after["refs"] - after["in_list"] - world.others_refs
        if held_after != held_before:
            v("refs-unbalanced", "references not owned by the domain list went from %d to %d"
              % (held_before, held_after))
        want = entry.lock_after
        if want == "same" and before and after["locked"] != before["locked"]:
            v("lock-unbalanced", "domain lock was %s before and is %s after"
              % (_lk(before["locked"]), _lk(after["locked"])))
        elif want == "unlocked" and after["locked"]:
            v("lock-unbalanced", "domain is left locked")
        if (entry.defines_domain and failed and not after["persistent"]
                and after["in_list"] and after["id"] == -1 and not (before and before["in_list"])):
            v("transient-left-behind", "failed prepare left inactive transient domain '%s' "
              "in the domain list" % after["name"])
    if world.driver.locked is not True:
        v("lock-unbalanced", "driver lock is not held after the call")

    n = len(world.errors)
    if failed and n != 1:
        v("error-count", "failed with %d errors raised%s" % (n, _msgs(world)))
    elif not failed and n:
        v("error-count", "succeeded with %d error%s raised%s" % (n, "" if n == 1 else "s",
                                                               _msgs(world)))

    if failed and any(e.type == VIR_DOMAIN_EVENT_STARTED for e in new_events):
        v("started-event-on-failure", "a 'started' event was queued although the call failed")

    world_checks(world, v)
    return out


def world_checks(world, v):
    """The invariants about the world rather than a domain, through ``v(name, detail)``:
    no freed domain touched, no descriptor left open.  A whole migration checks them on
    each host too (engine/protocol.py)."""
    if world.touched_freed:
        v("use-after-free", "freed domain touched by %s" % ", ".join(world.touched_freed))
    leaked = world.fds_open - world.fds_at_start
    if leaked:
        v("fd-leaked", "descriptors left open: %s" % ", ".join(map(str, sorted(leaked))))


def _own_async(held_before, others):
    """Whether the async job left active was started by the call itself.

    Other threads act only while the call waits for its job, and the call starts
    at most one async job, after its waits: so the job left is another thread's
    if the last thing other threads did was to start one, and the one held before
    if that was not ended; otherwise the call started it.
    """
    if others and others[-1] == "started":
        return False
    return held_before == "none" or "ended" in others


def _lk(b):
    return "locked" if b else "unlocked"


def _msgs(world):
    if not world.errors:
        return ""
    return " (%s)" % "; ".join(e.message for e in world.errors)
