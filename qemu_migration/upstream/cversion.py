"""Compiled C as a version: ``c:DIR`` and ``c:GITDIR@COMMIT`` (filled in below)."""


class CVersionError(RuntimeError):
    """A one-line reason why a c: version cannot be run."""


def load(spec):
    raise CVersionError("%s: compiled C versions are not available yet" % spec)


from .build import BuildError  # noqa: E402
from .extract import ExtractError  # noqa: E402
