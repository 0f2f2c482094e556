"""Compiled C as a version: ``c:DIR`` (a libvirt tree as it is on disk) and
``c:GITDIR@COMMIT`` (a commit of a libvirt history).

The ported functions are read out of the tree (extract.py), compiled against
the stub world with cffi and cached (build.py), and called through ``CImpl``
exactly as ``compare`` does.  The calling convention (which port's signatures
the functions have) is taken from ``qemuMigrationIsAllowed``: one parameter
is pre's, three are post's.  A tree whose functions do not fit the stub world
is refused in one line naming the function and what differs: a function that
is missing, a signature that changed, or a callee with no stub.
"""
import os
import re

from ..port import PORTED
from . import build as B
from . import extract as X
from .build import BuildError
from .extract import ExtractError
from .impl import CImpl


class CVersionError(RuntimeError):
    """A one-line reason why a c: version cannot be run."""


def parse_spec(spec):
    """(source, commit or None) of ``c:DIR`` or ``c:GITDIR@COMMIT``."""
    body = spec[2:]
    if not body:
        raise CVersionError("%s: expected c:DIR or c:GITDIR@COMMIT" % spec)
    src, commit = body, None
    if "@" in body and not os.path.isdir(body):
        src, _, commit = body.rpartition("@")
        if not commit or not src:
            raise CVersionError("%s: expected c:GITDIR@COMMIT" % spec)
    src = os.path.expanduser(src)
    if not os.path.isdir(src):
        raise CVersionError("%s: %s is not a folder" % (spec, src))
    return src, commit


def extract(spec):
    src, commit = parse_spec(spec)
    ex = X.Extracted("candidate", commit or "worktree")
    try:
        if commit is not None and not X.has_commit(src, commit):
            raise CVersionError("%s: no commit %s in %s" % (spec, commit, src))
        for path, names in PORTED.items():
            text = X.read_source(src, commit, path, worktree=commit is None)
            found = X.parse_functions(text, path)
            for n in names:
                if n not in found:
                    raise CVersionError("%s: %s is not defined in %s" % (spec, n, path))
                ex.functions.append(found[n])
    except ExtractError as e:
        raise CVersionError("%s: %s" % (spec, str(e).replace("qemu-migration: ", "", 1)))
    return ex


_IMPLICIT = re.compile(r"implicit declaration of function [‘'`](\w+)")
_UNDEFINED = re.compile(r"undefined symbol: (\w+)")


def convention_of(ex):
    f = ex.by_name()["qemuMigrationIsAllowed"]
    return "pre" if len(f.params) == 1 else "post"


def load(spec):
    """(name, convention, CImpl) of a c: version; CVersionError (one line) when it cannot be."""
    ex = extract(spec)
    convention = convention_of(ex)
    ex.version = convention
    by_name = ex.by_name()
    try:
        for name, sig in B.expected_signatures(convention).items():
            B.check_signature(by_name[name], sig, ex.commit)
        built = B.build(B.version_spec(ex))
    except (BuildError, ImportError) as e:
        # a callee the stub world lacks: the compiler's implicit declaration, or, where
        # the compiler lets it pass, the symbol the loader cannot find
        text = str(e).replace("qemu-migration: ", "", 1)
        m = _IMPLICIT.search(text) or _UNDEFINED.search(text)
        if m:
            callee = m.group(1)
            caller = next((f.name for f in ex.functions
                           if re.search(r"\b%s\s*\(" % re.escape(callee), f.text)), "?")
            text = ("%s calls %s, which has no stub in the stub world" % (caller, callee))
        else:
            text = re.sub(r" \(build dir: [^)]*\)$", "", text)
        raise CVersionError("%s: %s" % (spec, text))
    return spec, convention, CImpl(convention, built=built)


__all__ = ["CVersionError", "load", "parse_spec", "ExtractError", "BuildError"]
