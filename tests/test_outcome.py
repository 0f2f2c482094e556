"""The outcome model: one domain_state, the call outcome and the wide snapshot built from it."""
from conftest import UUID1, UUID2, make_vm, make_world
from qemu_migration.engine.outcome import domain_state, driver_state, world_state
from qemu_migration.world.objects import Event


def test_wide_domain_state_adds_to_the_outcome_fields():
    vm = make_vm("web1", UUID1, hostdev="pci")
    world = make_world(vm)
    narrow = domain_state(vm, world.driver)
    wide = domain_state(vm, world.driver, wide=True)
    assert {k: wide[k] for k in narrow} == narrow
    assert {k: wide[k] for k in set(wide) - set(narrow)} == {
        "uuid": UUID1, "nhostdevs": 1, "newDef": None}
    assert domain_state(None, world.driver) is None


def test_numbers_outside_their_tables_show_as_numbers():
    vm = make_vm()
    vm.state, vm.reason, vm.privateData.job.asyncJob = 42, 7, 9
    s = domain_state(vm, make_world(vm).driver)
    assert (s["state"], s["reason"], s["async_job"]) == (42, 7, 9)


def test_driver_state_events_since_and_wide_fields():
    world = make_world(make_vm("web1", UUID1), make_vm("db1", UUID2), autodestroy=[UUID2])
    drv = world.driver
    drv.events += [Event(2, 1, "web1"), Event(5, 3, "db1")]
    assert [e["domain"] for e in driver_state(drv, events_from=1)["events"]] == ["db1"]
    wide = driver_state(drv, wide=True)
    assert wide["domains"] == ["db1", "web1"] and wide["uuids"] == sorted([UUID1, UUID2])
    assert wide["autodestroy"] == [UUID2] and wide["nextvmid"] == drv.nextvmid
    assert "uuids" not in driver_state(drv)


def test_world_state_shows_each_domain_object_once():
    a, b = make_vm("web1", UUID1), make_vm("db1", UUID2)
    world = make_world(a)
    world.assigned = [a, b]           # a handed out again, b new
    s = world_state(world, [a])
    assert [v["name"] for v in s["vms"]] == ["web1", "db1"]
    assert s["errno"] == 0 and s["fds_open"] == [] and s["trace"] == []
