"""The command line as a user meets it: outputs, exit statuses, one-line errors."""
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qemu_migration.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "fixtures" / "scenarios"
TWICE = SCEN / "perform-p2p-snapshots-twice.xml"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        rc = main(list(argv), out=out)
    finally:
        sys.stderr = old
    return rc, out.getvalue(), err.getvalue()


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


def test_run_default_is_every_bundled_scenario():
    rc, out, _ = run("run", "--json")
    names = {s["name"] for s in json.loads(out)["scenarios"]}
    assert names == {p.stem for p in SCEN.glob("*.xml")}


def test_list_one_line_each():
    rc, out, _ = run("list")
    lines = out.splitlines()
    assert rc == 0 and len(lines) == len(list(SCEN.glob("*.xml")))
    assert any(l.startswith("perform-p2p-snapshots-twice ") for l in lines)


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
