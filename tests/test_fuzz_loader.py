"""Fuzzing the loader with mutated fixtures: the only exception is the loader's own LoadError.

Each example takes a bundled file (a domain, status, snapshot or scenario), or a
file a bundled scenario refers to, and mutates it one to three times: bytes
(truncate, insert garbage, delete, overwrite) or structure (drop, duplicate or
rename an element; drop, rename or add an attribute; swap two values; set a
value to a huge, negative, non-ASCII or empty number).  The mutated file is
written over its copy in a scratch tree of the fixtures, so that relative
references still resolve, and the chosen file is loaded.  What loads is
described (as ``qemu-migration show`` would), and a scenario that loads is run
through the engine on every version, call after call on one world.  Any exception other than a one-line
LoadError from loading fails the test.

Runs are derandomized and keep no example database, so CI sees the same
examples every time; a few seconds in all.
"""
import copy
import os
import re
from pathlib import Path

import pytest

from conftest import untraced
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qemu_migration.engine.runner import run_call
from qemu_migration.loader import LoadError, Scenario, describe, load_any
from qemu_migration.port import VERSION_NAMES

FIX = Path(__file__).resolve().parent.parent / "fixtures"
SEEDS = sorted(str(p.relative_to(FIX)) for d in ("domains", "snapshots", "scenarios")
               for p in (FIX / d).glob("*.xml"))
SETTINGS = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

TAGS = ["domain", "domstatus", "domainsnapshot", "scenario", "host", "call", "arg", "fault",
        "wakeup", "static", "snapshot", "name", "uuid", "memory", "vcpu", "devices", "hostdev",
        "source", "address", "vendor", "product", "graphics", "monitor", "job", "vcpus",
        "state", "creationTime", "parent", "description", "lockstate", "x"]
ATTRS = ["id", "type", "mode", "file", "name", "value", "function", "domain", "callee", "nth",
         "refs", "persistent", "autodestroy", "state", "reason", "pid", "async", "phase",
         "bus", "slot", "function", "device", "current", "path", "hostname", "what", "nextvmid",
         "job-start", "x"]
VALUES = ["99999999999999999999999", "-1", "-2147483649", "2147483647", "2147483648",
          "4294967295", "4294967296", "65535", "65536", "18446744073709551616", "0", "00",
          "0x", "0xffffffff", "\u0663", "\uff11\uff12", "1\u00b2", "", " ", "1e3", "+5",
          "yes", "no", "web1", "running", "none", "migration out", "begin3", "../domains/db1.xml",
          "/dev/zero", ".", "qemuMigrationBegin", "virTimeMs", "live peer2peer",
          "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a", "\u00e9\u00e8", "a" * 300]
GARBAGE = [b"<", b">", b"&", b"&lol;", b"]]>", b"<![CDATA[", b"<!--", b"<!DOCTYPE domain>",
           b"<!DOCTYPE d [<!ENTITY e 'x'>]>", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"\xc3",
           "\u0663".encode(), b"<x/>", b"</domain>", b"<call function='qemuMigrationBegin'/>",
           b"'", b'"', b"=", b" a='1'", b"\n" * 3]


def references(rel):
    """The fixture files (relative to FIX) a bundled file names with file=..."""
    text = (FIX / rel).read_text()
    out = []
    for ref in re.findall(r"""\bfile=["']([^"']+)["']""", text):
        target = os.path.normpath(os.path.join(os.path.dirname(rel), ref))
        if (FIX / target).is_file():
            out.append(target)
    return out


@st.composite
def byte_mutation(draw, data):
    k = draw(st.integers(0, len(data)))
    op = draw(st.sampled_from(["truncate", "insert", "delete", "overwrite"]))
    if op == "truncate":
        return data[:k]
    if op == "insert":
        junk = draw(st.one_of(st.sampled_from(GARBAGE), st.binary(min_size=1, max_size=8)))
        return data[:k] + junk + data[k:]
    if op == "delete":
        return data[:k] + data[k + draw(st.integers(1, 40)):]
    return data[:k] + bytes([draw(st.integers(0, 255))]) + data[k + 1:]


def _parse_plain(data):
    try:
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, load_dtd=False,
                                                      no_network=True))
    except etree.XMLSyntaxError:
        return None


@st.composite
def structure_mutation(draw, data):
    root = _parse_plain(data)
    if root is None:                      # an earlier mutation broke it: bytes, then
        return draw(byte_mutation(data))
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    e = draw(st.sampled_from(elements))
    parent = e.getparent()
    op = draw(st.sampled_from(["drop", "duplicate", "rename", "drop-attr", "rename-attr",
                               "add-attr", "swap", "value", "text"]))
    if op == "drop" and parent is not None:
        parent.remove(e)
    elif op == "duplicate" and parent is not None:
        parent.insert(parent.index(e), copy.deepcopy(e))
    elif op == "rename":
        e.tag = draw(st.sampled_from(TAGS))
    elif op in ("drop-attr", "rename-attr") and len(e.attrib):
        name = draw(st.sampled_from(sorted(e.attrib)))
        value = e.attrib.pop(name)
        if op == "rename-attr":
            e.set(draw(st.sampled_from(ATTRS)), value)
    elif op == "add-attr":
        e.set(draw(st.sampled_from(ATTRS)), draw(st.sampled_from(VALUES)))
    elif op == "swap":
        slots = [(x, a) for x in elements for a in x.attrib] + [(x, None) for x in elements]
        (x, a), (y, b) = draw(st.lists(st.sampled_from(slots), min_size=2, max_size=2))
        xv = x.get(a) if a else x.text
        yv = y.get(b) if b else y.text
        for node, attr, v in ((x, a, yv), (y, b, xv)):
            if attr:
                node.set(attr, v or "")
            else:
                node.text = v
    elif op == "value" and len(e.attrib):
        e.set(draw(st.sampled_from(sorted(e.attrib))), draw(st.sampled_from(VALUES)))
    else:
        e.text = draw(st.sampled_from(VALUES))
    return etree.tostring(root)


@st.composite
def mutated_fixtures(draw):
    """(file to load, file mutated, its mutated bytes), both relative to FIX."""
    load = draw(st.sampled_from(SEEDS))
    victim = draw(st.sampled_from([load] + references(load)))
    data = (FIX / victim).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        # mostly structure: a random byte change mostly makes XML that does not parse
        kind = draw(st.sampled_from([byte_mutation] + 3 * [structure_mutation]))
        data = draw(kind(data))
    return load, victim, data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A copy of the fixture files, laid out as in fixtures/, to mutate in place."""
    root = tmp_path_factory.mktemp("fixtures")
    for rel in SEEDS:
        (root / rel).parent.mkdir(exist_ok=True)
        (root / rel).write_bytes((FIX / rel).read_bytes())
    return root


def load_and_run(path):
    """Load ``path``; describe it; run a scenario's calls on every version."""
    try:
        obj = load_any(path)
    except LoadError as e:
        assert "\n" not in str(e) and str(e).startswith(e.path + ": ")
        return None
    describe(obj)
    if isinstance(obj, Scenario):
        for version in VERSION_NAMES:
            world = obj.build_world()
            for call in obj.calls:
                # every call, even on a domain an earlier call removed: the engine
                # looks it up as the driver does and gets VIR_ERR_NO_DOMAIN
                run_call(world, version, call)
    return obj


def test_every_bundled_file_loads_in_the_scratch_tree(scratch):
    for rel in SEEDS:
        assert load_and_run(scratch / rel) is not None, rel


@untraced
@SETTINGS
@given(case=mutated_fixtures())
def test_mutated_fixtures_load_or_fail_in_one_line(scratch, case):
    load, victim, data = case
    target = scratch / victim
    original = (FIX / victim).read_bytes()
    target.write_bytes(data)
    try:
        load_and_run(scratch / load)
    finally:
        target.write_bytes(original)
