"""The fewest dimensions that pick out a set of cases.

Cases are points in a space of named dimensions.  A *class* is a subset of
them.  A set S of dimensions describes the class when selecting, on every
dimension of S, the values the class takes there selects the class and
nothing else.  ``describe`` returns the smallest such S (ties broken in
favour of leaving the fault out, then of the shortest wording), or says that
no S works: the class is then not a product of per-dimension value sets.

Bitsets (Python ints, one bit per case) keep this fast: every subset test is
a handful of ANDs.  They are built in linear time, from a byte per case
(``bitset``), not by or-ing in one bit at a time (each or copies the whole int,
which is quadratic in the number of cases).
"""
import itertools
from dataclasses import dataclass
from typing import Dict, List, Optional


@dataclass
class Condition:
    dim: str
    values: List[str]          # the values the class takes on dim
    complement: List[str]      # the values it does not take (among the cases)

    def text(self):
        inside = len(self.values) <= len(self.complement)
        vals = [_show(v) for v in (self.values if inside else self.complement)]
        if len(vals) == 1:
            return "%s%s%s" % (self.dim, "=" if inside else "!=", vals[0])
        return "%s %s {%s}" % (self.dim, "in" if inside else "not in", ", ".join(vals))

    def as_dict(self):
        return {"dim": self.dim, "values": self.values, "excluded": self.complement,
                "text": self.text()}


@dataclass
class Description:
    conditions: Optional[List[Condition]]   # None: not a product
    size: int                               # cases in the class
    product_size: int                       # cases the full per-dim selection picks

    @property
    def is_product(self):
        return self.conditions is not None

    def text(self):
        if self.conditions is None:
            return "(not a product: %d of %d combinations)" % (self.size, self.product_size)
        if not self.conditions:
            return "(all cases)"
        return ", ".join(c.text() for c in self.conditions)

    def as_dict(self):
        return {"product": self.is_product, "size": self.size,
                "product_size": self.product_size, "text": self.text(),
                "conditions": None if self.conditions is None
                else [c.as_dict() for c in self.conditions]}


def _show(value):
    return "n/a" if value == "-" else value


def bitset(indices, n):
    """The int with the bits ``indices`` (each below ``n``) set, in linear time."""
    marks = bytearray(n)
    for i in indices:
        marks[i] = 1
    # one "0"/"1" digit per case, most significant first: int(, 2) is linear
    return int(marks[::-1].translate(_DIGITS) or b"0", 2)


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _value_masks(column, order):
    """{value: the bitset of the cases that have it}, for each value of ``order`` (the
    values of ``column``, one per case, numbered in first-seen order).  With fewer than
    256 values, the column as one byte per case and, per value, that byte string
    translated to "1" where it is the value and "0" elsewhere (linear, in C); else as
    ``bitset`` makes each from its indices."""
    if len(order) >= 256:
        where: Dict[str, List[int]] = {v: [] for v in order}
        for i, v in enumerate(column):
            where[v].append(i)
        return {v: bitset(idx, len(column)) for v, idx in where.items()}
    codes = bytes(map(order.__getitem__, reversed(column)))    # most significant first
    masks = {}
    for v, k in order.items():
        table = bytearray(b"0" * 256)
        table[k] = ord("1")
        masks[v] = int(codes.translate(table), 2)
    return masks


def _order(values, order):
    return sorted(values, key=lambda v: order.get(v, len(order)))


class Space:
    """All the cases of one entry point, as a list of {dim: value} dicts."""

    def __init__(self, points: List[Dict[str, str]], dims: Optional[List[str]] = None):
        self.points = points
        self.dims = dims or (list(points[0]) if points else [])
        self.all = (1 << len(points)) - 1
        # dim -> value -> bitset, and the values in first-seen order
        self.masks: Dict[str, Dict[str, int]] = {}
        self.order: Dict[str, Dict[str, int]] = {}
        for d in self.dims:
            column = [p.get(d, "-") for p in points]
            order = self.order[d] = {v: k for k, v in enumerate(dict.fromkeys(column))}
            self.masks[d] = _value_masks(column, order)

    def mask(self, indices):
        return bitset(indices, len(self.points))

    def describe(self, indices) -> Description:
        target = self.mask(indices)
        size = bin(target).count("1")
        vals, sel = {}, {}
        for d in self.dims:
            vs = [v for v, m in self.masks[d].items() if m & target]
            vals[d] = vs
            s = 0
            for v in vs:
                s |= self.masks[d][v]
            sel[d] = s
        full = self.all
        for d in self.dims:
            full &= sel[d]
        if full != target:
            return Description(None, size, bin(full).count("1"))
        # only dimensions that exclude something can matter
        useful = [d for d in self.dims if sel[d] != self.all]
        best, k = None, 0
        # the fewest dimensions first; by k = len(useful) at the latest one is found, as
        # all useful dims together select exactly the class (full == target)
        while best is None:
            for combo in itertools.combinations(useful, k):
                m = self.all
                for d in combo:
                    m &= sel[d]
                if m != target:
                    continue
                cost = ("fault" in combo,
                        sum(min(len(vals[d]), len(self.masks[d]) - len(vals[d]))
                            for d in combo))
                if best is None or cost < best[0]:
                    best = (cost, combo)
            k += 1
        conds = []
        for d in self.dims:
            if d in best[1]:
                inside = _order(vals[d], self.order[d])
                outside = _order([v for v in self.masks[d] if v not in vals[d]], self.order[d])
                conds.append(Condition(d, inside, outside))
        return Description(conds, size, size)
