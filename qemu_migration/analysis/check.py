"""The invariant run alone: every generated case on one or more versions.

Violations are grouped by (entry point, invariant, path of the callee that was
made to fail, or "none"): the path is the chain of calls from the entry point
down to the faulted stub, read from the trace, so that the same stub failing
under two different callers counts as two findings.  Each group gives its
number of cases, the violation's detail, one example case id and its trace.
"""
from collections import OrderedDict

from ..engine.text import trace_tree
from ..port.registry import ENTRY_NAMES
from ..port import VERSION_NAMES
from . import cases as C

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


def check(versions=None, functions=None):
    """{"cases": n, "versions": {v: {"violations": n, "cases": n, "groups": [...]}}}."""
    versions = list(versions or VERSION_NAMES)
    functions = [C.resolve_function(f) or f for f in (functions or ENTRY_NAMES)]
    cs = C.enumerate_cases(functions)
    result = OrderedDict([("cases", len(cs)), ("versions", OrderedDict())])
    C.prefetch(versions, cs)
    for v in versions:
        groups = OrderedDict()
        n_cases = n_viol = 0
        for case, o in zip(cs, C.outcomes(v, cs)):
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
        result["versions"][v] = OrderedDict([
            ("violations", n_viol), ("cases_violating", n_cases),
            ("groups", sorted(groups.values(), key=lambda g: (
                order[g["function"]], g["invariant"], g["fault_path"] != "none",
                g["fault_path"]))),
        ])
    return result


def render_text(r):
    lines = ["%d cases" % r["cases"]]
    for v, res in r["versions"].items():
        lines.append("")
        lines.append("%s: %d violations in %d cases, %d groups" % (
            v, res["violations"], res["cases_violating"], len(res["groups"])))
        for g in res["groups"]:
            lines.append("  %s %s, fault at %s: %d cases" % (
                g["short"], g["invariant"], g["fault_path"], g["cases"]))
            lines.append("      %s" % g["detail"])
            if g["error"]:
                lines.append("      error: %s" % g["error"])
            lines.append("      e.g. %s" % g["example"])
            lines.append("      trace: %s" % g["trace"])
    return "\n".join(lines) + "\n"


def exit_status(r):
    return 1 if any(res["violations"] for res in r["versions"].values()) else 0
