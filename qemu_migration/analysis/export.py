"""A case as a scenario: the files that make ``run`` reproduce one enumerated case.

``export(case, folder)`` writes, from the case's own world (analysis/cases.py):

  ``<stem>.xml``                  the scenario (fixtures/README.md), one call
  ``<domain>.status.xml``         a ``<domstatus>`` for the domain on the host,
                                  its job as qemuDomainObjPrivateXMLFormat writes it
  ``snapN.xml``                   one ``<domainsnapshot>`` per snapshot
  ``dom_xml.xml`` / ``xmlin.xml`` / ``def.xml``   the domain XML an argument takes

A shut-off domain is written as a ``<domstatus state='shutoff' reason='shutdown'>``
too (a plain ``<domain>`` file reads back with reason "unknown").  What libvirt's
formats do not hold is said in the scenario: the driver's next domain id
(``<host nextvmid=>``) and when a held job started (``<domain job-start=>``).
The job mask and job info of a held migration job are the ones the status
loader gives every held migration job; ``check_world`` refuses, in one line, a
world whose state the files cannot carry.
"""
from pathlib import Path

from ..world.constants import (DOMAIN_REASON_NAMES, DOMAIN_STATE_NAMES, QEMU_ASYNC_JOB_NAMES,
                               QEMU_MIGRATION_PHASE_NAMES, VIR_DOMAIN_JOB_NONE,
                               VIR_DOMAIN_JOB_UNBOUNDED, VIR_DOMAIN_SHUTOFF, flag_names,
                               migration_job_mask)
from ..world.domxml import domain_children, escape
from ..world.objects import DomainObj, JobObj

_JOB_NAMES = ["none", "query", "destroy", "suspend", "modify", "abort", "migration operation",
              "none", "async nested"]     # qemuDomainJob as libvirt writes it


def quoteattr(value):
    """An attribute value in single quotes, as libvirt writes them."""
    return "'%s'" % escape(str(value)).replace("'", "&apos;")


class ExportError(ValueError):
    """Why a case cannot be written as a scenario (one line)."""


def domain_xml(def_, indent="", with_id=False):
    """A ``<domain>`` element for a definition (what the loader reads: world/domxml.py's
    elements, one a line)."""
    i2 = indent + "  "
    head, devices = domain_children(def_)
    lines = ["%s<domain type=%s%s>" % (indent, quoteattr(def_.virtType),
                                      " id='%d'" % def_.id if with_id else "")]
    lines += [i2 + h for h in head]
    lines.append("%s<devices>" % i2)
    lines += [i2 + "  " + d for d in devices]
    lines += ["%s</devices>" % i2, "%s</domain>" % indent]
    return "\n".join(lines)


def status_xml(vm: DomainObj):
    """A ``<domstatus>`` for a domain object, as virDomainObjFormat lays it out."""
    job = vm.privateData.job
    state = DOMAIN_STATE_NAMES[vm.state]
    lines = ["<domstatus state=%s reason=%s pid='%d'>" % (
        quoteattr(state), quoteattr(DOMAIN_REASON_NAMES[vm.state][vm.reason]),
        0 if vm.state == VIR_DOMAIN_SHUTOFF else 4000 + max(vm.def_.id, 0)),
        "  <monitor path='/var/lib/libvirt/qemu/%s.monitor' json='1' type='unix'/>"
        % escape(vm.def_.name)]
    if vm.privateData.lockState is not None:
        lines.append("  <lockstate>%s</lockstate>" % escape(vm.privateData.lockState))
    if job.active or job.asyncJob:
        attrs = "type=%s" % quoteattr(_JOB_NAMES[job.active])
        if job.asyncJob:
            attrs += " async=%s phase=%s" % (quoteattr(QEMU_ASYNC_JOB_NAMES[job.asyncJob]),
                                             quoteattr(QEMU_MIGRATION_PHASE_NAMES[job.phase]))
        lines.append("  <job %s/>" % attrs)
    lines.append(domain_xml(vm.def_, "  ", with_id=vm.def_.id != -1))
    lines.append("</domstatus>")
    return "\n".join(lines) + "\n"


def snapshot_xml(snap, uuid):
    parent = ("  <parent>\n    <name>%s</name>\n  </parent>\n" % escape(snap.parent)
              if snap.parent else "")
    return ("<domainsnapshot>\n  <name>%s</name>\n  <state>%s</state>\n%s"
            "  <creationTime>%d</creationTime>\n  <domain>\n    <uuid>%s</uuid>\n  </domain>\n"
            "</domainsnapshot>\n" % (escape(snap.name), escape(snap.state), parent,
                                      snap.creationTime, uuid))


def check_world(world):
    """ExportError when the world holds what the files cannot carry."""
    d = world.driver
    if d.events or d.deleted_configs or world.statics:
        raise ExportError("the case's world has queued events, deleted configs or statics, "
                          "which a scenario does not hold")
    for vm in d.domains.values():
        job = vm.privateData.job
        want_mask = JobObj().mask
        want_info = VIR_DOMAIN_JOB_NONE
        if job.asyncJob:
            want_mask, want_info = migration_job_mask(job.asyncJob), VIR_DOMAIN_JOB_UNBOUNDED
        if job.mask != want_mask or job.info_type != want_info:
            raise ExportError("domain '%s' holds job mask %#x / job info %d, which a status "
                              "file cannot express (it gives %#x / %d)"
                              % (vm.def_.name, job.mask, job.info_type, want_mask, want_info))
        expected_refs = 1 + (1 if job.active else 0) + (1 if job.asyncJob else 0)
        if vm.refs != expected_refs:
            raise ExportError("domain '%s' has %d references" % (vm.def_.name, vm.refs))


def _arg(name, value, folder, stem):
    if name in ("dom_xml", "xmlin"):
        fname = "%s.%s.xml" % (stem, name)
        (folder / fname).write_text(value)
        return "    <arg name=%s file=%s/>" % (quoteattr(name), quoteattr(fname))
    if name == "def":
        fname = "%s.def.xml" % stem
        (folder / fname).write_text(domain_xml(value) + "\n")
        return "    <arg name='def' file=%s/>" % quoteattr(fname)
    if name == "flags":
        return "    <arg name='flags'>%s</arg>" % " ".join(flag_names(value))
    if isinstance(value, bool):
        return "    <arg name=%s>%s</arg>" % (quoteattr(name), "yes" if value else "no")
    return "    <arg name=%s>%s</arg>" % (quoteattr(name), escape(str(value)))


def export(case, folder, stem=None):
    """Write the scenario of ``case`` and its files into ``folder``; return the scenario path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = stem or "case"
    world = case.make_world()
    check_world(world)
    d = world.driver
    host = ["  <host hostname=%s nextvmid='%d'>" % (quoteattr(d.hostname), d.nextvmid)]
    for vm in d.domains.values():
        sfile = "%s.%s.status.xml" % (stem, vm.def_.name)
        (folder / sfile).write_text(status_xml(vm))
        job = vm.privateData.job
        attrs = "file=%s persistent=%s autodestroy=%s" % (
            quoteattr(sfile), quoteattr("yes" if vm.persistent else "no"),
            quoteattr("yes" if vm.def_.uuid in d.autodestroy else "no"))
        if (job.active or job.asyncJob) and job.start:
            attrs += " job-start='%d'" % job.start
        snaps = []
        for snap in vm.snapshots.objs.values():
            nfile = "%s.%s.%s.xml" % (stem, vm.def_.name, snap.name)
            (folder / nfile).write_text(snapshot_xml(snap, vm.def_.uuid))
            snaps.append("      <snapshot file=%s/>" % quoteattr(nfile))
        if snaps:
            host.append("    <domain %s>" % attrs)
            host += snaps
            host.append("    </domain>")
        else:
            host.append("    <domain %s/>" % attrs)
    host.append("  </host>")
    call = case.call
    lines = ['<scenario name=%s>' % quoteattr(stem),
             "  <description>%s</description>" % escape("exported case " + case.id)]
    lines += host
    lines.append("  <call function=%s%s>" % (quoteattr(call.function), " domain=%s"
                                             % quoteattr(call.domain) if call.domain else ""))
    for name, value in call.args.items():
        if value is None or (name == "flags" and value == 0) or (name == "st" and value):
            continue
        lines.append(_arg(name, value, folder, stem))
    if call.function == "qemuMigrationPerformJob" and not call.peer_v3:
        lines.append("    <arg name='peer-v3'>no</arg>")
    for callee, nth in call.faults.pairs():
        lines.append("    <fault callee=%s nth='%d'/>" % (quoteattr(callee), nth))
    for w in call.wakeups:
        lines.append("    <wakeup what=%s/>" % quoteattr(w))
    lines += ["  </call>", "</scenario>"]
    path = folder / ("%s.xml" % stem)
    path.write_text("\n".join(lines) + "\n")
    return path


def default_stem(case):
    """A file name for a case: the function and the fault, short and safe."""
    fault = case.dims["fault"].replace("#", "-")
    return "%s-%s" % (case.short.lower(), fault)

