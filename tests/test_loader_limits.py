"""The loader's limits: which files it reads, which documents it parses, which numbers it takes.

- Only regular files, up to MAX_FILE_BYTES: a FIFO, a device, a directory or a
  huge file is one line, and nothing blocks or reads without end.
- A document type declaration or an entity is refused from the parsed
  document, the same in UTF-8 and UTF-16; the same text in a comment or in
  CDATA is not a declaration.
- Every number is checked against the C type of the field it fills: the type's
  maximum loads, one more is refused naming the type and its range, and only
  ASCII digits are digits.
- Locations in messages are computed for an error only.
"""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qemu_migration.cli import main
from qemu_migration.loader import LoadError, load_any, load_domain, load_scenario, xmlutil
from qemu_migration.loader.cint import (C_INT, C_LONG_LONG, C_PID_T, C_UINT, C_ULONG,
                                        C_ULONG_LONG, C_USHORT, MAX_DIGITS)
from qemu_migration.loader.xmlutil import (MAX_FILE_BYTES, Where, file_kind, parse_bytes,
                                           parse_int)

ROOT = Path(__file__).resolve().parent.parent
DOM = ROOT / "fixtures" / "domains"
WEB1_STATUS = DOM / "web1.status.xml"
UUID = "5d1e0c2a-7f3b-4c8d-9e0f-1a2b3c4d5e6f"


def refused(loader, path):
    """The LoadError loading ``path`` raises; its message is one line."""
    with pytest.raises(LoadError) as exc:
        loader(path)
    assert "\n" not in str(exc.value)
    return exc.value


# --- only regular files, up to a limit ---------------------------------------------------


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    e = refused(load_any, fifo)
    assert (e.path, e.element, e.problem) == (str(fifo), "/",
                                              "the file is a FIFO, not a regular file")


def test_cli_show_fifo_exits_2_with_one_line(tmp_path):
    """In a separate process with a timeout: a regression would hang, not pass."""
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    cli = Path(sys.executable).with_name("qemu-migration")
    r = subprocess.run([str(cli), "show", str(fifo)], capture_output=True, text=True,
                       timeout=60)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "qemu-migration: %s: /: the file is a FIFO, not a regular file\n" % fifo


def test_a_character_device_is_refused_before_reading():
    e = refused(load_any, "/dev/zero")
    assert e.problem == "the file is a character device, not a regular file"


def test_cli_show_dev_zero(capsys):
    assert main(["show", "/dev/zero"]) == 2
    err = capsys.readouterr().err
    assert err == ("qemu-migration: /dev/zero: /: the file is a character device, "
                   "not a regular file\n")


def test_a_directory_is_refused(tmp_path):
    e = refused(load_any, tmp_path)
    assert (e.path, e.element, e.problem) == (str(tmp_path), "/",
                                              "the file is a directory, not a regular file")


def test_file_kinds_named():
    assert [file_kind(m) for m in (stat.S_IFDIR, stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK)] \
        == ["a directory", "a FIFO", "a character device", "a block device"]


def test_a_path_through_a_file_cannot_be_read(tmp_path):
    f = tmp_path / "f.xml"
    f.write_text("<domain/>")
    e = refused(load_any, f / "x.xml")
    assert e.problem == "cannot read '%s': Not a directory" % (f / "x.xml")


def test_a_file_over_the_limit_is_refused_by_its_size(tmp_path):
    big = tmp_path / "big.xml"
    with open(big, "wb") as fh:          # sparse: nothing is written, nothing is read
        fh.truncate(MAX_FILE_BYTES + 1)
    e = refused(load_any, big)
    assert e.problem == "the file is too large (%d bytes; the limit is %d)" % (
        MAX_FILE_BYTES + 1, MAX_FILE_BYTES)
    assert MAX_FILE_BYTES == 64 * 1024 * 1024


def test_the_limit_itself_is_allowed(tmp_path, monkeypatch):
    text = "<domain type='kvm'><name>a</name><uuid>%s</uuid><memory>1</memory></domain>" % UUID
    monkeypatch.setattr(xmlutil, "MAX_FILE_BYTES", len(text))
    p = tmp_path / "d.xml"
    p.write_text(text)
    assert load_domain(p).name == "a"
    p.write_text(text + " ")
    assert refused(load_domain, p).problem.startswith("the file is too large (%d bytes"
                                                       % (len(text) + 1))


def test_a_file_that_reads_longer_than_its_size_stops_at_the_limit(monkeypatch):
    """/proc files say they are empty; reading stops one byte past the limit."""
    monkeypatch.setattr(xmlutil, "MAX_FILE_BYTES", 16)
    assert os.stat("/proc/self/status").st_size == 0
    e = refused(load_any, "/proc/self/status")
    assert e.problem == "the file is too large (more than 16 bytes)"


def test_a_referenced_fifo_names_the_scenario(tmp_path):
    fifo = tmp_path / "dom.xml"
    os.mkfifo(fifo)
    sc = tmp_path / "sc.xml"
    sc.write_text("<scenario name='a'><call function='qemuMigrationPrepareTunnel'>"
                  "<arg name='dom_xml' file='dom.xml'/></call></scenario>")
    e = refused(load_scenario, sc)
    assert (e.path, e.element) == (str(sc), "/scenario/call/arg/@file")
    assert e.problem == "referenced file '%s' is a FIFO, not a regular file" % fifo


def test_a_referenced_host_domain_that_is_a_device(tmp_path):
    sc = tmp_path / "sc.xml"
    sc.write_text("<scenario name='a'><host><domain file='/dev/null'/></host>"
                  "<call function='qemuMigrationBegin' domain='x'/></scenario>")
    e = refused(load_scenario, sc)
    assert (e.path, e.element) == (str(sc), "/scenario/host/domain/@file")
    assert e.problem == "referenced file '/dev/null' is a character device, not a regular file"


# --- document type declarations and entities, from the parsed document ---------------------

GOOD = ("<domain type='kvm'>\n"
        "  <!-- written by hand, not <!DOCTYPE domain> nor <!ENTITY x 'y'> -->\n"
        "  <name>w</name><uuid>%s</uuid><memory>1</memory>\n"
        "  <description><![CDATA[<!ENTITY lol 'lol'> <!DOCTYPE x>]]></description>\n"
        "  <devices>\n"
        "    <xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='hostdev.xml'/>\n"
        "  </devices>\n"
        "</domain>\n" % UUID)
HOSTDEV = ("<hostdev mode='subsystem' type='pci'><source><address bus='1' slot='2'/>"
           "</source></hostdev>")
LAUGHS = ("<!DOCTYPE domain [\n <!ENTITY a 'ha'>\n"
          + "".join(" <!ENTITY %s '%s'>\n" % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10)
                    for i in range(9))
          + "]>\n<domain type='kvm'><name>&j;</name></domain>\n")
REFUSED = [
    ("doctype", "<!DOCTYPE domain>\n<domain/>", "found <!DOCTYPE domain>)"),
    ("internal-subset", "<!DOCTYPE domain [<!ELEMENT domain ANY>]>\n<domain/>",
     "found <!DOCTYPE domain>)"),
    ("internal-entity", "<!DOCTYPE domain [<!ENTITY n 'web1'>]>\n<domain>&n;</domain>",
     "found <!DOCTYPE domain> declaring the entities n)"),
    ("external-entity", "<!DOCTYPE d [<!ENTITY s SYSTEM 'file:///etc/passwd'>]>\n"
     "<domain><name>&s;</name></domain>", "found <!DOCTYPE d> declaring the entities s)"),
    ("external-dtd", "<!DOCTYPE domain SYSTEM 'http://example.org/domain.dtd'>\n<domain/>",
     "found <!DOCTYPE domain> naming the external DTD 'http://example.org/domain.dtd')"),
    ("parameter-entity", "<!DOCTYPE d [<!ENTITY % p SYSTEM 'http://example.org/p'> %p;]>"
     "\n<domain/>", "found <!DOCTYPE d> declaring the entities p)"),
]
ENCODINGS = [("utf-8", "UTF-8"), ("utf-16", "UTF-16")]   # Python's utf-16 writes a BOM


def encoded(text, codec, name):
    data = ("<?xml version='1.0' encoding='%s'?>\n%s" % (name, text)).encode(codec)
    assert codec == "utf-8" or data[:2] in (b"\xff\xfe", b"\xfe\xff")
    return data


@pytest.mark.parametrize("codec,name", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_comment_cdata_and_xinclude_are_just_content(tmp_path, codec, name):
    (tmp_path / "hostdev.xml").write_text(HOSTDEV)
    p = tmp_path / "d.xml"
    p.write_bytes(encoded(GOOD, codec, name))
    d = load_domain(p)
    assert (d.name, d.hostdevs) == ("w", [])        # the XInclude was not processed


@pytest.mark.parametrize("codec,name", ENCODINGS, ids=[e[0] for e in ENCODINGS])
@pytest.mark.parametrize("case,text,found", REFUSED, ids=[r[0] for r in REFUSED])
def test_declarations_refused_in_every_encoding(tmp_path, codec, name, case, text, found):
    p = tmp_path / "d.xml"
    p.write_bytes(encoded(text, codec, name))
    e = refused(load_any, p)
    assert (e.path, e.element) == (str(p), "/")
    assert e.problem.startswith("document type declarations and entities are not accepted "
                                "(" + found[:-1])
    assert e.problem.endswith(")")


@pytest.mark.parametrize("codec,name", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_billion_laughs_is_one_line(tmp_path, codec, name):
    """libxml2 refuses the amplification itself (newer versions, before lxml hands over a
    tree), or the declaration is refused from the tree; either way one line, no expansion."""
    p = tmp_path / "d.xml"
    p.write_bytes(encoded(LAUGHS, codec, name))
    e = refused(load_any, p)
    assert e.path == str(p)
    assert (e.problem.startswith("malformed XML: Maximum entity amplification factor exceeded")
            or e.problem.startswith("document type declarations and entities are not "
                                    "accepted (found <!DOCTYPE domain> declaring the entities"))


def test_a_long_declaration_is_cut_in_the_message():
    e = pytest.raises(LoadError, parse_bytes, "<!DOCTYPE d SYSTEM '%s'><d/>" % ("x" * 500),
                      "t").value
    assert e.problem.endswith("naming the external DTD '%s...')" % ("x" * 60))


def test_an_undeclared_entity_is_malformed():
    e = pytest.raises(LoadError, parse_bytes, b"<domain>&x;</domain>", "t").value
    assert e.problem == "malformed XML: Entity 'x' not defined"


def test_parser_limits_stay_on():
    """No huge_tree: libxml2's nesting limit holds."""
    deep = "<a>" * 300 + "</a>" * 300
    e = pytest.raises(LoadError, parse_bytes, deep, "t").value
    assert e.element.startswith("line 1, column") and "malformed XML" in e.problem


# --- numbers against the C type of their field ---------------------------------------------


def domain(devices="", memory="1024", vcpu="", attrs="type='kvm'"):
    return ("<domain %s><name>n</name><uuid>%s</uuid><memory>%s</memory>%s"
            "<devices>%s</devices></domain>" % (attrs, UUID, memory, vcpu, devices))


def pci(attr, v):
    fields = {"domain": "0", "bus": "1", "slot": "2", "function": "0"}
    fields[attr] = v
    return domain("<hostdev mode='subsystem' type='pci'><source><address %s/></source>"
                  "</hostdev>" % " ".join("%s='%s'" % kv for kv in fields.items()))


def usb(vendor="0x1", product="0x2", bus=None, device=None):
    if bus is None:
        inner = "<vendor id='%s'/><product id='%s'/>" % (vendor, product)
    else:
        inner = "<address bus='%s' device='%s'/>" % (bus, device)
    return domain("<hostdev mode='subsystem' type='usb'><source>%s</source></hostdev>" % inner)


def status(pid="10", vcpu_pid="11"):
    return ("<domstatus state='running' reason='booted' pid='%s'>"
            "<monitor path='/m' type='unix'/><vcpus><vcpu pid='%s'/></vcpus>%s</domstatus>"
            % (pid, vcpu_pid, domain(attrs="type='kvm' id='2'")))


def snapshot(v):
    return ("<domainsnapshot><name>s</name><state>running</state>"
            "<creationTime>%s</creationTime></domainsnapshot>" % v)


def scenario(host_attrs="", rest="", call="", host="", status=WEB1_STATUS):
    return ("<scenario name='s'><host%s><domain file='%s'%s/></host>%s"
            "<call function='qemuMigrationIsAllowed' domain='%s'>%s</call></scenario>"
            % (host, status, host_attrs, rest, status.name.split(".")[0], call))


def perform(call):
    return scenario(call=call).replace("qemuMigrationIsAllowed", "qemuMigrationPerformJob")


def perform_args(scn):
    return scn.calls[0].args


# field, C type, base, file text for a value, the loaded value, location, what the message says
FIELDS = [
    ("domain-id", C_INT, 10, lambda v: domain(attrs="type='kvm' id='%s'" % v),
     lambda o: o.id, "/domain/@id", "domain id"),
    ("memory", C_ULONG, 10, lambda v: domain(memory=v), lambda o: o.memory, "/domain/memory",
     "memory (KiB)"),
    ("vcpu", C_USHORT, 10, lambda v: domain(vcpu="<vcpu>%s</vcpu>" % v), lambda o: o.vcpus,
     "/domain/vcpu", "maximum vcpus"),
    ("vcpu-current", C_USHORT, 10,
     lambda v: domain(vcpu="<vcpu current='%s'>65535</vcpu>" % v), lambda o: o.vcpus,
     "/domain/vcpu/@current", "current vcpus"),
    ("pci-domain", C_UINT, 0, lambda v: pci("domain", v), lambda o: o.hostdevs[0].source,
     "/domain/devices/hostdev/source/address/@domain", "pci address domain"),
    ("pci-bus", C_UINT, 0, lambda v: pci("bus", v), lambda o: o.hostdevs[0].source,
     "/domain/devices/hostdev/source/address/@bus", "pci address bus"),
    ("usb-vendor", C_UINT, 0, lambda v: usb(vendor=v), lambda o: o.hostdevs[0].source,
     "/domain/devices/hostdev/source/vendor/@id", "usb vendor id"),
    ("usb-product", C_UINT, 0, lambda v: usb(product=v), lambda o: o.hostdevs[0].source,
     "/domain/devices/hostdev/source/product/@id", "usb product id"),
    ("usb-bus", C_UINT, 0, lambda v: usb(bus=v, device="1"), lambda o: o.hostdevs[0].source,
     "/domain/devices/hostdev/source/address/@bus", "usb bus"),
    ("usb-device", C_UINT, 0, lambda v: usb(bus="1", device=v),
     lambda o: o.hostdevs[0].source, "/domain/devices/hostdev/source/address/@device",
     "usb device"),
    ("pid", C_PID_T, 10, lambda v: status(pid=v), lambda o: o.pid, "/domstatus/@pid", "pid"),
    ("vcpu-pid", C_INT, 10, lambda v: status(vcpu_pid=v), lambda o: o.vcpupids[0],
     "/domstatus/vcpus/vcpu/@pid", "vcpu pid"),
    ("creation-time", C_LONG_LONG, 10, snapshot, lambda o: o.creationTime,
     "/domainsnapshot/creationTime", "creationTime"),
    ("refs", C_INT, 10, lambda v: scenario(host_attrs=" refs='%s'" % v),
     lambda o: o.domains[0].vm.refs, "/scenario/host/domain/@refs", "refs"),
    ("static", C_INT, 10,
     lambda v: scenario(rest="<static name='qemuMigrationPrepareDirect.port' value='%s'/>" % v),
     lambda o: o.statics["qemuMigrationPrepareDirect.port"], "/scenario/static/@value",
     "static value"),
    ("resource", C_ULONG, 10, lambda v: perform("<arg name='resource'>%s</arg>" % v),
     lambda o: perform_args(o)["resource"], "/scenario/call/arg", "argument 'resource'"),
    ("nth", C_INT, 10, lambda v: perform("<fault callee='virTimeMs' nth='%s'/>" % v),
     lambda o: o.calls[0].faults.pairs()[0][1], "/scenario/call/fault/@nth", "nth"),
    ("job-start", C_ULONG_LONG, 10,
     lambda v: scenario(host_attrs=" job-start='%s'" % v, status=DOM / "files1.begin3.status.xml"),
     lambda o: o.domains[0].vm.privateData.job.start, "/scenario/host/domain/@job-start",
     "job-start"),
    ("balloon", C_ULONG, 10, lambda v: scenario(host_attrs=" balloon='%s'" % v),
     lambda o: o.domains[0].vm.privateData.mon.balloon, "/scenario/host/domain/@balloon",
     "balloon"),
    ("nextvmid", C_INT, 10, lambda v: scenario(host=" nextvmid='%s'" % v),
     lambda o: o.nextvmid, "/scenario/host/@nextvmid", "nextvmid"),
]
IDS = [f[0] for f in FIELDS]


def load_text(tmp_path, text):
    p = tmp_path / "input.xml"
    p.write_text(text)
    return p, (lambda: load_any(p))


def shown_in(value, field):
    """How the loaded object shows ``value``: hostdev sources are formatted text."""
    if field.startswith("pci-domain"):
        return "%04x:01:02.0" % value
    if field.startswith("pci-bus"):
        return "0000:%02x:02.0" % value
    if field == "usb-vendor":
        return "%04x:0002" % value
    if field == "usb-product":
        return "0001:%04x" % value
    if field == "usb-bus":
        return "bus %d device 1" % value
    if field == "usb-device":
        return "bus 1 device %d" % value
    return value


@pytest.mark.parametrize("field,ctype,base,make,get,loc,what", FIELDS, ids=IDS)
def test_the_types_maximum_loads(tmp_path, field, ctype, base, make, get, loc, what):
    text = "0x%x" % ctype.hi if base == 0 else "%d" % ctype.hi
    _, load = load_text(tmp_path, make(text))
    assert get(load()) == shown_in(ctype.hi, field)


@pytest.mark.parametrize("field,ctype,base,make,get,loc,what", FIELDS, ids=IDS)
def test_one_past_the_maximum_is_refused_naming_the_type(tmp_path, field, ctype, base, make,
                                                         get, loc, what):
    text = "0x%x" % (ctype.hi + 1) if base == 0 else "%d" % (ctype.hi + 1)
    p, load = load_text(tmp_path, make(text))
    e = refused(lambda _: load(), p)
    assert (e.path, e.element) == (str(p), loc)
    assert e.problem == "%s %s is out of range for %s (%d..%d)" % (what, text, ctype.name,
                                                                  ctype.lo, ctype.hi)


@pytest.mark.parametrize("digits", ["\u0661\u0662", "\uff11\uff12", "1\u00b2", "\U0001d7e3"],
                         ids=["arabic-indic", "fullwidth", "superscript", "math-bold"])
@pytest.mark.parametrize("field,ctype,base,make,get,loc,what", FIELDS, ids=IDS)
def test_non_ascii_digits_are_not_numbers(tmp_path, field, ctype, base, make, get, loc, what,
                                          digits):
    p, load = load_text(tmp_path, make(digits))
    e = refused(lambda _: load(), p)
    assert (e.path, e.element, e.problem) == (str(p), loc, "%s must be an integer, not '%s'"
                                              % (what, digits))


def test_the_types_and_their_ranges():
    assert (C_INT.lo, C_INT.hi) == (-2147483648, 2147483647)
    assert (C_UINT.lo, C_UINT.hi) == (0, 4294967295)
    assert (C_USHORT.lo, C_USHORT.hi) == (0, 65535)
    assert (C_ULONG.lo, C_ULONG.hi) == (0, 18446744073709551615)
    assert (C_LONG_LONG.lo, C_LONG_LONG.hi) == (-9223372036854775808, 9223372036854775807)
    assert (C_ULONG_LONG.lo, C_ULONG_LONG.hi) == (0, 18446744073709551615)
    assert str(C_PID_T) == "pid_t (-2147483648..2147483647)"
    assert 5 in C_USHORT and -1 not in C_USHORT and 65536 not in C_USHORT


def test_the_domain_id_minimum_is_within_int(tmp_path):
    _, load = load_text(tmp_path, domain(attrs="type='kvm' id='-1'"))
    assert load().id == -1
    p, load = load_text(tmp_path, domain(attrs="type='kvm' id='-2147483649'"))
    assert refused(lambda _: load(), p).problem == (
        "domain id -2147483649 is out of range for int (-2147483648..2147483647)")


def test_a_huge_static_can_no_longer_make_a_port(tmp_path):
    """Before, 99999999999999999999999 was taken and PrepareDirect put it in the URI."""
    p, load = load_text(tmp_path, scenario(
        rest="<static name='qemuMigrationPrepareDirect.port' value='99999999999999999999999'/>"))
    assert "is out of range for int" in refused(lambda _: load(), p).problem


def loc(what="v"):
    return "/x/@" + what


@pytest.mark.parametrize("text,base,value", [
    (" 12\t", 10, 12), ("+12", 10, 12), ("-0", 10, 0), ("007", 10, 7), ("\n42\r\n", 10, 42),
    ("0x1F", 0, 31), ("0X1f", 0, 31), ("017", 0, 15), ("0", 0, 0), ("+0x10", 0, 16),
    ("19", 0, 19), ("00", 0, 0),
])
def test_c_literals_taken(text, base, value):
    assert parse_int(text, "f", loc(), "v", C_INT, base=base) == value


@pytest.mark.parametrize("text,base", [
    ("", 10), (" ", 10), ("1_000", 10), ("0x10", 10), ("1 2", 10), ("--1", 10), ("0x", 0),
    ("0x1_0", 0), ("09", 0), ("0x 1", 0), ("1e3", 0), ("\u0663", 0), ("0x\uff11", 0),
    ("0\u0661", 0),
])
def test_everything_else_is_not_a_number(text, base):
    e = pytest.raises(LoadError, parse_int, text, "f", loc(), "v", C_INT, base=base).value
    assert e.problem == "v must be an integer, not '%s'" % text


@pytest.mark.parametrize("text,shown", [
    ("\u00a012", "\\xa012"), ("12\u2003", "12\\u2003"), ("\t1\x002", "\\t1\\x002"),
    ("1" * 61 + "x", "1" * 60 + "..."),
])
def test_blanks_that_are_not_c_blanks_are_shown_escaped(text, shown):
    """Only ASCII blanks surround a number; any other is not a blank and the message says
    which character it is (a no-break space would otherwise look like a space)."""
    e = pytest.raises(LoadError, parse_int, text, "f", loc(), "v", C_INT).value
    assert e.problem == "v must be an integer, not '%s'" % shown


def test_a_megabyte_of_digits_is_out_of_range_without_converting_it():
    digits = "7" * 1_000_000          # int() would refuse past 4300 digits
    e = pytest.raises(LoadError, parse_int, digits, "f", loc(), "v", C_ULONG).value
    assert e.problem == "v %s... is out of range for %s" % ("7" * 60, C_ULONG)
    leading_zeros = "0" * 5000 + "5"
    assert parse_int(leading_zeros, "f", loc(), "v", C_INT) == 5
    assert MAX_DIGITS == 22            # 2**64 - 1 in octal, the longest spelling of any type


def test_out_of_range_low_side_and_minimum():
    e = pytest.raises(LoadError, parse_int, "-1", "f", loc(), "v", C_UINT, base=0).value
    assert e.problem == "v -1 is out of range for unsigned int (0..4294967295)"
    e = pytest.raises(LoadError, parse_int, "0", "f", loc(), "v", C_INT, minimum=1).value
    assert e.problem == "v must be at least 1, not 0"


@pytest.mark.parametrize("slot,function,problem", [
    ("0x1f", "7", None), ("32", "0", "pci address slot 0x20 is out of range (at most 0x1f)"),
    ("1", "8", "pci address function 0x8 is out of range (at most 0x7)"),
])
def test_pci_slot_and_function_as_libvirt_checks_them(tmp_path, slot, function, problem):
    p, load = load_text(tmp_path, domain(
        "<hostdev mode='subsystem' type='pci'><source><address bus='0' slot='%s' "
        "function='%s'/></source></hostdev>" % (slot, function)))
    if problem is None:
        assert load().hostdevs[0].source == "0000:00:1f.7"
    else:
        assert refused(lambda _: load(), p).problem == problem


@pytest.mark.parametrize("attrs", ["domain='0' bus='0' slot='0' function='1'", "function='1'",
                                   "domain='0x0'"])
def test_pci_address_all_zero_is_insufficient(tmp_path, attrs):
    """virDomainDevicePCIAddressIsValid: domain, bus or slot must be non-zero."""
    p, load = load_text(tmp_path, domain(
        "<hostdev mode='subsystem' type='pci'><source><address %s/></source></hostdev>"
        % attrs))
    e = refused(lambda _: load(), p)
    assert (e.element, e.problem) == ("/domain/devices/hostdev/source/address",
                                      "Insufficient specification for PCI address (domain, "
                                      "bus and slot are all 0)")


def test_pci_domain_alone_is_enough(tmp_path):
    _, load = load_text(tmp_path, domain(
        "<hostdev mode='subsystem' type='pci'><source><address domain='0x10000'/></source>"
        "</hostdev>"))
    assert load().hostdevs[0].source == "10000:00:00.0"


def test_a_vcpu_without_pid(tmp_path):
    p, load = load_text(tmp_path, status().replace("<vcpu pid='11'/>", "<vcpu/>"))
    e = refused(lambda _: load(), p)
    assert (e.element, e.problem) == ("/domstatus/vcpus/vcpu/@pid", "a <vcpu> needs a pid")


# --- locations only for errors ---------------------------------------------------------------


def test_loading_computes_no_location(tmp_path, monkeypatch):
    """Every bundled fixture loads without turning one location into text."""
    shown = []
    original = Where.__str__
    monkeypatch.setattr(Where, "__str__", lambda self: shown.append(1) or original(self))
    for path in sorted((ROOT / "fixtures").glob("*/*.xml")):
        load_any(path)
    assert shown == []
    p, load = load_text(tmp_path, domain(memory="lots"))
    assert refused(lambda _: load(), p).element == "/domain/memory"
    assert shown == [1]


def test_where_appends_and_shows_the_path():
    root = parse_bytes("<a><b/><b><c/></b></a>", "t")
    c = root[1][0]
    w = xmlutil.where(c, "x") + "/y"
    assert isinstance(w, Where) and str(w) == "/a/b[2]/c/@x/y"
    assert str(xmlutil.child_where(root, "./b[1]")) == "/a/b"


def test_a_domain_file_named_by_many_calls_is_read_once(tmp_path, monkeypatch):
    """Each call still gets its own value: the text, or a definition of its own."""
    d = tmp_path / "g.xml"
    d.write_text(domain())
    reads = []
    original = xmlutil.read_bytes
    monkeypatch.setattr("qemu_migration.loader.scenario.read_bytes",
                        lambda path, *a: reads.append(path) or original(path, *a))
    sc = tmp_path / "sc.xml"
    sc.write_text("<scenario name='a'>" + 2 * (
        "<call function='qemuMigrationPrepareTunnel'><arg name='dom_xml' file='g.xml'/></call>"
        "<call function='qemuMigrationIsAllowed'><arg name='def' file='g.xml'/></call>")
        + "</scenario>")
    calls = load_scenario(sc).calls
    assert reads == [str(d)]
    assert calls[0].args["dom_xml"] == calls[2].args["dom_xml"] == d.read_text()
    first, second = calls[1].args["def"], calls[3].args["def"]
    assert first == second and first is not second and first.hostdevs is not second.hostdevs
