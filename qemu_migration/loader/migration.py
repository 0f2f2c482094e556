"""Two-host scenarios: a whole migration from a source host to a destination host (issue 9).

The same family as the one-host scenarios (root ``<scenario>``, files relative
to the scenario file), told apart by its children: a ``<source>`` and a
``<destination>`` instead of a ``<host>``, and one ``<migrate>`` instead of
``<call>``s::

    <scenario name="post-p2p-v2-snapshots">
      <description>One line, shown by `qemu-migration list`.</description>
      <source version="post" hostname="src.example.org">
        <domain file="../../domains/shop1.status.xml">
          <snapshot file="../../snapshots/shop1-before-sale.xml"/>
        </domain>
      </source>
      <destination version="post" hostname="dest.example.org"/>
      <migrate domain="shop1" flow="p2p-v2" flags="live peer2peer" attempts="2">
        <fault host="source" callee="virDomainSaveStatus" nth="1"/>
        <wakeup host="source" at="qemuDomainObjExitRemoteWithDriver" nth="1"
                what="qemu-quits"/>
      </migrate>
    </scenario>

``<source>`` and ``<destination>`` (both required): ``version`` (pre, post,
fixed; required), ``hostname`` [src.example.org, dest.example.org],
``nextvmid`` as a ``<host>``'s, ``lockmanager`` (the lock manager plugin qemu.conf's
``lock_manager`` names: ``nop`` [the default] or ``sanlock``), and ``<domain>``
children exactly as a ``<host>``'s (loader/scenario.py).  ``<migrate>`` (exactly
one): ``domain`` (required: a domain on the source), ``flow`` (one of ``FLOWS``;
required), ``flags`` (migration flag names; default: the flow's), ``dname`` and
``uri`` (virDomainMigrate's: the name the domain takes on the destination, the
destination's migration URI; default NULL, an empty value is refused), ``attempts``
(1 or 2 [2]: the second runs the same migration again on the state the first left);
``<fault host= callee= nth=>`` children: the nth call [1] of ``callee`` in the
world of ``host`` (client, source or destination) fails during the first
attempt.  ``callee`` is a faultable stub, or a crossing of the wire
``remote:<member>@<source|destination>`` (the RPC fails; world/hosts.py).
``<wakeup host= at= nth= what=>`` children: at the nth passage [1] of the
point ``at`` (one of world/stubs.py ``WAKEUP_POINTS``: a stub the host's code
calls with the domain unlocked or the daemon taking a Finish call, ``DROP_POINTS``,
or where it waits for the domain's lock or a job, ``WAIT_POINTS``) on ``host``
(source or destination),
another thread does ``what`` (one the point allows: ``qemu-quits``, QEMU exits
and the monitor's end-of-file handler runs; ``remove-domain``, the domain's
list reference is dropped, as another connection's Define that fails to save
the config does (world/stubs.py ``DROP_WAKEUPS``); ``waits-for-job``, ``hold-job``, ``nested-job``,
``end-job``: a thread waiting for a job, holding a query job, a nested job of
the async job, ending its job) during the first attempt.  Several wakeups at
one passage happen in the order given.

A flow whose name ends in ``-v2`` (and the flow ``v2``) stands for a
destination daemon that does not advertise VIR_DRV_FEATURE_MIGRATION_V3: the
client (or the peer-to-peer source) then speaks migration protocol v2 to it.
"""
import copy
import sys
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from lxml import etree

from ..paths import fixtures_dir
from ..port import VERSION_NAMES
# every stub module a host's code and the client's use, for faultable_stub_names
from ..port import libvirt as _client, unit as _unit  # noqa: F401
from ..world import hosts
from ..world.constants import (MIGRATE_FLAG_NAMES, VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER,
                               VIR_MIGRATE_TUNNELLED)
from ..world.objects import DomainObj, Driver
from ..world.runtime import World
from ..world.stubs import WAKEUP_POINTS
from .cint import C_INT
from .errors import LoadError
from .scenario import (HostDomain, host_driver, check_attrs, load_host_domain, nth_attr,
                       parse_scenario_element, required_attr)
from .xmlutil import expect_root, parse_file, parse_int, parse_uuid, where, xstring

SIDES = ("client", "source", "destination")


@dataclass(frozen=True)
class Flow:
    """A way to migrate: the flags the client passes and whether the destination
    advertises migration protocol v3."""
    name: str
    flags: int
    dest_v3: bool

    @property
    def protocol(self):
        return "v3" if self.dest_v3 else "v2"


FLOWS = {f.name: f for f in [
    Flow("v2", VIR_MIGRATE_LIVE, False),
    Flow("v3", VIR_MIGRATE_LIVE, True),
    Flow("p2p-v2", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, False),
    Flow("p2p-v3", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, True),
    Flow("tunnelled-p2p-v2", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED,
         False),
    Flow("tunnelled-p2p-v3", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED,
         True),
]}
FLOW_NAMES = list(FLOWS)

# what a daemon that does not speak migration v3 advertises (an older libvirtd)
FEATURES_V2_ONLY = frozenset((hosts.VIR_DRV_FEATURE_MIGRATION_V2,
                              hosts.VIR_DRV_FEATURE_MIGRATION_P2P))


def faultable_stub_names():
    """Every faultable stub of the world modules loaded (world/stubs.py and the stub
    modules of the protocol ports), by name."""
    names = set()
    for modname, mod in list(sys.modules.items()):
        if modname.startswith("qemu_migration.world.") and mod is not None:
            for obj in list(vars(mod).values()):
                if getattr(obj, "faultable", False) and hasattr(obj, "stub_name"):
                    names.add(obj.stub_name)
    return names


def is_faultable(name):
    """A callee a fault can name: a faultable stub, or a crossing of the wire."""
    if name.startswith("remote:"):
        member, _, host = name[len("remote:"):].partition("@")
        return member in hosts.MEMBERS and host in ("source", "destination")
    return name in faultable_stub_names()


# what virGetHostUUID gives on each host: the destination's is the driver's default (the
# one-host scenarios' host), the source's another, since a migration cookie from a host
# with the same uuid is refused ("Attempt to migrate guest to the same host")
DEFAULT_HOSTUUIDS = {"source": "9a4e7c12-3b5d-4f68-8a90-b1c2d3e4f5a6",
                     "destination": Driver().hostuuid}


@dataclass
class HostState:
    """One host's starting state: its version, host name, host uuid and domains."""
    version: str
    hostname: str
    domains: List[HostDomain] = field(default_factory=list)
    nextvmid: Optional[int] = None
    hostuuid: str = DEFAULT_HOSTUUIDS["destination"]
    lock_manager: str = "nop"       # the driver's lock manager plugin (qemu.conf's lock_manager)

    def build_world(self) -> World:
        """A fresh World: a new driver holding fresh copies of the host's domains (deep
        ones: the world shares nothing with the state)."""
        return self._world(copy.deepcopy)

    def run_world(self) -> World:
        """The World a migration runs on (engine/protocol.py's setup): build_world's, but
        sharing with the state what no run changes in place, as a world's copy shares it
        with its template (DomainObj.copy, World.copy), for a thirtieth of the cost.  A
        change made to the state in place shows in the worlds built after it."""
        return self._world(DomainObj.copy)

    def _world(self, copier):
        driver = host_driver(self.domains, self.nextvmid, copier, hostname=self.hostname,
                             hostuuid=self.hostuuid, lockManager=self.lock_manager)
        driver.locked = False       # a daemon at rest: no thread holds the driver lock
        return World(driver=driver)


@dataclass
class MigrationScenario:
    """A two-host scenario: the hosts, the domain, the flow, its flags and faults."""
    name: str
    description: str
    path: str
    source: HostState
    destination: HostState
    domain: str
    flow: Flow
    flags: int
    faults: List[Tuple[str, str, int]] = field(default_factory=list)   # (side, callee, nth)
    attempts: int = 2
    dname: Optional[str] = None         # virDomainMigrate's dname and uri
    uri: Optional[str] = None
    wakeups: List[Tuple[str, str, int, str]] = field(default_factory=list)  # (side, at, nth,
                                                                            #  what)


def _flags(text, path, loc):
    value = 0
    for name in text.split():
        if name not in MIGRATE_FLAG_NAMES:
            raise LoadError(path, loc, "unknown migration flag '%s' (expected names from %s)"
                            % (name, ", ".join(MIGRATE_FLAG_NAMES)))
        value |= MIGRATE_FLAG_NAMES[name]
    return value


DEFAULT_HOSTNAMES = {"source": "src.example.org", "destination": "dest.example.org"}
# the lock manager plugins a host can name: the default one, and one that hands lock
# state from host to host (world/stubs.py, virLockManagerPluginUsesState)
LOCK_MANAGERS = ("nop", "sanlock")


def _host(path, node):
    check_attrs(node, ["version", "hostname", "hostuuid", "nextvmid", "lockmanager"], path)
    version = required_attr(node, "version", path)
    if version not in VERSION_NAMES:
        raise LoadError(path, where(node, "version"), "unknown version '%s' (expected %s)"
                        % (version, ", ".join(VERSION_NAMES)))
    hostname = node.get("hostname", DEFAULT_HOSTNAMES[node.tag])
    if not hostname:
        raise LoadError(path, where(node, "hostname"), "empty hostname")
    nextvmid = None
    if node.get("nextvmid") is not None:
        nextvmid = parse_int(node.get("nextvmid"), path, where(node, "nextvmid"), "nextvmid",
                             C_INT, minimum=1)
    hostuuid = DEFAULT_HOSTUUIDS[node.tag]
    if node.get("hostuuid") is not None:
        hostuuid = parse_uuid(node.get("hostuuid"), path, where(node, "hostuuid"))
    lock_manager = node.get("lockmanager", "nop")
    if lock_manager not in LOCK_MANAGERS:
        raise LoadError(path, where(node, "lockmanager"), "unknown lock manager '%s' "
                        "(expected %s)" % (lock_manager, ", ".join(LOCK_MANAGERS)))
    state = HostState(version, hostname, nextvmid=nextvmid, hostuuid=hostuuid,
                      lock_manager=lock_manager)
    names = set()
    for dnode in node:
        if dnode.tag != "domain":
            raise LoadError(path, where(dnode), "unknown element <%s> in <%s> (expected "
                            "<domain>)" % (dnode.tag, node.tag))
        hd = load_host_domain(path, dnode)
        if hd.vm.def_.name in names or any(d.vm.def_.uuid == hd.vm.def_.uuid
                                           for d in state.domains):
            raise LoadError(path, where(dnode, "file"), "domain '%s' is already on the %s"
                            % (hd.vm.def_.name, node.tag))
        names.add(hd.vm.def_.name)
        state.domains.append(hd)
    return state


def _migrate(path, node, source):
    check_attrs(node, ["domain", "flow", "flags", "dname", "uri", "attempts"], path)
    domain = required_attr(node, "domain", path)
    if not any(hd.vm.def_.name == domain for hd in source.domains):
        raise LoadError(path, where(node, "domain"), "no domain named '%s' on the source"
                        % domain)
    flow_name = required_attr(node, "flow", path)
    if flow_name not in FLOWS:
        raise LoadError(path, where(node, "flow"), "unknown flow '%s' (expected %s)"
                        % (flow_name, ", ".join(FLOW_NAMES)))
    flow = FLOWS[flow_name]
    flags = flow.flags
    if node.get("flags") is not None:
        flags = _flags(node.get("flags"), path, where(node, "flags"))
    names = {}
    for attr in ("dname", "uri"):
        names[attr] = node.get(attr)
        if names[attr] is not None and not names[attr]:
            raise LoadError(path, where(node, attr), "empty %s (leave it out for NULL)" % attr)
    attempts = 2
    if node.get("attempts") is not None:
        attempts = parse_int(node.get("attempts"), path, where(node, "attempts"), "attempts",
                             C_INT, minimum=1)
        if attempts > 2:
            raise LoadError(path, where(node, "attempts"), "attempts is 1 or 2")
    faults, wakeups = [], []
    for child in node:
        if child.tag == "wakeup":
            wakeups.append(_wakeup(path, child, wakeups))
            continue
        if child.tag != "fault":
            raise LoadError(path, where(child), "unknown element <%s> in <migrate> (expected "
                            "<fault>, <wakeup>)" % child.tag)
        check_attrs(child, ["host", "callee", "nth"], path)
        side = _choice(path, child, "host", SIDES, "host")
        callee = required_attr(child, "callee", path)
        if not is_faultable(callee):
            raise LoadError(path, where(child, "callee"), "'%s' is neither a faultable stub "
                            "nor a crossing remote:<member>@<source|destination>" % callee)
        nth = nth_attr(child, path)
        if (side, callee, nth) in faults:
            raise LoadError(path, where(child), "fault %s:%s#%d given twice"
                            % (side, callee, nth))
        faults.append((side, callee, nth))
    names["wakeups"] = wakeups
    return domain, flow, flags, attempts, faults, names


def _choice(path, node, attr, choices, what):
    value = required_attr(node, attr, path)
    if value not in choices:
        raise LoadError(path, where(node, attr), "unknown %s '%s' (expected %s)"
                        % (what, value, ", ".join(choices)))
    return value


def _wakeup(path, node, seen):
    """A ``<wakeup host= at= nth= what=>``: (side, at, nth, what)."""
    check_attrs(node, ["host", "at", "nth", "what"], path)
    side = _choice(path, node, "host", ("source", "destination"), "host")
    at = _choice(path, node, "at", WAKEUP_POINTS, "wakeup point")
    nth = nth_attr(node, path)
    what = _choice(path, node, "what", WAKEUP_POINTS[at], "wakeup at %s" % at)
    if (side, at, nth, what) in seen:
        raise LoadError(path, where(node), "wakeup %s at %s:%s#%d given twice"
                        % (what, side, at, nth))
    return side, at, nth, what


def is_migration_element(root):
    """Whether a ``<scenario>`` root is a two-host one (it has a <source>)."""
    return any(child.tag in ("source", "destination", "migrate") for child in root)


def parse_migration_element(root, path):
    check_attrs(root, ["name"], path)
    name = required_attr(root, "name", path)
    parts = {}
    for child in root:
        if child.tag not in ("description", "source", "destination", "migrate"):
            raise LoadError(path, where(child), "unknown element <%s> in a two-host "
                            "<scenario> (expected description, source, destination, migrate)"
                            % child.tag)
        if child.tag in parts:
            raise LoadError(path, where(child), "a two-host scenario has one <%s>"
                            % child.tag)
        parts[child.tag] = child
    for tag in ("source", "destination", "migrate"):
        if tag not in parts:
            raise LoadError(path, where(root) + "/" + tag, "a two-host scenario needs "
                            "a <%s>" % tag)
    description = ""
    if "description" in parts:
        check_attrs(parts["description"], [], path)
        description = " ".join((xstring(parts["description"], "string(.)") or "").split())
    source = _host(path, parts["source"])
    destination = _host(path, parts["destination"])
    domain, flow, flags, attempts, faults, names = _migrate(path, parts["migrate"], source)
    return MigrationScenario(name, description, str(path), source, destination, domain, flow,
                             flags, faults, attempts, **names)


def bundled_migrations():
    """The bundled two-host scenarios: fixtures/scenarios/protocol."""
    return sorted((fixtures_dir() / "scenarios" / "protocol").glob("*.xml"))


def host_state(side, version, hostname, files):
    """A HostState from fixture files, as a <source>/<destination> would load:
    ``files`` is [(domain or status file, [snapshot files], autodestroy)]."""
    state = HostState(version, hostname, hostuuid=DEFAULT_HOSTUUIDS[side])
    for f, snaps, autodestroy in files:
        node = etree.Element("domain", file=str(f), autodestroy="yes" if autodestroy else "no")
        for s in snaps:
            etree.SubElement(node, "snapshot", file=str(s))
        state.domains.append(load_host_domain(str(f), node))
    return state


def parse_any_scenario_element(root, path):
    """A ``<scenario>`` root: a two-host scenario or a one-host one."""
    if is_migration_element(root):
        return parse_migration_element(root, path)
    return parse_scenario_element(root, path)


def load_any_scenario(path):
    """Load a scenario file of either kind (the loader's ``load_scenario``)."""
    path = str(path)
    root = parse_file(path)
    expect_root(root, ["scenario"], path)
    return parse_any_scenario_element(root, path)
