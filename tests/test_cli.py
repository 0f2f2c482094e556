"""The command line as a user meets it: outputs, exit statuses, one-line errors."""
import errno
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qemu_migration import cli
from qemu_migration.engine import batch as B
from qemu_migration.cli import main
from qemu_migration.cliutil import UsageError, versions
from conftest import cli_run as run, untraced

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "fixtures" / "scenarios"
TWICE = SCEN / "perform-p2p-snapshots-twice.xml"




def test_run_text_shows_leak_on_post_only():
    rc, out, err = run("run", str(TWICE), "--verbose")
    assert rc == 0 and err == ""
    post = out.split("    post  ")[1].split("    fixed ")[0]
    assert "VIOLATION async-job-leaked" in post
    fixed_blocks = out.split("    fixed ")[1:]
    assert all("VIOLATION" not in b.split("    pre   ")[0] for b in fixed_blocks)
    assert "Timed out during operation: cannot acquire state change lock" in out
    assert out.rstrip().endswith("invariant violations: pre 0, post 2, fixed 0")


def test_run_json_has_every_version_and_call():
    rc, out, _ = run("run", str(TWICE), "--json")
    data = json.loads(out)
    sc = data["scenarios"][0]
    assert sc["name"] == "perform-p2p-snapshots-twice"
    assert set(sc["versions"]) == {"pre", "post", "fixed"}
    second = sc["versions"]["post"][1]
    assert second["error"]["code"] == "VIR_ERR_OPERATION_TIMEOUT"
    assert second["error"]["message"] == ("Timed out during operation: "
                                          "cannot acquire state change lock")
    assert sc["versions"]["fixed"][1]["error"]["raw"].startswith("cannot migrate domain with")


def test_run_one_version_and_a_folder(tmp_path):
    rc, out, _ = run("run", str(SCEN), "--version", "fixed")
    assert rc == 0
    assert "    post  " not in out and "    fixed " in out
    n = len(list(SCEN.glob("*.xml")))
    assert ("%d scenarios" % n) in out


@untraced
def test_run_default_is_every_bundled_scenario():
    rc, out, _ = run("run", "--json")
    names = [s["name"] for s in json.loads(out)["scenarios"]]
    one_host = {p.stem for p in SCEN.glob("*.xml")}
    two_host = {p.stem for p in SCEN.glob("protocol/*.xml")}
    # the one-host scenarios, then the two-host ones
    assert set(names[:len(one_host)]) == one_host and set(names[len(one_host):]) == two_host
    assert two_host and len(names) == len(one_host) + len(two_host)
    rc, out, _ = run("run")
    lines = out.splitlines()
    assert lines[-2].startswith("%d scenarios, " % len(one_host))
    assert lines[-1].startswith("%d migrations; invariant violations: " % len(two_host))
    # each two-host scenario's line comes after the last one-host scenario's
    assert out.index("pre-v3-snapshots-strands\n") > out.index("prepare-tunnel-pci-hostdev\n")


def test_list_one_line_each():
    rc, out, _ = run("list")
    lines = out.splitlines()
    assert rc == 0 and len(lines) == len(list(SCEN.glob("*.xml"))) + len(
        list(SCEN.glob("protocol/*.xml")))
    assert any(l.startswith("perform-p2p-snapshots-twice ") for l in lines)
    assert lines[-1].startswith("pre-v3-snapshots-strands ")     # the two-host ones last


def test_show_domain_status():
    rc, out, _ = run("show", str(ROOT / "fixtures/domains/files1.begin3.status.xml"))
    assert rc == 0 and "begin3" in out and "migration out" in out


@pytest.mark.parametrize("argv,fragment", [
    (["run", "no/such/file.xml"], "no/such/file.xml: /: file does not exist"),
    (["run", "--version", "later"], "unknown version 'later'"),
    (["show", "tests/data/bad/doctype-entity.xml"], "document type declarations"),
    (["show", "tests/data/bad/malformed.xml"], "malformed XML"),
    (["run", "tests/data/bad/scenario-unknown-function.xml"], "unknown function"),
])
def test_bad_input_is_one_line_and_status_2(argv, fragment, monkeypatch):
    monkeypatch.chdir(ROOT)
    rc, out, err = run(*argv)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("qemu-migration: ") and fragment in err


def test_module_entry_point_without_traceback():
    p = subprocess.run([sys.executable, "-m", "qemu_migration", "show", "nope.xml"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert p.stderr == "qemu-migration: nope.xml: /: file does not exist\n"
    assert "Traceback" not in p.stderr


# --- the edges: argparse, output that cannot be written, Ctrl-C, odd file names -------------

def _one_line(err):
    return err.count("\n") == 1 and err.startswith("qemu-migration: ")


@pytest.mark.parametrize("argv,line", [
    ([], "the following arguments are required: command (see qemu-migration --help)"),
    (["bogus"], "argument command: invalid choice: 'bogus' (choose from 'run', 'list', 'show', "
                "'diff', 'check', 'cases', 'export', 'explain', 'protocol', 'compare') "
                "(see qemu-migration --help)"),
    (["show"], "show: the following arguments are required: file "
               "(see qemu-migration show --help)"),
    (["run", "--bogus"], "unrecognized arguments: --bogus (see qemu-migration --help)"),
    (["diff", "--json", "--markdown"], "diff: argument --markdown: not allowed with argument "
                                       "--json (see qemu-migration diff --help)"),
    (["compare"], "compare: the following arguments are required: --libvirt-src "
                  "(see qemu-migration compare --help)"),
])
def test_argparse_errors_are_one_line(argv, line):
    rc, out, err = run(*argv)
    assert (rc, out, err) == (2, "", "qemu-migration: %s\n" % line)


def test_help_is_still_the_whole_help():
    rc, out, err = run("run", "--help")
    assert rc == 0 and err == ""
    assert out.startswith("usage: qemu-migration run [-h]") and "--version VERSION" in out


def test_run_on_a_folder_without_scenarios_is_an_error(tmp_path):
    (tmp_path / "domains").mkdir()
    (tmp_path / "domains" / "web1.xml").write_bytes((ROOT / "fixtures/domains/web1.xml")
                                                    .read_bytes())
    rc, out, err = run("run", str(tmp_path))
    assert rc == 2 and out == ""
    assert err == ("qemu-migration: %s: no scenario files in this folder or below (.xml files "
                   "whose root element is <scenario>)\n" % tmp_path)


def _scenario_tree(tmp_path, faults=""):
    """A scenario two folders down, with the domain and snapshot files it names beside it."""
    text = TWICE.read_text().replace("../domains/", str(ROOT / "fixtures/domains") + "/")
    text = text.replace("../snapshots/", str(ROOT / "fixtures/snapshots") + "/")
    text = text.replace("</call>", faults + "</call>", 1)
    p = tmp_path / "a" / "b" / "twice.xml"
    p.parent.mkdir(parents=True)
    p.write_text(text)
    (tmp_path / "a" / "web1.xml").write_bytes((ROOT / "fixtures/domains/web1.xml").read_bytes())
    return p


def test_run_on_a_folder_finds_scenarios_below_and_nothing_else(tmp_path):
    _scenario_tree(tmp_path)
    rc, out, err = run("run", str(tmp_path), "--json")
    assert rc == 0 and err == ""
    data = json.loads(out)
    assert [s["file"] for s in data["scenarios"]] == ["twice.xml"]   # review.rel: not under cwd
    assert data["scenarios"][0]["unfired_faults"] == {"pre": [[], []], "post": [[], []],
                                                      "fixed": [[], []]}


def test_a_fault_that_never_fired_is_a_warning_in_run(tmp_path):
    # pre migrates and reaches doPeer2PeerMigrate once; post and fixed refuse before it
    _scenario_tree(tmp_path, '<fault callee="doPeer2PeerMigrate"/>'
                             '<fault callee="doPeer2PeerMigrate" nth="2"/>')
    rc, out, err = run("run", str(tmp_path))
    assert rc == 0 and err == ""
    assert out.splitlines()[-3:] == [
        "    WARNING call 1: fault doPeer2PeerMigrate#1 never fired on post|fixed",
        "    WARNING call 1: fault doPeer2PeerMigrate#2 never fired on pre|post|fixed",
        "1 scenarios, 2 calls; invariant violations: pre 0, post 2, fixed 0; "
        "faults that never fired: pre 1, post 2, fixed 2"]
    rc, out, err = run("run", str(tmp_path), "--verbose")
    warnings = [l.strip() for l in out.splitlines() if "WARNING" in l]
    assert warnings == ["WARNING fault doPeer2PeerMigrate#2 never fired: the call did not get "
                        "there"] + ["WARNING fault doPeer2PeerMigrate#%d never fired: the call "
                                    "did not get there" % n for v in ("post", "fixed")
                                    for n in (1, 2)]
    assert out.rstrip().endswith("; faults that never fired: pre 1, post 2, fixed 2")
    rc, out, err = run("run", str(tmp_path), "--json", "--version", "post")
    sc = json.loads(out)["scenarios"][0]
    assert sc["unfired_faults"] == {"post": [["doPeer2PeerMigrate#1", "doPeer2PeerMigrate#2"],
                                             []]}
    # the outcomes themselves carry no such field: they are what goldens and records hold
    assert "unfired_faults" not in sc["versions"]["post"][0]


class _Stream:
    """An output stream whose write or flush fails the way a real one can."""

    def __init__(self, err, on="write"):
        self.err, self.on, self.written = err, on, []

    def write(self, text):
        if self.on == "write":
            raise self.err
        self.written.append(text)

    def flush(self):
        if self.on == "flush":
            raise self.err


@pytest.mark.parametrize("on", ["write", "flush"])
@pytest.mark.parametrize("err,status,message", [
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), 141, ""),
    (OSError(errno.ENOSPC, "No space left on device"), 2,
     "qemu-migration: cannot write to standard output: No space left on device\n"),
])
def test_output_errors_in_process(on, err, status, message):
    stream = _Stream(err, on)
    errs = io.StringIO()
    old, sys.stderr = sys.stderr, errs
    try:
        rc = main(["list"], out=stream)
    finally:
        sys.stderr = old
    assert (rc, errs.getvalue()) == (status, message)


def test_stdout_closed_from_the_start_in_process(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["list"]) == 2
    assert capsys.readouterr().err == ("qemu-migration: cannot write to standard output: "
                                       "Bad file descriptor\n")
    # a bad argument is reported as such: nothing was written yet
    assert main(["show", "nope.xml"]) == 2
    assert "nope.xml: /: file does not exist" in capsys.readouterr().err


def test_no_stderr_to_write_to(monkeypatch):
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["show", "nope.xml"], out=io.StringIO()) == 2


def test_ctrl_c_in_process(monkeypatch):
    def interrupted(args, out):
        out.write("half a line")
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "cmd_list", interrupted)
    assert run("list") == (130, "half a line", "qemu-migration: interrupted\n")


def _cli(*args, **kw):
    env = dict(os.environ, PYTHONUTF8="1")
    env.update(kw.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "qemu_migration", *args], capture_output=True,
                          cwd=ROOT, env=env, **kw)


def _shell(command):
    """``command`` (after `qemu-migration`) through sh, for redirections such as >&-."""
    return subprocess.run(["sh", "-c", "exec %s -m qemu_migration %s" % (sys.executable, command)],
                          capture_output=True, cwd=ROOT, env=dict(os.environ, PYTHONUTF8="1"))


@pytest.mark.parametrize("redirect,strerror", [(">/dev/full", "No space left on device"),
                                               (">&-", "Bad file descriptor")])
@pytest.mark.parametrize("command", ["list", "--help", "run --json"])
def test_full_or_closed_stdout_is_one_line(command, redirect, strerror):
    p = _shell("%s %s" % (command, redirect))
    assert p.returncode == 2
    assert p.stderr == b"qemu-migration: cannot write to standard output: %s\n" % \
        strerror.encode()


def test_closed_stderr_still_gives_the_status():
    p = _shell("show nope.xml 2>&-")
    assert (p.returncode, p.stdout, p.stderr) == (2, b"", b"")


def test_a_reader_that_goes_away_is_silent_status_141():
    p = subprocess.Popen([sys.executable, "-m", "qemu_migration", "run", "--json"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"{\n"
    p.stdout.close()            # as `| head -1` does once it has its line
    err = p.stderr.read()
    assert (p.wait(), err) == (141, b"")


def _sigmasks(pid):
    """The signal masks of a process's main thread (SigBlk, SigIgn, SigCgt), from /proc."""
    fields = dict(line.split(":\t", 1) for line in
                  Path("/proc/%d/status" % pid).read_text().splitlines() if ":\t" in line)
    return {k: int(fields[k], 16) for k in ("SigBlk", "SigIgn", "SigCgt")}


def _answers_sigint(pid):
    """SIGINT reaches Python's handler: caught, neither blocked nor ignored."""
    m = _sigmasks(pid)
    bit = 1 << (signal.SIGINT - 1)
    return bool(m["SigCgt"] & bit) and not (m["SigBlk"] | m["SigIgn"]) & bit


def _ignores_sigint(pid):
    m = _sigmasks(pid)
    bit = 1 << (signal.SIGINT - 1)
    return bool(m["SigIgn"] & bit) and not m["SigBlk"] & bit


def test_ctrl_c_during_diff_with_workers_is_one_line():
    """SIGINT to the process group, as a terminal sends it, while two forked workers run
    (QEMU_MIGRATION_JOBS=3: the enumeration's batch on a cold cache has three workers, the
    readings of diff's runs this process and two workers).

    The child gets SIGINT's default disposition back (preexec_fn) whatever this
    process has (a shell's background job ignores SIGINT, and an ignored SIGINT
    stays ignored across exec, so Python would install no handler).  The signal is
    sent once the run is ready for it, as /proc shows: the parent answers SIGINT
    (the workers' fork, under a blocked SIGINT, is over) and both workers ignore it
    (their initializer ran): no sleep that a loaded machine can outrun."""
    p = subprocess.Popen([sys.executable, "-m", "qemu_migration", "diff"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         env=dict(os.environ, QEMU_MIGRATION_JOBS="3"),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children = Path("/proc/%d/task/%d/children" % (p.pid, p.pid))
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                kids = [int(c) for c in children.read_text().split()]
                if len(kids) >= 2 and _answers_sigint(p.pid) and all(map(_ignores_sigint, kids)):
                    break
            except (FileNotFoundError, ProcessLookupError):   # a worker or the run is gone
                pass
            if p.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("diff never had two workers ready (status %r)"
                                     % p.returncode)
            time.sleep(0.005)
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=120)
    except BaseException:   # pragma: no cover - only when the handling is broken
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise
    assert (p.returncode, err) == (130, b"qemu-migration: interrupted\n")


def test_file_names_that_are_not_utf8(tmp_path):
    good = _scenario_tree(tmp_path)
    odd = good.with_name(os.fsdecode(b"sc\xff.xml"))
    good.rename(odd)
    bad = tmp_path / os.fsdecode(b"bad\xfe.xml")
    bad.write_text("<scenario")
    # in process: what is printed has the bytes as \xNN
    rc, out, err = run("show", str(odd))
    assert rc == 0 and "sc\\xff.xml" in out.splitlines()[0]
    rc, out, err = run("run", str(bad))
    assert rc == 2 and _one_line(err)
    assert err.startswith("qemu-migration: %s/bad\\xfe.xml: line 1, column 10: malformed XML"
                          % tmp_path)
    # and for real, on UTF-8 standard streams
    p = _cli("show", os.fsencode(odd))
    assert p.returncode == 0 and b"sc\\xff.xml)" in p.stdout.splitlines()[0]
    p = _cli("run", os.fsencode(tmp_path))
    assert p.returncode == 2 and p.stdout == b""
    assert p.stderr.startswith(b"qemu-migration: " + os.fsencode(tmp_path) + b"/bad\\xfe.xml: ")
    assert p.stderr.count(b"\n") == 1


def test_scenario_text_without_unfired_faults_has_no_warning():
    from qemu_migration.engine import run_scenario_unfired
    from qemu_migration.engine.text import scenario_text
    from qemu_migration.loader import load_scenario
    sc = load_scenario(TWICE)
    outcomes, unfired = run_scenario_unfired(sc, "post")
    assert scenario_text(sc, {"post": outcomes}) == scenario_text(sc, {"post": outcomes},
                                                                  {"post": unfired})


def test_sigint_ignored_during_the_shutdown_and_the_handler_comes_back():
    before = signal.getsignal(signal.SIGINT)
    with B.sigint_ignored():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is before
    # outside the main thread there is no handler to change, nor a KeyboardInterrupt to fear
    seen = []

    def in_thread():
        with B.sigint_ignored():
            seen.append(signal.getsignal(signal.SIGINT))
    t = threading.Thread(target=in_thread)
    t.start()
    t.join()
    assert seen == [before]


def test_ctrl_c_while_waiting_for_workers_stops_the_pool(monkeypatch):
    from qemu_migration.analysis import cases as C
    calls = []

    class Pool:
        def map(self, fn, chunks):
            calls.append(("map", signal.getsignal(signal.SIGINT),
                          signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
            return iter(self)

        def __iter__(self):
            raise KeyboardInterrupt
            yield

        def shutdown(self, cancel_futures):
            calls.append(("shutdown", cancel_futures, signal.getsignal(signal.SIGINT)))
    monkeypatch.setenv("QEMU_MIGRATION_JOBS", "2")
    monkeypatch.setattr(C, "_POOL", (2, Pool()))
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        C._run_batch([("post", None)] * C.PARALLEL_MIN)
    # the workers start with SIGINT held (blocked), the handler as it was; a second
    # Ctrl-C during the shutdown is ignored
    assert calls == [("map", before, True), ("shutdown", True, signal.SIG_IGN)]
    assert C._POOL is None and signal.getsignal(signal.SIGINT) is before
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


@pytest.fixture
def python_sigint():
    """SIGINT as Python sets it up in an interactive process (KeyboardInterrupt), also
    when pytest runs as a shell's background job, which starts with SIGINT ignored."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_ctrl_c_while_the_workers_start_is_held_not_lost(python_sigint):
    with pytest.raises(KeyboardInterrupt):
        with B.sigint_held():
            # to this thread, which holds it (a pytest-xdist worker's channel thread would
            # take one sent to the process)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)   # pending while held ...
            assert signal.SIGINT in signal.sigpending()
        pytest.fail("not delivered")               # ... and delivered when the hold ends


def test_a_worker_ignores_sigint_and_drops_what_is_pending():
    before = signal.getsignal(signal.SIGINT)
    try:
        with B.sigint_held():
            # pending on this thread, which blocks it (sent to the process, another thread
            # that does not block it, as a pytest-xdist worker's channel thread, takes it)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
            B.quiet_worker()      # as a forked worker does first: ignored, unblocked
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.SIGINT not in signal.sigpending()
    finally:
        signal.signal(signal.SIGINT, before)


def test_shared_version_reading():
    assert versions("all") == versions(None) == ["pre", "post", "fixed"]
    assert versions("post", allow_all=False) == ["post"]
    with pytest.raises(UsageError, match=r"^unknown version 'all' \(expected pre, post, fixed\)$"):
        versions("all", allow_all=False)
    with pytest.raises(UsageError, match=r"expected pre, post, fixed or all\)$"):
        versions("later")
