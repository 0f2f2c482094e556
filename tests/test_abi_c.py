"""The ported ABI check against upstream's, compiled (deccheck's way: the same inputs to
both, every difference shown).

upstream/abicheck.py builds virDomainDefCheckABIStability and its 18 helpers from
domain_conf.c at e2fb96d9 against the project's stub headers; the migration builds call
the Python port instead (port/abi.py).  Here both run on generated pairs of definitions
(Hypothesis: a definition and a second one that takes some fields, or some devices, from
another), and on each refusal of tests/test_abi.py, and must give the same return, the
same errors (code, domain, message, reporter) and the same trace with its arguments.

Defined only with LIBVIRT_SRC (as test_upstream_c.py's live tests: CI has no libvirt
source, and under CI a skip is an error).
"""
import os
from dataclasses import fields, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_world
from qemu_migration.port import ABI_CHECK
from qemu_migration.port import abi as A
from qemu_migration.world.objects import (CcidAddress, ChrDef, ControllerDef, DeviceAddr,
                                          DeviceInfo, DiskDef, DomainDef, DriveAddress, FSDef,
                                          HostdevDef, HubDef, InputDef, MemballoonDef, NetDef,
                                          PCIAddress, SmartcardDef, SoundDef, TimerDef,
                                          VideoAccelDef, VideoDef, VioserialAddress,
                                          WatchdogDef)
from test_abi import REFUSALS, full_def

LIBVIRT_SRC = os.environ.get("LIBVIRT_SRC")

small = st.integers(0, 2)
infos = st.one_of(
    st.just(DeviceInfo()),
    st.builds(lambda s, f: DeviceInfo(1, DeviceAddr(pci=PCIAddress(0, 0, s, f))),
              st.integers(1, 3), st.integers(0, 1)),
    st.builds(lambda c, u: DeviceInfo(2, DeviceAddr(drive=DriveAddress(c, 0, u))), small, small),
    st.builds(lambda p: DeviceInfo(3, DeviceAddr(vioserial=VioserialAddress(0, 0, p))), small),
    st.builds(lambda s: DeviceInfo(4, DeviceAddr(ccid=CcidAddress(0, s))), small),
    st.just(DeviceInfo(5)))
timers = st.builds(TimerDef, st.integers(0, 4), st.integers(-1, 1), st.sampled_from([0, 1000]),
                   st.integers(-1, 4))
disks = st.builds(DiskDef, small, st.integers(0, 7), st.sampled_from(["hda", "vda"]),
                  st.sampled_from([None, "S1", "S2"]), st.integers(0, 1), st.integers(0, 1),
                  infos)
controllers = st.builds(ControllerDef, st.integers(0, 6), st.integers(0, 1),
                        st.integers(-1, 1), st.integers(-1, 1), st.integers(-1, 1), infos)
fss = st.builds(FSDef, st.sampled_from(["/a", "/b"]), st.integers(0, 1), infos)
nets = st.builds(NetDef, st.sampled_from([b"\x52\x54\x00\x00\x00\x01", b"\x52\x54\x00\xab\xcd\x02"]),
                 st.sampled_from([None, "virtio", "e1000"]), infos)
inputs = st.builds(InputDef, st.integers(0, 1), small, infos)
sounds = st.builds(SoundDef, st.integers(0, 4), infos)
videos = st.builds(VideoDef, st.integers(0, 5), st.sampled_from([9216, 16384]),
                   st.integers(1, 2),
                   st.one_of(st.none(), st.builds(VideoAccelDef, st.integers(0, 1),
                                                  st.integers(0, 1))), infos)
hostdevs = st.builds(HostdevDef, st.sampled_from(["subsystem", "capabilities"]),
                     st.sampled_from(["usb", "pci"]), st.just("x"), infos)
ports = st.builds(lambda p, i: ChrDef(port=p, info=i), st.integers(0, 1), infos)
# a channel has what its target type needs (the parser makes sure of it)
channels = st.one_of(
    st.builds(lambda n, i: ChrDef(1, name=n, info=i), st.sampled_from(["a.b", "c.d"]), infos),
    st.builds(lambda a, i: ChrDef(0, addr=a, info=i),
              st.sampled_from(["10.0.2.1:4600", "10.0.2.2:4600"]), infos))
consoles = st.builds(lambda t, i: ChrDef(t, info=i), st.integers(0, 3), infos)


def few(s):
    return st.lists(s, max_size=2)


definitions = st.builds(
    DomainDef, st.sampled_from(["kvm", "qemu"]), st.just("g"),
    st.sampled_from(["3379d1ad-4aa1-496b-ba7d-755cc61c5b8a",
                     "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"]),
    vcpus=st.integers(1, 2), maxvcpus=st.integers(1, 2),
    os_type=st.sampled_from(["hvm", "xen"]), os_arch=st.sampled_from(["x86_64", "i686"]),
    os_machine=st.sampled_from(["pc", "pc-0.14"]), os_smbios_mode=st.integers(0, 3),
    features=st.integers(0, 3), timers=few(timers), disks=few(disks),
    controllers=few(controllers), fss=few(fss), nets=few(nets), inputs=few(inputs),
    sounds=few(sounds), videos=few(videos), hostdevs=few(hostdevs),
    smartcards=few(st.builds(SmartcardDef, infos)), serials=few(ports), parallels=few(ports),
    channels=few(channels), console=st.one_of(st.none(), consoles),
    hubs=few(st.builds(HubDef, st.integers(0, 1), infos)),
    watchdog=st.one_of(st.none(), st.builds(WatchdogDef, st.integers(0, 1), infos)),
    memballoon=st.one_of(st.none(), st.builds(MemballoonDef, st.integers(0, 2), infos)))
COMPARED = [f.name for f in fields(DomainDef) if f.name not in ("name", "id", "memory",
                                                                  "graphics", "source", "cpu",
                                                                  "sysinfo")]


@st.composite
def pairs(draw):
    """A definition and one that takes some of its fields (and, where both have as many,
    some devices) from another: most pairs agree far enough to reach the devices."""
    src, other = draw(definitions), draw(definitions)
    dst = src.copy()
    for name in draw(st.lists(st.sampled_from(COMPARED), max_size=3, unique=True)):
        a, b = getattr(src, name), getattr(other, name)
        if isinstance(a, list) and len(a) == len(b) and a:
            i = draw(st.integers(0, len(a) - 1))
            setattr(dst, name, a[:i] + [b[i]] + a[i + 1:])
        else:
            setattr(dst, name, b)
    return src, dst


def outcome(check, src, dst):
    w = make_world()
    with w.activate():
        ret = check(src, dst)
    return ret, [e.as_dict() for e in w.errors], list(w.trace)


if LIBVIRT_SRC:
    from qemu_migration.upstream import abicheck

    @pytest.fixture(scope="module")
    def upstream():
        return abicheck.load(LIBVIRT_SRC).virDomainDefCheckABIStability

    def test_the_compiled_check_is_upstreams_own_text():
        spec = abicheck.abi_spec(LIBVIRT_SRC)
        assert [f.name for f in spec.functions] == ABI_CHECK
        assert all(f.path == "src/conf/domain_conf.c" for f in spec.functions)
        assert spec.functions[-1].line == 8113

    @pytest.mark.parametrize("change", [r[1] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
    def test_each_refusal_agrees_with_upstream(upstream, change):
        src, dst = full_def(), change(full_def())
        mine = outcome(A.virDomainDefCheckABIStability, src, dst)
        assert mine[0] is False
        assert outcome(upstream, src, dst) == mine

    @settings(max_examples=400, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(pairs())
    def test_generated_definitions_agree_with_upstream(upstream, pair):
        src, dst = pair
        assert outcome(upstream, src, dst) == outcome(A.virDomainDefCheckABIStability, src, dst)

    def test_a_port_bug_is_a_disagreement(upstream, monkeypatch):
        """The harness can fail: a port that names the virt type otherwise disagrees."""
        src, dst = full_def(), replace(full_def(), virtType="qemu")
        right = outcome(A.virDomainDefCheckABIStability, src, dst)
        assert outcome(upstream, src, dst) == right
        monkeypatch.setattr(A, "virDomainVirtTypeToString", lambda v: v.upper())
        assert outcome(upstream, src, dst) != outcome(A.virDomainDefCheckABIStability, src, dst)
