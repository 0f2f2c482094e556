"""sha256 of the commands' whole output, to show a speed change leaves every byte as it was.

Run it with one checkout's virtualenv, then with another's, and compare the lines:

    .venv/bin/python tools/output_digests.py > after.txt
    /path/to/main/.venv/bin/python tools/output_digests.py > before.txt
    diff before.txt after.txt

Each command runs in a fresh process with a fresh cache folder (QEMU_MIGRATION_CACHE),
then once more on that now warm cache: both must print the same.  ``cases`` prints the
time it took on its last line, which is left out of its digest.
"""
import hashlib
import os
import subprocess
import sys
import tempfile

COMMANDS = [
    ["diff", "--json"],
    ["diff"],
    ["diff", "--from", "post", "--to", "fixed", "--json"],
    ["check", "--json"],
    ["check", "--version", "pre", "--json"],
    ["cases", "--json"],
    ["protocol", "--faults", "--json"],
]


def digest(args, env):
    exe = os.path.join(os.path.dirname(sys.executable), "qemu-migration")
    p = subprocess.run([exe] + args, env=env, capture_output=True)
    out = p.stdout
    if args[0] == "cases":
        out = b"\n".join(line for line in out.splitlines() if b"second" not in line)
    return "%s %d %s" % (hashlib.sha256(out).hexdigest(), p.returncode, " ".join(args))


def main():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, QEMU_MIGRATION_CACHE=cache)
        for args in COMMANDS:
            cold, warm = digest(args, env), digest(args, env)
            print(cold if cold == warm else "%s  (warm cache: %s)" % (cold, warm.split()[0]))


if __name__ == "__main__":
    main()
