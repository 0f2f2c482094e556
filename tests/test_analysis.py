"""The reviewer's view: what the diff and the check compute, asserted from their data.

Nothing here compares against a stored output: each fact is read off the
computed diff (classes, changes, refusals) or check (groups, exit status).
"""
import json
import re

import pytest

from qemu_migration.analysis import cases as C
from qemu_migration.analysis import check as K
from qemu_migration.analysis import diff as D
from qemu_migration.analysis.minimise import Space
from qemu_migration.engine.runner import ENTRY_NAMES, run_call
from conftest import cli_out as _main, cli_run, coverage_paused, untraced

ISALLOWED_REFUSALS = ("auto destroy", "snapshots", "host devices")

# the whole space's outcomes on each port, run untraced once for the process (conftest): the
# first module of the cases group, whose later modules read them too
pytestmark = pytest.mark.usefixtures("every_case_outcome")


# The two whole-space diffs the tests below read, computed untraced (conftest's
# coverage_paused; traced they took about three times as long): the smaller tests here and
# in test_diff_formats.py reach every line they run (the gate checks it).
@pytest.fixture(scope="module")
def pre_post():
    with coverage_paused():
        return D.diff("pre", "post")


@pytest.fixture(scope="module")
def post_fixed():
    with coverage_paused():
        return D.diff("post", "fixed")


def _headline(d, short):
    return next(h for h in d["headline"] if h["short"] == short)


def _cond(desc, dim):
    for c in desc["conditions"] or []:
        if c["dim"] == dim:
            return c
    return None


# --- the generator ----------------------------------------------------------------


def test_only_reachable_states():
    states = C.vm_states()
    assert len(states) == len({tuple(s.items()) for s in states})
    for s in states:
        if s["state"] == "shutoff":
            assert s["persistent"] == "yes"
            assert s["autodestroy"] == "no"
            assert s["job"] == "none"
    # every active combination is there
    active = [s for s in states if s["state"] != "shutoff"]
    assert len(active) == 2 * 2 * 3 * 3 * 2 * 3


def test_an_enumeration_from_nothing_runs_each_state_once_per_version(monkeypatch):
    """enumerate_cases with no case and no state's calls known in this process (the
    cache folder's calls left aside): the first whole enumeration of a process (below,
    untraced) runs these same lines, whichever test does it."""
    for cache in ("_CASES", "_CALLS", "_OUTCOMES"):
        monkeypatch.setattr(C, cache, {})
    monkeypatch.setattr(C, "_load_calls", lambda key: {})
    monkeypatch.setattr(C, "_save_calls", lambda key, calls: None)
    cs = C.enumerate_cases(["IsAllowed", "Begin"])
    bases = [c for c in cs if c.dims["fault"] == "none"]
    assert set(C._CALLS) == {(v, b.id) for v in C.VERSION_NAMES for b in bases}
    assert [c.id for c in C.enumerate_cases(["Begin"])] == [
        c.id for c in cs if c.function == "qemuMigrationBegin"]


def test_case_ids_unique_and_stable():
    with coverage_paused():     # the whole space, 48,000 cases: the test above runs its lines
        cs = C.enumerate_cases()
    ids = [c.id for c in cs]
    assert len(ids) == len(set(ids))
    assert C.case_count()["total"] == len(cs)
    assert C.enumerate_cases() is not cs and [c.id for c in C.enumerate_cases()] == ids
    for c in cs:
        assert c.id.startswith(c.short + "/")
        assert c.id.endswith("/fault=" + c.dims["fault"])


def test_worlds_are_fresh_and_refs_count_jobs():
    case = next(c for c in C.enumerate_cases(["PerformJob"])
                if c.dims["job"] == "migration-out" and c.dims["fault"] == "none")
    w1, w2 = case.make_world(), case.make_world()
    vm1 = w1.driver.find_by_name(C.NAME)
    assert vm1 is not w2.driver.find_by_name(C.NAME)
    assert vm1.refs == 2
    assert list(w1.driver.domains) == [vm1.def_.uuid]


def test_fault_cases_cover_every_faultable_call_of_every_version():
    """A fault case exists for each faultable call the fault-free run makes, on each version."""
    cs = C.enumerate_cases(["PrepareDirect"])
    ids = {c.id for c in cs}
    for base in [c for c in cs if c.dims["fault"] == "none"][:40]:
        for v in ("pre", "post", "fixed"):
            w = base.make_world()
            run_call(w, v, base.call)
            for name, n in w.calls.items():
                if name in C.FAULTABLE:
                    for k in range(1, n + 1):
                        assert "%s/fault=%s#%d" % (base.state_id, name, k) in ids


def test_outcomes_are_cached():
    cs = C.enumerate_cases(["IsAllowed"])
    a = C.outcomes("post", cs)
    b = C.outcomes("post", cs)
    assert all(x is y for x, y in zip(a, b))


def test_case_call_runs_like_its_outcome():
    cs = C.enumerate_cases(["Begin"])[:30]
    cached = C.outcomes("post", cs)
    for c, o in zip(cs, cached):
        fresh = run_call(c.make_world(), "post", c.call)
        assert fresh["return"] == o["return"] and fresh["violations"] == o["violations"]


# --- what a process computes once, computed here afresh --------------------------------
#
# The enumeration keeps per process what it builds (the reachable states, the dimension
# names, each state's template world and each case's call): whichever test comes first in
# a process fills them, and under pytest-xdist that may be an untraced one (no_cover) in
# every worker.  These build the same things again, outside those caches, so that the
# coverage gate holds in any order and any split of the tests over workers.


def test_the_extra_dimensions_set_the_port_counter_and_the_wakeup():
    seen = set()
    for f in ("qemuMigrationPrepareTunnel", "qemuMigrationPrepareDirect",
              "qemuMigrationPerformJob"):
        space = C.SPACES[f]
        for d in space.states.enumerated():
            if d["port"] != C.NA:
                w = space.build(d)
                assert w.statics[C.PORT_STATIC].value == C.PORT[d["port"]]
                seen.add((f, "port"))
            if d["meanwhile"] != C.NA:
                assert space.call(d, C.FaultPlan()).wakeups == [d["meanwhile"]]
                seen.add((f, "meanwhile"))
            else:
                assert not space.call(d, C.FaultPlan()).wakeups
    assert seen == {("qemuMigrationPrepareTunnel", "meanwhile"),
                    ("qemuMigrationPrepareDirect", "meanwhile"),
                    ("qemuMigrationPrepareDirect", "port"),
                    ("qemuMigrationPerformJob", "meanwhile")}


def test_reachable_states_and_dimension_names_made_afresh():
    f = "qemuMigrationIsAllowed"
    again = C._reachable(f, C.SPACES[f].states.enumerated)
    assert again() == C.SPACES[f].states()
    assert again() is not again()           # copies: a caller may change its own
    names = C._dimension_names.__wrapped__(f)
    assert names == tuple(C.SPACES[f].states()[0]) + ("fault",)
    assert C.dimension_names(f) == list(names)


# --- the diff, pre -> post ------------------------------------------------------------


def test_first_line_counts_cases(pre_post):
    text = D.render_text(pre_post)
    assert text.splitlines()[0] == "%d cases, pre -> post" % C.case_count()["total"]


def test_begin_and_performjob_now_refuse_snapshots(pre_post):
    for short in ("Begin", "PerformJob"):
        ch = [c for c in pre_post["changes"] if c["short"] == short
              and c["faults"] != "only" and "snapshots" in (c["to"]["error"] or "")]
        assert ch, short
        for c in ch:
            cond = _cond(c["description"], "snapshots")
            assert cond is not None and "0" not in cond["values"], c["inputs"]
        # and pre never refuses for snapshots
        pre = C.lazy_outcomes("pre", C.enumerate_cases([short]))
        assert not any(o["error"] and "snapshots" in o["error"]["message"] for o in pre)


def test_performjob_now_refuses_host_devices(pre_post):
    ch = [c for c in pre_post["changes"] if c["short"] == "PerformJob"
          and c["faults"] != "only" and "host devices" in (c["to"]["error"] or "")]
    assert ch
    assert any(w["outcome"] == "succeeded" for c in ch for w in c["was"])
    assert _cond(ch[0]["description"], "hostdevs")["values"] == ["pci", "usb"]
    pre = C.lazy_outcomes("pre", C.enumerate_cases(["PerformJob"]))
    assert not any(o["error"] and "host devices" in o["error"]["message"] for o in pre)


def test_post_isallowed_refusals_in_performjob_leak_but_not_running_does_not(pre_post):
    refusals = [r for r in pre_post["refusals"] if r["short"] == "PerformJob"]
    by_error = {}
    for r in refusals:
        by_error.setdefault(r["error"], []).append(r)
    allowed = [r for r in refusals if any(k in r["error"] for k in ISALLOWED_REFUSALS)]
    assert {k for k in ISALLOWED_REFUSALS
            if any(k in r["error"] for r in allowed)} == set(ISALLOWED_REFUSALS)
    for r in allowed:
        assert "async-job-leaked" in r["violations"]
        assert "refs-unbalanced" in r["violations"]
    not_running = [r for r in refusals if r["error"].endswith("domain is not running")]
    assert not_running and all(r["violations"] == [] for r in not_running)
    assert _cond(not_running[0]["description"], "state")["values"] == ["shutoff"]


def test_prepares_unchanged(pre_post):
    for short in ("PrepareTunnel", "PrepareDirect"):
        h = _headline(pre_post, short)
        assert h["unchanged"] and h["changed_cases"] == 0 and h["cases"] > 0
    assert not any(c["short"].startswith("Prepare") for c in pre_post["classes"])


def test_classes_without_faults_come_first(pre_post):
    ranks = [{"none": 0, "some": 1, "only": 2}[c["faults"]] for c in pre_post["classes"]]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0


def test_class_descriptions_select_exactly_their_cases(pre_post):
    """Re-select each described class from the cases (by value sets) and count it."""
    index = {}
    for c in pre_post["classes"]:
        desc = c["description"]
        if not desc["product"]:
            assert desc["size"] < desc["product_size"]
            continue
        f = c["function"]
        if f not in index:
            # dim -> value -> set of case positions
            by = {}
            for i, x in enumerate(C.enumerate_cases([f])):
                for k, v in x.dims.items():
                    by.setdefault(k, {}).setdefault(v, set()).add(i)
            index[f] = by
        sel = None
        for k in desc["conditions"]:
            s = set().union(*(index[f][k["dim"]][v] for v in k["values"]))
            sel = s if sel is None else sel & s
        assert len(sel) == c["count"], c["inputs"]


def test_headline_counts_match_classes(pre_post):
    for h in pre_post["headline"]:
        cls = [c for c in pre_post["classes"] if c["function"] == h["function"]]
        assert len(cls) == h["changed_classes"]
        assert sum(c["count"] for c in cls) == h["changed_cases"]


# --- the diff, post -> fixed ------------------------------------------------------------


def test_post_to_fixed_only_fixes_the_leak(post_fixed):
    assert post_fixed["classes"]
    for c in post_fixed["classes"]:
        assert c["short"] == "PerformJob"
        assert "async-job-leaked" in c["from"]["violations"]
        assert "async-job-leaked" not in c["to"]["violations"]
        assert "refs-unbalanced" not in c["to"]["violations"]
    for h in post_fixed["headline"]:
        assert h["unchanged"] == (h["short"] != "PerformJob")


# --- output formats and the CLI ---------------------------------------------------------------




def test_cli_diff_formats():
    rc, text = _main(["diff", "--function", "IsAllowed"])
    assert rc == 0 and re.match(r"^\d+ cases, pre -> post\n", text)
    rc, js = _main(["diff", "--function", "IsAllowed", "--json"])
    d = json.loads(js)
    assert rc == 0 and d["cases"] == C.case_count(["qemuMigrationIsAllowed"])["total"]
    rc, md = _main(["diff", "--from", "post", "--to", "fixed", "--markdown"])
    assert rc == 0 and "### PerformJob" in md and "| cases |" in md


@untraced
def test_cli_check_exit_status():
    rc, text = _main(["check", "--version", "post"])
    assert rc == 1 and "async-job-leaked" in text
    rc, js = _main(["check", "--version", "fixed", "--json"])
    r = json.loads(js)
    assert not any(g["invariant"] == "async-job-leaked" for g in r["versions"]["fixed"]["groups"])
    assert rc == K.exit_status(r)
    rc, _ = _main(["check", "--version", "fixed", "--function", "IsAllowed"])
    assert rc == 0


def test_check_groups_by_faulted_path():
    r = K.check(["post"], ["PerformJob"])
    groups = r["versions"]["post"]["groups"]
    leak = [g for g in groups if g["invariant"] == "async-job-leaked"]
    assert any(g["fault_path"] == "none" for g in leak)
    for g in groups:
        if g["fault_path"] != "none":
            assert g["fault_path"].startswith("qemuMigrationPerformJob > ")
            assert g["fault_path"].split(" > ")[-1] in C.FAULTABLE


def test_cli_cases_counts():
    rc, text = _main(["cases", "--version", "pre", "--function", "IsAllowed"])
    assert rc == 0 and "IsAllowed" in text and "total" in text


@pytest.mark.parametrize("argv", [["diff", "--function", "Nope"], ["check", "--version", "x"],
                                  ["diff", "--from", "x"], ["cases", "--function", "y"]])
def test_cli_usage_errors(argv):
    rc, _, err = cli_run(*argv)
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("qemu-migration: unknown")


# --- minimisation ------------------------------------------------------------------------


def _grid(**dims):
    names = list(dims)
    import itertools
    return [dict(zip(names, vs)) for vs in itertools.product(*dims.values())]


def test_minimise_single_dimension():
    pts = _grid(a=["0", "1"], b=["x", "y", "z"], fault=["none", "f#1"])
    idx = [i for i, p in enumerate(pts) if p["b"] == "y"]
    d = Space(pts).describe(idx)
    assert d.is_product and d.text() == "b=y"


def test_minimise_prefers_fewest_dims_and_complement_wording():
    pts = _grid(a=["0", "1"], b=["x", "y", "z"], c=["p", "q"])
    idx = [i for i, p in enumerate(pts) if p["b"] != "x" and p["a"] == "1"]
    d = Space(pts).describe(idx)
    assert [c.dim for c in d.conditions] == ["a", "b"]
    assert d.text() == "a=1, b!=x"


def test_minimise_drops_dims_implied_by_reachability():
    # c is determined by a on these points, so only one of them is needed
    pts = [p for p in _grid(a=["0", "1"], b=["x", "y"], c=["p", "q"])
           if (p["a"] == "0") == (p["c"] == "p")]
    idx = [i for i, p in enumerate(pts) if p["a"] == "0"]
    d = Space(pts).describe(idx)
    assert len(d.conditions) == 1 and d.conditions[0].dim == "a"


def test_minimise_avoids_fault_on_ties():
    pts = [p for p in _grid(a=["0", "1"], fault=["none", "f#1"])
           if (p["a"] == "0") == (p["fault"] == "none")]
    idx = [i for i, p in enumerate(pts) if p["a"] == "0"]
    assert Space(pts).describe(idx).text() == "a=0"


def test_minimise_not_a_product():
    pts = _grid(a=["0", "1"], b=["x", "y"])
    idx = [i for i, p in enumerate(pts) if (p["a"], p["b"]) in (("0", "x"), ("1", "y"))]
    d = Space(pts).describe(idx)
    assert not d.is_product
    assert d.text() == "(not a product: 2 of 4 combinations)"


def test_minimise_whole_space():
    pts = _grid(a=["0", "1"])
    assert Space(pts).describe([0, 1]).text() == "(all cases)"


def test_signature_masks_digits_and_ignores_trace():
    cs = [c for c in C.enumerate_cases(["IsAllowed"]) if c.dims["arg"] == "vm"
          and c.dims["autodestroy"] == "no" and c.dims["hostdevs"] == "none"
          and c.dims["state"] == "running" and c.dims["persistent"] == "yes"
          and c.dims["job"] == "migration-out" and c.dims["snapshots"] in ("1", "3")]
    a, b = C.outcomes("post", cs)
    assert a["error"]["message"] != b["error"]["message"]
    assert D.signature(a) == D.signature(b)


def test_every_entry_point_has_cases():
    counts = C.case_count()
    for f in ENTRY_NAMES:
        assert counts[f] >= C.state_count(f) > 0


def _saves_twice():
    """The post port with each status save made twice (the C side of the tests below is
    the real post port)."""
    from conftest import STATE_DIR_LINE, broken_port
    return broken_port("post", STATE_DIR_LINE, STATE_DIR_LINE.replace(
        " < 0:", " < 0 or virDomainSaveStatus(driver.caps, driver.stateDir, obj) < 0:"),
        in_module="qemu_domain")


@pytest.mark.no_cover      # the whole space; test_fault_points_from_both_sides_of_three_cases
def test_fault_points_come_from_both_sides():   # below reaches every line of it traced
    """cases_from_both, with a port for each side: the real post as "the C", a copy that
    saves the status twice as the port: a call only one side makes is a mismatch, and a
    fault case is made at it; with both sides the same, nothing is added."""
    from qemu_migration.port import VERSIONS
    post = VERSIONS["post"].module
    twice = _saves_twice()
    extra, mismatches, c_out = C.cases_from_both("post", post, port=twice)
    assert mismatches and all(py and not c for _, py, c in mismatches)
    assert all(p.startswith("virDomainSaveStatus#") for _, py, _ in mismatches for p in py)
    assert extra and all(c.dims["fault"].startswith("virDomainSaveStatus#") for c in extra)
    known = {c.id for c in C.enumerate_cases()}
    assert not any(c.id in known for c in extra) and len(c_out) < len(known)
    assert C.cases_from_both("post", post)[:2] == ([], [])


def test_fault_points_from_both_sides_of_three_cases(monkeypatch):
    """The same as the test above on three cases, traced: a fault case is passed over; a
    state whose status save the port makes twice is a mismatch, its extra saves (calls
    only the port made) become new fault cases, and the C's outcome of it is kept; a
    state that saves no status is neither; with both sides the same nothing is added."""
    from qemu_migration.port import VERSIONS
    post = VERSIONS["post"].module
    every = C.enumerate_cases()
    faulted = next(c for c in every if c.faults)
    free = [c for c in every if not c.faults]
    # the first state whose post run saves the status, and the first that no version's does
    saves = next(c for c in free if ("virDomainSaveStatus", 1) in C.fault_points(c)
                 and C.faultable_calls("post", c, post)[1].get("virDomainSaveStatus"))
    none = next(c for c in free if ("virDomainSaveStatus", 1) not in C.fault_points(c))
    calls = {c.id: C.faultable_calls("post", c, post) for c in (saves, none)}
    assert not calls[none.id][1].get("virDomainSaveStatus")
    monkeypatch.setattr(C, "enumerate_cases", lambda: [faulted, saves, none])
    n = calls[saves.id][1]["virDomainSaveStatus"]
    extra, mismatches, c_out = C.cases_from_both("post", post, port=_saves_twice())
    points = ["virDomainSaveStatus#%d" % i for i in range(n + 1, 2 * n + 1)]
    assert mismatches == [(saves.id, points, [])]
    assert [c.dims["fault"] for c in extra] == points
    assert all(c.function == saves.function and c.state_id == saves.state_id
               for c in extra)
    assert not {c.id for c in extra} & {c.id for c in every}
    assert c_out == {saves.id: calls[saves.id][0], none.id: calls[none.id][0]}
    assert C.cases_from_both("post", post)[:2] == ([], [])
