"""The runner's own edges: flags given by name, and an entry point it does not know."""
import pytest

from conftest import Call, make_vm, make_world
from qemu_migration.engine import run_call
from qemu_migration.port.registry import flags_value
from qemu_migration.world.constants import flag_names as flags_names
from qemu_migration.world.constants import (VIR_MIGRATE_LIVE, VIR_MIGRATE_PEER2PEER,
                                            VIR_MIGRATE_UNDEFINE_SOURCE)


@pytest.mark.parametrize("flags,value", [
    (None, 0), ("", 0), (0, 0), (VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_PEER2PEER),
    ("live peer2peer", VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER),
    ("  undefine-source\tlive ", VIR_MIGRATE_LIVE | VIR_MIGRATE_UNDEFINE_SOURCE)])
def test_flags_value(flags, value):
    assert flags_value(flags) == value


def test_flags_names_round_trip():
    assert flags_names(flags_value("live peer2peer")) == ["live", "peer2peer"]


def test_unknown_flag_name_is_a_key_error():
    with pytest.raises(KeyError):
        flags_value("live sideways")


def test_flags_by_name_run_as_their_value():
    args = {"dconnuri": "qemu+ssh://dst.example.net/system", "uri": "tcp:dst.example.net:49152"}
    by_name = run_call(make_world(make_vm()), "post", Call(
        "qemuMigrationPerformJob", "web1", dict(args, flags="live undefine-source")))
    by_value = run_call(make_world(make_vm()), "post", Call(
        "qemuMigrationPerformJob", "web1",
        dict(args, flags=VIR_MIGRATE_LIVE | VIR_MIGRATE_UNDEFINE_SOURCE)))
    assert by_name == by_value
    assert by_name["driver"]["deleted_configs"] == ["web1"]   # undefine-source was seen


def test_unknown_entry_point_is_refused():
    with pytest.raises(KeyError, match="qemuMigrationFinish3"):
        run_call(make_world(make_vm()), "post", Call("qemuMigrationFinish3", "web1"))
