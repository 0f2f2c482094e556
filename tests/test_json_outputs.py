"""Every --json output: "schema": 1 first, and no absolute path of the machine that made it
(not the working directory, the home folder or a temporary folder), even when the
command was given absolute paths."""
import json
from pathlib import Path

import pytest

from qemu_migration import cli, review
from qemu_migration.cliutil import JSON_SCHEMA
from conftest import cli_out as _main

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "fixtures/scenarios/perform-p2p-snapshots-twice.xml"
CASE = ("PerformJob/autodestroy=no,snapshots=1,hostdevs=none,state=running,persistent=yes,"
        "job=none,flags=0,v3proto=no/fault=none")




def _strings(x):
    if isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, str):
        yield x


def machine_paths(tmp_path):
    return {str(p) for p in (Path.cwd(), Path.cwd().resolve(), Path.home(), ROOT,
                              tmp_path, tmp_path.resolve())}


def assert_portable_json(text, tmp_path):
    data = json.loads(text)
    assert list(data)[0] == "schema" and data["schema"] == JSON_SCHEMA == 1
    bad = machine_paths(tmp_path)
    for s in _strings(data):
        assert not any(p in s for p in bad), s
    return data


COMMANDS = [
    ["run", str(SCENARIO), "--json"],
    ["run", CASE, "--version", "post", "--json"],
    ["explain", CASE, "--from", "post", "--to", "fixed", "--json"],
    ["diff", "--function", "IsAllowed", "--json"],
    ["diff", "--function", "IsAllowed", "--format", "json"],
    ["check", "--version", "post", "--function", "PrepareTunnel", "--json"],
    ["check", "--version", "post", "--baseline", "pre", "--function", "IsAllowed", "--json"],
    ["cases", "--version", "pre", "--function", "IsAllowed", "--json"],
    ["protocol", "--flow", "v2", "--source", "post", "--destination", "pre", "--domain",
     "snapshots", "--faults", "--json"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_json_has_schema_and_no_machine_paths(argv, tmp_path):
    rc, text = _main(argv)
    assert rc in (0, 1)
    assert_portable_json(text, tmp_path)


def test_a_scenario_outside_the_project_is_named_without_its_folder(tmp_path):
    rc, text = _main(["export", CASE, str(tmp_path / "out")])
    assert rc == 0
    scenario = Path(text.strip())
    rc, text = _main(["run", str(scenario), "--version", "post", "--json"])
    data = assert_portable_json(text, tmp_path)
    assert data["scenarios"][0]["file"] == scenario.name


def test_every_json_command_is_covered():
    """A command that gains --json must be added to COMMANDS (compare: test_c_candidate)."""
    ap = cli.build_parser()
    sub = next(a for a in ap._actions if a.dest == "command")
    with_json = {name for name, p in sub.choices.items()
                 if any("--json" in a.option_strings for a in p._actions)}
    assert with_json == {a[0] for a in COMMANDS} | {"compare"}


def test_c_version_names_hold_no_machine_path(tmp_path, monkeypatch):
    monkeypatch.setattr(review, "_C_NAMES", {})
    monkeypatch.chdir(ROOT)
    assert review.c_version_name(str(ROOT / "tests")) == "c:tests"
    assert review.c_version_name(str(Path.home() / "src/libvirt"), "abc") == "c:~/src/libvirt@abc"
    a, b = tmp_path / "a/libvirt", tmp_path / "b/libvirt"
    assert review.c_version_name(str(a)) == "c:.../libvirt"
    assert review.c_version_name(str(b)) == "c:.../b/libvirt"      # kept apart from a
    assert review.c_version_name(str(a)) == "c:.../libvirt"        # the same folder, same name
    assert review.c_version_name("/") == "c:/"


MAPS = {"versions", "outcomes", "functions", "out", "statics"}   # keys are names, not fields


def _fields(x, parent=None):
    if isinstance(x, dict):
        for k, v in x.items():
            if parent not in MAPS:
                yield k
            yield from _fields(v, k)
    elif isinstance(x, list):
        for v in x:
            yield from _fields(v, parent)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_json_field_is_documented(argv):
    import re
    doc = (ROOT / "docs/json.md").read_text()
    assert "schema 1" in doc and "docs/json.md" in (ROOT / "README.md").read_text()
    rc, text = _main(argv)
    missing = {k for k in _fields(json.loads(text))
               if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(k), doc)}
    assert not missing
