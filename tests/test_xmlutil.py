"""world/xmlutil.py: libvirt's XPath, buffer and UUID helpers (util/xml.c, util/buf.c,
util/uuid.c @ e2fb96d9) as the cookie code uses them, value by value."""
import pytest
from lxml import etree

from conftest import make_world
from qemu_migration.world import xmlutil as X
from qemu_migration.world.objects import Ptr

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
    buf = X.virBuffer()
    X.virBufferAsprintf(buf, "<%s %d>", None, 3)              # glibc's "(null)"
    X.virBufferAddLit(buf, "|")
    X.virBufferEscapeString(buf, "[%s]", None)                # nothing for NULL
    X.virBufferEscapeString(buf, "[%s]", "plain\x01")          # nothing to escape: as is
    X.virBufferEscapeString(buf, "[%s]", "a<b>&'\"\x01\t\n\r")  # escaped, controls dropped
    assert X.virBufferError(buf) == 0
    assert X.virBufferContentAndReset(buf) == ("<(null) 3>|[plain\x01]"
                                               "[a&lt;b&gt;&amp;&apos;&quot;\t\n\r]")
    assert X.virBufferContentAndReset(buf) == ""
    buf.error = 1                                              # a failed buffer takes nothing
    X.virBufferAsprintf(buf, "x")
    X.virBufferEscapeString(buf, "%s", "y")
    assert X.virBufferError(buf) == 1 and buf.parts == []


@pytest.mark.parametrize("text,ret,value", [
    ("0a1B2c3d-4e5f-4a6b-9c7d-fedcba987654", 0, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
    ("  0a1b2c3d4e5f4a6b9c7dfedcba987654 \n", 0, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
    ("0a 1b-2c3d4e5f4a6b9c7dfedcba98--7654", 0, "0a1b2c3d-4e5f-4a6b-9c7d-fedcba987654"),
    ("0a1b2c3d4e5f4a6b9c7dfedcba9876", -1, None),        # too short
    ("0a1b2c3d4e5f4a6b9c7dfedcba98765", -1, None),       # half a pair at the end
    ("0a1b2c3d4e5f4a6b9c7dfedcba98765g", -1, None),      # not hex
    ("0a1b2c3d4e5f4a6b9c7dfedcba987654x", -1, None),     # something after the digits
])
def test_uuid_parse(text, ret, value):
    out = Ptr(None)
    assert X.virUUIDParse(text, out) == ret and out.value == value
    assert X.virUUIDFormat("u") == "u"
