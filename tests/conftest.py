"""Shared test helpers: small worlds built straight from the state objects, and
deliberately broken copies of a port."""
import contextlib
import functools
import importlib.util
import itertools
import os
import sys
from pathlib import Path

import coverage
import pytest

from qemu_migration import paths

# --- bytecode: kept in the cache folder when the environment writes none ---------------
#
# With PYTHONDONTWRITEBYTECODE=1 (as in this project's sessions) every process of a run (the
# controller and each pytest-xdist worker) compiled the package, and each worker rewrote the
# asserts of every test module again: about 3 s of CPU per worker.  Then the modules the
# suite imports are kept compiled outside the checkout, in the cache folder's ``pycache``
# (Python's ``sys.pycache_prefix``, which pytest's rewritten test modules follow too; each
# checked against its source's time and size, as any .pyc): from here to the end of the
# collection (``bytecode_kept_until_collected``), and not after, when the environment's
# setting is back: what the tests import or make on the way (pytester's files in a
# temporary folder, the ports broken on purpose) is not written, and the modules they
# import late are read from where they were before.  The Python processes the tests start
# keep theirs in the same folder (about 0.1 s of CPU less each).  An environment that
# writes bytecode is left alone (the checkout's __pycache__).

BYTECODE_PREFIX = None
if sys.dont_write_bytecode:
    BYTECODE_PREFIX = str(paths.cache_dir() / "pycache")
    sys.pycache_prefix, sys.dont_write_bytecode = BYTECODE_PREFIX, False


def bytecode_kept_until_collected(children=False):
    """The environment's setting again (no bytecode written, none read from the cache
    folder) once the suite is imported; with ``children``, the Python processes the tests
    start (the command line, build scripts, import-linter) keep theirs in the same folder
    (PYTHONPYCACHEPREFIX, and PYTHONDONTWRITEBYTECODE left out of their environment):
    the same modules each time, each process compiled them again."""
    if BYTECODE_PREFIX is not None:
        sys.pycache_prefix, sys.dont_write_bytecode = None, True
        if children:
            os.environ["PYTHONPYCACHEPREFIX"] = BYTECODE_PREFIX
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


from qemu_migration.world.constants import (DEFAULT_JOB_MASK, JOB_MASK, QEMU_ASYNC_JOB_MIGRATION_OUT,
                                            QEMU_JOB_DESTROY, QEMU_JOB_MIGRATION_OP,
                                            QEMU_JOB_SUSPEND, VIR_DOMAIN_JOB_UNBOUNDED,
                                            VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING,
                                            VIR_DOMAIN_SHUTOFF)
from qemu_migration.world.objects import (STARTED_ELSEWHERE, DomainDef, DomainObj, Driver,
                                          HostdevDef, SnapshotDef)
from qemu_migration.engine import Call  # noqa: F401  (tests import it from here)
# The command modules, imported once here: a pytester run in process drops the modules first
# imported during its test, but not the package attributes naming them, so a later
# ``from . import protocol_cli`` in cli.build_parser found the dropped module, whose
# UsageError was not the one the new cli.py caught (a usage error became a traceback).
import qemu_migration.analysis.cli  # noqa: F401,E402
import qemu_migration.cli  # noqa: F401,E402
import qemu_migration.protocol_cli  # noqa: F401,E402
import qemu_migration.review  # noqa: F401,E402
import qemu_migration.upstream.cli  # noqa: F401,E402
from qemu_migration.port import VERSIONS
from qemu_migration.world.runtime import FaultPlan, World

# The ported versions' modules, imported here, at the session's start, where coverage
# traces them in every process (port/__init__.py imports a version on first use, and
# that may come first in an untraced test: a no_cover one, or a worker's shared fixture).
PORT_MODULES = [v.module for v in VERSIONS.values()]


def pytest_collection_finish(session):
    bytecode_kept_until_collected(children=True)


def pytest_sessionstart(session):
    # pytest-xdist's controller collects nothing: it has imported what it runs
    if session.config.pluginmanager.hasplugin("dsession"):
        bytecode_kept_until_collected()


pytest_plugins = ["pytester"]   # tests/test_plugin.py runs pytest on small scenario trees

# every state before a call the runner reads from a template's earlier run is checked
# against the copy's own (a setup that changed a fresh copy by hand fails at once)
import qemu_migration.engine.runner  # noqa: E402
qemu_migration.engine.runner.CHECK_CACHED_STATE = True

UUID1 = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
UUID2 = "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"

# A test run untraced by coverage (pytest-cov's no_cover), its assertions unchanged: traced,
# each such test took two to three times the CPU, and traced tests reach every line it runs
# (the gate checks it; README, "Tests and coverage")
untraced = pytest.mark.no_cover


def make_vm(name="web1", uuid=UUID1, state="running", snapshots=0, hostdev=None,
            persistent=True, async_out=False, job=0, refs=1):
    """A domain; ``refs`` is the list's reference, and each held job adds one.
    Snapshots form a chain, each the parent of the next."""
    active = state != "shutoff"
    d = DomainDef("kvm", name, uuid, id=7 if active else -1, memory=524288, vcpus=1)
    if hostdev:
        d.hostdevs.append(HostdevDef("subsystem", hostdev, "0000:06:00.0"))
    st = {"running": VIR_DOMAIN_RUNNING, "paused": VIR_DOMAIN_PAUSED,
          "shutoff": VIR_DOMAIN_SHUTOFF}[state]
    vm = DomainObj(def_=d, persistent=persistent, refs=refs, state=st, reason=1)
    parent = None
    for i in range(snapshots):
        vm.snapshots.objs["snap%d" % i] = SnapshotDef("snap%d" % i, parent=parent)
        parent = "snap%d" % i
    if async_out:
        j = vm.privateData.job
        j.asyncJob = QEMU_ASYNC_JOB_MIGRATION_OUT
        j.mask = (DEFAULT_JOB_MASK | JOB_MASK(QEMU_JOB_SUSPEND) | JOB_MASK(QEMU_JOB_MIGRATION_OP)
                  | JOB_MASK(QEMU_JOB_DESTROY))
        j.info_type = VIR_DOMAIN_JOB_UNBOUNDED
        vm.refs += 1
    if job:
        vm.privateData.job.active = job
        vm.refs += 1
    return vm


def make_world(*vms, autodestroy=(), hostname="dst.example.net"):
    drv = Driver(hostname=hostname)
    for vm in vms:
        drv.domains[vm.def_.uuid] = vm
    drv.autodestroy.update((uuid, STARTED_ELSEWHERE) for uuid in autodestroy)
    return World(drv)


def domain_xml(name="web1", uuid=UUID1, hostdev=None, memory=524288, graphics=None):
    dev = ""
    if graphics:
        dev += "<graphics type='%s' port='5901' listen='0.0.0.0'/>" % graphics
    if hostdev == "pci":
        dev += ("<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' "
                "bus='0x06' slot='0x00' function='0x0'/></source></hostdev>")
    elif hostdev == "usb":
        dev += ("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/>"
                "<product id='0x0104'/></source></hostdev>")
    return ("<domain type='kvm'><name>%s</name><uuid>%s</uuid><memory>%d</memory>"
            "<vcpu>1</vcpu><devices>%s</devices></domain>" % (name, uuid, memory, dev))


SOURCE_HOSTUUID = "7a2e9c44-1b3d-4f5e-8a6b-9c0d1e2f3a4b"


def cookie_xml(name="web1", uuid=UUID1, hostname="src.example.net", hostuuid=SOURCE_HOSTUUID,
               extra=""):
    """A cookie as a source host's qemuMigrationCookieXMLFormat writes it
    (qemu_migration.c:356-391), with ``extra`` lines before the closing tag."""
    return ("<qemu-migration>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
            "  <hostname>%s</hostname>\n  <hostuuid>%s</hostuuid>\n%s</qemu-migration>\n"
            % (name, uuid, hostname, hostuuid, extra))


def faults(*pairs):
    return FaultPlan.of(pairs)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (CI=true) a skipped test is an error: nothing may be silently left out."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and os.environ.get("CI") == "true" and call.when in ("setup", "call"):
        rep.outcome = "failed"
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.longrepr = "skipped under CI, which is an error here: %s" % reason


_BROKEN = itertools.count()


def _module_from_text(name, text, label):
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    mod.__package__ = "qemu_migration.port"
    # a "<...>" file name: not a file coverage.py would try to read
    exec(compile(text, "<broken %s>" % label, "exec"), mod.__dict__)
    return mod


def broken_port(version, line, instead, in_module=None):
    """The port of ``version`` with one source line replaced: in the version's own file,
    or (``in_module="qemu_domain"``) in the job functions below it, which the copy of the
    version then imports.  A mistake made on purpose, loaded as modules of their own
    (the real ones are untouched)."""
    from qemu_migration.port import VERSIONS, qemu_domain
    n = next(_BROKEN)
    text = open(VERSIONS[version].module.__file__).read()
    if in_module is None:
        assert text.count(line) == 1, line
        text = text.replace(line, instead)
    else:
        assert in_module == "qemu_domain"
        below = open(qemu_domain.__file__).read()
        assert below.count(line) == 1, line
        name = "qemu_migration.port.broken_qemu_domain_%d" % n
        sys.modules[name] = _module_from_text(name, below.replace(line, instead),
                                              "qemu_domain.py")
        text = text.replace("from .qemu_domain import", "from .broken_qemu_domain_%d import" % n)
    return _module_from_text("qemu_migration.port.broken_%s_%d" % (version, n), text,
                             version + ".py")


STATE_DIR_LINE = "virDomainSaveStatus(driver.caps, driver.stateDir, obj) < 0:"


def config_dir_for_state_dir(version="post"):
    """The issue's example of a port bug in an argument: virDomainSaveStatus handed
    driver.configDir where upstream passes driver->stateDir (qemu_domain.c:650)."""
    return broken_port(version, STATE_DIR_LINE,
                       "virDomainSaveStatus(driver.caps, driver.configDir, obj) < 0:",
                       in_module="qemu_domain")


# --- benchmarks: timed only when asked for -----------------------------------------------------

_TIMING_OPTIONS = ("benchmark_only", "benchmark_enable", "benchmark_json", "benchmark_save",
                   "benchmark_autosave", "benchmark_compare")


def benchmarks_timed(config):
    """Whether this run times the benchmarks: --benchmark-only, --benchmark-enable, or an
    option that saves or compares figures.  The default run (CI's) runs each benchmark
    once, untimed, with what it checks (pytest-benchmark's --benchmark-disable)."""
    return any(getattr(config.option, o, None) for o in _TIMING_OPTIONS)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if hasattr(config.option, "benchmark_disable") and not benchmarks_timed(config):
        config.option.benchmark_disable = True
    if benchmarks_timed(config) and getattr(config.option, "dist", "no") != "no":
        # timed in one process: pytest-benchmark times nothing under pytest-xdist, and
        # two workers would time each other's load
        config.option.dist, config.option.numprocesses = "no", None


def cli_run(*argv):
    """``qemu-migration ARGV`` in this process: (exit status, standard output, standard
    error), both as text."""
    import io
    from qemu_migration.cli import main
    out, err = io.StringIO(), io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        rc = main(list(argv), out=out)
    finally:
        sys.stderr = old
    return rc, out.getvalue(), err.getvalue()


def cli_out(argv):
    """``qemu-migration ARGV`` in this process: (exit status, standard output); standard
    error is left to pytest's capture (capsys)."""
    import io
    from qemu_migration.cli import main
    out = io.StringIO()
    rc = main(list(argv), out=out)
    return rc, out.getvalue()


def misspelt_gotos(monkeypatch, module, function):
    """Make every goto of ``function`` (and only of it) name a label it does not have."""
    real = module.goto

    def goto(label):
        if sys._getframe(1).f_code.co_name == function:
            real(label + "_misspelt")
        real(label)

    monkeypatch.setattr(module, "goto", goto)


# --- pytest-xdist: which tests share a worker, and which start first ----------------------
#
# pyproject.toml's addopts run the suite over workers (-n auto --dist loadgroup), each
# worker taking a whole group at a time: a module's tests, or, for the modules below, the
# modules that read one costly per-process result (a worker computes it once for them all).
# The groups are made here from the test ids (GroupScheduling): pytest-xdist's own
# loadgroup reads xdist_group marks by rewriting the test ids, which pytest 9.2's
# structured ids ignore (pytest-dev/pytest-xdist#1386).  The groups that take longest start
# first, in LONGEST_FIRST's order (CPU time of a whole run), so that no long one is left for
# the end while the other worker idles; the rest keep the files' order.

SHARED_GROUPS = {
    # conftest's fault_matrix() and fault_extra_rows(), and the protocol_rows fixture's
    # matrix, which test_upstream_protocol reads too (one worker builds it once for all)
    "tests/test_fault_figures.py": "protocol-matrix",
    "tests/test_upstream_protocol.py": "protocol-matrix",
    "tests/test_claims.py": "protocol-matrix",
    "tests/test_bench_protocol.py": "protocol-matrix",
    # the case space's outcomes and diffs, kept per process (analysis/cases.py)
    "tests/test_analysis.py": "cases",
    "tests/test_readme.py": "cases",
    "tests/test_export.py": "cases",
    "tests/test_diff_formats.py": "cases",
    "tests/test_caseid.py": "cases",
    "tests/test_check_baseline.py": "cases",
    "tests/test_upstream_record.py": "cases",
    # its diffs and checks of the C tree against post and pre read those same outcomes, and
    # test_readme's diff to the tree is its whole-space run (about 13 s of CPU less than
    # in a worker of its own)
    "tests/test_c_candidate.py": "cases",
}
LONGEST_FIRST = ("cases", "protocol-matrix", "tests/test_wakeups.py", "tests/test_reach.py")


def xdist_group(nodeid):
    """The group of the test ``nodeid``: its module's shared group, else its module."""
    module = nodeid.split("::", 1)[0]
    return SHARED_GROUPS.get(module, module)


def pytest_collection_modifyitems(items):
    rank = {g: i for i, g in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(xdist_group(item.nodeid), len(rank)))


if importlib.util.find_spec("xdist") is not None:
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        """pytest-xdist's scheduling by scope, the scope of a test being its group."""

        def _split_scope(self, nodeid):
            return xdist_group(nodeid)

    @pytest.hookimpl(optionalhook=True)     # -p no:xdist leaves the hook unknown
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadgroup":
            return GroupScheduling(config, log)
        return None


# --- the protocol matrix: built once per session ------------------------------------------

@pytest.fixture(scope="session")
def protocol_rows():
    """Every row of `qemu-migration protocol` (no faults): 6 flows x 9 version pairs x 6
    domains, run once for the whole session (test_claims, test_bench, ...)."""
    from qemu_migration.engine.protocol import matrix
    return matrix()


@contextlib.contextmanager
def coverage_paused(config=None):
    """Every coverage.py measurement of this process stopped meanwhile, and started again
    after, as pytest-cov's ``no_cover`` mark stops it for a test's call (see
    ``pytest_runtest_call`` below): for a shared fixture that runs a whole space (its
    tests assert on it as before; leaving it out can only lower the figure the gate
    checks).  ``config`` is not needed (kept for the callers that pass it)."""
    stopped = []
    while coverage.Coverage.current() is not None:
        cov = coverage.Coverage.current()
        cov.stop()
        stopped.append(cov)
    try:
        yield
    finally:
        for cov in reversed(stopped):
            cov.start()


@pytest.fixture(scope="session")
def every_case_outcome():
    """The outcome of every enumerated case on each port, run once per process and
    untraced (``coverage_paused``); analysis/cases.py keeps them for the tests after it:
    the cases group's checks, baselines and replays of the records read them instead of
    running the whole space again under the tracer (about three times the CPU).  The
    tests of cases.py and the smaller tests reach every line those runs do (the gate
    checks it)."""
    from qemu_migration.analysis import cases
    with coverage_paused():
        cases.prefetch(cases.VERSION_NAMES, cases.enumerate_cases())


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_call(item):
    """A ``no_cover`` test's call runs with no tracer at all.  pytest-cov stops its own
    measurement for it, which under pytest-xdist is not enough: a worker starts two
    (pytest-cov 7.1 starts a central one when the worker loads its conftests, then the
    worker's own at its session start), and stopping the second starts the first again,
    which then traced every line of the call (the fault matrix, untraced in 13 s, took
    twice the CPU).  Inside pytest-cov's wrapper (trylast), whatever still measures is
    stopped too, and started again in the same order after."""
    if item.get_closest_marker("no_cover") is None:
        yield
        return
    with coverage_paused():
        yield


# --- the fault matrix: built once, kept between runs -----------------------------------------
#
# The rows of `protocol --faults` (about 8 s of CPU) depend on the package's code, on the
# fixture XML its hosts are loaded from, and on the XML parser: nothing else.  They are kept
# in the cache folder (paths.cache_dir) under a key made of all of those, so a run after one
# that changed none of them reads them back (0.2 s) instead of building them again; a change
# of any of them gives another key, and the rows are built afresh (and kept).  One file per
# checkout (paths.checkout_file): two checkouts do not evict each other's.

KEPT_FORMAT = b"qemu-migration tests kept rows 1"


def kept_key(name, source=None, fixtures=None):
    """The key ``name``'s kept rows are valid under: sha256 of ``name``, the package's
    source and the Python that runs it (``paths.source_digest``, or ``source``), every
    XML file under the fixtures folder (or ``fixtures``; each by path and content), and
    the versions of lxml and libxml2 that parse them, and this file (where what computes
    the rows is written)."""
    import hashlib
    from lxml import etree
    from qemu_migration import paths
    root = Path(fixtures) if fixtures is not None else paths.fixtures_dir()
    h = hashlib.sha256(KEPT_FORMAT + b"\0" + name.encode() + b"\0")
    h.update((source if source is not None else paths.source_digest()).encode() + b"\0")
    h.update(repr((etree.LXML_VERSION, etree.LIBXML_VERSION)).encode() + b"\0")
    h.update(Path(__file__).read_bytes() + b"\0")
    for f in sorted(root.rglob("*.xml")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def kept_path(name):
    """The cache file of ``name``'s rows for this checkout (paths.checkout_file)."""
    from qemu_migration import paths
    return paths.checkout_file("tests-%s.marshal.z" % name)


def kept_rows(name, compute, key=None):
    """``compute()``'s value (plain data), read back from ``kept_path(name)`` when kept
    there under ``key`` (default ``kept_key(name)``), else computed and kept, compressed
    (paths.load_kept, paths.keep)."""
    from qemu_migration.paths import keep, load_kept
    key = kept_key(name) if key is None else key
    path = kept_path(name)
    value = load_kept(path, key)
    if value is None:
        value = compute()
        keep(path, key, value, compress=True)
    return value


@functools.cache
def fault_matrix():
    """Every row of `qemu-migration protocol --faults` (the matrix, each faultable
    call failing in turn, the clean guest's wakeups), built once (about 7 s of CPU,
    170 MB) and kept (``kept_rows``): test_fault_figures and test_upstream_protocol's
    replay share it.  Call it from the body of a ``no_cover`` test: built in a fixture's
    set-up, coverage would trace it."""
    from qemu_migration.engine.protocol import matrix
    return kept_rows("fault-matrix", lambda: matrix(faults=True))


@functools.cache
def fault_extra_rows():
    """engine/protocol.py's extra rows with their fault rows and the WAKEUP_ROWS, on the
    three versions (what compare runs besides the matrix), built once and kept, as
    ``fault_matrix``."""
    from qemu_migration.engine.protocol import extra_rows
    from qemu_migration.port import VERSION_NAMES
    return kept_rows("fault-extra-rows", lambda: extra_rows(VERSION_NAMES, faults=True))
