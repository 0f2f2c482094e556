"""Recorded stand-ins for every function the ported code calls but does not port.

Each stub appends itself to the trace (see ``runtime.stub``), does to the world
what the real function does to the state the ported code can observe, and,
when the fault plan says so, fails the way the real one fails: with the return
value it would give and the error it would raise (or none, where the real one
raises none).  Injected failures are allocation failures wherever the real
callee allocates, as under libvirt's old OOM test mode; callees that fail
through a system call fail with the errno that call would give.  The docstring
of each stub says what its failure looks like.
"""
import errno as _errno
import re
from collections import deque
from dataclasses import replace

from .constants import (NULL, QEMU_ASYNC_JOB_MIGRATION_IN,
                        QEMU_ASYNC_JOB_MIGRATION_OUT,
                        QEMU_ASYNC_JOB_NONE, QEMU_JOB_ASYNC_NESTED, QEMU_JOB_NONE,
                        QEMU_JOB_QUERY, VIR_DOMAIN_PAUSED,
                        VIR_DOMAIN_PAUSED_MIGRATION, VIR_DOMAIN_PAUSED_USER, VIR_DOMAIN_RUNNING,
                        VIR_DOMAIN_RUNNING_BOOTED, VIR_DOMAIN_RUNNING_MIGRATED,
                        VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_MIGRATED,
                        VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED,
                        VIR_DOMAIN_EVENT_STOPPED_MIGRATED,
                        VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED,
                        VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_MIGRATED,
                        VIR_DOMAIN_SHUTOFF_UNKNOWN, VIR_ERR_INTERNAL_ERROR, VIR_MIGRATE_LIVE,
                        VIR_DOMAIN_SHUTOFF_FAILED,
                        VIR_ERR_NO_MEMORY, VIR_ERR_OPERATION_FAILED, VIR_ERR_XML_ERROR,
                        VIR_ERR_OPERATION_INVALID, VIR_ERR_SYSTEM_ERROR, VIR_FROM_DOMAIN,
                        VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE,
                        VIR_DOMAIN_XML_UPDATE_CPU, VIR_FROM_LOCKING, VIR_FROM_NONE, VIR_FROM_QEMU,
                        migration_job_mask)
from .domxml import domain_xml
from .errors import new_error, strerror
from .objects import DomainObj, Event, Ptr
from .parsing import DomainXMLError, parse_domain_xml
from . import runtime
from .runtime import recorded

# --- C library and error reporting (not traced: they are macros or libc) ------


# The C library's and libvirt's macros that do nothing a run can see, as builtins, so that
# a call of one is no Python frame (about 1.4 calls a run):
# gettext: messages are kept untranslated (``str`` of a str is that very str; every caller
# hands it a literal)
_ = str
# ``x = VIR_FREE(x)``: any argument, None back (a deque that keeps nothing)
VIR_FREE = deque(maxlen=0).append


def cfmt(fmt, args):
    """printf as glibc does it for the conversions used here (%s of NULL is "(null)")."""
    if None not in args:        # (the common case: no NULL to spell; ``args`` a tuple)
        return fmt % tuple(args)
    return fmt % tuple("(null)" if a is None else a for a in args)


def NULLSTR(s):
    return "<null>" if s is None else s


def errno():
    return runtime._world.errno


def _report(domain, code, raw, reporter):
    # (``World.raise_error`` written out, here only: a call the less of the error a run
    # reports)
    w = runtime._world
    error = new_error(code, domain, raw, reporter)
    w.errors.append(error)
    w.last_error = error


# The stubs read the current world as ``runtime._world``, the cell ``current()`` returns
# (a call the less).

def qemuReportError(code, fmt, *args):
    """virReportErrorHelper(VIR_FROM_QEMU, code, ...) from a qemu_*.c file."""
    # (``cfmt`` skipped when no argument is NULL: about half the runs report one)
    _report(VIR_FROM_QEMU, code, fmt % args if None not in args else cfmt(fmt, args),
            runtime._world.frame)


def virDomainReportError(code, fmt, *args):
    """virReportErrorHelper(VIR_FROM_DOMAIN, code, ...) from src/conf/domain_conf.c."""
    _report(VIR_FROM_DOMAIN, code, cfmt(fmt, args), runtime._world.frame)


def virReportSystemError(errnum, fmt, *args):
    """virReportSystemErrorFull: the detail gets ": <strerror>" appended."""
    _report(VIR_FROM_QEMU, VIR_ERR_SYSTEM_ERROR, cfmt(fmt, args) + ": " + strerror(errnum),
            runtime._world.frame)


def virReportOOMError():
    _report(VIR_FROM_QEMU, VIR_ERR_NO_MEMORY, None, runtime._world.frame)


def _oom(domain, name):
    _report(domain, VIR_ERR_NO_MEMORY, None, name)


def VIR_DEBUG(fmt, *args):
    pass  # debug logging carries no behaviour (a Python function: "".format, say, costs more)


def VIR_WARN(fmt, *args):
    runtime._world.log("warning", cfmt(fmt, args))


def VIR_ERROR(fmt, *args):
    runtime._world.log("error", cfmt(fmt, args))


def VIR_FORCE_CLOSE(fds, i):
    """Close fds[i] if it is open and set it to -1.

    Closing a descriptor the world never handed out is a porting mistake, not an
    outcome: in C it would close one the process holds for itself (1 is stdout).
    """
    if fds[i] >= 0:
        w = runtime._world
        if fds[i] not in w.fds_open:
            raise StrayClose(fds[i], w.frame)
        w.fds_open.discard(fds[i])
    fds[i] = -1


class StrayClose(AssertionError):
    """VIR_FORCE_CLOSE of a descriptor that no stub opened (see VIR_FORCE_CLOSE)."""

    def __init__(self, fd, frame):
        super().__init__("%s: closes descriptor %d, which nothing opened" % (frame, fd))
        self.fd = fd


def virDomainObjIsActive(vm):
    """domain_conf.h inline: a domain is active while its def has an id."""
    if vm is not None and vm.freed:
        _touch(vm)
    return vm.def_.id != -1


def _touch(vm):
    """A stub handed a domain object: one whose last reference went is recorded as
    touched, by the function running now.  (The stubs called on most runs spell the
    test out, ``if vm is not None and vm.freed: _touch(vm)``: a call the less.)"""
    if vm is not None and vm.freed:
        w = runtime._world
        w.touched_freed.append(w.frame)


# --- clock, locks, references -------------------------------------------------


def virTimeMs(ms, *, fail):
    """virTimeMs (util.c:2442 @ e2fb96d9): fails as gettimeofday() would (EFAULT), reported
    from util.c."""
    w = runtime._world
    if fail:
        w.errno = _errno.EFAULT
        _report(VIR_FROM_NONE, VIR_ERR_SYSTEM_ERROR,
                "cannot get time of day: " + strerror(_errno.EFAULT), "virTimeMs")
        return -1
    ms.value = w.clock_ms
    return 0


def qemuDriverLock(driver, *, fail):
    """qemuDriverLock (qemu_conf.c:62 @ e2fb96d9): takes the driver lock (a mutex; it cannot
    fail)."""
    driver.locked = True


def qemuDriverUnlock(driver, *, fail):
    """qemuDriverUnlock (qemu_conf.c:66 @ e2fb96d9): releases the driver lock."""
    driver.locked = False


def virDomainObjLock(vm, *, fail):
    """virDomainObjLock (domain_conf.c:11254 @ e2fb96d9): takes the domain's lock.  It waits
    while another thread holds it: a wait point of a whole migration's host (WAIT_POINTS),
    where a wakeup scripted for this passage happens before the lock is taken (in the
    ported code, the re-lock of qemuDomainObjBeginJobInternal, qemu_domain.c:751-753 and
    :768-770, after the domain was unlocked to take the driver lock first)."""
    if vm is not None and vm.freed:
        _touch(vm)
    if runtime._world.drop_wakeups:     # (_waited's test written out: a call the less)
        _waited(vm)
    vm.locked = True


def virDomainObjUnlock(vm, *, fail):
    """virDomainObjUnlock (domain_conf.c:11259 @ e2fb96d9): releases the domain's lock."""
    if vm is not None and vm.freed:
        _touch(vm)
    vm.locked = False


def virDomainObjRef(vm, *, fail):
    """virDomainObjRef (domain_conf.c:1246 @ e2fb96d9): takes a reference on the domain object."""
    if vm is not None and vm.freed:
        _touch(vm)
    vm.refs += 1


def virDomainObjUnref(vm, *, fail):
    """virDomainObjUnref (domain_conf.c:1253 @ e2fb96d9): returns the references left; at none
    the object is freed (marked, not destroyed)."""
    if vm is not None and vm.freed:
        _touch(vm)
    vm.refs -= 1
    if vm.refs == 0:
        vm.freed = True
        vm.locked = False
    return vm.refs


def virCondWaitUntil(cond, vm, then, *, fail):
    """virCondWaitUntil (threads-pthread.c:124 @ e2fb96d9): the wait for a job that is held.

    Nothing else runs in this world, so a wait that is needed never ends: the
    clock jumps to the deadline and the wait fails with ETIMEDOUT, as it does
    upstream after QEMU_JOB_WAIT_TIME.  An injected fault fails it at once with
    EINVAL (pthread_cond_timedwait's other error).  In a whole migration it is a wait
    point (WAIT_POINTS): a wakeup scripted for this passage happens and the wait returns 0,
    woken (the caller's loop checks again, and waits again if it must).
    """
    w = runtime._world
    w.conditions.append("wait %s until %d" % (cond, then))
    if fail:
        w.errno = _errno.EINVAL
        return -1
    if w.wakeups:
        _wake(w, vm, w.wakeups.pop(0))
        return 0
    if _waited(vm):         # a whole migration's wakeup scripted for this wait: woken
        return 0
    w.clock_ms = max(w.clock_ms, then)
    w.errno = _errno.ETIMEDOUT
    return -1


def _wake(w, vm, what):
    """Another thread's doing while this one waits: "end-async" ends the async job it
    held, "end-job" ends its job, "end-job+start-async" ends the job and at once
    starts an async migration out (so the waiter must go round again),
    "remove-domain" removes the domain from the list (see _meanwhile).  Each job begun
    or ended saves an active domain's status (_save_job).  The thread that starts the
    migration out is a peer-to-peer PerformJob (qemu_migration.c:2209 @ e2fb96d9), which
    saves nothing more before it first lets go of the lock; Begin and a native PerformJob
    would set a phase first (:943, :2228), a third save the model leaves out, as it
    leaves that thread's phase.
    """
    if what == "remove-domain":
        # as virDomainRemoveInactive: out of the list, whose reference goes with it;
        # the waiter's own reference keeps the object
        del w.driver.domains[vm.def_.uuid]
        vm.refs -= 1
        return
    job = vm.privateData.job
    refs = vm.refs
    if what in ("end-job", "end-job+start-async"):
        job.active = QEMU_JOB_NONE
        _save_job(w, vm)
        vm.refs -= 1
    if what == "end-async":         # its qemuDomainObjEndAsyncJob (qemu_domain.c:859 @ e2fb96d9)
        port_function("qemuDomainObjResetAsyncJob")(vm.privateData)
        _save_job(w, vm)
        vm.refs -= 1
        w.others_async.append("ended")
    if what == "end-job+start-async":
        job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT
        job.mask = migration_job_mask(QEMU_ASYNC_JOB_MIGRATION_OUT)   # qemuMigrationJobStart's
        _save_job(w, vm)
        vm.refs += 1
        w.others_async.append("started")
    w.others_refs += vm.refs - refs


def _save_job(w, vm):
    """qemuDomainObjSaveJob as another thread's job calls run it, after a job begins or
    ends (qemu_domain.c:641-651, called at :756, :848 and :860 @ e2fb96d9): the status
    of an active domain saved (virDomainSaveStatus, which that thread's fault plan does
    not reach); that thread's call, so not in this one's trace."""
    if vm.def_.id != -1:
        w.driver.saved_status.append(vm.def_.name)


def _meanwhile(vm):
    """Where the real callee lets go of the domain lock (it talks to QEMU through the
    monitor: qemuProcessStart, doNativeMigrate, doPeer2PeerMigrate), another thread
    may run: a "remove-domain" next in World.wakeups happens here.  It is what the
    monitor's end-of-file handler does to a transient guest whose QEMU went away
    (qemuProcessHandleMonitorEOF: stopped, then virDomainRemoveInactive), and what
    upstream's "domain disappeared" checks after qemuMigrationJobContinue and
    qemuMigrationJobFinish are for.  The wakeups of a job wait stay for the wait.

    Where the stub running now is a lock-drop point of a whole migration's host
    (DROP_POINTS, World.lock_drops), a wakeup scripted for its nth passage
    (World.drop_wakeups, see _other_thread) happens here first.  qemuProcessStart is
    no such point (_lock_dropped passes it by): QEMU quitting inside it is the start
    failing, which the stub's own fault stands for."""
    w = runtime._world
    _lock_dropped(vm)
    if w.wakeups and w.wakeups[0] == "remove-domain":
        _wake(w, vm, w.wakeups.pop(0))


def _lock_dropped(vm):
    """A lock-drop point of a whole migration's host (the stub running now): counts its
    passage (World.lock_drops) and lets the wakeups scripted for it (World.drop_wakeups)
    happen, in order, if the point allows them (WAKEUP_POINTS).  The function-level
    doPeer2PeerMigrate stub's _meanwhile is none (the whole migrations run the ported
    one).  True when a wakeup happened."""
    w = runtime._world
    point = w.frame
    if point not in DROP_POINTS:
        return False
    return _passage(w, vm, point)


def _waited(vm):
    """A wait point of a whole migration's host (the stub running now, WAIT_POINTS): as
    _lock_dropped, counted only in a run that scripts wakeups (the points are passed on
    every lookup, lock and job wait, and wakeup_points enumerates DROP_POINTS only).
    True when a wakeup happened."""
    w = runtime._world
    if not w.drop_wakeups:
        return False
    return _passage(w, vm, w.frame)


def _passage(w, vm, point):
    n = w.lock_drops[point] = w.lock_drops.get(point, 0) + 1
    whats = [x for x in w.drop_wakeups.get((point, n), ()) if x in WAKEUP_POINTS[point]]
    if whats:
        w.drop_wakeups_fired.append((point, n))
    for what in whats:
        _other_thread(w, vm, what)
    return bool(whats)


def _other_thread(w, vm, what):
    """What another thread of the host does while this one has the domain unlocked
    (a scripted wakeup of a whole migration, DROP_WAKEUPS):

    - "remove-domain": another connection's Define of it, whose config save fails:
      the guest is given the definition and made persistent (_defined), then the
      domain's last reference that is not this thread's is dropped, taking it out
      of the list (as _wake's; nothing when the list no longer holds it);
    - "qemu-quits": QEMU exits on its own and the monitor's end-of-file handler
      runs, qemuProcessHandleMonitorEOF (qemu_process.c:115-160 @ e2fb96d9): nothing
      for an inactive domain (:130); the guests here have a JSON monitor and no
      SHUTDOWN event came first, so the reasons are a crash's (:138-144):
      a STOPPED/FAILED event (:146, queued on the driver: :157), qemuProcessStop
      with SHUTOFF/FAILED (:149; its body, as the stub models it), the audit record
      "failed" (:150), and a transient domain removed from the list (:152-153).
      That thread's calls are not this thread's, so none is in the trace.
    - "waits-for-job": another thread starts a job and waits for it (the job or the
      async job's mask refuses its job): it holds the reference qemuDomainObjBeginJobInternal
      took (qemu_domain.c:720), and nothing else, while it waits;
    - "hold-job": another thread takes a query job (:743) and keeps it through a monitor
      call QEMU does not answer (qemuMonitorSend waits for the reply without a deadline,
      qemu_monitor.c:801-802 @ e2fb96d9), past any wait of this thread: the job and its
      reference (:720), when no job is held and the domain's async job allows a query;
    - "nested-job": the thread of the domain's async job (another connection's Finish,
      say) is inside a monitor call: the nested job and its reference
      (qemuDomainObjEnterMonitorInternal :880-883), when an async job is held and no job;
    - "end-job": the job another thread held ends (qemuDomainObjEndJob :847-851): the job
      and its reference given back, when a job is held;
    - "incoming-cancelled": the incoming migration the domain's async job is (migration
      in) is cancelled by another connection's Finish (the source reports failure,
      qemu_migration.c:2603-2620 @ e2fb96d9): QEMU stopped (SHUTOFF/FAILED) with its
      audit record and a STOPPED/FAILED event, the async job ended (qemuMigrationJobFinish:
      it holds no reference across calls, qemuMigrationJobContinue gave it back), a
      transient domain taken out of the list; nothing when no incoming migration is held.
    What other threads hold at the end (references, the job) is theirs, not this
    thread's (World.others_held, World.others_job: the protocol's violations leave it out).
    """
    if what == "remove-domain":
        if w.driver.domains.get(vm.def_.uuid) is vm:
            _defined(vm)
            _wake(w, vm, what)
        return
    if what == "incoming-cancelled":
        if vm.privateData.job.asyncJob != QEMU_ASYNC_JOB_MIGRATION_IN:
            return
        port_function("qemuDomainObjResetAsyncJob")(vm.privateData)
        w.others_async.append("ended")
    elif what != "qemu-quits":
        _job_thread(w, vm, what)
        return
    if not virDomainObjIsActive(vm):
        return
    event = Event(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED, vm.def_.name)
    # the end-of-file handler stops QEMU as not migrated (:149), Finish as migrated (:2604)
    qemuProcessStop.__wrapped__(w.driver, vm, int(what == "incoming-cancelled"),
                                VIR_DOMAIN_SHUTOFF_FAILED, fail=False)
    virDomainAuditStop.__wrapped__(vm, "failed", fail=False)
    if not vm.persistent:
        virDomainRemoveInactive.__wrapped__(w.driver.domains, vm, fail=False)
    w.driver.events.append(event)


def _defined(vm):
    """What another connection's qemudDomainDefine does to a listed guest before its
    config save fails and it drops the guest from the list ("remove-domain" of a whole
    migration, DROP_WAKEUPS; qemu_driver.c:5028-5040 @ e2fb96d9): virDomainAssignDef
    finds the guest (domain_conf.c:1330-1332) and virDomainObjAssignDef (:1302-1320)
    gives it the new definition, as the one it takes when it stops (newDef, the one
    before freed) while it is active, as its definition (the old one freed) when not;
    then the guest is made persistent (qemu_driver.c:5034).  The definition it defines
    is the guest's own as it stands, its saved one if it has one, as the client reads it
    (formatted VIR_DOMAIN_XML_INACTIVE) and Define parses it (inactive): no id, and a
    display whose port is picked at start without the ports it was given (the format
    leaves them out, domain_conf.c's virDomainGraphicsDefFormat; the parse reads them as
    0, loader/domain.py parse_graphics)."""
    new = (vm.newDef if vm.newDef is not None else vm.def_).copy()
    new.id = -1
    new.graphics = [replace(g, port=0, tlsPort=0) if g.autoport else g for g in new.graphics]
    if virDomainObjIsActive(vm):
        vm.newDef = new
    else:
        vm.def_ = new
    vm.persistent = True


# The port's job functions another thread's wakeups run (_other_thread, _job_thread):
# qemuDomainObjResetAsyncJob and qemuDomainJobAllowed, by name, untraced (that thread's
# calls are not this one's).  Imports point port -> world, so the world does not import
# them: port/qemu_domain.py registers them when it is imported, a hook the world owns.
PORT_FUNCTIONS = {}
# the module whose functions they are, by name (the world imports no port module)
PORT_MODULE = "qemu_migration.port.qemu_domain"


class PortNotLoaded(LookupError):
    """A wakeup needs a port function that no port module registered."""


def register_port_functions(*functions):
    """Make ``functions`` the port's, by name, for the other threads: PORT_MODULE's only,
    whenever it registers them (again: the same ones).  A copy of that module loaded
    under another name (a test's port with a mistake planted in it) registers nothing,
    before the real one or after it: the world's other threads run the real functions."""
    for f in functions:
        if f.__module__ == PORT_MODULE:
            PORT_FUNCTIONS[f.__name__] = f


def port_function(name):
    """The port's function ``name`` (PORT_FUNCTIONS); PortNotLoaded, in words, when the
    port is not loaded (the world used without it)."""
    try:
        return PORT_FUNCTIONS[name]
    except KeyError:
        raise PortNotLoaded(
            "another thread's wakeup runs the port's %s, which is not registered: import "
            "%s (or qemu_migration.port), which registers it" % (name, PORT_MODULE)) \
            from None


def _job_thread(w, vm, what):
    """The job wakeups of _other_thread ("waits-for-job", "hold-job", "nested-job",
    "end-job"), with their bookkeeping."""
    job = vm.privateData.job
    refs = vm.refs
    if what == "waits-for-job":
        vm.refs += 1
    elif what == "hold-job":
        if job.active == QEMU_JOB_NONE and port_function("qemuDomainJobAllowed")(
                vm.privateData, QEMU_JOB_QUERY):
            job.active = QEMU_JOB_QUERY
            _save_job(w, vm)
            vm.refs += 1
    elif what == "nested-job":
        if job.active == QEMU_JOB_NONE and job.asyncJob:
            job.active = QEMU_JOB_ASYNC_NESTED
            _save_job(w, vm)
            vm.refs += 1
    elif job.active != QEMU_JOB_NONE:                       # "end-job"
        job.active = QEMU_JOB_NONE
        _save_job(w, vm)
        vm.refs -= 1
        vm.freed = vm.refs == 0
    w.others_held[id(vm)] = w.others_held.get(id(vm), 0) + vm.refs - refs
    w.others_job[id(vm)] = job.active


# what another thread can do at a lock-drop point of a whole migration (_other_thread)
# that wakeup_points enumerates for the matrix's wakeup rows.  Every such point has the
# domain and the driver unlocked (qemuDomainObjEnterMonitorInternal, qemu_domain.c:896-898
# @ e2fb96d9, and the remote and daemon points alike), so besides QEMU's end-of-file
# handler another connection's qemudDomainDefine may run there: of a guest that is
# running, on a host whose config save fails, it drops the *active* domain from the list
# (qemu_driver.c:5011-5040 @ e2fb96d9: virDomainAssignDef finds and locks the running
# guest, virDomainSaveConfig fails, virDomainRemoveInactive), taking no job; that is
# "remove-domain" (_defined: the guest keeps the definition it was given, as its newDef,
# and is left persistent)
DROP_WAKEUPS = ("qemu-quits", "remove-domain")
# ... and what it can do with the domain's jobs (scripted only: WAKEUP_ROWS, scenarios)
JOB_WAKEUPS = ("waits-for-job", "hold-job", "nested-job", "end-job", "incoming-cancelled")
# the stubs a host's code calls with the domain unlocked, where _lock_dropped counts a
# lock-drop point, and what another thread can do there (wakeup_points enumerates these):
# QEMU's migration (the monitor), giving the monitor or the remote daemon back
# (stubs_driver, stubs_p2p); and resuming the CPUs, where QEMU quitting would fail the
# 'cont' command, which is not modelled
DROP_POINTS = {"doNativeMigrate": DROP_WAKEUPS, "doTunnelMigrate": DROP_WAKEUPS,
               "qemuDomainObjExitMonitor": DROP_WAKEUPS,
               "qemuDomainObjExitMonitorWithDriver": DROP_WAKEUPS,
               "qemuDomainObjExitRemoteWithDriver": DROP_WAKEUPS,
               "qemuProcessStartCPUs": ("remove-domain",),
               # the daemon taking a Finish call (daemon_dispatch): the incoming guest
               # has been unlocked since its Prepare returned, and no lock is taken yet,
               # so QEMU's end-of-file handler or a Define may have run
               "daemon:domainMigrateFinish2": DROP_WAKEUPS,
               "daemon:domainMigrateFinish3": DROP_WAKEUPS}
# the stubs where a host's code waits for the domain's lock or for a job while other
# threads run (_waited), and what they can do there: a lookup's lock (every caller holds
# the driver lock, so no thread that needs it, QEMU's end-of-file handler or a removal,
# qemu_process.c:127, runs first), the re-lock after taking the driver lock, a job wait
WAIT_POINTS = {"virDomainFindByUUID": JOB_WAKEUPS,
               "virDomainObjLock": DROP_WAKEUPS + JOB_WAKEUPS,
               "virCondWaitUntil": DROP_WAKEUPS + JOB_WAKEUPS}
# every point a wakeup can be scripted at, with what can happen there: at a lock-drop
# point what DROP_POINTS enumerates there and the job wakeups, made from it (one table)
WAKEUP_POINTS = dict({p: whats + JOB_WAKEUPS for p, whats in DROP_POINTS.items()},
                     **WAIT_POINTS)
# the calls a host's daemon takes that are such a point, and which argument names the
# guest (Finish2 and Finish3 look the incoming guest up by its name, ``dname``)
DAEMON_POINTS = {"domainMigrateFinish2": 1, "domainMigrateFinish3": 1}


def daemon_dispatch(w, member, args):
    """The daemon of this host (``w``) taking a call of ``member`` (world/hosts.py
    remote_call), before its driver entry point runs: for the calls DAEMON_POINTS
    names, a lock-drop point "daemon:<member>" of a whole migration (counted in
    World.lock_drops), where the wakeups scripted for its nth passage happen to the
    guest the call names, if the host lists it (as _lock_dropped's): no thread of
    this call holds a lock yet, and another (the monitor's end-of-file handler) may
    have run since the phase before."""
    if member not in DAEMON_POINTS:
        return
    point = "daemon:" + member
    planned = w.drop_wakeups.get((point, w.lock_drops.get(point, 0) + 1))
    vm = w.driver.find_by_name(args[DAEMON_POINTS[member]]) if planned else None
    if vm is None:
        w.lock_drops[point] = w.lock_drops.get(point, 0) + 1
        return
    _passage(w, vm, point)


def virCondSignal(cond, *, fail):
    """virCondSignal (threads-pthread.c:139 @ e2fb96d9): wakes one waiter (recorded; nothing
    else runs in this world)."""
    runtime._world.conditions.append("signal %s" % cond)


def virCondBroadcast(cond, *, fail):
    """virCondBroadcast (threads-pthread.c:144 @ e2fb96d9): wakes every waiter (recorded;
    nothing else runs in this world)."""
    runtime._world.conditions.append("broadcast %s" % cond)


# --- auto-destroy, snapshots, status ------------------------------------------


def virDomainSaveStatus(caps, statusDir, vm, *, fail):
    """virDomainSaveStatus (domain_conf.c:10901 @ e2fb96d9): writes the status XML; fails on
    allocation (VIR_FROM_DOMAIN out of memory)."""
    if vm is not None and vm.freed:
        _touch(vm)
    if fail:
        _oom(VIR_FROM_DOMAIN, "virDomainSaveStatus")
        return -1
    runtime._world.driver.saved_status.append(vm.def_.name)
    return 0


def virHashLookup(table, key, *, fail):
    """virHashLookup (hash.c:373 @ e2fb96d9): the payload for ``key``, NULL when absent (the
    one table looked up here is ``driver->autodestroy``, whose payloads are connections)."""
    return table[key] if key in table else NULL


def virHashForEach(table, iter_, data, *, fail):
    """virHashForEach (hash.c:502 @ e2fb96d9): calls ``iter_`` on every entry (in the
    table's order: here the order the entries were added); returns how many it called it
    on.  ``iter_`` may remove the entry it is on (virHashRemoveEntry allows that one)."""
    entries = list(table.items())
    for name, obj in entries:
        iter_(obj, name, data)
    return len(entries)


# --- what the migration cookie asks of the host and the lock manager --------------
# (the cookie itself is ported: port/cookie.py)


def virGetHostUUID(uuid, *, fail):
    """virGetHostUUID (uuid.c:302 @ e2fb96d9): the host's UUID (``Driver.hostuuid``) into
    ``uuid``.

    The real one generates the UUID on first use (from SMBIOS, else at random) and
    fails only then; it reports nothing.  Faulted, it returns -1 with ``uuid``
    untouched.
    """
    if fail:
        return -1
    uuid.value = runtime._world.driver.hostuuid
    return 0


def virLockManagerPluginGetName(plugin):
    """lock_manager.c: the plugin's name; here the plugin is that name."""
    return plugin


def virLockManagerPluginUsesState(plugin):
    """lock_manager.c: whether the driver hands state between hosts (sanlock does, the
    default "nop" does not)."""
    return plugin != "nop"


def virDomainLockProcessInquire(plugin, vm, state, *, fail):
    """virDomainLockProcessInquire (domain_lock.c:208 @ e2fb96d9): the lock state of a
    running domain into ``state``.

    The "nop" plugin gives NULL; another plugin gives ``<name>-lease`` for a domain
    (what sanlock hands over is opaque to the caller).  The only failure a caller can
    see is the allocation of the lock manager object (virLockManagerNew: out of
    memory, VIR_FROM_LOCKING).
    """
    _touch(vm)
    if fail:
        _oom(VIR_FROM_LOCKING, "virLockManagerNew")
        return -1
    state.value = NULL if plugin == "nop" else "%s-lease" % vm.def_.name
    return 0


def virDomainGraphicsListenGetAddress(def_, ii):
    """domain_conf.c: the address of the device's listen ``ii`` (NULL if none).  A device
    here has at most one listen (``<listen>`` or the ``listen`` attribute): there is none
    past index 0, which upstream's virDomainGraphicsGetListen answers with NULL."""
    return def_.listen if ii == 0 else NULL


def qemuDomainExtractTLSSubject(certdir, *, fail):
    """qemuDomainExtractTLSSubject (qemu_migration.c:143 @ e2fb96d9): the subject of
    ``certdir``/server-cert.pem (not ported: it reads a certificate with gnutls).  Only
    called with TLS on for VNC or SPICE, which no world here turns on; its failure (an
    unreadable certificate) is not modelled."""
    return "C=GB,O=Example,CN=%s" % runtime._world.driver.hostname


# --- domain definitions ----------------------------------------------------------


def virDomainDefParseString(caps, xml, expectedVirtTypes, flags, *, fail):
    """virDomainDefParseString (domain_conf.c:7379 @ e2fb96d9): parses domain XML; fails on
    allocation (VIR_FROM_DOMAIN out of memory).

    Scenario files were validated when loaded; here the string is parsed again,
    as upstream parses what it is handed.  Text that does not parse (an empty
    xmlin, say) fails with the XML error libxml2's reader gives (libvirt may
    also raise a detail error before it; only the final one is modelled).
    """
    if fail:
        _oom(VIR_FROM_DOMAIN, "virDomainDefParseString")
        return NULL
    try:
        return parse_domain_xml(xml, "<xml>")
    except DomainXMLError:
        _report(VIR_FROM_DOMAIN, VIR_ERR_XML_ERROR, "failed to parse xml document",
                "virDomainDefParseString")
        return NULL


def virDomainDefFree(def_):
    pass


def virCPUDefIsEqual(src, dst, *, fail):
    """virCPUDefIsEqual (cpu_conf.c:454 @ e2fb96d9), as virDomainDefCheckABIStability calls
    it on the two definitions' ``cpu``.  The model carries no <cpu>, so both are NULL and
    upstream returns true at once (:460-461); that is all this models."""
    return src is NULL and dst is NULL


def virSysinfoIsEqual(src, dst, *, fail):
    """virSysinfoIsEqual (sysinfo.c:838 @ e2fb96d9), on the two definitions' ``sysinfo``.
    The model carries no <sysinfo>, so both are NULL and upstream returns true at once;
    that is all this models."""
    return src is NULL and dst is NULL


_FORMAT_FLAGS = [(VIR_DOMAIN_XML_SECURE, "secure"), (VIR_DOMAIN_XML_INACTIVE, "inactive"),
                 (VIR_DOMAIN_XML_UPDATE_CPU, "update-cpu")]


def format_def(def_, flags):
    """The text the format stubs return: the definition as domain XML the loader reads
    back (world/domxml.py), after a comment naming the format flags it was asked for (the
    stub world does not model what secure or update-cpu change in the real XML, so it
    shows them)."""
    names = ",".join(n for bit, n in _FORMAT_FLAGS if flags & bit) or "none"
    return "<!-- flags: %s -->%s" % (names, domain_xml(def_))


def qemuDomainDefFormatXML(driver, def_, flags, *, fail):
    """qemuDomainDefFormatXML (qemu_domain.c:1029 @ e2fb96d9): formats a definition; fails on
    allocation (VIR_FROM_DOMAIN out of memory)."""
    if fail:
        _oom(VIR_FROM_DOMAIN, "qemuDomainDefFormatXML")
        return NULL
    return format_def(def_, flags)


def qemuDomainFormatXML(driver, vm, flags, *, fail):
    """qemuDomainFormatXML (qemu_domain.c:1061 @ e2fb96d9): formats the domain's definition;
    fails as qemuDomainDefFormatXML does."""
    _touch(vm)
    if fail:
        _oom(VIR_FROM_DOMAIN, "qemuDomainFormatXML")
        return NULL
    return format_def(vm.def_, flags)


# --- the domain list -------------------------------------------------------------


def _find_by_uuid(driver, uuid):
    return driver.domains.get(uuid)


def virDomainObjIsDuplicate(doms, def_, check_active, *, fail):
    """virDomainObjIsDuplicate (domain_conf.c:11201 @ e2fb96d9): the real duplicate check
    against the driver's list (it allocates nothing)."""
    vm = _find_by_uuid(runtime._world.driver, def_.uuid)
    if vm is not None:
        if vm.def_.name != def_.name:
            _report(VIR_FROM_DOMAIN, VIR_ERR_OPERATION_FAILED,
                    "domain '%s' is already defined with uuid %s" % (vm.def_.name,
                                                                     vm.def_.uuid),
                    "virDomainObjIsDuplicate")
            return -1
        if check_active and vm.def_.id != -1:
            _report(VIR_FROM_DOMAIN, VIR_ERR_OPERATION_INVALID,
                    "domain is already active as '%s'" % vm.def_.name,
                    "virDomainObjIsDuplicate")
            return -1
        return 1
    vm = runtime._world.driver.find_by_name(def_.name)
    if vm is not None:
        _report(VIR_FROM_DOMAIN, VIR_ERR_OPERATION_FAILED,
                "domain '%s' already exists with uuid %s" % (def_.name, vm.def_.uuid),
                "virDomainObjIsDuplicate")
        return -1
    return 0


def virDomainAssignDef(caps, doms, def_, live, *, fail):
    """virDomainAssignDef (domain_conf.c:1322 @ e2fb96d9): adds the definition to the list, or
    gives it to the inactive domain already
    there (a live assignment keeps that domain's own definition as newDef, to be
    restored when it stops; otherwise the old definition is dropped); the object
    comes back locked.  Fails on allocation of a new object (VIR_FROM_DOMAIN out
    of memory); an existing object needs no allocation.  Its one caller runs the
    duplicate check first, which refuses an active domain, so only inactive ones
    are modelled.
    """
    w = runtime._world
    driver = w.driver
    vm = _find_by_uuid(driver, def_.uuid)
    if vm is not None:
        w.assigned.append(vm)
        vm.locked = True
        if live:
            if vm.newDef is None:
                vm.newDef = vm.def_
        vm.def_ = def_
        return vm
    if fail:
        _oom(VIR_FROM_DOMAIN, "virDomainAssignDef")
        return NULL
    vm = DomainObj(def_=def_, persistent=False, refs=1, locked=True)
    driver.domains[def_.uuid] = vm
    w.assigned.append(vm)
    return vm


def virDomainRemoveInactive(doms, vm, *, fail):
    """virDomainRemoveInactive (domain_conf.c:1418 @ e2fb96d9): unlocks the domain and drops
    the list's entry of its uuid, which drops that entry's reference (virHashRemoveEntry,
    hash.c:460-486, freeing with virDomainObjListDataFree, domain_conf.c:547-552).  A uuid
    the list no longer holds (QEMU's end-of-file handler took a transient guest out while
    the caller had it unlocked) is no entry: nothing more happens (hash.c:486)."""
    _touch(vm)
    driver = runtime._world.driver
    vm.locked = False
    entry = driver.domains.pop(vm.def_.uuid, None)
    if entry is not None:
        entry.refs -= 1
        entry.freed = entry.refs == 0


def virDomainDeleteConfig(configDir, autostartDir, vm, *, fail):
    """virDomainDeleteConfig (domain_conf.c:11093 @ e2fb96d9): removes the persistent config;
    fails as unlink() would (EACCES)."""
    _touch(vm)
    if fail:
        _report(VIR_FROM_DOMAIN, VIR_ERR_SYSTEM_ERROR,
                "cannot remove config %s/%s.xml: %s" % (configDir, vm.def_.name,
                                                         strerror(_errno.EACCES)),
                "virDomainDeleteConfig")
        return -1
    runtime._world.driver.deleted_configs.append(vm.def_.name)
    return 0


def virDomainObjGetState(vm, reason, *, fail):
    """virDomainObjGetState (domain_conf.c:12044 @ e2fb96d9): the domain's state; the callers
    here pass reason=NULL."""
    _touch(vm)
    return vm.state


def virDomainObjSetState(vm, state, reason):
    vm.state = state
    vm.reason = reason


# --- processes --------------------------------------------------------------------


QEMU_VNC_PORT_MIN = 5900      # qemu_conf.h @ e2fb96d9


def _next_free_port(driver, startPort):
    """qemuProcessNextFreePort (qemu_process.c:1959 @ e2fb96d9): the first port from
    ``startPort`` that the driver has not reserved (driver->reservedVNCPorts) and that
    binds, reserved now.  A port binds here unless a QEMU of an active domain of this
    host listens on it (a display's port or TLS port).  Its failures (socket() or
    setsockopt() failing, every port taken) are not modelled: -1 is never returned."""
    listening = {p for vm in driver.domains.values() if vm.def_.id != -1
                 for g in vm.def_.graphics for p in (g.port, g.tlsPort)}
    port = startPort
    while port in driver.reservedVNCPorts or port in listening:
        port += 1
    driver.reservedVNCPorts.add(port)
    return port


def _return_port(driver, port):
    """qemuProcessReturnPort (qemu_process.c:2014 @ e2fb96d9): a port below the range is
    ignored, any other no longer reserved."""
    if port < QEMU_VNC_PORT_MIN:
        return
    driver.reservedVNCPorts.discard(port)


def _stop_failed(driver, vm):
    """qemuProcessStart's ``cleanup`` (:3029-3036): qemuProcessStop(driver, vm, 0,
    VIR_DOMAIN_SHUTOFF_FAILED), -1."""
    qemuProcessStop(driver, vm, 0, VIR_DOMAIN_SHUTOFF_FAILED)
    return -1


def qemuProcessStart(conn, driver, vm, migrateFrom, start_paused, autodestroy, stdin_fd,
                     stdin_path, snapshot, vmop, *, fail):
    """qemuProcessStart (qemu_process.c:2615 @ e2fb96d9): starts QEMU, paused or running,
    marked for auto-destroy or not.

    Models what its caller can see afterwards: the refusal of an active domain
    (:2642, before anything changes), virDomainObjSetDefTransient (domain_conf.c:1361:
    a persistent domain without a ``newDef`` gets a copy of its definition kept as
    ``newDef``), the id taken from ``driver->nextvmid`` (:2656), the state
    SHUTOFF/unknown (:2658), the port of a lone VNC or SPICE display with autoport
    (a VNC one not on a socket: the world's displays have none; :2702-2735: the
    first free one from 5900, qemuProcessNextFreePort, above; a SPICE
    TLS port after it with ``driver->spiceTLS``, else -1; set on the live definition,
    not on the saved one), the -incoming source and the descriptor it reads from
    (logged, as the real one writes the command line to the domain's log), the
    early status saved (:2909, virDomainSaveStatus), the guest left paused when it
    is migrated in (``migrateFrom`` forces ``start_paused``, :2948; PAUSED/migration,
    or PAUSED/user without ``migrateFrom``, :3009-3012) or resumed by
    qemuProcessStartCPUs (RUNNING/booted, which gives up ``priv->lockState``; its
    failure reports "resume operation failed" when it reported nothing itself,
    :2999-3006), the auto-destroy registration (:3015-3017), and the status saved
    again (:3020): on success the status is saved twice.
    An injected failure is an allocation failure after the id and the ports were
    assigned (VIR_FROM_QEMU out of memory, as VIR_ALLOC(priv->monConfig) at :2761):
    the real one then runs its ``cleanup``, which calls qemuProcessStop(driver, vm,
    0, VIR_DOMAIN_SHUTOFF_FAILED) (:3034), so the id stays used, the domain is
    inactive and a saved persistent definition is restored (qemu_process.c:3260-3265).
    A failure of either status save goes to the same ``cleanup``, with that stub's
    error.  Every other failure of the real one (the command, the monitor, cgroups,
    labels, the auto-destroy table: tests/test_process_start_c.py runs each against
    the compiled function) leaves the state the injected one leaves, with its own
    error.  Not modelled: the failure of the definition's copy (:2653, before the
    id), which needs a persistent domain without ``newDef`` (its one caller,
    qemuMigrationPrepareAny, passes a domain virDomainAssignDef made transient or
    gave a ``newDef``); a failure after a running start resumed the guest (the lock
    state is given up by then; PrepareAny starts paused); hooks, devices, security
    labels, cgroups and the monitor.
    """
    _touch(vm)
    if vm.def_.id != -1:                                            # :2642, IsActive
        qemuReportError(VIR_ERR_OPERATION_INVALID, "%s", "VM is already active")
        return -1
    if vm.persistent and vm.newDef is None:                        # SetDefTransient
        vm.newDef = vm.def_.copy()
    vm.def_.id = driver.nextvmid
    driver.nextvmid += 1
    virDomainObjSetState(vm, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN)
    if len(vm.def_.graphics) == 1:                                  # :2702-2735
        g = vm.def_.graphics[0]
        if g.type == "vnc" and g.autoport:
            vm.def_.graphics = [replace(g, port=_next_free_port(driver, QEMU_VNC_PORT_MIN))]
        elif g.type == "spice" and g.autoport:
            port = _next_free_port(driver, QEMU_VNC_PORT_MIN)
            tlsPort = _next_free_port(driver, port + 1) if driver.spiceTLS else -1
            vm.def_.graphics = [replace(g, port=port, tlsPort=tlsPort)]
    if fail:
        _oom(VIR_FROM_QEMU, "qemuProcessStart")
        return _stop_failed(driver, vm)
    runtime._world.log("qemu", "-incoming %s%s" % (migrateFrom, " (stdin fd %d)" % stdin_fd
                                               if stdin_fd >= 0 else ""))
    if virDomainSaveStatus(driver.caps, driver.stateDir, vm) < 0:   # :2909
        return _stop_failed(driver, vm)
    _meanwhile(vm)                      # the monitor is waited for without the domain lock
    if migrateFrom is not NULL:
        start_paused = True
    if not start_paused:
        if qemuProcessStartCPUs(driver, vm, conn, VIR_DOMAIN_RUNNING_BOOTED,
                                QEMU_ASYNC_JOB_NONE) < 0:
            if runtime._world.last_error is None:
                qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "resume operation failed")
            return _stop_failed(driver, vm)
    else:
        virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION
                             if migrateFrom is not NULL else VIR_DOMAIN_PAUSED_USER)
    if autodestroy:
        driver.autodestroy[vm.def_.uuid] = conn      # qemuProcessAutoDestroyAdd (:3016)
    if virDomainSaveStatus(driver.caps, driver.stateDir, vm) < 0:   # :3020
        return _stop_failed(driver, vm)
    return 0


def qemuProcessStop(driver, vm, migrated, reason, *, fail):
    """qemuProcessStop (qemu_process.c:3078 @ e2fb96d9): stops QEMU.

    Models: the debug line naming ``migrated`` (logged; it tells the real one to
    leave the labels of shared disks alone for the destination), the early
    return for an inactive domain (:3095), the auto-destroy entry dropped (:3160),
    the ports of a lone autoport VNC or SPICE display given back (:3227-3238; the
    definition keeps them), the id set to -1 and the state to SHUTOFF with
    ``reason`` (:3242-3243), and a saved ``newDef`` restored as the definition
    (:3260-3265).  An injected failure (of an active domain's stop: an inactive
    one returns first) is the allocation of the log's timestamp (:3107-3108,
    VIR_FROM_QEMU out of memory, reported by qemuProcessStop): it is reported
    before the caller's error is saved (:3127) and put back (:3268), so it
    replaces the caller's error as the last one, and the stop goes on.  Opening
    the log failing (:3101, qemuDomainOpenLogHelper's EACCES) does the same with
    its own error.  Not modelled: killing the process, labels, cgroups, hooks
    (their errors come after the save and are undone by the restore: the
    differential test, tests/test_process_start_c.py, shows the state the same).
    """
    _touch(vm)
    runtime._world.log("qemu", "stopped migrated=%d" % migrated)
    if vm.def_.id == -1:
        return
    if fail:
        _oom(VIR_FROM_QEMU, "qemuProcessStop")
    driver.autodestroy.pop(vm.def_.uuid, None)     # qemuProcessAutoDestroyRemove (:3160)
    if len(vm.def_.graphics) == 1 and vm.def_.graphics[0].autoport:
        g = vm.def_.graphics[0]
        if g.type == "vnc":
            _return_port(driver, g.port)
        elif g.type == "spice":
            _return_port(driver, g.port)
            _return_port(driver, g.tlsPort)
    vm.def_.id = -1
    virDomainObjSetState(vm, VIR_DOMAIN_SHUTOFF, reason)
    if vm.newDef is not None:
        vm.def_ = vm.newDef
        vm.def_.id = -1
        vm.newDef = None


def qemuProcessStartCPUs(driver, vm, conn, reason, asyncJob, *, fail):
    """qemuProcessStartCPUs (qemu_process.c:2156 @ e2fb96d9): resumes the guest.

    Models: the lock state handed to the lock manager and freed once it resumed
    (:2164-2171), the state RUNNING with ``reason`` on success (:2180).  An
    injected failure is the monitor's 'cont' failing on allocation (VIR_FROM_QEMU
    out of memory): the state stays, and the lease is paused again, which gives
    ``priv->lockState`` back (:2182; the lock manager of this world hands back the
    state it was given, so the value is unchanged).  The monitor's 'cont' runs with
    the domain unlocked (qemuDomainObjEnterMonitorAsync, :2174): a lock-drop point.
    """
    _touch(vm)
    _lock_dropped(vm)
    lock = vm.privateData.lockState
    vm.privateData.lockState = None
    if fail:
        _oom(VIR_FROM_QEMU, "qemuProcessStartCPUs")
        vm.privateData.lockState = lock
        return -1
    virDomainObjSetState(vm, VIR_DOMAIN_RUNNING, reason)
    return 0


# --- the migration itself ------------------------------------------------------------


_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*\Z")


def xmlParseURI(uri):
    """libxml2's xmlParseURI as far as the migration code needs it: whether the text is an
    RFC 3986 URI reference (characters allowed, and a port of digits only after an
    authority).  Returns the text, or NULL for text it refuses; NULL in gives NULL."""
    if uri is None or not _URI_CHARS.match(uri):
        return NULL
    m = _URI_SCHEME.match(uri)
    rest = uri[m.end():] if m else uri
    if rest.startswith("//"):
        authority = re.split(r"[/?#]", rest[2:])[0]
        hostport = authority.rpartition("@")[2]
        if not hostport.startswith("[") and ":" in hostport:
            port = hostport.rpartition(":")[2]
            if not port.isdigit() and port != "":
                return NULL
    return uri


def _set_offline(driver, vm):
    """qemuMigrationSetOffline (qemu_migration.c:747 @ e2fb96d9) with qemuProcessStopCPUs
    (qemu_process.c:2192): the guest paused for migration, and a SUSPENDED event
    (detail MIGRATED) queued when one could be built.  The lock state is freed and
    taken back from the lock manager (unchanged in this world)."""
    virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_MIGRATION)
    event = virDomainEventNewFromObj(vm, VIR_DOMAIN_EVENT_SUSPENDED,
                                     VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED)
    if event is not NULL:
        qemuDomainEventQueue(driver, event)


def _migration_run(driver, vm, flags, fail):
    """qemuMigrationRun (qemu_migration.c:1424 @ e2fb96d9) as the source sees it: a
    non-live migration of a running guest pauses it first (:1465-1468); the
    migration then fails (an injected failure: QEMU reports the migration job
    failed, VIR_ERR_OPERATION_FAILED "migration job: unexpectedly failed", :823,
    leaving the guest as it was) or completes, and a guest still running is paused
    (:1562-1564).  Returns 0 or -1.  A guest whose QEMU quit meanwhile (a scripted
    "qemu-quits" at the caller's _meanwhile: while the monitor ran the migrate
    command, :1471-1514) is no longer active at :1519: VIR_ERR_INTERNAL_ERROR "guest
    unexpectedly quit", -1 (the non-live pause before it is not modelled then; the
    function-level doPeer2PeerMigrate stub is no lock-drop point, so no check)."""
    if runtime._world.frame in DROP_POINTS and not virDomainObjIsActive(vm):
        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", _("guest unexpectedly quit"))
        return -1
    if not (flags & VIR_MIGRATE_LIVE) and vm.state == VIR_DOMAIN_RUNNING:
        _set_offline(driver, vm)
    if fail:
        qemuReportError(VIR_ERR_OPERATION_FAILED, _("%s: %s"), _("migration job"),
                        _("unexpectedly failed"))
        return -1
    if vm.state == VIR_DOMAIN_RUNNING:
        _set_offline(driver, vm)
    return 0


def doNativeMigrate(driver, vm, uri, cookiein, cookieinlen, cookieout, cookieoutlen,
                    flags, resource, *, fail):
    """doNativeMigrate (qemu_migration.c:1599 @ e2fb96d9) with qemuMigrationRun (:1424).

    Models: the URI fix-up of a "tcp:" URI into "tcp://" by virAsprintf, whose
    allocation failure is reported (VIR_FROM_QEMU out of memory) with the guest
    untouched (:1619-1623); a URI xmlParseURI refuses gives VIR_ERR_INTERNAL_ERROR
    "cannot parse URI %s" (:1631-1634), guest untouched (a NULL URI is refused the
    same way; the C would pass it to strncmp); a QEMU without the migrate-fd
    capability (host destination, :1655-1658); then qemuMigrationRun's pauses
    through qemuMigrationSetOffline (:1467 before a non-live migration, :1563 after
    completion) with their SUSPENDED/MIGRATED events, and its failure (see
    ``_migration_run``: the injected failure of this stub).  On success the
    out-cookie names the domain (qemuMigrationBakeCookie with flags 0 at :1581
    writes name, uuid and host, when a cookie is asked for; the cookie is ported
    separately).
    Not modelled: the lock-driver cookie check (:1447; this world's lock manager
    needs none), the graphics relocation, the monitor calls, cancel.
    """
    _touch(vm)
    if uri is not None and STRPREFIX(uri, "tcp:") and not STRPREFIX(uri, "tcp://"):
        tmp = Ptr()
        if virAsprintf(tmp, "tcp://%s", uri[len("tcp:"):]) < 0:
            virReportOOMError()
            return -1
        uribits = xmlParseURI(tmp.value)
    else:
        uribits = xmlParseURI(uri)
    if uribits is NULL:
        qemuReportError(VIR_ERR_INTERNAL_ERROR, _("cannot parse URI %s"), uri)
        return -1
    _meanwhile(vm)                      # qemuMigrationRun talks to the monitor unlocked
    if _migration_run(driver, vm, flags, fail) < 0:
        return -1
    if cookieout is not NULL:           # v2 peer-to-peer asks for none (:1856)
        cookieout.value = "<qemu-migration name='%s'/>" % vm.def_.name
    return 0


def doPeer2PeerMigrate(driver, conn, vm, xmlin, dconnuri, uri, flags, dname, resource,
                       v3proto, *, fail):
    """doPeer2PeerMigrate (qemu_migration.c:2098 @ e2fb96d9) with doPeer2PeerMigrate2
    (:1768) and doPeer2PeerMigrate3 (:1907), as PerformJob sees the source after it.

    The destination daemon tells whether it speaks v3 (``World.peer_v3``), which
    sets ``*v3proto`` (:2135).  Both flows then run the migration on the source
    (``_migration_run``: pauses through qemuMigrationSetOffline with their events;
    the injected failure of this stub is that run failing, with its error kept as
    the one reported, :2005-2006/:1860).  After the run:

    - v3 ends in qemuMigrationConfirm (:2064, :2636): on success it stops the
      source (qemuProcessStop migrated=1, SHUTOFF/MIGRATED, :2668), audits the stop
      and queues a STOPPED/MIGRATED event; after a failed run (Finish3 cancelled
      gives no domain) it resumes the source whatever its state (qemuProcessStartCPUs,
      RUNNING/MIGRATED, :2681), queues RESUMED/MIGRATED and saves the status.
    - v2 leaves the source as the run did (Finish2 runs on the destination);
      PerformJob stops it on success and resumes it on failure.

    Not modelled (issue 9 ports these flows): the connection to the destination
    and its failures, the second qemuMigrationBegin of v3 on the source (its
    IsAllowed and xmlin ABI checks, its phase and status saves), the migration
    phases and their status saves, Prepare/Finish on the destination, the URI the
    destination hands back (always parseable here), tunnelling, cookies.
    """
    _touch(vm)
    _meanwhile(vm)
    v3proto.value = runtime._world.peer_v3
    ret = _migration_run(driver, vm, flags, fail)
    if not v3proto.value:
        return ret
    if ret == 0:
        qemuProcessStop(driver, vm, 1, VIR_DOMAIN_SHUTOFF_MIGRATED)
        virDomainAuditStop(vm, "migrated")
        event = virDomainEventNewFromObj(vm, VIR_DOMAIN_EVENT_STOPPED,
                                         VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
    else:
        if qemuProcessStartCPUs(driver, vm, conn, VIR_DOMAIN_RUNNING_MIGRATED,
                                QEMU_ASYNC_JOB_MIGRATION_OUT) < 0:
            return ret
        event = virDomainEventNewFromObj(vm, VIR_DOMAIN_EVENT_RESUMED,
                                         VIR_DOMAIN_EVENT_RESUMED_MIGRATED)
        virDomainSaveStatus(driver.caps, driver.stateDir, vm)
    if event is not NULL:
        qemuDomainEventQueue(driver, event)
    return ret


# --- audit and events --------------------------------------------------------------


def virDomainAuditStart(vm, reason, success, *, fail):
    """virDomainAuditStart (domain_audit.c:576 @ e2fb96d9): the audit record of a start
    (logged; it cannot fail)."""
    _touch(vm)
    runtime._world.log("audit", "start reason=%s success=%s" % (reason, "yes" if success else "no"))


def virDomainAuditStop(vm, reason, *, fail):
    """virDomainAuditStop (domain_audit.c:614 @ e2fb96d9): the audit record of a stop (logged;
    it cannot fail)."""
    _touch(vm)
    runtime._world.log("audit", "stop reason=%s" % reason)


def virDomainEventNewFromObj(vm, type_, detail, *, fail):
    """virDomainEventNewFromObj (domain_event.c:667 @ e2fb96d9): builds an event; fails on
    allocation (VIR_FROM_NONE out of memory from the
    event code) and returns NULL, which the callers take as 'no event'.
    """
    _touch(vm)
    if fail:
        _oom(VIR_FROM_NONE, "virDomainEventNewFromObj")
        return NULL
    return Event(type_, detail, vm.def_.name)


def qemuDomainEventQueue(driver, event, *, fail):
    """qemuDomainEventQueue (qemu_domain.c:142 @ e2fb96d9): queues the event
    (virDomainEventStateQueue; void, it
    cannot fail: a full queue only drops the event)."""
    driver.events.append(event)


# --- pipes and streams (tunnelled prepare) --------------------------------------------


def pipe(fds, *, fail):
    """pipe(2); an injected failure is EMFILE and, like pipe(2), reports nothing."""
    w = runtime._world
    if fail:
        w.errno = _errno.EMFILE
        return -1
    fds[0], fds[1] = w.next_fd, w.next_fd + 1
    w.next_fd += 2
    w.fds_open.update(fds)
    return 0


def virSetCloseExec(fd, *, fail):
    """virSetCloseExec (util.c:284 @ e2fb96d9): fcntl(F_SETFD); an injected failure is EBADF
    and reports nothing."""
    if fail:
        runtime._world.errno = _errno.EBADF
        return -1
    return 0


def virFDStreamOpen(st, fd, *, fail):
    """virFDStreamOpen (fdstream.c:435 @ e2fb96d9): hands the fd to the stream; fails as its
    fcntl() calls would (EBADF, nothing
    reported).  On success the stream owns the fd.
    """
    w = runtime._world
    if fail:
        w.errno = _errno.EBADF
        return -1
    w.fds_open.discard(fd)
    return 0


# --- libc and util helpers of the direct prepare ---------------------------------------


def strdup(s, *, fail):
    """strdup(3): NULL on allocation failure, reporting nothing."""
    if fail:
        runtime._world.errno = _errno.ENOMEM
        return NULL
    return s


def virGetHostname(conn, *, fail):
    """virGetHostname (util.c:1866 @ e2fb96d9): the host's name (``Driver.hostname``).

    The names this world holds are fully qualified or start with "localhost", so the
    real one returns a strdup() of gethostname()'s answer without asking getaddrinfo
    (:1881-1889); its one failure is then that allocation, reported as out of memory
    from util.c (VIR_FROM_NONE, :1921-1922).  (gethostname() into its own buffer
    cannot fail.)
    """
    if fail:
        _oom(VIR_FROM_NONE, "virGetHostname")
        return NULL
    return runtime._world.driver.hostname


def virAsprintf(strp, fmt, *args, fail):
    """virAsprintf (util.c:1595 @ e2fb96d9): through virVasprintf (:1579), asprintf into
    ``strp``; on allocation failure ``*strp`` is set to NULL and -1 returned, reporting nothing."""
    if fail:
        strp.value = NULL
        return -1
    strp.value = cfmt(fmt, args)
    return len(strp.value)


def virBufferGrow(size, *, fail):
    """virBufferGrow (buf.c:60 @ e2fb96d9): here its reallocation (:72, VIR_REALLOC_N of a
    buffer's content to ``size`` bytes), the one place a virBuffer fails: called by
    world/xmlutil.py's buffer only when the buffer must grow (the first addition, and
    any that does not fit), as upstream reallocates only then.  An injected failure is
    that allocation failing: -1, nothing reported (the buffer is put in error,
    virBufferSetError, and its owner reports it when it asks virBufferError)."""
    if fail:
        return -1
    return 0


def STRPREFIX(s, prefix):
    return s.startswith(prefix)


def virParseNumber(p):
    """util.c virParseNumber: decimal digits at *p, advancing it; -1 when none.

    ``p`` is a Ptr holding (string, index).
    """
    s, i = p.value
    start = i
    ret = 0
    while i < len(s) and s[i].isdigit() and s[i] in "0123456789":
        ret = ret * 10 + int(s[i])
        if ret > 2147483647:
            return -1
        i += 1
    if i == start:
        return -1
    p.value = (s, i)
    return ret


# Every stub is recorded in the trace when called; the faultable ones fail when the
# fault plan names them (runtime.recorded wraps them here rather than by decorator,
# so that mutation tools see plain functions).  FAULTABLE: the stubs a fault plan
# may name (each entry point's share of them is in port/registry.py); PLAIN: the others.
FAULTABLE = sorted([
    'virTimeMs',
    'virCondWaitUntil',
    'virDomainSaveStatus',
    'virGetHostUUID',
    'virDomainLockProcessInquire',
    'virDomainDefParseString',
    'qemuDomainDefFormatXML',
    'qemuDomainFormatXML',
    'virDomainAssignDef',
    'virDomainDeleteConfig',
    'qemuProcessStart',
    'qemuProcessStop',
    'qemuProcessStartCPUs',
    'doNativeMigrate',
    'doPeer2PeerMigrate',
    'virDomainEventNewFromObj',
    'pipe',
    'virSetCloseExec',
    'virFDStreamOpen',
    'strdup',
    'virGetHostname',
    'virAsprintf',
    'virBufferGrow',
])
PLAIN = [
    'qemuDriverLock',
    'qemuDriverUnlock',
    'virDomainObjLock',
    'virDomainObjUnlock',
    'virDomainObjRef',
    'virDomainObjUnref',
    'virCondSignal',
    'virCondBroadcast',
    'virHashLookup',
    'virHashForEach',
    'virCPUDefIsEqual',
    'virSysinfoIsEqual',
    'virDomainObjIsDuplicate',
    'virDomainRemoveInactive',
    'virDomainObjGetState',
    'qemuDomainExtractTLSSubject',
    'virDomainAuditStart',
    'virDomainAuditStop',
    'qemuDomainEventQueue',
]
recorded(globals(), faultable=FAULTABLE, plain=PLAIN)
