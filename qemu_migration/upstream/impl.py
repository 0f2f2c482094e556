"""The compiled upstream functions, callable as the Python port's modules are.

``CImpl(version, src)`` builds (or loads from the cache) one version and gives
it the same callable names and Python signatures as ``qemu_migration.port.<v>``:
``impl.qemuMigrationPerformJob(driver, conn, vm, ...)`` inside
``world.activate()`` runs the C function on C copies of the Python objects.

How the two sides stay one world:
  * every Python object the C code can reach (the driver, domain objects, their
    definitions and private data, cookies, out-parameters) gets one C struct,
    made when first needed; ``Binding``s pair them (an out-parameter's ``Cell`` is
    synced only around the stubs handed it and when the call returns);
  * before each callback into a Python stub every binding copies C -> Python
    (only what C changed since the last copy), after it Python -> C (only what
    Python changed), and the stub's return value is turned into C; stubs that
    touch no bound field (UNSYNCED) skip both, stubs that write none (PULL_ONLY)
    the second;
  * errno: C takes ``world.errno`` after every callback;
  * the trace: the extracted functions are compiled with -finstrument-functions,
    and their entry and exit append to ``world.trace`` and move ``world.depth``
    exactly as the ``ported`` wrapper does; the stubs record themselves; C
    keeps the depth and the functions entered, buffers the entries (with their
    depth) and the calls of the stubs it defers (DEFERRED), and the next
    callback takes them in order;
  * ``static int port`` of qemuMigrationPrepareDirect is set from
    ``world.statics`` before a call of a function that may run it
    (``build.reaching``) and written back after it.
"""
import inspect
import re
import struct
from importlib import import_module
from itertools import chain
from operator import attrgetter, is_
from typing import Dict, Optional

from ..port import abi as ABI
from ..port import cookie as CK
from ..world import hosts as H
from ..world import stubs as S
from ..world import constants as K
from ..world.objects import Ptr, StartedElsewhere
from ..world.runtime import current, in_frame
from . import build as B
from . import cproto as CP

_NONE_TYPES = (str, int, float, bytes, type(None))


def _same(a, b):
    if a is b:
        return True
    return type(a) is type(b) and isinstance(a, _NONE_TYPES) and a == b


# --- frames that carry the name of the C function that called ------------------------

def _called_from(name, fn, *args):
    """``fn(*args)`` with the C function ``name`` as the world's current frame, so that a
    reported error names it as it names a ported function (``World.frame``)."""
    return in_frame(current(), name, fn, *args)


def _reported(domain, code, func, msg):
    """qmc_report in the world: qemuReportError in ``func``'s frame for the qemu driver's
    errors, else the reporter of another domain (virDomainReportError's)."""
    if domain == K.VIR_FROM_QEMU:
        _called_from(func, S.qemuReportError, code, "%s", msg)
    else:
        S._report(domain, code, msg, func)


def _reported_system(num, func, msg):
    _called_from(func, S.virReportSystemError, num, "%s", msg)


def _reported_oom(func):
    _called_from(func, S.virReportOOMError)


def _logged(level, msg):
    (S.VIR_ERROR if level else S.VIR_WARN)("%s", msg)


def _closed(fd):
    """VIR_FORCE_CLOSE of ``fd``: what it leaves in its place."""
    fds = [fd]
    S.VIR_FORCE_CLOSE(fds, 0)
    return fds[0]


# --- bindings: one table of fields per kind of object, walked by one loop ------------------
#
# A row is (name, get_py, set_py, read_c, write_c, to_py):
#   get_py(py) / set_py(py, v)   the Python side (set_py None: C never changes it)
#   read_c(s, c) -> raw          a comparable value of the C side (an address for a pointer)
#   write_c(s, c, v)             the Python value into C
#   to_py(s, c, raw)             the C value as Python
# The rows are made once, when this module is imported.  A binding skips a sync when
# nothing changed: push when every Python value is the object it pushed last, pull
# when the C struct's bytes are those it saw last (every raw value lies in them).

def _py_attr(path):
    """Getter and setter of a (dotted) attribute path on the Python object."""
    head, _, last = path.rpartition(".")
    owner = attrgetter(head) if head else None

    def set_py(py, v):
        setattr(owner(py) if owner else py, last, v)
    return attrgetter(path), set_py


def _inline(fn, code):
    """``fn`` with the Python expression or statement it amounts to (``c``, ``s`` and, for
    a write, ``{v}`` in it), which a binding's generated first push writes in its place."""
    fn.inline = code
    return fn


def _pure(fn, key=None):
    """``fn`` (a row's writer) marked pure: what it writes into the struct is a function of
    the value alone (a number, or a pointer the process keeps for that value), so a
    prepared image of an imaged kind may hold it (``_maker``); ``key``: the expression
    (of ``{v}``) the value is told apart by there, if not the value itself."""
    fn.pure = True
    fn.key = key
    return fn


def _field(fn, *path):
    """``fn`` (a row's read_c) with the C field its raw value lies in: a pull reads the
    row only when that field's bytes changed."""
    fn.field = path
    return fn


def _c_int(cname):
    return (_field(_inline(lambda s, c: getattr(c, cname), "c.%s" % cname), cname),
            _pure(_inline(lambda s, c, v: setattr(c, cname, v), "c.%s = {v}" % cname)))


def _c_str(cname):
    return (_field(_inline(lambda s, c: s.addr(getattr(c, cname)), "s.addr(c.%s)" % cname),
                   cname),
            _inline(lambda s, c, v: setattr(c, cname, s.cstr(v)), "c.%s = s.cstr({v})" % cname),
            (lambda s, c, raw: s.pystr(getattr(c, cname))))


def _as_int(s, c, raw):
    return int(raw)


def _as_bool(s, c, raw):
    return bool(raw)


def _py_object(s, c, raw):
    return s.py_of(raw)


# what the common to_py functions amount to, for the generated pulls
_INLINE_TO_PY = {_as_int: "int(raw)", _as_bool: "bool(raw)", _py_object: "s.py_of(raw)"}


def _row(name, read_c, write_c, to_py=None, pull=True):
    get_py, set_py = _py_attr(name)
    return (name, get_py, set_py if pull and to_py is not None else None, read_c, write_c, to_py)


def _str_row(name, cname, pull=True):
    read_c, write_c, to_py = _c_str(cname)

    def const_c(s, c, v):
        setattr(c, cname, s.const_str(v))
    _pure(_inline(const_c, "c.%s = s.const_str({v})" % cname))
    if not pull:        # C only reads it: one C string per text, shared by every call
        write_c = const_c
    else:               # the first push's too (C writes into none: a pull sees a new one)
        write_c.first = const_c
    return _row(name, read_c, write_c, to_py if pull else None)


def _int_row(name, cname, to_py=_as_int, pull=True):
    return _row(name, *_c_int(cname), to_py if pull else None)


@_pure
def _write_uuid(s, c, v):
    b = (v or "").encode()[:B_UUID_MAX]
    s.ffi.memmove(c.uuid, b + b"\0", len(b) + 1)


_MEMBALLOON_MODELS = {"virtio": 0, "xen": 1, "none": 2}


def _write_memballoon(s, c, v):
    """def->memballoon: NULL, or a device of the model the world's definition has (a
    model number, or its name)."""
    if v is None:
        c.memballoon = s.ffi.NULL
    else:
        m = s.ffi.new("virDomainMemballoonDef *")
        model = getattr(v, "model", v)
        m.model = _MEMBALLOON_MODELS[model] if isinstance(model, str) else model
        s.keep.append(m)
        c.memballoon = m


def _balloon_model(v):
    """The model number of def->memballoon's device (``v`` not None)."""
    model = getattr(v, "model", v)
    return _MEMBALLOON_MODELS[model] if isinstance(model, str) else model


def _first_memballoon(s, c, v):
    """def->memballoon at a binding's first push: one device per model and module, kept for
    the process (C only reads it: tests/test_upstream_c.py checks that none changed)."""
    if v is None:
        c.memballoon = s.ffi.NULL
        return
    model = _balloon_model(v)
    balloons = s.impl.balloons
    m = balloons.get(model)
    if m is None:
        m = balloons[model] = s.ffi.new("virDomainMemballoonDef *")
        m.model = model
    c.memballoon = m


_write_memballoon.first = _pure(_first_memballoon, "getattr({v}, 'model', {v})")
def _job_row(name, cname):
    if cname == "info_type":
        def read_c(s, c):
            return c.job.info.type

        def write_c(s, c, v):
            c.job.info.type = v
        field = "job.info.type"
    else:
        def read_c(s, c):
            return getattr(c.job, cname)

        def write_c(s, c, v):
            setattr(c.job, cname, v)
        field = "job." + cname
    return _row("job." + name, _field(_inline(read_c, "c." + field), *field.split(".")),
                _pure(_inline(write_c, "c.%s = {v}" % field)), _as_int)


def _first_write(row):
    """The writer of a row at a binding's first push (its ``first``, else its writer)."""
    return getattr(row[4], "first", row[4])


_VHANDLE = re.compile(r"s\.vhandle\(([^()]*)\)")
_INNER = re.compile(r"s\.(c_\w+)\(\{v\}\)")
_ADDR = re.compile(r"s\.addr\((.*)\)$")


def _push_lines(rows, which, env, ind="    "):
    """The straight-line code of a first push of the rows of index ``which`` (``c``, ``s``,
    ``vals``, ``sh``, ``setdef``, the session's ``handles.setdefault``, and ``by_id``, its
    ``by_id``, in scope): each written (inline where its writer says what it amounts to; a
    handle as ``Session.vhandle`` makes it, without the call; another binding's struct, of
    a ``Session.c_<kind>`` in ``env["inner"]``, as that does, its make called directly),
    then each pulled one's raw C value read into ``sh`` (an address as ``Session.addr``
    reads it, without the call; that of a binding's struct just written, its ``addr``)."""
    lines = []
    inner = env.get("inner") or {}
    made = {}
    for i in which:
        write_c = _first_write(rows[i])
        code = getattr(write_c, "inline", None)
        if code is None:
            env["w%d" % i] = write_c
            code = "w%d(s, c, {v})" % i
        m = _INNER.search(code)
        if m is not None and m.group(1) in inner:
            env["mk_" + m.group(1)] = inner[m.group(1)]
            x = made[i] = "x%d" % i
            lines += [ind + "v = vals[%d]" % i,
                      ind + "if v is None:",
                      ind + "    %s = null" % x,
                      ind + "    a%d = 0" % i,
                      ind + "else:",
                      ind + "    bx = by_id.get(pyid(v))",
                      ind + "    if bx is None:",
                      ind + "        mk_%s(s, v)" % m.group(1),
                      ind + "        bx = by_id[pyid(v)]",
                      ind + "    %s = bx.c" % x,
                      ind + "    a%d = bx.addr" % i]
            code = code[:m.start()] + x + code[m.end():]
        code = _VHANDLE.sub(r"(null if \1 is None else setdef(pyid(\1), new_handle(\1)))",
                            code)
        lines.append(ind + code.format(v="vals[%d]" % i))
    for i in which:
        r = rows[i]
        if r[2] is None:
            continue
        read_c = r[3]
        code = getattr(read_c, "inline", None)
        if code is None:
            env["r%d" % i] = read_c
            code = "r%d(s, c)" % i
        else:
            m = _ADDR.match(code)
            if i in made:           # the address of the struct just written there
                code = "a%d" % i
            elif m is not None:
                code = "int(cast(uintptr, %s))" % m.group(1)
        lines.append(ind + "sh[%d] = %s" % (i, code))
    return lines


IMAGES_MAX = 4096       # prepared images kept per kind and module (then no more are kept)
TEXTS_MAX = 4096        # Session.const_str's C strings kept per module (then no more are kept)


def _texts_kept(s):
    """Whether every text the session's module made is kept for the process (the table of
    Session.const_str is not full): an image made now points at none of a call's own."""
    return len(s.impl.texts) < TEXTS_MAX


def _maker(cls, ffi, ctype, init, inner=None):
    """``make(s, py)``: a new binding of ``cls`` for ``py`` in the session ``s``, as one
    function of straight-line code per kind and module: its C struct (``ctype``, set up
    by ``init``), the binding (its ``py`` and ``c``, the struct's address ``addr``, the
    raw C values ``c_shadow`` and Python values ``py_shadow`` at the last sync, the
    struct's bytes then ``c_bytes``, a view ``cbuf`` of the struct, made once),
    registered in the session's tables, then its first push; the C struct returned.  The
    binding keeps the C struct and the object alive; the session is handed to each sync,
    not kept: no cycle, so a call's world goes when the call's last reference does,
    without the collector.

    Of a kind with ``IMAGE`` set, the pure rows (``_pure``: numbers, the process's C
    strings) are written once per distinct tuple of their values, into a prepared image
    of the struct (its bytes after ``init`` and those rows, and their raw C values) that
    every later binding with the same values copies in (then ``init`` again where it
    points the struct at itself, ``INIT_SELF``; another's set-up, pointers to the module's
    own constants, is in the image); the other rows (handles, other bindings, C memory of
    the call) are written as the first push writes them, after.  Each row writes fields
    of its own, so the struct is byte for byte what the rows in their order would give:
    tests/test_upstream_c.py checks every binding made over the cases against that.
    Such a binding made from an image reuses, where there is one, a binding of its kind a
    call that ended gave back (``free``, the make's ``free``: ``CImpl._call`` gives back a
    call's bindings when it returns, unless its sessions are kept), with its C struct and
    view: the image copied over the whole struct leaves nothing of its last call, and
    the rows after it are written as into a new one (the same check covers them).  A
    make with no image for its values (the first, or any once no more are kept:
    IMAGES_MAX, or the texts table full) takes one too, its struct zeroed as a new one
    is.  The pool keeps the structs alive (the binding holds them): at most as many per
    kind as the calls running at once bound.

    ``inner``: the makes of the bindings the first push makes (``Session.c_<kind>``: a
    domain object's definition and private data), by the name of that method, called
    directly when the object is not bound yet."""
    rows = cls.ROWS
    env = {"new": ffi.new, "buffer": ffi.buffer, "cast": ffi.cast,
           "uintptr": ffi.typeof("uintptr_t"), "ctype": ffi.typeof(ctype), "init": init,
           "cls": cls, "getter": cls._py_values, "n": cls._nrows,
           "pyid": id, "images": {}, "IMAGES_MAX": IMAGES_MAX,
           "null": ffi.NULL, "new_handle": ffi.new_handle,
           "_balloon_model": _balloon_model, "inner": inner, "texts_kept": _texts_kept}
    pure = [i for i, r in enumerate(rows) if getattr(_first_write(r), "pure", False)]
    if not cls.IMAGE or not pure:
        pure = []
    rest = [i for i in range(len(rows)) if i not in pure]
    lines = ["def make(s, py):",
             "    vals = getter(py)"]
    # a new binding and its new C struct (a binding's class has no __init__ of its own:
    # Binding's test); ``free``: where the call's end gives it back (None: nowhere)
    fresh = ["    c = new(ctype)",
             "    cbuf = buffer(c)"]
    new_b = ["    b = cls()",
             "    b.c = c",
             "    b.cbuf = cbuf",
             "    b.addr = a = int(cast(uintptr, c))",
             "    b.free = free"]
    copied = ["    cbuf[:] = image[0]"]
    if init is not None and cls.INIT_SELF:
        copied.append("    init(c)")
    copied.append("    sh = list(image[1])")

    def ind(block):
        return ["    " + x for x in block]
    if pure:
        env["free"] = []
        keys = []
        for i in pure:
            key = _first_write(rows[i]).key or "{v}"
            keys.append(key.format(v="vals[%d]" % i))
        lines += ["    key = (%s,)" % ", ".join(keys),
                  "    image = images.get(key)",
                  "    if image is None:",
                  "        if free:",          # (a given-back struct zeroed: as new)
                  "            b = free.pop()",
                  "            c = b.c",
                  "            cbuf = b.cbuf",
                  "            a = b.addr",
                  "            cbuf[:] = zero",
                  "        else:"]
        env["zero"] = bytes(ffi.sizeof(ffi.typeof(ctype).item))
        lines += ind(ind(fresh + new_b))
        if init is not None:
            lines.append("        init(c)")
        lines.append("        sh = [None] * n")
        lines += _push_lines(rows, pure, env, "        ")
        # (kept only while the module keeps every text it made: past TEXTS_MAX a string
        # row's text is the call's own, and an image kept for the process would point at
        # it after the call freed it)
        lines += ["        if len(images) < IMAGES_MAX and texts_kept(s):",
                  "            images[key] = (cbuf[:], tuple(sh))"]
        # a binding a call gave back, its struct made again from the image
        lines += ["    elif free:",
                  "        b = free.pop()",
                  "        c = b.c",
                  "        cbuf = b.cbuf",
                  "        a = b.addr"]
        lines += ind(copied)
        lines.append("    else:")
        lines += ind(fresh + copied + new_b)
    else:
        env["free"] = None
        lines += fresh
        if init is not None:
            lines.append("    init(c)")
        lines.append("    sh = [None] * n")
        lines += new_b
    # (its Python values are ``vals`` from here: nothing reads them before the first push
    # ends; its bytes are read there)
    lines += ["    b.py = py",
              "    b.c_shadow = sh",
              "    b.py_shadow = vals",
              "    s.by_addr[a] = b",
              "    by_id = s.by_id",
              "    by_id[pyid(py)] = b",
              "    s.bindings.append(b)"]
    # (a kind C changes nothing of that Python reads, no row pulled: no pull looks at it,
    # and its bytes are not kept)
    pulled = bool(cls._pulled)
    if pulled:
        lines += ["    s.pulled.append(b)",
                  "    s.cbufs.append(cbuf)"]
    lines.append("    s.c_all = s.py_all = None")
    body = _push_lines(rows, rest, env)
    if any("setdef(" in line for line in body):
        lines.append("    setdef = s.handles.setdefault")
    lines += body
    if pulled:
        lines.append("    b.c_bytes = cbuf[:]")
    lines.append("    return c")
    exec("\n".join(lines), env)
    make = env["make"]
    make.images = env["images"]
    make.free = env["free"]
    return make


def _make_push(rows):
    """``push(self, s, vals)``, Python -> C, of a kind with ``rows``: the rows whose values
    (``vals``, read just now) are not those of the last sync (``_same``, inline) written
    (inline where the writer says what it amounts to), and a pulled one's raw C value
    kept; one function of straight-line code per kind."""
    env = {"NONE_TYPES": _NONE_TYPES}
    lines = ["def push(self, s, vals):",
             "    old = self.py_shadow",
             "    c = self.c",
             "    sh = self.c_shadow"]
    for i, r in enumerate(rows):
        code = getattr(r[4], "inline", None)
        if code is None:
            env["w%d" % i] = r[4]
            code = "w%d(s, c, {v})" % i
        lines += ["    v = vals[%d]" % i,
                  "    o = old[%d]" % i,
                  "    if v is not o and not (type(v) is type(o) and isinstance(v, NONE_TYPES)"
                  " and v == o):",
                  "        " + code.format(v="v")]
        if r[2] is not None:        # a row's raw C value is kept only where it is pulled
            read = getattr(r[3], "inline", None)
            if read is None:
                env["r%d" % i] = r[3]
                read = "r%d(s, c)" % i
            lines.append("        sh[%d] = %s" % (i, read))
    lines.append("    self.py_shadow = vals")
    if any(r[2] is not None for r in rows):     # (the bytes a pull compares with)
        lines.append("    self.c_bytes = self.cbuf[:]")
    exec("\n".join(lines), env)
    return env["push"]


# struct's codes of an integer of a size: (unsigned, signed)
_STRUCT_CODES = {1: ("B", "b"), 2: ("H", "h"), 4: ("I", "i"), 8: ("Q", "q")}


class Binding:
    """One Python object and its C struct, kept equal over the rows of ``ROWS``."""
    # (what _maker sets; a subclass may keep more)
    __slots__ = ("py", "c", "addr", "c_shadow", "py_shadow", "c_bytes", "cbuf", "free",
                 "__dict__")
    kind = "?"
    ROWS: tuple = ()
    IMAGE = False       # its pure rows from a prepared image (_maker)
    CTYPE = ""          # its C struct's pointer type
    INIT = None         # the name of the C function that sets a new struct up, if any
    INIT_SELF = False   # it points the struct at itself (run again after an image's copy)

    def __init_subclass__(cls):
        super().__init_subclass__()
        cls._set_rows(cls.ROWS)

    @classmethod
    def _set_rows(cls, rows):
        # made once per kind: every row's Python value (a tuple), read as attrgetter would
        # read them, by one function of plain attribute reads (the interpreter's specialised
        # reads are cheaper than attrgetter's generic ones, in a make and in every push)
        cls.ROWS = rows
        code = "def values(py):\n    return (%s)" % "".join("py.%s, " % r[0] for r in rows)
        env = {}
        exec(code, env)
        cls._py_values = staticmethod(env["values"])
        cls._pulled = tuple((i, r[2], r[3], r[5]) for i, r in enumerate(rows)
                            if r[2] is not None)
        cls._nrows = len(rows)
        cls.push = _make_push(rows)
        cls._pulls_by_ffi = {}         # its pull per module (Binding._make_pull)

    def _field_ranges(self, ffi):
        """Per pulled row, the (start, end) of the bytes of the C field its raw value lies
        in and the field's C type, or None (read it at every pull that sees a change)."""
        base = int(ffi.cast("uintptr_t", self.c))
        ranges = []
        for i, set_py, read_c, to_py in self._pulled:
            path = getattr(read_c, "field", None)
            if path is None or len(self._pulled) < 2:
                ranges.append(None)     # a single row: the whole struct is its bytes
                continue
            p = ffi.addressof(self.c[0], *path)
            lo = int(ffi.cast("uintptr_t", p)) - base
            t = ffi.typeof(p).item
            ranges.append((lo, lo + ffi.sizeof(t), t))
        return ranges

    def _unpacked(self, ffi, ranges):
        """The rows whose reader is the plain value of their field (its inline code says
        so: ``c.F`` of a number, ``s.addr(c.F)`` of a pointer), read at once from the
        struct's bytes: (a struct.Struct of those fields in the order of their offsets,
        {row index: its place in what it unpacks}), or (None, {}) where there are none."""
        fields = []
        for (i, set_py, read_c, to_py), r in zip(self._pulled, ranges):
            if r is None:
                continue
            lo, hi, t = r
            name = ".".join(read_c.field)
            code = getattr(read_c, "inline", None)
            if t.kind == "pointer" and code in ("s.addr(c.%s)" % name,
                                                "s.addr(getattr(c, '%s'))" % name):
                signed = False
            elif t.kind in ("primitive", "enum") and code == "c." + name and \
                    t.cname not in ("float", "double", "long double", "_Bool", "bool",
                                    "char"):    # cffi reads a char as bytes, not a number
                signed = int(ffi.cast(t, -1)) < 0
            else:
                continue
            size = hi - lo
            if size not in _STRUCT_CODES:
                continue
            fields.append((lo, size, _STRUCT_CODES[size][signed], i))
        if not fields:
            return None, {}
        fields.sort()
        fmt, at, where = "=", 0, {}
        for lo, size, code, i in fields:
            if lo < at:         # bytes another row's field has (a union): its own reader
                continue
            fmt += "%dx%s" % (lo - at, code) if lo > at else code
            at = lo + size
            where[i] = len(where)
        return struct.Struct(fmt), where

    def _make_pull(self, ffi):
        """This kind's pull in a module (the structs' layouts are the module's), as one
        function of straight-line code: per pulled row, only when the bytes of its C
        field changed since the last sync, its raw value read (inline where its reader
        says what it amounts to) and, when it is not the one kept, turned into Python
        and set on the object; the Python values and the struct's bytes kept.  ``now``:
        the struct's bytes, which the caller (``Session.pull``) found changed."""
        env = {}
        lines = ["def pull(self, s, now):",
                 "    before = self.c_bytes",
                 "    c = self.c",
                 "    py = self.py",
                 "    sh = self.c_shadow",
                 "    vals = None"]
        ranges = self._field_ranges(ffi)
        unpack, where = self._unpacked(ffi, ranges)
        if unpack is not None:
            env["unpack"] = unpack.unpack_from
            lines.append("    raws = unpack(now)")
        for (i, set_py, read_c, to_py), r in zip(self._pulled, ranges):
            ind = "    "
            code = getattr(read_c, "inline", None)
            if i in where:      # its raw value unpacked with the others': no test first
                code = "raws[%d]" % where[i]
            elif r is not None:
                lines.append("    if now[%d:%d] != before[%d:%d]:" % (r[0], r[1], r[0], r[1]))
                ind = "        "
            if code is None:
                env["r%d" % i] = read_c
                code = "r%d(s, c)" % i
            conv = _INLINE_TO_PY.get(to_py)
            if conv is None:
                env["t%d" % i] = to_py
                conv = "t%d(s, c, raw)" % i
            lines += [ind + "raw = " + code,
                      ind + "if raw != sh[%d]:" % i,
                      ind + "    v = " + conv,
                      ind + "    py.%s = v" % self.ROWS[i][0],      # its (dotted) path
                      ind + "    sh[%d] = raw" % i,
                      ind + "    if vals is None:",
                      ind + "        vals = list(self.py_shadow)",
                      ind + "    vals[%d] = v" % i]
        lines += ["    if vals is not None:",
                  "        self.py_shadow = tuple(vals)",
                  "    self.c_bytes = now"]
        exec("\n".join(lines), env)
        fn = self._pulls_by_ffi[ffi] = env["pull"]
        return fn


def _handle_row(name, write_c, read_c):
    return _row(name, read_c, write_c)


class DriverB(Binding):
    kind = "driver"
    IMAGE = True
    CTYPE = "struct qemud_driver *"
    ROWS = tuple(_str_row(f, f, pull=False) for f in ("configDir", "autostartDir", "stateDir",
                                                      "lockManager")) + (
        _handle_row("caps", _inline(lambda s, c, v: setattr(c, "caps", s.handle(v, "virCapsPtr")),
                                    "c.caps = s.vhandle({v})"),
                    lambda s, c: s.addr(c.caps)),
        _handle_row("domains",
                    _inline(lambda s, c, v: setattr(c.domains, "objs",
                                                    s.handle(v, "virHashTablePtr")),
                            "c.domains.objs = s.vhandle({v})"),
                    lambda s, c: s.addr(c.domains.objs)),
        _handle_row("autodestroy",
                    _inline(lambda s, c, v: setattr(c, "autodestroy",
                                                    s.handle(v, "virHashTablePtr")),
                            "c.autodestroy = s.vhandle({v})"),
                    lambda s, c: s.addr(c.autodestroy)),
        _handle_row("domainEventState",
                    _inline(lambda s, c, v: setattr(c, "domainEventState", s.c_event_state(v)),
                            "c.domainEventState = s.c_event_state({v})"),
                    lambda s, c: s.addr(c.domainEventState)),
    )


class VmB(Binding):
    kind = "vm"
    IMAGE = True
    CTYPE = "virDomainObj *"
    INIT = "qmc_init_vm"
    INIT_SELF = True    # (its lock's owner is itself)
    ROWS = (
        _int_row("refs", "refs"),
        _int_row("pid", "pid", pull=False),
        _row("persistent", lambda s, c: s.lib.qmc_get_persistent(c),
             _pure(lambda s, c, v: s.lib.qmc_set_persistent(c, 1 if v else 0),
                   "bool({v})"), _as_bool),
        _row("def_", _field(_inline(lambda s, c: s.addr(getattr(c, "def")),
                                    "s.addr(getattr(c, 'def'))"), "def"),
             _inline(lambda s, c, v: setattr(c, "def", s.c_def(v)),
                     "setattr(c, 'def', s.c_def({v}))"), _py_object),
        _row("privateData", _field(_inline(lambda s, c: s.addr(c.privateData),
                                           "s.addr(c.privateData)"), "privateData"),
             # (a void * field takes any pointer as it is)
             _inline(lambda s, c, v: setattr(c, "privateData", s.c_priv(v)),
                     "c.privateData = s.c_priv({v})"),
             _py_object),
        _handle_row("snapshots",
                    _inline(lambda s, c, v: setattr(c.snapshots, "objs",
                                                    s.handle(v.objs, "virHashTablePtr")),
                            "c.snapshots.objs = s.vhandle({v}.objs)"),
                    lambda s, c: s.addr(c.snapshots.objs)),
    )


B_UUID_MAX = 78


class DefB(Binding):
    kind = "def"
    IMAGE = True
    CTYPE = "virDomainDef *"
    ROWS = (
        _int_row("id", "id"),
        _str_row("name", "name"),
        _row("uuid", lambda s, c: s.ffi.string(c.uuid), _write_uuid),
        _int_row("nhostdevs", "nhostdevs", pull=False),
        _int_row("vcpus", "vcpus", pull=False),
        # numbers C only reads: in the prepared image
        _row("max_balloon", lambda s, c: c.mem.max_balloon,
             _pure(_inline(lambda s, c, v: setattr(c.mem, "max_balloon", v or 0),
                           "c.mem.max_balloon = {v} or 0"))),
        _row("cur_balloon", lambda s, c: c.mem.cur_balloon,
             _pure(_inline(lambda s, c, v: setattr(c.mem, "cur_balloon", v or 0),
                           "c.mem.cur_balloon = {v} or 0"))),
        _row("memballoon", lambda s, c: s.addr(c.memballoon), _write_memballoon),
    )


class PrivB(Binding):
    kind = "priv"
    IMAGE = True
    CTYPE = "qemuDomainObjPrivate *"
    INIT = "qmc_init_priv"      # (its conditions' names: the module's constant strings)
    ROWS = tuple(_job_row(n, n) for n in ("active", "asyncJob", "phase", "mask", "start",
                                          "info_type")) + (
        _str_row("lockState", "lockState"),
        _handle_row("mon", _inline(lambda s, c, v: setattr(c, "mon",
                                                           s.handle(v, "struct qmc_opaque *")),
                                   "c.mon = s.vhandle({v})"),
                    lambda s, c: s.addr(c.mon)))


class DomainInfo:
    """virDomainInfo as Python sees a C one (libvirt.h): the fields domainGetInfo fills."""
    __slots__ = ("state", "maxMem", "memory", "nrVirtCpu", "cpuTime")

    def __init__(self):
        self.state = self.maxMem = self.memory = self.nrVirtCpu = self.cpuTime = 0


class InfoB(Binding):
    kind = "info"
    CTYPE = "virDomainInfo *"
    ROWS = tuple(_int_row(n, n) for n in DomainInfo.__slots__)


class CookieB(Binding):
    kind = "cookie"
    CTYPE = "qemuMigrationCookie *"
    ROWS = (_str_row("lockState", "lockState"),)


_CELL_FORMATS = {}      # an out-parameter cell's view's format, by the C type it holds


def _cell_format(ffi, ctype):
    """The memoryview format of one ``ctype`` (a pointer: its address; bool; an integer of
    its size and sign), as cffi reads the cell: the same number, or bool."""
    f = _CELL_FORMATS.get(ctype)
    if f is None:
        t = ffi.typeof(ctype)
        if t.kind == "pointer":
            f = "P"
        elif t.cname in ("_Bool", "bool"):
            f = "?"
        else:
            f = _STRUCT_CODES[ffi.sizeof(t)][int(ffi.cast(t, -1)) < 0]
        _CELL_FORMATS[ctype] = f
    return f


class Cell:
    """An out-parameter: a Python Ptr and the C cell a ``T *`` parameter points at.  Not a
    binding: Python reaches a Ptr only through a stub it is handed (a ported caller's
    own), so the two sides are kept equal only there: C -> Python when a stub is handed
    it (``Session.py_cell``) and when the call returns, Python -> C after that stub;
    each way only when that side changed it since (as a binding's row would be).
    ``v``: a view of the cell's bytes, its raw value as one item (held with the cell:
    it holds the cell's memory); ``free``: where the call's end gives it back (an
    argument's cell, CImpl._converter's: a later call's argument takes it, ``take``),
    or None."""
    __slots__ = ("ptr", "c", "kind", "raw", "value", "v", "free")

    def __init__(self, s, ptr, ctype, c, free=None):
        self.c = c
        self.kind = ctype if ctype in ("char *", "bool") else "int"
        self.v = memoryview(s.ffi.buffer(c)).cast(_cell_format(s.ffi, ctype))
        self.free = free
        self.take(s, ptr)

    def take(self, s, ptr):
        """The cell (new, or given back by a call that returned) as ``ptr``'s: its value in
        C (NULL, 0 or false written where it is that), and kept as the last sync's."""
        self.ptr = ptr
        self.value = v = ptr.value
        if v is None or (not v and self.kind != "char *"):
            self.v[0] = self.raw = False if self.kind == "bool" else 0
        else:
            self.write(s, v)
        return self

    def write(self, s, v):
        """The Python value ``v`` into C (and the raw C value it gives kept)."""
        c, kind = self.c, self.kind
        if kind == "char *":
            c[0] = s.cstr(v)
        elif kind == "bool":
            c[0] = bool(v)
        else:
            c[0] = 0 if v is None else int(v)
        self.raw = self.v[0]

    def pull(self, s):
        """C -> Python, when C changed the cell since the last sync."""
        raw = self.v[0]     # (a pointer's address; cffi's number or bool for the others)
        if raw != self.raw:
            self.raw = raw
            self.value = self.ptr.value = (s.pystr(self.c[0]) if self.kind == "char *"
                                           else raw)

    def push(self, s):
        """Python -> C, when Python changed the value since the last sync."""
        v = self.ptr.value
        if not _same(v, self.value):
            self.value = v
            self.write(s, v)


# --- one call --------------------------------------------------------------------------

class Session:
    """The C side of one top-level call: the bindings and what keeps C memory alive.
    (Slots, and the tables few calls use made at their first use: a call takes one, an
    emptied one a call that returned gave back where there is one, ``reset``.)"""
    __slots__ = ("impl", "ffi", "lib", "uintptr", "world", "keep", "by_addr", "by_id",
                 "bindings", "pulled", "cbufs", "c_all", "py_all", "handles",
                 "domlists", "ptrs", "structs", "cells", "entered", "exc")

    def __init__(self, impl, world):
        self.impl = impl
        self.ffi, self.lib, self.uintptr = impl.c_types
        self.world = world
        self.keep = []
        self.by_addr: Dict[int, Binding] = {}
        self.by_id: Dict[int, Binding] = {}
        self.bindings = []                          # every binding, in the order made
        self.pulled = []                            # those of a kind with pulled rows
        self.cbufs = []                             # and a view of each of their structs
        self.c_all = None                           # their bytes together at the last sync
        self.py_all = None                          # those values in one list at the last sync
        self.handles: Dict[int, object] = {}
        self.domlists: Optional[Dict[int, object]] = None     # (domlist's, made there)
        self.ptrs = {}                              # py_ptr's: C pointer -> its object
        self.structs: Dict[int, object] = {}      # id(Python object) -> its C struct
        self.cells: Dict[int, Cell] = {}          # id(Ptr) -> its out-parameter cell
        self.entered = False                        # True once C entered WATCHED
        self.exc: Optional[BaseException] = None

    def reset(self):
        """The session emptied, for another call (CImpl._call's ``sessions``)."""
        self.keep.clear()
        self.by_addr.clear()
        self.by_id.clear()
        self.bindings.clear()
        self.pulled.clear()
        self.cbufs.clear()
        self.handles.clear()
        self.ptrs.clear()
        self.structs.clear()
        self.cells.clear()
        self.world = self.c_all = self.py_all = self.domlists = self.exc = None
        self.entered = False

    # -- plumbing
    def addr(self, cdata):
        return int(self.ffi.cast(self.uintptr, cdata))

    def cstr(self, s):
        if s is None:
            return self.ffi.NULL
        if not isinstance(s, (str, bytes)):
            raise TypeError("a C string was expected, got %r" % (s,))
        buf = self.ffi.new("char[]", s.encode() if isinstance(s, str) else s)
        self.keep.append(buf)
        return buf

    def const_str(self, s):
        """A C string C only reads (a push-only row's, any string row's at a binding's
        first push, an entry point's ``const char *`` argument): one per text and module,
        kept for the process (the texts are the worlds' few paths, names and documents; past
        TEXTS_MAX of them a new one is the call's own); C writes into none
        (tests/test_upstream_c.py)."""
        if s is None:
            return self.ffi.NULL
        texts = self.impl.texts
        buf = texts.get(s)
        if buf is None:
            buf = self.cstr(s)
            if len(texts) < TEXTS_MAX:
                texts[s] = buf
        return buf

    def pystr(self, p):
        if not p:               # (a C pointer is false where it is NULL)
            return None
        return self.ffi.string(p).decode("utf-8", "surrogateescape")

    def handle(self, obj, ctype="void *"):
        if obj is None:
            return self.ffi.NULL
        h = self.handles.get(id(obj))
        if h is None:
            h = self.handles[id(obj)] = self.ffi.new_handle(obj)    # it keeps obj alive
        return self.ffi.cast(ctype, h)

    def vhandle(self, obj):
        """``handle(obj)`` as the ``void *`` it is, which a struct's pointer field of any
        type takes as it is (the cast would make a new cdata for the same address)."""
        if obj is None:
            return self.ffi.NULL
        h = self.handles.get(id(obj))
        if h is None:
            h = self.handles[id(obj)] = self.ffi.new_handle(obj)    # it keeps obj alive
        return h

    def from_handle(self, p):
        if p == self.ffi.NULL:
            return None
        return self.ffi.from_handle(self.ffi.cast("void *", p))

    def py_of(self, raw_addr):
        if not raw_addr:
            return None
        b = self.by_addr.get(raw_addr)
        if b is None:
            raise RuntimeError("qemu-migration: C handed back a pointer (0x%x) that no Python "
                               "object stands behind" % raw_addr)
        return b.py

    def _c_of(self, py, cls, ctype, init=None):
        b = self.by_id.get(id(py))
        return b.c if b is not None else self._make(py, cls, ctype, init)

    def _make(self, py, cls, ctype, init=None):
        """The C struct of ``py``, not bound yet: its binding made (NULL for None)."""
        if py is None:
            return self.ffi.NULL
        make = self.impl.makers.get(cls)
        if make is None:
            make = self.impl.maker(cls, ctype, init)
        return make(self, py)

    # -- Python objects -> C
    def c_driver(self, drv):
        b = self.by_id.get(id(drv))
        if b is not None:
            return b.c
        return self._make(drv, self.impl.driver_binding, "struct qemud_driver *")

    def domlist(self, p):
        """The driver whose ``domains`` (embedded in its struct) is at ``p``, or None:
        found among the drivers bound when C first hands one (few calls pass one)."""
        a = self.addr(p)
        if self.domlists is None:
            self.domlists = {}
        drv = self.domlists.get(a)
        if drv is None:
            for b in self.bindings:
                if b.kind == "driver" and self.addr(self.ffi.addressof(b.c, "domains")) == a:
                    drv = self.domlists[a] = b.py
                    break
        return drv

    def c_vm(self, vm):
        b = self.by_id.get(id(vm))
        return b.c if b is not None else self._make(vm, VmB, "virDomainObj *",
                                                    self.lib.qmc_init_vm)

    def c_def(self, d):
        b = self.by_id.get(id(d))
        return b.c if b is not None else self._make(d, self.impl.def_binding, "virDomainDef *")

    def c_priv(self, p):
        b = self.by_id.get(id(p))
        return b.c if b is not None else self._make(p, PrivB, "qemuDomainObjPrivate *",
                                                    self.lib.qmc_init_priv)

    def c_cookie(self, m):
        c = self._c_of(m, CookieB, "qemuMigrationCookie *")
        if m is not None:
            c.py = self.handle(m)
        return c

    def c_snapshots(self, lst):
        # inside a domain object the list is embedded; otherwise a list of its own
        for b in list(self.by_id.values()):
            if b.kind == "vm" and b.py.snapshots is lst:
                return self.ffi.addressof(b.c, "snapshots")
        c = self.ffi.new("virDomainSnapshotObjList *")
        c.objs = self.handle(lst.objs, "virHashTablePtr")
        self.keep.append(c)
        return c

    def c_cell(self, ptr, ctype):
        if ptr is None:
            return self.ffi.NULL
        cells = self.cells
        cell = cells.get(id(ptr))
        if cell is None:
            types = self.impl.cell_types
            t = types.get(ctype)
            if t is None:
                t = types[ctype] = self.ffi.typeof(ctype + "[1]")
            cell = cells[id(ptr)] = Cell(self, ptr, ctype, self.ffi.new(t))
        return cell.c

    def pull_cells(self):
        """C -> Python for every out-parameter cell (when the call returns); a cell C left
        as it was is seen so here, without its pull's call (most are)."""
        for cell in self.cells.values():
            if cell.v[0] != cell.raw:
                cell.pull(self)

    def py_cell(self, p, ctype):
        """A ``T *`` argument as (a Ptr, what writes it back after the stub): the caller's own
        when it is one of its out-params, C's value pulled into it first."""
        if p == self.ffi.NULL:
            return None, None
        if self.cells:
            a = self.addr(p)
            for cell in self.cells.values():
                if self.addr(cell.c) == a:
                    cell.pull(self)
                    return cell.ptr, (lambda: cell.push(self))
        cell = Ptr(self.pystr(p[0]) if ctype == "char *" else
                   (bool(p[0]) if ctype == "bool" else int(p[0])))
        return cell, (lambda: p.__setitem__(0, self.cstr(cell.value) if ctype == "char *"
                                            else cell.value if ctype == "bool"
                                            else (0 if cell.value is None else cell.value)))

    def py_ptr(self, p):
        # by the pointer itself (cffi's pointers hash and compare by address, whatever
        # their type), once its address was looked up: an address keeps its object
        py = self.ptrs.get(p)
        if py is None:
            if p == self.ffi.NULL:
                return None
            py = self.ptrs[p] = self.py_of(self.addr(p))
        return py

    def c_event_state(self, st):
        """``driver->domainEventState``: a struct holding its callback list's handle, one per
        Python object and module, kept for the process with the object and the handle
        (``World.copy`` shares a driver's event state with its template, so the cases of
        one starting state hand C the same one); C only reads it (tests/test_upstream_c.py
        checks that none changed).  Past IMAGES_MAX objects, a new one is the call's own."""
        states = self.impl.event_states
        got = states.get(id(st))
        if got is not None:
            return got[0]
        c = self.ffi.new("struct qmc_event_state *")
        h = c.callbacks = self.ffi.new_handle(st.callbacks)     # it keeps the list alive
        if len(states) < IMAGES_MAX:
            states[id(st)] = (c, h, st)         # (st kept: its id stays its own)
        else:
            self.keep += (c, h)
        return c

    # -- whole migrations: connections, domain handles, streams (protocol.h)
    @property
    def protocol(self):
        return bool(self.impl.built.spec.extra_cdef)

    def c_conn(self, conn):
        if conn is None:
            return self.ffi.NULL
        if not self.protocol:
            return self.handle(conn)
        c = self.structs.get(id(conn))
        if c is None:
            c = self.ffi.new("virConnect *")
            c.py = self.handle(conn)
            c.driver = self.lib.qmc_remote_driver_ptr()
            c.flags = getattr(conn, "flags", 0) or 0
            host = getattr(conn, "host", None)
            if host is not None and host.world is self.world:
                # the daemon's own connection: conn->privateData is its driver
                c.privateData = self.ffi.cast("void *", self.c_driver(self.world.driver))
            self.structs[id(conn)] = c
            self.keep.append(c)
        return c

    def conn_of(self, p):
        if p == self.ffi.NULL:
            return None
        if not self.protocol:
            return self.from_handle(p)
        return self.from_handle(self.ffi.cast("virConnect *", p).py)

    def c_dom(self, dom):
        if dom is None:
            return self.ffi.NULL
        c = self.structs.get(id(dom))
        if c is None:
            c = self.ffi.new("virDomain *")
            c.py = self.handle(dom)
            c.conn = self.c_conn(dom.conn)
            c.name = self.cstr(dom.name)
            _write_uuid(self, c, dom.uuid)
            c.id = dom.id
            self.structs[id(dom)] = c
            self.keep.append(c)
        return c

    def dom_of(self, p):
        return None if p == self.ffi.NULL else self.from_handle(p.py)

    def c_stream(self, st):
        if st is None:
            return self.ffi.NULL
        if not self.protocol:
            return self.handle(st)
        c = self.structs.get(id(st))
        if c is None:
            c = self.ffi.new("virStream *")
            c.py = self.handle(st)
            c.conn = self.c_conn(getattr(st, "conn", None))
            self.structs[id(st)] = c
            self.keep.append(c)
        return c

    def stream_of(self, p):
        if p == self.ffi.NULL:
            return None
        if not self.protocol:
            return self.from_handle(p)
        return self.from_handle(self.ffi.cast("virStream *", p).py)

    def c_uri(self, uri):
        """xmlParseURI's result: the Python stub's parsed URI (its ``server``)."""
        if uri is None:
            return self.ffi.NULL
        c = self.ffi.new("xmlURI *")
        c.py = self.handle(uri)
        c.server = self.cstr(getattr(uri, "server", None))
        self.keep.append(c)
        return c

    def py_value(self, t, v):
        """(Python value, write-back or None) of a stub's argument of C type ``t``."""
        kind = _VALUE_KINDS.get(t)
        if kind is None:
            return (bool(v.i) if t == "bool" else int(v.i)), None
        p = v.p
        if kind == "str":
            return self.pystr(self.ffi.cast("char *", p)), None
        if kind.startswith("cell:"):
            ctype = kind[5:]
            return self.py_cell(self.ffi.cast(ctype + " *", p), ctype)
        if kind == "conn":
            return self.conn_of(p), None
        if kind == "dom":
            return self.dom_of(self.ffi.cast("virDomain *", p)), None
        if kind == "stream":
            return self.stream_of(p), None
        if kind == "obj":
            return self.py_of(self.addr(p)), None
        if kind == "doms":
            drv = self.domlist(p)
            return (drv.domains if drv is not None else None), None
        if kind == "info":
            return self.py_info(self.ffi.cast("virDomainInfo *", p))
        if kind == "uri":
            return (None if p == self.ffi.NULL else
                    self.from_handle(self.ffi.cast("xmlURI *", p).py)), None
        return self.from_handle(p), None          # "handle"

    def py_info(self, p):
        """A ``virDomainInfo *`` as the Python object bound to it (made for a C one)."""
        if p == self.ffi.NULL:
            return None, None
        b = self.by_addr.get(self.addr(p))
        if b is not None:
            return b.py, None
        # a C one (a local of the C caller): a Python copy, written back after the call
        info = DomainInfo()
        for k in DomainInfo.__slots__:
            setattr(info, k, int(getattr(p, k)))

        def back():
            for k in DomainInfo.__slots__:
                setattr(p, k, int(getattr(info, k) or 0))
        return info, back

    def c_info(self, info):
        return self._c_of(info, InfoB, "virDomainInfo *")

    def c_result(self, t, r, out):
        """A stub's result ``r`` into ``out`` (a qmc_val) as C type ``t``."""
        kind = _VALUE_KINDS.get(t)
        if kind is None:
            out.i = 0 if r is None else int(r)
        elif kind == "str":
            out.p = self.cstr(r)
        elif kind == "conn":
            out.p = self.c_conn(r)
        elif kind == "dom":
            out.p = self.c_dom(r)
        elif kind == "stream":
            out.p = self.c_stream(r)
        elif kind == "uri":
            out.p = self.c_uri(r)
        elif t == "virDomainObjPtr":
            out.p = self.c_vm(r)
        elif t == "virDomainDefPtr":
            out.p = self.c_def(r)
        else:
            out.p = self.handle(r)

    # -- keeping both sides one
    def pull(self):
        # one comparison of every struct's bytes says whether C wrote any since the last
        # sync; only then does each binding look at its own
        joined = b"".join(self.cbufs)
        if joined == self.c_all:
            return
        ffi = self.ffi
        for b in self.pulled:           # a pull makes no binding and writes no C
            now = b.cbuf[:]
            if now != b.c_bytes:
                fn = b._pulls_by_ffi.get(ffi)       # the kind's pull in this module
                if fn is None:
                    fn = b._make_pull(ffi)
                fn(b, self, now)
        # (the bytes of them all, not the last one's: else the test above never held)
        self.c_all = joined
        # the Python values changed: the next push compares each binding's with its own
        # (a push follows few pulls now, most stubs being deferred or pulled before only)
        self.py_all = None

    def _py_now(self):
        """Every binding's Python values now, in one list."""
        return list(chain.from_iterable([b._py_values(b.py) for b in self.bindings]))

    def _py_shadows(self):
        """Every binding's Python values at its last sync, in one list (``py_all`` is
        always this or None)."""
        return list(chain.from_iterable(b.py_shadow for b in self.bindings))

    def push(self):
        # one pass over every bound Python value says whether Python changed any (the
        # same objects as at the last sync); only then does each binding look at its own
        old = self.py_all
        now = self._py_now()
        if old is not None and all(map(is_, now, old)):
            return
        # bindings made during a push (a new def behind vm.def_) are pushed when made
        bs = self.bindings
        n = len(bs)
        changed = False
        end = 0
        for i in range(n):
            b = bs[i]
            start, end = end, end + b._nrows
            vals = now[start:end]       # this binding's values, read above
            if all(map(is_, vals, b.py_shadow)):
                continue                # nothing of this binding's changed
            b.push(self, tuple(vals))
            changed = True
        if changed:
            self.c_all = b"".join(self.cbufs)
        # every binding's values are now those read above (``now``), unless one was made
        self.py_all = now if len(bs) == n else self._py_shadows()

    def unpushed(self):
        """After a stub of PULL_ONLY: nothing to push (tests make this a check)."""

    def sync_errno(self):
        """The world's errno to C, and its clock (for a deferred virTimeMs)."""
        self.impl.to_c(self.world)


# --- the callbacks ---------------------------------------------------------------------------

# Stubs that read and write no field a binding carries (the locks are ``locked`` and
# ``freed``, which C never sees; the clock and its cell): no sync around them.  Most of a
# case's callbacks are these.  tests/test_upstream_c.py holds each to it (a spy on its
# arguments).
UNSYNCED = frozenset(("qemuDriverLock", "qemuDriverUnlock", "virDomainObjLock",
                      "virDomainObjUnlock", "virTimeMs",
                      # the error and log reporters, the descriptor closer, the phase's name:
                      # their arguments are texts and numbers, what they change the world's
                      "_report", "qemuReportError", "virReportSystemError",
                      "virReportOOMError", "VIR_ERROR", "VIR_WARN", "VIR_FORCE_CLOSE",
                      "qemuMigrationJobPhaseTypeToString",
                      # the conditions (a name in, the world's record of them changed) and
                      # the hash tables (Python's own dicts behind C's handle: C hands
                      # the table it holds; virHashForEach's iterator is C, which reads
                      # C, and its callbacks sync as any)
                      "virCondSignal", "virCondBroadcast", "virHashLookup",
                      "virHashForEach",
                      # the parser: a text in, a definition of its own out (bound after)
                      "virDomainDefParseString",
                      # a domain's state, the audit, the host's name: fields no binding
                      # carries (a freed domain touched is noted, as by the locks)
                      "virDomainObjGetState", "virDomainAuditStart", "virDomainAuditStop",
                      "virGetHostname",
                      # texts into cells (an out-parameter's is no binding: its Cell is
                      # written back after the stub, as C's own locals are)
                      "virAsprintf", "virParseNumber"))
# Stubs that may read a bound field but write none: C's changes are pulled before them,
# and nothing is pushed after (the check that Python changed nothing costs a pass over
# every bound value).  tests/test_upstream_c.py runs every case on C with that check made
# after each of them (Session.unpushed).
PULL_ONLY = frozenset(("virDomainObjIsActive", "virDomainSaveStatus",
                       "virDomainEventNewFromObj",
                       "qemuDomainEventQueue", "virDomainDefFree",
                       "qemuDomainDefFormatXML", "qemuDomainFormatXML", "virCPUDefIsEqual",
                       "virSysinfoIsEqual", "virDomainDefCheckABIStability", "strdup",
                       "virSetCloseExec", "virDomainObjIsDuplicate"))
PULL = "pull"       # stub_call's sync for them
# Stubs whose calls C buffers while a call runs, with the trace's entries
# (stubs.c's qmc_ev_defer, k their index here), and the next callback makes, in order and
# at their depth, instead of a crossing into Python each; not in a run that scripts
# wakeups (virDomainObjLock is a wait point then, and a wakeup changes the references):
#   * the lock stubs (of UNSYNCED, returning nothing);
#   * virDomainObjIsActive: C answers from the bound fields (def->id != -1, as the stub);
#     made in the C caller's frame, as stub_call(caller=True) makes it (a freed domain
#     touched is noted under that name);
#   * virDomainObjRef and virDomainObjUnref: C counts vm->refs as the stub counts them,
#     the stub counts Python's, in the same order from the same value (refs is bound
#     both ways, and nothing else of a binding's do they change);
#   * virDomainDefFree, which does nothing;
#   * virTimeMs, in a call whose fault plan names it not (none fails): C reads the world's
#     clock, which Python hands it with errno (Session.sync_errno), as the stub reads it;
#     made with a cell of its own (its pointer was C's local: a trace shows "&local");
#   * the error and log reporters (of UNSYNCED, returning nothing; C keeps a copy of
#     their texts, stubs.c's qmc_defer_text) and the descriptor closer (C leaves -1 as
#     the stub does; it raises only on a porting mistake, StrayClose);
#   * qemuMigrationCookieFree (the port's, returning nothing: C reads no cookie after it;
#     what it clears of the cookie's binding the next sync takes to C);
#   * virDomainSaveStatus, in a call whose fault plan names it not (it returns 0 then):
#     it records the domain's name, which C hands with the call, as the stub then finds
#     it (Python's name is C's at the last sync, and C renames a definition only before
#     a synced call: the one rename in the ported code is PrepareAny's of its parsed
#     definition to dname, qemu_migration.c:1018-1020 @ e2fb96d9, and the duplicate
#     check and virDomainAssignDef, both synced, follow it before the definition is a
#     domain's whose status could be saved; a name that differs is an error, not a
#     guess);
#   * virCondSignal and virCondBroadcast (of UNSYNCED, returning nothing: they record the
#     condition's name, which C copies as it does the reporters' texts);
#   * virHashLookup in driver->autodestroy (of UNSYNCED; no fault plan names it): C answers
#     from the table's keys as Python last told them (``tell_keys``: at the call's start
#     and after every stub that syncs both ways, the only ones that change the world's
#     tables), and hands the key and its answer; the stub, made in its place, must answer
#     the same (else the run ends in an error, never in a guess).
# (the names are build.py's, which gives stubs.c each one's index as QMC_K_<name>)
DEFERRED = B.DEFERRED
# stubs.c's qmc_defer: 0 (nothing deferred), else DEFER (DEFERRED but the faultable
# virTimeMs and virDomainSaveStatus) with DEFER_CLOCK and DEFER_SAVE where the call's fault
# plan names them not
DEFER, DEFER_CLOCK, DEFER_SAVE = 1, 2, 4
# the function whose entry a call notes (its static port is the world's after it)
WATCHED = "qemuMigrationPrepareDirect"


def _sync_of(name):
    """How stub_call syncs around the stub ``name``: True (both ways), PULL or False."""
    return False if name in UNSYNCED else PULL if name in PULL_ONLY else True

def _install(built):
    """Attach the Python side of every extern "Python" callback of one module."""
    if built.installed.get("done"):
        return
    ffi = built.ffi
    state = built.installed
    # the calls into this module now running, innermost last: a host's unit can be
    # entered again while it runs (the source calls the destination, of one version)
    stack = state["sessions"] = []

    def sess():
        if not stack:
            raise RuntimeError("qemu-migration: a C callback ran outside a call")
        return stack[-1]

    def onerror(exc, val, tb):
        if stack and stack[-1].exc is None:
            stack[-1].exc = val
        return None

    names = list(built.spec.traced)
    ntraced = len(names)
    # the one function whose entry a call looks for after it (Session.entered)
    watched = names.index(WATCHED) if WATCHED in names else -1
    # stubs.c's qmc_io: [0] anything to read, [1] slots of qmc_ev used, [2] texts' bytes,
    # [3] records among them, [4] C's depth
    io = built.lib.qmc_io
    events = built.lib.qmc_ev
    # the same two arrays as views of their bytes, where the drain and every callback read
    # and write them (a view's item and ``tolist`` cost less than cffi's subscript and
    # ``unpack``); the arrays are the module's, there while ``built`` is (each view holds
    # its buffer, which holds the array's cdata)
    io_v = memoryview(ffi.buffer(io)).cast("i")
    events_v = memoryview(ffi.buffer(events)).cast("q")
    state["views"] = (io_v, events_v)

    def made(fn):           # a deferred stub of one bound object (C hands a bound one)
        def call(s, w, caller, p):
            b = s.by_addr.get(p)
            fn(b.py if b is not None else s.py_of(p))
        return call

    def in_caller(s, w, caller, p):
        if caller is None:
            raise RuntimeError("qemu-migration: virDomainObjIsActive deferred deeper than "
                               "C keeps the functions entered (build.py's NSTACK)")
        in_frame(w, caller, S.virDomainObjIsActive, s.py_of(p))    # (_called_from's)

    def clock(s, w, caller, p):
        # its pointer is C's local (no entry point has an ``unsigned long long *``
        # out-parameter, _ARG_KINDS): the stub gets a Ptr of its own, as py_cell makes one
        S.virTimeMs(Ptr(0))

    # the reporters: their arguments in a text record (stubs.c's struct qmc_text; its
    # pointer type found once, not parsed from its name at each record)
    text_t = ffi.typeof("struct qmc_text *")

    def report(s, w, caller, p):
        t = ffi.cast(text_t, p)
        _reported(t.a, t.b, s.pystr(t.func), s.pystr(t.msg))

    def report_system(s, w, caller, p):
        t = ffi.cast(text_t, p)
        _reported_system(t.a, s.pystr(t.func), s.pystr(t.msg))

    def report_oom(s, w, caller, p):
        _reported_oom(s.pystr(ffi.cast(text_t, p).func))

    def log(s, w, caller, p):
        t = ffi.cast(text_t, p)
        _logged(t.a, s.pystr(t.msg))

    def close(s, w, caller, p):
        _closed(int(ffi.cast("intptr_t", p)))

    def save_status(s, w, caller, p):
        t = ffi.cast(text_t, p)
        vm = s.py_ptr(t.p)
        name = None if t.a else s.pystr(t.msg)
        if vm.def_.name != name:
            raise RuntimeError("qemu-migration: virDomainSaveStatus deferred with the name "
                               "%r, but Python's domain has %r" % (name, vm.def_.name))
        S.virDomainSaveStatus(s.from_handle(t.q), None if t.b else s.pystr(t.func), vm)

    def cond(fn):           # a signal: the condition's name in a text record
        def call(s, w, caller, p):
            t = ffi.cast(text_t, p)
            fn(None if t.a else s.pystr(t.msg))
        return call

    def lookup(s, w, caller, p):
        # the key and C's answer (a) in a text record, the table as its handle (p)
        t = ffi.cast(text_t, p)
        key = s.pystr(t.msg)
        found = S.virHashLookup(s.from_handle(t.p), key) is not None
        if found != bool(t.a):
            raise RuntimeError("qemu-migration: virHashLookup deferred with C's answer %d for "
                               "%r, but Python's table says %d" % (t.a, key, found))

    # DEFERRED[k]'s call made in its place: (session, world, the C function it was called
    # from ("<C>": none of the call's; None: deeper than C keeps), argument
    # as its address); a list the tests may wrap in place (state["deferred"])
    # (each by its stub's name: stubs.c's k is the name's index, QMC_K_<name>)
    by_name = {nm: made(getattr(S, nm)) for nm in (
        "qemuDriverLock", "qemuDriverUnlock", "virDomainObjLock", "virDomainObjUnlock",
        "virDomainObjRef", "virDomainObjUnref", "virDomainDefFree")}
    by_name.update(
        virDomainObjIsActive=in_caller, virTimeMs=clock, _report=report,
        virReportSystemError=report_system, virReportOOMError=report_oom, VIR_ERROR=log,
        VIR_FORCE_CLOSE=close, qemuMigrationCookieFree=made(CK.qemuMigrationCookieFree),
        virDomainSaveStatus=save_status, virCondSignal=cond(S.virCondSignal),
        virCondBroadcast=cond(S.virCondBroadcast), virHashLookup=lookup)
    assert set(by_name) == set(DEFERRED)
    deferred = state["deferred"] = [by_name[nm] for nm in DEFERRED]
    state["defer"] = defer_p = ffi.addressof(built.lib, "qmc_defer")
    # (and as a view of its bytes, which a call reads and writes: cheaper than cffi's
    # subscript; it holds its buffer, which holds the cdata)
    state["defer_v"] = memoryview(ffi.buffer(defer_p)).cast("i")

    lib = built.lib
    sp_p = ffi.addressof(lib, "qmc_sp")
    base_p = ffi.addressof(lib, "qmc_base")
    cstack = lib.qmc_cstack
    lib.qmc_watched = watched
    nstack = B.NSTACK
    nev = B.EVENTS

    class Entries(dict):
        """An entry's code (stubs.c's i + ntraced * depth) -> its trace tuple, as the
        ``ported`` wrapper makes it, each made at its first use."""
        __slots__ = ()

        def __missing__(self, e):
            depth, i = divmod(e, ntraced)
            t = self[e] = (names[i], depth, False, None)
            return t

    def call_of(e):
        """A record's code (build.py's QMC_CODE) -> (k, the C function the deferred call
        was made from, its depth), or, for WATCHED's entry, (-1, its trace tuple, its
        depth); made once (``calls``)."""
        rest, k = divmod(-1 - e, B.NDEFK)
        depth, caller = divmod(rest, ntraced + 2)
        if k == B.NDEFK - 1:
            t = (-1, (names[caller - 1], depth, False, None), depth)
        else:
            t = (k, "<C>" if caller == 0 else None if caller > ntraced
                 else names[caller - 1], depth)
        calls[e] = t
        return t

    # (plain dicts where the drain subscripts them: a dict subclass's subscript is slower)
    entries, calls = {}, {}
    entry = Entries().__getitem__

    def drain():
        """Take what C has buffered since the last callback (stubs.c's qmc_ev: entries
        coded with their depth, and records of deferred calls, coded with their stub,
        caller and depth, and of WATCHED's entries) into the world: the entries into its
        trace as the ``ported`` wrapper makes them (tuples made once, in bulk where no
        record is among them); each deferred stub's call is made in its place (a
        recorded one records itself), and the entry of WATCHED noted.  A deferred call
        that raises (a porting mistake the world refuses: StrayClose, the status save's
        name check) ends the drain there: the events after it are dropped (the entry of
        WATCHED among them), and the run ends in that error."""
        _, n, _, nrec, depth = io_v.tolist()
        io_v[0] = 0         # all read (the texts too: C runs not again before)
        if n > nev:         # (stubs.c writes past its buffer: none of it is to be trusted)
            raise RuntimeError("qemu-migration: C buffered %d trace slots, more than its "
                               "buffer holds (build.py's EVENTS, %d)" % (n, nev))
        w = current()
        if nrec:
            s = stack[-1]
            append = w.trace.append
            it = iter(events_v[:n].tolist())
            for e in it:
                if e >= 0:
                    try:
                        append(entries[e])
                    except KeyError:
                        append(entries.setdefault(e, entry(e)))
                    continue
                try:
                    k, caller, w.depth = calls[e]
                except KeyError:
                    k, caller, w.depth = call_of(e)
                p = next(it)
                if k < 0:                   # WATCHED entered
                    append(caller)
                    s.entered = True
                else:
                    deferred[k](s, w, caller, p)
        elif n:
            w.trace.extend(map(entry, events_v[:n].tolist()))
        w.depth = depth

    def c_caller():
        """The innermost C function the running call entered (C keeps them: stubs.c's
        qmc_cstack), None before its first."""
        sp = sp_p[0]
        if sp <= base_p[0]:
            return None
        if sp > nstack:
            raise RuntimeError("qemu-migration: a stub called deeper than C keeps the "
                               "functions entered (build.py's NSTACK)")
        return names[cstack[sp - 1]]
    state["caller"] = c_caller
    state["frame"] = (io, base_p)

    callbacks = state["callbacks"] = {}     # what is attached, by name (tests re-attach)
    SYNC = {nm: _sync_of(nm) for nm in UNSYNCED | PULL_ONLY}      # each stub's, looked up once
    state["sync"] = SYNC                    # (tests change a stub's kind here)
    state["onerror"] = onerror

    def ext(name):
        """Attach ``fn`` as the callback ``name``; the trace is brought up to date first."""
        def deco(fn):
            def callback(*args):
                if io_v[0]:
                    catch_up()
                return fn(*args)
            ffi.def_extern(name=name, onerror=onerror)(callback)
            callbacks[name] = callback
            return fn
        return deco

    def catch_up():
        if io_v[0]:
            if stack:
                drain()
            else:               # entered outside any call (helpers): no trace to go into
                io_v[0] = 0
    state["catch_up"], state["attach"] = catch_up, ext
    errno_p = ffi.addressof(built.lib, "qmc_errno")
    clock_p = ffi.addressof(built.lib, "qmc_clock")
    told = [0, 0]       # what C holds (every write is to_c's): written only when it changed

    def to_c(w):
        """The world's errno and clock to C (Session.sync_errno)."""
        e = w.errno
        if e != told[0]:
            errno_p[0] = told[0] = e
        t = w.clock_ms
        if t != told[1]:
            clock_p[0] = told[1] = t
    state["to_c"] = to_c
    lib = built.lib
    keys_buf = lib.qmc_ad_keys
    ad_max, ad_len = lib.QMC_AD_MAX, lib.QMC_AD_LEN
    table_p = ffi.addressof(lib, "qmc_ad_table")
    n_p = ffi.addressof(lib, "qmc_ad_n")
    null = ffi.NULL
    told_keys = [None]          # the keys C holds (None: none it can hold)

    def tell_keys(s):
        """driver->autodestroy of the session's world to C: the handle C holds of it (NULL:
        none), and its keys when they are not those C holds (stubs.c's virHashLookup
        answers from them)."""
        ad = s.world.driver.autodestroy
        h = s.handles.get(id(ad))
        table_p[0] = null if h is None else h
        keys = tuple(ad)
        if keys == told_keys[0]:
            return
        told_keys[0] = keys
        raw = [k.encode() if isinstance(k, str) else None for k in keys]
        if len(raw) > ad_max or any(b is None or len(b) >= ad_len or b"\0" in b for b in raw):
            n_p[0] = -1             # it crosses
            told_keys[0] = None
            return
        for i, b in enumerate(raw):
            ffi.memmove(keys_buf + i * ad_len, b + b"\0", len(b) + 1)
        n_p[0] = len(raw)

    def untell():
        """After a call: C holds no table (the call's handles go with it; an outer call's
        lookups cross until its keys are told again)."""
        table_p[0] = null
    state["untell"] = untell
    state["tell_keys"] = tell_keys

    def stub_call(fn, *args, after=None, conv=None, caller=False, sync=True):
        """Run one Python stub with the world in step, and turn its result into C.

        ``sync=False``: a stub of UNSYNCED, which reads and writes no field a binding
        carries, so neither side needs the other's changes around it (the next stub's
        sync takes them); ``sync=PULL``: one of PULL_ONLY, which writes none."""
        s = stack[-1] if stack else sess()
        if sync:
            s.pull()
        if caller:
            r = _called_from(c_caller() or "<C>", fn, *args)
        else:
            r = fn(*args)
        if after:
            for a in after:
                if a:
                    a()
        if sync is True:
            s.push()
            tell_keys(s)
        elif sync:
            s.unpushed()
        if conv is not None:
            r = conv(s, r)
        to_c(s.world)
        return r

    @ext("qmc_py_events")
    def _events():
        pass                    # the buffer is full: ext has read it

    string = ffi.string

    def text(p):        # Session.pystr
        if not p:
            return None
        return string(p).decode("utf-8", "surrogateescape")

    @ext("qmc_py_report")
    def _report(domain, code, func, msg):
        stub_call(_reported, domain, code, text(func), text(msg), sync=SYNC["_report"])

    @ext("qmc_py_report_system")
    def _report_system(num, func, msg):
        stub_call(_reported_system, num, text(func), text(msg),
                  sync=SYNC["virReportSystemError"])

    @ext("qmc_py_report_oom")
    def _report_oom(func):
        stub_call(_reported_oom, text(func), sync=SYNC["virReportOOMError"])

    @ext("qmc_py_log")
    def _log(level, msg):
        stub_call(_logged, level, text(msg), sync=SYNC["VIR_ERROR"])

    @ext("qmc_py_force_close")
    def _force_close(fd):
        return stub_call(_closed, fd, sync=SYNC["VIR_FORCE_CLOSE"])

    @ext("qmc_py_virDomainObjIsActive")
    def _is_active(vm):
        return bool(stub_call(S.virDomainObjIsActive, sess().py_ptr(vm), caller=True,
                              sync=SYNC["virDomainObjIsActive"]))

    @ext("qmc_py_phase_name")
    def _phase_name(phase):
        return stub_call(K.qemuMigrationJobPhaseTypeToString, phase,
                         sync=SYNC["qemuMigrationJobPhaseTypeToString"],
                         conv=lambda s, r: s.cstr(r))

    @ext("qmc_py_virTimeMs")
    def _time(ms):
        cell, back = sess().py_cell(ms, "unsigned long long")
        # unsynced (UNSYNCED): the stub writes only its cell (C's local or an out-parameter's Cell),
        # and ``back`` writes that to C after it
        return stub_call(S.virTimeMs, cell, after=[back], sync=SYNC["virTimeMs"])

    for nm in ("qemuDriverLock", "qemuDriverUnlock"):
        def mk(nm=nm):
            @ext("qmc_py_" + nm)
            def _f(d):
                stub_call(getattr(S, nm), sess().py_ptr(d), sync=nm not in UNSYNCED)
        mk()
    for nm in ("virDomainObjLock", "virDomainObjUnlock", "virDomainObjRef"):
        def mk(nm=nm):
            @ext("qmc_py_" + nm)
            def _f(vm):
                # virDomainObjLock is a wait point where a whole migration's scripted
                # wakeup (world/stubs.py WAIT_POINTS) changes the job and references:
                # in step then
                stub_call(getattr(S, nm), sess().py_ptr(vm),
                          sync=nm not in UNSYNCED or bool(current().drop_wakeups))
        mk()

    @ext("qmc_py_virDomainObjUnref")
    def _unref(vm):
        return stub_call(S.virDomainObjUnref, sess().py_ptr(vm))

    @ext("qmc_py_virCondWaitUntil")
    def _wait(cond, vm, then):
        # a wait changes the clock, errno and the record of conditions, and reads and
        # writes no bound field but where another thread's doing wakes it (the world's own
        # wakeups, or a whole migration's scripted ones): unsynced, as UNSYNCED's, but then
        w = current()
        return stub_call(S.virCondWaitUntil, text(cond), sess().py_ptr(vm), then,
                         sync=bool(w.wakeups or w.drop_wakeups))

    @ext("qmc_py_virCondSignal")
    def _signal(cond):
        stub_call(S.virCondSignal, text(cond), sync=SYNC["virCondSignal"])

    @ext("qmc_py_virCondBroadcast")
    def _broadcast(cond):
        stub_call(S.virCondBroadcast, text(cond), sync=SYNC["virCondBroadcast"])

    @ext("qmc_py_virDomainSaveStatus")
    def _save_status(caps, d, vm):
        s = sess()
        return stub_call(S.virDomainSaveStatus, s.from_handle(caps), text(d), s.py_ptr(vm),
                         sync=SYNC["virDomainSaveStatus"])

    @ext("qmc_py_virHashLookup")
    def _hash_lookup(table, key):
        s = sess()
        r = stub_call(S.virHashLookup, s.from_handle(table), text(key),
                      sync=SYNC["virHashLookup"])
        return 0 if r is None else 1

    def into_c(fn, *args):
        """The C function ``fn`` called from a Python stub (an iterator): its entries at
        the world's depth there, what it buffered read before the stub goes on, and C's
        depth given back to the C that called the stub."""
        outer = io[4]
        io[4] = current().depth
        try:
            fn(*args)
            catch_up()
        finally:
            io[4] = outer

    @ext("qmc_py_virHashForEach")
    def _hash_foreach(table, it, data):
        s = sess()
        objs = {}

        def iter_(obj, name, opaque):
            # the session is looked up, not held: the world's trace keeps this iterator
            # (an argument of the stub), and a session holding the world would be a cycle
            s = sess()
            if isinstance(obj, (H.Connection, StartedElsewhere)):
                # driver->autodestroy's payload: the connection (protocol.h's struct)
                into_c(it, s.c_conn(obj), s.cstr(name), opaque)
                return
            c = objs.get(id(obj))
            if c is None:
                d = s.ffi.new("virDomainSnapshotDef *")
                d.name = s.cstr(getattr(obj, "name", name))
                d.parent = s.cstr(getattr(obj, "parent", None))
                c = s.ffi.new("virDomainSnapshotObj *")
                setattr(c, "def", d)
                s.keep.extend((d, c))
                objs[id(obj)] = c
            into_c(it, c, s.cstr(name), opaque)

        return stub_call(S.virHashForEach, s.from_handle(table), iter_, data,
                         sync=SYNC["virHashForEach"])

    @ext("qmc_py_qemuMigrationEatCookie")
    def _eat(d, vm, cin, cinlen, flags):
        s = sess()
        return stub_call(CK.qemuMigrationEatCookie, s.py_ptr(d), s.py_ptr(vm), text(cin), cinlen,
                         flags, conv=lambda s, r: s.c_cookie(r))

    @ext("qmc_py_qemuMigrationBakeCookie")
    def _bake(mig, d, vm, out, outlen, flags):
        s = sess()
        o, ob = s.py_cell(out, "char *")
        ol, olb = s.py_cell(outlen, "int")
        return stub_call(CK.qemuMigrationBakeCookie, s.py_ptr(mig), s.py_ptr(d), s.py_ptr(vm),
                         o, ol, flags, after=[ob, olb])

    @ext("qmc_py_qemuMigrationCookieFree")
    def _cookie_free(mig):
        s = sess()
        stub_call(CK.qemuMigrationCookieFree, s.py_ptr(mig))

    @ext("qmc_py_virDomainDefParseString")
    def _parse(caps, xml, types_, flags):
        s = sess()
        return stub_call(S.virDomainDefParseString, s.from_handle(caps), text(xml), types_,
                         flags, conv=lambda s, r: s.c_def(r),
                         sync=SYNC["virDomainDefParseString"])

    @ext("qmc_py_virDomainDefFree")
    def _def_free(d):
        s = sess()
        stub_call(S.virDomainDefFree, s.py_ptr(d), sync=SYNC["virDomainDefFree"])

    @ext("qmc_py_virDomainDefCheckABIStability")
    def _abi(src, dst):
        s = sess()
        # the Python port (port/abi.py) stands in for it, as the cookie's does
        return bool(stub_call(ABI.virDomainDefCheckABIStability, s.py_ptr(src), s.py_ptr(dst),
                              sync=SYNC["virDomainDefCheckABIStability"]))

    @ext("qmc_py_virCPUDefIsEqual")
    def _cpu_equal(src, dst):
        s = sess()
        return bool(stub_call(S.virCPUDefIsEqual, s.from_handle(src), s.from_handle(dst),
                              sync=SYNC["virCPUDefIsEqual"]))

    @ext("qmc_py_virSysinfoIsEqual")
    def _sysinfo_equal(src, dst):
        s = sess()
        return bool(stub_call(S.virSysinfoIsEqual, s.from_handle(src), s.from_handle(dst),
                              sync=SYNC["virSysinfoIsEqual"]))

    @ext("qmc_py_qemuDomainDefFormatXML")
    def _def_fmt(d, df, flags):
        s = sess()
        return stub_call(S.qemuDomainDefFormatXML, s.py_ptr(d), s.py_ptr(df), flags,
                         sync=SYNC["qemuDomainDefFormatXML"],
                         conv=lambda s, r: s.cstr(r))

    @ext("qmc_py_qemuDomainFormatXML")
    def _dom_fmt(d, vm, flags):
        s = sess()
        return stub_call(S.qemuDomainFormatXML, s.py_ptr(d), s.py_ptr(vm), flags,
                         sync=SYNC["qemuDomainFormatXML"],
                         conv=lambda s, r: s.cstr(r))

    def doms_of(p):
        s = sess()
        drv = s.domlist(p)
        if drv is None:
            raise RuntimeError("qemu-migration: an unknown domain list was passed")
        return drv.domains

    @ext("qmc_py_virDomainObjIsDuplicate")
    def _dup(doms, df, check):
        s = sess()
        return stub_call(S.virDomainObjIsDuplicate, doms_of(doms), s.py_ptr(df), check,
                         sync=SYNC["virDomainObjIsDuplicate"])

    @ext("qmc_py_virDomainAssignDef")
    def _assign(caps, doms, df, live):
        s = sess()
        return stub_call(S.virDomainAssignDef, s.from_handle(caps), doms_of(doms),
                         s.py_ptr(df), bool(live), conv=lambda s, r: s.c_vm(r))

    @ext("qmc_py_virDomainRemoveInactive")
    def _remove(doms, vm):
        s = sess()
        stub_call(S.virDomainRemoveInactive, doms_of(doms), s.py_ptr(vm))

    @ext("qmc_py_virDomainDeleteConfig")
    def _delete_config(cd, ad, vm):
        s = sess()
        return stub_call(S.virDomainDeleteConfig, text(cd), text(ad), s.py_ptr(vm))

    @ext("qmc_py_virDomainObjGetState")
    def _get_state(vm, reason):
        s = sess()
        r, rb = s.py_cell(reason, "int")
        return stub_call(S.virDomainObjGetState, s.py_ptr(vm), r, after=[rb],
                         sync=SYNC["virDomainObjGetState"])

    @ext("qmc_py_qemuProcessStart")
    def _start(conn, d, vm, frm, paused, autod, fd, path, snap, vmop):
        s = sess()
        return stub_call(S.qemuProcessStart, s.conn_of(conn), s.py_ptr(d), s.py_ptr(vm),
                         text(frm), bool(paused), bool(autod), fd, text(path),
                         None if snap == s.ffi.NULL else snap, vmop)

    @ext("qmc_py_qemuProcessStop")
    def _stop(d, vm, migrated, reason):
        s = sess()
        stub_call(S.qemuProcessStop, s.py_ptr(d), s.py_ptr(vm), migrated, reason)

    @ext("qmc_py_qemuProcessStartCPUs")
    def _start_cpus(d, vm, conn, reason, job):
        s = sess()
        return stub_call(S.qemuProcessStartCPUs, s.py_ptr(d), s.py_ptr(vm),
                         s.conn_of(conn), reason, job)

    @ext("qmc_py_doNativeMigrate")
    def _native(d, vm, uri, cin, cinlen, out, outlen, flags, res):
        s = sess()
        o, ob = s.py_cell(out, "char *")
        ol, olb = s.py_cell(outlen, "int")
        return stub_call(S.doNativeMigrate, s.py_ptr(d), s.py_ptr(vm), text(uri), text(cin),
                         cinlen, o, ol, flags, res, after=[ob, olb])

    @ext("qmc_py_doPeer2PeerMigrate")
    def _p2p(d, conn, vm, xmlin, dconnuri, uri, flags, dname, res, v3):
        s = sess()
        v, vb = s.py_cell(v3, "bool")
        return stub_call(S.doPeer2PeerMigrate, s.py_ptr(d), s.conn_of(conn), s.py_ptr(vm),
                         text(xmlin), text(dconnuri), text(uri), flags, text(dname), res, v,
                         after=[vb])

    @ext("qmc_py_virDomainAuditStart")
    def _audit_start(vm, why, ok):
        s = sess()
        stub_call(S.virDomainAuditStart, s.py_ptr(vm), text(why), bool(ok),
                  sync=SYNC["virDomainAuditStart"])

    @ext("qmc_py_virDomainAuditStop")
    def _audit_stop(vm, why):
        s = sess()
        stub_call(S.virDomainAuditStop, s.py_ptr(vm), text(why),
                  sync=SYNC["virDomainAuditStop"])

    @ext("qmc_py_virDomainEventNewFromObj")
    def _event(vm, type_, detail):
        s = sess()
        return stub_call(S.virDomainEventNewFromObj, s.py_ptr(vm), type_, detail,
                         sync=SYNC["virDomainEventNewFromObj"],
                         conv=lambda s, r: s.handle(r, "virDomainEventPtr"))

    @ext("qmc_py_qemuDomainEventQueue")
    def _queue(d, ev):
        s = sess()
        stub_call(S.qemuDomainEventQueue, s.py_ptr(d), s.from_handle(ev),
                  sync=SYNC["qemuDomainEventQueue"])

    @ext("qmc_py_pipe")
    def _pipe(fds):
        fl = [fds[0], fds[1]]

        def back():
            fds[0], fds[1] = fl[0], fl[1]
        return stub_call(S.pipe, fl, after=[back])

    @ext("qmc_py_virSetCloseExec")
    def _cloexec(fd):
        return stub_call(S.virSetCloseExec, fd, sync=SYNC["virSetCloseExec"])

    @ext("qmc_py_virFDStreamOpen")
    def _fdstream(st, fd):
        s = sess()
        return stub_call(S.virFDStreamOpen, s.stream_of(st), fd)

    @ext("qmc_py_strdup")
    def _strdup(p):
        return stub_call(S.strdup, text(p), conv=lambda s, r: s.cstr(r), sync=SYNC["strdup"])

    @ext("qmc_py_virGetHostname")
    def _hostname(conn):
        s = sess()
        return stub_call(S.virGetHostname, s.conn_of(conn), conv=lambda s, r: s.cstr(r),
                         sync=SYNC["virGetHostname"])

    @ext("qmc_py_virAsprintf")
    def _asprintf(strp, txt):
        s = sess()
        cell, back = s.py_cell(strp, "char *")
        return stub_call(S.virAsprintf, cell, "%s", text(txt), after=[back],
                         sync=SYNC["virAsprintf"])

    @ext("qmc_py_virParseNumber")
    def _parse_number(pp):
        s = sess()
        start = pp[0]
        cell = Ptr((s.pystr(start), 0))

        def back():
            pp[0] = start + cell.value[1]
        return stub_call(S.virParseNumber, cell, after=[back], sync=SYNC["virParseNumber"])

    if built.spec.extra_cdef:       # whole migrations (cproto.py); others install their own
        _install_protocol(ext, sess, stub_call, c_caller)
    state["done"] = True


def _install_protocol(ext, sess, stub_call, c_caller):
    """The one callback of whole migrations' stubs (cproto.py): ``qmc_py_stub``."""

    def remote(member):
        def call(*args):
            first = args[0]
            conn = first if isinstance(first, H.Connection) else first.conn
            return getattr(conn.driver, member)(*args)
        call.__name__ = member
        return call

    remotes = {m: remote(m) for m in CP.MEMBER_PROTOS}
    # per stub name, made at its first call: (remote member's caller or None, its result's
    # and its arguments' normalised C types)
    protos = {}

    def proto(nm):
        if nm.startswith("remote:"):
            member = nm[len("remote:"):]
            rtype, types = CP.MEMBER_PROTOS[member]
            fn = remotes[member]
        else:
            rtype, types = CP.STUBS[nm]
            fn = None
        p = protos[nm] = (fn, B.norm_type(rtype), tuple(B.norm_type(t) for t in types))
        return p

    @ext("qmc_py_stub")
    def _stub(name, n, args, ret):
        s = sess()
        nm = s.ffi.string(name).decode()
        fn, rtype, types = protos.get(nm) or proto(nm)
        if fn is None:
            fn = CP.python_stub(nm, c_caller())
        pyargs, after = [], []
        for i, t in enumerate(types):
            v, back = s.py_value(t, args[i])
            pyargs.append(v)
            after.append(back)
        r = stub_call(fn, *pyargs, after=after)
        s.c_result(rtype, r, ret)


# --- the implementation object ------------------------------------------------------------------

_ARG_KINDS = {
    "struct qemud_driver*": "driver", "virDomainObjPtr": "vm", "virDomainDefPtr": "def",
    "qemuDomainObjPrivatePtr": "priv", "virConnectPtr": "handle", "virStreamPtr": "handle",
    "const char*": "str", "char**": "cell:char *", "int*": "cell:int", "bool": "bool",
    "virDomainSnapshotObjListPtr": "snapshots", "virDomainPtr": "dom",
    "virDomainInfoPtr": "info",
}
# in a module of whole migrations, connections and streams are structs (protocol.h)
_PROTOCOL_KINDS = dict(_ARG_KINDS, **{"virConnectPtr": "conn", "virStreamPtr": "stream"})


# C types of whole migrations' stub arguments and results (cproto.py) -> how they cross;
# any other type is a number
_VALUE_KINDS = {
    "const char*": "str", "char*": "str", "const unsigned char*": "str",
    "char**": "cell:char *", "int*": "cell:int", "bool*": "cell:bool",
    "unsigned long long*": "cell:unsigned long long", "unsigned long*": "cell:unsigned long",
    "qemuMonitorPtr": "handle",
    "virConnectPtr": "conn", "virDomainPtr": "dom", "virStreamPtr": "stream",
    "virDomainObjPtr": "obj", "virDomainDefPtr": "obj", "struct qemud_driver*": "obj",
    "virDomainObjListPtr": "doms", "virDomainInfoPtr": "info", "xmlURIPtr": "uri",
    "virCapsPtr": "handle", "virErrorPtr": "handle", "virLockManagerPluginPtr": "str",
    "virHashTablePtr": "handle", "virDomainEventCallbackListPtr": "handle",
}


def _arg_converter(kind):
    """A function (session, Python value) -> the C argument, for one kind of parameter."""
    by_kind = {"driver": Session.c_driver, "vm": Session.c_vm, "def": Session.c_def,
               "priv": Session.c_priv, "handle": Session.handle, "conn": Session.c_conn,
               "stream": Session.c_stream, "dom": Session.c_dom, "info": Session.c_info,
               "str": Session.const_str, "snapshots": Session.c_snapshots}
    if kind in by_kind:
        return by_kind[kind]
    if kind.startswith("cell:"):
        ctype = kind[5:]
        return lambda s, v: s.c_cell(v, ctype)
    if kind == "bool":
        return lambda s, v: bool(v)
    return lambda s, v: int(v)


# how an entry point's result comes back to Python, by its C type (any other as it is)
_RETURNS = {"void": lambda s, r: None, "char*": Session.pystr, "const char*": Session.pystr,
            "bool": lambda s, r: bool(r), "virDomainPtr": Session.dom_of}


class CFunctionProxy:
    def __init__(self, impl, name, sig, pyfunc=None):
        self.impl, self.name, self.sig = impl, name, sig
        self.__name__ = name
        self.ported = name not in B.UNTRACED
        if pyfunc is not None:
            try:
                self.__signature__ = inspect.signature(pyfunc)
            except (TypeError, ValueError):
                pass

    def __call__(self, *args):
        return self.impl._call(self.name, self.sig, args)

    def __repr__(self):
        return "<C %s of %s>" % (self.name, self.impl)


class CImpl:
    """One version of the upstream functions, compiled, with the Python port's interface."""
    implementation = "c"
    def_binding = DefB      # how a definition goes to C (upstream/abicheck.py's carries more)
    driver_binding = DriverB    # and the driver (upstream/cookiecheck.py's carries more)
    kept = None             # a list: every call's Session is kept alive in it (C holds its memory)

    def __init__(self, version, src=None, worktree=False, built=None, pymodule=None,
                 coverage=False):
        self.version = version
        if built is None:
            import os
            src = src or os.environ.get("LIBVIRT_SRC")
            if not src:
                raise B.BuildError("qemu-migration: no libvirt source given "
                                   "(pass src or set LIBVIRT_SRC)")
            built = B.build_version(version, src, worktree, coverage)
        self.built = built
        self.c_types = (built.ffi, built.lib, built.ffi.typeof("uintptr_t"))
        self.texts = {}         # Session.const_str's C strings, by text
        self.balloons = {}      # the first pushes' memballoon devices, by model
        self.event_states = {}  # Session.c_event_state's structs, by id of their object
        self.makers = {}        # each kind's make (_maker), by binding class
        self.cell_types = {}    # an out-parameter cell's C type, by the type it holds
        self.free_cells = {}    # the arguments' cells calls gave back, by the type they hold
        self._sessions = []     # the sessions calls that returned gave back, emptied
        # qemuMigrationPrepareDirect's ``static int port``, where the module has it
        self._port = (built.ffi.cast("int *", built.static_address(B.PORT_STATIC))
                      if B.PORT_STATIC in built.statics else None)
        # the functions whose call may run it (the others leave it alone: not set or given
        # back for them)
        self._port_fns = (B.reaching(built.spec, WATCHED) if self._port is not None
                          else frozenset())
        _install(built)
        self.to_c = built.installed["to_c"]
        self.tell_keys = built.installed["tell_keys"]
        self.untell = built.installed["untell"]
        if pymodule is None:
            try:
                pymodule = import_module("qemu_migration.port." + version)
            except ImportError:
                pymodule = None
        self.pymodule = pymodule
        # what a call of each function needs (_entry: its arguments' converter, ...), by
        # name, from its first call
        self._convs = {}
        self._fns = {}
        for name, sig in built.spec.signatures.items():
            if name not in built.spec.traced:
                continue        # callbacks such as the snapshot iterator: C-only
            pyf = getattr(pymodule, name, None) if pymodule is not None else None
            self._fns[name] = CFunctionProxy(self, name, sig, pyf)
        # found as attributes (and no __getattr__: every attribute read of this object,
        # a call's and a session's, would go through Python's slower hook for it)
        self.__dict__.update(self._fns)

    def __dir__(self):
        return list(super().__dir__()) + list(self._fns)

    def __repr__(self):
        return "<CImpl %s %s>" % (self.version, self.built.module_name)

    @property
    def names(self):
        return list(self._fns)

    def maker(self, cls, ctype, init):
        """The make of bindings of ``cls`` (C type ``ctype``, set up by ``init``) in this
        module, made at its first use (a domain object's calls its definition's and private
        data's directly)."""
        inner = None
        if issubclass(cls, VmB):
            inner = {"c_def": self.make_of(self.def_binding), "c_priv": self.make_of(PrivB)}
        make = self.makers[cls] = _maker(cls, self.built.ffi, ctype, init, inner)
        return make

    def make_of(self, cls):
        """The make of bindings of ``cls`` (its CTYPE, set up by its INIT)."""
        make = self.makers.get(cls)
        if make is None:
            init = cls.INIT
            make = self.maker(cls, cls.CTYPE, getattr(self.built.lib, init) if init else None)
        return make

    def _arg(self, s, kind, v):
        """One argument of ``kind`` to C, as ``_arg_converter``'s converter makes it (a
        subclass's own decides first: ``_converter`` calls it where there is one)."""
        return _arg_converter(kind)(s, v)

    # the kinds of argument whose conversion binds no object (an argument after only these,
    # or after the driver, is not bound yet when it is converted)
    _BINDS_NONE = ("str", "int", "bool", "handle", "snapshots")

    def _converter(self, name, sig):
        """How one function's arguments go to C, made once per function: one function of
        straight-line code, (session, arguments) -> the C arguments, each converted as
        ``_arg_converter``'s converter of its kind does (``_arg`` where a subclass has its
        own), the driver first, so that domain lists passed later are known; an object's
        binding made by its make called directly, without looking first where nothing
        before it can have bound it.  (It holds this object's ``makers`` and ``texts``:
        who sets another table there empties ``_convs`` too.)"""
        kinds = _PROTOCOL_KINDS if self.built.spec.extra_cdef else _ARG_KINDS
        ks = [kinds.get(t, "int") for t in sig.params]
        order = sorted(range(len(ks)), key=lambda i: ks[i] != "driver")
        binds = {"driver": self.driver_binding, "vm": VmB, "def": self.def_binding,
                 "priv": PrivB, "info": InfoB}
        env = {"makers": self.makers, "texts": self.texts, "null": self.built.ffi.NULL,
               "pyid": id, "make_of": self.make_of,
               "const_str": Session.const_str, "handle": Session.handle, "Cell": Cell,
               "new": self.built.ffi.new}
        lines = ["def convert(s, a):"]
        own = type(self)._arg is not CImpl._arg
        if own:     # a subclass's own _arg decides (cookiecheck: C cookies pass as they are)
            env["arg"] = self._arg
        seen = []
        for i in order:
            k = ks[i]
            x = "a[%d]" % i
            if own:
                lines.append("    c%d = arg(s, %r, %s)" % (i, k, x))
            elif k in binds:
                env["B%d" % i] = binds[k]
                lines += ["    x = " + x,
                          "    if x is None:",
                          "        c%d = null" % i,
                          "    else:"]
                if all(j in self._BINDS_NONE or j.startswith("cell:")
                       or (j == "driver" and k != "driver") for j in seen):
                    lines.append("        c%d = (makers.get(B%d) or make_of(B%d))(s, x)"
                                 % (i, i, i))
                else:
                    lines += ["        b = s.by_id.get(pyid(x))",
                              "        c%d = (b.c if b is not None else"
                              " (makers.get(B%d) or make_of(B%d))(s, x))" % (i, i, i)]
            elif k == "str":        # (const_str's, its cache looked up first)
                lines += ["    x = " + x,
                          "    c%d = null if x is None else texts.get(x) or const_str(s, x)" % i]
            elif k == "handle":
                lines.append("    c%d = handle(s, %s)" % (i, x))
            elif k.startswith("cell:"):     # (c_cell's: a cell per Ptr)
                env["T%d" % i] = self.built.ffi.typeof(k[5:] + "[1]")
                lines += ["    x = " + x,
                          "    if x is None:",
                          "        c%d = null" % i,
                          "    else:"]
                ind = "        "
                if any(j.startswith("cell:") for j in seen):
                    lines += ["        cl = s.cells.get(pyid(x))",
                              "        if cl is not None:",
                              "            c%d = cl.c" % i,
                              "        else:"]
                    ind += "    "
                # (a cell an earlier call gave back, else a new one: ``free``)
                env["F%d" % i] = self.free_cells.setdefault(k[5:], [])
                lines += [ind + "cl = s.cells[pyid(x)] = (F%d.pop().take(s, x) if F%d else"
                                " Cell(s, x, %r, new(T%d), F%d))" % (i, i, k[5:], i, i),
                          ind + "c%d = cl.c" % i]
            elif k in ("bool", "int"):
                lines.append("    c%d = %s(%s)" % (i, k, x))
            else:
                env["f%d" % i] = _arg_converter(k)
                lines.append("    c%d = f%d(s, %s)" % (i, i, x))
            seen.append(k)
        lines.append("    return (%s)" % "".join("c%d, " % i for i in range(len(ks))))
        exec("\n".join(lines), env)
        return env["convert"]

    def _entry(self, name, sig):
        """What a call of ``name`` needs, found at its first call: (its arguments'
        converter, its entry point qmc_run_NAME, the port static where the function may
        run WATCHED (``build.reaching``) else None, how its result comes back
        (``_RETURNS``; None: as it is))."""
        return (self._converter(name, sig), getattr(self.built.lib, "qmc_run_" + name),
                self._port if name in self._port_fns else None, _RETURNS.get(sig.ret))

    def _call(self, name, sig, args):
        if len(args) != len(sig.params):
            raise TypeError("%s takes %d arguments (%d given)" % (name, len(sig.params), len(args)))
        built = self.built
        world = current()
        pool = self._sessions
        if pool:
            s = pool.pop()
            s.world = world
        else:
            s = Session(self, world)
        if self.kept is not None:
            self.kept.append(s)
        stack = built.installed["sessions"]
        got = self._convs.get(name)
        if got is None:
            got = self._convs[name] = self._entry(name, sig)
        conv, cfn, port, ret = got
        cargs = conv(s, args)
        port_key = B.PORT_STATIC
        if port is not None:
            # a C static is the module's; each world (host) keeps its own value
            outer = port[0]
            cur = world.statics.get(port_key)
            port[0] = cur.value if cur is not None else 0
        defer_p = built.installed["defer_v"]
        defer = defer_p[0]
        pushed = False
        try:
            # from the static on, everything is given back however the call ends: a
            # deferred stub of the caller's, run by the catch-up, may raise before the C
            self.to_c(world)                    # (Session.sync_errno)
            self.tell_keys(s)
            built.installed["catch_up"]()       # what is buffered goes to the caller's trace
            if stack:
                # a call made while another runs in C: C's trace depth and the base of
                # its functions entered are set for this one (qmc_run_NAME) and given
                # back to the outer one after it
                io, base_p = built.installed["frame"]
                outer_frame = io[4], base_p[0]
            else:
                outer_frame = None
            stack.append(s)
            pushed = True
            # stubs.c's qmc_defer for a call in this world (DEFER's comment)
            if world.drop_wakeups:
                defer_p[0] = 0
            else:
                plan = world.faults.faults
                defer_p[0] = (DEFER | (0 if "virTimeMs" in plan else DEFER_CLOCK)
                              | (0 if "virDomainSaveStatus" in plan else DEFER_SAVE))
            r = cfn(world.depth, *cargs)
            try:
                # a deferred stub may raise here: Python is still brought up to C's state
                built.installed["catch_up"]()
            finally:
                s.pull()
                if s.cells:
                    s.pull_cells()
        finally:
            defer_p[0] = defer
            if pushed:
                stack.pop()
                if outer_frame is not None:
                    io[4], base_p[0] = outer_frame
            self.untell()
            if port is not None:
                if s.entered:
                    cur = world.statics.get(port_key)
                    if cur is None:
                        world.statics[port_key] = Ptr(port[0])
                    else:
                        cur.value = port[0]
                port[0] = outer
        if s.exc is not None:
            raise s.exc
        if ret is not None:
            r = ret(s, r)
        if self.kept is None:
            # the call's bindings given back to their kinds' makes (_maker's ``free``): a
            # later call's reuse them.  Nothing holds them now but the session, which goes
            # with this frame (no C memory of a call is read after it returns; a kept
            # session's are its own, and a call that raised keeps its own too); their
            # objects let go of
            for b in s.bindings:
                f = b.free
                if f is not None:
                    b.py = b.py_shadow = None
                    f.append(b)
            # and its arguments' cells (their Ptrs let go of)
            for cl in s.cells.values():
                f = cl.free
                if f is not None:
                    cl.ptr = cl.value = None
                    f.append(cl)
            # and the session itself, emptied (nothing of the call, nor its world, kept)
            s.reset()
            pool.append(s)
        return r


_IMPLS: Dict[tuple, CImpl] = {}


def load(version, src=None, worktree=False) -> CImpl:
    """The C implementation of a version (one per version and source per process)."""
    import os
    src = src or os.environ.get("LIBVIRT_SRC")
    key = (version, os.path.abspath(src) if src else None, worktree)
    if key not in _IMPLS:
        _IMPLS[key] = CImpl(version, src, worktree)
    return _IMPLS[key]
