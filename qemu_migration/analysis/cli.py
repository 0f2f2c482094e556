"""The analysis commands of qemu-migration: diff, check, cases.

    qemu-migration diff [--from pre] [--to post] [--function F] [--format text|markdown|json]
    qemu-migration check [--version V] [--baseline V] [--function F] [--json]
    qemu-migration cases [--version V] [--function F] [--json]
"""
import json
import time

from ..cliutil import JSON_SCHEMA, UsageError, versions
from ..port.registry import ENTRY_NAMES, SHORT, resolve
from .cases import RESOLVERS


def _functions(names):
    if not names:
        return list(ENTRY_NAMES)
    out = []
    for n in names:
        f = resolve(n)
        if f is None:
            raise UsageError("unknown function '%s' (expected one of %s)"
                             % (n, ", ".join(SHORT[e] for e in ENTRY_NAMES)))
        out.append(f)
    return out


def parse_versions(value, allow_all=False):
    """cliutil.versions, plus the versions given as text that a resolver turns into a
    registered name (c:..., see cases.RESOLVERS)."""
    if isinstance(value, str) and value[:2] in RESOLVERS:
        return [RESOLVERS[value[:2]](value)]
    return versions(value, allow_all)


def cmd_diff(args, out):
    from . import diff as D
    a = parse_versions(args.from_version)[0]
    b = parse_versions(args.to_version)[0]
    d = D.diff(a, b, _functions(args.function))
    if args.format == "json":
        json.dump({"schema": JSON_SCHEMA, **d}, out, indent=1)
        out.write("\n")
    elif args.format == "markdown":
        out.write(D.render_markdown(d))
    else:
        out.write(D.render_text(d))
    return 0


def cmd_check(args, out):
    from . import check as K
    baseline = parse_versions(args.baseline)[0] if args.baseline is not None else None
    r = K.check(parse_versions(args.version, allow_all=True), _functions(args.function),
                baseline)
    if args.json:
        json.dump({"schema": JSON_SCHEMA, **r}, out, indent=1)
        out.write("\n")
    else:
        out.write(K.render_text(r))
    return K.exit_status(r)


def cmd_cases(args, out):
    from . import cases as C
    functions = _functions(args.function)
    versions = parse_versions(args.version, allow_all=True)
    t0 = time.perf_counter()
    counts = {f: len(C.enumerate_cases([f])) for f in functions}
    t1 = time.perf_counter()
    allc = C.enumerate_cases(functions)
    s = time.perf_counter()
    C.prefetch(versions, allc)
    run_seconds = time.perf_counter() - s
    total = sum(counts.values())
    if args.json:
        json.dump({"schema": JSON_SCHEMA,
                   "functions": {C.SHORT[f]: {"states": C.state_count(f), "cases": n}
                                 for f, n in counts.items()},
                   "total": total, "enumerate_seconds": t1 - t0,
                   "versions": versions, "run_seconds": run_seconds}, out, indent=1)
        out.write("\n")
        return 0
    for f, n in counts.items():
        out.write("%-14s %6d cases (%d states)\n" % (C.SHORT[f], n, C.state_count(f)))
    out.write("%-14s %6d cases\n" % ("total", total))
    runs = total * len(versions)
    out.write("enumerated in %.2fs (the fault-free run of every version included, unless "
              "the cache had their calls); the other cases of %s ran in %.2fs; %d runs in "
              "%.2fs, %d runs/s, %d worker%s\n"
              % (t1 - t0, "+".join(versions), run_seconds, runs, t1 - t0 + run_seconds,
                 runs / (t1 - t0 + run_seconds), C.jobs(), "" if C.jobs() == 1 else "s"))
    return 0


def add_commands(sub):
    p = sub.add_parser("diff", help="what changed between two versions, over every case")
    p.add_argument("--from", dest="from_version", default="pre")
    p.add_argument("--to", dest="to_version", default="post")
    p.add_argument("--function", action="append", metavar="F",
                   help="an entry point, e.g. PerformJob (repeatable; default: all)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                   help="text (default): at most 100 columns, for mail; markdown: lists for "
                        "a forge; json: the data (docs/json.md)")
    g.add_argument("--json", dest="format", action="store_const", const="json",
                   help="the same as --format json")
    g.add_argument("--markdown", dest="format", action="store_const", const="markdown",
                   help="the same as --format markdown")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("check", help="run every case and report invariant violations "
                                     "(exit status 1 when there are any)")
    p.add_argument("--version", default="all")
    p.add_argument("--baseline", metavar="V",
                   help="mark each violation new or already in V; exit 1 only for new ones")
    p.add_argument("--function", action="append", metavar="F")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("cases", help="count the generated cases per entry point")
    p.add_argument("--version", default="all",
                   help="the versions to time a full run of (default: all)")
    p.add_argument("--function", action="append", metavar="F")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cases)
