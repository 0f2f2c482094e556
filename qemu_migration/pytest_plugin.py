"""pytest plugin: every scenario file is a test item, checked against its golden file.

A scenario ``NAME.xml`` is expected to have ``NAME.expected.json`` beside it
holding the outcomes of every call on every version.  The plugin collects the
scenario files found under the folders named by the ``qemu_migration_scenarios``
ini option or ``--qemu-migration-scenarios DIR`` (repeatable), and in their
subfolders, so a regression suite outside this repository points it at its own
folder.  A scenario file is an ``.xml`` file whose root element is
``<scenario>`` (domain, status and snapshot files beside the scenarios are not
items; a file whose root cannot be read is one, and fails saying why).  A
folder named there that does not exist is a usage error.

An item fails, with the reason in its first line (what pytest's short summary
shows), when the scenario does not load, when a ``<fault>`` of a call fires on
none of the versions (the call never reaches that callee: the scenario does not
test what it says), or when the outcomes differ from the golden file: then the
first line names the version, the call and the field, and the diff follows.
With ``QEMU_MIGRATION_REGENERATE=1`` the golden files are rewritten from what
the code does now (and the item passes unless a fault never fired): review the
change before committing it.
"""
import difflib
import json
import os
from pathlib import Path

import pytest

REGENERATE_ENV = "QEMU_MIGRATION_REGENERATE"
_DIRS = pytest.StashKey[list]()
_REASON = "qemu_migration_failure"      # the user property holding an item's one-line reason


def pytest_addoption(parser):
    parser.addini("qemu_migration_scenarios", "folders of scenario files to collect "
                  "(searched recursively)", type="linelist", default=[])
    parser.addoption("--qemu-migration-scenarios", action="append", default=[],
                     metavar="DIR", help="collect the scenario files in DIR and below")


def _scenario_dirs(config):
    """[(folder, where it was named)] from the ini option and the command line."""
    ini = config.inipath.name if config.inipath else "the ini file"
    dirs = [(config.rootpath / d, "qemu_migration_scenarios in %s" % ini)
            for d in config.getini("qemu_migration_scenarios")]
    dirs += [(Path(d), "--qemu-migration-scenarios")
             for d in config.getoption("qemu_migration_scenarios")]
    return dirs


def pytest_configure(config):
    dirs = _scenario_dirs(config)
    for d, origin in dirs:
        if not d.is_dir():
            raise pytest.UsageError("qemu-migration: scenario folder %s (from %s) %s" % (
                d, origin, "is not a folder" if d.exists() else "does not exist"))
    config.stash[_DIRS] = [d.resolve() for d, _ in dirs]
    _visit(config, dirs)


def _visit(config, dirs):
    """Make pytest visit every folder named: one given on the command line always, one
    from the ini file when the run's paths were not given either (pytest took them from
    ``testpaths`` or the invocation folder), so that no named folder is passed over
    silently while a run that names its own paths runs just those."""
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    base = config.invocation_params.dir
    visited = [(base / a.split("::")[0]).resolve() for a in config.args]
    for d, origin in dirs:
        if explicit and origin != "--qemu-migration-scenarios":
            continue
        d = d.resolve()
        if not any(v == d or v in d.parents for v in visited):
            config.args.append(str(d))
            visited.append(d)


def pytest_collect_file(file_path, parent):
    dirs = parent.config.stash.get(_DIRS, [])
    if file_path.suffix != ".xml" or not dirs:
        return None
    if not any(d in file_path.resolve().parents for d in dirs):
        return None
    from .loader import is_scenario_file
    if not is_scenario_file(file_path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


def pytest_terminal_summary(terminalreporter):
    """The one-line reason of every failed scenario, whole: the short summary cuts
    its lines to the terminal's width."""
    reasons = [(r.nodeid, dict(r.user_properties)[_REASON])
               for r in terminalreporter.stats.get("failed", [])
               if _REASON in dict(r.user_properties)]
    if reasons:
        terminalreporter.section("qemu-migration scenarios that failed")
        for nodeid, reason in reasons:
            terminalreporter.write_line("%s: %s" % (nodeid, reason))


def golden_path(scenario_path):
    p = Path(scenario_path)
    return p.with_name(p.stem + ".expected.json")


def compute(scenario):
    """The golden data of ``scenario`` (every call on every version)."""
    return compute_with_unfired(scenario)[0]


def compute_migration(scenario):
    """The golden data of a two-host scenario: its row (engine/protocol.py)."""
    from .engine.protocol import Migration, run_migration
    return {"scenario": scenario.name,
            "migration": run_migration(Migration.from_scenario(scenario))}


def compute_with_unfired(scenario):
    """(golden data, {version: [faults that never fired, per call]})."""
    from .engine import run_scenario_unfired
    from .port import VERSION_NAMES
    runs = {v: run_scenario_unfired(scenario, v) for v in VERSION_NAMES}
    return ({"scenario": scenario.name, "versions": {v: r[0] for v, r in runs.items()}},
            {v: r[1] for v, r in runs.items()})


def dumps(data):
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def never_fired(scenario, unfired):
    """One line per fault that fired on no version: 'call 2 F: fault X#1 never fired ...'."""
    versions = list(unfired)
    lines = []
    for i, call in enumerate(scenario.calls):
        for fault in unfired[versions[0]][i]:
            if all(fault in unfired[v][i] for v in versions):
                lines.append("call %d %s: fault %s never fired on %s (the call never "
                             "reaches it)" % (i + 1, call.function, fault, ", ".join(versions)))
    return lines


def _field_differences(expected, actual, path=""):
    """Where two JSON values differ: 'error.message', 'trace[3]', 'out.uri_out is new'."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for k in list(actual) + [k for k in expected if k not in actual]:
            sub = "%s.%s" % (path, k) if path else k
            if k not in expected:
                out.append(sub + " is new")
            elif k not in actual:
                out.append(sub + " is gone")
            else:
                out.extend(_field_differences(expected[k], actual[k], sub))
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual))
                for d in _field_differences(e, a, "%s[%d]" % (path, i))]
    return [] if expected == actual else [(path or "the value") + " differs"]


def golden_differences(expected, actual):
    """What differs between two golden data, each line naming version, call and field
    (a two-host scenario's: the field of its row)."""
    out = ["scenario name differs"] if expected.get("scenario") != actual["scenario"] else []
    if "migration" in actual:
        return out + ["migration: %s" % d for d in _field_differences(
            expected.get("migration"), actual["migration"])]
    exp_versions = expected.get("versions") or {}
    for v, calls in actual["versions"].items():
        exp = exp_versions.get(v)
        if not isinstance(exp, list):
            out.append("%s: not in the golden file" % v)
            continue
        if len(exp) != len(calls):
            out.append("%s: %d calls, the golden file has %d" % (v, len(calls), len(exp)))
            continue
        for i, (e, a) in enumerate(zip(exp, calls)):
            out.extend("%s call %d %s: %s" % (v, i + 1, a["function"], d)
                       for d in _field_differences(e, a))
    out.extend("%s: only in the golden file" % v for v in exp_versions
               if v not in actual["versions"])
    return out


def _more(lines):
    return " (and %d more)" % (len(lines) - 1) if len(lines) > 1 else ""


class ScenarioFile(pytest.File):
    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioFailure(Exception):
    """A scenario item failed: ``str()`` is the whole report, its first line the reason."""


class ScenarioItem(pytest.Item):
    def _fail(self, reason, detail=""):
        self.user_properties.append((_REASON, reason))
        raise ScenarioFailure(reason + ("\n" + detail if detail else ""))

    def _relative(self, path):
        p = Path(os.path.normpath(os.path.abspath(path)))
        try:
            return str(p.relative_to(self.config.rootpath))
        except ValueError:
            return str(p)

    def runtest(self):
        from .loader import LoadError, load_scenario
        try:
            scenario = load_scenario(self.path)
        except LoadError as e:
            where = "" if e.path == str(self.path) else self._relative(e.path) + ": "
            self._fail("scenario does not load: %s%s: %s" % (where, e.element, e.problem))
        if hasattr(scenario, "flow"):       # a two-host scenario (loader/migration.py)
            data = compute_migration(scenario)
            dead = ["fault %s never fired (the migration never reaches it)" % f
                    for f in data["migration"]["unfired_faults"]]
            dead += ["wakeup %s never happened (the migration never passes that point)" % k
                     for k in data["migration"].get("unfired_wakeups", ())]
        else:
            data, unfired = compute_with_unfired(scenario)
            dead = never_fired(scenario, unfired)
        actual = dumps(data)
        golden = golden_path(self.path)
        if os.environ.get(REGENERATE_ENV) == "1":
            golden.write_text(actual)
        if dead:
            self._fail("scenario %s: %s%s" % (scenario.name, dead[0], _more(dead)),
                       "\n".join(dead[1:]))
        if os.environ.get(REGENERATE_ENV) == "1":
            return
        if not golden.exists():
            self._fail("no golden file %s; create it with %s=1 and review it"
                       % (golden.name, REGENERATE_ENV))
        expected = golden.read_text()
        if expected == actual:
            return
        try:
            differences = golden_differences(json.loads(expected), json.loads(actual))
        except (ValueError, AttributeError) as e:
            differences = ["%s is not a golden file (%s)" % (golden.name, e)]
        if not differences:
            differences = ["%s holds the same outcomes, written differently" % golden.name]
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            str(golden), "actual", n=2))
        self._fail(differences[0] + _more(differences),
                   "\n".join(differences[1:] + [
                       "outcome differs from %s (%s=1 rewrites it):" % (golden.name,
                                                                        REGENERATE_ENV),
                       diff]))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, "scenario %s" % self.name
