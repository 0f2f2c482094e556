"""Outcomes as text for people: one block per call and version, nothing left out."""
import re

from ..world.constants import flag_names

_TOKEN = re.compile(r"[^(, ]+(?:\(|, |\)+(?:, )?)?|\)+(?:, )?|\(")


def wrap_names(text, width, first, rest):
    """Lines of at most ``width`` columns, broken only after "(" or ", ", never in a name
    (a single name longer than a line gets a line of its own)."""
    lines, cur = [], first
    for tok in _TOKEN.findall(text):
        if len(cur) + len(tok.rstrip()) > width and cur.strip() and cur not in (first, rest):
            lines.append(cur.rstrip())
            cur = rest
        cur += tok
    lines.append(cur.rstrip())
    return lines


def trace_tree(lines):
    """Fold the indented trace into one line: a(b, c(d)), e."""
    items = []  # (depth, name)
    for line in lines:
        name = line.lstrip(" ")
        items.append(((len(line) - len(name)) // 2, name))
    out = []
    stack = [0]
    for i, (depth, name) in enumerate(items):
        while depth < stack[-1]:
            out.append(")")
            stack.pop()
        if out and out[-1] not in ("(",):
            out.append(", ")
        out.append(name)
        nxt = items[i + 1][0] if i + 1 < len(items) else -1
        if nxt > depth:
            out.append("(")
            stack.append(nxt)
    while len(stack) > 1:
        out.append(")")
        stack.pop()
    return "".join(out)


def trace_with_args(o):
    """The trace's indented lines, each stub with the arguments it was called with."""
    return [t if a is None else "%s(%s)" % (t, ", ".join(a))
            for t, a in zip(o["trace"], o["trace_args"])]


def stub_calls(o):
    """Each stub call, unindented, with its arguments: ``name(a, b) !fault``."""
    out = []
    for t, a in zip(o["trace"], o["trace_args"]):
        if a is not None:
            name, fault, _ = t.strip().partition(" !fault")
            out.append("%s(%s)%s" % (name, ", ".join(a), " !fault" if fault else ""))
    return out


def _state(s):
    if s is None:
        return "(no such domain)"
    if not s["exists"]:
        return "freed"
    return ("job=%s async=%s phase=%s refs=%d %s %s state=%s/%s id=%d%s" % (
        s["job"], s["async_job"], s["phase"], s["refs"],
        "locked" if s["locked"] else "unlocked",
        "listed" if s["in_list"] else "not-listed",
        s["state"], s["reason"], s["id"],
        "" if s["persistent"] else " transient"))


def call_header(i, o, args=None):
    parts = ["call %d: %s" % (i, o["function"])]
    if o["domain"]:
        parts.append("domain=%s" % o["domain"])
    for k, v in (args or {}).items():
        if v is None:
            continue
        if k in ("dom_xml", "xmlin", "def"):
            v = "<xml>"
        if k == "flags":
            v = "|".join(flag_names(v)) or "0"
        parts.append("%s=%s" % (k, v))
    if o["faults"]:
        parts.append("fault=" + ",".join(o["faults"]))
    return " ".join(parts)


def outcome_block(version, o, indent="    ", unfired=(), args=True):
    """The outcome ``o`` of one call on ``version``; ``unfired``: faults of its plan never hit;
    ``args``: list the stub calls with their arguments after the trace."""
    lines = []
    err = o["error"]
    head = "%-5s -> %s" % (version, "NULL" if o["return"] is None else repr(o["return"]))
    if o["failed"]:
        head += "  (failed)"
    lines.append(indent + head)
    sub = indent + "      "
    if err:
        lines.append(sub + "error   %s (%d) from %s: %s" % (err["code"], err["code_number"],
                                                          err["domain"], err["message"]))
    if len(o["errors"]) > 1:
        lines.append(sub + "raised  " + " | ".join(e["message"] for e in o["errors"]))
    for k, v in o["out"].items():
        if v is not None:
            lines.append(sub + "%-7s %s" % (k, v))
    lines.extend(wrap_names(trace_tree(o["trace"]), 100, sub + "trace   ", sub + "        "))
    if args:
        lines.extend(("%-8s" % ("stubs" if i == 0 else "")).join((sub, c))
                     for i, c in enumerate(stub_calls(o)))
    if o["conditions"]:
        lines.append(sub + "conds   " + "; ".join(o["conditions"]))
    for log in o["logs"]:
        lines.append(sub + "log     " + log)
    if o["before"] is not None:
        lines.append(sub + "before  " + _state(o["before"]))
    lines.append(sub + "after   " + _state(o["after"]))
    ev = ", ".join("%s(%s)" % (e["type"], e["domain"]) for e in o["driver"]["events"])
    lines.append(sub + "driver  %s; domains: %s; events: %s" % (
        "locked" if o["driver"]["locked"] else "UNLOCKED",
        ", ".join(o["driver"]["domains"]) or "none", ev or "none"))
    if o["statics"]:
        lines.append(sub + "statics " + ", ".join("%s=%s" % kv for kv in o["statics"].items()))
    for v in o["violations"]:
        lines.append(sub + "VIOLATION %s: %s" % (v["invariant"], v["detail"]))
    for fault in unfired:
        lines.append(sub + "WARNING fault %s never fired: the call did not get there" % fault)
    return lines


def scenario_text(scenario, results, unfired=None):
    """results: {version: [outcome per call]}; unfired: {version: [[fault] per call]}."""
    lines = ["%s: %s" % (scenario.name, scenario.description)]
    versions = list(results)
    ncalls = len(results[versions[0]]) if versions else 0
    for i in range(ncalls):
        lines.append("  " + call_header(i + 1, results[versions[0]][i], scenario.calls[i].args))
        for v in versions:
            lines.extend(outcome_block(v, results[v][i],
                                       unfired=unfired[v][i] if unfired else ()))
    return "\n".join(lines)
