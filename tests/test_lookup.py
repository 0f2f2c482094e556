"""A call on a domain that is gone: refused by the driver's lookup, the port never called."""
from pathlib import Path

import pytest

from conftest import UUID1, UUID2, make_vm, make_world
from qemu_migration.engine import Call, run_call, run_scenario
from qemu_migration.loader import load_scenario
from qemu_migration.port import VERSION_NAMES

SCENARIO = (Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
            / "perform-transient-then-gone.xml")
BUILD1_UUID = "3c9e0b7a-58d1-4f2e-b6a4-91d07e5c2f18"


def _no_domain(o, reporter, key, by="uuid"):
    assert o["failed"] is True
    assert o["error"] == {
        "code": "VIR_ERR_NO_DOMAIN", "code_number": 42,
        "domain": "VIR_FROM_QEMU", "domain_number": 10,
        "raw": "no domain with matching %s '%s'" % (by, key),
        "message": "Domain not found: no domain with matching %s '%s'" % (by, key),
        "reporter": reporter,
    }
    assert o["errors"] == [o["error"]]
    assert o["trace"] == [] and o["logs"] == [] and o["conditions"] == []
    assert o["before"] is None and o["after"] is None
    assert o["violations"] == []


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_scenario_calls_after_the_domain_left(version):
    sc = load_scenario(SCENARIO)
    assert [c.uuid for c in sc.calls] == [BUILD1_UUID] * 5
    first, begin, allowed, perform2, perform3 = run_scenario(sc, version)
    assert first["return"] == 0 and first["after"]["exists"] is False
    assert first["driver"]["domains"] == []
    _no_domain(begin, "qemuDomainMigrateBegin3", BUILD1_UUID)
    assert begin["return"] is None and begin["out"] == {"cookieout": None}
    _no_domain(allowed, "qemuDomainMigrateBegin3", BUILD1_UUID)
    assert allowed["return"] is False and allowed["out"] == {}
    _no_domain(perform2, "qemudDomainMigratePerform", BUILD1_UUID)
    _no_domain(perform3, "qemuDomainMigratePerform3", BUILD1_UUID)
    assert perform2["return"] == perform3["return"] == -1
    assert perform3["out"] == {"cookieout": None}


def test_lookup_is_by_uuid_as_the_driver_does():
    # the handle's uuid finds the domain even when the call names it differently ...
    world = make_world(make_vm("web1", UUID1))
    o = run_call(world, "post", Call("qemuMigrationIsAllowed", "renamed", uuid=UUID1))
    assert o["return"] is True and o["before"]["name"] == "web1"
    # ... and a domain of the same name under another uuid is not the one the client holds
    world = make_world(make_vm("web1", UUID2))
    o = run_call(world, "fixed", Call("qemuMigrationBegin", "web1", uuid=UUID1))
    _no_domain(o, "qemuDomainMigrateBegin3", UUID1)


def test_a_call_without_a_handle_looks_the_name_up():
    world = make_world(make_vm("web1"))
    o = run_call(world, "pre", Call("qemuMigrationPerformJob", "web1", {"uri": "tcp:h:1"}))
    assert o["return"] == 0 and o["before"]["name"] == "web1"
    o = run_call(world, "pre", Call("qemuMigrationPerformJob", "ghost", {"uri": "tcp:h:1"}))
    _no_domain(o, "qemudDomainLookupByName", "ghost", by="name")
    assert o["return"] == -1


def test_a_refused_lookup_gives_the_running_function_back():
    # the refusal reports as the driver function in front of the call (its frame), and
    # then the world's frame is what it was before the call
    world = make_world(make_vm("web1"))
    world.frame = "the caller's"
    o = run_call(world, "post", Call("qemuMigrationBegin", "ghost", uuid=UUID2))
    _no_domain(o, "qemuDomainMigrateBegin3", UUID2)
    assert world.frame == "the caller's"
