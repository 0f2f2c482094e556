#!/usr/bin/env python3
"""Cold and warm build times of the C side.

    python tools/bench_cffi.py [--src LIBVIRT_SRC] [--versions pre,post,fixed] [--calls N]

Cold: a fresh, empty cache directory, so every module is extracted and compiled.
Warm: the same cache in a new process, so every module is extracted and loaded
without compiling.  Each phase runs in its own Python process, as a user's
second run would.  Without a libvirt source only the self-test is built.
With ``--calls`` it also times N PerformJob calls through C and through Python.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, %(repo)r)
sys.path.insert(0, os.path.join(%(repo)r, "tests"))
from qemu_migration.upstream import build as B
out = {}
t = time.perf_counter()
import test_upstream_c as T
b = B.build(T._selftest_spec())
out["selftest"] = {"seconds": time.perf_counter() - t, "compiled": b.compiled}
src = %(src)r
for v in %(versions)r if src else []:
    t = time.perf_counter()
    b = B.build_version(v, src)
    out[v] = {"seconds": time.perf_counter() - t, "compiled": b.compiled}
calls = %(calls)d
if src and calls:
    from qemu_migration.upstream.impl import load
    from qemu_migration.port import post
    from qemu_migration.world.objects import Ptr
    c = load("post", src)
    for name, impl in (("python", post), ("c", c)):
        t = time.perf_counter()
        for _ in range(calls):
            vm = T.make_vm()
            w = T.world_with(vm)
            with w.activate():
                impl.qemuMigrationPerformJob(w.driver, "conn", vm, None, None, "tcp:d:1", None,
                                             0, Ptr(), Ptr(0), 0, None, 0, False)
        out["calls_" + name] = {"seconds": time.perf_counter() - t, "calls": calls}
print(json.dumps(out))
"""


def run_phase(cache, src, versions, calls):
    code = _CHILD % {"repo": REPO, "src": src, "versions": versions, "calls": calls}
    env = dict(os.environ, QEMU_MIGRATION_CACHE=cache)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit("bench_cffi: the build failed (see above)")
    return json.loads(p.stdout.strip().splitlines()[-1]), wall


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.environ.get("LIBVIRT_SRC"),
                    help="libvirt checkout or git directory (default: $LIBVIRT_SRC)")
    ap.add_argument("--versions", default="pre,post,fixed")
    ap.add_argument("--calls", type=int, default=0, help="also time N PerformJob calls")
    ap.add_argument("--json", action="store_true", help="print JSON")
    a = ap.parse_args(argv)
    versions = [v for v in a.versions.split(",") if v]
    with tempfile.TemporaryDirectory(prefix="qmc-bench-") as cache:
        cold, cold_wall = run_phase(cache, a.src, versions, 0)
        warm, warm_wall = run_phase(cache, a.src, versions, a.calls)
    result = {"cold": cold, "cold_process_seconds": cold_wall,
              "warm": warm, "warm_process_seconds": warm_wall}
    if a.json:
        print(json.dumps(result, indent=2))
        return 0
    print("%-10s %12s %12s" % ("module", "cold (s)", "warm (s)"))
    for name in cold:
        print("%-10s %12.3f %12.3f%s" % (name, cold[name]["seconds"], warm[name]["seconds"],
                                          "" if not warm[name]["compiled"] else "  (recompiled!)"))
    print("%-10s %12.3f %12.3f" % ("process", cold_wall, warm_wall))
    for name in ("calls_python", "calls_c"):
        if name in warm:
            r = warm[name]
            print("%s: %d PerformJob calls in %.3f s (%.1f us/call)"
                  % (name[6:], r["calls"], r["seconds"], 1e6 * r["seconds"] / r["calls"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
