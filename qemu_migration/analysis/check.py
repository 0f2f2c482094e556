"""The invariant run alone: every generated case on one or more versions.

Violations are grouped by (entry point, invariant, path of the callee that was
made to fail, or "none"): the path is the chain of calls from the entry point
down to the faulted stub, read from the trace, so that the same stub failing
under two different callers counts as two findings.  Each group gives its
number of cases, the violation's detail, one example case id and its trace.

Where the defect sits.  Each group names one ported line of qemu_migration.c
and its upstream line, found by running the group's example case once more
with explain's line tracer (only that case, only for a ported version):

- error-count under a fault: the line whose call reached the faulted callee
  (the stray error comes from that call, or the missing one goes unreported
  after it), e.g. the ``qemuMigrationJobFinish`` call at endjob;
- every other violation: the last ``goto`` the path executed, the jump that
  chose the exit path which left the state behind (``goto cleanup`` at
  L-/2219 for the leak); a path that made no goto gives its last line.

A compiled C version (c:...) runs without a line trace: no line is named.

With a baseline version B, a group is *new* when B has no group with the same
entry point, invariant and faulted path, and *already in B* otherwise: the
same kind of defect on the same path, whatever line or case count.  (Case by
case would not do: fixed refuses where pre migrated, so a save failing at the
end of the job overwrites an error in different cases than in pre, but it is
pre's defect.)  ``exit_status`` is then 1 only for new groups.
"""
from collections import OrderedDict

from ..engine.batch import collector_off
from ..engine.text import trace_tree
from ..port.registry import ENTRY_NAMES
from ..port import VERSION_NAMES, VERSIONS
from . import cases as C
from . import caseid, explain

FAULT_MARK = " !fault"


def fault_path(trace):
    """"a > b > stub" for the faulted stub of a trace (list of indented lines), or None."""
    stack = []
    for line in trace:
        name = line.lstrip(" ")
        depth = (len(line) - len(name)) // 2
        del stack[depth:]
        if name.endswith(FAULT_MARK):
            return " > ".join(stack + [name[:-len(FAULT_MARK)]])
        stack.append(name)
    return None


def _fault_index(trace):
    return next((i for i, t in enumerate(trace) if t.endswith(FAULT_MARK)), None)


def defect_site(case, version, invariant):
    """The ported line where a violation of ``case`` on ``version`` sits (module docstring),
    as a dict, or None for a compiled C version."""
    if C.version_impl(version)[1] is not None:
        return None
    outs, steps = explain.run_traced(caseid.CaseScenario(case), version)
    fault = _fault_index(outs[0]["trace"])
    if invariant == "error-count" and fault is not None:
        chosen = [s for s in steps if s.at <= fault]
        why = "the call that reached the faulted callee"
    else:
        chosen = [s for s in steps if s.code.startswith("goto(")]
        why = "the last goto on the path"
        if not chosen:
            chosen, why = steps, "the last line on the path"
    s = chosen[-1]
    return OrderedDict([("function", s.function), ("line", s.ann),
                        ("upstream_line", s.upstream_line(version)),
                        ("code", s.code), ("why", why)])


def group_key(g):
    return (g["function"], g["invariant"], g["fault_path"])


@collector_off()
def check(versions=None, functions=None, baseline=None):
    """{"cases": n, "versions": {v: {"violations": n, "cases": n, "groups": [...]}}}.

    With ``baseline`` (a version name) each group says whether it is "new" or
    "present" in the baseline, and each version counts its new groups and violations.
    Made without the cyclic collector, as ``diff.diff`` is (it reads lazy outcomes).
    """
    versions = list(versions or VERSION_NAMES)
    functions = [C.resolve_function(f) or f for f in (functions or ENTRY_NAMES)]
    cs = C.enumerate_cases(functions)
    result = OrderedDict([("cases", len(cs)), ("versions", OrderedDict())])
    C.prefetch(versions + ([baseline] if baseline else []), cs)
    base_keys = None
    if baseline is not None:
        base = check([baseline], functions)["versions"][baseline]
        base_keys = {group_key(g) for g in base["groups"]}
    by_id = {c.id: c for c in cs}
    for v in versions:
        groups = OrderedDict()
        n_cases = n_viol = 0
        for case, o in zip(cs, C.lazy_outcomes(v, cs)):
            if not o["violations"]:
                continue
            n_cases += 1
            path = fault_path(o["trace"]) if case.dims["fault"] != C.NO_FAULT else None
            for viol in o["violations"]:
                n_viol += 1
                key = (case.function, viol["invariant"], path or "none")
                g = groups.get(key)
                if g is None:
                    g = groups[key] = OrderedDict([
                        ("function", case.function), ("short", case.short),
                        ("invariant", viol["invariant"]),
                        ("fault_path", path or "none"),
                        ("cases", 0), ("detail", viol["detail"]),
                        ("example", case.id), ("trace", trace_tree(o["trace"])),
                        ("error", o["error"]["message"] if o["error"] else None),
                    ])
                g["cases"] += 1
        order = {f: i for i, f in enumerate(ENTRY_NAMES)}
        for g in groups.values():
            g["defect"] = defect_site(by_id[g["example"]], v, g["invariant"])
            if base_keys is not None:
                g["baseline"] = "present" if group_key(g) in base_keys else "new"
        res = result["versions"][v] = OrderedDict([
            ("violations", n_viol), ("cases_violating", n_cases),
            ("groups", sorted(groups.values(), key=lambda g: (
                order[g["function"]], g["invariant"], g["fault_path"] != "none",
                g["fault_path"]))),
        ])
        if base_keys is not None:
            new = [g for g in res["groups"] if g["baseline"] == "new"]
            res["new_groups"] = len(new)
            res["new_violations"] = sum(g["cases"] for g in new)
    if baseline is not None:
        result["baseline"] = baseline
    return result


def defect_text(d, version):
    """'qemuMigrationPerformJob L-/2219 goto("cleanup") (qemu_migration.c:2219 @ e2fb96d9)'."""
    if d is None:
        return "(compiled C: no line trace)"
    where = ""
    if d["upstream_line"] is not None and version in VERSION_NAMES:
        where = " (qemu_migration.c:%d @ %s)" % (d["upstream_line"],
                                                 VERSIONS[version].commit[:8]
                                                 + ("+bebe5122" if version == "fixed" else ""))
    return "%s %s %s%s" % (d["function"], d["line"], d["code"], where)


def render_text(r):
    base = r.get("baseline")
    lines = ["%d cases" % r["cases"] + (", against %s" % base if base else "")]
    for v, res in r["versions"].items():
        lines.append("")
        lines.append("%s: %d violations in %d cases, %d groups" % (
            v, res["violations"], res["cases_violating"], len(res["groups"]))
            + ("; new against %s: %d groups, %d violations" % (
                base, res["new_groups"], res["new_violations"]) if base else ""))
        for g in res["groups"]:
            mark = ""
            if base:
                mark = "NEW " if g["baseline"] == "new" else "(in %s) " % base
            lines.append("  %s%s %s, fault at %s: %d cases" % (
                mark, g["short"], g["invariant"], g["fault_path"], g["cases"]))
            lines.append("      %s" % g["detail"])
            lines.append("      at %s" % defect_text(g["defect"], v))
            if g["error"]:
                lines.append("      error: %s" % g["error"])
            lines.append("      e.g. %s" % g["example"])
            lines.append("      trace: %s" % g["trace"])
    return "\n".join(lines) + "\n"


def exit_status(r):
    """1 when a version has violations (with a baseline: new ones), else 0."""
    key = "new_violations" if "baseline" in r else "violations"
    return 1 if any(res[key] for res in r["versions"].values()) else 0
