"""The outcome model: one domain_state, one driver_state, the world's state and the call
outcome built from them."""
import pytest

from conftest import Call, UUID1, UUID2, faults, make_vm, make_world, untraced
from qemu_migration.analysis import cases as C
from qemu_migration.engine import record_call, run_call
from qemu_migration.engine.outcome import (OUTCOME_KEYS, domain_state, driver_state, plain,
                                           state_raw, state_words, world_state)
from qemu_migration.world.constants import (VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU,
                                            VIR_MIGRATE_PEER2PEER)
from qemu_migration.world.errors import UndressedError, VirError, new_error
from qemu_migration.world.objects import DomainDef, Event


def test_domain_state_holds_every_field():
    vm = make_vm("web1", UUID1, hostdev="pci")
    vm.newDef = DomainDef("kvm", "web1-saved", UUID1)
    world = make_world(vm)
    s = domain_state(vm, world.driver)
    assert (s["uuid"], s["nhostdevs"], s["newDef"], s["in_list"], s["refs"]) == (
        UUID1, 1, "web1-saved", 1, 1)
    assert domain_state(None, world.driver) is None


def test_numbers_outside_their_tables_show_as_numbers():
    vm = make_vm()
    vm.state, vm.reason, vm.privateData.job.asyncJob = 42, 7, 9
    s = domain_state(vm, make_world(vm).driver)
    assert (s["state"], s["reason"], s["async_job"]) == (42, 7, 9)


def test_driver_state_events_since_and_every_table():
    world = make_world(make_vm("web1", UUID1), make_vm("db1", UUID2), autodestroy=[UUID2])
    drv = world.driver
    drv.events += [Event(2, 1, "web1"), Event(5, 3, "db1")]
    drv.saved_status.append("web1")
    s = driver_state(drv, events_from=1)
    assert [e["domain"] for e in s["events"]] == ["db1"]
    assert s["domains"] == ["db1", "web1"] and s["uuids"] == sorted([UUID1, UUID2])
    assert s["autodestroy"] == [UUID2] and s["nextvmid"] == drv.nextvmid
    assert s["saved_status"] == ["web1"] and s["deleted_configs"] == []


def test_world_state_shows_each_domain_object_once():
    a, b = make_vm("web1", UUID1), make_vm("db1", UUID2)
    world = make_world(a)
    world.assigned = [a, b]           # a handed out again, b new
    s = world_state(world, [a])
    assert [v["name"] for v in s["domains"]] == ["web1", "db1"]
    assert s["errno"] == 0 and s["fds_open"] == [] and s["trace"] == []


def test_a_call_outcome_holds_every_error_whole_and_the_whole_world():
    """A failed peer-to-peer migration whose resume fails too: the outcome keeps each
    error with code, domain and reporter, errno, every domain object the world had, and
    the driver's saved statuses and next id."""
    other = make_vm("db1", UUID2, state="shutoff")
    world = make_world(make_vm(persistent=False), other)
    c = Call("qemuMigrationPerformJob", "web1",
             {"flags": VIR_MIGRATE_PEER2PEER, "dconnuri": "qemu://dst.example.net/system"},
             faults(("doPeer2PeerMigrate", 1), ("qemuProcessStartCPUs", 1)))
    o = run_call(world, "post", c)
    assert [(e["code"], e["domain"], e["reporter"]) for e in o["errors"]] == [
        ("VIR_ERR_OPERATION_FAILED", "VIR_FROM_QEMU", "doPeer2PeerMigrate"),
        ("VIR_ERR_NO_MEMORY", "VIR_FROM_QEMU", "qemuProcessStartCPUs")]
    assert o["error"] == o["errors"][-1]
    assert [d["name"] for d in o["domains"]] == ["web1", "db1"]
    assert o["domains"][1] == domain_state(other, world.driver)
    assert o["driver"]["saved_status"] == ["web1", "web1"]
    assert o["driver"]["nextvmid"] == 1 and o["after"]["state"] == "running"
    assert o["errno"] == 0 and o["fds_open"] == [] and o["touched_freed"] == []


# --- the outcome recorded during the run, put into words where read ------------------------

def _world():
    return make_world(make_vm(persistent=False), make_vm("db1", UUID2, state="shutoff"))


def _recorded(version="post"):
    """A failed peer-to-peer PerformJob whose resume fails too: errors, events, a domain
    the caller unlocks after the call, stub arguments of every kind."""
    world = _world()
    c = Call("qemuMigrationPerformJob", "web1",
             {"flags": VIR_MIGRATE_PEER2PEER, "dconnuri": "qemu://dst.example.net/system"},
             faults(("doPeer2PeerMigrate", 1), ("qemuProcessStartCPUs", 1)))
    return record_call(world, version, c)


def test_a_recorded_outcome_is_the_dict_run_call_makes_whatever_is_read_first():
    """Every key, read in any order (each value built from the world the run left, the
    before and after states from the moments they were taken), gives what run_call's dict
    holds, key order too; a key is built once."""
    want = run_call(_world(), "post", _recorded().call)
    for order in (OUTCOME_KEYS, OUTCOME_KEYS[::-1], ("violations", "domains", "after")):
        o = _recorded()
        got = {k: o[k] for k in order}
        assert got == {k: want[k] for k in order}
        assert o["trace"] is o["trace"]
        assert list(o.as_dict()) == list(OUTCOME_KEYS) and o.as_dict() == want
        assert o.as_dict() is o.as_dict() and o.world is None     # the world let go
    assert want["violations"] and len(want["errors"]) == 2 and want["driver"]["events"]


def test_after_is_the_state_before_the_caller_unlocks_the_domain():
    """Begin leaves the domain locked and its caller then unlocks it: ``after`` (and the
    lock invariant) see it locked, ``domains`` (the world as the run leaves it) unlocked,
    however late they are read."""
    o = record_call(make_world(make_vm()), "post", Call("qemuMigrationBegin", "web1"))
    assert o["domains"][0]["locked"] is False
    assert o["after"]["locked"] is True and o["violations"] == []


def test_a_recorded_outcome_is_a_read_only_mapping_equal_to_its_dict():
    o, other = _recorded(), _recorded("pre")
    assert len(o) == len(OUTCOME_KEYS) and list(o) == list(OUTCOME_KEYS)
    assert "trace" in o and "value" not in o and o.get("value") is None
    assert o == o.as_dict() and o.as_dict() == o and o == _recorded()
    assert o != other and (o == 5) is False and o != [o.as_dict()]
    assert repr(o) == "Outcome(%r)" % (o.as_dict(),)
    with pytest.raises(KeyError):
        o["value"]
    with pytest.raises(TypeError):
        hash(o)
    d = {"return": 0}
    assert plain(d) is d and plain(o) is o.as_dict()


def test_a_domain_state_is_its_raw_tuple_in_words():
    vm = make_vm("web1", UUID1, hostdev="pci")
    drv = make_world(vm).driver
    raw = state_raw(vm, drv)
    vm.refs += 5                                  # taken at its moment
    assert state_words(raw)["refs"] == domain_state(vm, drv)["refs"] - 5
    for lock in (True, False):
        vm.locked = lock
        assert state_words(state_raw(vm, drv))["locked"] is lock


@pytest.mark.parametrize("last", [None, 0, 1], ids=["none", "an-earlier-one", "the-last-raised"])
def test_the_error_left_set_is_its_own_dict_whichever_error_it_is(last):
    """The error left set: none, one raised before the last (a saved error set again,
    virSetError), or the last raised (its dict a copy of the last of ``errors``)."""
    o = record_call(make_world(make_vm()), "post", Call("qemuMigrationIsAllowed", "web1"))
    w = o.world
    errs = [VirError(VIR_ERR_OPERATION_FAILED, VIR_FROM_QEMU, "e%d" % i, "f") for i in (1, 2)]
    w.errors = list(errs)
    w.last_error = None if last is None else errs[last]
    want = None if last is None else errs[last].as_dict()
    assert o["error"] == want and o["errors"] == [e.as_dict() for e in errs]
    if last == 1:
        assert o["error"] is not o["errors"][-1]


@untraced
def test_lazy_outcomes_read_key_by_key_are_the_outcome_dicts():
    """Over a slice of every entry point's cases on every version: each key of a recorded
    outcome, read before anything else of it (so built from the world the run left, the
    other keys unbuilt), is what the whole dict has."""
    cs = C.enumerate_cases()[::97]
    assert {c.function for c in cs} == set(C.ENTRY_NAMES)
    for v in ("pre", "post", "fixed"):
        whole = [run_call(c.make_world(), v, c.call) for c in cs]
        for k in OUTCOME_KEYS:
            got = [record_call(c.make_world(), v, c.call)[k] for c in cs]
            assert got == [w[k] for w in whole], (v, k)


@pytest.mark.parametrize("version", ["pre", "post"])
def test_the_state_after_is_taken_where_read_with_the_lock_the_call_left(version):
    """``after_raw`` is the domain's state as the call left it, lock and all, taken before
    the caller released the domain (Begin's caller holds it through the call; a failed
    lookup has no state): the state now but for the lock."""
    begins = [c for c in C.enumerate_cases() if c.function == "qemuMigrationBegin"][::50]
    assert begins
    for c in begins:
        o = record_call(c.make_world(), version, c.call)
        vm = o.world.driver.find_by_name(c.call.domain)
        if vm.freed:
            continue
        assert vm.locked is False                      # released by the caller
        got = state_words(o.after_raw)
        assert got["locked"] is True and got == dict(domain_state(vm, o.world.driver),
                                                     locked=True)
        assert o.after_raw is o.after_raw and o.as_dict()["after"] == got
    gone = Call("qemuMigrationBegin", "nosuch")
    o = record_call(make_world(make_vm()), "post", gone)
    assert o.after_raw is None and o.as_dict()["after"] is None


def test_an_error_is_a_value_of_its_class_and_fields():
    """VirError is written out as a frozen dataclass would be: equal and hashed by its
    class and four fields, shown by them, its fields read-only (a shared error, as the
    client's generic failure, cannot be changed through one run)."""
    a, b = VirError(1, 0, "x", "f"), VirError(1, 0, "x", "f")
    undressed = UndressedError(1, 0, "x", "f")
    assert a == b and hash(a) == hash(b) and not a != b
    assert a != VirError(1, 0, "x", "g") and a != undressed and undressed != a
    assert (a == ("x",)) is False and a.__eq__(("x",)) is NotImplemented
    assert len({a, b, undressed}) == 2
    assert repr(undressed) == "UndressedError(code=1, domain=0, raw='x', reporter='f')"
    assert (a.code, a.domain, a.raw, a.reporter) == (1, 0, "x", "f")
    assert (a.message, undressed.message) == ("internal error x", "x")
    for name in ("code", "domain", "raw", "reporter", "other"):
        with pytest.raises(AttributeError):
            setattr(a, name, 2)
    assert a == b


def test_an_error_made_by_new_error_is_the_one_its_constructor_makes():
    """``new_error`` (the stubs' reports) makes what ``VirError(...)`` makes: same class,
    fields, equality, hash and dict."""
    for fields in [(1, 10, "x", "f"), (2, 0, None, "qemuMigrationBegin")]:
        got, want = new_error(*fields), VirError(*fields)
        assert type(got) is VirError and got == want and hash(got) == hash(want)
        assert (got.code, got.domain, got.raw, got.reporter) == fields
        assert got.as_dict() == want.as_dict() and repr(got) == repr(want)
        # every field the constructor sets, a slot added later too (one set here alone
        # would be missing from new_error's: an AttributeError)
        slots = [s for k in type(want).__mro__ for s in getattr(k, "__slots__", ())]
        assert slots and [getattr(got, s) for s in slots] == [getattr(want, s) for s in slots]
