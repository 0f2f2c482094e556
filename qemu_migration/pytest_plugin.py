"""pytest plugin: every scenario file is a test item, checked against its golden file.

A scenario ``NAME.xml`` is expected to have ``NAME.expected.json`` beside it
holding the outcomes of every call on every version.  The plugin collects the
scenario files found under the folders named by the ``qemu_migration_scenarios``
ini option or ``--qemu-migration-scenarios DIR`` (repeatable), so a regression
suite outside this repository points it at its own folder.  With
``QEMU_MIGRATION_REGENERATE=1`` the golden files are rewritten from what the
code does now (and the item passes): review the change before committing it.
"""
import difflib
import json
import os
from pathlib import Path

import pytest

REGENERATE_ENV = "QEMU_MIGRATION_REGENERATE"


def pytest_addoption(parser):
    parser.addini("qemu_migration_scenarios", "folders of scenario files to collect",
                  type="linelist", default=[])
    parser.addoption("--qemu-migration-scenarios", action="append", default=[],
                     metavar="DIR", help="collect the scenario files in DIR")


def _scenario_dirs(config):
    dirs = [config.rootpath / d for d in config.getini("qemu_migration_scenarios")]
    dirs += [Path(d).resolve() for d in config.getoption("qemu_migration_scenarios")]
    return [d.resolve() for d in dirs]


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".xml":
        return None
    if file_path.parent.resolve() not in _scenario_dirs(parent.config):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


def golden_path(scenario_path):
    p = Path(scenario_path)
    return p.with_name(p.stem + ".expected.json")


def compute(scenario):
    from .engine import run_scenario
    from .port import VERSION_NAMES
    return {"scenario": scenario.name,
            "versions": {v: run_scenario(scenario, v) for v in VERSION_NAMES}}


def dumps(data):
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


class ScenarioFile(pytest.File):
    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class GoldenMismatch(Exception):
    pass


class ScenarioItem(pytest.Item):
    def runtest(self):
        from .loader import load_scenario
        scenario = load_scenario(self.path)
        actual = dumps(compute(scenario))
        golden = golden_path(self.path)
        if os.environ.get(REGENERATE_ENV) == "1":
            golden.write_text(actual)
            return
        if not golden.exists():
            raise GoldenMismatch("no golden file %s; create it with %s=1 and review it"
                                 % (golden, REGENERATE_ENV))
        expected = golden.read_text()
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(True),
                                                actual.splitlines(True),
                                                str(golden), "actual", n=2))
            raise GoldenMismatch("outcome differs from %s (%s=1 rewrites it):\n%s"
                                 % (golden.name, REGENERATE_ENV, diff))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, GoldenMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, "scenario %s" % self.name
