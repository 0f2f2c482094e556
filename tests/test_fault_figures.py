"""The README's counts of fault rows are the fault matrix's.

README.md's "Whole migrations" chapter, under "Faults" (and its Speed table), quotes
counts of rows of `qemu-migration protocol --faults` (docs/json.md, "protocol --json",
describes the fields read here).  Each test below finds one sentence in the README by its
words (whitespace folded: the README wraps its lines), each number in it a ``{}`` of the
template, computes those numbers from the matrix by the definition the sentence gives,
and asserts the sentence carries them; so a change of the matrix that moves a figure
fails here, not silently in the README.

The matrix is conftest's ``fault_matrix()``: built once per session, in the first test
that asks (its body, untraced: these tests are ``no_cover``), or read back from the cache
folder where a run kept it under a key of all it depends on (``kept_rows``), shared with
test_upstream_protocol's replay, as are the extra rows (``fault_extra_rows()``) that
compare runs besides it ("Comparing with the upstream C").
"""
import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import fault_extra_rows, fault_matrix
from qemu_migration.upstream.protocol_compare import row_id

# Not measured for coverage (pytest-cov's no_cover; every assert stays): the matrix is
# built in the first of these tests, and traced it would take several times as long;
# engine/protocol.py's tests reach every line it runs (the gate proves it).
pytestmark = pytest.mark.no_cover

README = " ".join((Path(__file__).resolve().parent.parent / "README.md")
                  .read_text(encoding="utf-8").split())
VERSIONS = ("pre", "post", "fixed")
V2 = ("v2",)
PEER = ("p2p-v2", "p2p-v3", "tunnelled-p2p-v2", "tunnelled-p2p-v3")
NOT_RUNNING = "Requested operation is not valid: domain is not running"
LOCK_TIMEOUT = "Timed out during operation: cannot acquire state change lock"
OWN_REFUSALS = ("Requested operation is not valid: domain is marked for auto destroy",
                "Requested operation is not valid: cannot migrate domain with 2 snapshots")
FINISH = re.compile(r"^qemud?DomainMigrateFinish\d$")


def quoted(template):
    """The numbers of the one README sentence ``template`` matches (literal text, each
    number a ``{}``), in order."""
    pattern = r"(\d[\d,]*)".join(re.escape(part) for part in template.split("{}"))
    found = re.findall(pattern, README)
    assert len(found) == 1, "README.md has %d sentences like %r" % (len(found), template)
    numbers = found[0] if isinstance(found[0], tuple) else (found[0],)
    return tuple(int(n.replace(",", "")) for n in numbers)


# --- what the sentences count -------------------------------------------------------------

def faulted():
    return [r for r in fault_matrix() if r["fault"] is not None]


def wakeups():
    return [r for r in fault_matrix() if r.get("wakeup")]


def message(error):
    return (error or {}).get("message") or ""


def destroyed_on_close(r):
    """The destination's close destroyed a guest: qemudClose's auto-destroy walk ran
    qemuProcessAutoDestroyDom and it stopped a guest still marked for auto-destroy on
    that connection (not one another thread had dropped from the list meanwhile)."""
    trace = r["hosts"]["destination"]["trace"]
    for i, line in enumerate(trace):
        if line.strip() == "qemuProcessAutoDestroyDom":
            depth = len(line) - len(line.lstrip())
            body = itertools.takewhile(lambda c: len(c) - len(c.lstrip()) > depth,
                                       trace[i + 1:])
            if any(c.split()[0] == "qemuProcessStop" for c in body):
                return True
    return False


def finish_handed_back(r):
    """The destination's Finish ran and did not fail (it handed the guest back)."""
    ran = any(FINISH.match(line) for line in r["hosts"]["destination"]["trace"])
    return ran and "Finish@destination" not in r["failed_calls"]


def held_migration_out(r):
    return any(d["async_job"] == "migration out"
               for d in r["left_behind"]["source"]["domains"])


def violates(r, invariant, host):
    return any(v["invariant"] == invariant and v["host"] == host for v in r["violations"])


def closed():
    """Faulted rows where the destination's close destroyed a guest."""
    return [r for r in faulted() if destroyed_on_close(r)]


def unsaved():
    """Of those, the migrated guest's: Finish handed it back (its status unsaved)."""
    return [r for r in closed() if finish_handed_back(r)]


def by(rows, key):
    return Counter(key(r) for r in rows)


# --- the figures ---------------------------------------------------------------------------

def test_rows_per_side_and_in_all():
    sides = by(faulted(), lambda r: r["fault"].split(":")[0])
    assert quoted("stubs on the source ({} rows) and the destination ({}), and in the "
                  "client ({},") == (sides["source"], sides["destination"], sides["client"])
    assert sum(sides.values()) == len(faulted())
    at = by(wakeups(), lambda r: r["wakeup"].split(":")[0])
    assert set(at) == {"source", "destination"}
    assert quoted("With the wakeup rows of the clean guest ({} at the source's lock-drop "
                  "points, {} at the destination's") == (at["source"], at["destination"])
    assert not any(r["fault"] and r.get("wakeup") for r in fault_matrix())
    assert quoted("{} migrations in all, {} with a fault; every fault fires and every "
                  "wakeup happens") == (len(fault_matrix()), len(faulted()))
    assert not any(r["unfired_faults"] or r.get("unfired_wakeups") for r in fault_matrix())


def test_a_pre_source_strands_in_faulted_rows():
    stranding = by([r for r in faulted() if r["stranded"]], lambda r: r["source"])
    assert set(stranding) == {"pre"}          # no post or fixed source strands
    # the close destroyed the guest Finish handed back while the source kept its snapshots
    spared = [r for r in unsaved() if r["source"] == "pre"
              and any(d["snapshots"] for d in r["left_behind"]["source"]["domains"])]
    assert quoted("a pre source strands it in {} faulted rows ({} fewer since the close: "
                  "where the destination's Finish failed to save the status, the close "
                  "destroys the migrated guest)") == (stranding["pre"], len(spared))


def test_the_leak_is_posts():
    held = [r for r in faulted() if held_migration_out(r)]
    per = by(held, lambda r: r["source"])
    timed_out = [r for r in held if r["source"] == "post"
                 and message(r["second_attempt"]["error"]) == LOCK_TIMEOUT]
    assert quoted("{} faulted rows leave `migration out` held on a post source ({} second "
                  "attempts then time out on the lock), against {} with a pre source and {} "
                  "with a fixed one") == (per["post"], len(timed_out), per["pre"], per["fixed"])


def test_what_the_close_destroys():
    rows = closed()
    assert quoted("destroys a guest on the destination in {} faulted rows: in {} the paused "
                  "incoming guest of a Finish that failed or was never reached, in the other "
                  "{} the migrated guest whose status Finish could not save") == (
        len(rows), len(rows) - len(unsaved()), len(unsaved()))
    assert {r["fault"].split("#")[0] for r in unsaved()} == {"destination:virDomainSaveStatus"}


def test_the_second_attempt_after_the_close():
    rows = closed()
    second = [r["second_attempt"] for r in rows]
    through = [s for s in second if s["outcome"] == "migrated"]
    refused = [r for r in rows if r["second_attempt"]["outcome"] == "refused"]
    where = by(refused, lambda r: r["second_attempt"]["refused_at"])
    assert set(where) == {"Perform@source", "Begin@source"}
    assert {r["flow"] for r in refused if r["second_attempt"]["refused_at"] == "Begin@source"} \
        == {"v3"}
    assert quoted("{} of those go through, and {} are refused on the source instead, {} at "
                  "Perform and {} (v3) at Begin") == (
        len(through), len(refused), where["Perform@source"], where["Begin@source"])

    def refused_with(*messages):
        return [r for r in refused if message(r["second_attempt"]["error"]) in messages]
    gone = refused_with(NOT_RUNNING)
    gone_v2 = [r for r in gone if not finish_handed_back(r)]
    assert {r["flow"] for r in gone_v2} == {"v2"}
    assert quoted("in {} the first attempt had already stopped the source's guest") == \
        (len(gone),)
    assert quoted("{} are v2 rows whose Finish, or the RPC to it, failed, the other {} those "
                  "of the unsaved status)") == (len(gone_v2), len(gone) - len(gone_v2))
    assert len(gone) - len(gone_v2) == len(unsaved())     # "those": all of them
    leak = refused_with(LOCK_TIMEOUT)
    own = refused_with(*OWN_REFUSALS)
    assert {r["flow"] for r in leak + own} == set(V2)
    assert {r["source"] for r in leak} == {"post"}
    assert quoted("in {} (v2) a post source's leak shows") == (len(leak),)
    assert quoted("{} (v2) are the source's own refusals (auto-destroy, snapshots)") == \
        (len(own),)
    assert len(gone) + len(leak) + len(own) == len(refused)   # nothing else refuses


def test_every_close_trips_use_after_free():
    rows = closed()
    tripping = [r for r in rows if violates(r, "use-after-free", "destination")]
    assert quoted("every one of those {} closes trips `use-after-free@destination`") == \
        (len(tripping),)
    assert len(tripping) == len(rows)


def test_the_migrated_guest_whose_status_finish_could_not_save():
    rows = unsaved()
    direct = [r for r in rows if r["outcome"] == "migrated" and not r["runs_on"]]
    lookup = [r for r in rows if r["refused_at"] == "LookupByName@destination"]
    assert {r["flow"] for r in direct} == {"v2", "v3"}
    assert {r["flow"] for r in lookup} == set(PEER)
    assert len(direct) + len(lookup) == len(rows)
    assert quoted("Direct v2 and v3 rows say `migrated` with `runs_on` empty ({} rows)") == \
        (len(direct),)
    assert quoted("the row is refused at `LookupByName@destination` ({} rows)") == \
        (len(lookup),)


def test_qemu_quitting_while_a_v2_peer_to_peer_source_waits_for_prepare2():
    rows = [r for r in wakeups() if destroyed_on_close(r)]
    assert {r["wakeup"].split(" ")[-1] for r in rows} == {"qemu-quits"}
    assert {r["flow"] for r in rows} == {"p2p-v2", "tunnelled-p2p-v2"}
    assert {r["source"] for r in rows} == set(VERSIONS)
    assert {message(r["error"]) for r in rows} == {"internal error guest unexpectedly quit"}
    assert all(violates(r, "use-after-free", "destination") for r in rows)
    assert quoted("destroys it and trips the auto-destroy `use-after-free@destination` "
                  "above, on every version ({} rows)") == (len(rows),)


def test_the_speed_table_counts_the_rows():
    assert quoted("| `protocol --faults` | {} ({} faulted, {} wakeup rows) |") == (
        len(fault_matrix()), len(faulted()), len(wakeups()))


def test_compare_runs_the_matrix_and_the_extra_rows():
    extra = fault_extra_rows()
    assert quoted("{} with their fault rows and the {} `WAKEUP_ROWS` rows") == (
        len(extra), len([r for r in extra if r.get("wakeup")]))
    ids = {row_id(r) for r in fault_matrix() + extra}
    assert len(ids) == len(fault_matrix()) + len(extra)
    assert quoted("protocol with faults: {} rows, 0 disagree") == (len(ids),)
