"""What every qemu-migration command shares: the usage error and reading --version.

It sits below cli.py, analysis/cli.py and upstream/cli.py, which all import it,
so that none of them imports another's helpers.
"""
from .port import VERSION_NAMES


# the version of every --json output's layout (docs/json.md); raise it when a field
# changes meaning or goes away
JSON_SCHEMA = 1


class UsageError(Exception):
    """A bad command line: printed as one line, exit status 2."""


def versions(value, allow_all=True):
    """The versions a --version value names: one, or every one for "all" (or none given)."""
    if allow_all and value in (None, "all"):
        return list(VERSION_NAMES)
    if value not in VERSION_NAMES:
        raise UsageError("unknown version '%s' (expected %s%s)" % (
            value, ", ".join(VERSION_NAMES), " or all" if allow_all else ""))
    return [value]
