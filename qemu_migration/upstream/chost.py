"""The compiled C as parties of a whole migration: a host's entry points, the client.

``entry_points(version, src)`` is the C analogue of port/unit.py's
``entry_points(version)``: virDriver member -> the compiled qemu_driver.c
function of the version's unit (cproto.DRIVER_TABLE), callable with the
Python arguments a ``Connection``'s remote call hands a host
(world/hosts.py's ``Host.entry``).  ``client(src)`` is libvirt.c's
virDomainMigrate and its flows compiled, callable as port/libvirt.py's are.
One module per version (and one for the client) per process, cached on disk
by build.py.
"""
import os
from typing import Dict, Optional

from . import cproto as CP
from .build import BuildError
from .impl import CImpl

_UNITS: Dict[tuple, CImpl] = {}


def _src(src: Optional[str]) -> str:
    src = src or os.environ.get("LIBVIRT_SRC")
    if not src:
        raise BuildError("qemu-migration: no libvirt source given "
                              "(pass src or set LIBVIRT_SRC)")
    return src


def unit(version: str, src: Optional[str] = None, coverage: bool = False) -> CImpl:
    """A host's unit of ``version`` compiled (with gcov: ``coverage``): every function it
    has, by name."""
    src = _src(src)
    key = ("unit", version, os.path.abspath(src), coverage)
    if key not in _UNITS:
        _UNITS[key] = CImpl(version, built=CP.build_unit(version, src, coverage),
                            pymodule=None)
    return _UNITS[key]


def entry_points(version: str, src: Optional[str] = None,
                 coverage: bool = False) -> Dict[str, object]:
    """A C host's driver table: virDriver member -> the compiled entry point."""
    u = unit(version, src, coverage)
    return {member: getattr(u, fname) for member, fname in CP.DRIVER_TABLE.items()}


def client(src: Optional[str] = None, coverage: bool = False) -> CImpl:
    """libvirt.c's migration flows compiled (the same at every version)."""
    src = _src(src)
    key = ("client", os.path.abspath(src), coverage)
    if key not in _UNITS:
        _UNITS[key] = CImpl("client", built=CP.build_client(src, coverage), pymodule=None)
    return _UNITS[key]
