"""Bad input: every problem is a LoadError whose one-line message names file and element."""
from pathlib import Path

import pytest

from qemu_migration.loader import LoadError, load_any, load_domain, load_scenario
from qemu_migration.loader.domain import parse_domain_text

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "data" / "bad"
DOM = ROOT / "fixtures" / "domains"
SNAP = ROOT / "fixtures" / "snapshots"
UUID = "5d1e0c2a-7f3b-4c8d-9e0f-1a2b3c4d5e6f"
WEB1 = "3379d1ad-4aa1-496b-ba7d-755cc61c5b8a"


def check(exc, path, element, problem):
    """The message is exactly one line: ``<file>: <element>: <problem>``."""
    e = exc.value
    text = str(e)
    assert "\n" not in text
    assert (e.path, e.element) == (str(path), element), text
    assert text == "%s: %s: %s" % (path, element, e.problem)
    assert problem in e.problem, text


def assert_refused(tmp_path, loader, text, element, problem):
    """Write ``text`` to a file, load it with ``loader``: one LoadError naming both."""
    p = tmp_path / "input.xml"
    p.write_text(text)
    with pytest.raises(LoadError) as exc:
        loader(p)
    check(exc, p, element, problem)


# --- the bundled bad files --------------------------------------------------------------

FILES = [
    ("malformed.xml", "line 7, column", "malformed XML: Opening and ending tag mismatch"),
    ("doctype-entity.xml", "/", "document type declarations and entities are not accepted "
     "(found <!DOCTYPE domain> declaring the entities secret)"),
    ("undefined-entity.xml", "line 2, column", "malformed XML: Entity 'lol' not defined"),
    ("wrong-root.xml", "/network", "wrong root element <network>"),
    ("unknown-hostdev.xml", "/domain/devices/hostdev[2]/@type",
     "unknown hostdev type 'scsi' (expected pci or usb)"),
    ("bad-uuid.xml", "/domain/uuid", "malformed uuid '5d1e0c2a-7f3b-4c8d-9e0f-1a2b3c4d5e6'"),
    ("bad-memory.xml", "/domain/memory", "memory (KiB) must be an integer, not '512M'"),
    ("unknown-state.status.xml", "/domstatus/@state", "unknown domain state 'sleeping'"),
    ("unknown-async-job.status.xml", "/domstatus/job/@async",
     "unknown async job type 'migration sideways'"),
    ("running-without-id.status.xml", "/domstatus/domain/@id",
     "a running domain must have an id"),
    ("scenario-unknown-function.xml", "/scenario/call/@function",
     "unknown function 'qemuMigrationConfirm'"),
    ("scenario-unknown-callee.xml", "/scenario/call/fault/@callee",
     "unknown callee 'virDomainObjLock'"),
    ("scenario-unknown-flag.xml", "/scenario/call/arg", "unknown migration flag 'compressed'"),
]


@pytest.mark.parametrize("name,element,problem", FILES, ids=[f[0] for f in FILES])
def test_bad_file(name, element, problem):
    with pytest.raises(LoadError) as exc:
        load_any(BAD / name)
    e = exc.value
    assert e.path == str(BAD / name)
    if element.startswith("line"):
        assert e.element.startswith(element)
        assert problem in e.problem
        assert "\n" not in str(e)
    else:
        check(exc, BAD / name, element, problem)


def test_missing_referenced_file_names_referrer_and_missing_path():
    with pytest.raises(LoadError) as exc:
        load_scenario(BAD / "scenario-missing-file.xml")
    check(exc, BAD / "scenario-missing-file.xml", "/scenario/host/domain/@file",
          "referenced file '../../../fixtures/domains/no-such-guest.status.xml'")
    assert str(ROOT / "fixtures/domains/no-such-guest.status.xml") in exc.value.problem
    assert "does not exist" in exc.value.problem


def test_missing_top_level_file(tmp_path):
    with pytest.raises(LoadError) as exc:
        load_any(tmp_path / "nothing.xml")
    check(exc, tmp_path / "nothing.xml", "/", "file does not exist")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(LoadError) as exc:
        load_any(tmp_path)
    check(exc, tmp_path, "/", "the file is a directory, not a regular file")


def test_doctype_without_entities_is_refused(tmp_path):
    p = tmp_path / "d.xml"
    p.write_text("<?xml version='1.0'?>\n\n<!DOCTYPE domain>\n<domain type='kvm'/>")
    with pytest.raises(LoadError) as exc:
        load_any(p)
    check(exc, p, "/", "document type declarations and entities are not accepted "
          "(found <!DOCTYPE domain>)")


def test_doctype_in_utf16_is_refused_after_parsing(tmp_path):
    p = tmp_path / "u.xml"
    p.write_bytes("<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE domain><domain/>"
                  .encode("utf-16"))
    with pytest.raises(LoadError) as exc:
        load_any(p)
    check(exc, p, "/", "document type declarations and entities are not accepted")


def test_missing_absolute_reference(tmp_path):
    p = tmp_path / "sc.xml"
    gone = tmp_path / "gone.status.xml"
    p.write_text("<scenario name='a'><host><domain file='%s'/></host>"
                 "<call function='qemuMigrationBegin' domain='x'/></scenario>" % gone)
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    check(exc, p, "/scenario/host/domain/@file", "referenced file '%s' does not exist" % gone)
    assert "looked for" not in str(exc.value)


def test_dom_xml_must_be_utf8(tmp_path):
    d = tmp_path / "latin.xml"
    d.write_bytes("<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain type='kvm'>"
                  "<name>caf\u00e9</name><uuid>{}</uuid><memory>1</memory></domain>"
                  .format(UUID).encode("latin-1"))
    assert load_domain(d).name == "caf\u00e9"
    p = tmp_path / "sc.xml"
    p.write_text("<scenario name='a'><call function='qemuMigrationPrepareTunnel'>"
                 "<arg name='dom_xml' file='latin.xml'/></call></scenario>")
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    check(exc, d, "/", "must be UTF-8")


def test_parse_domain_text_refuses_entities_too():
    with pytest.raises(LoadError) as exc:
        parse_domain_text("<!DOCTYPE d [<!ENTITY x 'y'>]><domain/>", "<xml>")
    check(exc, "<xml>", "/", "not accepted (found <!DOCTYPE d> declaring the entities x)")


def test_malformed_empty_file(tmp_path):
    p = tmp_path / "e.xml"
    p.write_text("")
    with pytest.raises(LoadError) as exc:
        load_any(p)
    assert exc.value.element.startswith("line ")
    assert "malformed XML" in exc.value.problem


# --- domain XML -----------------------------------------------------------------------------


def domain(attrs="type='kvm'", body=None, devices=""):
    if body is None:
        body = "<name>t1</name><uuid>%s</uuid><memory>1024</memory>" % UUID
    return "<domain %s>%s<devices>%s</devices></domain>" % (attrs, body, devices)


def hostdev(inner, attrs="mode='subsystem' type='pci'"):
    return "<hostdev %s>%s</hostdev>" % (attrs, inner)


PCI_OK = "<source><address domain='0' bus='1' slot='2' function='3'/></source>"
NAME_UUID = "<name>t1</name><uuid>%s</uuid>" % UUID

DOMAIN_CASES = [
    ("no-type", domain(""), "/domain/@type", "missing domain type attribute"),
    ("xen", domain("type='xen'"), "/domain/@type",
     "unexpected domain type xen, expecting one of these: qemu, kvm"),
    ("bogus-type", domain("type='bochs'"), "/domain/@type", "invalid domain type 'bochs'"),
    ("id", domain("type='kvm' id='seven'"), "/domain/@id", "domain id must be an integer"),
    ("no-name", domain(body="<uuid>%s</uuid><memory>1</memory>" % UUID), "/domain/name",
     "missing domain name"),
    ("blank-name", domain(body="<name> </name><uuid>%s</uuid><memory>1</memory>" % UUID),
     "/domain/name", "missing domain name"),
    ("no-uuid", domain(body="<name>t1</name><memory>1</memory>"), "/domain/uuid",
     "missing domain uuid"),
    ("uuid-letters", domain(body="<name>t</name><uuid>%s</uuid><memory>1</memory>"
                            % UUID.replace("5", "z")), "/domain/uuid", "malformed uuid"),
    ("no-memory", domain(body=NAME_UUID), "/domain/memory", "missing memory element"),
    ("negative-memory", domain(body=NAME_UUID + "<memory>-1</memory>"), "/domain/memory",
     "memory (KiB) -1 is out of range for unsigned long (0..18446744073709551615)"),
    ("vcpu-zero", domain(body=NAME_UUID + "<memory>1</memory><vcpu>0</vcpu>"), "/domain/vcpu",
     "maximum vcpus must be at least 1"),
    ("vcpu-text", domain(body=NAME_UUID + "<memory>1</memory><vcpu>two</vcpu>"),
     "/domain/vcpu", "maximum vcpus must be an integer, not 'two'"),
    ("vcpu-current", domain(body=NAME_UUID + "<memory>1</memory><vcpu current='4'>2</vcpu>"),
     "/domain/vcpu/@current", "maxvcpus must not be less than current vcpus (2 < 4)"),
    ("vcpu-current-text", domain(body=NAME_UUID + "<memory>1</memory>"
                                 "<vcpu current='x'>2</vcpu>"),
     "/domain/vcpu/@current", "current vcpus must be an integer"),
    ("hostdev-no-type", domain(devices=hostdev(PCI_OK, "mode='subsystem'")),
     "/domain/devices/hostdev/@type", "missing type in hostdev"),
    ("hostdev-caps", domain(devices=hostdev(PCI_OK, "mode='capabilities' type='pci'")),
     "/domain/devices/hostdev/@mode", "hostdev mode 'capabilities' is not supported"),
    ("hostdev-mode", domain(devices=hostdev(PCI_OK, "mode='passthrough' type='pci'")),
     "/domain/devices/hostdev/@mode", "unknown hostdev mode 'passthrough' (expected "
     "subsystem or capabilities)"),
    ("hostdev-no-source", domain(devices=hostdev("")), "/domain/devices/hostdev/source",
     "hostdev has no <source> element"),
    ("pci-bad-number", domain(devices=hostdev("<source><address bus='0x1g' slot='0'/></source>")),
     "/domain/devices/hostdev/source/address/@bus",
     "pci address bus must be an integer, not '0x1g'"),
    ("pci-octal", domain(devices=hostdev("<source><address bus='09' slot='0'/></source>")),
     "/domain/devices/hostdev/source/address/@bus", "must be an integer, not '09'"),
    ("pci-negative", domain(devices=hostdev("<source><address bus='-1' slot='0'/></source>")),
     "/domain/devices/hostdev/source/address/@bus",
     "pci address bus -1 is out of range for unsigned int (0..4294967295)"),
    ("pci-slot-range", domain(devices=hostdev("<source><address bus='0' slot='0x20'/></source>")),
     "/domain/devices/hostdev/source/address/@slot",
     "pci address slot 0x20 is out of range (at most 0x1f)"),
    ("pci-no-address", domain(devices=hostdev("<source/>")),
     "/domain/devices/hostdev/source/address", "pci hostdev source has no <address>"),
    ("pci-unknown", domain(devices=hostdev("<source><vendor id='1'/></source>")),
     "/domain/devices/hostdev/source/vendor", "unknown pci source type 'vendor'"),
    ("pci-insufficient", domain(devices=hostdev("<source><address function='1'/></source>")),
     "/domain/devices/hostdev/source/address", "Insufficient specification for PCI address"),
    ("usb-vendor-no-id", domain(devices=hostdev("<source><vendor/><product id='1'/></source>",
                                                "type='usb'")),
     "/domain/devices/hostdev/source/vendor/@id", "usb vendor needs id"),
    ("usb-product-no-id", domain(devices=hostdev("<source><vendor id='1'/><product/></source>",
                                                 "type='usb'")),
     "/domain/devices/hostdev/source/product/@id", "usb product needs id"),
    ("usb-vendor-zero", domain(devices=hostdev(
        "<source><vendor id='0'/><product id='1'/></source>", "type='usb'")),
     "/domain/devices/hostdev/source/vendor/@id", "vendor cannot be 0."),
    ("usb-vendor-text", domain(devices=hostdev(
        "<source><vendor id='acme'/><product id='1'/></source>", "type='usb'")),
     "/domain/devices/hostdev/source/vendor/@id", "usb vendor id must be an integer"),
    ("usb-no-product", domain(devices=hostdev("<source><vendor id='0x1'/></source>",
                                              "type='usb'")),
     "/domain/devices/hostdev/source/product", "missing product"),
    ("usb-no-vendor", domain(devices=hostdev("<source><product id='0x1'/></source>",
                                             "type='usb'")),
     "/domain/devices/hostdev/source/vendor", "missing vendor"),
    ("usb-no-bus", domain(devices=hostdev("<source><address device='1'/></source>",
                                          "type='usb'")),
     "/domain/devices/hostdev/source/address/@bus", "usb address needs bus id"),
    ("usb-no-device", domain(devices=hostdev("<source><address bus='1'/></source>",
                                             "type='usb'")),
     "/domain/devices/hostdev/source/address/@device", "usb address needs device id"),
    ("usb-unknown", domain(devices=hostdev("<source><port n='1'/></source>", "type='usb'")),
     "/domain/devices/hostdev/source/port", "unknown usb source type 'port'"),
    ("usb-empty", domain(devices=hostdev("<source/>", "type='usb'")),
     "/domain/devices/hostdev/source", "names neither vendor/product nor address"),
    ("graphics-type", domain(devices="<graphics type='vnc'/><graphics type='x11'/>"),
     "/domain/devices/graphics[2]/@type", "unknown graphics device type 'x11'"),
    ("graphics-no-type", domain(devices="<graphics/>"), "/domain/devices/graphics/@type",
     "missing graphics device type"),
]


@pytest.mark.parametrize("text,element,problem", [c[1:] for c in DOMAIN_CASES],
                         ids=[c[0] for c in DOMAIN_CASES])
def test_bad_domain(tmp_path, text, element, problem):
    assert_refused(tmp_path, load_domain, text, element, problem)


def test_load_domain_wrong_root(tmp_path):
    p = tmp_path / "s.xml"
    p.write_text((SNAP / "web1-nightly.xml").read_text())
    with pytest.raises(LoadError) as exc:
        load_domain(p)
    check(exc, p, "/domainsnapshot", "wrong root element <domainsnapshot> (expected <domain>)")


# --- status XML -------------------------------------------------------------------------------

INNER = ("<domain type='kvm'%s><name>s1</name><uuid>" + UUID + "</uuid><memory>1</memory>"
         "</domain>")
MON = "<monitor path='/var/lib/libvirt/qemu/s1.monitor' type='unix'/>"


def status(attrs="state='running' reason='booted' pid='10'", body=MON, inner=INNER % " id='2'"):
    return "<domstatus %s>%s%s</domstatus>" % (attrs, body, inner)


STATUS_CASES = [
    ("no-state", status("pid='1'"), "/domstatus/@state", "missing domain state"),
    ("bad-reason", status("state='paused' reason='booted' pid='1'"), "/domstatus/@reason",
     "unknown reason for state paused 'booted'"),
    ("no-pid", status("state='running'"), "/domstatus/@pid", "invalid pid"),
    ("bad-pid", status("state='running' pid='12ab'"), "/domstatus/@pid",
     "pid must be an integer, not '12ab'"),
    ("no-domain", status(inner=""), "/domstatus/domain", "no domain config"),
    ("inner-domain-bad", status(inner="<domain type='kvm' id='2'><uuid>%s</uuid></domain>"
                                % UUID), "/domstatus/domain/name", "missing domain name"),
    ("paused-no-id", status("state='paused' pid='1'", inner=INNER % ""),
     "/domstatus/domain/@id", "a paused domain must have an id"),
    ("shutoff-with-id", status("state='shutoff' pid='0'"), "/domstatus/domain/@id",
     "a shutoff domain cannot have an id"),
    ("no-monitor", status(body=""), "/domstatus/monitor/@path", "no monitor path"),
    ("monitor-type", status(body="<monitor path='/x' type='tcp'/>"),
     "/domstatus/monitor/@type", "unknown monitor type 'tcp' (expected pty or unix)"),
    ("vcpu-pid", status(body=MON + "<vcpus><vcpu pid='1'/><vcpu pid='x'/></vcpus>"),
     "/domstatus/vcpus/vcpu[2]/@pid", "vcpu pid must be an integer"),
    ("job-async-name", status(body=MON + "<job type='async' async='none'/>"),
     "/domstatus/job/@type", "unknown job type 'async'"),
    ("job-type", status(body=MON + "<job type='resize' async='none'/>"),
     "/domstatus/job/@type", "unknown job type 'resize' (expected one of none, query,"),
    ("job-phase", status(body=MON + "<job type='none' async='migration out' phase='perform9'/>"),
     "/domstatus/job/@phase", "unknown job phase 'perform9'"),
    ("job-phase-save", status(body=MON + "<job type='none' async='save' phase='begin3'/>"),
     "/domstatus/job/@phase", "an async job 'save' has only phase none"),
    ("job-phase-no-async", status(body=MON + "<job type='modify' phase='begin3'/>"),
     "/domstatus/job/@phase", "a job phase needs an async job"),
    ("job-on-shutoff", status("state='shutoff' pid='0'", MON + "<job type='modify'/>",
                              INNER % ""), "/domstatus/job", "a shutoff domain cannot hold a job"),
]


@pytest.mark.parametrize("text,element,problem", [c[1:] for c in STATUS_CASES],
                         ids=[c[0] for c in STATUS_CASES])
def test_bad_status(tmp_path, text, element, problem):
    assert_refused(tmp_path, load_any, text, element, problem)


# --- snapshot XML -----------------------------------------------------------------------------


def snapshot(body):
    return "<domainsnapshot>%s</domainsnapshot>" % body


SNAP_CASES = [
    ("no-name", snapshot("<state>running</state><creationTime>1</creationTime>"),
     "/domainsnapshot/name", "a snapshot must have a name"),
    ("no-state", snapshot("<name>a</name><creationTime>1</creationTime>"),
     "/domainsnapshot/state", "missing state from existing snapshot"),
    ("bad-state", snapshot("<name>a</name><state>frozen</state><creationTime>1</creationTime>"),
     "/domainsnapshot/state", "unknown snapshot state 'frozen'"),
    ("no-time", snapshot("<name>a</name><state>running</state>"),
     "/domainsnapshot/creationTime", "missing creationTime from existing snapshot"),
    ("bad-time", snapshot("<name>a</name><state>running</state>"
                          "<creationTime>yesterday</creationTime>"),
     "/domainsnapshot/creationTime", "creationTime must be an integer, not 'yesterday'"),
    ("parent-no-name", snapshot("<name>a</name><state>running</state><parent/>"
                                "<creationTime>1</creationTime>"),
     "/domainsnapshot/parent/name", "a <parent> must have a <name>"),
    ("domain-uuid", snapshot("<name>a</name><state>running</state>"
                             "<creationTime>1</creationTime><domain><uuid>nope</uuid></domain>"),
     "/domainsnapshot/domain/uuid", "malformed uuid 'nope'"),
]


@pytest.mark.parametrize("text,element,problem", [c[1:] for c in SNAP_CASES],
                         ids=[c[0] for c in SNAP_CASES])
def test_bad_snapshot(tmp_path, text, element, problem):
    assert_refused(tmp_path, load_any, text, element, problem)


# --- scenario XML -------------------------------------------------------------------------------

WEB1_STATUS = str(DOM / "web1.status.xml")
WEB1_DEF = str(DOM / "web1.xml")
BEGIN = "<call function='qemuMigrationBegin' domain='web1'/>"


def scenario(host="<domain file='%s'/>" % WEB1_STATUS, rest=BEGIN, attrs="name='bad'"):
    return "<scenario %s><description>x</description><host>%s</host>%s</scenario>" % (
        attrs, host, rest)


def perform(inner):
    return "<call function='qemuMigrationPerformJob' domain='web1'>%s</call>" % inner


def prepare(inner, fn="qemuMigrationPrepareTunnel", attrs=""):
    return "<call function='%s'%s>%s</call>" % (fn, attrs, inner)


DOM_XML = "<arg name='dom_xml' file='%s'/>" % WEB1_DEF

SCENARIO_CASES = [
    ("no-name", scenario(attrs=""), "/scenario/@name", "missing required attribute 'name'"),
    ("root-attr", scenario(attrs="name='a' version='2'"), "/scenario/@version",
     "unknown attribute 'version' on <scenario>"),
    ("two-hosts", scenario(rest="<host/>" + BEGIN), "/scenario/host[2]",
     "at most one <host>"),
    ("two-descriptions", scenario(rest="<description>y</description>" + BEGIN),
     "/scenario/description[2]", "at most one <description>"),
    ("description-attr", "<scenario name='a'><description lang='en'>x</description>%s"
     "</scenario>" % BEGIN, "/scenario/description/@lang", "unknown attribute 'lang'"),
    ("unknown-element", scenario(rest="<setup/>" + BEGIN), "/scenario/setup",
     "unknown element <setup> in <scenario>"),
    ("no-calls", scenario(rest=""), "/scenario/call", "a scenario needs at least one <call>"),
    ("empty-hostname", "<scenario name='a'><host hostname=''/>%s</scenario>" % BEGIN,
     "/scenario/host/@hostname", "empty hostname"),
    ("host-child", scenario(host="<vm file='x'/>"), "/scenario/host/vm",
     "unknown element <vm> in <host>"),
    ("host-domain-no-file", scenario(host="<domain/>"), "/scenario/host/domain/@file",
     "missing required attribute 'file'"),
    ("host-domain-attr", scenario(host="<domain file='%s' running='yes'/>" % WEB1_STATUS),
     "/scenario/host/domain/@running", "unknown attribute 'running'"),
    ("host-domain-snapshot-file", scenario(host="<domain file='%s'/>"
                                           % (SNAP / "web1-nightly.xml")),
     "/scenario/host/domain/@file", "is a <domainsnapshot> file, expected <domstatus> or "
     "<domain>"),
    ("persistent-true", scenario(host="<domain file='%s' persistent='true'/>" % WEB1_STATUS),
     "/scenario/host/domain/@persistent", "persistent must be yes or no, not 'true'"),
    ("transient-shutoff", scenario(host="<domain file='%s' persistent='no'/>" % WEB1_DEF),
     "/scenario/host/domain/@persistent", "a shut-off domain must be persistent"),
    ("autodestroy-bad", scenario(host="<domain file='%s' autodestroy='1'/>" % WEB1_STATUS),
     "/scenario/host/domain/@autodestroy", "autodestroy must be yes or no, not '1'"),
    ("autodestroy-shutoff", scenario(host="<domain file='%s' autodestroy='yes'/>" % WEB1_DEF),
     "/scenario/host/domain/@autodestroy", "only an active domain can be marked"),
    ("balloon-shutoff", scenario(host="<domain file='%s' balloon='1024'/>" % WEB1_DEF),
     "/scenario/host/domain/@balloon", "balloon is what a running guest's balloon driver "
     "reports, and the domain is shut off"),
    ("refs-zero", scenario(host="<domain file='%s' refs='0'/>" % WEB1_STATUS),
     "/scenario/host/domain/@refs", "refs must be at least 1, not 0"),
    ("refs-text", scenario(host="<domain file='%s' refs='many'/>" % WEB1_STATUS),
     "/scenario/host/domain/@refs", "refs must be an integer, not 'many'"),
    ("domain-child", scenario(host="<domain file='%s'><disk/></domain>" % WEB1_STATUS),
     "/scenario/host/domain/disk", "unknown element <disk> in <domain>"),
    ("snapshot-attr", scenario(host="<domain file='%s'><snapshot file='%s' x='1'/></domain>"
                               % (WEB1_STATUS, SNAP / "web1-nightly.xml")),
     "/scenario/host/domain/snapshot/@x", "unknown attribute 'x'"),
    ("snapshot-not-snapshot", scenario(host="<domain file='%s'><snapshot file='%s'/></domain>"
                                       % (WEB1_STATUS, WEB1_DEF)),
     "/scenario/host/domain/snapshot/@file", "is a <domain> file, expected <domainsnapshot>"),
    ("snapshot-twice", scenario(host="<domain file='%s'><snapshot file='%s'/>"
                                "<snapshot file='%s'/></domain>" % (
                                    WEB1_STATUS, SNAP / "web1-before-upgrade.xml",
                                    SNAP / "web1-before-upgrade.xml")),
     "/scenario/host/domain/snapshot[2]/@file",
     "domain 'web1' already has a snapshot named 'before-upgrade'"),
    ("duplicate-uuid", scenario(host="<domain file='%s'/><domain file='%s'/>"
                                % (WEB1_STATUS, WEB1_DEF)),
     "/scenario/host/domain[2]/@file", "uuid %s is already on the host" % WEB1),
    ("duplicate-name", scenario(host="<domain file='%s'/><domain file='%s'/>"
                                % (WEB1_STATUS, DOM / "web1-clone.xml")),
     "/scenario/host/domain[2]/@file", "a domain named 'web1' is already on the host"),
    ("missing-snapshot-file", scenario(host="<domain file='%s'><snapshot file='nope.xml'/>"
                                       "</domain>" % WEB1_STATUS),
     "/scenario/host/domain/snapshot/@file", "referenced file 'nope.xml'"),
    ("static-unknown", scenario(rest="<static name='port' value='1'/>" + BEGIN),
     "/scenario/static/@name", "unknown static variable 'port'"),
    ("static-value", scenario(rest="<static name='qemuMigrationPrepareDirect.port' "
                              "value='three'/>" + BEGIN),
     "/scenario/static/@value", "static value must be an integer, not 'three'"),
    ("static-no-value", scenario(rest="<static name='qemuMigrationPrepareDirect.port'/>"
                                 + BEGIN),
     "/scenario/static/@value", "missing required attribute 'value'"),
    ("static-twice", scenario(rest="<static name='qemuMigrationPrepareDirect.port' value='1'/>"
                              "<static name='qemuMigrationPrepareDirect.port' value='2'/>"
                              + BEGIN),
     "/scenario/static[2]/@name", "static 'qemuMigrationPrepareDirect.port' given twice"),
    ("call-no-function", scenario(rest="<call domain='web1'/>"), "/scenario/call/@function",
     "missing required attribute 'function'"),
    ("call-attr", scenario(rest="<call function='qemuMigrationBegin' domain='web1' v='3'/>"),
     "/scenario/call/@v", "unknown attribute 'v' on <call>"),
    ("call-unknown-domain", scenario(rest="<call function='qemuMigrationBegin' domain='db9'/>"),
     "/scenario/call/@domain", "no domain named 'db9' on the host (there are: web1)"),
    ("call-no-domain", scenario(rest="<call function='qemuMigrationPerformJob'/>"),
     "/scenario/call/@domain", "qemuMigrationPerformJob needs domain="),
    ("prepare-with-domain", scenario(rest=prepare(DOM_XML, attrs=" domain='web1'")),
     "/scenario/call/@domain", "qemuMigrationPrepareTunnel takes no domain="),
    ("prepare-no-dom-xml", scenario(rest=prepare("", "qemuMigrationPrepareDirect")),
     "/scenario/call/arg[@name='dom_xml']", "qemuMigrationPrepareDirect needs argument "
     "'dom_xml'"),
    ("unknown-arg", scenario(rest=perform("<arg name='bandwidth'>3</arg>")),
     "/scenario/call/arg/@name", "unknown argument 'bandwidth' for qemuMigrationPerformJob"),
    ("arg-no-name", scenario(rest=perform("<arg>3</arg>")), "/scenario/call/arg/@name",
     "missing required attribute 'name'"),
    ("arg-attr", scenario(rest=perform("<arg name='uri' type='s'>x</arg>")),
     "/scenario/call/arg/@type", "unknown attribute 'type' on <arg>"),
    ("arg-twice", scenario(rest=perform("<arg name='uri'>a</arg><arg name='uri'>b</arg>")),
     "/scenario/call/arg[2]/@name", "argument 'uri' given twice"),
    ("file-arg-as-text", scenario(rest=prepare("<arg name='dom_xml'>%s</arg>" % WEB1_DEF)),
     "/scenario/call/arg/@file", "argument 'dom_xml' of qemuMigrationPrepareTunnel takes a "
     "domain XML file"),
    ("file-arg-with-text", scenario(rest=prepare("<arg name='dom_xml' file='%s'>x</arg>"
                                                 % WEB1_DEF)),
     "/scenario/call/arg", "argument 'dom_xml' takes a file= attribute, not text"),
    ("text-arg-as-file", scenario(rest=perform("<arg name='uri' file='%s'/>" % WEB1_DEF)),
     "/scenario/call/arg/@file", "argument 'uri' of qemuMigrationPerformJob is given as text"),
    ("arg-child", scenario(rest=perform("<arg name='uri'><b>x</b></arg>")),
     "/scenario/call/arg/b", "argument 'uri' holds text only"),
    ("bool-arg", scenario(rest=perform("<arg name='v3proto'>true</arg>")),
     "/scenario/call/arg", "argument 'v3proto' must be yes or no, not 'true'"),
    ("peer-v3-arg", scenario(rest=perform("<arg name='peer-v3'>0</arg>")),
     "/scenario/call/arg", "argument 'peer-v3' must be yes or no, not '0'"),
    ("int-arg", scenario(rest=perform("<arg name='resource'>fast</arg>")),
     "/scenario/call/arg", "argument 'resource' must be an integer, not 'fast'"),
    ("int-arg-negative", scenario(rest=perform("<arg name='resource'>-5</arg>")),
     "/scenario/call/arg",
     "argument 'resource' -5 is out of range for unsigned long (0..18446744073709551615)"),
    ("dom-xml-status-file", scenario(rest=prepare("<arg name='dom_xml' file='%s'/>"
                                                  % WEB1_STATUS)),
     "/scenario/call/arg/@file", "is a <domstatus> file, expected a <domain> file"),
    ("xmlin-missing-file", scenario(rest="<call function='qemuMigrationBegin' domain='web1'>"
                                    "<arg name='xmlin' file='gone.xml'/></call>"),
     "/scenario/call/arg/@file", "referenced file 'gone.xml'"),
    ("isallowed-both", scenario(rest="<call function='qemuMigrationIsAllowed' domain='web1'>"
                                "<arg name='def' file='%s'/></call>" % WEB1_DEF),
     "/scenario/call", "takes exactly one of domain= and <arg name=\"def\""),
    ("isallowed-neither", scenario(rest="<call function='qemuMigrationIsAllowed'/>"),
     "/scenario/call", "takes exactly one of domain="),
    ("call-child", scenario(rest=perform("<expect ret='0'/>")), "/scenario/call/expect",
     "unknown element <expect> in <call>"),
    ("fault-nth-zero", scenario(rest=perform("<fault callee='virTimeMs' nth='0'/>")),
     "/scenario/call/fault/@nth", "nth must be at least 1, not 0"),
    ("fault-nth-text", scenario(rest=perform("<fault callee='virTimeMs' nth='first'/>")),
     "/scenario/call/fault/@nth", "nth must be an integer, not 'first'"),
    ("fault-no-callee", scenario(rest=perform("<fault nth='1'/>")),
     "/scenario/call/fault/@callee", "missing required attribute 'callee'"),
    ("fault-attr", scenario(rest=perform("<fault callee='virTimeMs' errno='5'/>")),
     "/scenario/call/fault/@errno", "unknown attribute 'errno' on <fault>"),
    ("fault-twice", scenario(rest=perform("<fault callee='virTimeMs'/>"
                                          "<fault callee='virTimeMs' nth='1'/>")),
     "/scenario/call/fault[2]", "fault virTimeMs#1 given twice"),
    ("fault-not-faultable", scenario(rest=perform("<fault callee='qemuDriverLock'/>")),
     "/scenario/call/fault/@callee", "unknown callee 'qemuDriverLock' for a fault"),
    ("fault-off-path", scenario(rest=perform("<fault callee='pipe'/>")),
     "/scenario/call/fault/@callee",
     "qemuMigrationPerformJob never calls pipe, so a fault there cannot fire (faultable on "
     "its path: doNativeMigrate, doPeer2PeerMigrate, qemuProcessStartCPUs, qemuProcessStop, virAsprintf, virCondWaitUntil, "
     "virDomainDeleteConfig, virDomainEventNewFromObj, virDomainSaveStatus, virTimeMs)"),
    ("fault-off-isallowed", scenario(rest="<call function='qemuMigrationIsAllowed' "
                                          "domain='web1'><fault callee='virTimeMs'/></call>"),
     "/scenario/call/fault/@callee", "qemuMigrationIsAllowed never calls virTimeMs, so a fault "
     "there cannot fire (faultable on its path: none)"),
    ("fault-ported-function", scenario(rest=perform("<fault callee='qemuMigrationJobStart'/>")),
     "/scenario/call/fault/@callee", "unknown callee 'qemuMigrationJobStart'"),
    ("wakeup", scenario(rest=perform("<wakeup what='kill'/>")), "/scenario/call/wakeup/@what",
     "unknown wakeup 'kill' (expected end-job, end-async, end-job+start-async, remove-domain)"),
    ("flags", scenario(rest=perform("<arg name='flags'>live,peer2peer</arg>")),
     "/scenario/call/arg", "unknown migration flag 'live,peer2peer'"),
]


@pytest.mark.parametrize("text,element,problem", [c[1:] for c in SCENARIO_CASES],
                         ids=[c[0] for c in SCENARIO_CASES])
def test_bad_scenario(tmp_path, text, element, problem):
    assert_refused(tmp_path, load_scenario, text, element, problem)


def test_scenario_wrong_root():
    with pytest.raises(LoadError) as exc:
        load_scenario(DOM / "web1.xml")
    check(exc, DOM / "web1.xml", "/domain", "wrong root element <domain> (expected <scenario>)")


def test_errors_inside_a_referenced_file_name_that_file(tmp_path):
    bad = tmp_path / "bad-dom.xml"
    bad.write_text("<domain type='kvm'><name>b</name><uuid>%s</uuid></domain>" % UUID)
    p = tmp_path / "sc.xml"
    p.write_text(scenario(host="<domain file='bad-dom.xml'/>"))
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    check(exc, bad, "/domain/memory", "missing memory element")


def test_doctype_in_a_referenced_file(tmp_path):
    p = tmp_path / "sc.xml"
    p.write_text(scenario(host="<domain file='%s'/>" % (BAD / "doctype-entity.xml")))
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    assert exc.value.path == str(BAD / "doctype-entity.xml")
    assert "not accepted" in exc.value.problem


def test_plain_domain_with_id_in_a_host(tmp_path):
    d = tmp_path / "d.xml"
    d.write_text(domain("type='kvm' id='4'"))
    p = tmp_path / "sc.xml"
    p.write_text(scenario(host="<domain file='d.xml'/>", rest="<call function="
                          "'qemuMigrationIsAllowed' domain='t1'/>"))
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    check(exc, d, "/domain/@id", "a plain <domain> file stands for a shut-off domain")


def test_snapshot_of_another_domain(tmp_path):
    p = tmp_path / "sc.xml"
    p.write_text(scenario(host="<domain file='%s'><snapshot file='%s'/></domain>" % (
        WEB1_STATUS, SNAP / "db1-schema-v2.xml")))
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    check(exc, SNAP / "db1-schema-v2.xml", "/domainsnapshot/domain/uuid",
          "snapshot belongs to domain f0f703fb-1a16-4e98-807c-8f05b1815bd3, not to 'web1'")


def test_snapshot_parent_missing(tmp_path):
    p = tmp_path / "sc.xml"
    p.write_text(scenario(host="<domain file='%s'><snapshot file='%s'/></domain>" % (
        WEB1_STATUS, SNAP / "web1-nightly.xml")))
    with pytest.raises(LoadError) as exc:
        load_scenario(p)
    check(exc, SNAP / "web1-nightly.xml", "/domainsnapshot/parent/name",
          "parent snapshot 'after-upgrade' is not among the snapshots of domain 'web1'")
