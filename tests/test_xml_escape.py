"""The project's own XML escaping (world/domxml.py) writes what xml.sax.saxutils wrote,
whose import costs every command about 20 ms (it imports urllib.request)."""
from xml.sax.saxutils import escape as sax_escape

import pytest

from qemu_migration.analysis.export import quoteattr
from qemu_migration.world import domxml

TEXTS = ["", "plain", "a&b", "<name>", "x > y", "it's", 'say "hi"', "&amp; already",
         "&<>'\"&<>'\"", "snap1 & <2>"]


@pytest.mark.parametrize("text", TEXTS)
def test_escape_and_quoted_attributes_are_what_saxutils_made(text):
    assert domxml.escape(text) == sax_escape(text)
    assert domxml._a(text) == "'%s'" % sax_escape(text, {"'": "&apos;", '"': "&quot;"})
    assert quoteattr(text) == "'%s'" % sax_escape(text, {"'": "&apos;"})
    assert domxml._a(7) == quoteattr(7) == "'7'"
