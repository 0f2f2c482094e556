"""The README's shown output is the commands' real output.

Every ``$ qemu-migration run|show|protocol|cases|diff|check ...`` example in README.md is
run in process from the repository root, and its block must match what it prints
(standard output, then standard error), through the shell tails the README uses
(``| head -N``, ``| sed -n A,Bp``, ``> /dev/null; echo $?``, and a following
``$ echo $?``).  A line ``...`` (indented or not) in the README stands for any number of lines left out;
every other line must appear, in order, each ``...``-free stretch as consecutive lines.
``compare`` needs a libvirt tree and is not run here; ``NOT_RUN`` names the other
examples that cannot run as shown, with why.
"""
import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest

from qemu_migration.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

CHECKED = ("run", "show", "protocol", "cases", "diff", "check")
# commands shown in the README that cannot run here as shown, with why
NOT_RUN = {
    "show huge.xml": "the reader makes huge.xml (a number past unsigned long) to try it",
    "diff --from post --to c:/tmp/r2_goto/cand | head -7":
        "the reader makes the tree (tests/c_candidate with PerformJob's goto changed)",
}
TAILS = [(re.compile(r"^(.*) \| head -(\d+)$"), lambda lines, m: lines[:int(m.group(2))]),
         (re.compile(r"^(.*) \| sed -n (\d+),(\d+)p$"),
          lambda lines, m: lines[int(m.group(2)) - 1:int(m.group(3))])]
STATUS = re.compile(r"^(.*) > /dev/null; echo \$\?$")


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
    kept = []
    for i, (c, lines) in enumerate(found):
        if c.startswith("qemu-migration ") and c.split()[1] in CHECKED:
            # a "$ echo $?" right after the command shows its exit status
            status = None
            if i + 1 < len(found) and found[i + 1][0] == "echo $?":
                status = found[i + 1][1]
            kept.append((c, lines, status))
    return kept


def stretches(expected):
    """The README lines split at ``...`` into runs that must each appear whole."""
    runs, run = [], []
    for line in expected:
        if line.strip() == "...":
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
        free_start = i > 0 or (expected and expected[0].strip() == "...")
        candidates = range(pos, len(got) - len(run) + 1) if free_start else [pos]
        for at in candidates:
            if got[at:at + len(run)] == run:
                pos = at + len(run)
                break
        else:
            return False
    return pos == len(got) or (expected and expected[-1].strip() == "...")


def run_shown(command):
    """What ``command`` shows, and its exit status, the shell tail applied."""
    m = STATUS.match(command)
    if m:
        _, status = run_shown(m.group(1))
        return [str(status)], 0
    for pattern, tail in TAILS:
        m = pattern.match(command)
        if m:
            lines, status = run_shown(m.group(1))
            return tail(lines, m), status
    argv = shlex.split(command)[1:]
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stderr(err):
            status = main(argv, out=out)
    finally:
        os.chdir(cwd)
    return (out.getvalue() + err.getvalue()).splitlines(), status


EXAMPLES = examples(README)


def test_the_readme_shows_the_examples_this_test_runs():
    commands = [c for c, _, _ in EXAMPLES]
    # the set-up command's output and the single-scenario verbose run are always among them
    assert "qemu-migration run" in commands
    assert any(c.startswith("qemu-migration run ") and "--verbose" in c for c in commands)
    assert all("qemu-migration " + n in commands for n in NOT_RUN)   # no stale exemption
    assert any(status is not None for _, _, status in EXAMPLES)


# Not measured for coverage (pytest-cov's no_cover; every assert stays): the examples run
# whole spaces (cases, diff, check, the C candidate), each line of which the analysis and
# command tests reach traced (the gate checks it); traced, these took three times the CPU.
@pytest.mark.no_cover
@pytest.mark.parametrize("command,expected,status",
                         [e for e in EXAMPLES if e[0][len("qemu-migration "):] not in NOT_RUN],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_readme_example_output_is_real(command, expected, status):
    got, rc = run_shown(command)
    assert matches(expected, got), "\n".join(
        ["README shows for `%s`:" % command, *expected, "--- it prints:", *got])
    if status is not None:
        assert [str(rc)] == status


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
    assert matches(["a", "  ...", "d"], got)             # an indented gap is a gap
