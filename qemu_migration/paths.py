"""Where the project's data lives: the one place that knows the fixtures folder.

The fixtures (domain, snapshot and scenario files, the goldens, the recorded
upstream observations) are not package data: they sit beside the package in the
source tree, ``fixtures/``, where an editable install (``pip install -e``) finds
them, since the package is imported from that tree.
"""
import functools
import hashlib
import marshal
import os
import sys
import zlib
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


def checkout_file(name) -> Path:
    """The cache file ``name`` of this checkout: ``name`` with a digest of the package's
    folder before its suffix (``reach-<12 hex>.marshal``), so that checkouts of other
    sources sharing the cache folder (worktrees, a branch beside main) each keep their
    own instead of replacing each other's at every run."""
    slot = hashlib.sha256(os.fsencode(Path(__file__).resolve().parent)).hexdigest()[:12]
    stem, dot, suffix = name.partition(".")
    return cache_dir() / ("%s-%s%s%s" % (stem, slot, dot, suffix))


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


def load_kept(path, key, decode=None):
    """What ``keep`` put in the cache file ``path`` under ``key``, passed through
    ``decode`` when given; None when there is none: no file, one kept under another
    key, one that does not read as a kept (key, value) pair, or a value ``decode``
    refuses (by raising ValueError, TypeError, KeyError or AttributeError: a value of
    another shape)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        # a compressed file (keep(..., compress=True)) starts with zlib's header byte,
        # which no marshalled tuple does
        data = marshal.loads(zlib.decompress(raw) if raw[:1] == b"\x78" else raw)
    except (OSError, EOFError, ValueError, TypeError, zlib.error):
        return None
    if type(data) is not tuple or len(data) != 2 or data[0] != key:
        return None
    if decode is None:
        return data[1]
    try:
        return decode(data[1])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def keep(path, key, value, compress=False) -> None:
    """Keep ``value`` (plain data: marshal) in the cache file ``path`` under ``key``
    (``keep_file``), for ``load_kept``; ``compress``ed (zlib, its fastest level) for a
    large value.  The key should name what the value depends on; the package's
    (``source_digest``) includes the Python version, whose marshal format it is."""
    data = marshal.dumps((key, value))
    keep_file(path, zlib.compress(data, 1) if compress else data)


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
