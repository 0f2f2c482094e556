/* qemu-migration: what Python sees of stubs.h (cffi cdef; "...;" lets the
 * compiler fill in layouts, so only the members Python reads are listed). */
typedef struct qmc_opaque *virConnectPtr;
typedef struct qmc_opaque *virStreamPtr;
typedef struct qmc_opaque *virCapsPtr;
typedef struct qmc_opaque *virDomainEventPtr;
typedef struct qmc_opaque *virHashTablePtr;
typedef void (*virHashIterator)(void *value, const void *key, void *opaque);

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
typedef struct qmc_timer {
    int name; int present; unsigned long frequency; int mode;
} virDomainTimerDef;
typedef struct qmc_disk {
    int device; int bus; char *dst; char *serial; int readonly; int shared;
    virDomainDeviceInfo info;
} virDomainDiskDef;
typedef struct qmc_controller {
    int type; int idx; int model;
    union { struct { int ports; int vectors; } vioserial; } opts;
    virDomainDeviceInfo info;
} virDomainControllerDef;
typedef struct qmc_fs { char *dst; int readonly; virDomainDeviceInfo info; } virDomainFSDef;
typedef struct qmc_net {
    unsigned char mac[6]; char *model; virDomainDeviceInfo info;
} virDomainNetDef;
typedef struct qmc_input { int type; int bus; virDomainDeviceInfo info; } virDomainInputDef;
typedef struct qmc_sound { int model; virDomainDeviceInfo info; } virDomainSoundDef;
typedef struct qmc_accel { unsigned int support3d; unsigned int support2d; } virDomainVideoAccelDef;
typedef struct qmc_video {
    int type; unsigned int vram; unsigned int heads; virDomainVideoAccelDef *accel;
    virDomainDeviceInfo info;
} virDomainVideoDef;
typedef struct qmc_hostdev {
    int mode; struct { struct { int type; } subsys; } source; virDomainDeviceInfo info;
} virDomainHostdevDef;
typedef struct qmc_smartcard { virDomainDeviceInfo info; } virDomainSmartcardDef;
typedef struct qmc_sockaddr { char text[64]; } virSocketAddr;
typedef struct qmc_chr {
    int targetType;
    union { int port; virSocketAddr *addr; char *name; } target;
    virDomainDeviceInfo info;
} virDomainChrDef;
typedef struct qmc_hub { int type; virDomainDeviceInfo info; } virDomainHubDef;
typedef struct qmc_watchdog { int model; virDomainDeviceInfo info; } virDomainWatchdogDef;
typedef struct qmc_balloon { int model; virDomainDeviceInfo info; } virDomainMemballoonDef;
typedef struct qmc_graphics {
    int type;
    union { struct { int port; } vnc; struct { int port; int tlsPort; } spice; } data;
    void *py;
    ...;
} virDomainGraphicsDef;

struct qmc_mem { unsigned long max_balloon; unsigned long cur_balloon; ...; };
typedef struct qmc_def {
    int id; unsigned char uuid[...]; char *name; int nhostdevs;
    int virtType; unsigned short vcpus; unsigned short maxvcpus;
    struct { char *type; char *arch; char *machine; int smbios_mode; } os;
    int features;
    struct { int ntimers; virDomainTimerDef **timers; } clock;
    virCPUDefPtr cpu; virSysinfoDefPtr sysinfo;
    int ndisks; virDomainDiskDef **disks;
    int ncontrollers; virDomainControllerDef **controllers;
    int nfss; virDomainFSDef **fss;
    int nnets; virDomainNetDef **nets;
    int ninputs; virDomainInputDef **inputs;
    int nsounds; virDomainSoundDef **sounds;
    int nvideos; virDomainVideoDef **videos;
    virDomainHostdevDef **hostdevs;
    int nsmartcards; virDomainSmartcardDef **smartcards;
    int nserials; virDomainChrDef **serials;
    int nparallels; virDomainChrDef **parallels;
    int nchannels; virDomainChrDef **channels;
    virDomainChrDef *console;
    int nhubs; virDomainHubDef **hubs;
    virDomainWatchdogDef *watchdog;
    virDomainMemballoonDef *memballoon;
    struct qmc_mem mem;
    int ngraphics; virDomainGraphicsDef **graphics;
    ...;
} virDomainDef;
typedef virDomainDef *virDomainDefPtr;
typedef struct qmc_snapshot_def { char *name; char *parent; ...; } virDomainSnapshotDef;
typedef struct qmc_snapshot_obj { virDomainSnapshotDef *def; ...; } virDomainSnapshotObj;
typedef struct qmc_snapshot_list { virHashTablePtr objs; ...; } virDomainSnapshotObjList;
typedef struct qmc_snapshot_list *virDomainSnapshotObjListPtr;

typedef struct qmc_job_info { int type; ...; } virDomainJobInfo;
struct qemuDomainJobObj {
    int active;
    int asyncJob;
    int phase;
    unsigned long long mask;
    unsigned long long start;
    virDomainJobInfo info;
    ...;
};
typedef struct qmc_priv { struct qemuDomainJobObj job; char *lockState; struct qmc_opaque *mon; ...; } qemuDomainObjPrivate;
typedef struct qmc_priv *qemuDomainObjPrivatePtr;

typedef struct qmc_vm {
    int refs;
    int pid;
    virDomainDefPtr def;
    void *privateData;
    virDomainSnapshotObjList snapshots;
    ...;
} virDomainObj;
typedef virDomainObj *virDomainObjPtr;

typedef struct qmc_domlist { virHashTablePtr objs; ...; } virDomainObjList;
typedef struct qmc_domlist *virDomainObjListPtr;

struct qemud_driver {
    virCapsPtr caps;
    virDomainObjList domains;
    char *configDir;
    char *autostartDir;
    char *stateDir;
    virHashTablePtr autodestroy;
    char *lockManager;
    char *vncListen; int vncTLS; char *vncTLSx509certdir;
    char *spiceListen; int spiceTLS; char *spiceTLSx509certdir;
    struct qmc_event_state *domainEventState;
    ...;
};
struct qmc_event_state { struct qmc_opaque *callbacks; ...; };

typedef struct qmc_cookie { char *lockState; void *py; ...; } qemuMigrationCookie;
typedef struct qmc_cookie *qemuMigrationCookiePtr;

extern int qmc_errno;
extern unsigned long long qmc_clock;
extern void *qmc_ad_table;
extern int qmc_ad_n;
#define QMC_AD_MAX ...
#define QMC_AD_LEN ...
extern char qmc_ad_keys[...];
struct qmc_text { int a; int b; void *p; void *q; const char *func; const char *msg; };
unsigned int qmc_get_persistent(virDomainObjPtr vm);
void qmc_set_persistent(virDomainObjPtr vm, unsigned int v);
void qmc_init_vm(virDomainObjPtr vm);
void qmc_init_priv(qemuDomainObjPrivatePtr priv);
