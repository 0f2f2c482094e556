#!/usr/bin/env python3
"""Mutation testing with cosmic-ray: the ports, the stubs and the invariants (not part of CI).

    python tools/mutation.py --jobs 2                 # every file of tools/cosmic-ray.toml
    python tools/mutation.py --files qemu_migration/engine/invariants.py --jobs 2
    python tools/mutation.py --list                   # the mutants, and stop
    python tools/mutation.py --report SESSION         # score a session again

cosmic-ray (tools/cosmic-ray.toml) makes the mutants and runs the tests; this script
only drives it: `cosmic-ray init`, `cr-filter-operators`, one more filter (below),
then `cosmic-ray exec` through one `cosmic-ray http-worker` per job, each in a private
copy of the working tree (so the tree itself is never mutated, and uncommitted work
is tested), and a report that leaves out the survivors explained in
tools/mutation-equivalents.txt.

The extra filter skips three kinds of mutant that cosmic-ray makes on this code:
 - the bare `*` that marks keyword-only parameters (`def f(a, *, fail)`) taken for a
   multiplication: `-`, `+`, ... do not compile, and `/` compiles into a positional-only
   marker that changes nothing for these callers;
 - NumberReplacer's n-1 (its even occurrences are n+1): one offset per number, as
   mutmut does, halves the number mutants;
 - any other mutant that does not compile.

parso, which cosmic-ray parses with, has no grammar for `match` (the ports' gotos): it
recovers by wrapping each `match label:` and `case "...":` header in an error node,
and the statements under them are parsed and mutated as usual.  cosmic-ray has no
string operator, so neither the goto labels (a misspelt one raises NoSuchLabel at
once; tests/test_port_ast.py checks every label statically) nor messages are mutated.
"""
import argparse
import fnmatch
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "cosmic-ray.toml"
EQUIVALENTS = ROOT / "tools" / "mutation-equivalents.txt"
BIN = Path(sys.executable).parent


def toml_list(items):
    return "[" + ", ".join('"%s"' % i for i in items) + "]"


def write_config(dest, files, timeout, urls, tests=None):
    """tools/cosmic-ray.toml with the files, tests, timeout and worker URLs of this run."""
    text = CONFIG.read_text()
    if tests:
        text = re.sub(r'^(test-command = "[^"]*?-o addopts=).*"$',
                      lambda m: m.group(1) + " " + " ".join(tests) + '"', text, count=1,
                      flags=re.M)
    if files:
        text = re.sub(r"module-path = \[.*?\]", "module-path = " + toml_list(files), text,
                      count=1, flags=re.S)
    text = re.sub(r"^timeout = .*$", "timeout = %.1f" % timeout, text, count=1, flags=re.M)
    text = re.sub(r"^worker-urls = .*$", "worker-urls = " + toml_list(urls), text, count=1,
                  flags=re.M)
    Path(dest).write_text(text)


def cr(*args, **kw):
    return subprocess.run([str(BIN / args[0]), *args[1:]], check=True, **kw)


def mutant_source(spec, sources):
    path = str(spec.module_path)
    if path not in sources:
        sources[path] = (ROOT / path).read_text()
    src = sources[path]
    op = get_operator(spec.operator_name)(**spec.operator_args)
    return src, mutate_code(src, op, spec.occurrence)


def why_skip(spec, sources):
    """The reason to skip a mutant (see the docstring), or None."""
    src, mutated = mutant_source(spec, sources)
    line = src.splitlines()[spec.start_pos[0] - 1]
    if spec.operator_name.startswith("core/ReplaceBinaryOperator_Mul_") and \
            re.match(r"\*\s*,", line[spec.start_pos[1]:]):
        return "keyword-only marker, not a multiplication"
    if spec.operator_name == "core/NumberReplacer" and spec.occurrence % 2:
        return "n-1: only n+1 is run"
    if mutated is None:
        return "no mutation"
    try:
        compile(mutated, str(spec.module_path), "exec")
    except SyntaxError:
        return "does not compile"
    return None


def skip_filter(session, sample=0):
    sources = {}
    with use_db(session) as db:
        items = sorted(db.pending_work_items, key=lambda i: (str(i.mutations[0].module_path),
                                                             i.mutations[0].start_pos,
                                                             i.mutations[0].operator_name,
                                                             i.mutations[0].occurrence))
        kept = []
        for item in items:
            why = why_skip(item.mutations[0], sources)
            if why:
                db.set_result(item.job_id, WorkResult(output=why,
                                                      worker_outcome=WorkerOutcome.SKIPPED))
            else:
                kept.append(item)
        if sample and sample < len(kept):
            chosen = {i.job_id for i in random.Random(1).sample(kept, sample)}
            for item in kept:
                if item.job_id not in chosen:
                    db.set_result(item.job_id, WorkResult(
                        output="not sampled", worker_outcome=WorkerOutcome.SKIPPED))


def copy_tree(dest):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for f in files:
        s = ROOT / f
        if s.is_file():
            d = Path(dest) / f
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_env(tree):
    return dict(os.environ, PYTHONPATH=str(tree), QEMU_MIGRATION_JOBS="1",
                PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))


def baseline(tree, command):
    """Seconds the tests take unmutated in `tree`, or None when they fail."""
    t0 = time.time()
    r = subprocess.run(command.replace("python ", str(BIN / "python") + " ", 1).split(),
                       cwd=tree, env=tree_env(tree), capture_output=True, text=True)
    return time.time() - t0 if r.returncode == 0 else None


def load_equivalents(path=EQUIVALENTS):
    """[(file glob, source line, operator, why)] from the equivalents file."""
    out = []
    for raw in Path(path).read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            out.append(tuple(x.strip() for x in raw.split(" | ", 3)))
    return out


def explain(equivalents, file, line, operator):
    """The reason a surviving mutant is equivalent, if the equivalents file gives one.

    An entry's source line is compared without its "# L..." reference, unless the
    entry itself carries one (the same code on two upstream lines)."""
    for glob, code, op, why in equivalents:
        text = " ".join(line.split()) if "# L" in code else line.split("  # ")[0].strip()
        if fnmatch.fnmatch(file, glob) and text == " ".join(code.split()) and op == operator:
            return why
    return None


def report(session, seconds=None, out=sys.stdout):
    equivalents = load_equivalents()
    sources = {}
    rows = []
    unsampled = 0
    with use_db(session, WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            spec = item.mutations[0]
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                unsampled += result.output == "not sampled"
                continue
            src, mutated = mutant_source(spec, sources)
            n = spec.start_pos[0]
            before = src.splitlines()[n - 1]
            after = mutated.splitlines()[n - 1] if mutated else before
            if result.worker_outcome != WorkerOutcome.NORMAL:
                status = "error"
            elif result.test_outcome == TestOutcome.SURVIVED:
                why = explain(equivalents, str(spec.module_path), before, spec.operator_name)
                status = "equivalent" if why else "survived"
            elif result.output == "timeout":
                status = "timeout"
            else:
                status = "killed" if result.test_outcome == TestOutcome.KILLED else "error"
            rows.append((status, str(spec.module_path), n, spec.operator_name, before, after))
        pending = sum(1 for _ in db.pending_work_items)
    count = {s: sum(r[0] == s for r in rows) for s in
             ("killed", "timeout", "equivalent", "survived", "error")}
    killed = count["killed"] + count["timeout"]
    scored = killed + count["survived"]
    score = 100.0 * killed / scored if scored else 100.0
    print("mutation score %.1f%% of the %d non-equivalent mutants: %d killed (%d by timeout), "
          "%d equivalent (explained in tools/mutation-equivalents.txt), %d survived, "
          "%d errors, %d not run yet%s; %d files%s" % (
              score, scored, killed, count["timeout"], count["equivalent"], count["survived"],
              count["error"], pending, " (%d left out of the sample)" % unsampled
              if unsampled else "", len({r[1] for r in rows}),
              "; %.0fs" % seconds if seconds is not None else ""), file=out)
    for status, file, n, op, before, after in sorted(rows, key=lambda r: (r[1], r[2])):
        if status in ("survived", "error"):
            print("%-8s %s:%d %s\n         %s\n      -> %s" % (
                status, file, n, op, before.strip(), after.strip()), file=out)
    return 0 if count["survived"] == count["error"] == pending == 0 else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", nargs="*", help="the files to mutate (default: the config's)")
    ap.add_argument("--tests", nargs="*", help="the test files to run (default: the "
                    "config's test-command), fast ones first")
    ap.add_argument("--jobs", type=int, default=1, help="workers, each in its own tree copy")
    ap.add_argument("--session", help="the session database (default: a temporary one); "
                    "an existing one is resumed")
    ap.add_argument("--sample", type=int, default=0, help="run only N of the mutants, "
                    "chosen at random with a fixed seed (the same N gives the same mutants)")
    ap.add_argument("--again", action="store_true", help="with --session: run its "
                    "survivors again (after a test was added to kill them)")
    ap.add_argument("--list", action="store_true", help="list the mutants to run and stop")
    ap.add_argument("--report", metavar="SESSION", help="report a session and stop")
    args = ap.parse_args(argv)
    if args.report:
        return report(args.report)

    work = Path(tempfile.mkdtemp(prefix="qemu-migration-mutation-"))
    session = Path(args.session) if args.session else work / "session.sqlite"
    config = work / "cosmic-ray.toml"
    procs = []
    try:
        write_config(config, args.files, 60.0, [], args.tests)
        if args.again and session.exists():
            with sqlite3.connect(session) as db:
                db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
        if not session.exists():
            cr("cosmic-ray", "init", str(config), str(session), cwd=ROOT)
            cr("cr-filter-operators", str(session), str(config), cwd=ROOT)
            skip_filter(session, args.sample)
        if args.list:
            with use_db(session, WorkDB.Mode.open) as db:
                items = list(db.pending_work_items)
            for item in sorted(items, key=lambda i: (str(i.mutations[0].module_path),
                                                     i.mutations[0].start_pos)):
                m = item.mutations[0]
                print("%s:%d:%d %s" % (m.module_path, *m.start_pos, m.operator_name))
            print("%d mutants" % len(items))
            return 0
        trees = [work / ("tree%d" % i) for i in range(args.jobs)]
        for tree in trees:
            copy_tree(tree)
        command = tomllib.loads(config.read_text())["cosmic-ray"]["test-command"]
        t0 = time.time()
        took = baseline(trees[0], command)
        if took is None:
            print("the tests fail without any mutant: fix them first", file=sys.stderr)
            return 2
        timeout = max(60.0, 3 * took)
        print("baseline %.1fs; timeout per mutant %.0fs" % (took, timeout), flush=True)
        urls = []
        for tree in trees:
            port = free_port()
            procs.append(subprocess.Popen([str(BIN / "cosmic-ray"), "http-worker", "--port",
                                           str(port)], cwd=tree, env=tree_env(tree),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            urls.append("http://127.0.0.1:%d" % port)
        for url in urls:    # wait until each worker listens
            port = int(url.rsplit(":", 1)[1])
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
        write_config(config, args.files, timeout, urls, args.tests)
        cr("cosmic-ray", "exec", str(config), str(session), cwd=ROOT)
        return report(session, time.time() - t0)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        if args.session:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("session kept in %s (pass it to --report or --session)" % session)
            for tree in work.glob("tree*"):
                shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
