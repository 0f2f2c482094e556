"""Upstream's qemuProcessStart and qemuProcessStop, compiled on their own, for the
differential test of the world's stubs of them (world/stubs.py).

The migration builds call the Python stubs for both: starting QEMU is nothing the
ported code could run.  This builds upstream's two functions (qemu_process.c:2615 and
:3078 at e2fb96d9, read from the tree at run time) against the project's stub
headers, with ``QMC_PROCESS_COMPILED`` (stubs.h then leaves out its forwarders of
them and of qemuProcessStartCPUs) and the members their text touches besides
(``PRELUDE``, through stubs.h's ``QMC_*_MORE``).  Every callee that talks to QEMU or
the OS (the command, the monitor, cgroups, the security driver, hooks, the log,
the pid file, ports, the network filters, ...) is a small C stub written for this
project (``SOURCE``): it records its call, and a faultable one fails when it is
the N-th fault point of the run (``qmc_ps_reset(N)``), as the real callee fails
(its error, or none where the real one reports nothing).  The definition's copy
(virDomainObjSetDefTransient), the state, the auto-destroy table and
qemuProcessStartCPUs are modelled as the world models them; errors go to the
caller through stubs.c's reporters, the last error through ``qmc_py_ps_error``.

``load(src)`` gives ``ProcessCImpl``: ``run(inputs, fault)`` runs the compiled
qemuProcessStart (or qemuProcessStop) on a C domain made from ``inputs`` and gives
what the migration code can observe afterwards (``OBSERVED``), with the calls made
and the number of fault points passed.  tests/test_process_start_c.py runs the
world's stubs on the same inputs and compares.
"""
from dataclasses import dataclass
from typing import Dict, Optional

from ..world import constants as K
from ..world.errors import VirError, strerror
from . import build as B
from . import extract as X

PROCESS_C = "src/qemu/qemu_process.c"
FUNCTIONS = ["qemuProcessStart", "qemuProcessStop"]
PROCESS_FLAGS = ["-DQMC_PROCESS_COMPILED", "-Wno-unused-function"]
CALLBACKS = ["int qmc_py_ps_error(int op, int token);"]

# the members upstream's text touches besides those stubs.h has (qemu_process.c @ e2fb96d9)
PRELUDE = r"""
#include <sys/types.h>
#include <sys/stat.h>
typedef struct qmc_opaque *qemuCapsPtr;
typedef struct qmc_opaque *virSecurityManagerPtr;
typedef struct qmc_opaque *qemuDomainPCIAddressSetPtr;
typedef struct qmc_ps_chrsrc {
    int type;
    union { struct { char *path; } nix; } data;
} virDomainChrSourceDef;
typedef virDomainChrSourceDef *virDomainChrSourceDefPtr;
#define QMC_VNC_MORE char *socket; int autoport;
#define QMC_SPICE_MORE int autoport;
#define QMC_NET_MORE char *ifname;
#define QMC_DEF_MORE char *emulator; \
    struct { int type; char *model; char *label; char *imagelabel; char *baselabel; } seclabel;
#define QMC_PRIV_MORE bool fakeReboot; qemuCapsPtr qemuCaps; \
    virDomainChrSourceDefPtr monConfig; int monJSON; bool monError; \
    unsigned long long monStart; bool gotShutdown; char *pidfile; \
    qemuDomainPCIAddressSetPtr pciaddrs; int persistentAddrs; int *vcpupids; int nvcpupids;
#define QMC_VM_MORE int state; int reason; int taint; virDomainDefPtr newDef; \
    int autodestroy;
#define QMC_DRIVER_MORE int nextvmid; char *logDir; virSecurityManagerPtr securityManager; \
    int clearEmulatorCapabilities; int macFilter;
"""

# the callees, written for this project: each records its call; the faultable ones
# fail at their fault point as the real callee can
SOURCE = r"""
/* ---- what this build adds to stubs.h's numbers ---- */
enum { VIR_DOMAIN_SHUTOFF_UNKNOWN = 0, VIR_DOMAIN_PAUSED_USER = 1,
       VIR_DOMAIN_RUNNING_BOOTED = 1 };
enum { VIR_DOMAIN_GRAPHICS_TYPE_VNC = 1, VIR_DOMAIN_GRAPHICS_TYPE_SPICE = 4 };
enum { VIR_DOMAIN_CHR_TYPE_UNIX = 9 };
enum { VIR_DOMAIN_SECLABEL_DYNAMIC = 0 };
enum { VIR_HOOK_DRIVER_QEMU = 1 };
enum { VIR_HOOK_QEMU_OP_START, VIR_HOOK_QEMU_OP_STOPPED, VIR_HOOK_QEMU_OP_PREPARE,
       VIR_HOOK_QEMU_OP_RELEASE };
enum { VIR_HOOK_SUBOP_NONE, VIR_HOOK_SUBOP_BEGIN, VIR_HOOK_SUBOP_END };
enum { QEMU_CAPS_DEVICE = 1, QEMU_CAPS_MONITOR_JSON = 2 };
enum { VIR_ERR_HOOK_SCRIPT_FAILED = 70 };
enum virVMOperationType { VIR_VM_OP_CREATE, VIR_VM_OP_RESTORE, VIR_VM_OP_MIGRATE_IN_START_ };
typedef int virDomainShutoffReason;
#define QEMU_VNC_PORT_MIN 5900
/* what the log gets after a timestamp (the text is this project's) */
#define START_POSTFIX ": start\n"
#define SHUTDOWN_POSTFIX ": stop\n"
#define VIR_ALLOC(p) qmc_ps_alloc((void **)&(p), sizeof(*(p)))
#define VIR_CLOSE(fd) (qmc_force_close(&(fd)), 0)
#define unlink qmc_ps_unlink
#define lseek qmc_ps_lseek
#define fstat qmc_ps_fstat
#define usleep(us) ((void)(us))

typedef struct qmc_ps_command { int unused; } virCommand;
typedef virCommand *virCommandPtr;
typedef struct qmc_ps_error { int token; } virError;
typedef virError *virErrorPtr;
struct qemuProcessHookData { virConnectPtr conn; virDomainObjPtr vm;
                             struct qemud_driver *driver; };

/* ---- the run: its calls, its fault points, the inputs the callees read ---- */
static int qmc_ps_fail_at, qmc_ps_points, qmc_ps_hooks, qmc_ps_caps_device;
static int qmc_ps_stdin_fifo;
static char qmc_ps_calls[16384];
static virCommand qmc_ps_cmd;
static char qmc_ps_caps;

QMC_NOINST static void qmc_ps_record(const char *name, const char *mark)
{
    size_t n = strlen(qmc_ps_calls);
    snprintf(qmc_ps_calls + n, sizeof(qmc_ps_calls) - n, "%s%s;", name, mark);
}

/* a call that cannot fail */
QMC_NOINST static void qmc_ps_call(const char *name) { qmc_ps_record(name, ""); }

/* a call that can: true when this is the fault point the run fails at */
QMC_NOINST static int qmc_ps_fault(const char *name)
{
    int fail = ++qmc_ps_points == qmc_ps_fail_at;
    qmc_ps_record(name, fail ? "!" : "");
    return fail;
}

QMC_NOINST static int qmc_ps_alloc(void **p, size_t size)
{
    if (qmc_ps_fault("VIR_ALLOC")) {
        errno = ENOMEM;
        return -1;
    }
    *p = calloc(1, size);
    return 0;
}

QMC_NOINST static char *qmc_ps_text(const char *s)
{
    char *r = malloc(strlen(s) + 1);
    strcpy(r, s);
    return r;
}

/* ---- the last error: kept by the Python side (qmc_py_ps_error) ---- */
QMC_STUB virErrorPtr virGetLastError(void)
{
    static virError some;
    return qmc_py_ps_error(0, 0) ? &some : NULL;
}
QMC_STUB virErrorPtr virSaveLastError(void)
{
    virErrorPtr e = calloc(1, sizeof(*e));
    e->token = qmc_py_ps_error(1, 0);
    return e;
}
QMC_STUB void virSetError(virErrorPtr e) { qmc_py_ps_error(2, e->token); }
QMC_STUB void virFreeError(virErrorPtr e) { free(e); }

/* ---- domain_conf.c, as the world models it ---- */
QMC_STUB int virDomainObjSetDefTransient(virCapsPtr caps, virDomainObjPtr vm, bool live)
{
    virDomainDefPtr copy;
    (void)caps;
    qmc_ps_call("virDomainObjSetDefTransient");
    if (!live && vm->def->id == -1)
        return 0;
    if (!vm->persistent || vm->newDef)
        return 0;
    /* the copy is a format and a parse: either fails on allocation */
    if (qmc_ps_fault("virDomainDefCopy")) {
        qmc_report_oom("virDomainDefFormatInternal");
        return -1;
    }
    copy = malloc(sizeof(*copy));
    *copy = *vm->def;
    vm->newDef = copy;
    return 0;
}
QMC_STUB void virDomainObjSetState(virDomainObjPtr vm, int state, int reason)
{
    vm->state = state;
    vm->reason = reason;
}
QMC_STUB char *virDomainDefFormat(virDomainDefPtr def, unsigned int flags)
{
    (void)def; (void)flags;
    if (qmc_ps_fault("virDomainDefFormat")) {
        qmc_report_oom("virDomainDefFormatInternal");
        return NULL;
    }
    return qmc_ps_text("<domain/>");
}
QMC_STUB int virDomainChrDefForeach(virDomainDefPtr def, bool abortOnError,
                                    int (*iter)(virDomainDefPtr, virDomainChrDefPtr, void *),
                                    void *opaque)
{
    (void)def; (void)abortOnError; (void)iter; (void)opaque;
    if (qmc_ps_fault("virDomainChrDefForeach")) {
        qmc_report_system(EACCES, "qemuProcessPrepareChardevDevice",
                          "Unable to pre-create chardev file '%s'", "/var/log/chr");
        return -1;
    }
    return 0;
}
QMC_STUB void virDomainDefClearDeviceAliases(virDomainDefPtr def) { (void)def;
    qmc_ps_call("virDomainDefClearDeviceAliases"); }
QMC_STUB void virDomainDefClearPCIAddresses(virDomainDefPtr def) { (void)def;
    qmc_ps_call("virDomainDefClearPCIAddresses"); }
QMC_STUB void virDomainChrSourceDefFree(virDomainChrSourceDefPtr def) { (void)def;
    qmc_ps_call("virDomainChrSourceDefFree"); }
QMC_STUB void virDomainAuditSecurityLabel(virDomainObjPtr vm, bool success)
{ (void)vm; qmc_ps_call(success ? "virDomainAuditSecurityLabel(ok)"
                                : "virDomainAuditSecurityLabel(failed)"); }
QMC_STUB void virDomainConfVMNWFilterTeardown(virDomainObjPtr vm) { (void)vm;
    qmc_ps_call("virDomainConfVMNWFilterTeardown"); }

/* ---- hooks ---- */
QMC_STUB bool virHookPresent(int driver) { (void)driver; return qmc_ps_hooks; }
QMC_STUB int virHookCall(int driver, const char *id, int op, int sub_op, const char *extra,
                         const char *input)
{
    char name[64];
    (void)driver; (void)id; (void)extra; (void)input;
    snprintf(name, sizeof(name), "virHookCall(op %d, sub %d)", op, sub_op);
    if (qmc_ps_fault(name)) {
        qmc_report(VIR_FROM_NONE, VIR_ERR_HOOK_SCRIPT_FAILED, "virHookCall",
                   "Hook script execution failed: %s", "exit status 1");
        return -1;
    }
    return 0;
}

/* ---- devices, labels, cgroups, ports ---- */
#define QMC_PS_FAILS(name, report) \
    if (qmc_ps_fault(name)) { report; return -1; } \
    return 0;
QMC_STUB int qemuPrepareHostDevices(struct qemud_driver *d, virDomainDefPtr def)
{ (void)d; (void)def; QMC_PS_FAILS("qemuPrepareHostDevices",
      qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "PCI device is in use")) }
QMC_STUB int qemuProcessPrepareChardevDevice(virDomainDefPtr def, virDomainChrDefPtr dev,
                                             void *opaque)
{ (void)def; (void)dev; (void)opaque; return 0; }
QMC_STUB int virSecurityManagerGenLabel(virSecurityManagerPtr mgr, virDomainObjPtr vm)
{ (void)mgr; (void)vm; QMC_PS_FAILS("virSecurityManagerGenLabel",
      qmc_report(VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR, "virSecurityManagerGenLabel", "%s",
                 "security label generation failed")) }
QMC_STUB int virSecurityManagerSetAllLabel(virSecurityManagerPtr mgr, virDomainObjPtr vm,
                                           const char *stdin_path)
{ (void)mgr; (void)vm; (void)stdin_path; QMC_PS_FAILS("virSecurityManagerSetAllLabel",
      qmc_report_system(EPERM, "virSecurityManagerSetAllLabel", "%s",
                        "unable to set security context")) }
QMC_STUB int virSecurityManagerSetImageFDLabel(virSecurityManagerPtr mgr, virDomainObjPtr vm,
                                               int fd)
{ (void)mgr; (void)vm; (void)fd; QMC_PS_FAILS("virSecurityManagerSetImageFDLabel",
      qmc_report_system(EPERM, "virSecurityManagerSetImageFDLabel", "%s",
                        "unable to label the descriptor")) }
QMC_STUB int virSecurityManagerRestoreAllLabel(virSecurityManagerPtr mgr, virDomainObjPtr vm,
                                               int migrated)
{ (void)mgr; (void)vm; qmc_ps_call(migrated ? "virSecurityManagerRestoreAllLabel(migrated)"
                                            : "virSecurityManagerRestoreAllLabel"); return 0; }
QMC_STUB int virSecurityManagerReleaseLabel(virSecurityManagerPtr mgr, virDomainObjPtr vm)
{ (void)mgr; (void)vm; qmc_ps_call("virSecurityManagerReleaseLabel"); return 0; }
QMC_STUB int qemuRemoveCgroup(struct qemud_driver *d, virDomainObjPtr vm, int quiet)
{ (void)d; (void)vm; (void)quiet; qmc_ps_call("qemuRemoveCgroup"); return 0; }
QMC_STUB int qemuSetupCgroup(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; QMC_PS_FAILS("qemuSetupCgroup",
      qmc_report_system(EPERM, "qemuSetupCgroup", "%s", "Unable to create cgroup")) }
QMC_STUB int qemuSetupCgroupForVcpu(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; QMC_PS_FAILS("qemuSetupCgroupForVcpu",
      qmc_report_system(EPERM, "qemuSetupCgroupForVcpu", "%s",
                        "Unable to create cgroup for vcpu")) }
/* the real one reports nothing: its caller does */
QMC_STUB int qemuProcessNextFreePort(struct qemud_driver *d, int startPort)
{
    (void)d;
    if (qmc_ps_fault("qemuProcessNextFreePort"))
        return -1;
    return startPort;
}
QMC_STUB void qemuProcessReturnPort(struct qemud_driver *d, int port)
{ (void)d; (void)port; qmc_ps_call("qemuProcessReturnPort"); }
QMC_STUB int qemuProcessSetVcpuAffinites(virConnectPtr conn, virDomainObjPtr vm)
{ (void)conn; (void)vm; QMC_PS_FAILS("qemuProcessSetVcpuAffinites",
      qmc_report_system(EINVAL, "qemuProcessSetVcpuAffinites", "%s",
                        "cannot set CPU affinity")) }
QMC_STUB void qemuDomainReAttachHostDevices(struct qemud_driver *d, virDomainDefPtr def)
{ (void)d; (void)def; qmc_ps_call("qemuDomainReAttachHostDevices"); }
QMC_STUB int networkDisallowMacOnPort(struct qemud_driver *d, char *ifname,
                                      unsigned char *mac)
{ (void)d; (void)ifname; (void)mac; qmc_ps_call("networkDisallowMacOnPort"); return 0; }
QMC_STUB int networkReleaseActualDevice(virDomainNetDefPtr net)
{ (void)net; qmc_ps_call("networkReleaseActualDevice"); return 0; }

/* ---- files: the log, the pid file, the standard input ---- */
QMC_STUB int virFileMakePath(const char *path)
{ (void)path; if (qmc_ps_fault("virFileMakePath")) { errno = EACCES; return -1; }
  return 0; }
QMC_STUB int qemuDomainCreateLog(struct qemud_driver *d, virDomainObjPtr vm, bool append)
{
    /* its helper (qemu_domain.c:1161) reports the log file it could not open */
    if (qmc_ps_fault(append ? "qemuDomainCreateLog(append)" : "qemuDomainCreateLog")) {
        qmc_report_system(EACCES, "qemuDomainOpenLogHelper", "cannot open logfile %s/%s.log",
                          d->logDir, vm->def->name);
        return -1;
    }
    return 40;
}
QMC_STUB char *virTimestamp(void)
{
    if (qmc_ps_fault("virTimestamp"))
        return NULL;
    return qmc_ps_text("2011-09-20 12:00:00.000");
}
QMC_STUB ssize_t safewrite(int fd, const void *buf, size_t count)
{ (void)fd; (void)buf; return count; }
QMC_STUB const char *virStrerror(int e, char *buf, size_t len)
{ snprintf(buf, len, "%s", strerror(e)); return buf; }
QMC_STUB off_t qmc_ps_lseek(int fd, off_t off, int whence)
{ (void)fd; (void)off; (void)whence; return 0; }
QMC_STUB char *virPidFileBuildPath(const char *dir, const char *name)
{
    char *r;
    if (qmc_ps_fault("virPidFileBuildPath")) {
        errno = ENOMEM;
        return NULL;
    }
    r = malloc(strlen(dir) + strlen(name) + 6);
    sprintf(r, "%s/%s.pid", dir, name);
    return r;
}
QMC_STUB int qmc_ps_unlink(const char *path)
{
    (void)path;
    if (qmc_ps_fault("unlink")) {
        errno = EACCES;
        return -1;
    }
    errno = ENOENT;             /* no stale pid file */
    return -1;
}
QMC_STUB int virPidFileReadPath(const char *path, int *pid)
{
    (void)path;
    if (qmc_ps_fault("virPidFileReadPath"))
        return -ENOENT;
    *pid = 4242;
    return 0;
}
QMC_STUB int qmc_ps_fstat(int fd, struct stat *sb)
{
    (void)fd;
    if (qmc_ps_fault("fstat")) {
        errno = EBADF;
        return -1;
    }
    memset(sb, 0, sizeof(*sb));
    sb->st_mode = qmc_ps_stdin_fifo ? S_IFIFO : S_IFREG;
    return 0;
}

/* ---- the emulator: its capabilities, its command, its monitor ---- */
QMC_STUB void qemuCapsFree(qemuCapsPtr caps) { (void)caps; }
QMC_STUB bool qemuCapsGet(qemuCapsPtr caps, int flag)
{ (void)caps; return flag == QEMU_CAPS_DEVICE && qmc_ps_caps_device; }
QMC_STUB int qemuCapsExtractVersionInfo(const char *qemu, const char *arch,
                                        unsigned int *retversion, qemuCapsPtr *retcaps)
{
    (void)qemu; (void)arch; (void)retversion;
    if (qmc_ps_fault("qemuCapsExtractVersionInfo")) {
        qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "Cannot find QEMU binary");
        return -1;
    }
    *retcaps = (qemuCapsPtr)&qmc_ps_caps;
    return 0;
}
QMC_STUB int qemuProcessPrepareMonitorChr(struct qemud_driver *d,
                                          virDomainChrSourceDefPtr monConfig,
                                          const char *name)
{
    (void)d; (void)name;
    if (qmc_ps_fault("qemuProcessPrepareMonitorChr")) {
        virReportOOMError();
        return -1;
    }
    monConfig->type = (int)VIR_DOMAIN_CHR_TYPE_UNIX;
    monConfig->data.nix.path = qmc_ps_text("/var/lib/libvirt/qemu/web1.monitor");
    return 0;
}
QMC_STUB void qemuDomainPCIAddressSetFree(qemuDomainPCIAddressSetPtr addrs) { (void)addrs; }
QMC_STUB qemuDomainPCIAddressSetPtr qemuDomainPCIAddressSetCreate(virDomainDefPtr def)
{
    (void)def;
    if (qmc_ps_fault("qemuDomainPCIAddressSetCreate")) {
        virReportOOMError();
        return NULL;
    }
    return (qemuDomainPCIAddressSetPtr)&qmc_ps_caps;
}
QMC_STUB int qemuAssignDevicePCISlots(virDomainDefPtr def, qemuDomainPCIAddressSetPtr addrs)
{ (void)def; (void)addrs; QMC_PS_FAILS("qemuAssignDevicePCISlots",
      qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "No more available PCI addresses")) }
QMC_STUB virCommandPtr qemuBuildCommandLine(virConnectPtr conn, struct qemud_driver *d,
                                            virDomainDefPtr def,
                                            virDomainChrSourceDefPtr monitor_chr,
                                            bool monitor_json, qemuCapsPtr caps,
                                            const char *migrateFrom, int migrateFd,
                                            virDomainSnapshotObjPtr snapshot,
                                            enum virVMOperationType vmop)
{
    (void)conn; (void)d; (void)def; (void)monitor_chr; (void)monitor_json; (void)caps;
    (void)migrateFrom; (void)migrateFd; (void)snapshot; (void)vmop;
    if (qmc_ps_fault("qemuBuildCommandLine")) {
        qemuReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s", "the emulator lacks a feature");
        return NULL;
    }
    return &qmc_ps_cmd;
}
QMC_STUB int qemuProcessHook(void *data) { (void)data; return 0; }
QMC_STUB void virCommandWriteArgLog(virCommandPtr cmd, int fd) { (void)cmd; (void)fd; }
QMC_STUB void qemuDomainObjCheckTaint(struct qemud_driver *d, virDomainObjPtr vm, int fd)
{ (void)d; (void)vm; (void)fd; }
QMC_STUB void virCommandClearCaps(virCommandPtr cmd) { (void)cmd; }
QMC_STUB void virCommandSetPreExecHook(virCommandPtr cmd, int (*hook)(void *), void *opaque)
{ (void)cmd; (void)hook; (void)opaque; }
QMC_STUB void virCommandSetOutputFD(virCommandPtr cmd, int *fd) { (void)cmd; (void)fd; }
QMC_STUB void virCommandSetErrorFD(virCommandPtr cmd, int *fd) { (void)cmd; (void)fd; }
QMC_STUB void virCommandNonblockingFDs(virCommandPtr cmd) { (void)cmd; }
QMC_STUB void virCommandSetPidFile(virCommandPtr cmd, const char *pidfile)
{ (void)cmd; (void)pidfile; }
QMC_STUB void virCommandDaemonize(virCommandPtr cmd) { (void)cmd; }
QMC_STUB void virCommandRequireHandshake(virCommandPtr cmd) { (void)cmd; }
QMC_STUB int virCommandRun(virCommandPtr cmd, int *exitstatus)
{ (void)cmd; (void)exitstatus; QMC_PS_FAILS("virCommandRun",
      qmc_report_system(ENOENT, "virCommandRun", "%s", "cannot execute binary")) }
QMC_STUB int virCommandHandshakeWait(virCommandPtr cmd)
{ (void)cmd; QMC_PS_FAILS("virCommandHandshakeWait",
      qmc_report(VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR, "virCommandHandshakeWait", "%s",
                 "Child quit during startup handshake")) }
QMC_STUB int virCommandHandshakeNotify(virCommandPtr cmd)
{ (void)cmd; QMC_PS_FAILS("virCommandHandshakeNotify",
      qmc_report_system(EPIPE, "virCommandHandshakeNotify", "%s",
                        "Unable to notify child process")) }
QMC_STUB void virCommandFree(virCommandPtr cmd) { (void)cmd; }
QMC_STUB int qemuProcessWaitForMonitor(struct qemud_driver *d, virDomainObjPtr vm,
                                       qemuCapsPtr caps, off_t pos)
{ (void)d; (void)vm; (void)caps; (void)pos; QMC_PS_FAILS("qemuProcessWaitForMonitor",
      qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "process exited while connecting to monitor")) }
QMC_STUB int qemuProcessDetectVcpuPIDs(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; QMC_PS_FAILS("qemuProcessDetectVcpuPIDs",
      qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "got wrong number of vCPU pids from QEMU")) }
QMC_STUB int qemuProcessInitPasswords(virConnectPtr conn, struct qemud_driver *d,
                                      virDomainObjPtr vm)
{ (void)conn; (void)d; (void)vm; QMC_PS_FAILS("qemuProcessInitPasswords",
      qemuReportError(VIR_ERR_OPERATION_FAILED, "%s", "unable to set the VNC password")) }
QMC_STUB int qemuProcessInitPCIAddresses(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; QMC_PS_FAILS("qemuProcessInitPCIAddresses",
      qemuReportError(VIR_ERR_INTERNAL_ERROR, "%s", "unable to detect PCI addresses")) }
QMC_STUB void qemuDomainObjEnterMonitorWithDriver(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; qmc_ps_call("qemuDomainObjEnterMonitorWithDriver"); }
QMC_STUB void qemuDomainObjExitMonitorWithDriver(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; qmc_ps_call("qemuDomainObjExitMonitorWithDriver"); }
QMC_STUB int qemuMonitorSetBalloon(qemuMonitorPtr mon, unsigned long newmem)
{ (void)mon; (void)newmem; QMC_PS_FAILS("qemuMonitorSetBalloon",
      qemuReportError(VIR_ERR_OPERATION_FAILED, "%s", "could not set the balloon")) }
QMC_STUB void qemuMonitorClose(qemuMonitorPtr mon) { (void)mon; qmc_ps_call("qemuMonitorClose"); }
QMC_STUB void qemuProcessKill(virDomainObjPtr vm) { (void)vm; qmc_ps_call("qemuProcessKill"); }
QMC_STUB void qemuProcessRemoveDomainStatus(struct qemud_driver *d, virDomainObjPtr vm)
{ (void)d; (void)vm; qmc_ps_call("qemuProcessRemoveDomainStatus"); }

/* qemuProcessStartCPUs, as the world models it (world/stubs.py): the lock state
 * given up on success, kept on an allocation failure of the monitor command */
QMC_STUB int qemuProcessStartCPUs(struct qemud_driver *d, virDomainObjPtr vm,
                                  virConnectPtr conn, int reason, int asyncJob)
{
    qemuDomainObjPrivatePtr p = vm->privateData;
    (void)d; (void)conn; (void)asyncJob;
    if (qmc_ps_fault("qemuProcessStartCPUs")) {
        qmc_report_oom("qemuProcessStartCPUs");
        return -1;
    }
    p->lockState = NULL;
    vm->state = VIR_DOMAIN_RUNNING;
    vm->reason = reason;
    return 0;
}

/* the auto-destroy table, one flag a domain here */
QMC_STUB int qemuProcessAutoDestroyAdd(struct qemud_driver *d, virDomainObjPtr vm,
                                       virConnectPtr conn)
{
    (void)d; (void)conn;
    if (qmc_ps_fault("qemuProcessAutoDestroyAdd")) {
        virReportOOMError();
        return -1;
    }
    vm->autodestroy = 1;
    return 0;
}
QMC_STUB int qemuProcessAutoDestroyRemove(struct qemud_driver *d, virDomainObjPtr vm)
{
    (void)d;
    qmc_ps_call("qemuProcessAutoDestroyRemove");
    vm->autodestroy = 0;
    return 0;
}
"""

# the entry points and the readers of the run (parsed as functions of one's own)
HELPERS = r"""
void qmc_ps_reset(int fail_at, int hooks, int caps_device, int stdin_fifo)
{
    qmc_ps_fail_at = fail_at;
    qmc_ps_points = 0;
    qmc_ps_hooks = hooks;
    qmc_ps_caps_device = caps_device;
    qmc_ps_stdin_fifo = stdin_fifo;
    qmc_ps_calls[0] = '\0';
}

int qmc_ps_fault_points(void)
{
    return qmc_ps_points;
}

const char *qmc_ps_call_log(void)
{
    return qmc_ps_calls;
}

int qmc_ps_start(struct qemud_driver *driver, virDomainObjPtr vm, const char *migrateFrom,
                 int start_paused, int autodestroy, int stdin_fd)
{
    return qemuProcessStart(NULL, driver, vm, migrateFrom, start_paused, autodestroy,
                            stdin_fd, NULL, NULL, VIR_VM_OP_MIGRATE_IN_START);
}

void qmc_ps_stop(struct qemud_driver *driver, virDomainObjPtr vm, int migrated, int reason)
{
    qemuProcessStop(driver, vm, migrated, reason);
}
"""
HELPER_PATH = "qmc-process-helpers.c"
HELPER_SIGS = {
    "qmc_ps_reset": "void(int, int, int, int)",
    "qmc_ps_fault_points": "int()",
    "qmc_ps_call_log": "const char *()",
    "qmc_ps_start": "int(struct qemud_driver *, virDomainObjPtr, const char *, int, int, int)",
    "qmc_ps_stop": "void(struct qemud_driver *, virDomainObjPtr, int, int)",
}
# what cffi sees of the members the prelude adds (after the ``...;`` of cdef.h's structs)
CDEF = r"""
typedef struct qmc_opaque *virConnectPtr;
typedef struct qmc_opaque *virStreamPtr;
int qmc_ps_vm_get(virDomainObjPtr vm, int which);
void qmc_ps_vm_set(virDomainObjPtr vm, int which, int value);
void *qmc_ps_vm_newdef(virDomainObjPtr vm, void *set, int really);
void qmc_ps_driver_set(struct qemud_driver *d, int nextvmid, char *logDir);
int qmc_ps_driver_nextvmid(struct qemud_driver *d);
int qmc_ps_fault_point_named(const char *name);
void qmc_ps_graphics(virDomainDefPtr def, int spice, int autoport);
int qmc_ps_graphics_port(virDomainDefPtr def, int tls);
"""
# the accessors of those members (no upstream text: plain C of one's own)
ACCESSORS = r"""
QMC_NOINST int qmc_ps_vm_get(virDomainObjPtr vm, int which)
{
    switch (which) {
    case 0: return vm->state;
    case 1: return vm->reason;
    default: return vm->autodestroy;        /* 2 */
    }
}
QMC_NOINST void qmc_ps_vm_set(virDomainObjPtr vm, int which, int value)
{
    if (which == 0)
        vm->state = value;
    else
        vm->reason = value;                 /* 1 */
}
QMC_NOINST void *qmc_ps_vm_newdef(virDomainObjPtr vm, void *set, int really)
{
    if (really)
        vm->newDef = set;
    return vm->newDef;
}
QMC_NOINST void qmc_ps_driver_set(struct qemud_driver *d, int nextvmid, char *logDir)
{
    d->nextvmid = nextvmid;
    d->logDir = logDir;
}
QMC_NOINST int qmc_ps_driver_nextvmid(struct qemud_driver *d) { return d->nextvmid; }
QMC_NOINST int qmc_ps_fault_point_named(const char *name) { return qmc_ps_fault(name); }
QMC_NOINST int qmc_ps_graphics_port(virDomainDefPtr def, int tls)
{
    if (!def->ngraphics)
        return -2;
    if (def->graphics[0]->type == VIR_DOMAIN_GRAPHICS_TYPE_SPICE)
        return tls ? def->graphics[0]->data.spice.tlsPort : def->graphics[0]->data.spice.port;
    return tls ? 0 : def->graphics[0]->data.vnc.port;
}
/* one VNC or SPICE display (made here: its union is larger in this build than cffi's
 * cdef says) */
QMC_NOINST void qmc_ps_graphics(virDomainDefPtr def, int spice, int autoport)
{
    virDomainGraphicsDefPtr g = calloc(1, sizeof(*g));
    virDomainGraphicsDefPtr *one = calloc(1, sizeof(*one));
    if (spice) {
        g->type = VIR_DOMAIN_GRAPHICS_TYPE_SPICE;
        g->data.spice.autoport = autoport;
    } else {
        g->type = VIR_DOMAIN_GRAPHICS_TYPE_VNC;
        g->data.vnc.autoport = autoport;
        g->data.vnc.socket = NULL;
    }
    one[0] = g;
    def->ngraphics = 1;
    def->graphics = one;
}
"""


def process_spec(src: str, commit: str = X.POST) -> B.BuildSpec:
    text = X.read_source(src, commit, PROCESS_C)
    funcs = X.extract_functions(text, FUNCTIONS, PROCESS_C, commit)
    helpers = list(X.parse_functions(HELPERS, HELPER_PATH).values())
    return B.BuildSpec("process", funcs + helpers,
                       {k: B.Signature.of(v) for k, v in HELPER_SIGS.items()}, [],
                       commit=commit, extra_flags=PROCESS_FLAGS, prelude=PRELUDE,
                       extra_source=SOURCE + ACCESSORS, extra_cdef=CDEF,
                       extra_callbacks=CALLBACKS)


# --- the run -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Inputs:
    """One start (or stop) of a domain, as the generated cases vary it."""
    persistent: bool = False
    new_def: bool = False           # a saved definition there already (vm->newDef)
    active: bool = False            # vm->def->id != -1 before the call
    migrate_from: Optional[str] = "stdio"
    start_paused: bool = True
    autodestroy: bool = True
    stdin_fd: int = -1
    stdin_fifo: bool = True
    lock_state: Optional[str] = None
    nextvmid: int = 1
    hooks: bool = False             # a qemu hook script installed
    caps_device: bool = True        # the emulator has -device
    vnc_autoport: Optional[bool] = None   # one display, autoport or not; None: no graphics
    spice: bool = False             # that display is SPICE (else VNC)
    spice_tls: bool = False         # driver->spiceTLS: a SPICE display gets a TLS port too
    state: int = K.VIR_DOMAIN_SHUTOFF
    reason: int = 1
    stop: Optional[int] = None      # qemuProcessStop(migrated=...) instead of Start


# the fields of an observation, in order
OBSERVED = ("ret", "errors", "last_error", "id", "nextvmid", "def", "newDef", "state",
            "reason", "autodestroy", "lockState", "job", "graphics_port", "graphics_tls_port",
            "events", "saved_status")


def error_key(e):
    """An error as the observation holds it: code, domain, detail, reporter."""
    return None if e is None else (e.code, e.domain, e.raw, e.reporter)


class ProcessCImpl:
    """The compiled Start and Stop, run on C domains made from ``Inputs``."""

    def __init__(self, built):
        self.built = built
        self.ffi, self.lib = built.ffi, built.lib
        self.errors = []
        self.last = None
        self.saved: Dict[int, Optional[VirError]] = {}
        self.saved_status = []          # the names virDomainSaveStatus saved, in order
        self._install()

    def _install(self):
        ffi = self.ffi

        def ext(name):
            return ffi.def_extern(name=name)

        def s(p):
            return None if p == ffi.NULL else ffi.string(p).decode()

        def raise_(e):
            self.errors.append(e)
            self.last = e

        @ext("qmc_py_report")
        def report(domain, code, func, msg):
            raise_(VirError(code, domain, s(msg), s(func)))

        @ext("qmc_py_report_system")
        def report_system(num, func, msg):
            raise_(VirError(K.VIR_ERR_SYSTEM_ERROR, K.VIR_FROM_QEMU,
                            s(msg) + ": " + strerror(num), s(func)))

        @ext("qmc_py_report_oom")
        def report_oom(func):
            raise_(VirError(K.VIR_ERR_NO_MEMORY, K.VIR_FROM_QEMU, None, s(func)))

        @ext("qmc_py_log")
        def log(level, msg):
            pass

        @ext("qmc_py_force_close")
        def force_close(fd):
            return -1

        @ext("qmc_py_virDomainObjIsActive")
        def is_active(vm):
            return getattr(vm, "def").id != -1

        @ext("qmc_py_virDomainSaveStatus")
        def save_status(caps, d, vm):
            if self.lib.qmc_ps_fault_point_named(b"virDomainSaveStatus"):
                raise_(VirError(K.VIR_ERR_NO_MEMORY, K.VIR_FROM_DOMAIN, None,
                                "virDomainSaveStatus"))
                return -1
            self.saved_status.append(ffi.string(getattr(vm, "def").name).decode())
            return 0

        @ext("qmc_py_virDomainDefFree")
        def def_free(d):
            pass

        @ext("qmc_py_ps_error")
        def ps_error(op, token):
            if op == 0:
                return int(self.last is not None)
            if op == 1:
                self.saved[len(self.saved) + 1] = self.last
                return len(self.saved)
            self.last = self.saved[token]
            return 0

    def run(self, inp: Inputs, fault: int = 0):
        """qemuProcessStart (or Stop) on a C domain made from ``inp``, failing at fault
        point ``fault`` (0: none): (observation, calls made, fault points passed)."""
        ffi, lib = self.ffi, self.lib
        keep = []

        def cstr(text):
            if text is None:
                return ffi.NULL
            p = ffi.new("char[]", text.encode())
            keep.append(p)
            return p

        def new_def(name, id_):
            d = ffi.new("virDomainDef *")
            keep.append(d)
            d.id, d.name = id_, cstr(name)
            if inp.vnc_autoport is not None:
                lib.qmc_ps_graphics(d, int(inp.spice), int(inp.vnc_autoport))
            return d

        driver = ffi.new("struct qemud_driver *")
        driver.stateDir = cstr("/var/run/libvirt/qemu")
        driver.spiceTLS = int(inp.spice_tls)
        lib.qmc_ps_driver_set(driver, inp.nextvmid, cstr("/var/log/libvirt/qemu"))
        vm = ffi.new("virDomainObj *")
        priv = ffi.new("qemuDomainObjPrivate *")
        lib.qmc_init_vm(vm)
        lib.qmc_init_priv(priv)
        vm.privateData = priv
        vm.refs = 1
        orig = new_def("web1", 3 if inp.active else -1)
        setattr(vm, "def", orig)
        saved = new_def("web1", -1) if inp.new_def else ffi.NULL
        lib.qmc_ps_vm_newdef(vm, saved, 1)
        lib.qmc_set_persistent(vm, int(inp.persistent))
        lib.qmc_ps_vm_set(vm, 0, inp.state)
        lib.qmc_ps_vm_set(vm, 1, inp.reason)
        priv.lockState = cstr(inp.lock_state)
        self.errors, self.last, self.saved, self.saved_status = [], None, {}, []
        lib.qmc_call_qmc_ps_reset(fault, int(inp.hooks), int(inp.caps_device), int(inp.stdin_fifo))
        if inp.stop is None:
            ret = lib.qmc_call_qmc_ps_start(driver, vm, cstr(inp.migrate_from),
                                            int(inp.start_paused), int(inp.autodestroy),
                                            inp.stdin_fd)
        else:
            lib.qmc_call_qmc_ps_stop(driver, vm, inp.stop, K.VIR_DOMAIN_SHUTOFF_FAILED)
            ret = None

        def which(d):
            if d == ffi.NULL:
                return None
            return "orig" if d == orig else "saved" if d == saved else "copy"

        cur = getattr(vm, "def")
        lock = None if priv.lockState == ffi.NULL else ffi.string(priv.lockState).decode()
        obs = dict(ret=ret, errors=[error_key(e) for e in self.errors],
                   last_error=error_key(self.last),
                   id=cur.id, nextvmid=lib.qmc_ps_driver_nextvmid(driver), **{"def": which(cur)},
                   newDef=which(lib.qmc_ps_vm_newdef(vm, ffi.NULL, 0)),
                   state=lib.qmc_ps_vm_get(vm, 0), reason=lib.qmc_ps_vm_get(vm, 1),
                   autodestroy=bool(lib.qmc_ps_vm_get(vm, 2)), lockState=lock,
                   job=(priv.job.active, priv.job.asyncJob, priv.job.phase),
                   graphics_port=None if inp.vnc_autoport is None
                   else lib.qmc_ps_graphics_port(cur, 0),
                   graphics_tls_port=None if inp.vnc_autoport is None
                   else lib.qmc_ps_graphics_port(cur, 1),
                   events=[],      # neither function queues one (their callers do)
                   saved_status=list(self.saved_status))
        calls = ffi.string(lib.qmc_call_qmc_ps_call_log()).decode().split(";")[:-1]
        return obs, calls, lib.qmc_call_qmc_ps_fault_points()


_LOADED: Dict[str, ProcessCImpl] = {}


def load(src: str) -> ProcessCImpl:
    """The compiled upstream Start and Stop (one per source per process)."""
    if src not in _LOADED:
        _LOADED[src] = ProcessCImpl(B.build(process_spec(src)))
    return _LOADED[src]
