"""analysis/reach.py and the reachability of the function-level case space (issue 9, item 4).

The callers are run: the qemu_driver.c entry points on each version's unit.  Until
port/protocol.py (qemuMigrationPerform, another helper's) is in the unit, the Perform
probes cannot run and every function's states stay as enumerated (pending); these
tests give the unit a stand-in for qemuMigrationPerform's dispatch (``DISPATCH``,
written here after qemu_migration.c:2367-2418 @ e2fb96d9) to show what the callers
admit once it is there.
"""
import marshal
import os

import pytest

import qemu_migration.loader  # noqa: F401
from conftest import coverage_paused, make_vm, make_world, untraced
from qemu_migration.analysis import cases as C
from qemu_migration.analysis.reach import NA, Probe, Reach, cached, rebind, run_probes
from qemu_migration.paths import cache_dir, checkout_file, load_kept
from qemu_migration.port import VERSION_NAMES
from qemu_migration.port.driver import NotInUnit
from qemu_migration.port.unit import unit
from qemu_migration.world.constants import (NULL, QEMU_ASYNC_JOB_MIGRATION_IN,
                                            QEMU_JOB_MODIFY, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_TUNNELLED)
from qemu_migration.world.hosts import Host
from qemu_migration.world.objects import DomainDef
from qemu_migration.world.stubs import NULLSTR, VIR_DEBUG, qemuReportError


def qemuMigrationPerform(driver, conn, vm, xmlin, dconnuri, uri, cookiein, cookieinlen,
                         cookieout, cookieoutlen, flags, dname, resource, v3proto):
    """A test's stand-in for port/protocol.py's port: the dispatch only."""
    VIR_DEBUG("dconnuri=%s", NULLSTR(dconnuri))
    if flags & (VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER):
        if cookieinlen:
            qemuReportError(55, "%s", "received unexpected cookie with P2P migration")
            return -1
        return qemuMigrationPerformJob(driver, conn, vm, xmlin, dconnuri,  # noqa: F821
                                       uri, cookiein, cookieinlen, cookieout,
                                       cookieoutlen, flags, dname, resource, v3proto)
    if dconnuri is not NULL:
        qemuReportError(1, "%s", "Unexpected dconnuri parameter with non-peer2peer migration")
        return -1
    if v3proto:
        return qemuMigrationPerformPhase(driver, conn, vm, uri, cookiein,  # noqa: F821
                                         cookieinlen, cookieout, cookieoutlen, flags,
                                         resource)
    return qemuMigrationPerformJob(driver, conn, vm, xmlin, dconnuri, uri,  # noqa: F821
                                   cookiein, cookieinlen, cookieout, cookieoutlen, flags,
                                   dname, resource, v3proto)


def qemuMigrationPerformPhase(*args):
    return 0


DISPATCH = {"qemuMigrationPerform": qemuMigrationPerform,
            "qemuMigrationPerformPhase": qemuMigrationPerformPhase}


@pytest.fixture(scope="module")
def whole(request):
    """What the callers admit with the dispatch in the unit (untraced: the probes of
    test_a_unit_without_qemuMigrationPerform_leaves_everything_pending run the same
    lines traced)."""
    with coverage_paused(request.config):
        return run_probes(VERSION_NAMES, C.PROBES, C.REACH_TARGETS, provide=DISPATCH)


def kept(reach, f):
    return [s for s in C.SPACES[f].states.enumerated() if reach.admits(f, s)]


def removed(reach, f):
    return [s for s in C.SPACES[f].states.enumerated() if not reach.admits(f, s)]


# --- what the callers admit ---------------------------------------------------------------

@untraced
def test_nothing_is_pending_once_the_unit_is_whole(whole):
    assert whole.pending == set()
    assert all(whole.seen[t] for t in C.REACH_TARGETS)


def test_performjob_only_for_peer_to_peer_or_v2(whole):
    gone = removed(whole, "qemuMigrationPerformJob")
    # v3 without peer2peer goes to qemuMigrationPerformPhase: no native flags with v3proto
    assert {(s["flags"], s["v3proto"]) for s in gone} == {("0", "yes"),
                                                           ("undefine-source", "yes")}
    assert len(gone) == 2 * (len(C.vm_states()) + 2)     # + the two "meanwhile" states
    for s in kept(whole, "qemuMigrationPerformJob"):
        assert s["v3proto"] == "no" or s["flags"].startswith("peer2peer")
    # every domain state can be handed to it: the driver looks the domain up, no more
    assert {tuple((k, s[k]) for k, _ in C.VM_DIMS)
            for s in kept(whole, "qemuMigrationPerformJob")} == \
        {tuple(d.items()) for d in C.vm_states()}


def test_begin_only_under_its_callers_job_on_a_running_domain(whole):
    left = kept(whole, "qemuMigrationBegin")
    assert {s["job"] for s in left} == {"modify", "migration-out"}
    assert {s["state"] for s in left} == {"running", "paused"}
    assert len(left) == 144 * 4
    # Begin3 takes the job itself: a job another thread holds makes it wait and give up
    assert all(s["job"] == "none" or s["state"] == "shutoff"
               for s in removed(whole, "qemuMigrationBegin"))


def test_isallowed_with_a_domain_only_under_a_migration_caller_job(whole):
    left = kept(whole, "qemuMigrationIsAllowed")
    assert {s["job"] for s in left if s["arg"] == "vm"} == {"modify", "migration-out"}
    assert sorted(s["hostdevs"] for s in left if s["arg"] == "def") == ["none", "pci", "usb"]
    assert len(removed(whole, "qemuMigrationIsAllowed")) == 81


@pytest.mark.parametrize("f", ["qemuMigrationPrepareTunnel", "qemuMigrationPrepareDirect"])
def test_every_prepare_input_comes_from_some_caller(whole, f):
    # v2 prepares pass no cookie, v3 ones whatever the source sent: every state stays
    assert removed(whole, f) == []


def test_v2_prepares_take_no_cookie():
    only_v2 = [p for p in C.PROBES if p.caller in ("qemudDomainMigratePrepareTunnel",
                                                   "qemudDomainMigratePrepare2")]
    v2 = run_probes(["post"], only_v2, C.REACH_TARGETS)
    assert {dict(c)["cookiein"] for c in v2.seen["qemuMigrationPrepareDirect"]} == {"none"}
    assert {dict(c)["cookiein"] for c in v2.seen["qemuMigrationPrepareTunnel"]} == {"none"}


# --- without the dispatch: pending, nothing filtered ---------------------------------------

def test_a_peer_to_peer_probe_reaches_the_destination_it_names(whole):
    # the destination of the probes' network runs the unit too: its prepares are
    # watched (what they see there is no state of the space: the source's XML and
    # cookie, read back, are OTHER)
    assert any(dict(c)["hostdevs"] == C.OTHER
               for c in whole.seen["qemuMigrationPrepareDirect"])


def test_a_unit_without_qemuMigrationPerform_leaves_everything_pending():
    r = run_probes(["post"], C.PROBES, C.REACH_TARGETS)
    if "qemuMigrationPerform" in vars(unit("post")):     # protocol.py is there: derived
        assert r.pending == set()
    else:
        assert r.pending == set(C.REACH_TARGETS)
        assert all(r.admits(f, s) for f in C.SPACES for s in C.SPACES[f].states.enumerated())


def test_the_case_space_is_what_the_callers_admit():
    r = C.reach()
    for f in C.SPACES:
        assert C.SPACES[f].states() == [s for s in C.SPACES[f].states.enumerated()
                                        if r.admits(f, s)]
    if r.pending:
        assert C.state_count("qemuMigrationPerformJob") == \
            len(C.SPACES["qemuMigrationPerformJob"].states.enumerated())


# --- the machinery ----------------------------------------------------------------------------

def test_admits_matches_on_the_dimensions_both_give():
    r = Reach({"f": {frozenset({("a", "1"), ("b", "2")})}}, set())
    assert r.admits("f", {"a": "1", "b": "2", "c": "x"})      # c: the call does not say
    assert r.admits("f", {"a": "1", "b": NA})                  # b: the state does not say
    assert not r.admits("f", {"a": "1", "b": "3"})
    assert not r.admits("g", {"a": "1"})                       # never called
    r.pending.add("g")
    assert r.admits("g", {"a": "anything"})


def test_admits_sees_calls_added_after_it_was_asked():
    # the index of the calls is rebuilt when a target's calls grow (run_probes adds them)
    r = Reach({"f": {frozenset({("a", "1")})}}, set())
    assert not r.admits("f", {"a": "2"})
    r.seen["f"].add(frozenset({("a", "2"), ("b", "3")}))
    assert r.admits("f", {"a": "2", "b": NA})
    assert r.admits("f", {"a": "2", "b": "3"})
    assert not r.admits("f", {"a": "2", "b": "4"})
    assert r.admits("f", {"a": "1", "b": "4"})            # the first call gives no b


def test_rebind_replaces_a_function_everywhere_in_the_unit():
    calls = []

    def count(real):
        def f(*args):
            calls.append(args)
            return real(*args)
        return f
    funcs = rebind("post", {"qemuMigrationIsAllowed": count})
    w = make_world(make_vm())
    with w.activate():
        vm = w.driver.domains[next(iter(w.driver.domains))]
        assert funcs["qemuMigrationBegin"](w.driver, vm, None, None, None) is not None
    assert len(calls) == 1
    # the unit itself is left as it was
    u = unit("post")
    assert u.qemuMigrationBegin.__wrapped__.__globals__["qemuMigrationIsAllowed"] \
        is u.qemuMigrationIsAllowed


def test_a_probe_sees_each_call_with_the_world_it_finds():
    def inputs():
        for job in (0, QEMU_JOB_MODIFY):
            w = make_world(make_vm(name=C.NAME, uuid=C.UUID, job=job))
            if job:
                Host("lone", "post", w, "qemu:///system")      # a host on no network
            yield w, (w.driver, w.driver.domains[C.UUID], None, None, None)
    r = run_probes(["pre", "post"], [Probe("qemuMigrationBegin", inputs)],
                   {"qemuMigrationIsAllowed": C.REACH_TARGETS["qemuMigrationIsAllowed"]})
    assert {dict(c)["job"] for c in r.seen["qemuMigrationIsAllowed"]} == {"none", "modify"}
    assert {dict(c)["arg"] for c in r.seen["qemuMigrationIsAllowed"]} == {"vm"}


# --- reading a call back into dimensions --------------------------------------------------------

def test_a_job_outside_the_dimensions_reads_as_other():
    vm = make_vm(async_out=True, job=QEMU_JOB_MODIFY)
    w = make_world(vm)
    assert C._seen_vm(vm, w.driver)["job"] == C.OTHER
    vm.privateData.job.active = 0
    vm.privateData.job.asyncJob = QEMU_ASYNC_JOB_MIGRATION_IN
    assert C._seen_vm(vm, w.driver)["job"] == C.OTHER


def test_a_destination_with_two_domains_reads_as_other():
    w = make_world(make_vm(), make_vm(name="b", uuid=C.OTHER_UUID))
    assert C._seen_dest(w.driver) == C.OTHER


def test_pre_isallowed_of_a_definition_not_in_the_list():
    w = make_world(make_vm(name=C.NAME, uuid=C.UUID))
    stray = DomainDef("kvm", C.NAME, C.UUID, memory=1)
    with w.activate():
        assert C._seen_isallowed((stray,)) == {"arg": "def", "hostdevs": "none"}
        assert C._seen_isallowed((w.driver.domains[C.UUID].def_,))["arg"] == "vm"
        assert C._seen_isallowed((DomainDef("kvm", "x", "u", memory=1),))["arg"] == "def"


def test_a_probe_that_needs_a_function_the_unit_lacks_leaves_everything_pending():
    def needs_more(*args):
        raise NotInUnit("qemuMigrationSomething resolves in a host's unit")
    ran = []

    def after():
        ran.append(1)
        return []
    targets = {"qemuMigrationBegin": C.REACH_TARGETS["qemuMigrationBegin"],
               "qemuMigrationPerformJob": C.REACH_TARGETS["qemuMigrationPerformJob"]}
    r = run_probes(["post"], [Probe("needsMore", lambda: [(make_world(), ())]),
                              Probe("needsMore", after)],
                   targets, provide={"needsMore": needs_more})
    assert r.pending == set(targets) and ran == []     # the probing stopped there


# --- what the probes saw, kept between processes (reach.cached) --------------------------------

def test_the_cache_gives_back_what_the_probes_saw(whole, tmp_path):
    path = tmp_path / "sub" / "reach.marshal"            # its folder is made
    assert cached(path, "k1", lambda: whole) is whole
    back = cached(path, "k1", lambda: pytest.fail("computed again"))
    assert back == whole and back is not whole
    for f in C.SPACES:
        assert kept(back, f) == kept(whole, f)


def test_the_cache_keeps_pending_targets(tmp_path):
    r = Reach({"f": {frozenset({("a", "1")})}, "g": set()}, {"g"})
    cached(tmp_path / "r.marshal", "k", lambda: r)
    assert cached(tmp_path / "r.marshal", "k", lambda: None) == r


def test_another_key_or_a_bad_file_is_computed_again_and_replaced(tmp_path):
    path = tmp_path / "reach.marshal"
    one = Reach({"f": {frozenset({("a", "1")})}}, set())
    two = Reach({"f": {frozenset({("a", "2")})}}, set())
    cached(path, "old", lambda: one)
    assert cached(path, "new", lambda: two) is two                 # another key
    assert load_kept(path, "new") is not None and load_kept(path, "old") is None
    for bad in (b"{", marshal.dumps([]), marshal.dumps(("new",)),
                marshal.dumps(("new", ({"f": [1]}, []))), marshal.dumps(("new", ({}, 1)))):
        path.write_bytes(bad)
        assert cached(path, "new", lambda: one) is one
        assert cached(path, "new", lambda: two) == one            # rewritten whole


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = Reach({"f": set()}, set())
    assert cached(blocker / "reach.marshal", "k", lambda: r) is r     # its folder is a file
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "reach.marshal").mkdir()            # the rename onto it fails: the temp file goes
    assert cached(folder / "reach.marshal", "k", lambda: r) is r
    assert os.listdir(folder) == ["reach.marshal"]


def test_the_case_space_reads_its_reach_from_the_cache(monkeypatch, tmp_path):
    # the probes' result as this process has it (their own tests check what they find);
    # a cold cache asks for it once, with the callers' probes, then keeps it
    known = C.reach()
    probed = []

    def run_probes(*a):
        probed.append(a)
        return known
    monkeypatch.setattr(C, "run_probes", run_probes)
    monkeypatch.setenv("QEMU_MIGRATION_CACHE", str(tmp_path))
    C.reach.cache_clear()
    try:
        first = C.reach()
        assert probed == [(C.VERSION_NAMES, C.PROBES, C.REACH_TARGETS)] and first == known
        (kept,) = tmp_path.glob("reach-*.marshal")      # this checkout's file
        assert kept == checkout_file("reach.marshal")
        assert load_kept(kept, C.source_digest()) is not None
        C.reach.cache_clear()
        monkeypatch.setattr(C, "run_probes", lambda *a: pytest.fail("probed again"))
        assert C.reach() == first
    finally:
        C.reach.cache_clear()


def test_the_cache_folder_defaults_to_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("QEMU_MIGRATION_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == (tmp_path / ".cache" / "qemu-migration").resolve()
    monkeypatch.setenv("QEMU_MIGRATION_CACHE", str(tmp_path / "c"))
    assert cache_dir() == (tmp_path / "c").resolve()
