"""A host's code: one version's qemu_migration.c with the rest of the protocol, as one unit.

The function-level runs call a version module (port/pre.py, post.py, fixed.py)
alone, with the rest of the migration stubbed.  A whole migration (issue 9) runs
a host's full code path, and upstream compiles that as one translation unit
per file: a version's PerformJob calls the real doPeer2PeerMigrate, which calls
the version's qemuMigrationBegin, and qemu_driver.c's entry points call the
version's functions.

The functions that are the same at all three commits are ported once
(port/protocol.py and port/peer2peer.py: the rest of qemu_migration.c;
port/driver.py: qemu_driver.c's migration entry points and its close;
port/process.py: qemu_process.c's auto-destroy on close).  ``unit(version)``
binds them to one version: each
ported function of the version module and of the shared modules is re-made
from its code with globals in which every name of the unit means the unit's
function, so that a call resolves as the C linker would resolve it within the
daemon.  The version modules themselves are left as they are (their
doPeer2PeerMigrate stays the stub of the function-level runs).

A shared module lists the functions it adds to a unit in ``UNIT``; a version
module's are ``traced_names(MIGRATION_C)``.
"""
import inspect
import types
from functools import lru_cache
from types import SimpleNamespace

from ..world.runtime import ported
from . import MIGRATION_C, VERSIONS, driver, peer2peer, process, protocol, traced_names

SHARED = (protocol, peer2peer, driver, process)


def _members(version):
    yield VERSIONS[version].module, traced_names(MIGRATION_C)
    for mod in SHARED:
        yield mod, mod.UNIT


@lru_cache(maxsize=None)
def unit(version):
    """The ported functions of one host of ``version``, bound to each other: a namespace."""
    raw, home = {}, {}
    for mod, names in _members(version):
        for name in names:
            raw[name] = inspect.unwrap(getattr(mod, name))
            home[name] = mod
    scopes = {mod: dict(vars(mod)) for mod, _names in _members(version)}
    funcs = {}
    for name, fn in raw.items():
        clone = types.FunctionType(fn.__code__, scopes[home[name]], fn.__name__,
                                   fn.__defaults__, fn.__closure__)
        clone.__kwdefaults__ = fn.__kwdefaults__
        clone.__doc__ = fn.__doc__
        funcs[name] = ported(clone)
    for scope in scopes.values():
        scope.update(funcs)
    return SimpleNamespace(**funcs)


def entry_points(version):
    """A host's driver table: virDriver member name -> the unit's function (port/driver.py's
    ``DRIVER_TABLE``, qemu_driver.c's ``qemuDriver`` initialiser)."""
    u = unit(version)
    return {member: getattr(u, fname) for member, fname in driver.DRIVER_TABLE.items()}
