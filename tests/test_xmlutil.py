"""world/xmlutil.py: libvirt's XPath, buffer and UUID helpers (util/xml.c, util/buf.c,
util/uuid.c @ e2fb96d9) as the cookie code uses them, value by value."""
import pytest
from lxml import etree

from conftest import make_world
from qemu_migration.world import xmlutil as X
from qemu_migration.world.objects import Ptr
from qemu_migration.world.runtime import FaultPlan

DOC = etree.fromstring("<c a='12' s=' -7' w='3x' e='' n='x' big='99999999999'><k/><k/></c>")
CTXT = X.XPathContext(DOC)


@pytest.mark.parametrize("xpath,ret,value", [
    ("string(./@a)", 0, 12),
    ("string(./@s)", 0, -7),             # strtol skips white space, takes a sign
    ("string(./@w)", 0, 3),              # and stops at the first non-digit
    ("string(./@n)", -2, None),          # no digits at all
    ("string(./@e)", -1, None),          # the empty string is "nothing there"
    ("string(./@missing)", -1, None),
    ("string(./@big)", -2, None),        # a long, but not an int
    ("count(./k)", 0, 2),                # a number: taken when integral
    ("count(./k) div 4", -2, None),      # 0.5: not
    ("number(./@n)", -1, None),          # NaN: nothing there
    ("1 div 0", -2, None),               # infinity: (long) gives LONG_MIN, which differs
    ("./k", -1, None),                   # a node set is not a number
])
def test_xpath_int(xpath, ret, value):
    out = Ptr(None)
    assert X.virXPathInt(xpath, CTXT, out) == ret
    assert out.value == value


def test_xpath_long_keeps_a_non_integral_number_it_refuses():
    """virXPathLongBase stores ``(long) floatval`` before comparing (xml.c)."""
    out = Ptr(None)
    assert X.virXPathLongBase("2.5", CTXT, out) == -2 and out.value == 2


def test_strtol_clamps_to_long():
    assert X.strtol("-99999999999999999999x") == (X.LONG_MIN, 21)
    assert X.strtol("+5") == (5, 2) and X.strtol("  ") == (0, 0)


def test_xpath_string_boolean_and_node_sets():
    assert X.virXPathString("string(./@a)", CTXT) == "12"
    assert X.virXPathString("string(./@e)", CTXT) is None
    assert X.virXPathString("count(./k)", CTXT) is None        # not a string
    assert X.virXPathBoolean("count(./k) > 1", CTXT) == 1
    assert X.virXPathBoolean("count(./k) > 2", CTXT) == 0
    assert X.virXPathBoolean("count(./k)", CTXT) == -1         # not a boolean
    nodes = Ptr("before")
    assert X.virXPathNodeSet("./k", CTXT, nodes) == 2 and len(nodes.value) == 2
    assert X.virXPathNodeSet("./none", CTXT, nodes) == 0 and nodes.value is None
    assert X.virXMLPropString(DOC, "a") == "12" and X.virXMLPropString(DOC, "z") is None


def test_parse_errors_name_the_line_and_the_parser_message():
    w = make_world()
    ctxt = Ptr("unset")
    with w.activate():
        assert X.virXMLParseStringCtxt("<a>\n<b></a>", "x.xml", ctxt, 10) is None
        root = X.virXMLParseStringCtxt("<a><b/></a>", "x.xml", ctxt, 10)
    assert root.tag == "a" and ctxt.value.node is root
    [e] = w.errors
    d = e.as_dict()
    assert (d["code"], d["domain"], d["reporter"]) == ("VIR_ERR_XML_DETAIL", "VIR_FROM_QEMU",
                                                       "catchXMLError")
    assert d["message"].startswith("at line 2: Opening and ending tag mismatch: b")
    assert d["message"].endswith("\n")


@pytest.mark.parametrize("text", [
    "<!DOCTYPE a><a/>",
    "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
])
def test_a_document_type_is_refused(text):
    w = make_world()
    with w.activate():
        assert X.virXMLParseStringCtxt(text, "x.xml", Ptr(), 10) is None
    assert [e.as_dict()["message"] for e in w.errors] == ["XML error: failed to parse xml document"]


def test_buffer():
    w = make_world()
    with w.activate():
        buf = X.virBuffer()
        X.virBufferAsprintf(buf, "<%s %d>", None, 3)              # glibc's "(null)"
        X.virBufferAddLit(buf, "|")
        X.virBufferAddLit(buf, "")                                # nothing, no growth
        X.virBufferEscapeString(buf, "[%s]", None)                # nothing for NULL
        X.virBufferEscapeString(buf, "[%s]", "plain\x01")          # nothing to escape: as is
        X.virBufferEscapeString(buf, "[%s]", "a<b>&'\"\x01\t\n\r")  # escaped, controls dropped
        X.virBufferEscapeString(buf, "[%s]", "it's \"x\"\x01")     # quotes alone: escaped too
        assert X.virBufferError(buf) == 0
        assert X.virBufferContentAndReset(buf) == ("<(null) 3>|[plain\x01]"
                                                   "[a&lt;b&gt;&amp;&apos;&quot;\t\n\r]"
                                                   "[it&apos;s &quot;x&quot;]")
        assert X.virBufferContentAndReset(buf) is None             # never grown: NULL content
        buf.error = 1                                              # a failed buffer takes nothing
        X.virBufferAsprintf(buf, "x")
        X.virBufferAddLit(buf, "x")
        X.virBufferEscapeString(buf, "%s", "y")
        assert X.virBufferError(buf) == 1 and buf.parts == []
        assert X.virBufferContentAndReset(buf) is None and X.virBufferError(buf) == 0
    # one growth: the first addition's, 100 bytes and 1000 to spare
    assert [(t.name, t.args) for t in w.trace] == [("virBufferGrow", (1100,))]


def test_buffer_grows_as_upstreams():
    """util/buf.c's sizes: a first 100 (+1000); a formatted text that does not fit, as
    much as it needs but at least 1000 (+1000 past what is used); a literal that does
    not fit with two more bytes, that (+1000).  Lengths count bytes, as C does."""
    w = make_world()
    with w.activate():
        buf = X.virBuffer()
        X.virBufferAddLit(buf, "ab")                            # 0 + 2 + 2 + 1000
        X.virBufferAsprintf(buf, "%s", "\u00e9" * 600)           # 1200 bytes: 2 + 1201 + 1000
        X.virBufferAsprintf(buf, "%s", "x" * 1000)              # 1000 < 1001 left: no growth
        X.virBufferAsprintf(buf, "%s", "y")                     # 1 >= 1 left: 2202 + 1000 + 1000
        X.virBufferAddLit(buf, "z" * 2999)                      # 2203 + 2999 + 2 > 4202
        assert (buf.use, buf.size) == (5202, 6204)
        assert len(X.virBufferContentAndReset(buf).encode()) == 5202
    assert [t.args[0] for t in w.trace] == [1004, 2203, 4202, 6204]


@pytest.mark.parametrize("nth", [1, 2])
def test_a_buffer_that_cannot_grow_is_in_error(nth):
    """virBufferGrow's reallocation failing (virBufferSetError): the content dropped,
    every later addition a no-op, virBufferError set, its content NULL."""
    w = make_world()
    w.faults = FaultPlan.of([("virBufferGrow", nth)])
    with w.activate():
        buf = X.virBuffer()
        X.virBufferAsprintf(buf, "%s", "a")
        X.virBufferAsprintf(buf, "%s", "b" * 2000)
        X.virBufferAddLit(buf, "c")
        assert X.virBufferError(buf) == 1 and (buf.use, buf.size, buf.parts) == (0, 0, [])
        assert X.virBufferContentAndReset(buf) is None
    assert [t.label() for t in w.trace] == ["virBufferGrow"] * (nth - 1) + ["virBufferGrow !fault"]
    assert w.errors == []


def test_a_literal_that_cannot_grow_the_buffer():
    w = make_world()
    w.faults = FaultPlan.of([("virBufferGrow", 1)])
    with w.activate():
        buf = X.virBuffer()
        X.virBufferAddLit(buf, "a")
        assert X.virBufferError(buf) == 1 and buf.parts == []


@pytest.mark.parametrize("text,ret,value", [
    ("0a1B2c3d-4e5f-4a6b-9c7d-fedcba987654", 0, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
    ("  0a1b2c3d4e5f4a6b9c7dfedcba987654 \n", 0, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
    ("0a 1b-2c3d4e5f4a6b9c7dfedcba98--7654", 0, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
    ("0a1b2c3d4e5f4a6b9c7dfedcba9876", -1, None),        # too short
    ("0a1b2c3d4e5f4a6b9c7dfedcba98765", -1, None),       # half a pair at the end
    ("0a1b2c3d4e5f4a6b9c7dfedcba98765g", -1, None),      # not hex
    ("0a1b2c3d4e5f4a6b9c7dfedcba987654x", -1, None),     # something after the digits
    ("0a1b2c3d4e5f4a6b9c7dfedcba987654 x", -1, None),    # ... after a space too
    ("0a1b2c3d4e5f4a6b9c7dfedcba987654 \x00", -1, None),  # (a NUL is no space)
    ("0a1b2c3d4e5f4a6b9c7dfedcba987654\r\v\f\t", 0,        # every isspace() is
     "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
])
def test_uuid_parse(text, ret, value):
    out = Ptr(None)
    assert X.virUUIDParse(text, out) == ret and out.value == value
    assert X.virUUIDFormat("u") == "u"
