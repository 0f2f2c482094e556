"""Compile extracted upstream functions against the project's stubs, with cffi.

One extension module per version and per text: its name carries a sha256 of
everything that goes into it (the extracted text, stubs.h, stubs.c, the cdef,
the compiler flags, cffi's and Python's versions), so a second build of the
same input loads the module already in the cache (``$QEMU_MIGRATION_CACHE``,
else ``~/.cache/qemu-migration``) without compiling.

The source handed to the compiler is: stubs.h, the callback declarations,
stubs.c, forward declarations made from each function's own text, the text
itself (``#line`` points back into the upstream file, for the compiler's
messages), non-static wrappers for every function (``qmc_call_<name>``, and
``qmc_run_<name>``, which sets C's trace depth and call base first: what
impl.py calls), and the ``-finstrument-functions`` hooks that buffer the entry of
each function named as traced (found by its address, through a cache) and keep
the depth and the functions entered (exits are not reported).
"""
import contextlib
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from ..paths import cache_dir
from ..port import STATICS, UNTRACED
from ..port.registry import ENTRY_POINTS
from .extract import CFunction, Extracted

HERE = os.path.dirname(os.path.abspath(__file__))
CFLAGS = ["-O0", "-Wno-sign-compare", "-Wno-unused-variable", "-Wno-unused-but-set-variable",
          "-finstrument-functions", "-fvisibility=hidden"]
# a coverage build (BuildSpec.coverage) adds these at compile and link time; its module
# has its own name and cache key, and two functions more: qmc_gcov_reset and qmc_gcov_dump
COVERAGE_FLAGS = ["--coverage"]

_BUILD_FORMAT = 2   # bump when the generated source's shape changes
EVENTS = 64         # the trace's buffer of entries and records (qmc_ev), read by impl.py
NSTACK = 1024       # the functions entered C keeps (stubs.c's QMC_NSTACK)
NDEFK = 32          # past the deferred stubs' indexes (stubs.c's qmc_ev_defer codes with it)
# the stubs whose calls C buffers while a call runs (impl.py's DEFERRED says why each may
# be); stubs.c names each one's index here as QMC_K_<name>
DEFERRED = ("qemuDriverLock", "qemuDriverUnlock", "virDomainObjLock", "virDomainObjUnlock",
            "virDomainObjIsActive", "virDomainObjRef", "virDomainObjUnref",
            "virDomainDefFree", "virTimeMs", "_report", "virReportSystemError",
            "virReportOOMError", "VIR_ERROR", "VIR_FORCE_CLOSE", "qemuMigrationCookieFree",
            "virDomainSaveStatus", "virCondSignal", "virCondBroadcast", "virHashLookup")
assert len(DEFERRED) < NDEFK - 1        # (NDEFK - 1 codes WATCHED's entry)


class BuildError(RuntimeError):
    """A one-line reason why the C build could not be had."""


def find_compiler() -> str:
    tried = []
    env_cc = os.environ.get("CC", "").split()
    cands = ([env_cc[0]] if env_cc else []) + ["cc", "gcc"]
    for c in cands:
        tried.append(c)
        p = shutil.which(c)
        if p:
            return p
    raise BuildError("qemu-migration: no C compiler found (tried %s): none of them is on PATH=%s"
                     % ("/".join(dict.fromkeys(tried)), os.environ.get("PATH", "")))


def _read(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


# --- signatures ----------------------------------------------------------------------

def norm_type(t: str) -> str:
    t = re.sub(r"\bATTRIBUTE_[A-Z_]+(\s*\([^()]*\))?", "", t)
    t = re.sub(r"\s*\*\s*", "*", t)
    return re.sub(r"\s+", " ", t).strip()


def param_type(p: str) -> str:
    """The type of a parameter declaration: the declaration less its name."""
    p = re.sub(r"\bATTRIBUTE_[A-Z_]+(\s*\([^()]*\))?", "", p).strip()
    if p == "void":
        return "void"
    return norm_type(re.sub(r"\b[A-Za-z_]\w*\s*$", "", p))


def return_type(f: CFunction) -> str:
    decl = re.sub(r"\s+", " ", f.declaration)
    head = decl[:decl.rfind(f.name)]
    head = re.sub(r"\b(static|inline|extern)\b", "", head)
    return norm_type(head)


@dataclass(frozen=True)
class Signature:
    ret: str
    params: Tuple[str, ...]

    @classmethod
    def of(cls, text):
        """From ``"ret(type, type)"``."""
        ret, _, rest = text.partition("(")
        params = tuple(norm_type(p) for p in rest.rstrip(")").split(",") if p.strip())
        return cls(norm_type(ret), params)

    def __str__(self):
        return "%s (%s)" % (self.ret, ", ".join(self.params))


def check_signature(f: CFunction, expected: Signature, commit: str = ""):
    got = Signature(return_type(f), tuple(param_type(p) for p in f.params))
    if got.params == ("void",):
        got = Signature(got.ret, ())
    if got != expected:
        raise BuildError("qemu-migration: %s at %s has signature %s; the build expects %s"
                         % (f.name, commit or "<text>", got, expected))


# --- what goes into one module --------------------------------------------------------

@dataclass
class BuildSpec:
    name: str                              # "post", "selftest", ...
    functions: List[CFunction]
    signatures: Dict[str, Signature]       # every function gets qmc_call_/qmc_run_ wrappers
    traced: Sequence[str]                  # names whose entries go to Python's trace
    statics: Dict[str, Tuple[str, str]] = field(default_factory=dict)  # key -> (func, var)
    commit: str = ""
    extra_flags: Sequence[str] = ()
    coverage: bool = False                 # built with gcov instrumentation (upstream/coverage.py)
    # whole migrations (cproto.py): text before stubs.h, after stubs.c, more cdef and
    # callbacks, and text put before every function of a file (its VIR_FROM_THIS)
    prelude: str = ""
    extra_source: str = ""
    extra_cdef: str = ""
    extra_callbacks: Sequence[str] = ()
    file_prefix: Dict[str, str] = field(default_factory=dict)
    # more at link time (the cookie build's libxml2: upstream/cookiecheck.py), and text
    # at the very end of the source (before cffi's own)
    extra_link_args: Sequence[str] = ()
    epilogue: str = ""


def _wrapper(name, sig: Signature):
    """qmc_call_NAME, and qmc_run_NAME: the entry point of a call (impl.py's CImpl._call),
    its trace depth first (C's, qmc_depth, from the world's), and the functions entered
    before it its callers' (qmc_base)."""
    args = ["a%d" % i for i in range(len(sig.params))]
    decl = ["%s %s" % (t, a) for t, a in zip(sig.params, args)]
    plist = ", ".join(decl) or "void"
    call = "%s(%s)" % (name, ", ".join(args))
    body = ("%s;" % call) if sig.ret == "void" else ("return %s;" % call)
    c = "QMC_NOINST %s qmc_call_%s(%s) { qmc_set_errno(); %s }" % (sig.ret, name, plist, body)
    cdef = "%s qmc_call_%s(%s);" % (sig.ret, name, plist)
    rlist = ", ".join(["int qmc_d"] + decl)
    c += ("\nQMC_NOINST %s qmc_run_%s(%s) { qmc_depth = qmc_d; qmc_base = qmc_sp; "
          "qmc_set_errno(); %s }" % (sig.ret, name, rlist, body))
    cdef += "\n%s qmc_run_%s(%s);" % (sig.ret, name, rlist)
    return c, cdef


def generate(spec: BuildSpec) -> Tuple[str, str]:
    """The cdef and the C source of one module."""
    callbacks = [l.strip() for l in _read("callbacks.h").splitlines()
                 if l.strip() and not l.lstrip().startswith(("/*", "*"))]
    callbacks += list(spec.extra_callbacks)
    funcs = {f.name: f for f in spec.functions}
    src = ([spec.prelude] if spec.prelude else []) + [_read("stubs.h"),
                                                      "/* callbacks into Python */"]
    src += ["static " + c for c in callbacks]
    src.append("#define QMC_NEV %d\n#define QMC_NSTACK %d\n#define QMC_NDEFK %d"
               % (EVENTS, NSTACK, NDEFK))
    src += ["#define QMC_K_%s %d" % (name, k) for k, name in enumerate(DEFERRED)]
    src.append(_read("stubs.c"))
    if spec.extra_source:
        src.append(spec.extra_source)
    src.append("/* forward declarations, from each function's own text */")
    for f in spec.functions:
        src.append(f.declaration.strip() + ";")
    for f in spec.functions:
        if f.path in spec.file_prefix:
            src.append(spec.file_prefix[f.path])
        if f.path:
            src.append('#line %d "%s"' % (f.line, f.path))
        src.append(f.text)
    src.append('#line 1 "qmc-generated.c"')
    cdefs = []
    for name, sig in spec.signatures.items():
        if name not in funcs:
            raise BuildError("qemu-migration: %s was not extracted" % name)
        check_signature(funcs[name], sig, spec.commit)
        c, d = _wrapper(name, sig)
        src.append(c)
        cdefs.append(d)
    table = ", ".join("(void *)%s" % n for n in spec.traced) or "0"
    # entries go into a buffer (i + ntraced * depth: function i entered at that depth;
    # stubs.c's qmc_ev_put) that Python reads at its next callback (impl.py): a crossing
    # into Python per call costs more; an exit only moves C's depth and stack of entered
    # functions (stubs.c's qmc_depth, qmc_cstack), which Python reads from C
    src.append("""
static void *const qmc_traced[] = { %s };
#define QMC_NTRACED %d
/* a record's code (impl.py's Calls reads it) */
#define QMC_CODE(k, caller, depth) \
    (-1 - ((k) + QMC_NDEFK * ((caller) + 1 + (QMC_NTRACED + 2) * (long long)(depth))))
/* fn's index in qmc_traced, -1 for a function instrumented but not traced (a callback's
 * trampoline, a helper): found by a scan once, then from a cache by address (a slot
 * holds the last function that mapped to it) */
#define QMC_NCACHE 256
static void *qmc_cache_fn[QMC_NCACHE];
static int qmc_cache_i[QMC_NCACHE];
QMC_NOINST static int qmc_traced_index(void *fn)
{
    unsigned slot = ((uintptr_t)fn >> 4) & (QMC_NCACHE - 1);
    int i;
    if (qmc_cache_fn[slot] == fn)
        return qmc_cache_i[slot];
    for (i = 0; i < QMC_NTRACED && qmc_traced[i] != fn; i++)
        ;
    if (i == QMC_NTRACED)
        i = -1;
    qmc_cache_fn[slot] = fn;
    qmc_cache_i[slot] = i;
    return i;
}
__attribute__((visibility("hidden"))) QMC_NOINST
void __cyg_profile_func_enter(void *fn, void *site)
{
    int i = qmc_traced_index(fn);
    (void)site;
    if (i >= 0) {
        if (qmc_sp < QMC_NSTACK)
            qmc_cstack[qmc_sp] = i;
        qmc_sp++;
        if (i == qmc_watched)
            qmc_ev_record(QMC_CODE(QMC_NDEFK - 1, i, qmc_depth), NULL);
        else
            qmc_ev_put(i + QMC_NTRACED * qmc_depth);
        qmc_depth++;
    }
}
__attribute__((visibility("hidden"))) QMC_NOINST
void __cyg_profile_func_exit(void *fn, void *site)
{
    (void)site;
    if (qmc_traced_index(fn) >= 0) {
        qmc_depth--;
        qmc_sp--;
        QMC_FRESH();
    }
}
/* a deferred call, k the stub's index, caller the innermost function entered of the
 * running call (-1: none; QMC_NTRACED: one past the QMC_NSTACK kept), depth the stub's in
 * the trace */
QMC_NOINST static void qmc_ev_defer(int k, void *arg)
{
    int caller = qmc_sp <= qmc_base ? -1 : qmc_sp > QMC_NSTACK ? QMC_NTRACED
        : qmc_cstack[qmc_sp - 1];
    qmc_ev_record(QMC_CODE(k, caller, qmc_depth), arg);
}
QMC_NOINST void qmc_anchor(void) { }
QMC_NOINST void *qmc_anchor_addr(void) { return (void *)qmc_anchor; }
""" % (table, len(spec.traced)))
    base = _read("cdef.h")
    if spec.extra_cdef:     # it declares the connection and stream types itself
        base = "\n".join(l for l in base.splitlines()
                         if not l.startswith(("typedef struct qmc_opaque *virConnectPtr",
                                              "typedef struct qmc_opaque *virStreamPtr")))
        base += "\n" + spec.extra_cdef
    cdef = [base, 'extern "Python" {'] + callbacks + ["}"] + cdefs
    cdef.append("void *qmc_anchor_addr(void);")
    cdef.append("extern long long qmc_ev[%d];\nextern int qmc_io[5];\n"
                "extern int qmc_sp;\nextern int qmc_base;\nextern int qmc_cstack[%d];\n"
                "extern int qmc_watched;\nextern int qmc_defer;" % (EVENTS, NSTACK))
    if spec.coverage:
        # libgcov's own entry points: counters to zero, and the .gcda written now
        src.append("extern void __gcov_reset(void);\nextern void __gcov_dump(void);\n"
                   "QMC_NOINST void qmc_gcov_reset(void) { __gcov_reset(); }\n"
                   "QMC_NOINST void qmc_gcov_dump(void) { __gcov_dump(); }")
        cdef.append("void qmc_gcov_reset(void);\nvoid qmc_gcov_dump(void);")
    if spec.epilogue:
        src.append(spec.epilogue)
    return "\n".join(cdef), "\n".join(src) + "\n"


# --- compiling and caching ---------------------------------------------------------------

@dataclass
class Built:
    spec: BuildSpec
    module_name: str
    path: str
    build_dir: str
    module: object
    compiled: bool          # False when the cache had it
    seconds: float
    statics: Dict[str, int]  # key -> offset from qmc_anchor
    installed: dict = field(default_factory=dict)   # filled in by impl.py
    gcov_strip: int = 0     # coverage builds: see build()

    @property
    def ffi(self):
        return self.module.ffi

    @property
    def lib(self):
        return self.module.lib

    def static_address(self, key):
        return self.statics[key] + int(self.ffi.cast("uintptr_t", self.lib.qmc_anchor_addr()))


_LOADED: Dict[str, Built] = {}


def compile_flags(spec: BuildSpec) -> List[str]:
    return list(CFLAGS) + (COVERAGE_FLAGS if spec.coverage else []) + list(spec.extra_flags)


def build_key(spec: BuildSpec, cdef: str, source: str, compiler: str) -> str:
    import cffi
    h = hashlib.sha256()
    for part in (str(_BUILD_FORMAT), cdef, source, json.dumps(compile_flags(spec)),
                 json.dumps(list(spec.extra_link_args)),
                 json.dumps(list(spec.traced)), json.dumps(spec.statics, sort_keys=True),
                 cffi.__version__, sys.version, os.path.basename(compiler)):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


@contextlib.contextmanager
def _captured_output(path):
    """Send fd 1 and 2 (the compiler's output) to a file for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


@contextlib.contextmanager
def _env(**kv):
    old = {k: os.environ.get(k) for k in kv}
    os.environ.update(kv)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _first_error(log_text):
    for line in log_text.splitlines():
        if re.search(r"\berror\b", line, re.I) and not line.startswith(("running", "building")):
            return line.strip()
    lines = [l for l in log_text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "no compiler output"


def _find_statics(so_path, spec: BuildSpec) -> Dict[str, int]:
    if not spec.statics:
        return {}
    nm = shutil.which("nm")
    if not nm:
        raise BuildError("qemu-migration: nm (binutils) is needed to locate function statics")
    out = subprocess.run([nm, so_path], capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.setdefault(parts[2], []).append((parts[1], int(parts[0], 16)))
    anchor = [v for k, v in syms.get("qmc_anchor", [])]
    if not anchor:
        raise BuildError("qemu-migration: qmc_anchor not found in %s" % so_path)
    found = {}
    for key, (func, var) in spec.statics.items():
        cands = [v for name, entries in syms.items() if re.fullmatch(re.escape(var) + r"\.\d+", name)
                 for t, v in entries if t in "bBdD"]
        if len(cands) != 1:
            raise BuildError("qemu-migration: cannot locate the static %s of %s in %s (%d candidates)"
                             % (var, func, so_path, len(cands)))
        found[key] = cands[0] - anchor[0]
    return found


def _load(module_name, path):
    loader = importlib.machinery.ExtensionFileLoader(module_name, path)
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def build(spec: BuildSpec) -> Built:
    """The compiled module of a spec: from this process, from the cache, or compiled now."""
    import cffi
    t0 = time.perf_counter()
    cdef, source = generate(spec)
    compiler = find_compiler()
    key = build_key(spec, cdef, source, compiler)
    module_name = "_qmc_%s%s_%s" % (re.sub(r"\W", "_", spec.name),
                                    "_gcov" if spec.coverage else "", key[:16])
    if module_name in _LOADED:
        return _LOADED[module_name]
    root = os.fspath(cache_dir())
    final_dir = os.path.join(root, module_name)
    meta_path = os.path.join(final_dir, "meta.json")
    compiled = False
    if not os.path.exists(meta_path):
        os.makedirs(root, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=module_name + ".tmp-", dir=root)
        ffi = cffi.FFI()
        try:
            ffi.cdef(cdef)
        except Exception as e:
            raise BuildError("qemu-migration: cdef rejected: %s (build dir: %s)"
                             % (str(e).splitlines()[0], tmp))
        ffi.set_source(module_name, source, extra_compile_args=compile_flags(spec),
                       extra_link_args=(COVERAGE_FLAGS if spec.coverage else [])
                       + list(spec.extra_link_args), libraries=[])
        log_path = os.path.join(tmp, "compile.log")
        try:
            with _env(CC=compiler), _captured_output(log_path):
                so = ffi.compile(tmpdir=tmp, verbose=True)
        except Exception as e:  # distutils' CompileError, cffi's VerificationError, ...
            with open(log_path, errors="replace") as f:
                log = f.read()
            raise BuildError("qemu-migration: C build of %s failed: %s (build dir: %s)"
                             % (spec.name, _first_error(log) or str(e), tmp))
        statics = _find_statics(so, spec)
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            # a coverage build writes its counts to <tmp>/<module>.gcda: the number of
            # folders to strip from that path (GCOV_PREFIX_STRIP) goes with it
            json.dump({"so": os.path.basename(so), "statics": statics, "key": key,
                       "name": spec.name, "commit": spec.commit,
                       "gcov_strip": os.path.abspath(tmp).count(os.sep)}, f)
        try:
            os.rename(tmp, final_dir)
        except OSError:         # another process got there first
            shutil.rmtree(tmp, ignore_errors=True)
        compiled = True
    with open(meta_path) as f:
        meta = json.load(f)
    path = os.path.join(final_dir, meta["so"])
    module = _load(module_name, path)
    built = Built(spec, module_name, path, final_dir, module, compiled,
                  time.perf_counter() - t0, {k: int(v) for k, v in meta["statics"].items()},
                  gcov_strip=meta.get("gcov_strip", 0))
    _LOADED[module_name] = built
    return built


# --- the versions -------------------------------------------------------------------------

# every function the build wraps but the entry points, whose signatures are in their
# rows of port/registry.py
_COMMON = {
    "virDomainSnapshotObjListCount": "void(void *, const void *, void *)",
    "virDomainSnapshotObjListNum": "int(virDomainSnapshotObjListPtr, unsigned int)",
    "qemuProcessAutoDestroyActive": "bool(struct qemud_driver *, virDomainObjPtr)",
    "qemuDomainObjResetJob": "void(qemuDomainObjPrivatePtr)",
    "qemuDomainObjResetAsyncJob": "void(qemuDomainObjPrivatePtr)",
    "qemuDomainObjSaveJob": "void(struct qemud_driver *, virDomainObjPtr)",
    "qemuDomainObjSetJobPhase": "void(struct qemud_driver *, virDomainObjPtr, int)",
    "qemuDomainObjSetAsyncJobMask": "void(virDomainObjPtr, unsigned long long)",
    "qemuDomainObjDiscardAsyncJob": "void(struct qemud_driver *, virDomainObjPtr)",
    "qemuDomainJobAllowed": "bool(qemuDomainObjPrivatePtr, enum qemuDomainJob)",
    "qemuDomainObjBeginJobInternal": "int(struct qemud_driver *, bool, virDomainObjPtr, "
                                     "enum qemuDomainJob, enum qemuDomainAsyncJob)",
    "qemuDomainObjBeginAsyncJobWithDriver": "int(struct qemud_driver *, virDomainObjPtr, "
                                            "enum qemuDomainAsyncJob)",
    "qemuDomainObjEndJob": "int(struct qemud_driver *, virDomainObjPtr)",
    "qemuDomainObjEndAsyncJob": "int(struct qemud_driver *, virDomainObjPtr)",
    "qemuMigrationPrepareAny": "int(struct qemud_driver *, virConnectPtr, const char *, int, "
                               "char **, int *, const char *, const char *, const char *, "
                               "virStreamPtr)",
    "qemuMigrationJobStart": "int(struct qemud_driver *, virDomainObjPtr, "
                             "enum qemuDomainAsyncJob)",
    "qemuMigrationJobSetPhase": "void(struct qemud_driver *, virDomainObjPtr, "
                                "enum qemuMigrationJobPhase)",
    "qemuMigrationJobStartPhase": "void(struct qemud_driver *, virDomainObjPtr, "
                                  "enum qemuMigrationJobPhase)",
    "qemuMigrationJobContinue": "int(virDomainObjPtr)",
    "qemuMigrationJobIsActive": "bool(virDomainObjPtr, enum qemuDomainAsyncJob)",
    "qemuMigrationJobFinish": "int(struct qemud_driver *, virDomainObjPtr)",
}


def expected_signatures(version: str) -> Dict[str, Signature]:
    sigs = {k: Signature.of(v) for k, v in _COMMON.items()}
    sigs.update((e.name, Signature.of(e.signature(version))) for e in ENTRY_POINTS.values())
    return sigs


# the static impl.py keeps in step with the world (port.STATICS has them all)
PORT_STATIC = "qemuMigrationPrepareDirect.port"


def version_spec(ex: Extracted, coverage: bool = False) -> BuildSpec:
    names = [f.name for f in ex.functions]
    return BuildSpec(ex.version, ex.functions, expected_signatures(ex.version),
                     [n for n in names if n not in UNTRACED],
                     dict(STATICS),
                     commit=ex.commit + ("+" + ex.patched_with if ex.patched_with else ""),
                     coverage=coverage)


def build_version(version: str, src: str, worktree: bool = False,
                  coverage: bool = False) -> Built:
    from .extract import extract_version
    return build(version_spec(extract_version(version, src, worktree), coverage))


def signature_of(f: CFunction) -> Signature:
    """The signature a function's own text declares."""
    params = tuple(param_type(p) for p in f.params)
    return Signature(return_type(f), () if params == ("void",) else params)


def text_spec(name: str, text: str, path: str = "", untraced: Sequence[str] = (),
              coverage: bool = False) -> BuildSpec:
    """A spec for every function of a C text of one's own (the self-test), built the
    same way as the upstream versions, signatures taken from the text."""
    from .extract import parse_functions
    funcs = list(parse_functions(text, path).values())
    if not funcs:
        raise BuildError("qemu-migration: no function definitions in %s" % (path or "<text>"))
    return BuildSpec(name, funcs, {f.name: signature_of(f) for f in funcs},
                     [f.name for f in funcs if f.name not in untraced], commit=path,
                     coverage=coverage)


_IDENT = re.compile(r"[A-Za-z_]\w*")


def reaching(spec: BuildSpec, target: str) -> frozenset:
    """The functions of ``spec`` whose C may run ``target`` (a function of it): those
    that name it, or name one that does, in their text (a call, or its address taken),
    ``target`` itself among them.  Where the module's other C (stubs.c, the prelude, the
    extra source, the file prefixes: a driver table, say) names any of them, a call may
    get there through a pointer that no text of the caller names: every function then.
    (Not scanned: stubs.h, which declares stubs only, and the epilogue, whose wrappers
    name every function as the entry points they are, not as a path between them.)"""
    names = {f.name for f in spec.functions}
    if target not in names:
        return frozenset()
    named = {f.name: set(_IDENT.findall(f.text)) & names for f in spec.functions}
    found = {target}
    grew = True
    while grew:
        more = {n for n, ids in named.items() if n not in found and ids & found}
        found |= more
        grew = bool(more)
    other = set(_IDENT.findall("\n".join([_read("stubs.c"), spec.prelude,
                                          spec.extra_source, *spec.file_prefix.values()])))
    if other & found:
        return frozenset(names)
    return frozenset(found)
