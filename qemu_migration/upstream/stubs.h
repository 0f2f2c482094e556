/*
 * qemu-migration: the stand-in world the extracted libvirt functions compile against.
 *
 * Written for this project: only the struct members, macros and callees that
 * the extracted functions use, each in the shape their call sites need.  Every
 * callee is a stub (stubs.c) that hands its arguments to the Python stub of the
 * same name (qemu_migration/world/stubs.py) through a cffi extern "Python"
 * callback, so that the C build and the Python port share one world.
 */
#ifndef QMC_STUBS_H
#define QMC_STUBS_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libc calls the Python world records as stubs (after the system headers) */
#define pipe qmc_pipe
#define strdup qmc_strdup

#define QMC_NOINST __attribute__((no_instrument_function))
#define QMC_STUB static QMC_NOINST

/* ---- attribute and helper macros ---- */
#define ATTRIBUTE_UNUSED __attribute__((unused))
#define ATTRIBUTE_NONNULL(n) __attribute__((nonnull(n)))
#define ATTRIBUTE_RETURN_CHECK
#define ATTRIBUTE_NORETURN __attribute__((noreturn))
#define ATTRIBUTE_FMT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define _(msg) (msg)
#define N_(msg) (msg)
#define NULLSTR(s) ((s) ? (s) : "<null>")
#define ignore_value(x) ((void)(x))
#define STRPREFIX(s, pre) (strncmp((s), (pre), strlen(pre)) == 0)
#define STREQ(a, b) (strcmp((a), (b)) == 0)
/* memory the stubs hand out belongs to the Python side: forget, never free */
#define VIR_FREE(p) ((void)((p) = NULL))
#define VIR_FORCE_CLOSE(fd) qmc_force_close(&(fd))
#define VIR_DEBUG(...) ((void)0)
#define VIR_WARN(...) qmc_log(0, __VA_ARGS__)
#define VIR_ERROR(...) qmc_log(1, __VA_ARGS__)
#define qemuReportError(code, ...) \
    qmc_report(VIR_FROM_QEMU, (code), __FUNCTION__, __VA_ARGS__)
#define virReportSystemError(num, ...) \
    qmc_report_system((num), __FUNCTION__, __VA_ARGS__)
#define virReportOOMError() qmc_report_oom(__FUNCTION__)

/* ---- numbers (the values of qemu_migration/world/constants.py) ---- */
#define VIR_UUID_BUFLEN 80          /* the stub keeps the uuid as text */
#define VIR_UUID_STRING_BUFLEN 80
#define VIR_DOMAIN_SNAPSHOT_LIST_ROOTS 1

enum qemuDomainJob {
    QEMU_JOB_NONE = 0, QEMU_JOB_QUERY, QEMU_JOB_DESTROY, QEMU_JOB_SUSPEND,
    QEMU_JOB_MODIFY, QEMU_JOB_ABORT, QEMU_JOB_MIGRATION_OP, QEMU_JOB_ASYNC,
    QEMU_JOB_ASYNC_NESTED, QEMU_JOB_LAST
};
enum qemuDomainAsyncJob {
    QEMU_ASYNC_JOB_NONE = 0, QEMU_ASYNC_JOB_MIGRATION_OUT, QEMU_ASYNC_JOB_MIGRATION_IN,
    QEMU_ASYNC_JOB_SAVE, QEMU_ASYNC_JOB_DUMP, QEMU_ASYNC_JOB_LAST
};
enum qemuMigrationJobPhase {
    QEMU_MIGRATION_PHASE_NONE = 0, QEMU_MIGRATION_PHASE_PERFORM2,
    QEMU_MIGRATION_PHASE_BEGIN3, QEMU_MIGRATION_PHASE_PERFORM3,
    QEMU_MIGRATION_PHASE_PERFORM3_DONE, QEMU_MIGRATION_PHASE_CONFIRM3_CANCELLED,
    QEMU_MIGRATION_PHASE_CONFIRM3, QEMU_MIGRATION_PHASE_PREPARE,
    QEMU_MIGRATION_PHASE_FINISH2, QEMU_MIGRATION_PHASE_FINISH3,
    QEMU_MIGRATION_PHASE_LAST
};
#define JOB_MASK(job) (1 << ((job) - 1))
#define DEFAULT_JOB_MASK \
    (JOB_MASK(QEMU_JOB_QUERY) | JOB_MASK(QEMU_JOB_DESTROY) | JOB_MASK(QEMU_JOB_ABORT))
#ifndef QEMU_JOB_WAIT_TIME
# define QEMU_JOB_WAIT_TIME (1000ull * 30)   /* 30 s, as the job code waits */
#endif

enum { QEMU_MIGRATION_COOKIE_GRAPHICS = 1 << 0, QEMU_MIGRATION_COOKIE_LOCKSTATE = 1 << 1 };
#define QEMUD_MIGRATION_FIRST_PORT 49152
#define QEMUD_MIGRATION_NUM_PORTS 64
#define QEMU_EXPECTED_VIRT_TYPES ((1 << 1) | (1 << 2))

enum {
    VIR_DOMAIN_NOSTATE = 0, VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED, VIR_DOMAIN_PAUSED,
    VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_CRASHED
};
enum { VIR_DOMAIN_RUNNING_MIGRATED = 2, VIR_DOMAIN_RUNNING_MIGRATION_CANCELED = 6 };
enum { VIR_DOMAIN_PAUSED_MIGRATION = 2 };
enum { VIR_DOMAIN_SHUTOFF_MIGRATED = 4, VIR_DOMAIN_SHUTOFF_FAILED = 6 };
enum { VIR_DOMAIN_JOB_NONE = 0, VIR_DOMAIN_JOB_BOUNDED, VIR_DOMAIN_JOB_UNBOUNDED };
enum {
    VIR_MIGRATE_LIVE = 1 << 0, VIR_MIGRATE_PEER2PEER = 1 << 1,
    VIR_MIGRATE_TUNNELLED = 1 << 2, VIR_MIGRATE_PERSIST_DEST = 1 << 3,
    VIR_MIGRATE_UNDEFINE_SOURCE = 1 << 4, VIR_MIGRATE_PAUSED = 1 << 5,
    VIR_MIGRATE_NON_SHARED_DISK = 1 << 6, VIR_MIGRATE_NON_SHARED_INC = 1 << 7,
    VIR_MIGRATE_CHANGE_PROTECTION = 1 << 8
};
enum {
    VIR_DOMAIN_EVENT_STARTED = 2, VIR_DOMAIN_EVENT_RESUMED = 4, VIR_DOMAIN_EVENT_STOPPED = 5
};
enum {
    VIR_DOMAIN_EVENT_STARTED_MIGRATED = 1, VIR_DOMAIN_EVENT_RESUMED_MIGRATED = 1,
    VIR_DOMAIN_EVENT_STOPPED_MIGRATED = 3
};
enum {
    VIR_DOMAIN_XML_SECURE = 1 << 0, VIR_DOMAIN_XML_INACTIVE = 1 << 1,
    VIR_DOMAIN_XML_UPDATE_CPU = 1 << 2
};
enum { VIR_VM_OP_MIGRATE_IN_START = 2 };
enum { VIR_FROM_NONE = 0, VIR_FROM_QEMU = 10, VIR_FROM_DOMAIN = 20 };
enum {
    VIR_ERR_OK = 0, VIR_ERR_INTERNAL_ERROR = 1, VIR_ERR_NO_MEMORY = 2,
    VIR_ERR_INVALID_ARG = 8, VIR_ERR_OPERATION_FAILED = 9, VIR_ERR_SYSTEM_ERROR = 38,
    VIR_ERR_OPERATION_INVALID = 55, VIR_ERR_CONFIG_UNSUPPORTED = 67,
    VIR_ERR_OPERATION_TIMEOUT = 68
};

/* ---- opaque handles: Python objects behind a cffi handle ---- */
typedef struct qmc_opaque *virConnectPtr;
typedef struct qmc_opaque *virStreamPtr;
typedef struct qmc_opaque *virCapsPtr;
typedef struct qmc_opaque *virDomainEventPtr;
typedef struct qmc_opaque *virHashTablePtr;
typedef void (*virHashIterator)(void *value, const void *key, void *opaque);

/* ---- locks and conditions: a name, and the object that holds them ---- */
typedef struct qmc_mutex { void *owner; } virMutex;
typedef virMutex *virMutexPtr;
typedef struct qmc_cond { const char *name; } virCond;
typedef virCond *virCondPtr;

/* ---- the structs, with the members the functions touch ---- */
typedef struct qmc_def {
    int id;
    unsigned char uuid[VIR_UUID_BUFLEN];
    char *name;
    int nhostdevs;
} virDomainDef;
typedef virDomainDef *virDomainDefPtr;

typedef struct qmc_snapshot_def { char *name; char *parent; } virDomainSnapshotDef;
typedef struct qmc_snapshot_def *virDomainSnapshotDefPtr;
typedef struct qmc_snapshot_obj { virDomainSnapshotDefPtr def; } virDomainSnapshotObj;
typedef struct qmc_snapshot_obj *virDomainSnapshotObjPtr;
typedef struct qmc_snapshot_list { virHashTablePtr objs; } virDomainSnapshotObjList;
typedef struct qmc_snapshot_list *virDomainSnapshotObjListPtr;
struct virDomainSnapshotNumData { int count; unsigned int flags; };

typedef struct qmc_job_info { int type; } virDomainJobInfo;

struct qemuDomainJobObj {
    virCond cond;
    enum qemuDomainJob active;
    virCond asyncCond;
    enum qemuDomainAsyncJob asyncJob;
    int phase;
    unsigned long long mask;
    unsigned long long start;
    virDomainJobInfo info;
};

typedef struct qmc_priv {
    struct qemuDomainJobObj job;
    char *lockState;
} qemuDomainObjPrivate;
typedef struct qmc_priv *qemuDomainObjPrivatePtr;

typedef struct qmc_vm {
    virMutex lock;
    int refs;
    unsigned int persistent : 1;
    virDomainDefPtr def;
    void *privateData;
    virDomainSnapshotObjList snapshots;
} virDomainObj;
typedef virDomainObj *virDomainObjPtr;

typedef struct qmc_domlist { virHashTablePtr objs; } virDomainObjList;
typedef struct qmc_domlist *virDomainObjListPtr;

struct qemud_driver {
    virCapsPtr caps;
    virDomainObjList domains;
    char *configDir;
    char *autostartDir;
    char *stateDir;
    virHashTablePtr autodestroy;
};

typedef struct qmc_cookie { char *lockState; void *py; } qemuMigrationCookie;
typedef struct qmc_cookie *qemuMigrationCookiePtr;

/* ---- reporting, done in C and handed to the Python world ---- */
QMC_STUB void qmc_report(int domain, int code, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
QMC_STUB void qmc_report_system(int num, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
QMC_STUB void qmc_report_oom(const char *func);
QMC_STUB void qmc_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
QMC_STUB void qmc_force_close(int *fd);

/* ---- the callees ---- */
QMC_STUB bool virDomainObjIsActive(virDomainObjPtr vm);
QMC_STUB void virUUIDFormat(const unsigned char *uuid, char *out);
QMC_STUB const char *qemuMigrationJobPhaseTypeToString(int phase);
QMC_STUB int virTimeMs(unsigned long long *ms);
QMC_STUB void qemuDriverLock(struct qemud_driver *driver);
QMC_STUB void qemuDriverUnlock(struct qemud_driver *driver);
QMC_STUB void virDomainObjLock(virDomainObjPtr vm);
QMC_STUB void virDomainObjUnlock(virDomainObjPtr vm);
QMC_STUB void virDomainObjRef(virDomainObjPtr vm);
QMC_STUB int virDomainObjUnref(virDomainObjPtr vm);
QMC_STUB int virCondWaitUntil(virCondPtr c, virMutexPtr m, unsigned long long whenms);
QMC_STUB void virCondSignal(virCondPtr c);
QMC_STUB void virCondBroadcast(virCondPtr c);
QMC_STUB int virDomainSaveStatus(virCapsPtr caps, const char *statusDir, virDomainObjPtr vm);
QMC_STUB void *virHashLookup(virHashTablePtr table, const void *name);
QMC_STUB int virHashForEach(virHashTablePtr table, virHashIterator iter, void *data);
QMC_STUB qemuMigrationCookiePtr qemuMigrationEatCookie(struct qemud_driver *driver,
                                                      virDomainObjPtr vm,
                                                      const char *cookiein,
                                                      int cookieinlen,
                                                      unsigned int flags);
QMC_STUB int qemuMigrationBakeCookie(qemuMigrationCookiePtr mig,
                                     struct qemud_driver *driver, virDomainObjPtr vm,
                                     char **cookieout, int *cookieoutlen, unsigned int flags);
QMC_STUB void qemuMigrationCookieFree(qemuMigrationCookiePtr mig);
QMC_STUB virDomainDefPtr virDomainDefParseString(virCapsPtr caps, const char *xml,
                                                 unsigned int expectedVirtTypes,
                                                 unsigned int flags);
QMC_STUB void virDomainDefFree(virDomainDefPtr def);
QMC_STUB bool virDomainDefCheckABIStability(virDomainDefPtr src, virDomainDefPtr dst);
QMC_STUB char *qemuDomainDefFormatXML(struct qemud_driver *driver, virDomainDefPtr def,
                                      unsigned int flags);
QMC_STUB char *qemuDomainFormatXML(struct qemud_driver *driver, virDomainObjPtr vm,
                                   unsigned int flags);
QMC_STUB int virDomainObjIsDuplicate(virDomainObjListPtr doms, virDomainDefPtr def,
                                     unsigned int check_active);
QMC_STUB virDomainObjPtr virDomainAssignDef(virCapsPtr caps, virDomainObjListPtr doms,
                                            const virDomainDefPtr def, bool live);
QMC_STUB void virDomainRemoveInactive(virDomainObjListPtr doms, virDomainObjPtr vm);
QMC_STUB int virDomainDeleteConfig(const char *configDir, const char *autostartDir,
                                   virDomainObjPtr vm);
QMC_STUB int virDomainObjGetState(virDomainObjPtr vm, int *reason);
QMC_STUB int qemuProcessStart(virConnectPtr conn, struct qemud_driver *driver,
                              virDomainObjPtr vm, const char *migrateFrom,
                              bool start_paused, bool autodestroy, int stdin_fd,
                              const char *stdin_path, void *snapshot, int vmop);
QMC_STUB void qemuProcessStop(struct qemud_driver *driver, virDomainObjPtr vm,
                              int migrated, int reason);
QMC_STUB int qemuProcessStartCPUs(struct qemud_driver *driver, virDomainObjPtr vm,
                                  virConnectPtr conn, int reason, int asyncJob);
QMC_STUB int doNativeMigrate(struct qemud_driver *driver, virDomainObjPtr vm,
                             const char *uri, const char *cookiein, int cookieinlen,
                             char **cookieout, int *cookieoutlen,
                             unsigned long flags, unsigned long resource);
QMC_STUB int doPeer2PeerMigrate(struct qemud_driver *driver, virConnectPtr conn,
                                virDomainObjPtr vm, const char *xmlin,
                                const char *dconnuri, const char *uri,
                                unsigned long flags, const char *dname,
                                unsigned long resource, bool *v3proto);
QMC_STUB void virDomainAuditStart(virDomainObjPtr vm, const char *reason, bool success);
QMC_STUB void virDomainAuditStop(virDomainObjPtr vm, const char *reason);
QMC_STUB virDomainEventPtr virDomainEventNewFromObj(virDomainObjPtr vm, int type,
                                                    int detail);
QMC_STUB void qemuDomainEventQueue(struct qemud_driver *driver, virDomainEventPtr event);
QMC_STUB int qmc_pipe(int fds[2]);
QMC_STUB int virSetCloseExec(int fd);
QMC_STUB int virFDStreamOpen(virStreamPtr st, int fd);
QMC_STUB char *qmc_strdup(const char *s);
QMC_STUB char *virGetHostname(virConnectPtr conn);
QMC_STUB int virAsprintf(char **strp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
QMC_STUB int virParseNumber(const char **str);

#endif /* QMC_STUBS_H */
