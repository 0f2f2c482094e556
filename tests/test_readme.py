"""The README's shown output is the commands' real output.

Every ``$ qemu-migration run|show|protocol ...`` example in README.md (no pipe) is run in
process from the repository root, and its block must match what it prints (standard
output, then standard error).  A line ``...`` in the README stands for any number of
lines left out; every other line must appear, in order, each ``...``-free stretch as
consecutive lines.  The analyses' examples (``cases``, ``diff``, ``check``) are not run
here: the README also quotes them on earlier case spaces, as such, and ``compare`` needs a
libvirt tree.
"""
import contextlib
import io
import os
import shlex
from pathlib import Path

import pytest

from qemu_migration.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

CHECKED = ("run", "show", "protocol")
# commands shown in the README that cannot run here as shown, with why
NOT_RUN = {
    "show huge.xml": "the reader makes huge.xml (a number past unsigned long) to try it",
}


def examples(text):
    """(command, expected lines) for every checked command shown in a code block."""
    found, blocks, block = [], [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                blocks.append(block)
                block = None
        elif block is not None:
            block.append(line)
    for block in blocks:
        command, lines = None, []
        for line in block:
            if line.startswith("$ "):
                if command is not None:
                    found.append((command, lines))
                command, lines = line[2:], []
            elif command is not None:
                lines.append(line)
        if command is not None:
            found.append((command, lines))
    return [(c, lines) for c, lines in found
            if c.startswith("qemu-migration ") and "|" not in c and ";" not in c
            and c.split()[1] in CHECKED]


def stretches(expected):
    """The README lines split at ``...`` into runs that must each appear whole."""
    runs, run = [], []
    for line in expected:
        if line == "...":
            runs.append(run)
            run = []
        else:
            run.append(line)
    runs.append(run)
    return [r for r in runs if r]


def matches(expected, got):
    """Whether every stretch of ``expected`` appears in ``got``, in order; the first
    stretch is anchored at the start and the last at the end unless ``...`` frees it."""
    runs = stretches(expected)
    pos = 0
    for i, run in enumerate(runs):
        free_start = i > 0 or (expected and expected[0] == "...")
        candidates = range(pos, len(got) - len(run) + 1) if free_start else [pos]
        for at in candidates:
            if got[at:at + len(run)] == run:
                pos = at + len(run)
                break
        else:
            return False
    return pos == len(got) or (expected and expected[-1] == "...")


def run_shown(command):
    argv = shlex.split(command)[1:]
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stderr(err):
            main(argv, out=out)
    finally:
        os.chdir(cwd)
    return (out.getvalue() + err.getvalue()).splitlines()


EXAMPLES = examples(README)


def test_the_readme_shows_the_examples_this_test_runs():
    commands = [c for c, _ in EXAMPLES]
    # the set-up command's output and the single-scenario verbose run are always among them
    assert "qemu-migration run" in commands
    assert any(c.startswith("qemu-migration run ") and "--verbose" in c for c in commands)
    assert all(c[len("qemu-migration "):] in [x[len("qemu-migration "):] for x in commands]
               for c in ["qemu-migration " + n for n in NOT_RUN])


@pytest.mark.parametrize("command,expected",
                         [e for e in EXAMPLES if e[0][len("qemu-migration "):] not in NOT_RUN],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_readme_example_output_is_real(command, expected):
    got = run_shown(command)
    assert matches(expected, got), "\n".join(
        ["README shows for `%s`:" % command, *expected, "--- it prints:", *got])


def test_matches_holds_order_stretches_and_ends():
    got = ["a", "b", "c", "d"]
    assert matches(["a", "...", "d"], got)
    assert matches(["a", "b", "c", "d"], got)
    assert matches(["...", "c", "d"], got)
    assert matches(["a", "..."], got)
    assert not matches(["a", "c", "...", "d"], got)      # a stretch is consecutive
    assert not matches(["d", "...", "a"], got)           # in order
    assert not matches(["a", "b"], got)                  # the end is held
    assert not matches(["b", "...", "d"], got)           # so is the start
