"""The qemu-migration command.

    qemu-migration run [SCENARIO|DIR|CASE_ID ...] [--version V|all] [--json] [--verbose]
    qemu-migration list
    qemu-migration show FILE
    qemu-migration diff [--from V] [--to V] [--function F] [--json|--markdown]
    qemu-migration check [--version V] [--json]
    qemu-migration cases [--version V]
    qemu-migration compare --libvirt-src DIR [--version V] [--worktree] [--json] [--record]

Bad input (a file that does not load, an unknown name) prints one line naming
the file and the problem and exits with status 2.
"""
import argparse
import sys
from pathlib import Path

from .port import VERSION_NAMES


class UsageError(Exception):
    pass


def _versions(value):
    if value in (None, "all"):
        return list(VERSION_NAMES)
    if value not in VERSION_NAMES:
        raise UsageError("unknown version '%s' (expected %s or all)"
                         % (value, ", ".join(VERSION_NAMES)))
    return [value]


def cmd_run(args, out):
    from .review import run_command
    return run_command(args, out)


def cmd_list(args, out):
    from .loader import bundled_scenarios, load_scenario
    scenarios = [load_scenario(p) for p in bundled_scenarios()]
    width = max(len(sc.name) for sc in scenarios)
    for sc in scenarios:
        out.write("%-*s  %s\n" % (width, sc.name, sc.description))
    return 0


def cmd_show(args, out):
    from .loader import describe, load_any
    out.write(describe(load_any(Path(args.file))) + "\n")
    return 0


def build_parser():
    ap = argparse.ArgumentParser(prog="qemu-migration", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run scenarios on each version and show the outcomes")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="scenario files or folders, or case ids (default: the bundled "
                        "scenarios)")
    p.add_argument("--version", default="all")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", action="store_true",
                   help="every outcome in full (default: one line per scenario and version)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("list", help="list the bundled scenarios")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="show what a fixture file loads as")
    p.add_argument("file")
    p.set_defaults(func=cmd_show)
    try:
        from .analysis import cli as analysis_cli
        analysis_cli.add_commands(sub)
    except ImportError:  # pragma: no cover - only while the analyses are absent
        pass
    from . import review
    review.add_commands(sub)
    try:
        from .upstream import cli as upstream_cli
        upstream_cli.add_commands(sub)
    except ImportError:  # pragma: no cover
        pass
    return ap


def main(argv=None, out=None):
    out = out or sys.stdout
    ap = build_parser()
    args = ap.parse_args(argv)
    from .loader import LoadError
    from .review import ReviewUsageError
    try:
        return args.func(args, out)
    except (LoadError, UsageError, ReviewUsageError) as e:
        sys.stderr.write("qemu-migration: %s\n" % e)
        return 2
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
