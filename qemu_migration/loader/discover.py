"""Finding scenario files in a folder: those whose root element is ``<scenario>``.

Domain, status and snapshot files usually sit beside the scenarios that name
them, so a folder is not a list of scenarios.  Each ``.xml`` file is read only
up to its root element's start tag (lxml's iterparse, with entities, DTDs and
network access off).  A file whose root cannot be read (malformed before it,
unreadable) counts as a scenario, so that loading it reports the problem
instead of the file being passed over in silence.
"""
import os
from pathlib import Path

from lxml import etree

_ITERPARSE_OPTIONS = dict(events=("start",), resolve_entities=False, no_network=True,
                          load_dtd=False, huge_tree=False)


def root_tag(path):
    """The name of ``path``'s root element, or None when it cannot be read up to it."""
    try:
        with open(os.fsencode(path), "rb") as f:     # bytes: lxml cannot encode every str
            _, element = next(etree.iterparse(f, **_ITERPARSE_OPTIONS))
    except (OSError, etree.XMLSyntaxError):
        return None
    return element.tag


def is_scenario_file(path):
    """True for a regular ``.xml`` file whose root is ``<scenario>`` or cannot be read."""
    p = Path(path)
    return p.suffix == ".xml" and p.is_file() and root_tag(p) in ("scenario", None)


def scenario_files(folder):
    """The scenario files under ``folder`` and its subfolders, sorted by path."""
    return sorted(p for p in Path(folder).rglob("*.xml") if is_scenario_file(p))
