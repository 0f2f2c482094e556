"""Upstream's migration cookie, compiled on its own, for the differential test.

The migration builds (build.py) call back into the Python port of the cookie
(port/cookie.py) for qemuMigrationEatCookie, ...BakeCookie and ...CookieFree.
This builds upstream's own: the 14 functions of qemu_migration.c:115-701 at
e2fb96d9 (port.cookie.COOKIE_FUNCTIONS) and the enum and structs they use
(:62-109), all read from the tree at run time, against the project's stub
headers, the real libxml2 (pkg-config libxml-2.0) and the small helpers of
``HELPERS`` below, written for this project: the XPath and parse helpers of
util/xml.c, the buffer of util/buf.c and virUUIDParse of util/uuid.c, each
with its upstream function's observable behaviour (which error, which code,
what a failed parse reports) but not its text.  qemuDomainExtractTLSSubject,
virGetHostUUID, virDomainLockProcessInquire, virLockManagerPluginUsesState and
virDomainGraphicsListenGetAddress go to the world's Python stubs, as strdup,
virGetHostname, virDomainObjGetState and the error reports do.

The stub headers' own cookie types, flags and the three forwarders of stubs.c
carry upstream's names; this build renames them by macros (``RENAMED``), so that
upstream's text keeps its names (its errors name their reporter as upstream's do).

``load(src)`` gives ``CookieCImpl``: ``new(vm)``, ``bake(mig, driver, vm, out,
outlen, flags)``, ``eat(driver, vm, text, length, flags)`` run the C inside
``world.activate()`` as the port's functions run, and ``fields(mig)`` reads a C
cookie as the dict ``port_fields`` makes of a Python one.  tests/test_cookie_c.py
runs both on generated states and texts and compares them.
"""
import subprocess
from typing import Dict

from ..port import MIGRATION_C
from ..port import cookie as CK
from ..world import stubs as S
from ..world.constants import NULL
from ..world.objects import Ptr
from . import build as B
from . import extract as X
from . import impl as I

COOKIE_FLAGS = ["-DQMC_COOKIE_COMPILED"]

CALLBACKS = [
    "int qmc_py_virGetHostUUID(unsigned char *uuid);",
    "int qmc_py_virDomainLockProcessInquire(const char *plugin, virDomainObjPtr vm, "
    "char **state);",
    "int qmc_py_virLockManagerPluginUsesState(const char *plugin);",
    "const char *qmc_py_virDomainGraphicsListenGetAddress(virDomainGraphicsDef *def, int ii);",
    "char *qmc_py_qemuDomainExtractTLSSubject(const char *certdir);",
    "int qmc_py_virBufferGrow(int size);",
]

# before upstream's types: the names the stub headers already use, renamed; the
# headers and the callees the cookie functions need
PRELUDE = r"""
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#undef qemuMigrationCookie
#undef qemuMigrationCookiePtr
#undef qemuMigrationCookieFree
#undef qemuMigrationEatCookie
#undef qemuMigrationBakeCookie
#undef QEMU_MIGRATION_COOKIE_GRAPHICS
#undef QEMU_MIGRATION_COOKIE_LOCKSTATE

#define VIR_FROM_THIS VIR_FROM_QEMU
enum { QMC_ERR_XML_ERROR = 27, QMC_ERR_XML_DETAIL = 35 };
#define VIR_ALLOC(p) ((((p) = calloc(1, sizeof(*(p)))) == NULL) ? -1 : 0)

/* VIR_ENUM_DECL / VIR_ENUM_IMPL (util/util.h): a name table, ToString, FromString */
#define VIR_ENUM_DECL(name) \
    static const char *name##TypeToString(int type) __attribute__((unused)); \
    static int name##TypeFromString(const char *type) __attribute__((unused));
#define VIR_ENUM_IMPL(name, last, ...) \
    static const char *const name##TypeList[] = { __VA_ARGS__ }; \
    QMC_NOINST static const char *name##TypeToString(int type) { \
        return (type < 0 || type >= (last)) ? NULL : name##TypeList[type]; } \
    QMC_NOINST static int name##TypeFromString(const char *type) { \
        int i; \
        if (!type) return -1; \
        for (i = 0; i < (last); i++) if (STREQ(name##TypeList[i], type)) return i; \
        return -1; }

enum { VIR_DOMAIN_GRAPHICS_TYPE_SDL = 0, VIR_DOMAIN_GRAPHICS_TYPE_VNC,
       VIR_DOMAIN_GRAPHICS_TYPE_RDP, VIR_DOMAIN_GRAPHICS_TYPE_DESKTOP,
       VIR_DOMAIN_GRAPHICS_TYPE_SPICE, VIR_DOMAIN_GRAPHICS_TYPE_LAST };
VIR_ENUM_DECL(virDomainGraphics)
VIR_ENUM_IMPL(virDomainGraphics, VIR_DOMAIN_GRAPHICS_TYPE_LAST,
              "sdl", "vnc", "rdp", "desktop", "spice")

/* -- the callees that are the world's stubs -- */
QMC_STUB int virGetHostUUID(unsigned char *uuid)
{ int r = qmc_py_virGetHostUUID(uuid); QMC_ERRNO(); return r; }
QMC_STUB int virDomainLockProcessInquire(char *plugin, virDomainObjPtr vm, char **state)
{ int r = qmc_py_virDomainLockProcessInquire(plugin, vm, state); QMC_ERRNO(); return r; }
QMC_STUB bool virLockManagerPluginUsesState(char *plugin)
{ int r = qmc_py_virLockManagerPluginUsesState(plugin); QMC_ERRNO(); return r; }
/* the plugin is its name here (world/stubs.py) */
QMC_STUB const char *virLockManagerPluginGetName(char *plugin) { return plugin; }
QMC_STUB const char *virDomainGraphicsListenGetAddress(virDomainGraphicsDefPtr def, int ii)
{ const char *r = qmc_py_virDomainGraphicsListenGetAddress(def, ii); QMC_ERRNO(); return r; }
QMC_STUB char *qemuDomainExtractTLSSubject(const char *certdir)
{ char *r = qmc_py_qemuDomainExtractTLSSubject(certdir); QMC_ERRNO(); return r; }

/* -- library code: a copy that is no recorded stub -- */
QMC_NOINST static char *qmc_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *r = malloc(n);
    if (r)
        memcpy(r, s, n);
    return r;
}

/* -- util/uuid.c: a UUID is held as its text here (VIR_UUID_BUFLEN bytes, NUL-padded);
 *    the scan accepts what upstream's does, the result is the canonical text -- */
QMC_NOINST static int qmc_hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

QMC_STUB int virUUIDParse(const char *uuidstr, unsigned char *uuid)
{
    unsigned char raw[16];
    const char *cur = uuidstr;
    int n = 0, hi, lo;
    if (!uuidstr || !uuid)
        return -1;
    while (*cur == ' ' || (*cur >= '\t' && *cur <= '\r'))
        cur++;
    while (n < 16) {
        if (*cur == '\0')
            return -1;
        if (*cur == '-' || *cur == ' ') {
            cur++;
            continue;
        }
        if ((hi = qmc_hexval(cur[0])) < 0 || cur[1] == '\0' || (lo = qmc_hexval(cur[1])) < 0)
            return -1;
        raw[n++] = (unsigned char)(hi * 16 + lo);
        cur += 2;
    }
    for (; *cur; cur++)
        if (!(*cur == ' ' || (*cur >= '\t' && *cur <= '\r')))
            return -1;
    memset(uuid, 0, VIR_UUID_BUFLEN);
    snprintf((char *)uuid, VIR_UUID_BUFLEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9],
             raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]);
    return 0;
}

/* -- util/buf.c -- */
typedef struct qmc_buffer { char *content; size_t use; size_t size; int error; } virBuffer;
typedef virBuffer *virBufferPtr;
#define VIR_BUFFER_INITIALIZER { NULL, 0, 0, 0 }

/* put in error: the content dropped (virBufferSetError's effect) */
QMC_NOINST static void qmc_buffer_fail(virBufferPtr buf)
{
    free(buf->content);
    buf->content = NULL;
    buf->use = buf->size = 0;
    buf->error = 1;
}
/* room for len more bytes with 1000 to spare, as util/buf.c grows; whether the
 * reallocation succeeds is the world's stub's to say (world/stubs.py virBufferGrow) */
QMC_NOINST static int qmc_buffer_grow(virBufferPtr buf, size_t len)
{
    size_t size;
    char *c;
    if (len + buf->use < buf->size)
        return 0;
    size = buf->use + len + 1000;
    if (qmc_py_virBufferGrow((int)size) < 0 || !(c = realloc(buf->content, size))) {
        qmc_buffer_fail(buf);
        return -1;
    }
    buf->content = c;
    buf->size = size;
    return 0;
}
QMC_NOINST static void virBufferAsprintf(virBufferPtr buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
QMC_NOINST static void virBufferAsprintf(virBufferPtr buf, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    if (buf->error)
        return;
    if (buf->size == 0 && qmc_buffer_grow(buf, 100) < 0)
        return;
    va_start(ap, fmt);
    n = (size_t)vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= buf->size - buf->use && qmc_buffer_grow(buf, n + 1 > 1000 ? n + 1 : 1000) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(buf->content + buf->use, n + 1, fmt, ap);
    va_end(ap);
    buf->use += n;
}
/* a literal: grown when it and two more bytes do not fit */
QMC_NOINST static void qmc_buffer_add(virBufferPtr buf, const char *lit)
{
    size_t n = strlen(lit);
    if (n == 0 || buf->error)
        return;
    if (buf->use + n + 2 > buf->size && qmc_buffer_grow(buf, n + 2) < 0)
        return;
    memcpy(buf->content + buf->use, lit, n + 1);
    buf->use += n;
}
#define virBufferAddLit(buf, lit) qmc_buffer_add((buf), (lit))

QMC_NOINST static void virBufferEscapeString(virBufferPtr buf, const char *fmt, const char *str)
{
    static const char *const esc[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;" };
    const char *special = "<>&\"'";
    char *out, *o;
    const char *c;
    if (!fmt || !buf || !str || buf->error)
        return;
    if (strcspn(str, special) == strlen(str)) {
        virBufferAsprintf(buf, fmt, str);
        return;
    }
    if (!(o = out = malloc(6 * strlen(str) + 1))) {
        qmc_buffer_fail(buf);
        return;
    }
    for (c = str; *c; c++) {
        const char *hit = strchr(special, *c);
        if (hit) {
            strcpy(o, esc[hit - special]);
            o += strlen(o);
        } else if ((unsigned char)*c >= 0x20 || *c == '\n' || *c == '\t' || *c == '\r') {
            *o++ = *c;
        }
    }
    *o = '\0';
    virBufferAsprintf(buf, fmt, out);
    free(out);
}
QMC_NOINST static int virBufferError(const virBufferPtr buf) { return buf->error; }
QMC_NOINST static char *virBufferContentAndReset(const virBufferPtr buf)
{
    char *c = buf->error ? NULL : buf->content;
    if (buf->error)
        free(buf->content);
    buf->content = NULL;
    buf->use = buf->size = 0;
    buf->error = 0;
    return c;
}

/* -- util/xml.c over libxml2 -- */
struct qmc_parser_data { int domcode; int reported; };

/* a parser's error: the first fatal one is reported (upstream: while no error is set) */
QMC_NOINST static void catchXMLError(void *ctx, const char *msg, ...)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct qmc_parser_data *p;
    (void)msg;
    if (!ctxt || !ctxt->_private)
        return;
    p = ctxt->_private;
    if (!p->reported && ctxt->lastError.level == XML_ERR_FATAL && ctxt->lastError.message) {
        p->reported = 1;
        qmc_report(p->domcode, QMC_ERR_XML_DETAIL, __FUNCTION__, "at line %d: %s",
                   ctxt->lastError.line, ctxt->lastError.message);
    }
}

QMC_NOINST static xmlDocPtr virXMLParseHelper(int domcode, const char *xmlStr, const char *url,
                                              xmlXPathContextPtr *ctxt)
{
    struct qmc_parser_data data = { domcode, 0 };
    xmlParserCtxtPtr pctxt = xmlNewParserCtxt();
    xmlDocPtr xml = NULL;
    if (!pctxt || !pctxt->sax) {
        virReportOOMError();
        goto error;
    }
    pctxt->_private = &data;
    pctxt->sax->error = catchXMLError;
    /* upstream's options: entities substituted, no network, no warnings */
    xml = xmlCtxtReadDoc(pctxt, BAD_CAST xmlStr, url, NULL,
                         XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_NOWARNING);
    if (!xml)
        goto error;
    if (!xmlDocGetRootElement(xml)) {
        data.reported = 1;
        qmc_report(domcode, VIR_ERR_INTERNAL_ERROR, __FUNCTION__, "%s", "missing root element");
        goto error;
    }
    *ctxt = xmlXPathNewContext(xml);
    (*ctxt)->node = xmlDocGetRootElement(xml);
    xmlFreeParserCtxt(pctxt);
    return xml;
error:
    xmlFreeDoc(xml);
    if (!data.reported)
        qmc_report(domcode, QMC_ERR_XML_ERROR, __FUNCTION__, "%s",
                   "failed to parse xml document");
    if (pctxt)
        xmlFreeParserCtxt(pctxt);
    return NULL;
}
#define virXMLParseStringCtxt(xmlStr, url, pctxt) \
    virXMLParseHelper(VIR_FROM_THIS, xmlStr, url, pctxt)

QMC_NOINST static xmlXPathObjectPtr qmc_eval(const char *xpath, xmlXPathContextPtr ctxt)
{
    xmlNodePtr relnode = ctxt->node;
    xmlXPathObjectPtr obj = xmlXPathEval(BAD_CAST xpath, ctxt);
    ctxt->node = relnode;
    return obj;
}

/* a non-empty string result, copied; else NULL */
QMC_NOINST static char *virXPathString(const char *xpath, xmlXPathContextPtr ctxt)
{
    xmlXPathObjectPtr obj = qmc_eval(xpath, ctxt);
    char *r = NULL;
    if (obj && obj->type == XPATH_STRING && obj->stringval && obj->stringval[0])
        r = qmc_dup((const char *)obj->stringval);
    xmlXPathFreeObject(obj);
    return r;
}

/* 0 and *value; -1 nothing there; -2 not a number (strtol base 10, or a number
 * that is not whole); -2 out of int's range */
QMC_NOINST static int virXPathInt(const char *xpath, xmlXPathContextPtr ctxt, int *value)
{
    xmlXPathObjectPtr obj = qmc_eval(xpath, ctxt);
    long v = 0;
    int r = 0;
    if (obj && obj->type == XPATH_STRING && obj->stringval && obj->stringval[0]) {
        char *end;
        v = strtol((const char *)obj->stringval, &end, 10);
        if (end == (char *)obj->stringval)
            r = -2;
    } else if (obj && obj->type == XPATH_NUMBER && !isnan(obj->floatval)) {
        v = (long)obj->floatval;
        if (v != obj->floatval)
            r = -2;
    } else {
        r = -1;
    }
    xmlXPathFreeObject(obj);
    if (r < 0)
        return r;
    if ((int)v != v)
        return -2;
    *value = (int)v;
    return 0;
}

QMC_NOINST static int virXPathBoolean(const char *xpath, xmlXPathContextPtr ctxt)
{
    xmlXPathObjectPtr obj = qmc_eval(xpath, ctxt);
    int r = -1;
    if (obj && obj->type == XPATH_BOOLEAN && obj->boolval >= 0 && obj->boolval <= 1)
        r = obj->boolval;
    xmlXPathFreeObject(obj);
    return r;
}

QMC_NOINST static int virXPathNodeSet(const char *xpath, xmlXPathContextPtr ctxt,
                                      xmlNodePtr **list)
{
    xmlXPathObjectPtr obj;
    int n = 0;
    *list = NULL;
    obj = qmc_eval(xpath, ctxt);
    if (obj && obj->type == XPATH_NODESET && obj->nodesetval && obj->nodesetval->nodeNr > 0) {
        n = obj->nodesetval->nodeNr;
        *list = malloc(n * sizeof(xmlNodePtr));
        memcpy(*list, obj->nodesetval->nodeTab, n * sizeof(xmlNodePtr));
    }
    xmlXPathFreeObject(obj);
    return n;
}

QMC_NOINST static char *virXMLPropString(xmlNodePtr node, const char *name)
{
    return (char *)xmlGetProp(node, BAD_CAST name);
}
"""

# the entry points and a reader of a C cookie (parsed as a text of one's own, after
# upstream's functions: they take and give a cookie as void *)
HELPERS = r"""
void *qmc_cookie_new(virDomainObjPtr dom)
{
    return qemuMigrationCookieNew(dom);
}

int qmc_cookie_bake(void *mig, struct qemud_driver *driver, virDomainObjPtr dom,
                    char **cookieout, int *cookieoutlen, unsigned int flags)
{
    return qemuMigrationBakeCookie(mig, driver, dom, cookieout, cookieoutlen, flags);
}

void *qmc_cookie_eat(struct qemud_driver *driver, virDomainObjPtr dom, const char *cookiein,
                     int cookieinlen, unsigned int flags)
{
    return qemuMigrationEatCookie(driver, dom, cookiein, cookieinlen, flags);
}

const char *qmc_cookie_str(void *p, int which)
{
    qemuMigrationCookiePtr mig = p;
    qemuMigrationCookieGraphicsPtr g = mig->graphics;
    switch (which) {
    case 0: return mig->name;
    case 1: return (const char *)mig->uuid;
    case 2: return mig->localHostname;
    case 3: return (const char *)mig->localHostuuid;
    case 4: return mig->remoteHostname;
    case 5: return (const char *)mig->remoteHostuuid;
    case 6: return mig->lockState;
    case 7: return mig->lockDriver;
    case 8: return g ? g->listen : NULL;
    default: return g ? g->tlsSubject : NULL;
    }
}

int qmc_cookie_int(void *p, int which)
{
    qemuMigrationCookiePtr mig = p;
    qemuMigrationCookieGraphicsPtr g = mig->graphics;
    switch (which) {
    case 0: return mig->flags;
    case 1: return mig->flagsMandatory;
    case 2: return g != NULL;
    case 3: return g ? g->type : 0;
    case 4: return g ? g->port : 0;
    default: return g ? g->tlsPort : 0;
    }
}
"""
# the stub headers' names that upstream's cookie text defines itself, renamed in the
# headers (before them), given back to upstream (PRELUDE's #undef), and renamed again
# for cffi's code that follows (it declares the callbacks with the headers' types)
RENAMED = {"qemuMigrationCookie": "qmc_stub_cookie",
           "qemuMigrationCookiePtr": "qmc_stub_cookie_ptr",
           "qemuMigrationCookieFree": "qmc_stub_cookie_free",
           "qemuMigrationEatCookie": "qmc_stub_eat_cookie",
           "qemuMigrationBakeCookie": "qmc_stub_bake_cookie",
           "QEMU_MIGRATION_COOKIE_GRAPHICS": "QMC_STUB_COOKIE_GRAPHICS",
           "QEMU_MIGRATION_COOKIE_LOCKSTATE": "QMC_STUB_COOKIE_LOCKSTATE"}
RENAMES = "".join("#define %s %s\n" % kv for kv in RENAMED.items())
EPILOGUE = "".join("#define %s %s\n" % (k, v) for k, v in RENAMED.items()
                   if k in ("qemuMigrationCookie", "qemuMigrationCookiePtr"))
HELPER_PATH = "qmc-cookie-helpers.c"
HELPER_SIGS = {
    "qmc_cookie_new": "void *(virDomainObjPtr)",
    "qmc_cookie_bake": "int(void *, struct qemud_driver *, virDomainObjPtr, char **, int *, "
                       "unsigned int)",
    "qmc_cookie_eat": "void *(struct qemud_driver *, virDomainObjPtr, const char *, int, "
                      "unsigned int)",
    "qmc_cookie_str": "const char *(void *, int)",
    "qmc_cookie_int": "int(void *, int)",
}
STR_FIELDS = ["name", "uuid", "localHostname", "localHostuuid", "remoteHostname",
              "remoteHostuuid", "lockState", "lockDriver"]
UUID_FIELDS = {"uuid", "localHostuuid", "remoteHostuuid"}

TYPES_START = "enum qemuMigrationCookieFlags {"
TYPES_END = "struct _qemuMigrationCookie {"


def cookie_types(text: str) -> str:
    """Upstream's enum, enum names and structs of the cookie (:62-109 at e2fb96d9),
    from the text, with a #line pointing back at them."""
    start = text.index(TYPES_START)
    end = text.index("\n};", text.index(TYPES_END)) + len("\n};")
    line = text.count("\n", 0, start) + 1
    return '#line %d "%s"\n%s\n#line 1 "qmc-cookie-prelude.c"\n' % (line, MIGRATION_C,
                                                                     text[start:end])


def _pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config"] + list(args) + ["libxml-2.0"], capture_output=True,
                             text=True)
    except OSError as e:
        raise B.BuildError("qemu-migration: pkg-config is needed for libxml2: %s" % e)
    if out.returncode != 0:
        raise B.BuildError("qemu-migration: libxml2 not found by pkg-config: %s"
                           % out.stderr.strip())
    return out.stdout.split()


def cookie_spec(src: str, commit: str = X.POST) -> B.BuildSpec:
    text = X.read_source(src, commit, MIGRATION_C)
    funcs = X.extract_functions(text, CK.COOKIE_FUNCTIONS, MIGRATION_C, commit)
    helpers = list(X.parse_functions(HELPERS, HELPER_PATH).values())
    return B.BuildSpec("cookie", funcs + helpers,
                       {k: B.Signature.of(v) for k, v in HELPER_SIGS.items()},
                       list(CK.COOKIE_FUNCTIONS), commit=commit,
                       extra_flags=COOKIE_FLAGS + _pkg_config("--cflags"),
                       extra_source=PRELUDE + cookie_types(text), extra_callbacks=CALLBACKS,
                       extra_link_args=_pkg_config("--libs"), prelude=RENAMES,
                       epilogue=EPILOGUE)


class CookieDriverB(I.DriverB):
    """The driver with what the cookie reads: listen addresses, TLS, certificate folders."""
    ROWS = I.DriverB.ROWS + tuple(
        I._str_row(f, f, pull=False) for f in ("vncListen", "vncTLSx509certdir", "spiceListen",
                                               "spiceTLSx509certdir")) + tuple(
        I._row(f, I._c_int(f)[0], lambda s, c, v, f=f: setattr(c, f, 1 if v else 0))
        for f in ("vncTLS", "spiceTLS"))


def _graphics(s, c, v):
    arr = s.ffi.new("virDomainGraphicsDef *[%d]" % max(len(v), 1))
    s.keep.append(arr)
    for i, g in enumerate(v):
        cg = s.ffi.new("virDomainGraphicsDef *")
        s.keep.append(cg)
        cg.type = CK.virDomainGraphicsTypeFromString(g.type)
        if g.type == "spice":
            cg.data.spice.port, cg.data.spice.tlsPort = g.port, g.tlsPort
        else:
            cg.data.vnc.port = g.port
        cg.py = s.handle(g)
        arr[i] = cg
    c.ngraphics, c.graphics = len(v), arr


class CookieDefB(I.DefB):
    """A definition with its graphics devices (pushed only: C changes none)."""
    ROWS = I.DefB.ROWS + (I._row("graphics", lambda s, c: s.addr(c.graphics), _graphics),)


def _install_callbacks(built):
    """The Python side of CALLBACKS (impl._install attaches the common ones)."""
    if built.installed.get("cookie"):
        return
    ffi, stack = built.ffi, built.installed["sessions"]
    attach = built.installed["attach"]     # impl.py's: the trace read first, errors kept

    def call(fn, *args, after=(), conv=None):
        s = stack[-1]
        s.pull()
        r = fn(*args)
        for a in after:
            if a:
                a()
        s.push()
        r = conv(s, r) if conv else r
        s.sync_errno()
        return r

    def ext(fn):
        attach("qmc_py_" + fn.__name__)(fn)

    @ext
    def virGetHostUUID(uuid):
        cell = Ptr()

        def back():
            if cell.value is not NULL:
                text = cell.value.encode()[:I.B_UUID_MAX]
                ffi.memmove(uuid, text + b"\0" * (80 - len(text)), 80)
        return call(S.virGetHostUUID, cell, after=[back])

    @ext
    def virDomainLockProcessInquire(plugin, vm, state):
        s = stack[-1]
        cell, back = s.py_cell(state, "char *")
        return call(S.virDomainLockProcessInquire, s.pystr(plugin), s.py_ptr(vm), cell,
                    after=[back])

    @ext
    def virLockManagerPluginUsesState(plugin):
        return int(bool(call(S.virLockManagerPluginUsesState, stack[-1].pystr(plugin))))

    @ext
    def virDomainGraphicsListenGetAddress(gdef, ii):
        return call(S.virDomainGraphicsListenGetAddress, stack[-1].from_handle(gdef.py), ii,
                    conv=lambda s, r: s.cstr(r))

    @ext
    def qemuDomainExtractTLSSubject(certdir):
        return call(S.qemuDomainExtractTLSSubject, stack[-1].pystr(certdir),
                    conv=lambda s, r: s.cstr(r))

    @ext
    def virBufferGrow(size):
        return call(S.virBufferGrow, size)

    built.installed["cookie"] = True


class CookieCImpl(I.CImpl):
    """The compiled cookie functions, driven as the port's are (see the module's text)."""
    def_binding = CookieDefB
    driver_binding = CookieDriverB

    def __init__(self, built):
        super().__init__("cookie", built=built, pymodule=CK)
        _install_callbacks(built)
        self.kept = []          # the C cookies point into every call's memory
        self._helpers = {n: I.CFunctionProxy(self, n, s) for n, s in built.spec.signatures.items()}

    def _arg(self, s, kind, v):
        if kind == "int" and isinstance(v, self.built.ffi.CData):
            return v                          # a C cookie, as the C gave it
        return super()._arg(s, kind, v)

    def new(self, vm):
        return self._cookie(self._helpers["qmc_cookie_new"](vm))

    def bake(self, mig, driver, vm, out, outlen, flags):
        return self._helpers["qmc_cookie_bake"](mig, driver, vm, out, outlen, flags)

    def eat(self, driver, vm, text, length, flags):
        return self._cookie(self._helpers["qmc_cookie_eat"](driver, vm, text, length, flags))

    def _cookie(self, p):
        return NULL if p == self.built.ffi.NULL else p

    def fields(self, mig):
        """A C cookie as ``port_fields`` gives a Python one."""
        if mig is NULL:
            return None
        ffi, lib = self.built.ffi, self.built.lib
        d = {}
        for i, name in enumerate(STR_FIELDS):
            p = lib.qmc_call_qmc_cookie_str(mig, i)
            v = None if p == ffi.NULL else ffi.string(p).decode("utf-8", "surrogateescape")
            d[name] = None if name in UUID_FIELDS and v == "" else v
        d["flags"], d["flagsMandatory"] = (lib.qmc_call_qmc_cookie_int(mig, i) for i in (0, 1))
        d["graphics"] = None
        if lib.qmc_call_qmc_cookie_int(mig, 2):
            g = [lib.qmc_call_qmc_cookie_int(mig, i) for i in (3, 4, 5)]
            strs = [lib.qmc_call_qmc_cookie_str(mig, i) for i in (8, 9)]
            d["graphics"] = tuple(g) + tuple(
                None if p == ffi.NULL else ffi.string(p).decode("utf-8", "surrogateescape")
                for p in strs)
        return d


def port_fields(mig):
    """A Python cookie (port/cookie.py) as a dict of what a C one is compared on."""
    if mig is NULL:
        return None
    d = {name: getattr(mig, name) for name in STR_FIELDS}
    d["flags"], d["flagsMandatory"] = mig.flags, mig.flagsMandatory
    g = mig.graphics
    d["graphics"] = None if g is NULL else (g.type, g.port, g.tlsPort, g.listen, g.tlsSubject)
    return d


_LOADED: Dict[str, CookieCImpl] = {}


def load(src: str) -> CookieCImpl:
    """The compiled upstream cookie (one per source per process)."""
    if src not in _LOADED:
        _LOADED[src] = CookieCImpl(B.build(cookie_spec(src)))
    return _LOADED[src]
