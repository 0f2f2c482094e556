"""Recorded stand-ins for what port/protocol.py calls and world/stubs.py does not hold.

qemuMigrationPerform, qemuMigrationPerformPhase, qemuMigrationFinish and
qemuMigrationConfirm (qemu_migration.c @ e2fb96d9) reach, besides the stubs of
world/stubs.py (doNativeMigrate, qemuProcessStop, qemuProcessStartCPUs,
virDomainSaveStatus, the events, ...) and the thread's last error of
world/stubs_client.py (virGetLastError, virSaveLastError, virSetError, virFreeError, on
the world's ``last_error``, which the wire sends back: hosts.remote_call), the port
profiles of direct network interfaces, the persistent config, the domain handle
handed to the client, the domain's state and the auto-destroy table.  Each stub here does to the world what
the real one does to what the ported code can observe and, where the real one can
fail, fails as it does when the fault plan names it (``runtime.stub``), as in
world/stubs.py.
"""
from .constants import NULL, VIR_ERR_INVALID_ARG, VIR_ERR_NO_MEMORY, VIR_FROM_DOMAIN, VIR_FROM_NONE
from .errors import VirError
from .hosts import Domain
from . import runtime
from .runtime import recorded
from .stubs import _touch


def _report(domain, code, raw, reporter):
    runtime._world.raise_error(VirError(code, domain, raw, reporter))


# --- the destination's side of a finished migration ------------------------------------


def qemuMigrationVPAssociatePortProfiles(def_, *, fail):
    """qemuMigrationVPAssociatePortProfiles (qemu_migration.c:2424 @ e2fb96d9): associates
    the 802.1Qbg/bh port profile of every interface of type "direct" (macvtap) on the
    destination, and on a failure disassociates those done (void: the caller sees
    nothing).  The definitions of this world hold no interfaces, and a build without
    WITH_MACVTAP has the empty variant (:2459): it does nothing here."""


def virDomainObjGetPersistentDef(caps, domain, *, fail):
    """virDomainObjGetPersistentDef (domain_conf.c:1401 @ e2fb96d9): the persistent
    definition of the domain.

    First virDomainObjSetDefTransient(caps, domain, false) (:1361): for an active,
    persistent domain that has no ``newDef`` yet, the running definition is copied
    (formatted with the write flags and parsed back as inactive, so the copy has no
    id) and kept as ``newDef``.  Then ``newDef`` if set, else ``def``.  The copy's
    allocation can fail (NULL); the one caller here hands the result straight to
    virDomainSaveConfig, which would dereference NULL, so it is not faulted.
    """
    _touch(domain)
    if domain.def_.id != -1 and domain.persistent and domain.newDef is None:
        copy = domain.def_.copy()
        copy.id = -1
        domain.newDef = copy
    return domain.newDef if domain.newDef is not None else domain.def_


def virDomainSaveConfig(configDir, def_, *, fail):
    """virDomainSaveConfig (domain_conf.c:10882 @ e2fb96d9): writes the definition to
    ``configDir``/<name>.xml (``Driver.saved_configs`` records the name).  Fails on the
    allocation of the formatted XML (VIR_FROM_DOMAIN out of memory), nothing written."""
    if fail:
        _report(VIR_FROM_DOMAIN, VIR_ERR_NO_MEMORY, None, "virDomainSaveConfig")
        return -1
    runtime._world.driver.saved_configs.append(def_.name)
    return 0


def virDomainObjSetState(vm, state, reason, *, fail):
    """virDomainObjSetState (domain_conf.c:12054 @ e2fb96d9): sets the state and its reason
    (void; it cannot fail)."""
    _touch(vm)
    vm.state = state
    vm.reason = reason


def qemuProcessAutoDestroyRemove(driver, vm, *, fail):
    """qemuProcessAutoDestroyRemove (qemu_process.c:3557 @ e2fb96d9): drops the domain's uuid
    from ``driver->autodestroy``; -1 when it was not there (virHashRemoveEntry reports
    nothing), else 0.  It allocates nothing and cannot fail otherwise."""
    _touch(vm)
    if vm.def_.uuid not in driver.autodestroy:
        return -1
    del driver.autodestroy[vm.def_.uuid]
    return 0


def virGetDomain(conn, name, uuid, *, fail):
    """virGetDomain (datatypes.c:171 @ e2fb96d9): a domain handle (virDomainPtr) on ``conn``
    for the client: name, uuid, id -1 (world/hosts.Domain); it takes a reference on the
    connection.  A NULL connection is refused (VIR_ERR_INVALID_ARG "no connection",
    from datatypes.c: VIR_FROM_NONE); the callers here never pass a NULL name or uuid.
    An injected failure is the allocation of the handle (VIR_FROM_NONE out of memory),
    NULL returned.
    """
    if conn is NULL:
        _report(VIR_FROM_NONE, VIR_ERR_INVALID_ARG, "no connection", "virGetDomain")
        return NULL
    if fail:
        _report(VIR_FROM_NONE, VIR_ERR_NO_MEMORY, None, "virGetDomain")
        return NULL
    conn.refs += 1
    return Domain(conn, name, uuid)


# Every stub is recorded in the trace when called; the faultable ones fail when the fault
# plan names them (as in world/stubs.py).
FAULTABLE = sorted([
    'virDomainSaveConfig',
    'virGetDomain',
])
PLAIN = [
    'qemuMigrationVPAssociatePortProfiles',
    'virDomainObjGetPersistentDef',
    'virDomainObjSetState',
    'qemuProcessAutoDestroyRemove',
]
recorded(globals(), faultable=FAULTABLE, plain=PLAIN)
