"""The libvirt utilities the migration cookie code calls to read and write XML.

util/xml.c (virXMLParseStringCtxt, virXPathString, virXPathInt, virXPathBoolean,
virXPathNodeSet, virXMLPropString), util/buf.c (virBuffer) and util/uuid.c
(virUUIDFormat, virUUIDParse) at e2fb96d9, over lxml.  They are library code,
not stubs: deterministic, they talk to no other subsystem, so they are not
recorded in the trace.  Of their allocation failures one is modelled: a
buffer's growth (virBufferGrow's reallocation, a recorded and faultable stub of
world/stubs.py, called where upstream reallocates), which puts the buffer in
error, so that qemuMigrationCookieXMLFormatStr reports it (qemu_migration.c:401).

Parsing is lxml's with entity expansion, DTD loading and network access off, as
the loader parses files.  Upstream parses with ``XML_PARSE_NOENT``; a cookie that
declares a document type or an entity is refused here ("failed to parse xml
document") where upstream would expand it: a cookie is another daemon's text.

A UUID's raw 16 bytes are held as their canonical text (lower-case, dashed), so
``memcmp`` of two is ``==`` and ``virUUIDFormat`` is the identity.
"""
import math

from lxml import etree

from .constants import NULL, VIR_ERR_XML_DETAIL, VIR_ERR_XML_ERROR
from .errors import VirError
from .objects import Ptr
from .runtime import current
from .stubs import virBufferGrow

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       huge_tree=False, dtd_validation=False, attribute_defaults=False)

LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
C_SPACE = " \t\n\v\f\r"


class XPathContext:
    """xmlXPathContext: the node relative paths start from."""

    def __init__(self, node):
        self.node = node


def _declares_type(root):
    info = root.getroottree().docinfo
    return bool(info.internalDTD is not None or info.doctype
                or next(root.iter(etree.Entity), None) is not None)


def virXMLParseStringCtxt(xmlStr, url, pctxt, domcode):
    """virXMLParseHelper(VIR_FROM_THIS, NULL, xmlStr, url, pctxt) (xml.c).

    A syntax error is reported as catchXMLError does it: the parser's first fatal
    error, "at line N: <libxml2's message>" (the message keeps libxml2's newline),
    VIR_ERR_XML_DETAIL.  Returns the document (its root element) or NULL.
    """
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(xmlStr.encode("utf-8", "surrogateescape"), parser)
    except etree.XMLSyntaxError:
        # this parser's own log: an exception's error_log may hold earlier parses' errors
        fatal = next(x for x in parser.error_log if x.level_name == "FATAL")
        current().raise_error(VirError(VIR_ERR_XML_DETAIL, domcode,
                                       "at line %d: %s\n" % (fatal.line, fatal.message),
                                       "catchXMLError"))
        return NULL
    if _declares_type(root):
        current().raise_error(VirError(VIR_ERR_XML_ERROR, domcode,
                                       "failed to parse xml document", "virXMLParseHelper"))
        return NULL
    pctxt.value = XPathContext(root)
    return root


def virXPathString(xpath, ctxt):
    """The string an XPath expression evaluates to; NULL unless it is a non-empty string."""
    obj = ctxt.node.xpath(xpath)
    if not isinstance(obj, str) or obj == "":
        return NULL
    return str(obj)


def strtol(s):
    """strtol(s, &end, 10): (value, number of characters consumed; 0 if no digits)."""
    i = 0
    while i < len(s) and s[i] in C_SPACE:
        i += 1
    sign = 1
    if i < len(s) and s[i] in "+-":
        sign = -1 if s[i] == "-" else 1
        i += 1
    start = i
    while i < len(s) and s[i] in "0123456789":
        i += 1
    if i == start:
        return 0, 0
    value = sign * int(s[start:i])
    return max(LONG_MIN, min(LONG_MAX, value)), i


def virXPathLongBase(xpath, ctxt, value):
    obj = ctxt.node.xpath(xpath)
    ret = 0
    if isinstance(obj, str) and obj != "":
        val, used = strtol(obj)
        if used == 0:
            ret = -2
        else:
            value.value = val
    elif isinstance(obj, float) and not math.isnan(obj):
        value.value = int(obj) if math.isfinite(obj) else LONG_MIN
        if value.value != obj:
            ret = -2
    else:
        ret = -1
    return ret


def virXPathInt(xpath, ctxt, value):
    """0 and ``value`` set; -1 if nothing there; -2 if it is not an int."""
    tmp = Ptr(0)
    ret = virXPathLongBase(xpath, ctxt, tmp)
    if ret < 0:
        return ret
    if not INT_MIN <= tmp.value <= INT_MAX:
        return -2
    value.value = tmp.value
    return 0


def virXPathBoolean(xpath, ctxt):
    obj = ctxt.node.xpath(xpath)
    if not isinstance(obj, bool):
        return -1
    return int(obj)


def virXPathNodeSet(xpath, ctxt, lst):
    """The number of nodes a node-set expression selects; ``lst`` gets them (NULL if none).

    The cookie code evaluates only node-set paths, so upstream's "Incorrect xpath"
    refusal of other results has no caller here.
    """
    nodes = ctxt.node.xpath(xpath)
    lst.value = list(nodes) if nodes else NULL
    return len(nodes)


def virXMLPropString(node, name):
    return node.get(name)


# --- util/buf.c --------------------------------------------------------------------


class virBuffer:
    """VIR_BUFFER_INITIALIZER: the text so far, its length and the space allocated (in
    bytes, as C counts them) and the error flag."""

    def __init__(self):
        self.parts = []
        self.use = 0
        self.size = 0
        self.error = 0


def _set_error(buf):
    """virBufferSetError: the content dropped, the buffer in error."""
    buf.parts = []
    buf.size = buf.use = 0
    buf.error = 1


def _grow(buf, length):
    """virBufferGrow: room for ``length`` more bytes, allocated with 1000 to spare; the
    reallocation is the recorded stub (world/stubs.py virBufferGrow), which can fail.
    Its callers call it only on a buffer not in error that lacks the room (upstream
    checks both again here), so it always reallocates."""
    size = buf.use + length + 1000
    if virBufferGrow(size) < 0:
        _set_error(buf)
        return -1
    buf.size = size
    return 0


def virBufferAsprintf(buf, fmt, *args):
    """virBufferVasprintf: a first allocation of 100 (and the spare), then as much more
    as the formatted text needs when it does not fit (at least 1000)."""
    if buf.error:
        return
    if buf.size == 0 and _grow(buf, 100) < 0:
        return
    text = fmt % (args if None not in args       # (the common case: no NULL to spell)
                  else tuple("(null)" if a is None else a for a in args))
    count = len(text.encode())
    if count >= buf.size - buf.use:
        if _grow(buf, count + 1 if count + 1 > 1000 else 1000) < 0:
            return
    buf.parts.append(text)
    buf.use += count


def virBufferAddLit(buf, text):
    """virBufferAdd of a literal: grown when the text and two more bytes do not fit."""
    if text == "" or buf.error:
        return
    length = len(text.encode())
    need = buf.use + length + 2
    if need > buf.size and _grow(buf, need - buf.use) < 0:
        return
    buf.parts.append(text)
    buf.use += length


_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;"}
_ESCAPED = frozenset(_ESCAPES)


def virBufferEscapeString(buf, fmt, s):
    """``fmt`` with ``s`` escaped for XML; nothing at all when ``s`` is NULL.  As
    upstream, control characters other than tab, newline and return are dropped
    only from a string that needed escaping."""
    if s is None or buf.error:
        return
    if _ESCAPED.isdisjoint(s):      # (no character to escape: a test at C speed)
        virBufferAsprintf(buf, fmt, s)
        return
    escaped = "".join(_ESCAPES.get(c, c) for c in s
                      if c in _ESCAPES or ord(c) >= 0x20 or c in "\n\t\r")
    virBufferAsprintf(buf, fmt, escaped)


def virBufferError(buf):
    return buf.error


def virBufferContentAndReset(buf):
    """The text, NULL for a buffer in error or never grown (its content is NULL); the
    buffer reset, its error too."""
    text = NULL if buf.error or buf.size == 0 else "".join(buf.parts)
    buf.__init__()
    return text


# --- util/uuid.c --------------------------------------------------------------------


def virUUIDFormat(uuid):
    return uuid


def virUUIDParse(uuidstr, out):
    """0 and ``out`` set to the canonical text, or -1: 32 hex digits with '-' or ' '
    anywhere between pairs and white space around, as upstream scans them."""
    cur = 0
    s = uuidstr
    while cur < len(s) and s[cur] in C_SPACE:
        cur += 1
    digits = []
    while len(digits) < 16:
        if cur >= len(s):
            return -1
        if s[cur] in "- ":
            cur += 1
            continue
        pair = s[cur:cur + 2]
        # (a pair is two hex digits when stripping them leaves nothing: no generator)
        if len(pair) < 2 or pair.strip("0123456789abcdefABCDEF"):
            return -1
        digits.append(pair.lower())
        cur += 2
    if s[cur:].strip(C_SPACE):      # anything but white space after the digits
        return -1
    h = "".join(digits)
    out.value = "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    return 0
