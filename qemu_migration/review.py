"""The reviewer's commands and the parts of ``run`` they share (see README "Reviewing").

    qemu-migration run [SCENARIO|DIR|CASE_ID ...] [--version V] [--json] [--verbose]
    qemu-migration export CASE_ID DIR
    qemu-migration explain CASE_ID|SCENARIO [--from V] [--to V] [--libvirt-src DIR] [--html FILE]

A version is ``pre``, ``post``, ``fixed``, ``c:DIR`` (a libvirt tree as it is
on disk) or ``c:GITDIR@COMMIT`` (a commit of a libvirt history), see
upstream/cversion.py.
"""
import json
from pathlib import Path

from .cliutil import UsageError, JSON_SCHEMA
from .analysis import cases as C
from .analysis import caseid, explain, export
from .engine import run_scenario_unfired
from .engine.protocol import Migration, run_migration
from .engine.text import scenario_text
from .loader import (MigrationScenario, bundled_migrations, bundled_scenarios, load_scenario,
                     scenario_files)
from .paths import fixtures_dir
from .port import VERSION_NAMES
from .upstream import csource, cversion





def resolve_version(value, allow_all=False):
    """Version names from a --version/--from/--to value; c:... specs are built and registered."""
    if allow_all and value in (None, "all"):
        return list(VERSION_NAMES)
    if value in VERSION_NAMES or value in C.EXTRA_VERSIONS:
        return [value]
    if isinstance(value, str) and value.startswith("c:"):
        try:
            src, commit = cversion.parse_spec(value)
            name = c_version_name(src, commit)
            if name not in C.EXTRA_VERSIONS:
                _, convention, impl = cversion.load(value)
                C.register_version(name, convention, impl)
        except cversion.CVersionError as e:
            raise UsageError(str(e))
        return [name]
    raise UsageError("unknown version '%s' (expected %s%s, c:DIR or c:GITDIR@COMMIT)"
                           % (value, ", ".join(VERSION_NAMES), " or all" if allow_all else ""))


PROJECT_ROOT = fixtures_dir().parent   # holds fixtures/

_C_NAMES = {}     # the name of a c: version -> the folder it was built from


def c_version_name(src, commit=None):
    """The name a c: version goes by in every output: its folder relative to the working
    directory, or ~/... under the home folder, else ".../" and as many of its last path
    components as keep it apart from the other c: versions of this process, so that no
    output holds the machine's absolute path."""
    real = Path(src).resolve()
    home = Path.home().resolve()
    if real.is_relative_to(Path.cwd().resolve()):
        shown = [str(real.relative_to(Path.cwd().resolve()))]
    elif real.is_relative_to(home) and real != home:
        shown = ["~/" + str(real.relative_to(home))]
    else:
        parts = real.parts[1:]
        shown = [".../" + "/".join(parts[-k:]) for k in range(1, len(parts) + 1)] or ["/"]
    tail = "@" + commit if commit else ""
    for s in shown:
        name = "c:%s%s" % (s, tail)
        if _C_NAMES.setdefault(name, (real, commit)) == (real, commit):
            return name
    return "c:%s%s" % (real, tail)   # pragma: no cover - every name taken: the path itself


C.RESOLVERS["c:"] = lambda value: resolve_version(value)[0]


def rel(path):
    """A path for output: relative to the working directory when under it, else to the
    project root (where fixtures/ is); never the machine's absolute path."""
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    r = p.resolve()
    for base in (Path.cwd().resolve(), PROJECT_ROOT):
        if r.is_relative_to(base):
            return str(r.relative_to(base))
    return p.name


def load_target(arg):
    """A scenario (file), or the scenarios of a folder, or a case (an id)."""
    p = Path(arg)
    if p.is_dir():
        found = scenario_files(p)
        if not found:
            raise UsageError("%s: no scenario files in this folder or below (.xml "
                                   "files whose root element is <scenario>)" % arg)
        return [load_scenario(x) for x in found]
    if not p.exists() and caseid.looks_like_id(arg):
        try:
            return [caseid.CaseScenario(caseid.parse(arg))]
        except caseid.CaseIdError as e:
            raise UsageError("%s: %s" % (arg, e))
    return [load_scenario(p)]


def run_version(scenario, version):
    """(outcomes, per call the faults that never fired) of ``scenario`` on ``version``."""
    convention, impl = C.version_impl(version)
    return run_scenario_unfired(scenario, convention, impl)


# --- run ------------------------------------------------------------------------------

def _short_call(o, width=64):
    if not o["failed"]:
        text = "ok"
    else:
        ret = "NULL" if o["return"] is None else o["return"]
        err = o["error"]
        msg = (err["raw"] or err["message"]) if err else "(no error)"
        if len(msg) > width:
            msg = msg[:width - 3] + "..."
        text = "%s %s" % (ret, msg)
    return text


def short_line(outs):
    """One version's outcomes of a scenario: each call's result, then its violations."""
    parts = "; ".join(_short_call(o) for o in outs)
    viol = sorted({v["invariant"] for o in outs for v in o["violations"]})
    return parts + ("  VIOLATES %s" % ", ".join(viol) if viol else "")


def short_text(sc, results):
    """Versions with the same short line share it: 'pre|fixed  ok'."""
    lines = {}
    for v, outs in results.items():
        lines.setdefault(short_line(outs), []).append(v)
    out = []
    for i, (line, vs) in enumerate(lines.items()):
        head = sc.name if i == 0 else ""
        out.append("%s\n    %-12s %s" % (head, "|".join(vs), line) if head else
                   "    %-12s %s" % ("|".join(vs), line))
    return "\n".join(out)


def unfired_lines(unfired):
    """'WARNING call 1: fault X#2 never fired on post|fixed', one line per call and fault."""
    faults = {}
    for v, calls in unfired.items():
        for i, names in enumerate(calls):
            for f in names:
                faults.setdefault((i, f), []).append(v)
    return ["    WARNING call %d: fault %s never fired on %s" % (i + 1, f, "|".join(vs))
            for (i, f), vs in sorted(faults.items())]


def migration_line(row):
    """A two-host scenario's row in short: versions, flow, each attempt, violations."""
    def attempt(r):
        if r["outcome"] == "migrated":
            return "migrated" + (" (STRANDED)" if r["stranded"] else "")
        err = r["error"]
        return "refused at %s: %s" % (r["refused_at"], err["message"] if err else "(no error)")
    text = "%s->%s %s  %s" % (row["source"], row["destination"], row["flow"], attempt(row))
    if row["second_attempt"] is not None:
        text += "; again: " + attempt(row["second_attempt"])
    viol = sorted({"%s@%s" % (v["invariant"], v["host"]) for v in row["violations"]})
    return text + ("  VIOLATES %s" % ", ".join(viol) if viol else "")


def _run_migrations(migrations, args):
    rows = [(sc, run_migration(Migration.from_scenario(sc))) for sc in migrations]
    if args.json:
        return [{"name": sc.name, "file": rel(sc.path), "case": None,
                 "description": sc.description, "migration": r} for sc, r in rows]
    return rows


def _write_migrations(rows, out):
    for sc, r in rows:
        out.write("%s\n    %s\n" % (sc.name, migration_line(r)))
        for f in r["unfired_faults"]:
            out.write("    WARNING fault %s never fired\n" % f)
        for k in r.get("unfired_wakeups", ()):
            out.write("    WARNING wakeup %s never happened\n" % k)


def run_command(args, out):
    versions = resolve_version(args.version, allow_all=True)
    if args.scenarios:
        scenarios = [sc for a in args.scenarios for sc in load_target(a)]
    else:
        # every bundled scenario: the one-host ones, then the two-host ones
        scenarios = [load_scenario(p) for p in bundled_scenarios() + bundled_migrations()]
    migrations = [sc for sc in scenarios if isinstance(sc, MigrationScenario)]
    scenarios = [sc for sc in scenarios if not isinstance(sc, MigrationScenario)]
    # two-host scenarios name their hosts' versions themselves (--version is not theirs)
    done = _run_migrations(migrations, args)
    if migrations and not scenarios:
        if args.json:
            json.dump({"schema": JSON_SCHEMA, "scenarios": done}, out, indent=1)
            out.write("\n")
        else:
            _write_migrations(done, out)
            out.write("%d migrations; invariant violations: %d\n" % (
                len(done), sum(len(r["violations"]) for _, r in done)))
        return 0
    runs = [(sc, {v: run_version(sc, v) for v in versions}) for sc in scenarios]
    # the faults that never fired sit beside the outcomes, not in them: the outcome
    # dicts are what the goldens and the recorded upstream observations hold
    results = [(sc, {v: r[0] for v, r in rs.items()}, {v: r[1] for v, r in rs.items()})
               for sc, rs in runs]
    if args.json:
        json.dump({"schema": JSON_SCHEMA,
                   "scenarios": [{"name": sc.name, "file": rel(sc.path)
                                  if not isinstance(sc, caseid.CaseScenario) else None,
                                  "case": sc.name if isinstance(sc, caseid.CaseScenario)
                                  else None,
                                  "description": sc.description, "versions": r,
                                  "unfired_faults": u}
                                 for sc, r, u in results] + done}, out, indent=1)
        out.write("\n")
        return 0
    if args.verbose:
        out.write("\n\n".join(scenario_text(sc, r, u) for sc, r, u in results) + "\n\n")
    else:
        out.write("\n".join("\n".join([short_text(sc, r)] + unfired_lines(u))
                            for sc, r, u in results) + "\n")
    # the two-host scenarios' lines after the one-host ones, then the summary lines
    _write_migrations(done, out)
    nviol = {v: sum(len(o["violations"]) for _, r, _ in results for o in r[v])
             for v in versions}
    nunfired = {v: sum(len(f) for _, _, u in results for f in u[v]) for v in versions}
    out.write("%d scenarios, %d calls; invariant violations: %s%s\n" % (
        len(results), sum(len(sc.calls) for sc, _, _ in results),
        ", ".join("%s %d" % kv for kv in nviol.items()),
        "; faults that never fired: " + ", ".join("%s %d" % kv for kv in nunfired.items())
        if any(nunfired.values()) else ""))
    if migrations:
        out.write("%d migrations; invariant violations: %d\n" % (
            len(done), sum(len(r["violations"]) for _, r in done)))
    return 0


# --- export ---------------------------------------------------------------------------

def parse_case(text):
    try:
        return caseid.parse(text)
    except caseid.CaseIdError as e:
        raise UsageError("%s: %s" % (text, e))


def export_command(args, out):
    case = parse_case(args.case)
    folder = Path(args.dir)
    if folder.exists() and not folder.is_dir():
        raise UsageError("%s: exists and is not a folder" % args.dir)
    try:
        path = export.export(case, folder, export.default_stem(case))
    except export.ExportError as e:
        raise UsageError("%s: %s" % (args.case, e))
    except OSError as e:
        raise UsageError("%s: cannot write: %s" % (args.dir, e.strerror))
    out.write("%s\n" % (Path(args.dir) / path.name))   # as the user named the folder
    return 0


def add_commands(sub):
    p = sub.add_parser("export", help="write a case as a scenario with its domain, status "
                                      "and snapshot files")
    p.add_argument("case", metavar="CASE_ID")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(func=export_command)
    add_explain(sub)


# --- explain ----------------------------------------------------------------------------

def explain_target(arg):
    p = Path(arg)
    if not p.exists() and caseid.looks_like_id(arg):
        return caseid.CaseScenario(parse_case(arg))
    if p.is_dir():
        raise UsageError("%s: explain takes one case id or one scenario file" % arg)
    sc = load_scenario(p)
    if isinstance(sc, MigrationScenario):
        raise UsageError("%s: a two-host scenario: explain takes a one-host one (see "
                         "qemu-migration run)" % arg)
    return sc


def explain_command(args, out):
    target = explain_target(args.target)
    a = resolve_version(args.from_version)[0]
    b = resolve_version(args.to_version)[0]
    c_line = None
    if args.libvirt_src:
        try:
            c_line = csource.CSource(args.libvirt_src).line
            for v in (a, b):
                if v in VERSION_NAMES:
                    c_line(v, "qemuMigrationPerformJob", 1)   # read now: errors are one line
        except (cversion.ExtractError, cversion.BuildError) as e:
            raise UsageError(str(e).replace("qemu-migration: ", "", 1))
    e = explain.explain(target, a, b)
    if args.html:
        try:
            Path(args.html).write_text(explain.render_html(e, c_line))
        except OSError as err:
            raise UsageError("%s: cannot write: %s" % (args.html, err.strerror))
    if args.json:
        data = explain.as_json(e)
        data["schema"] = JSON_SCHEMA
        data.move_to_end("schema", last=False)
        json.dump(data, out, indent=1)
        out.write("\n")
    else:
        out.write(explain.render_text(e, c_line=c_line))
    return 0


def add_explain(sub):
    p = sub.add_parser("explain", help="run a case or scenario on two versions and show, "
                                       "side by side, the lines each ran and where they part")
    p.add_argument("target", metavar="CASE_ID|SCENARIO")
    p.add_argument("--from", dest="from_version", default="pre")
    p.add_argument("--to", dest="to_version", default="post")
    p.add_argument("--libvirt-src", metavar="DIR",
                   help="show each line beside the upstream C text of that line")
    p.add_argument("--html", metavar="FILE", help="also write one self-contained page")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=explain_command)
