"""The migration cookie (port/cookie.py), function by function, against upstream.

Every refusal of qemuMigrationCookieXMLParse and of qemuMigrationEatCookie, the exact
layout qemuMigrationCookieXMLFormat writes, each failure of making and baking a cookie,
and the upstream quirks the port keeps (qemu_migration.c @ e2fb96d9, the same lines at
19f8c980):

- a UUID mismatch (L497-502) and an unsupported mandatory feature (L558-563) are
  reported and the parse goes on: the call succeeds with the error set;
- the mandatory features are written as ``<feature>`` (L374) but read as
  ``./features`` (L538), so a cookie upstream writes never has its features checked;
- nothing sets ``mig->flags`` while parsing, so EatCookie's lock-driver checks
  (L679-695) never run; they are exercised here by setting the flag as a parse would.

Bake-then-Eat round trips on generated domains and flags end the file (Hypothesis).
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SOURCE_HOSTUUID, UUID1, cookie_xml, faults, make_vm, make_world, misspelt_gotos, untraced
from qemu_migration.port import cookie as CK
from qemu_migration.world.constants import NULL
from qemu_migration.world.objects import GraphicsDef, Ptr
from qemu_migration.world.runtime import NoSuchLabel

GRAPHICS, LOCKSTATE = 1, 2          # QEMU_MIGRATION_COOKIE_GRAPHICS / _LOCKSTATE (L74-75)
HOSTUUID = "3f6c2b1a-7d8e-4c90-b1a2-c3d4e5f60718"     # Driver's default: this host


def world(*vms, **driver):
    w = make_world(*vms)
    for k, v in driver.items():
        setattr(w.driver, k, v)
    return w


def vm_with(*graphics, state="running", lock=None):
    vm = make_vm(state=state)
    vm.def_.graphics = list(graphics)
    vm.privateData.lockState = lock
    return vm


def messages(w):
    return [e.as_dict()["message"] for e in w.errors]


def eat(w, vm, text, flags=LOCKSTATE | GRAPHICS, length=None):
    """EatCookie as a destination calls it: the length counts the terminating NUL."""
    if length is None:
        length = 0 if text is None else len(text) + 1
    with w.activate():
        return CK.qemuMigrationEatCookie(w.driver, vm, text, length, flags)


def bake(w, vm, flags, mig=None):
    out, outlen = Ptr(), Ptr(-1)
    with w.activate():
        mig = mig or CK.qemuMigrationCookieNew(vm)
        ret = CK.qemuMigrationBakeCookie(mig, w.driver, vm, out, outlen, flags)
    return ret, out.value, outlen.value, mig


# who calls whom while a cookie is made and baked with both flags (upstream's order)
TRACE = ["qemuMigrationCookieNew", "  strdup", "  virGetHostname", "  virGetHostUUID",
         "qemuMigrationBakeCookie",
         "  qemuMigrationCookieAddGraphics", "    qemuMigrationCookieGraphicsAlloc", "      strdup",
         "  qemuMigrationCookieAddLockstate", "    virDomainObjGetState",
         "    virDomainLockProcessInquire", "    strdup",
         "  qemuMigrationCookieXMLFormatStr", "    qemuMigrationCookieXMLFormat",
         "      virBufferGrow", "      qemuMigrationCookieGraphicsXMLFormat"]


# --- formatting: the layout upstream writes ------------------------------------------

def test_a_baked_cookie_has_upstreams_layout():
    """L366-391: name, uuid, host name and host uuid, one <feature> per mandatory flag,
    the graphics (L338-351), the lock state (L384-388); its length counts the NUL (L643)."""
    vm = vm_with(GraphicsDef("vnc", 5901, 0, "0.0.0.0"))
    w = world(vm, lockManager="sanlock")
    ret, out, outlen, _ = bake(w, vm, GRAPHICS | LOCKSTATE)
    assert ret == 0 and outlen == len(out) + 1
    assert out == ("<qemu-migration>\n"
                   "  <name>web1</name>\n"
                   "  <uuid>%s</uuid>\n"
                   "  <hostname>dst.example.net</hostname>\n"
                   "  <hostuuid>%s</hostuuid>\n"
                   "  <feature name='lockstate'/>\n"
                   "  <graphics type='vnc' port='5901' listen='0.0.0.0'/>\n"
                   "  <lockstate driver='sanlock'>\n"
                   "    <leases>web1-lease</leases>\n"
                   "  </lockstate>\n"
                   "</qemu-migration>\n" % (UUID1, HOSTUUID))
    assert ["  " * t.depth + t.name for t in w.trace] == TRACE


def test_the_nop_lock_manager_bakes_a_mandatory_feature_and_no_lock_state():
    """AddLockstate with the default plugin: the inquiry gives NULL (L321), the driver
    name is kept and the feature is mandatory (L325-331), but the <lockstate> element
    is written only when there is a state (L382-383)."""
    vm = vm_with()
    w = world(vm)
    ret, out, _, mig = bake(w, vm, LOCKSTATE)
    assert ret == 0 and mig.lockDriver == "nop" and mig.lockState is NULL
    assert "  <feature name='lockstate'/>\n</qemu-migration>\n" in out
    assert "<lockstate" not in out and "<graphics" not in out


def test_without_an_out_pointer_nothing_is_baked():
    """L627-628: no cookieout (a v2 caller) returns 0 before touching anything."""
    vm = vm_with(GraphicsDef("vnc", 5901))
    w = world(vm)
    with w.activate():
        mig = CK.qemuMigrationCookieNew(vm)
        assert CK.qemuMigrationBakeCookie(mig, w.driver, vm, NULL, Ptr(7), GRAPHICS) == 0
        assert CK.qemuMigrationBakeCookie(mig, w.driver, vm, Ptr(), NULL, GRAPHICS) == 0
    assert mig.flags == 0 and mig.graphics is NULL


@pytest.mark.parametrize("graphics,driver,element", [
    # VNC without a listen address takes the driver's (L215-217)
    (GraphicsDef("vnc", 5900), {}, "<graphics type='vnc' port='5900' listen='127.0.0.1'/>"),
    # VNC with TLS: the certificate's subject (L219-221, L346-349)
    (GraphicsDef("vnc", 5900, 0, "10.0.0.1"), {"vncTLS": True},
     "<graphics type='vnc' port='5900' listen='10.0.0.1'>\n"
     "    <cert info='subject' value='C=GB,O=Example,CN=dst.example.net'/>\n  </graphics>"),
    # SPICE without TLS: tlsPort -1 (L227), the driver's listen address (L228-230)
    (GraphicsDef("spice", 5902, 5903), {"spiceListen": "::"},
     "<graphics type='spice' port='5902' listen='::' tlsPort='-1'/>"),
    # SPICE with TLS: the device's tlsPort and the subject (L224-225, L232-234)
    (GraphicsDef("spice", 5902, 5903, "10.0.0.2"), {"spiceTLS": True},
     "<graphics type='spice' port='5902' listen='10.0.0.2' tlsPort='5903'>\n"
     "    <cert info='subject' value='C=GB,O=Example,CN=dst.example.net'/>\n  </graphics>"),
])
def test_graphics_carried_in_the_cookie(graphics, driver, element):
    vm = vm_with(graphics)
    w = world(vm, **driver)
    ret, out, _, mig = bake(w, vm, GRAPHICS)
    assert ret == 0 and mig.flags == GRAPHICS
    assert "  %s\n</qemu-migration>\n" % element in out


@pytest.mark.parametrize("graphics", [
    [GraphicsDef("sdl")], [GraphicsDef("rdp")],
    [GraphicsDef("vnc", 5900), GraphicsDef("spice", 5901)]])
def test_graphics_only_for_a_single_vnc_or_spice_device(graphics):
    """L290-292: any other device, or more than one, adds nothing and is no failure."""
    vm = vm_with(*graphics)
    w = world(vm)
    ret, out, _, mig = bake(w, vm, GRAPHICS)
    assert ret == 0 and mig.flags == 0 and "<graphics" not in out


def test_a_tls_subject_is_escaped():
    """L348: the subject goes through virBufferEscapeString."""
    w = world()
    grap = CK.qemuMigrationCookieGraphics()
    grap.type, grap.port, grap.listen, grap.tlsSubject = 1, 1, "h", "O=A&B <x>"
    buf = CK.virBuffer()
    with w.activate():
        CK.qemuMigrationCookieGraphicsXMLFormat(buf, grap)
    assert "value='O=A&amp;B &lt;x&gt;'" in CK.virBufferContentAndReset(buf)


# --- making and baking: each failure ---------------------------------------------------

@pytest.mark.parametrize("fault,message", [
    (("strdup", 1), "out of memory"),                                   # L257-258, L271-272
    (("virGetHostname", 1), "out of memory"),                            # L261-262
    (("virGetHostUUID", 1), "internal error Unable to obtain host UUID"),    # L263-266
])
def test_a_cookie_that_cannot_be_made(fault, message):
    vm = vm_with()
    w = world(vm)
    w.reset_run(faults(fault))
    with w.activate():
        assert CK.qemuMigrationCookieNew(vm) is NULL
    assert messages(w) == [message]


def test_eat_returns_at_once_when_no_cookie_can_be_made():
    """L670-671: a plain ``return NULL``, not the error label (nothing to free)."""
    vm = vm_with()
    w = world(vm)
    w.reset_run(faults(("virGetHostUUID", 1)))
    assert eat(w, vm, cookie_xml()) is NULL
    assert messages(w) == ["internal error Unable to obtain host UUID"]
    assert [t.name for t in w.trace if t.depth == 1] == ["qemuMigrationCookieNew"]


@pytest.mark.parametrize("graphics,driver", [
    (GraphicsDef("vnc", 5900), {"vncTLS": True}),                      # L219-221
    (GraphicsDef("spice", 5900, 5901), {"spiceTLS": True}),            # L232-234
])
def test_a_certificate_that_cannot_be_read_fails_the_bake(monkeypatch, graphics, driver):
    """qemuDomainExtractTLSSubject reports its own error and gives NULL (the stub does not
    model that failure, no world turns TLS on: it is forced here); GraphicsAlloc goes to
    ``error`` without a second report."""
    monkeypatch.setattr(CK, "qemuDomainExtractTLSSubject", lambda certdir: NULL)
    vm = vm_with(graphics)
    w = world(vm, **driver)
    ret, out, _, mig = bake(w, vm, GRAPHICS)
    assert (ret, out, mig.graphics, mig.flags) == (-1, None, NULL, 0) and w.errors == []


def test_adding_graphics_or_lock_state_twice_is_refused():
    """L284-287 and L310-313."""
    vm = vm_with(GraphicsDef("vnc", 5900))
    w = world(vm)
    ret, _, _, mig = bake(w, vm, GRAPHICS | LOCKSTATE)
    assert ret == 0
    assert bake(w, vm, GRAPHICS, mig)[0] == -1
    assert bake(w, vm, LOCKSTATE, mig)[0] == -1
    assert messages(w) == ["internal error Migration graphics data already present",
                           "internal error Migration lockstate data already present"]


def test_graphics_listen_copy_failing_fails_the_bake():
    """L236-237, L241-245: out of memory, the graphics freed, BakeCookie -1 (L633-634)
    with the length already zeroed (L630)."""
    vm = vm_with(GraphicsDef("vnc", 5900))
    w = world(vm)
    w.reset_run(faults(("strdup", 2)))
    ret, out, outlen, mig = bake(w, vm, GRAPHICS)
    assert (ret, out, outlen) == (-1, None, 0)
    assert mig.graphics is NULL and messages(w) == ["out of memory"]


def test_a_buffer_that_cannot_grow_fails_the_bake():
    """L401-403: the format's buffer failing to grow (virBufferGrow's reallocation), out
    of memory reported by qemuMigrationCookieXMLFormatStr, BakeCookie -1 (L640-641)
    with nothing handed out."""
    vm = vm_with(GraphicsDef("vnc", 5900))
    w = world(vm)
    w.reset_run(faults(("virBufferGrow", 1)))
    ret, out, outlen, _ = bake(w, vm, 0)
    assert (ret, out, outlen) == (-1, None, 0)
    assert [(e.code, e.reporter) for e in w.errors] == [(2, "qemuMigrationCookieXMLFormatStr")]
    assert "virBufferGrow !fault" in [t.label() for t in w.trace]


@pytest.mark.parametrize("state,lock,fault,ret,lock_state,message", [
    # paused: the domain's own lock state is copied (L316-319)
    ("paused", "held", None, 0, "held", None),
    ("paused", None, None, 0, NULL, None),
    ("paused", "held", ("strdup", 2), -1, NULL, None),       # strdup's ENOMEM, no report
    # running: the lock manager is asked (L321-322)
    ("running", None, ("virDomainLockProcessInquire", 1), -1, NULL, "out of memory"),
    # the driver name's copy failing frees the state (L325-327)
    ("paused", "held", ("strdup", 3), -1, NULL, None),
])
def test_lock_state_added_to_the_cookie(state, lock, fault, ret, lock_state, message):
    vm = vm_with(state=state, lock=lock)
    w = world(vm, lockManager="sanlock")
    w.reset_run(faults(*([fault] if fault else [])))
    got, _, _, mig = bake(w, vm, LOCKSTATE)
    assert got == ret and mig.lockState == lock_state
    assert mig.flags == (LOCKSTATE if ret == 0 else 0)
    assert mig.flagsMandatory == mig.flags
    assert messages(w) == ([message] if message else [])


def test_a_buffer_error_is_reported_as_out_of_memory(monkeypatch):
    """L401-403 (the buffer's own allocation failures are not modelled, so the error flag
    is forced): FormatStr reports out of memory and BakeCookie fails (L640-641)."""
    vm = vm_with()
    w = world(vm)
    monkeypatch.setattr(CK, "virBufferError", lambda buf: 1)
    ret, out, outlen, _ = bake(w, vm, 0)
    assert (ret, out, outlen) == (-1, None, 0) and messages(w) == ["out of memory"]


# --- eating: the refusals --------------------------------------------------------------

def test_no_cookie_gives_an_empty_one():
    """L673: no text (or a zero length) is not parsed; the cookie knows only this host."""
    vm = vm_with()
    w = world(vm)
    for text, length in [(None, 0), ("<not xml", 0)]:
        mig = eat(w, vm, text, length=length)
        assert mig.name == "web1" and mig.localHostname == "dst.example.net"
        assert mig.localHostuuid == HOSTUUID and mig.remoteHostname is NULL
    assert w.errors == []


def test_a_cookie_whose_length_misses_its_nul_is_refused():
    """L661-665: the last byte the length covers must be the NUL; nothing else runs."""
    vm = vm_with()
    w = world(vm)
    text = cookie_xml()
    assert eat(w, vm, text, length=len(text)) is NULL
    assert messages(w) == ["internal error Migration cookie was not NULL terminated"]
    assert ["  " * t.depth + t.name for t in w.trace] == ["qemuMigrationEatCookie",
                                                          "  qemuMigrationCookieFree"]
    # a length past the NUL reads what follows it in memory: NUL here, accepted
    assert eat(world(vm), vm, text, length=len(text) + 2) is not NULL
    # a length of 1 covers the first byte only
    w = world(vm)
    assert eat(w, vm, text, length=1) is NULL
    assert messages(w) == ["internal error Migration cookie was not NULL terminated"]


def test_a_cookie_length_counts_bytes():
    """L643 is strlen + 1 and L662 indexes the text's bytes: a name outside ASCII makes
    the length longer than the characters (tests/test_cookie_c.py found the port
    counting characters)."""
    vm = make_vm(name="\u00e9t\u00e9")
    src = world(vm, hostname="src.example.net", hostuuid=SOURCE_HOSTUUID)
    ret, out, outlen, _ = bake(src, vm, 0)
    assert ret == 0 and outlen == len(out) + 3
    assert eat(world(vm), vm, out, length=outlen) is not NULL
    w = world(vm)
    assert eat(w, vm, out, length=len(out) + 1) is NULL
    assert messages(w) == ["internal error Migration cookie was not NULL terminated"]


def test_a_cookie_from_another_host_is_taken():
    vm = vm_with()
    w = world(vm)
    mig = eat(w, vm, cookie_xml())
    assert (mig.remoteHostname, mig.remoteHostuuid) == ("src.example.net", SOURCE_HOSTUUID)
    assert mig.lockState is NULL and mig.graphics is NULL and mig.flags == 0
    assert w.errors == []


def _replace(old, new):
    text = cookie_xml()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize("text,message", [
    ("lockstate=held", "at line 1: Start tag expected, '<' not found\n"),
    ("<?xml version='1.0'?><!DOCTYPE q [<!ENTITY e 'x'>]><q>&e;</q>",
     "XML error: failed to parse xml document"),
    # L477-480, L482-486
    (_replace("  <name>web1</name>\n", ""), "missing name element in migration data"),
    (_replace("<name>web1<", "<name>web2<"), "Incoming cookie data had unexpected name web2 vs web1"),
    # L491-495
    (_replace("  <uuid>%s</uuid>\n" % UUID1, ""), "missing uuid element in migration data"),
    # L506-515
    (_replace("<hostname>src.example.net</hostname>", "<hostname/>"),
     "missing hostname element in migration data"),
    (_replace("src.example.net", "dst.example.net"),
     "Attempt to migrate guest to the same host dst.example.net"),
    # L518-532
    (_replace("  <hostuuid>%s</hostuuid>\n" % SOURCE_HOSTUUID, ""),
     "missing hostuuid element in migration data"),
    (_replace(SOURCE_HOSTUUID, "not-a-uuid"), "malformed hostuuid element in migration data"),
    (_replace(SOURCE_HOSTUUID, HOSTUUID.upper().replace("-", " ")),
     "Attempt to migrate guest to the same host " + HOSTUUID.upper().replace("-", " ")),
    # L541-555: features, as upstream reads them (./features)
    (_replace("</qemu-migration>", "<features/></qemu-migration>"), "missing feature name"),
    (_replace("</qemu-migration>", "<features name='colour'/></qemu-migration>"),
     "Unknown migration cookie feature colour"),
])
def test_a_cookie_refused(text, message):
    vm = vm_with()
    w = world(vm)
    assert eat(w, vm, text) is NULL
    assert [m.replace("internal error ", "", 1) for m in messages(w)] == [message]


def test_a_uuid_mismatch_is_reported_but_not_refused():
    """L497-502: no ``goto error`` after the report; the call succeeds, the error set."""
    vm = vm_with()
    w = world(vm)
    other = "00000000-0000-4000-8000-000000000000"
    assert eat(w, vm, cookie_xml(uuid=other)) is not NULL
    assert messages(w) == ["internal error Incoming cookie data had unexpected UUID %s vs %s"
                           % (other, UUID1)]


def test_an_unsupported_feature_is_reported_but_not_refused():
    """L558-563: a known feature the caller's flags do not ask for."""
    vm = vm_with()
    w = world(vm)
    text = cookie_xml(extra="  <features name='graphics'/>\n  <features name='lockstate'/>\n")
    assert eat(w, vm, text, flags=LOCKSTATE) is not NULL
    assert messages(w) == ["internal error Unsupported migration cookie feature graphics"]


def test_features_as_upstream_writes_them_are_never_checked():
    """The format writes <feature> (L374), the parse reads ./features (L538): an unknown
    mandatory feature from a source passes unread."""
    vm = vm_with()
    w = world(vm)
    assert eat(w, vm, cookie_xml(extra="  <feature name='colour'/>\n"), flags=0) is not NULL
    assert w.errors == []


LEASE = "  <lockstate driver='sanlock'>\n    <leases>%s</leases>\n  </lockstate>\n"


@pytest.mark.parametrize("extra,flags,driver,state", [
    (LEASE % "web1-lease:1", LOCKSTATE, "sanlock", "web1-lease:1"),       # L573-581
    (LEASE % "", LOCKSTATE, "sanlock", NULL),                             # L582-583
    (LEASE % "web1-lease:1", GRAPHICS, NULL, NULL),                       # not asked for
    ("", LOCKSTATE, NULL, NULL),                                          # none sent
])
def test_lock_state_read_from_a_cookie(extra, flags, driver, state):
    vm = vm_with()
    w = world(vm)
    mig = eat(w, vm, cookie_xml(extra=extra), flags=flags)
    assert (mig.lockDriver, mig.lockState) == (driver, state) and w.errors == []


def test_lock_state_without_a_driver_is_refused():
    vm = vm_with()
    w = world(vm)
    assert eat(w, vm, cookie_xml(extra="  <lockstate><leases>x</leases></lockstate>\n")) is NULL
    assert messages(w) == ["internal error Missing lock driver name in migration cookie"]


GRAPH = "  <graphics type='spice' port='5902' listen='10.0.0.2' tlsPort='5903'>\n" \
        "    <cert info='subject' value='CN=src'/>\n  </graphics>\n"


def test_graphics_read_from_a_cookie():
    """L568-571, L410-451; read only when the flags ask for it."""
    vm = vm_with()
    w = world(vm)
    g = eat(w, vm, cookie_xml(extra=GRAPH), flags=GRAPHICS).graphics
    assert (g.type, g.port, g.tlsPort, g.listen, g.tlsSubject) == (4, 5902, 5903, "10.0.0.2",
                                                                  "CN=src")
    assert eat(w, vm, cookie_xml(extra=GRAPH), flags=LOCKSTATE).graphics is NULL
    g = eat(w, vm, cookie_xml(extra="<graphics type='vnc' port=' 5900' listen='h'/>"),
            flags=GRAPHICS).graphics
    assert (g.type, g.port, g.tlsPort, g.tlsSubject) == (1, 5900, 0, NULL)
    assert w.errors == []


def test_what_was_eaten_is_not_baked_again_without_its_flag():
    """The parse fills mig->graphics and mig->lockState but sets no flag (L570, L575-581),
    and L378-383 format them only when the flag is set too: a cookie eaten and baked again
    with no flags, as qemuMigrationRun does, carries neither."""
    vm = vm_with()
    w = world(vm)
    mig = eat(w, vm, cookie_xml(extra=GRAPH + LEASE % "l"))
    assert mig.graphics is not NULL and mig.lockState == "l" and mig.flags == 0
    ret, out, _, _ = bake(w, vm, 0, mig=mig)
    assert ret == 0 and "<graphics" not in out and "<lockstate" not in out
    assert out.endswith("</hostuuid>\n</qemu-migration>\n")


@pytest.mark.parametrize("element,message", [
    ("<graphics port='1' listen='h'/>", "missing type attribute in migration data"),
    ("<graphics type='x11' port='1' listen='h'/>", "unknown graphics type x11"),
    ("<graphics type='vnc' listen='h'/>", "missing port attribute in migration data"),
    ("<graphics type='vnc' port='p' listen='h'/>", "missing port attribute in migration data"),
    ("<graphics type='vnc' port='4294967296' listen='h'/>",
     "missing port attribute in migration data"),
    ("<graphics type='spice' port='1' listen='h'/>",
     "missing tlsPort attribute in migration data"),
    ("<graphics type='vnc' port='1'/>", "missing listen attribute in migration data"),
])
def test_graphics_refused(element, message):
    vm = vm_with()
    w = world(vm)
    assert eat(w, vm, cookie_xml(extra=element), flags=GRAPHICS) is NULL
    assert messages(w) == ["internal error " + message]


# --- EatCookie's lock-driver checks (L679-695) -------------------------------------------

def test_lock_driver_checks_do_not_run_at_this_commit():
    """The parse never sets mig->flags: a sanlock source and a nop target pass."""
    vm = vm_with()
    w = world(vm, lockManager="nop")
    mig = eat(w, vm, cookie_xml(extra=LEASE % "l"), flags=LOCKSTATE)
    assert mig.lockDriver == "sanlock" and mig.flags == 0 and w.errors == []


@pytest.mark.parametrize("extra,plugin,message", [
    ("", "sanlock", "Missing sanlock lock state for migration cookie"),
    ("", "nop", None),
    (LEASE % "l", "nop", "Source host lock driver sanlock different from target nop"),
    (LEASE % "l", "sanlock", None),
])
def test_lock_driver_checks_once_the_flag_is_set(monkeypatch, extra, plugin, message):
    """What the checks do when the cookie carries the flag (as a parse that recorded its
    mandatory features would set it; later libvirt does)."""
    real = CK.qemuMigrationCookieXMLParseStr

    def parse_setting_the_flag(mig, xml, flags):
        mig.flags |= LOCKSTATE
        return real(mig, xml, flags)

    monkeypatch.setattr(CK, "qemuMigrationCookieXMLParseStr", parse_setting_the_flag)
    vm = vm_with()
    w = world(vm, lockManager=plugin)
    mig = eat(w, vm, cookie_xml(extra=extra), flags=LOCKSTATE)
    assert (mig is NULL) == (message is not None)
    assert messages(w) == (["internal error " + message] if message else [])


# --- freeing ----------------------------------------------------------------------------

def test_free_takes_null_and_frees_the_graphics_it_owns():
    """L115-137: NULL is a no-op; the graphics are freed only when the flag says so."""
    vm = vm_with(GraphicsDef("vnc", 5900, 0, "h"))
    w = world(vm)
    with w.activate():
        CK.qemuMigrationCookieFree(NULL)
        CK.qemuMigrationCookieGraphicsFree(NULL)
    _, _, _, mig = bake(w, vm, GRAPHICS)
    grap = mig.graphics
    with w.activate():
        CK.qemuMigrationCookieFree(mig)
    assert grap.listen is NULL and mig.name is NULL and mig.localHostname is NULL


# --- the dispatch loops -----------------------------------------------------------------

@pytest.mark.parametrize("function,label,vm_graphics,text,flags,fault", [
    ("qemuMigrationCookieGraphicsAlloc", "no_memory", True, None, GRAPHICS, ("strdup", 2)),
    ("qemuMigrationCookieNew", "no_memory", False, None, 0, ("strdup", 1)),
    ("qemuMigrationCookieGraphicsXMLParse", "error", False,
     cookie_xml(extra="<graphics/>"), GRAPHICS, None),
    ("qemuMigrationCookieXMLParse", "error", False, cookie_xml(name="x"), 0, None),
    ("qemuMigrationCookieXMLParseStr", "cleanup", False, cookie_xml(), 0, None),
    ("qemuMigrationEatCookie", "error", False, "x", 0, None),
])
def test_dispatch_loop_refuses_unknown_label(monkeypatch, function, label, vm_graphics, text,
                                             flags, fault):
    misspelt_gotos(monkeypatch, CK, function)
    vm = vm_with(*([GraphicsDef("vnc", 5900)] if vm_graphics else []))
    w = world(vm)
    w.reset_run(faults(*([fault] if fault else [])))
    with pytest.raises(NoSuchLabel) as e:
        if text is None:
            bake(w, vm, flags)
        else:
            # "x" with a length of 1: not NUL-terminated, EatCookie's first refusal
            eat(w, vm, text, flags, length=1 if text == "x" else None)
    assert (e.value.function, e.value.label) == (function, label + "_misspelt")


def test_a_lock_state_is_written_unescaped():
    """L386-387 write the leases with virBufferAsprintf, not EscapeString: a domain whose
    name carries '&' (escaped in <name>, L367) gets a lease the destination cannot read."""
    vm = make_vm(name="a&b")
    src = world(vm, hostname="src.example.net", hostuuid=SOURCE_HOSTUUID, lockManager="sanlock")
    ret, out, outlen, _ = bake(src, vm, LOCKSTATE)
    assert ret == 0 and "<name>a&amp;b</name>" in out and "<leases>a&b-lease</leases>" in out
    dst = world(vm, lockManager="sanlock")
    assert eat(dst, vm, out, flags=LOCKSTATE, length=outlen) is NULL
    assert [e.as_dict()["code"] for e in dst.errors] == ["VIR_ERR_XML_DETAIL"]


# --- round trip: what one host bakes, the other eats -------------------------------------

# XML's special characters stay out: upstream escapes the name (L367) but writes the
# leases, which a lock manager derives from the name, as they are (L386-387; below)
names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FF,
                              blacklist_characters="<>&'\""), min_size=1, max_size=12)
listens = st.text("0123456789abcdef.:", min_size=1, max_size=20)


@st.composite
def graphics_devices(draw):
    kind = draw(st.sampled_from(["vnc", "spice"]))
    port = draw(st.integers(-1, 65535))
    return GraphicsDef(kind, port, draw(st.integers(-1, 65535)),
                       draw(st.one_of(st.none(), listens)))


@untraced
@settings(max_examples=150, deadline=None)
@given(name=names, uuid=st.uuids(), graphics=st.lists(graphics_devices(), max_size=2),
       paused=st.booleans(), lock=st.one_of(st.none(), names),
       plugin=st.sampled_from(["nop", "sanlock"]), tls=st.booleans(),
       flags=st.integers(0, 3), eat_flags=st.integers(0, 3))
def test_bake_then_eat_gives_back_what_was_baked(name, uuid, graphics, paused, lock, plugin,
                                                 tls, flags, eat_flags):
    """A source bakes a cookie for a generated domain; a destination (another host, the
    same domain) eats it with its own flags and reads back the graphics and lock state the
    source put in, no more: what the eater did not ask for stays unread."""
    vm = make_vm(name=name, uuid=str(uuid), state="paused" if paused else "running")
    vm.def_.graphics = graphics
    vm.privateData.lockState = lock
    src = world(vm, hostname="src.example.net", hostuuid=SOURCE_HOSTUUID, lockManager=plugin,
                vncTLS=tls, spiceTLS=tls)
    ret, out, outlen, baked = bake(src, vm, flags)
    assert ret == 0 and outlen == len(out.encode()) + 1 and src.errors == []
    dst = world(vm, lockManager=plugin)
    mig = eat(dst, vm, out, flags=eat_flags, length=outlen)
    assert dst.errors == []
    assert (mig.name, mig.remoteHostname, mig.remoteHostuuid) == (name, "src.example.net",
                                                                  SOURCE_HOSTUUID)
    if eat_flags & GRAPHICS and baked.graphics is not NULL:
        g, b = mig.graphics, baked.graphics
        assert (g.type, g.port, g.listen, g.tlsSubject) == (b.type, b.port, b.listen,
                                                           b.tlsSubject)
        assert g.tlsPort == (b.tlsPort if b.type == CK.VIR_DOMAIN_GRAPHICS_TYPE_SPICE else 0)
    else:
        assert mig.graphics is NULL
    if eat_flags & LOCKSTATE and baked.lockState is not NULL:
        assert (mig.lockDriver, mig.lockState) == (plugin, baked.lockState)
    else:
        assert (mig.lockDriver, mig.lockState) == (NULL, NULL)


# --- what the helpers return: upstream's values, not merely ones below zero ---------------

def test_the_flag_enum_matches_its_names_and_bits():
    """enum qemuMigrationCookieFlags (L62-72): each value names its feature and is the bit
    of its flag (L74-75); two features."""
    assert CK.qemuMigrationCookieFlagTypeFromString("graphics") == \
        CK.QEMU_MIGRATION_COOKIE_FLAG_GRAPHICS == 0
    assert 1 << CK.QEMU_MIGRATION_COOKIE_FLAG_GRAPHICS == GRAPHICS
    assert 1 << CK.QEMU_MIGRATION_COOKIE_FLAG_LOCKSTATE == LOCKSTATE
    assert CK.QEMU_MIGRATION_COOKIE_FLAG_LAST == 2
    # VIR_ENUM_IMPL's FromString: -1 for a name it does not know
    assert CK.qemuMigrationCookieFlagTypeFromString("x") == -1
    assert CK.virDomainGraphicsTypeFromString("x11") == -1


def test_alloc_gives_a_zeroed_struct():
    """VIR_ALLOC zeroes: the graphics and the cookie start at 0 and NULL."""
    g = CK.VIR_ALLOC(CK.qemuMigrationCookieGraphics)
    assert (g.type, g.port, g.tlsPort, g.listen, g.tlsSubject) == (0, 0, 0, NULL, NULL)
    m = CK.VIR_ALLOC(CK.qemuMigrationCookie)
    assert (m.flags, m.flagsMandatory, m.graphics, m.name) == (0, 0, NULL, NULL)


def test_sdl_graphics_in_a_cookie_are_read():
    """L424: only a negative type (an unknown name) is refused; sdl is type 0."""
    vm = vm_with()
    w = world(vm)
    g = eat(w, vm, cookie_xml(extra="<graphics type='sdl' port='1' listen='h'/>"),
            flags=GRAPHICS).graphics
    assert (g.type, g.port, g.listen) == (0, 1, "h") and w.errors == []


@pytest.mark.parametrize("kind", ["vnc", "spice"])
def test_graphics_alloc_takes_the_first_listen(kind):
    """L215 and L228: the address of listen 0 (the device's own), not the driver's."""
    vm = vm_with(GraphicsDef(kind, 5900, 5901, "10.0.0.9"))
    w = world(vm, vncListen="0.0.0.0", spiceListen="0.0.0.0")
    _, out, _, _ = bake(w, vm, GRAPHICS)
    assert "listen='10.0.0.9'" in out


def test_the_helpers_return_minus_one_and_zero():
    """AddGraphics -1 (L295), AddLockstate -1 and 0 (L327, L333), and XMLParseStr's -1,
    its own (L602, a document that does not parse) or XMLParse's (L591)."""
    vm = vm_with(GraphicsDef("vnc", 5900))
    w = world(vm, lockManager="sanlock")
    w.reset_run(faults(("strdup", 2)))
    with w.activate():
        mig = CK.qemuMigrationCookieNew(vm)
        assert CK.qemuMigrationCookieAddGraphics(mig, w.driver, vm) == -1   # listen copy
        assert CK.qemuMigrationCookieAddLockstate(mig, w.driver, vm) == 0
        assert CK.qemuMigrationCookieAddLockstate(mig, w.driver, vm) == -1  # twice (L313)
        mig.flags |= GRAPHICS
        assert CK.qemuMigrationCookieAddGraphics(mig, w.driver, vm) == -1   # twice (L287)
        assert CK.qemuMigrationCookieAddGraphics(CK.qemuMigrationCookieNew(vm_with()), w.driver,
                                                 vm_with()) == 0            # none (L299)
    w.reset_run(faults(("strdup", 2)))
    with w.activate():
        mig = CK.qemuMigrationCookieNew(vm)
        assert CK.qemuMigrationCookieAddLockstate(mig, w.driver, vm) == -1  # driver name
        assert CK.qemuMigrationCookieXMLParseStr(mig, "<qemu-migration", 0) == -1
        assert CK.qemuMigrationCookieXMLParseStr(mig, cookie_xml(name="x"), 0) == -1
        assert CK.qemuMigrationCookieXMLParseStr(mig, cookie_xml(), 0) == 0        # L586
    w.reset_run(faults(("virDomainLockProcessInquire", 1)))
    with w.activate():
        mig = CK.qemuMigrationCookieNew(vm)
        assert CK.qemuMigrationCookieAddLockstate(mig, w.driver, vm) == -1  # inquiry (L322)
    paused = vm_with(state="paused", lock="held")
    w.reset_run(faults(("strdup", 2)))
    with w.activate():
        mig = CK.qemuMigrationCookieNew(paused)
        assert CK.qemuMigrationCookieAddLockstate(mig, w.driver, paused) == -1  # copy (L319)
