"""Safe XML parsing and the small XPath helpers the format parsers share.

Documents are parsed by lxml with entity expansion, DTD loading and network
access all off, and any document carrying a DOCTYPE (hence any entity
declaration) is refused.  Lookups go through XPath the way libvirt's
``virXPathString("string(./name[1])", ctxt)`` does.
"""
import re
from pathlib import Path

from lxml import etree

from .errors import LoadError

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       huge_tree=False, remove_comments=True, remove_pis=True,
                       dtd_validation=False, attribute_defaults=False)

_DTD_MARKERS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser():
    return etree.XMLParser(**_PARSER_OPTIONS)


def parse_bytes(data, path):
    """Parse ``data`` (bytes or str) and return the root element; LoadError if unsafe or bad."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    m = _DTD_MARKERS.search(data)
    if m:
        line = data.count(b"\n", 0, m.start()) + 1
        raise LoadError(path, "line %d" % line,
                        "document type declarations and entities are not accepted "
                        "(found <!%s)" % m.group(1).decode("ascii", "replace").upper())
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        line, col = (e.position if e.position else (e.lineno or 0, 0))
        msg = e.msg or str(e)
        msg = re.sub(r",\s*line \d+,\s*column \d+\s*$", "", msg)
        raise LoadError(path, "line %d, column %d" % (line, col),
                        "malformed XML: %s" % msg) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise LoadError(path, "/", "document type declarations and entities are not accepted")
    return root


def read_bytes(path, referrer=None, element=None, as_written=None):
    """The bytes of ``path``; a missing file names the file that referred to it.

    ``as_written`` is the path as the referring file spells it, when that differs.
    """
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        if referrer is not None:
            if as_written is not None and as_written != str(path):
                raise LoadError(referrer, element,
                                "referenced file '%s' does not exist (looked for %s)"
                                % (as_written, path)) from None
            raise LoadError(referrer, element, "referenced file '%s' does not exist" % path) \
                from None
        raise LoadError(path, "/", "file does not exist") from None
    except OSError as e:
        raise LoadError(referrer or path, element or "/",
                        "cannot read '%s': %s" % (path, e.strerror)) from None


def parse_file(path, referrer=None, element=None):
    return parse_bytes(read_bytes(path, referrer, element), str(path))


def where(node, attr=None):
    """The element's location, ``/domain/devices/hostdev[2]``, with ``/@attr`` if given."""
    loc = node.getroottree().getpath(node)
    return loc + "/@" + attr if attr else loc


def child_where(node, expr):
    """Location of the element ``expr`` (``./name[1]``) names, for messages."""
    return where(node) + "/" + re.sub(r"\[1\]", "", expr[2:])


def xstring(node, expr):
    """virXPathString on a ``string(...)`` expression: the value, or None when empty."""
    value = str(node.xpath(expr))
    return value if value != "" else None


def xnode(node, expr):
    found = node.xpath(expr)
    return found[0] if found else None


def xnodes(node, expr):
    return list(node.xpath(expr))


def parse_int(text, path, loc, what, base=10, minimum=None):
    """strtol/strtoul on a whole string (surrounding blanks allowed).

    ``base=0`` takes C's prefixes: 0x hexadecimal, a leading 0 octal.
    """
    s = text.strip() if text is not None else ""
    try:
        if base == 0:
            neg = s.startswith("-")
            body = s[1:] if s[:1] in "+-" else s
            if body[:2].lower() == "0x" and len(body) > 2:
                value = int(body[2:], 16)
            elif body.startswith("0") and len(body) > 1:
                value = int(body[1:], 8)
            else:
                if not body.isdigit():
                    raise ValueError
                value = int(body, 10)
            value = -value if neg else value
        else:
            if not re.fullmatch(r"[+-]?[0-9]+", s):
                raise ValueError
            value = int(s, base)
    except ValueError:
        raise LoadError(path, loc, "%s must be an integer, not '%s'" % (what, text)) from None
    if minimum is not None and value < minimum:
        raise LoadError(path, loc, "%s must be at least %d, not %d" % (what, minimum, value))
    return value


def parse_enum(text, names, path, loc, what):
    """The index of ``text`` in ``names`` (the first match, as VIR_ENUM's FromString)."""
    if text in names:
        return list(names).index(text)
    raise LoadError(path, loc, "unknown %s '%s' (expected %s)" % (what, text, _one_of(names)))


def _one_of(names):
    names = list(dict.fromkeys(names))
    if len(names) == 2:
        return "%s or %s" % tuple(names)
    return "one of " + ", ".join(names)


def parse_yesno(text, path, loc, what):
    if text == "yes":
        return True
    if text == "no":
        return False
    raise LoadError(path, loc, "%s must be yes or no, not '%s'" % (what, text))


_UUID_HEX = re.compile(r"[0-9a-fA-F]")


def parse_uuid(text, path, loc):
    """virUUIDParse: 32 hex digits, '-' allowed between them, blanks around; canonical form."""
    s = text.strip()
    digits = s.replace("-", "")
    if len(digits) != 32 or not all(_UUID_HEX.match(c) for c in digits):
        raise LoadError(path, loc, "malformed uuid '%s' (expected 32 hexadecimal digits, "
                        "as in 6f1c2a9e-3b4d-4e5f-8a7b-0c1d2e3f4a5b)" % text)
    d = digits.lower()
    return "%s-%s-%s-%s-%s" % (d[:8], d[8:12], d[12:16], d[16:20], d[20:])


def expect_root(root, names, path):
    if root.tag not in names:
        raise LoadError(path, "/" + str(root.tag),
                        "wrong root element <%s> (expected %s)" % (
                            root.tag, " or ".join("<%s>" % n for n in names)))
