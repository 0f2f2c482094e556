"""Safe XML parsing and the small XPath helpers the format parsers share.

Only regular files are read, and at most ``MAX_FILE_BYTES`` of them: a FIFO, a
device or a directory is refused before a byte is read (the open does not wait
on a FIFO).  Documents are parsed by lxml with entity expansion, DTD loading
and network access off and its default limits on (no ``huge_tree``); a
document that declares a document type (hence any entity), in any encoding, is
refused from what the parser found, not from a scan of the bytes.  Lookups go
through XPath the way libvirt's ``virXPathString("string(./name[1])", ctxt)``
does.  Locations in messages are computed only when an error is raised.
"""
import os
import re
import stat

from lxml import etree

from .cint import MAX_DIGITS
from .errors import LoadError

# The largest file the loader reads.  The bundled fixtures are a few KiB and a
# domain with 50,000 host devices is about 5 MiB; anything near this is a
# mistake (or /dev/zero), and reading stops one byte past it.
MAX_FILE_BYTES = 64 * 1024 * 1024

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       huge_tree=False, remove_comments=True, remove_pis=True,
                       dtd_validation=False, attribute_defaults=False)

_FILE_KINDS = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]


def _parser():
    return etree.XMLParser(**_PARSER_OPTIONS)


def shown(text, limit=60):
    """``text`` for a message: cut to ``limit`` characters (a value can be megabytes), and
    what does not print (a no-break space, a tab) escaped, so that ``'\\xa012'`` is not
    shown as a number."""
    text = str(text)
    text = text if len(text) <= limit else text[:limit] + "..."
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _type_declaration(root):
    """What the parsed document declares besides its elements (a DOCTYPE, entities), or None.

    Taken from the parser's own account (docinfo, entity nodes left unexpanded),
    so a ``<!DOCTYPE`` in a comment or CDATA is no declaration, and UTF-16 is
    read like UTF-8.  Every DOCTYPE, with or without an internal subset, gives
    lxml an ``internalDTD``; an entity reference needs a declaration, so the
    entity-node test is belt and braces.
    """
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    if not (dtd is not None or info.externalDTD is not None or info.doctype
            or info.system_url or info.public_id
            or next(root.iter(etree.Entity), None) is not None):
        return None
    found = "<!DOCTYPE %s>" % (dtd.name if dtd is not None else root.tag)
    if info.system_url:
        found += " naming the external DTD '%s'" % shown(info.system_url)
    entities = [e.name for e in dtd.iterentities()] if dtd is not None else []
    if entities:
        found += " declaring the entities %s" % shown(", ".join(entities))
    return found


def parse_bytes(data, path):
    """Parse ``data`` (bytes or str) and return the root element; LoadError if unsafe or bad."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        line, col = (e.position if e.position else (e.lineno or 0, 0))
        msg = e.msg or str(e)
        msg = re.sub(r",\s*line \d+,\s*column \d+\s*$", "", msg)
        raise LoadError(path, "line %d, column %d" % (line, col),
                        "malformed XML: %s" % msg) from None
    found = _type_declaration(root)
    if found is not None:
        raise LoadError(path, "/", "document type declarations and entities are not accepted "
                        "(found %s)" % found)
    return root


def file_kind(mode):
    """What a file that is not regular is, from its ``st_mode``, for a message.

    These are all the kinds an open can meet: a socket cannot be opened (ENXIO)
    and a symbolic link is followed.
    """
    return next(name for test, name in _FILE_KINDS if test(mode))


def _read_regular(path):
    """The bytes of ``path`` if it is a regular file of at most MAX_FILE_BYTES.

    Returns ``(data, None)``, or ``(None, problem)`` for a file that is not
    regular or too large; OSError for one that cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "is %s, not a regular file" % file_kind(st.st_mode)
        if st.st_size > MAX_FILE_BYTES:
            return None, "is too large (%d bytes; the limit is %d)" % (st.st_size,
                                                                      MAX_FILE_BYTES)
        # st_size can be 0 for a file that has content (/proc) or grow meanwhile
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return None, "is too large (more than %d bytes)" % MAX_FILE_BYTES
    return data, None


def read_bytes(path, referrer=None, element=None, as_written=None):
    """The bytes of the regular file ``path``; a missing file names the file that referred to it.

    ``as_written`` is the path as the referring file spells it, when that differs.
    """
    try:
        data, problem = _read_regular(path)
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
    if problem is not None:
        if referrer is not None:
            raise LoadError(referrer, element, "referenced file '%s' %s" % (path, problem))
        raise LoadError(path, "/", "the file %s" % problem)
    return data


def parse_file(path, referrer=None, element=None):
    return parse_bytes(read_bytes(path, referrer, element), str(path))


class Where:
    """A location, ``/domain/devices/hostdev[2]/@type``, made into text only when shown.

    Only an error message reads it, and lxml's getpath walks every preceding
    sibling: computed for each attribute read, it made loading quadratic.
    ``where(node, "id") + "/x"`` appends to the text it will give.
    """
    __slots__ = ("node", "tail")

    def __init__(self, node, tail=""):
        self.node = node
        self.tail = tail

    def __add__(self, more):
        return Where(self.node, self.tail + more)

    def __str__(self):
        return self.node.getroottree().getpath(self.node) + self.tail


def where(node, attr=None):
    """The element's location, with ``/@attr`` if given (a ``Where``; str() gives the text)."""
    return Where(node, "/@" + attr if attr else "")


def child_where(node, expr):
    """Location of the element ``expr`` (``./name[1]``) names, for messages."""
    return where(node) + "/" + expr[2:].replace("[1]", "")


def xstring(node, expr):
    """virXPathString on a ``string(...)`` expression: the value, or None when empty."""
    value = str(node.xpath(expr))
    return value if value != "" else None


def xnode(node, expr):
    found = node.xpath(expr)
    return found[0] if found else None


def xnodes(node, expr):
    return list(node.xpath(expr))


_BLANKS = " \t\n\v\f\r"        # isspace() in the C locale: ASCII only
_DECIMAL = re.compile(r"([+-]?)([0-9]+)")
_C_PREFIXED = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))")


def _literal(s, base):
    """``(sign, digits, radix)`` of the C integer literal ``s`` in ``base`` (10 or 0), or None."""
    if base == 10:
        m = _DECIMAL.fullmatch(s)
        return None if m is None else (m.group(1), m.group(2), 10)
    m = _C_PREFIXED.fullmatch(s)
    if m is None:
        return None
    sign, hexadecimal, octal, decimal = m.groups()
    if hexadecimal is not None:
        return sign, hexadecimal, 16
    if octal is not None:
        return sign, octal, 8          # "0" and "017": the leading 0 is an octal digit too
    return sign, decimal, 10


def parse_int(text, path, loc, what, ctype, base=10, minimum=None):
    """strtol/strtoul on a whole string, the value checked against the C type it fills.

    Only ASCII digits make a number, in every field (a blank around it, too,
    is an ASCII one).  ``base=0`` takes C's prefixes: 0x hexadecimal, a
    leading 0 octal.  ``ctype`` is a ``cint.CType``: a value outside its range
    is refused naming the type and the range.  ``minimum`` is a further bound
    the field has within its type (a count of at least 1).
    """
    s = text.strip(_BLANKS)
    if s.isdigit() and s.isascii() and (base == 10 or s[0] != "0"):
        literal = "", s, 10                 # the common case, without a regular expression
    else:
        literal = _literal(s, base)
    if literal is None:
        raise LoadError(path, loc, "%s must be an integer, not '%s'" % (what, shown(text)))
    sign, digits, radix = literal
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise LoadError(path, loc, "%s %s is out of range for %s" % (what, shown(s), ctype))
    value = int(digits.lstrip("0") or "0", radix)
    value = -value if sign == "-" else value
    if not ctype.lo <= value <= ctype.hi:
        raise LoadError(path, loc, "%s %s is out of range for %s" % (what, shown(s), ctype))
    if minimum is not None and value < minimum:
        raise LoadError(path, loc, "%s must be at least %d, not %d" % (what, minimum, value))
    return value


def parse_enum(text, names, path, loc, what):
    """The index of ``text`` in ``names`` (the first match, as VIR_ENUM's FromString)."""
    if text in names:
        return names.index(text)
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
