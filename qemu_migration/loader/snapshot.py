"""Snapshot XML: ``<domainsnapshot>`` as libvirt keeps an existing snapshot.

The fields are those virDomainSnapshotDefFormat writes and
virDomainSnapshotDefParseString reads back for a snapshot being redefined
(VIR_DOMAIN_SNAPSHOT_PARSE_REDEFINE): ``<name>`` (required), ``<description>``,
``<state>`` (a domain state name, required), ``<parent><name>``,
``<creationTime>`` (seconds since the epoch, required), and an optional inner
``<domain>`` whose ``<uuid>`` names the domain the snapshot belongs to.
"""
from dataclasses import dataclass
from typing import Optional

from ..world.constants import DOMAIN_STATE_NAMES
from ..world.objects import SnapshotDef
from .cint import C_LONG_LONG
from .errors import LoadError
from .xmlutil import (child_where, expect_root, parse_enum, parse_file, parse_int,
                      parse_uuid, where, xnode, xstring)


@dataclass
class LoadedSnapshotDef(SnapshotDef):
    """A SnapshotDef that also keeps what the file says beyond what the port reads."""
    description: Optional[str] = None
    domain_uuid: Optional[str] = None


def parse_snapshot_element(root, path):
    loc = where(root)
    name = xstring(root, "string(./name)")
    if name is None or not name.strip():
        raise LoadError(path, loc + "/name", "a snapshot must have a name (a <name> element)")
    description = xstring(root, "string(./description)")

    state_text = xstring(root, "string(./state)")
    if state_text is None:
        raise LoadError(path, loc + "/state", "missing state from existing snapshot")
    state_text = state_text.strip()
    parse_enum(state_text, DOMAIN_STATE_NAMES, path, child_where(root, "./state"),
               "snapshot state")

    ctime = xstring(root, "string(./creationTime)")
    if ctime is None:
        raise LoadError(path, loc + "/creationTime",
                        "missing creationTime from existing snapshot")
    creation = parse_int(ctime, path, child_where(root, "./creationTime"), "creationTime",
                         C_LONG_LONG, minimum=0)

    parent = xstring(root, "string(./parent/name)")
    if xnode(root, "./parent") is not None and (parent is None or not parent.strip()):
        raise LoadError(path, loc + "/parent/name", "a <parent> must have a <name>")
    parent = parent.strip() if parent else None

    domain_uuid = None
    dom = xnode(root, "./domain")
    if dom is not None:
        text = xstring(dom, "string(./uuid[1])")
        if text is not None:
            domain_uuid = parse_uuid(text, path, where(dom) + "/uuid")

    return LoadedSnapshotDef(name=name.strip(), parent=parent, state=state_text,
                             creationTime=creation, source=str(path),
                             description=description, domain_uuid=domain_uuid)


def load_snapshot(path):
    """Load a ``<domainsnapshot>`` file into a SnapshotDef (a LoadedSnapshotDef)."""
    path = str(path)
    root = parse_file(path)
    expect_root(root, ["domainsnapshot"], path)
    return parse_snapshot_element(root, path)
