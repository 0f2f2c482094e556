"""The tracing wrappers: made per function with its own parameters where they can be, the
generic ``*args`` wrapper elsewhere, and both record the same trace and pass the same
arguments."""
import ast
import pathlib
import types

import pytest

from qemu_migration.world import runtime
from qemu_migration.world.runtime import (Goto, World, _positional, current, goto, in_frame,
                                          ported, stub)


def _ported_fns():
    def exact(a, b=2):
        return ("exact", a, b)

    def star(a, *rest):
        return ("star", a, rest)

    def kwonly(a, *, k=3):
        return ("kwonly", a, k)

    def kwargs(a, **kw):
        return ("kwargs", a, kw)

    def reserved(_qm_w):
        return ("reserved", _qm_w)
    return exact, star, kwonly, kwargs, reserved


def test_a_ported_wrapper_is_exact_where_it_can_be():
    kinds = {fn.__name__: _positional(fn, False) for fn in _ported_fns()}
    assert kinds == {"exact": ["a", "b"], "star": None, "kwonly": None, "kwargs": None,
                     "reserved": None}


@pytest.mark.parametrize("fn", _ported_fns(), ids=lambda f: f.__name__)
def test_ported_wrappers_pass_every_argument_and_trace_nested(fn):
    outer = ported(lambda: inner(1))
    inner = ported(fn)
    w = World()
    with w.activate():
        assert inner(1) == fn(1)
        assert outer() == fn(1)
    assert inner.ported and inner.__wrapped__ is fn and inner.__name__ == fn.__name__
    assert list(w.trace.raw()) == [(fn.__name__, 0, False, None), ("<lambda>", 0, False, None),
                                   (fn.__name__, 1, False, None)]
    assert (w.depth, w.frame) == (0, "caller")


@pytest.mark.parametrize("fn", _ported_fns()[:2], ids=lambda f: f.__name__)
def test_a_ported_wrappers_entries_are_made_once_per_depth_and_at_any_depth(fn):
    """A ported function's trace entry is made once per depth below PORTED_DEPTHS (the
    same tuple at each call there) and made at the call deeper down."""
    wrapped = ported(fn)

    def nest(k):
        return wrapped(1) if k == 0 else ported(lambda: nest(k - 1))()
    depths = (0, 5, runtime.PORTED_DEPTHS - 1, runtime.PORTED_DEPTHS, runtime.PORTED_DEPTHS + 3)
    w = World()
    with w.activate():
        for _ in range(2):
            for depth in depths:
                assert nest(depth) == fn(1)
    assert w.depth == 0
    mine = [e for e in w.trace.raw() if e[0] == fn.__name__]
    assert mine == [(fn.__name__, d, False, None) for d in depths] * 2
    for first, again, depth in zip(mine, mine[len(depths):], depths):
        assert (first is again) == (depth < runtime.PORTED_DEPTHS)


def test_an_exact_ported_wrapper_takes_keywords_and_defaults_as_the_function_does():
    fn = ported(_ported_fns()[0])
    with World().activate():
        assert fn(1) == ("exact", 1, 2) and fn(b=5, a=4) == ("exact", 4, 5)


def _stubs():
    def exact(a, b, *, fail):
        return ("exact", a, b, fail)

    def star(a, *rest, fail):
        return ("star", a, rest, fail)

    def default(a, b=2, *, fail):
        return ("default", a, b, fail)

    def positional_fail(a, b, fail=False):
        return ("positional_fail", a, b, fail)
    return exact, star, default, positional_fail


def test_a_stub_wrapper_is_exact_where_it_can_be():
    kinds = {fn.__name__: _positional(fn, True) for fn in _stubs()}
    assert kinds == {"exact": ["a", "b"], "star": None, "default": None,
                     "positional_fail": None}


@pytest.mark.parametrize("faultable", [True, False])
@pytest.mark.parametrize("fn", _stubs(), ids=lambda f: f.__name__)
def test_stub_wrappers_record_their_arguments_and_fail_where_planned(fn, faultable):
    s = stub(faultable)(fn)
    w = World()
    w.faults.faults[fn.__name__] = [2]
    with w.activate():
        got = [s(1, 7), s(1, 7), s(1, 7)]
    fails = [False, True, False] if faultable else [False] * 3
    assert [g[-1] for g in got] == fails
    assert list(w.trace.raw()) == [(fn.__name__, 0, f, (1, 7)) for f in fails]
    assert w.calls == ({fn.__name__: 3} if faultable else {})
    assert (s.faultable, s.stub_name, s.__wrapped__) == (faultable, fn.__name__, fn)
    assert (w.depth, w.frame) == (0, "caller")


def _raises_ported(a):
    raise ValueError(a)


def _raises_stub(a, *, fail):
    raise ValueError(a)


@pytest.mark.parametrize("fn", [ported(_raises_ported), stub(True)(_raises_stub)],
                         ids=["ported", "stub"])
def test_a_wrapper_restores_depth_and_frame_when_its_function_raises(fn):
    w = World()
    with w.activate(), pytest.raises(ValueError):
        fn(1)
    assert (w.depth, w.frame) == (0, "caller") and len(w.trace) == 1


def test_the_frame_is_the_function_running_now_and_comes_back_after_a_nested_call():
    seen = []

    def leaf(a):
        seen.append(current().frame)
        return a

    def middle(a):
        seen.append(current().frame)
        wrapped_leaf(a)
        seen.append(current().frame)
        return a
    wrapped_leaf, wrapped_middle = stub(False)(_as_stub(leaf)), ported(middle)
    w = World()
    with w.activate():
        wrapped_middle(1)
    assert seen == ["middle", "leaf", "middle"] and w.frame == "caller"


def _as_stub(fn):
    def leaf(a, *, fail):
        return fn(a)
    return leaf


def test_a_world_keeps_its_attributes_inline():
    """CPython 3.11 keeps up to 30 attributes of an instance inline, without a dict of
    its own, which the wrappers' and stubs' reads and writes of the world rely on to be
    cheap (a 31st attribute would give every world a dict: about 3% more per run,
    measured): a new attribute of World must take an old one's place."""
    assert len(vars(World())) <= 30


def test_in_frame_names_the_frame_and_gives_it_back_however_it_ends():
    """runtime.in_frame: an error reported inside names the frame given; the one before
    is the world's again after a return and after a raise (the runner's refusal, the
    daemon's calls and the C side's caller frames all go through it)."""
    w = World()
    w.frame = "outer"
    assert in_frame(w, "inner", lambda a: (a, w.frame), 1) == (1, "inner")
    assert w.frame == "outer"

    def boom():
        raise ValueError(w.frame)
    with pytest.raises(ValueError, match="inner"):
        in_frame(w, "inner", boom)
    assert w.frame == "outer"


@pytest.mark.parametrize("label", ["cleanup", "endjob", "", "é"])
def test_a_goto_carries_its_label_in_a_field_its_constructor_fills(label):
    """``Goto.label`` is ImportError's ``msg``, filled by the C constructor with the one
    argument goto() gives (no property call); the exception reads as it did."""
    with pytest.raises(Goto) as got:
        goto(label)
    g = got.value
    assert g.label == label and g.args == (label,) and isinstance(g, Exception)
    assert str(g) == label and repr(g) == "Goto(%r)" % (label,)
    assert type(vars(Goto)["label"]) is types.MemberDescriptorType


def test_nothing_in_the_port_or_the_world_catches_what_a_goto_is_besides():
    """A Goto is an ImportError (its label's field): no handler of one in the code
    ported functions run in may catch a goto on its way to its dispatch loop."""
    root = pathlib.Path(runtime.__file__).parent.parent
    for pkg in ("port", "world"):
        for path in (root / pkg).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ExceptHandler) and node.type is not None:
                    named = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                    assert "ImportError" not in named, (path, node.lineno)
    assert issubclass(Goto, ImportError)    # (what the check is for)


def _stub_with_a_cell(a, *, fail):
    def nested():
        return fail             # (``fail`` a cell of the stub's frame)
    return (a, nested())


@pytest.mark.parametrize("fn", [_stubs()[0], _stub_with_a_cell], ids=["exact", "cell"])
def test_an_exact_stub_wrapper_hands_fail_by_position_to_the_stubs_own_code(fn):
    """The exact wrapper calls the stub's code with ``fail`` counted as its last
    positional parameter: the same code and variables, a function of its own (the stub
    itself still takes ``fail`` by keyword only, and is the wrapper's ``__wrapped__``)."""
    s = stub(True)(fn)
    callee = next(c.cell_contents for c in s.__closure__
                  if isinstance(c.cell_contents, types.FunctionType)
                  and c.cell_contents.__name__ == fn.__name__)
    code = callee.__code__
    assert callee is not fn and s.__wrapped__ is fn
    assert code.co_code == fn.__code__.co_code and code.co_varnames == fn.__code__.co_varnames
    assert (code.co_argcount, code.co_kwonlyargcount) == (fn.__code__.co_argcount + 1, 0)
    w = World()
    w.faults.faults[fn.__name__] = [1]
    with w.activate():
        got = [s(*range(fn.__code__.co_argcount)) for _ in range(2)]
    assert [g[-1] for g in got] == [True, False]
    with pytest.raises(TypeError):
        fn(1, True)             # (the stub as written: ``fail`` by keyword only)
