"""Observations of what the compiled upstream functions did, case by case.

``qemu-migration compare --record`` runs every case (the bundled scenarios and
every enumerated case) through the C build of each version and writes
``fixtures/upstream/<version>.json``: the commit, the sha256 of each extracted
function's text, the compiler, and per case a digest of the full outcome
record with a short summary.  These are facts about upstream's behaviour, not
upstream text.  Where no libvirt source is at hand (CI), the tests hold the
Python port to these observations case by case.
"""
import hashlib
import json
import marshal
import subprocess

from ..engine import run_call, run_scenario
from ..paths import fixtures_dir

RECORD_DIR = fixtures_dir() / "upstream"
FORMAT = 1
HOW_TO_RECORD = ("record it with: qemu-migration compare --libvirt-src DIR --record "
                 "(DIR: a libvirt checkout or mirror holding the three commits)")


def digest(outcome):
    """A short hash of an outcome (one call's dict, or a scenario's list of them)."""
    text = json.dumps(outcome, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def same(a, b):
    """Whether two outcomes have the same digest, without hashing them when they are
    plainly identical: equal as Python values and with the same types all the way down
    (marshal's format keeps True apart from 1 and a list from a tuple, as JSON does
    the first).  Anything else is decided by the digests themselves."""
    try:
        if a == b and marshal.dumps(a, 0) == marshal.dumps(b, 0):
            return True
    except ValueError:      # something marshal cannot write: let the digests decide
        pass
    return digest(a) == digest(b)


def summary(outcome):
    """A few words on an outcome, for people reading a mismatch."""
    outs = outcome if isinstance(outcome, list) else [outcome]
    parts = []
    for o in outs:
        err = o["error"]["code"] if o["error"] else "no error"
        parts.append("ret=%s %s%s" % ("NULL" if o["return"] is None else o["return"], err,
                                      " +%d violations" % len(o["violations"])
                                      if o["violations"] else ""))
    return "; ".join(parts)


def _scenarios():
    from ..loader import bundled_scenarios, load_scenario
    return [load_scenario(p) for p in bundled_scenarios()]


def case_ids_and_runners():
    """Every case as (id, run(version, impl) -> outcome): scenarios first, then the
    enumerated cases."""
    from ..analysis.cases import enumerate_cases
    items = [("scenario/" + sc.name, lambda v, impl, sc=sc: run_scenario(sc, v, impl))
             for sc in _scenarios()]
    for case in enumerate_cases():
        items.append((case.id, lambda v, impl, c=case: run_call(c.make_world(), v, c.call, impl)))
    return items


def python_outcomes(version, port=None):
    """{case id: outcome} of the Python port (enumerated cases from the shared cache), or
    of ``port``, a module standing in for the version's port (a deliberately broken copy)."""
    from ..analysis.cases import enumerate_cases, outcomes
    result = {"scenario/" + sc.name: run_scenario(sc, version, port) for sc in _scenarios()}
    cases = enumerate_cases()
    if port is None:
        outs = outcomes(version, cases)
    else:
        outs = [run_call(c.make_world(), version, c.call, port) for c in cases]
    for case, out in zip(cases, outs):
        result[case.id] = out
    return result


def compiler_version(cc):
    try:
        p = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30)
        return p.stdout.splitlines()[0] if p.stdout else cc
    except (OSError, subprocess.SubprocessError):   # pragma: no cover - cc was just used
        return cc


def write(version, built, c_outcomes, cc, coverage=None):
    """Write the observations; ``coverage`` is upstream/coverage.py's recorded() of the
    same run: per function, lines executed, lines, and the unexecuted line numbers."""
    RECORD_DIR.mkdir(parents=True, exist_ok=True)
    data = {
        "format": FORMAT,
        "version": version,
        "commit": built.spec.commit,
        "functions": {f.name: hashlib.sha256(f.text.encode()).hexdigest()
                      for f in built.spec.functions},
        "compiler": compiler_version(cc),
        "cases": {cid: "%s %s" % (digest(o), summary(o)) for cid, o in sorted(c_outcomes.items())},
    }
    path = RECORD_DIR / ("%s.json" % version)
    with open(path, "w") as f:
        f.write("{\n")
        head = {k: v for k, v in data.items() if k not in ("cases", "coverage")}
        for k, v in head.items():
            f.write(" %s: %s,\n" % (json.dumps(k), json.dumps(v, sort_keys=True)))
        if coverage is not None:    # one line per function
            f.write(' "coverage": {\n')
            rows = list(coverage.items())
            for i, (name, val) in enumerate(rows):
                f.write("  %s: %s%s\n" % (json.dumps(name), json.dumps(val),
                                           "," if i < len(rows) - 1 else ""))
            f.write(" },\n")
        f.write(' "cases": {\n')
        rows = list(data["cases"].items())
        for i, (cid, val) in enumerate(rows):
            f.write("  %s: %s%s\n" % (json.dumps(cid), json.dumps(val),
                                       "," if i < len(rows) - 1 else ""))
        f.write(" }\n}\n")
    return path


def load(version):
    path = RECORD_DIR / ("%s.json" % version)
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def check_against_record(version, outcomes_by_id):
    """Problems (strings) between the Python outcomes and the recorded observations."""
    rec = load(version)
    if rec is None:
        return ["no upstream observations for '%s' (%s missing); %s"
                % (version, RECORD_DIR / ("%s.json" % version), HOW_TO_RECORD)]
    problems = []
    recorded = rec["cases"]
    missing = [cid for cid in outcomes_by_id if cid not in recorded]
    if missing:
        problems.append("%d case(s) on '%s' have no recorded upstream observation, e.g. %s; %s"
                        % (len(missing), version, missing[0], HOW_TO_RECORD))
    stale = [cid for cid in recorded if cid not in outcomes_by_id]
    if stale:
        problems.append("%d recorded observation(s) on '%s' match no current case, e.g. %s; %s"
                        % (len(stale), version, stale[0], HOW_TO_RECORD))
    for cid, out in outcomes_by_id.items():
        if cid in recorded:
            want = recorded[cid].split(" ", 1)
            got = digest(out)
            if got != want[0]:
                problems.append("%s on '%s': the port gives %s (%s), upstream gave %s (%s)"
                                % (cid, version, got, summary(out), want[0], want[1]))
    return problems
