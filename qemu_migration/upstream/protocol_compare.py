"""Whole migrations through the compiled C and through the Python port, row by row.

Every row of the protocol matrix (engine/protocol.py: flow x source version x
destination version x domain, and with ``faults`` each faultable call of either
side failing in turn) runs twice: with the Python parties (port/libvirt.py's
virDomainMigrate, port/unit.py's entry points) and with the C ones (libvirt.c's
virDomainMigrate compiled for the client, each host's compiled unit:
chost.py).  The whole row is compared: outcome, where it was refused, the
client's error, what each host's trace and errors were, what is left behind,
the second attempt.

``--record`` writes ``fixtures/upstream/protocol.json``: per row a digest of the
C run's row and a few words, plus the commit and sha256 of every function the
unit and the client add; the tests hold the Python rows to it where no libvirt
source is at hand (CI).
"""
import contextlib
import hashlib
import json
import os

from ..engine import protocol as P
from ..paths import fixtures_dir
from . import chost
from . import coverage as cov
from . import cproto as CP
from .record import compiler_version, digest, same

RECORD_PATH = fixtures_dir() / "upstream" / "protocol.json"
# the functions a unit adds to the function-level ones
UNIT_EXTRA = frozenset(n for names in CP.UNIT_FUNCTIONS.values() for n in names)
FORMAT = 1
HOW_TO_RECORD = ("record it with: qemu-migration compare --libvirt-src DIR --record "
                 "(DIR: a libvirt checkout or mirror holding the three commits)")


def row_id(row):
    """flow/source/destination/domain (domain~variant for an extra row), and
    /side:callee#n for a row with a fault."""
    rid = "%s/%s/%s/%s" % (row["flow"], row["source"], row["destination"], row["domain"])
    if row.get("variant"):
        rid += "~" + row["variant"]
    rid += "/" + row["fault"] if row.get("fault") else ""
    return rid + ("/wakeup " + row["wakeup"] if row.get("wakeup") else "")


def summary(row):
    err = row["error"]["code"] if row.get("error") else "no error"
    return "%s%s %s" % (row["outcome"], " at " + row["refused_at"] if row["refused_at"] else "",
                        err)


def python_rows(versions, faults=False):
    """The matrix's rows and the extra ones (engine/protocol.py's extra_rows), by id."""
    return {row_id(r): r for r in P.matrix(sources=versions, destinations=versions,
                                           faults=faults)
            + P.extra_rows(versions, faults)}


def c_parties(src, coverage=False):
    """The client's virDomainMigrate and the hosts' entry points, compiled."""
    migrate = chost.client(src, coverage).virDomainMigrate
    return migrate, (lambda version: chost.entry_points(version, src, coverage))


def c_rows(src, versions, faults=False, coverage=False):
    migrate, entries = c_parties(src, coverage)
    return {row_id(r): r for r in P.matrix(sources=versions, destinations=versions,
                                           faults=faults, migrate=migrate, entries=entries)
            + P.extra_rows(versions, faults, migrate, entries)}


def _measured(src, versions):
    """(name, built, functions to report) of each build a coverage run measures: the
    functions the units add (per version) and the client's."""
    out = []
    for v in versions:
        built = chost.unit(v, src, True).built
        out.append(("unit_" + v, built, [f for f in built.spec.functions
                                         if f.name in UNIT_EXTRA]))
    built = chost.client(src, True).built
    out.append(("client", built, list(built.spec.functions)))
    return out


def _listed(name):
    """The unreachable list of a build: unit_VERSION's or the client's."""
    return cov.load_unreachable(name[len("unit_"):] if name.startswith("unit_") else name)


def compare(src, versions, faults=False, coverage=False):
    """{"rows": n, "disagree": [{"case", "fields"}], "c": rows, "coverage": ..., "lines":
    ...}: every row on both sides; with ``coverage`` the C is built with gcov: per build,
    the lines of every function it has that the rows ran (``lines``: a unit also runs the
    function-level functions, whose coverage adds them up), and the report of the
    functions the units and the client add, against the unreachable list when the run
    is whole (``faults`` over the three versions; upstream/coverage.py)."""
    py = python_rows(versions, faults)
    builds = _measured(src, versions) if coverage else []
    with contextlib.ExitStack() as stack:
        measured = [stack.enter_context(cov.measure(b)) for _, b, _ in builds]
        c = c_rows(src, versions, faults, coverage)
    # the list holds what no row of the whole run reaches: the fault rows over all three
    # versions (a slice of it is reported for reading, nothing counted as missed)
    whole = faults and sorted(versions) == sorted(P.VERSION_NAMES)
    reports = {name: cov.report(funcs, m.lines, _listed(name) if whole else None)
               for (name, _, funcs), m in zip(builds, measured)}
    out = []
    for rid in sorted(set(py) | set(c)):
        if rid not in c or rid not in py:
            out.append({"case": "protocol/" + rid,
                        "fields": ["fault point made by %s only"
                                   % ("python" if rid in py else "c")]})
        elif not same(py[rid], c[rid]):
            fields = [k for k in py[rid] if py[rid].get(k) != c[rid].get(k)]
            out.append({"case": "protocol/" + rid,
                        "fields": ["%s: python=%s c=%s" % (k, _short(py[rid].get(k)),
                                                           _short(c[rid].get(k)))
                                   for k in fields[:4]]})
    res = {"rows": len(set(py) | set(c)), "disagree": out, "c": c}
    if coverage:
        res["coverage"] = reports
        res["lines"] = {name: m.lines for (name, _, _), m in zip(builds, measured)}
    return res


SLICE_NOTE = ("not held to the unreachable list (it holds what --faults over all three "
              "versions leaves unrun)")


def render_coverage(reports):
    """Per build, the coverage of the functions the protocol adds, as the function-level
    coverage is shown (upstream/coverage.py's render)."""
    lines = []
    for name, rep in reports.items():
        lines.append("  %s:" % name)
        rendered = cov.render(rep)
        rendered[0] = rendered[0].replace(cov.WORKTREE_NOTE, SLICE_NOTE)
        lines.extend("  " + ln for ln in rendered)
    return lines


def _short(v, n=160):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= n else s[:n] + "..."


def functions(src):
    """sha256 of each function the units and the client add, per build."""
    out = {}
    for v in ("pre", "post", "fixed"):
        built = chost.unit(v, src).built
        out["unit_" + v] = {"commit": built.spec.commit, "functions": {
            f.name: hashlib.sha256(f.text.encode()).hexdigest()
            for f in built.spec.functions if f.name in UNIT_EXTRA}}
    built = chost.client(src).built
    out["client"] = {"commit": built.spec.commit, "functions": {
        f.name: hashlib.sha256(f.text.encode()).hexdigest() for f in built.spec.functions}}
    return out


def write(src, rows, cc, path=None, coverage=None):
    """Write the observations; ``coverage``: {build: upstream/coverage.py's recorded() of
    its report}, one line per function."""
    path = path or RECORD_PATH
    os.makedirs(os.path.dirname(path), exist_ok=True)
    head = {"format": FORMAT, "builds": functions(src), "compiler": compiler_version(cc)}
    with open(path, "w") as f:
        f.write("{\n")
        for k, v in head.items():
            f.write(" %s: %s,\n" % (json.dumps(k), json.dumps(v, sort_keys=True)))
        if coverage is not None:
            f.write(' "coverage": {\n')
            for i, (build, funcs) in enumerate(coverage.items()):
                f.write("  %s: {\n" % json.dumps(build))
                items = list(funcs.items())
                for j, (name, val) in enumerate(items):
                    f.write("   %s: %s%s\n" % (json.dumps(name), json.dumps(val),
                                                "," if j < len(items) - 1 else ""))
                f.write("  }%s\n" % ("," if i < len(coverage) - 1 else ""))
            f.write(" },\n")
        f.write(' "rows": {\n')
        items = sorted(rows.items())
        for i, (rid, row) in enumerate(items):
            f.write("  %s: %s%s\n" % (json.dumps(rid), json.dumps("%s %s" % (digest(row),
                                                                              summary(row))),
                                       "," if i < len(items) - 1 else ""))
        f.write(" }\n}\n")
    return path


def load(path=None):
    path = path or RECORD_PATH
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def check_against_record(rows, path=None):
    """Problems (strings) between rows (the Python port's, by id) and the record."""
    rec = load(path)
    if rec is None:
        return ["no protocol observations (%s missing); %s" % (path or RECORD_PATH,
                                                               HOW_TO_RECORD)]
    recorded = rec["rows"]
    problems = []
    missing = [rid for rid in rows if rid not in recorded]
    if missing:
        problems.append("%d protocol row(s) have no recorded upstream observation, e.g. %s; %s"
                        % (len(missing), missing[0], HOW_TO_RECORD))
    stale = [rid for rid in recorded if rid not in rows]
    if stale:
        problems.append("%d recorded protocol observation(s) match no current row, e.g. %s; %s"
                        % (len(stale), stale[0], HOW_TO_RECORD))
    for rid, row in rows.items():
        if rid in recorded:
            want = recorded[rid].split(" ", 1)
            got = digest(row)
            if got != want[0]:
                problems.append("protocol/%s: the port gives %s (%s), upstream gave %s (%s)"
                                % (rid, got, summary(row), want[0], want[1]))
    return problems
