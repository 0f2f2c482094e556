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
#define STRNEQ(a, b) (strcmp((a), (b)) != 0)
#define STREQ_NULLABLE(a, b) ((!(a) && !(b)) || ((a) && (b) && STREQ((a), (b))))
#define STRNEQ_NULLABLE(a, b) (!STREQ_NULLABLE(a, b))
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
#define virDomainReportError(errnum_, ...) \
    qmc_report(VIR_FROM_DOMAIN, (errnum_), __FUNCTION__, __VA_ARGS__)

/* ---- numbers (the values of qemu_migration/world/constants.py) ---- */
#define VIR_MAC_BUFLEN 6
enum { VIR_DOMAIN_TIMER_NAME_TSC = 4 };
enum {
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_NONE = 0, VIR_DOMAIN_DEVICE_ADDRESS_TYPE_PCI,
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_DRIVE, VIR_DOMAIN_DEVICE_ADDRESS_TYPE_VIRTIO_SERIAL,
    VIR_DOMAIN_DEVICE_ADDRESS_TYPE_CCID, VIR_DOMAIN_DEVICE_ADDRESS_TYPE_USB
};
enum { VIR_DOMAIN_CONTROLLER_TYPE_VIRTIO_SERIAL = 4 };
enum { VIR_DOMAIN_HOSTDEV_MODE_SUBSYS = 0 };
enum {
    VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_GUESTFWD = 0, VIR_DOMAIN_CHR_CHANNEL_TARGET_TYPE_VIRTIO
};
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
#ifndef QMC_PROTOCOL            /* protocol.h makes these structs for whole migrations */
typedef struct qmc_opaque *virConnectPtr;
typedef struct qmc_opaque *virStreamPtr;
#endif
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

/* a build that compiles more of upstream (upstream/processcheck.py: qemuProcessStart
 * and qemuProcessStop) defines these before this header: the members its text
 * touches besides */
#ifndef QMC_VNC_MORE
# define QMC_VNC_MORE
#endif
#ifndef QMC_SPICE_MORE
# define QMC_SPICE_MORE
#endif
#ifndef QMC_NET_MORE
# define QMC_NET_MORE
#endif
#ifndef QMC_DEF_MORE
# define QMC_DEF_MORE
#endif
#ifndef QMC_PRIV_MORE
# define QMC_PRIV_MORE
#endif
#ifndef QMC_VM_MORE
# define QMC_VM_MORE
#endif
#ifndef QMC_DRIVER_MORE
# define QMC_DRIVER_MORE
#endif

/* the devices, as virDomainDefCheckABIStability and its helpers read them
 * (domain_conf.h @ e2fb96d9); enums are ints, numbered as upstream numbers them */
typedef struct qmc_opaque *virCPUDefPtr;
typedef struct qmc_opaque *virSysinfoDefPtr;
typedef struct qmc_pci_addr {
    unsigned int domain; unsigned int bus; unsigned int slot; unsigned int function;
} virDomainDevicePCIAddress;
typedef struct qmc_drive_addr {
    unsigned int controller; unsigned int bus; unsigned int unit;
} virDomainDeviceDriveAddress;
typedef struct qmc_vioserial_addr {
    unsigned int controller; unsigned int bus; unsigned int port;
} virDomainDeviceVirtioSerialAddress;
typedef struct qmc_ccid_addr { unsigned int controller; unsigned int slot; } virDomainDeviceCcidAddress;
typedef struct qmc_devinfo {
    int type;
    union {
        virDomainDevicePCIAddress pci;
        virDomainDeviceDriveAddress drive;
        virDomainDeviceVirtioSerialAddress vioserial;
        virDomainDeviceCcidAddress ccid;
    } addr;
} virDomainDeviceInfo;
typedef virDomainDeviceInfo *virDomainDeviceInfoPtr;
typedef struct qmc_timer {
    int name; int present; unsigned long frequency; int mode;
} virDomainTimerDef;
typedef virDomainTimerDef *virDomainTimerDefPtr;
typedef struct qmc_disk {
    int device; int bus; char *dst; char *serial; int readonly; int shared;
    virDomainDeviceInfo info;
} virDomainDiskDef;
typedef virDomainDiskDef *virDomainDiskDefPtr;
typedef struct qmc_controller {
    int type; int idx; int model;
    union { struct { int ports; int vectors; } vioserial; } opts;
    virDomainDeviceInfo info;
} virDomainControllerDef;
typedef virDomainControllerDef *virDomainControllerDefPtr;
typedef struct qmc_fs { char *dst; int readonly; virDomainDeviceInfo info; } virDomainFSDef;
typedef virDomainFSDef *virDomainFSDefPtr;
typedef struct qmc_net {
    unsigned char mac[VIR_MAC_BUFLEN]; char *model; virDomainDeviceInfo info;
    QMC_NET_MORE
} virDomainNetDef;
typedef virDomainNetDef *virDomainNetDefPtr;
typedef struct qmc_input { int type; int bus; virDomainDeviceInfo info; } virDomainInputDef;
typedef virDomainInputDef *virDomainInputDefPtr;
typedef struct qmc_sound { int model; virDomainDeviceInfo info; } virDomainSoundDef;
typedef virDomainSoundDef *virDomainSoundDefPtr;
typedef struct qmc_accel { unsigned int support3d; unsigned int support2d; } virDomainVideoAccelDef;
typedef virDomainVideoAccelDef *virDomainVideoAccelDefPtr;
typedef struct qmc_video {
    int type; unsigned int vram; unsigned int heads; virDomainVideoAccelDefPtr accel;
    virDomainDeviceInfo info;
} virDomainVideoDef;
typedef virDomainVideoDef *virDomainVideoDefPtr;
typedef struct qmc_hostdev {
    int mode; struct { struct { int type; } subsys; } source; virDomainDeviceInfo info;
} virDomainHostdevDef;
typedef virDomainHostdevDef *virDomainHostdevDefPtr;
typedef struct qmc_smartcard { virDomainDeviceInfo info; } virDomainSmartcardDef;
typedef virDomainSmartcardDef *virDomainSmartcardDefPtr;
typedef struct qmc_sockaddr { char text[64]; } virSocketAddr;   /* its text, "host:port" */
typedef virSocketAddr *virSocketAddrPtr;
typedef struct qmc_chr {
    int targetType;
    union { int port; virSocketAddrPtr addr; char *name; } target;
    virDomainDeviceInfo info;
} virDomainChrDef;
typedef virDomainChrDef *virDomainChrDefPtr;
typedef struct qmc_hub { int type; virDomainDeviceInfo info; } virDomainHubDef;
typedef virDomainHubDef *virDomainHubDefPtr;
typedef struct qmc_watchdog { int model; virDomainDeviceInfo info; } virDomainWatchdogDef;
typedef virDomainWatchdogDef *virDomainWatchdogDefPtr;
typedef struct qmc_balloon { int model; virDomainDeviceInfo info; } virDomainMemballoonDef;
typedef virDomainMemballoonDef *virDomainMemballoonDefPtr;

/* a graphics device, as the migration cookie reads it (domain_conf.h @ e2fb96d9: the
 * type, data.vnc.port, data.spice.port and tlsPort; ``py`` is the Python GraphicsDef
 * behind it, for virDomainGraphicsListenGetAddress) */
typedef struct qmc_graphics {
    int type;
    union {
        struct { int port; QMC_VNC_MORE } vnc;
        struct { int port; int tlsPort; QMC_SPICE_MORE } spice;
    } data;
    void *py;
} virDomainGraphicsDef;
typedef virDomainGraphicsDef *virDomainGraphicsDefPtr;

/* def->mem: what domainGetInfo reads (whole migrations) */
struct qmc_mem { unsigned long max_balloon; unsigned long cur_balloon; };

typedef struct qmc_def {
    int id;
    unsigned char uuid[VIR_UUID_BUFLEN];
    char *name;
    int nhostdevs;
    /* what the ABI check reads besides (only the ABI build fills these in) */
    int virtType;
    unsigned short vcpus;
    unsigned short maxvcpus;
    struct { char *type; char *arch; char *machine; int smbios_mode; } os;
    int features;
    struct { int ntimers; virDomainTimerDefPtr *timers; } clock;
    virCPUDefPtr cpu;
    virSysinfoDefPtr sysinfo;
    int ndisks; virDomainDiskDefPtr *disks;
    int ncontrollers; virDomainControllerDefPtr *controllers;
    int nfss; virDomainFSDefPtr *fss;
    int nnets; virDomainNetDefPtr *nets;
    int ninputs; virDomainInputDefPtr *inputs;
    int nsounds; virDomainSoundDefPtr *sounds;
    int nvideos; virDomainVideoDefPtr *videos;
    virDomainHostdevDefPtr *hostdevs;
    int nsmartcards; virDomainSmartcardDefPtr *smartcards;
    int nserials; virDomainChrDefPtr *serials;
    int nparallels; virDomainChrDefPtr *parallels;
    int nchannels; virDomainChrDefPtr *channels;
    virDomainChrDefPtr console;
    int nhubs; virDomainHubDefPtr *hubs;
    virDomainWatchdogDefPtr watchdog;
    virDomainMemballoonDefPtr memballoon;
    struct qmc_mem mem;
    int ngraphics; virDomainGraphicsDefPtr *graphics;   /* only the cookie build fills these in */
    QMC_DEF_MORE
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

typedef struct qmc_opaque *qemuMonitorPtr;
typedef struct qmc_priv {
    struct qemuDomainJobObj job;
    char *lockState;
    qemuMonitorPtr mon;
    QMC_PRIV_MORE
} qemuDomainObjPrivate;
typedef struct qmc_priv *qemuDomainObjPrivatePtr;

typedef struct qmc_vm {
    virMutex lock;
    int refs;
    int pid;                    /* pid_t upstream */
    unsigned int persistent : 1;
    virDomainDefPtr def;
    void *privateData;
    virDomainSnapshotObjList snapshots;
    QMC_VM_MORE
} virDomainObj;
typedef virDomainObj *virDomainObjPtr;

typedef struct qmc_domlist { virHashTablePtr objs; } virDomainObjList;
typedef struct qmc_domlist *virDomainObjListPtr;

/* the driver's event state: only the callback list qemudClose hands on (a handle) */
typedef struct qmc_opaque *virDomainEventCallbackListPtr;
typedef struct qmc_event_state { virDomainEventCallbackListPtr callbacks; } virDomainEventState;
typedef virDomainEventState *virDomainEventStatePtr;

struct qemud_driver {
    virCapsPtr caps;
    virDomainObjList domains;
    char *configDir;
    char *autostartDir;
    char *stateDir;
    virHashTablePtr autodestroy;
    char *lockManager;          /* the lock manager plugin, by name (world/objects.py) */
    /* what the migration cookie reads (only the cookie build fills these in) */
    char *vncListen; int vncTLS; char *vncTLSx509certdir;
    char *spiceListen; int spiceTLS; char *spiceTLSx509certdir;
    virDomainEventStatePtr domainEventState;
    QMC_DRIVER_MORE
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
#ifndef QMC_ABI_CHECK_COMPILED
/* the migration builds call the Python port (port/abi.py); the ABI build
 * (upstream/abicheck.py) compiles upstream's instead */
QMC_STUB bool virDomainDefCheckABIStability(virDomainDefPtr src, virDomainDefPtr dst);
#endif
QMC_STUB bool virCPUDefIsEqual(virCPUDefPtr src, virCPUDefPtr dst);
QMC_STUB bool virSysinfoIsEqual(virSysinfoDefPtr src, virSysinfoDefPtr dst);

/* VIR_ENUM_IMPL's ToString of what the ABI check prints (domain_conf.c:97-514) */
#define QMC_ENUM(name, ...) \
    static QMC_NOINST __attribute__((unused)) const char *name##TypeToString(int v) { \
        static const char *const names[] = { __VA_ARGS__ }; \
        return v >= 0 && v < (int)(sizeof(names) / sizeof(names[0])) ? names[v] : NULL; }
QMC_ENUM(virDomainVirt, "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "vserver",
         "ldom", "test", "vmware", "hyperv", "vbox", "one", "phyp")
QMC_ENUM(virDomainTimerName, "platform", "pit", "rtc", "hpet", "tsc")
QMC_ENUM(virDomainTimerMode, "auto", "native", "emulate", "paravirt", "smpsafe")
QMC_ENUM(virDomainDeviceAddress, "none", "pci", "drive", "virtio-serial", "ccid", "usb")
QMC_ENUM(virDomainDiskDevice, "disk", "cdrom", "floppy")
QMC_ENUM(virDomainDiskBus, "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata")
QMC_ENUM(virDomainController, "ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb")
QMC_ENUM(virDomainInput, "mouse", "tablet")
QMC_ENUM(virDomainInputBus, "ps2", "usb", "xen")
QMC_ENUM(virDomainSoundModel, "sb16", "es1370", "pcspk", "ac97", "ich6")
QMC_ENUM(virDomainVideo, "vga", "cirrus", "vmvga", "xen", "vbox", "qxl")
QMC_ENUM(virDomainHostdevMode, "subsystem", "capabilities")
QMC_ENUM(virDomainHostdevSubsys, "usb", "pci")
QMC_ENUM(virDomainChrChannelTarget, "guestfwd", "virtio")
QMC_ENUM(virDomainChrConsoleTarget, "serial", "xen", "uml", "virtio")
QMC_ENUM(virDomainWatchdogModel, "i6300esb", "ib700")
QMC_ENUM(virDomainMemballoonModel, "virtio", "xen", "none")
QMC_ENUM(virDomainHub, "usb")
QMC_ENUM(virDomainSmbiosMode, "none", "emulate", "host", "sysinfo")

/* virSocketFormatAddrFull (util/network.c): the model keeps the text "address:port";
 * without the service, the address alone (as port/abi.py's) */
static QMC_NOINST __attribute__((unused)) char *
virSocketFormatAddrFull(virSocketAddrPtr addr, bool withService, const char *sep)
{
    static char host[sizeof(addr->text)];
    char *cut;
    if (withService)
        return addr->text;
    snprintf(host, sizeof(host), "%s", addr->text);
    cut = strrchr(host, sep[0]);
    *(cut ? cut : host) = '\0';
    return host;
}
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
#ifndef QMC_PROCESS_COMPILED
/* the migration builds call the world's stubs; the process build
 * (upstream/processcheck.py) compiles upstream's Start and Stop and its own callees */
QMC_STUB int qemuProcessStart(virConnectPtr conn, struct qemud_driver *driver,
                              virDomainObjPtr vm, const char *migrateFrom,
                              bool start_paused, bool autodestroy, int stdin_fd,
                              const char *stdin_path, void *snapshot, int vmop);
QMC_STUB void qemuProcessStop(struct qemud_driver *driver, virDomainObjPtr vm,
                              int migrated, int reason);
QMC_STUB int qemuProcessStartCPUs(struct qemud_driver *driver, virDomainObjPtr vm,
                                  virConnectPtr conn, int reason, int asyncJob);
#endif
QMC_STUB int doNativeMigrate(struct qemud_driver *driver, virDomainObjPtr vm,
                             const char *uri, const char *cookiein, int cookieinlen,
                             char **cookieout, int *cookieoutlen,
                             unsigned long flags, unsigned long resource);
#ifndef QMC_UNIT                /* a host's unit compiles upstream's own */
QMC_STUB int doPeer2PeerMigrate(struct qemud_driver *driver, virConnectPtr conn,
                                virDomainObjPtr vm, const char *xmlin,
                                const char *dconnuri, const char *uri,
                                unsigned long flags, const char *dname,
                                unsigned long resource, bool *v3proto);
#endif
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
