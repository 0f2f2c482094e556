"""The qemu-migration command.

    qemu-migration run [SCENARIO|DIR|CASE_ID ...] [--version V|all] [--json] [--verbose]
    qemu-migration list                  # one-host scenarios, then two-host ones
    qemu-migration show FILE
    qemu-migration diff [--from V] [--to V] [--function F] [--format text|markdown|json]
    qemu-migration check [--version V] [--baseline V] [--json]
    qemu-migration cases [--version V]
    qemu-migration compare --libvirt-src DIR [--version V] [--worktree] [--json] [--record]
    qemu-migration protocol [--json|--markdown] [--flow F] [--source V] [--destination V]
                            [--domain D] [--faults]

Every failure is one line on standard error, ``qemu-migration: <problem>``,
never a traceback.  Exit statuses:

    0    done
    1    check or compare found something (invariant violations, disagreements)
    2    bad input or usage (a file that does not load, an unknown name, a wrong
         argument, a folder without scenarios), or standard output could not be
         written (closed, or a full disk)
    130  interrupted (Ctrl-C)
    141  standard output was a pipe whose reader went away (``| head``): nothing
         is printed, and the status is the one a command killed by SIGPIPE has

File names that are not UTF-8 are printed with their odd bytes as ``\\xNN``.
"""
import argparse
import contextlib
import errno
import os
import sys
from pathlib import Path

from .cliutil import UsageError
from .engine.batch import env_jobs


EXIT_USAGE = 2          # bad input, bad usage, output that could not be written
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports `yes | head`


class OutputError(Exception):
    """Writing standard output failed; told apart from every other OSError."""

    def __init__(self, err):
        super().__init__(err.strerror)
        self.errno = err.errno


def printable(text):
    """``text`` with the undecodable bytes of a file name (surrogate escapes) as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class _Output:
    """The stream commands write to: printable text, and write errors as OutputError."""

    def __init__(self, stream):
        self.stream = stream      # None when the program started with stdout closed

    def write(self, text):
        if not text.isascii():
            text = printable(text)
        if self.stream is None:
            raise OutputError(OSError(errno.EBADF, os.strerror(errno.EBADF)))
        try:
            return self.stream.write(text)
        except OSError as e:
            raise OutputError(e) from None

    def flush(self):
        if self.stream is not None:
            try:
                self.stream.flush()
            except OSError as e:
                raise OutputError(e) from None


def _say(message):
    """One line on standard error; nothing if there is no standard error to write to."""
    try:
        sys.stderr.write("qemu-migration: %s\n" % printable(message))
        sys.stderr.flush()
    except (AttributeError, OSError):   # stderr closed (None) or full: the status tells
        pass


def _discard_stdout():
    """Point descriptor 1 at /dev/null, so that the interpreter's own flush of what is
    still buffered cannot fail again at exit (and print a traceback of its own)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):   # stdout closed from the start
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors as one line (``--help`` still prints the full help)."""

    def error(self, message):
        command = self.prog.partition(" ")[2]
        raise UsageError("%s%s (see %s --help)" % (command + ": " if command else "",
                                                   message, self.prog))



def cmd_run(args, out):
    from .review import run_command
    return run_command(args, out)


def cmd_list(args, out):
    from .loader import bundled_migrations, bundled_scenarios, load_scenario
    # the one-host scenarios, then the two-host ones (fixtures/scenarios/protocol)
    scenarios = [load_scenario(p) for p in bundled_scenarios() + bundled_migrations()]
    width = max(len(sc.name) for sc in scenarios)
    for sc in scenarios:
        out.write("%-*s  %s\n" % (width, sc.name, sc.description))
    return 0


def cmd_show(args, out):
    from .loader import describe, load_any
    out.write(describe(load_any(Path(args.file))) + "\n")
    return 0


def build_parser():
    ap = ArgumentParser(prog="qemu-migration", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run scenarios on each version and show the outcomes")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="scenario files or folders, or case ids (default: every bundled "
                        "scenario, one-host and two-host)")
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
    from . import protocol_cli
    protocol_cli.add_commands(sub)
    try:
        from .upstream import cli as upstream_cli
        upstream_cli.add_commands(sub)
    except ImportError:  # pragma: no cover
        pass
    return ap


def _main(argv, out):
    from .loader import LoadError
    try:
        with contextlib.redirect_stdout(out):     # --help, written like any output
            args = build_parser().parse_args(argv)
        try:
            env_jobs()          # read by whichever batch forks; refused here, before any
        except ValueError as e:
            raise UsageError(str(e)) from None
        return args.func(args, out)
    except (LoadError, UsageError) as e:
        _say(str(e))
        return EXIT_USAGE
    except SystemExit as e:     # after --help
        return e.code


def main(argv=None, out=None):
    """Run the command ``argv`` (default: the command line), writing to ``out``
    (default: standard output); return the exit status."""
    output = _Output(sys.stdout if out is None else out)
    try:
        status = _main(argv, output)
        output.flush()      # a write error shows here, not in the interpreter's exit
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except OutputError as e:
        if out is None:
            _discard_stdout()
        if e.errno == errno.EPIPE:
            return EXIT_BROKEN_PIPE
        _say("cannot write to standard output: %s" % e)
        return EXIT_USAGE
    return status
