"""Every stub names the upstream function it stands for, by file, line and commit.

The first line of each recorded stub's docstring starts ``name (file.c:line @ e2fb96d9)``
(``name(2)``/``name(3)`` for the libc functions); with LIBVIRT_SRC set, the named
line of that file at e2fb96d9 is the line the function's definition starts on.
"""
import os
import re

import pytest

from qemu_migration.port import VERSIONS
from qemu_migration.world import (stubs, stubs_client, stubs_close, stubs_driver, stubs_migration,
                                  stubs_p2p)

STUB_NAMES = sorted(n for n, f in vars(stubs).items() if hasattr(f, "stub_name"))
# the client's stubs (world/stubs_client.py), checked the same way
CLIENT_NAMES = sorted(n for n, f in vars(stubs_client).items() if hasattr(f, "stub_name"))
P2P_STUB_NAMES = sorted(n for n, f in vars(stubs_p2p).items()
                        if hasattr(f, "stub_name") and f.__module__ == stubs_p2p.__name__)
# those of port/protocol.py (world/stubs_migration.py): the ones it defines, not those
# it imports from stubs.py
MIGRATION_NAMES = sorted(n for n, f in vars(stubs_migration).items() if hasattr(f, "stub_name")
                         and f.__module__ == stubs_migration.__name__)
# qemu_driver.c's (world/stubs_driver.py)
DRIVER_STUB_NAMES = sorted(n for n, f in vars(stubs_driver).items()
                           if hasattr(f, "stub_name") and f.__module__ == stubs_driver.__name__)
# connection close's (world/stubs_close.py)
CLOSE_STUB_NAMES = sorted(n for n, f in vars(stubs_close).items()
                          if hasattr(f, "stub_name") and f.__module__ == stubs_close.__name__)
MODULES = {"stubs": stubs, "stubs_client": stubs_client, "stubs_p2p": stubs_p2p,
           "stubs_migration": stubs_migration, "stubs_driver": stubs_driver,
           "stubs_close": stubs_close}
ALL_NAMES = ([("stubs", n) for n in STUB_NAMES] + [("stubs_client", n) for n in CLIENT_NAMES]
             + [("stubs_p2p", n) for n in P2P_STUB_NAMES]
             + [("stubs_migration", n) for n in MIGRATION_NAMES]
             + [("stubs_driver", n) for n in DRIVER_STUB_NAMES]
             + [("stubs_close", n) for n in CLOSE_STUB_NAMES])
LIBC = {"pipe": 2, "strdup": 3}
REF = re.compile(r"^(\w+) \(([\w-]+\.[ch]):(\d+) @ e2fb96d9\)")
COMMIT = VERSIONS["post"].commit


def reference(name, module="stubs"):
    doc = getattr(MODULES[module], name).__doc__ or ""
    return REF.match(doc), doc


def test_there_are_stubs_to_check():
    # 19 recorded but never faulted (qemuDomainExtractTLSSubject among them)
    assert len(STUB_NAMES) == len(stubs.FAULTABLE) + 19 and "doNativeMigrate" in STUB_NAMES
    assert P2P_STUB_NAMES == sorted(stubs_p2p.FAULTABLE + stubs_p2p.PLAIN)
    assert DRIVER_STUB_NAMES == sorted(stubs_driver.FAULTABLE + stubs_driver.PLAIN)
    assert CLOSE_STUB_NAMES == sorted(stubs_close.PLAIN) == [
        "virDomainEventCallbackListRemoveConn", "virHashRemoveEntry"]


def test_there_are_client_stubs_to_check():
    assert CLIENT_NAMES == sorted(stubs_client.FAULTABLE + stubs_client.PLAIN)
    assert "virDispatchError" in CLIENT_NAMES


def test_the_migration_stubs_are_checked_too():
    assert MIGRATION_NAMES == sorted(stubs_migration.FAULTABLE + stubs_migration.PLAIN)
    assert "virGetDomain" in MIGRATION_NAMES
    # stubs_migration reuses stubs.py's stubs, and defines none of them again
    assert not set(MIGRATION_NAMES) & set(STUB_NAMES)


@pytest.mark.parametrize("module,name", ALL_NAMES)
def test_every_stub_names_its_upstream_function(module, name):
    m, doc = reference(name, module)
    if name in LIBC:
        assert doc.startswith("%s(%d)" % (name, LIBC[name])), doc
        return
    assert m is not None, "%s: docstring does not start 'name (file.c:line @ e2fb96d9)'" % name
    assert m.group(1) == name


def test_the_reference_pattern_refuses_what_it_should():
    assert REF.match("virFoo (util.c:12 @ e2fb96d9): does") is not None
    for bad in ("virFoo: does", "virFoo (util.c @ e2fb96d9)", "virFoo (util.c:12 @ 19f8c980)",
                "virFoo (util:12 @ e2fb96d9)"):
        assert REF.match(bad) is None, bad


if os.environ.get("LIBVIRT_SRC"):
    # Defined only where sources are at hand, as test_upstream_record's live comparison.
    import subprocess

    from qemu_migration.upstream.extract import git_dir, read_source

    def _paths():
        return subprocess.run(["git", "--git-dir=" + git_dir(os.environ["LIBVIRT_SRC"]),
                               "ls-tree", "-r", "--name-only", COMMIT, "src"],
                              capture_output=True, text=True, check=True).stdout.split()

    @pytest.mark.parametrize("module,name", [(m, n) for m, n in ALL_NAMES if n not in LIBC])
    def test_the_named_line_defines_the_function(module, name):
        m, _ = reference(name, module)
        base, line = m.group(2), int(m.group(3))
        paths = [p for p in _paths() if p.rsplit("/", 1)[-1] == base]
        assert len(paths) == 1, (base, paths)
        text = read_source(os.environ["LIBVIRT_SRC"], COMMIT, paths[0]).split("\n")
        at = text[line - 1]
        # the definition: the name starts the line, or follows its return type, then "("
        assert re.match(r"^(?:[\w\s\*]*\s\*?)?%s ?\(" % name, at), (name, line, at)
        assert not at.rstrip().endswith(";"), (name, line, at)
