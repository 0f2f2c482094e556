"""Loading the stub world from libvirt XML, and the scenarios that drive it.

Four formats, told apart by their root element:

- ``<domain>``: a domain definition (libvirt's domain XML) -> ``DomainDef``
- ``<domstatus>``: a running domain's status file -> ``DomainObj``
- ``<domainsnapshot>``: a snapshot -> ``SnapshotDef``
- ``<scenario>``: this project's format (see ``loader/scenario.py``) -> ``Scenario``

Everything is parsed with entities, DTDs and network access off; any problem
raises ``LoadError``, whose ``str()`` is one line ``<file>: <element>: <problem>``.
"""
from ..world.constants import (DOMAIN_REASON_NAMES, DOMAIN_STATE_NAMES, QEMU_ASYNC_JOB_NAMES,
                               QEMU_JOB_NAMES, flag_names,
                               QEMU_MIGRATION_PHASE_NAMES, VIR_DOMAIN_JOB_NAMES)
from ..port.registry import ENTRY_POINTS
from ..world.objects import DomainDef, DomainObj, SnapshotDef
from .discover import is_scenario_file, scenario_files
from .domain import load_domain, parse_domain_element, parse_domain_text
from .errors import LoadError
from .migration import MigrationScenario, bundled_migrations, parse_any_scenario_element
from .migration import load_any_scenario as load_scenario
from .scenario import Call, Scenario, bundled_scenarios, bundled_scenarios_dir
from .snapshot import LoadedSnapshotDef, load_snapshot, parse_snapshot_element
from .status import load_status, parse_status_element
from .xmlutil import parse_file

ROOTS = ["domain", "domstatus", "domainsnapshot", "scenario"]


def load_any(path):
    """Load a file of any of the four formats, chosen by its root element."""
    path = str(path)
    root = parse_file(path)
    if root.tag == "domain":
        return parse_domain_element(root, path, inactive=False)
    if root.tag == "domstatus":
        return parse_status_element(root, path)
    if root.tag == "domainsnapshot":
        return parse_snapshot_element(root, path)
    if root.tag == "scenario":
        return parse_any_scenario_element(root, path)
    raise LoadError(path, "/" + str(root.tag),
                    "wrong root element <%s> (expected %s)" % (
                        root.tag, ", ".join("<%s>" % r for r in ROOTS)))


# --- describe -------------------------------------------------------------------------


def _def_lines(d, indent=""):
    lines = ["%sdomain %s (%s), uuid %s, %s" % (
        indent, d.name, d.virtType, d.uuid,
        "id %d (active)" % d.id if d.id != -1 else "no id (inactive)")]
    lines.append("%s  memory %d KiB, %d vcpu%s" % (indent, d.memory, d.vcpus,
                                                    "" if d.vcpus == 1 else "s"))
    if d.hostdevs:
        for h in d.hostdevs:
            lines.append("%s  hostdev %s %s %s" % (indent, h.mode, h.type, h.source))
    else:
        lines.append("%s  no host devices" % indent)
    if d.graphics:
        lines.append("%s  graphics: %s" % (indent, ", ".join(map(str, d.graphics))))
    return lines


def _job_text(job):
    parts = ["job %s" % QEMU_JOB_NAMES[job.active]]
    parts.append("async job %s" % QEMU_ASYNC_JOB_NAMES[job.asyncJob])
    if job.phase:
        parts.append("phase %s" % QEMU_MIGRATION_PHASE_NAMES[job.phase])
    parts.append("mask 0x%x" % job.mask)
    parts.append("info %s" % VIR_DOMAIN_JOB_NAMES[job.info_type])
    return ", ".join(parts)


def _vm_lines(vm, indent=""):
    lines = ["%sstate %s (%s)%s, %s, refs %d%s" % (
        indent, DOMAIN_STATE_NAMES[vm.state], DOMAIN_REASON_NAMES[vm.state][vm.reason],
        ", pid %d" % vm.pid if getattr(vm, "pid", None) is not None else "",
        "persistent" if vm.persistent else "transient", vm.refs,
        ", marked for auto-destroy" if vm.autodestroy else "")]
    lines.append(indent + _job_text(vm.privateData.job))
    if vm.privateData.lockState is not None:
        lines.append("%slockstate %s" % (indent, vm.privateData.lockState))
    return lines


def _snap_line(s, indent=""):
    text = "%ssnapshot %s: state %s, created %d%s" % (
        indent, s.name, s.state, s.creationTime,
        ", parent %s" % s.parent if s.parent else ", no parent")
    desc = getattr(s, "description", None)
    if desc:
        text += " -- " + " ".join(desc.split())
    return text


def _arg_text(call, name, value):
    if name in call.arg_files:
        return "%s=<file %s>" % (name, call.arg_files[name])
    if name == "flags":
        return "flags=%s" % (" ".join(flag_names(value)) or "0")
    if isinstance(value, bool):
        return "%s=%s" % (name, "yes" if value else "no")
    if value is None:
        return "%s=NULL" % name
    if isinstance(value, str):
        return "%s=%r" % (name, value)
    return "%s=%s" % (name, value)


def _host_lines(hds, indent="  "):
    lines = []
    if not hds:
        lines.append(indent + "no domains")
    for hd in hds:
        lines.append("%sfrom %s:" % (indent, hd.file))
        lines.extend(_def_lines(hd.vm.def_, indent + "  "))
        lines.extend(_vm_lines(hd.vm, indent + "  "))
        if hd.vm.snapshots.objs:
            for s in hd.vm.snapshots.objs.values():
                lines.append(_snap_line(s, indent + "  "))
        else:
            lines.append(indent + "  no snapshots")
    return lines


def describe(obj):
    """A readable multi-line account of what a file loads as (``qemu-migration show``)."""
    if isinstance(obj, MigrationScenario):
        lines = ["two-host scenario %s (%s)" % (obj.name, obj.path)]
        if obj.description:
            lines.append("  " + obj.description)
        for side, h in (("source", obj.source), ("destination", obj.destination)):
            lines.append("%s %s, version %s%s" % (
                side, h.hostname, h.version,
                "" if h.lock_manager == "nop" else ", lock manager " + h.lock_manager))
            lines.extend(_host_lines(h.domains))
        lines.append("migrate %s: flow %s (protocol %s%s), flags %s, %d attempt%s" % (
            obj.domain, obj.flow.name, obj.flow.protocol,
            "" if obj.flow.dest_v3 else ": the destination does not advertise "
            "VIR_DRV_FEATURE_MIGRATION_V3", " ".join(flag_names(obj.flags)) or "0",
            obj.attempts, "" if obj.attempts == 1 else "s"))
        for what, value in (("dname", obj.dname), ("uri", obj.uri)):
            if value is not None:
                lines.append("  %s %s" % (what, value))
        if obj.faults:
            lines.append("  faults (first attempt): " + ", ".join(
                "%s:%s#%d" % f for f in obj.faults))
        if obj.wakeups:
            lines.append("  wakeups (first attempt): " + ", ".join(
                "%s:%s#%d %s" % k for k in obj.wakeups))
        return "\n".join(lines)
    if isinstance(obj, Scenario):
        lines = ["scenario %s (%s)" % (obj.name, obj.path)]
        if obj.description:
            lines.append("  " + obj.description)
        lines.append("host %s" % obj.hostname)
        lines.extend(_host_lines(obj.domains))
        for name, value in obj.statics.items():
            lines.append("static %s = %d" % (name, value))
        for i, call in enumerate(obj.calls, 1):
            head = "call %d: %s" % (i, call.function)
            if call.domain:
                head += " on %s" % call.domain
            lines.append(head)
            args = [_arg_text(call, n, v) for n, v in call.args.items()]
            if "peer-v3" in ENTRY_POINTS[call.function].args:
                args.append("peer-v3=%s" % ("yes" if call.peer_v3 else "no"))
            lines.append("  " + ", ".join(args))
            if call.faults:
                lines.append("  faults: " + ", ".join("%s#%d" % p for p in call.faults.pairs()))
            if call.wakeups:
                lines.append("  while waiting, other threads: " + ", ".join(call.wakeups))
        return "\n".join(lines)
    if isinstance(obj, DomainObj):
        lines = ["status (%s)" % obj.def_.source]
        lines.extend(_def_lines(obj.def_, "  "))
        lines.extend(_vm_lines(obj, "  "))
        return "\n".join(lines)
    if isinstance(obj, DomainDef):
        return "\n".join(["definition (%s)" % obj.source] + _def_lines(obj, "  "))
    if isinstance(obj, SnapshotDef):
        lines = [_snap_line(obj) + " (%s)" % obj.source]
        if getattr(obj, "domain_uuid", None):
            lines.append("  of domain %s" % obj.domain_uuid)
        return "\n".join(lines)
    raise TypeError("cannot describe %r" % (obj,))


__all__ = [
    "LoadError", "load_any", "describe",
    "load_domain", "parse_domain_text", "load_status", "load_snapshot", "LoadedSnapshotDef",
    "load_scenario", "Scenario", "MigrationScenario", "Call",
    "bundled_scenarios_dir", "bundled_scenarios", "bundled_migrations", "is_scenario_file", "scenario_files",
]
