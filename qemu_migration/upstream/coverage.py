"""Line coverage of the compiled upstream functions: ``compare --coverage``.

A coverage build (``build.BuildSpec.coverage``) is compiled with gcc's
``--coverage``.  ``measure(built)`` sets its counters to zero, lets the cases
run, and has libgcov write the ``.gcda`` into a temporary folder
(``GCOV_PREFIX``), where ``gcov --json-format`` reads it with the ``.gcno``
the compiler left in the build's cache folder.  The source handed to the
compiler carries ``#line`` directives back into the upstream files, so gcov's
line numbers are upstream's.

Lines that no entry point of the project can reach are listed, per version,
in ``fixtures/upstream/unreachable.txt`` with a reason each (no upstream
text: the text of a line is read from the tree when a report is made).
"""
import glob
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..paths import fixtures_dir
from .build import BuildError

UNREACHABLE = fixtures_dir() / "upstream" / "unreachable.txt"
# the columns of unreachable.txt after the function: the line at pre, at post (fixed
# has post's numbering: bebe5122 changes one goto); the client is built at post
LIST_COLUMNS = {"pre": 0, "post": 1, "fixed": 1, "client": 1}
ALL = "all"             # the whole function
TEXT_WIDTH = 72
WORKTREE_NOTE = "the unreachable list not applied (a working tree's own line numbers)"


class Unreachable(dict):
    """{function: {line or ALL: reason}} of one version."""

    def reason(self, function, line) -> Optional[str]:
        lines = self.get(function, {})
        return lines.get(line, lines.get(ALL))

    def only(self, names) -> "Unreachable":
        """The entries of the functions ``names`` (one build's)."""
        return Unreachable({k: v for k, v in self.items() if k in names})


def _column(text):
    """A PRE or POST column: ``all``, ``-``, or line numbers joined by commas."""
    if text in (ALL, "-"):
        return [text]
    parts = text.split(",")
    return [int(p) for p in parts] if all(p.isdigit() for p in parts) else None


def load_unreachable(version, path=UNREACHABLE) -> Unreachable:
    """The listed lines of one version (pre, post, fixed, or client: libvirt.c, built
    at post).  Each line of the file is ``FUNCTION PRE POST REASON...``: line numbers
    joined by commas (the same lines at each version: as many in both columns), ``all``
    (every line of the function) or ``-`` (no such line in that version); ``#`` starts
    a comment."""
    col = LIST_COLUMNS[version]
    out = Unreachable()
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 3)
            cols = [_column(p) for p in parts[1:3]] if len(parts) == 4 else [None]
            if None in cols:
                raise ValueError("%s:%d: expected FUNCTION PRE POST REASON" % (path, n))
            for at in cols[col]:
                if at != "-":
                    out.setdefault(parts[0], {})[at] = parts[3]
    return out


# --- measuring ----------------------------------------------------------------------------

@dataclass
class Measured:
    """{function: {upstream line: count}}, filled in when measure() ends."""
    lines: Dict[str, Dict[int, int]] = field(default_factory=dict)


def _gcov():
    g = shutil.which("gcov")
    if not g:
        raise BuildError("qemu-migration: gcov (gcc's) is needed for --coverage and is not "
                         "on PATH")
    return g


class measure:
    """``with measure(built) as m: ...`` -- the line counts of what ran inside, in m.lines.
    The counts are written out however the block ends (never at exit, into a folder
    of the cache that is gone)."""

    def __init__(self, built):
        if not built.spec.coverage:
            raise BuildError("qemu-migration: %s was not built for coverage" % built.module_name)
        self.built = built
        self.gcov = _gcov()
        self.result = Measured()

    def __enter__(self):
        self.built.lib.qmc_gcov_reset()
        return self.result

    def __exit__(self, *exc):
        with tempfile.TemporaryDirectory(prefix="qmc-gcov-") as tmp:
            saved = {k: os.environ.get(k) for k in ("GCOV_PREFIX", "GCOV_PREFIX_STRIP")}
            os.environ["GCOV_PREFIX"] = tmp
            os.environ["GCOV_PREFIX_STRIP"] = str(self.built.gcov_strip)
            try:
                self.built.lib.qmc_gcov_dump()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k)
                    else:   # pragma: no cover - set by whoever runs us
                        os.environ[k] = v
            if exc[0] is None:
                self.result.lines = self._read(tmp)
        return False

    def _read(self, tmp):
        gcda = glob.glob(os.path.join(tmp, "**", "*.gcda"), recursive=True)
        if len(gcda) != 1:
            raise BuildError("qemu-migration: libgcov wrote %d .gcda files for %s"
                             % (len(gcda), self.built.module_name))
        stem = os.path.splitext(gcda[0])[0]
        gcno = glob.glob(os.path.join(self.built.build_dir, "**",
                                      os.path.basename(stem) + ".gcno"), recursive=True)
        if len(gcno) != 1:
            raise BuildError("qemu-migration: no .gcno beside %s (build dir %s)"
                             % (self.built.module_name, self.built.build_dir))
        shutil.copy(gcno[0], stem + ".gcno")
        p = subprocess.run([self.gcov, "--json-format", "--stdout", os.path.basename(gcda[0])],
                           cwd=os.path.dirname(gcda[0]), capture_output=True, text=True)
        if p.returncode != 0:
            raise BuildError("qemu-migration: gcov failed: %s"
                             % (p.stderr.strip().splitlines() or ["no output"])[0])
        return lines_of(json.loads(p.stdout), self.built.spec.functions)


def merged(*runs) -> Dict[str, Dict[int, int]]:
    """The counts of several builds of the same functions added up, line by line (a
    function-level function also runs in the units whole migrations use)."""
    out: Dict[str, Dict[int, int]] = {}
    for run in runs:
        for name, counts in run.items():
            mine = out.setdefault(name, {})
            for ln, c in counts.items():
                mine[ln] = mine.get(ln, 0) + c
    return out


def lines_of(gcov_json, functions) -> Dict[str, Dict[int, int]]:
    """{function: {line: count}} of the extracted functions, from gcov's JSON."""
    where = {(f.path, f.name) for f in functions}
    out: Dict[str, Dict[int, int]] = {f.name: {} for f in functions}
    for fl in gcov_json["files"]:
        for ln in fl["lines"]:
            key = (fl["file"], ln.get("function_name"))
            if key in where:
                out[key[1]][ln["line_number"]] = ln["count"]
    return out


# --- reporting ----------------------------------------------------------------------------

def line_text(f, line) -> str:
    """Upstream line ``line`` of function ``f`` as the tree has it, shortened."""
    rows = f.text.splitlines()
    i = line - f.line
    text = " ".join(rows[i].split()) if 0 <= i < len(rows) else ""
    return text if len(text) <= TEXT_WIDTH else text[:TEXT_WIDTH - 3] + "..."


def report(functions, lines, unreachable: Optional[Unreachable]):
    """The coverage of one version, as compare prints it and --json carries it.

    ``unreachable`` is None when the list does not apply (sources read from a working
    tree, whose line numbers are its own): no line is then known to be unreachable,
    and none is counted as missed either."""
    rows = {}
    executed = total = listed = 0
    missed = []
    for f in functions:
        counts = lines.get(f.name, {})
        unexec = []
        for ln in sorted(l for l, c in counts.items() if c == 0):
            why = unreachable.reason(f.name, ln) if unreachable is not None else None
            unexec.append({"line": ln, "text": line_text(f, ln), "unreachable": why})
            if why is not None:
                listed += 1
            elif unreachable is not None:
                missed.append("%s L%d" % (f.name, ln))
        ex = sum(1 for c in counts.values() if c)
        rows[f.name] = {"executed": ex, "total": len(counts), "unexecuted": unexec}
        executed += ex
        total += len(counts)
    return {"executed": executed, "total": total, "unreachable": listed,
            "missed": len(missed), "list_applied": unreachable is not None,
            "functions": rows}


def recorded(rep):
    """What the recorded observations keep of a report: counts and line numbers only."""
    return {name: {"executed": r["executed"], "total": r["total"],
                   "unexecuted": [u["line"] for u in r["unexecuted"]]}
            for name, r in rep["functions"].items()}


def render(rep) -> List[str]:
    lines = ["  coverage: %d of %d lines executed; %d unexecuted, %s" % (
        rep["executed"], rep["total"], rep["total"] - rep["executed"],
        ("%d of them listed unreachable, %d reachable and never run"
         % (rep["unreachable"], rep["missed"])) if rep["list_applied"]
        else WORKTREE_NOTE)]
    width = max((len(n) for n in rep["functions"]), default=0)
    for name, r in rep["functions"].items():
        reasons = {u["unreachable"] for u in r["unexecuted"]}
        shared = reasons.pop() if len(reasons) == 1 and None not in reasons else None
        lines.append(("    %-*s %3d/%d" % (width, name, r["executed"], r["total"]))
                     + ("  unreachable: %s" % shared if shared else ""))
        for u in r["unexecuted"]:
            mark = ("" if shared else "  [unreachable: %s]" % u["unreachable"]
                    if u["unreachable"] else "  [NEVER RUN]" if rep["list_applied"] else "")
            lines.append("      L%-5d %s%s" % (u["line"], u["text"], mark))
    return lines


def missed_in_record(rec_coverage, unreachable: Unreachable) -> List[str]:
    """Problems of a recorded coverage section against the unreachable list: a line never
    run and not listed, a listed line that ran, and counts that do not add up."""
    problems = []
    for name, r in sorted(rec_coverage.items()):
        for ln in r["unexecuted"]:
            if unreachable.reason(name, ln) is None:
                problems.append("%s L%d never ran and is not in %s"
                                % (name, ln, UNREACHABLE.name))
        listed = [ln for ln in unreachable.get(name, {}) if ln != ALL]
        for ln in listed:
            if ln not in r["unexecuted"]:
                problems.append("%s L%d is listed unreachable but is not among its "
                                "unexecuted lines" % (name, ln))
        if r["executed"] + len(r["unexecuted"]) != r["total"]:
            problems.append("%s: %d executed and %d unexecuted of %d lines"
                            % (name, r["executed"], len(r["unexecuted"]), r["total"]))
    for name in unreachable:
        if name not in rec_coverage:
            problems.append("%s is listed unreachable but was not measured" % name)
    return problems
