#!/usr/bin/env python3
"""Mutation testing of the ports and the stubs against the test suite (not part of CI).

    python tools/mutation.py                      # every mutant of port/*.py and stubs.py
    python tools/mutation.py --sample 80 --jobs 2 # a deterministic sample
    python tools/mutation.py --files qemu_migration/port/post.py --list

Why not mutmut itself: mutmut 2 parses with parso, which cannot read the
``match`` statements the ports use for C's gotos; mutmut 3 (libcst) skips
every decorated function, so the ported functions and stubs are wrapped by
name at the end of their modules (runtime.traced, runtime.recorded), not
decorated, but it then makes thousands of mutants, most of them identities
here, and takes hours (README, "Generated cases and mutation testing").  This
tool applies mutmut's operators itself, token by token, so comments (the
``# L<n>`` line references) and layout stay as they are:

    == <-> !=   < -> <=   <= -> <   > -> >=   >= -> >   is -> is not
    and <-> or   not x -> x   + <-> -   | <-> &   += <-> -=
    True <-> False   n -> n+1   "text" -> "XXtextXX" (not docstrings)

Each mutant is written into a private copy of the working tree (one per
worker), the tests run there with ``-x`` (fast files first), and the mutant
is *killed* when they fail or time out, *survived* when they pass.  The
report gives the score and every surviving mutant as file:line, the line
before and after.
"""
import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "qemu_migration/port").glob("*.py")
                       if p.name != "__init__.py") + ["qemu_migration/world/stubs.py"]
# fast, focused tests first so that -x stops early; the whole-space analyses last
DEFAULT_TESTS = ["tests/test_port.py", "tests/test_cli.py", "fixtures/scenarios",
                 "tests/test_generated.py", "tests/test_analysis.py"]

# LABELS: goto labels ("entry", "cleanup", ...) and the names listed in traced()/
# recorded() are not mutated.  A mutated label is a goto to nowhere, which loops
# until the timeout kills it; a mutated name fails at import.  Both are always
# "killed" and only cost time.
OPS = {"==": "!=", "!=": "==", "<": "<=", "<=": "<", ">": ">=", ">=": ">",
       "+": "-", "-": "+", "|": "&", "&": "|", "+=": "-=", "-=": "+="}
NAMES = {"and": "or", "or": "and", "True": "False", "False": "True", "is": "is not"}


def mutants(path):
    """[(line, col, old, new)] for one file."""
    src = Path(path).read_text()
    toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    skip_lines = set()
    traced_lines = set()
    inside = False
    for no, text in enumerate(src.splitlines(), 1):
        if text.startswith(("traced(", "recorded(")):
            inside = True
        if inside:
            traced_lines.add(no)
            if text.startswith(("])", ")")) or text.rstrip().endswith("])"):
                inside = False
    for t in toks:   # imports and decorators are not worth mutating
        if t.type == tokenize.NAME and t.string in ("import", "from") and t.start[1] == 0:
            skip_lines.update(range(t.start[0], t.end[0] + 1))
        if t.type == tokenize.OP and t.string == "@":
            skip_lines.add(t.start[0])
    # the lines of multi-line import statements
    for i, t in enumerate(toks):
        if t.type == tokenize.NAME and t.string == "from" and t.start[1] == 0:
            j = i
            while toks[j].type != tokenize.NEWLINE:
                skip_lines.add(toks[j].start[0])
                j += 1
    # VIR_DEBUG(...) does nothing: mutating its arguments only makes equivalent mutants
    debug = set()
    for i, t in enumerate(toks):
        if t.type == tokenize.NAME and t.string == "VIR_DEBUG":
            depth, j = 0, i + 1
            while j < len(toks):
                if toks[j].string == "(":
                    depth += 1
                elif toks[j].string == ")":
                    depth -= 1
                    if depth == 0:
                        break
                debug.add(j)
                j += 1
    out = []
    prev = None
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.start[0] in skip_lines or i in debug:
            prev = t
            continue
        if t.type == tokenize.OP and t.string in OPS:
            if t.string == "-" and prev is not None and prev.type == tokenize.OP \
                    and prev.string in "(,=[":
                pass    # unary minus: n -> n+1 covers the number
            else:
                out.append((t.start, t.end, t.string, OPS[t.string]))
        elif t.type == tokenize.NAME and t.string in NAMES:
            if t.string == "is" and nxt is not None and nxt.string == "not":
                out.append((t.start, nxt.end, "is not", "is"))
            else:
                out.append((t.start, t.end, t.string, NAMES[t.string]))
        elif t.type == tokenize.NAME and t.string == "not":
            if not (prev is not None and prev.string == "is") and \
                    not (nxt is not None and nxt.string == "in"):
                out.append((t.start, nxt.start, src.splitlines()[t.start[0] - 1]
                            [t.start[1]:nxt.start[1]] if nxt.start[0] == t.start[0] else "not ",
                            ""))
        elif t.type == tokenize.NUMBER:
            try:
                value = int(t.string, 0)
            except ValueError:
                value = None
            if value is not None:
                out.append((t.start, t.end, t.string, str(value + 1)))
        elif t.type == tokenize.STRING:
            docstring = (prev is None or prev.type in (tokenize.INDENT, tokenize.NEWLINE,
                                                       tokenize.DEDENT, tokenize.NL)) \
                and nxt is not None and nxt.type in (tokenize.NEWLINE, tokenize.STRING)
            body = t.string
            q = body.lstrip("rbuRBUfF")
            line = src.splitlines()[t.start[0] - 1].strip()
            label = line.startswith(("case ", "goto(", "label = ")) or \
                (prev is not None and prev.string == "(" and line.startswith("traced("))
            if label or line.startswith(('"', "'")) and t.start[0] in traced_lines:
                pass    # a goto label or a name in the traced() list: see LABELS above
            elif not docstring and len(q) >= 2 and q[0] in "'\"" and not q.startswith(q[0] * 3):
                pre = body[:len(body) - len(q)]
                if "f" not in pre.lower():
                    out.append((t.start, t.end, body, pre + q[0] + "XX" + q[1:-1] + "XX" + q[-1]))
        if t.type not in (tokenize.NL, tokenize.COMMENT):
            prev = t
    return [(path, s, e, old, new) for s, e, old, new in out]


def apply(src, start, end, new):
    lines = src.splitlines(keepends=True)
    offs = [0]
    for line in lines:
        offs.append(offs[-1] + len(line))
    a = offs[start[0] - 1] + start[1]
    b = offs[end[0] - 1] + end[1]
    return src[:a] + new + src[b:]


def copy_tree(dest):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        s = ROOT / f
        if s.is_file():
            d = Path(dest) / f
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


def run_tests(tree, tests, timeout):
    env = dict(os.environ, PYTHONPATH=str(tree), QEMU_MIGRATION_JOBS="1",
               PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "--no-cov", "-p", "no:cacheprovider",
           "-o", "addopts=", *tests]
    try:
        r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True,
                           timeout=timeout)
        return "survived" if r.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        return "timeout"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", nargs="*", default=DEFAULT_FILES)
    ap.add_argument("--tests", nargs="*", default=DEFAULT_TESTS)
    ap.add_argument("--sample", type=int, default=0, help="run N mutants chosen at random "
                    "(seeded, so the same N gives the same mutants)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 1)))
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--equivalents", metavar="FILE", default="tools/mutation-equivalents.txt",
                    help="survivors explained as equivalent, one line each (see that file)")
    args = ap.parse_args(argv)

    allm = [m for f in args.files for m in mutants(ROOT / f)]
    if args.list:
        for path, s, e, old, new in allm:
            print("%s:%d:%d %r -> %r" % (Path(path).relative_to(ROOT), s[0], s[1], old, new))
        print("%d mutants" % len(allm))
        return 0
    chosen = allm
    if args.sample and args.sample < len(allm):
        chosen = random.Random(args.seed).sample(allm, args.sample)
        chosen.sort(key=lambda m: (str(m[0]), m[1]))
    print("%d mutants in %d files; running %d with %d workers" % (
        len(allm), len(args.files), len(chosen), args.jobs), flush=True)

    work = Path(tempfile.mkdtemp(prefix="qemu-migration-mutation-"))
    trees = []
    for i in range(args.jobs):
        t = work / ("tree%d" % i)
        copy_tree(t)
        trees.append(t)
    t0 = time.time()
    if run_tests(trees[0], args.tests, timeout=600) != "survived":
        print("the tests fail without any mutant: fix them first", file=sys.stderr)
        return 2
    baseline = time.time() - t0
    timeout = max(30.0, baseline * 3)
    print("baseline %.1fs; timeout per mutant %.0fs" % (baseline, timeout), flush=True)

    free = list(trees)
    import threading
    lock = threading.Lock()
    results = []

    def one(m):
        path, s, e, old, new = m
        with lock:
            tree = free.pop()
        try:
            rel = Path(path).relative_to(ROOT)
            target = tree / rel
            orig = target.read_text()
            mutated = apply(orig, s, e, new)
            try:
                compile(mutated, str(target), "exec")
            except SyntaxError:
                status = "invalid"
            else:
                target.write_text(mutated)
                try:
                    status = run_tests(tree, args.tests, timeout)
                finally:
                    target.write_text(orig)
            line = orig.splitlines()[s[0] - 1]
            r = {"file": str(rel), "line": s[0], "col": s[1], "old": old, "new": new,
                 "status": status, "before": line.strip(),
                 "after": apply(line + "\n", (1, s[1]), (1 + e[0] - s[0], e[1]), new).strip()
                 if e[0] == s[0] else new}
            with lock:
                results.append(r)
                print("%-8s %s:%d %r -> %r" % (status, rel, s[0], old, new), flush=True)
            return r
        finally:
            with lock:
                free.append(tree)

    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        list(ex.map(one, chosen))
    shutil.rmtree(work, ignore_errors=True)

    equivalents = load_equivalents(args.equivalents)
    for r in results:
        if r["status"] == "survived":
            why = explain(equivalents, r)
            if why:
                r["status"], r["why"] = "equivalent", why
    valid = [r for r in results if r["status"] != "invalid"]
    killed = [r for r in valid if r["status"] in ("killed", "timeout")]
    equivalent = [r for r in valid if r["status"] == "equivalent"]
    survived = sorted((r for r in valid if r["status"] == "survived"),
                      key=lambda r: (r["file"], r["line"], r["col"]))
    raw = 100.0 * len(killed) / len(valid) if valid else 100.0
    scored = len(valid) - len(equivalent)
    score = 100.0 * len(killed) / scored if scored else 100.0
    print("\nmutation score %.1f%% of the %d non-equivalent mutants (%.1f%% of all %d): "
          "%d killed (%d by timeout), %d equivalent (explained in %s), %d survived, "
          "%d invalid, %d in all; %.0fs" % (
              score, scored, raw, len(valid), len(killed),
              sum(r["status"] == "timeout" for r in valid), len(equivalent),
              args.equivalents, len(survived), len(results) - len(valid), len(allm),
              time.time() - t0))
    for r in survived:
        print("survived %s:%d  %s\n         -> %s" % (r["file"], r["line"], r["before"],
                                                    r["after"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"score": score, "raw_score": raw,
                                               "results": results}, indent=1))
    return 0


def _code(line):
    """A source line without its trailing '# L...' reference and spacing."""
    return line.split("  # ")[0].strip()


def load_equivalents(path):
    """[(file glob, source line, old, new, why)] from the equivalents file."""
    out = []
    p = Path(path)
    if not p.is_absolute():
        p = ROOT / p
    if not p.exists():
        return out
    for raw in p.read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        glob, code, change, why = [x.strip() for x in raw.split(" | ")]
        old, new = [x.strip() for x in change.split(" -> ")]
        out.append((glob, code, old, new, why))
    return out


def explain(equivalents, r):
    """The reason a surviving mutant is equivalent, if the equivalents file gives one."""
    import fnmatch
    for glob, code, old, new, why in equivalents:
        line = " ".join(r["before"].split()) if "# L" in code else _code(r["before"])
        if (fnmatch.fnmatch(r["file"], glob) and line == " ".join(code.split())
                and old == r["old"] and new == r["new"]):
            return why
    return None


if __name__ == "__main__":
    sys.exit(main())
