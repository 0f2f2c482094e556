"""Why one case (or scenario) differs between two versions, line by line.

``explain(target, a, b)`` runs the target's calls on both versions with a line
tracer (``sys.settrace``) switched on for the duration only, and only for the
code of ``qemu_migration/port``: the normal runs never pay for it.  Each line
executed that carries an upstream annotation (``# L2194/2215``) becomes a step
(function, annotation, the Python text).  The two step lists are aligned
(difflib on function + annotation + text), and the first step that is not
common to both is where the versions part.  The callee trace and the full
outcome of each version come with it.

A compiled C version (c:...) runs without a line trace: only its callee trace
and outcome are shown.

``render_text`` puts the two executions side by side; ``render_html`` writes
one self-contained page (C left of Python, executed lines marked, the
divergence highlighted).  The C text of a line comes from a function the
caller passes (``c_line(version, function, line) -> text or None``), read
from a libvirt tree at run time and never stored.
"""
import difflib
import html
import os
import re
import sys
from collections import OrderedDict

from ..engine import run_call
from ..engine.text import outcome_block, trace_with_args
from ..port import PORTED
from ..world.runtime import current
from . import cases as C

PORT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "port")
# the registry's invokers (the callers of the entry points) live in port/ but are not ported
REGISTRY_FILE = os.path.join(PORT_DIR, "registry.py")
_ANN = re.compile(r"#\s*L(-|\d+)/(-|\d+)")
_CASE = re.compile(r'case "(\w+)":$')
FUNCTION_FILE = {fn: path for path, fns in PORTED.items() for fn in fns}


class Step:
    """One executed annotated line; ``at`` is how long the callee trace was when it ran."""
    __slots__ = ("function", "pre", "post", "code", "depth", "at")

    def __init__(self, function, pre, post, code, depth, at=0):
        self.function, self.pre, self.post, self.code, self.depth, self.at = (
            function, pre, post, code, depth, at)

    @property
    def ann(self):
        return "L%s/%s" % (self.pre, self.post)

    def key(self):
        return (self.function, self.ann, self.code)

    def upstream_line(self, version):
        """The upstream line number this step mirrors in ``version``'s commit (or None)."""
        n = self.pre if version == "pre" else self.post
        return None if n == "-" else int(n)

    def as_dict(self):
        return OrderedDict([("function", self.function), ("line", self.ann),
                            ("code", self.code)])


_SOURCES = {}


def _source_lines(filename):
    if filename not in _SOURCES:
        with open(filename, encoding="utf-8") as f:
            _SOURCES[filename] = f.read().splitlines()
    return _SOURCES[filename]


def _step_of(filename, lineno, function, depth):
    text = _source_lines(filename)[lineno - 1]
    m = _ANN.search(text)
    if not m:
        return None
    code = text[:m.start()].strip()
    return Step(function, m.group(1), m.group(2), code, depth)


class LineRecorder:
    """What ``traced_run`` installs with ``sys.settrace``: ``tracer`` answers each call,
    ``local`` each event in a ported function, and records its annotated lines.

    Code that runs as a trace function is traced by nobody (coverage's tracer
    included), so these are methods of an object that tests can also call directly."""

    def __init__(self):
        self.steps = []
        self.depth = 0

    def tracer(self, frame, event, arg):
        code = frame.f_code
        if (event == "call" and code.co_filename.startswith(PORT_DIR)
                and code.co_filename != REGISTRY_FILE and code.co_name != "<module>"):
            self.depth += 1
            return self.local
        return None

    def local(self, frame, event, arg):
        if event == "line":
            s = _step_of(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                         self.depth)
            m = _CASE.match(s.code) if s is not None else None
            # a label's case line runs for every label tried before it: keep the one taken
            if s is not None and (m is None or frame.f_locals.get("label") == m.group(1)):
                s.at = len(current().trace)
                self.steps.append(s)
        elif event == "return":
            self.depth -= 1
        return self.local


def traced_run(run):
    """Run ``run()`` with the port's executed annotated lines recorded: (result, steps)."""
    rec = LineRecorder()
    old = sys.gettrace()
    sys.settrace(rec.tracer)
    try:
        result = run()
    finally:
        sys.settrace(old)
    return result, rec.steps


def run_traced(target, version):
    """(outcomes, steps or None) of a target (a case or a scenario) on one version."""
    convention, impl = C.version_impl(version)
    world = target.build_world()

    def go():
        return [run_call(world, convention, call, impl) for call in target.calls]
    if impl is not None:
        return go(), None
    return traced_run(go)


def align(a, b):
    """Rows (kind, step of a or None, step of b or None); kind is equal, changed, only-a, only-b."""
    rows = []
    sm = difflib.SequenceMatcher(None, [s.key() for s in a], [s.key() for s in b],
                                 autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            rows += [("equal", a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        n = max(i2 - i1, j2 - j1)
        for k in range(n):
            sa = a[i1 + k] if i1 + k < i2 else None
            sb = b[j1 + k] if j1 + k < j2 else None
            kind = "changed" if sa is not None and sb is not None else (
                "only-a" if sa is not None else "only-b")
            rows.append((kind, sa, sb))
    return rows


def explain(target, a, b):
    """The explanation of a target on versions a and b, as a dict."""
    out_a, steps_a = run_traced(target, a)
    out_b, steps_b = run_traced(target, b)
    rows = align(steps_a, steps_b) if steps_a is not None and steps_b is not None else []
    first = next((i for i, r in enumerate(rows) if r[0] != "equal"), None)
    return OrderedDict([
        ("target", target.name), ("from", a), ("to", b),
        ("rows", rows), ("divergence", first),
        ("traced", steps_a is not None and steps_b is not None),
        ("outcomes", {a: out_a, b: out_b}),
        ("same_outcome", out_a == out_b),
    ])


def divergence_text(e):
    """One line: where the versions part, or that they do not."""
    if not e["traced"]:
        return "no line trace for a compiled C version; compare the traces below"
    if e["divergence"] is None:
        return "the versions execute the same ported lines"
    kind, sa, sb = e["rows"][e["divergence"]]
    where = sa or sb

    def side(s):
        return "(nothing)" if s is None else "%s %s" % (s.ann, s.code)
    return "the versions part in %s at %s: %s %s | %s %s" % (
        where.function, where.ann, e["from"], side(sa), e["to"], side(sb))


def _cell(s, width, c_line=None, version=None):
    if s is None:
        return ""
    text = "%s%-10s %s" % ("  " * max(s.depth - 1, 0), s.ann, s.code)
    if c_line is not None:
        n = s.upstream_line(version)
        ctext = c_line(version, s.function, n) if n is not None else None
        text += "   /* %s */" % (ctext.strip() if ctext else "-")
    return text if len(text) <= width else text[:width - 3] + "..."


def render_text(e, width=160, c_line=None):
    col = (width - 5) // 2
    lines = ["explain %s: %s -> %s" % (e["target"], e["from"], e["to"]),
             divergence_text(e), ""]
    if e["traced"]:
        lines.append("  %-*s | %s" % (col, e["from"], e["to"]))
        for i, (kind, sa, sb) in enumerate(e["rows"]):
            mark = ">>" if i == e["divergence"] else ("  " if kind == "equal" else " *")
            lines.append("%s%-*s | %s" % (mark, col, _cell(sa, col, c_line, e["from"]),
                                          _cell(sb, col, c_line, e["to"])))
        lines.append("")
    for v in (e["from"], e["to"]):
        for i, o in enumerate(e["outcomes"][v], 1):
            lines.append("call %d on %s:" % (i, v))
            lines.append("  trace:")
            lines += ["    " + t for t in trace_with_args(o)]
            lines += outcome_block(v, o, indent="  ", args=False)
    lines.append("outcomes %s" % ("are the same" if e["same_outcome"] else "differ"))
    return "\n".join(lines) + "\n"


def as_json(e):
    return OrderedDict([
        ("target", e["target"]), ("from", e["from"]), ("to", e["to"]),
        ("divergence", divergence_text(e)),
        ("divergence_row", e["divergence"]),
        ("rows", [OrderedDict([("kind", k), ("from", sa.as_dict() if sa else None),
                               ("to", sb.as_dict() if sb else None)])
                  for k, sa, sb in e["rows"]]),
        ("outcomes", e["outcomes"]),
    ])


_CSS = """
body { font-family: sans-serif; margin: 1em; }
table { border-collapse: collapse; font-family: monospace; font-size: 12px; }
td, th { border: 1px solid #ccc; padding: 1px 4px; vertical-align: top; white-space: pre; }
th { background: #eee; }
tr.executed td.py, tr.executed td.c { background: #eef7ee; }
tr.differs td { background: #fff4d6; }
tr.diverge td { background: #ffb3b3; font-weight: bold; }
td.ann { color: #555; }
pre { background: #f6f6f6; padding: 0.5em; }
"""


def render_html(e, c_line=None):
    """One self-contained page: per version, C left, Python right; the divergence highlighted."""
    esc = html.escape
    a, b = e["from"], e["to"]
    out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
           "<title>explain %s</title>" % esc(e["target"]), "<style>%s</style>" % _CSS,
           "</head><body>",
           "<h1>%s: <code>%s</code> &rarr; <code>%s</code></h1>" % (esc(e["target"]), esc(a),
                                                                   esc(b)),
           "<p id='divergence'>%s</p>" % esc(divergence_text(e))]
    if e["traced"]:
        out.append("<table id='lines'><tr><th>line</th><th>%s C</th><th>%s Python</th>"
                   "<th>line</th><th>%s C</th><th>%s Python</th></tr>"
                   % (esc(a), esc(a), esc(b), esc(b)))

        def cells(s, v):
            if s is None:
                return "<td class='ann'></td><td class='c'></td><td class='py'></td>"
            n = s.upstream_line(v)
            ctext = c_line(v, s.function, n) if (c_line is not None and n is not None) else None
            return ("<td class='ann'>%s</td><td class='c'>%s</td><td class='py'>%s</td>"
                    % (esc(s.ann), esc(ctext.rstrip()) if ctext else "",
                       esc("  " * max(s.depth - 1, 0) + s.code)))
        for i, (kind, sa, sb) in enumerate(e["rows"]):
            cls = "diverge" if i == e["divergence"] else (
                "executed" if kind == "equal" else "differs")
            row_id = " id='diverge'" if i == e["divergence"] else ""
            out.append("<tr class='%s'%s>%s%s</tr>" % (cls, row_id, cells(sa, a), cells(sb, b)))
        out.append("</table>")
    for v in (a, b):
        out.append("<h2>outcome on <code>%s</code></h2>" % esc(v))
        for i, o in enumerate(e["outcomes"][v], 1):
            out.append("<pre class='outcome'>%s</pre>" % esc("\n".join(
                ["call %d" % i, "trace:"] + ["  " + t for t in trace_with_args(o)]
                + outcome_block(v, o, indent="", args=False))))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
