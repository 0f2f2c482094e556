/*
 * qemu-migration: what a whole migration (issue 9) adds to the stand-in world
 * of stubs.h, for a host's unit (qemu_migration.c with qemu_driver.c's entry
 * points) and for the client (libvirt.c's virDomainMigrate and its flows).
 *
 * Written for this project.  Placed before stubs.h (which then leaves its own
 * opaque virConnectPtr and virStreamPtr out, QMC_PROTOCOL): a connection, a
 * domain handle and a stream are structs here, because the extracted code
 * reads their members (conn->driver, conn->privateData, dom->conn, dom->uuid,
 * dom->name).  Each struct carries ``py``, the cffi handle of the Python object
 * it stands for (world/hosts.py's Connection and Domain, a stream), so that
 * what crosses a callback is that object again.
 *
 * The numbers are generated from qemu_migration/world (cproto.py) after this
 * text; the virDriver struct and the stubs' definitions too.
 */
#ifndef QMC_PROTOCOL_H
#define QMC_PROTOCOL_H
#define QMC_PROTOCOL 1

#include <stdbool.h>
#include <stddef.h>

#define QMC_PROTO_UUID_BUFLEN 80     /* stubs.h's VIR_UUID_BUFLEN: the uuid as text */

typedef struct _virDriver virDriver;
typedef virDriver *virDriverPtr;

typedef struct _virConnect {
    void *py;                   /* the Python Connection */
    virDriverPtr driver;        /* the remote driver: every member a call to the host */
    void *privateData;          /* the host's struct qemud_driver, on the host itself */
    unsigned int flags;         /* VIR_CONNECT_RO */
} virConnect;
typedef virConnect *virConnectPtr;

typedef struct _virDomain {
    void *py;                   /* the Python Domain */
    virConnectPtr conn;
    char *name;
    unsigned char uuid[QMC_PROTO_UUID_BUFLEN];
    int id;
} virDomain;
typedef virDomain *virDomainPtr;

typedef struct _virStream {
    void *py;                   /* the Python stream */
    virConnectPtr conn;
} virStream;
typedef virStream *virStreamPtr;

/* a saved error (virSaveLastError): the Python world's record, by handle */
typedef struct qmc_opaque_error *virErrorPtr;

typedef struct _virDomainInfo {
    unsigned char state;
    unsigned long maxMem;
    unsigned long memory;
    unsigned short nrVirtCpu;
    unsigned long long cpuTime;
} virDomainInfo;
typedef virDomainInfo *virDomainInfoPtr;

/* libxml2's parsed URI, as far as libvirt.c reads it */
typedef struct _xmlURI {
    void *py;
    char *scheme;
    char *server;
    int port;
    char *path;
} xmlURI;
typedef xmlURI *xmlURIPtr;

/* one argument or result of a stub, as it crosses to Python (cproto.py) */
typedef struct qmc_val {
    long long i;
    void *p;
} qmc_val;

#endif /* QMC_PROTOCOL_H */
