"""paths.py's keyed cache files: ``keep`` and ``load_kept``, which analysis/reach.py
(the reach) and analysis/cases.py (the fault-free runs' faultable calls) both use."""
import marshal
import os
import re

from qemu_migration import paths
from qemu_migration.paths import keep, load_kept


def test_a_kept_value_reads_back_under_its_key_only(tmp_path):
    path = tmp_path / "sub" / "kept.marshal"             # its folder is made
    value = {("post", "a"): {"virAlloc": 2}, "s": {frozenset({("d", "1")})}}
    keep(path, "k1", value)
    assert load_kept(path, "k1") == value
    assert load_kept(path, "k2") is None                 # kept under another key
    keep(path, "k2", [1])                                # replaced whole
    assert load_kept(path, "k2") == [1] and load_kept(path, "k1") is None


def test_a_missing_or_corrupt_file_is_none(tmp_path):
    path = tmp_path / "kept.marshal"
    assert load_kept(path, "k") is None                  # no file
    for bad in (b"", b"\x00garbage", marshal.dumps(["k", 1]), marshal.dumps(("k",)),
                marshal.dumps(("k", 1, 2)), marshal.dumps(5)):
        path.write_bytes(bad)
        assert load_kept(path, "k") is None, bad
    path.unlink()
    path.mkdir()                                         # not a file
    assert load_kept(path, "k") is None


def test_decode_turns_the_value_into_its_object_or_refuses_it(tmp_path):
    path = tmp_path / "kept.marshal"
    keep(path, "k", (2, 3))

    def pair(value):
        a, b = value
        return a * b
    assert load_kept(path, "k", pair) == 6
    keep(path, "k", (2, 3, 4))                           # ValueError: refused
    assert load_kept(path, "k", pair) is None
    keep(path, "k", 1)                                   # TypeError
    assert load_kept(path, "k", pair) is None
    keep(path, "k", {})
    assert load_kept(path, "k", lambda v: v["missing"]) is None    # KeyError
    assert load_kept(path, "other", lambda v: v["missing"]) is None
    keep(path, "k", ([], []))                            # AttributeError: another shape
    assert load_kept(path, "k", lambda v: v[0].items()) is None


def test_a_reach_kept_in_another_shape_is_probed_again(tmp_path):
    """A reach file under the right key whose value is not a reach (a hand-made or
    damaged file) is no traceback: it is computed again and kept."""
    from qemu_migration.analysis.reach import Reach, cached
    path = tmp_path / "reach.marshal"
    keep(path, "k", ([], []))
    got = cached(path, "k", lambda: Reach({"f": {frozenset({("d", 1)})}}, {"g"}))
    assert (got.seen, got.pending) == ({"f": {frozenset({("d", 1)})}}, {"g"})
    assert load_kept(path, "k") == ({"f": {frozenset({("d", 1)})}}, {"g"})


def test_a_file_that_cannot_be_kept_is_no_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    keep(blocker / "kept.marshal", "k", 1)                # its folder is a file
    assert load_kept(blocker / "kept.marshal", "k") is None
    (tmp_path / "d" / "kept.marshal").mkdir(parents=True)  # the rename onto it fails
    keep(tmp_path / "d" / "kept.marshal", "k", 1)
    assert os.listdir(tmp_path / "d") == ["kept.marshal"]   # the temporary file went


def test_each_checkout_keeps_its_own_file(monkeypatch, tmp_path):
    """A cache file is named by the package's folder: two checkouts sharing the cache
    folder do not replace each other's (their sources differ, so their keys would)."""
    monkeypatch.setenv("QEMU_MIGRATION_CACHE", str(tmp_path))
    here = paths.checkout_file("reach.marshal")
    assert here.parent == tmp_path and re.fullmatch(r"reach-[0-9a-f]{12}\.marshal", here.name)
    assert paths.checkout_file("calls.marshal").name == here.name.replace("reach", "calls")
    other = tmp_path / "other" / "qemu_migration" / "paths.py"
    monkeypatch.setattr(paths, "__file__", str(other))
    assert paths.checkout_file("reach.marshal") != here


def test_a_compressed_value_reads_back_as_a_plain_one(tmp_path):
    """``keep(..., compress=True)`` writes zlib's bytes, which ``load_kept`` reads as it
    reads a plain file; a damaged compressed file is no value."""
    value = {"rows": [("a", 1)] * 50}
    keep(tmp_path / "z", "k", value, compress=True)
    keep(tmp_path / "plain", "k", value)
    z, plain = (tmp_path / "z").read_bytes(), (tmp_path / "plain").read_bytes()
    assert z[:1] == b"\x78" and len(z) < len(plain) and plain[:1] != b"\x78"
    assert load_kept(tmp_path / "z", "k") == value == load_kept(tmp_path / "plain", "k")
    (tmp_path / "z").write_bytes(z[:-5])
    assert load_kept(tmp_path / "z", "k") is None
