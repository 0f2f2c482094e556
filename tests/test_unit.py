"""port/unit.py: a host's functions are bound to each other, the version modules are left alone."""
import pytest

from qemu_migration.port import VERSION_NAMES, VERSIONS
from qemu_migration.port.unit import entry_points, unit


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_unit_functions_call_each_other(version):
    u = unit(version)
    mod = VERSIONS[version].module
    perform = u.qemuMigrationPerformJob
    # the same code as the version's, but its names resolve in the unit
    assert perform.__wrapped__.__code__ is mod.qemuMigrationPerformJob.__wrapped__.__code__
    scope = perform.__wrapped__.__globals__
    assert scope["qemuMigrationJobStart"] is u.qemuMigrationJobStart
    assert scope["qemuMigrationJobStart"] is not mod.qemuMigrationJobStart
    # and the version module still calls its own
    assert mod.qemuMigrationPerformJob.__wrapped__.__globals__["qemuMigrationJobStart"] \
        is mod.qemuMigrationJobStart


def test_units_are_per_version():
    assert unit("pre") is unit("pre")
    assert unit("pre").qemuMigrationBegin is not unit("post").qemuMigrationBegin


def test_entry_points_follow_the_driver_table():
    table = entry_points("post")
    from qemu_migration.port import driver
    assert set(table) == set(driver.DRIVER_TABLE)
