"""How long loading takes as files grow: a domain with N host devices, a scenario of N calls.

The files are generated into tmp_path (nothing large is committed).  Two sizes,
ten times apart, so the benchmark table shows whether the time grows tenfold
(linear) or a hundredfold (quadratic, as it was while a location path was
computed for every attribute read).  No time is asserted; what loaded is.
``pytest tests/test_bench_loader.py --benchmark-only`` prints the table.
"""
from pathlib import Path

import pytest

from conftest import benchmarks_timed
from qemu_migration.loader import load_domain, load_scenario

# Not measured for coverage (pytest-cov's no_cover; every check stays): a benchmark times
# the code as it runs untraced, and the functional tests reach every line it runs (the
# gate proves it).  Traced, these runs were a large share of the suite's time.
pytestmark = pytest.mark.no_cover

FIX = Path(__file__).resolve().parent.parent / "fixtures"
UUID = "5d1e0c2a-7f3b-4c8d-9e0f-1a2b3c4d5e6f"
SIZES = [5000, 50000]        # timed (--benchmark-only): the README's figures
UNTIMED_SIZES = [500, 5000]  # the default run loads them once, untimed (conftest.py)

PCI = ("    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
       "      <source><address domain='0x0000' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
       "</source>\n    </hostdev>\n")
USB = ("    <hostdev mode='subsystem' type='usb'>\n"
       "      <source><vendor id='0x%04x'/><product id='0x%04x'/></source>\n"
       "    </hostdev>\n")
CALLS = [
    "  <call function='qemuMigrationPerformJob' domain='web1'>\n"
    "    <arg name='flags'>live peer2peer</arg><arg name='resource'>{i}</arg>\n"
    "    <fault callee='doPeer2PeerMigrate' nth='1'/>\n  </call>\n",
    "  <call function='qemuMigrationBegin' domain='web1'/>\n",
    "  <call function='qemuMigrationPrepareTunnel'>\n"
    "    <arg name='dom_xml' file='%s'/><arg name='dname'>copy{i}</arg>\n  </call>\n"
    % (FIX / "domains" / "web1.xml"),
    "  <call function='qemuMigrationIsAllowed' domain='web1'/>\n",
]


def big_domain(path, n):
    devices = "".join(PCI % (1 + i % 255, i % 32, i % 8) if i % 4 else USB % (1 + i, i)
                      for i in range(n))
    path.write_text("<domain type='kvm'>\n  <name>big</name>\n  <uuid>%s</uuid>\n"
                    "  <memory>1048576</memory>\n  <vcpu>4</vcpu>\n  <devices>\n%s"
                    "  </devices>\n</domain>\n" % (UUID, devices))
    return path


def long_scenario(path, n):
    calls = "".join(CALLS[i % len(CALLS)].replace("{i}", str(i)) for i in range(n))
    path.write_text("<scenario name='long'>\n  <host><domain file='%s'/></host>\n%s"
                    "</scenario>\n" % (FIX / "domains" / "web1.status.xml", calls))
    return path


def pytest_generate_tests(metafunc):
    if "n" in metafunc.fixturenames:
        metafunc.parametrize("n", SIZES if benchmarks_timed(metafunc.config) else UNTIMED_SIZES)


def test_load_domain_with_n_host_devices(benchmark, tmp_path, n):
    path = big_domain(tmp_path / "big.xml", n)
    benchmark.extra_info.update({"host devices": n, "bytes": path.stat().st_size})
    d = benchmark.pedantic(load_domain, args=(path,), rounds=1, iterations=1)
    assert len(d.hostdevs) == n
    assert d.hostdevs[1].source == "0000:02:01.1" and d.hostdevs[0].source == "0001:0000"


def test_load_scenario_with_n_calls(benchmark, tmp_path, n):
    path = long_scenario(tmp_path / "long.xml", n)
    benchmark.extra_info.update({"calls": n, "bytes": path.stat().st_size})
    sc = benchmark.pedantic(load_scenario, args=(path,), rounds=1, iterations=1)
    assert len(sc.calls) == n
    assert sc.calls[-4].args["resource"] == n - 4 and sc.calls[2].args["dname"] == "copy2"
