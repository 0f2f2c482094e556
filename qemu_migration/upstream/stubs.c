/*
 * qemu-migration: the C stubs.  Each forwards to the Python stub of the same
 * name (through the qmc_py_* callbacks of callbacks.h), then takes errno from
 * the Python world, as a callee that failed in a system call would leave it.
 * None of these is instrumented: only the extracted functions show in the
 * trace as C functions; the stubs record themselves on the Python side.
 */

int qmc_errno;   /* the world's errno, set by Python before each callback returns */
unsigned long long qmc_clock;   /* and the world's clock (ms), with it */

#define QMC_ERRNO() (errno = qmc_errno)

/* The buffer Python reads at its next callback (impl.py's drain), in the order things
 * happened: the traced functions' entries, made by the generated __cyg_profile_func_*
 * hooks (i + QMC_NTRACED * depth: function i entered at that trace depth), and records
 * of two slots (qmc_ev_record: a negative code, qmc_ev_defer's, and an argument): the
 * calls of the stubs of build.py's DEFERRED, while qmc_defer is set, whose result and
 * whatever C reads of what they change C has without Python: Python runs them then, in
 * their place; and the entries of qmc_watched (the code's k QMC_NDEFK - 1, the caller the
 * function itself), which Python notes.  Python turns the entries into the trace in bulk
 * when no record is among them.  The exits are not buffered: C keeps the depth and the
 * functions entered itself (qmc_depth, qmc_cstack), which is all an exit changes. */
long long qmc_ev[QMC_NEV];
/* what Python reads first at a callback, in one array (one read): qmc_dirty (1: something
 * was buffered, or an exit moved the depth, since Python read; Python sets it to 0 when
 * it has read everything, and the other counts start again at the next write, QMC_FRESH),
 * qmc_nev slots of qmc_ev used, qmc_ntext bytes of texts (below), qmc_nrec records
 * among the slots, qmc_depth: the depth of the next entry */
int qmc_io[5];
#define qmc_dirty qmc_io[0]
#define qmc_nev qmc_io[1]
#define qmc_ntext qmc_io[2]
#define qmc_nrec qmc_io[3]
#define qmc_depth qmc_io[4]
#define QMC_FRESH() do { if (!qmc_dirty) { qmc_nev = qmc_ntext = qmc_nrec = 0; \
                                          qmc_dirty = 1; } } while (0)
/* the functions entered (indexes, innermost last: qmc_sp of them, the first QMC_NSTACK
 * kept) and how many of them are the running call's callers' (qmc_base): the generated
 * qmc_run_NAME sets the depth (the world's) and the base at a call's start; Python gives
 * the outer call's back after a call made while another runs (a host's unit can be
 * entered again while it runs) */
int qmc_sp;
int qmc_base;
int qmc_cstack[QMC_NSTACK];
int qmc_watched = -1;   /* the traced function whose entry Python notes (impl.py's WATCHED) */
int qmc_defer;   /* bit 1: defer (build.py's DEFERRED); 2: virTimeMs too; 4: the status */
#define QMC_DEFER_CLOCK 2
#define QMC_DEFER_SAVE 4
/* room for n more slots, Python reading the buffer first when it is full */
QMC_NOINST static void qmc_ev_room(int n)
{
    QMC_FRESH();
    if (qmc_nev + n > QMC_NEV) {
        qmc_py_events();
        QMC_FRESH();
    }
}
QMC_NOINST static void qmc_ev_put(int e)
{
    qmc_ev_room(1);
    qmc_ev[qmc_nev++] = e;
}
QMC_NOINST static void qmc_ev_record(long long code, void *arg)
{
    qmc_ev_room(2);
    qmc_nrec++;
    qmc_ev[qmc_nev++] = code;
    qmc_ev[qmc_nev++] = (long long)(intptr_t)arg;
}
QMC_NOINST static void qmc_ev_defer(int k, void *arg);

/* The arguments of the reports, logs and status saves deferred, their texts copied
 * (QMC_NTEXT bytes, records one after the other): each event's argument is its record;
 * Python takes them with the events, and qmc_ntext is 0 again after (QMC_FRESH). */
#define QMC_NTEXT 16384
struct qmc_text { int a; int b; void *p; void *q; const char *func; const char *msg; };
static char qmc_texts[QMC_NTEXT] __attribute__((aligned(16)));
/* 1 when buffered; 0 when the record would not fit even in the empty buffer (a text
 * longer than it: a domain's name is as long as its XML says), and the caller crosses
 * as it does when nothing is deferred (what C buffered before goes first) */
QMC_NOINST static int qmc_defer_text(int k, int a, int b, void *p_, void *q,
                                     const char *func, const char *msg)
{
    size_t nf = func ? strlen(func) + 1 : 0, nm = strlen(msg) + 1;
    size_t need = (sizeof(struct qmc_text) + nf + nm + 15) & ~(size_t)15;
    struct qmc_text *t;
    char *p;
    if (need > QMC_NTEXT)
        return 0;
    qmc_ev_room(2);             /* room for the record first: taking the events takes */
                                /* the texts, so none is taken before its record is put */
    if (qmc_ntext + need > QMC_NTEXT) {
        qmc_py_events();
        QMC_FRESH();
    }
    t = (struct qmc_text *)(qmc_texts + qmc_ntext);
    qmc_ntext += need;
    p = (char *)(t + 1);
    t->a = a;
    t->b = b;
    t->p = p_;
    t->q = q;
    t->func = func ? memcpy(p, func, nf) : NULL;
    t->msg = memcpy(p + nf, msg, nm);
    qmc_ev_defer(k, t);
    return 1;
}

QMC_NOINST static char *qmc_vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
    vsnprintf(buf, len, fmt, ap);
    return buf;
}

QMC_STUB void qmc_report(int domain, int code, const char *func, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    qmc_vformat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!qmc_defer || !qmc_defer_text(QMC_K__report, domain, code, NULL, NULL, func, buf))
        qmc_py_report(domain, code, func, buf);
    QMC_ERRNO();
}

QMC_STUB void qmc_report_system(int num, const char *func, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    qmc_vformat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!qmc_defer || !qmc_defer_text(QMC_K_virReportSystemError, num, 0, NULL, NULL, func, buf))
        qmc_py_report_system(num, func, buf);
    QMC_ERRNO();
}

QMC_STUB void qmc_report_oom(const char *func)
{
    if (!qmc_defer || !qmc_defer_text(QMC_K_virReportOOMError, 0, 0, NULL, NULL, func, ""))
        qmc_py_report_oom(func);
    QMC_ERRNO();
}

QMC_STUB void qmc_log(int level, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    qmc_vformat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!qmc_defer || !qmc_defer_text(QMC_K_VIR_ERROR, level, 0, NULL, NULL, NULL, buf))
        qmc_py_log(level, buf);
    QMC_ERRNO();
}

/* the descriptor closer leaves -1 (or raises, a porting mistake, StrayClose): while
 * qmc_defer is set, set here and the call buffered, the descriptor as its argument */
QMC_STUB void qmc_force_close(int *fd)
{
    if (qmc_defer) {
        qmc_ev_defer(QMC_K_VIR_FORCE_CLOSE, (void *)(intptr_t)*fd);
        *fd = -1;
    } else
        *fd = qmc_py_force_close(*fd);
    QMC_ERRNO();
}

/* while qmc_defer is set: its answer from the bound fields (the Python stub's test:
 * def->id != -1), its call buffered, made by Python in its place (build.py's DEFERRED;
 * all it does there besides is note a freed domain touched) */
QMC_STUB bool virDomainObjIsActive(virDomainObjPtr vm)
{
    bool r;
    if (qmc_defer && vm && vm->def) {
        qmc_ev_defer(QMC_K_virDomainObjIsActive, (void *)vm);
        r = vm->def->id != -1;
    } else
        r = qmc_py_virDomainObjIsActive(vm);
    QMC_ERRNO();
    return r;
}

QMC_STUB void virUUIDFormat(const unsigned char *uuid, char *out)
{
    /* the stub def keeps the uuid as its text */
    snprintf(out, VIR_UUID_STRING_BUFLEN, "%s", (const char *)uuid);
}

QMC_STUB const char *qemuMigrationJobPhaseTypeToString(int phase)
{
    const char *r = qmc_py_phase_name(phase);
    QMC_ERRNO();
    return r;
}

/* one-line forwarders: a value-returning and a void kind */
#define QMC_FWD(ret, name, params, args) \
    QMC_STUB ret name params { ret r_ = qmc_py_##name args; QMC_ERRNO(); return r_; }
#define QMC_FWD_VOID(name, params, args) \
    QMC_STUB void name params { qmc_py_##name args; QMC_ERRNO(); }

/* the clock: while qmc_defer's QMC_DEFER_CLOCK is set (Python sets it for a call whose
 * fault plan names no virTimeMs: none fails), read here as the Python stub reads it, the
 * world's clock, and the call buffered */
QMC_STUB int virTimeMs(unsigned long long *ms)
{
    int r = 0;
    if (qmc_defer & QMC_DEFER_CLOCK) {
        *ms = qmc_clock;
        qmc_ev_defer(QMC_K_virTimeMs, (void *)ms);
    } else
        r = qmc_py_virTimeMs(ms);
    QMC_ERRNO();
    return r;
}
/* a stub that returns nothing, buffered while qmc_defer is set (QMC_K_name: its index in
 * build.py's DEFERRED): the lock stubs here, the definition's and the cookie's frees below */
#define QMC_FWD_DEFERRED(name, T) \
    QMC_STUB void name(T p) { \
        if (qmc_defer) qmc_ev_defer(QMC_K_##name, (void *)p); else qmc_py_##name(p); \
        QMC_ERRNO(); }
QMC_FWD_DEFERRED(qemuDriverLock, struct qemud_driver *)
QMC_FWD_DEFERRED(qemuDriverUnlock, struct qemud_driver *)
QMC_FWD_DEFERRED(virDomainObjLock, virDomainObjPtr)
QMC_FWD_DEFERRED(virDomainObjUnlock, virDomainObjPtr)
/* the references: while qmc_defer is set, counted here as the Python stub counts them
 * (vm->refs is bound both ways; nothing else of a binding's do they change) and their
 * calls buffered, made by Python in their place on its own count, which is then C's */
QMC_STUB void virDomainObjRef(virDomainObjPtr vm)
{
    if (qmc_defer && vm) {
        vm->refs++;
        qmc_ev_defer(QMC_K_virDomainObjRef, (void *)vm);
    } else
        qmc_py_virDomainObjRef(vm);
    QMC_ERRNO();
}
QMC_STUB int virDomainObjUnref(virDomainObjPtr vm)
{
    int r;
    if (qmc_defer && vm) {
        r = --vm->refs;
        qmc_ev_defer(QMC_K_virDomainObjUnref, (void *)vm);
    } else
        r = qmc_py_virDomainObjUnref(vm);
    QMC_ERRNO();
    return r;
}

QMC_STUB int virCondWaitUntil(virCondPtr c, virMutexPtr m, unsigned long long whenms)
{
    int r = qmc_py_virCondWaitUntil(c->name, (virDomainObjPtr)m->owner, whenms);
    QMC_ERRNO();
    return r;
}

/* the signals: they only record (the condition's name) and return nothing: buffered while
 * qmc_defer is set, the name copied (a: it is NULL) */
QMC_STUB void virCondSignal(virCondPtr c)
{
    if (!qmc_defer
        || !qmc_defer_text(QMC_K_virCondSignal, !c->name, 0, NULL, NULL, NULL, c->name ? c->name : ""))
        qmc_py_virCondSignal(c->name);
    QMC_ERRNO();
}

QMC_STUB void virCondBroadcast(virCondPtr c)
{
    if (!qmc_defer
        || !qmc_defer_text(QMC_K_virCondBroadcast, !c->name, 0, NULL, NULL, NULL, c->name ? c->name : ""))
        qmc_py_virCondBroadcast(c->name);
    QMC_ERRNO();
}

/* the status saved: while qmc_defer's QMC_DEFER_SAVE is set (Python sets it for a call
 * whose fault plan names no virDomainSaveStatus: none fails), 0, and the call buffered
 * with its arguments and the name C's definition has now, which the stub records and
 * Python checks its own against when it makes the call */
QMC_STUB int virDomainSaveStatus(virCapsPtr caps, const char *dir, virDomainObjPtr vm)
{
    int r = 0;
    if (!((qmc_defer & QMC_DEFER_SAVE) && vm && vm->def)
        || !qmc_defer_text(QMC_K_virDomainSaveStatus, !vm->def->name, !dir, (void *)vm, (void *)caps,
                           dir ? dir : "", vm->def->name ? vm->def->name : ""))
        r = qmc_py_virDomainSaveStatus(caps, dir, vm);
    QMC_ERRNO();
    return r;
}

/* driver->autodestroy's keys, as Python last told them (impl.py's tell_keys: at each call's
 * start and after each stub that may change the world's tables): while qmc_defer is set,
 * a lookup in that table is answered here and its call buffered with the key and the
 * answer, and Python makes it in its place and checks that it answers the same.  Any
 * other table, or more or longer keys than fit (qmc_ad_n -1), crosses at once. */
#define QMC_AD_MAX 8
#define QMC_AD_LEN 80
void *qmc_ad_table;
int qmc_ad_n = -1;
char qmc_ad_keys[QMC_AD_MAX * QMC_AD_LEN];

QMC_STUB void *virHashLookup(virHashTablePtr table, const void *name)
{
    static char found;
    int r, i;
    if (qmc_defer && table && (void *)table == qmc_ad_table && qmc_ad_n >= 0) {
        for (r = 0, i = 0; i < qmc_ad_n && !r; i++)
            r = !strcmp(qmc_ad_keys + i * QMC_AD_LEN, (const char *)name);
        if (qmc_defer_text(QMC_K_virHashLookup, r, 0, table, NULL, NULL, (const char *)name)) {
            QMC_ERRNO();
            return r ? (void *)&found : NULL;
        }
    }
    r = qmc_py_virHashLookup(table, (const char *)name);
    QMC_ERRNO();
    return r ? (void *)&found : NULL;
}

QMC_FWD(int, virHashForEach, (virHashTablePtr t, virHashIterator it, void *data),
        (t, it, data))
QMC_FWD(qemuMigrationCookiePtr, qemuMigrationEatCookie,
        (struct qemud_driver *d, virDomainObjPtr vm, const char *in, int inlen,
         unsigned int flags),
        (d, vm, in, inlen, flags))
QMC_FWD(int, qemuMigrationBakeCookie,
        (qemuMigrationCookiePtr mig, struct qemud_driver *d, virDomainObjPtr vm,
         char **out, int *outlen, unsigned int flags),
        (mig, d, vm, out, outlen, flags))
/* the cookie's free (port/cookie.py's, ported: it shows in the trace, nested where C
 * called it) returns nothing and C reads no cookie after it: while qmc_defer is set,
 * buffered, made by Python in its place */
QMC_FWD_DEFERRED(qemuMigrationCookieFree, qemuMigrationCookiePtr)
QMC_FWD(virDomainDefPtr, virDomainDefParseString,
        (virCapsPtr caps, const char *xml, unsigned int types, unsigned int flags),
        (caps, xml, types, flags))
/* it frees nothing (the definitions are the Python world's): buffered while qmc_defer
 * is set, Python's stub made in its place */
QMC_FWD_DEFERRED(virDomainDefFree, virDomainDefPtr)
#ifndef QMC_ABI_CHECK_COMPILED
QMC_FWD(bool, virDomainDefCheckABIStability, (virDomainDefPtr src, virDomainDefPtr dst),
        (src, dst))
#endif
QMC_FWD(bool, virCPUDefIsEqual, (virCPUDefPtr src, virCPUDefPtr dst), (src, dst))
QMC_FWD(bool, virSysinfoIsEqual, (virSysinfoDefPtr src, virSysinfoDefPtr dst), (src, dst))
QMC_FWD(char *, qemuDomainDefFormatXML,
        (struct qemud_driver *d, virDomainDefPtr def, unsigned int flags), (d, def, flags))
QMC_FWD(char *, qemuDomainFormatXML,
        (struct qemud_driver *d, virDomainObjPtr vm, unsigned int flags), (d, vm, flags))
QMC_FWD(int, virDomainObjIsDuplicate,
        (virDomainObjListPtr doms, virDomainDefPtr def, unsigned int check_active),
        (doms, def, check_active))
QMC_FWD(virDomainObjPtr, virDomainAssignDef,
        (virCapsPtr caps, virDomainObjListPtr doms, const virDomainDefPtr def, bool live),
        (caps, doms, def, live))
QMC_FWD_VOID(virDomainRemoveInactive, (virDomainObjListPtr doms, virDomainObjPtr vm),
             (doms, vm))
QMC_FWD(int, virDomainDeleteConfig,
        (const char *configDir, const char *autostartDir, virDomainObjPtr vm),
        (configDir, autostartDir, vm))
QMC_FWD(int, virDomainObjGetState, (virDomainObjPtr vm, int *reason), (vm, reason))
#ifndef QMC_PROCESS_COMPILED
QMC_FWD(int, qemuProcessStart,
        (virConnectPtr conn, struct qemud_driver *d, virDomainObjPtr vm, const char *from,
         bool paused, bool autodestroy, int fd, const char *path, void *snap, int vmop),
        (conn, d, vm, from, paused, autodestroy, fd, path, snap, vmop))
QMC_FWD_VOID(qemuProcessStop,
             (struct qemud_driver *d, virDomainObjPtr vm, int migrated, int reason),
             (d, vm, migrated, reason))
QMC_FWD(int, qemuProcessStartCPUs,
        (struct qemud_driver *d, virDomainObjPtr vm, virConnectPtr conn, int reason,
         int asyncJob),
        (d, vm, conn, reason, asyncJob))
#endif
QMC_FWD(int, doNativeMigrate,
        (struct qemud_driver *d, virDomainObjPtr vm, const char *uri, const char *in,
         int inlen, char **out, int *outlen, unsigned long flags, unsigned long res),
        (d, vm, uri, in, inlen, out, outlen, flags, res))
#ifndef QMC_UNIT
QMC_FWD(int, doPeer2PeerMigrate,
        (struct qemud_driver *d, virConnectPtr conn, virDomainObjPtr vm, const char *xmlin,
         const char *dconnuri, const char *uri, unsigned long flags, const char *dname,
         unsigned long res, bool *v3),
        (d, conn, vm, xmlin, dconnuri, uri, flags, dname, res, v3))
#endif
QMC_FWD_VOID(virDomainAuditStart, (virDomainObjPtr vm, const char *why, bool ok),
             (vm, why, ok))
QMC_FWD_VOID(virDomainAuditStop, (virDomainObjPtr vm, const char *why), (vm, why))
QMC_FWD(virDomainEventPtr, virDomainEventNewFromObj,
        (virDomainObjPtr vm, int type, int detail), (vm, type, detail))
QMC_FWD_VOID(qemuDomainEventQueue, (struct qemud_driver *d, virDomainEventPtr ev), (d, ev))

QMC_STUB int qmc_pipe(int fds[2])
{
    int r = qmc_py_pipe(fds);
    QMC_ERRNO();
    return r;
}

QMC_FWD(int, virSetCloseExec, (int fd), (fd))
QMC_FWD(int, virFDStreamOpen, (virStreamPtr st, int fd), (st, fd))

QMC_STUB char *qmc_strdup(const char *s)
{
    char *r = qmc_py_strdup(s);
    QMC_ERRNO();
    return r;
}

QMC_FWD(char *, virGetHostname, (virConnectPtr conn), (conn))

QMC_STUB int virAsprintf(char **strp, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int r;
    va_start(ap, fmt);
    qmc_vformat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r = qmc_py_virAsprintf(strp, buf);
    QMC_ERRNO();
    return r;
}

QMC_FWD(int, virParseNumber, (const char **str), (str))

/* ---- helpers the Python side uses to lay out objects ---- */
QMC_NOINST unsigned int qmc_get_persistent(virDomainObjPtr vm) { return vm->persistent; }
QMC_NOINST void qmc_set_persistent(virDomainObjPtr vm, unsigned int v) { vm->persistent = !!v; }
QMC_NOINST void qmc_init_vm(virDomainObjPtr vm) { vm->lock.owner = vm; }
QMC_NOINST void qmc_init_priv(qemuDomainObjPrivatePtr priv)
{
    priv->job.cond.name = "cond";
    priv->job.asyncCond.name = "asyncCond";
}
QMC_NOINST void qmc_set_errno(void) { errno = qmc_errno; }
