"""Status XML: ``<domstatus state= reason= pid=>`` as virDomainObjParseXML reads it.

The layout is the one libvirt writes to /var/run/libvirt/qemu/NAME.xml
(virDomainObjFormat with qemuDomainObjPrivateXMLFormat)::

    <domstatus state='running' reason='booted' pid='4242'>
      <monitor path='/var/lib/libvirt/qemu/web1.monitor' json='1' type='unix'/>
      <vcpus><vcpu pid='4250'/></vcpus>                       (optional)
      <lockstate>...</lockstate>                               (optional)
      <job type='none' async='migration out' phase='perform2'/> (optional)
      <domain type='kvm' id='7'> ... </domain>
    </domstatus>

The job names are qemuDomainJob's, whose table writes index 7 (QEMU_JOB_ASYNC)
as "none" again: so "none" reads back as QEMU_JOB_NONE and "async" is not a
name libvirt accepts.  The phase is read only for an async job, with
qemuDomainAsyncJobPhaseFromString: a migration phase name for migration out/in,
only "none" for the others.
"""
from ..world.constants import (DOMAIN_REASON_NAMES, DOMAIN_STATE_NAMES,
                               QEMU_ASYNC_JOB_MIGRATION_IN,
                               QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_NAMES,
                               QEMU_MIGRATION_PHASE_NAMES, VIR_DOMAIN_JOB_UNBOUNDED,
                               VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED,
                               VIR_DOMAIN_SHUTDOWN, migration_job_mask)
from ..world.objects import DomainObj, DomainObjPrivate, JobObj
from .cint import C_INT, C_PID_T
from .domain import parse_domain_element
from .errors import LoadError
from .xmlutil import (expect_root, parse_enum, parse_file, parse_int, where, xnode, xnodes,
                      xstring)

# qemu_domain.c VIR_ENUM_IMPL(qemuDomainJob, ...): index 7 is written "none"
LIBVIRT_JOB_NAMES = ["none", "query", "destroy", "suspend", "modify", "abort",
                     "migration operation", "none", "async nested"]
MONITOR_TYPES = ["pty", "unix"]
ACTIVE_STATES = (VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED, VIR_DOMAIN_PAUSED, VIR_DOMAIN_SHUTDOWN)


def parse_status_element(root, path):
    """virDomainObjParseXML plus qemuDomainObjPrivateXMLParse; returns a DomainObj."""
    loc = where(root)
    config = xnode(root, "./domain")
    if config is None:
        raise LoadError(path, loc + "/domain", "no domain config (an inner <domain> element)")
    def_ = parse_domain_element(config, path, inactive=False)

    state_text = root.get("state")
    if state_text is None:
        raise LoadError(path, where(root, "state"), "missing domain state")
    state = parse_enum(state_text, DOMAIN_STATE_NAMES, path, where(root, "state"),
                       "domain state")
    reason = 0
    reason_text = root.get("reason")
    if reason_text is not None:
        reason = parse_enum(reason_text, DOMAIN_REASON_NAMES[state], path,
                            where(root, "reason"), "reason for state %s" % state_text)

    pid_text = root.get("pid")
    if pid_text is None:
        raise LoadError(path, where(root, "pid"), "invalid pid (the attribute is missing)")
    pid = parse_int(pid_text, path, where(root, "pid"), "pid", C_PID_T, minimum=0)

    if state in ACTIVE_STATES and def_.id == -1:
        raise LoadError(path, where(config, "id"),
                        "a %s domain must have an id (the inner <domain id=...>)" % state_text)
    if state not in ACTIVE_STATES and def_.id != -1:
        raise LoadError(path, where(config, "id"),
                        "a %s domain cannot have an id (only an active one has)" % state_text)

    # qemuDomainObjPrivateXMLParse
    monitor = xnode(root, "./monitor[1]")
    if monitor is None or not monitor.get("path"):
        raise LoadError(path, loc + "/monitor/@path", "no monitor path")
    mtype = monitor.get("type", "pty")
    parse_enum(mtype, MONITOR_TYPES, path, where(monitor, "type"), "monitor type")
    vcpu_pids = [_vcpu_pid(v, path) for v in xnodes(root, "./vcpus/vcpu")]

    priv = DomainObjPrivate()
    priv.lockState = xstring(root, "string(./lockstate)")
    job = priv.job = JobObj()
    jobnode = xnode(root, "./job[1]")
    if jobnode is not None:
        jtype = jobnode.get("type")
        if jtype is not None:
            job.active = parse_enum(jtype, LIBVIRT_JOB_NAMES, path, where(jobnode, "type"),
                                    "job type")
        jasync = jobnode.get("async")
        if jasync is not None:
            job.asyncJob = parse_enum(jasync, QEMU_ASYNC_JOB_NAMES, path,
                                      where(jobnode, "async"), "async job type")
            jphase = jobnode.get("phase")
            if jphase is not None:
                if job.asyncJob in (QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_MIGRATION_IN):
                    job.phase = parse_enum(jphase, QEMU_MIGRATION_PHASE_NAMES, path,
                                           where(jobnode, "phase"), "job phase")
                elif jphase != "none":
                    raise LoadError(path, where(jobnode, "phase"),
                                    "unknown job phase '%s' (an async job '%s' has only "
                                    "phase none)" % (jphase, jasync))
        elif jobnode.get("phase") is not None:
            raise LoadError(path, where(jobnode, "phase"),
                            "a job phase needs an async job (async='...')")
        if job.asyncJob in (QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_MIGRATION_IN):
            job.mask = migration_job_mask(job.asyncJob)
            job.info_type = VIR_DOMAIN_JOB_UNBOUNDED
        if (job.active or job.asyncJob) and state not in ACTIVE_STATES:
            raise LoadError(path, where(jobnode),
                            "a %s domain cannot hold a job" % state_text)

    # one reference for the domain list, one for each thread holding a job
    refs = 1 + (1 if job.active else 0) + (1 if job.asyncJob else 0)
    vm = DomainObj(def_=def_, persistent=True, refs=refs, locked=False, state=state,
                   reason=reason, privateData=priv)
    vm.pid = pid
    vm.vcpupids = vcpu_pids
    vm.monitor = monitor.get("path")
    return vm


def _vcpu_pid(node, path):
    """One ``<vcpu pid=>`` of qemuDomainObjPrivateXMLParse (qemu_domain.c:366 @ e2fb96d9)."""
    text = node.get("pid")
    if text is None:
        raise LoadError(path, where(node, "pid"), "a <vcpu> needs a pid")
    return parse_int(text, path, where(node, "pid"), "vcpu pid", C_INT, minimum=0)


def load_status(path):
    """Load a ``<domstatus>`` file into a DomainObj (persistent, unlocked).

    It has one reference for the domain list, plus one for each job held.
    """
    path = str(path)
    root = parse_file(path)
    expect_root(root, ["domstatus"], path)
    return parse_status_element(root, path)
