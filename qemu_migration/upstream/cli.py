"""``qemu-migration compare``: every case through the Python port and the compiled C.

    qemu-migration compare --libvirt-src DIR [--version V|all] [--worktree] [--json] [--record]
                           [--coverage]

DIR is a libvirt checkout or a bare git directory; each version's functions are
read from it at that version's commit (or from the working tree with
--worktree), compiled once (cached), and every bundled scenario and every
enumerated case runs through both implementations, plus a fault case at each
faultable stub call the C makes fault-free and no port does.  Every
disagreement in the whole outcome (engine/outcome.py) is listed, and every state
whose two sides make different faultable calls; the last line counts them.  Exit
status 0 only when none disagree.  --record also writes what upstream did into
fixtures/upstream/<version>.json, which the tests check the port against.
--coverage builds the C with gcov and reports, per function, the lines executed
and every line that never ran (upstream/coverage.py); --record implies it, and
the record keeps the counts.  A line never run that is not listed unreachable
(fixtures/upstream/unreachable.txt) makes the exit status 1 too.

Then whole migrations (issue 9; upstream/protocol_compare.py): every row of the
protocol matrix over the versions asked, with the Python parties and with the
compiled ones (each host's unit, the client's libvirt.c), whole rows compared;
--faults adds every faultable call failing in turn.  --record (with all three
versions) writes fixtures/upstream/protocol.json as well, fault rows included.  Not with --worktree
(the units are built from the commits).
"""
import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import signal
import time

from ..cliutil import JSON_SCHEMA, UsageError
from ..cliutil import versions as parse_versions
from ..engine import run_call
from ..engine.batch import collector_off, cores, env_jobs, fork_context
from . import protocol_compare as PC
from .build import BuildError
from .coverage import render as render_coverage
from .extract import ExtractError


def _first_difference(k, x, y):
    """(where, python value, c value): a list field's first differing item, if any."""
    if isinstance(x, list) and isinstance(y, list):
        for j, (p, q) in enumerate(zip(x, y)):
            if p != q:
                return "%s[%d]" % (k, j), p, q
        if len(x) != len(y):
            return "%s (length)" % k, len(x), len(y)
    return k, x, y


def _field_diffs(py, c, limit=4):
    """The top-level outcome fields that differ, as 'field: python=... c=...' lines (for a
    list, its first item that differs: 'trace_args[16]: ...')."""
    pys = py if isinstance(py, list) else [py]
    cs = c if isinstance(c, list) else [c]
    out = []
    for i, (a, b) in enumerate(zip(pys, cs)):
        for k in a:
            if a.get(k) != b.get(k):
                where, x, y = _first_difference(k, a.get(k), b.get(k))
                out.append("%s%s: python=%s c=%s" % ("call %d " % (i + 1) if len(pys) > 1 else "",
                                                     where, _short(x), _short(y)))
    if len(pys) != len(cs):
        out.append("number of calls: python=%d c=%d" % (len(pys), len(cs)))
    return out[:limit] + (["(%d more fields)" % (len(out) - limit)] if len(out) > limit else [])


def _calls_differ(py_only, c_only):
    """A state whose fault-free runs differ in the faultable calls they make."""
    return ["faultable calls made by python only: %s; by c only: %s"
            % (", ".join(py_only) or "none", ", ".join(c_only) or "none")]


def _short(v, n=160):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= n else s[:n] + "..."


def compare_jobs():
    """Processes for ``compare`` without coverage: QEMU_MIGRATION_JOBS, else one per core.

    Unlike the case batches (analysis/cases.py: jobs), each worker here sends back only
    a version's counts and disagreements, so a second core pays (README, Speed)."""
    return env_jobs() or cores()


# what a forked worker of compare() runs: set before the workers are forked
_JOB = {}


def _quiet_worker():
    """A compare worker: Ctrl-C is the parent's to answer; no pool of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["QEMU_MIGRATION_JOBS"] = "1"


def _version_in_worker(v):
    j = _JOB
    return _compare_version(v, j["src"], j["worktree"], j["port"], j["items"], False)[0]


def _protocol_in_worker(versions, faults):
    t0 = time.perf_counter()
    pr = PC.compare(_JOB["src"], versions, faults, False)
    return {"rows": pr["rows"], "disagree": pr["disagree"],
            "seconds": round(time.perf_counter() - t0, 2)}


def _compare_version(v, src, worktree, port, items, coverage):
    """(report entry, measured lines or None, C outcomes by case id) of one version."""
    from ..analysis.cases import cases_from_both
    from . import coverage as cov
    from . import record as rec
    from .impl import CImpl
    t0 = time.perf_counter()
    impl = CImpl(v, src, worktree, coverage=coverage)
    t1 = time.perf_counter()
    py = rec.python_outcomes(v, port)
    t2 = time.perf_counter()
    with collector_off(), (cov.measure(impl.built) if coverage
                           else contextlib.nullcontext()) as measured:
        # fault points from both sides: every faultable call either makes fault-free
        extra, mismatches, c_out = cases_from_both(v, impl, port)
        v_items = items + [(c.id, lambda v, impl, c=c: run_call(c.make_world(), v, c.call,
                                                                 impl)) for c in extra]
        py.update((cid, runner(v, port)) for cid, runner in v_items[len(items):])
        base_out = c_out
        c_out = {cid: base_out.get(cid) or runner(v, impl) for cid, runner in v_items}
    t3 = time.perf_counter()
    disagreements = [{"case": cid, "fields": _calls_differ(py_only, c_only)}
                     for cid, py_only, c_only in mismatches]
    disagreements += [{"case": cid, "fields": _field_diffs(py[cid], c_out[cid])}
                      for cid, _ in v_items if not rec.same(c_out[cid], py[cid])]
    entry = {"commit": impl.built.spec.commit, "cases": len(v_items),
             "disagree": disagreements,
             "seconds": {"build": round(t1 - t0, 2), "python": round(t2 - t1, 2),
                         "c": round(t3 - t2, 2)}}
    return entry, (impl.built, measured.lines) if coverage else None, c_out


def _in_workers(n, versions, protocol_args):
    """The versions' entries and the protocol's rows and disagreements, each computed in
    a forked worker (the longest first, so that two cores finish together)."""
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=ctx,
                                                initializer=_quiet_worker) as pool:
        proto = (pool.submit(_protocol_in_worker, *protocol_args)
                 if protocol_args is not None else None)
        futs = {v: pool.submit(_version_in_worker, v) for v in reversed(versions)}
        return {v: futs[v].result() for v in versions}, proto.result() if proto else None


def compare(src, versions, worktree=False, record=False, coverage=False, port=None,
            protocol=True, faults=False):
    """Every case on the port of each version and on its C build; ``port`` (tests): a module
    to run instead of the version's port, such as a deliberately broken copy.

    Without coverage the versions and the protocol matrix run in forked workers
    (``compare_jobs``); with it (and with --record) in this process, which measures."""
    from . import coverage as cov
    from . import record as rec
    from .build import find_compiler
    from .impl import CImpl
    cc = find_compiler()
    coverage = coverage or record
    items = rec.case_ids_and_runners()
    report = {"versions": {}, "cases": 0, "disagree": 0}
    measured_by = {}
    if coverage:
        report["missed"] = 0
    run_protocol = protocol and not worktree
    faults = faults or record       # the record holds every fault row too
    n = 1 if coverage else min(compare_jobs(), len(versions) + run_protocol)
    entries, proto = {}, None
    if n > 1 and fork_context() is not None:     # none with other threads here
        for v in versions:          # built (or found in the cache) once, before the fork
            CImpl(v, src, worktree)
        _JOB.update(src=src, worktree=worktree, port=port, items=items)
        try:
            entries, proto = _in_workers(n, list(versions),
                                         (versions, faults) if run_protocol else None)
        finally:
            _JOB.clear()
    for v in versions:
        if v in entries:
            entry = entries[v]
        else:
            entry, lines, c_out = _compare_version(v, src, worktree, port, items, coverage)
            if coverage:
                measured_by[v] = lines + (c_out,)
        report["versions"][v] = entry
        report["cases"] += entry["cases"]
        report["disagree"] += len(entry["disagree"])
    proto_lines = {}
    if run_protocol:
        if proto is None:
            t0 = time.perf_counter()
            pr = PC.compare(src, versions, faults, coverage)
            proto_seconds = round(time.perf_counter() - t0, 2)
        else:
            pr, proto_seconds = proto, proto["seconds"]
        entry = {"rows": pr["rows"], "disagree": pr["disagree"], "faults": faults,
                 "seconds": proto_seconds}
        if coverage:
            entry["coverage"] = pr["coverage"]
            proto_lines = pr["lines"]
            report["missed"] += sum(r["missed"] for r in pr["coverage"].values())
        if record and list(versions) == ["pre", "post", "fixed"]:
            entry["recorded"] = os.path.relpath(
                PC.write(src, pr["c"], cc, coverage={
                    name: cov.recorded(r) for name, r in pr["coverage"].items()}),
                rec.RECORD_DIR.parent.parent)
        report["protocol"] = entry
        report["cases"] += pr["rows"]
        report["disagree"] += len(pr["disagree"])
    # a compiled function's coverage: what the function-level cases ran, and what the
    # protocol rows ran of it in the units (whole migrations call it too)
    for v, (built, lines, c_out) in measured_by.items():
        entry = report["versions"][v]
        # the list holds upstream's line numbers: not those of a working tree
        listed = None if worktree else cov.load_unreachable(v)
        entry["coverage"] = cov.report(built.spec.functions,
                                       cov.merged(lines, proto_lines.get("unit_" + v, {})),
                                       listed)
        report["missed"] += entry["coverage"]["missed"]
        if record:
            # relative to the project (fixtures/upstream/V.json), not the machine's path
            entry["recorded"] = os.path.relpath(
                rec.write(v, built, c_out, cc, cov.recorded(entry["coverage"])),
                rec.RECORD_DIR.parent.parent)
    return report


def render_text(report):
    lines = []
    for v, e in report["versions"].items():
        lines.append("%s (%s): %d cases, %d disagree%s" % (
            v, e["commit"], e["cases"], len(e["disagree"]),
            "; recorded in %s" % e["recorded"] if "recorded" in e else ""))
        if "seconds" in e:
            t = e["seconds"]
            lines.append("  build %.2fs; python %.2fs (%d cases/s); c %.2fs (%d cases/s)" % (
                t["build"], t["python"], e["cases"] / max(t["python"], 1e-9),
                t["c"], e["cases"] / max(t["c"], 1e-9)))
        for d in e["disagree"]:
            lines.append("  DISAGREE %s" % d["case"])
            lines.extend("    " + f for f in d["fields"])
        if "coverage" in e:
            lines.extend(render_coverage(e["coverage"]))
    p = report.get("protocol")
    if p is not None:
        lines.append("protocol%s: %d rows, %d disagree%s (%.2fs)" % (
            " with faults" if p.get("faults") else "", p["rows"], len(p["disagree"]),
            "; recorded in %s" % p["recorded"] if "recorded" in p else "",
            p.get("seconds", 0)))
        for d in p["disagree"]:
            lines.append("  DISAGREE %s" % d["case"])
            lines.extend("    " + f for f in d["fields"])
        if "coverage" in p:
            lines.extend(PC.render_coverage(p["coverage"]))
    lines.append("%d cases, %d disagree%s" % (
        report["cases"], report["disagree"],
        "; %d reachable lines never ran" % report["missed"] if "missed" in report else ""))
    return "\n".join(lines)


def cmd_compare(args, out):
    versions = parse_versions(args.version)
    try:
        report = compare(args.libvirt_src, versions, args.worktree, args.record, args.coverage,
                         faults=args.faults)
    except (BuildError, ExtractError) as e:
        raise UsageError(str(e).replace("qemu-migration: ", "", 1))
    if args.json:
        json.dump({"schema": JSON_SCHEMA, **report}, out, indent=1)
        out.write("\n")
    else:
        out.write(render_text(report) + "\n")
    return 0 if report["disagree"] == 0 and not report.get("missed") else 1


def add_commands(sub):
    p = sub.add_parser("compare", help="run every case through the port and the upstream C")
    p.add_argument("--libvirt-src", required=True, metavar="DIR",
                   help="a libvirt checkout or bare git directory")
    p.add_argument("--version", default="all")
    p.add_argument("--worktree", action="store_true",
                   help="read the sources from DIR's working tree, not from the commits")
    p.add_argument("--json", action="store_true")
    p.add_argument("--record", action="store_true",
                   help="also write fixtures/upstream/<version>.json (with --coverage's counts)")
    p.add_argument("--coverage", action="store_true",
                   help="build the C with gcov and report the lines each function executed")
    p.add_argument("--faults", action="store_true",
                   help="whole migrations too with every faultable call failing in turn")
    p.set_defaults(func=cmd_compare)
