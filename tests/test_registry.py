"""The registry of entry points agrees with the ports, the stubs, the C build and the cases."""
import ast
import inspect
import re
from pathlib import Path

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.engine.runner import run_call
from qemu_migration.port import MIGRATION_C, PORTED, STATICS, VERSIONS, callees, cookie, qemu_domain
from qemu_migration.loader.cint import C_TYPES
from qemu_migration.port.registry import (ENTRY_NAMES, ENTRY_POINTS, LONG, SHORT, _cookie_outs,
                                          flags_value, resolve)
from qemu_migration.upstream import build as B
from qemu_migration.world import parsing, stubs, xmlutil
from qemu_migration.world.constants import VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER
from qemu_migration.world.objects import OutParam

PORT_DIR = Path(inspect.getfile(qemu_domain)).parent


def _call_graph(modules):
    """function name -> names it calls, from the ports' source."""
    g = {}
    for m in modules:
        for node in ast.parse(inspect.getsource(m)).body:
            if isinstance(node, ast.FunctionDef):
                g[node.name] = {c.func.id for c in ast.walk(node)
                                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
    return g


def _reachable_stubs(entry, version):
    # the stubs and the cookie port too: a stub may call another (doNativeMigrate's
    # virAsprintf, say), the cookie's functions call the host's stubs, and its buffer
    # (world/xmlutil.py) the one of its growth
    g = _call_graph([VERSIONS[version].module, qemu_domain, callees, cookie, stubs, xmlutil])
    seen, todo = set(), [entry]
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo.extend(c for c in g[f] if c in g)
    return {c for f in seen for c in g[f] if c in stubs.FAULTABLE} - {entry}


def test_rows_and_names():
    assert ENTRY_NAMES == ["qemuMigrationIsAllowed", "qemuMigrationBegin",
                           "qemuMigrationPrepareTunnel", "qemuMigrationPrepareDirect",
                           "qemuMigrationPerformJob"]
    assert SHORT["qemuMigrationPerformJob"] == "PerformJob"
    assert LONG["PrepareDirect"] == "qemuMigrationPrepareDirect"
    assert resolve("Begin") == resolve("qemuMigrationBegin") == "qemuMigrationBegin"
    assert resolve("performjob") == resolve("QEMUMIGRATIONPERFORMJOB") == \
        "qemuMigrationPerformJob"
    assert resolve("Finish") is None
    assert [e.defines_domain for e in ENTRY_POINTS.values()] == [False, False, True, True, False]


def test_flags_value_takes_a_number_or_names():
    assert flags_value(6) == 6
    assert flags_value("live peer2peer") == VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER
    assert flags_value(None) == 0


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_row_matches_the_ports(name):
    e = ENTRY_POINTS[name]
    assert name in PORTED[MIGRATION_C]
    assert e.domain in ("required", "none", "either")
    assert e.lock_after in ("same", "unlocked")
    assert (e.driver_entry is None) == (e.domain == "none")
    for arg in e.args.values():
        assert arg.kind in ("text", "bool", "int", "flags", "xmlfile", "deffile")
        assert (arg.ctype is not None) == (arg.kind in ("int", "flags"))
        assert arg.ctype is None or arg.ctype in C_TYPES
    for v, version in VERSIONS.items():
        fn = getattr(version.module, name)
        params = inspect.signature(fn).parameters
        # the C signature the build checks has one parameter per parameter of the port
        sig = B.Signature.of(e.signature(v))
        assert len(sig.params) == len(params), (name, v)
        assert B.expected_signatures(v)[name] == sig


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_faultable_path_is_the_call_graph_and_covers_every_run(name):
    e = ENTRY_POINTS[name]
    assert list(e.faultable) == sorted(e.faultable)
    graph = set().union(*(_reachable_stubs(name, v) for v in VERSIONS))
    # every stub declared is one the port below the entry point can call ...
    assert set(e.faultable) <= graph
    # ... and the only ones left out are the tunnel's, which the direct prepare never reaches
    left_out = graph - set(e.faultable)
    assert left_out == ({"pipe", "virSetCloseExec", "virFDStreamOpen"}
                        if name == "qemuMigrationPrepareDirect" else set())
    # every faultable stub a fault-free case calls is declared
    for case in C.enumerate_cases([name]):
        if case.dims["fault"] == C.NO_FAULT:
            for v in VERSIONS:
                assert set(C._CALLS[(v, case.id)]) <= set(e.faultable), case.id


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_invoke_gives_the_declared_out_parameters(name):
    case = C.enumerate_cases([name])[0]
    for v in VERSIONS:
        o = run_call(case.make_world(), v, case.call)
        assert list(o["out"]) == list(ENTRY_POINTS[name].outs)


def test_case_spaces_are_keyed_by_the_registry():
    assert list(C.SPACES) == ENTRY_NAMES


def test_statics_are_the_ones_the_ports_use():
    used = set()
    for f in PORT_DIR.glob("*.py"):
        used.update(re.findall(r"""\bstatic\(\s*["']([^"']+)["']""", f.read_text()))
    assert used == set(STATICS)
    for name, (func, var) in STATICS.items():
        assert name == "%s.%s" % (func, var)
        assert func in PORTED[MIGRATION_C]


def test_world_parser_slot_says_when_empty():
    saved = list(parsing._PARSER)
    try:
        parsing._PARSER.clear()
        with pytest.raises(RuntimeError, match="no domain XML parser is installed"):
            parsing.parse_domain_xml("<domain/>", "<t>")
    finally:
        parsing._PARSER[:] = saved
    with pytest.raises(parsing.DomainXMLError, match="<t>"):
        parsing.parse_domain_xml("<domain", "<t>")


def test_the_cookie_out_parameters_are_made_as_outparam_makes_them():
    """``_cookie_outs`` makes ``OutParam("cookieout"), OutParam("cookieoutlen", 0)``
    without their constructor: the same class, roles and values, new at each call."""
    got, again = _cookie_outs(), _cookie_outs()
    want = (OutParam("cookieout"), OutParam("cookieoutlen", 0))
    assert [(type(p), p.role, p.value) for p in got] == [(type(p), p.role, p.value)
                                                         for p in want]
    # every slot the constructor sets, one added later too
    slots = [s for k in OutParam.__mro__ for s in getattr(k, "__slots__", ())]
    assert {"role", "value"} <= set(slots)
    assert [[getattr(p, s) for s in slots] for p in got] == [[getattr(p, s) for s in slots]
                                                             for p in want]
    assert all(a is not b for a, b in zip(got, again))
