/* qemu-migration: what Python sees of stubs.h (cffi cdef; "...;" lets the
 * compiler fill in layouts, so only the members Python reads are listed). */
typedef struct qmc_opaque *virConnectPtr;
typedef struct qmc_opaque *virStreamPtr;
typedef struct qmc_opaque *virCapsPtr;
typedef struct qmc_opaque *virDomainEventPtr;
typedef struct qmc_opaque *virHashTablePtr;
typedef void (*virHashIterator)(void *value, const void *key, void *opaque);

typedef struct qmc_def { int id; unsigned char uuid[...]; char *name; int nhostdevs; ...; } virDomainDef;
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
typedef struct qmc_priv { struct qemuDomainJobObj job; char *lockState; ...; } qemuDomainObjPrivate;
typedef struct qmc_priv *qemuDomainObjPrivatePtr;

typedef struct qmc_vm {
    int refs;
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
    ...;
};

typedef struct qmc_cookie { char *lockState; void *py; ...; } qemuMigrationCookie;
typedef struct qmc_cookie *qemuMigrationCookiePtr;

extern int qmc_errno;
unsigned int qmc_get_persistent(virDomainObjPtr vm);
void qmc_set_persistent(virDomainObjPtr vm, unsigned int v);
void qmc_init_vm(virDomainObjPtr vm);
void qmc_init_priv(qemuDomainObjPrivatePtr priv);
