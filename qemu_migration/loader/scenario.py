"""Scenario XML: a host, the domains on it, and the calls to make (this project's format).

A scenario names the state a run starts from and the entry points to call on
it, in order, on the same state::

    <scenario name="perform-p2p-snapshots-twice">
      <description>One line, shown by `qemu-migration list`.</description>
      <host hostname="src.example.org">
        <domain file="../domains/web1.status.xml" persistent="yes" autodestroy="no" refs="2">
          <snapshot file="../snapshots/web1-before-upgrade.xml"/>
        </domain>
        <domain file="../domains/db1.xml"/>
      </host>
      <static name="qemuMigrationPrepareDirect.port" value="3"/>
      <call function="qemuMigrationPerformJob" domain="web1">
        <arg name="flags">live peer2peer</arg>
        <arg name="v3proto">no</arg>
        <fault callee="doPeer2PeerMigrate" nth="1"/>
      </call>
    </scenario>

Elements and attributes (anything else is refused, so that a typo is an error):

``<scenario name=...>``
    ``name`` is required.  Children, in any order: at most one ``<description>``,
    at most one ``<host>``, any number of ``<static>``, one or more ``<call>``.
``<host hostname=...>``
    The driver's host; ``hostname`` (what virGetHostname returns) defaults to
    ``dest.example.org``.  Each ``<domain>`` child puts one domain in the
    driver's list (keyed by uuid; names and uuids must be unique).
``<domain file= persistent= autodestroy= refs= job-start= balloon=>``
    ``file`` (relative to the scenario file) is either a ``<domstatus>`` file,
    for a running, paused ... domain with its job, or a plain ``<domain>`` file,
    for a defined domain that is shut off (it must not carry an id).
    ``persistent`` yes|no [yes] (a shut-off domain must be persistent);
    ``autodestroy`` yes|no [no] (puts the uuid in driver->autodestroy; only for
    an active domain); ``refs`` [1, plus 1 for a held job, plus 1 for a held
    async job: the references the threads holding them have taken];
    ``balloon`` [none] the size (KiB) the guest's balloon driver reports to QEMU's
    ``info balloon`` (qemuMonitorGetBalloonInfo answers it; without it QEMU answers
    that no balloon is active; only for an active domain).  Domains
    are unlocked at rest.  ``<snapshot file=.../>`` children are the domain's
    snapshots (names unique; a parent must be among them; an inner
    ``<domain><uuid>`` must be this domain's uuid).
``<static name= value=>``
    The value a C function's ``static`` variable has when the run starts
    (``runtime.static``); ``name`` is one the port uses, ``value`` an integer.
``<call function= domain=>``
    One entry point call.  ``domain`` names a domain on the host.  Children:
    ``<arg name=...>text</arg>`` or ``<arg name=... file=.../>``, and
    ``<fault callee= nth=>`` (``nth`` [1], at least 1: fail the nth call of
    that stub within this call; ``callee`` is a faultable stub), and
    ``<wakeup what=.../>`` (in order: what another thread does each time this
    call waits for a job or, remove-domain, has a callee that talks to QEMU;
    one of WAKEUPS; kept in ``Call.wakeups`` for the
    runner to put in ``World.wakeups``).  Text is taken
    exactly as written (an empty element is the empty string); an argument that
    is left out takes its default, NULL for strings.

The functions and their arguments, defaults in brackets:

(port/registry.py holds them, one row per entry point.)

- qemuMigrationIsAllowed: ``domain=`` or ``<arg name="def" file=.../>`` (a
  domain XML; the definition alone, no vm), exactly one of the two.
- qemuMigrationBegin: ``domain=`` (required); xmlin (file=; its text) [NULL].
  (Begin is called only by the v3 protocol, which always passes a cookie out-pointer.)
- qemuMigrationPrepareTunnel: dom_xml (file=; required); dname [NULL];
  cookiein [NULL]; st yes|no [yes: a stream is passed].
- qemuMigrationPrepareDirect: dom_xml (file=; required); dname [NULL];
  cookiein [NULL]; uri_in [NULL].
- qemuMigrationPerformJob: ``domain=`` (required); flags (space-separated
  names of constants.MIGRATE_FLAG_NAMES) [0]; v3proto yes|no [no]; uri [NULL];
  dconnuri [NULL]; xmlin (file=) [NULL]; dname [NULL]; resource (integer) [0];
  cookiein [NULL]; peer-v3 yes|no [yes] (whether the destination speaks v3,
  which doPeer2PeerMigrate learns; kept in ``Call.peer_v3``, not in ``args``).

``Call.args`` holds every argument of the function with its default filled
in: strings or None, ints (flags as their value), bools, the file's text for
dom_xml and xmlin, a DomainDef for IsAllowed's def.
"""
import copy
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..paths import fixtures_dir
from ..port import STATICS
from ..port.registry import ENTRY_NAMES, ENTRY_POINTS, REQUIRED, Call
from ..world.constants import MIGRATE_FLAG_NAMES, VIR_DOMAIN_SHUTOFF
from ..world.objects import STARTED_ELSEWHERE, DomainObj, Driver, Ptr
from ..world.runtime import FaultPlan, World
from ..world.stubs import FAULTABLE
from .cint import C_INT, C_TYPES, C_ULONG, C_ULONG_LONG
from .domain import parse_domain_element
from .errors import LoadError
from .snapshot import parse_snapshot_element
from .status import ACTIVE_STATES, parse_status_element
from .xmlutil import (parse_bytes, parse_int, parse_yesno,
                      read_bytes, where, xstring)

DEFAULT_HOSTNAME = Driver().hostname

# what stubs._wake knows another thread can do while a call waits for a job (and,
# "remove-domain" only, while a callee that talks to QEMU has the domain unlocked)
WAKEUPS = ["end-job", "end-async", "end-job+start-async", "remove-domain"]


@dataclass
class HostDomain:
    """One ``<domain>`` of the host, as loaded: a template copied for each world."""
    vm: DomainObj
    file: str
    kind: str            # "status" or "domain"
    snapshot_files: List[str] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    description: str
    path: str
    calls: List[Call]
    hostname: str = DEFAULT_HOSTNAME
    domains: List[HostDomain] = field(default_factory=list)
    statics: Dict[str, int] = field(default_factory=dict)
    nextvmid: Optional[int] = None      # <host nextvmid=>; default: the highest id + 1

    def build_world(self) -> World:
        """A fresh World: a new Driver holding fresh copies of the host's domains."""
        world = World(driver=host_driver(self.domains, self.nextvmid, hostname=self.hostname))
        for name, value in self.statics.items():
            world.statics[name] = Ptr(value)
        return world


def host_driver(domains, nextvmid, copier=copy.deepcopy, **fields) -> Driver:
    """A new Driver (``fields`` its own settings) holding copies (``copier``'s) of
    ``domains`` (HostDomain), their auto-destroy marks, and ``nextvmid`` (None: the
    highest id + 1).  What a scenario's host and each host of a migration start from."""
    driver = Driver(**fields)
    for hd in domains:
        vm = copier(hd.vm)
        driver.domains[vm.def_.uuid] = vm
        if vm.autodestroy:
            driver.autodestroy[vm.def_.uuid] = STARTED_ELSEWHERE
    ids = [hd.vm.def_.id for hd in domains if hd.vm.def_.id != -1]
    driver.nextvmid = max(ids) + 1 if ids else 1
    if nextvmid is not None:
        driver.nextvmid = nextvmid
    return driver


# --- parsing -----------------------------------------------------------------------


def _check_attrs(node, allowed, path):
    for attr in node.attrib:
        if attr not in allowed:
            raise LoadError(path, where(node, attr),
                            "unknown attribute '%s' on <%s> (expected %s)" % (
                                attr, node.tag, ", ".join(allowed) or "none"))


def _required_attr(node, attr, path):
    value = node.get(attr)
    if value is None or value == "":
        raise LoadError(path, where(node, attr),
                        "missing required attribute '%s' on <%s>" % (attr, node.tag))
    return value


def nth_attr(node, path):
    """A fault's or a wakeup's ``nth=`` [1]: which call or passage, a C int, at least 1."""
    if node.get("nth") is None:
        return 1
    return parse_int(node.get("nth"), path, where(node, "nth"), "nth", C_INT, minimum=1)


def _ref(path, node, attr="file"):
    """The path a file= attribute names, resolved against the scenario's directory."""
    rel = _required_attr(node, attr, path)
    return os.path.normpath(os.path.join(os.path.dirname(path), rel))


def _load_ref_root(path, node, expect):
    """Parse the file a node refers to; a missing file names the scenario and the path."""
    target = _ref(path, node)
    root = parse_bytes(read_bytes(target, path, where(node, "file"), node.get("file")), target)
    if root.tag not in expect:
        raise LoadError(path, where(node, "file"),
                        "'%s' is a <%s> file, expected %s" % (
                            target, root.tag, " or ".join("<%s>" % e for e in expect)))
    return target, root


def _load_host_domain(path, node):
    _check_attrs(node, ["file", "persistent", "autodestroy", "refs", "job-start", "balloon"],
                 path)
    target, root = _load_ref_root(path, node, ["domstatus", "domain"])
    if root.tag == "domstatus":
        vm = parse_status_element(root, target)
        kind = "status"
    else:
        def_ = parse_domain_element(root, target, inactive=False)
        if def_.id != -1:
            raise LoadError(target, where(root, "id"),
                            "a plain <domain> file stands for a shut-off domain and has no id "
                            "(use a <domstatus> file for an active one)")
        vm = DomainObj(def_=def_, persistent=True, refs=1, locked=False,
                       state=VIR_DOMAIN_SHUTOFF, reason=0)
        kind = "domain"
    active = vm.state in ACTIVE_STATES
    if node.get("persistent") is not None:
        vm.persistent = parse_yesno(node.get("persistent"), path, where(node, "persistent"),
                                    "persistent")
    if not vm.persistent and not active:
        raise LoadError(path, where(node, "persistent"),
                        "a shut-off domain must be persistent (a transient domain exists "
                        "only while it runs)")
    if node.get("autodestroy") is not None:
        vm.autodestroy = parse_yesno(node.get("autodestroy"), path,
                                     where(node, "autodestroy"), "autodestroy")
    if vm.autodestroy and not active:
        raise LoadError(path, where(node, "autodestroy"),
                        "only an active domain can be marked for auto-destroy")
    job = vm.privateData.job
    vm.refs = 1 + (1 if job.active else 0) + (1 if job.asyncJob else 0)
    if node.get("refs") is not None:
        vm.refs = parse_int(node.get("refs"), path, where(node, "refs"), "refs", C_INT,
                            minimum=1)
    if node.get("job-start") is not None:
        if not (job.active or job.asyncJob):
            raise LoadError(path, where(node, "job-start"),
                            "job-start is the start of a held job, and the domain holds none")
        job.start = parse_int(node.get("job-start"), path, where(node, "job-start"),
                              "job-start", C_ULONG_LONG)
    if node.get("balloon") is not None:
        if not active:
            raise LoadError(path, where(node, "balloon"),
                            "balloon is what a running guest's balloon driver reports, and "
                            "the domain is shut off")
        vm.privateData.mon.balloon = parse_int(node.get("balloon"), path,
                                               where(node, "balloon"), "balloon", C_ULONG)

    hd = HostDomain(vm=vm, file=target, kind=kind)
    for child in node:
        if child.tag != "snapshot":
            raise LoadError(path, where(child),
                            "unknown element <%s> in <domain> (expected <snapshot>)" % child.tag)
        _check_attrs(child, ["file"], path)
        starget, sroot = _load_ref_root(path, child, ["domainsnapshot"])
        snap = parse_snapshot_element(sroot, starget)
        if snap.name in vm.snapshots.objs:
            raise LoadError(path, where(child, "file"),
                            "domain '%s' already has a snapshot named '%s'" % (
                                vm.def_.name, snap.name))
        if snap.domain_uuid is not None and snap.domain_uuid != vm.def_.uuid:
            raise LoadError(starget, "/domainsnapshot/domain/uuid",
                            "snapshot belongs to domain %s, not to '%s' (%s)" % (
                                snap.domain_uuid, vm.def_.name, vm.def_.uuid))
        vm.snapshots.objs[snap.name] = snap
        hd.snapshot_files.append(starget)
    for snap in vm.snapshots.objs.values():
        if snap.parent is not None and snap.parent not in vm.snapshots.objs:
            raise LoadError(snap.source, "/domainsnapshot/parent/name",
                            "parent snapshot '%s' is not among the snapshots of domain '%s'"
                            % (snap.parent, vm.def_.name))
    return hd


def _parse_arg(path, call_fn, arg, spec, node, parsed):
    """One ``<arg>``: its value and the file it came from (None for text).

    ``parsed`` maps each domain XML file already read for this scenario to its
    bytes and definition, so that a file named by many calls is read once.
    """
    loc = where(node)
    if spec.kind in ("xmlfile", "deffile"):
        if node.get("file") is None:
            raise LoadError(path, where(node, "file"),
                            "argument '%s' of %s takes a domain XML file (file=...)" % (
                                arg, call_fn))
        if (node.text or "").strip():
            raise LoadError(path, loc, "argument '%s' takes a file= attribute, not text" % arg)
        target = _ref(path, node)
        if target not in parsed:
            data = read_bytes(target, path, where(node, "file"), node.get("file"))
            root = parse_bytes(data, target)
            if root.tag != "domain":
                raise LoadError(path, where(node, "file"),
                                "'%s' is a <%s> file, expected a <domain> file" % (
                                    target, root.tag))
            parsed[target] = data, parse_domain_element(root, target, inactive=False)
        data, def_ = parsed[target]
        if spec.kind == "deffile":
            return copy.deepcopy(def_), target
        try:
            return data.decode("utf-8"), target
        except UnicodeDecodeError:
            raise LoadError(target, "/", "a domain XML passed as text must be UTF-8 (it is "
                            "re-parsed at run time)") from None
    if node.get("file") is not None:
        raise LoadError(path, where(node, "file"),
                        "argument '%s' of %s is given as text, not as a file" % (arg, call_fn))
    text = node.text or ""
    if len(node):
        raise LoadError(path, where(node[0]), "argument '%s' holds text only" % arg)
    if spec.kind == "text":
        return text, None
    if spec.kind == "bool":
        return parse_yesno(text.strip(), path, loc, "argument '%s'" % arg), None
    if spec.kind == "int":   # in the range of its C type (port/registry.py)
        return parse_int(text, path, loc, "argument '%s'" % arg, C_TYPES[spec.ctype]), None
    value = 0  # flags, the one kind left
    for name in text.split():
        if name not in MIGRATE_FLAG_NAMES:
            raise LoadError(path, loc, "unknown migration flag '%s' (expected names from "
                            "%s)" % (name, ", ".join(MIGRATE_FLAG_NAMES)))
        value |= MIGRATE_FLAG_NAMES[name]
    return value, None


def _parse_call(path, node, host_uuid, parsed):
    _check_attrs(node, ["function", "domain"], path)
    fn = _required_attr(node, "function", path)
    if fn not in ENTRY_POINTS:
        raise LoadError(path, where(node, "function"),
                        "unknown function '%s' (expected one of %s)" % (
                            fn, ", ".join(ENTRY_NAMES)))
    spec = ENTRY_POINTS[fn]
    domain = node.get("domain")
    if domain is not None:
        if spec.domain == "none":
            raise LoadError(path, where(node, "domain"),
                            "%s takes no domain= (it defines the domain from dom_xml)" % fn)
        if domain not in host_uuid:
            raise LoadError(path, where(node, "domain"),
                            "no domain named '%s' on the host (there are: %s)" % (
                                domain, ", ".join(host_uuid) or "none"))
    elif spec.domain == "required":
        raise LoadError(path, where(node, "domain"),
                        "%s needs domain= naming a domain on the host" % fn)

    given = {}
    files = {}
    faults = []
    fault_set = set()
    wakeups = []
    for child in node:
        if child.tag == "arg":
            _check_attrs(child, ["name", "file"], path)
            arg = _required_attr(child, "name", path)
            if arg not in spec.args:
                raise LoadError(path, where(child, "name"),
                                "unknown argument '%s' for %s (expected %s)" % (
                                    arg, fn, ", ".join(spec.args)))
            if arg in given:
                raise LoadError(path, where(child, "name"), "argument '%s' given twice" % arg)
            given[arg], source = _parse_arg(path, fn, arg, spec.args[arg], child, parsed)
            if source is not None:
                files[arg] = source
        elif child.tag == "fault":
            _check_attrs(child, ["callee", "nth"], path)
            callee = _required_attr(child, "callee", path)
            if callee not in FAULTABLE:
                raise LoadError(path, where(child, "callee"),
                                "unknown callee '%s' for a fault (faultable stubs: %s)" % (
                                    callee, ", ".join(FAULTABLE)))
            if callee not in spec.faultable:
                raise LoadError(path, where(child, "callee"),
                                "%s never calls %s, so a fault there cannot fire (faultable "
                                "on its path: %s)" % (fn, callee,
                                                      ", ".join(spec.faultable) or "none"))
            nth = nth_attr(child, path)
            if (callee, nth) in fault_set:
                raise LoadError(path, where(child), "fault %s#%d given twice" % (callee, nth))
            fault_set.add((callee, nth))
            faults.append((callee, nth))
        elif child.tag == "wakeup":
            _check_attrs(child, ["what"], path)
            what = _required_attr(child, "what", path)
            if what not in WAKEUPS:
                raise LoadError(path, where(child, "what"), "unknown wakeup '%s' (expected %s)"
                                % (what, ", ".join(WAKEUPS)))
            wakeups.append(what)
        else:
            raise LoadError(path, where(child),
                            "unknown element <%s> in <call> (expected <arg>, <fault> or "
                            "<wakeup>)" % child.tag)

    args = {}
    for arg, aspec in spec.args.items():
        if arg in given:
            args[arg] = given[arg]
        elif aspec.default is REQUIRED:
            raise LoadError(path, where(node) + "/arg[@name='%s']" % arg,
                            "%s needs argument '%s'" % (fn, arg))
        else:
            args[arg] = aspec.default
    if spec.domain == "either":
        if (domain is None) == (args["def"] is None):
            raise LoadError(path, where(node),
                            "%s takes exactly one of domain= and <arg name=\"def\" file=...>"
                            % fn)
    peer_v3 = args.pop("peer-v3", True)
    # the client's handle on the domain carries its uuid, by which the driver finds it
    return Call(function=fn, domain=domain, args=args, faults=FaultPlan.of(faults),
                peer_v3=peer_v3, arg_files=files, wakeups=wakeups,
                uuid=host_uuid[domain] if domain is not None else None)


def parse_scenario_element(root, path):
    _check_attrs(root, ["name"], path)
    name = _required_attr(root, "name", path)
    description = ""
    hostname = DEFAULT_HOSTNAME
    domains: List[HostDomain] = []
    statics: Dict[str, int] = {}
    calls: List[Call] = []
    seen = set()
    nextvmid = None
    parsed = {}         # file -> (bytes, DomainDef) of the domain XMLs the calls name

    host_names: Dict[str, str] = {}     # name -> file, in host order (names are looked up per call)
    host_uuids: Dict[str, str] = {}     # uuid -> file
    host_uuid: Dict[str, str] = {}      # name -> uuid, in host order
    # the host first, so that calls can be checked against it wherever it appears
    for child in root:
        if child.tag == "host":
            if "host" in seen:
                raise LoadError(path, where(child), "a scenario has at most one <host>")
            seen.add("host")
            _check_attrs(child, ["hostname", "nextvmid"], path)
            if child.get("hostname") is not None:
                hostname = child.get("hostname")
                if not hostname:
                    raise LoadError(path, where(child, "hostname"), "empty hostname")
            if child.get("nextvmid") is not None:
                nextvmid = parse_int(child.get("nextvmid"), path, where(child, "nextvmid"),
                                     "nextvmid", C_INT, minimum=1)
            for dnode in child:
                if dnode.tag != "domain":
                    raise LoadError(path, where(dnode),
                                    "unknown element <%s> in <host> (expected <domain>)"
                                    % dnode.tag)
                hd = _load_host_domain(path, dnode)
                uuid, dname = hd.vm.def_.uuid, hd.vm.def_.name
                if uuid in host_uuids:
                    raise LoadError(path, where(dnode, "file"),
                                    "uuid %s is already on the host (from %s)" % (
                                        uuid, host_uuids[uuid]))
                if dname in host_names:
                    raise LoadError(path, where(dnode, "file"),
                                    "a domain named '%s' is already on the host (from %s)"
                                    % (dname, host_names[dname]))
                domains.append(hd)
                host_uuids[uuid] = host_names[dname] = hd.file
                host_uuid[dname] = uuid

    for child in root:
        tag = child.tag
        if tag == "host":
            continue
        if tag == "description":
            if "description" in seen:
                raise LoadError(path, where(child), "a scenario has at most one <description>")
            seen.add("description")
            _check_attrs(child, [], path)
            description = " ".join((xstring(child, "string(.)") or "").split())
        elif tag == "static":
            _check_attrs(child, ["name", "value"], path)
            sname = _required_attr(child, "name", path)
            if sname not in STATICS:
                raise LoadError(path, where(child, "name"),
                                "unknown static variable '%s' (the port has: %s)" % (
                                    sname, ", ".join(sorted(STATICS)) or "none"))
            if sname in statics:
                raise LoadError(path, where(child, "name"), "static '%s' given twice" % sname)
            statics[sname] = parse_int(_required_attr(child, "value", path), path,
                                       where(child, "value"), "static value", C_INT)
        elif tag == "call":
            calls.append(_parse_call(path, child, host_uuid, parsed))
        else:
            raise LoadError(path, where(child),
                            "unknown element <%s> in <scenario> (expected description, "
                            "host, static or call)" % tag)
    if not calls:
        raise LoadError(path, where(root) + "/call", "a scenario needs at least one <call>")
    return Scenario(name=name, description=description, path=str(path), calls=calls,
                    hostname=hostname, domains=domains, statics=statics, nextvmid=nextvmid)


def bundled_scenarios_dir():
    """The bundled scenarios: fixtures/scenarios (see paths.fixtures_dir)."""
    return fixtures_dir() / "scenarios"


def bundled_scenarios():
    return sorted(bundled_scenarios_dir().glob("*.xml"))


# what the two-host scenarios (loader/migration.py) share with these
check_attrs = _check_attrs
required_attr = _required_attr
load_host_domain = _load_host_domain
