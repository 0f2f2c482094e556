"""The gotos of the ports, checked on their syntax tree.

A ported function with labels runs as a ``while True`` loop over ``match label``
(see port/qemu_domain.py).  Python cannot tell a misspelt label from a real one,
so this walks every function in ``port/`` and checks, per function:
  - every ``goto("x")`` names a label ``case "x":`` of the function's own match;
  - every label is reached: the target of a goto or the label the loop starts at;
  - the match ends in ``case _:`` that raises NoSuchLabel naming the function and
    the label;
  - a function that calls goto has exactly one dispatch loop.
The same checker runs on small seeded sources to show it catches each mistake.
"""
import ast
from pathlib import Path

import pytest

import qemu_migration.port
import qemu_migration.world

PORT = Path(qemu_migration.port.__file__).parent
WORLD = Path(qemu_migration.world.__file__).parent


def _own_nodes(fn):
    """The nodes of ``fn``'s body, not descending into nested functions or classes."""
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _is_label_match(node):
    return (isinstance(node, ast.Match) and isinstance(node.subject, ast.Name)
            and node.subject.id == "label")


def _raises_no_such_label(case, function):
    """``raise NoSuchLabel("<function>", label)`` and nothing else."""
    if len(case.body) != 1 or not isinstance(case.body[0], ast.Raise):
        return False
    exc = case.body[0].exc
    return (isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name)
            and exc.func.id == "NoSuchLabel" and len(exc.args) == 2 and not exc.keywords
            and isinstance(exc.args[0], ast.Constant) and exc.args[0].value == function
            and isinstance(exc.args[1], ast.Name) and exc.args[1].id == "label")


def label_problems(source, filename="<source>"):
    """Return (problems, loops): one line per problem found, and how many dispatch
    loops were checked."""
    problems = []
    loops = 0
    tree = ast.parse(source, filename)
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        where = "%s:%s" % (filename, fn.name)
        nodes = list(_own_nodes(fn))
        matches = [n for n in nodes if _is_label_match(n)]
        gotos = [n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                 and n.func.id == "goto"]
        if not matches and not gotos:
            continue
        if len(matches) != 1:
            problems.append("%s: %d label dispatch loops (expected 1)" % (where, len(matches)))
            continue
        loops += 1
        match = matches[0]
        labels = {}
        for case in match.cases:
            p = case.pattern
            if (isinstance(p, ast.MatchValue) and isinstance(p.value, ast.Constant)
                    and isinstance(p.value.value, str)):
                labels[p.value.value] = case.pattern.lineno
        last = match.cases[-1]
        if not (isinstance(last.pattern, ast.MatchAs) and last.pattern.pattern is None
                and last.pattern.name is None and last.guard is None):
            problems.append("%s: the label match does not end in 'case _:'" % where)
        elif not _raises_no_such_label(last, fn.name):
            problems.append("%s: 'case _:' does not raise NoSuchLabel(%r, label)"
                            % (where, fn.name))
        starts = [n.value.value for n in nodes
                  if isinstance(n, ast.Assign) and len(n.targets) == 1
                  and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "label"
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)]
        if len(starts) != 1:
            problems.append("%s: %d constant assignments to label (expected the entry "
                            "label once)" % (where, len(starts)))
        reached = set(starts)
        for g in gotos:
            if (len(g.args) != 1 or g.keywords or not isinstance(g.args[0], ast.Constant)
                    or not isinstance(g.args[0].value, str)):
                problems.append("%s:%d: goto without one constant label" % (where, g.lineno))
                continue
            target = g.args[0].value
            reached.add(target)
            if target not in labels:
                problems.append("%s:%d: goto(%r) names no label of %s (labels: %s)"
                                % (where, g.lineno, target, fn.name, ", ".join(sorted(labels))))
        for start in starts:
            if start not in labels:
                problems.append("%s: the loop starts at %r, which is no label" % (where, start))
        for name in sorted(set(labels) - reached):
            problems.append("%s:%d: label %r is never reached" % (where, labels[name], name))
    return problems, loops


PORT_FILES = ["pre.py", "post.py", "fixed.py", "qemu_domain.py", "callees.py", "cookie.py",
              "protocol.py", "peer2peer.py", "driver.py", "libvirt.py", "abi.py", "process.py"]


def test_every_port_file_is_checked():
    assert sorted(PORT_FILES + ["__init__.py", "registry.py", "unit.py"]) == \
        sorted(p.name for p in PORT.glob("*.py"))


@pytest.mark.parametrize("name,loops", [("pre.py", 4), ("post.py", 4), ("fixed.py", 4),
                                        ("qemu_domain.py", 1), ("callees.py", 0), ("cookie.py", 6),
                                        ("protocol.py", 3), ("peer2peer.py", 3), ("driver.py", 13),
                                        ("libvirt.py", 4), ("abi.py", 19), ("process.py", 1),
                                        ("__init__.py", 0), ("registry.py", 0), ("unit.py", 0)])
def test_port_gotos_name_labels_of_their_own_function(name, loops):
    path = PORT / name
    assert label_problems(path.read_text(), name) == ([], loops)


# stubs ported line for line where they decide an outcome, with their labels
@pytest.mark.parametrize("name,loops", [("stubs_client.py", 3)])
def test_world_gotos_name_labels_of_their_own_function(name, loops):
    path = WORLD / name
    assert label_problems(path.read_text(), name) == ([], loops)


# --- the checker on seeded mistakes ----------------------------------------------------

GOOD = '''
def f(x):
    label = "entry"
    while True:
        try:
            match label:
                case "entry":
                    if x:
                        goto("cleanup")
                    goto("endjob")  # falls through

                case "endjob":
                    goto("cleanup")  # falls through

                case "cleanup":
                    return x

                case _:
                    raise NoSuchLabel("f", label)
        except Goto as g:
            label = g.label
'''


def test_checker_passes_a_good_function():
    assert label_problems(GOOD) == ([], 1)


def test_checker_catches_a_misspelt_label():
    bad = GOOD.replace('goto("cleanup")\n', 'goto("cleanpu")\n', 1)
    assert label_problems(bad) == ([
        "<source>:f:9: goto('cleanpu') names no label of f (labels: cleanup, endjob, entry)"], 1)


def test_checker_catches_an_unreached_label():
    bad = GOOD.replace('goto("endjob")  # falls through', 'goto("cleanup")')
    assert label_problems(bad) == (["<source>:f:12: label 'endjob' is never reached"], 1)


def test_checker_catches_a_missing_default_case():
    bad = GOOD.replace('''
                case _:
                    raise NoSuchLabel("f", label)''', "")
    assert label_problems(bad) == (["<source>:f: the label match does not end in 'case _:'"], 1)


@pytest.mark.parametrize("body", ['pass', 'raise NoSuchLabel("g", label)',
                                  'raise AssertionError(label)',
                                  'raise NoSuchLabel("f", "label")'])
def test_checker_catches_a_default_case_that_does_not_raise_its_name(body):
    bad = GOOD.replace('raise NoSuchLabel("f", label)', body)
    assert label_problems(bad) == (["<source>:f: 'case _:' does not raise "
                                    "NoSuchLabel('f', label)"], 1)


def test_checker_catches_a_guarded_default_case():
    bad = GOOD.replace("case _:", "case _ if x:")
    assert label_problems(bad) == (["<source>:f: the label match does not end in 'case _:'"], 1)


def test_checker_catches_a_goto_with_no_constant_label():
    bad = GOOD.replace('goto("endjob")  # falls through', 'goto(x)\n                    goto("endjob")')
    assert label_problems(bad) == (["<source>:f:10: goto without one constant label"], 1)


def test_checker_catches_a_start_that_is_no_label():
    bad = GOOD.replace('label = "entry"', 'label = "start"')
    assert label_problems(bad) == ([
        "<source>:f: the loop starts at 'start', which is no label",
        "<source>:f:7: label 'entry' is never reached"], 1)


def test_checker_catches_a_missing_start():
    bad = GOOD.replace('label = "entry"', 'label = None').replace('case "entry"', 'case None')
    problems, _ = label_problems(bad)
    assert problems[0] == "<source>:f: 0 constant assignments to label (expected the entry label once)"


def test_checker_catches_goto_outside_a_loop_and_two_loops():
    bad = "def g():\n    goto('x')\n" + GOOD + GOOD.replace("def f(x):", "def f2(x):").replace(
        "    label = \"entry\"\n", "    label = \"entry\"\n" + GOOD.split("\n", 3)[3], 1)
    problems, loops = label_problems(bad)
    assert problems == ["<source>:g: 0 label dispatch loops (expected 1)",
                        "<source>:f2: 2 label dispatch loops (expected 1)"]
    assert loops == 1


def test_checker_does_not_read_nested_functions_as_the_outer_one():
    src = '''
def outer():
    def inner():
        label = "entry"
        while True:
            try:
                match label:
                    case "entry":
                        return 1

                    case _:
                        raise NoSuchLabel("inner", label)
            except Goto as g:
                label = g.label
    return inner()
'''
    assert label_problems(src) == ([], 1)


def test_checker_catches_a_misspelt_label_in_a_real_port():
    src = (PORT / "fixed.py").read_text()
    line = 'goto("endjob")                                      # L-/2219'
    assert src.count(line) == 1
    problems, _ = label_problems(src.replace(line, line.replace("endjob", "endjbo")), "fixed.py")
    assert len(problems) == 1
    assert problems[0].startswith("fixed.py:qemuMigrationPerformJob:")
    assert problems[0].endswith(": goto('endjbo') names no label of qemuMigrationPerformJob "
                                "(labels: cleanup, endjob, entry)")
