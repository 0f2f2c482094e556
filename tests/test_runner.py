"""The runner's own edges: flags given by name, and an entry point it does not know."""
import pytest

from conftest import Call, make_vm, make_world
from qemu_migration.engine import record_call, run_call
from qemu_migration.port.registry import flags_value
from qemu_migration.world.runtime import World, current
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


def test_a_prepares_target_is_found_by_the_uuid_its_text_defines_each_text_parsed_once(
        monkeypatch):
    """``_target`` keeps the uuid each domain XML defines (only the uuid is read): the
    domain found is the one a parse names, a text refused is refused at every run and
    not kept, and the texts kept are bounded."""
    from qemu_migration.engine import runner
    from qemu_migration.world import parsing
    from conftest import UUID1, UUID2, domain_xml
    monkeypatch.setattr(runner, "_UUIDS", {})
    monkeypatch.setattr(runner, "_UUIDS_MAX", 2)
    vm = make_vm("web1", UUID1)
    w = make_world(vm)
    listed, other = domain_xml("web1", UUID1), domain_xml("web2", UUID2)
    for _ in range(2):
        assert runner._target(w, Call("qemuMigrationPrepareDirect", None,
                                      {"dom_xml": listed})) is vm
        assert runner._target(w, Call("qemuMigrationPrepareDirect", None,
                                      {"dom_xml": other})) is None
    assert runner._UUIDS == {listed: UUID1, other: UUID2}
    assert runner._target(w, Call("qemuMigrationPrepareDirect", None, {})) is None
    for _ in range(2):
        with pytest.raises(parsing.DomainXMLError):
            runner._target(w, Call("qemuMigrationPrepareDirect", None, {"dom_xml": "<x/>"}))
    third = domain_xml("web3", "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b")
    assert runner._target(w, Call("qemuMigrationPrepareDirect", None, {"dom_xml": third})) \
        is None and list(runner._UUIDS) == [third]        # cleared when full


def test_the_port_module_is_read_once_per_version(monkeypatch):
    from qemu_migration.engine import runner
    from qemu_migration.port import VERSIONS
    monkeypatch.setattr(runner, "_MODULES", {})
    for _ in range(2):
        out = run_call(make_world(make_vm()), "pre", Call("qemuMigrationIsAllowed", "web1"))
        assert out["return"] is True
    assert runner._MODULES == {"pre": VERSIONS["pre"].module}


def test_a_wakeup_no_wait_took_is_not_left_for_the_next_call():
    """Each call brings its own wakeups (``record_call`` sets the world's to the call's,
    keeping the list only when both are empty): an end of the other thread's job that
    IsAllowed, which waits for nothing, left unused does not end that job for the next
    call on the same world, whose wait then times out."""
    from qemu_migration.world.constants import QEMU_JOB_MODIFY
    w = make_world(make_vm(job=QEMU_JOB_MODIFY))
    first = run_call(w, "post", Call("qemuMigrationIsAllowed", "web1", wakeups=["end-job"]))
    assert first["return"] == 1 and w.wakeups == ["end-job"]
    second = run_call(w, "post", Call("qemuMigrationPerformJob", "web1",
                                      {"uri": "tcp:dest.example.org:49152"}))
    assert second["return"] == -1 and w.wakeups == []
    assert second["error"]["message"] == (
        "Timed out during operation: cannot acquire state change lock")


class _Raises:
    """An implementation whose Begin raises (a porting mistake's exception)."""

    @staticmethod
    def qemuMigrationBegin(*args):
        raise ZeroDivisionError("in the call")


@pytest.mark.parametrize("impl", [None, _Raises], ids=["returns", "raises"])
def test_a_call_leaves_the_world_current_before_it_current_again(impl):
    """The runner makes the call's world current for the call only (it writes the cell
    itself, ``runtime._world``): the world current before it is current again after it,
    whether the call returns or raises."""
    before, outer = current(), World()
    w = make_world(make_vm())
    with outer.activate():
        if impl is None:
            record_call(w, "post", Call("qemuMigrationBegin", "web1"))
        else:
            with pytest.raises(ZeroDivisionError):
                record_call(w, "post", Call("qemuMigrationBegin", "web1"), impl)
        assert current() is outer
    assert current() is before
