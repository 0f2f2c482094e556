"""Where the project's data lives: the one place that knows the fixtures folder.

The fixtures (domain, snapshot and scenario files, the goldens, the recorded
upstream observations) are not package data: they sit beside the package in the
source tree, ``fixtures/``, where an editable install (``pip install -e``) finds
them, since the package is imported from that tree.
"""
import functools
import hashlib
import os
import sys
from pathlib import Path


def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "fixtures"


def cache_dir() -> Path:
    """Where results derived from the package alone are kept between runs:
    ``$QEMU_MIGRATION_CACHE``, else ``~/.cache/qemu-migration``.  The C builds
    (upstream/build.py) are kept here too: one folder, found in one place."""
    d = os.environ.get("QEMU_MIGRATION_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "qemu-migration")
    return Path(d).resolve()


def keep_file(path, data: bytes) -> None:
    """Write ``data`` to the cache file ``path``: whole, to a temporary file renamed into
    place (a concurrent reader sees the old file or the new one).  A cache that cannot be
    written is no error: the next run computes again."""
    path = os.fspath(path)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


@functools.lru_cache(maxsize=None)
def source_digest() -> str:
    """sha256 of the package's Python source (every .py file, by path), and of the
    Python that runs it: a key for what is derived from the code alone."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(sys.version.encode())
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()
