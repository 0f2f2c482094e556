"""Upstream C text by line, read from a libvirt source at run time (never stored).

``CSource(src).line(version, function, n)`` is line ``n`` of the file that holds
``function``, at the commit of ``version`` (pre: 19f8c980, post: e2fb96d9,
fixed: e2fb96d9 with the backport applied, as the C build makes it).
"""
from ..port import MIGRATION_C, PORTED
from . import extract as X

FUNCTION_FILE = {fn: path for path, fns in PORTED.items() for fn in fns}


class CSource:
    def __init__(self, src):
        X.git_dir(src)            # ExtractError (one line) when src is no libvirt history
        self.src = src
        self._files = {}

    def lines(self, version, path):
        key = (version, path)
        if key not in self._files:
            text = X.read_source(self.src, X.VERSION_COMMITS[version], path)
            if version == "fixed" and path == MIGRATION_C:
                text, _ = X._apply_fix(self.src, text)
            self._files[key] = text.splitlines()
        return self._files[key]

    def line(self, version, function, n):
        path = FUNCTION_FILE.get(function)
        if path is None or version not in X.VERSION_COMMITS:
            return None
        lines = self.lines(version, path)
        return lines[n - 1] if 0 < n <= len(lines) else None
