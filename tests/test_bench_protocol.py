"""How fast the protocol matrix runs (pytest-benchmark; figures, never timed asserts).

``python -m pytest tests/test_bench_protocol.py --benchmark-only -s`` prints them; the
README's "Whole migrations" section quotes them.

  * the matrix: 6 flows x 9 version pairs x 6 domains, each migration run twice (the
    second attempt), as `qemu-migration protocol` runs it;
  * the matrix with ``--faults``: each of those again with every faultable call of either
    host, the client and the wire failing in turn;
  * the extra rows compare runs (each variant of engine/protocol.py's VARIANTS on each
    flow and on three version pairs) with their fault rows.

Timed, each is one round of the whole matrix (CPU time is what is reported).  In the
default run (untimed, see conftest.py) the plain matrix runs once and must equal the
session's (``protocol_rows``); the faulted one runs on one flow, version pair and domain
and checks that every fault point gave a row, and that each fired.
"""
import time

import pytest

from conftest import benchmarks_timed
from qemu_migration.engine import protocol as P

# Not measured for coverage (pytest-cov's no_cover; every check stays): a benchmark times
# the code as it runs untraced, and the functional tests reach every line it runs (the
# gate proves it).  Traced, these runs were a large share of the suite's time.
pytestmark = pytest.mark.no_cover


def _timed(benchmark, fn):
    cpu, out = [], []

    def run():
        t0 = time.process_time()
        out.append(fn())
        cpu.append(time.process_time() - t0)
    benchmark.pedantic(run, rounds=1, iterations=1)
    return out[-1], cpu[-1]


def test_protocol_matrix(benchmark, protocol_rows):
    rows, cpu = _timed(benchmark, P.matrix)
    assert rows == protocol_rows and len(rows) == 6 * 9 * 6
    benchmark.extra_info.update({"migrations": len(rows), "cpu_s": round(cpu, 2)})
    print("\nprotocol matrix: %d migrations (each twice), %.2f s CPU, %.1f ms per migration"
          % (len(rows), cpu, cpu / len(rows) * 1e3))


def test_protocol_matrix_with_faults(benchmark, request):
    if benchmarks_timed(request.config):
        def run():
            return P.matrix(faults=True)
    else:
        def run():
            return P.matrix(["p2p-v3"], ["post"], ["fixed"], ["clean"], faults=True)
    rows, cpu = _timed(benchmark, run)
    plain = [r for r in rows if r["fault"] is None]
    faulted = [r for r in rows if r["fault"] is not None]
    assert plain and len(faulted) > len(plain)
    assert not any(r["unfired_faults"] for r in faulted)
    benchmark.extra_info.update({"migrations": len(rows), "faulted": len(faulted),
                                 "cpu_s": round(cpu, 2)})
    print("\nprotocol matrix with faults: %d migrations (%d faulted), %.2f s CPU, "
          "%.1f ms per migration" % (len(rows), len(faulted), cpu, cpu / len(rows) * 1e3))


def test_protocol_extra_rows(benchmark, request):
    """The extra rows compare runs (engine/protocol.py's VARIANTS) with their fault rows;
    untimed, one variant on one version pair."""
    if benchmarks_timed(request.config):
        def run():
            return P.extra_rows(faults=True)
    else:
        def run():
            return P.extra_rows(["post", "fixed"], faults=True, variants=["change-protection"])
    rows, cpu = _timed(benchmark, run)
    # an extra row is a variant's, or one of the WAKEUP_ROWS of the plain matrix
    assert rows and all(r.get("variant") or r.get("wakeup") for r in rows)
    assert not any(r["unfired_faults"] for r in rows if r["fault"])
    assert not any(r.get("unfired_wakeups") for r in rows)
    benchmark.extra_info.update({"migrations": len(rows), "cpu_s": round(cpu, 2)})
    print("\nprotocol extra rows with faults: %d migrations, %.2f s CPU, %.1f ms per migration"
          % (len(rows), cpu, cpu / len(rows) * 1e3))
